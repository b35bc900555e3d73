#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# SIGINT and SIGTERM in the middle of offbkg run: the process stops at the
# next run, removes its temporary files and dies of the signal it got
# (exit status 128 + number), with a message; nothing is written, since
# run computes every stage before writing, and the inputs are unchanged.
# To be sure the signal lands mid-run, another process holds a lease on
# the file of run 2: offbkg (one thread) blocks opening it, and the signal
# must end that open at once (one signal, not one per attempt to open).
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 4 --events 1000 --mixed-compression

# blocked PID: wait until PID sleeps opening a leased file (Linux /proc);
# up to 5 minutes, for valgrind on a busy machine.
blocked() {
    for i in $(seq 3000); do
        case $(cat "/proc/$1/wchan" 2>/dev/null) in
        *lease*) return 0 ;;
        esac
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# lease FILE: hold a lease on FILE in the background ($holder) until
# killed (an open waits for it up to the kernel's lease-break-time, 45 s
# by default); false if leases cannot be taken here.
lease() {
    rm -f "$T/lease"
    "$OFFBKG_TEST_TOOLS/holdlease" "$1" 600 >"$T/lease" 2>/dev/null &
    holder=$!
    for i in $(seq 100); do
        grep -q ready "$T/lease" 2>/dev/null && return 0
        kill -0 $holder 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# interrupt NAME SIGNAL STATUS
interrupt() {
    fresh "$1"
    seal
    run2="$C/store/data/run_000002.fits"
    lease "$run2" || {
        kill $holder 2>/dev/null
        ok 1 "$1: a lease could be taken on run 2"
        return
    }
    tap_last_cmd="-j 1 run $C/run.ini (in the background, SIG$2)"
    ${OFFBKG_WRAPPER:-} "$OFFBKG" -j 1 run "$C/run.ini" >"$T/out" 2>"$T/err" &
    pid=$!
    if blocked $pid; then
        kill -s "$2" $pid
        reached=0
    else
        kill -s KILL $pid 2>/dev/null
        reached=1
    fi
    # The signal alone must end it, well before the kernel breaks the
    # lease (the open would then go on) and while it is still held.
    t0=$(date +%s)
    wait $pid
    status=$?
    elapsed=$(( $(date +%s) - t0 ))
    kill -0 $holder 2>/dev/null
    held=$?
    [ $elapsed -lt $(( $(cat /proc/sys/fs/lease-break-time) * 2 / 3 )) ] \
        || held=1
    kill $holder 2>/dev/null
    wait $holder 2>/dev/null
    out=$(cat "$T/out")
    err=$(cat "$T/err")
    ok $reached "$1: offbkg reached run 2 (blocked opening it)"
    ok $held "$1: the signal ended the blocked open at once (${elapsed} s)"
    check "$1" "$3" "SIG$2 mid-run stops offbkg, which dies of it"
    ok $(echo "$err" | grep -q "interrupted by SIG$2" \
         && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
        "$1: the message says so; nothing is written"
}

if [ ! -r /proc/self/wchan ]; then
    echo "1..0 # SKIP no /proc/PID/wchan to see offbkg wait"
    exit 0
fi
touch "$T/try-lease"
if ! lease "$T/try-lease"; then
    echo "1..0 # SKIP no file leases here (fcntl F_SETLEASE)"
    exit 0
fi
kill $holder 2>/dev/null
wait $holder 2>/dev/null
interrupt sigint INT 130
interrupt sigterm TERM 143

# SIGTERM in the middle of offbkg fill (doc/store.md §5, §7): run 1's
# entry is complete, run 2 is not begun, no temporary file is left; the
# next fill takes run 1 from the store and fills the others.
fresh fill
printf '[store]\ndir = contrib\n' >>"$C/run.ini"
if lease "$C/store/data/run_000002.fits"; then
    ${OFFBKG_WRAPPER:-} "$OFFBKG" -j 1 fill "$C/run.ini" >"$T/out" 2>"$T/err" &
    pid=$!
    reached=1
    blocked $pid && reached=0
    kill -s TERM $pid
    wait $pid
    status=$?
    kill $holder 2>/dev/null
    wait $holder 2>/dev/null
    ok $reached "fill: offbkg fill reached run 2 (blocked opening it)"
    ok $(test $status -eq 143 && grep -q "interrupted by SIGTERM" "$T/err"; echo $?) \
        "fill: SIGTERM mid-fill stops it, which dies of it (exit $status)"
    ok $(test "$(ls "$C/contrib"/*/obs_1.fits.gz | wc -l)" -ge 1 \
         && ! ls "$C/contrib"/*/obs_2.fits.gz >/dev/null 2>&1 \
         && test -z "$(find "$C/contrib" -name '.tmp*')"; echo $?) \
        "fill: run 1's entries are there, run 2's not, no temporary file"
    run_offbkg fill "$C/run.ini"
    ok $(test $status -eq 0 && grep -q "filled 3 of 4 selected runs .*: 1 were in it already" "$T/out" \
         && ! grep -q damaged "$T/err"; echo $?) \
        "fill: the next fill keeps run 1 and fills the other 3 (exit $status): $out"
else
    kill $holder 2>/dev/null
    ok 1 "fill: a lease could be taken on run 2"
fi

tap_plan $tap_n
exit 0
