#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Outlier rejection ([exclude] outliers, doc/validate.md §9) on simulated
# stores whose truth is known: 30 runs in two zenith groups, three of them
# (5 and 6 in one group, 17 in the other) with a bright source nobody
# excluded (2000 events on about 6800 of background: 30% more counts).
#   - rejection leaves out exactly those three, the two of one group in
#     two rounds, and report.json and the log say so;
#   - the models, run.lis and obs.fits are then those of a run on the
#     other 27 runs, bit for bit (the group sums made again from the kept
#     runs are the model step's merge);
#   - the per-observation models of [match] nearest use none of them;
#   - with [store], group sums that hold them are not used;
#   - nothing is left out of the same store without the source, nor with
#     outliers = false (the default);
#   - an outlier_model that names no [model] is refused at its line.
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

dom="--runs 30 --zenith 10,60 --energy 0.1,100 --theta-max 3 -q"
"$OFFBKG" simulate "$T/src" $dom --events 8000 --seed 4 \
    --source 2000,0.1 --source-runs 5,6,17 >"$T/sim.out" 2>&1
ok $? "simulate a store with a source in runs 5, 6 and 17"
"$OFFBKG" simulate "$T/clean" $dom --events 8000 --seed 4 >"$T/sim.out" 2>&1
ok $? "simulate the same store without the source"

# ini STORE OUT OUTLIERS [SELECT-LINES] [EXTRA-LINES]
ini() {
    cat <<INI
[datastore]
path = $1
[select]
${4:-plugin = all}
[group]
plugin = zenith
edges_deg = 0, 35, 90
[model]
plugin = 2d
energy_n = 15
offset_n = 60
[exclude]
outliers = $3
$5
[output]
dir = $2
INI
}

# report.json's outliers: "OBS_ID@ROUND ..." or "none" (no such object).
removed() {
    "$python" - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
o = r.get("outliers")
if o is None:
    print("none")
else:
    print(" ".join("%d@%d" % (x["obs_id"], x["round"]) for x in o["removed"])
          or "-", "rounds=%d" % o["rounds"],
          "used=%d" % sum(g["runs"] for g in r["groups"]),
          "grouped=%d" % r["grouped"])
PY
}

ini "$T/src" "$T/out-src" true >"$T/src.ini"
run_offbkg run --strict "$T/src.ini"
ok $status "run --strict with outliers = true: exit $status (a run left out is no error)"
got=$(removed "$T/out-src/report.json")
ok $(test "$got" = "5@1 17@1 6@2 rounds=3 used=27 grouped=27"; echo $?) \
    "the three source runs left out, one per group per round: $got"
ok $(printf '%s\n' "$err" | grep -q "OBS_ID 6 left out: an outlier of \[model\] (round 2): ratio 1\.[0-9]* +- 0\.[0-9]* is [0-9.]* total errors above the mean"; echo $?) \
    "the log gives run 6's round, ratio and significance"
ok $(printf '%s\n' "$out" | grep -q "3 runs left out as outliers of \[model\] in 3 rounds"; echo $?) \
    "stdout counts the runs left out"
"$python" - "$T/out-src/report.json" >"$T/py.out" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
o = r["outliers"]
bad = [x for x in o["removed"]
       if not (x["ratio"] > 1.15 and x["pull"] > 5
               and abs(x["ratio"] - x["n_obs"] / x["n_pred"]) < 1e-12)]
print("CHECK %s each removed run has its ratio (> 1.15), pull (> 5) and "
      "counts%s" % ("fail" if bad else "ok", ": %s" % bad if bad else ""))
sk = {x["obs_id"]: x["skipped"] for x in r["runs"] if x["skipped"]}
print("CHECK %s report.json runs: exactly 5, 6, 17 skipped as outliers (%s)"
      % ("ok" if sorted(sk) == [5, 6, 17]
         and all("outlier" in v for v in sk.values()) else "fail", sk))
print("CHECK %s the last round judged 27 runs, systematic %.2f%% < 1%%"
      % ("ok" if o["judged"] == 27 and o["sigma_sys"] < 0.01 else "fail",
         100 * o["sigma_sys"]))
PY
tap_checks "$T/py.out"
n_lis=$(grep -c '^[0-9]' "$T/out-src/run.lis")
ok $(test "$n_lis" -eq 27 && ! grep -qx '5\|6\|17' "$T/out-src/run.lis"; echo $?) \
    "run.lis lists the 27 other runs ($n_lis)"

# The same models from a selection of the 27 runs, without rejection.
{ echo OBS_ID; seq 1 30 | grep -vx '5\|6\|17'; } >"$T/27.lis"
ini "$T/src" "$T/out-27" false "plugin = list
path = $T/27.lis" >"$T/27.ini"
run_offbkg -q run "$T/27.ini"
ok $status "run on the 27 runs of run.lis, outliers = false: exit $status"
a=$(model_digests "$T/out-src")
b=$(model_digests "$T/out-27")
ok $(test -n "$a" && test "$a" = "$b"; echo $?) \
    "the models without the outliers are those of the 27 runs, bit for bit"
# obs.fits alike but for its DATE card (the second it was written).
"$python" - "$T/out-src/obs.fits" "$T/out-27/obs.fits" <<'PY'
import sys
def cards(p):
    b = open(p, "rb").read()
    return [b[i:i + 80] for i in range(0, len(b), 80)
            if not b[i:i + 80].startswith(b"DATE    =")]
sys.exit(0 if cards(sys.argv[1]) == cards(sys.argv[2]) else 1)
PY
ok $? "obs.fits is that of the 27 runs (but its DATE)"

# [store] (doc/store.md §8): a run without rejection keeps its groups'
# sums, which hold the source runs; a run with rejection on the same
# store must not start from them: its models are again those of the 27.
sums() { ls "$T"/contrib/*/sums/*.fits.gz 2>/dev/null | wc -l; }
ini "$T/src" "$T/out-st0" false "" "[store]
dir = $T/contrib" >"$T/st0.ini"
run_offbkg -q run "$T/st0.ini"
n0=$(sums)
ini "$T/src" "$T/out-st1" true "" "[store]
dir = $T/contrib" >"$T/st1.ini"
run_offbkg -q run "$T/st1.ini"
got=$(removed "$T/out-st1/report.json")
ok $(test $status -eq 0 && test "$n0" -ge 2 && test "$(sums)" -eq "$n0" \
     && test "$got" = "5@1 17@1 6@2 rounds=3 used=27 grouped=27" \
     && test "$(model_digests "$T/out-st1")" = "$b"; echo $?) \
    "[store] with the group sums of all 30 runs ($n0): rejection uses none and writes none, the same 3 left out, the models of the 27 ($got)"

# Per-observation models: no target is matched with a run left out.
ini "$T/src" "$T/out-near" true "" "[match]
plugin = nearest
columns = ZEN_PNT
min_runs = 8
max_runs = 8" >"$T/near.ini"
run_offbkg -q run "$T/near.ini"
ok $status "run with [match] nearest and outliers = true: exit $status"
"$python" - "$T/out-near/report.json" >"$T/py.out" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
used = set(m["obs_id"] for t in r["match"]["targets"] for m in t["matched"])
out = sorted(x["obs_id"] for x in r["outliers"]["removed"])
print("CHECK %s [match] nearest: runs %s left out, matched with none of "
      "them (%d runs matched)" % ("ok" if out == [5, 6, 17]
                                  and not used & set(out) and len(used) > 20
                                  else "fail", out, len(used)))
PY
tap_checks "$T/py.out"

# Nothing is left out without the source, nor when not asked.
ini "$T/clean" "$T/out-clean" true >"$T/clean.ini"
run_offbkg -q run "$T/clean.ini"
got=$(removed "$T/out-clean/report.json")
ok $(test $status -eq 0 && test "$got" = "- rounds=1 used=30 grouped=30"; echo $?) \
    "no source: nothing left out ($got)"
ini "$T/src" "$T/out-off" false >"$T/off.ini"
run_offbkg -q run "$T/off.ini"
got=$(removed "$T/out-off/report.json")
ok $(test $status -eq 0 && test "$got" = "none" \
     && test "$(grep -c '^[0-9]' "$T/out-off/run.lis")" -eq 30; echo $?) \
    "outliers = false: no rejection, 30 runs in run.lis ($got)"

# A judging model that does not exist: refused at its line.
ini "$T/src" "$T/out-bad" true "" "outlier_model = nosuch" >"$T/bad.ini"
run_offbkg -q run "$T/bad.ini"
line=$(grep -n '^outlier_model' "$T/bad.ini" | cut -d: -f1)
ok $(test $status -eq 2 && test ! -e "$T/out-bad" \
     && printf '%s\n' "$err" | grep -q "bad.ini:$line: .*outlier_model.*no \[model nosuch\]"; echo $?) \
    "outlier_model = nosuch: exit 2 at bad.ini:$line, nothing written"

tap_plan $tap_n
