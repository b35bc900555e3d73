/* SPDX-License-Identifier: BSD-3-Clause
 * The plugin loader: each refusal, with a message naming the module file,
 * and loading, caching and scanning of good modules. Uses the build
 * tree's plugins/ and the test-only modules in tests/plugins/. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx-private.h"
#include "registry-private.h"

typedef struct fixture {
    offbkg_ctx_t *ctx;
    offbkg_registry_t *reg;
} fixture_t;

static int setup(void **state)
{
    const char *plugins = getenv("OFFBKG_PLUGIN_PATH");
    const char *tests = getenv("OFFBKG_TEST_PLUGINS");
    fixture_t *f = calloc(1, sizeof *f);
    const char *extra[1];

    if (f == NULL || plugins == NULL || tests == NULL)
        return -1;
    extra[0] = tests;
    f->ctx = offbkg_ctx_new();
    if (f->ctx == NULL
        || offbkg_registry_new(f->ctx, extra, 1, &f->reg) != OFFBKG_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    offbkg_registry_free(f->reg);
    offbkg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* Load and expect a refusal whose message contains every fragment. */
static void expect_refusal(fixture_t *f, offbkg_stage_t stage,
                           const char *name, int status, ...)
{
    const offbkg_module_t *mod = (const offbkg_module_t *)1;
    const char *fragment;
    va_list ap;

    assert_int_equal(offbkg_registry_load(f->reg, stage, name, &mod), status);
    assert_null(mod);
    va_start(ap, status);
    while ((fragment = va_arg(ap, const char *)) != NULL) {
        if (strstr(offbkg_error_msg(f->ctx), fragment) == NULL)
            fail_msg("message '%s' lacks '%s'", offbkg_error_msg(f->ctx),
                     fragment);
    }
    va_end(ap);
}

static void test_registry_loads_shipped_plugin(void **state)
{
    fixture_t *f = *state;
    const offbkg_module_t *mod, *again;

    assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_SELECT,
                                          "offplane", &mod), OFFBKG_OK);
    assert_string_equal(mod->name, "offplane");
    assert_string_equal(mod->module, "select_offplane");
    assert_int_equal(mod->stage, OFFBKG_STAGE_SELECT);
    assert_non_null(strstr(mod->file, "select_offplane"));
    assert_int_equal(mod->desc->abi_major, OFFBKG_PLUGIN_ABI_MAJOR);
    /* A second load returns the same module, not a second copy. */
    assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_SELECT,
                                          "offplane", &again), OFFBKG_OK);
    assert_ptr_equal(mod, again);
}

static void test_registry_refuses_unknown_with_path_and_hint(void **state)
{
    fixture_t *f = *state;
    expect_refusal(f, OFFBKG_STAGE_SELECT, "ofplane", OFFBKG_EPLUGIN,
                   "no select plugin 'ofplane'", "module select_ofplane",
                   getenv("OFFBKG_TEST_PLUGINS"), "known select plugins:",
                   "did you mean 'offplane'?", NULL);
}

static void test_registry_stage_prefix_keeps_stages_apart(void **state)
{
    fixture_t *f = *state;
    /* zenith is a grouper: asking for a selector called zenith must not
     * find group_zenith. */
    expect_refusal(f, OFFBKG_STAGE_SELECT, "zenith", OFFBKG_EPLUGIN,
                   "no select plugin 'zenith'", NULL);
}

static void test_registry_refuses_bad_names(void **state)
{
    fixture_t *f = *state;
    expect_refusal(f, OFFBKG_STAGE_SELECT, "../plugins/select_all",
                   OFFBKG_EINVAL, "invalid plugin name", "[a-z0-9_]+", NULL);
    expect_refusal(f, OFFBKG_STAGE_SELECT, "All", OFFBKG_EINVAL,
                   "invalid plugin name 'All'", NULL);
    expect_refusal(f, OFFBKG_STAGE_SELECT, "", OFFBKG_EINVAL,
                   "invalid plugin name", NULL);
}

static void test_registry_refuses_abi_major(void **state)
{
    fixture_t *f = *state;
    char want[64], host[64], file[512];
    snprintf(want, sizeof want, "built for plugin ABI %d.0",
             OFFBKG_PLUGIN_ABI_MAJOR + 1);
    snprintf(host, sizeof host, "this offbkg has ABI %d.%d",
             OFFBKG_PLUGIN_ABI_MAJOR, OFFBKG_PLUGIN_ABI_MINOR);
    /* Both versions, and the module's file in the test plugin directory
     * (libtool's .libs/ below it). */
    snprintf(file, sizeof file, "'abimajor': %s/",
             getenv("OFFBKG_TEST_PLUGINS"));
    expect_refusal(f, OFFBKG_STAGE_SELECT, "abimajor", OFFBKG_EABI,
                   "refusing select plugin 'abimajor'", file,
                   "select_abimajor.", want, host,
                   "major version must match", NULL);
}

static void test_registry_refuses_newer_minor(void **state)
{
    fixture_t *f = *state;
    char want[64], host[64], file[512];
    snprintf(want, sizeof want, "built for plugin ABI %d.%d",
             OFFBKG_PLUGIN_ABI_MAJOR, OFFBKG_PLUGIN_ABI_MINOR + 1);
    snprintf(host, sizeof host, "newer than this offbkg's ABI %d.%d",
             OFFBKG_PLUGIN_ABI_MAJOR, OFFBKG_PLUGIN_ABI_MINOR);
    snprintf(file, sizeof file, "'abiminor': %s/",
             getenv("OFFBKG_TEST_PLUGINS"));
    expect_refusal(f, OFFBKG_STAGE_SELECT, "abiminor", OFFBKG_EABI, file,
                   "select_abiminor.", want, host, NULL);
}

/* A model plugin of ABI 1.0 (tests/plugins/model_fake.c: its model ops
 * table ends with finish) loads, and cannot use a contribution store;
 * the shipped models can. */
static void test_registry_model_store_support(void **state)
{
    fixture_t *f = *state;
    const offbkg_module_t *mod;

    assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_MODEL, "fake",
                                          &mod), OFFBKG_OK);
    assert_int_equal(mod->desc->abi_minor, 0);
    assert_int_equal(mod->desc->ops.model->struct_size,
                     offsetof(offbkg_model_ops_t, contrib_view));
    assert_false(offbkg_registry_model_has_store(mod->desc));
    assert_false(offbkg_registry_model_has_add(mod->desc));
    for (int k = 0; k < 2; k++) {
        assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_MODEL,
                                              k == 0 ? "2d" : "3d", &mod),
                         OFFBKG_OK);
        assert_true(offbkg_registry_model_has_store(mod->desc));
        assert_true(offbkg_registry_model_has_add(mod->desc));
    }
    assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_GROUP,
                                          "zenith", &mod), OFFBKG_OK);
    assert_false(offbkg_registry_model_has_store(mod->desc));
    assert_false(offbkg_registry_model_has_add(mod->desc));
    assert_false(offbkg_registry_model_has_store(NULL));
    assert_false(offbkg_registry_model_has_add(NULL));
}

/* An ops table smaller than ABI 1.0's: the host would read past it. */
static void test_registry_refuses_small_ops_table(void **state)
{
    fixture_t *f = *state;
    char want[128];

    snprintf(want, sizeof want, "model operations table is %zu bytes, ABI "
             "%d.0 needs at least %zu", offsetof(offbkg_model_ops_t, finish),
             OFFBKG_PLUGIN_ABI_MAJOR,
             offsetof(offbkg_model_ops_t, contrib_view));
    expect_refusal(f, OFFBKG_STAGE_MODEL, "smallops", OFFBKG_EABI,
                   "refusing model plugin 'smallops'", "model_smallops.",
                   want, NULL);
}

static void test_registry_refuses_missing_symbol(void **state)
{
    fixture_t *f = *state;
    expect_refusal(f, OFFBKG_STAGE_SELECT, "nosym", OFFBKG_EPLUGIN,
                   "select_nosym", "no symbol",
                   "select_nosym_LTX_offbkg_plugin_entry", NULL);
}

static void test_registry_refuses_wrong_stage(void **state)
{
    fixture_t *f = *state;
    expect_refusal(f, OFFBKG_STAGE_SELECT, "wrongstage", OFFBKG_EPLUGIN,
                   "select_wrongstage", "declares stage 'group'",
                   "module name says 'select'", NULL);
}

static void test_registry_refuses_mismatched_name(void **state)
{
    fixture_t *f = *state;
    expect_refusal(f, OFFBKG_STAGE_SELECT, "misnamed", OFFBKG_EPLUGIN,
                   "select_misnamed", "declares name 'othername'", NULL);
}

static void test_registry_refuses_bad_param_table(void **state)
{
    fixture_t *f = *state;
    expect_refusal(f, OFFBKG_STAGE_SELECT, "badparams", OFFBKG_EPLUGIN,
                   "select_badparams", "parameter 'x' lies outside the "
                   "config struct", NULL);
}

/* The search path of a new registry (extra: $OFFBKG_TEST_PLUGINS) with
 * $OFFBKG_PLUGINDIR set to @p installed, or unset if NULL; the caller's
 * $OFFBKG_PLUGINDIR is restored. */
static char *path_with_plugindir(const char *installed)
{
    const char *was = getenv("OFFBKG_PLUGINDIR");
    char *saved = was != NULL ? strdup(was) : NULL;
    const char *extra[1] = { getenv("OFFBKG_TEST_PLUGINS") };
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    offbkg_registry_t *reg;
    char *path;

    assert_true(was == NULL || saved != NULL);
    if (installed != NULL)
        assert_int_equal(setenv("OFFBKG_PLUGINDIR", installed, 1), 0);
    else
        assert_int_equal(unsetenv("OFFBKG_PLUGINDIR"), 0);
    assert_int_equal(offbkg_registry_new(ctx, extra, 1, &reg), OFFBKG_OK);
    path = strdup(offbkg_registry_search_path(reg));
    offbkg_registry_free(reg);
    offbkg_ctx_free(ctx);
    if (saved != NULL)
        assert_int_equal(setenv("OFFBKG_PLUGINDIR", saved, 1), 0);
    else
        assert_int_equal(unsetenv("OFFBKG_PLUGINDIR"), 0);
    free(saved);
    assert_non_null(path);
    return path;
}

static void test_registry_search_path_order(void **state)
{
    char want[4096], *path;

    (void)state;
    /* $OFFBKG_PLUGIN_PATH, then [run] plugin_path, then installed. */
    path = path_with_plugindir(NULL);
    snprintf(want, sizeof want, "%s:%s:%s", getenv("OFFBKG_PLUGIN_PATH"),
             getenv("OFFBKG_TEST_PLUGINS"), OFFBKG_PLUGINDIR);
    assert_string_equal(path, want);
    free(path);
    /* $OFFBKG_PLUGINDIR in place of the installed directory... */
    path = path_with_plugindir("/opt/elsewhere/offbkg");
    snprintf(want, sizeof want, "%s:%s:/opt/elsewhere/offbkg",
             getenv("OFFBKG_PLUGIN_PATH"), getenv("OFFBKG_TEST_PLUGINS"));
    assert_string_equal(path, want);
    free(path);
    /* ...and, empty, none: what make check runs with. */
    path = path_with_plugindir("");
    snprintf(want, sizeof want, "%s:%s", getenv("OFFBKG_PLUGIN_PATH"),
             getenv("OFFBKG_TEST_PLUGINS"));
    assert_string_equal(path, want);
    free(path);
}

/* A module only in the installed directory: found through it, and not
 * found once $OFFBKG_PLUGINDIR is empty, so make check never loads an
 * installed plugin. */
static void test_registry_empty_plugindir_searches_no_installed_dir(
    void **state)
{
    char *plugins = strdup(getenv("OFFBKG_PLUGIN_PATH"));
    char *was = getenv("OFFBKG_PLUGINDIR") != NULL
                    ? strdup(getenv("OFFBKG_PLUGINDIR")) : NULL;
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    offbkg_registry_t *reg;
    const offbkg_module_t *mod;

    (void)state;
    assert_non_null(plugins);
    assert_int_equal(setenv("OFFBKG_PLUGIN_PATH", "/nonexistent", 1), 0);
    /* The build tree's plugins/ as the installed directory. */
    assert_int_equal(setenv("OFFBKG_PLUGINDIR", plugins, 1), 0);
    assert_int_equal(offbkg_registry_new(ctx, NULL, 0, &reg), OFFBKG_OK);
    assert_int_equal(offbkg_registry_load(reg, OFFBKG_STAGE_SELECT,
                                          "offplane", &mod), OFFBKG_OK);
    assert_non_null(strstr(mod->file, plugins));
    offbkg_registry_free(reg);
    assert_int_equal(setenv("OFFBKG_PLUGINDIR", "", 1), 0);
    assert_int_equal(offbkg_registry_new(ctx, NULL, 0, &reg), OFFBKG_OK);
    assert_int_equal(offbkg_registry_load(reg, OFFBKG_STAGE_SELECT,
                                          "offplane", &mod), OFFBKG_EPLUGIN);
    assert_non_null(strstr(offbkg_error_msg(ctx),
                           "module select_offplane not found in "
                           "/nonexistent"));
    offbkg_registry_free(reg);
    offbkg_ctx_free(ctx);
    assert_int_equal(setenv("OFFBKG_PLUGIN_PATH", plugins, 1), 0);
    if (was != NULL)
        assert_int_equal(setenv("OFFBKG_PLUGINDIR", was, 1), 0);
    else
        assert_int_equal(unsetenv("OFFBKG_PLUGINDIR"), 0);
    free(was);
    free(plugins);
}

typedef struct scan_result {
    int saw_offplane;
    int saw_zenith;
    int refused_abimajor;
    int refused_nosym;
    int n;
} scan_result_t;

static void on_module(void *user, const char *file,
                      const offbkg_module_t *mod, const char *why)
{
    scan_result_t *r = user;
    r->n++;
    if (mod != NULL && strcmp(mod->module, "select_offplane") == 0)
        r->saw_offplane = 1;
    if (mod != NULL && strcmp(mod->module, "group_zenith") == 0)
        r->saw_zenith = 1;
    /* The caller prints the file: the reason does not repeat it. */
    if (mod == NULL && strstr(file, "select_abimajor") != NULL
        && strncmp(why, "built for plugin ABI", 20) == 0)
        r->refused_abimajor = 1;
    if (mod == NULL && strstr(file, "select_nosym") != NULL)
        r->refused_nosym = 1;
}

static void test_registry_scan_lists_good_and_refused(void **state)
{
    fixture_t *f = *state;
    scan_result_t r = { 0 };

    assert_int_equal(offbkg_registry_scan(f->reg, on_module, &r), OFFBKG_OK);
    assert_true(r.saw_offplane);
    assert_true(r.saw_zenith);
    assert_true(r.refused_abimajor);
    assert_true(r.refused_nosym);
}

static void test_registry_module_stays_put_as_registry_grows(void **state)
{
    fixture_t *f = *state;
    const offbkg_module_t *mod, *again;
    scan_result_t r = { 0 };

    /* A module loaded first, then every other one (more than the
     * registry's first allocation): the first pointer must stay valid,
     * as the run configuration keeps it. */
    assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_SELECT,
                                          "offplane", &mod), OFFBKG_OK);
    assert_int_equal(offbkg_registry_scan(f->reg, on_module, &r), OFFBKG_OK);
    assert_true(r.n > 8);
    assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_SELECT,
                                          "offplane", &again), OFFBKG_OK);
    assert_ptr_equal(mod, again);
    assert_string_equal(mod->module, "select_offplane");
}

static void test_registry_names_per_stage(void **state)
{
    fixture_t *f = *state;
    char **names = offbkg_registry_names(f->reg, OFFBKG_STAGE_GROUP);
    int zenith = 0;

    assert_non_null(names);
    for (size_t i = 0; names[i] != NULL; i++) {
        assert_true(strchr(names[i], '_') == NULL
                    || strncmp(names[i], "group_", 6) != 0);
        zenith |= strcmp(names[i], "zenith") == 0;
    }
    assert_true(zenith);
    offbkg_registry_names_free(names);
}

static void test_registry_stage_names_round_trip(void **state)
{
    (void)state;
    for (int s = OFFBKG_STAGE_SELECT; s <= OFFBKG_STAGE_SMOOTH; s++)
        assert_int_equal(offbkg_registry_stage_from_name(
                             offbkg_registry_stage_name((offbkg_stage_t)s)), s);
    assert_null(offbkg_registry_stage_name((offbkg_stage_t)0));
    assert_int_equal(offbkg_registry_stage_from_name("grouper"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_registry_loads_shipped_plugin),
        T(test_registry_refuses_unknown_with_path_and_hint),
        T(test_registry_stage_prefix_keeps_stages_apart),
        T(test_registry_refuses_bad_names),
        T(test_registry_refuses_abi_major),
        T(test_registry_refuses_newer_minor),
        T(test_registry_model_store_support),
        T(test_registry_refuses_small_ops_table),
        T(test_registry_refuses_missing_symbol),
        T(test_registry_refuses_wrong_stage),
        T(test_registry_refuses_mismatched_name),
        T(test_registry_refuses_bad_param_table),
        T(test_registry_search_path_order),
        T(test_registry_empty_plugindir_searches_no_installed_dir),
        T(test_registry_scan_lists_good_and_refused),
        T(test_registry_module_stays_put_as_registry_grows),
        T(test_registry_names_per_stage),
        T(test_registry_stage_names_round_trip),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
