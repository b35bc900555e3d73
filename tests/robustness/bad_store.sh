#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A bad data store stops offbkg before any work with exit 2 and a clear
# message (doc/design.md §4.3): duplicate OBS_IDs, a
# truncated or missing index table, a store path that is a file, an
# unreadable store directory. Each case also checks that the inputs are
# unchanged and that nothing is written.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 3 --events 1000

# refused NAME MESSAGE-RE DESC
refused() {
    seal
    run_offbkg -q run "$C/run.ini"
    check "$1" 2 "$3 stops before any work"
    ok $(echo "$err" | grep -Eq "$2" && test ! -e "$C/out"; echo $?) \
        "$1: the message says why; no output dir is made"
}

fresh duplicate_ids
damage "$C/store/obs-index.fits.gz" value OBS_INDEX OBS_ID 3 2
refused duplicate_ids "OBS_ID 2 appears more than once" \
    "an obs-index with a duplicate OBS_ID"

fresh truncated_index
truncate -s 1000 "$C/store/hdu-index.fits.gz"
refused truncated_index "hdu-index.fits.gz" "a truncated hdu-index"

fresh missing_index
rm "$C/store/obs-index.fits.gz"
refused missing_index "obs-index" "a store without obs-index"

fresh store_is_file
rm -rf "$C/store"
echo "not a store" >"$C/store"
refused store_is_file "store" "a store path that is a file"
echo "not a store" >"$C/store.expected"
ok $(cmp -s "$C/store" "$C/store.expected"; echo $?) \
    "store_is_file: the file is unchanged"
rm -f "$C/store" "$C/store.expected"
mkdir "$C/store"   # for check's checksums of the next case

# Permissions do not stop root: root runs this case as nobody.
fresh unreadable_store
if ! find_unprivileged; then
    for i in 1 2 3 4; do
        ok 0 "unreadable_store # SKIP no way to run without root's power"
    done
else
    seal
    chmod 700 "$C/store"
    [ -z "$unpriv" ] && chmod 000 "$C/store"
    run_unprivileged -q run "$C/run.ini"
    chmod 755 "$C/store"
    check unreadable_store 2 "an unreadable store directory stops before any work"
    ok $(echo "$err" | grep -q "store" && test ! -e "$C/out"; echo $?) \
        "unreadable_store: the message says why; no output dir is made"
fi

tap_plan $tap_n
exit 0
