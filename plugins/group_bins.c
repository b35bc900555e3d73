/* SPDX-License-Identifier: BSD-3-Clause
 * group/bins: groups are the Cartesian product of up to four axes on any
 * obs-index columns, as old gammapy's ObservationGroups. An axis has
 * either edges (half-open bins min <= v < max) or values (v == value).
 * GROUP_ID is in C order, the last axis varying fastest:
 * ((i1 * n2) + i2) * n3 + i3 ... A row outside every bin of some axis,
 * or NaN there, is in no group. */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <offbkg/plugin.h>

#define BINS_MAX_AXES 4

typedef struct bins_axis_config {
    const char *column;
    offbkg_double_list_t edges;
    offbkg_double_list_t values;
} bins_axis_config_t;

typedef struct bins_config {
    bins_axis_config_t axis[BINS_MAX_AXES];
} bins_config_t;

/* The reasons of one axis, built in create. */
typedef struct bins_reasons {
    char *missing;          /* "ZEN_PNT is missing (NaN)" */
    char *outside;          /* "ZEN_PNT outside every bin" or
                               "N_TELS matches no value" */
} bins_reasons_t;

typedef struct bins_state {
    const offbkg_host_t *host;
    offbkg_group_axis_t axes[BINS_MAX_AXES];
    bins_reasons_t why[BINS_MAX_AXES];
    offbkg_group_def_t def;
} bins_state_t;

#define AXIS_PARAMS(k, req)                                                 \
    { .name = "axis" #k "_column", .type = OFFBKG_PARAM_STRING,             \
      .offset = offsetof(bins_config_t, axis[k - 1].column),                \
      .flags = (req),                                                       \
      .help = "obs-index column of axis " #k },                             \
    { .name = "axis" #k "_edges", .type = OFFBKG_PARAM_DOUBLE_LIST,         \
      .offset = offsetof(bins_config_t, axis[k - 1].edges),                 \
      .flags = OFFBKG_PARAM_INCREASING, .min_items = 2,                     \
      .help = "bin edges of axis " #k "; bins are min <= v < max" },        \
    { .name = "axis" #k "_values", .type = OFFBKG_PARAM_DOUBLE_LIST,        \
      .offset = offsetof(bins_config_t, axis[k - 1].values),                \
      .min_items = 1,                                                       \
      .help = "values of axis " #k " (one bin each, v == value); "          \
              "instead of edges" }

static const offbkg_param_t bins_params[] = {
    AXIS_PARAMS(1, OFFBKG_PARAM_REQUIRED),
    AXIS_PARAMS(2, 0),
    AXIS_PARAMS(3, 0),
    AXIS_PARAMS(4, 0),
    { 0 }
};

/* A new string: the concatenation of the arguments up to a NULL. NULL
 * if out of memory. */
static char *concat(const char *first, ...)
{
    va_list ap;
    size_t len = 0;
    char *out;

    va_start(ap, first);
    for (const char *p = first; p != NULL; p = va_arg(ap, const char *))
        len += strlen(p);
    va_end(ap);
    if ((out = malloc(len + 1)) == NULL)
        return NULL;
    out[0] = '\0';
    va_start(ap, first);
    for (const char *p = first; p != NULL; p = va_arg(ap, const char *))
        strcat(out, p);
    va_end(ap);
    return out;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A value that appears twice in @p l, via @p dup; false if none. */
static bool repeated_value(const offbkg_double_list_t *l, double *dup,
                           bool *nomem)
{
    double *sorted = malloc(l->n * sizeof *sorted);
    bool found = false;

    *nomem = sorted == NULL;
    if (sorted == NULL)
        return false;
    memcpy(sorted, l->v, l->n * sizeof *sorted);
    qsort(sorted, l->n, sizeof *sorted, cmp_double);
    for (size_t i = 1; i < l->n && !found; i++)
        if (sorted[i] == sorted[i - 1]) {
            *dup = sorted[i];
            found = true;
        }
    free(sorted);
    return found;
}

static void bins_destroy(void *state)
{
    bins_state_t *s = state;
    if (s == NULL)
        return;
    for (size_t k = 0; k < BINS_MAX_AXES; k++) {
        free((char *)s->axes[k].column);
        free((double *)s->axes[k].bounds);
        free(s->why[k].missing);
        free(s->why[k].outside);
    }
    free(s);
}

/* Check the axes of @p cfg: which are given, in order, each with a
 * column and exactly one of edges and values, no value twice, no column
 * twice. Sets *n_axes. Returns OFFBKG_OK or host->error. */
static int check_axes(const offbkg_host_t *host, const bins_config_t *cfg,
                      size_t *n_axes)
{
    size_t n = 0;
    uint64_t n_groups = 1;

    for (size_t k = 0; k < BINS_MAX_AXES; k++) {
        const bins_axis_config_t *a = &cfg->axis[k];
        bool has_col = a->column[0] != '\0';
        bool has_edges = a->edges.n > 0, has_values = a->values.n > 0;
        double dup;
        bool nomem;

        if (!has_col && !has_edges && !has_values)
            continue;
        if (k > n)
            return host->error(host, OFFBKG_ECONFIG, "axis%zu is given "
                               "without axis%zu: axes must be numbered "
                               "from 1 without gaps", k + 1, n + 1);
        if (!has_col)
            return host->error(host, OFFBKG_ECONFIG, "axis%zu_%s needs "
                               "axis%zu_column", k + 1,
                               has_edges ? "edges" : "values", k + 1);
        if (has_edges && has_values)
            return host->error(host, OFFBKG_ECONFIG, "axis%zu_edges and "
                               "axis%zu_values are both given; an axis has "
                               "one or the other", k + 1, k + 1);
        if (!has_edges && !has_values)
            return host->error(host, OFFBKG_ECONFIG, "axis%zu_column %s "
                               "needs axis%zu_edges or axis%zu_values",
                               k + 1, a->column, k + 1, k + 1);
        if (has_values && repeated_value(&a->values, &dup, &nomem))
            return host->error(host, OFFBKG_ECONFIG, "axis%zu_values: %g "
                               "is given more than once", k + 1, dup);
        if (has_values && nomem)
            return host->error(host, OFFBKG_ENOMEM, "out of memory");
        for (size_t j = 0; j < k; j++)
            if (strcasecmp(cfg->axis[j].column, a->column) == 0)
                return host->error(host, OFFBKG_ECONFIG, "axis%zu_column "
                                   "%s is already axis%zu_column", k + 1,
                                   a->column, j + 1);
        /* Each factor is below 2^32 (a list's length) and the product
         * so far at most OFFBKG_MAX_GROUPS: no overflow. */
        n_groups *= has_edges ? a->edges.n - 1 : a->values.n;
        if (n_groups > OFFBKG_MAX_GROUPS)
            return host->error(host, OFFBKG_ECONFIG, "the axes make more "
                               "than %d groups (the most offbkg allows)",
                               OFFBKG_MAX_GROUPS);
        n++;
    }
    if (n == 0)
        return host->error(host, OFFBKG_ECONFIG, "axis1_column needs "
                           "axis1_edges or axis1_values");
    *n_axes = n;
    return OFFBKG_OK;
}

static int bins_create(const offbkg_host_t *host, const void *config,
                       void **state)
{
    const bins_config_t *cfg = config;
    bins_state_t *s;
    size_t n_axes = 0;
    int st = check_axes(host, cfg, &n_axes);

    if (st != OFFBKG_OK)
        return st;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    for (size_t k = 0; k < n_axes; k++) {
        const bins_axis_config_t *a = &cfg->axis[k];
        offbkg_group_axis_t *ax = &s->axes[k];
        const offbkg_double_list_t *l = a->edges.n > 0 ? &a->edges
                                                       : &a->values;
        double *bounds = malloc(l->n * sizeof *bounds);

        ax->bounds = bounds;
        ax->column = strdup(a->column);
        if (a->edges.n > 0) {
            ax->kind = OFFBKG_GROUP_AXIS_EDGES;
            ax->n_bins = l->n - 1;
            s->why[k].outside = concat(a->column, " outside every bin",
                                       (char *)NULL);
        } else {
            ax->kind = OFFBKG_GROUP_AXIS_VALUES;
            ax->n_bins = l->n;
            s->why[k].outside = concat(a->column, " matches no value",
                                       (char *)NULL);
        }
        ax->unit = "";
        s->why[k].missing = concat(a->column, " is missing (NaN)",
                                   (char *)NULL);
        if (bounds == NULL || ax->column == NULL || s->why[k].outside == NULL
            || s->why[k].missing == NULL) {
            bins_destroy(s);
            return host->error(host, OFFBKG_ENOMEM, "out of memory");
        }
        memcpy(bounds, l->v, l->n * sizeof *bounds);
    }
    s->def.n_axes = n_axes;
    s->def.axes = s->axes;
    *state = s;
    return OFFBKG_OK;
}

static int bins_define(void *state, const offbkg_group_def_t **def)
{
    *def = &((bins_state_t *)state)->def;
    return OFFBKG_OK;
}

/* The bin of @p v on axis @p ax, or -1. */
static long find_bin(const offbkg_group_axis_t *ax, double v)
{
    const double *b = ax->bounds;
    size_t lo = 0, hi = ax->n_bins;

    if (ax->kind == OFFBKG_GROUP_AXIS_VALUES) {
        for (size_t i = 0; i < ax->n_bins; i++)
            if (v == b[i])
                return (long)i;
        return -1;
    }
    if (!(v >= b[0] && v < b[ax->n_bins]))
        return -1;
    /* Bisection: the last edge <= v, so b[lo] <= v < b[lo + 1]. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

static int bins_assign(void *state, const offbkg_obs_table_t *obs,
                       int32_t *group_id, const char **reason)
{
    const bins_state_t *s = state;
    const offbkg_column_t *cols[BINS_MAX_AXES];
    size_t n_axes = s->def.n_axes;

    for (size_t k = 0; k < n_axes; k++) {
        cols[k] = offbkg_obs_table_column(obs, s->axes[k].column);
        if (cols[k] == NULL || cols[k]->type == OFFBKG_COL_STRING)
            return s->host->error(s->host, OFFBKG_EDATA,
                                  "the observation table has no numeric "
                                  "%s column (axis %zu)", s->axes[k].column,
                                  k + 1);
    }
    for (size_t i = 0; i < obs->n_rows; i++) {
        int64_t gid = 0;
        group_id[i] = -1;
        reason[i] = NULL;
        for (size_t k = 0; k < n_axes; k++) {
            double v = offbkg_column_get_double(cols[k], i);
            long b = isnan(v) ? -1 : find_bin(&s->axes[k], v);
            if (b < 0) {
                reason[i] = isnan(v) ? s->why[k].missing
                                     : s->why[k].outside;
                break;
            }
            gid = gid * (int64_t)s->axes[k].n_bins + b;
        }
        if (reason[i] == NULL)
            group_id[i] = (int32_t)gid;
    }
    return OFFBKG_OK;
}

static const offbkg_group_ops_t bins_ops = {
    .struct_size = sizeof(offbkg_group_ops_t),
    .define = bins_define,
    .assign = bins_assign,
};

static const offbkg_plugin_t bins_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_GROUP,
    .name = "bins",
    .version = "1.0.0",
    .summary = "groups by the Cartesian product of bins on any columns",
    .params = bins_params,
    .config_size = sizeof(bins_config_t),
    .create = bins_create,
    .destroy = bins_destroy,
    .ops.group = &bins_ops,
};

OFFBKG_PLUGIN_DEFINE(group_bins, bins_plugin)
