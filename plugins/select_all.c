/* SPDX-License-Identifier: BSD-3-Clause
 * select/all: every observation of the obs-index (at most n_obs_max, the
 * first ones, as old gammapy's 'all'). */
#include <config.h>

#include <stdlib.h>

#include <offbkg/plugin.h>

typedef struct all_config {
    int64_t n_obs_max;
} all_config_t;

typedef struct all_state {
    const offbkg_host_t *host;
    all_config_t cfg;
} all_state_t;

static const offbkg_param_t all_params[] = {
    { .name = "n_obs_max", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(all_config_t, n_obs_max), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "keep at most the first n rows of the obs-index; 0 = all" },
    { 0 }
};

static int all_create(const offbkg_host_t *host, const void *config,
                      void **state)
{
    all_state_t *s = malloc(sizeof *s);
    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = *(const all_config_t *)config;
    *state = s;
    return OFFBKG_OK;
}

static void all_destroy(void *state)
{
    free(state);
}

static int all_select(void *state, const offbkg_obs_table_t *obs,
                      uint8_t *keep, const char **reason)
{
    const all_state_t *s = state;
    for (size_t i = 0; i < obs->n_rows; i++) {
        keep[i] = s->cfg.n_obs_max == 0 || (int64_t)i < s->cfg.n_obs_max;
        reason[i] = keep[i] ? NULL : "beyond n_obs_max";
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t all_ops = {
    .struct_size = sizeof(offbkg_select_ops_t),
    .select = all_select,
};

static const offbkg_plugin_t all_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "all",
    .version = "1.0.0",
    .summary = "every observation (the first n_obs_max if set)",
    .params = all_params,
    .config_size = sizeof(all_config_t),
    .create = all_create,
    .destroy = all_destroy,
    .ops.select = &all_ops,
};

OFFBKG_PLUGIN_DEFINE(select_all, all_plugin)
