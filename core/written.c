/* SPDX-License-Identifier: BSD-3-Clause
 * The model files a command wrote (core/written-private.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output-private.h"
#include "written-private.h"

int64_t offbkg_written_size(offbkg_ctx_t *ctx, const char *path)
{
    char *staged = offbkg_output_read_path(ctx, path);
    struct stat sb;
    int64_t size = staged != NULL && stat(staged, &sb) == 0
                       ? (int64_t)sb.st_size : 0;

    free(staged);
    return size;
}

int offbkg_written_add(offbkg_ctx_t *ctx, offbkg_written_t *w,
                       const offbkg_written_file_t *files, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = w->cap > 0 ? 2 * w->cap : 64;
        while (cap < w->n + n)
            cap *= 2;
        offbkg_written_file_t *p = realloc(w->files, cap * sizeof *p);
        if (p == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        w->files = p;
        w->cap = cap;
    }
    if (n > 0)
        memcpy(w->files + w->n, files, n * sizeof *files);
    w->n += n;
    return OFFBKG_OK;
}

/* (m, obs, smooth, id), then dims: 2D first, as the files are looked for
 * on disk. */
static int cmp_key(const offbkg_written_file_t *x,
                   const offbkg_written_file_t *y)
{
    if (x->m != y->m)
        return x->m < y->m ? -1 : 1;
    if (x->obs != y->obs)
        return x->obs < y->obs ? -1 : 1;
    if (x->smooth != y->smooth)
        return x->smooth < y->smooth ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_files(const void *a, const void *b)
{
    const offbkg_written_file_t *x = a, *y = b;
    int c = cmp_key(x, y);
    return c != 0 ? c : (x->dims > y->dims) - (x->dims < y->dims);
}

void offbkg_written_sort(offbkg_written_t *w)
{
    if (w->n > 1)
        qsort(w->files, w->n, sizeof *w->files, cmp_files);
}

const offbkg_written_file_t *offbkg_written_find(const offbkg_written_t *w,
                                                 size_t m, bool obs,
                                                 int64_t id, bool smooth)
{
    offbkg_written_file_t key = { .m = m, .obs = obs, .smooth = smooth,
                                  .id = id };
    size_t lo = 0, hi = w->n;

    /* The first file with the key: the 2D one when both were written. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(&w->files[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n && cmp_key(&w->files[lo], &key) == 0 ? &w->files[lo]
                                                          : NULL;
}

void offbkg_written_clear(offbkg_written_t *w)
{
    free(w->files);
    memset(w, 0, sizeof *w);
}
