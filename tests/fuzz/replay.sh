#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The fuzz targets on their seed corpora and on every input a fuzzer ever
# crashed on (tests/fuzz/regress/): none may crash or, in a sanitizer
# build, trigger a report. Without --enable-fuzzing the targets are built
# with a replay main(); with it, libFuzzer replays them (-runs=0).
. "$top_srcdir/tests/run/tap.sh"

fuzz="$OFFBKG_TEST_TOOLS/../fuzz"
src="$top_srcdir/tests/fuzz"
# A failed allocation is an error that cfitsio reports (as with glibc),
# not a sanitizer abort: cfitsio asks for absurd sizes on some headers.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
export ASAN_OPTIONS

# Seeds of the event reader: the files of a small simulated store, one
# plain FITS, one gzip.
"$OFFBKG" simulate "$tap_tmp/seed" -q --runs 2 --events 1000 \
    --mixed-compression || {
    echo "Bail out! offbkg simulate failed"
    exit 1
}

# replay NAME DIRS...: the target on every file of DIRS.
replay() {
    name=$1
    shift
    ${OFFBKG_WRAPPER:-} "$fuzz/$name" -runs=0 "$@" >"$tap_tmp/out" \
        2>"$tap_tmp/err"
    status=$?
    n=$(grep -c "^replay: " "$tap_tmp/out")
    [ $status -eq 0 ] || sed 's/^/# /' "$tap_tmp/err" | tail -20
    ok $status "$name: no crash on the seeds and regression inputs ($n)"
}

replay fuzz_ini "$top_srcdir/doc/examples" "$src/corpus/ini" \
    "$src/regress/ini"
replay fuzz_events "$tap_tmp/seed/data" "$src/regress/events"

# Seeds of the other readers: the store's index tables, a regions table
# (tests/fuzz/corpus/regions), the models of write_test_cubes, catalogs
# (tests/fuzz/corpus/catalog).
mkdir -p "$tap_tmp/models"
"$OFFBKG_TEST_TOOLS/write_test_cubes" "$tap_tmp/models" || {
    echo "Bail out! write_test_cubes failed"
    exit 1
}
replay fuzz_obs_index "$tap_tmp/seed/obs-index.fits.gz" \
    "$src/regress/obs_index"
replay fuzz_hdu_index "$tap_tmp/seed/hdu-index.fits.gz" \
    "$src/regress/hdu_index"
replay fuzz_regions "$src/corpus/regions" "$src/regress/regions"
replay fuzz_model "$tap_tmp/models" "$src/regress/model"
replay fuzz_catalog "$src/corpus/catalog" "$src/regress/catalog"

tap_plan $tap_n
exit 0
