#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of the offbkg command line: options, exit codes,
# plugins/describe/check, and a config with several mistakes.
. "$top_srcdir/tests/run/tap.sh"
tap_plan 51

# check opens the data store: a small simulated one.
"$OFFBKG" simulate "$tap_tmp/store" -q --runs 2 --events 1000 || {
    echo "Bail out! offbkg simulate failed"
    exit 1
}
mkdir -p "$tap_tmp/empty"
cat >"$tap_tmp/good.ini" <<INI
; a valid run
[datastore]
path = store
[run]
plugin_path = $OFFBKG_TEST_PLUGINS
[select]
plugin = offplane
[group]
plugin = zenith
edges_deg = 0, 30,
    49, 90
[model]
plugin = fake
INI

# Five different mistakes: out of range (line 4), unknown plugin (7),
# missing plugin = (section at 8), unknown key (12), unknown section (13).
cat >"$tap_tmp/bad.ini" <<INI
[datastore]
path = store
[run]
threads = -2
plugin_path = $OFFBKG_TEST_PLUGINS
[select]
plugin = ofplane
[group]
edges_deg = 0, 49, 90
[model]
plugin = fake
widht_deg = 1
[indx]
path = elsewhere
INI

run_offbkg --version
ok $(test $status -eq 0 && echo "$out" | grep -q "^offbkg [0-9].* (plugin ABI [0-9]*\.[0-9]*)$"; echo $?) \
    "--version prints the version and the plugin ABI"
ok $(echo "$out" | grep -q "^gzip inputs are inflated with \(ISA-L\|zlib\)$"; echo $?) \
    "--version says which library inflates gzip inputs"

run_offbkg --help
ok $(test $status -eq 0 && echo "$out" | grep -q "describe STAGE/NAME"; echo $?) \
    "--help lists the commands and exits 0"

run_offbkg
ok $(test $status -eq 2; echo $?) "no command is a usage error (exit 2)"

run_offbkg frobnicate
ok $(test $status -eq 2 && echo "$err" | grep -q "unknown command 'frobnicate'"; echo $?) \
    "an unknown command is a usage error"

run_offbkg -j many check "$tap_tmp/good.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q -- "-j: expected"; echo $?) \
    "a bad -j value is a usage error"

run_offbkg plugins
ok $(test $status -eq 0 && echo "$out" | grep -q "^select  offplane" \
     && echo "$out" | grep -q "^group   zenith" \
     && echo "$out" | grep -q "select_offplane"; echo $?) \
    "plugins lists the shipped plugins with their files"

run_offbkg plugins "$tap_tmp/good.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^model   fake" \
     && echo "$err" | grep -q "refused .*select_abimajor.*ABI"; echo $?) \
    "plugins CONFIG adds [run] plugin_path and names refused files"

run_offbkg describe select/offplane
ok $(test $status -eq 0 && echo "$out" | grep -q "min_glat_deg (double, deg)" \
     && echo "$out" | grep -q "default: 5"; echo $?) \
    "describe prints a plugin's parameters with type, unit and default"

run_offbkg describe group/zenith
ok $(test $status -eq 0 && echo "$out" | grep -q "items strictly increasing"; echo $?) \
    "describe shows list constraints"

# model/fake is only in good.ini's [run] plugin_path.
run_offbkg describe model/fake "$tap_tmp/good.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^model/fake " \
     && echo "$out" | grep -q "from .*model_fake"; echo $?) \
    "describe STAGE/NAME CONFIG also searches the config's [run] plugin_path"
run_offbkg describe model/fake
ok $(test $status -eq 2 && echo "$err" | grep -q "no model plugin 'fake'"; echo $?) \
    "describe without CONFIG does not"
run_offbkg describe select/offplane "$tap_tmp/good.ini" extra
ok $(test $status -eq 2 && echo "$err" | grep -q "STAGE/NAME \[CONFIG\]"; echo $?) \
    "describe with more than a CONFIG is a usage error"

run_offbkg describe select/nosuch
ok $(test $status -eq 2 && echo "$err" | grep -q "no select plugin 'nosuch'"; echo $?) \
    "describe of an unknown plugin is an error naming it"

run_offbkg describe sideways/all
ok $(test $status -eq 2 && echo "$err" | grep -q "unknown stage 'sideways'"; echo $?) \
    "describe of an unknown stage is a usage error"

run_offbkg check "$tap_tmp/good.ini"
ok $(test $status -eq 0; echo $?) "check accepts a valid configuration"
ok $(echo "$out" | grep -q "^min_glat_deg = 5 .*; default$"; echo $?) \
    "check prints defaults with their origin"
ok $(echo "$out" | grep -q "^edges_deg = 0, 30, 49, 90 .*; .*good.ini:10$"; echo $?) \
    "check joins continuation lines and names file:line"
ok $(echo "$out" | grep -q "^path = $tap_tmp/store "; echo $?) \
    "relative paths are resolved against the INI file's directory"
ok $(echo "$out" | grep -q "^plugin = fake .*(model_fake 0.0.1 from "; echo $?) \
    "check names each plugin's module, version and file"

run_offbkg check "$tap_tmp/bad.ini"
n_lines=$(echo "$err" | grep -c "^$tap_tmp/bad.ini:[0-9]*: ")
ok $(test $status -eq 2 && test "$n_lines" -eq 5; echo $?) \
    "five mistakes give five file:line messages and exit 2"
ok $(echo "$err" | grep -q "bad.ini:4: \[run\] threads: -2 is out of range (must be >= 0 and <= 1024)"; echo $?) \
    "out-of-range value reported with its range"
ok $(echo "$err" | grep -q "bad.ini:7: \[select\] plugin: no select plugin 'ofplane'.*did you mean 'offplane'"; echo $?) \
    "unknown plugin reported with a hint"
ok $(echo "$err" | grep -q "bad.ini:8: \[group\] plugin: required key is missing"; echo $?) \
    "missing plugin = reported at the section line"
ok $(echo "$err" | grep -q "bad.ini:12: \[model\] widht_deg: unknown key (did you mean 'width_deg'?)"; echo $?) \
    "unknown key reported with the closest key"
ok $(echo "$err" | grep -q "bad.ini:13: \[indx\] unknown section (did you mean \[index\]?)"; echo $?) \
    "unknown section reported with the closest section"

run_offbkg --set select.min_glat_deg=10 --set 'model.count=4' check "$tap_tmp/good.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^min_glat_deg = 10 .*; --set$" \
     && echo "$out" | grep -q "^count = 4 "; echo $?) \
    "--set overrides keys and is named as the origin"

run_offbkg --set select.min_glat_deg=abc check "$tap_tmp/good.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "^--set: \[select\] min_glat_deg: expected a number, got 'abc'"; echo $?) \
    "a bad --set value is reported against --set"

# Swapping a plugin is an edit of the INI, not a rebuild.
sed 's/^plugin = offplane$/plugin = all/' "$tap_tmp/good.ini" >"$tap_tmp/swapped.ini"
run_offbkg check "$tap_tmp/swapped.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^plugin = all .*select_all" \
     && echo "$out" | grep -q "^n_obs_max = 0 "; echo $?) \
    "swapping [select] plugin in the INI loads the other plugin"

run_offbkg --set model.reject=true check "$tap_tmp/good.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "good.ini:12: \[model\] reject = true: refused on request"; echo $?) \
    "a plugin's create() refusal is reported at its section line"

run_offbkg check "$tap_tmp/missing.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "missing.ini: cannot read: No such file"; echo $?) \
    "a missing config file is a configuration error"

run_offbkg --set datastore.path="$tap_tmp/empty" run "$tap_tmp/good.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "empty/obs-index.fits.gz: no observation index (file not found)" \
     && test -z "$(find "$tap_tmp" -name run.lis)"; echo $?) \
    "a data store without an obs-index stops the run before any output (exit 2)"

sed '/^\[model\]$/,$d' "$tap_tmp/good.ini" >"$tap_tmp/nomodel.ini"
run_offbkg check "$tap_tmp/nomodel.ini"
ok $(test $status -eq 0; echo $?) "check accepts a config without [model]"
run_offbkg make "$tap_tmp/nomodel.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "missing section \[model\].*offbkg make"; echo $?) \
    "make without a [model] section is a configuration error"

# Options anywhere: after the command as before it; '--' ends them.
run_offbkg simulate "$tap_tmp/sim" --runs 2 --events 2000 -q
ok $(test $status -eq 0 && test -z "$out" && test -z "$err"; echo $?) \
    "simulate DIR takes its own options after DIR, -q silences it"
cat >"$tap_tmp/quiet.ini" <<INI
[datastore]
path = sim
[output]
dir = models
[select]
plugin = all
[group]
plugin = zenith
[model]
plugin = 2d
energy_n = 4
offset_n = 5
INI
run_offbkg run "$tap_tmp/quiet.ini" -j 1 -q
ok $(test $status -eq 0 && test -z "$out" && test -z "$err" \
     && test -f "$tap_tmp/models/report.json"; echo $?) \
    "run CONFIG -j 1 -q: options after the command work, -q prints nothing"
run_offbkg run "$tap_tmp/quiet.ini" --set output.overwrite=true -j 1
ok $(test $status -eq 0 && echo "$out" | grep -q "^report: "; echo $?) \
    "without -q the summary is printed (options after the command again)"
run_offbkg check -- "$tap_tmp/good.ini" -q
ok $(test $status -eq 2 && echo "$err" | grep -q "check: expected one argument"; echo $?) \
    "after -- an option-like word is an operand"
run_offbkg check "$tap_tmp/good.ini" --frobnicate
ok $(test $status -eq 2 && echo "$err" | grep -q "frobnicate"; echo $?) \
    "an unknown option after the command is a usage error"
run_offbkg chek "$tap_tmp/good.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "unknown command 'chek' (did you mean 'check'?)"; echo $?) \
    "a misspelled command gets a hint"
run_offbkg check "$tap_tmp/good.ini" -v --strict --set select.min_glat_deg=7
ok $(test $status -eq 0 && echo "$out" | grep -q "^min_glat_deg = 7 .*; --set$"; echo $?) \
    "--set after the command applies"
run_offbkg describe selec/offplane
ok $(test $status -eq 2 && echo "$err" | grep -q "unknown stage 'selec' (did you mean 'select'?)"; echo $?) \
    "a misspelled stage in describe gets a hint"
run_offbkg check "$tap_tmp/good.ini" --set "output.dir=$tap_tmp/two  spaces"
ok $(test $status -eq 0 && echo "$out" | grep -q -F "dir = $tap_tmp/two  spaces "; echo $?) \
    "--set keeps a value as typed, two blanks in a path included"

# model/fake is built as a plugin of ABI 1.0 (its model ops table ends
# with finish): an older minor still makes models.
run_offbkg describe model/fake "$tap_tmp/good.ini"
ok $(echo "$out" | grep -q "plugin ABI 1\.0," \
     && echo "$out" | grep -q "^  \[store\]: not supported"; echo $?) \
    "model/fake declares plugin ABI 1.0, and describe says it cannot use [store]"
run_offbkg describe model/3d
ok $(test $status -eq 0 \
     && echo "$out" | grep -q "^  \[store\]: supported (contrib_view, contrib_load; contrib_add"; echo $?) \
    "describe says model/3d can use [store], and adds stored runs itself"
OFFBKG_PLUGIN_PATH="$OFFBKG_TEST_PLUGINS/abi12:$OFFBKG_PLUGIN_PATH" \
    run_offbkg describe model/2d
ok $(test $status -eq 0 \
     && echo "$out" | grep -q "^  \[store\]: supported (contrib_view, contrib_load; no contrib_add"; echo $?) \
    "describe says the ABI 1.2 build of model/2d uses [store] without contrib_add"
ok $(echo "$out" | grep -q "^  \[match\] per observation: supported (finish_sums)"
     echo $?) "describe says model/3d can make per-observation models"
run_offbkg describe model/fake "$tap_tmp/good.ini"
ok $(echo "$out" | grep -q "^  \[match\] per observation: not supported: no finish_sums"
     echo $?) "describe says model/fake (ABI 1.0) cannot make per-observation models"
run_offbkg describe match/fake "$tap_tmp/good.ini"
ok $(test $status -eq 0 \
     && echo "$out" | grep -q "^Keys of \[match\] (besides plugin = fake)" \
     && echo "$out" | grep -q "^  models: one per target observation"
     echo $?) "describe match/fake: its keys and that it makes a model per target"
run_offbkg describe mach/fake
ok $(test $status -eq 2 && echo "$err" | grep -q "unknown stage 'mach' (did you mean 'match'?)"; echo $?) \
    "a misspelled match stage in describe gets a hint"
run_offbkg run "$tap_tmp/good.ini" -q --set select.plugin=all \
    --set "output.dir=$tap_tmp/abi10"
ok $(test $status -eq 0 \
     && test -f "$tap_tmp/abi10/background_2D_group_000_table.fits.gz"; echo $?) \
    "a model plugin of ABI 1.0 loads and makes a model"

exit 0
