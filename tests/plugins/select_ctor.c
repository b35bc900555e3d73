/* SPDX-License-Identifier: BSD-3-Clause
 * Test-only select plugin (keeps every run) whose constructor leaves a
 * marker: loading the module runs code before any check, so the tests
 * use it to see whether a module was opened at all. The marker is the
 * file named by $OFFBKG_TEST_CTOR_MARKER. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include <offbkg/plugin.h>

__attribute__((constructor)) static void leave_marker(void)
{
    const char *path = getenv("OFFBKG_TEST_CTOR_MARKER");
    FILE *fp;

    if (path != NULL && path[0] != '\0' && (fp = fopen(path, "a")) != NULL)
        fclose(fp);
}

typedef struct ctor_config {
    double x;
} ctor_config_t;

static const offbkg_param_t ctor_params[] = {
    { .name = "x", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(ctor_config_t, x), .default_value = "0",
      .help = "unused" },
    { 0 }
};

static int ctor_create(const offbkg_host_t *host, const void *config,
                       void **state)
{
    (void)host;
    (void)config;
    *state = NULL;
    return OFFBKG_OK;
}

static void ctor_destroy(void *state)
{
    (void)state;
}

static int ctor_select(void *state, const offbkg_obs_table_t *obs,
                       uint8_t *keep, const char **reason)
{
    (void)state;
    for (size_t i = 0; i < obs->n_rows; i++) {
        keep[i] = 1;
        reason[i] = NULL;
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t ctor_ops = {
    .struct_size = sizeof ctor_ops,
    .select = ctor_select,
};

static const offbkg_plugin_t ctor_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "ctor",
    .version = "0.0.1",
    .summary = "test: a constructor that leaves a marker file",
    .params = ctor_params,
    .config_size = sizeof(ctor_config_t),
    .create = ctor_create,
    .destroy = ctor_destroy,
    .ops.select = &ctor_ops,
};

OFFBKG_PLUGIN_DEFINE(select_ctor, ctor_plugin)
