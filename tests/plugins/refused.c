/* SPDX-License-Identifier: BSD-3-Clause
 * Test-only plugins the loader must refuse, one module per defect. The
 * build compiles this file once per module with:
 *   TEST_MODULE     the module name (select_abimajor, ...)
 *   TEST_NAME       the name the descriptor declares
 *   TEST_ABI_MAJOR, TEST_ABI_MINOR, TEST_STAGE
 *   TEST_BAD_PARAMS a parameter that lies outside the config struct */
#include <config.h>

#include <offbkg/plugin.h>

typedef struct test_config {
    double x;
} test_config_t;

#ifdef TEST_BAD_PARAMS
static const offbkg_param_t test_params[] = {
    { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = 64,
      .help = "lies outside the config struct" },
    { 0 }
};
#else
static const offbkg_param_t test_params[] = {
    { .name = "x", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(test_config_t, x), .help = "unused" },
    { 0 }
};
#endif

static int noop_create(const offbkg_host_t *host, const void *config,
                       void **state)
{
    (void)host;
    (void)config;
    *state = NULL;
    return OFFBKG_OK;
}

static void noop_destroy(void *state)
{
    (void)state;
}

static int keep_all(void *state, const offbkg_obs_table_t *obs,
                    uint8_t *keep, const char **reason)
{
    (void)state;
    for (size_t i = 0; i < obs->n_rows; i++) {
        keep[i] = 1;
        reason[i] = NULL;
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t ops = {
    .struct_size = sizeof ops,
    .select = keep_all,
};

static const offbkg_plugin_t plugin = {
    .abi_major = TEST_ABI_MAJOR,
    .abi_minor = TEST_ABI_MINOR,
    .struct_size = sizeof(offbkg_plugin_t),
    .stage = TEST_STAGE,
    .name = TEST_NAME,
    .version = "0.0.1",
    .summary = "test: a plugin the loader must refuse",
    .params = test_params,
    .config_size = sizeof(test_config_t),
    .create = noop_create,
    .destroy = noop_destroy,
    .ops.select = &ops,
};

OFFBKG_PLUGIN_DEFINE(TEST_MODULE, plugin)
