/* SPDX-License-Identifier: BSD-3-Clause
 * A FITS file's leading HDUs in memory (doc/design.md §7).
 * cfitsio inflates a whole .gz file when it opens it; an event file's
 * EVENTS and GTI HDUs come first and end at about a third of it. This
 * reads (plain) or inflates (gzip, with zlib) only up to the end of the
 * last HDU asked for, parsing the 2880-byte header blocks as they
 * stream, and opens those bytes as an in-memory FITS file. The buffer
 * is kept from file to file, so memory stays at one file's prefix. */
#ifndef OFFBKG_FITSMEM_PRIVATE_H
#define OFFBKG_FITSMEM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fitsio.h>

typedef struct offbkg_fitsmem {
    void *buf;           /**< the bytes read; reused */
    size_t cap;          /**< bytes allocated */
    size_t size;         /**< bytes of the file in buf (whole HDUs) */
    size_t file_size;    /**< the whole file, when it was read to its end;
                              0 when reading stopped early */
    unsigned char *in;   /**< compressed bytes read (gzip); reused */
    /* Set want_crc before a load for the CRC-32 (zlib's) of every byte
     * of the file, taken as it is read (the rest of the file read for
     * it when the load stops early): crc, when crc_known. A
     * contribution store records it; reading the file again for it cost
     * a tenth of a run's fill. */
    bool want_crc;
    bool crc_known;
    uint32_t crc;
} offbkg_fitsmem_t;

/** What offbkg_fitsmem_load did. */
typedef enum {
    OFFBKG_FITSMEM_LOADED,       /**< the bytes are in memory */
    OFFBKG_FITSMEM_NOT_HANDLED,  /**< a plain file this reader leaves to
                                      cfitsio reading it from disk (a
                                      header it does not follow, a file
                                      cut short, larger than the bound) */
    OFFBKG_FITSMEM_UNSAFE,       /**< a card cfitsio cannot parse safely
                                      (a TTYPEn value that is not a quoted
                                      string: cfitsio 4.2 overflows a
                                      buffer on a long one) */
    OFFBKG_FITSMEM_TOO_LARGE,    /**< gzip: inflates to more than the
                                      bound */
    OFFBKG_FITSMEM_BAD_GZIP,     /**< gzip: damaged, cut short, or a read
                                      error */
    OFFBKG_FITSMEM_CUT_SHORT,    /**< gzip: an HDU (*hdu_num) claims more
                                      data than the file holds */
    OFFBKG_FITSMEM_NO_MEMORY
} offbkg_fitsmem_result_t;

/** Read (plain) or inflate (@p gzip) the FITS file open as @p fd, from
 *  its start, into @p m: up to the end of the HDUs named in @p hdus
 *  (EXTNAME or HDUNAME, case-insensitive, as fits_movnam_hdu matches
 *  them); the whole file when one of them is missing, or when @p n_hdus
 *  is 0. Never more than @p max_bytes. Every header read is checked for
 *  cards cfitsio cannot parse safely (OFFBKG_FITSMEM_UNSAFE, with the
 *  HDU, 1 = primary, and the keyword). A gzip file is never left to
 *  cfitsio: one whose headers this reader does not follow is inflated
 *  whole. */
offbkg_fitsmem_result_t offbkg_fitsmem_load(offbkg_fitsmem_t *m, int fd,
                                            int gzip, size_t max_bytes,
                                            const char *const *hdus,
                                            size_t n_hdus, long *hdu_num,
                                            char key[9]);

/** Open the bytes loaded into @p m as a read-only FITS file (cfitsio
 *  never reads past them). It reads @p m's buffer: close it before the
 *  next load or offbkg_fitsmem_free. 0, or the cfitsio status. */
int offbkg_fitsmem_open_loaded(offbkg_fitsmem_t *m, fitsfile **f,
                               int *status);

/** offbkg_fitsmem_load and offbkg_fitsmem_open_loaded of @p path (the
 *  unit tests' way in; offbkg opens files with offbkg_input_open).
 *  @return 0, or -1 for anything not loaded or opened. */
int offbkg_fitsmem_open(offbkg_fitsmem_t *m, const char *path,
                        const char *const *hdus, size_t n_hdus,
                        fitsfile **f);

void offbkg_fitsmem_free(offbkg_fitsmem_t *m);

/** Walk the headers of the plain FITS file open as @p fd (at its start)
 *  for a card cfitsio cannot be trusted to parse (a TTYPEn value that is
 *  not a quoted string: cfitsio 4.2 overflows a buffer on a long one),
 *  before cfitsio reads it from disk (a gzip file is only ever read from
 *  memory, checked as it loads). Reads @p fd on; leaves it open.
 *  @return 1 with the HDU (1 = primary) and the keyword, else 0 (also
 *  for a file or header it cannot follow: cfitsio stops there too). */
int offbkg_fitsmem_find_unsafe_card(int fd, long *hdu_num, char key[9]);

#endif
