/* SPDX-License-Identifier: BSD-3-Clause
 * Opening an input FITS file for reading, with a sanity check cfitsio
 * lacks: it sizes its buffer for a gzip file from the length the file's
 * last four bytes claim, so a damaged trailer could ask for gigabytes. */
#ifndef OFFBKG_INPUT_PRIVATE_H
#define OFFBKG_INPUT_PRIVATE_H

#include <fitsio.h>

#include "ctx-private.h"

/** The inflated length the trailer of a gzip file claims (open as @p fd,
 *  @p size_bytes long) when deflate cannot produce that much from the
 *  file's size, else 0 (also when it has no four bytes to read). */
double offbkg_gzip_implausible_size(int fd, long long size_bytes);

/** fits_open_file(f, path, READONLY, status), except that cfitsio takes
 *  any file whose path contains ".Z" (anywhere: a directory "run.Zen/"
 *  is enough) for a Unix-compressed one and cannot read it; such a file
 *  is opened through /proc/self/fd instead. */
int offbkg_fits_open_readonly(fitsfile **f, const char *path, int *status);

/** Open @p path read-only into *f. A gzip file that claims to inflate to
 *  more than deflate can produce from its size is refused as damaged
 *  (OFFBKG_EDATA); a cfitsio failure is OFFBKG_EFITS. Both name the file;
 *  *f is NULL on failure. */
int offbkg_fits_open_input(offbkg_ctx_t *ctx, const char *path,
                           fitsfile **f);

#endif
