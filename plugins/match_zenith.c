/* SPDX-License-Identifier: BSD-3-Clause
 * match/zenith: each target's model interpolates between the models of
 * the zenith groups, linear in cos(zenith) (doc/match.md §5). Each group
 * with OFF runs is a node at its runs' livetime-weighted mean
 * cos(zenith), without the target's own run (the host remakes the
 * group's model without it too). For a target, the nodes are the groups
 * that hold its values on the other grouping axes; between two adjacent
 * nodes the weights are (1 - f, f) linear in cos(zenith), beyond the
 * outer nodes the outer node alone (clamped, never extrapolated). */
#include <config.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <offbkg/plugin.h>

#include "shared/match_common.h"

typedef struct zenith_config {
    const char *column;
    int interpolation;
} zenith_config_t;

/* A node: a group and its mean cos(zenith). */
typedef struct node {
    double cos_zen;
    size_t group;
} node_t;

typedef struct zenith_state {
    const offbkg_host_t *host;
    const zenith_config_t *cfg;   /* owned by the host until destroy */
    /* From prepare. */
    const offbkg_match_input_t *in;
    size_t axis;                  /* the zenith axis of the grouping */
    size_t *stride;               /* n_axes: group id = sum bin x stride */
    size_t *first;                /* n_groups + 1: rows of group g are
                                     rows[first[g] .. first[g + 1]) */
    size_t *rows;                 /* n_off */
    double *time_s;               /* n_off: the weight of each row (0:
                                     not used for the nodes) */
    double *cos_zen;              /* n_off */
    double *node_cos;             /* n_groups: NaN when no node */
    /* The result of the last match. */
    node_t *nodes;                /* n_bins of the zenith axis */
    size_t index[2];
    double weight[2];
    double dist[2];
    char reason[512];
} zenith_state_t;

static const char *const interpolations[] = { "linear", "log", NULL };

static const offbkg_param_t zenith_params[] = {
    { .name = "column", .type = OFFBKG_PARAM_STRING,
      .offset = offsetof(zenith_config_t, column),
      .default_value = "ZEN_PNT",
      .help = "the grouping axis that is the zenith angle, in degrees" },
    { .name = "interpolation", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(zenith_config_t, interpolation),
      .default_value = "linear", .choices = interpolations,
      .help = "combine the group rates linearly or in log of the rate "
              "(a cell empty in a group is combined linearly)" },
    { 0 }
};

static void clear_prepared(zenith_state_t *s)
{
    free(s->stride);
    free(s->first);
    free(s->rows);
    free(s->time_s);
    free(s->cos_zen);
    free(s->node_cos);
    free(s->nodes);
    s->stride = s->first = s->rows = NULL;
    s->time_s = s->cos_zen = s->node_cos = NULL;
    s->nodes = NULL;
    s->in = NULL;
}

static void zenith_destroy(void *state)
{
    zenith_state_t *s = state;

    if (s == NULL)
        return;
    clear_prepared(s);
    free(s);
}

static int zenith_create(const offbkg_host_t *host, const void *config,
                         void **state)
{
    const zenith_config_t *cfg = config;
    zenith_state_t *s;

    *state = NULL;
    if (cfg->column[0] == '\0')
        return host->error(host, OFFBKG_ECONFIG, "column is empty");
    if ((s = calloc(1, sizeof *s)) == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = cfg;
    *state = s;
    return OFFBKG_OK;
}

/* The bin of @p v on axis @p ax (as the groupers bin: edges half-open,
 * values exact), or -1. */
static long axis_bin(const offbkg_group_axis_t *ax, double v)
{
    const double *b = ax->bounds;

    if (ax->kind == OFFBKG_GROUP_AXIS_VALUES) {
        for (size_t i = 0; i < ax->n_bins; i++)
            if (v == b[i])
                return (long)i;
        return -1;
    }
    for (size_t i = 0; i < ax->n_bins; i++)
        if (v >= b[i] && v < b[i + 1])
            return (long)i;
    return -1;
}

/* The livetime-weighted mean cos(zenith) of group @p g's rows other than
 * @p skip; NaN when no row has a weight. Summed in row order, so the
 * same rows always give the same node. */
static double node_of(const zenith_state_t *s, size_t g, size_t skip)
{
    double sw = 0, swc = 0;

    for (size_t k = s->first[g]; k < s->first[g + 1]; k++) {
        size_t i = s->rows[k];
        if (i == skip || !(s->time_s[i] > 0))
            continue;
        sw += s->time_s[i];
        swc += s->time_s[i] * s->cos_zen[i];
    }
    return sw > 0 ? swc / sw : NAN;
}

/* The grouping's axes, for a message: "N_TELS, AZ_PNT". */
static void axes_text(const offbkg_group_def_t *def, char *buf, size_t n)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t a = 0; def != NULL && a < def->n_axes && used < n; a++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s",
                                 a > 0 ? ", " : "", def->axes[a].column);
}

static int zenith_prepare(void *state, const offbkg_match_input_t *in)
{
    zenith_state_t *s = state;
    const offbkg_group_def_t *def = in->groups;
    const offbkg_obs_table_t *off = in->off;
    const offbkg_column_t *zen, *time;
    size_t n_axes = def != NULL ? def->n_axes : 0, n = off->n_rows;
    size_t n_groups = in->n_groups, a;
    char axes[256];

    clear_prepared(s);
    for (a = 0; a < n_axes; a++)
        if (strcasecmp(def->axes[a].column, s->cfg->column) == 0)
            break;
    if (a == n_axes) {
        axes_text(def, axes, sizeof axes);
        return s->host->error(s->host, OFFBKG_ECONFIG,
                              "the grouping has no axis on %s (its axes: "
                              "%s): match/zenith interpolates between "
                              "zenith groups; use group/zenith, or a "
                              "group/bins axis on %s",
                              s->cfg->column, n_axes > 0 ? axes : "none",
                              s->cfg->column);
    }
    {
        size_t product = 1;
        for (size_t k = 0; k < n_axes; k++)
            product *= def->axes[k].n_bins;
        if (product != n_groups)
            return s->host->error(s->host, OFFBKG_EINVAL,
                                  "%zu groups, but the grouping's axes "
                                  "make %zu",
                                  n_groups, product);
    }
    zen = mc_numeric_column(off, s->cfg->column);
    time = mc_time_column(off);
    if (zen == NULL)
        return s->host->error(s->host, OFFBKG_EDATA,
                              "the OFF runs have no numeric %s column",
                              s->cfg->column);
    if (time == NULL)
        return s->host->error(s->host, OFFBKG_EDATA,
                              "the OFF runs have no LIVETIME or ONTIME "
                              "column to weight the nodes");
    s->in = in;
    s->axis = a;
    s->stride = malloc(n_axes * sizeof *s->stride);
    s->first = calloc(n_groups + 1, sizeof *s->first);
    s->rows = malloc((n + 1) * sizeof *s->rows);
    s->time_s = malloc((n + 1) * sizeof *s->time_s);
    s->cos_zen = malloc((n + 1) * sizeof *s->cos_zen);
    s->node_cos = malloc((n_groups + 1) * sizeof *s->node_cos);
    s->nodes = malloc((def->axes[a].n_bins + 1) * sizeof *s->nodes);
    if (s->stride == NULL || s->first == NULL || s->rows == NULL
        || s->time_s == NULL || s->cos_zen == NULL || s->node_cos == NULL
        || s->nodes == NULL) {
        clear_prepared(s);
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    }
    for (size_t k = n_axes; k-- > 0;)
        s->stride[k] = k + 1 == n_axes
                           ? 1
                           : s->stride[k + 1] * def->axes[k + 1].n_bins;
    /* The rows of each group, in row order (a counting sort). */
    for (size_t i = 0; i < n; i++) {
        int32_t g = in->off_group_id[i];
        double z = offbkg_column_get_double(zen, i);
        double t = offbkg_column_get_double(time, i);
        if (g < 0 || (size_t)g >= n_groups) {
            clear_prepared(s);
            return s->host->error(s->host, OFFBKG_EINVAL,
                                  "OFF run %zu is in group %d, not one of "
                                  "the %zu groups",
                                  i, (int)g, n_groups);
        }
        s->first[g + 1]++;
        s->cos_zen[i] = cos(z * MC_DEG_TO_RAD);
        s->time_s[i] = isfinite(s->cos_zen[i]) && t > 0 && isfinite(t)
                           ? t
                           : 0.0;
    }
    for (size_t g = 0; g < n_groups; g++)
        s->first[g + 1] += s->first[g];
    {
        size_t *next = malloc((n_groups + 1) * sizeof *next);
        if (next == NULL) {
            clear_prepared(s);
            return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
        }
        memcpy(next, s->first, n_groups * sizeof *next);
        for (size_t i = 0; i < n; i++)
            s->rows[next[in->off_group_id[i]]++] = i;
        free(next);
    }
    for (size_t g = 0; g < n_groups; g++) {
        s->node_cos[g] = in->group_used == NULL || in->group_used[g]
                             ? node_of(s, g, SIZE_MAX)
                             : NAN;
        if (s->first[g + 1] > s->first[g] && isnan(s->node_cos[g]))
            s->host->log(s->host, OFFBKG_LOG_WARN,
                         "group %zu: no OFF run with a %s and a positive "
                         "time: not a node",
                         g, s->cfg->column);
    }
    return OFFBKG_OK;
}

static int unmatched(zenith_state_t *s, offbkg_match_result_t *out,
                     const char *fmt, ...) OFFBKG_PRINTF(3, 4);

static int unmatched(zenith_state_t *s, offbkg_match_result_t *out,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mc_unmatched(out, OFFBKG_MATCH_GROUPS, s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    return OFFBKG_OK;
}

static int node_cmp(const void *pa, const void *pb)
{
    const node_t *a = pa, *b = pb;

    if (a->cos_zen != b->cos_zen)
        return a->cos_zen < b->cos_zen ? -1 : 1;
    return (a->group > b->group) - (a->group < b->group);
}

static int zenith_match(void *state, const offbkg_obs_table_t *targets,
                        size_t row, size_t self, offbkg_match_result_t *out)
{
    zenith_state_t *s = state;
    const offbkg_group_def_t *def = s->in->groups;
    const offbkg_group_axis_t *zax = &def->axes[s->axis];
    const offbkg_column_t *zc = mc_numeric_column(targets, s->cfg->column);
    int32_t self_group = self < s->in->off->n_rows
                             ? s->in->off_group_id[self]
                             : -1;
    size_t base = 0, m = 0;
    double x, z;

    if (zc == NULL)
        return unmatched(s, out, "the target has no numeric %s column",
                         s->cfg->column);
    z = offbkg_column_get_double(zc, row);
    x = cos(z * MC_DEG_TO_RAD);
    if (!isfinite(x))
        return unmatched(s, out, "the target's %s is %g", s->cfg->column,
                         z);
    /* The target's bins on the other axes pick a row of groups along
     * the zenith axis. */
    for (size_t a = 0; a < def->n_axes; a++) {
        const offbkg_group_axis_t *ax = &def->axes[a];
        const offbkg_column_t *c;
        double v;
        long b;
        if (a == s->axis)
            continue;
        if ((c = mc_numeric_column(targets, ax->column)) == NULL)
            return unmatched(s, out, "the target has no numeric %s column "
                             "(a grouping axis)", ax->column);
        v = offbkg_column_get_double(c, row);
        if ((b = isnan(v) ? -1 : axis_bin(ax, v)) < 0)
            return unmatched(s, out, "the target's %s (%g) is in no bin "
                             "of the grouping", ax->column, v);
        base += (size_t)b * s->stride[a];
    }
    for (size_t iz = 0; iz < zax->n_bins; iz++) {
        size_t g = base + iz * s->stride[s->axis];
        double c = s->node_cos[g];
        /* Without the target's own run, as the host makes the model. */
        if ((int32_t)g == self_group && !isnan(c))
            c = node_of(s, g, self);
        if (!isnan(c))
            s->nodes[m++] = (node_t){ .cos_zen = c, .group = g };
    }
    if (m == 0)
        return unmatched(s, out, "no group with OFF runs%s",
                         def->n_axes > 1 ? " in the target's bins of the "
                                           "other grouping axes"
                                         : "");
    qsort(s->nodes, m, sizeof *s->nodes, node_cmp);
    out->n = 1;
    if (x <= s->nodes[0].cos_zen) {
        s->index[0] = s->nodes[0].group;
        s->weight[0] = 1.0;
        s->dist[0] = s->nodes[0].cos_zen - x;
    } else if (x >= s->nodes[m - 1].cos_zen) {
        s->index[0] = s->nodes[m - 1].group;
        s->weight[0] = 1.0;
        s->dist[0] = x - s->nodes[m - 1].cos_zen;
    } else {
        size_t j = 0;
        double lo, hi, f;
        while (!(x < s->nodes[j + 1].cos_zen))
            j++;
        lo = s->nodes[j].cos_zen;
        hi = s->nodes[j + 1].cos_zen;
        f = (x - lo) / (hi - lo);
        s->index[0] = s->nodes[j].group;
        s->weight[0] = 1.0 - f;
        s->dist[0] = x - lo;
        /* On a node exactly: that node alone (weights are > 0). */
        if (f > 0) {
            s->index[1] = s->nodes[j + 1].group;
            s->weight[1] = f;
            s->dist[1] = hi - x;
            out->n = 2;
        }
    }
    out->kind = OFFBKG_MATCH_GROUPS;
    out->combine = s->cfg->interpolation == 1 ? OFFBKG_COMBINE_LOG
                                              : OFFBKG_COMBINE_LINEAR;
    out->index = s->index;
    out->weight = s->weight;
    out->distance = s->dist;
    out->reason = NULL;
    return OFFBKG_OK;
}

static const offbkg_match_ops_t zenith_ops = {
    .struct_size = sizeof(offbkg_match_ops_t),
    .flags = 0,
    .prepare = zenith_prepare,
    .match = zenith_match,
};

static const offbkg_plugin_t zenith_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MATCH,
    .name = "zenith",
    .version = "1.0.0",
    .summary = "interpolation between zenith-group models in cos(zenith)",
    .params = zenith_params,
    .config_size = sizeof(zenith_config_t),
    .create = zenith_create,
    .destroy = zenith_destroy,
    .ops.match = &zenith_ops,
};

OFFBKG_PLUGIN_DEFINE(match_zenith, zenith_plugin)
