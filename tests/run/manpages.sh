#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The manual pages format without a warning from groff (all warnings on):
# an undefined macro or escape shows as garbage or vanishes in man(1).
. "$top_srcdir/tests/run/tap.sh"

if ! command -v groff >/dev/null 2>&1; then
    echo "1..0 # SKIP groff is not installed (Debian: groff-base)"
    exit 0
fi
for page in offbkg.1 offbkg.ini.5 offbkg-plugin.7; do
    warnings=$(groff -man -ww -z "$top_srcdir/doc/$page" 2>&1)
    ok $(test -z "$warnings"; echo $?) \
        "$page formats without warnings: $(printf '%s' "$warnings" | head -3)"
done
tap_plan $tap_n
