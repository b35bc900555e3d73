/* SPDX-License-Identifier: BSD-3-Clause
 * FITS checksums summed from a memory file's bytes (fitssum-private.h). */
#include <config.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fitssum-private.h"

/* The words are summed byte lane by byte lane: a 32-bit lane of
 * (w & 0x00ff00ff) holds two bytes' sums in 16 bits each, which 257
 * words cannot overflow. A fixed count of plain ands, shifts and adds,
 * which the compiler vectorises (byte swaps, without SSSE3, it does not). */
#define CHUNK_WORDS 256

/* Doubles added to a 64-bit sum between two folds (each adds < 2^33). */
#define DOUBLES_PER_FOLD ((size_t)1 << 30)

static uint64_t fold(uint64_t s)
{
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return s;
}

/* The sums of the bytes at offsets 0, 1, 2 and 3 of @p n_chunks chunks
 * of words at @p p added to @p lane. */
static void add_lanes(uint64_t lane[4], const unsigned char *p,
                      size_t n_chunks)
{
    for (size_t c = 0; c < n_chunks; c++, p += 4 * CHUNK_WORDS) {
        uint32_t even = 0, odd = 0;
        for (size_t i = 0; i < CHUNK_WORDS; i++) {
            uint32_t w;
            memcpy(&w, p + 4 * i, 4);
            even += w & 0x00ff00ffu;
            odd += (w >> 8) & 0x00ff00ffu;
        }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        lane[0] += even & 0xffff;
        lane[2] += even >> 16;
        lane[1] += odd & 0xffff;
        lane[3] += odd >> 16;
#else
        lane[3] += even & 0xffff;
        lane[1] += even >> 16;
        lane[2] += odd & 0xffff;
        lane[0] += odd >> 16;
#endif
    }
}

/* @p sum plus the words of @p p (@p n bytes) whose byte k weighs
 * 2^shift[k], in ones' complement. */
static uint32_t sum_words(uint32_t sum, const unsigned char *p, size_t n,
                          const unsigned shift[4])
{
    size_t n_words = n / 4, n_chunks = n_words / CHUNK_WORDS;
    uint64_t lane[4] = { 0, 0, 0, 0 }, s = sum;

    add_lanes(lane, p, n_chunks);
    for (size_t i = n_chunks * CHUNK_WORDS; i < n_words; i++)
        for (int k = 0; k < 4; k++)
            lane[k] += p[4 * i + (size_t)k];
    /* A word is the sum of its lanes shifted; a shift is a product,
     * which the fold (the sum modulo 2^32 - 1) keeps. */
    for (int k = 0; k < 4; k++)
        s += fold(lane[k]) << shift[k];
    return (uint32_t)fold(s);
}

static const unsigned big_endian[4] = { 24, 16, 8, 0 };

uint32_t offbkg_fitssum_add(uint32_t sum, const void *bytes, size_t n)
{
    return sum_words(sum, bytes, n, big_endian);
}

uint32_t offbkg_fitssum_fold(uint32_t sum, uint64_t acc)
{
    return (uint32_t)fold(fold(acc) + sum);
}

uint32_t offbkg_fitssum_doubles(uint32_t sum, const double *v, size_t n)
{
    while (n > 0) {
        size_t k = n < DOUBLES_PER_FOLD ? n : DOUBLES_PER_FOLD;
        uint64_t acc = 0;
        for (size_t i = 0; i < k; i++)
            acc = offbkg_fitssum_add_double(acc, v[i]);
        sum = offbkg_fitssum_fold(sum, acc);
        v += k;
        n -= k;
    }
    return sum;
}

/* The cards as cfitsio writes them: placeholders first, the data's sum
 * then replacing the "0" when it is not 0, the comments dated. The
 * data's sum is @p data_sum when @p known, else summed from @p mem. */
static int write_sums(fitsfile *f, const offbkg_memfile_t *mem, bool known,
                      uint32_t data_sum, int *st)
{
    char date[20], datacomm[FLEN_COMMENT], chkcomm[FLEN_COMMENT];
    char value[FLEN_VALUE];
    LONGLONG head, data, end;
    uint32_t hdu_sum;
    int timeref;

    if (*st > 0)
        return *st;
    fits_get_system_time(date, &timeref, st);
    snprintf(chkcomm, sizeof chkcomm, "HDU checksum updated %s", date);
    snprintf(datacomm, sizeof datacomm, "data unit checksum updated %s",
             date);
    fits_write_key_str(f, "CHECKSUM", "0000000000000000", chkcomm, st);
    fits_write_key_str(f, "DATASUM", "         0", datacomm, st);
    /* Close the header (END, fill), fill the data's last block, and put
     * every buffered block into the memory file. */
    fits_flush_file(f, st);
    fits_get_hduaddrll(f, &head, &data, &end, st);
    if (*st > 0)
        return *st;
    if (head < 0 || head > data || data > end
        || (unsigned long long)end > mem->size || mem->buf == NULL)
        return *st = END_OF_FILE;

    if (!known)
        data_sum = offbkg_fitssum_add(0,
                                      (const unsigned char *)mem->buf + data,
                                      (size_t)(end - data));
    if (data_sum != 0) {
        snprintf(value, sizeof value, "%" PRIu32, data_sum);
        fits_modify_key_str(f, "DATASUM", value, datacomm, st);
    }
    /* The header as it now is; the buffer may have moved. */
    fits_flush_buffer(f, 0, st);
    if (*st > 0)
        return *st;
    hdu_sum = offbkg_fitssum_add(data_sum,
                                 (const unsigned char *)mem->buf + head,
                                 (size_t)(data - head));
    fits_encode_chksum(hdu_sum, 1, value);
    fits_modify_key_str(f, "CHECKSUM", value, "&", st);
    return *st;
}

int offbkg_fitssum_write(fitsfile *f, const offbkg_memfile_t *mem, int *st)
{
    return write_sums(f, mem, false, 0, st);
}

int offbkg_fitssum_write_known(fitsfile *f, const offbkg_memfile_t *mem,
                               uint32_t data_sum, int *st)
{
    return write_sums(f, mem, true, data_sum, st);
}
