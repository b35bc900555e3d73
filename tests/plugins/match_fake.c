/* SPDX-License-Identifier: BSD-3-Clause
 * Test-only matcher whose answers the INI dictates, so the host's match
 * step (core/match.c) can be tested for what it does with any answer,
 * good or bad.
 *
 * kind = runs: the OFF runs of group `group` (-1: the target's own group
 * when it is an OFF run, else group 0), each with weight `weight`, self
 * left out. kind = groups: the groups `group_ids` with `weights` (default:
 * the target's group, weight 1), combined as `combine` says. A target
 * whose OBS_ID is `unmatched_obs_id` gets no match. `bad` makes every
 * answer wrong in one way, for the host to refuse. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

static const char *const kinds[] = { "runs", "groups", NULL };
static const char *const combines[] = { "linear", "log", NULL };
static const char *const bads[] = { "none", "range", "twice", "nan",
                                    "zero", "self", "fail", NULL };

typedef struct fake_config {
    int kind;
    int combine;
    int64_t group;
    double weight;
    offbkg_double_list_t group_ids;
    offbkg_double_list_t weights;
    int64_t unmatched_obs_id;
    int bad;
} fake_config_t;

static const offbkg_param_t fake_params[] = {
    { .name = "kind", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(fake_config_t, kind), .default_value = "runs",
      .choices = kinds, .help = "runs or groups" },
    { .name = "combine", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(fake_config_t, combine), .default_value = "linear",
      .choices = combines, .help = "groups: linear or log" },
    { .name = "group", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(fake_config_t, group), .default_value = "-1",
      .help = "runs: the group whose runs match; -1: the target's" },
    { .name = "weight", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(fake_config_t, weight), .default_value = "1",
      .help = "runs: the weight of each" },
    { .name = "group_ids", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(fake_config_t, group_ids),
      .help = "groups: the group ids (default: the target's)" },
    { .name = "weights", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(fake_config_t, weights),
      .help = "groups: one weight per group id" },
    { .name = "unmatched_obs_id", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(fake_config_t, unmatched_obs_id),
      .default_value = "-1", .help = "this target gets no match" },
    { .name = "bad", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(fake_config_t, bad), .default_value = "none",
      .choices = bads,
      .help = "a wrong answer: range, twice, nan, zero, self, or fail" },
    { 0 }
};

typedef struct fake_state {
    const offbkg_host_t *host;
    const fake_config_t *cfg;
    offbkg_match_input_t in;
    size_t *index;
    double *weight;
    double *distance;
    size_t cap;                     /* room for cap + 1 answers */
} fake_state_t;

static int fake_create(const offbkg_host_t *host, const void *config,
                       void **state)
{
    fake_state_t *s = calloc(1, sizeof *s);

    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = config;
    *state = s;
    return OFFBKG_OK;
}

static void fake_destroy(void *state)
{
    fake_state_t *s = state;

    free(s->index);
    free(s->weight);
    free(s->distance);
    free(s);
}

static int fake_prepare(void *state, const offbkg_match_input_t *in)
{
    fake_state_t *s = state;
    size_t n = in->off->n_rows > in->n_groups ? in->off->n_rows
                                              : in->n_groups;

    s->in = *in;
    s->cap = n;
    s->index = malloc((n + 1) * sizeof *s->index);
    s->weight = malloc((n + 1) * sizeof *s->weight);
    s->distance = malloc((n + 1) * sizeof *s->distance);
    if (s->index == NULL || s->weight == NULL || s->distance == NULL)
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

static int64_t obs_id_of(const offbkg_obs_table_t *t, size_t row)
{
    const offbkg_column_t *c = offbkg_obs_table_column(t, "OBS_ID");
    return c != NULL && c->i64 != NULL ? c->i64[row] : -1;
}

static int fake_match(void *state, const offbkg_obs_table_t *targets,
                      size_t row, size_t self, offbkg_match_result_t *out)
{
    fake_state_t *s = state;
    const fake_config_t *cfg = s->cfg;
    int64_t own = self != SIZE_MAX ? s->in.off_group_id[self] : 0;
    size_t n = 0;

    if (cfg->bad == 6)
        return s->host->error(s->host, OFFBKG_EPLUGIN, "fails on request");
    out->index = s->index;
    out->weight = s->weight;
    out->distance = s->distance;
    out->kind = cfg->kind == 0 ? OFFBKG_MATCH_RUNS : OFFBKG_MATCH_GROUPS;
    out->combine = cfg->combine == 0 ? OFFBKG_COMBINE_LINEAR
                                     : OFFBKG_COMBINE_LOG;
    if (obs_id_of(targets, row) == cfg->unmatched_obs_id) {
        out->n = 0;
        out->reason = "fake: unmatched on request";
        return OFFBKG_OK;
    }
    if (cfg->kind == 0) {
        int64_t g = cfg->group >= 0 ? cfg->group : own;
        for (size_t i = 0; i < s->in.off->n_rows; i++)
            if (s->in.off_group_id[i] == g
                && (i != self || cfg->bad == 5)) {
                s->index[n] = i;
                s->weight[n] = cfg->weight;
                s->distance[n++] = (double)i;
            }
    } else if (cfg->group_ids.n == 0) {
        s->index[n] = (size_t)own;
        s->weight[n] = 1;
        s->distance[n++] = 0;
    } else {
        for (size_t k = 0; k < cfg->group_ids.n && k < s->cap; k++) {
            s->index[n] = (size_t)cfg->group_ids.v[k];
            s->weight[n] = k < cfg->weights.n ? cfg->weights.v[k] : 1;
            s->distance[n++] = (double)k;
        }
    }
    if (n > 0 && cfg->bad == 1)
        s->index[0] = cfg->kind == 0 ? s->in.off->n_rows : s->in.n_groups;
    if (n > 0 && cfg->bad == 2)
        s->index[n++] = s->index[0];
    if (n > 0 && cfg->bad == 3)
        s->weight[0] = NAN;
    if (n > 0 && cfg->bad == 4)
        s->weight[0] = 0;
    out->n = n;
    out->reason = n == 0 ? "fake: no run in the group" : NULL;
    return OFFBKG_OK;
}

static const offbkg_match_ops_t fake_ops = {
    .struct_size = sizeof(offbkg_match_ops_t),
    .flags = 0,
    .prepare = fake_prepare,
    .match = fake_match,
};

static const offbkg_plugin_t fake_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MATCH,
    .name = "fake",
    .version = "0.0.1",
    .summary = "test: matches as its keys say, rightly or wrongly",
    .params = fake_params,
    .config_size = sizeof(fake_config_t),
    .create = fake_create,
    .destroy = fake_destroy,
    .ops.match = &fake_ops,
};

OFFBKG_PLUGIN_DEFINE(match_fake, fake_plugin)
