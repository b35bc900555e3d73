#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Events are read from memory (core/fitsmem.c: only the leading HDUs of
# a file, gzip inflated only that far): a plain and a gzip store of the
# same events give identical 2D and 3D models, whatever the number of
# threads, a gzip file cut short inside its EVENTS HDU is a clean skip
# with a reason, and a path with ".Z" in it (cfitsio takes such a file
# for a Unix-compressed one) reads like any other.
. "$top_srcdir/tests/run/tap.sh"
tap_plan 6

sim="--runs 6 --ontime 100,900 --r0 2e-5 --seed 5 --nan-rows 2"
run_offbkg simulate "$tap_tmp/gz" $sim
run_offbkg simulate "$tap_tmp/plain" $sim --plain
cat >"$tap_tmp/run.ini" <<INI
[datastore]
path = $tap_tmp/store
[output]
dir = $tap_tmp/models
overwrite = true
[select]
plugin = all
[group]
plugin = zenith
[model 2d]
plugin = 2d
[model 3d]
plugin = 3d
INI

# Keep the inflated model files of the last run under NAME.
keep() {
    mkdir -p "$tap_tmp/$1"
    for f in "$tap_tmp"/models/background_*; do
        gzip -dc "$f" >"$tap_tmp/$1/$(basename "$f" .gz)"
    done
}

# same A B: the files are equal but for the cards that hold the time of
# writing (DATE, CHECKSUM, DATASUM's comment).
same() {
    cmp -s "$1" "$2" && return 0
    cmp -l "$1" "$2" | awk '{ print int(($1 - 1) / 80) }' | sort -u \
        | while read -r card; do
            key=$(dd if="$1" bs=80 skip="$card" count=1 2>/dev/null | cut -c1-8)
            case $key in
            "DATE    " | CHECKSUM | "DATASUM ") ;;
            *) echo "card $card ($key) differs" ;;
            esac
        done | grep -q . && return 1
    return 0
}

ln -s "$tap_tmp/gz" "$tap_tmp/store"
run_offbkg -j 2 run "$tap_tmp/run.ini"
gz_status=$status
keep gz.out
rm "$tap_tmp/store"
ln -s "$tap_tmp/plain" "$tap_tmp/store"
run_offbkg -j 1 run "$tap_tmp/run.ini"
plain_status=$status
keep plain.out
ok $(test $gz_status -eq 0 && test $plain_status -eq 0 \
     && test "$(ls "$tap_tmp"/models/background_* | wc -l)" -eq 4; echo $?) \
    "the gzip and the plain store both give 2D and 3D models"
differ=0
for f in "$tap_tmp"/gz.out/*; do
    same "$f" "$tap_tmp/plain.out/$(basename "$f")" || differ=1
done
ok $(test $differ -eq 0 && test "$(ls "$tap_tmp/gz.out" | wc -l)" -eq 4; echo $?) \
    "the models are identical, byte for byte (the cards with the time of writing aside)"

# Any number of threads: the same models (runs merged in run order).
differ=0
for j in 3 8; do
    run_offbkg -j $j run "$tap_tmp/run.ini"
    keep j$j.out
    for f in "$tap_tmp"/gz.out/*; do
        same "$f" "$tap_tmp/j$j.out/$(basename "$f")" || differ=1
    done
done
ok $(test $differ -eq 0; echo $?) "-j 1, 2, 3 and 8 give identical models"

# Run 2's file cut to a fifth: inside its EVENTS HDU.
rm "$tap_tmp/store"
ln -s "$tap_tmp/gz" "$tap_tmp/store"
f="$tap_tmp/gz/data/run_000002.fits.gz"
size=$(wc -c <"$f")
head -c $((size / 5)) "$f" >"$tap_tmp/cut" && mv "$tap_tmp/cut" "$f"
run_offbkg run "$tap_tmp/run.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "made models from 5 of 6 runs" \
     && echo "$err" | grep -q "OBS_ID 2 skipped: .*run_000002.fits.gz"; echo $?) \
    "a gzip file cut inside EVENTS: that run is skipped with its reason"
run_offbkg --strict run "$tap_tmp/run.ini"
ok $(test $status -eq 1 && echo "$err" | grep -q "OBS_ID 2"; echo $?) \
    "and stops the run under --strict"

# The same store (run 2 cut) and the output under a directory whose name
# has ".Z" in it: the gzip index tables and models are read by cfitsio.
mkdir "$tap_tmp/run.Zenith"
cp -R "$tap_tmp/gz" "$tap_tmp/run.Zenith/store"
sed "s|$tap_tmp/store|$tap_tmp/run.Zenith/store|; s|$tap_tmp/models|$tap_tmp/run.Zenith/models|" \
    "$tap_tmp/run.ini" >"$tap_tmp/run.Zenith/run.ini"
run_offbkg run "$tap_tmp/run.Zenith/run.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "made models from 5 of 6 runs" \
     && echo "$out" | grep -q "linked 6 of 6 observations to a model" \
     && test "$(ls "$tap_tmp"/run.Zenith/models/background_* | wc -l)" -eq 4
     echo $?) \
    "a store and output directory under run.Zenith/ (\".Z\" in the path) read and index as any other"
