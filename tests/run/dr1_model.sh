#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Real-data regression (doc/domain.md §6.3, §8.4): the old-style 2D model of
# the H.E.S.S. DR1 'offplane & offdata' runs, with the old settings
# (livetime, default binning, no exclusion), must reproduce the measured
# counts exactly, and the result must not depend on the thread count.
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
tap_plan 9
summary="$OFFBKG_TEST_TOOLS/bkg_summary"

cat >"$tap_tmp/dr1.ini" <<INI
[datastore]
path = $dr1
[output]
dir = $tap_tmp/models
[select]
plugin = column
where = TARGET_TAG == offdata, |GLAT_PNT| > 5
[group]
plugin = zenith
[model]
plugin = 2d
time_base = livetime
INI

run_offbkg -j 2 run "$tap_tmp/dr1.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "selected 44 of 105 runs" \
     && echo "$out" | grep -q "group 0: 39 runs" \
     && echo "$out" | grep -q "group 1: 5 runs"; echo $?) \
    "offdata & |GLAT_PNT| > 5: 44 runs, 39 in zenith group 0 and 5 in group 1"

# The cells of bins 0-9 at 1-1.585 TeV (energy bin 5), for the rate.
cells="5,0 5,1 5,2 5,3 5,4 5,5 5,6 5,7 5,8 5,9"
g0="$tap_tmp/models/background_2D_group_000_table.fits.gz"
g1="$tap_tmp/models/background_2D_group_001_table.fits.gz"
s0=$(${OFFBKG_WRAPPER:-} "$summary" "$g0" $cells)
s1=$(${OFFBKG_WRAPPER:-} "$summary" "$g1")

ok $(echo "$s0" | grep -qx "counts 302188"; echo $?) \
    "group 0 holds exactly 302,188 counts in the binning"
ok $(echo "$s1" | grep -qx "counts 23811"; echo $?) \
    "group 1 holds exactly 23,811 counts"
want="24 57435 124278 58265 24958 13520 8630 5883 4075 2476 1470 704 306 138 26"
got=$(echo "$s0" | awk '$1 == "counts_e" { printf "%s%s", sep, $3; sep = " " }')
ok $(test "$got" = "$want"; echo $?) \
    "group 0 counts per energy bin match doc/domain.md §6.3 ($got)"
ok $(echo "$s1" | awk '$1 == "counts_e" && $2 < 3 { n++; if ($3 != 0) bad = 1 }
                      END { exit bad || n != 3 }'; echo $?) \
    "group 1 has no counts below 0.4 TeV (higher threshold at large zenith)"
ok $(echo "$s0" | grep -qx "exposure_max_s 60475.91" \
     && echo "$s1" | grep -qx "exposure_max_s 7613.61"; echo $?) \
    "livetimes 60,475.91 s and 7,613.61 s"
# The mean rate over r < 0.79 deg at 1 TeV: 9.84e-5 s-1 MeV-1 sr-1 (equal
# solid angle bins, so the plain mean), within 1 %.
ok $(echo "$s0" | awk '$1 == "rate" { sum += $3; n++ }
     END { m = sum / n; exit !(n == 10 && m > 9.84e-5 * 0.99 && m < 9.84e-5 * 1.01) }'; echo $?) \
    "group 0 rate at 1-1.585 TeV within 0.79 deg is 9.84e-5 s-1 MeV-1 sr-1"
ok $(test "$(printf '%s\n%s\n' "$s0" "$s1" | grep -cx "nonfinite 0")" -eq 2; echo $?) \
    "no NaN or inf in either model"

# Same results with one thread: every value identical.
sed "s|^dir = .*|dir = $tap_tmp/models1|" "$tap_tmp/dr1.ini" >"$tap_tmp/dr1-j1.ini"
run_offbkg -j 1 run "$tap_tmp/dr1-j1.ini"
t0=$(${OFFBKG_WRAPPER:-} "$summary" "$tap_tmp/models1/background_2D_group_000_table.fits.gz" $cells)
ok $(test $status -eq 0 && test "$t0" = "$s0"; echo $?) \
    "one thread gives the same model as two"
