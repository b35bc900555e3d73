/* SPDX-License-Identifier: BSD-3-Clause
 * Opening an input FITS file for reading, with a sanity check cfitsio
 * lacks: it sizes its buffer for a gzip file from the length the file's
 * last four bytes claim, so a damaged trailer could ask for gigabytes. */
#ifndef OFFBKG_INPUT_PRIVATE_H
#define OFFBKG_INPUT_PRIVATE_H

#include <fitsio.h>

#include "ctx-private.h"

/** Open @p path read-only into *f. A gzip file that claims to inflate to
 *  more than deflate can produce from its size is refused as damaged
 *  (OFFBKG_EDATA); a cfitsio failure is OFFBKG_EFITS. Both name the file;
 *  *f is NULL on failure. */
int offbkg_fits_open_input(offbkg_ctx_t *ctx, const char *path,
                           fitsfile **f);

#endif
