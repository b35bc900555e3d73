/* SPDX-License-Identifier: BSD-3-Clause
 * The one way offbkg opens a FITS file it reads: event files, index
 * tables, regions, the tables and models it reads back. It refuses what
 * cfitsio would block on, crash on or fill memory with: anything but a
 * regular file, a header card cfitsio cannot parse safely, a gzip file
 * that inflates beyond a bound (cfitsio never inflates a file itself),
 * and it says why in plain words naming the file. */
#ifndef OFFBKG_INPUT_PRIVATE_H
#define OFFBKG_INPUT_PRIVATE_H

#include <fitsio.h>

#include "ctx-private.h"
#include "fitsmem-private.h"

/** The inflated length the trailer of a gzip file claims (open as @p fd,
 *  @p size_bytes long) when deflate cannot produce that much from the
 *  file's size, else 0 (also when it has no four bytes to read). */
double offbkg_input_gzip_implausible_size(int fd, long long size_bytes);

/** Open @p path read-only into *f: from memory (@p mem, which must start
 *  zeroed or hold an earlier file's buffers, reused) holding at least
 *  the HDUs named in @p hdus, or the whole file when @p n_hdus is 0 or
 *  one is missing; a plain file whose headers the in-memory reader does
 *  not follow is read by cfitsio from disk. A gzip file may inflate to
 *  at most offbkg_ctx_max_inflated(ctx) bytes. Errors name the file:
 *  OFFBKG_EDATA ("No such file: PATH", not a regular file, not FITS,
 *  damaged, too large), OFFBKG_EFITS (cfitsio's), OFFBKG_ECANCELLED (a
 *  signal ended the open); on failure *f is NULL and @p mem is freed.
 *  Close with offbkg_input_close. */
int offbkg_input_open(offbkg_ctx_t *ctx, const char *path,
                      const char *const *hdus, size_t n_hdus,
                      offbkg_fitsmem_t *mem, fitsfile **f);

/** Close @p f (may be NULL) and free @p mem. */
void offbkg_input_close(fitsfile *f, offbkg_fitsmem_t *mem);

#endif
