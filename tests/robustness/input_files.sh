#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Input files that are not what they claim to be, each in a copy of a
# small simulated store: a named pipe in place of a run file (skipped at
# once, not a blocked open), a gzip bomb (skipped as too large, under a
# bound the INI sets), a multi-member gzip run file (read, and the same as
# its one-member form), a model file with a header cfitsio 4.2 aborts on
# (offbkg index refuses it by name), and a grouping with too many groups
# (refused before any work). Inputs unchanged, no partial output.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

# 4 runs of about 1000 events; runs 2 and 4 are plain FITS, 1 and 3 gzip.
make_pristine --runs 4 --events 1000 --mixed-compression
plain=data/run_000002.fits
gz=data/run_000001.fits.gz

# run_limited SECONDS ARGS...: run_offbkg, killed after SECONDS (a hang is
# a failure, not a stuck test suite).
run_limited() {
    limit=$1
    shift
    tap_last_cmd="$*"
    ${OFFBKG_WRAPPER:-} "$OFFBKG" "$@" >"$T/out" 2>"$T/err" &
    pid=$!
    (sleep "$limit"; kill -s KILL $pid 2>/dev/null) &
    watchdog=$!
    wait $pid
    status=$?
    kill $watchdog 2>/dev/null
    wait $watchdog 2>/dev/null
    out=$(cat "$T/out")
    err=$(cat "$T/err")
}

# A named pipe as run 2's file: skipped at once as not a regular file.
fresh fifo
rm "$C/store/$plain"
mkfifo "$C/store/$plain"
seal
run_limited 120 run "$C/run.ini"
check fifo 0 "a run file that is a named pipe is skipped, not waited on"
ok $(skip_reason 2 ".*run_000002.fits: not a regular file \\(a named pipe\\)"
     echo $?) "fifo: report.json gives the reason"

# A run file offbkg may not read: said in plain words, not by cfitsio.
if find_unprivileged; then
    fresh unreadable
    chmod 777 "$C"
    chmod 000 "$C/store/$gz"
    seal
    run_unprivileged run "$C/run.ini"
    check unreadable 0 "a run file that cannot be read is skipped"
    ok $(skip_reason 1 "Permission denied: .*run_000001.fits.gz\"" \
         && ! grep -q ffopen "$C/out/report.json"; echo $?) \
        "unreadable: report.json says Permission denied: PATH"
else
    ok 0 "# SKIP unreadable: no unprivileged user to run as"
fi

# A gzip run file whose EVENTS table inflates to 8 MB (from some 10 kB),
# above a bound of 1 MiB: skipped as too large, named, with the key.
fresh bomb
damage "$C/store/$gz" rows EVENTS 200000
seal
run_offbkg --set datastore.max_inflated_gib=0.0009765625 run "$C/run.ini"
check bomb 0 "a gzip bomb is skipped"
ok $(skip_reason 1 ".*run_000001.fits.gz: too large: it inflates to more than 0.0009766 GiB \\(the bound is \\[datastore\\] max_inflated_gib\\)"
     echo $?) "bomb: report.json says too large, with the key"
ok $(test "$(wc -c <"$C/store/$gz")" -lt 200000; echo $?) \
    "bomb: the bomb itself is small"

# Run 1's gzip file in two members, the last a single block (its trailer
# gives 2880 bytes, far below the file's size): read, with the same runs
# and models as the one-member file.
fresh one_member
seal
run_offbkg -q --strict run "$C/run.ini"
check one_member 0 "the one-member store runs"
fresh two_members
gzip -dc "$C/store/$gz" >"$C/plain.fits"
size=$(wc -c <"$C/plain.fits")
{ head -c $((size - 2880)) "$C/plain.fits" | gzip -c
  tail -c 2880 "$C/plain.fits" | gzip -c; } >"$C/store/$gz"
rm "$C/plain.fits"
gzip -t "$C/store/$gz"
ok $? "two_members: gzip -t accepts the two-member file"
seal
run_offbkg -q --strict run "$C/run.ini"
check two_members 0 "a two-member gzip run file is read (--strict)"
same=0
for f in "$T/one_member/out"/*background*; do
    b=$(basename "$f")
    "$OFFBKG_TEST_TOOLS/bkg_summary" "$f" >"$T/one.txt" 2>&1
    "$OFFBKG_TEST_TOOLS/bkg_summary" "$C/out/$b" >"$T/two.txt" 2>&1
    cmp -s "$T/one.txt" "$T/two.txt" || same=1
done
grep '"obs_id"' "$T/one_member/out/report.json" | grep events_read \
    >"$T/one.txt"
grep '"obs_id"' "$C/out/report.json" | grep events_read >"$T/two.txt"
cmp -s "$T/one.txt" "$T/two.txt" || same=1
ok $same "two_members: the same runs and models as the one-member file"

# A model file whose TTYPE1 is 70 unquoted characters (cfitsio 4.2
# aborts on it: exit 134): offbkg index refuses it, naming it.
fresh model_ttype
run_offbkg -q run "$C/run.ini"
model=$(ls "$C"/out/*background_2D_group_000*.fits.gz | head -1)
gzip -dc "$model" >"$C/plain.fits"
at=$(grep -abo "TTYPE1  = " "$C/plain.fits" | head -1 | cut -d: -f1)
printf '%070d' 0 | tr 0 X \
    | dd of="$C/plain.fits" bs=1 seek=$((at + 10)) conv=notrunc 2>/dev/null
gzip -c "$C/plain.fits" >"$model"
rm "$C/plain.fits"
seal
run_offbkg -q --set output.overwrite=true index "$C/run.ini"
ok $(test $status -eq 1 -o $status -eq 2; echo $?) \
    "model_ttype: offbkg index fails cleanly (exit $status, want 1 or 2)"
ok $(echo "$err" | grep -q "$(basename "$model"): damaged header: HDU 2: the value of TTYPE1 is not a quoted string"
     echo $?) "model_ttype: the message names the model file and the card"

# group/bins with 20 bins on each of 4 axes: 160000 groups, more than
# offbkg allows.
fresh many_groups
edges=$(seq -s ', ' 0 20)
sed -i "/^edges_deg = /d; s/^plugin = zenith\$/plugin = bins\\
axis1_column = ZEN_PNT\\
axis1_edges = $edges\\
axis2_column = RA_PNT\\
axis2_edges = $edges\\
axis3_column = DEC_PNT\\
axis3_edges = $edges\\
axis4_column = ONTIME\\
axis4_edges = $edges/" "$C/run.ini"
seal
run_offbkg check "$C/run.ini"
ok $(test $status -eq 2 \
     && echo "$err" | grep -q "the axes make more than 100000 groups"
     echo $?) "many_groups: refused by check (exit $status, want 2)"
run_offbkg run "$C/run.ini"
check many_groups 2 "too many groups stop the run before any work"

tap_plan $tap_n
exit 0
