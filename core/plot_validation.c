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

/* ------------------------------------------------------------------ */
/* The figures                                                         */

/* What every figure needs. */
typedef struct draw {
    offbkg_ctx_t *ctx;
    const offbkg_plot_validation_t *v;
    const char *fig_dir, *fig_rel, *source;
    offbkg_plot_format_t fmt;
    offbkg_plot_index_t *ix;
    char path[4096], rel[4096];     /* of the figure being drawn */
} draw_t;

/* @p text as a file name part: [A-Za-z0-9_-], anything else '_'. */
static void name_part(char *out, size_t size, const char *text)
{
    size_t k = 0;

    for (; *text != '\0' && k + 1 < size && k < 48; text++) {
        char c = *text;
        out[k++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                           || (c >= '0' && c <= '9') || c == '-'
                       ? c : '_';
    }
    out[k] = '\0';
}

/* d->path and d->rel of the figure "validation_@p what[_NN_@p part]". */
static int figure_name(draw_t *d, const char *what, int number,
                       const char *part)
{
    char name[128], safe[64];
    const char *ext = offbkg_plot_format_ext(d->fmt);

    name_part(safe, sizeof safe, part != NULL ? part : "");
    if (number > 0)
        snprintf(name, sizeof name, "validation_%s_%02d_%s.%s", what,
                 number, safe, ext);
    else
        snprintf(name, sizeof name, "validation_%s.%s", what, ext);
    if ((size_t)snprintf(d->path, sizeof d->path, "%s/%s", d->fig_dir, name)
            >= sizeof d->path
        || (size_t)snprintf(d->rel, sizeof d->rel, "%s/%s", d->fig_rel, name)
               >= sizeof d->rel)
        return offbkg_error_set(d->ctx, OFFBKG_EINVAL, "%s/%s: path too "
                                "long", d->fig_dir, name);
    return OFFBKG_OK;
}

/* The colour of strategy @p k, the same in every figure. */
static int strategy_colour(size_t k)
{
    return 2 + (int)(k % 8);
}

static double gauss(double x, double mean, double sigma)
{
    double z = (x - mean) / sigma;
    return exp(-0.5 * z * z) / (sigma * 2.5066282746310002); /* sqrt(2 pi) */
}

#define CURVE_POINTS 241
/* A curve over a histogram: not the histogram's colour. */
#define FIT_COLOUR 3

/* Strategy @p k: its predicted runs' ratios in a histogram, with the
 * distribution the run-wise systematic describes: each run's ratio
 * Normal around MEAN with its own error and sigma_sys added in
 * quadrature, summed over the runs. */
static int draw_ratios(draw_t *d, size_t k)
{
    const offbkg_table_t *s = &d->v->strategies, *r = &d->v->runs;
    const char *name = offbkg_plot_validation_col(s, "NAME")->str[k];
    const offbkg_column_t *strat = offbkg_plot_validation_col(r, "STRATEGY");
    const offbkg_column_t *pred = offbkg_plot_validation_col(r, "PREDICTED");
    const offbkg_column_t *ratio = offbkg_plot_validation_col(r, "RATIO");
    const offbkg_column_t *err = offbkg_plot_validation_col(r, "RATIO_ERR");
    const offbkg_column_t *outl = offbkg_plot_validation_col(r, "OUTLIER");
    double mean = offbkg_plot_validation_col(s, "MEAN")->f64[k];
    double mean_err = offbkg_plot_validation_col(s, "MEAN_ERR")->f64[k];
    double sys = offbkg_plot_validation_col(s, "SYS")->f64[k];
    double sys_lo = offbkg_plot_validation_col(s, "SYS_LO")->f64[k];
    double sys_hi = offbkg_plot_validation_col(s, "SYS_HI")->f64[k];
    double lo = INFINITY, hi = -INFINITY;
    size_t n = 0, n_out = 0;

    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(strat->str[i], name) == 0 && pred->i64[i]) {
            lo = fmin(lo, ratio->f64[i]);
            hi = fmax(hi, ratio->f64[i]);
            n++;
            n_out += outl->i64[i] != 0;
        }
    if (n == 0)
        return OFFBKG_OK;
    double span = hi - lo > 0 ? hi - lo : fmax(0.05 * fabs(hi), 0.01);
    lo -= 0.15 * span;
    hi += 0.15 * span;
    size_t nb = (size_t)ceil(sqrt((double)n));
    nb = nb < 5 ? 5 : nb > 40 ? 40 : nb;
    double width = (hi - lo) / (double)nb;
    double *edges = calloc(nb + 1, sizeof *edges);
    double *heights = calloc(nb, sizeof *heights);
    double *cx = calloc(CURVE_POINTS, sizeof *cx);
    double *cy = calloc(CURVE_POINTS, sizeof *cy);
    int st = OFFBKG_OK;

    if (edges == NULL || heights == NULL || cx == NULL || cy == NULL)
        st = offbkg_error_set(d->ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t b = 0; st == OFFBKG_OK && b <= nb; b++)
        edges[b] = lo + width * (double)b;
    for (size_t j = 0; st == OFFBKG_OK && j < CURVE_POINTS; j++)
        cx[j] = lo + (hi - lo) * (double)j / (CURVE_POINTS - 1);
    for (size_t i = 0; st == OFFBKG_OK && i < r->n_rows; i++) {
        if (strcmp(strat->str[i], name) != 0 || !pred->i64[i])
            continue;
        size_t b = (size_t)((ratio->f64[i] - lo) / width);
        heights[b < nb ? b : nb - 1] += 1;
        double sigma = sqrt(err->f64[i] * err->f64[i] + sys * sys);
        for (size_t j = 0; sigma > 0 && j < CURVE_POINTS; j++)
            cy[j] += width * gauss(cx[j], mean, sigma);
    }
    if (st == OFFBKG_OK)
        st = figure_name(d, "ratio", (int)k + 1, name);
    if (st == OFFBKG_OK) {
        char title[256], safe[160], note[256], label[128];
        offbkg_plot_text(safe, sizeof safe, name);
        snprintf(title, sizeof title, "%s: each run's observed / predicted "
                 "counts", safe);
        snprintf(label, sizeof label, "mean %.3f, #gs#dsys#u %.1f%% with "
                 "each run's error", mean, 100 * sys);
        snprintf(note, sizeof note, "%zu runs; mean %.4f +- %.4f; "
                 "#gs#dsys#u %.2f%% [%.2f%%, %.2f%%] (68%%); %zu outlier%s",
                 n, mean, mean_err, 100 * sys, 100 * sys_lo, 100 * sys_hi,
                 n_out, n_out == 1 ? "" : "s");
        offbkg_plot_axes_t axes = {
            .title = title, .x_label = "observed / predicted counts",
            .y_label = "runs", .x_min = lo, .x_max = hi, .y_min = 0,
            .y_max = NAN };
        offbkg_plot_series_t curve = {
            .label = label, .n = CURVE_POINTS, .x = cx, .y = cy,
            .style = OFFBKG_PLOT_STYLE_LINE, .color = FIT_COLOUR };
        st = offbkg_plot_histogram(d->ctx, d->path, d->fmt, &axes, edges,
                                   heights, nb, "runs", &curve, 1, note);
    }
    if (st == OFFBKG_OK)
        st = offbkg_plot_index_add(
            d->ctx, d->ix, OFFBKG_PLOT_INDEX_VALIDATION, d->rel, d->source,
            "%s: the observed/predicted ratios of its %zu runs, mean %.3f, "
            "sigma_sys %.1f%% [%.1f%%, %.1f%%], %zu outlier%s", name, n,
            mean, 100 * sys, 100 * sys_lo, 100 * sys_hi, n_out,
            n_out == 1 ? "" : "s");
    free(edges);
    free(heights);
    free(cx);
    free(cy);
    return st;
}

/* Strategy @p k: the histogram of its cells' significances, with N(0, 1)
 * and the fitted Gaussian (the moments' when the fit failed), each
 * normalised to the cells in the distribution. */
static int draw_significance(draw_t *d, size_t k)
{
    const offbkg_table_t *s = &d->v->strategies, *h = &d->v->significance;
    const char *name = offbkg_plot_validation_col(s, "NAME")->str[k];
    const offbkg_column_t *strat = offbkg_plot_validation_col(h, "STRATEGY");
    const offbkg_column_t *blo = offbkg_plot_validation_col(h, "SIG_LO");
    const offbkg_column_t *bhi = offbkg_plot_validation_col(h, "SIG_HI");
    const offbkg_column_t *cnt = offbkg_plot_validation_col(h, "COUNTS");
    int64_t n_cells = offbkg_plot_validation_col(s, "SIG_N")->i64[k];
    int64_t under = offbkg_plot_validation_col(s, "SIG_UNDER")->i64[k];
    int64_t over = offbkg_plot_validation_col(s, "SIG_OVER")->i64[k];
    bool fit = offbkg_plot_validation_col(s, "FIT_OK")->i64[k] != 0;
    double m = offbkg_plot_validation_col(s, fit ? "FIT_MEAN"
                                                 : "SIG_MEAN")->f64[k];
    double w = offbkg_plot_validation_col(s, fit ? "FIT_WIDTH"
                                                 : "SIG_WIDTH")->f64[k];
    size_t nb = 0, b = 0;
    double total = 0;
    int st = OFFBKG_OK;

    for (size_t i = 0; i < h->n_rows; i++)
        if (strcmp(strat->str[i], name) == 0) {
            nb++;
            total += (double)cnt->i64[i];
        }
    if (nb == 0 || total <= 0 || n_cells <= 0)
        return OFFBKG_OK;
    double *edges = calloc(nb + 1, sizeof *edges);
    double *heights = calloc(nb, sizeof *heights);
    double *cx = calloc(CURVE_POINTS, sizeof *cx);
    double *cy[2] = { calloc(CURVE_POINTS, sizeof(double)),
                      calloc(CURVE_POINTS, sizeof(double)) };

    if (edges == NULL || heights == NULL || cx == NULL || cy[0] == NULL
        || cy[1] == NULL)
        st = offbkg_error_set(d->ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; st == OFFBKG_OK && i < h->n_rows; i++)
        if (strcmp(strat->str[i], name) == 0) {
            edges[b] = blo->f64[i];
            edges[b + 1] = bhi->f64[i];
            heights[b++] = (double)cnt->i64[i];
        }
    if (st == OFFBKG_OK) {
        double width = (edges[nb] - edges[0]) / (double)nb;
        for (size_t j = 0; j < CURVE_POINTS; j++) {
            cx[j] = edges[0] + (edges[nb] - edges[0]) * (double)j
                                   / (CURVE_POINTS - 1);
            cy[0][j] = (double)n_cells * width * gauss(cx[j], 0, 1);
            cy[1][j] = w > 0 ? (double)n_cells * width * gauss(cx[j], m, w)
                             : NAN;
        }
        st = figure_name(d, "significance", (int)k + 1, name);
    }
    if (st == OFFBKG_OK) {
        char title[256], safe[160], note[256], label[96];
        offbkg_plot_text(safe, sizeof safe, name);
        snprintf(title, sizeof title, "%s: significance of each cell's "
                 "residual", safe);
        snprintf(label, sizeof label, "%s: mean %.3f, width %.3f",
                 fit ? "fit" : "moments (no fit)", m, w);
        snprintf(note, sizeof note, "%lld cells (%lld below, %lld above "
                 "the range)", (long long)n_cells, (long long)under,
                 (long long)over);
        offbkg_plot_axes_t axes = {
            .title = title, .x_label = "significance (#gs)",
            .y_label = "cells", .x_min = edges[0], .x_max = edges[nb],
            .y_min = 0, .y_max = NAN };
        offbkg_plot_series_t curves[2] = {
            { .label = "N(0, 1)", .n = CURVE_POINTS, .x = cx, .y = cy[0],
              .style = OFFBKG_PLOT_STYLE_DASHED, .color = 1 },
            { .label = label, .n = CURVE_POINTS, .x = cx, .y = cy[1],
              .style = OFFBKG_PLOT_STYLE_LINE, .color = FIT_COLOUR },
        };
        st = offbkg_plot_histogram(d->ctx, d->path, d->fmt, &axes, edges,
                                   heights, nb, "cells", curves,
                                   w > 0 ? 2 : 1, note);
    }
    if (st == OFFBKG_OK)
        st = offbkg_plot_index_add(
            d->ctx, d->ix, OFFBKG_PLOT_INDEX_VALIDATION, d->rel, d->source,
            "%s: the significances of %lld cells against N(0, 1); %s mean "
            "%.3f, width %.3f", name, (long long)n_cells,
            fit ? "fitted" : "moments' (the fit failed)", m, w);
    free(edges);
    free(heights);
    free(cx);
    free(cy[0]);
    free(cy[1]);
    return st;
}

/* Whether @p q is among the first @p n quantities of @p col. */
static bool seen_before(const offbkg_column_t *col, size_t n, const char *q)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(col->str[i], q) == 0)
            return true;
    return false;
}

/* The residuals (observed / predicted) against quantity @p q (the
 * @p number -th), one line per strategy that has it, with a dashed line
 * at 1. */
static int draw_profile(draw_t *d, const char *q, int number)
{
    const offbkg_table_t *s = &d->v->strategies, *p = &d->v->profiles;
    const offbkg_column_t *names = offbkg_plot_validation_col(s, "NAME");
    const offbkg_column_t *strat = offbkg_plot_validation_col(p, "STRATEGY");
    const offbkg_column_t *quant = offbkg_plot_validation_col(p, "QUANTITY");
    const offbkg_column_t *unit = offbkg_plot_validation_col(p, "UNIT");
    const offbkg_column_t *per_run = offbkg_plot_validation_col(p, "PER_RUN");
    const offbkg_column_t *lo = offbkg_plot_validation_col(p, "LO");
    const offbkg_column_t *hi = offbkg_plot_validation_col(p, "HI");
    const offbkg_column_t *npred = offbkg_plot_validation_col(p, "N_PRED");
    const offbkg_column_t *ratio = offbkg_plot_validation_col(p, "RATIO");
    const offbkg_column_t *err = offbkg_plot_validation_col(p, "RATIO_ERR");
    size_t n_s = s->n_rows, n_series = 0;
    bool log_x = strcmp(q, "ENERG") == 0, runs = false;
    const char *u = "";
    double x_min = INFINITY, x_max = -INFINITY;
    offbkg_plot_series_t *series = calloc(n_s + 1, sizeof *series);
    double *x = calloc(p->n_rows + 2, sizeof *x);
    double *y = calloc(p->n_rows + 2, sizeof *y);
    double *e = calloc(p->n_rows + 2, sizeof *e);
    char *labels = calloc(n_s + 1, 160);
    size_t used = 0;
    int st = OFFBKG_OK;

    if (series == NULL || x == NULL || y == NULL || e == NULL
        || labels == NULL)
        st = offbkg_error_set(d->ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; st == OFFBKG_OK && k < n_s; k++) {
        size_t first = used;
        for (size_t i = 0; i < p->n_rows; i++) {
            if (strcmp(strat->str[i], names->str[k]) != 0
                || strcmp(quant->str[i], q) != 0 || npred->f64[i] <= 0)
                continue;
            u = unit->str[i];
            runs = per_run->i64[i] != 0;
            x[used] = log_x && lo->f64[i] > 0
                          ? sqrt(lo->f64[i] * hi->f64[i])
                          : 0.5 * (lo->f64[i] + hi->f64[i]);
            x_min = fmin(x_min, lo->f64[i]);
            x_max = fmax(x_max, hi->f64[i]);
            y[used] = ratio->f64[i];
            e[used++] = err->f64[i];
        }
        if (used == first)
            continue;
        char *label = labels + 160 * n_series;
        offbkg_plot_text(label, 160, names->str[k]);
        series[n_series++] = (offbkg_plot_series_t){
            .label = label, .n = used - first, .x = x + first,
            .y = y + first, .y_err = e + first,
            .style = OFFBKG_PLOT_STYLE_LINE_POINTS,
            .color = strategy_colour(k) };
    }
    if (st == OFFBKG_OK && n_series > 0) {
        char title[256], xl[192], safe_q[80], safe_u[48];
        /* The reference: observed = predicted. */
        x[used] = x_min;
        x[used + 1] = x_max;
        y[used] = y[used + 1] = 1;
        series[n_series++] = (offbkg_plot_series_t){
            .n = 2, .x = x + used, .y = y + used,
            .style = OFFBKG_PLOT_STYLE_DASHED, .color = 1 };
        offbkg_plot_text(safe_q, sizeof safe_q, q);
        offbkg_plot_text(safe_u, sizeof safe_u, u);
        snprintf(title, sizeof title, "Residuals against %s%s",
                 log_x ? "energy" : safe_q, runs ? ", per run" : "");
        snprintf(xl, sizeof xl, "%s%s%s%s", log_x ? "energy" : safe_q,
                 u[0] ? " (" : "", safe_u, u[0] ? ")" : "");
        offbkg_plot_axes_t axes = {
            .title = title, .x_label = xl,
            .y_label = "observed / predicted counts", .log_x = log_x,
            .x_min = x_min, .x_max = x_max, .y_min = NAN, .y_max = NAN };
        st = figure_name(d, "profile", number, q);
        if (st == OFFBKG_OK)
            st = offbkg_plot_lines(d->ctx, d->path, d->fmt, &axes, series,
                                   n_series, runs ? "each run in the bin "
                                   "of its value" : "each bin summed over "
                                   "the runs");
        if (st == OFFBKG_OK)
            st = offbkg_plot_index_add(
                d->ctx, d->ix, OFFBKG_PLOT_INDEX_VALIDATION, d->rel,
                d->source, "Observed/predicted counts against %s%s%s%s, "
                "one line per strategy", q, u[0] ? " (" : "", u,
                u[0] ? ")" : "");
    }
    free(series);
    free(x);
    free(y);
    free(e);
    free(labels);
    return st;
}

/* Each predicted run's ratio against its zenith angle, one colour per
 * strategy; nothing without a ZEN_PNT column (a [validate] column). */
static int draw_zenith(draw_t *d)
{
    const offbkg_table_t *s = &d->v->strategies, *r = &d->v->runs;
    const offbkg_column_t *zen = offbkg_plot_validation_col(r, "ZEN_PNT");
    const offbkg_column_t *names = offbkg_plot_validation_col(s, "NAME");
    const offbkg_column_t *strat = offbkg_plot_validation_col(r, "STRATEGY");
    const offbkg_column_t *pred = offbkg_plot_validation_col(r, "PREDICTED");
    const offbkg_column_t *ratio = offbkg_plot_validation_col(r, "RATIO");
    const offbkg_column_t *err = offbkg_plot_validation_col(r, "RATIO_ERR");
    size_t n_series = 0, used = 0;
    int st = OFFBKG_OK;

    if (zen == NULL || zen->type != OFFBKG_COL_DOUBLE || r->n_rows == 0)
        return OFFBKG_OK;
    /* The strategies' points of one run side by side, not on top of each
     * other: each moved by a small step of the zenith range. */
    double z_lo = INFINITY, z_hi = -INFINITY;
    for (size_t i = 0; i < r->n_rows; i++)
        if (isfinite(zen->f64[i])) {
            z_lo = fmin(z_lo, zen->f64[i]);
            z_hi = fmax(z_hi, zen->f64[i]);
        }
    double step = z_hi > z_lo ? 0.006 * (z_hi - z_lo) : 0.1;
    offbkg_plot_series_t *series = calloc(s->n_rows, sizeof *series);
    double *x = calloc(r->n_rows, sizeof *x);
    double *y = calloc(r->n_rows, sizeof *y);
    double *e = calloc(r->n_rows, sizeof *e);
    char *labels = calloc(s->n_rows + 1, 160);

    if (series == NULL || x == NULL || y == NULL || e == NULL
        || labels == NULL)
        st = offbkg_error_set(d->ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; st == OFFBKG_OK && k < s->n_rows; k++) {
        size_t first = used;
        for (size_t i = 0; i < r->n_rows; i++)
            if (strcmp(strat->str[i], names->str[k]) == 0 && pred->i64[i]
                && isfinite(zen->f64[i])) {
                x[used] = zen->f64[i]
                          + step * ((double)k - 0.5 * (double)(s->n_rows - 1));
                y[used] = ratio->f64[i];
                e[used++] = err->f64[i];
            }
        if (used == first)
            continue;
        char *label = labels + 160 * n_series;
        offbkg_plot_text(label, 160, names->str[k]);
        series[n_series++] = (offbkg_plot_series_t){
            .label = label, .n = used - first, .x = x + first,
            .y = y + first, .y_err = e + first,
            .style = OFFBKG_PLOT_STYLE_POINTS,
            .color = strategy_colour(k) };
    }
    if (st == OFFBKG_OK && n_series > 0) {
        offbkg_plot_axes_t axes = {
            .title = "Each run's observed / predicted counts against zenith",
            .x_label = "zenith angle (deg)",
            .y_label = "observed / predicted counts", .x_min = NAN,
            .x_max = NAN, .y_min = NAN, .y_max = NAN };
        st = figure_name(d, "ratio_zenith", 0, NULL);
        if (st == OFFBKG_OK)
            st = offbkg_plot_lines(d->ctx, d->path, d->fmt, &axes, series,
                                   n_series, "error bars: Poisson and the "
                                   "prediction's, without the systematic; "
                                   "strategies side by side");
        if (st == OFFBKG_OK)
            st = offbkg_plot_index_add(
                d->ctx, d->ix, OFFBKG_PLOT_INDEX_VALIDATION, d->rel,
                d->source, "Each run's observed/predicted counts against "
                "its zenith angle, one colour per strategy");
    }
    free(series);
    free(x);
    free(y);
    free(e);
    free(labels);
    return st;
}

int offbkg_plot_validation_draw(offbkg_ctx_t *ctx,
                                const offbkg_plot_validation_t *v,
                                const char *fig_dir, const char *fig_rel,
                                offbkg_plot_format_t fmt, const char *source,
                                offbkg_plot_index_t *ix)
{
    draw_t d = { .ctx = ctx, .v = v, .fig_dir = fig_dir,
                 .fig_rel = fig_rel, .source = source, .fmt = fmt,
                 .ix = ix };
    const offbkg_column_t *quant = offbkg_plot_validation_col(&v->profiles,
                                                              "QUANTITY");
    int st = OFFBKG_OK, number = 0;

    for (size_t k = 0; st == OFFBKG_OK && k < v->strategies.n_rows; k++)
        st = draw_ratios(&d, k);
    for (size_t k = 0; st == OFFBKG_OK && k < v->strategies.n_rows; k++)
        st = draw_significance(&d, k);
    for (size_t i = 0; st == OFFBKG_OK && i < v->profiles.n_rows; i++)
        if (!seen_before(quant, i, quant->str[i]))
            st = draw_profile(&d, quant->str[i], ++number);
    if (st == OFFBKG_OK)
        st = draw_zenith(&d);
    return st;
}
