#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `offbkg select` and `offbkg group` on the real H.E.S.S. DR1 store
# ($OFFBKG_DR1, never copied into the repository): the run counts of
# doc/domain.md §2.3, §6.1 and §6.3, the formats of run.lis, obs.fits and
# group-def.fits (§2.2, §2.4), and the refusal to overwrite. Skipped when
# the store is absent. FITS files are read with tests/tools/fitstab.
. "$top_srcdir/tests/run/tap.sh"

if [ -z "${OFFBKG_DR1:-}" ] || [ ! -f "$OFFBKG_DR1/obs-index.fits.gz" ]; then
    echo "1..0 # SKIP no H.E.S.S. DR1 store at '${OFFBKG_DR1:-}' (set OFFBKG_DR1)"
    exit 0
fi
if [ -z "${OFFBKG_FITSTAB:-}" ] || [ ! -x "$OFFBKG_FITSTAB" ]; then
    echo "Bail out! \$OFFBKG_FITSTAB is not an executable (run through make check)"
    exit 1
fi
tap_plan 26

# fitstab FILE: the table as K/C/R records (see tests/tools/fitstab.c).
fitstab() { "$OFFBKG_FITSTAB" "$1"; }
# Values of column $2 of the R records in file $1, one per line.
column_values() {
    awk -F '\t' -v name="$2" '
        $1 == "C" { n++; if ($2 == name) want = n }
        $1 == "R" && want { print $(want + 1) }' "$1"
}
# The keyword $2 of file $1.
keyword() { awk -F '\t' -v k="$2" '$1 == "K" && $2 == k { print $3 }' "$1"; }

write_ini() { # NAME SELECT-PLUGIN
    cat >"$tap_tmp/$1.ini" <<INI
[datastore]
path = $OFFBKG_DR1
[output]
dir = $tap_tmp/$1
[select]
plugin = $2
[group]
plugin = zenith
INI
}

# The store itself, as the reference for what select must keep.
fitstab "$OFFBKG_DR1/obs-index.fits.gz" >"$tap_tmp/index.tab"
awk -F '\t' '$1 == "C" { print $2 }' "$tap_tmp/index.tab" >"$tap_tmp/index.cols"
column_values "$tap_tmp/index.tab" GLAT_PNT >"$tap_tmp/glat"
column_values "$tap_tmp/index.tab" OBS_ID >"$tap_tmp/ids"
paste "$tap_tmp/ids" "$tap_tmp/glat" \
    | awk '$2 > 5 || $2 < -5 { print $1 }' | sort -n >"$tap_tmp/offplane.want"
ok $(test "$(wc -l <"$tap_tmp/ids")" -eq 105 \
     && test "$(wc -l <"$tap_tmp/offplane.want")" -eq 68; echo $?) \
    "fitstab reads the DR1 obs-index: 105 runs, 68 with |GLAT_PNT| > 5"

# ---------------------------------------------------------------- offplane
write_ini offplane offplane
run_offbkg select "$tap_tmp/offplane.ini"
lis="$tap_tmp/offplane/run.lis"
ok $(test $status -eq 0 && echo "$out" | grep -q "^selected 68 of 105 runs (plugin offplane)"; echo $?) \
    "select offplane keeps 68 of 105 runs"
ok $(test "$(head -n 1 "$lis")" = OBS_ID \
     && test "$(tail -n +2 "$lis" | grep -c -v -E '^[0-9]+$')" -eq 0 \
     && test "$(tail -n +2 "$lis" | wc -l)" -eq 68; echo $?) \
    "run.lis is the header OBS_ID and then one ID per line"
tail -n +2 "$lis" | sort -n >"$tap_tmp/offplane.got"
ok $(cmp -s "$tap_tmp/offplane.got" "$tap_tmp/offplane.want"; echo $?) \
    "run.lis holds exactly the runs with |GLAT_PNT| > 5"

cp "$lis" "$tap_tmp/run.lis.saved"
touch -d '2001-01-01 00:00' "$lis"
run_offbkg select "$tap_tmp/offplane.ini"
ok $(test $status -eq 1 && echo "$err" | grep -q "run.lis exists"; echo $?) \
    "select again without overwrite fails (exit 1) and says why"
ok $(cmp -s "$lis" "$tap_tmp/run.lis.saved" \
     && test -z "$(find "$lis" -newer "$tap_tmp/run.lis.saved")" \
     && test -z "$(find "$tap_tmp/offplane" -name '*.tmp*')"; echo $?) \
    "the refused select leaves run.lis untouched"

run_offbkg group "$tap_tmp/offplane.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^grouped 68 of 68 runs into 2 groups" \
     && echo "$out" | grep -q "^  group 0: 62 runs$" \
     && echo "$out" | grep -q "^  group 1: 6 runs$"; echo $?) \
    "group offplane: 62 runs in zenith group 0 and 6 in group 1 (DOMAIN §6.3)"
fitstab "$tap_tmp/offplane/obs.fits" >"$tap_tmp/obs.tab"
ok $(test "$(column_values "$tap_tmp/obs.tab" GROUP_ID | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" = "0:62 1:6 "; echo $?) \
    "obs.fits has 62 rows of group 0 and 6 of group 1"

# ---------------------------------------------------------------- all
write_ini all all
run_offbkg select "$tap_tmp/all.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^selected 105 of 105 runs (plugin all)" \
     && test "$(tail -n +2 "$tap_tmp/all/run.lis" | sort -n)" = "$(sort -n "$tap_tmp/ids")"; echo $?) \
    "select all keeps the 105 runs"
run_offbkg group "$tap_tmp/all.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^grouped 105 of 105 runs into 2 groups" \
     && echo "$out" | grep -q "^  group 0: 99 runs$" \
     && echo "$out" | grep -q "^  group 1: 6 runs$"; echo $?) \
    "group all: 99 runs in zenith group 0 and 6 in group 1 (DOMAIN §6.1)"

fitstab "$tap_tmp/all/obs.fits" >"$tap_tmp/all.tab"
awk -F '\t' '$1 == "C" { print $2 }' "$tap_tmp/all.tab" >"$tap_tmp/all.cols"
ok $(test "$(head -n 1 "$tap_tmp/all.cols")" = GROUP_ID; echo $?) \
    "GROUP_ID is the first column of obs.fits"
ok $(tail -n +2 "$tap_tmp/all.cols" | cmp -s - "$tap_tmp/index.cols"; echo $?) \
    "obs.fits has every obs-index column, in the obs-index order"
ok $(test "$(keyword "$tap_tmp/all.tab" NAXIS2)" = 105; echo $?) \
    "obs.fits has 105 rows"
column_values "$tap_tmp/all.tab" GROUP_ID >"$tap_tmp/all.gid"
column_values "$tap_tmp/all.tab" OBS_ID >"$tap_tmp/all.ids"
ok $(paste "$tap_tmp/all.gid" "$tap_tmp/all.ids" | sort -c -k1,1n -k2,2n; echo $?) \
    "obs.fits rows are sorted by GROUP_ID, then OBS_ID"
ok $(test "$(paste "$tap_tmp/all.gid" "$tap_tmp/all.ids" | awk '$1 == 1 { printf "%s ", $2 }')" \
     = "23736 26791 29433 29526 29683 33787 "; echo $?) \
    "the 6 runs at zenith >= 49 deg are those of DOMAIN §6.1"

# Every obs-index value is carried over unchanged (float32 widened).
column_values "$tap_tmp/all.tab" ZEN_PNT >"$tap_tmp/all.zen"
column_values "$tap_tmp/index.tab" ZEN_PNT >"$tap_tmp/index.zen"
column_values "$tap_tmp/all.tab" TARGET_TAG >"$tap_tmp/all.tag"
column_values "$tap_tmp/index.tab" TARGET_TAG >"$tap_tmp/index.tag"
paste "$tap_tmp/ids" "$tap_tmp/index.zen" "$tap_tmp/index.tag" | sort -n >"$tap_tmp/idx.rows"
paste "$tap_tmp/all.ids" "$tap_tmp/all.zen" "$tap_tmp/all.tag" | sort -n >"$tap_tmp/obs.rows"
ok $(cmp -s "$tap_tmp/idx.rows" "$tap_tmp/obs.rows"; echo $?) \
    "obs.fits rows carry the obs-index ZEN_PNT and TARGET_TAG of their run"
ok $(test "$(grep -c -w offdata "$tap_tmp/all.tag")" -eq 45; echo $?) \
    "45 runs are tagged offdata (DOMAIN §2.3)"
# ------------------------------------------------------------------ column
# The 45 runs tagged offdata (doc/domain.md §6.1), and with |GLAT_PNT| > 5 the
# 44 runs of the §6.3 regression, grouped 39 + 5.
column_values "$tap_tmp/index.tab" TARGET_TAG >"$tap_tmp/tags"
paste "$tap_tmp/ids" "$tap_tmp/tags" \
    | awk '$2 == "offdata" { print $1 }' | sort -n >"$tap_tmp/offdata.want"
write_ini offdata column
sed -i 's/^plugin = column$/&\nwhere = TARGET_TAG == offdata/' "$tap_tmp/offdata.ini"
run_offbkg select "$tap_tmp/offdata.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "^selected 45 of 105 runs (plugin column)" \
     && test "$(wc -l <"$tap_tmp/offdata.want")" -eq 45 \
     && sed 1d "$tap_tmp/offdata/run.lis" | sort -n | cmp -s - "$tap_tmp/offdata.want"; echo $?) \
    "select column TARGET_TAG == offdata keeps exactly the 45 offdata runs"
sed 's/^where = .*/where = TARGET_TAG == offdata, |GLAT_PNT| > 5/' \
    "$tap_tmp/offdata.ini" >"$tap_tmp/offdata2.ini"
sed -i "s|^dir = .*|dir = $tap_tmp/offdata2|" "$tap_tmp/offdata2.ini"
run_offbkg select "$tap_tmp/offdata2.ini" && run_offbkg group "$tap_tmp/offdata2.ini"
ok $(test $status -eq 0 && echo "$out" | grep -q "group 0: 39 runs" \
     && echo "$out" | grep -q "group 1: 5 runs"; echo $?) \
    "offdata with |GLAT_PNT| > 5: 44 runs, grouped 39 + 5"

fitstab "$tap_tmp/all/group-def.fits" >"$tap_tmp/def.tab"
ok $(test "$(awk -F '\t' '$1 == "C" { printf "%s ", $2 }' "$tap_tmp/def.tab")" \
     = "GROUP_ID ZEN_PNT_MIN ZEN_PNT_MAX "; echo $?) \
    "group-def.fits has the columns GROUP_ID, ZEN_PNT_MIN, ZEN_PNT_MAX"
ok $(test "$(awk -F '\t' '$1 == "R" { printf "%s,%s,%s;", $2, $3, $4 }' "$tap_tmp/def.tab")" \
     = "0,0,49;1,49,90;"; echo $?) \
    "group-def.fits rows are [0, 49) and [49, 90)"
ok $(test "$(keyword "$tap_tmp/def.tab" GRPNAXES)" = 1 \
     && test "$(keyword "$tap_tmp/def.tab" GRPCOL1)" = ZEN_PNT \
     && test "$(keyword "$tap_tmp/def.tab" GRPKND1)" = EDGES \
     && test "$(keyword "$tap_tmp/def.tab" GRPNBN1)" = 2 \
     && test "$(keyword "$tap_tmp/def.tab" GRPBND1)" = "0,49,90"; echo $?) \
    "group-def.fits states the axis in GRP* keywords"
ok $(test "$(keyword "$tap_tmp/def.tab" GROUPER)" = "zenith 1.0.0" \
     && keyword "$tap_tmp/all.tab" CREATOR | grep -q "^offbkg "; echo $?) \
    "both files name the program and the grouper"

# group again: refused, files untouched; with overwrite: replaced.
cp "$tap_tmp/all/obs.fits" "$tap_tmp/obs.fits.saved"
run_offbkg group "$tap_tmp/all.ini"
ok $(test $status -eq 1 && echo "$err" | grep -q "obs.fits exists" \
     && cmp -s "$tap_tmp/all/obs.fits" "$tap_tmp/obs.fits.saved"; echo $?) \
    "group again without overwrite fails (exit 1) and leaves obs.fits"
run_offbkg --set output.overwrite=true select "$tap_tmp/offplane.ini"
ok $(test $status -eq 0 && test "$(tail -n +2 "$lis" | wc -l)" -eq 68; echo $?) \
    "select with overwrite = true replaces run.lis"
run_offbkg --set output.overwrite=true group "$tap_tmp/offplane.ini"
ok $(test $status -eq 0; echo $?) "group with overwrite = true replaces obs.fits"

exit 0
