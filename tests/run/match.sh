#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The match step (doc/match.md) end to end on simulated stores whose true
# background rate grows with zenith (1/cos) and with an obs-index column
# (MUONEFF, rate times MUONEFF): no [match] and [match] plugin = group
# write the models written before the step existed, bit for bit; the
# per-observation models of match/nearest and match/zenith are unbiased
# against the truth for the runs at the edges of a wide zenith group,
# where the group model is not (numbers printed and asserted, with the
# group model's own bias as the control); every observation gets its own
# file and bkg row, its MATCH HDU lists OFF runs and never the target;
# [target] path = another store gives that store's observations models
# and index rows; match/zenith's models are the weighted combination of
# the group models in every cell, empty cells included (linear and log);
# gammapy 1.0 reads each observation's own model.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
# The test tools read hundreds of files here: not under the valgrind
# wrapper (offbkg itself is), or make check-valgrind takes many minutes.
summary() { "$OFFBKG_TEST_TOOLS/bkg_summary" "$@"; }
# The rows of a FITS table, tab-separated, without fitstab's "R" column.
rows() { "$OFFBKG_TEST_TOOLS/fitstab" "$1" | sed -n 's/^R\t//p'; }
# The header cards of a FITS HDU, "KEY<tab>VALUE".
cards() { "$OFFBKG_TEST_TOOLS/fitstab" "$1" | sed -n 's/^K\t//p'; }

# Three seeded stores (always the same runs): "off", the OFF runs, whose
# rate grows as 1/cos(zenith) and in proportion to MUONEFF; "zoff", with
# the zenith dependence alone (what match/zenith can follow); "on", ten
# runs of off's truth near the group edge at 35 deg, OBS_ID 1001-1010.
sim="--events 2000 --zenith-scaling"
mu="--rate-column MUONEFF --rate-column-range 0.6,1.4"
run_offbkg simulate "$T/off" --runs 120 --zenith 5,65 $sim $mu --seed 1
ok $status "simulate the OFF store (120 runs, zenith 5-65 deg, MUONEFF)"
run_offbkg simulate "$T/zoff" --runs 40 --zenith 5,65 $sim --seed 2
ok $status "simulate the zenith-only store (40 runs)"
run_offbkg simulate "$T/on" --runs 10 --zenith 30,40 $sim $mu --seed 3 \
    --first-obs-id 1001
ok $status "simulate the ON store (10 runs at zenith 30-40 deg, OBS_ID 1001-)"

# groups_2d STORE: the store, every run, two zenith groups split at
# 35 deg and a 2D model: what base and plain share.
groups_2d() {
    cat <<INI
[datastore]
path = $1
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 35, 90
[model 2d]
plugin = 2d
INI
}

# base STORE OUT: two zenith groups split at 35 deg, a 2D model (its
# default binning is the 2D region of truth.txt's mu_in_2d: 0.1-100 TeV,
# offset < 2.5 deg) and a small 3D one, the 2D one smoothed.
base() {
    groups_2d "$1"
    cat <<INI
[smooth 2d]
plugin = gauss1d
[model 3d]
plugin = 3d
energy_n = 4
detx_n = 16
dety_n = 16
[output]
dir = $2
INI
}

# ---- (a) no [match] and plugin = group: the files of before, bit for bit

# The digests of the data of these files as offbkg wrote them before the
# match step existed (main at c2efbbb), on this machine's libm.
cat >"$T/before.dig" <<EOF
background_2D_group_000_table.fits.gz d42340818260f674
background_2D_group_001_table.fits.gz 1839792f7b8ac08d
background_3D_group_000_table.fits.gz bd47117a5b90c2fc
background_3D_group_001_table.fits.gz dd3310e2223d2af6
smooth_background_2D_group_000_table.fits.gz 16700b80081716d9
smooth_background_2D_group_001_table.fits.gz e259b0c19fbee469
EOF
base "$T/off" "$T/nomatch" >"$T/nomatch.ini"
run_offbkg -q run "$T/nomatch.ini"
ok $status "no [match]: models (exit $status)"
{ base "$T/off" "$T/group"; printf '[match]\nplugin = group\n'; } >"$T/group.ini"
run_offbkg -q run "$T/group.ini"
ok $status "[match] plugin = group: models (exit $status)"
model_digests "$T/nomatch" >"$T/nomatch.dig"
model_digests "$T/group" >"$T/group.dig"
ok $(cmp -s "$T/before.dig" "$T/nomatch.dig"; echo $?) \
    "no [match]: the six model files of before, bit for bit ($(wc -l <"$T/nomatch.dig") files)"
ok $(cmp -s "$T/before.dig" "$T/group.dig"; echo $?) \
    "plugin = group: the six model files of before, bit for bit"
# The index tables: the same rows (SIZE, the last column of hdu-index,
# left out: the files' headers name their INI file).
for t in hdu-index obs-index bkg-index; do
    rows "$T/nomatch/$t.fits.gz" | sed 's/\t[0-9]*$//' >"$T/nomatch.$t"
    rows "$T/group/$t.fits.gz" | sed 's/\t[0-9]*$//' >"$T/group.$t"
done
ok $(test -s "$T/nomatch.hdu-index" && cmp -s "$T/nomatch.hdu-index" "$T/group.hdu-index" \
     && cmp -s "$T/nomatch.obs-index" "$T/group.obs-index" \
     && cmp -s "$T/nomatch.bkg-index" "$T/group.bkg-index"; echo $?) \
    "plugin = group: the same index rows as without [match]"
# Each run's bkg row links its group's file (group 0 below 35 deg).
awk -F'\t' 'NR == FNR { if ($1 == "run") z[$3] = $4; next }
    $2 == "bkg" { g = z[$1] < 35 ? 0 : 1; n++
                  if ($5 != "smooth_background_2D_group_00" g "_table.fits.gz") bad++ }
    END { exit !(n == 120 && bad == 0) }' \
    FS=' ' "$T/off/truth.txt" FS='\t' "$T/group.hdu-index"
ok $? "plugin = group: 120 bkg rows, each run linked to its zenith group's smoothed 2D model"

# ---- (b) bias against the truth

# bias OUT TRUTH: "OBS_ID ZEN_DEG COLUMN_VALUE BIAS" for every run of
# TRUTH with a bkg row in OUT's hdu-index: the model's events in the 2D
# region (rate x dOmega x dE summed, times the run's ONTIME) against the
# truth's expectation mu_in_2d, minus 1.
bias() {
    rows "$1/hdu-index.fits.gz" | awk -F'\t' '$2 == "bkg" { print $1, $4 "/" $5 }' \
        >"$T/links"
    while read -r id f; do
        echo "$id $(summary "$1/$f" | sed -n 's/^rate_integral_per_s //p')"
    done <"$T/links" >"$T/integrals"
    awk 'NR == FNR { r[$1] = $2; next }
        $1 == "run_columns" { for (i = 3; i <= NF; i++) c[$i] = i + 0; next }
        $1 == "run" && ($3 in r) {
            v = c["column_value"] ? $(c["column_value"]) : "nan"
            printf "%d %.2f %s %+.4f\n", $3, $(c["zen_deg"]), v,
                   r[$3] * $(c["time_s"]) / $(c["mu_in_2d"]) - 1 }' \
        "$T/integrals" "$2"
}

# edge FILE LO HI: the lines of FILE (from bias) whose zenith is in
# [LO, HI] and whose column value, if any, is in 0.75-1.25 (away from the
# ends of the MUONEFF range, where the nearest runs are all on one side).
edge() {
    awk -v lo="$2" -v hi="$3" '$2 >= lo && $2 <= hi \
        && ($3 == "nan" || ($3 >= 0.75 && $3 <= 1.25))' "$1"
}

# worst FILE: the largest |bias| of FILE, and the number of lines.
worst() { awk '{ b = $4 < 0 ? -$4 : $4; if (b > m) m = b; n++ }
               END { printf "%.4f %d\n", m, n }' "$1"; }

# show NAME FILE: the biases as diagnostics.
show() { sed "s/^/# $1: OBS_ID zen v bias: /" "$2"; }

# A bias test on the edge runs of $T/b.group (the group model) and
# $T/b.match (the per-observation model), at least MIN_RUNS of each: the
# group model must miss the truth by more than TOL on some (the control:
# the assertion that the match model is within TOL fails for it), the
# match model must be within TOL on every one.
# assert_bias WHAT TOL MIN_RUNS
assert_bias() {
    set -- "$1" "$2" "$3" $(worst "$T/b.group") $(worst "$T/b.match")
    show group "$T/b.group"
    show "$1" "$T/b.match"
    ok $(awk -v t="$2" -v k="$3" -v g="$4" -v n="$5" \
         'BEGIN { exit !(n >= k && g > t) }'; echo $?) \
        "$1: control: the group model misses the truth by up to $4 on the $5 edge runs (> $2)"
    ok $(awk -v t="$2" -v k="$3" -v m="$6" -v n="$7" -v ng="$5" \
         'BEGIN { exit !(n >= k && n == ng && m <= t) }'; echo $?) \
        "$1: unbiased: |model/truth - 1| <= $6 on the $7 edge runs (tolerance $2)"
}

# 2D only, raw models linked: what the bias is measured on.
plain() {
    groups_2d "$1"
    printf '[output]\ndir = %s\n' "$2"
}

# Zenith 31-39 deg: within 4 deg of the group edge at 35.
plain "$T/off" "$T/b-group" >"$T/b-group.ini"
run_offbkg -q run "$T/b-group.ini"
bias "$T/b-group" "$T/off/truth.txt" >"$T/b-group.all"
edge "$T/b-group.all" 31 39 >"$T/b.group"

# match/nearest on ZEN_PNT (as cos) and MUONEFF, 10 runs each. Tolerance
# 8%: in a store of 120 runs the 10 nearest runs' own true rates differ
# from the target's by up to 6-9% (neighbours on one side in the plane of
# cos(zenith) and MUONEFF; Poisson noise adds 1.5%); the group model is
# off by up to 73% on the same runs.
{ plain "$T/off" "$T/b-near"; cat <<INI; } >"$T/b-near.ini"
[match]
plugin = nearest
columns = ZEN_PNT, MUONEFF
min_runs = 10
max_runs = 10
INI
run_offbkg -q run "$T/b-near.ini"
ok $status "match/nearest on the OFF store (exit $status): $(head -c 300 "$T/err")"
bias "$T/b-near" "$T/off/truth.txt" >"$T/b-near.all"
edge "$T/b-near.all" 31 39 >"$T/b.match"
assert_bias "nearest ZEN_PNT+MUONEFF" 0.08 8

# match/zenith on the zenith-only store. Tolerance 6% linear, 4.5% log:
# with two wide groups the rate, linear in 1/cos(zenith), is interpolated
# between nodes 0.3 apart in cos(zenith) (linear: +4-5%, log: +1-2% at
# these runs); the group model is off by 8-30%.
plain "$T/zoff" "$T/z-group" >"$T/z-group.ini"
run_offbkg -q run "$T/z-group.ini"
bias "$T/z-group" "$T/zoff/truth.txt" >"$T/z-group.all"
edge "$T/z-group.all" 31 39 >"$T/b.group"
# zoff_case OUT LABEL TOLERANCE KEY=VALUE...: the zenith-only store
# with a [match] of those keys; its edge runs' bias within TOLERANCE.
zoff_case() {
    z_out=$1 z_label=$2 z_tol=$3
    shift 3
    { plain "$T/zoff" "$T/$z_out"; printf '[match]\n'; printf '%s\n' "$@"; } >"$T/$z_out.ini"
    run_offbkg -q run "$T/$z_out.ini"
    ok $status "$z_label on the zenith-only store (exit $status): $(head -c 300 "$T/err")"
    bias "$T/$z_out" "$T/zoff/truth.txt" >"$T/$z_out.all"
    edge "$T/$z_out.all" 31 39 >"$T/b.match"
    assert_bias "$z_label" "$z_tol" 5
}
zoff_case z-zen "zenith linear" 0.06 "plugin = zenith"
# The same store, log interpolation, and match/nearest on ZEN_PNT alone.
zoff_case z-log "zenith log" 0.045 "plugin = zenith" "interpolation = log"
zoff_case z-near "nearest ZEN_PNT" 0.05 "plugin = nearest" "columns = ZEN_PNT" \
    "min_runs = 6" "max_runs = 6"

# ---- (c) one file and one bkg row per observation; the MATCH HDU

{ base "$T/off" "$T/pobs"; cat <<INI; } >"$T/pobs.ini"
[match]
plugin = nearest
columns = ZEN_PNT, MUONEFF
min_runs = 10
max_runs = 10
INI
run_offbkg -q run "$T/pobs.ini"
ok $status "match/nearest with the 2D (smoothed) and 3D models (exit $status): $(head -c 300 "$T/err")"
ids=$(awk '$1 == "run" { printf "%06d\n", $3 }' "$T/off/truth.txt")
n2=0 n3=0 ns=0 nf=0
for id in $ids; do
    for f in background_2D_obs_${id}_table.fits.gz \
             smooth_background_2D_obs_${id}_table.fits.gz \
             background_3D_obs_${id}_table.fits.gz; do
        test -f "$T/pobs/$f" || continue
        case $f in
        smooth_*) ns=$((ns + 1)) ;;
        *_2D_*) n2=$((n2 + 1)) ;;
        *) n3=$((n3 + 1)) ;;
        esac
        summary "$T/pobs/$f" | grep -q '^nonfinite 0$' && nf=$((nf + 1))
    done
done
ok $(test $n2 -eq 120 && test $ns -eq 120 && test $n3 -eq 120; echo $?) \
    "every one of the 120 observations has its own 2D, smoothed 2D and 3D file ($n2, $ns, $n3)"
ok $(test $nf -eq 360; echo $?) "no NaN or inf in any of them ($nf of 360 clean)"
rows "$T/pobs/hdu-index.fits.gz" | awk -F'\t' '$2 == "bkg"' >"$T/pobs.bkg"
ok $(awk -F'\t' '{ n++; if ($5 != sprintf("smooth_background_2D_obs_%06d_table.fits.gz", $1)) bad++ }
     END { exit !(n == 120 && bad == 0) }' "$T/pobs.bkg"; echo $?) \
    "hdu-index: one bkg row per observation ($(wc -l <"$T/pobs.bkg")), each linking its own smoothed 2D file"
ok $(cut -f1 "$T/pobs.bkg" | sort | uniq -d | grep -q .; test $? -ne 0; echo $?) \
    "hdu-index: no observation has two bkg rows"
# The MATCH HDU of every raw 2D file: 10 OFF runs of the store, never the
# target; the BACKGROUND header names the target and the match.
bad=
for id in $ids; do
    f="$T/pobs/background_2D_obs_${id}_table.fits.gz"
    rows "$f[MATCH]" >"$T/match.rows" 2>/dev/null
    cards "$f[BACKGROUND]" >"$T/bg.cards" 2>/dev/null
    awk -F'\t' -v me=$((1$id - 1000000)) '
        { n++; if ($1 == me || $1 < 1 || $1 > 120 || $3 != 1) bad++ }
        END { exit !(n == 10 && bad == 0) }' "$T/match.rows" \
    && grep -q "^OBS_ID	$((1$id - 1000000))$" "$T/bg.cards" \
    && grep -q "^MATCHKND	RUNS$" "$T/bg.cards" \
    && grep -q "^N_MATCH	10$" "$T/bg.cards" \
    && grep -q "^MATCHER	nearest" "$T/bg.cards" \
    || bad="$bad $id"
done
ok $(test -z "$bad"; echo $?) \
    "every MATCH HDU lists 10 OFF runs of weight 1, never the target; OBS_ID, MATCHER, MATCHKND, N_MATCH cards${bad:+; wrong:$bad}"
ok $(grep -q '"match": *{' "$T/pobs/report.json" \
     && grep -q '"n_targets": 120' "$T/pobs/report.json" \
     && grep -q '"n_matched": 120' "$T/pobs/report.json"; echo $?) \
    "report.json: a match object, 120 targets, 120 matched"

# ---- (d) [target] path = another store: the ON runs get the models

{ plain "$T/off" "$T/on-group"; printf '[index]\npath = %s\n' "$T/on"; } >"$T/on-group.ini"
run_offbkg -q run "$T/on-group.ini"
ok $status "group models linked to the ON store (exit $status): $(head -c 300 "$T/err")"
bias "$T/on-group" "$T/on/truth.txt" >"$T/on-group.all"
edge "$T/on-group.all" 30 40 >"$T/b.group"
{ plain "$T/off" "$T/on-near"; cat <<INI; } >"$T/on-near.ini"
[target]
path = $T/on
[match]
plugin = nearest
columns = ZEN_PNT, MUONEFF
min_runs = 10
max_runs = 10
INI
run_offbkg -q run "$T/on-near.ini"
ok $status "[target] path = the ON store, match/nearest (exit $status): $(head -c 300 "$T/err")"
rows "$T/on-near/hdu-index.fits.gz" | awk -F'\t' '$2 == "bkg"' >"$T/on.bkg"
ok $(awk -F'\t' '{ n++; if ($1 < 1001 || $1 > 1010 || $5 != sprintf("background_2D_obs_%06d_table.fits.gz", $1)) bad++ }
     END { exit !(n == 10 && bad == 0) }' "$T/on.bkg"; echo $?) \
    "the ON store's 10 observations each have a bkg row linking their own file ($(wc -l <"$T/on.bkg") rows)"
ok $(rows "$T/on-near/obs-index.fits.gz" | awk -F'\t' '{ n++; if ($1 < 1001 || $1 > 1010) bad++ }
     END { exit !(n == 10 && bad == 0) }'; echo $?) \
    "the output obs-index is the ON store's (10 rows, OBS_ID 1001-1010)"
bad=
for id in $(seq 1001 1010); do
    rows "$T/on-near/background_2D_obs_00${id}_table.fits.gz[MATCH]" 2>/dev/null \
    | awk -F'\t' '{ n++; if ($1 < 1 || $1 > 120) bad++ } END { exit !(n == 10 && bad == 0) }' \
    || bad="$bad $id"
done
ok $(test -z "$bad"; echo $?) "each ON run's MATCH HDU lists 10 runs of the OFF store${bad:+; wrong:$bad}"
bias "$T/on-near" "$T/on/truth.txt" >"$T/on-near.all"
edge "$T/on-near.all" 30 40 >"$T/b.match"
assert_bias "ON runs, nearest ZEN_PNT+MUONEFF" 0.08 4

# ---- (e) match/zenith's combination rule, empty cells included

# The ON runs as targets of the zenith-only store's groups: no target is
# an OFF run, so each node is its group's model as written, and every
# target's model must be the combination of the group files with the
# weights of its MATCH HDU (doc/match.md §4), in every cell: linear, or
# log where both rates are > 0; never NaN, inf or outside the two nodes
# (a "spike"), also where one node is empty (the 3D model's 72000 cells
# from 40 runs leave many).
for how in linear log; do
    { plain "$T/zoff" "$T/comb-$how"; cat <<INI; } >"$T/comb-$how.ini"
[model 3d]
plugin = 3d
[target]
path = $T/on
[match]
plugin = zenith
interpolation = $how
INI
    run_offbkg -q run "$T/comb-$how.ini"
    ok $status "match/zenith $how, the ON runs as targets (exit $status): $(head -c 300 "$T/err")"
    : >"$T/comb.out"
    for id in $(seq 1001 1010); do
        for d in 2D 3D; do
            f="$T/comb-$how/background_${d}_obs_00${id}_table.fits.gz"
            # OBS_ID GROUP_ID WEIGHT DISTANCE: one or two nodes.
            set -- $(rows "$f[MATCH]" 2>/dev/null | awk -F'\t' '{ printf "%d %s ", $2, $3 }')
            if [ $# -eq 2 ]; then set -- "$1" "$2" "$1" 0; fi
            g() { printf '%s/background_%s_group_%03d_table.fits.gz' "$T/comb-$how" "$d" "$1"; }
            "$OFFBKG_TEST_TOOLS/bkg_combine" "$how" "$f" "$(g "$1")" "$2" "$(g "$3")" "$4" \
                2>&1 | sed "s/^/$id $d /"
        done
    done >"$T/comb.out"
    awk -v how="$how" '{ v[$3] += $4; if ($4 > m[$3]) m[$3] = $4 }
        END { printf "# %s: max rel diff rate %g, err %g; cells outside %d, nonfinite %d\n",
                     how, m["max_rel_rate"], m["max_rel_err"], v["outside"], v["nonfinite"] }' "$T/comb.out"
    ok $(awk '{ n[$3]++; v[$3] += $4; if ($4 > m[$3]) m[$3] = $4 }
         END { exit !(n["cells"] == 20 && m["max_rel_rate"] <= 1e-7 \
                      && m["max_rel_err"] <= 1e-7 && v["outside"] == 0 \
                      && v["nonfinite"] == 0 && v["one_empty"] > 0) }' "$T/comb.out"; echo $?) \
        "match/zenith $how: the 20 models are the weighted combination of their group files in every cell, $(awk '$3 == "one_empty" { v += $4 } END { print v }' "$T/comb.out") cells with one node empty included; none outside its nodes, no NaN or inf"
done

# ---- gammapy 1.0 reads each observation's own model

if ! find_gammapy_python; then
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no python3 that can import gammapy"
else
    for d in pobs on-near; do
        # What offbkg wrote, by our own reader: a few cells of each file.
        rows "$T/$d/hdu-index.fits.gz" | awk -F'\t' '$2 == "bkg" { print $1, $4 "/" $5 }' \
        | while read -r id f; do
            summary "$T/$d/$f" 0,0 3,5 7,20 | awk -v id="$id" '$1 == "rate" { print id, $2, $3 }'
        done >"$T/$d.cells"
        "$python" "$top_srcdir/tests/gammapy/check_match.py" "$T/$d" "$T/$d.cells" \
            >"$T/py.out" 2>&1
        status=$?
        while IFS= read -r line; do
            case $line in
            "CHECK ok "*) ok 0 "$d: ${line#CHECK ok }" ;;
            "CHECK fail "*) ok 1 "$d: ${line#CHECK fail }" ;;
            *) echo "# $line" ;;
            esac
        done <"$T/py.out"
        ok $status "$d: check_match.py ran to the end ($python)"
    done
fi

tap_plan $tap_n
