/* SPDX-License-Identifier: BSD-3-Clause
 * select/offplane: observations away from the Galactic plane,
 * |GLAT_PNT| > min_glat_deg (strictly, as old gammapy). n_obs_max limits
 * the rows looked at first, so fewer may be kept (old gammapy's order).
 * Off-plane is not source-free: combine with exclusion regions. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <offbkg/plugin.h>

typedef struct offplane_config {
    double min_glat_deg;
    int64_t n_obs_max;
} offplane_config_t;

typedef struct offplane_state {
    const offbkg_host_t *host;
    offplane_config_t cfg;
    char near_plane[64];    /* the reason text for dropped rows */
} offplane_state_t;

static const offbkg_param_t offplane_params[] = {
    { .name = "min_glat_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offplane_config_t, min_glat_deg),
      .default_value = "5", .unit = "deg",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX
               | OFFBKG_PARAM_MAX_OPEN,
      .min = 0, .max = 90,
      .help = "keep observations with |GLAT_PNT| > this" },
    { .name = "n_obs_max", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(offplane_config_t, n_obs_max), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "look only at the first n rows of the obs-index; 0 = all" },
    { 0 }
};

static int offplane_create(const offbkg_host_t *host, const void *config,
                           void **state)
{
    offplane_state_t *s = malloc(sizeof *s);
    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = *(const offplane_config_t *)config;
    snprintf(s->near_plane, sizeof s->near_plane, "|GLAT_PNT| <= %g deg",
             s->cfg.min_glat_deg);
    *state = s;
    return OFFBKG_OK;
}

static void offplane_destroy(void *state)
{
    free(state);
}

static int offplane_select(void *state, const offbkg_obs_table_t *obs,
                           uint8_t *keep, const char **reason)
{
    const offplane_state_t *s = state;
    const offbkg_column_t *glat = offbkg_obs_table_column(obs, "GLAT_PNT");

    if (glat == NULL || glat->type == OFFBKG_COL_STRING)
        return s->host->error(s->host, OFFBKG_EDATA,
                              "the observation table has no numeric "
                              "GLAT_PNT column");
    for (size_t i = 0; i < obs->n_rows; i++) {
        double b = offbkg_column_get_double(glat, i);
        if (s->cfg.n_obs_max > 0 && (int64_t)i >= s->cfg.n_obs_max) {
            keep[i] = 0;
            reason[i] = "beyond n_obs_max";
        } else if (isnan(b)) {
            keep[i] = 0;
            reason[i] = "GLAT_PNT is missing (NaN)";
        } else {
            keep[i] = fabs(b) > s->cfg.min_glat_deg;
            reason[i] = keep[i] ? NULL : s->near_plane;
        }
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t offplane_ops = {
    .struct_size = sizeof(offbkg_select_ops_t),
    .select = offplane_select,
};

static const offbkg_plugin_t offplane_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "offplane",
    .version = "1.0.0",
    .summary = "observations with |GLAT_PNT| above a limit",
    .params = offplane_params,
    .config_size = sizeof(offplane_config_t),
    .create = offplane_create,
    .destroy = offplane_destroy,
    .ops.select = &offplane_ops,
};

OFFBKG_PLUGIN_DEFINE(select_offplane, offplane_plugin)
