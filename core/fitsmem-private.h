/* SPDX-License-Identifier: BSD-3-Clause
 * A FITS file's leading HDUs in memory (DESIGN.md, performance notes).
 * cfitsio inflates a whole .gz file when it opens it; an event file's
 * EVENTS and GTI HDUs come first and end at about a third of it. This
 * reads (plain) or inflates (gzip, with zlib) only up to the end of the
 * last HDU asked for, parsing the 2880-byte header blocks as they
 * stream, and opens those bytes as an in-memory FITS file. The buffer
 * is kept from file to file, so memory stays at one file's prefix. */
#ifndef OFFBKG_FITSMEM_PRIVATE_H
#define OFFBKG_FITSMEM_PRIVATE_H

#include <stddef.h>

#include <fitsio.h>

typedef struct offbkg_fitsmem {
    void *buf;           /**< the bytes read; reused */
    size_t cap;          /**< bytes allocated */
    size_t size;         /**< bytes of the file in buf (whole HDUs) */
    size_t file_size;    /**< the whole file, when it was read to its end;
                              0 when reading stopped early */
    unsigned char *in;   /**< compressed bytes read (gzip); reused */
} offbkg_fitsmem_t;

/** Open @p path read-only from memory, holding at least the HDUs named
 *  in @p hdus (EXTNAME or HDUNAME, case-insensitive, as
 *  fits_movnam_hdu matches them); the whole file when one of them is
 *  missing, or when @p n_hdus is 0. The fitsfile reads @p m's buffer: close it before the next
 *  call or offbkg_fitsmem_free.
 *  @return 0, or -1 for anything this reader does not handle (a file it
 *  cannot open or read, a compression other than gzip, a damaged
 *  stream or gzip trailer, a header it cannot follow): the caller then
 *  opens the file the ordinary way, which says what is wrong. */
int offbkg_fitsmem_open(offbkg_fitsmem_t *m, const char *path,
                        const char *const *hdus, size_t n_hdus,
                        fitsfile **f);

void offbkg_fitsmem_free(offbkg_fitsmem_t *m);

/** Walk the headers of the FITS file open as @p fd (at its start; gzip
 *  when @p gzip) for a card cfitsio cannot be trusted to parse (a TTYPEn
 *  value that is not a quoted string: cfitsio 4.2 overflows a buffer on
 *  a long one). Reads @p fd on; leaves it open.
 *  @return 1 with the HDU (1 = primary) and the keyword, else 0 (also
 *  for a file or header it cannot follow: cfitsio stops there too). */
int offbkg_fits_find_unsafe_card(int fd, int gzip, long *hdu_num,
                                 char key[9]);

#endif
