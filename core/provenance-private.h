/* SPDX-License-Identifier: BSD-3-Clause
 * What the output files say about where they came from: a hash of the
 * resolved configuration, and text made safe for FITS headers. */
#ifndef OFFBKG_PROVENANCE_PRIVATE_H
#define OFFBKG_PROVENANCE_PRIVATE_H

#include <stdint.h>

#include "runconf-private.h"

/** FNV-1a, 64 bits, of the bytes of @p text. */
uint64_t offbkg_provenance_fnv1a64(const char *text);

/** The hash of @p rc resolved, as `offbkg check` prints it, in 16
 *  lower-case hex digits: the CONFHASH card of the models and
 *  "config_hash" of report.json. 0, or -1 out of memory. */
int offbkg_provenance_config_hash(const offbkg_runconf_t *rc, char hex[17]);

/** A copy of @p text that a FITS header can hold: every byte outside
 *  printable ASCII (0x20-0x7E) written as \xHH, and a backslash as \\.
 *  A new string to free(), or NULL out of memory. */
char *offbkg_provenance_fits_text(const char *text);

#endif
