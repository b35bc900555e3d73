/* SPDX-License-Identifier: BSD-3-Clause
 * group/zenith: groups by ZEN_PNT bins, half-open min <= z < max (old
 * gammapy's default, edges 0, 49, 90). A zenith outside every bin, on the
 * last edge, or NaN is in no group. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

typedef struct zenith_config {
    offbkg_double_list_t edges_deg;
} zenith_config_t;

typedef struct zenith_state {
    const offbkg_host_t *host;
    double *edges_deg;
    offbkg_group_axis_t axis;
    offbkg_group_def_t def;
} zenith_state_t;

static const offbkg_param_t zenith_params[] = {
    { .name = "edges_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(zenith_config_t, edges_deg),
      .default_value = "0, 49, 90", .unit = "deg",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX
               | OFFBKG_PARAM_INCREASING,
      .min = 0, .max = 90, .min_items = 2,
      .help = "zenith bin edges; bins are min <= ZEN_PNT < max" },
    { 0 }
};

static int zenith_create(const offbkg_host_t *host, const void *config,
                         void **state)
{
    const zenith_config_t *cfg = config;
    zenith_state_t *s = calloc(1, sizeof *s);
    size_t n = cfg->edges_deg.n;

    if (s == NULL || (s->edges_deg = malloc(n * sizeof(double))) == NULL) {
        free(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    memcpy(s->edges_deg, cfg->edges_deg.v, n * sizeof(double));
    s->host = host;
    s->axis.column = "ZEN_PNT";
    s->axis.kind = OFFBKG_GROUP_AXIS_EDGES;
    s->axis.n_bins = n - 1;
    s->axis.bounds = s->edges_deg;
    s->axis.unit = "deg";
    s->def.n_axes = 1;
    s->def.axes = &s->axis;
    *state = s;
    return OFFBKG_OK;
}

static void zenith_destroy(void *state)
{
    zenith_state_t *s = state;
    free(s->edges_deg);
    free(s);
}

static int zenith_define(void *state, const offbkg_group_def_t **def)
{
    *def = &((zenith_state_t *)state)->def;
    return OFFBKG_OK;
}

static int zenith_assign(void *state, const offbkg_obs_table_t *obs,
                         int32_t *group_id, const char **reason)
{
    const zenith_state_t *s = state;
    const offbkg_column_t *zen = offbkg_obs_table_column(obs, "ZEN_PNT");
    const double *e = s->edges_deg;
    size_t n_bins = s->axis.n_bins;

    if (zen == NULL || zen->type == OFFBKG_COL_STRING)
        return s->host->error(s->host, OFFBKG_EDATA,
                              "the observation table has no numeric ZEN_PNT "
                              "column");
    for (size_t i = 0; i < obs->n_rows; i++) {
        double z = offbkg_column_get_double(zen, i);
        group_id[i] = -1;
        reason[i] = NULL;
        if (isnan(z)) {
            reason[i] = "ZEN_PNT is missing (NaN)";
            continue;
        }
        if (!(z >= e[0] && z < e[n_bins])) {
            reason[i] = "ZEN_PNT outside every zenith bin";
            continue;
        }
        /* Few bins: a linear scan is as fast as a bisection. */
        for (size_t b = 0; b < n_bins; b++)
            if (z < e[b + 1]) {
                group_id[i] = (int32_t)b;
                break;
            }
    }
    return OFFBKG_OK;
}

static const offbkg_group_ops_t zenith_ops = {
    .struct_size = sizeof(offbkg_group_ops_t),
    .define = zenith_define,
    .assign = zenith_assign,
};

static const offbkg_plugin_t zenith_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_GROUP,
    .name = "zenith",
    .version = "1.0.0",
    .summary = "groups by zenith angle bins (ZEN_PNT)",
    .params = zenith_params,
    .config_size = sizeof(zenith_config_t),
    .create = zenith_create,
    .destroy = zenith_destroy,
    .ops.group = &zenith_ops,
};

OFFBKG_PLUGIN_DEFINE(group_zenith, zenith_plugin)
