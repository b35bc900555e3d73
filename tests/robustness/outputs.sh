#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Outputs that cannot be written: an output dir that cannot be made or
# written, and a full disk (a file size limit, ulimit -f, at growing
# sizes until the run fits). offbkg must fail with exit 1 and a message
# that names the file (a read-only directory before any work), never die
# of a signal (SIGXFSZ), never leave a temporary file or a truncated file
# under a final name, and never touch its inputs.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 3 --events 1000 --mixed-compression

# The output dir would be under a regular file: it cannot be made, even
# by root.
fresh out_under_file
seal
echo "a file" >"$C/blocker"
sed -i 's|^dir = out$|dir = blocker/out|' "$C/run.ini"
run_offbkg -q run "$C/run.ini"
check out_under_file 1 "an output dir that cannot be made fails the run"
ok $(echo "$err" | grep -q "blocker" && test "$(cat "$C/blocker")" = "a file"
     echo $?) "out_under_file: the message names it; the file is unchanged"

# Permissions do not stop root: root runs this case as nobody.
fresh out_readonly
if ! find_unprivileged; then
    for i in 1 2 3 4; do
        ok 0 "out_readonly # SKIP no way to run without root's power"
    done
else
    seal
    mkdir "$C/out"
    chmod 555 "$C/out"
    run_unprivileged -q run "$C/run.ini"
    chmod 755 "$C/out"
    check out_readonly 1 "a read-only output dir fails the run"
    ok $(echo "$err" | grep -q "cannot" && test -z "$(ls -A "$C/out")"
         echo $?) "out_readonly: the message says so; nothing is written"
fi

# The same, found before any run is processed: the file of one run is
# missing, so a run that got to the runs would warn that it skips it.
fresh readonly_early
if ! find_unprivileged; then
    for i in 1 2 3 4; do
        ok 0 "readonly_early # SKIP no way to run without root's power"
    done
else
    rm "$C/store/data/$(ls "$C/store/data" | head -n 1)"
    seal
    mkdir "$C/out"
    chmod 555 "$C/out"
    run_unprivileged run "$C/run.ini"
    chmod 755 "$C/out"
    check readonly_early 1 "a read-only output dir fails the run"
    ok $(echo "$err" | grep -q "out: cannot write in the output directory: Permission denied" \
         && ! echo "$err" | grep -q "skipped" && test -z "$out"; echo $?) \
        "readonly_early: said before any run is read"
fi

# A full disk: each run gets a file size limit (in ulimit's blocks), from
# too small for the first output to large enough for all of them.
fresh full
seal
failures=0 whole=0 fits_at= unnamed=
for blocks in 1 4 8 12 16 20 24 32 48 64 96 128 256 512 1024 4096; do
    rm -rf "$C/out"
    tap_last_cmd="-q run $C/run.ini (ulimit -f $blocks)"
    (ulimit -f "$blocks" && exec ${OFFBKG_WRAPPER:-} "$OFFBKG" -q run \
        "$C/run.ini" >"$T/out" 2>"$T/err")
    status=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
    bad=$(partial_files "$C/out")
    if [ "$status" -eq 1 ] && echo "$err" | grep -q "cannot"; then
        failures=$((failures + 1))
        # Every write error names its file.
        echo "$err" | grep -q "^offbkg: error: $C/out/[^ ]*: " \
            || unnamed="$unnamed $blocks"
    elif [ "$status" -eq 0 ]; then
        fits_at=$blocks
    else
        echo "# ulimit -f $blocks: exit $status: $err"
        whole=1
    fi
    [ -z "$bad" ] || { echo "# ulimit -f $blocks: partial: $bad"; whole=1; }
    [ "$status" -eq 0 ] && break
done
ok $whole "full: every limit gives exit 1 with a message or exit 0, never a signal or a partial file"
ok $(test "$failures" -ge 3 && test -n "$fits_at"; echo $?) \
    "full: $failures limits fail the run, the run fits in ${fits_at:-no} blocks"
ok $(test -z "$unnamed"; echo $?) \
    "full: every message names the file it could not write${unnamed:+ (not at ulimit -f$unnamed)}"
check full 0 "the run with room enough succeeds"

tap_plan $tap_n
exit 0
