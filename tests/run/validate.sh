#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The science of offbkg validate (doc/validate.md) on simulated stores
# whose truth is known, for three strategies on one 2D model: the group
# models ([match group] plugin = group), the 10 runs nearest in zenith
# ([match near] plugin = nearest) and the interpolation between the two
# zenith groups ([match zen] plugin = zenith):
#   (a) one rate for every run: the run-wise systematic is consistent
#       with 0 and the cells' significances are Normal(0, 1);
#   (b) a 5% lognormal scatter of the runs' rates: sigma_sys finds 5%;
#   (c) a rate growing as 1/cos(zenith): the group models, flat within
#       each zenith group, have a larger systematic than the zenith
#       interpolation and the nearest runs, and the ranking says so;
#   (d) one run with a bright source nobody excluded: it is an outlier of
#       every strategy, and (nearly) no other run is.
# The numbers are read from report.json (python3's json), and checked
# against validation.fits where python3 has astropy.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp

python=
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 \
       && "$py" -c "import json" >/dev/null 2>&1; then
        python=$py
        break
    fi
done
if [ -z "$python" ]; then
    echo "1..0 # SKIP no python3 to read report.json"
    exit 0
fi

# The stores: 60 runs over zenith 10-60 deg, simulated only where the
# model looks (0.1-100 TeV; offsets to 3 deg, the model's 2.5 and a
# margin), so that no event is drawn and read for nothing. Not under the
# valgrind wrapper: simulate is not what is tested here (and 3.5 million
# events under memcheck would take minutes).
dom="--runs 60 --zenith 10,60 --energy 0.1,100 --theta-max 3 -q"
# store NAME ARGS...: simulate $T/NAME.
store() {
    s_name=$1
    shift
    "$OFFBKG" simulate "$T/$s_name" $dom "$@" >"$T/sim.out" 2>&1
    s_st=$?
    sed 's/^/# simulate: /' "$T/sim.out"
    ok $s_st "simulate $s_name: $*"
}
# (a) about 32000 events per run in the model's region: enough cells with
# >= 50 predicted counts (about 9500) for the significances' mean and
# width to be known to 0.01 (below).
store flat --events 35000 --seed 1
# (b), (c), (d): about 6800 events per run in the region, a Poisson error
# of 1.2% per run, well below the effects measured (5% to 30%).
store scatter --events 8000 --seed 2 --run-scatter 0.05
store zenith --events 8000 --seed 3 --zenith-scaling
# 2000 source events (E^-2, all in the model's energy range, 0.5 deg from
# the pointing) on about 6800 of background: run 23 has 30% more counts.
store source --events 8000 --seed 4 --source 2000,0.1 --source-runs 23

# ini STORE OUT: the three strategies on two zenith groups split at
# 35 deg. The 2D model has 15 x 60 cells (coarser than the default 15 x
# 99) and only cells of >= 50 predicted counts enter the significances:
# there the signed significance is close to Normal (its Poisson skew
# shifts the mean by about -1/(6 sqrt(mu)), -0.024 at mu = 50). Cells
# are chosen by their prediction, which is itself noisy: those predicted
# too high pass the cut more often, a negative bias that grows with the
# prediction's error (measured on a store of 60 runs of 6000 counts with
# the default binning and min_predicted = 10: mean -0.059 for the 10
# nearest runs, -0.035 with the cells chosen on all runs' mean instead).
ini() {
    cat <<INI
[datastore]
path = $1
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 35, 90
[model]
plugin = 2d
energy_n = 15
offset_n = 60
[match group]
plugin = group
[match near]
plugin = nearest
columns = ZEN_PNT
min_runs = 10
max_runs = 10
[match zen]
plugin = zenith
[validate]
min_predicted = 50
[output]
dir = $2
INI
}

for s in flat scatter zenith source; do
    ini "$T/$s" "$T/out-$s" >"$T/$s.ini"
    run_offbkg -q validate "$T/$s.ini"
    ok $(test $status -eq 0 && test -s "$T/out-$s/report.json" \
         && test -s "$T/out-$s/validation.fits"; echo $?) \
        "validate $s: exit $status, report.json and validation.fits written"
done

# The checks: one "CHECK ok|fail WHAT" line each (tap_checks), then
# "DONE" if the script ran to its end.
cat >"$T/check.py" <<'PY'
import json
import sys

case, report = sys.argv[1], sys.argv[2]
NAMES = ["group/model", "near/model", "zen/model"]


def check(cond, what):
    print("CHECK %s %s" % ("ok" if cond else "fail", what))


def pc(x):
    return "%.2f%%" % (100.0 * x)


def sys_text(s):
    return "%s [%s, %s]" % (pc(s["sigma_sys"]), pc(s["sigma_sys_lo"]),
                            pc(s["sigma_sys_hi"]))


with open(report) as f:
    v = json.load(f)["validation"]
st = {s["name"]: s for s in v["strategies"]}
check(sorted(st) == sorted(NAMES) and v["runs"] == 60
      and all(st[n]["predicted"] == 60 and not st[n]["skipped"]
              for n in NAMES),
      "%s: strategies %s, %d runs, each predicted in every strategy"
      % (case, ", ".join(sorted(st)), v["runs"]))

if case == "flat":
    for n in NAMES:
        s = st[n]
        sg = s["significance"]
        # No scatter in the truth. At the boundary 0 the 68% interval's
        # lower end is 0 in only ~84% of stores (doc/validate.md §3), so
        # "consistent with 0" is 0 inside the ~95% interval: the
        # likelihood near-parabolic, its lower end is sys - 2 (sys - lo),
        # i.e. lo <= sys / 2 (lo = 0 passes). And sys below 1%: the
        # Poisson error per run is 0.56% (32000 counts), so with 60 runs
        # the upper end of the interval is about 0.2%.
        check(s["sigma_sys"] < 0.01
              and 2 * s["sigma_sys_lo"] <= s["sigma_sys"],
              "flat %s: sigma_sys %s is consistent with 0 (< 1%%)"
              % (n, sys_text(s)))
        # About 9500 cells: errors 0.010 on the mean, 0.007 on the width.
        # Expected: mean -0.01 to -0.02 (the Poisson skew), width 1. The
        # tolerance 0.05 is the Poisson skew at mu = 50 (0.024) plus
        # 2.5 errors on the mean, and 7 errors on the width.
        check(abs(sg["mean"]) <= 0.05 and abs(sg["width"] - 1) <= 0.05,
              "flat %s: significances mean %.3f +- %.3f, width %.3f +- "
              "%.3f (%d cells): Normal(0, 1) within 0.05"
              % (n, sg["mean"], sg["mean_err"], sg["width"],
                 sg["width_err"], sg["cells"]))
        # The moments' errors of doc/validate.md §4, for a Normal parent:
        # width / sqrt(n) and width / sqrt(2 (n - 1)); and enough cells
        # for the tolerances above to mean something.
        k = sg["cells"]
        check(k >= 5000
              and abs(sg["mean_err"] / (sg["width"] / k ** 0.5) - 1) < 0.05
              and abs(sg["width_err"]
                      / (sg["width"] / (2.0 * (k - 1)) ** 0.5) - 1) < 0.05,
              "flat %s: the significances' errors are width/sqrt(n) and "
              "width/sqrt(2(n-1)) of n = %d cells" % (n, k))
        fit = sg["fit"]
        check(fit is not None and abs(fit["mean"]) <= 0.05
              and abs(fit["width"] - 1) <= 0.05,
              "flat %s: the binned Gaussian fit: mean %s, width %s"
              % (n, "%.3f" % fit["mean"] if fit else "none",
                 "%.3f" % fit["width"] if fit else "none"))
        # With every |pull| Normal(0, 1), one beyond 5 among 60 runs has
        # a probability of 3e-5.
        check(not s["outliers"],
              "flat %s: no outlier run (%s)"
              % (n, ", ".join(str(o["obs_id"]) for o in s["outliers"])
                 or "none"))

elif case == "scatter":
    for n in NAMES:
        s = st[n]
        # A 5% lognormal scatter of the runs' rates. The estimate's own
        # spread is about 0.45% (5% / sqrt(2 x 60)) and the 68% interval
        # is +-0.5%: 1% more on either side is 3 of its errors. The
        # prediction adds the scatter of the runs it is made of: 5% /
        # sqrt(10) for the 10 nearest runs, 5.24% in all, for the ~29
        # runs of a group 5.09%. And a scatter is found: lo > 2%.
        check(s["sigma_sys_lo"] - 0.01 <= 0.05 <= s["sigma_sys_hi"] + 0.01
              and s["sigma_sys_lo"] > 0.02,
              "scatter %s: sigma_sys %s finds the 5%% scatter (within "
              "its interval and 1%%)" % (n, sys_text(s)))

elif case == "zenith":
    g, z, nr = st["group/model"], st["zen/model"], st["near/model"]
    # The rate 1/cos(zenith) is 1.02 to 1.22 over the first group
    # (10-35 deg) and 1.22 to 2.0 over the second: the flat group models
    # miss by about 11% rms. Interpolating the two groups in cos(zenith)
    # follows the slope between the groups' mean zeniths but not beyond
    # them (~9% rms, most of it from the runs near 10 and 60 deg); the 10
    # runs nearest in zenith (within about 4 deg) miss least (~2.5%,
    # again from the ends of the range). Each is known to about 1%.
    check(g["sigma_sys"] > z["sigma_sys"] and g["sigma_sys"] > nr["sigma_sys"],
          "zenith: the group models' sigma_sys %s is larger than the zenith "
          "interpolation's %s and the nearest runs' %s"
          % (sys_text(g), sys_text(z), sys_text(nr)))
    order = sorted(NAMES, key=lambda n: st[n]["sigma_sys"])
    check(v["ranking"] == order
          and all(st[n]["rank"] == v["ranking"].index(n) + 1
                  for n in NAMES),
          "zenith: report.json's ranking %s is by sigma_sys, smallest "
          "first, and each strategy's rank is its place in it"
          % v["ranking"])
    check(v["ranking"] == ["near/model", "zen/model", "group/model"],
          "zenith: nearest ranks first, the group models last")

elif case == "source":
    for n in NAMES:
        s = st[n]
        out = {o["obs_id"]: o for o in s["outliers"]}
        o = out.get(23)
        # 30% more counts in run 23 against a 1.2% Poisson error: about
        # 20 total errors with sigma_sys estimated again without it
        # (doc/validate.md §7), still 7 with it in (sigma_sys then 4%);
        # the threshold is 5.
        check(o is not None and o["ratio"] > 1.15 and o["pull"] > 5,
              "source %s: run 23 (the unexcluded source) is an outlier: %s"
              % (n, "ratio %.3f +- %.3f, pull %.1f"
                 % (o["ratio"], o["ratio_err"], o["pull"]) if o else
                 "not listed"))
        # The source run is in the others' OFF samples: it raises the
        # predictions of the runs it is nearest to by ~3% (2000 / 10 on
        # 6800), of its group's by 1%: 2.5 and 1 Poisson errors, far from
        # 5 (and sigma_sys, 0.7% to 1.3% from these runs, adds to the
        # total error).
        others = sorted(k for k in out if k != 23)
        check(len(others) <= 1,
              "source %s: at most one other run is an outlier (%s)"
              % (n, ", ".join(map(str, others)) or "none"))
print("DONE")
PY

# The same numbers in validation.fits (its STRATEGIES and RUNS tables),
# where python3 has astropy.
cat >"$T/fits.py" <<'PY'
import json
import sys

from astropy.io import fits

case, report, path = sys.argv[1:4]
with open(report) as f:
    v = json.load(f)["validation"]
with fits.open(path) as h:
    strat = h["STRATEGIES"].data
    runs = h["RUNS"].data
    names = [str(x).strip() for x in strat["NAME"]]
    bad = []
    for s in v["strategies"]:
        if s["name"] not in names:
            bad.append(s["name"] + " missing")
            continue
        r = strat[names.index(s["name"])]
        for col, key in (("SYS", "sigma_sys"), ("SYS_LO", "sigma_sys_lo"),
                         ("SYS_HI", "sigma_sys_hi"), ("RATIO", "ratio")):
            if abs(r[col] - s[key]) > 1e-6 * max(1.0, abs(s[key])):
                bad.append("%s %s %r != %r" % (s["name"], col, r[col],
                                               s[key]))
        if int(r["RANK"]) != s["rank"] \
           or int(r["N_OUTLIERS"]) != len(s["outliers"]):
            bad.append("%s RANK or N_OUTLIERS" % s["name"])
        mine = runs[[str(x).strip() == s["name"] for x in runs["STRATEGY"]]]
        flagged = sorted(int(x) for x in mine["OBS_ID"][mine["OUTLIER"]])
        if flagged != sorted(o["obs_id"] for o in s["outliers"]):
            bad.append("%s OUTLIER %s" % (s["name"], flagged))
    print("CHECK %s %s: validation.fits STRATEGIES and RUNS agree with "
          "report.json (sigma_sys, interval, ratio, rank, outliers)%s"
          % ("fail" if bad else "ok", case,
             ": " + "; ".join(bad[:5]) if bad else ""))
PY
astropy=no
"$python" -c "import astropy.io.fits" >/dev/null 2>&1 && astropy=yes

for s in flat scatter zenith source; do
    "$python" "$T/check.py" "$s" "$T/out-$s/report.json" >"$T/py.out" 2>&1
    tap_checks "$T/py.out"
    ok $(grep -q '^DONE$' "$T/py.out"; echo $?) "$s: the checks of report.json ran to the end"
    if [ $astropy = yes ]; then
        "$python" "$T/fits.py" "$s" "$T/out-$s/report.json" \
            "$T/out-$s/validation.fits" >"$T/py.out" 2>&1
        grep -q '^CHECK ' "$T/py.out" || echo "CHECK fail $s: validation.fits could not be read" >>"$T/py.out"
        tap_checks "$T/py.out"
    else
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP $python has no astropy: validation.fits not read"
    fi
done

tap_plan $tap_n
