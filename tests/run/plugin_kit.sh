#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The plugin development kit from an installed offbkg (issue 6): what
# make install puts where, headers that compile alone, the example
# plugin of doc/examples/plugin/ built out of tree with only the
# installed offbkg.pc, its cmocka tests, offbkg plugins / describe /
# check / run with it through OFFBKG_PLUGIN_PATH on a simulated store
# (the GROUP_ID of every run checked against the sectors), and the same
# plugin built for a newer minor or another major ABI refused with both
# versions and its file named.
#
# KIT_MODE=stage (make check): the DESTDIR install of this build tree
# that make check makes in $KIT_STAGE before any test starts (see
# check-kit-stage in tests/local.mk). KIT_MODE=installed (make installcheck,
# so make distcheck): uses the real installation. The KIT_* directories
# are configure's, without DESTDIR.

# The offbkg under test is the installed one, known only after the
# staged install: tap.sh gets a stand-in until then.
case ${KIT_MODE:-} in
stage | installed) ;;
*)
    echo "Bail out! KIT_MODE must be stage or installed"
    exit 1
    ;;
esac
# The caller's make flags (-j, TESTS=...) are not for our makes.
unset MAKEFLAGS MFLAGS MAKELEVEL
OFFBKG=/bin/true
. "$top_srcdir/tests/run/tap.sh"
T=$tap_tmp
make_=${KIT_MAKE:-make}
cc_=${KIT_CC:-cc}
# The build's LDFLAGS: with --enable-sanitizers, liboffbkg needs the
# sanitizer runtimes in every program that links it.
ldflags_=${KIT_LDFLAGS:-}

# ---------------------------------------------------------------------------
# The installation
D=
if [ "$KIT_MODE" = stage ]; then
    D=$KIT_STAGE
    ok $(test -x "$D$KIT_BINDIR/offbkg"; echo $?) \
        "make install DESTDIR=<scratch> (make check's check-kit-stage) installed offbkg"
    # offbkg's compiled-in library and plugin directories are not the
    # scratch ones (and may hold another offbkg, installed before).
    LD_LIBRARY_PATH=$D$KIT_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    OFFBKG_PLUGINDIR=$D$KIT_PLUGINDIR
    export OFFBKG_PLUGINDIR
    if command -v ldd >/dev/null 2>&1; then
        lib=$(ldd "$D$KIT_BINDIR/offbkg" | awk '$1 ~ /^liboffbkg\./ { print $3 }')
        ok $(test -n "$lib" && test "$lib" = "$D$KIT_LIBDIR/${lib##*/}"; echo $?) \
            "the staged offbkg runs with the staged liboffbkg (got: $lib)"
    else
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP no ldd"
    fi
else
    # The installation as it is (make check's environment empties it).
    unset OFFBKG_PLUGINDIR
fi
OFFBKG=$D$KIT_BINDIR/offbkg
inc=$D$KIT_INCLUDEDIR/offbkg
plugindir=$D$KIT_PLUGINDIR

missing=
for f in "$OFFBKG" "$D$KIT_LIBDIR/liboffbkg.so" \
    "$D$KIT_PKGCONFIGDIR/offbkg.pc" "$D$KIT_MANDIR/man1/offbkg.1" \
    "$D$KIT_MANDIR/man5/offbkg.ini.5" "$D$KIT_MANDIR/man7/offbkg-plugin.7"; do
    [ -e "$f" ] || missing="$missing $f"
done
# The headers and plugins the build installs (KIT_HEADERS, KIT_PLUGINS:
# their paths in the build tree).
n_h=0
for h in $KIT_HEADERS; do
    n_h=$((n_h + 1))
    [ -f "$inc/${h##*/}" ] || missing="$missing $inc/${h##*/}"
done
n_p=0
for la in $KIT_PLUGINS; do
    m=${la##*/}
    n_p=$((n_p + 1))
    [ -f "$plugindir/${m%.la}.so" ] || missing="$missing $plugindir/${m%.la}.so"
done
[ -z "$missing" ] || echo "# missing:$missing"
ok $([ -z "$missing" ] && [ $n_h -ge 8 ] && [ $n_p -ge 1 ]; echo $?) \
    "installed: offbkg, liboffbkg, offbkg.pc, the 3 man pages, the $n_h headers, the $n_p plugins"
ok $(test ! -e "$D$KIT_INCLUDEDIR/config.h" && test ! -e "$inc/config.h" \
     && ! grep -l "config\.h" "$inc"/*.h >/dev/null; echo $?) \
    "no config.h installed, and no installed header includes one"

# pkg-config sees only the installed offbkg.pc. Staged, its directories
# are moved under the scratch directory.
PKG_CONFIG_PATH=$D$KIT_PKGCONFIGDIR
export PKG_CONFIG_PATH
pc=${KIT_PKG_CONFIG:-pkg-config}
if [ -n "$D" ]; then
    pc="$pc --define-variable=prefix=$D$KIT_PREFIX"
    pc="$pc --define-variable=exec_prefix=$D$KIT_EXEC_PREFIX"
    pc="$pc --define-variable=libdir=$D$KIT_LIBDIR"
    pc="$pc --define-variable=includedir=$D$KIT_INCLUDEDIR"
fi
ok $(test "$($pc --variable=plugindir offbkg)" = "$plugindir" \
     && $pc --cflags offbkg | grep -q -- "-I$D$KIT_INCLUDEDIR" \
     && $pc --libs offbkg | grep -q -- "-loffbkg" \
     && test "$($pc --modversion offbkg)" = \
             "$("$OFFBKG" --version | sed -n '1s/^offbkg \([^ ]*\).*/\1/p')"; echo $?) \
    "offbkg.pc: plugindir is where the plugins are, cflags, libs, version"

# Each header alone, strict C11 (and C++ when there is a compiler).
bad=
for h in "$inc"/*.h; do
    # (The typedef: api.h holds only macros, and an empty translation
    # unit is an error under -pedantic.)
    printf '#include <offbkg/%s>\ntypedef int kit_not_empty;\n' "${h##*/}" \
        >"$T/h.c"
    $cc_ -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only \
        $($pc --cflags offbkg) "$T/h.c" 2>"$T/h.err" \
        || { bad="$bad ${h##*/}"; sed 's/^/# /' "$T/h.err"; }
done
ok $([ -z "$bad" ]; echo $?) \
    "every installed header compiles alone (C11, -pedantic -Werror)$bad"
if command -v c++ >/dev/null 2>&1; then
    printf '#include <offbkg/offbkg.h>\nint main() { return offbkg_version() == 0; }\n' \
        >"$T/h.cc"
    c++ -std=c++11 -Wall -Wextra -Werror $($pc --cflags offbkg) \
        -o "$T/hcc" "$T/h.cc" $ldflags_ -Wl,-rpath,"$($pc --variable=libdir offbkg)" \
        $($pc --libs offbkg) 2>"$T/h.err" \
        && "$T/hcc"
    st=$?
    [ $st -eq 0 ] || sed 's/^/# /' "$T/h.err"
    ok $st "the headers compile and link as C++"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no C++ compiler"
fi

# ---------------------------------------------------------------------------
# The example, as installed with the documentation, copied to a scratch
# directory and built with its own Makefile.
ex=$T/example
cp -R "$D$KIT_DOCDIR/examples/plugin" "$ex" && chmod -R u+w "$ex"
ok $(cmp -s "$ex/group_azimuth.c" "$top_srcdir/doc/examples/plugin/group_azimuth.c"
     echo $?) "the example is installed in docdir/examples/plugin"
kit_make() {
    $make_ -C "$ex" PKG_CONFIG="$pc" CC="$cc_" \
        CFLAGS="-std=c11 -O2 -g -pedantic -Wall -Wextra -Werror" \
        LDFLAGS="$ldflags_" "$@" \
        >"$T/make.log" 2>&1
    st=$?
    [ $st -eq 0 ] || sed 's/^/# /' "$T/make.log"
    return $st
}
kit_make
ok $? "the example builds with only pkg-config offbkg, -pedantic -Werror"
if command -v nm >/dev/null 2>&1; then
    exported=$(nm -D --defined-only "$ex/group_azimuth.so" \
               | awk '$2 == "T" || $2 == "D" || $2 == "B" { print $3 }')
    ok $(test "$exported" = group_azimuth_LTX_offbkg_plugin_entry; echo $?) \
        "it exports the entry point only (got: $(echo $exported))"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no nm"
fi
if $pc --exists cmocka 2>/dev/null; then
    kit_make check
    st=$?
    grep -E "^\[  (PASSED|FAILED)" "$T/make.log" | sed 's/^/# /'
    ok $st "the example's cmocka tests pass (make check)"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no cmocka"
fi
kit_make install DESTDIR="$T/dest"
ok $(test $? -eq 0 && test -f "$T/dest$plugindir/group_azimuth.so"; echo $?) \
    "its make install puts group_azimuth.so in DESTDIR + plugindir"

# ---------------------------------------------------------------------------
# offbkg with the example through OFFBKG_PLUGIN_PATH
OFFBKG_PLUGIN_PATH="$ex"
export OFFBKG_PLUGIN_PATH
so=$ex/group_azimuth.so
run_offbkg plugins
ok $(test $status -eq 0 \
     && echo "$out" | grep -A1 "^group  *azimuth  *1\.0\.0 " | grep -qF "$so" \
     && echo "$out" | grep -A1 "^model  *2d " | grep -qF "$plugindir/"
     echo $?) \
    "offbkg plugins lists group/azimuth with its file, the shipped ones from plugindir"
run_offbkg describe group/azimuth
ok $(test $status -eq 0 && echo "$out" | grep -qF "from $so" \
     && echo "$out" | grep -q "^  az_edges_deg (list of doubles, deg)" \
     && echo "$out" | grep -q "default: -90, 90, 270" \
     && echo "$out" | grep -q "^  zenith_edges_deg (list of doubles, deg)" \
     && echo "$out" | grep -q "range: >= 0 and <= 180"; echo $?) \
    "offbkg describe group/azimuth prints its parameters"

# A store with 10 regular runs and runs at zenith 49 and 90 deg.
run_offbkg simulate "$T/store" --runs 10 --events 500 --ontime 600,900 \
    --edge-zeniths
ok $status "simulate writes the store"
ini=$ex/azimuth.ini
sets="--set datastore.path=$T/store --set output.dir=$T/models"
run_offbkg $sets check "$ini"
ok $(test $status -eq 0 && echo "$out" | grep -qF "$so"; echo $?) \
    "offbkg check accepts azimuth.ini and names the plugin's file"
OFFBKG_PLUGIN_PATH="$T/nowhere"
run_offbkg $sets check "$ini"
ok $(test $status -eq 2 && echo "$err" | grep -q "no group plugin 'azimuth'"
     echo $?) "without the example in OFFBKG_PLUGIN_PATH, check refuses it"
# The copy its make install wrote, through [run] plugin_path instead.
run_offbkg $sets --set run.plugin_path="$T/dest$plugindir" check "$ini"
ok $(test $status -eq 0 \
     && echo "$out" | grep -qF "$T/dest$plugindir/group_azimuth.so"; echo $?) \
    "with [run] plugin_path at the installed copy, check loads that copy"
run_offbkg $sets --set run.plugin_path="$T/dest$plugindir" \
    describe group/azimuth "$ini"
ok $(test $status -eq 0 \
     && echo "$out" | grep -qF "from $T/dest$plugindir/group_azimuth.so" \
     && echo "$out" | grep -q "^  az_edges_deg "; echo $?) \
    "describe group/azimuth CONFIG finds it there too"
OFFBKG_PLUGIN_PATH="$ex"

run_offbkg $sets run "$ini"
[ $status -eq 0 ] || echo "$err" | sed 's/^/# /'
ok $status "offbkg run azimuth.ini succeeds"

# The groups the sectors give, from the store's own obs-index: AZ_PNT
# wrapped into [-90, 270), north [-90, 90) = 0, south = 1; zenith bands
# [0, 35) and [35, 70) before it.
table() {
    ${OFFBKG_WRAPPER:-} "$OFFBKG_FITSTAB" "$1" | awk -F'\t' -v want="$2" '
        $1 == "C" { col[$2] = ++n }
        $1 == "R" { split(want, w, ","); line = ""
                    for (i = 1; i in w; i++) line = line (i > 1 ? " " : "") $(col[w[i]] + 1)
                    print line }'
}
table "$T/store/obs-index.fits.gz" OBS_ID,AZ_PNT,ZEN_PNT | awk '
    { d = ($2 + 90) % 360; if (d < 0) d += 360
      az = d < 180 ? 0 : 1
      zen = $3 < 35 ? 0 : $3 < 70 ? 1 : -1
      print $1, zen < 0 ? -1 : zen * 2 + az }' | sort -n >"$T/want"
table "$T/models/obs.fits" OBS_ID,GROUP_ID | sort -n >"$T/got"
awk '$2 >= 0' "$T/want" >"$T/want_grouped"
if cmp -s "$T/want_grouped" "$T/got"; then st=0; else
    st=1
    echo "# OBS_ID and GROUP_ID wanted:"; sed 's/^/#   /' "$T/want_grouped"
    echo "# got:"; sed 's/^/#   /' "$T/got"
fi
ok $st "obs.fits: every run in the group of its azimuth sector and zenith band"
# The store must exercise the plugin: runs on both sides of north (AZ_PNT
# above 270 deg among them), in both bands, and one in no group.
ok $(table "$T/store/obs-index.fits.gz" AZ_PNT | awk '$1 >= 270 { n++ } END { exit !n }' \
     && test "$(awk '$2 >= 0 { print $2 }' "$T/want" | sort -u | wc -l)" -eq 4 \
     && test "$(awk '$2 < 0' "$T/want" | wc -l)" -eq 1; echo $?) \
    "the store has runs in all 4 groups, one north of 270 deg, one in none"
n_models=$(ls "$T/models" | grep -c '^background_2D_group_00[0-3]_table\.fits\.gz$')
ok $(echo "$out" | grep -q "grouped 11 of 12 runs into 4 groups (plugin azimuth)" \
     && test "$n_models" -eq 4; echo $?) \
    "run reports 11 of 12 runs in 4 groups and writes 4 models"
ok $(${OFFBKG_WRAPPER:-} "$OFFBKG_FITSTAB" "$T/models/group-def.fits" \
     | awk -F'\t' '$1 == "K" { k[$2] = $3 }
                   END { exit !(k["GROUPER"] == "azimuth 1.0.0" \
                                && k["GRPCOL1"] == "ZEN_PNT" \
                                && k["GRPBND1"] == "0,35,70" \
                                && k["GRPCOL2"] == "AZ_PNT" \
                                && k["GRPBND2"] == "-90,90,270") }'; echo $?) \
    "group-def.fits: ZEN_PNT 0,35,70 and AZ_PNT -90,90,270, grouper azimuth 1.0.0"

# ---------------------------------------------------------------------------
# The example built against a newer minor and another major ABI. The
# host's version is the one of the installed plugin.h.
major=$(sed -n 's/^#define OFFBKG_PLUGIN_ABI_MAJOR \([0-9]*\)$/\1/p' "$inc/plugin.h")
minor=$(sed -n 's/^#define OFFBKG_PLUGIN_ABI_MINOR \([0-9]*\)$/\1/p' "$inc/plugin.h")
# build_abi DIR DMAJOR DMINOR: group_azimuth.so in DIR as if plugin.h had
# said ABI major + DMAJOR . minor + DMINOR.
build_abi() {
    mkdir -p "$1"
    cat >"$1/bumped.c" <<EOF
#include <offbkg/plugin.h>
enum { BUMPED_MAJOR = OFFBKG_PLUGIN_ABI_MAJOR + $2,
       BUMPED_MINOR = OFFBKG_PLUGIN_ABI_MINOR + $3 };
#undef OFFBKG_PLUGIN_ABI_MAJOR
#undef OFFBKG_PLUGIN_ABI_MINOR
#define OFFBKG_PLUGIN_ABI_MAJOR BUMPED_MAJOR
#define OFFBKG_PLUGIN_ABI_MINOR BUMPED_MINOR
#include "group_azimuth.c"
EOF
    $cc_ -std=c11 -fPIC -shared -I"$ex" $($pc --cflags offbkg) \
        -o "$1/group_azimuth.so" "$1/bumped.c" $($pc --libs offbkg) -lm
}
# refused NAME DIR VERSION WHY: plugins and run with DIR first in the path.
refused() {
    f=$2/group_azimuth.so
    OFFBKG_PLUGIN_PATH="$2"
    run_offbkg plugins
    ok $(test $status -eq 0 \
         && echo "$err" | grep -qF "refused $f: built for plugin ABI $3, $4" \
         && ! echo "$out" | grep -q "^group  *azimuth "; echo $?) \
        "offbkg plugins lists the $1 build as refused, with its file and both ABIs"
    run_offbkg --set datastore.path="$T/store" --set output.dir="$T/refused" \
        run "$ini"
    OFFBKG_PLUGIN_PATH="$ex"
    ok $(test $status -eq 2 \
         && echo "$err" | grep -qF "refusing group plugin 'azimuth': $f: built for plugin ABI $3, $4" \
         && test ! -e "$T/refused"; echo $?) \
        "offbkg run refuses the $1 build with a clear message, writes nothing"
}
if build_abi "$T/newminor" 0 1 && build_abi "$T/newmajor" 1 0; then
    refused "newer-minor" "$T/newminor" "$major.$((minor + 1))" \
        "newer than this offbkg's ABI $major.$minor"
    refused "other-major" "$T/newmajor" "$((major + 1)).$minor" \
        "but this offbkg has ABI $major.$minor (the major version must match)"
else
    echo "Bail out! cannot build the example for other ABI versions"
    exit 1
fi

tap_plan $tap_n
[ $tap_failed -eq 0 ]
