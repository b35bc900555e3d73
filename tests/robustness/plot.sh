#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# offbkg plot on bad inputs and outputs: a missing file, a file that is
# not a model (an index table, a text file), a damaged model, an -o that
# cannot be made or written: a clear message naming the file, exit 1, the
# inputs unchanged, no partial or temporary file, and the good files of
# the same command still drawn.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"
tap_plan 23

run_offbkg --version
if ! echo "$out" | grep -q "^figures: drawn with PLplot$"; then
    i=0
    while [ $i -lt 23 ]; do
        i=$((i + 1))
        ok 0 "# SKIP built without PLplot (tests/run/plot.sh checks the message)"
    done
    exit 0
fi

make_pristine --runs 3
fresh plot
(cd "$C" && "$OFFBKG" -q run run.ini) || {
    echo "Bail out! offbkg run failed"
    exit 1
}
# The store and the models are the inputs here.
mv "$C/out" "$C/store/models"
model=$C/store/models/background_2D_group_000_table.fits.gz
seal

# A file missing, then a good one: the good one is drawn.
run_offbkg plot "$C/store/nothing.fits.gz" "$model" -o "$C/out"
check missing 1 "a missing file fails the command"
ok $(echo "$err" | grep -q "No such file: $C/store/nothing.fits.gz" \
     && test "$(ls "$C/out" | wc -l)" -eq 3 \
     && test "$(echo "$out" | wc -l)" -eq 3; echo $?) \
    "missing: the message names it; the other file's 3 figures are drawn and listed"
rm -rf "$C/out"

# An index table and a text file are not models.
run_offbkg plot "$C/store/models/obs-index.fits.gz" -o "$C/out"
check not-a-model 1 "an index table is refused"
ok $(echo "$err" | grep -q "obs-index.fits.gz: no BACKGROUND HDU and no table with a BKG column" \
     && test -z "$(ls -A "$C/out")"; echo $?) \
    "not-a-model: the message says what is missing; no figure"
rm -rf "$C/out"
echo "not FITS" >"$C/store/notes.fits"
seal
run_offbkg plot "$C/store/notes.fits" -o "$C/out"
check text 1 "a text file is refused"
ok $(echo "$err" | grep -q "notes.fits: not a FITS file" \
     && test -z "$(ls -A "$C/out")"; echo $?) \
    "text: \"not a FITS file\", no figure"
rm -rf "$C/out"

# A model truncated half-way (a copy: the pristine one stays).
head -c 3000 "$model" >"$C/store/cut.fits.gz"
seal
run_offbkg plot "$C/store/cut.fits.gz" -o "$C/out"
check truncated 1 "a truncated model is refused"
ok $(echo "$err" | grep -q "cut.fits.gz" \
     && test -z "$(ls -A "$C/out")"; echo $?) \
    "truncated: the message names it, no figure"
rm -rf "$C/out"

# -o under a regular file: it cannot be made.
: >"$C/afile"
run_offbkg plot "$model" -o "$C/afile/figs"
ok $(test $status -eq 1 && echo "$err" | grep -q "$C/afile.*cannot create directory: Not a directory" \
     && test -z "$out"; echo $?) \
    "an -o that cannot be made: exit 1, named, nothing listed"

# -o a directory we may not write in (as an unprivileged user when run
# as root, who writes anywhere).
if find_unprivileged; then
    mkdir -p "$C/ro"
    chmod 555 "$C/ro"
    chmod 644 "$model"
    run_unprivileged plot "$model" -o "$C/ro"
    ok $(test $status -eq 1 \
         && echo "$err" | grep -q "$C/ro/background_2D_group_000_table_rate_energy.png.*Permission denied" \
         && test -z "$(ls -A "$C/ro")" && test -z "$out"; echo $?) \
        "an -o without write permission: exit 1, the figure named, nothing left"
    chmod 755 "$C/ro"
else
    ok 0 "# SKIP no unprivileged user to be refused write permission"
fi

# The figures of a second command replace the first's, never half.
run_offbkg plot "$model" -o "$C/out"
first=$(sha256sum "$C"/out/*.png | sort)
run_offbkg plot "$model" -o "$C/out"
ok $(test $status -eq 0 && test "$(sha256sum "$C"/out/*.png | sort)" = "$first" \
     && test "$(ls -A "$C/out" | wc -l)" -eq 3; echo $?) \
    "drawing again replaces the figures with the same bytes, nothing else left"
check again 0 "drawing again"

# Energies come from the [plot] section; an empty -o is a usage error.
run_offbkg plot "$model" -o ""
ok $(test $status -eq 2 && echo "$err" | grep -q "\-o: the directory name is empty"; echo $?) \
    "an empty -o is a usage error (exit 2)"
