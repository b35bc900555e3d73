/* SPDX-License-Identifier: BSD-3-Clause
 * Gzip inflate by ISA-L or zlib behind one small interface. Both keep
 * their buffers in next_in/avail_in and next_out/avail_out of a state
 * named s here; each backend only says how to run a step. */
#include <config.h>

#include <limits.h>
#include <stdlib.h>

#include "inflate-private.h"

#ifdef HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

#ifdef HAVE_ISAL

struct offbkg_inflate {
    struct inflate_state s;
};

offbkg_inflate_t *offbkg_inflate_new(void)
{
    offbkg_inflate_t *z = malloc(sizeof *z);
    if (z != NULL) {
        isal_inflate_init(&z->s);
        z->s.crc_flag = ISAL_GZIP;
    }
    return z;
}

void offbkg_inflate_free(offbkg_inflate_t *z)
{
    free(z);
}

/* Inflate what the buffers allow. */
static offbkg_inflate_status_t run(offbkg_inflate_t *z)
{
    int rc = isal_inflate(&z->s);
    /* ISAL_NEED_DICT (a zlib stream with a preset dictionary) cannot be
     * gzip; the other positive codes say where it stopped. */
    if (rc < 0 || rc == ISAL_NEED_DICT)
        return OFFBKG_INFLATE_ERROR;
    return z->s.block_state == ISAL_BLOCK_FINISH ? OFFBKG_INFLATE_MEMBER_END
                                                 : OFFBKG_INFLATE_OK;
}

int offbkg_inflate_next_member(offbkg_inflate_t *z)
{
    uint8_t *in = z->s.next_in;
    uint32_t n = z->s.avail_in;

    isal_inflate_reset(&z->s);
    z->s.crc_flag = ISAL_GZIP;
    z->s.next_in = in;
    z->s.avail_in = n;
    return 0;
}

const char *offbkg_inflate_library(void)
{
    return "ISA-L";
}

uint32_t offbkg_inflate_crc32(uint32_t crc, const unsigned char *buf,
                              size_t n)
{
    return crc32_gzip_refl(crc, buf, n);
}

#else

struct offbkg_inflate {
    z_stream s;
};

offbkg_inflate_t *offbkg_inflate_new(void)
{
    offbkg_inflate_t *z = calloc(1, sizeof *z);
    /* 15 + 16: a 32 KiB window, gzip wrapper only. */
    if (z != NULL && inflateInit2(&z->s, 15 + 16) != Z_OK) {
        free(z);
        z = NULL;
    }
    return z;
}

void offbkg_inflate_free(offbkg_inflate_t *z)
{
    if (z != NULL)
        inflateEnd(&z->s);
    free(z);
}

/* Inflate what the buffers allow. */
static offbkg_inflate_status_t run(offbkg_inflate_t *z)
{
    int rc = inflate(&z->s, Z_NO_FLUSH);
    if (rc == Z_STREAM_END)
        return OFFBKG_INFLATE_MEMBER_END;
    /* Z_BUF_ERROR: no progress was possible; the caller tells why. */
    return rc == Z_OK || rc == Z_BUF_ERROR ? OFFBKG_INFLATE_OK
                                           : OFFBKG_INFLATE_ERROR;
}

int offbkg_inflate_next_member(offbkg_inflate_t *z)
{
    return inflateReset(&z->s) == Z_OK ? 0 : -1;
}

const char *offbkg_inflate_library(void)
{
    return "zlib";
}

uint32_t offbkg_inflate_crc32(uint32_t crc, const unsigned char *buf,
                              size_t n)
{
    /* zlib takes a uInt length at a time. */
    for (size_t chunk; n > 0; buf += chunk, n -= chunk) {
        chunk = n < UINT_MAX ? n : UINT_MAX;
        crc = (uint32_t)crc32(crc, buf, (uInt)chunk);
    }
    return crc;
}

#endif

/* Both libraries count bytes in 32 bits. */
static unsigned clamp_u32(size_t n)
{
    return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

void offbkg_inflate_input(offbkg_inflate_t *z, const unsigned char *in,
                          size_t n)
{
    z->s.next_in = (unsigned char *)in;
    z->s.avail_in = clamp_u32(n);
}

size_t offbkg_inflate_avail_in(const offbkg_inflate_t *z)
{
    return z->s.avail_in;
}

offbkg_inflate_status_t offbkg_inflate_step(offbkg_inflate_t *z,
                                            unsigned char *out, size_t n,
                                            size_t *produced)
{
    unsigned room = clamp_u32(n);
    offbkg_inflate_status_t st;

    z->s.next_out = out;
    z->s.avail_out = room;
    st = run(z);
    *produced = room - z->s.avail_out;
    return st;
}
