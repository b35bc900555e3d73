#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# SIGINT and SIGTERM in the middle of offbkg run: the process stops at the
# next run, removes its temporary files and dies of the signal it got
# (exit status 128 + number), with a message; nothing is written, since
# run computes every stage before writing, and the inputs are unchanged.
# To be sure the signal lands mid-run, the file of run 2 is a named pipe:
# offbkg (one thread) blocks opening it; the signal is sent then, and the
# pipe is released so that the run goes on.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 4 --events 1000 --mixed-compression

# blocked PID: wait until PID sleeps opening a named pipe (Linux /proc);
# up to 5 minutes, for valgrind on a busy machine.
blocked() {
    for i in $(seq 3000); do
        case $(cat "/proc/$1/wchan" 2>/dev/null) in
        *partner* | *fifo*) return 0 ;;
        esac
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# interrupt NAME SIGNAL STATUS
interrupt() {
    fresh "$1"
    seal
    run2="$C/store/data/run_000002.fits"
    mv "$run2" "$C/run2.fits"
    mkfifo "$run2"
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
    # The real file back in place, then release the blocked open (cfitsio
    # opens the file again by name and finds the real one). The signal
    # may also have interrupted the open (EINTR), so the writer that
    # releases it runs in the background and goes once offbkg is done.
    mv "$run2" "$C/fifo"
    mv "$C/run2.fits" "$run2"
    (: >"$C/fifo") &
    writer=$!
    wait $pid
    status=$?
    kill $writer 2>/dev/null
    wait $writer 2>/dev/null
    out=$(cat "$T/out")
    err=$(cat "$T/err")
    ok $reached "$1: offbkg reached run 2 (blocked on its named pipe)"
    check "$1" "$3" "SIG$2 mid-run stops offbkg, which dies of it"
    ok $(echo "$err" | grep -q "interrupted by SIG$2" \
         && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
        "$1: the message says so; nothing is written"
}

if [ ! -r /proc/self/wchan ]; then
    echo "1..0 # SKIP no /proc/PID/wchan to see offbkg wait"
    exit 0
fi
interrupt sigint INT 130
interrupt sigterm TERM 143

tap_plan $tap_n
exit 0
