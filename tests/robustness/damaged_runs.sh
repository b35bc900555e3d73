#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Bad runs in a data store: each case damages one run of a small simulated
# store (doc/design.md §4.3). A run that cannot be used
# is skipped with its reason in report.json and the log (exit 0); with
# --strict the same run fails the command (exit 1) before any output is
# written. Damage that leaves the run usable (NaN rows, an empty table, no
# GTI) is counted, not skipped. Every case also checks that the inputs are
# unchanged and that no partial or temporary file is left.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

# 4 runs of about 1000 events; runs 2 and 4 are plain FITS, 1 and 3 gzip.
make_pristine --runs 4 --events 1000 --mixed-compression
plain=data/run_000002.fits
gz=data/run_000001.fits.gz

# used NAME OBS_ID DESC: the run is used (not skipped).
used() {
    seal
    run_offbkg -q --strict run "$C/run.ini"
    check "$1" 0 "$3"
    ok $(grep -Eq "\"obs_id\": $2, .*\"skipped\": null" "$C/out/report.json"
         echo $?) "$1: report.json lists OBS_ID $2 as used"
}

fresh trunc_gz
truncate -s 20000 "$C/store/$gz"
skipped trunc_gz 1 ".*run_000001.fits.gz: " "a truncated gzip run file"

# The gzip trailer (inflated size) says 2 GiB: cfitsio would allocate it.
fresh gzip_trailer
printf '\377\377\377\177' | dd of="$C/store/$gz" bs=1 conv=notrunc \
    seek=$(($(wc -c <"$C/store/$gz") - 4)) 2>/dev/null
skipped gzip_trailer 1 ".*run_000001.fits.gz: damaged gzip file" \
    "a gzip run file with a damaged trailer"

fresh trunc_fits
truncate -s 20000 "$C/store/$plain"
skipped trunc_fits 2 ".*run_000002.fits: " "a truncated FITS run file"

# TTYPE1 of EVENTS (the first table) as 70 unquoted characters: cfitsio
# 4.2 copies it into a 70-byte field and aborts (found by fuzz_events).
# long_ttype FILE: that damage, in place, plain or gzip.
long_ttype() {
    case $1 in
    *.gz) gzip -dc "$1" >"$C/plain.fits" ;;
    *) cp "$1" "$C/plain.fits" ;;
    esac
    at=$(grep -abo "TTYPE1  = " "$C/plain.fits" | head -1 | cut -d: -f1)
    printf '%070d' 0 | tr 0 X \
        | dd of="$C/plain.fits" bs=1 seek=$((at + 10)) conv=notrunc 2>/dev/null
    case $1 in
    *.gz) gzip -c "$C/plain.fits" >"$1" ;;
    *) cp "$C/plain.fits" "$1" ;;
    esac
    rm -f "$C/plain.fits"
}
fresh long_ttype
long_ttype "$C/store/$plain"
skipped long_ttype 2 ".*run_000002.fits: damaged header: HDU 2: the value of TTYPE1 is not a quoted string" \
    "a plain run file whose TTYPE1 is 70 unquoted characters"
fresh long_ttype_gz
long_ttype "$C/store/$gz"
skipped long_ttype_gz 1 ".*run_000001.fits.gz: damaged header: HDU 2: the value of TTYPE1 is not a quoted string" \
    "a gzip run file whose TTYPE1 is 70 unquoted characters"

fresh no_events
damage "$C/store/$plain" delete-hdu EVENTS
skipped no_events 2 ".*run_000002.fits: no HDU named events" \
    "a run file without its EVENTS HDU"

fresh string_energy
damage "$C/store/$plain" string-col EVENTS ENERGY
skipped string_energy 2 ".*run_000002.fits: .*ENERGY" \
    "an ENERGY column of strings"

fresh ontime_zero
damage "$C/store/obs-index.fits.gz" value OBS_INDEX ONTIME 2 0
skipped ontime_zero 2 "ONTIME or LIVETIME is missing, zero or negative" \
    "ONTIME = 0"

fresh livetime_negative
damage "$C/store/obs-index.fits.gz" value OBS_INDEX LIVETIME 3 -100
skipped livetime_negative 3 "ONTIME or LIVETIME is missing, zero or negative" \
    "LIVETIME < 0"

# No ONTIME anywhere: not in the obs-index, the EVENTS header nor a GTI.
fresh ontime_missing
damage "$C/store/obs-index.fits.gz" value OBS_INDEX ONTIME 2 nan
damage "$C/store/$plain" key EVENTS ONTIME -
damage "$C/store/$plain" delete-hdu GTI
skipped ontime_missing 2 "ONTIME or LIVETIME is missing, zero or negative" \
    "a run without ONTIME"

fresh missing_file
damage "$C/store/hdu-index.fits.gz" value HDU_INDEX FILE_NAME 3 nope.fits
skipped missing_file 2 "No such file: .*data/nope.fits" \
    "an hdu-index row pointing at a missing file"
ok $(! echo "$err" | grep -q "ffopen\|could not open the named file"
     echo $?) "missing_file: no raw cfitsio text in the message"

fresh missing_hdu
damage "$C/store/hdu-index.fits.gz" value HDU_INDEX HDU_NAME 3 NOPE
skipped missing_hdu 2 ".*run_000002.fits: no HDU named NOPE" \
    "an hdu-index row pointing at a missing HDU"

# Usable runs: NaN and inf rows are dropped and counted; an empty table
# and a missing GTI (ONTIME and LIVETIME are known) are no reason to skip.
fresh nan_rows
damage "$C/store/$plain" value EVENTS ENERGY 3 nan
damage "$C/store/$plain" value EVENTS RA 5 inf
damage "$C/store/$plain" value EVENTS DEC 7 -inf
used nan_rows 2 "NaN and inf event rows are dropped"
ok $(grep -q '"obs_id": 2, .*"events_nonfinite": 3,' "$C/out/report.json"
     echo $?) "nan_rows: report.json counts the 3 non-finite rows"

fresh empty_events
damage "$C/store/$plain" empty EVENTS
used empty_events 2 "an empty EVENTS table counts as a run without events"
ok $(grep -q '"obs_id": 2, .*"events_read": 0,' "$C/out/report.json"
     echo $?) "empty_events: report.json gives 0 events read"

fresh no_gti
damage "$C/store/$gz" delete-hdu GTI
used no_gti 1 "a run without GTI HDU, ONTIME and LIVETIME known"

tap_plan $tap_n
exit 0
