/* SPDX-License-Identifier: BSD-3-Clause
 * validation.fits: what offbkg validate found, as binary tables
 * (doc/validate.md §8 lists every HDU and column). Written as group.c
 * writes obs.fits: built in memory, moved into place atomically; every
 * double is checked finite as it is written, and a NaN or an infinity
 * refuses the whole file, naming its HDU, row and column. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fitsio.h>

#include "output-private.h"
#include "validate-private.h"

/* A column: its TTYPE, TFORM, TUNIT. */
typedef struct coldef {
    const char *name;
    const char *form;
    const char *unit;
} coldef_t;

/* The table being written, row by row, column by column. */
typedef struct rows {
    offbkg_ctx_t *ctx;
    fitsfile *f;
    const char *path;
    const char *hdu;
    const char **names; /* the columns' names, for messages */
    LONGLONG row;       /* from 1 */
    int col;            /* the next one, from 1 */
    int fst;            /* cfitsio's status */
    int st;             /* ours: a value refused, out of memory */
} rows_t;

static bool rows_ok(const rows_t *w)
{
    return w->st == OFFBKG_OK && w->fst == 0;
}

static void put_double(rows_t *w, double v)
{
    if (!rows_ok(w))
        return;
    if (!isfinite(v)) {
        w->st = offbkg_error_set(w->ctx, OFFBKG_EDATA, "%s: %s row %lld, "
                                 "column %s is %g: an output never holds "
                                 "NaN or infinity", w->path, w->hdu,
                                 (long long)w->row, w->names[w->col - 1], v);
        return;
    }
    fits_write_col(w->f, TDOUBLE, w->col++, w->row, 1, 1, &v, &w->fst);
}

static void put_int64(rows_t *w, int64_t v)
{
    LONGLONG x = (LONGLONG)v;

    if (rows_ok(w))
        fits_write_col(w->f, TLONGLONG, w->col++, w->row, 1, 1, &x,
                       &w->fst);
}

static void put_count(rows_t *w, size_t n)
{
    put_int64(w, n > INT64_MAX ? INT64_MAX : (int64_t)n);
}

static void put_bool(rows_t *w, bool b)
{
    char c = b;

    if (rows_ok(w))
        fits_write_col(w->f, TLOGICAL, w->col++, w->row, 1, 1, &c, &w->fst);
}

static void put_string(rows_t *w, const char *s)
{
    char *v[1] = { (char *)(s != NULL ? s : "") };

    if (rows_ok(w))
        fits_write_col(w->f, TSTRING, w->col++, w->row, 1, 1, v, &w->fst);
}

static void next_row(rows_t *w)
{
    w->row++;
    w->col = 1;
}

/* A binary table HDU @p hdu of @p n_rows rows: the columns @p cols, then
 * @p n_extra double columns named @p extra with units @p extra_unit. */
static void begin_table(rows_t *w, const char *hdu, const coldef_t *cols,
                        size_t n_cols, const char *const *extra,
                        const char *const *extra_unit, size_t n_extra,
                        size_t n_rows)
{
    size_t n = n_cols + n_extra;
    char **form = calloc(n, sizeof *form), **unit = calloc(n, sizeof *unit);

    w->hdu = hdu;
    w->row = 1;
    w->col = 1;
    free(w->names);
    w->names = calloc(n, sizeof *w->names);
    if (form == NULL || unit == NULL || w->names == NULL) {
        w->st = offbkg_error_set(w->ctx, OFFBKG_ENOMEM, "out of memory");
    } else {
        for (size_t c = 0; c < n; c++) {
            bool fixed = c < n_cols;
            w->names[c] = fixed ? cols[c].name : extra[c - n_cols];
            form[c] = (char *)(fixed ? cols[c].form : "D");
            unit[c] = (char *)(fixed ? cols[c].unit : extra_unit[c - n_cols]);
        }
        if (rows_ok(w))
            fits_create_tbl(w->f, BINARY_TBL, (LONGLONG)n_rows, (int)n,
                            (char **)w->names, form, unit, hdu, &w->fst);
        if (rows_ok(w))
            fits_write_key(w->f, TSTRING, "CREATOR", "offbkg " PACKAGE_VERSION,
                           "program that wrote this file", &w->fst);
        if (rows_ok(w))
            fits_write_date(w->f, &w->fst);
    }
    free(form);
    free(unit);
}

/* The TFORM of a string column as wide as the longest of its values. */
static void string_form(char form[24], size_t longest)
{
    snprintf(form, 24, "%zuA", longest > 0 ? longest : 1);
}

static size_t longest_name(const offbkg_validation_t *v)
{
    size_t n = 0;

    for (size_t i = 0; i < v->n_strategies; i++)
        if (strlen(v->strategies[i].name) > n)
            n = strlen(v->strategies[i].name);
    return n;
}

const char *
offbkg_validate_write_model_label(const offbkg_validate_strategy_t *s,
                                  char *buf, size_t size)
{
    const char *start = strchr(s->name, '/');
    size_t n;

    start = start != NULL ? start + 1 : "";
    n = strcspn(start, "/");
    snprintf(buf, size, "%.*s", (int)n, start);
    return buf;
}

/* ------------------------------------------------------------------ */
/* The HDUs                                                            */

static void write_strategy_row(rows_t *w, const offbkg_validation_t *v,
                               const offbkg_validate_strategy_t *s)
{
    char label[160];

    put_string(w, s->name);
    put_string(w, s->match_plugin);
    put_string(w, offbkg_validate_write_model_label(s, label, sizeof label));
    put_bool(w, s->smoothed);
    put_count(w, s->rank);
    put_count(w, s->n_axes);
    put_count(w, v->n_runs);
    put_count(w, s->n_predicted);
    put_double(w, s->sys.ratio);
    put_double(w, s->sys.mean);
    put_double(w, s->sys.mean_err);
    put_double(w, s->sys.sigma_sys);
    put_double(w, s->sys.sigma_sys_lo);
    put_double(w, s->sys.sigma_sys_hi);
    put_double(w, s->sys.sigma_sys_moment);
    put_double(w, s->deviance.deviance);
    put_count(w, s->deviance.n_cells);
    put_double(w, s->deviance.p_value);
    put_count(w, s->sig_moments.n);
    put_count(w, s->sig_n_under);
    put_count(w, s->sig_n_over);
    put_double(w, s->sig_moments.mean);
    put_double(w, s->sig_moments.mean_err);
    put_double(w, s->sig_moments.width);
    put_double(w, s->sig_moments.width_err);
    put_bool(w, s->sig_fit_ok);
    put_double(w, s->sig_fit.mean);
    put_double(w, s->sig_fit.mean_err);
    put_double(w, s->sig_fit.width);
    put_double(w, s->sig_fit.width_err);
    put_count(w, s->n_outliers);
    next_row(w);
}

/* How the numbers were made: FOLDS, MINPRED, OUTLSIG. */
static void write_strategy_keys(rows_t *w, const offbkg_validation_t *v)
{
    static const char *const key[] = { "MINPRED", "OUTLSIG" };
    static const char *const comment[] = {
        "cells in SIG_*: predicted >= this", "outlier: |PULL| > this"
    };
    const double value[] = { v->min_predicted, v->outlier_sigma };
    LONGLONG folds = (LONGLONG)v->folds;

    if (rows_ok(w))
        fits_write_key(w->f, TLONGLONG, "FOLDS", &folds,
                       "0: leave one run out", &w->fst);
    for (size_t k = 0; k < 2 && rows_ok(w); k++) {
        double x = value[k];
        if (!isfinite(x))
            w->st = offbkg_error_set(w->ctx, OFFBKG_EDATA, "%s: STRATEGIES "
                                     "keyword %s is %g: an output never "
                                     "holds NaN or infinity", w->path,
                                     key[k], x);
        else
            fits_write_key(w->f, TDOUBLE, key[k], &x, comment[k], &w->fst);
    }
}

static void write_strategies(rows_t *w, const offbkg_validation_t *v)
{
    char name_form[24], match_form[24], model_form[24], label[160];
    size_t match_len = 0, model_len = 0;

    for (size_t i = 0; i < v->n_strategies; i++) {
        const offbkg_validate_strategy_t *s = &v->strategies[i];
        offbkg_validate_write_model_label(s, label, sizeof label);
        if (strlen(s->match_plugin) > match_len)
            match_len = strlen(s->match_plugin);
        if (strlen(label) > model_len)
            model_len = strlen(label);
    }
    string_form(name_form, longest_name(v));
    string_form(match_form, match_len);
    string_form(model_form, model_len);
    const coldef_t cols[] = {
        { "NAME", name_form, "" }, { "MATCH", match_form, "" },
        { "MODEL", model_form, "" }, { "SMOOTHED", "L", "" },
        { "RANK", "J", "" }, { "N_AXES", "J", "" }, { "N_RUNS", "J", "" },
        { "N_PRED_RUNS", "J", "" }, { "RATIO", "D", "" },
        { "MEAN", "D", "" }, { "MEAN_ERR", "D", "" }, { "SYS", "D", "" },
        { "SYS_LO", "D", "" }, { "SYS_HI", "D", "" },
        { "SYS_MOM", "D", "" }, { "DEVIANCE", "D", "" },
        { "DEV_CELLS", "K", "" }, { "DEV_PVAL", "D", "" },
        { "SIG_N", "K", "" }, { "SIG_UNDER", "K", "" },
        { "SIG_OVER", "K", "" }, { "SIG_MEAN", "D", "" },
        { "SIG_MEAN_ERR", "D", "" }, { "SIG_WIDTH", "D", "" },
        { "SIG_WIDTH_ERR", "D", "" }, { "FIT_OK", "L", "" },
        { "FIT_MEAN", "D", "" }, { "FIT_MEAN_ERR", "D", "" },
        { "FIT_WIDTH", "D", "" }, { "FIT_WIDTH_ERR", "D", "" },
        { "N_OUTLIERS", "J", "" },
    };
    begin_table(w, "STRATEGIES", cols, sizeof cols / sizeof cols[0], NULL,
                NULL, 0, v->n_strategies);
    for (size_t i = 0; i < v->n_strategies && rows_ok(w); i++)
        write_strategy_row(w, v, &v->strategies[i]);
    write_strategy_keys(w, v);
}

/* The unit of [validate] column @p name: its profile's. */
static const char *column_unit(const offbkg_validation_t *v,
                               const char *name)
{
    if (v->n_strategies == 0)
        return "";
    const offbkg_validate_strategy_t *s = &v->strategies[0];
    for (size_t p = 0; p < s->n_profiles; p++)
        if (s->profiles[p].per_run && strcmp(s->profiles[p].name, name) == 0)
            return s->profiles[p].unit;
    return "";
}

static const coldef_t run_cols_fixed[] = {
    { "STRATEGY", NULL, "" }, { "OBS_ID", "K", "" }, { "PREDICTED", "L", "" },
    { "SKIPPED", NULL, "" }, { "N_OBS", "D", "" }, { "N_PRED", "D", "" },
    { "VAR_PRED", "D", "" }, { "N_CELLS", "K", "" }, { "N_UNPRED", "K", "" },
    { "RATIO", "D", "" }, { "RATIO_ERR", "D", "" }, { "PULL", "D", "" },
    { "OUTLIER", "L", "" }, { "DEVIANCE", "D", "" }, { "DEV_PVAL", "D", "" },
    { "N_MATCHED", "K", "" }, { "OFF_LIVE", "D", "s" },
};
#define N_RUN_COLS (sizeof run_cols_fixed / sizeof run_cols_fixed[0])

static void write_run_row(rows_t *w, const offbkg_validation_t *v,
                          const offbkg_validate_strategy_t *s, size_t i)
{
    const offbkg_validate_run_t *r = &s->runs[i];

    put_string(w, s->name);
    put_int64(w, r->obs_id);
    put_bool(w, r->skipped == NULL);
    put_string(w, r->skipped);
    put_double(w, r->n_obs);
    put_double(w, r->n_pred);
    put_double(w, r->var_pred);
    put_count(w, r->n_cells);
    put_count(w, r->n_cells_unpredicted);
    put_double(w, r->ratio);
    put_double(w, r->ratio_err);
    put_double(w, r->pull);
    put_bool(w, r->outlier);
    put_double(w, r->deviance);
    put_double(w, r->p_value);
    put_count(w, r->n_matched);
    put_double(w, r->off_livetime_s);
    for (size_t c = 0; c < v->n_columns; c++)
        put_double(w, v->column_value[i * v->n_columns + c]);
    next_row(w);
}

static void write_runs(rows_t *w, const offbkg_validation_t *v)
{
    coldef_t cols[N_RUN_COLS];
    const char **units = calloc(v->n_columns + 1, sizeof *units);
    char name_form[24], skip_form[24];
    size_t skip_len = 0;

    if (units == NULL) {
        w->st = offbkg_error_set(w->ctx, OFFBKG_ENOMEM, "out of memory");
        return;
    }
    for (size_t k = 0; k < v->n_strategies; k++)
        for (size_t i = 0; i < v->n_runs; i++) {
            const char *why = v->strategies[k].runs[i].skipped;
            if (why != NULL && strlen(why) > skip_len)
                skip_len = strlen(why);
        }
    string_form(name_form, longest_name(v));
    string_form(skip_form, skip_len);
    memcpy(cols, run_cols_fixed, sizeof cols);
    cols[0].form = name_form;
    cols[3].form = skip_form;
    for (size_t c = 0; c < v->n_columns; c++)
        units[c] = column_unit(v, v->columns[c]);
    begin_table(w, "RUNS", cols, N_RUN_COLS,
                (const char *const *)v->columns, units, v->n_columns,
                v->n_strategies * v->n_runs);
    for (size_t k = 0; k < v->n_strategies && rows_ok(w); k++)
        for (size_t i = 0; i < v->n_runs && rows_ok(w); i++)
            write_run_row(w, v, &v->strategies[k], i);
    free(units);
}

static void write_significance(rows_t *w, const offbkg_validation_t *v)
{
    char name_form[24];
    size_t n_rows = 0;

    for (size_t k = 0; k < v->n_strategies; k++)
        n_rows += v->strategies[k].sig_n_bins;
    string_form(name_form, longest_name(v));
    const coldef_t cols[] = {
        { "STRATEGY", name_form, "" }, { "SIG_LO", "D", "" },
        { "SIG_HI", "D", "" }, { "COUNTS", "K", "" },
    };
    begin_table(w, "SIGNIFICANCE", cols, 4, NULL, NULL, 0, n_rows);
    for (size_t k = 0; k < v->n_strategies && rows_ok(w); k++) {
        const offbkg_validate_strategy_t *s = &v->strategies[k];
        double width = s->sig_hi - s->sig_lo;
        for (size_t b = 0; b < s->sig_n_bins && rows_ok(w); b++) {
            put_string(w, s->name);
            /* Edges as lo + width * b / n: the last is hi exactly. */
            put_double(w, s->sig_lo + width * (double)b
                                          / (double)s->sig_n_bins);
            put_double(w, b + 1 == s->sig_n_bins
                              ? s->sig_hi
                              : s->sig_lo + width * (double)(b + 1)
                                    / (double)s->sig_n_bins);
            put_int64(w, s->sig_counts[b] > INT64_MAX
                             ? INT64_MAX : (int64_t)s->sig_counts[b]);
            next_row(w);
        }
    }
}

static void write_profiles(rows_t *w, const offbkg_validation_t *v)
{
    char name_form[24], quantity_form[24], unit_form[24];
    size_t n_rows = 0, quantity_len = 0, unit_len = 0;

    for (size_t k = 0; k < v->n_strategies; k++)
        for (size_t p = 0; p < v->strategies[k].n_profiles; p++) {
            const offbkg_validate_profile_t *q =
                &v->strategies[k].profiles[p];
            n_rows += q->n_bins;
            if (strlen(q->name) > quantity_len)
                quantity_len = strlen(q->name);
            if (strlen(q->unit) > unit_len)
                unit_len = strlen(q->unit);
        }
    string_form(name_form, longest_name(v));
    string_form(quantity_form, quantity_len);
    string_form(unit_form, unit_len);
    const coldef_t cols[] = {
        { "STRATEGY", name_form, "" }, { "QUANTITY", quantity_form, "" },
        { "UNIT", unit_form, "" }, { "PER_RUN", "L", "" },
        { "LO", "D", "" }, { "HI", "D", "" }, { "N_OBS", "D", "" },
        { "N_PRED", "D", "" }, { "VAR_PRED", "D", "" },
        { "RATIO", "D", "" }, { "RATIO_ERR", "D", "" },
        { "N_RUNS", "K", "" },
    };
    begin_table(w, "PROFILES", cols, sizeof cols / sizeof cols[0], NULL,
                NULL, 0, n_rows);
    for (size_t k = 0; k < v->n_strategies && rows_ok(w); k++) {
        const offbkg_validate_strategy_t *s = &v->strategies[k];
        for (size_t p = 0; p < s->n_profiles && rows_ok(w); p++) {
            const offbkg_validate_profile_t *q = &s->profiles[p];
            for (size_t b = 0; b < q->n_bins && rows_ok(w); b++) {
                put_string(w, s->name);
                put_string(w, q->name);
                put_string(w, q->unit);
                put_bool(w, q->per_run);
                put_double(w, q->lo[b]);
                put_double(w, q->hi[b]);
                put_double(w, q->n_obs[b]);
                put_double(w, q->n_pred[b]);
                put_double(w, q->var_pred[b]);
                put_double(w, q->ratio[b]);
                put_double(w, q->ratio_err[b]);
                put_count(w, q->n_runs[b]);
                next_row(w);
            }
        }
    }
}

/* The profile of cube axis @p name of @p s, or NULL. */
static const offbkg_validate_profile_t *
axis_profile(const offbkg_validate_strategy_t *s, const char *name)
{
    for (size_t p = 0; p < s->n_profiles; p++)
        if (!s->profiles[p].per_run && strcmp(s->profiles[p].name, name) == 0)
            return &s->profiles[p];
    return NULL;
}

static bool has_map(const offbkg_validate_strategy_t *s)
{
    return s->n_axes == 3 && s->map_n_obs != NULL && s->map_n_pred != NULL;
}

static void write_fov_map(rows_t *w, const offbkg_validation_t *v)
{
    char name_form[24];
    size_t n_rows = 0;

    for (size_t k = 0; k < v->n_strategies; k++)
        if (has_map(&v->strategies[k]))
            n_rows += v->strategies[k].map_nx * v->strategies[k].map_ny;
    string_form(name_form, longest_name(v));
    const coldef_t cols[] = {
        { "STRATEGY", name_form, "" }, { "DETX_LO", "D", "deg" },
        { "DETX_HI", "D", "deg" }, { "DETY_LO", "D", "deg" },
        { "DETY_HI", "D", "deg" }, { "N_OBS", "D", "" },
        { "N_PRED", "D", "" },
    };
    begin_table(w, "FOV_MAP", cols, sizeof cols / sizeof cols[0], NULL,
                NULL, 0, n_rows);
    for (size_t k = 0; k < v->n_strategies && rows_ok(w); k++) {
        const offbkg_validate_strategy_t *s = &v->strategies[k];
        const offbkg_validate_profile_t *x = axis_profile(s, "DETX");
        const offbkg_validate_profile_t *y = axis_profile(s, "DETY");
        if (!has_map(s))
            continue;
        for (size_t ix = 0; ix < s->map_nx && rows_ok(w); ix++)
            for (size_t iy = 0; iy < s->map_ny && rows_ok(w); iy++) {
                size_t cell = ix * s->map_ny + iy;
                put_string(w, s->name);
                put_double(w, x->lo[ix]);
                put_double(w, x->hi[ix]);
                put_double(w, y->lo[iy]);
                put_double(w, y->hi[iy]);
                put_double(w, s->map_n_obs[cell]);
                put_double(w, s->map_n_pred[cell]);
                next_row(w);
            }
    }
}

/* ------------------------------------------------------------------ */
/* What the writer needs of @p v, checked before any file is made      */

static int check_strategy(offbkg_ctx_t *ctx, const offbkg_validation_t *v,
                          const offbkg_validate_strategy_t *s)
{
    bool ok = (v->n_runs == 0 || s->runs != NULL)
              && (s->sig_n_bins == 0 || s->sig_counts != NULL)
              && (s->n_profiles == 0 || s->profiles != NULL)
              && s->rank >= 1 && s->rank <= v->n_strategies;

    for (size_t p = 0; ok && p < s->n_profiles; p++) {
        const offbkg_validate_profile_t *q = &s->profiles[p];
        ok = q->n_bins == 0
             || (q->lo && q->hi && q->n_obs && q->n_pred && q->var_pred
                 && q->ratio && q->ratio_err && q->n_runs);
    }
    if (ok && has_map(s)) {
        const offbkg_validate_profile_t *x = axis_profile(s, "DETX");
        const offbkg_validate_profile_t *y = axis_profile(s, "DETY");
        ok = x != NULL && y != NULL && x->n_bins == s->map_nx
             && y->n_bins == s->map_ny;
    }
    if (!ok)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "validation of %s: "
                                "incomplete (an array missing, a rank out "
                                "of range, or a FoV map without its DETX "
                                "and DETY profiles)", s->name);
    return OFFBKG_OK;
}

/* A [validate] column named as a column of RUNS would make two. */
static int check_columns(offbkg_ctx_t *ctx, const offbkg_validation_t *v)
{
    if (v->n_columns > 0 && v->n_runs > 0 && v->column_value == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "validation: %zu "
                                "columns without values", v->n_columns);
    for (size_t c = 0; c < v->n_columns; c++) {
        for (size_t k = 0; k < N_RUN_COLS; k++)
            if (strcasecmp(v->columns[c], run_cols_fixed[k].name) == 0)
                return offbkg_error_set(ctx, OFFBKG_EINVAL, "[validate] "
                                        "column %s is also a column of "
                                        "validation.fits RUNS",
                                        v->columns[c]);
        for (size_t d = 0; d < c; d++)
            if (strcasecmp(v->columns[c], v->columns[d]) == 0)
                return offbkg_error_set(ctx, OFFBKG_EINVAL, "[validate] "
                                        "column %s is named twice",
                                        v->columns[c]);
    }
    return OFFBKG_OK;
}

static int check_validation(offbkg_ctx_t *ctx, const offbkg_validation_t *v)
{
    int st;

    if (v->n_strategies > 0 && (v->strategies == NULL || v->by_rank == NULL))
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "validation: %zu "
                                "strategies without their array",
                                v->n_strategies);
    for (size_t k = 0; k < v->n_strategies; k++)
        if (v->by_rank[k] >= v->n_strategies)
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "validation: rank "
                                    "%zu is strategy %zu of %zu", k + 1,
                                    v->by_rank[k], v->n_strategies);
    if ((st = check_columns(ctx, v)) != OFFBKG_OK)
        return st;
    for (size_t k = 0; k < v->n_strategies; k++)
        if ((st = check_strategy(ctx, v, &v->strategies[k])) != OFFBKG_OK)
            return st;
    return OFFBKG_OK;
}

static bool any_map(const offbkg_validation_t *v)
{
    for (size_t k = 0; k < v->n_strategies; k++)
        if (v->strategies[k].n_axes == 3)
            return true;
    return false;
}

int offbkg_validate_write(offbkg_ctx_t *ctx, const offbkg_validation_t *v,
                          const char *path, bool overwrite)
{
    offbkg_output_t out;
    int st;

    if ((st = check_validation(ctx, v)) != OFFBKG_OK
        || (st = offbkg_output_check(ctx, path, overwrite)) != OFFBKG_OK
        || (st = offbkg_output_fits(ctx, path, overwrite, &out))
               != OFFBKG_OK)
        return st;
    rows_t w = { .ctx = ctx, .f = out.fits, .path = path };
    write_strategies(&w, v);
    if (rows_ok(&w))
        write_runs(&w, v);
    if (rows_ok(&w))
        write_significance(&w, v);
    if (rows_ok(&w))
        write_profiles(&w, v);
    if (rows_ok(&w) && any_map(v))
        write_fov_map(&w, v);
    free(w.names);
    if (w.st == OFFBKG_OK && w.fst != 0)
        w.st = offbkg_error_fits(ctx, w.fst, "%s: cannot write %s", path,
                                 w.hdu);
    if (w.st != OFFBKG_OK) {
        offbkg_output_abort(&out);
        return w.st;
    }
    return offbkg_output_commit(ctx, &out);
}
