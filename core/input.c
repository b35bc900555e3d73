/* SPDX-License-Identifier: BSD-3-Clause
 * Opening input FITS files (see input-private.h). */
#include <config.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fitsmem-private.h"
#include "input-private.h"
#include "output-private.h"

/* deflate never inflates one byte into more than 1032. */
#define DEFLATE_MAX_RATIO 1032.0

double offbkg_gzip_implausible_size(int fd, long long size_bytes)
{
    unsigned char tail[4];
    double claimed;

    if (size_bytes < 4 || pread(fd, tail, 4, (off_t)size_bytes - 4) != 4)
        return 0;
    /* ISIZE, little-endian: the inflated length modulo 2^32. */
    claimed = (double)((uint32_t)tail[0] | (uint32_t)tail[1] << 8
                       | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24);
    /* Below the compressed size: cfitsio takes it for a file of more
     * than 4 GiB. */
    if (claimed < (double)size_bytes)
        claimed += 4294967296.0;
    return claimed <= (double)size_bytes * DEFLATE_MAX_RATIO ? 0 : claimed;
}

/* The checks cfitsio lacks, on the file @p path: a gzip trailer the
 * size cannot hold, and a header card cfitsio cannot parse safely. A
 * file we cannot open is left to cfitsio, which says why. */
static int check_input(offbkg_ctx_t *ctx, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), gzip, rc = OFFBKG_OK;
    unsigned char magic[2];
    struct stat sb;
    double claimed = 0;
    long hdu_num;
    char key[9];

    if (fd < 0)
        return OFFBKG_OK;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return OFFBKG_OK;
    }
    gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f
           && magic[1] == 0x8b;
    if (gzip)
        claimed = offbkg_gzip_implausible_size(fd, (long long)sb.st_size);
    if (claimed != 0)
        rc = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged gzip file "
                              "(its trailer gives an inflated size of %.0f "
                              "bytes, more than it can hold)", path, claimed);
    else if (offbkg_fits_find_unsafe_card(fd, gzip, &hdu_num, key))
        rc = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged header: HDU "
                              "%ld: the value of %s is not a quoted string",
                              path, hdu_num, key);
    close(fd);
    return rc;
}

int offbkg_fits_open_readonly(fitsfile **f, const char *path, int *status)
{
    unsigned char magic[2];
    char proc_path[64];
    int fd, rc;

    if (strstr(path, ".Z") == NULL)
        return fits_open_file(f, path, READONLY, status);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    /* A real .Z (LZW) file needs its name; so does a file we cannot
     * open ourselves (cfitsio then says why). */
    if (fd < 0 || (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f
                   && magic[1] == 0x9d)) {
        if (fd >= 0)
            close(fd);
        return fits_open_file(f, path, READONLY, status);
    }
    snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    rc = access(proc_path, R_OK) == 0
             ? fits_open_file(f, proc_path, READONLY, status)
             : fits_open_file(f, path, READONLY, status);
    close(fd);
    return rc;
}

int offbkg_fits_open_input(offbkg_ctx_t *ctx, const char *path,
                           fitsfile **f)
{
    int st = 0, rc;

    *f = NULL;
    if ((rc = check_input(ctx, path)) != OFFBKG_OK)
        return rc;
    if (offbkg_fits_open_readonly(f, path, &st) != 0) {
        *f = NULL;
        return offbkg_fits_error(ctx, st, "%s", path);
    }
    return OFFBKG_OK;
}
