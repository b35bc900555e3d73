/* SPDX-License-Identifier: BSD-3-Clause
 * Opening input FITS files (see input-private.h). */
#include <config.h>

#include <stdint.h>
#include <stdio.h>

#include "input-private.h"
#include "output-private.h"

/* deflate never inflates one byte into more than 1032. */
#define DEFLATE_MAX_RATIO 1032

/* 0 if @p path is not gzip or its trailer is plausible, else the length
 * cfitsio would allocate: the trailer's, plus 4 GiB when it is below the
 * compressed size (cfitsio then takes the file for one over 4 GiB). */
static double implausible_gzip_size(const char *path)
{
    FILE *fp = fopen(path, "rb");
    unsigned char magic[2], tail[4];
    double claimed = 0;
    long size;

    if (fp == NULL)
        return 0;
    if (fread(magic, 1, 2, fp) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
        && fseek(fp, -4, SEEK_END) == 0 && (size = ftell(fp) + 4) > 0
        && fread(tail, 1, 4, fp) == 4) {
        /* ISIZE, little-endian: the inflated length modulo 2^32. */
        claimed = (double)((uint32_t)tail[0] | (uint32_t)tail[1] << 8
                           | (uint32_t)tail[2] << 16
                           | (uint32_t)tail[3] << 24);
        if (claimed < (double)size)
            claimed += 4294967296.0;
        if (claimed <= (double)size * DEFLATE_MAX_RATIO)
            claimed = 0;
    }
    fclose(fp);
    return claimed;
}

int offbkg_fits_open_input(offbkg_ctx_t *ctx, const char *path,
                           fitsfile **f)
{
    int st = 0;
    double claimed = implausible_gzip_size(path);

    *f = NULL;
    if (claimed != 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged gzip file "
                                "(its trailer gives an inflated size of %.0f "
                                "bytes, more than it can hold)", path,
                                claimed);
    if (fits_open_file(f, path, READONLY, &st) != 0) {
        *f = NULL;
        return offbkg_fits_error(ctx, st, "%s", path);
    }
    return OFFBKG_OK;
}
