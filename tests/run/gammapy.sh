#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Cross-check with gammapy 1.0: write background files with known values
# (tests/tools/write_test_cubes), then let tests/gammapy/check_bkg.py
# load them with gammapy and compare. Skipped when no python3 can import
# gammapy. Each "CHECK ok|fail WHAT" line of the script becomes a TAP
# result; its other lines are shown as diagnostics.
. "$top_srcdir/tests/run/tap.sh"

if ! find_gammapy_python; then
    echo "1..0 # SKIP no python3 that can import gammapy"
    exit 0
fi

${OFFBKG_WRAPPER:-} "$OFFBKG_TEST_TOOLS/write_test_cubes" "$tap_tmp" \
    >"$tap_tmp/gen.out" 2>&1
status=$?
sed 's/^/# /' "$tap_tmp/gen.out"
ok $status "write_test_cubes writes the 2D and 3D test files"

"$python" "$top_srcdir/tests/gammapy/check_bkg.py" "$tap_tmp" \
    >"$tap_tmp/py.out" 2>&1
status=$?
tap_checks "$tap_tmp/py.out"
ok $status "check_bkg.py ran to the end ($python)"
tap_plan $tap_n
