/* SPDX-License-Identifier: BSD-3-Clause
 * Test-only model with one parameter of every type, so the host's
 * parsing, range checks and printing can be tested through a real module.
 * Its model is a single cell: total counts over total ontime. create
 * refuses reject = true, to test how create-time refusals are reported. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

typedef struct fake_config {
    bool reject;
    int64_t count;
    double width_deg;
    const char *label;
    const char *table;
    int shape;
    offbkg_double_list_t edges_tev;
    offbkg_string_list_t tags;
} fake_config_t;

static const char *const shapes[] = { "flat", "gauss", "power", NULL };

static const offbkg_param_t fake_params[] = {
    { .name = "reject", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(fake_config_t, reject), .default_value = "false",
      .help = "create() refuses when true" },
    { .name = "count", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(fake_config_t, count), .default_value = "3",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX, .min = 1,
      .max = 10, .help = "an integer in 1..10" },
    { .name = "width_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(fake_config_t, width_deg), .default_value = "0.5",
      .unit = "deg", .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN,
      .min = 0, .help = "a width > 0" },
    { .name = "label", .type = OFFBKG_PARAM_STRING,
      .offset = offsetof(fake_config_t, label), .default_value = "none",
      .help = "free text" },
    { .name = "table", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(fake_config_t, table),
      .help = "a file, relative to the INI file" },
    { .name = "shape", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(fake_config_t, shape), .default_value = "gauss",
      .choices = shapes, .help = "one of three words" },
    { .name = "edges_tev", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(fake_config_t, edges_tev),
      .default_value = "0.1, 1, 100", .unit = "TeV",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_INCREASING,
      .min = 0, .min_items = 2, .help = "increasing energies > 0" },
    { .name = "tags", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(fake_config_t, tags), .max_items = 3,
      .help = "up to three words" },
    { 0 }
};

typedef struct fake_state {
    const offbkg_host_t *host;
} fake_state_t;

typedef struct fake_contrib {
    double counts;
    double ontime_s;
} fake_contrib_t;

static int fake_create(const offbkg_host_t *host, const void *config,
                       void **state)
{
    const fake_config_t *cfg = config;
    fake_state_t *s;

    if (cfg->reject)
        return host->error(host, OFFBKG_EINVAL,
                           "reject = true: refused on request (label %s)",
                           cfg->label);
    s = malloc(sizeof *s);
    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    *state = s;
    return OFFBKG_OK;
}

static void fake_destroy(void *state)
{
    free(state);
}

static int fake_contrib_new(void *state, void **contrib)
{
    fake_state_t *s = state;
    *contrib = calloc(1, sizeof(fake_contrib_t));
    return *contrib != NULL ? OFFBKG_OK
                            : s->host->error(s->host, OFFBKG_ENOMEM,
                                             "out of memory");
}

static void fake_contrib_reset(void *state, void *contrib)
{
    (void)state;
    memset(contrib, 0, sizeof(fake_contrib_t));
}

static void fake_contrib_free(void *state, void *contrib)
{
    (void)state;
    free(contrib);
}

static int fake_fill(void *state, const offbkg_run_t *run, void *contrib)
{
    fake_contrib_t *c = contrib;
    (void)state;
    c->counts += (double)run->n_events;
    c->ontime_s += run->ontime_s;
    return OFFBKG_OK;
}

static int fake_merge(void *state, void *into, const void *from)
{
    fake_contrib_t *a = into;
    const fake_contrib_t *b = from;
    (void)state;
    a->counts += b->counts;
    a->ontime_s += b->ontime_s;
    return OFFBKG_OK;
}

static int fake_finish(void *state, const void *contrib, offbkg_cube_t **out)
{
    fake_state_t *s = state;
    const fake_contrib_t *c = contrib;
    const size_t one[2] = { 1, 1 };
    offbkg_cube_t *cube;

    if (!(c->ontime_s > 0))
        return s->host->error(s->host, OFFBKG_EDATA, "no exposure");
    cube = offbkg_cube_new(2, one);
    if (cube == NULL)
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    cube->counts[0] = c->counts;
    cube->exposure_s[0] = c->ontime_s;
    cube->rate[0] = c->counts / c->ontime_s;
    *out = cube;
    return OFFBKG_OK;
}

static const offbkg_model_ops_t fake_ops = {
    .struct_size = sizeof(offbkg_model_ops_t),
    .contrib_new = fake_contrib_new,
    .contrib_reset = fake_contrib_reset,
    .contrib_free = fake_contrib_free,
    .fill = fake_fill,
    .merge = fake_merge,
    .finish = fake_finish,
};

static const offbkg_plugin_t fake_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MODEL,
    .name = "fake",
    .version = "0.0.1",
    .summary = "test: one cell, one parameter of every type",
    .params = fake_params,
    .config_size = sizeof(fake_config_t),
    .create = fake_create,
    .destroy = fake_destroy,
    .ops.model = &fake_ops,
};

OFFBKG_PLUGIN_DEFINE(model_fake, fake_plugin)
