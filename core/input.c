/* SPDX-License-Identifier: BSD-3-Clause
 * The one way offbkg opens a FITS file it reads (see input-private.h). */
#include <config.h>

#include <errno.h>
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

double offbkg_input_gzip_implausible_size(int fd, long long size_bytes)
{
    unsigned char tail[4];
    double claimed;

    if (size_bytes < 4 || pread(fd, tail, 4, (off_t)size_bytes - 4) != 4)
        return 0;
    /* ISIZE, little-endian: the inflated length of the last member,
     * modulo 2^32. A smaller claim than the file's size says nothing (a
     * last member of a multi-member file, or a file of more than 4 GiB);
     * a larger one than deflate can make of the whole file is damage. */
    claimed = (double)((uint32_t)tail[0] | (uint32_t)tail[1] << 8
                       | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24);
    return claimed <= (double)size_bytes * DEFLATE_MAX_RATIO ? 0 : claimed;
}

/* What a file that is not a regular file is, for messages. */
static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a named pipe"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* The error of a failed stat or open of @p path, in plain words. */
static int open_error(offbkg_ctx_t *ctx, const char *path, int err)
{
    if (err == ENOENT || err == ENOTDIR)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "No such file: %s", path);
    if (err == EACCES || err == EPERM)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "Permission denied: %s",
                                path);
    if (err == EINTR)
        return offbkg_error_set(ctx, OFFBKG_ECANCELLED, "%s: interrupted "
                                "while opening it", path);
    return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: cannot open: %s", path,
                            strerror(err));
}

/* @p path opened read-only into *fd, if it is a regular file (symbolic
 * links followed). Anything else is refused before it is opened: a named
 * pipe would block the open, a device could be read forever. An open
 * that blocks all the same (a file swapped for a pipe after the check, a
 * lease, a hung network file system) is ended by a signal: EINTR is not
 * retried. */
static int open_regular(offbkg_ctx_t *ctx, const char *path, int *fd)
{
    struct stat sb;

    *fd = -1;
    if (stat(path, &sb) != 0)
        return open_error(ctx, path, errno);
    if (!S_ISREG(sb.st_mode))
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: not a regular file "
                                "(%s)", path, file_kind(sb.st_mode));
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (*fd < 0)
        return open_error(ctx, path, errno);
    if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: not a regular file",
                                path);
    }
    return OFFBKG_OK;
}

/* cfitsio opens the plain FITS file open as @p fd from disk, through
 * /proc/self/fd: the file checked, never another one put in its place;
 * and its name is not parsed (cfitsio takes "[...]" in a name for a
 * filter and ".Z" anywhere for Unix compress). */
static int open_on_disk(offbkg_ctx_t *ctx, const char *path, int fd,
                        fitsfile **f)
{
    char proc_path[64];
    int st = 0;

    snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    if (access(proc_path, R_OK) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot be opened "
                                "by cfitsio: /proc is not mounted", path);
    if (fits_open_file(f, proc_path, READONLY, &st) != 0) {
        *f = NULL;
        return offbkg_error_fits(ctx, st, "%s", path);
    }
    return OFFBKG_OK;
}

/* A plain file that cfitsio reads from disk: checked for the cards it
 * cannot parse safely first. */
static int open_plain_on_disk(offbkg_ctx_t *ctx, const char *path, int fd,
                              fitsfile **f)
{
    long hdu_num;
    char key[9];

    if (lseek(fd, 0, SEEK_SET) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot read: %s",
                                path, strerror(errno));
    if (offbkg_fitsmem_find_unsafe_card(fd, &hdu_num, key))
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged header: HDU "
                                "%ld: the value of %s is not a quoted string",
                                path, hdu_num, key);
    if (lseek(fd, 0, SEEK_SET) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot read: %s",
                                path, strerror(errno));
    return open_on_disk(ctx, path, fd, f);
}

static int open_fd(offbkg_ctx_t *ctx, const char *path, int fd,
                   const char *const *hdus, size_t n_hdus,
                   offbkg_fitsmem_t *mem, fitsfile **f)
{
    unsigned char magic[9] = { 0 };
    size_t max_bytes = offbkg_ctx_max_inflated(ctx);
    struct stat sb;
    double claimed;
    long hdu_num = 0;
    char key[9] = "";
    int gzip, st = 0;

    mem->size = mem->file_size = 0;
    if (fstat(fd, &sb) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: %s", path,
                                strerror(errno));
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    gzip = n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (!gzip && (n < (ssize_t)sizeof magic
                  || memcmp(magic, "SIMPLE  =", sizeof magic) != 0))
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: not a FITS file%s",
                                path, n == 0 ? " (it is empty)"
                                      : magic[0] == 0x1f
                                          ? " (compressed, but not with "
                                            "gzip)"
                                          : "");
    if (gzip && (claimed = offbkg_input_gzip_implausible_size(
                     fd, (long long)sb.st_size))
                    != 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged gzip file "
                                "(its trailer gives an inflated size of %.0f "
                                "bytes, more than it can hold)", path,
                                claimed);
    /* A plain file that is not whole 2880-byte blocks was cut short,
     * maybe inside an HDU we read: cfitsio says where. */
    if (!gzip && sb.st_size % 2880 != 0)
        return open_plain_on_disk(ctx, path, fd, f);
    switch (offbkg_fitsmem_load(mem, fd, gzip, max_bytes, hdus, n_hdus,
                                &hdu_num, key)) {
    case OFFBKG_FITSMEM_LOADED:
        if (mem->size < sizeof magic
            || memcmp(mem->buf, "SIMPLE  =", sizeof magic) != 0)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: not a FITS "
                                    "file (once inflated)", path);
        if (offbkg_fitsmem_open_loaded(mem, f, &st) != 0)
            return offbkg_error_fits(ctx, st, "%s", path);
        return OFFBKG_OK;
    case OFFBKG_FITSMEM_NOT_HANDLED:
        return open_plain_on_disk(ctx, path, fd, f);
    case OFFBKG_FITSMEM_UNSAFE:
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged header: HDU "
                                "%ld: the value of %s is not a quoted string",
                                path, hdu_num, key);
    case OFFBKG_FITSMEM_TOO_LARGE:
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: too large: it "
                                "inflates to more than %.4g GiB (the bound "
                                "is [datastore] max_inflated_gib)", path,
                                (double)max_bytes / (1 << 30));
    case OFFBKG_FITSMEM_CUT_SHORT:
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged: the header "
                                "of HDU %ld claims more data than the file "
                                "holds", path, hdu_num);
    case OFFBKG_FITSMEM_BAD_GZIP:
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged gzip file "
                                "(it cannot be inflated: corrupt or cut "
                                "short)", path);
    case OFFBKG_FITSMEM_NO_MEMORY:
    default:
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "%s: out of memory",
                                path);
    }
}

int offbkg_input_open(offbkg_ctx_t *ctx, const char *path,
                      const char *const *hdus, size_t n_hdus,
                      offbkg_fitsmem_t *mem, fitsfile **f)
{
    int fd, rc;

    *f = NULL;
    if ((rc = open_regular(ctx, path, &fd)) != OFFBKG_OK)
        return rc;
    rc = open_fd(ctx, path, fd, hdus, n_hdus, mem, f);
    if (rc != OFFBKG_OK) {
        *f = NULL;
        offbkg_fitsmem_free(mem);
    }
    fits_clear_errmsg();
    close(fd);
    return rc;
}

void offbkg_input_close(fitsfile *f, offbkg_fitsmem_t *mem)
{
    int st = 0;

    if (f != NULL)
        fits_close_file(f, &st);
    fits_clear_errmsg();
    offbkg_fitsmem_free(mem);
}
