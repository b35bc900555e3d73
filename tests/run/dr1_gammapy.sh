#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The DR1 example end to end: `offbkg run doc/examples/hess-dr1.ini`, then
# gammapy 1.0 opens the output store and finds our models through
# DataStore.obs(id).bkg. Also: swapping a smoother in the INI changes the
# smoothed files without a rebuild, and a second run without overwrite
# refuses and changes nothing.
. "$top_srcdir/tests/run/tap.sh"

dr1=${OFFBKG_DR1:-}
if [ -z "$dr1" ]; then
    echo "1..0 # SKIP set OFFBKG_DR1 to a copy of the H.E.S.S. DL3 DR1 data store"
    exit 0
fi
if [ ! -f "$dr1/obs-index.fits.gz" ]; then
    echo "1..0 # SKIP the H.E.S.S. DR1 data store is not at $dr1"
    exit 0
fi
tap_plan 8
ini="$top_srcdir/doc/examples/hess-dr1.ini"
summary="$OFFBKG_TEST_TOOLS/bkg_summary"
m="$tap_tmp/models"

run_offbkg --set "datastore.path=$dr1" --set "output.dir=$m" run "$ini"
ok $(test $status -eq 0 && test -f "$m/smooth_background_3D_group_001_table.fits.gz" \
     && test -f "$m/report.json"; echo $?) \
    "offbkg run doc/examples/hess-dr1.ini writes raw and smoothed 2D and 3D models"

if find_gammapy_python; then
    "$python" "$top_srcdir/tests/gammapy/check_dr1_store.py" "$m" \
        >"$tap_tmp/py.out" 2>&1
    status=$?
    tap_checks "$tap_tmp/py.out"
    ok $status "check_dr1_store.py ran to the end ($python)"
else
    for i in 1 2 3 4 5; do
        echo "ok $i # SKIP no python3 that can import gammapy"
    done
    tap_n=$((tap_n + 5))
fi

# Another smoother is an edit of the INI: the raw models stay the same,
# the smoothed ones change.
run_offbkg --set "datastore.path=$dr1" --set "output.dir=$tap_tmp/g2d" \
    --set "smooth 3d.plugin=gauss2d" run "$ini"
f=background_3D_group_000_table.fits.gz
raw1=$(${OFFBKG_WRAPPER:-} "$summary" "$m/$f" 8,25,25 8,10,40)
raw2=$(${OFFBKG_WRAPPER:-} "$summary" "$tap_tmp/g2d/$f" 8,25,25 8,10,40)
sm1=$(${OFFBKG_WRAPPER:-} "$summary" "$m/smooth_$f" 8,25,25 8,10,40)
sm2=$(${OFFBKG_WRAPPER:-} "$summary" "$tap_tmp/g2d/smooth_$f" 8,25,25 8,10,40)
ok $(test $status -eq 0 && test "$raw1" = "$raw2" && test "$sm1" != "$sm2"; echo $?) \
    "[smooth 3d] plugin = gauss2d instead of k5a changes only the smoothed files"

# Without overwrite a second run refuses before any work.
ls -l --time-style=full-iso "$m" >"$tap_tmp/before"
cksum "$m"/* >"$tap_tmp/sums.before"
run_offbkg --set "datastore.path=$dr1" --set "output.dir=$m" run "$ini"
cksum "$m"/* >"$tap_tmp/sums.after"
ok $(test $status -eq 1 && echo "$err" | grep -q "exists; remove it or set \[output\] overwrite = true" \
     && cmp -s "$tap_tmp/sums.before" "$tap_tmp/sums.after"; echo $?) \
    "a second run without overwrite refuses (exit 1) and changes nothing"
