#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# What the outputs say about where they came from, and the index tables'
# honesty (issue 15, items 6, 8, 9 and 17's non-ASCII paths): the model
# headers (OFFBKGV, CONFHASH, DATASTOR, the group's ranges) and their
# OBS_IDS HDU; the real SIZE of the bkg rows; the input obs-index's cards
# kept; the data store's own bkg rows counted, and dropped on request;
# FILE_DIR absolute on request (the output store then moves); the RADEC
# sign warning; paths with non-ASCII bytes; and gammapy 1.0 loading the
# models and checking the store (skipped without gammapy).
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
fitstab() { ${OFFBKG_WRAPPER:-} "$OFFBKG_TEST_TOOLS/fitstab" "$@"; }
fitsdamage() { "$OFFBKG_TEST_TOOLS/fitsdamage" "$@"; }
# key FILE[EXT] KEY: the value of KEY.
key() { fitstab "$1" | awk -F '\t' -v k="$2" '$1 == "K" && $2 == k { print $3; exit }'; }
rows() { fitstab "$1" | sed -n 's/^R\t//p'; }
m3d() { echo "$1/background_3D_group_00$2_table.fits.gz"; }

run_offbkg simulate "$T/store" --runs 4 --events 1000 --mixed-compression
ok $status "simulate writes the test store"
# A COMMENT in the input obs-index, to be kept.
fitsdamage "$T/store/obs-index.fits.gz" "$T/obs.fits.gz" comment OBS_INDEX \
    "offbkg test: this comment is kept" \
    && mv "$T/obs.fits.gz" "$T/store/obs-index.fits.gz"
ok $? "a COMMENT card added to the input obs-index"

ini() {  # ini FILE STORE OUT [EXTRA-SECTION-LINES]: a run of 2D + 3D models
    cat >"$1" <<INI
[datastore]
path = $2
[output]
dir = $3
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 40, 90
[model 2d]
plugin = 2d
energy_n = 6
offset_n = 10
[model 3d]
plugin = 3d
energy_n = 4
detx_n = 6
dety_n = 6
$4
INI
}

# ---------------------------------------------------------------------------
# The RADEC sign warning: once per run, naming the key, when the key is
# not set; not when it is.
ini "$T/a.ini" store a
run_offbkg run "$T/a.ini"
ok $status "a run of 2D and 3D models"
ok $(test "$(echo "$err" | grep -c 'warning: \[model 3d\] radec_lon_sign is not set')" -eq 1 \
     && echo "$err" | grep -q 'gammapy 1.3 and later.*gammapy 1.0 to 1.2, which need radec_lon_sign = gammapy10'
     echo $?) "one warning names radec_lon_sign and what each gammapy reads"
ini "$T/b.ini" store b "radec_lon_sign = gadf"
run_offbkg run "$T/b.ini"
ok $(test $status -eq 0 && ! echo "$err" | grep -q radec_lon_sign; echo $?) \
    "no warning when radec_lon_sign is set"

# ---------------------------------------------------------------------------
# The model headers and the OBS_IDS HDU.
hash=$(sed -n 's/^  "config_hash": "\([0-9a-f]*\)",$/\1/p' "$T/a/report.json")
ok $(test ${#hash} -eq 16; echo $?) "report.json has the 16-digit config_hash"
for g in 0 1; do
    f=$(m3d "$T/a" $g)
    ok $(test "$(key "$f[BACKGROUND]" OFFBKGV)" = "$($OFFBKG --version | sed -n '1s/^offbkg \([^ ,]*\).*/\1/p')" \
         && test "$(key "$f[BACKGROUND]" CONFHASH)" = "$hash" \
         && test "$(key "$f[BACKGROUND]" DATASTOR)" = "$T/store" \
         && test "$(key "$f[BACKGROUND]" GRPCOL1)" = ZEN_PNT; echo $?) \
        "group $g: OFFBKGV, CONFHASH (report.json's), DATASTOR, GRPCOL1 in BACKGROUND"
    want=$(rows "$T/a/group-def.fits" | awk -F '\t' -v g=$g '$1 == g { print $2 + 0, $3 + 0 }')
    got="$(key "$f[BACKGROUND]" GRPMIN1 | awk '{ print $1 + 0 }') $(key "$f[BACKGROUND]" GRPMAX1 | awk '{ print $1 + 0 }')"
    ok $(test -n "$want" && test "$got" = "$want"; echo $?) \
        "group $g: GRPMIN1, GRPMAX1 are group-def's range ($want)"
    # The runs of the group that were used, from report.json.
    want=$(grep "\"group_id\": $g, .*\"skipped\": null" "$T/a/report.json" \
           | sed 's/.*"obs_id": \([0-9]*\),.*/\1/' | sort -n | tr '\n' ' ')
    got=$(rows "$f[OBS_IDS]" | sort -n | tr '\n' ' ')
    ok $(test -n "$want" && test "$got" = "$want" \
         && test "$(key "$f[BACKGROUND]" NRUNS)" -eq "$(echo $want | wc -w)"; echo $?) \
        "group $g: the OBS_IDS HDU lists its runs ($want)"
done

# offbkg make, from the group-def.fits of offbkg group, writes the same
# ranges and runs.
ini "$T/s.ini" store s "radec_lon_sign = gadf"
for c in select group make; do
    run_offbkg $c "$T/s.ini"
done
bad=
for g in 0 1; do
    for k in GRPCOL1 GRPMIN1 GRPMAX1 NRUNS; do
        a=$(key "$(m3d "$T/a" $g)[BACKGROUND]" $k)
        b=$(key "$(m3d "$T/s" $g)[BACKGROUND]" $k)
        test -n "$a" && test "$a" = "$b" || bad="$bad $g:$k"
    done
    test "$(rows "$(m3d "$T/a" $g)[OBS_IDS]")" = "$(rows "$(m3d "$T/s" $g)[OBS_IDS]")" \
        || bad="$bad $g:OBS_IDS"
done
ok $(test $status -eq 0 && test -z "$bad"; echo $?) \
    "offbkg make: the ranges and runs of offbkg run${bad:+ (differ:$bad)}"

# ---------------------------------------------------------------------------
# The hdu-index: real SIZE of the bkg rows; obs-index: the input's cards.
bad=$(rows "$T/a/hdu-index.fits.gz" | awk -F '\t' '$2 == "bkg" { print $5, $7 }' \
      | while read -r name size; do
            test "$(wc -c <"$T/a/$name")" -eq "$size" || echo "$name $size"
        done)
nbkg=$(rows "$T/a/hdu-index.fits.gz" | awk -F '\t' '$2 == "bkg"' | wc -l)
ok $(test "$nbkg" -eq 4 && test -z "$bad"; echo $?) \
    "hdu-index: SIZE of the 4 bkg rows is the size of their file${bad:+ ($bad)}"
ok $(fitstab "$T/a/obs-index.fits.gz" | grep -q "^K	HDUDOC	https://github.com/open-gamma-ray-astro" \
     && gzip -dc "$T/a/obs-index.fits.gz" | grep -aq "COMMENT offbkg test: this comment is kept" \
     && test "$(fitstab "$T/a/obs-index.fits.gz" | grep -c '^K	HDUCLAS2	')" -eq 1; echo $?) \
    "obs-index: the input's HDUDOC and COMMENT are kept, HDUCLAS2 once"

# ---------------------------------------------------------------------------
# The data store's own bkg rows: the output store a/ as a data store has
# one per run. Selecting the low-zenith runs only, the others get no model
# of ours (allowed by allow_missing_models = true; else an error): their
# store rows are kept with a warning and a count, or left out with
# keep_input_bkg = false.
low=$(rows "$T/a/obs.fits" >/dev/null; awk '$1 == "run" && $4 < 40' "$T/store/truth.txt" | wc -l)
high=$((4 - low))
sel() {  # sel FILE OUT [INDEX-LINES]
    ini "$1" a "$2" "[index]
$3"
    sed -i 's/^plugin = all$/plugin = column\nwhere = ZEN_PNT < 40/' "$1"
}
sel "$T/c.ini" c "keep_input_bkg = true
allow_missing_models = true"
run_offbkg run "$T/c.ini"
ok $(test $status -eq 0 && test $low -gt 0 && test $high -gt 0 \
     && echo "$err" | grep -q "warning: $high observations\{0,1\} got no model of ours and keep the data store's own bkg rows\{0,1\} in .*keep_input_bkg = false" \
     && grep -q "\"store_bkg_rows_kept\": $high, \"store_bkg_rows_dropped\": 0" "$T/c/report.json"
     echo $?) "the store's own bkg rows kept: a warning and report.json count them ($high)"
ok $(test "$(rows "$T/c/hdu-index.fits.gz" | awk -F '\t' '$2 == "bkg"' | wc -l)" -eq 4; echo $?) \
    "keep_input_bkg = true: every run has a bkg row"
sel "$T/d.ini" d "keep_input_bkg = false
allow_missing_models = true"
run_offbkg run "$T/d.ini"
ok $(test $status -eq 0 \
     && grep -q "\"store_bkg_rows_kept\": 0, \"store_bkg_rows_dropped\": $high" "$T/d/report.json" \
     && test "$(rows "$T/d/hdu-index.fits.gz" | awk -F '\t' '$2 == "bkg"' | wc -l)" -eq $low; echo $?) \
    "keep_input_bkg = false: only the runs with our models have a bkg row"

# ---------------------------------------------------------------------------
# file_dir = absolute: the output store can be moved and used as a store.
ini "$T/e.ini" store e "[index]
file_dir = absolute"
run_offbkg run "$T/e.ini"
ok $(test $status -eq 0 \
     && test -z "$(rows "$T/e/hdu-index.fits.gz" | awk -F '\t' '$4 !~ /^\//')"; echo $?) \
    "file_dir = absolute: every FILE_DIR is absolute"
mkdir -p "$T/moved" && mv "$T/e" "$T/moved/e"
ini "$T/f.ini" moved/e f "radec_lon_sign = gadf"
run_offbkg --strict run "$T/f.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "made models from 4 of 4 runs"; echo $?) \
    "the moved output store is a data store whose runs all read"

# ---------------------------------------------------------------------------
# Non-ASCII bytes in paths. A UTF-8 data store directory shared with the
# output: FILE_DIR is relative and ASCII, the headers escape the bytes.
u8=$(printf 'd\303\251p\303\264t')
mkdir -p "$T/$u8" && cp -R "$T/store" "$T/$u8/store"
ini "$T/$u8/run.ini" store out "radec_lon_sign = gadf"
run_offbkg run "$T/$u8/run.ini"
f=$(m3d "$T/$u8/out" 0)
ok $(test $status -eq 0 \
     && test "$(key "$f[BACKGROUND]" DATASTOR)" = "$T/d\\xC3\\xA9p\\xC3\\xB4t/store"; echo $?) \
    "a UTF-8 data store path: DATASTOR holds it escaped (printable ASCII)"
# The same store, output elsewhere: FILE_DIR would need the bytes.
ini "$T/g.ini" "$T/$u8/store" g "radec_lon_sign = gadf"
run_offbkg run "$T/g.ini"
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "g.ini:[0-9]*: \[output\] dir: .*hdu-index.fits.gz: FILE_DIR '.*' has bytes that are not printable ASCII" \
     && test -z "$(ls -A "$T/g" 2>/dev/null)"; echo $?) \
    "a FILE_DIR with UTF-8 bytes is refused before any work, naming it; nothing written"
run_offbkg check "$T/g.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "FILE_DIR '.*' has bytes that are not printable ASCII"
     echo $?) "offbkg check refuses it too"
# A Latin-1 output directory: report.json is JSON all the same.
l1=$(printf 'out\351')
ini "$T/h.ini" store "$l1" "radec_lon_sign = gadf"
run_offbkg run "$T/h.ini"
ok $(test $status -eq 0 && /usr/bin/python3 -m json.tool "$T/$l1/report.json" >/dev/null 2>&1
     echo $?) "a Latin-1 output path: report.json is valid JSON"

# ---------------------------------------------------------------------------
# gammapy 1.0 loads the models and checks the store.
if find_gammapy_python; then
    "$python" "$top_srcdir/tests/gammapy/check_provenance.py" "$T/a" \
        >"$T/py.out" 2>&1
    status=$?
    tap_checks "$T/py.out"
    ok $status "check_provenance.py ran to the end ($python)"
else
    echo "ok $((tap_n + 1)) # SKIP no python3 that can import gammapy"
    tap_n=$((tap_n + 1))
fi
tap_plan $tap_n
