#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Plugins come only from the documented search path ($OFFBKG_PLUGIN_PATH,
# [run] plugin_path, the installed directory), never through
# LTDL_LIBRARY_PATH, LD_LIBRARY_PATH or the system directories, and a
# world-writable plugin directory or module is refused unless [run]
# allow_unsafe_plugin_dir = true. select_ctor's constructor leaves a
# marker file: it shows whether a module was opened at all.
. "$top_srcdir/tests/run/tap.sh"
tap_plan 9

so="$OFFBKG_TEST_PLUGINS/.libs/select_ctor.so"
marker="$tap_tmp/marker"
OFFBKG_TEST_CTOR_MARKER=$marker
export OFFBKG_TEST_CTOR_MARKER

# check opens the data store too: a small simulated one.
"$OFFBKG" simulate "$tap_tmp/store" --runs 2 --events 2000 -q || exit 1
cat >"$tap_tmp/ctor.ini" <<INI
[datastore]
path = store
[select]
plugin = ctor
[group]
plugin = zenith
INI

# A directory that only the dynamic linker's and libltdl's variables name.
mkdir "$tap_tmp/elsewhere"
cp "$so" "$tap_tmp/elsewhere/"
cp "$OFFBKG_TEST_PLUGINS/select_ctor.la" "$tap_tmp/elsewhere/"
LD_LIBRARY_PATH="$tap_tmp/elsewhere${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
LTDL_LIBRARY_PATH="$tap_tmp/elsewhere" \
    run_offbkg check "$tap_tmp/ctor.ini"
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "no select plugin 'ctor': module select_ctor not found in $OFFBKG_PLUGIN_PATH"; echo $?) \
    "a module only on LD_LIBRARY_PATH or LTDL_LIBRARY_PATH is not found"
ok $(test ! -e "$marker"; echo $?) "...and its code never ran"

LD_LIBRARY_PATH="$tap_tmp/elsewhere${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
LTDL_LIBRARY_PATH="$tap_tmp/elsewhere" \
    run_offbkg plugins
ok $(test $status -eq 0 && ! echo "$out" | grep -q "^select  *ctor " \
     && test ! -e "$marker"; echo $?) \
    "offbkg plugins opens nothing outside the search path"

# A world-writable plugin directory: refused, its module never opened.
mkdir "$tap_tmp/open"
cp "$so" "$tap_tmp/open/"
chmod 0777 "$tap_tmp/open"
chmod 0755 "$tap_tmp/open/select_ctor.so"
printf '[run]\nplugin_path = open\n' >>"$tap_tmp/ctor.ini"
run_offbkg check "$tap_tmp/ctor.ini"
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "refusing select plugin 'ctor': $tap_tmp/open is world-writable" \
     && test ! -e "$marker"; echo $?) \
    "a world-writable plugin directory is refused before its module is opened"

sed 's/^plugin = ctor$/plugin = all/' "$tap_tmp/ctor.ini" >"$tap_tmp/all.ini"
run_offbkg plugins "$tap_tmp/all.ini"
ok $(test $status -eq 0 \
     && echo "$err" | grep -q "refused $tap_tmp/open/select_ctor.so: $tap_tmp/open is world-writable" \
     && test ! -e "$marker"; echo $?) \
    "offbkg plugins CONFIG names it refused without opening it"

run_offbkg check "$tap_tmp/ctor.ini" --set run.allow_unsafe_plugin_dir=true
ok $(test $status -eq 0 && echo "$out" | grep -q "^plugin = ctor .*$tap_tmp/open/select_ctor.so" \
     && test -e "$marker"; echo $?) \
    "[run] allow_unsafe_plugin_dir = true accepts it"
rm -f "$marker"

# A world-writable module in a safe directory.
chmod 0755 "$tap_tmp/open"
chmod 0666 "$tap_tmp/open/select_ctor.so"
run_offbkg check "$tap_tmp/ctor.ini"
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "$tap_tmp/open/select_ctor.so is world-writable" \
     && test ! -e "$marker"; echo $?) \
    "a world-writable module file is refused"

# The safe directory loads (the module by its path).
chmod 0755 "$tap_tmp/open/select_ctor.so"
run_offbkg check "$tap_tmp/ctor.ini"
ok $(test $status -eq 0 && test -e "$marker"; echo $?) \
    "the same module in a safe directory loads"

# Group-writable is a deliberate grant: accepted.
chmod 0775 "$tap_tmp/open"
run_offbkg check "$tap_tmp/ctor.ini"
ok $(test $status -eq 0; echo $?) "a group-writable directory is accepted"

exit 0
