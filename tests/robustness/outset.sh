#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The output set (core/outset.c): a command's files in [output] dir appear
# at once or not at all, whatever interrupts it.
#   stale         a rerun with fewer groups removes the old group files of
#                 ours, and never touches another file
#   stale_kept    without overwrite, an old file of ours is refused by name
#   planted       symbolic links planted at temporary names (and at the
#                 lock file) are never followed
#   sigterm, sighup, sigpipe
#                 a signal while the outputs are written leaves the old
#                 complete set (sigpipe: the reader of `offbkg run ... 2>&1`
#                 gone)
#   nohup         an ignored SIGHUP stays ignored
#   sigkill       SIGKILL then: the next run leaves no temporary and a
#                 complete set
#   journal       a staging dir with a complete journal is completed by
#                 the next command; one without is removed
#   lock          two runs on one dir: the second is refused at once,
#                 naming the first's pid; the first's set is whole
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 8 --events 1000 --mixed-compression

# The second configuration, "B": more groups and large smoothed 3D models,
# so that writing them takes a while (about a second). With ambiguous
# (energy_n = dety_n) each model written logs a warning.
big_ini() {
    cat <<INI
[datastore]
path = store
[output]
dir = out
overwrite = true
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 10, 20, 30, 40, 50, 60, 70, 90
[model 3d]
plugin = 3d
energy_n = 12
detx_n = 120
dety_n = ${1:-120}
[smooth 3d]
plugin = gauss2d
INI
}

# snapshot DIR: the names of DIR's entries and the checksums of its files.
snapshot() {
    (cd "$1" && ls -A && find . -type f -exec sha256sum {} + | sort)
}

# run_a: a complete set of the pristine configuration ("A") in $C/out,
# overwrite = true, and its snapshot in $C/a.snap.
run_a() {
    sed -i 's|^dir = out$|dir = out\noverwrite = true|' "$C/run.ini"
    big_ini >"$C/big.ini"
    run_offbkg -q -j 1 run "$C/run.ini"
    [ "$status" -eq 0 ] || echo "# run A failed: $err"
    snapshot "$C/out" >"$C/a.snap"
}

# writing PID: wait until PID writes its outputs (a file in a staging
# directory of $C/out, or an older offbkg's temporary file); up to 5
# minutes, for valgrind on a busy machine.
writing() {
    for i in $(seq 30000); do
        for f in "$C"/out/.tmp*/* "$C"/out/.tmp[0-9]*; do
            [ -e "$f" ] && return 0
        done
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

# ---------------------------------------------------------------------------
fresh stale
seal
sed -i 's|^edges_deg = .*|edges_deg = 0, 20, 30, 40, 50, 90|; s|^dir = out$|dir = out\noverwrite = true|' "$C/run.ini"
run_offbkg -q run "$C/run.ini"
ok $(test "$status" -eq 0 && test -e "$C/out/background_2D_group_003_table.fits.gz"; echo $?) \
    "stale: the first run writes groups 0 to 3"
echo "my notes" >"$C/out/notes.txt"
echo "not ours" >"$C/out/background_2D_group_003_table.fits.gz.orig"
mkdir "$C/out/background_3D_group_002_table.fits.gz.d"
ln -s notes.txt "$C/out/mylink"
(cd "$C/out" && sha256sum notes.txt background_2D_group_003_table.fits.gz.orig) >"$C/foreign.sums"
sed -i 's|^edges_deg = .*|edges_deg = 0, 90|' "$C/run.ini"
run_offbkg run "$C/run.ini"
check stale 0 "a rerun with one group"
left=$(cd "$C/out" && ls | grep '_group_00[1-9]_table.fits.gz$')
ok $(test -z "$left" && test -e "$C/out/background_2D_group_000_table.fits.gz" \
     && echo "$err" | grep -q "removed the old $C/out/background_2D_group_003_table.fits.gz"
     echo $?) "stale: the old group files are removed, with a warning${left:+ (left: $left)}"
ok $(cd "$C/out" && sha256sum -c --quiet "$C/foreign.sums" \
     && test -d background_3D_group_002_table.fits.gz.d \
     && test "$(readlink mylink)" = notes.txt; echo $?) \
    "stale: the files that are not offbkg's are untouched"

fresh stale_kept
seal
mkdir "$C/out"
echo "an old model" | gzip >"$C/out/background_2D_group_007_table.fits.gz"
run_offbkg -q run "$C/run.ini"
check stale_kept 1 "without overwrite, an old file of ours is refused"
ok $(echo "$err" | grep -q "out/background_2D_group_007_table.fits.gz exists; remove it or set \[output\] overwrite = true" \
     && test "$(ls -A "$C/out")" = background_2D_group_007_table.fits.gz \
     && test "$(zcat "$C/out/background_2D_group_007_table.fits.gz")" = "an old model"
     echo $?) "stale_kept: the message names it; nothing is written"

# ---------------------------------------------------------------------------
# Symbolic links at the names a temporary file would take: every name of
# the form offbkg used before (.tmp<PID>.<N>.<name>, the pid known in
# advance through exec), to a victim file, and dangling ones for the FITS
# files (cfitsio would create their target). None is followed.
fresh planted
seal
mkdir "$C/out"
echo "precious" >"$C/victim"
names="run.lis obs.fits group-def.fits report.json hdu-index.fits.gz obs-index.fits.gz bkg-index.fits.gz"
for g in 000 001; do
    for d in 2D 3D; do
        names="$names background_${d}_group_${g}_table.fits.gz"
    done
done
tap_last_cmd="-q run $C/run.ini (planted links)"
NAMES=$names sh -c 'C=$1; shift
       for n in $(seq 40); do
           for f in $NAMES; do
               case $f in
               *.fits) ln -s "$C/elsewhere.$n.$f" "$C/out/.tmp$$.$n.$f" ;;
               *) ln -s "$C/victim" "$C/out/.tmp$$.$n.$f" ;;
               esac
           done
       done
       exec "$@"' sh "$C" ${OFFBKG_WRAPPER:-} "$OFFBKG" -q run "$C/run.ini" \
    >"$T/out" 2>"$T/err"
status=$?
out=$(cat "$T/out")
err=$(cat "$T/err")
links=0
for f in "$C"/out/*; do
    [ -L "$f" ] && links=$((links + 1))
done
ok $(test "$status" -eq 0 && test "$(cat "$C/victim")" = precious \
     && test -z "$(ls "$C" | grep '^elsewhere')" && test $links -eq 0
     echo $?) "planted: no link is followed; the victim is intact, no file made elsewhere, the outputs are files"
find "$C/out" -name '.tmp*' -type l -exec rm {} +
check planted 0 "planted: the run succeeds"

fresh lock_link
seal
mkdir "$C/out"
echo "precious" >"$C/victim"
ln -s "$C/victim" "$C/out/.offbkg.lock"
run_offbkg -q run "$C/run.ini"
rm "$C/out/.offbkg.lock"
check lock_link 1 "a symbolic link as the lock file is refused"
ok $(echo "$err" | grep -q "out/.offbkg.lock: a symbolic link" \
     && test "$(cat "$C/victim")" = precious && test -z "$(ls -A "$C/out")"
     echo $?) "lock_link: the message says so; the victim is intact, nothing is written"

# ---------------------------------------------------------------------------
# interrupt NAME SIGNAL STATUS: run B over A's set and send SIGNAL while
# B writes its outputs.
interrupt() {
    fresh "$1"
    seal
    run_a
    tap_last_cmd="-j 1 run $C/big.ini (in the background, SIG$2 while it writes)"
    # A signal ignored by whoever started the test suite (nohup) would
    # stay ignored in offbkg, by design: give it the default first.
    env --default-signal="$2" ${OFFBKG_WRAPPER:-} "$OFFBKG" -j 1 run \
        "$C/big.ini" >"$T/out" 2>"$T/err" &
    pid=$!
    if writing $pid; then
        kill -s "$2" $pid
        reached=0
    else
        reached=1
    fi
    wait $pid
    status=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
    ok $reached "$1: SIG$2 reached offbkg while it wrote its outputs"
    check "$1" "$3" "SIG$2 while writing stops offbkg, which dies of it"
    snapshot "$C/out" >"$C/now.snap"
    ok $(echo "$err" | grep -q "interrupted by SIG$2" \
         && diff "$C/a.snap" "$C/now.snap" >/dev/null; echo $?) \
        "$1: the message says so; the old set is whole and alone"
}
interrupt sigterm TERM 143
interrupt sighup HUP 129

# nohup: a SIGHUP ignored by whoever started offbkg stays ignored.
fresh nohup
seal
run_a
tap_last_cmd="-j 1 run $C/big.ini (SIGHUP ignored, in the background, SIGHUP while it writes)"
(trap '' HUP; exec ${OFFBKG_WRAPPER:-} "$OFFBKG" -q -j 1 run "$C/big.ini" \
    >"$T/out" 2>"$T/err") &
pid=$!
if writing $pid; then
    kill -s HUP $pid
    reached=0
else
    reached=1
fi
wait $pid
status=$?
out=$(cat "$T/out")
err=$(cat "$T/err")
ok $reached "nohup: SIGHUP reached offbkg while it wrote its outputs"
check nohup 0 "an ignored SIGHUP does not stop offbkg"
ok $(grep -q '70, 90' "$C/out/report.json"; echo $?) "nohup: the new set is in place"

# Each model written logs a warning (energy_n = dety_n); the reader of
# offbkg's output ends at the first, so the next ones meet a closed pipe
# while the outputs are written (as `offbkg run x.ini 2>&1 | head -1` when
# the warnings come then).
fresh sigpipe
seal
run_a
big_ini 12 >"$C/big.ini"
tap_last_cmd="-j 1 run $C/big.ini 2>&1 | sed '/gammapy will log/q'"
{ env --default-signal=PIPE ${OFFBKG_WRAPPER:-} "$OFFBKG" -j 1 run \
      "$C/big.ini" 2>&1
  echo $? >"$C/status"; } | sed -n '/gammapy will log/{p;q}' >"$T/out"
status=$(cat "$C/status")
out=$(cat "$T/out")
err=
ok $(test -n "$out"; echo $?) "sigpipe: the pipe closed while offbkg wrote its models"
check sigpipe 141 "a closed pipe stops offbkg, which dies of SIGPIPE"
snapshot "$C/out" >"$C/now.snap"
ok $(diff "$C/a.snap" "$C/now.snap" >/dev/null; echo $?) \
    "sigpipe: the old set is whole and alone"

# ---------------------------------------------------------------------------
fresh sigkill
seal
run_a
mkdir "$C/ref"
sed 's|^dir = out$|dir = ref|' "$C/big.ini" >"$C/ref.ini"
run_offbkg -q run "$C/ref.ini"
tap_last_cmd="-j 1 run $C/big.ini (in the background, SIGKILL while it writes)"
${OFFBKG_WRAPPER:-} "$OFFBKG" -j 1 run "$C/big.ini" >"$T/out" 2>"$T/err" &
pid=$!
if writing $pid; then
    kill -s KILL $pid
    reached=0
else
    reached=1
fi
wait $pid
status=$?
ok $(test $reached -eq 0 && test "$status" -eq 137; echo $?) \
    "sigkill: SIGKILL ends offbkg while it writes its outputs"
bad=$(partial_files "$C/out" | grep -v '/\.tmp')
ok $(test -z "$bad"; echo $?) \
    "sigkill: no partial file under a final name${bad:+ ($bad)}"
run_offbkg -j 1 run "$C/big.ini"
check sigkill 0 "the next run succeeds"
ok $(echo "$err" | grep -q "removed the unfinished outputs of an interrupted offbkg command" \
     && test "$(ls -A "$C/out")" = "$(ls -A "$C/ref")"; echo $?) \
    "sigkill: it says so and leaves the complete set"

# ---------------------------------------------------------------------------
# What a kill in the middle of a commit leaves, made by hand: B's files
# staged with a complete journal. The next command (select, which owns
# only run.lis) completes the move; a staging dir without the journal's
# end line is removed instead.
fresh journal
seal
run_a
mkdir "$C/ref"
sed 's|^dir = out$|dir = ref|' "$C/big.ini" >"$C/ref.ini"
run_offbkg -q run "$C/ref.ini"
stage="$C/out/.tmp-offbkg-test01"
mkdir -m 700 "$stage" "$C/out/.tmp-offbkg-test02"
cp -p "$C"/ref/* "$stage/"
cp -p "$C/ref/run.lis" "$C/out/.tmp-offbkg-test02/"
printf 'offbkg output set 1\n' >"$stage/journal"
for f in $(ls "$C/ref"); do
    echo "put $f" >>"$stage/journal"
done
for f in $(ls "$C/out"); do
    [ -e "$C/ref/$f" ] || echo "del $f" >>"$stage/journal"
done
head -n 2 "$stage/journal" >"$C/out/.tmp-offbkg-test02/journal"
echo end >>"$stage/journal"
mv "$stage/run.lis" "$C/out/run.lis"   # moved before the kill
run_offbkg --set output.overwrite=true select "$C/big.ini"
check journal 0 "the next command runs"
same=0
for f in $(ls "$C/ref"); do
    cmp -s "$C/ref/$f" "$C/out/$f" || same=1
done
ok $(test $same -eq 0 && test "$(ls -A "$C/out")" = "$(ls -A "$C/ref")" \
     && echo "$err" | grep -q "completed the outputs of an offbkg command interrupted" \
     && echo "$err" | grep -q "removed the unfinished outputs .*tmp-offbkg-test02"
     echo $?) "journal: the complete journal is carried out, the incomplete one removed"

# ---------------------------------------------------------------------------
# Two runs, one directory: B holds it; A, started while B works, is
# refused at once with B's pid; B's set is whole.
fresh lock
seal
mkdir "$C/ref"
big_ini >"$C/big.ini"
sed 's|^dir = out$|dir = ref|' "$C/big.ini" >"$C/ref.ini"
run_offbkg -q run "$C/ref.ini"
sed -i 's|^dir = out$|dir = out\noverwrite = true|' "$C/run.ini"
${OFFBKG_WRAPPER:-} "$OFFBKG" -j 1 run "$C/big.ini" >"$C/b.out" 2>"$C/b.err" &
pid=$!
for i in $(seq 30000); do
    [ -s "$C/out/.offbkg.lock" ] && break
    writing $pid && break
    sleep 0.01
done
# Refused with B's pid: B held the lock when A tried, and A did not wait
# for it (B may have ended since: a fast B, or a slow A under valgrind).
run_offbkg -q run "$C/run.ini"
ok $(test "$status" -eq 1 \
     && echo "$err" | grep -q "out: another offbkg (pid $pid) is writing in this output directory"
     echo $?) \
    "lock: a second run is refused at once (exit 1), naming the directory and the first run's pid"
wait $pid
status=$?
out=$(cat "$C/b.out")
err=$(cat "$C/b.err")
check lock 0 "the first run ends well"
ok $(test "$(ls -A "$C/out")" = "$(ls -A "$C/ref")" \
     && grep -q '70, 90' "$C/out/report.json"; echo $?) \
    "lock: the set is the first run's, whole"

tap_plan $tap_n
exit 0
