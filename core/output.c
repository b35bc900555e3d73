/* SPDX-License-Identifier: BSD-3-Clause
 * Atomic outputs (write a temporary file, then rename). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deflate-private.h"
#include "output-private.h"

/* cfitsio keeps these two addresses and updates them as the memory file
 * grows, so they live apart from the caller's offbkg_output_t. */
struct offbkg_memfile {
    void *buf;
    size_t size;
    int fd;             /* the temporary file, created at the start */
};

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
 * one file system) and the same suffix. */
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

/* A .gz output's memory file grows by this much at a time. */
#define MEMFILE_STEP_BYTES ((size_t)2880 * 128)

/* realloc for the memory files. cfitsio reads a file's last block before
 * it writes it (to see whether the fill is there) and checksums what it
 * finds, so the memory a file grows into is zeroed: every byte of the
 * block is then either written or zero, as in a new disk file. */
static void *zeroed_realloc(void *p, size_t n)
{
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    unsigned char *q = realloc(p, n);

    if (q != NULL) {
        size_t now = malloc_usable_size(q);
        if (now > old)
            memset(q + old, 0, now - old);
    }
    return q;
}

/* The memory file of the last .gz output, kept for the next: its pages
 * are mapped already (a new page costs about 10 us on a virtual machine,
 * as much as compressing 40 kB). */
static offbkg_memfile_t *spare_memfile;

static offbkg_memfile_t *memfile_take(void)
{
    offbkg_memfile_t *m = __atomic_exchange_n(&spare_memfile, NULL,
                                              __ATOMIC_ACQ_REL);
    if (m == NULL)
        return calloc(1, sizeof *m);
    /* Zero, as new memory: what cfitsio reads before it writes must not
     * depend on the file before. */
    if (m->buf != NULL)
        memset(m->buf, 0, malloc_usable_size(m->buf));
    return m;
}

static void memfile_give_back(offbkg_memfile_t *m)
{
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
    m = __atomic_exchange_n(&spare_memfile, m, __ATOMIC_ACQ_REL);
    if (m != NULL) {
        free(m->buf);
        free(m);
    }
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
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
    if (has_suffix(path, ".gz")) {
        out->mem = memfile_take();
        if (out->mem == NULL) {
            offbkg_output_abort(out);
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        }
        /* Created now, so that a directory it cannot be written in
         * fails the output before any work goes into it. */
        out->mem->fd = open(out->tmp_path,
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (out->mem->fd < 0) {
            st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot create: %s",
                                  out->tmp_path, strerror(errno));
            offbkg_output_abort(out);
            return st;
        }
        fits_create_memfile(&out->fits, &out->mem->buf, &out->mem->size,
                            MEMFILE_STEP_BYTES, zeroed_realloc, &fst);
    } else {
        fits_create_file(&out->fits, out->tmp_path, &fst);
    }
    if (fst != 0) {
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
    if (out->mem != NULL)
        memfile_give_back(out->mem);
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
 * least the @p size bytes known before closing, in whole FITS blocks. */
static int check_written(offbkg_ctx_t *ctx, const offbkg_output_t *out,
                         long long size)
{
    struct stat st;
    long long got = stat(out->tmp_path, &st) == 0 ? (long long)st.st_size
                                                  : -1;

    /* The header may still grow at close (keywords written then), never
     * shrink; and a whole FITS file is made of 2880-byte blocks. */
    if (got < size || got % 2880 != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write: the "
                                "file is incomplete (disk full or file size "
                                "limit?)", out->final_path);
    return OFFBKG_OK;
}

/* Compress the memory file's first @p size bytes into the temporary file;
 * every write is checked, so nothing is read back. */
static int write_gzip(offbkg_ctx_t *ctx, offbkg_output_t *out,
                      long long size)
{
    int bad = offbkg_gzip_write_fd(out->mem->fd, out->mem->buf,
                                   (size_t)size) != 0;
    int err = errno;

    if (close(out->mem->fd) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    out->mem->fd = -1;
    if (!bad)
        return OFFBKG_OK;
    return offbkg_error_set(ctx, err == ENOMEM ? OFFBKG_ENOMEM : OFFBKG_EIO,
                            "%s: cannot write: %s%s", out->final_path,
                            strerror(err),
                            err == ENOSPC || err == EFBIG
                                ? " (disk full or file size limit?)" : "");
}

/* Close out->fits and check what reached the temporary file. */
static int finish_fits(offbkg_ctx_t *ctx, offbkg_output_t *out)
{
    int fst = 0, st;
    long long size = fits_logical_size(out->fits, &fst);

    if (fits_close_file(out->fits, &fst) != 0)
        st = offbkg_fits_error(ctx, fst, "%s: cannot write",
                               out->final_path);
    else if (out->mem != NULL && (size < 0 || (size_t)size > out->mem->size))
        st = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: the file in memory "
                              "is shorter than its HDUs", out->final_path);
    else
        st = out->mem != NULL ? write_gzip(ctx, out, size)
                              : check_written(ctx, out, size);
    out->fits = NULL;
    return st;
}

int offbkg_output_commit(offbkg_ctx_t *ctx, offbkg_output_t *out)
{
    int st = OFFBKG_OK;

    if (out->fits != NULL)
        st = finish_fits(ctx, out);
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
