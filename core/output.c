/* SPDX-License-Identifier: BSD-3-Clause
 * Atomic outputs (write a new temporary file, fsync, then rename). */
#define _GNU_SOURCE     /* sync_file_range */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deflate-private.h"
#include "output-private.h"
#include "outset-private.h"
#include "rng-private.h"

int offbkg_output_write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;

    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int offbkg_output_mkdir_p(offbkg_ctx_t *ctx, const char *dir)
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

/* @p n letters and digits, unpredictable: the name of a temporary file
 * in a directory others may write in must not be guessed in advance (a
 * planted file of that name would make every attempt fail). */
static void random_chars(char *out, size_t n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned counter;
    uint64_t x;

    if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x) {
        /* No entropy yet (early boot): splitmix64 of the time, the pid
         * and a counter; O_EXCL keeps this safe, only less unpredictable. */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        x = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 30)
            ^ ((uint64_t)getpid() << 40)
            ^ __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        x = offbkg_rng_splitmix64(&x);
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = alphabet[x % 36];
        x /= 36;
    }
    out[n] = '\0';
}

/* Create "<dir>/.tmp<random>.<base>" beside @p path (rename stays on one
 * file system; the suffix is kept) with O_EXCL|O_NOFOLLOW: an existing
 * name, a symbolic link planted there included, is never opened. */
static int create_tmp(offbkg_ctx_t *ctx, const char *path,
                      offbkg_output_t *out)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    int dir_len = (int)(base - path);
    size_t n = strlen(path) + 32;
    char rnd[13];
    int err = EEXIST;

    out->tmp_path = malloc(n);
    if (out->tmp_path == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (int attempt = 0; attempt < 100 && err == EEXIST; attempt++) {
        random_chars(rnd, 12);
        snprintf(out->tmp_path, n, "%.*s.tmp%s.%s", dir_len, path, rnd, base);
        out->fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_EXCL
                       | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (out->fd >= 0)
            return OFFBKG_OK;
        err = errno;
    }
    free(out->tmp_path);
    out->tmp_path = NULL;
    return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot create a temporary "
                            "file beside it: %s", path, strerror(err));
}

/* A FITS output's memory file grows by this much at a time. */
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

/* The memory file of the last FITS output, kept for the next: its pages
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
     * depend on the file before. And empty: cfitsio takes the size it is
     * given for the file's, so each file would start after the last and
     * the buffer (and every block inserted) grow with the files written. */
    if (m->buf != NULL)
        memset(m->buf, 0, malloc_usable_size(m->buf));
    m->size = 0;
    return m;
}

static void memfile_give_back(offbkg_memfile_t *m)
{
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

static void output_clear(offbkg_output_t *out)
{
    if (out->mem != NULL)
        memfile_give_back(out->mem);
    free(out->final_path);
    free(out->tmp_path);
    memset(out, 0, sizeof *out);
    out->fd = -1;
}

/* Create the file that @p path is written to: in the staging directory
 * of the context's output set when it is in the set's directory (nobody
 * else can write there), else a new temporary beside @p path. */
static int begin(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                 offbkg_output_t *out)
{
    const offbkg_outset_t *set = offbkg_ctx_outset(ctx);
    char *staged = NULL;
    int in_set = set != NULL ? offbkg_outset_stage_path(set, path, &staged)
                             : 0;

    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->overwrite = overwrite;
    out->final_path = strdup(path);
    if (out->final_path == NULL || in_set < 0) {
        free(out->final_path);
        out->final_path = NULL;
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    if (in_set == 0) {
        int st = offbkg_output_check(ctx, path, overwrite);
        if (st == OFFBKG_OK)
            st = create_tmp(ctx, path, out);
        if (st != OFFBKG_OK)
            output_clear(out);
        return st;
    }
    out->staged = true;
    out->tmp_path = staged;
    out->fd = open(staged, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                   | O_CLOEXEC, 0666);
    if (out->fd < 0) {
        int st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot create: %s",
                                  path, strerror(errno));
        free(out->tmp_path);
        out->tmp_path = NULL;
        output_clear(out);
        return st;
    }
    return OFFBKG_OK;
}

int offbkg_output_fits(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out)
{
    int fst = 0;
    int st = begin(ctx, path, overwrite, out);

    if (st != OFFBKG_OK)
        return st;
    /* In memory, whatever the suffix: cfitsio then never opens a file
     * by name (it would follow a planted link), and its writes cannot
     * fail half-way on a full disk; ours are all checked. */
    out->mem = memfile_take();
    if (out->mem == NULL) {
        offbkg_output_abort(out);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    fits_create_memfile(&out->fits, &out->mem->buf, &out->mem->size,
                        MEMFILE_STEP_BYTES, zeroed_realloc, &fst);
    if (fst != 0) {
        st = offbkg_error_fits(ctx, fst, "%s: cannot create", path);
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
    out->text = fdopen(out->fd, "w");
    if (out->text == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "%s: cannot write: %s",
                              path, strerror(errno));
        offbkg_output_abort(out);
        return st;
    }
    out->fd = -1;               /* the stream owns it now */
    return OFFBKG_OK;
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

/* "<path>: cannot write: <errno text>", the code ENOMEM or EIO. */
static int write_error(offbkg_ctx_t *ctx, const offbkg_output_t *out,
                       int err)
{
    return offbkg_error_set(ctx, err == ENOMEM ? OFFBKG_ENOMEM : OFFBKG_EIO,
                            "%s: cannot write: %s%s", out->final_path,
                            strerror(err),
                            err == ENOSPC || err == EFBIG
                                ? " (disk full or file size limit?)" : "");
}

/* Close out->fits and write its bytes, compressed for a .gz name, to the
 * file; every write is checked, so nothing is read back. */
static int finish_fits(offbkg_ctx_t *ctx, offbkg_output_t *out)
{
    int fst = 0, st = OFFBKG_OK;
    long long size = fits_logical_size(out->fits, &fst);

    if (fits_close_file(out->fits, &fst) != 0)
        st = offbkg_error_fits(ctx, fst, "%s: cannot write",
                               out->final_path);
    else if (size < 0 || (size_t)size > out->mem->size)
        st = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: the file in memory "
                              "is shorter than its HDUs", out->final_path);
    else if ((has_suffix(out->final_path, ".gz")
                  ? offbkg_deflate_write_fd(out->fd, out->mem->buf,
                                            (size_t)size)
                  : offbkg_output_write_all(out->fd, out->mem->buf,
                                            (size_t)size))
             != 0)
        st = write_error(ctx, out, errno);
    out->fits = NULL;
    return st;
}

/* A staged file is synced with the others at the commit (core/outset.c):
 * its writing to disk is started now, so that it goes on while the next
 * outputs are made, and the commit's fsync() finds it done or under way
 * (a thousand per-observation models were synced in 0.45 s at the
 * commit; 0.2 s with this). Only a hint: the fsync() is what counts. */
static void start_writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
#endif
}

/* Flush and close out->text (and its descriptor). */
static int finish_text(offbkg_ctx_t *ctx, offbkg_output_t *out, int st)
{
    int bad = fflush(out->text) != 0 || ferror(out->text);
    int err = errno;

    if (!bad && st == OFFBKG_OK && !out->staged
        && fsync(fileno(out->text)) != 0) {
        bad = 1;
        err = errno;
    }
    if (!bad && st == OFFBKG_OK && out->staged)
        start_writeback(fileno(out->text));
    if (fclose(out->text) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    out->text = NULL;
    return st == OFFBKG_OK && bad ? write_error(ctx, out, err) : st;
}

int offbkg_output_sync_dir(offbkg_ctx_t *ctx, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), st = OFFBKG_OK;

    /* File systems that cannot sync a directory say EINVAL. */
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
        st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot sync the "
                              "directory: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    return st;
}

/* fsync the directory of @p path. */
static int sync_dir_of(offbkg_ctx_t *ctx, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? strdup(".")
                              : strndup(path, slash > path
                                                  ? (size_t)(slash - path)
                                                  : 1);
    int st;

    if (dir == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = offbkg_output_sync_dir(ctx, dir);
    free(dir);
    return st;
}

/* Rename (or, without overwrite, link) the temporary file into place. */
static int move_into_place(offbkg_ctx_t *ctx, const offbkg_output_t *out)
{
    if (out->overwrite) {
        if (rename(out->tmp_path, out->final_path) != 0)
            return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot rename "
                                    "into place: %s", out->final_path,
                                    strerror(errno));
    } else if (link(out->tmp_path, out->final_path) != 0) {
        /* link() refuses to replace: no window where another writer's
         * file is lost. */
        return errno == EEXIST
                   ? offbkg_error_set(ctx, OFFBKG_EEXIST, "%s exists; remove "
                                      "it or set [output] overwrite = true",
                                      out->final_path)
                   : offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot move into "
                                      "place: %s", out->final_path,
                                      strerror(errno));
    }
    return out->sync_dir_later ? OFFBKG_OK
                               : sync_dir_of(ctx, out->final_path);
}

/* offbkg_output_commit; with @p keep_if_taken, a file to be linked
 * into place whose name is taken is kept (offbkg_output_commit_or_keep). */
static int commit(offbkg_ctx_t *ctx, offbkg_output_t *out,
                  bool keep_if_taken)
{
    int st = OFFBKG_OK;

    if (out->fits != NULL)
        st = finish_fits(ctx, out);
    if (out->text != NULL) {
        st = finish_text(ctx, out, st);
    } else if (out->fd >= 0) {
        /* On disk before it is renamed: else a crash may leave the new
         * name on an empty file. The output set syncs its staged files
         * all at once before its journal (core/outset.c). */
        if (st == OFFBKG_OK && !out->staged && fsync(out->fd) != 0)
            st = write_error(ctx, out, errno);
        if (st == OFFBKG_OK && out->staged)
            start_writeback(out->fd);
        if (close(out->fd) != 0 && st == OFFBKG_OK)
            st = write_error(ctx, out, errno);
        out->fd = -1;
    }
    if (st == OFFBKG_OK && !out->staged)
        st = move_into_place(ctx, out);
    /* Written, synced and closed: only the move is left to do again. */
    if (st == OFFBKG_EEXIST && keep_if_taken)
        return st;
    /* A staged file stays for the set; one that failed goes, so the
     * staging directory only ever holds complete files. */
    if (!out->staged || st != OFFBKG_OK)
        unlink(out->tmp_path);
    output_clear(out);
    return st;
}

int offbkg_output_commit(offbkg_ctx_t *ctx, offbkg_output_t *out)
{
    return commit(ctx, out, false);
}

int offbkg_output_commit_or_keep(offbkg_ctx_t *ctx, offbkg_output_t *out)
{
    return commit(ctx, out, true);
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
    else if (out->fd >= 0)
        close(out->fd);
    if (out->tmp_path != NULL)
        unlink(out->tmp_path);
    output_clear(out);
}

char *offbkg_output_read_path(offbkg_ctx_t *ctx, const char *path)
{
    const offbkg_outset_t *set = offbkg_ctx_outset(ctx);
    return set != NULL ? offbkg_outset_read_path(set, path) : strdup(path);
}
