#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Everything that can be known wrong without reading an event is found by
# `offbkg check` and by `offbkg run` before any work and any write:
# outputs that would replace inputs (the store's directory, a hard link
# or a symlink to an event file, the regions file or the INI), whatever
# overwrite says; a cross-section reference to no section; a smoother
# that cannot smooth its model's cubes; a column the plugins need that
# the obs-index lacks; a regions file that does not parse. And zero runs
# is no success: a selection of none, or every run skipped, fails the
# run (exit 1) with one message, and writes nothing.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 3 --events 1000
printf 'RA,DEC,RADIUS\n10,-80,1\n' >"$T/pristine.csv"

# fresh_ow NAME: fresh NAME, with overwrite = true and the regions file
# regions.csv in [exclude].
fresh_ow() {
    fresh "$1"
    cp "$T/pristine.csv" "$C/regions.csv"
    sed -i 's|^\[output\]$|[output]\noverwrite = true|' "$C/run.ini"
    printf '[exclude]\nregions = regions.csv\n' >>"$C/run.ini"
}

# listing DIR: every entry of DIR with its inode and size (empty if none).
listing() {
    [ -d "$1" ] && ls -lAi "$1" | sed 1d | awk '{ print $1, $6, $NF }'
}

# seal_all: checksums of the store, the INI and the regions file, and
# the listing of the output dir as it is.
seal_all() {
    seal
    sha256sum "$C/run.ini" "$C/regions.csv" >"$C/sums.more"
    listing "$C/out" >"$C/out.before"
}

# unchanged NAME: the store, the INI, the regions file and the output dir
# are as seal_all found them.
unchanged() {
    new=$( (cd "$C/store" && find . -type f -exec sha256sum {} + | sort) \
           | diff "$C/sums" - >/dev/null && echo same)
    ok $(test "$new" = same && sha256sum -c --quiet "$C/sums.more" \
         && listing "$C/out" | diff "$C/out.before" - >/dev/null; echo $?) \
        "$1: the store, the INI, the regions file and the output dir are unchanged"
}

# refused NAME STATUS RE DESC: `check` and `run` both exit STATUS (check
# 2 whatever STATUS is) with a message matching the extended regex RE,
# and change nothing.
refused() {
    seal_all
    run_offbkg -q check "$C/run.ini"
    ok $(test $status -eq 2 && echo "$err" | grep -Eq "$3"; echo $?) \
        "$1: check refuses $4 (exit $status)"
    [ $status -eq 2 ] || echo "$err" | sed 's/^/# /'
    run_offbkg -q run "$C/run.ini"
    ok $(test $status -eq "$2" && echo "$err" | grep -Eq "$3"; echo $?) \
        "$1: run refuses $4 before any work (exit $status, want $2)"
    [ $status -eq "$2" ] || echo "$err" | sed 's/^/# /'
    unchanged "$1"
}

# ---------------------------------------------------------------------------
# Outputs that are inputs

fresh_ow out_is_store
sed -i 's|^dir = out$|dir = store|' "$C/run.ini"
refused out_is_store 2 \
    "\[output\] dir: $C/store is the data store's directory $C/store" \
    "[output] dir = the store's path"

fresh_ow out_symlink_store
ln -s store "$C/out"
refused out_symlink_store 2 \
    "\[output\] dir: $C/out is the data store's directory $C/store" \
    "an output dir that is a symlink to the store"

# The [index] store, whose runs are linked, is an input too.
fresh_ow out_is_index_store
cp -R "$C/store" "$C/target"
sed -i 's|^dir = out$|dir = target|' "$C/run.ini"
printf '[index]\npath = target\n' >>"$C/run.ini"
seal_all
(cd "$C/target" && find . -type f -exec sha256sum {} + | sort) >"$C/target.sums"
run_offbkg -q run "$C/run.ini"
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "\[output\] dir: $C/target is the \[index\] data store's directory $C/target" \
     && (cd "$C/target" && find . -type f -exec sha256sum {} + | sort) \
        | diff "$C/target.sums" - >/dev/null; echo $?) \
    "out_is_index_store: run refuses to write into the [index] store (exit $status); it is unchanged"
unchanged out_is_index_store

# The output dir is the store's data/ directory, where an event file was
# renamed run.lis (and the hdu-index says so).
fresh_ow out_inside_store
mv "$C/store/data/run_000001.fits.gz" "$C/store/data/run.lis"
damage "$C/store/hdu-index.fits.gz" value HDU_INDEX FILE_NAME 1 run.lis
damage "$C/store/hdu-index.fits.gz" value HDU_INDEX FILE_NAME 2 run.lis
sed -i 's|^dir = out$|dir = store/data|' "$C/run.ini"
refused out_inside_store 2 \
    "$C/store/data/run.lis would replace a file of the data store \(OBS_ID 1\), $C/store/data/run.lis" \
    "an output dir inside the store where an output's name is an event file"

fresh_ow hardlink_event
mkdir "$C/out"
ln "$C/store/data/run_000002.fits.gz" "$C/out/run.lis"
refused hardlink_event 2 \
    "$C/out/run.lis would replace a file of the data store \(OBS_ID 2\), $C/store/data/run_000002.fits.gz" \
    "an output that is a hard link to an event file"

fresh_ow symlink_model_event
mkdir "$C/out"
ln -s ../store/data/run_000003.fits.gz \
    "$C/out/background_2D_group_001_table.fits.gz"
refused symlink_model_event 2 \
    "$C/out/background_2D_group_001_table.fits.gz would replace a file of the data store \(OBS_ID 3\)" \
    "a model file that is a symlink to an event file"

fresh_ow symlink_regions
mkdir "$C/out"
ln -s ../regions.csv "$C/out/report.json"
refused symlink_regions 2 \
    "$C/out/report.json would replace the \[exclude\] regions file, $C/regions.csv" \
    "an output that is a symlink to the regions file"

fresh_ow hardlink_ini
mkdir "$C/out"
ln "$C/run.ini" "$C/out/obs.fits"
refused hardlink_ini 2 \
    "$C/out/obs.fits would replace the configuration file, $C/run.ini" \
    "an output that is a hard link to the INI"

fresh_ow index_in_out
mkdir "$C/out"
ln -s ../store/hdu-index.fits.gz "$C/out/hdu-index.fits.gz"
refused index_in_out 2 \
    "$C/out/hdu-index.fits.gz would replace the data store's hdu-index, $C/store/hdu-index.fits.gz" \
    "an output index table that is the store's"

# ---------------------------------------------------------------------------
# Configuration errors found before any work

fresh_ow index_model
printf '[index]\nmodel = 4d\n' >>"$C/run.ini"
refused index_model 2 "\[index\] model: there is no \[model 4d\] section \(the models are: 2d, 3d\)" \
    "[index] model = 4d without [model 4d]"

fresh_ow k5a_on_2d
printf '[smooth 2d]\nplugin = k5a\n' >>"$C/run.ini"
refused k5a_on_2d 2 "\[smooth 2d\] plugin k5a cannot smooth the 2D cubes of \[model 2d\]" \
    "k5a on a 2D model"

fresh_ow gauss1d_on_3d
printf '[smooth 3d]\nplugin = gauss1d\n' >>"$C/run.ini"
refused gauss1d_on_3d 2 "\[smooth 3d\] plugin gauss1d cannot smooth the 3D cubes of \[model 3d\]" \
    "gauss1d on a 3D model"

fresh_ow select_column
sed -i 's|^plugin = all$|plugin = column\nwhere = ZEN_PNTT < 40|' "$C/run.ini"
refused select_column 2 "run.ini:[0-9]+: \[select\] plugin column failed: where: the observation table has no column ZEN_PNTT .* in $C/store/obs-index.fits.gz" \
    "a where on a column the obs-index lacks"

# select/quality in a [select LABEL] section: its errors name that
# section and its line (or its key's).
quality_section() { # KEY = VALUE lines after plugin = quality
    printf '[select quality]\nplugin = quality\n%s' "$1" >>"$C/run.ini"
    qline=$(grep -n '^\[select quality\]$' "$C/run.ini" | cut -d: -f1)
}
fresh_ow select_quality_column
quality_section 'max_quality = 0
'
refused select_quality_column 2 "run.ini:$qline: \[select quality\] plugin quality failed: max_quality: the observation table has no column QUALITY \(in 'QUALITY >= 0'\) in $C/store/obs-index.fits.gz" \
    "a quality cut on a column the obs-index lacks"

fresh_ow select_quality_nocut
quality_section ''
refused select_quality_nocut 2 "run.ini:$qline: \[select quality\] no cut given: set max_quality, min_n_tels, telescopes, min_muon_efficiency or where" \
    "a [select quality] without a cut"

fresh_ow select_quality_key
quality_section 'min_n_tels = 3
telescopes = 1, 2 x
'
refused select_quality_key 2 "run.ini:$qline: \[select quality\] telescopes: item 2 '2 x' is not a telescope" \
    "a telescopes item that is not one telescope"

fresh_ow select_quality_range
quality_section 'min_muon_efficiency = -0.5
'
refused select_quality_range 2 "run.ini:$((qline + 2)): \[select quality\] min_muon_efficiency: -0.5 is out of range \(must be >= 0\)" \
    "a negative min_muon_efficiency, at its line"

fresh_ow group_column
sed -i 's|^plugin = zenith$|plugin = bins\naxis1_column = AZZ_PNT\naxis1_edges = 0, 180, 360|;/^edges_deg/d' "$C/run.ini"
refused group_column 2 "run.ini:[0-9]+: \[group\] plugin bins failed: the observation table has no numeric AZZ_PNT column .* in $C/store/obs-index.fits.gz" \
    "a group axis on a column the obs-index lacks"

fresh_ow bad_regions
printf 'RA,DEC,RADIUS\n10,-80\n' >"$C/regions.csv"
refused bad_regions 2 "\[exclude\] regions: $C/regions.csv:2: " \
    "a regions file that does not parse"

# ---------------------------------------------------------------------------
# Zero runs

fresh_ow where_none
sed -i 's|^plugin = all$|plugin = column\nwhere = TARGET_TAG == offdta|' "$C/run.ini"
seal_all
for cmd in check run; do
    run_offbkg -q $cmd "$C/run.ini"
    ok $(test $status -eq 1 && test "$(echo "$err" | wc -l)" -eq 1 \
         && echo "$err" | grep -q "\[select\] plugin column selected none of the 3 runs of the data store $C/store ($C/store/obs-index.fits.gz): 3 runs: TARGET_TAG == offdta is false; TARGET_TAG has 'offdata'$"
         echo $?) \
        "where_none: $cmd fails (exit $status) with one line naming the store and the values TARGET_TAG has"
done
ok $(test ! -e "$C/out"; echo $?) \
    "where_none: nothing is written (not even the output dir it made)"
unchanged where_none

fresh_ow group_none
sed -i 's|^edges_deg = .*|edges_deg = 85, 89|' "$C/run.ini"
seal_all
for cmd in check run; do
    run_offbkg -q $cmd "$C/run.ini"
    ok $(test $status -eq 1 \
         && echo "$err" | grep -q "\[group\] plugin zenith put none of the 3 selected runs of the data store $C/store into a group: 3 runs: ZEN_PNT outside every zenith bin"
         echo $?) \
        "group_none: a grouping that leaves every group empty fails $cmd (exit $status), with the same words"
done
ok $(test ! -e "$C/out"; echo $?) \
    "group_none: nothing is written (not even the output dir it made)"

fresh_ow all_skipped
rm "$C/store/data/"*
seal_all
run_offbkg -q run "$C/run.ini"
ok $(test $status -eq 1 \
     && echo "$err" | grep -q "made models from none of the 3 runs: every one was skipped (OBS_ID 1: "
     echo $?) \
    "all_skipped: every run skipped fails the run (exit $status), naming the first reason"
ok $(test ! -e "$C/out"; echo $?) \
    "all_skipped: nothing is written (not even the output dir it made)"
unchanged all_skipped

tap_plan $tap_n
exit 0
