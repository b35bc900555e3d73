/* SPDX-License-Identifier: BSD-3-Clause
 * Test-only model with one parameter of every type, so the host's
 * parsing, range checks and printing can be tested through a real module.
 * Its model is a single cell: total counts over total ontime. create
 * refuses reject = true, to test how create-time refusals are reported.
 *
 * It is built as a plugin of ABI 1.0, whose model ops table ends with
 * finish: the host must load and run it, and must know it cannot use a
 * contribution store. Built with TEST_OPS_SIZE, it declares an ops table
 * smaller than any ABI has had, which the host refuses. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/geom.h>
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
    /* One cell the host can write: 0.1 to 100 TeV, 0 to 2.5 deg. */
    snprintf(cube->axes[0].name, sizeof cube->axes[0].name, "ENERG");
    snprintf(cube->axes[0].unit, sizeof cube->axes[0].unit, "TeV");
    cube->axes[0].edges[0] = 0.1;
    cube->axes[0].edges[1] = 100;
    snprintf(cube->axes[1].name, sizeof cube->axes[1].name, "THETA");
    snprintf(cube->axes[1].unit, sizeof cube->axes[1].unit, "deg");
    cube->axes[1].edges[0] = 0;
    cube->axes[1].edges[1] = 2.5;
    snprintf(cube->time_base, sizeof cube->time_base, "ONTIME");
    cube->counts[0] = c->counts;
    cube->exposure_s[0] = c->ontime_s;
    cube->solid_angle_sr[0] = offbkg_solid_angle_annulus_sr(0, 2.5);
    cube->rate[0] = c->counts / c->ontime_s;
    *out = cube;
    return OFFBKG_OK;
}

/* What lies past a 1.0 ops table in memory is whatever the linker put
 * there: here, functions that fail if the host calls them. The host must
 * go by struct_size and never read these. */
static int fake_past_table(void *state)
{
    fake_state_t *s = state;
    return s->host->error(s->host, OFFBKG_EPLUGIN, "the host used a member "
                          "past this ABI 1.0 plugin's model ops table");
}

static int fake_contrib_view(void *state, const void *contrib,
                             offbkg_contrib_data_t *out)
{
    (void)contrib;
    (void)out;
    return fake_past_table(state);
}

static int fake_contrib_load(void *state, const offbkg_contrib_data_t *in,
                             void *contrib)
{
    (void)in;
    (void)contrib;
    return fake_past_table(state);
}

#ifndef TEST_OPS_SIZE
/* The size of the model ops table of ABI 1.0. */
#define TEST_OPS_SIZE offsetof(offbkg_model_ops_t, contrib_view)
#endif
#ifndef TEST_MODULE
#define TEST_MODULE model_fake
#define TEST_NAME "fake"
#endif

static const offbkg_model_ops_t fake_ops = {
    .struct_size = TEST_OPS_SIZE,
    .contrib_new = fake_contrib_new,
    .contrib_reset = fake_contrib_reset,
    .contrib_free = fake_contrib_free,
    .fill = fake_fill,
    .merge = fake_merge,
    .finish = fake_finish,
    .contrib_view = fake_contrib_view,
    .contrib_load = fake_contrib_load,
};

static const offbkg_plugin_t fake_plugin = {
    .abi_major = OFFBKG_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .struct_size = sizeof(offbkg_plugin_t),
    .stage = OFFBKG_STAGE_MODEL,
    .name = TEST_NAME,
    .version = "0.0.1",
    .summary = "test: one cell, one parameter of every type",
    .params = fake_params,
    .config_size = sizeof(fake_config_t),
    .create = fake_create,
    .destroy = fake_destroy,
    .ops.model = &fake_ops,
};

OFFBKG_PLUGIN_DEFINE(TEST_MODULE, fake_plugin)
