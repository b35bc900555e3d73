# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the bad-input suite (sourced after tests/run/tap.sh).
#   make_pristine ARGS...   a simulated store in $T/pristine (ARGS go to
#                           offbkg simulate) and its run.ini
#   fresh NAME              a copy in $T/NAME/{store,run.ini}, output
#                           dir $T/NAME/out; sets $C to $T/NAME
#   seal                    checksums of $C/store (after the damage)
#   damage FILE ACTION ...  fitsdamage FILE in place
#   check NAME WANT DESC    the last run_offbkg: exit status WANT (never a
#                           signal), $C/store unchanged since seal, and
#                           no partial or temporary file in $C/out
#   skip_reason OBS_ID RE   the skipped reason of OBS_ID in report.json
#   skipped NAME OBS_ID RE DESC
#                           a run of $C skips OBS_ID (reason matching RE,
#                           in report.json and the log), and --strict
#                           fails naming it with nothing written
#                           matches the extended regex RE
#   find_unprivileged       $unpriv: the prefix that runs a command
#                           without root's power over permissions (empty
#                           for an ordinary user); false if there is none
T=$tap_tmp
fitsdamage() { "$OFFBKG_TEST_TOOLS/fitsdamage" "$@"; }
fitsopen() { "$OFFBKG_TEST_TOOLS/fitstab" "$1" >/dev/null 2>&1; }

make_pristine() {
    "$OFFBKG" simulate "$T/pristine" -q "$@" || {
        echo "Bail out! offbkg simulate failed"
        exit 1
    }
    cat >"$T/pristine.ini" <<INI
[datastore]
path = store
[output]
dir = out
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 40, 90
[model 2d]
plugin = 2d
energy_n = 6
offset_n = 10
[model 3d]
plugin = 3d
energy_n = 4
detx_n = 6
dety_n = 6
INI
}

fresh() {
    C="$T/$1"
    rm -rf "$C"
    mkdir -p "$C"
    cp -R "$T/pristine" "$C/store"
    cp "$T/pristine.ini" "$C/run.ini"
}

seal() {
    (cd "$C/store" && find . -type f -exec sha256sum {} + | sort) >"$C/sums"
}

damage() {
    f=$1
    shift
    case $f in
    *.gz) tmp="$C/damaged.fits.gz" ;;
    *) tmp="$C/damaged.fits" ;;
    esac
    fitsdamage "$f" "$tmp" "$@" && mv "$tmp" "$f" || {
        echo "Bail out! fitsdamage $f $* failed"
        exit 1
    }
}

# The files of directory $1 that are partial or temporary (none: empty).
partial_files() {
    [ -d "$1" ] || return 0
    for f in "$1"/* "$1"/.[!.]*; do
        [ -e "$f" ] || continue
        case $f in
        */.tmp*) echo "$f" ;;
        *.gz) gzip -t "$f" 2>/dev/null || echo "$f" ;;
        *.fits) fitsopen "$f" || echo "$f" ;;
        *.json) tail -c 2 "$f" | grep -q '}' || echo "$f" ;;
        *.lis) test "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' \
                   || echo "$f" ;;
        esac
    done
}

check() {
    got=$status
    ok $(test "$got" -eq "$2"; echo $?) "$1: $3 (exit $got, want $2)"
    new=$( (cd "$C/store" && find . -type f -exec sha256sum {} + | sort) \
           | diff "$C/sums" - >/dev/null && echo same)
    ok $(test "$new" = same; echo $?) "$1: the inputs are unchanged"
    bad=$(partial_files "$C/out")
    ok $(test -z "$bad"; echo $?) \
        "$1: no partial or temporary file in the output dir${bad:+ ($bad)}"
}

skip_reason() {
    grep -Eq "\"obs_id\": $1, .*\"skipped\": \"$2" "$C/out/report.json"
}

find_unprivileged() {
    unpriv=
    [ "$(id -u)" -ne 0 ] && return 0
    unpriv="setpriv --reuid=65534 --regid=65534 --clear-groups"
    # nobody must reach the scratch directory and the build tree.
    chmod 755 "$T"
    $unpriv "$OFFBKG" --version >/dev/null 2>&1
}

# run_unprivileged ARGS...: run_offbkg as $unpriv.
run_unprivileged() {
    tap_last_cmd="$* (as $unpriv)"
    $unpriv ${OFFBKG_WRAPPER:-} "$OFFBKG" "$@" >"$T/out" 2>"$T/err"
    status=$?
    out=$(cat "$T/out")
    err=$(cat "$T/err")
}

# skipped NAME OBS_ID REASON-RE DESC: run and --strict run of $C.
skipped() {
    seal
    run_offbkg run "$C/run.ini"
    check "$1" 0 "$4 is skipped"
    ok $(skip_reason "$2" "$3" && echo "$err" | grep -q "OBS_ID $2 skipped"
         echo $?) "$1: report.json and the log give the reason"
    rm -rf "$C/out"
    run_offbkg -q --strict run "$C/run.ini"
    check "$1 --strict" 1 "$4 fails the run"
    ok $(echo "$err" | grep -q "error: OBS_ID $2: .*(--strict)" \
         && test -z "$(ls -A "$C/out" 2>/dev/null)"; echo $?) \
        "$1 --strict: the error names the run; nothing is written"
}
