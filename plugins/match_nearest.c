/* SPDX-License-Identifier: BSD-3-Clause
 * match/nearest: each target's model is the pooled estimate of the OFF
 * runs nearest to it in a weighted distance over obs-index columns,
 *
 *     d = sqrt(sum_k weights_k * (diff_k / scales_k)^2),
 *
 * after hard cuts (equal values of equal_columns, |diff_k| <=
 * max_differences_k), taken nearest first (ties by OBS_ID) until there
 * are min_runs runs and min_livetime_s of livetime, at most max_runs
 * (doc/match.md §5). ZEN_PNT enters as cos(zenith), airmass or degrees;
 * angle columns wrap at 360 deg. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <offbkg/plugin.h>

#include "shared/match_common.h"

enum { ZEN_COS = 0, ZEN_AIRMASS = 1, ZEN_DEG = 2 };

/* How a column's values enter the distance. */
typedef enum transform {
    TR_PLAIN = 0,   /* as they are */
    TR_ANGLE = 1,   /* degrees on a circle: differences wrap at 360 */
    TR_COS = 2,     /* zenith in degrees -> cos(zenith) */
    TR_AIRMASS = 3  /* zenith in degrees -> 1 / cos(zenith) */
} transform_t;

typedef struct nearest_config {
    offbkg_string_list_t columns;
    int zenith;
    offbkg_string_list_t angle_columns;
    offbkg_double_list_t scales;
    offbkg_double_list_t weights;
    offbkg_double_list_t max_differences;
    offbkg_string_list_t equal_columns;
    int64_t min_runs;
    int64_t max_runs;
    double min_livetime_s;
} nearest_config_t;

/* An OFF run within the cuts. */
typedef struct cand {
    double d;
    int64_t obs_id;
    size_t row;
} cand_t;

typedef struct nearest_state {
    const offbkg_host_t *host;
    const nearest_config_t *cfg;   /* owned by the host until destroy */
    size_t n_cols;
    transform_t *tr;               /* n_cols */
    double *scale, *weight, *max_diff; /* n_cols; max_diff 0: no cut */
    double *tv;                    /* n_cols: the target's values */
    const offbkg_column_t **teq;   /* equal_columns in the target table */
    /* From prepare. */
    const offbkg_obs_table_t *off;
    size_t n_off;
    double *off_val;               /* n_cols x n_off, transformed; NaN:
                                      the row is never matched */
    const char *off_missing;       /* a column the OFF table lacks */
    const offbkg_column_t **off_eq; /* equal_columns in the OFF table */
    double *off_time_s;            /* n_off: livetime, 0 if unknown */
    int off_has_time;
    int64_t *off_obs_id;           /* n_off (the row when no OBS_ID) */
    /* The result of the last match. */
    cand_t *cand;                  /* n_off */
    size_t *index;
    double *ones;
    double *dist;
    char reason[512];
} nearest_state_t;

static const char *const zenith_modes[] = { "cos", "airmass", "deg", NULL };

static const offbkg_param_t nearest_params[] = {
    { .name = "columns", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(nearest_config_t, columns),
      .flags = OFFBKG_PARAM_REQUIRED, .min_items = 1,
      .help = "obs-index columns of the distance, e.g. ZEN_PNT, AZ_PNT, "
              "MUONEFF" },
    { .name = "zenith", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(nearest_config_t, zenith), .default_value = "cos",
      .choices = zenith_modes,
      .help = "ZEN_PNT enters as cos(zenith), airmass 1/cos(zenith) or "
              "degrees" },
    { .name = "angle_columns", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(nearest_config_t, angle_columns),
      .default_value = "AZ_PNT",
      .help = "columns in degrees whose differences wrap at 360 (the "
              "shorter way round)" },
    { .name = "scales", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(nearest_config_t, scales),
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "one per column: each difference is divided by its scale "
              "(default 1)" },
    { .name = "weights", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(nearest_config_t, weights),
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "one per column: weight of its squared scaled difference "
              "(default 1)" },
    { .name = "max_differences", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(nearest_config_t, max_differences),
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "one per column: hard cut on the difference, in the "
              "column's transformed unit; 0: no cut" },
    { .name = "equal_columns", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(nearest_config_t, equal_columns),
      .help = "hard cut: OFF runs with the target's values of these "
              "columns only (e.g. N_TELS, TELLIST)" },
    { .name = "min_runs", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(nearest_config_t, min_runs),
      .default_value = "1", .flags = OFFBKG_PARAM_HAS_MIN, .min = 1,
      .help = "fewest runs of a target's model" },
    { .name = "max_runs", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(nearest_config_t, max_runs),
      .default_value = "50", .flags = OFFBKG_PARAM_HAS_MIN, .min = 1,
      .help = "most runs of a target's model" },
    { .name = "min_livetime_s", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(nearest_config_t, min_livetime_s), .unit = "s",
      .default_value = "0", .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "least total livetime of a target's runs" },
    { 0 }
};

static void clear_prepared(nearest_state_t *s)
{
    free(s->off_val);
    free(s->off_eq);
    free(s->off_time_s);
    free(s->off_obs_id);
    free(s->cand);
    free(s->index);
    free(s->ones);
    free(s->dist);
    s->off_val = s->off_time_s = s->ones = s->dist = NULL;
    s->off_eq = NULL;
    s->off_obs_id = NULL;
    s->cand = NULL;
    s->index = NULL;
    s->off = NULL;
    s->n_off = 0;
    s->off_missing = NULL;
}

static void nearest_destroy(void *state)
{
    nearest_state_t *s = state;

    if (s == NULL)
        return;
    clear_prepared(s);
    free(s->tr);
    free(s->scale);
    free(s->weight);
    free(s->max_diff);
    free(s->tv);
    free(s->teq);
    free(s);
}

static int in_list(const offbkg_string_list_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], name) == 0)
            return 1;
    return 0;
}

/* A per-column list: empty (every item @p def) or one item per column. */
static int per_column(const offbkg_host_t *host, const char *key,
                      const offbkg_double_list_t *l, size_t n_cols,
                      double def, double *out)
{
    if (l->n != 0 && l->n != n_cols)
        return host->error(host, OFFBKG_ECONFIG,
                           "%s has %zu items but columns has %zu: give one "
                           "per column",
                           key, l->n, n_cols);
    for (size_t k = 0; k < n_cols; k++)
        out[k] = l->n != 0 ? l->v[k] : def;
    return OFFBKG_OK;
}

static int nearest_create(const offbkg_host_t *host, const void *config,
                          void **state)
{
    const nearest_config_t *cfg = config;
    size_t n = cfg->columns.n;
    nearest_state_t *s;
    int rc;

    *state = NULL;
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < k; j++)
            if (strcasecmp(cfg->columns.v[j], cfg->columns.v[k]) == 0)
                return host->error(host, OFFBKG_ECONFIG,
                                   "columns: %s is given twice",
                                   cfg->columns.v[k]);
    if (cfg->min_runs > cfg->max_runs)
        return host->error(host, OFFBKG_ECONFIG,
                           "min_runs (%" PRId64 ") is above max_runs (%"
                           PRId64 ")", cfg->min_runs, cfg->max_runs);
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = cfg;
    s->n_cols = n;
    s->tr = calloc(n, sizeof *s->tr);
    s->scale = calloc(n, sizeof *s->scale);
    s->weight = calloc(n, sizeof *s->weight);
    s->max_diff = calloc(n, sizeof *s->max_diff);
    s->tv = calloc(n, sizeof *s->tv);
    s->teq = calloc(cfg->equal_columns.n + 1, sizeof *s->teq);
    if (s->tr == NULL || s->scale == NULL || s->weight == NULL
        || s->max_diff == NULL || s->tv == NULL || s->teq == NULL) {
        nearest_destroy(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    if ((rc = per_column(host, "scales", &cfg->scales, n, 1.0, s->scale))
            != OFFBKG_OK
        || (rc = per_column(host, "weights", &cfg->weights, n, 1.0,
                            s->weight)) != OFFBKG_OK
        || (rc = per_column(host, "max_differences", &cfg->max_differences,
                            n, 0.0, s->max_diff)) != OFFBKG_OK) {
        nearest_destroy(s);
        return rc;
    }
    for (size_t k = 0; k < n; k++) {
        const char *c = cfg->columns.v[k];
        if (strcasecmp(c, "ZEN_PNT") == 0)
            s->tr[k] = cfg->zenith == ZEN_COS       ? TR_COS
                       : cfg->zenith == ZEN_AIRMASS ? TR_AIRMASS
                                                    : TR_PLAIN;
        else
            s->tr[k] = in_list(&cfg->angle_columns, c) ? TR_ANGLE
                                                       : TR_PLAIN;
    }
    *state = s;
    return OFFBKG_OK;
}

/* @p v of a column as it enters the distance; NaN when it cannot. */
static double transform(transform_t tr, double v)
{
    double c;

    switch (tr) {
    case TR_COS:
        return cos(v * MC_DEG_TO_RAD);
    case TR_AIRMASS:
        c = cos(v * MC_DEG_TO_RAD);
        return c > 0 ? 1.0 / c : NAN;
    case TR_PLAIN:
    case TR_ANGLE:
        break;
    }
    return isfinite(v) ? v : NAN;
}

static int nearest_prepare(void *state, const offbkg_match_input_t *in)
{
    nearest_state_t *s = state;
    const offbkg_obs_table_t *off = in->off;
    const offbkg_column_t *id, *time;
    size_t n = off->n_rows, nk = s->n_cols, n_eq = s->cfg->equal_columns.n;
    size_t n_out = n < (size_t)s->cfg->max_runs ? n : (size_t)s->cfg->max_runs;

    clear_prepared(s);
    s->off = off;
    s->n_off = n;
    s->off_val = malloc((nk * n + 1) * sizeof *s->off_val);
    s->off_eq = calloc(n_eq + 1, sizeof *s->off_eq);
    s->off_time_s = malloc((n + 1) * sizeof *s->off_time_s);
    s->off_obs_id = malloc((n + 1) * sizeof *s->off_obs_id);
    s->cand = malloc((n + 1) * sizeof *s->cand);
    s->index = malloc((n_out + 1) * sizeof *s->index);
    s->ones = malloc((n_out + 1) * sizeof *s->ones);
    s->dist = malloc((n_out + 1) * sizeof *s->dist);
    if (s->off_val == NULL || s->off_eq == NULL || s->off_time_s == NULL
        || s->off_obs_id == NULL || s->cand == NULL || s->index == NULL
        || s->ones == NULL || s->dist == NULL) {
        clear_prepared(s);
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < nk; k++) {
        const offbkg_column_t *c = mc_numeric_column(off,
                                                     s->cfg->columns.v[k]);
        if (c == NULL && s->off_missing == NULL)
            s->off_missing = s->cfg->columns.v[k];
        for (size_t i = 0; i < n; i++)
            s->off_val[k * n + i] =
                c == NULL ? NAN
                          : transform(s->tr[k],
                                      offbkg_column_get_double(c, i));
    }
    for (size_t q = 0; q < n_eq; q++) {
        s->off_eq[q] = offbkg_obs_table_column(off,
                                               s->cfg->equal_columns.v[q]);
        if (s->off_eq[q] == NULL && s->off_missing == NULL)
            s->off_missing = s->cfg->equal_columns.v[q];
    }
    id = mc_numeric_column(off, "OBS_ID");
    time = mc_time_column(off);
    s->off_has_time = time != NULL;
    for (size_t i = 0; i < n; i++) {
        double t = time != NULL ? offbkg_column_get_double(time, i) : 0;
        s->off_time_s[i] = t > 0 && isfinite(t) ? t : 0.0;
        s->off_obs_id[i] = (int64_t)i;
        if (id != NULL && id->type == OFFBKG_COL_INT)
            s->off_obs_id[i] = id->i64[i];
        else if (id != NULL && fabs(id->f64[i]) < 9e18)
            s->off_obs_id[i] = (int64_t)id->f64[i];
    }
    for (size_t j = 0; j < n_out; j++)
        s->ones[j] = 1.0;
    return OFFBKG_OK;
}

/* An unmatched target: n = 0 and the reason. */
static int unmatched(nearest_state_t *s, offbkg_match_result_t *out,
                     const char *fmt, ...) OFFBKG_PRINTF(3, 4);

static int unmatched(nearest_state_t *s, offbkg_match_result_t *out,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mc_unmatched(out, OFFBKG_MATCH_RUNS, s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    return OFFBKG_OK;
}

/* Equal values of two cells: exact for numbers, byte for byte for
 * strings; a string never equals a number and NaN equals nothing. */
static int same_value(const offbkg_column_t *a, size_t ra,
                      const offbkg_column_t *b, size_t rb)
{
    if (a->type == OFFBKG_COL_STRING || b->type == OFFBKG_COL_STRING) {
        const char *x, *y;
        if (a->type != b->type)
            return 0;
        x = a->str[ra] != NULL ? a->str[ra] : "";
        y = b->str[rb] != NULL ? b->str[rb] : "";
        return strcmp(x, y) == 0;
    }
    if (a->type == OFFBKG_COL_INT && b->type == OFFBKG_COL_INT)
        return a->i64[ra] == b->i64[rb];
    return offbkg_column_get_double(a, ra) == offbkg_column_get_double(b, rb);
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand_t *a = pa, *b = pb;

    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    if (a->obs_id != b->obs_id)
        return a->obs_id < b->obs_id ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

static int nearest_match(void *state, const offbkg_obs_table_t *targets,
                         size_t row, size_t self, offbkg_match_result_t *out)
{
    nearest_state_t *s = state;
    const nearest_config_t *cfg = s->cfg;
    size_t nk = s->n_cols, n_eq = cfg->equal_columns.n, n_cand = 0, taken;
    const offbkg_column_t **teq = s->teq;
    double *tv = s->tv, live_s = 0;

    if (s->off_missing != NULL)
        return unmatched(s, out, "the OFF runs have no %s column",
                         s->off_missing);
    if (cfg->min_livetime_s > 0 && !s->off_has_time)
        return unmatched(s, out, "the OFF runs have no LIVETIME or ONTIME "
                         "column: min_livetime_s = %g", cfg->min_livetime_s);
    for (size_t k = 0; k < nk; k++) {
        const char *name = cfg->columns.v[k];
        const offbkg_column_t *c = mc_numeric_column(targets, name);
        double v;
        if (c == NULL)
            return unmatched(s, out, "the target has no numeric %s column",
                             name);
        v = offbkg_column_get_double(c, row);
        tv[k] = transform(s->tr[k], v);
        if (isnan(tv[k]))
            return unmatched(s, out, "the target's %s is %g%s", name, v,
                             s->tr[k] == TR_AIRMASS && isfinite(v)
                                 ? " deg: no airmass"
                                 : "");
    }
    for (size_t q = 0; q < n_eq; q++) {
        const char *name = cfg->equal_columns.v[q];
        teq[q] = offbkg_obs_table_column(targets, name);
        if (teq[q] == NULL)
            return unmatched(s, out, "the target has no %s column", name);
        if ((teq[q]->type == OFFBKG_COL_STRING)
            != (s->off_eq[q]->type == OFFBKG_COL_STRING))
            return unmatched(s, out, "%s holds strings in one table and "
                             "numbers in the other", name);
        if (teq[q]->type == OFFBKG_COL_DOUBLE && isnan(teq[q]->f64[row]))
            return unmatched(s, out, "the target's %s is NaN", name);
    }

    for (size_t i = 0; i < s->n_off; i++) {
        double sum = 0;
        int keep = i != self;
        for (size_t q = 0; keep && q < n_eq; q++)
            keep = same_value(teq[q], row, s->off_eq[q], i);
        for (size_t k = 0; keep && k < nk; k++) {
            double o = s->off_val[k * s->n_off + i], diff, x;
            if (isnan(o)) {
                keep = 0;
                break;
            }
            diff = s->tr[k] == TR_ANGLE ? mc_angle_diff_deg(tv[k], o)
                                        : fabs(tv[k] - o);
            if (s->max_diff[k] > 0 && !(diff <= s->max_diff[k]))
                keep = 0;
            x = diff / s->scale[k];
            sum += s->weight[k] * x * x;
        }
        if (!keep)
            continue;
        s->cand[n_cand++] = (cand_t){ .d = sqrt(sum),
                                      .obs_id = s->off_obs_id[i], .row = i };
    }
    qsort(s->cand, n_cand, sizeof *s->cand, cand_cmp);

    /* Nearest first until both minimums are met, at most max_runs. */
    for (taken = 0; taken < n_cand && taken < (size_t)cfg->max_runs;
         taken++) {
        if (taken >= (size_t)cfg->min_runs && live_s >= cfg->min_livetime_s)
            break;
        live_s += s->off_time_s[s->cand[taken].row];
    }
    if (taken < (size_t)cfg->min_runs)
        return unmatched(s, out, "%zu runs within the cuts, %.0f s of "
                         "livetime: min_runs = %" PRId64, n_cand, live_s,
                         cfg->min_runs);
    if (live_s < cfg->min_livetime_s) {
        if (taken < n_cand)
            return unmatched(s, out, "%zu runs within the cuts; the nearest "
                             "%zu (max_runs) have %.0f s of livetime: "
                             "min_livetime_s = %g", n_cand, taken, live_s,
                             cfg->min_livetime_s);
        return unmatched(s, out, "%zu runs within the cuts, %.0f s of "
                         "livetime: min_livetime_s = %g", n_cand, live_s,
                         cfg->min_livetime_s);
    }
    for (size_t j = 0; j < taken; j++) {
        s->index[j] = s->cand[j].row;
        s->dist[j] = s->cand[j].d;
    }
    out->kind = OFFBKG_MATCH_RUNS;
    out->n = taken;
    out->index = s->index;
    out->weight = s->ones;
    out->distance = s->dist;
    out->reason = NULL;
    return OFFBKG_OK;
}

static const offbkg_match_ops_t nearest_ops = {
    .struct_size = sizeof(offbkg_match_ops_t),
    .flags = 0,
    .prepare = nearest_prepare,
    .match = nearest_match,
};

static const offbkg_plugin_t nearest_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MATCH,
    .name = "nearest",
    .version = "1.0.0",
    .summary = "the OFF runs nearest to each target in a weighted distance "
               "over obs-index columns",
    .params = nearest_params,
    .config_size = sizeof(nearest_config_t),
    .create = nearest_create,
    .destroy = nearest_destroy,
    .ops.match = &nearest_ops,
};

OFFBKG_PLUGIN_DEFINE(match_nearest, nearest_plugin)
