#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A group without runs whose model the index step needs (issue 15, item
# 3): an observation of the index store falls in a zenith group that the
# select left without an OFF run. offbkg run, check and index stop with
# exit 1 and one message before any event is read and before anything is
# written; [index] allow_missing_models = true brings back the warning;
# an empty group that no observation of the index store falls in is only
# a warning.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

# 6 runs: 4 at zenith 10-60 deg, OBS_ID 5 at 49 and 6 at 90.
make_pristine --runs 4 --events 1000 --edge-zeniths
ok $(awk '$1 == "run" && $4 < 20 { n++; id = $3 }
          $1 == "run" && $4 < 5 { bad = 1 }
          END { exit bad || n != 1 || id != 1 }' "$T/pristine/truth.txt"
     echo $?) "OBS_ID 1 is the only run below 20 deg, none is below 5"

# need NAME [INDEX-KEYS]: edges 0, 20, 49, 90 and OBS_ID 1 not selected,
# so group 0 (0 to 20 deg) has no OFF run but OBS_ID 1 of the store (the
# index store) falls in it.
need() {
    fresh "$1"
    sed -i 's/^edges_deg = .*/edges_deg = 0, 20, 49, 90/
            s/^plugin = all$/plugin = column\nwhere = OBS_ID != 1/' \
        "$C/run.ini"
    [ -z "$2" ] || printf '[index]\n%s\n' "$2" >>"$C/run.ini"
    seal
}
want="\[group\] plugin zenith: group 0 (ZEN_PNT 0 to 20 deg) has none of the 5 runs selected from the data store .*store, but 1 observation of the index store .*store falls in it (OBS_ID 1); .*widen the select, change the group edges, or set \[index\] allow_missing_models = true"

need run
run_offbkg -v run "$C/run.ini"
check run 1 "a needed group without runs fails the run"
ok $(echo "$err" | grep -q "^offbkg: error: .*run.ini:[0-9]*: $want" \
     && test "$(echo "$err" | grep -c 'error:')" -eq 1; echo $?) \
    "run: one message names the group, its range, the observation and what to do"
ok $(! echo "$err" | grep -q "info: runs [0-9]" \
     && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
    "run: no event was read and nothing is written"
run_offbkg check "$C/run.ini"
check check 1 "offbkg check says it too"
ok $(echo "$err" | grep -q "^offbkg: error: .*run.ini:[0-9]*: $want"; echo $?) \
    "check: the same message"

# The staged commands: make leaves group 0 without a model file, and
# index refuses to write index tables that would link OBS_ID 1 to none.
need staged
for c in select group make; do
    run_offbkg "$c" "$C/run.ini"
    ok $status "staged: offbkg $c"
done
ls "$C/out" >"$C/before"
run_offbkg index "$C/run.ini"
check staged 1 "index needs the model of group 0"
ok $(echo "$err" | grep -q "error: .*run.ini:[0-9]*: \[group\] plugin zenith: group 0 (ZEN_PNT 0 to 20 deg) has no model file of \[model 2d\] in .*out .*1 observation of the index store .*store falls in it (OBS_ID 1);.* allow_missing_models = true" \
     && ls "$C/out" | cmp -s - "$C/before"; echo $?) \
    "index: the message names the group and its missing model; no index table is written"

# The key keeps the old warning.
need allowed "allow_missing_models = true"
run_offbkg -v run "$C/run.ini"
check allowed 0 "allow_missing_models = true: the run goes on"
ok $(echo "$err" | grep -q "warning: \[model 2d\] group 0: no model: no runs in this group" \
     && echo "$err" | grep -q "warning: OBS_ID 1: group 0 has no model file; no bkg row written" \
     && echo "$err" | grep -q "info: runs [0-9]" \
     && ! echo "$err" | grep -q "error:" \
     && test -s "$C/out/hdu-index.fits.gz"; echo $?) \
    "allowed: warnings for the group and OBS_ID 1; the index tables are written"
run_offbkg --set output.overwrite=true index "$C/run.ini"
ok $(test $status -eq 0 \
     && echo "$err" | grep -q "warning: OBS_ID 1: group 0 has no model file"; echo $?) \
    "allowed: offbkg index too, with the warning"

# A group without runs that no observation of the store falls in (0 to 5
# deg): nobody asks for its model, so a warning, as before.
fresh unneeded
sed -i 's/^edges_deg = .*/edges_deg = 0, 5, 49, 90/' "$C/run.ini"
seal
run_offbkg run "$C/run.ini"
check unneeded 0 "an empty group nobody needs is no error"
ok $(echo "$err" | grep -q "warning: \[model 2d\] group 0: no model: no runs in this group" \
     && ! echo "$err" | grep -q "error:" && test -s "$C/out/hdu-index.fits.gz"; echo $?) \
    "unneeded: a warning, and the outputs are written"

tap_plan $tap_n
exit 0
