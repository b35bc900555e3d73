#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Bad [match] and [target] sections (issue 18): each is a configuration
# error (exit 2) naming file:line, said by offbkg check and by offbkg run
# before anything is read or written; the inputs are unchanged.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 3 --events 1000
printf '[run]\nplugin_path = %s\n' "$OFFBKG_TEST_PLUGINS" >>"$T/pristine.ini"

# bad NAME WANT-RE DESC: $C/run.ini (edited by the caller) fails check
# and run with exit 2 and a message matching WANT-RE ("run.ini:LINE: ..."
# with LINE the line of the given text); nothing is written.
bad() {
    seal
    run_offbkg check "$C/run.ini"
    check "$1 check" 2 "$3"
    ok $(echo "$err" | grep -Eq "run\.ini:$2"; echo $?) \
        "$1 check: the message names file:line"
    run_offbkg run "$C/run.ini"
    check "$1 run" 2 "$3"
    ok $(echo "$err" | grep -Eq "run\.ini:$2" \
         && test ! -e "$C/out"; echo $?) \
        "$1 run: the same message; nothing is written"
}

# line TEXT: the line number of the first line of $C/run.ini that is TEXT.
line() { grep -n -x -F "$1" "$C/run.ini" | head -n 1 | cut -d: -f1; }

fresh noplugin
printf '[match]\ncolumns = ZEN_PNT\n' >>"$C/run.ini"
bad noplugin "$(line '[match]'): \[match\] plugin: required key is missing" \
    "[match] without plugin"

fresh unknown
printf '[match]\nplugin = nerest\n' >>"$C/run.ini"
bad unknown "$(line 'plugin = nerest'): \[match\] plugin: .*nerest" \
    "an unknown match plugin"

fresh label
printf '[match Near]\nplugin = fake\n' >>"$C/run.ini"
bad label "$(line '[match Near]'): \[match Near\] label 'Near' is not \[a-z0-9_\]+" \
    "a [match LABEL] label that is not [a-z0-9_]+"

fresh key
printf '[match]\nplugin = fake\nbogus = 1\n' >>"$C/run.ini"
bad key "$(line 'bogus = 1'): \[match\] bogus: unknown key" \
    "a key the match plugin does not declare"

fresh value
printf '[match]\nplugin = fake\nkind = pairs\n' >>"$C/run.ini"
bad value "$(line 'kind = pairs'): \[match\] kind: " \
    "a value the match plugin refuses"

fresh typo
printf '[macth]\nplugin = fake\n' >>"$C/run.ini"
bad typo "$(line '[macth]'): \[macth\] unknown section \(did you mean \[match\]\?\)" \
    "a misspelled [match]"

fresh nopath
printf '[target]\n' >>"$C/run.ini"
bad nopath "$(line '[target]'): \[target\] path: required key is missing" \
    "[target] without path"

fresh twostores
mkdir -p "$C/other"
printf '[target]\npath = other\n[index]\npath = ./store\n' >>"$C/run.ini"
bad twostores "$(line 'path = other'): \[target\] path: .*other is not \[index\] path .*store \(.*run\.ini:$(line 'path = ./store')\)" \
    "[target] path and [index] path naming two stores"

fresh samestore
printf '[target]\npath = store\n[index]\npath = ./store/\n' >>"$C/run.ini"
seal
run_offbkg check "$C/run.ini"
check samestore 0 "[target] and [index] naming one store two ways is fine"

fresh notstore
printf '[target]\npath = nowhere\n[match]\nplugin = fake\n' >>"$C/run.ini"
bad notstore "$(line 'path = nowhere'): \[target\] path: .*nowhere" \
    "a [target] store that does not open"

tap_plan $tap_n
exit 0
