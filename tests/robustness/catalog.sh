#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Bad [exclude] catalogs are found by `offbkg check` and by `offbkg run`
# before any work and any write, each message naming the INI's line and
# the catalog's file:line (or row) and column; a catalog is an input that
# no output may replace; the catalog keys' values are checked.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

make_pristine --runs 3 --events 1000

# fresh_cat NAME TEXT: fresh NAME, overwrite = true, and the catalog
# cat.csv holding TEXT in [exclude].
fresh_cat() {
    fresh "$1"
    printf '%b' "$2" >"$C/cat.csv"
    sed -i 's|^\[output\]$|[output]\noverwrite = true|' "$C/run.ini"
    printf '[exclude]\ncircles_deg = 10, -80, 1\ncatalog = cat.csv\n' >>"$C/run.ini"
}

# refused NAME RE DESC: `check` and `run` both exit 2 with a message
# matching the extended regex RE; the store, INI and catalog are
# unchanged and nothing is written.
refused() {
    seal
    sha256sum "$C/run.ini" "$C/cat.csv" >"$C/sums.more"
    for cmd in check run; do
        run_offbkg -q $cmd "$C/run.ini"
        ok $(test $status -eq 2 && echo "$err" | grep -Eq "$2"; echo $?) \
            "$1: $cmd refuses $3 (exit $status)"
    done
    check "$1" 2 "$3"
    ok $(sha256sum -c --quiet "$C/sums.more" && test ! -e "$C/out/report.json"
         echo $?) "$1: the INI and the catalog are unchanged, nothing written"
}

line() { grep -n "^$1" "$C/run.ini" | cut -d: -f1; }

fresh_cat bad_dec 'NAME,RA,DEC\nA,05:34:31.9,+22:00:52\n"B, b",05:34:31.9,+95:00:00\n'
refused bad_dec "run.ini:$(line catalog): \[exclude\] catalog: $C/cat.csv:3: column DEC: 95 is not within \[-90, 90\] deg" \
    "a Dec out of range, naming file:line and the column"

fresh_cat bad_ra 'Source_Name,RAJ2000,DEJ2000\n\n# c\nA,25:00:00,0\n'
refused bad_ra "$C/cat.csv:4: column RAJ2000: '25:00:00' is not an angle" \
    "an RA of 25 hours"

fresh_cat open_quote 'NAME,RA,DEC\n"A, 1,2\nB,3,4\n'
refused open_quote "$C/cat.csv:2: field 1: its quote is not closed before the end of the file" \
    "a quote left open"

fresh_cat no_position 'NAME,X,Y\nA,1,2\n'
refused no_position "$C/cat.csv: no position columns" "a catalog without a position"

fresh_cat missing 'NAME,RA,DEC\nA,1,2\n'
sed -i 's|^catalog = cat.csv$|catalog = cat.csv, nothere.csv|' "$C/run.ini"
refused missing "\[exclude\] catalog: $C/nothere.csv: cannot read" \
    "a catalog that does not exist (after a good one)"

fresh_cat empty ''
refused empty "\[exclude\] catalog: $C/cat.csv: empty \(expected a header line naming the columns\)" \
    "an empty catalog"

fresh_cat scale 'NAME,RA,DEC\nA,1,2\n'
printf 'extension_scale = 0\nmin_radius_deg = 90\n' >>"$C/run.ini"
refused scale "run.ini:$(line extension_scale): \[exclude\] extension_scale: 0 is out of range \(must be > 0\)" \
    "extension_scale = 0"
ok $(echo "$err" | grep -q "run.ini:$(line min_radius_deg): \[exclude\] min_radius_deg: 90 is out of range (must be > 0 and < 90)"
     echo $?) "scale: and min_radius_deg = 90 in the same run"

fresh_cat symlink 'NAME,RA,DEC\nA,1,2\n'
mkdir "$C/out"
ln -s ../cat.csv "$C/out/run.lis"
refused symlink "$C/out/run.lis would replace the \[exclude\] catalog, $C/cat.csv" \
    "an output that is a symlink to the catalog"

tap_plan $tap_n
exit 0
