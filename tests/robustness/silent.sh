#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Inputs that once gave a wrong model without a word (issue 15, item 17):
# event columns in other units, two runs naming one event file, a run
# whose every event is dropped. Each is converted, or skipped with its
# reason (and fails the run under --strict); the inputs are unchanged and
# no partial or temporary file is left.
. "$top_srcdir/tests/run/tap.sh"
. "$top_srcdir/tests/robustness/common.sh"

# 4 runs of about 1000 events; runs 2 and 4 are plain FITS, 1 and 3 gzip.
make_pristine --runs 4 --events 1000 --mixed-compression
plain=data/run_000002.fits
gz=data/run_000001.fits.gz
summary() { "$OFFBKG_TEST_TOOLS/bkg_summary" "$@"; }

# The reference models, from the store as simulated.
fresh reference
run_offbkg run "$C/run.ini"
ok $(test "$status" -eq 0; echo $?) "reference: the pristine store runs"
ref=$C/out
ref_groups=$(echo "$out" | grep '^  group ')

# RA and DEC in radians (TUNIT = 'rad'), plain and gzip: converted, the
# same model as in degrees (they were binned as degrees).
fresh radians
for f in "$C/store/$plain" "$C/store/$gz"; do
    damage "$f" scale EVENTS RA 0.017453292519943295 rad
    damage "$f" scale EVENTS DEC 0.017453292519943295 rad
done
seal
run_offbkg -q --strict run "$C/run.ini"
check radians 0 "RA/DEC in rad are read"
for m in background_2D_group_000_table background_2D_group_001_table \
         background_3D_group_000_table background_3D_group_001_table; do
    [ -e "$ref/$m.fits.gz" ] || continue
    a=$(summary "$ref/$m.fits.gz" | grep '^counts')
    b=$(summary "$C/out/$m.fits.gz" | grep '^counts')
    ok $(test -n "$a" && test "$a" = "$b"; echo $?) \
        "radians: $m has the counts of the degree store"
done
ok $(grep -q '"obs_id": 2, .*"events_read": [1-9]' "$C/out/report.json"
     echo $?) "radians: the run's events are used"

# The obs-index columns the plugins read: ZEN_PNT in rad is converted (the
# same groups); ONTIME in minutes is refused before any work.
fresh zenith_rad
damage "$C/store/obs-index.fits.gz" scale OBS_INDEX ZEN_PNT \
    0.017453292519943295 rad
seal
run_offbkg --strict run "$C/run.ini"
check zenith_rad 0 "ZEN_PNT in rad is read"
ok $(test -n "$ref_groups" \
     && test "$(echo "$out" | grep '^  group ')" = "$ref_groups"; echo $?) \
    "zenith_rad: the groups of the degree store"

fresh ontime_min
damage "$C/store/obs-index.fits.gz" scale OBS_INDEX ONTIME 0.0166666667 min
seal
run_offbkg run "$C/run.ini"
check ontime_min 2 "ONTIME in minutes is refused"
ok $(echo "$err" | grep -q "obs-index.fits.gz: column ONTIME is in 'min'; offbkg reads it in s"
     echo $?) "ontime_min: the message names the column and its unit"

fresh arcsec
damage "$C/store/$plain" scale EVENTS DEC 3600 arcsec
skipped arcsec 2 ".*run_000002.fits: unknown DEC unit 'arcsec' \\(expected deg or rad\\)" \
    "a DEC column in arcsec"

fresh time_ms
damage "$C/store/$plain" scale EVENTS TIME 1000 ms
skipped time_ms 2 ".*run_000002.fits: unknown TIME unit 'ms' \\(expected s\\)" \
    "a TIME column in ms"

# Every event dropped: its ONTIME must not count as exposure with no
# events to go with it.
fresh energy_nan
damage "$C/store/$plain" scale EVENTS ENERGY nan TeV
skipped energy_nan 2 "all [0-9]+ event rows were dropped \\([0-9]+ not finite, 0 with ENERGY <= 0\\)" \
    "a run whose every ENERGY is NaN"

fresh energy_zero
damage "$C/store/$gz" scale EVENTS ENERGY 0 TeV
skipped energy_zero 1 "all [0-9]+ event rows were dropped \\(0 not finite, [0-9]+ with ENERGY <= 0\\)" \
    "a run whose every ENERGY is 0"

# OBS_ID 2's hdu-index rows name run 1's file: its events would be binned
# twice. Row 3 is OBS_ID 2's events row; the name is spelled another way,
# so only the file, not the text, is the same.
fresh shared_file
damage "$C/store/hdu-index.fits.gz" value HDU_INDEX FILE_NAME 3 \
    ./run_000001.fits.gz
skipped shared_file 2 "its events \\(.*run_000001.fits.gz, HDU events\\) are those of OBS_ID 1: they would be counted twice" \
    "a run naming another run's event file"
ok $(echo "$err" | grep -q "error: OBS_ID 2: its events .* are those of OBS_ID 1"
     echo $?) "shared_file: the message names both OBS_IDs"

tap_plan $tap_n
exit 0
