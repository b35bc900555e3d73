#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ALTAZ field-of-view coordinates against gammapy 1.0 (issue 8): for DR1
# runs from alt 37 deg to 89 deg, tests/tools/altaz_fov prints the FoV
# position model/3d gives each event within 3 deg of the pointing, and
# tests/gammapy/check_altaz_fov.py compares it with gammapy's sky_to_fov
# on astropy's AltAz. Then an ALTAZ model built by `offbkg run` from a
# store that `offbkg simulate --fov-alignment altaz` wrote must load in
# gammapy as FoVAlignment.ALTAZ and evaluate to what we wrote. Skipped
# without DR1 or without gammapy.
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
if ! find_gammapy_python; then
    echo "1..0 # SKIP no python3 that can import gammapy"
    exit 0
fi
# 29526 alt 37, 23523 alt 41, 20517 alt 71, 29024 alt 82-87, 27121 alt
# 86-89 (the hardest: the field turns fastest near the zenith)
runs="29526 23523 20517 29024 27121"
max_deg=3
tol_deg=0.05

for r in $runs; do
    ${OFFBKG_WRAPPER:-} "$OFFBKG_TEST_TOOLS/altaz_fov" "$dr1" "$r" $max_deg \
        >"$tap_tmp/$r.txt" 2>"$tap_tmp/$r.err"
    status=$?
    sed 's/^/# /' "$tap_tmp/$r.err"
    ok $status "altaz_fov prints the FoV coordinates of run $r"
done

"$python" "$top_srcdir/tests/gammapy/check_altaz_fov.py" "$dr1" "$tap_tmp" \
    $max_deg $tol_deg $runs >"$tap_tmp/py.out" 2>&1
status=$?
tap_checks "$tap_tmp/py.out"
ok $status "check_altaz_fov.py ran to the end ($python)"

run_offbkg simulate "$tap_tmp/sim" --runs 3 --events 20000 --asym-lon 0.2 \
    --fov-alignment altaz
cat >"$tap_tmp/altaz.ini" <<EOF
[datastore]
path = $tap_tmp/sim
[output]
dir = $tap_tmp/models
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 90
[model 3d]
plugin = 3d
fov_alignment = altaz
energy_n = 8
[index]
model = 3d
EOF
run_offbkg run "$tap_tmp/altaz.ini"
echo "$err" | sed 's/^/# /'
ok $status "offbkg run builds an ALTAZ model of a simulated ALTAZ store"
"$python" "$top_srcdir/tests/gammapy/check_altaz_fov.py" --models \
    "$tap_tmp/models" >"$tap_tmp/py2.out" 2>&1
status=$?
tap_checks "$tap_tmp/py2.out"
ok $status "check_altaz_fov.py --models ran to the end"
tap_plan $tap_n
