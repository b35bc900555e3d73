#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Names say where they live: every function or object the host's private
# library (core/liboffbkg-private.la) defines for the rest of offbkg is
# named offbkg_FILE or offbkg_FILE_WHAT after the file core/FILE.c that
# defines it, and no longer file name claims it (offbkg_model_write_path
# is in model_write.c, offbkg_model_run in model.c). And core/README,
# the map of the files to their concerns, names every file of core/ and
# core/cli/, and none that is gone.
. "$top_srcdir/tests/run/tap.sh"
T=$tap_tmp
tap_plan 3

lib=$OFFBKG_LIBDIR/liboffbkg-private.a
nm_=${NM:-nm}
if [ -f "$lib" ] && $nm_ -A -g --defined-only "$lib" >"$T/nm" 2>/dev/null; then
    # "ARCHIVE:liboffbkg_private_la-FILE.o:ADDR T NAME" -> "FILE NAME"
    sed -n 's/^.*:liboffbkg_private_la-\([A-Za-z0-9_]*\)\.o:.* \([A-Za-z_][A-Za-z0-9_]*\)$/\1 \2/p' \
        "$T/nm" | sort -u >"$T/defined"
    cut -d' ' -f1 "$T/defined" | sort -u >"$T/files"
    n=$(wc -l <"$T/defined")
    echo "# $n symbols in $(wc -l <"$T/files") files"
    # The file a name claims: the longest FILE with NAME = offbkg_FILE or
    # offbkg_FILE_*.
    awk 'NR == FNR { file[$1] = 1; next }
         {
             claim = ""
             for (f in file)
                 if (($2 == "offbkg_" f || index($2, "offbkg_" f "_") == 1) \
                     && length(f) > length(claim))
                     claim = f
             if (claim != $1)
                 printf "%s in %s.c%s\n", $2, $1, \
                        claim == "" ? "" : " (the name says " claim ".c)"
         }' "$T/files" "$T/defined" >"$T/bad"
    sed 's/^/# /' "$T/bad" | head -40
    ok $([ "$n" -ge 100 ] && [ ! -s "$T/bad" ]; echo $?) \
        "every symbol of liboffbkg-private is named after the file that defines it"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no $lib, or no nm"
fi

cd "$top_srcdir" || exit 1
: >"$T/unmapped"
for f in core/*.c core/*.h core/cli/*.c core/cli/*.h; do
    [ -e "$f" ] || continue
    b=${f#core/}
    case $b in *-private.h) continue ;; esac     # each with its .c
    grep -q "^ *$b\b" core/README || echo "$b" >>"$T/unmapped"
done
sed 's/^/# not in core\/README: /' "$T/unmapped"
ok $([ ! -s "$T/unmapped" ]; echo $?) \
    "core/README maps every file of core/ and core/cli/"

grep -o '^ *[A-Za-z0-9_/]*\.[ch]\b' core/README | sed 's/^ *//' \
    | while read -r b; do [ -e "core/$b" ] || echo "$b"; done >"$T/gone"
sed 's/^/# core\/README names a file that is not there: /' "$T/gone"
ok $([ ! -s "$T/gone" ]; echo $?) \
    "core/README names no file that is gone"
exit 0
