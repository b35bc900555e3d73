#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Catalog exclusion ([exclude] catalog, doc/exclude.md) end to end on a
# simulated data store: two circles given as catalog rows (sexagesimal
# RA/Dec, a quoted name with a comma, one RADIUS, one extension x
# extension_scale, in two catalogs with a far source besides) make the
# same models bit for bit as the same circles in circles_deg, and other
# models than no exclusion; the contribution store notices a change of
# extension_scale (its entries are stale) and reuses them otherwise.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp

run_offbkg simulate "$T/store" --runs 3 --events 2000
ok $status "simulate writes the test store"

# The simulation is seeded: the circles fall in the fields of view of
# OBS_ID 1 (pointed at 345.29, -22.75) and 3 (321.80, -49.78).
cat >"$T/base.ini" <<INI
[datastore]
path = store
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 30, 60
[model 2d]
plugin = 2d
[model radec]
plugin = 3d
radec_lon_sign = gadf
INI
cat >"$T/a.csv" <<'CSV'
# Source A: a RADIUS; B: extension 0.3 x extension_scale 2 = 0.6 deg
Source_Name,RAJ2000,DEJ2000,Radius,Extension
"Src A, the first",23h02m00s,-22:30:00,0.4,
Src B,21 30 00,-49d00m00s,,0.3
CSV
printf 'NAME,GLON,GLAT\r\n"far, away",120,60\r\n' >"$T/b.csv"
{ cat "$T/base.ini"; printf '[output]\ndir = none\n'; } >"$T/none.ini"
{ cat "$T/base.ini"; printf '[output]\ndir = circles\n[exclude]\ncircles_deg = 345.5, -22.5, 0.4, 322.5, -49.0, 0.6\n'; } >"$T/circles.ini"
{ cat "$T/base.ini"; printf '[output]\ndir = catalog\n[exclude]\ncatalog = a.csv, b.csv\n[store]\ndir = contrib\n'; } >"$T/catalog.ini"

for c in none circles catalog; do
    run_offbkg -q run "$T/$c.ini"
    ok $status "models with exclusion '$c' (exit $status)"
    model_digests "$T/$c" >"$T/$c.dig"
done
ok $(test "$(wc -l <"$T/catalog.dig")" -ge 2 \
     && cmp -s "$T/circles.dig" "$T/catalog.dig"; echo $?) \
    "the catalogs make the same models bit for bit as circles_deg"
ok $(! cmp -s "$T/none.dig" "$T/catalog.dig"; echo $?) \
    "and other models than no exclusion"
ok $(grep -q '"obs_id": 1, .*"exclusion_regions": 1,' "$T/catalog/report.json" \
     && grep -q '"obs_id": 3, .*"exclusion_regions": 1,' "$T/catalog/report.json"; echo $?) \
    "a catalog circle falls in the fields of OBS_ID 1 and 3"

# The store: reused as it is; stale once the circles change.
run_offbkg run "$T/catalog.ini" --set output.dir="$T/again"
ok $(test $status -eq 0 && grep -q "3 from the store, 0 read" "$T/out"; echo $?) \
    "the same catalogs again: every run from the store (exit $status)"
run_offbkg run "$T/catalog.ini" --set output.dir="$T/wider" \
    --set exclude.extension_scale=3
ok $(test $status -eq 0 && grep -q "0 from the store, 3 read" "$T/out"; echo $?) \
    "extension_scale = 3: every entry is stale and the runs are read again (exit $status)"
model_digests "$T/wider" >"$T/wider.dig"
ok $(! cmp -s "$T/catalog.dig" "$T/wider.dig"; echo $?) \
    "and the models change"

tap_plan $tap_n
