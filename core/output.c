/* SPDX-License-Identifier: BSD-3-Clause
 * Atomic outputs (write a temporary file, then rename). */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "output-private.h"

int offbkg_fits_error(offbkg_ctx_t *ctx, int fits_status, const char *fmt,
                      ...)
{
    char what[512], text[FLEN_STATUS], detail[FLEN_ERRMSG];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fits_get_errstatus(fits_status, text);
    /* The first message on cfitsio's stack says most; drop the rest. */
    if (fits_read_errmsg(detail) == 0)
        detail[0] = '\0';
    fits_clear_errmsg();
    return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: %s%s%s", what, text,
                            detail[0] != '\0' ? ": " : "", detail);
}

int offbkg_mkdir_p(offbkg_ctx_t *ctx, const char *dir)
{
    char *path = strdup(dir);
    int status = OFFBKG_OK;

    if (path == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            status = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot create "
                                      "directory: %s", path, strerror(errno));
            break;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(path);
    if (status == OFFBKG_OK) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            status = offbkg_error_set(ctx, OFFBKG_EIO, "%s: not a directory",
                                      dir);
    }
    return status;
}

int offbkg_output_check(offbkg_ctx_t *ctx, const char *path, bool overwrite)
{
    if (!overwrite && access(path, F_OK) == 0)
        return offbkg_error_set(ctx, OFFBKG_EEXIST, "%s exists; remove it or "
                                "set [output] overwrite = true", path);
    return OFFBKG_OK;
}

/* "<dir>/.<base>.tmp<pid>.<n>.<suffix>": same directory (rename stays on
 * one file system) and the same suffix, so cfitsio compresses .gz names. */
static int make_tmp_path(offbkg_ctx_t *ctx, const char *path,
                         offbkg_output_t *out)
{
    static unsigned counter;
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t dir_len = (size_t)(base - path);
    size_t n = strlen(path) + 64;
    unsigned k = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

    out->final_path = strdup(path);
    out->tmp_path = malloc(n);
    if (out->final_path == NULL || out->tmp_path == NULL) {
        free(out->final_path);
        free(out->tmp_path);
        out->final_path = out->tmp_path = NULL;
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    snprintf(out->tmp_path, n, "%.*s.tmp%ld.%u.%s", (int)dir_len, path,
             (long)getpid(), k, base);
    return OFFBKG_OK;
}

static int begin(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                 offbkg_output_t *out)
{
    memset(out, 0, sizeof *out);
    out->overwrite = overwrite;
    int st = offbkg_output_check(ctx, path, overwrite);
    if (st != OFFBKG_OK)
        return st;
    return make_tmp_path(ctx, path, out);
}

int offbkg_output_fits(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out)
{
    int fst = 0;
    int st = begin(ctx, path, overwrite, out);

    if (st != OFFBKG_OK)
        return st;
    unlink(out->tmp_path);     /* a stale file from a killed process */
    if (fits_create_file(&out->fits, out->tmp_path, &fst) != 0) {
        st = offbkg_fits_error(ctx, fst, "%s: cannot create", out->tmp_path);
        out->fits = NULL;
        offbkg_output_abort(out);
        return st;
    }
    return OFFBKG_OK;
}

int offbkg_output_text(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out)
{
    int st = begin(ctx, path, overwrite, out);

    if (st != OFFBKG_OK)
        return st;
    out->text = fopen(out->tmp_path, "w");
    if (out->text == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot create: %s",
                              out->tmp_path, strerror(errno));
        offbkg_output_abort(out);
    }
    return st;
}

static void output_clear(offbkg_output_t *out)
{
    free(out->final_path);
    free(out->tmp_path);
    memset(out, 0, sizeof *out);
}

/* The size of the FITS file @p f once closed: the end of its last HDU. */
static long long fits_logical_size(fitsfile *f, int *fst)
{
    int n_hdus = 0;
    LONGLONG head, data, end = 0;

    /* Flushing closes the header being written, so its size is known. */
    fits_flush_file(f, fst);
    fits_get_num_hdus(f, &n_hdus, fst);
    fits_movabs_hdu(f, n_hdus, NULL, fst);
    fits_get_hduaddrll(f, &head, &data, &end, fst);
    return (long long)end;
}

/* cfitsio does not report a failed write of its last buffers at close (a
 * full disk, a file size limit): check that the temporary file holds at
 * least the @p size bytes known before closing, in whole FITS blocks,
 * inflated when it is compressed (zlib checks the CRC). */
static int check_written(offbkg_ctx_t *ctx, const offbkg_output_t *out,
                         long long size)
{
    long long got = 0;
    size_t n = strlen(out->tmp_path);

    if (n > 3 && strcmp(out->tmp_path + n - 3, ".gz") == 0) {
        gzFile z = gzopen(out->tmp_path, "rb");
        char buf[65536];
        int k = 0;
        while (z != NULL && (k = gzread(z, buf, sizeof buf)) > 0)
            got += k;
        if (z == NULL || gzclose_r(z) != Z_OK || k < 0)
            got = -1;
    } else {
        struct stat st;
        got = stat(out->tmp_path, &st) == 0 ? (long long)st.st_size : -1;
    }
    /* The header may still grow at close (keywords written then), never
     * shrink; and a whole FITS file is made of 2880-byte blocks. */
    if (got < size || got % 2880 != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write: the "
                                "file is incomplete (disk full or file size "
                                "limit?)", out->final_path);
    return OFFBKG_OK;
}

int offbkg_output_commit(offbkg_ctx_t *ctx, offbkg_output_t *out)
{
    int st = OFFBKG_OK;

    if (out->fits != NULL) {
        int fst = 0;
        long long size = fits_logical_size(out->fits, &fst);
        if (fits_close_file(out->fits, &fst) != 0)
            st = offbkg_fits_error(ctx, fst, "%s: cannot write",
                                   out->final_path);
        else
            st = check_written(ctx, out, size);
        out->fits = NULL;
    }
    if (out->text != NULL) {
        int bad = ferror(out->text);
        if (fclose(out->text) != 0 || bad)
            st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write: %s",
                                  out->final_path, strerror(errno));
        out->text = NULL;
    }
    if (st == OFFBKG_OK && out->overwrite) {
        if (rename(out->tmp_path, out->final_path) != 0)
            st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot rename into "
                                  "place: %s", out->final_path,
                                  strerror(errno));
    } else if (st == OFFBKG_OK) {
        /* link() refuses to replace: no window where another writer's
         * file is lost. */
        if (link(out->tmp_path, out->final_path) != 0)
            st = errno == EEXIST
                     ? offbkg_error_set(ctx, OFFBKG_EEXIST, "%s exists; "
                                        "remove it or set [output] "
                                        "overwrite = true", out->final_path)
                     : offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot move "
                                        "into place: %s", out->final_path,
                                        strerror(errno));
    }
    unlink(out->tmp_path);
    output_clear(out);
    return st;
}

void offbkg_output_abort(offbkg_output_t *out)
{
    if (out->fits != NULL) {
        int fst = 0;
        fits_close_file(out->fits, &fst);
        fits_clear_errmsg();
    }
    if (out->text != NULL)
        fclose(out->text);
    if (out->tmp_path != NULL)
        unlink(out->tmp_path);
    output_clear(out);
}
