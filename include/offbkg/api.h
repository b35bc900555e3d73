/* SPDX-License-Identifier: BSD-3-Clause
 * OFFBKG_API marks what liboffbkg exports. The library is compiled with
 * hidden visibility, so a function the installed headers do not declare
 * with OFFBKG_API stays inside it: the exported symbols are the ABI and
 * nothing else (tests/run/exports.sh checks both ways). */
#ifndef OFFBKG_API_H
#define OFFBKG_API_H

#if defined(__GNUC__)
#define OFFBKG_API __attribute__((visibility("default")))
#else
#define OFFBKG_API
#endif

#endif
