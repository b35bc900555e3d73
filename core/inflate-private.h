/* SPDX-License-Identifier: BSD-3-Clause
 * Streaming gzip inflate of input files, member by member: Intel ISA-L
 * when offbkg is built with it (about 1.5 times zlib's speed on DR1,
 * where inflating is half of the work), zlib otherwise. */
#ifndef OFFBKG_INFLATE_PRIVATE_H
#define OFFBKG_INFLATE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct offbkg_inflate offbkg_inflate_t;

/** What a step did. */
typedef enum {
    OFFBKG_INFLATE_OK,          /**< progress, or it needs more input */
    OFFBKG_INFLATE_MEMBER_END,  /**< a gzip member ended, checksum good */
    OFFBKG_INFLATE_ERROR        /**< damaged data */
} offbkg_inflate_status_t;

/** A new inflater at the start of a gzip member; NULL when out of memory. */
offbkg_inflate_t *offbkg_inflate_new(void);

/** @p crc (0 to start) updated with @p n bytes of @p buf: zlib's CRC-32,
 *  the gzip one (ISA-L's when it inflates, several times faster). */
uint32_t offbkg_inflate_crc32(uint32_t crc, const unsigned char *buf,
                              size_t n);

void offbkg_inflate_free(offbkg_inflate_t *z);

/** Compressed bytes to go on with; @p in must hold them until used up. */
void offbkg_inflate_input(offbkg_inflate_t *z, const unsigned char *in,
                          size_t n);

/** Compressed bytes given and not used yet. */
size_t offbkg_inflate_avail_in(const offbkg_inflate_t *z);

/** Inflate into @p out (room for @p n bytes); *produced says how many
 *  bytes it wrote. */
offbkg_inflate_status_t offbkg_inflate_step(offbkg_inflate_t *z,
                                            unsigned char *out, size_t n,
                                            size_t *produced);

/** Start the next gzip member with the input left over; 0 or -1. */
int offbkg_inflate_next_member(offbkg_inflate_t *z);

/** "ISA-L" or "zlib": the library in use. */
const char *offbkg_inflate_library(void);

#endif
