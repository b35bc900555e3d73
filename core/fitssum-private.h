/* SPDX-License-Identifier: BSD-3-Clause
 * The FITS checksum (FITS standard 4.0, appendix J) of an HDU of a
 * memory file, summed straight from the file's bytes: cfitsio's
 * fits_write_chksum reads them back 2880 bytes at a time and swaps
 * them 16 bits at a time, a tenth of the CPU of writing the models. */
#ifndef OFFBKG_FITSSUM_PRIVATE_H
#define OFFBKG_FITSSUM_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <fitsio.h>

#include "output-private.h"

/** The 32-bit ones'-complement sum of @p sum and the big-endian 32-bit
 *  words of @p bytes (@p n bytes, a multiple of 4), end-around carries
 *  folded in. 0 only when all is 0. */
uint32_t offbkg_fitssum_add(uint32_t sum, const void *bytes, size_t n);

/** @p acc plus the words of the double @p v as a FITS file holds it
 *  (big-endian): its two 32-bit halves, whatever the host's byte order.
 *  Inline, for a loop that has the double at hand anyway; fold @p acc
 *  (offbkg_fitssum_fold) before 2^31 doubles. */
static inline uint64_t offbkg_fitssum_add_double(uint64_t acc, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    return acc + (bits >> 32) + (bits & 0xffffffffu);
}

/** @p sum plus @p acc, in the 32-bit ones' complement. */
uint32_t offbkg_fitssum_fold(uint32_t sum, uint64_t acc);

/** offbkg_fitssum_add of the @p n doubles @p v as a FITS file holds them
 *  (big-endian). */
uint32_t offbkg_fitssum_doubles(uint32_t sum, const double *v, size_t n);

/** What fits_write_chksum does, byte for byte (the same cards, values
 *  and comments): add DATASUM and CHECKSUM to the current HDU of @p f,
 *  a memory file whose bytes are @p mem (the buffer and size given to
 *  fits_create_memfile), and set them. The HDU must have neither card
 *  yet. cfitsio status convention: nothing if *st > 0. */
int offbkg_fitssum_write(fitsfile *f, const offbkg_memfile_t *mem, int *st);

/** offbkg_fitssum_write when the data unit's sum is known: @p data_sum,
 *  the sum of all of its bytes (offbkg_fitssum_add; the fill is 0). */
int offbkg_fitssum_write_known(fitsfile *f, const offbkg_memfile_t *mem,
                               uint32_t data_sum, int *st);

#endif
