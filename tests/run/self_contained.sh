#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The repository stands on its own: no file cites the founders' notes
# kept outside it (the design, domain, style and peers pages in capitals)
# or a path beside the source tree (the shared directory one level up);
# the design and domain pages the code cites are in the tree (also in a
# distribution), and every "doc/design.md §N" or "doc/domain.md §N"
# citation names a section that exists. The patterns are written with
# brackets so that this file does not match them itself.
. "$top_srcdir/tests/run/tap.sh"

tap_plan 4
cd "$top_srcdir" || exit 1
dirs=""
for d in core plugins include tests doc bench tools m4 README configure.ac \
         Makefile.am; do
    [ -e "$d" ] && dirs="$dirs $d"
done

# grep -I skips binary files (fuzz corpora).
grep -rnI -e 'DESIGN[.]md' -e 'DOMAIN[.]md' -e 'STYLE[.]md' -e 'PEERS[.]md' \
    $dirs 2>/dev/null >"$tap_tmp/notes"
ok $(test ! -s "$tap_tmp/notes"; echo $?) \
    "no file cites the founders' notes outside the repository (design, domain, style, peers)"
sed 's/^/# /' "$tap_tmp/notes" | head -20

grep -rnI -e '[.][.]/shared' $dirs 2>/dev/null >"$tap_tmp/shared"
ok $(test ! -s "$tap_tmp/shared"; echo $?) \
    "no file points at the shared directory beside the source tree"
sed 's/^/# /' "$tap_tmp/shared" | head -20

ok $(test -s doc/design.md && test -s doc/domain.md; echo $?) \
    "doc/design.md and doc/domain.md are in the tree"

# Each citation "doc/<page>.md §N[.M]" (also "§N.M-§N.K" and "§N, §M" on
# the same line after it) must match a heading "## §N" or "### §N.M" of
# that page; "doc/domain.md A.4" an appendix entry "**A.4 ".
: >"$tap_tmp/bad"
for page in design domain; do
    grep -rnI -e "doc/$page\.md" $dirs 2>/dev/null \
        | grep -v "^tests/run/self_contained\.sh:" | grep -v "^doc/design\.md:" \
        | grep -v "^doc/domain\.md:" >"$tap_tmp/cites"
    while IFS= read -r line; do
        rest=${line#*doc/$page.md}
        # Cut at a citation of the other page on the same line.
        case $page in
            design) rest=${rest%%doc/domain.md*} ;;
            domain) rest=${rest%%doc/design.md*} ;;
        esac
        for s in $(printf '%s\n' "$rest" | grep -o '§[0-9][0-9.]*[0-9]\|§[0-9]'); do
            n=${s#§}
            grep -q "^#\{2,4\} §$n " "doc/$page.md" \
                || echo "$line: no section $s in doc/$page.md" >>"$tap_tmp/bad"
        done
        for a in $(printf '%s\n' "$rest" | grep -o '\bA\.[0-9]'); do
            grep -q "^\*\*$a " "doc/$page.md" \
                || echo "$line: no $a in doc/$page.md" >>"$tap_tmp/bad"
        done
    done <"$tap_tmp/cites"
done
ok $(test ! -s "$tap_tmp/bad"; echo $?) \
    "every doc/design.md and doc/domain.md citation names a section that exists"
sed 's/^/# /' "$tap_tmp/bad" | head -20
