/* SPDX-License-Identifier: BSD-3-Clause
 * Is the data store's IRF class the models' class (irf_class-private.h)?
 * A few headers are read, never a pass over every run's files. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input-private.h"
#include "irf_class-private.h"

typedef struct aeff_hdu {
    char *path;
    char *hdu;
    int64_t obs_id;     /* the first run that names it */
} aeff_hdu_t;

/* The distinct aeff HDUs of the runs, in run order, up to one more than
 * OFFBKG_IRF_CLASS_MAX_FILES (then only the first is looked at). */
static int distinct_aeff(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                         const size_t *rows, size_t n, aeff_hdu_t *out,
                         size_t *n_out)
{
    *n_out = 0;
    for (size_t i = 0; i < n && *n_out <= OFFBKG_IRF_CLASS_MAX_FILES; i++) {
        int64_t id = offbkg_datastore_obs_id(store, rows[i]);
        char *path = NULL, *hdu = NULL;
        size_t n_rows, k;
        int st = offbkg_datastore_locate(ctx, store, id, "aeff", &path, &hdu,
                                         &n_rows);
        if (st == OFFBKG_ENOMEM)
            return st;
        if (st != OFFBKG_OK)
            continue;   /* no aeff row: nothing to say */
        for (k = 0; k < *n_out; k++)
            if (strcmp(out[k].path, path) == 0 && strcmp(out[k].hdu, hdu) == 0)
                break;
        if (k < *n_out) {
            free(path);
            free(hdu);
            continue;
        }
        out[*n_out] = (aeff_hdu_t){ path, hdu, id };
        (*n_out)++;
    }
    return OFFBKG_OK;
}

/* HDUCLAS3 of @p a into @p cls ("" when absent or unreadable). */
static int read_class(offbkg_ctx_t *ctx, const aeff_hdu_t *a,
                      char cls[FLEN_VALUE])
{
    const char *need[1] = { a->hdu };
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    int fst = 0;
    int st = offbkg_input_open(ctx, a->path, need, 1, &mem, &f);

    cls[0] = '\0';
    if (st == OFFBKG_ENOMEM || st == OFFBKG_ECANCELLED)
        return st;
    if (st != OFFBKG_OK) {
        OFFBKG_DEBUG(ctx, "OBS_ID %lld: the IRF class is not known: %s",
                     (long long)a->obs_id, offbkg_error_msg(ctx));
        return OFFBKG_OK;
    }
    if (fits_movnam_hdu(f, BINARY_TBL, a->hdu, 0, &fst) != 0
        || fits_read_key_str(f, "HDUCLAS3", cls, NULL, &fst) != 0)
        cls[0] = '\0';
    offbkg_input_close(f, &mem);
    OFFBKG_DEBUG(ctx, "OBS_ID %lld: HDUCLAS3 = '%s' in %s[%s]",
                 (long long)a->obs_id, cls, a->path, a->hdu);
    return OFFBKG_OK;
}

int offbkg_irf_class_check(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                           const size_t *rows, size_t n)
{
    aeff_hdu_t a[OFFBKG_IRF_CLASS_MAX_FILES + 1];
    size_t n_a = 0, point_like = 0, first = 0;
    int st = distinct_aeff(ctx, store, rows, n, a, &n_a);
    size_t n_checked = n_a > OFFBKG_IRF_CLASS_MAX_FILES ? 1 : n_a;

    for (size_t k = 0; k < n_checked && st == OFFBKG_OK; k++) {
        char cls[FLEN_VALUE];
        st = read_class(ctx, &a[k], cls);
        /* The value as written: blanks and case are not the standard's,
         * but say the same. */
        size_t len = strspn(cls, " ");
        if (st == OFFBKG_OK && strncasecmp(cls + len, "POINT-LIKE", 10) == 0
            && strspn(cls + len + 10, " ") == strlen(cls + len + 10)
            && point_like++ == 0)
            first = k;
    }
    if (st == OFFBKG_OK && point_like > 0)
        OFFBKG_WARN(ctx, "the data store %s has POINT-LIKE IRFs (HDUCLAS3 of "
                    "%s[%s], OBS_ID %lld; %zu of the %zu effective areas "
                    "read): the background models built from it are "
                    "full-enclosure, and do not suit a point-like analysis "
                    "(its theta cut)", store->base_dir, a[first].path,
                    a[first].hdu, (long long)a[first].obs_id, point_like,
                    n_checked);
    for (size_t k = 0; k < n_a; k++) {
        free(a[k].path);
        free(a[k].hdu);
    }
    return st;
}
