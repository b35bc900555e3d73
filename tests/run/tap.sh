# SPDX-License-Identifier: BSD-3-Clause
# Minimal TAP helpers for the end-to-end scripts (sourced).
#   tap_plan N; ok COND_EXIT_CODE "description"; tap_done
tap_n=0
tap_failed=0

tap_plan() { echo "1..$1"; }

# ok STATUS DESCRIPTION: STATUS 0 is a pass. A failure also shows the
# last run_offbkg (its command, exit status, stdout and stderr), so that
# a failure seen once, on a busy machine, can still be explained.
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
        if [ -n "${tap_last_cmd:-}" ]; then
            echo "# last run: offbkg $tap_last_cmd (exit $status)"
            printf '%s\n' "$out" | head -20 | sed 's/^/# stdout: /'
            printf '%s\n' "$err" | head -20 | sed 's/^/# stderr: /'
        fi
    fi
}

# run_offbkg ARGS...: runs $OFFBKG (under $OFFBKG_WRAPPER, e.g. valgrind,
# if set), sets $out, $err and $status.
run_offbkg() {
    tap_last_cmd="$*"
    ${OFFBKG_WRAPPER:-} "$OFFBKG" "$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
    status=$?
    out=$(cat "$tap_tmp/out")
    err=$(cat "$tap_tmp/err")
}

# model_digests DIR: "file digest" of every model file in DIR, sorted;
# equal digests are bit-identical data (tests/tools/bkg_summary).
model_digests() {
    for f in "$1"/*background_*_table.fits.gz; do
        printf '%s %s\n' "${f##*/}" "$(${OFFBKG_WRAPPER:-} \
            "$OFFBKG_TEST_TOOLS/bkg_summary" "$f" | sed -n 's/^digest //p')"
    done | sort
}

# find_gammapy_python: set $python to the first of /usr/bin/python3 and
# python3 that can import gammapy (the Debian interpreter first: a pyenv
# shim earlier on PATH may lack numpy); false if there is none.
find_gammapy_python() {
    python=
    for py in /usr/bin/python3 python3; do
        if command -v "$py" >/dev/null 2>&1 \
           && "$py" -c "import gammapy" >/dev/null 2>&1; then
            python=$py
            return 0
        fi
    done
    return 1
}

# tap_checks FILE: each "CHECK ok|fail WHAT" line of FILE becomes a TAP
# result; the other lines are shown as diagnostics.
tap_checks() {
    while IFS= read -r line; do
        case $line in
        "CHECK ok "*) ok 0 "${line#CHECK ok }" ;;
        "CHECK fail "*) ok 1 "${line#CHECK fail }" ;;
        *) echo "# $line" ;;
        esac
    done <"$1"
}

# A scratch directory removed on exit. No dot before the random part:
# cfitsio (and so the test tools) cannot read a file whose path has
# ".Z" in it.
tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/offbkg-test-XXXXXX") || {
    echo "Bail out! cannot make a temporary directory"
    exit 1
}
trap 'rm -rf "$tap_tmp"' EXIT

if [ -z "${OFFBKG:-}" ] || [ ! -x "$OFFBKG" ]; then
    echo "Bail out! \$OFFBKG is not an executable (run through make check)"
    exit 1
fi
