#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# select/quality with select/offplane on the real H.E.S.S. DR1 store
# ($OFFBKG_DR1): [select] and [select quality] must both keep a run, and
# the log and report.json say how many runs each section and each cut
# dropped and removed. The counts are asserted as numbers and checked
# against the obs-index itself (read with tests/tools/fitstab). DR1 runs
# all have QUALITY 0, N_TELS 4 and TELLIST 1,2,3,4, so those cuts remove
# nothing there; MUONEFF and ZEN_PNT do. Skipped without the store.
. "$top_srcdir/tests/run/tap.sh"

if [ -z "${OFFBKG_DR1:-}" ] || [ ! -f "$OFFBKG_DR1/obs-index.fits.gz" ]; then
    echo "1..0 # SKIP no H.E.S.S. DR1 store at '${OFFBKG_DR1:-}' (set OFFBKG_DR1)"
    exit 0
fi
if [ -z "${OFFBKG_FITSTAB:-}" ] || [ ! -x "$OFFBKG_FITSTAB" ]; then
    echo "Bail out! \$OFFBKG_FITSTAB is not an executable (run through make check)"
    exit 1
fi
tap_plan 10

# Values of column $2 of the R records of fitstab output $1.
column_values() {
    awk -F '\t' -v name="$2" '
        $1 == "C" { n++; if ($2 == name) want = n }
        $1 == "R" && want { print $(want + 1) }' "$1"
}

"$OFFBKG_FITSTAB" "$OFFBKG_DR1/obs-index.fits.gz" >"$tap_tmp/index.tab"
for c in OBS_ID GLAT_PNT MUONEFF ZEN_PNT; do
    column_values "$tap_tmp/index.tab" $c >"$tap_tmp/$c"
done
# OBS_ID offplane muon-ok zenith-ok, one run per line.
paste "$tap_tmp/OBS_ID" "$tap_tmp/GLAT_PNT" "$tap_tmp/MUONEFF" "$tap_tmp/ZEN_PNT" \
    | awk '{ print $1, ($2 > 5 || $2 < -5), ($3 >= 0.9), ($4 < 40) }' \
    >"$tap_tmp/flags"
# count EXPR: the runs of flags for which the awk expression holds.
count() { awk "$1 { n++ } END { print n + 0 }" "$tap_tmp/flags"; }

cat >"$tap_tmp/q.ini" <<INI
[datastore]
path = $OFFBKG_DR1
[output]
dir = $tap_tmp/models
[select]
plugin = offplane
[select quality]
plugin = quality
max_quality = 0
min_n_tels = 4
telescopes = 1, 2, 3, 4
min_muon_efficiency = 0.9
where = ZEN_PNT < 40
[group]
plugin = zenith
edges_deg = 0, 90
[model]
plugin = 2d
INI

ok $(test "$(count '!$2')" -eq 37 && test "$(count '!$3')" -eq 9 \
     && test "$(count '$2 && !$3')" -eq 8 && test "$(count '$3 && !$4')" -eq 16 \
     && test "$(count '$2 && $3 && !$4')" -eq 14 \
     && test "$(count '$2 && $3 && $4')" -eq 46; echo $?) \
    "the obs-index: 37 runs near the plane, 9 with MUONEFF < 0.9 (8 off the plane), 16 more at ZEN_PNT >= 40 (14 off the plane), 46 left"

run_offbkg run "$tap_tmp/q.ini"
ok $(test $status -eq 0 \
     && echo "$out" | grep -q "^selected 46 of 105 runs (plugins offplane, quality)"; echo $?) \
    "both sections must keep a run: 46 of 105 runs selected"
paste "$tap_tmp/flags" | awk '$2 && $3 && $4 { print $1 }' | sort -n >"$tap_tmp/want"
ok $(sed 1d "$tap_tmp/models/run.lis" | sort -n | cmp -s - "$tap_tmp/want"; echo $?) \
    "run.lis holds exactly the runs off the plane with MUONEFF >= 0.9 and ZEN_PNT < 40"

# The plugin's log: per cut, runs that fail it, and first fails.
ok $(echo "$err" | grep -q "\[select/quality\] cut MUONEFF >= 0.9 (min_muon_efficiency): 9 of the 105 runs fail it, 9 as the first cut they fail" \
     && echo "$err" | grep -q "\[select/quality\] cut ZEN_PNT < 40 (where): 18 of the 105 runs fail it, 16 as the first cut they fail" \
     && echo "$err" | grep -q "\[select/quality\] cut QUALITY <= 0 (max_quality): 0 of the 105 runs fail it" \
     && echo "$err" | grep -q "\[select/quality\] cut N_TELS >= 4 (min_n_tels): 0 of the 105 runs fail it" \
     && echo "$err" | grep -q "\[select/quality\] cut TELLIST has 1,2,3,4 (telescopes): 0 of the 105 runs fail it"; echo $?) \
    "the log says per cut how many runs fail it (MUONEFF 9, ZEN_PNT 18, QUALITY, N_TELS, TELLIST 0)"
ok $(echo "$err" | grep -q "select: \[select\] plugin offplane dropped 37 runs, and removed 37 that no earlier section dropped" \
     && echo "$err" | grep -q "select: \[select quality\] plugin quality dropped 25 runs, and removed 22 that no earlier section dropped" \
     && echo "$err" | grep -q "select: 8 runs dropped: \[select quality\] MUONEFF >= 0.9 is false" \
     && echo "$err" | grep -q "select: 14 runs dropped: \[select quality\] ZEN_PNT < 40 is false"; echo $?) \
    "the log says per section and per cut how many runs it removed (37; 22 = 8 + 14)"

r="$tap_tmp/models/report.json"
ok $(grep -q '^    {"section": "select quality", "plugin": "quality", "version": "1.0.0", ' "$r" \
     && grep -q '^    {"section": "select", "plugin": "offplane", ' "$r"; echo $?) \
    "report.json lists both select sections' plugins"
ok $(grep -q '^    {"section": "select", "plugin": "offplane", "dropped": 37, "removed": 37, "reasons": \[$' "$r" \
     && grep -q '^      {"reason": "|GLAT_PNT| <= 5 deg", "dropped": 37, "removed": 37}$' "$r"; echo $?) \
    "report.json: [select] dropped and removed 37 runs, all |GLAT_PNT| <= 5 deg"
ok $(grep -q '^    {"section": "select quality", "plugin": "quality", "dropped": 25, "removed": 22, "reasons": \[$' "$r" \
     && grep -q '^      {"reason": "MUONEFF >= 0.9 is false", "dropped": 9, "removed": 8},\?$' "$r" \
     && grep -q '^      {"reason": "ZEN_PNT < 40 is false", "dropped": 16, "removed": 14},\?$' "$r"; echo $?) \
    "report.json: [select quality] dropped 25 and removed 22: MUONEFF 9 and 8, ZEN_PNT 16 and 14"
ok $(grep -q '"selected": 46,' "$r" \
     && test "$(grep -c '"reason": "\[select quality\] MUONEFF >= 0.9 is false"' "$r")" -eq 8 \
     && test "$(grep -c '"reason": "\[select quality\] ZEN_PNT < 40 is false"' "$r")" -eq 14; echo $?) \
    "report.json: dropped_by_select names the section of each run removed by [select quality]"
ok $(! echo "$err" | grep -q "POINT-LIKE"; echo $?) \
    "DR1's IRFs are full-enclosure: no POINT-LIKE warning"

exit 0
