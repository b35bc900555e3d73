#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Group sums in the contribution store (doc/store.md §8): a step with a
# [store] keeps each group's summed contribution, keyed by the model key
# and its runs' keys in run order, and the next step starts from the
# longest one that is still exactly its group's first runs. Each case
# makes the models again from the events of the data store as it then is
# and compares them bit for bit: a sum used when a run was added, removed
# or changed, or under another model key, would give other models.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp

run_offbkg simulate "$T/store" --runs 8 --events 2000 --ontime 600,900
ok $status "simulate writes the test store"
# The same runs drawn again with another seed: other events.
run_offbkg simulate "$T/other" --runs 8 --events 2000 --ontime 600,900 \
    --seed 99
ok $status "simulate writes a second store"

# base.ini LIST: two models (3D with an exclusion), the runs of LIST.
base() {
    printf 'OBS_ID\n' >"$T/$1.lis"
    shift_list=$1
    shift
    printf '%s\n' "$@" >>"$T/$shift_list.lis"
    cat <<INI
[datastore]
path = store
[select]
plugin = list
path = $shift_list.lis
[group]
plugin = zenith
edges_deg = 0, 30, 60
[model 2d]
plugin = 2d
[model radec]
plugin = 3d
[exclude]
circles_deg = 345.5, -22.5, 0.4
INI
}

# check NAME LIST...: models of runs LIST from the events (out NAME.ev)
# and with the store (out NAME.st, args in $extra); $status of the
# latter; digests in NAME.ev.dig and NAME.st.dig.
check() {
    name=$1
    shift
    { base "$name" "$@"; printf '[output]\ndir = %s.ev\n' "$name"; } \
        >"$T/$name.ev.ini"
    { base "$name" "$@"; printf '[output]\ndir = %s.st\n[store]\ndir = contrib\n' \
        "$name"; } >"$T/$name.st.ini"
    run_offbkg -q run "$T/$name.ev.ini"
    model_digests "$T/$name.ev" >"$T/$name.ev.dig"
    # shellcheck disable=SC2086
    run_offbkg -j 2 run "$T/$name.st.ini" ${extra:-}
    model_digests "$T/$name.st" >"$T/$name.st.dig"
}
same() { cmp -s "$T/$1.ev.dig" "$T/$1.st.dig" && test -s "$T/$1.ev.dig"; }
sums() { ls "$T"/contrib/*/sums/*.fits.gz 2>/dev/null | wc -l; }

# Runs 1 to 6 fill the store, and a sum per model and group is kept.
check first 1 2 3 4 5 6
n_sums=$(sums)
ok $(test $status -eq 0 && same first && test "$n_sums" -ge 2; echo $?) \
    "a run filling the store keeps the group sums ($n_sums files), models as from the events"

# Every entry moved away: the same runs come from the sums alone.
for d in "$T"/contrib/*/; do
    k=$(basename "$d")
    mkdir -p "$T/entries/$k" && mv "$d"obs_*.fits.gz "$T/entries/$k/"
done
extra=--from-store check again 1 2 3 4 5 6
ok $(test $status -eq 0 && same again && grep -q "6 from the store, 0 read" "$T/out"; echo $?) \
    "the same runs again come from the group sums, without an entry (exit $status): $(grep 'from the store' "$T/out")"

# Runs 7 and 8 added after them: their groups start from the sums and
# only the new runs are read (still no entry of runs 1 to 6 there).
check added 1 2 3 4 5 6 7 8
ok $(test $status -eq 0 && same added && grep -q "6 from the store, 2 read" "$T/out"; echo $?) \
    "2 runs added after the summed ones: 2 read, the models as from the events of 8 (exit $status): $(grep 'from the store' "$T/out")"
for d in "$T"/entries/*/; do
    mv "$d"obs_*.fits.gz "$T/contrib/$(basename "$d")/"
done

# A run removed from the middle: no sum holds exactly the runs left (the
# sum of 1..8 must not be used), so they are read from their entries.
check removed 1 2 4 5 6 7 8
ok $(test $status -eq 0 && same removed; echo $?) \
    "a run removed: the models are those from the events of the 7 others (exit $status): $(grep 'from the store' "$T/out")"

# Run 1's events changed (another draw of the same run, a later
# modification time): its group's sums no longer hold, the run is read
# again and the models are those of the new events.
cp "$T/other/data/$(ls "$T/other/data" | head -1)" "$T/store/data/$(ls "$T/store/data" | head -1)"
touch "$T/store/data/$(ls "$T/store/data" | head -1)"
check changed 1 2 3 4 5 6 7 8
ok $(test $status -eq 0 && same changed && ! cmp -s "$T/added.ev.dig" "$T/changed.ev.dig" \
     && grep -q "7 from the store, 1 read" "$T/out"; echo $?) \
    "a run's events changed: read again, the models those of the new events (exit $status): $(grep 'from the store' "$T/out")"

# A damaged sum is said, not trusted, and written again.
for f in "$T"/contrib/*/sums/*.fits.gz; do printf 'garbage' >"$f"; done
check damaged 1 2 3 4 5 6 7 8
ok $(test $status -eq 0 && same damaged && grep -q "sum in the store is damaged" "$T/err"; echo $?) \
    "a damaged group sum is reported and not used (exit $status): $(head -c 300 "$T/err")"
check healed 1 2 3 4 5 6 7 8
ok $(test $status -eq 0 && same healed && ! grep -q damaged "$T/err" \
     && grep -q "8 from the store, 0 read" "$T/out"; echo $?) \
    "and written again: the next run uses it (exit $status)"

# Another model key (another binning) has sums of its own.
{ base rebinned 1 2 3 4 5 6 7 8
  printf '[output]\ndir = rebinned\n[store]\ndir = contrib\n'; } >"$T/rebinned.ini"
run_offbkg run "$T/rebinned.ini" --set 'model 2d.offset_n=5'
ok $(test $status -eq 0 && grep -q "0 from the store, 8 read" "$T/out"; echo $?) \
    "another binning does not take the other key's sums (exit $status): $(grep 'from the store' "$T/out")"

tap_plan $tap_n
