#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Cross-check with gammapy 1.0: write background files with known values
# (tests/tools/write_test_cubes), then let tests/gammapy/check_bkg.py
# load them with gammapy and compare. Skipped when no python3 can import
# gammapy. Each "CHECK ok|fail WHAT" line of the script becomes a TAP
# result; its other lines are shown as diagnostics.
. "$top_srcdir/tests/run/tap.sh"

# The Debian interpreter first: a pyenv shim earlier on PATH may lack numpy.
python=
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 \
       && "$py" -c "import gammapy" >/dev/null 2>&1; then
        python=$py
        break
    fi
done
if [ -z "$python" ]; then
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
while IFS= read -r line; do
    case $line in
    "CHECK ok "*) ok 0 "${line#CHECK ok }" ;;
    "CHECK fail "*) ok 1 "${line#CHECK fail }" ;;
    *) echo "# $line" ;;
    esac
done <"$tap_tmp/py.out"
ok $status "check_bkg.py ran to the end ($python)"
tap_plan $tap_n
