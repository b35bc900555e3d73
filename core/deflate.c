/* SPDX-License-Identifier: BSD-3-Clause
 * Gzip-compressed writing by ISA-L or zlib. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "deflate-private.h"
#include "output-private.h"

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

#define CHUNK_BYTES ((size_t)1 << 18)

#ifdef HAVE_ISAL

int offbkg_deflate_write_fd(int fd, const void *buf, size_t n)
{
    struct isal_zstream *z = malloc(sizeof *z);
    unsigned char *level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
    unsigned char *out = malloc(CHUNK_BYTES);
    int rc = 0;

    if (z == NULL || level_buf == NULL || out == NULL) {
        errno = ENOMEM;
        rc = -1;
        goto done;
    }
    isal_deflate_init(z);
    z->level = 1;
    z->level_buf = level_buf;
    z->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    z->gzip_flag = IGZIP_GZIP;
    z->flush = NO_FLUSH;
    z->next_in = (uint8_t *)buf;
    z->avail_in = 0;
    do {
        /* Input in pieces its 32-bit counter holds. */
        if (z->avail_in == 0 && n > 0) {
            z->avail_in = n > UINT_MAX ? UINT_MAX : (uint32_t)n;
            n -= z->avail_in;
        }
        z->end_of_stream = n == 0;
        z->next_out = out;
        z->avail_out = (uint32_t)CHUNK_BYTES;
        if (isal_deflate(z) != COMP_OK) {
            errno = EINVAL;
            rc = -1;
            break;
        }
        rc = offbkg_output_write_all(fd, out, CHUNK_BYTES - z->avail_out);
    } while (rc == 0 && z->internal_state.state != ZSTATE_END);
done:
    free(out);
    free(level_buf);
    free(z);
    return rc;
}

#else

int offbkg_deflate_write_fd(int fd, const void *buf, size_t n)
{
    unsigned char *out = malloc(CHUNK_BYTES);
    z_stream z = { 0 };
    int rc = 0, zrc = Z_OK;

    /* 15 + 16: a 32 KiB window with the gzip wrapper. */
    if (out == NULL || deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8,
                                    Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        errno = ENOMEM;
        return -1;
    }
    z.next_in = (Bytef *)buf;
    while (rc == 0 && zrc != Z_STREAM_END) {
        if (z.avail_in == 0 && n > 0) {
            z.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
            n -= z.avail_in;
        }
        z.next_out = out;
        z.avail_out = (uInt)CHUNK_BYTES;
        zrc = deflate(&z, n == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            errno = EINVAL;
            rc = -1;
            break;
        }
        rc = offbkg_output_write_all(fd, out, CHUNK_BYTES - z.avail_out);
    }
    deflateEnd(&z);
    free(out);
    return rc;
}

#endif
