/* SPDX-License-Identifier: BSD-3-Clause
 * validation.fits read back for its figures (plot_validation-private.h). */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input-private.h"
#include "plot_validation-private.h"

/* A column the figures use: its name and type ('S' string, 'I' integer
 * or logical, 'D' number). */
typedef struct need {
    const char *name;
    char type;
} need_t;

static const need_t strategies_cols[] = {
    { "NAME", 'S' }, { "N_AXES", 'I' }, { "N_PRED_RUNS", 'I' },
    { "MEAN", 'D' }, { "MEAN_ERR", 'D' }, { "SYS", 'D' }, { "SYS_LO", 'D' },
    { "SYS_HI", 'D' }, { "SIG_N", 'I' }, { "SIG_UNDER", 'I' },
    { "SIG_OVER", 'I' }, { "SIG_MEAN", 'D' }, { "SIG_WIDTH", 'D' },
    { "FIT_OK", 'I' }, { "FIT_MEAN", 'D' }, { "FIT_WIDTH", 'D' },
    { NULL, 0 }
};
static const need_t runs_cols[] = {
    { "STRATEGY", 'S' }, { "OBS_ID", 'I' }, { "PREDICTED", 'I' },
    { "RATIO", 'D' }, { "RATIO_ERR", 'D' }, { "OUTLIER", 'I' },
    { NULL, 0 }
};
static const need_t significance_cols[] = {
    { "STRATEGY", 'S' }, { "SIG_LO", 'D' }, { "SIG_HI", 'D' },
    { "COUNTS", 'I' }, { NULL, 0 }
};
static const need_t profiles_cols[] = {
    { "STRATEGY", 'S' }, { "QUANTITY", 'S' }, { "UNIT", 'S' },
    { "PER_RUN", 'I' }, { "LO", 'D' }, { "HI", 'D' }, { "N_PRED", 'D' },
    { "RATIO", 'D' }, { "RATIO_ERR", 'D' }, { NULL, 0 }
};

const offbkg_column_t *offbkg_plot_validation_col(const offbkg_table_t *t,
                                                  const char *name)
{
    offbkg_obs_table_t view = offbkg_table_view(t);
    return offbkg_obs_table_column(&view, name);
}

/* HDU @p hdu of @p f into @p t, with the columns @p need. */
static int read_hdu(offbkg_ctx_t *ctx, fitsfile *f, const char *path,
                    const char *hdu, const need_t *need, offbkg_table_t *t)
{
    char what[FLEN_FILENAME + 32];
    int st = 0;

    snprintf(what, sizeof what, "%s[%s]", path, hdu);
    if (fits_movnam_hdu(f, BINARY_TBL, (char *)hdu, 0, &st) != 0) {
        fits_clear_errmsg();
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no %s table: not a "
                                "validation.fits of offbkg validate", path,
                                hdu);
    }
    int rc = offbkg_table_read(ctx, f, what, t);
    if (rc != OFFBKG_OK)
        return rc;
    for (const need_t *n = need; n->name != NULL; n++) {
        const offbkg_column_t *c = offbkg_plot_validation_col(t, n->name);
        offbkg_col_type_t want = n->type == 'S' ? OFFBKG_COL_STRING
                                 : n->type == 'I' ? OFFBKG_COL_INT
                                                  : OFFBKG_COL_DOUBLE;
        if (c == NULL)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no column %s",
                                    what, n->name);
        if (c->type != want)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: column %s: "
                                    "expected %s", what, n->name,
                                    n->type == 'S' ? "strings"
                                    : n->type == 'I' ? "integers"
                                                     : "floating-point "
                                                       "numbers");
        for (size_t r = 0; want == OFFBKG_COL_DOUBLE && r < t->n_rows; r++)
            if (!isfinite(c->f64[r]))
                return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: row %zu, "
                                        "column %s: not a finite number",
                                        what, r + 1, n->name);
    }
    return OFFBKG_OK;
}

int offbkg_plot_validation_read(offbkg_ctx_t *ctx, const char *path,
                                offbkg_plot_validation_t *v)
{
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    int rc;

    memset(v, 0, sizeof *v);
    if ((rc = offbkg_input_open(ctx, path, NULL, 0, &mem, &f)) != OFFBKG_OK)
        return rc;
    rc = read_hdu(ctx, f, path, "STRATEGIES", strategies_cols,
                  &v->strategies);
    if (rc == OFFBKG_OK)
        rc = read_hdu(ctx, f, path, "RUNS", runs_cols, &v->runs);
    if (rc == OFFBKG_OK)
        rc = read_hdu(ctx, f, path, "SIGNIFICANCE", significance_cols,
                      &v->significance);
    if (rc == OFFBKG_OK)
        rc = read_hdu(ctx, f, path, "PROFILES", profiles_cols,
                      &v->profiles);
    offbkg_input_close(f, &mem);
    if (rc != OFFBKG_OK)
        offbkg_plot_validation_clear(v);
    return rc;
}

void offbkg_plot_validation_clear(offbkg_plot_validation_t *v)
{
    offbkg_table_free(&v->strategies);
    offbkg_table_free(&v->runs);
    offbkg_table_free(&v->significance);
    offbkg_table_free(&v->profiles);
}
