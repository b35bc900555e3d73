#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The IRF class warning end to end (core/irf_class.c): `offbkg run` on a
# simulated store whose runs get a POINT-LIKE effective area
# (tests/tools/add_aeff) warns once that full-enclosure models are built
# from it, and still makes them; the same store with FULL-ENCLOSURE ones,
# and without any, does not warn (the debug log shows the class was
# read).
. "$top_srcdir/tests/run/tap.sh"

add_aeff="$OFFBKG_TEST_TOOLS/add_aeff"
if [ ! -x "$add_aeff" ]; then
    echo "Bail out! $add_aeff is not an executable (run through make check)"
    exit 1
fi
tap_plan 6
T=$tap_tmp

# store NAME [CLASS]: a small simulated store, with CLASS IRFs if given,
# and run.ini beside it.
store() {
    "$OFFBKG" simulate "$T/$1" -q --runs 3 --events 1000 || {
        echo "Bail out! offbkg simulate failed"
        exit 1
    }
    if [ -n "${2:-}" ] && ! "$add_aeff" "$T/$1" "$2"; then
        echo "Bail out! add_aeff failed"
        exit 1
    fi
    cat >"$T/$1.ini" <<INI
[datastore]
path = $T/$1
[output]
dir = $T/$1-models
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 90
[model]
plugin = 2d
INI
}

store point POINT-LIKE
run_offbkg -v -v run "$T/point.ini"
ok $(test $status -eq 0 \
     && test "$(echo "$err" | grep -c "warning: the data store $T/point has POINT-LIKE IRFs")" -eq 1 \
     && echo "$err" | grep -q "HDUCLAS3 of $T/point/aeff.fits\[AEFF\], OBS_ID 1; 1 of the 1 effective areas read): the background models built from it are full-enclosure"; echo $?) \
    "a POINT-LIKE store: one warning naming the file, and the run succeeds"
ok $(test -f "$T/point-models/background_2D_group_000_table.fits.gz"; echo $?) \
    "the models are still made"

store full FULL-ENCLOSURE
run_offbkg -v -v run "$T/full.ini"
ok $(test $status -eq 0 && echo "$err" | grep -q "HDUCLAS3 = 'FULL-ENCLOSURE' in $T/full/aeff.fits\[AEFF\]"; echo $?) \
    "a FULL-ENCLOSURE store: its class is read"
ok $(! echo "$err" | grep -q "POINT-LIKE"; echo $?) \
    "a FULL-ENCLOSURE store: no warning"

store none
run_offbkg -v -v run "$T/none.ini"
ok $(test $status -eq 0; echo $?) "a store without IRFs runs"
ok $(! echo "$err" | grep -q "POINT-LIKE\|HDUCLAS3"; echo $?) \
    "a store without IRFs: nothing said about them"

exit 0
