#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# [exclude] targets (doc/offbkg.ini.5) on a simulated store whose runs
# 1-10 observed a source (2000 events, sigma 0.1 deg, 1 deg from the
# pointing; their obs-index RA_OBJ/DEC_OBJ is its position) and runs
# 11-30 nothing: without exclusion the model is biased against the
# truth (about +9%) and the 10 runs are warned about once; with
# targets = true it is unbiased (within 1%), nothing is warned, and
# report.json gives each run's target and where it came from. The store
# entries change with targets and target_radius_deg. With astropy, copies
# of the store give the target from the EVENTS header (also for runs
# from the store) and by OBJECT name in a catalog.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
summary() { "$OFFBKG_TEST_TOOLS/bkg_summary" "$@"; }

# The model's default 2D binning is truth.txt's 2D region (0.1-100 TeV,
# offset < 2.5 deg): simulated where the model looks.
"$OFFBKG" simulate "$T/s" --runs 30 --events 8000 --energy 0.1,100 \
    --theta-max 3 --seed 5 --source 2000,0.1,1.0 \
    --source-runs 1,2,3,4,5,6,7,8,9,10 -q >"$T/sim.out" 2>&1
ok $? "simulate 30 runs, a source 1 deg from the pointing in runs 1-10"
truth="$T/s/truth.txt"

# ini OUT [EXCLUDE LINES...]: one zenith group, a 2D model.
ini() {
    o=$1
    shift
    printf '[datastore]\npath = s\n[output]\ndir = %s\n[select]\nplugin = all\n' "$o"
    printf '[group]\nplugin = zenith\nedges_deg = 0, 90\n[model 2d]\nplugin = 2d\n'
    if [ $# -gt 0 ]; then
        echo "[exclude]"
        printf '%s\n' "$@"
    fi
}

# bias DIR: the model's events in the 2D region (rate x dOmega x dE
# summed, times the runs' time) against the truth's mu_in_2d, minus 1.
bias() {
    r=$(summary "$1/background_2D_group_000_table.fits.gz" \
        | sed -n 's/^rate_integral_per_s //p')
    awk -v r="$r" '$1 == "run_columns" { for (i = 3; i <= NF; i++) c[$i] = i; next }
        $1 == "run" { t += $(c["time_s"]); m += $(c["mu_in_2d"]) }
        END { printf "%+.4f\n", r * t / m - 1 }' "$truth"
}

# ---- without exclusion: biased, and warned about
ini none >"$T/none.ini"
run_offbkg run "$T/none.ini"
ok $status "no exclusion: models (exit $status)"
b=$(bias "$T/none")
echo "# no exclusion: bias $b"
ok $(awk -v b="$b" 'BEGIN { exit !(b > 0.06) }'; echo $?) \
    "no exclusion: the model is biased by the source (bias $b > +6%)"
ok $(test "$(echo "$err" | grep -c 'warning: 10 runs observed a target within 2.5 deg of the pointing')" -eq 1; echo $?) \
    "no exclusion: one warning, counting the 10 runs"
rep="$T/none/report.json"
ok $(grep -q '"targets": {"excluded": false, "radius_deg": null, "field_of_view_deg": 2.5, "runs_in_field_not_excluded": 10, "runs_without_target": 20, "runs_target_not_read": 0}' "$rep"; echo $?) \
    "report.json: 10 runs with an unexcluded target in the field, 20 without a target"
# Each run's target: runs 1-10 at the truth's source position, from the
# obs-index, unexcluded; the others none.
awk 'NR == FNR { if ($1 == "run_columns") for (i = 3; i <= NF; i++) c[$i] = i
                 else if ($1 == "run") { ra[$3] = $(c["src_ra_deg"]); dec[$3] = $(c["src_dec_deg"]) }
                 next }
    /"obs_id": [0-9]*, "group_id"/ {
        id = $0; sub(/.*"obs_id": /, "", id); sub(/,.*/, "", id); id += 0
        t = $0; sub(/.*"target": \{/, "", t); n++
        if (id <= 10) {
            split(t, f, /[:,] */)
            d = f[2] - ra[id]; e = f[4] - dec[id]
            if (d * d + e * e > 1e-18 \
                || t !~ /"from": "obs-index RA_OBJ\/DEC_OBJ", "in_field_not_excluded": true/) bad++
        } else if (t !~ /^"ra_deg": null, "dec_deg": null, "from": "none: .*"in_field_not_excluded": false/)
            bad++
    }
    END { exit n != 30 || bad }' "$truth" "$rep"
ok $? "report.json: runs 1-10's target is the source, from the obs-index; the others have none"

# ---- targets = true: unbiased, nothing to warn about
ini yes "targets = true" >"$T/yes.ini"
run_offbkg run "$T/yes.ini"
ok $status "targets = true: models (exit $status)"
b=$(bias "$T/yes")
echo "# targets = true: bias $b"
ok $(awk -v b="$b" 'BEGIN { exit !(b < 0.01 && b > -0.01) }'; echo $?) \
    "targets = true: the model is unbiased (|bias $b| < 1%)"
ok $(! echo "$err" | grep -q 'observed a target' \
     && echo "$err" | grep -q 'warning: \[exclude\] targets: 20 runs with no known target position'; echo $?) \
    "targets = true: no run's target left unexcluded; the 20 runs without a target are warned about"
ok $(grep -q '"targets": {"excluded": true, "radius_deg": 0.29999999999999999, "field_of_view_deg": 2.5, "runs_in_field_not_excluded": 0, "runs_without_target": 20, "runs_target_not_read": 0}' "$T/yes/report.json"; echo $?) \
    "report.json: targets excluded with 0.3 deg, none left in the field"

# ---- the store: entries change with targets and target_radius_deg
# stored OUT TIMES: whether report.json of OUT says "store": TIMES
# (filled or read) for all 30 runs.
stored() {
    test "$(grep -c "\"store\": \"$2\"" "$1/report.json")" -eq 30
}
{ ini st0; printf '[store]\ndir = store\n'; } >"$T/st0.ini"
{ ini st1 "targets = true"; printf '[store]\ndir = store\n'; } >"$T/st1.ini"
{ ini st2 "targets = true" "target_radius_deg = 0.4"; printf '[store]\ndir = store\n'; } >"$T/st2.ini"
{ ini st3 "targets = true" "target_radius_deg = 0.4"; printf '[store]\ndir = store\n'; } >"$T/st3.ini"
run_offbkg -q run "$T/st0.ini"
ok $(test $status -eq 0 && stored "$T/st0" filled; echo $?) \
    "store: filled without targets"
run_offbkg -q run "$T/st1.ini"
ok $(test $status -eq 0 && stored "$T/st1" filled \
     && test "$(model_digests "$T/st1")" = "$(model_digests "$T/yes")"; echo $?) \
    "store: targets = true reads every run again, and makes the model made without the store"
run_offbkg -q run "$T/st2.ini"
ok $(test $status -eq 0 && stored "$T/st2" filled; echo $?) \
    "store: another target_radius_deg reads every run again"
run_offbkg -q run "$T/st3.ini"
ok $(test $status -eq 0 && stored "$T/st3" read \
     && test "$(model_digests "$T/st3")" = "$(model_digests "$T/st2")" \
     && grep -q '"runs_in_field_not_excluded": 0, ' "$T/st3/report.json"; echo $?) \
    "store: the same again is read from the store, the same model"

# ---- a bad radius is the configuration's error, at its line
ini bad "targets = true" "target_radius_deg = 0" >"$T/bad.ini"
run_offbkg run "$T/bad.ini"
ok $(test $status -eq 2 && echo "$err" | grep -q 'bad.ini:14: \[exclude\] target_radius_deg' \
     && test ! -e "$T/bad"; echo $?) \
    "target_radius_deg = 0: exit 2 naming bad.ini:14, nothing written"

# ---- the target in the events header: the obs-index without RA_OBJ and
# DEC_OBJ, the source runs' EVENTS headers with them (astropy writes it).
python=
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 \
       && "$py" -c "import astropy.io.fits" >/dev/null 2>&1; then
        python=$py
        break
    fi
done
if [ -z "$python" ]; then
    echo "# no python3 with astropy: the events header's target is not tested"
    tap_plan $tap_n
    exit 0
fi
cp -r "$T/s" "$T/h"
"$python" - "$T/h" <<'PY'
import sys
from astropy.io import fits
from astropy.table import Table
d = sys.argv[1]
t = Table.read(d + "/obs-index.fits.gz", hdu="OBS_INDEX")
meta = fits.getheader(d + "/obs-index.fits.gz", "OBS_INDEX")
ra = {int(r["OBS_ID"]): (float(r["RA_OBJ"]), float(r["DEC_OBJ"])) for r in t}
t.remove_columns(["RA_OBJ", "DEC_OBJ"])
h = fits.BinTableHDU(t, name="OBS_INDEX")
for k in ("HDUCLASS", "HDUDOC", "HDUVERS", "HDUCLAS1", "HDUCLAS2", "MJDREFI",
          "MJDREFF", "TIMEUNIT", "TIMESYS", "TIMEREF", "GEOLON", "GEOLAT",
          "ALTITUDE"):
    if k in meta:
        h.header[k] = meta[k]
h.writeto(d + "/obs-index.fits.gz", overwrite=True)
for i in range(1, 11):
    p = d + "/data/run_%06d.fits.gz" % i
    with fits.open(p) as f:
        f["EVENTS"].header["RA_OBJ"] = ra[i][0]
        f["EVENTS"].header["DEC_OBJ"] = ra[i][1]
        f.writeto(p + ".new.fits.gz")
    import os
    os.replace(p + ".new.fits.gz", p)
PY
ok $? "a copy of the store with RA_OBJ/DEC_OBJ in the source runs' EVENTS headers only"
hini() { ini "$@" | sed 's/^path = s$/path = h/'; }
{ hini hd "targets = true"; printf '[store]\ndir = hstore\n'; } >"$T/hd.ini"
{ hini hd2 "targets = true"; printf '[store]\ndir = hstore\n'; } >"$T/hd2.ini"
run_offbkg run "$T/hd.ini"
ok $status "header targets: models (exit $status)"
b=$(bias "$T/hd")
echo "# targets from the events headers: bias $b"
ok $(awk -v b="$b" 'BEGIN { exit !(b < 0.01 && b > -0.01) }' \
     && test "$(grep -c '"from": "events header RA_OBJ/DEC_OBJ", "in_field_not_excluded": false' "$T/hd/report.json")" -eq 10 \
     && grep -q '"runs_in_field_not_excluded": 0, "runs_without_target": 20, "runs_target_not_read": 0}' "$T/hd/report.json"; echo $?) \
    "header targets: the 10 runs' targets from the events headers, excluded; unbiased (bias $b)"
run_offbkg run "$T/hd2.ini"
ok $(test $status -eq 0 && stored "$T/hd2" read \
     && test "$(model_digests "$T/hd2")" = "$(model_digests "$T/hd")" \
     && grep -q '"runs_in_field_not_excluded": 0, "runs_without_target": 0, "runs_target_not_read": 30}' "$T/hd2/report.json" \
     && ! echo "$err" | grep -q 'no known target'; echo $?) \
    "header targets from the store: the same model, the targets said to be not read, no warning that nothing was excluded"

# ---- the target by name: no RA_OBJ/DEC_OBJ anywhere, the OBJECT of runs
# 1-10 in the obs-index ("SIM SOURCE") and of runs 11-30 in the EVENTS
# header only ("OFF field"; the obs-index says "unknown field"), both
# names in a catalog with other case and blanks, far from every field.
cp -r "$T/s" "$T/n"
"$python" - "$T/n" <<'PY'
import sys
from astropy.io import fits
p = sys.argv[1] + "/obs-index.fits.gz"
with fits.open(p) as f:
    h = f["OBS_INDEX"]
    cols = [c for c in h.columns if c.name not in ("RA_OBJ", "DEC_OBJ")]
    new = fits.BinTableHDU.from_columns(cols, header=h.header, name="OBS_INDEX")
    for r in new.data:
        if r["OBS_ID"] > 10:
            r["OBJECT"] = "unknown field"
    fits.HDUList([f[0], new]).writeto(p + ".new.fits.gz")
import os
os.replace(p + ".new.fits.gz", p)
PY
ok $? "a copy of the store without RA_OBJ/DEC_OBJ, runs 11-30 named only in their EVENTS headers"
printf 'NAME,RA,DEC,RADIUS\n"Sim Source",10,80,0.1\n"off  field",20,80,0.1\n' >"$T/cat.csv"
ini nm "targets = true" "catalog = cat.csv" | sed 's/^path = s$/path = n/' >"$T/nm.ini"
run_offbkg run "$T/nm.ini"
ok $(test $status -eq 0 \
     && test "$(grep -c '"target": {"ra_deg": 10, "dec_deg": 80, "from": "obs-index OBJECT in the catalogs", "in_field_not_excluded": false}' "$T/nm/report.json")" -eq 10 \
     && test "$(grep -c '"target": {"ra_deg": 20, "dec_deg": 80, "from": "events header OBJECT in the catalogs", "in_field_not_excluded": false}' "$T/nm/report.json")" -eq 20 \
     && grep -q '"runs_in_field_not_excluded": 0, "runs_without_target": 0, "runs_target_not_read": 0}' "$T/nm/report.json"; echo $?) \
    "OBJECT resolved in the catalog: runs 1-10 by the obs-index's name, runs 11-30 by the header's"

tap_plan $tap_n
exit 0
