#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The shipped match plugins' bad keys and targets that cannot be matched
# (doc/match.md; the host's own [match] and [target] errors are in
# match_config.sh): every configuration error exits 2 naming the file and
# line before any work; match/zenith without a grouping axis on zenith
# is one of them (its prepare is tried on every run's trial grouping);
# a target the
# plugin cannot match (too few runs within its cuts, min_runs above the
# store, a NaN or a missing column of the distance) is skipped with the
# plugin's reason (no file, no bkg row, the reason in the log and in
# report.json), and fails the run under --strict with nothing written;
# the inputs are never modified.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

# 6 runs: 4 at zenith 10-60 deg, OBS_ID 5 at 49 and OBS_ID 6 at 90; a
# MUONEFF column.
make_pristine --runs 4 --events 1000 --edge-zeniths --rate-column MUONEFF
ok $(awk '$1 == "run" && $3 == 6 && $4 == 90 { f = 1 }
          $1 == "run" && $3 != 6 && $4 > 65 { bad = 1 }
          END { exit !f || bad }' "$T/pristine/truth.txt"; echo $?) \
    "OBS_ID 6 is at 90 deg, no other run above 65 deg"

# bad NAME TEXT LINE_RE RE DESC: $C/run.ini plus TEXT must exit 2 with
# nothing done and a message "run.ini:N: ...RE" where N is the line of
# TEXT that matches the extended regex LINE_RE (the key at fault; the
# section line for a missing key); offbkg check says the same.
bad() {
    fresh "$1"
    first=$(($(wc -l <"$C/run.ini") + 1))
    printf '%s\n' "$2" >>"$C/run.ini"
    lines=$(awk -v f="$first" -v re="$3" 'NR >= f && $0 ~ re { printf "%s%d", s, NR; s = "|" }' \
            "$C/run.ini")
    seal
    run_offbkg run "$C/run.ini"
    check "$1" 2 "$5"
    ok $(echo "$err" | grep -Eq "run\.ini:($lines): .*$4" \
         && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
        "$1: the message names run.ini:$lines and says why; nothing written: $(echo "$err" | head -1)"
    run_offbkg check "$C/run.ini"
    ok $(test $status -eq 2 && echo "$err" | grep -Eq "run\.ini:($lines): .*$4"; echo $?) \
        "$1: offbkg check says it too (exit $status)"
}

bad unknown_key "[match]
plugin = nearest
column = ZEN_PNT" "^column =" "column" "a key nearest does not have"
bad no_columns "[match]
plugin = nearest
min_runs = 2" "^.match.$" "columns" "nearest without its required columns"
bad min_runs_0 "[match]
plugin = nearest
min_runs = 0
columns = ZEN_PNT" "^min_runs" "min_runs" "min_runs = 0"
bad bad_zenith_mode "[match]
plugin = nearest
zenith = sec
columns = ZEN_PNT" "^zenith" "zenith" "zenith = sec (cos, airmass or deg)"
bad bad_interpolation "[match]
plugin = zenith
interpolation = cubic" "^interpolation" "interpolation" "interpolation = cubic"
bad negative_scale "[match]
plugin = nearest
scales = -1
columns = ZEN_PNT" "^scales" "scales" "a negative scale"
# A scale per column: two columns, one scale (a fault of two keys: the
# section's line may be named).
bad scales_count "[match]
plugin = nearest
scales = 1
columns = ZEN_PNT, MUONEFF" "^(.match.|scales =|columns =)" "scales" "one scale for two columns"
# A [target] path that is not a data store.
bad target_nostore "[target]
path = /nonexistent/store" "^path" "nonexistent" "[target] path that does not exist"

# match/zenith needs a grouping axis on its zenith column: a grouping on
# AZ_PNT alone is a configuration error before any event is read.
fresh no_zenith_axis
sed -i 's/^plugin = zenith$/plugin = bins\naxis1_column = AZ_PNT/
        s/^edges_deg = .*/axis1_edges = 0, 180, 360/' "$C/run.ini"
printf '[match]\nplugin = zenith\n' >>"$C/run.ini"
line=$(grep -n '^plugin = zenith$' "$C/run.ini" | cut -d: -f1)
line="$line|$((line - 1))"      # the plugin's line or its section's
seal
run_offbkg -v run "$C/run.ini"
ok $(test $status -eq 2 && ! echo "$err" | grep -q "info: runs [0-9]"; echo $?) \
    "no_zenith_axis: exit 2 before any event is read (exit $status)"
ok $(test $status -ne 0 && echo "$err" | grep -Eq "run\.ini:($line): .*ZEN_PNT" \
     && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
    "no_zenith_axis: the run fails naming run.ini:$line and ZEN_PNT; nothing written: $(echo "$err" | grep -m1 error)"
new=$( (cd "$C/store" && find . -type f -exec sha256sum {} + | sort) \
       | diff "$C/sums" - >/dev/null && echo same)
ok $(test "$new" = same; echo $?) "no_zenith_axis: the inputs are unchanged"
run_offbkg check "$C/run.ini"
ok $(test $status -eq 2 && echo "$err" | grep -Eq "run\.ini:($line): .*ZEN_PNT"; echo $?) \
    "no_zenith_axis: offbkg check refuses it (exit $status)"

# unmatched NAME OBS_ID RE DESC: $C/run.ini (with its [match]) runs,
# skipping target OBS_ID with a reason matching RE (log and report.json)
# and giving it no file and no bkg row, the other targets theirs; under
# --strict it fails naming the target, with nothing written.
unmatched() {
    seal
    run_offbkg run "$C/run.ini"
    check "$1" 0 "$4: the run goes on"
    id6=$(printf '%06d' "$2")
    ok $(echo "$err" | grep -q "warning: .*OBS_ID $2.*$3" \
         && grep -Eq "\"obs_id\": $2,.*\"skipped\": \"[^\"]*$3" "$C/out/report.json"
         echo $?) "$1: the log and report.json give OBS_ID $2's reason: $(echo "$err" | grep -m1 "OBS_ID $2")"
    n=$(ls "$C/out" | grep -c '_obs_.*_table\.fits\.gz$')
    ok $(! ls "$C/out" | grep -q "_obs_${id6}_" \
         && test "$n" -eq $(( (6 - 1) * 2 )) \
         && ! "$OFFBKG_TEST_TOOLS/fitstab" "$C/out/hdu-index.fits.gz" \
              | grep -q "^R	$2	bkg"; echo $?) \
        "$1: OBS_ID $2 has no file and no bkg row, the 5 others a 2D and a 3D file ($n files)"
    rm -rf "$C/out"
    run_offbkg -q --strict run "$C/run.ini"
    check "$1 --strict" 1 "$4 fails the run"
    ok $(echo "$err" | grep -q "error: .*OBS_ID $2.*$3" \
         && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
        "$1 --strict: the error names OBS_ID $2 and why; nothing is written: $(echo "$err" | grep -m1 error)"
}

# OBS_ID 6 (90 deg) has no run within 20 deg of zenith: min_runs = 1
# cannot be reached.
fresh too_far
cat >>"$C/run.ini" <<INI
[match]
plugin = nearest
columns = ZEN_PNT
zenith = deg
max_differences = 20
min_runs = 1
INI
unmatched too_far 6 "within the cuts" "OBS_ID 6 with no run within the cuts"

# min_runs above what the store has: every target is skipped.
fresh min_runs_high
printf '[match]\nplugin = nearest\ncolumns = ZEN_PNT\nmin_runs = 50\n' >>"$C/run.ini"
seal
run_offbkg run "$C/run.ini"
ok $(test "$(echo "$err" | grep -c 'warning: .*OBS_ID [1-6].*min_runs')" -ge 6 \
     && ! ls "$C/out" | grep -q '_obs_'; echo $?) \
    "min_runs = 50 of 6 runs: every target skipped naming min_runs (exit $status): $(echo "$err" | grep -m1 warning)"
rm -rf "$C/out"
run_offbkg -q --strict run "$C/run.ini"
check min_runs_high 1 "--strict: min_runs = 50 fails the run"
ok $(echo "$err" | grep -q "error: .*min_runs" \
     && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
    "min_runs_high --strict: the error says min_runs; nothing is written"

# A NaN MUONEFF in OBS_ID 2's obs-index row: OBS_ID 2 is skipped naming
# the column, and no other target is matched with it.
fresh nan_column
damage "$C/store/obs-index.fits.gz" value OBS_INDEX MUONEFF 2 nan
printf '[match]\nplugin = nearest\ncolumns = ZEN_PNT, MUONEFF\nmin_runs = 2\nmax_runs = 2\n' >>"$C/run.ini"
unmatched nan_column 2 "MUONEFF" "a NaN MUONEFF"
run_offbkg run "$C/run.ini"
bad= n=0
for f in "$C/out"/background_2D_obs_*_table.fits.gz; do
    test -f "$f" || continue
    n=$((n + 1))
    "$OFFBKG_TEST_TOOLS/fitstab" "$f[MATCH]" | awk -F'\t' '$1 == "R" && $2 == 2 { b = 1 } END { exit b }' \
        || bad="$bad ${f##*/}"
done
ok $(test $status -eq 0 && test $n -eq 5 && test -z "$bad"; echo $?) \
    "nan_column: none of the 5 other targets' MATCH HDUs has OBS_ID 2 ($n files)${bad:+; it is in$bad}"

# Targets from a store without MUONEFF ([target] path): each is skipped
# naming the column; --strict fails with nothing written.
"$OFFBKG" -q simulate "$T/nomu" --runs 3 --events 1000 --first-obs-id 101
fresh no_column
printf '[target]\npath = %s\n[match]\nplugin = nearest\ncolumns = ZEN_PNT, MUONEFF\nmin_runs = 2\n' \
    "$T/nomu" >>"$C/run.ini"
seal
nomu() { (cd "$T/nomu" && find . -type f -exec sha256sum {} + | sort); }
nomu >"$T/nomu.sums"
run_offbkg run "$C/run.ini"
ok $(test "$(echo "$err" | grep -c 'warning: OBS_ID 10[1-3] skipped: .*MUONEFF')" -eq 3 \
     && ! ls "$C/out" 2>/dev/null | grep -q '_obs_'; echo $?) \
    "no_column: the 3 targets of a store without MUONEFF are skipped naming it (exit $status): $(echo "$err" | grep -m1 'OBS_ID 101')"
rm -rf "$C/out"
run_offbkg -q --strict run "$C/run.ini"
check "no_column --strict" 1 "a target without MUONEFF fails the run"
ok $(echo "$err" | grep -q "error: .*OBS_ID 101.*MUONEFF" \
     && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
    "no_column --strict: the error names OBS_ID 101 and MUONEFF; nothing is written: $(echo "$err" | grep -m1 error)"
ok $(nomu | cmp -s - "$T/nomu.sums"; echo $?) "no_column: the target store is unchanged"

tap_plan $tap_n
