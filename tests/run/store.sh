#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The contribution store (doc/store.md) end to end on a simulated data
# store: models made from events, from a store filled by offbkg run, from
# a store filled by offbkg fill in 4 concurrent shards, and from a store
# alone (--from-store) are bit for bit the same, for 2D, 3D RADEC and 3D
# ALTAZ with exclusion regions, for 1 and 2 threads; regrouping from a
# complete store reads no event; a changed events file, model key or
# damaged entry is read again; --from-store names the runs it lacks.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp

run_offbkg simulate "$T/store" --runs 8 --events 2000 --ontime 600,900
ok $status "simulate writes the test store"

# Three models; exclusion circles in the fields of view of OBS_ID 1 and 3
# (the simulation is seeded: the pointings are always the same).
cat >"$T/base.ini" <<INI
[datastore]
path = store
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 30, 60
[model 2d]
plugin = 2d
[model radec]
plugin = 3d
radec_lon_sign = gadf
[model altaz]
plugin = 3d
fov_alignment = altaz
[exclude]
circles_deg = 345.5, -22.5, 0.4, 322.3, -36.0, 0.6
INI
{ cat "$T/base.ini"; printf '[output]\ndir = events\n'; } >"$T/events.ini"
{ cat "$T/base.ini"; printf '[output]\ndir = filled\n[store]\ndir = contrib\n'; } >"$T/store.ini"

run_offbkg -q run "$T/events.ini"
ok $status "models from the events (exit $status): $(cat "$T/err")"
model_digests "$T/events" >"$T/events.dig"
ok $(test "$(wc -l <"$T/events.dig")" -ge 6; echo $?) \
    "six or more model files ($(wc -l <"$T/events.dig"))"
ok $(grep -q '"obs_id": 1, .*"exclusion_regions": 1,' "$T/events/report.json" \
     && grep -q '"obs_id": 3, .*"exclusion_regions": 1,' "$T/events/report.json"; echo $?) \
    "an exclusion region falls in the fields of OBS_ID 1 and 3"

# offbkg run with an empty store: reads every run and fills the store.
run_offbkg run "$T/store.ini"
ok $(test $status -eq 0 && grep -q "0 from the store, 8 read and put in it" "$T/out"; echo $?) \
    "run with an empty store fills it (exit $status): $(grep 'from the store' "$T/out")"
model_digests "$T/filled" >"$T/filled.dig"
ok $(cmp -s "$T/events.dig" "$T/filled.dig"; echo $?) \
    "the models of a run that fills the store are those from the events"
ok $(grep -q '"runs_from_store": 0, "runs_filled": 8' "$T/filled/report.json"; echo $?) \
    "report.json says 8 runs filled"
# The entries record the CRC-32 of the events files, taken as they were
# read (core/fitsmem.c): that of the whole file.
evcrc=$("$OFFBKG_FITSTAB" "$(ls "$T"/contrib/2d-*/obs_3.fits.gz)[0]" \
        | awk -F '\t' '$2 == "EVCRC" { print tolower($3) }')
evfile=$(ls "$T"/store/data/*003*)
if [ -x /usr/bin/python3 ]; then
    want=$(/usr/bin/python3 -c 'import sys, zlib
print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$evfile")
    ok $(test -n "$evcrc" && test "$evcrc" = "$want"; echo $?) \
        "EVCRC of OBS_ID 3 is the CRC-32 of its events file ($evcrc, $want)"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no /usr/bin/python3 to take the CRC of an events file"
fi

# From the complete store alone, with 1 and 2 threads.
for j in 1 2; do
    run_offbkg -j $j run "$T/store.ini" --from-store \
        --set output.dir="$T/from$j"
    model_digests "$T/from$j" >"$T/from$j.dig"
    ok $(test $status -eq 0 && cmp -s "$T/events.dig" "$T/from$j.dig" \
         && grep -q "8 from the store, 0 read" "$T/out"; echo $?) \
        "--from-store -j $j: the same models bit for bit, no event read (exit $status)"
done

# Regrouping from the store reads no event: every events file is
# replaced by zeros of the same size and modification time (what the
# store checks), so reading one would fail the run.
cp -rp "$T/store/data" "$T/data.orig"
for f in "$T/store/data/"*; do
    head -c "$(wc -c <"$f")" /dev/zero >"$T/zeros" && cat "$T/zeros" >"$f"
    touch -r "$T/data.orig/${f##*/}" "$f"
done
run_offbkg run "$T/store.ini" --set output.dir="$T/regroup" \
    --set group.edges_deg="0, 20, 40, 60"
ok $(test $status -eq 0 && grep -q "8 from the store, 0 read" "$T/out"; echo $?) \
    "regrouping from the complete store reads no event (exit $status): $(cat "$T/err")"
rm -rf "$T/store/data" && mv "$T/data.orig" "$T/store/data"

# offbkg fill in 4 concurrent shards into a new store, then the models
# from it alone.
for i in 1 2 3 4; do
    ${OFFBKG_WRAPPER:-} "$OFFBKG" -q fill "$T/store.ini" --shard $i/4 \
        --set store.dir="$T/shards" >"$T/shard$i.out" 2>"$T/shard$i.err" &
done
wait
n=$(ls "$T/shards"/*/obs_*.fits* 2>/dev/null | wc -l)
ok $(test "$n" -eq 24 && ! test -s "$T/shard1.err"; echo $?) \
    "4 concurrent shards fill 8 runs x 3 models = 24 entries ($n)"
cp -rp "$T/shards" "$T/shards12"
run_offbkg -q run "$T/store.ini" --from-store --set store.dir="$T/shards" \
    --set output.dir="$T/fromshards"
model_digests "$T/fromshards" >"$T/fromshards.dig"
ok $(test $status -eq 0 && cmp -s "$T/events.dig" "$T/fromshards.dig"; echo $?) \
    "models from the 4-shard store are those from the events (exit $status)"
# The same with a model/2d built before plugin ABI 1.3 (no contrib_add:
# its entries are loaded into contributions and merged, the 3D models'
# entries are added as stored).
abi12="$OFFBKG_TEST_PLUGINS/abi12"
ok $(test -e "$abi12/model_2d.la"; echo $?) "the ABI 1.2 model/2d is built"
OFFBKG_PLUGIN_PATH="$abi12:$OFFBKG_PLUGIN_PATH" run_offbkg -q run \
    "$T/store.ini" --from-store --set store.dir="$T/shards12" \
    --set output.dir="$T/fromshards12"
model_digests "$T/fromshards12" >"$T/fromshards12.dig"
ok $(test $status -eq 0 && cmp -s "$T/events.dig" "$T/fromshards12.dig" \
     && grep -q "tests/plugins/abi12/.libs/model_2d.so" \
                "$T/fromshards12/report.json"; echo $?) \
    "with an ABI 1.2 model/2d too (exit $status): $(cat "$T/err")"

# Two whole fills at once on one store (shards that overlap by mistake):
# each entry is written atomically and one already complete is kept.
for i in 1 2; do
    ${OFFBKG_WRAPPER:-} "$OFFBKG" fill "$T/store.ini" \
        --set store.dir="$T/twice" >"$T/twice$i.out" 2>"$T/twice$i.err" &
done
wait
run_offbkg -q run "$T/store.ini" --from-store --set store.dir="$T/twice" \
    --set output.dir="$T/fromtwice"
model_digests "$T/fromtwice" >"$T/fromtwice.dig"
ok $(test $status -eq 0 && cmp -s "$T/events.dig" "$T/fromtwice.dig" \
     && ! grep -q damaged "$T/twice1.err" "$T/twice2.err" "$T/err" \
     && test -z "$(find "$T/twice" -name '.tmp*')"; echo $?) \
    "two overlapping fills at once leave a complete store, no damaged or temporary file (exit $status)"

# A shard fills only its runs: OBS_ID mod 4 = 0 for shard 1.
run_offbkg fill "$T/store.ini" --shard 1/4 --set store.dir="$T/one"
ok $(test $status -eq 0 && grep -q "filled 2 of 2 selected runs (shard 1/4)" "$T/out"; echo $?) \
    "shard 1/4 fills its 2 runs: $(cat "$T/out")"
run_offbkg fill "$T/store.ini" --shard 1/4 --set store.dir="$T/one"
ok $(test $status -eq 0 && grep -q "filled 0 of 2 .* 2 were in it already" "$T/out"; echo $?) \
    "filling it again reads nothing: $(cat "$T/out")"

# --from-store with runs missing: fails naming them, writes nothing.
run_offbkg -q run "$T/store.ini" --from-store --set store.dir="$T/one" \
    --set output.dir="$T/missing"
ok $(test $status -eq 1 && grep -q "6 of the 8 runs are not in the store" "$T/err" \
     && ! test -e "$T/missing/report.json"; echo $?) \
    "--from-store with 6 runs missing fails naming them (exit $status): $(head -c 300 "$T/err")"

# A changed model key (another binning) is another entry: filled anew.
run_offbkg run "$T/store.ini" --set 'model 2d.offset_n=5' \
    --set output.dir="$T/rebinned"
ok $(test $status -eq 0 && grep -q "0 from the store, 8 read" "$T/out"; echo $?) \
    "another binning is not taken from the store (exit $status)"

# A changed events file is read again; a damaged entry is reported and
# read again; the models stay those of the events.
f=$(ls "$T/store/data/"* | head -1)
touch -d '2001-01-01' "$f"
e=$(ls "$T/contrib"/*/obs_*.fits* | tail -1)
printf 'garbage' >"$e"
# Without the group sums (doc/store.md §8), which hold the damaged
# entry's run as it is (tests/run/store_sums.sh): the entries are read.
rm -rf "$T"/contrib/*/sums
run_offbkg run "$T/store.ini" --set output.dir="$T/again"
model_digests "$T/again" >"$T/again.dig"
ok $(test $status -eq 0 && grep -q "6 from the store, 2 read and put in it" "$T/out" \
     && grep -q "damaged" "$T/err" && cmp -s "$T/events.dig" "$T/again.dig"; echo $?) \
    "a touched events file and a damaged entry are read again, the models unchanged (exit $status): $(grep 'from the store' "$T/out")"

# offbkg fill without a [store] it may fill: a configuration error.
{ cat "$T/base.ini"; printf '[output]\ndir = x\n'; } >"$T/nostore.ini"
run_offbkg fill "$T/nostore.ini"
ok $(test $status -eq 2 && grep -q "nostore.ini: missing section \[store\]" "$T/err" \
     && ! test -e "$T/x"; echo $?) \
    "offbkg fill without [store]: exit 2 (exit $status): $(head -1 "$T/err")"
run_offbkg fill "$T/store.ini" --set store.fill=never
ok $(test $status -eq 2 && grep -q "\[store\] fill: offbkg fill with \[store\] fill = never" "$T/err"; echo $?) \
    "offbkg fill with [store] fill = never: exit 2 (exit $status): $(head -1 "$T/err")"

# A [store] without dir is a configuration error naming the line.
printf '[store]\n' >>"$T/base.ini"
{ cat "$T/base.ini"; printf '[output]\ndir = x\n'; } >"$T/nodir.ini"
run_offbkg check "$T/nodir.ini"
ok $(test $status -eq 2 && grep -q "nodir.ini:[0-9]*: \[store\] dir: missing key dir" "$T/err"; echo $?) \
    "[store] without dir: exit 2 naming the line: $(head -1 "$T/err")"

# The store is never a data store's directory nor [output] dir.
run_offbkg check "$T/store.ini" --set store.dir="$T/store"
ok $(test $status -eq 2 && grep -q "\[store\] dir: .* is the data store's directory" "$T/err"; echo $?) \
    "[store] dir = the data store: refused (exit $status): $(head -1 "$T/err")"
run_offbkg check "$T/store.ini" --set store.dir="$T/filled" --set output.dir="$T/filled"
ok $(test $status -eq 2 && grep -q "\[store\] dir: .* is \[output\] dir" "$T/err"; echo $?) \
    "[store] dir = [output] dir: refused (exit $status): $(head -1 "$T/err")"

# A directory that is not a store is refused by check, before any work.
mkdir -p "$T/notastore" && echo x >"$T/notastore/file"
run_offbkg check "$T/store.ini" --set store.dir="$T/notastore"
ok $(test $status -eq 2 && grep -q "\[store\] dir: .*notastore: not a contribution store (no STORE file) and not empty" "$T/err"; echo $?) \
    "[store] dir that is not a store: check refuses it (exit $status): $(head -1 "$T/err")"

tap_plan $tap_n
