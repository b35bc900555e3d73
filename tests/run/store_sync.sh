#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Durability of the contribution store (doc/store.md §5) and of the
# output set (core/outset-private.h): every file is synced before it is
# moved into place, and every directory a file was moved into is synced
# after the last move; the store's once per step rather than once per
# file. tests/tools/fsync_audit.so (LD_PRELOAD) records the
# renames, links and fsync()s of offbkg itself: it runs without
# $OFFBKG_WRAPPER (valgrind runs these commands in other tests).
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
AUDIT=$OFFBKG_TEST_TOOLS/fsync_audit.so

run_offbkg simulate "$T/store" --runs 14 --events 1000
ok $status "simulate writes the test store"

# ini NAME N: runs 1 to N (the simulated OBS_IDs), a 2D and a 3D model, the store.
ini() {
    { printf 'OBS_ID\n'; seq 1 "$2"; } >"$T/$1.lis"
    cat >"$T/$1.ini" <<INI
[datastore]
path = store
[select]
plugin = list
path = $1.lis
[group]
plugin = zenith
edges_deg = 0, 90
[model 2d]
plugin = 2d
[model radec]
plugin = 3d
[output]
dir = $1
[store]
dir = contrib
INI
}

# audited NAME: offbkg run NAME.ini with the audit, its lines in NAME.audit.
audited() {
    rm -f "$T/$1.audit"
    LD_PRELOAD=$AUDIT FSYNC_AUDIT=$T/$1.audit \
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
        "$OFFBKG" -j 2 run "$T/$1.ini" >"$T/out" 2>"$T/err"
    status=$?
}
store_dir=$(cd "$T" && mkdir -p contrib && cd contrib && pwd -P)

ini first 4
audited first
ok $(test $status -eq 0 && test -s "$T/first.audit"; echo $?) \
    "4 runs fill an empty store (exit $status): $(head -c 300 "$T/err")"
ok $(! grep -q 'unsynced 1' "$T/first.audit"; echo $?) \
    "no file is left moved into a directory not synced since: $(grep 'unsynced 1' "$T/first.audit")"
ok $(grep -q '^unsynced_moves 0$' "$T/first.audit"; echo $?) \
    "every file (entries, sums, outputs) was synced before it was moved into place: $(grep unsynced_moves "$T/first.audit")"

ini added 14
audited added
ok $(test $status -eq 0 && grep -q "4 from the store, 10 read" "$T/out"; echo $?) \
    "10 runs added: 4 from the store, 10 read (exit $status): $(grep 'from the store' "$T/out")"
ok $(! grep -q 'unsynced 1' "$T/added.audit"; echo $?) \
    "no file is left moved into a directory not synced since: $(grep 'unsynced 1' "$T/added.audit")"
ok $(grep -q '^unsynced_moves 0$' "$T/added.audit"; echo $?) \
    "every file was synced before it was moved into place: $(grep unsynced_moves "$T/added.audit")"
# The entries of each model key go into one directory: synced once.
n_key_dirs=$(grep -c "^dir $store_dir/[^/ ]* " "$T/added.audit")
n_once=$(grep "^dir $store_dir/[^/ ]* " "$T/added.audit" \
         | awk '$4 >= 10 && $6 == 1' | wc -l)
ok $(test "$n_key_dirs" -eq 2 && test "$n_once" -eq 2; echo $?) \
    "each model key's directory took its 10 entries and was synced once ($n_once of $n_key_dirs): $(grep "^dir $store_dir/" "$T/added.audit" | tr '\n' ';')"
n_files=$(sed -n 's/^files //p' "$T/added.audit")
ok $(test "${n_files:-0}" -ge 20; echo $?) \
    "each of the 20 entries was synced as a file ($n_files file syncs)"

tap_plan $tap_n
