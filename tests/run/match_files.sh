#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Per-observation model files end to end (issue 18, doc/match.md §6), with
# the test matcher (tests/plugins/match_fake: each target's model is the
# other runs of its group; OBS_ID 3 unmatched): each target gets its raw
# and smoothed 2D and 3D files, with the MATCH HDU and the cards, and no
# NaN; the index links each observation to its own file, and none to the
# unmatched one; report.json says what each target was matched with;
# --strict fails with nothing written; an existing file of these names is
# refused without overwrite and left alone; a later run with shared group
# models removes the per-observation files it no longer writes.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
fitstab() { ${OFFBKG_WRAPPER:-} "$OFFBKG_TEST_TOOLS/fitstab" "$@"; }

run_offbkg simulate "$T/store" --runs 6 --events 1500
ok $status "simulate writes the test store"

cat >"$T/run.ini" <<INI
[datastore]
path = store
[output]
dir = models
[run]
plugin_path = $OFFBKG_TEST_PLUGINS
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 90
[model 2d]
plugin = 2d
energy_n = 6
offset_n = 8
[smooth 2d]
plugin = gauss1d
[model 3d]
plugin = 3d
energy_n = 4
detx_n = 6
dety_n = 6
[match]
plugin = fake
unmatched_obs_id = 3
INI

run_offbkg run "$T/run.ini"
ok $status "offbkg run with a per-observation [match] (exit $status)"
missing=
for id in 1 2 4 5 6; do
    n=$(printf '%06d' $id)
    for f in background_2D_obs_${n}_table.fits.gz \
             smooth_background_2D_obs_${n}_table.fits.gz \
             background_3D_obs_${n}_table.fits.gz; do
        test -f "$T/models/$f" || missing="$missing $f"
    done
done
ok $(test -z "$missing"; echo $?) \
    "each matched target has its 2D, smoothed 2D and 3D file (missing:$missing)"
ok $(! ls "$T/models" | grep -q '_obs_000003_' \
     && ! test -e "$T/models/smooth_background_3D_obs_000001_table.fits.gz"
     echo $?) "the unmatched target has no file; [model 3d] has no smoother, no smoothed file"
ok $(echo "$err" | grep -q "OBS_ID 3.*unmatched on request" \
     && echo "$out" | grep -q "linked 5 of 6 observations to their own model (1 without one)"
     echo $?) "the unmatched target is warned about; 5 of 6 linked to their own model"

# The MATCH HDU and the cards of OBS_ID 4: the other 5 runs, weight 1.
f4="$T/models/background_3D_obs_000004_table.fits.gz"
fitstab "$f4[MATCH]" >"$T/match4.txt"
ok $(awk -F'\t' '$1 == "C" { c = c $2 "/" $3 " " }
                 $1 == "R" { n++; ids = ids $2 " "; if ($4 != 1) bad = 1
                             if ($2 == 4) bad = 1 }
                 END { exit c != "OBS_ID/K GROUP_ID/J WEIGHT/D DISTANCE/D " \
                            || n != 5 || bad }' "$T/match4.txt"; echo $?) \
    "MATCH: OBS_ID K, GROUP_ID J, WEIGHT D, DISTANCE D; the 5 other runs, weight 1, never itself"
fitstab "$f4[BACKGROUND]" >"$T/bkg4.txt"
card() { awk -F'\t' -v k="$1" '$1 == "K" && $2 == k { print $3 }' "$2"; }
ok $(test "$(card OBS_ID "$T/bkg4.txt")" = 4 \
     && card MATCHER "$T/bkg4.txt" | grep -q '^fake ' \
     && test "$(card MATCHKND "$T/bkg4.txt")" = RUNS \
     && test "$(card N_MATCH "$T/bkg4.txt")" = 5 \
     && test "$(card NRUNS "$T/bkg4.txt")" = 5 \
     && test -n "$(card OFF_LIVE "$T/bkg4.txt")" \
     && test -n "$(card ZEN_PNT "$T/bkg4.txt")" \
     && test -n "$(card LIVETIME "$T/bkg4.txt")" \
     && test "$(card SECTION "$T/bkg4.txt")" = "model 3d"; echo $?) \
    "BACKGROUND cards: OBS_ID, MATCHER, MATCHKND, N_MATCH, NRUNS, OFF_LIVE, ZEN_PNT, LIVETIME, SECTION"
bad= n=0
for f in "$T"/models/*background_*_obs_*_table.fits.gz; do
    s=$(${OFFBKG_WRAPPER:-} "$OFFBKG_TEST_TOOLS/bkg_summary" "$f")
    echo "$s" | grep -q '^nonfinite 0$' || bad="$bad ${f##*/}"
    n=$((n + 1))
done
ok $(test -z "$bad" && test $n -eq 15; echo $?) \
    "no NaN or inf in any of the $n per-observation files ($bad)"

# The index: one bkg row per matched observation, its own smoothed 2D
# file ([index] links the first [model], smoothed); none for OBS_ID 3.
fitstab "$T/models/hdu-index.fits.gz" >"$T/hdu.txt"
ok $(awk -F'\t' '$1 == "R" && $3 == "bkg" { n[$2]++; f[$2] = $6 }
     END { for (id = 1; id <= 6; id++) {
               want = sprintf("smooth_background_2D_obs_%06d_table.fits.gz", id)
               if (id == 3 && n[id] != 0) exit 1
               if (id != 3 && (n[id] != 1 || f[id] != want)) exit 1 }
           exit 0 }' "$T/hdu.txt"; echo $?) \
    "hdu-index: each observation's one bkg row is its own file; none for the unmatched"

# report.json
py=$(command -v python3)
if [ -n "$py" ]; then
    "$py" - "$T/models/report.json" >"$T/report.txt" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r["match"]
t = {x["obs_id"]: x for x in m["targets"]}
ok = (m["plugin"].startswith("fake ") and m["n_targets"] == 6
      and m["n_matched"] == 5 and m["n_skipped"] == 1
      and "unmatched" in t[3]["skipped"] and t[3]["matched"] == []
      and t[4]["skipped"] is None
      and sorted(x["obs_id"] for x in t[4]["matched"]) == [1, 2, 3, 5, 6]
      and all(x["weight"] == 1 for x in t[4]["matched"])
      and any(p["section"] == "match" for p in r["plugins"]))
print("ok" if ok else "bad: %r" % m)
PY
    ok $(grep -q '^ok$' "$T/report.txt"; echo $?) \
        "report.json: match: plugin, 6 targets, 5 matched, OBS_ID 3 skipped with its reason, OBS_ID 4's runs and weights ($(head -c 200 "$T/report.txt"))"
else
    ok 0 "# SKIP no python3 for report.json"
fi

# The shipped matchers. nearest: the 2 runs nearest in zenith, never the
# target itself, nearest first; every observation linked to its own file.
sed 's/^dir = models$/dir = nearest/
     s/^plugin = fake$/plugin = nearest\ncolumns = ZEN_PNT\nmin_runs = 2\nmax_runs = 2/
     /^unmatched_obs_id/d' "$T/run.ini" >"$T/nearest.ini"
run_offbkg run "$T/nearest.ini"
ok $status "match/nearest: offbkg run (exit $status)"
bad=
for id in 1 2 3 4 5 6; do
    f="$T/nearest/background_3D_obs_$(printf '%06d' $id)_table.fits.gz"
    fitstab "$f[MATCH]" 2>/dev/null | awk -F'\t' -v id=$id '
        $1 == "R" { n++; if ($2 == id || $2 < 1 || $5 < last || $5 < 0) bad = 1
                    last = $5 }
        END { exit n != 2 || bad }' || bad="$bad $id"
    fitstab "$f[BACKGROUND]" >"$T/card.txt" 2>/dev/null
    test "$(card MATCHKND "$T/card.txt")" = RUNS \
        && card MATCHER "$T/card.txt" | grep -q '^nearest ' || bad="$bad $id"
done
ok $(test -z "$bad"; echo $?) \
    "match/nearest: each target's MATCH has its 2 nearest runs, not itself, by increasing DISTANCE; MATCHKND RUNS (bad:$bad)"
fitstab "$T/nearest/hdu-index.fits.gz" >"$T/hdu.txt"
ok $(awk -F'\t' '$1 == "R" && $3 == "bkg" { n[$2]++; f[$2] = $6 }
     END { for (id = 1; id <= 6; id++)
               if (n[id] != 1 || f[id] != sprintf("smooth_background_2D_obs_%06d_table.fits.gz", id)) exit 1 }' \
     "$T/hdu.txt"; echo $?) "match/nearest: each observation's bkg row is its own file"

# The staged commands make the same files, and offbkg index alone links
# each observation to its own file in [output] dir.
sed 's/^dir = nearest$/dir = staged/' "$T/nearest.ini" >"$T/staged.ini"
st=0
for cmd in select group make index; do
    run_offbkg $cmd "$T/staged.ini"
    [ $status -eq 0 ] || st=1
done
fitstab "$T/staged/hdu-index.fits.gz" >"$T/hdu2.txt"
ok $(test $st -eq 0 \
     && test "$(model_digests "$T/staged")" = "$(model_digests "$T/nearest")" \
     && test "$(awk -F'\t' '$1 == "R" && $3 == "bkg" { print $2, $6 }' "$T/hdu2.txt")" \
             = "$(awk -F'\t' '$1 == "R" && $3 == "bkg" { print $2, $6 }' "$T/hdu.txt")"
     echo $?) "offbkg select, group, make, index: the same per-observation files and bkg rows as offbkg run"

# zenith: combined group models (OBS_ID -1, weights summing to 1); a
# target whose group has no run but itself has no model without it and
# is skipped: no file, no index row, its reason in report.json.
sed 's/^dir = models$/dir = zenith/
     s/^edges_deg = 0, 90$/edges_deg = 0, 25, 40, 90/
     s/^plugin = fake$/plugin = zenith/
     /^unmatched_obs_id/d' "$T/run.ini" >"$T/zenith.ini"
run_offbkg run "$T/zenith.ini"
ok $status "match/zenith: offbkg run (exit $status)"
bad= n_files=0
for f in "$T"/zenith/background_2D_obs_*_table.fits.gz; do
    [ -f "$f" ] || continue
    n_files=$((n_files + 1))
    fitstab "$f[MATCH]" | awk -F'\t' '$1 == "R" { n++; w += $4; if ($2 != -1) bad = 1 }
        END { exit n < 1 || bad || w < 1 - 1e-9 || w > 1 + 1e-9 }' \
        || bad="$bad ${f##*/}"
    fitstab "$f[BACKGROUND]" >"$T/card.txt"
    test "$(card MATCHKND "$T/card.txt")" = GROUPS || bad="$bad ${f##*/}"
done
ok $(test -z "$bad" && test $n_files -ge 1; echo $?) \
    "match/zenith: $n_files files, MATCH rows are groups (OBS_ID -1) with weights summing to 1, MATCHKND GROUPS (bad:$bad)"
if [ -n "$py" ]; then
    "$py" - "$T/zenith" >"$T/zenith.txt" 2>&1 <<'PY'
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "report.json")))["match"]
own = lambda i: "background_2D_obs_%06d_table.fits.gz" % i
ok = m["n_matched"] + m["n_skipped"] == m["n_targets"] == 6
for t in m["targets"]:
    has = os.path.exists(os.path.join(d, own(t["obs_id"])))
    ok = ok and has == (t["skipped"] is None)
print("ok" if ok else "bad: %r" % m)
PY
    ok $(grep -q '^ok$' "$T/zenith.txt"; echo $?) \
        "match/zenith: report.json's matched targets are those with a file ($(head -c 200 "$T/zenith.txt"))"
else
    ok 0 "# SKIP no python3 for report.json"
fi

# group: the group files bit for bit as without [match], no own file.
sed 's/^dir = models$/dir = group/; s/^plugin = fake$/plugin = group/
     /^unmatched_obs_id/d' "$T/run.ini" >"$T/group.ini"
grep -v -e '^\[match\]' -e '^plugin = fake' -e '^unmatched_obs_id' \
    "$T/run.ini" | sed 's/^dir = models$/dir = nomatch/' >"$T/nomatch.ini"
run_offbkg run "$T/group.ini"
s1=$status
run_offbkg run "$T/nomatch.ini"
ok $(test $s1 -eq 0 && test $status -eq 0 \
     && test "$(model_digests "$T/group")" = "$(model_digests "$T/nomatch")" \
     && ! ls "$T/group" | grep -q '_obs_' \
     && grep -q '"match": {"plugin": "group ' "$T/group/report.json" \
     && ! grep -q '"match"' "$T/nomatch/report.json"; echo $?) \
    "match/group: the group models bit for bit as without [match], no per-observation file; report.json names the plugin"

# [target] path: the targets are another store's observations (ON runs),
# the index is that store's, each linked to its own file.
run_offbkg simulate "$T/on" --runs 3 --first-obs-id 101 --events 500
sed 's/^dir = nearest$/dir = on_models/' "$T/nearest.ini" >"$T/on.ini"
printf '[target]\npath = on\n' >>"$T/on.ini"
run_offbkg run "$T/on.ini"
fitstab "$T/on_models/hdu-index.fits.gz" >"$T/hdu.txt"
ok $(test $status -eq 0 && ! ls "$T/on_models" | grep -q '_obs_00000[1-6]_' \
     && awk -F'\t' '$1 == "R" && $3 == "bkg" { n[$2]++; f[$2] = $6; all++ }
         END { for (id = 101; id <= 103; id++)
                   if (n[id] != 1 || f[id] != sprintf("smooth_background_2D_obs_%06d_table.fits.gz", id)) exit 1
               exit all != 3 }' "$T/hdu.txt"; echo $?) \
    "[target] path: the other store's observations get their own files and the index links each (exit $status)"

# Targets whose matched runs give no exposure (the only run of group 1,
# OBS_ID 6, is excluded whole): no file, skipped with the reason; with
# --strict the run fails and nothing is written.
radec=$(awk '$1 == "run" && $3 == 6 { print $5 ", " $6 }' "$T/store/truth.txt")
sed 's/^dir = models$/dir = noexp/; s/^edges_deg = 0, 90$/edges_deg = 0, 55, 90/
     s/^plugin = fake$/plugin = fake\ngroup = 1/; /^unmatched_obs_id/d' \
    "$T/run.ini" >"$T/noexp.ini"
printf '[target]\npath = on\n[exclude]\ncircles_deg = %s, 20\n' "$radec" \
    >>"$T/noexp.ini"
run_offbkg run "$T/noexp.ini"
ok $(test $status -eq 0 && ! ls "$T/noexp" | grep -q '_obs_' \
     && test "$(echo "$err" | grep -c 'OBS_ID 10[123]: no model of its own, skipped: .*no exposure')" -eq 3 \
     && grep -q '"n_matched": 0, "n_skipped": 3' "$T/noexp/report.json"
     echo $?) "targets whose runs give no exposure: no file, skipped with the reason, in report.json (exit $status)"
sed 's/^dir = noexp$/dir = noexp_strict/' "$T/noexp.ini" >"$T/noexp_strict.ini"
run_offbkg run "$T/noexp_strict.ini" --strict
ok $(test $status -eq 1 \
     && echo "$err" | grep -q 'OBS_ID 101: no model of its own: .*no exposure.*(--strict)' \
     && test -z "$(ls -A "$T/noexp_strict" 2>/dev/null)"; echo $?) \
    "--strict: a target without exposure fails the run, nothing written (exit $status)"

# --strict: the unmatched target fails the run; nothing is written.
sed 's/^dir = models$/dir = strict/' "$T/run.ini" >"$T/strict.ini"
run_offbkg run "$T/strict.ini" --strict
ok $(test $status -eq 1 && echo "$err" | grep -q "OBS_ID 3" \
     && test -z "$(ls -A "$T/strict" 2>/dev/null)"; echo $?) \
    "--strict: exit 1 naming OBS_ID 3, nothing written (exit $status)"

# An existing file of these names is refused without overwrite, untouched.
mkdir -p "$T/planted"
echo mine >"$T/planted/background_2D_obs_000002_table.fits.gz"
sed 's/^dir = models$/dir = planted/' "$T/run.ini" >"$T/planted.ini"
run_offbkg run "$T/planted.ini"
ok $(test $status -eq 1 \
     && echo "$err" | grep -q "background_2D_obs_000002_table.fits.gz exists" \
     && test "$(cat "$T/planted/background_2D_obs_000002_table.fits.gz")" = mine \
     && test "$(ls -A "$T/planted" | wc -l)" -eq 1; echo $?) \
    "an existing per-observation file is refused without overwrite and left alone (exit $status)"

# Shared group models again (no [match]), overwrite: the per-observation
# files of before are removed, never left looking current.
grep -v -e '^\[match\]' -e '^plugin = fake' -e '^unmatched_obs_id' \
    "$T/run.ini" | sed 's/^dir = models$/dir = models\noverwrite = true/' \
    >"$T/shared.ini"
run_offbkg run "$T/shared.ini"
ok $(test $status -eq 0 && ! ls "$T/models" | grep -q '_obs_' \
     && test -f "$T/models/background_2D_group_000_table.fits.gz"; echo $?) \
    "a run with shared group models removes the per-observation files (exit $status)"

tap_plan $tap_n
