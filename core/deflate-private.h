/* SPDX-License-Identifier: BSD-3-Clause
 * Gzip-compressed writing of the .gz outputs: Intel ISA-L when offbkg is
 * built with it (about six times faster than zlib at the same size), zlib
 * otherwise; level 1 either way, as cfitsio compresses. */
#ifndef OFFBKG_DEFLATE_PRIVATE_H
#define OFFBKG_DEFLATE_PRIVATE_H

#include <stddef.h>

/** Write @p buf (@p n bytes) to the open file @p fd as one gzip member.
 *  0, or -1 with errno set (ENOMEM when out of memory, else what write()
 *  said: ENOSPC, EFBIG, ...). */
int offbkg_deflate_write_fd(int fd, const void *buf, size_t n);

#endif
