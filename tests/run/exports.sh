#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# liboffbkg's exported symbols are its ABI and nothing else: every
# symbol the built liboffbkg.so exports is declared in an installed
# header (include/offbkg/), and every function declared there is
# exported. The private code reaches the offbkg command and the tests
# through a convenience library instead (core/local.mk).
. "$top_srcdir/tests/run/tap.sh"
T=$tap_tmp
tap_plan 3

lib=$OFFBKG_LIBDIR/liboffbkg.so
nm_=${NM:-nm}
if [ ! -f "$lib" ] || ! $nm_ -D "$lib" >/dev/null 2>&1; then
    # A static-only build has no dynamic symbols to check.
    for i in 1 2 3; do
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP no $lib, or no nm -D"
    done
    exit 0
fi

# Exported: the defined dynamic symbols (names starting with _ belong to
# the toolchain: _init, _fini, _edata, ...).
$nm_ -D --defined-only "$lib" | awk 'NF >= 3 && $3 !~ /^_/ { print $3 }' \
    | sed 's/@.*//' | sort -u >"$T/exported"

# Declared: in the installed headers without their comments and
# preprocessor lines, each top-level statement (text between ; { and })
# that declares a function (a name followed by its parameter list, no
# static, typedef, = or return before it) or an extern object.
hdrs=
for h in $OFFBKG_HEADERS; do
    case $h in
    */version.h) hdrs="$hdrs $OFFBKG_VERSION_H" ;;
    *) hdrs="$hdrs $top_srcdir/$h" ;;
    esac
done
# shellcheck disable=SC2086
cat $hdrs | perl -0777 -ne '
    s{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g; s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg;
    for my $st (split /[;{}]/) {
        $st =~ s/\s+/ /g; $st =~ s/^ //;
        next if $st =~ /^(static|typedef)\b/ || $st =~ /^extern "C"/;
        if ($st =~ /^([^(=]*?)\b([A-Za-z_]\w*) ?\(/) {
            my ($before, $name) = ($1, $2);
            print "$name\n" if $before ne "" && $before !~ /\breturn\b/;
        } elsif ($st =~ /^extern [^(=]*?\b([A-Za-z_]\w*) ?(\[[^]]*\])?$/) {
            print "$1\n";
        }
    }' | sort -u >"$T/declared"

n_exp=$(wc -l <"$T/exported")
n_decl=$(wc -l <"$T/declared")
echo "# $n_exp symbols exported, $n_decl functions and objects declared"
ok $([ "$n_decl" -ge 30 ]; echo $?) \
    "the installed headers declare the public functions ($n_decl found)"

extra=$(comm -23 "$T/exported" "$T/declared" | tr '\n' ' ')
[ -z "$extra" ] || echo "# exported, not declared in include/offbkg/: $extra"
ok $([ -z "$extra" ]; echo $?) \
    "liboffbkg.so exports nothing the installed headers do not declare"

missing=$(comm -13 "$T/exported" "$T/declared" | tr '\n' ' ')
[ -z "$missing" ] || echo "# declared in include/offbkg/, not exported: $missing"
ok $([ -z "$missing" ]; echo $?) \
    "liboffbkg.so exports every function the installed headers declare"
exit 0
