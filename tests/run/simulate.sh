#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of offbkg simulate: the files of a store, usage errors
# (exit 2), refusal of a non-empty directory, reproducibility, and, where
# python3 has gammapy, that gammapy opens the store and reads the events.
. "$top_srcdir/tests/run/tap.sh"
tap_plan 37

store="$tap_tmp/store"
small="--runs 3 --ontime 60,120 --r0 1e-5"

run_offbkg simulate --help
ok $(test $status -eq 0 && echo "$out" | grep -q -- "--edge-zeniths" \
     && echo "$out" | grep -q -- "--source N,SIGMA"; echo $?) \
    "simulate --help lists the options and exits 0"

run_offbkg simulate
ok $(test $status -eq 2 && echo "$err" | grep -q "expected a directory"; echo $?) \
    "simulate without DIR is a usage error (exit 2)"

run_offbkg simulate "$store" --frobnicate
ok $(test $status -eq 2 && echo "$err" | grep -q "unknown option '--frobnicate'"; echo $?) \
    "an unknown option is a usage error"

run_offbkg simulate "$store" --runs
ok $(test $status -eq 2 && echo "$err" | grep -q "option '--runs' needs a value"; echo $?) \
    "an option without its value is a usage error"

run_offbkg simulate "$store" --zenith 50
ok $(test $status -eq 2 && echo "$err" | grep -q -- "--zenith: expected 2 items, got 1"; echo $?) \
    "--zenith needs MIN,MAX"

# The options are a parameter table: its ranges and messages.
run_offbkg simulate "$store" --runs 0
ok $(test $status -eq 2 && echo "$err" | grep -q -- "--runs: 0 is out of range (must be >= 1 and <= 100000)"; echo $?) \
    "an option out of its table's range is refused with the range"
run_offbkg simulate --help
ok $(echo "$out" | grep -q -- "--theta-max DEG  *simulated offsets, deg (> 0 and <= 30); default 6"; echo $?) \
    "--help gives each option's unit, range and default from the table"

run_offbkg simulate "$store" --zenith 60,10
ok $(test $status -eq 2 && echo "$err" | grep -q "zenith range"; echo $?) \
    "a reversed zenith range is a usage error"

run_offbkg simulate "$store" --asym-lon 0.9
ok $(test $status -eq 2 && echo "$err" | grep -q "lon asymmetry"; echo $?) \
    "an asymmetry that makes the rate negative is refused"

run_offbkg simulate "$store" --r0 1e-4 --events 100
ok $(test $status -eq 2 && echo "$err" | grep -q "not both"; echo $?) \
    "--r0 and --events together are refused"

# The per-run rate factors: their options and their checks.
run_offbkg simulate "$store" --rate-column-index 2
ok $(test $status -eq 2 && echo "$err" | grep -q "need --rate-column"; echo $?) \
    "--rate-column-index without --rate-column is refused"
run_offbkg simulate "$store" --rate-column muoneff
ok $(test $status -eq 2 && echo "$err" | grep -q "rate column: 'muoneff' is not 1 to 8"; echo $?) \
    "a rate column that is not an upper-case FITS keyword is refused"
run_offbkg simulate "$store" --rate-column ZEN_PNT
ok $(test $status -eq 2 && echo "$err" | grep -q "ZEN_PNT is already written"; echo $?) \
    "a rate column the store already writes is refused"
run_offbkg simulate "$store" --run-scatter 1.5
ok $(test $status -eq 2 && echo "$err" | grep -q -- "--run-scatter: 1.5 is out of range"; echo $?) \
    "a run scatter above 1 is refused"

run_offbkg simulate "$store" "$tap_tmp/other"
ok $(test $status -eq 2 && echo "$err" | grep -q "expected one directory"; echo $?) \
    "two directories are a usage error"
ok $(test ! -e "$store"; echo $?) "usage errors write nothing"

run_offbkg simulate "$store" $small --edge-zeniths --mixed-compression \
    --missing-file --nan-rows 2 --source 20,0.1
ok $(test $status -eq 0 && test -z "$err" \
     && test "$(echo "$out" | wc -l)" -eq 1 \
     && echo "$out" | grep -q "store in $store: 6 runs (5 files), [0-9]* events"; echo $?) \
    "simulate writes a store quietly and prints one summary line"
ok $(test -s "$store/obs-index.fits.gz" && test -s "$store/hdu-index.fits.gz" \
     && test -s "$store/truth.txt"; echo $?) \
    "obs-index.fits.gz, hdu-index.fits.gz and truth.txt exist"
ok $(test -s "$store/data/run_000001.fits.gz" && test -s "$store/data/run_000002.fits" \
     && test -s "$store/data/run_000005.fits.gz" \
     && test ! -e "$store/data/run_000006.fits"; echo $?) \
    "event files, plain and gzipped, and the missing one is missing"
ok $(test "$(grep -c '^run = ' "$store/truth.txt")" -eq 6 \
     && grep -q '^seed = 42$' "$store/truth.txt" \
     && grep -q '^gamma = 2.7$' "$store/truth.txt" \
     && grep -q '^r0 = 1e-05$' "$store/truth.txt" \
     && grep -q '^run = 4 49 ' "$store/truth.txt" \
     && grep -q '^run = 5 90 .* 0 0 0 0 0 0 0 0 nan nan 1 ' "$store/truth.txt" \
     && grep -q '^run = 6 .* 0 data/run_000006.fits$' "$store/truth.txt"; echo $?) \
    "truth.txt has the parameters and one line per run"
ok $(test -z "$(find "$store" -name '.*tmp*')"; echo $?) \
    "no temporary files are left"

# gammapy 1.0 (Debian python3-gammapy) opens the store and reads events.
if /usr/bin/python3 -c 'import gammapy' >/dev/null 2>&1; then
    /usr/bin/python3 - "$store" >"$tap_tmp/gp.out" 2>&1 <<'PY'
import sys
from gammapy.data import DataStore
ds = DataStore.from_dir(sys.argv[1])
table = ds.obs_table
n_ok = 0
for row in table:
    obs_id = int(row["OBS_ID"])
    if obs_id == 6:          # the missing file
        continue
    obs = ds.obs(obs_id, required_irf=[])
    assert len(obs.events.table) == row["EVENT_COUNT"], obs_id
    assert abs(obs.gti.time_sum.to_value("s") - row["ONTIME"]) < 1e-6
    n_ok += 1
assert n_ok == 5, n_ok
print("gammapy read", n_ok, "runs")
PY
    ok $(grep -q "gammapy read 5 runs" "$tap_tmp/gp.out"; echo $?) \
        "gammapy DataStore.from_dir opens the store and reads the events"
    grep -q "gammapy read 5 runs" "$tap_tmp/gp.out" \
        || sed 's/^/# /' "$tap_tmp/gp.out"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP /usr/bin/python3 has no gammapy"
fi

run_offbkg simulate "$store" $small
ok $(test $status -eq 2 && echo "$err" | grep -q "not empty" \
     && echo "$err" | grep -q -- "--overwrite"; echo $?) \
    "a non-empty directory is refused (exit 2)"

run_offbkg -v simulate "$store" $small --overwrite
ok $(test $status -eq 0 && echo "$err" | grep -q "info: run 3/3: OBS_ID 3" \
     && echo "$err" | grep -q "events/s"; echo $?) \
    "--overwrite replaces it; -v shows one line per run"

: >"$tap_tmp/afile"
run_offbkg simulate "$tap_tmp/afile" $small
ok $(test $status -eq 2 && echo "$err" | grep -q "not a directory" \
     && ! echo "$err" | grep -q -- "--overwrite"; echo $?) \
    "a file in place of DIR is refused (exit 2)"

run_offbkg simulate "$tap_tmp/a" $small --seed 9
run_offbkg simulate "$tap_tmp/b" $small --seed 9
run_offbkg simulate "$tap_tmp/c" $small --seed 10
same=0
for f in obs-index.fits.gz hdu-index.fits.gz truth.txt data/run_000001.fits.gz; do
    cmp -s "$tap_tmp/a/$f" "$tap_tmp/b/$f" || same=1
done
ok $same "the same seed gives identical files"
ok $(! cmp -s "$tap_tmp/a/data/run_000001.fits.gz" "$tap_tmp/c/data/run_000001.fits.gz"; echo $?) \
    "another seed gives other events"

run_offbkg simulate "$tap_tmp/ev" --runs 2 --ontime 100,100 --events 3000
ok $(test $status -eq 0 && awk '/^run = / { n++; d = $13 - 3000; if (d * d > 25 * 3000) bad = 1 }
    END { exit !(n == 2 && !bad) }' "$tap_tmp/ev/truth.txt"; echo $?) \
    "--events N gives about N events per run"

# ALTAZ: the same draws in the camera frame; the events carry the site
# and the time reference an ALTAZ model needs.
run_offbkg simulate "$tap_tmp/az" $small --seed 9 --asym-lon 0.2 --fov-alignment altaz
st_az=$status
run_offbkg simulate "$tap_tmp/rd" $small --seed 9 --asym-lon 0.2
ok $(test $st_az -eq 0 && test $status -eq 0 \
     && grep -q '^fov_alignment = altaz$' "$tap_tmp/az/truth.txt" \
     && grep -q '^fov_alignment = radec$' "$tap_tmp/rd/truth.txt"; echo $?) \
    "--fov-alignment altaz is recorded in truth.txt"
n_az=$(grep '^run = ' "$tap_tmp/az/truth.txt" | cut -d' ' -f13 | tr '\n' ' ')
n_rd=$(grep '^run = ' "$tap_tmp/rd/truth.txt" | cut -d' ' -f13 | tr '\n' ' ')
ok $(test -n "$n_az" && test "$n_az" = "$n_rd" \
     && ! cmp -s "$tap_tmp/az/data/run_000001.fits.gz" "$tap_tmp/rd/data/run_000001.fits.gz"; echo $?) \
    "altaz: the same draws ($n_az events), other RA/Dec"
"$OFFBKG_FITSTAB" "$tap_tmp/az/data/run_000001.fits.gz[EVENTS]" \
    >"$tap_tmp/az.tab" 2>"$tap_tmp/az.err"
grep -E '^K	(GEOLON|GEOLAT|ALTITUDE|MJDREFI|MJDREFF|TIMESYS)	' "$tap_tmp/az.tab" \
    >"$tap_tmp/az.keys"
sed 's/^/# /' "$tap_tmp/az.err" "$tap_tmp/az.keys"
ok $(test "$(cut -f2 "$tap_tmp/az.keys" | sort | tr '\n' ' ')" \
          = "ALTITUDE GEOLAT GEOLON MJDREFF MJDREFI TIMESYS " \
     && grep -q '^K	TIMESYS	TT$' "$tap_tmp/az.keys"; echo $?) \
    "altaz: the EVENTS header has the site and the time reference"
run_offbkg simulate "$tap_tmp/bad" $small --fov-alignment camera
ok $(test $status -eq 2 && echo "$err" | grep -q -- "--fov-alignment: 'camera' is not one of radec, altaz"; echo $?) \
    "--fov-alignment takes radec or altaz (exit 2)"

# --plain: the same events, every run as plain FITS.
run_offbkg simulate "$tap_tmp/p" $small --seed 9 --plain
gunzip -c "$tap_tmp/a/data/run_000001.fits.gz" >"$tap_tmp/a1.fits"
ok $(test $status -eq 0 && test -z "$(find "$tap_tmp/p/data" -name '*.gz')" \
     && test "$(ls "$tap_tmp/p/data" | wc -l)" -eq 3 \
     && cmp -s "$tap_tmp/p/data/run_000001.fits" "$tap_tmp/a1.fits"; echo $?) \
    "--plain writes the same events as plain .fits files"

# --source-runs: only the named runs carry the blob, and every run draws
# the events it draws without it (the blob has a random stream of its own).
run_offbkg simulate "$tap_tmp/sr" $small --source-runs 2
ok $(test $status -eq 2 && echo "$err" | grep -q -- "--source-runs needs --source" \
     && test ! -e "$tap_tmp/sr"; echo $?) \
    "--source-runs without --source is refused (exit 2), nothing written"
run_offbkg simulate "$tap_tmp/sr" $small --source 20,0.1 --source-runs 2,4
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "source runs: OBS_ID 4 is not one of the runs (OBS_IDs 1 to 3)" \
     && test ! -e "$tap_tmp/sr"; echo $?) \
    "--source-runs with an OBS_ID that is not a run is refused (exit 2)"
run_offbkg simulate "$tap_tmp/sr" $small --seed 9 --source 20,0.1 --source-runs 2
st_sr=$status
run_offbkg simulate "$tap_tmp/sall" $small --seed 9 --source 20,0.1
# n_src is the 18th number of a "run =" line (awk field 20).
ok $(test $st_sr -eq 0 && test $status -eq 0 \
     && grep -q '^source_runs = 2$' "$tap_tmp/sr/truth.txt" \
     && ! grep -q '^source_runs' "$tap_tmp/sall/truth.txt" \
     && test "$(awk '/^run = / { printf "%s:%s ", $3, $20 }' "$tap_tmp/sr/truth.txt")" \
             = "1:0 2:20 3:0 "; echo $?) \
    "--source-runs 2: only run 2 has source events in truth.txt"
# $tap_tmp/a is the same store (--seed 9) without --source.
ok $(cmp -s "$tap_tmp/sr/data/run_000001.fits.gz" "$tap_tmp/a/data/run_000001.fits.gz" \
     && cmp -s "$tap_tmp/sr/data/run_000003.fits.gz" "$tap_tmp/a/data/run_000003.fits.gz" \
     && cmp -s "$tap_tmp/sr/data/run_000002.fits.gz" "$tap_tmp/sall/data/run_000002.fits.gz" \
     && ! cmp -s "$tap_tmp/sr/data/run_000002.fits.gz" "$tap_tmp/a/data/run_000002.fits.gz"; echo $?) \
    "--source-runs: the other runs' files are those of a store without the source"

exit 0
