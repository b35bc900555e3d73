/* SPDX-License-Identifier: BSD-3-Clause
 * The shipped plugins through the real loader: every one loads from the
 * build tree; select/all, select/offplane and group/zenith get their
 * configs filled by the host from their parameter tables and their
 * operations run on small in-memory observation tables (the model
 * plugins are tested in test_models.c). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_fixture.h"

typedef plugin_fixture_t fixture_t;

/* Load plugin @p stage / @p name and fill its config from @p kv (NULL:
 * defaults only); returns the fill status. */
static int configure(fixture_t *f, offbkg_stage_t stage, const char *name,
                     const kv_t *kv)
{
    return plugin_configure(&f->inst, f->reg, &f->diags, stage, name, kv);
}

/* configure, then create the instance as the host does. */
static void make(fixture_t *f, offbkg_stage_t stage, const char *name,
                 const kv_t *kv)
{
    assert_int_equal(plugin_make_status(&f->inst, f->ctx, f->reg, &f->diags,
                                        stage, name, kv), OFFBKG_OK);
    assert_non_null(f->inst.state);
}

static const offbkg_select_ops_t *select_ops(const fixture_t *f)
{
    return f->inst.mod->desc->ops.select;
}

static const offbkg_group_ops_t *group_ops(const fixture_t *f)
{
    return f->inst.mod->desc->ops.group;
}

/* Reason @p got must be NULL when @p want is, else equal to it. */
static void assert_reason(const char *got, const char *want)
{
    if (want == NULL)
        assert_null(got);
    else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

/* Poison the outputs so that an operation must write every row. */
#define POISON_ROWS(keep, reason, n)                                        \
    do {                                                                    \
        for (size_t i_ = 0; i_ < (n); i_++) {                               \
            (keep)[i_] = 7;                                                 \
            (reason)[i_] = "unset";                                         \
        }                                                                   \
    } while (0)

/* A table of one double column @p name plus an OBS_ID column. */
typedef struct table {
    offbkg_column_t cols[2];
    int64_t obs_id[16];
    offbkg_obs_table_t obs;
} table_t;

static void table_double(table_t *t, const char *name, const double *v,
                         size_t n)
{
    assert_true(n <= 16);
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++)
        t->obs_id[i] = 1000 + (int64_t)i;
    t->cols[0] = (offbkg_column_t){ .name = "OBS_ID", .type = OFFBKG_COL_INT,
                                    .unit = "", .i64 = t->obs_id };
    t->cols[1] = (offbkg_column_t){ .name = name, .type = OFFBKG_COL_DOUBLE,
                                    .unit = "deg", .f64 = v };
    t->obs = (offbkg_obs_table_t){ .n_rows = n, .n_cols = 2,
                                   .cols = t->cols };
}

static void table_int(table_t *t, const char *name, const int64_t *v,
                      size_t n)
{
    table_double(t, name, NULL, n);
    t->cols[1].type = OFFBKG_COL_INT;
    t->cols[1].f64 = NULL;
    t->cols[1].i64 = v;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* @p file lies in one of the directories of $OFFBKG_PLUGIN_PATH. */
static int in_plugin_path(const char *file)
{
    const char *dir = getenv("OFFBKG_PLUGIN_PATH");

    while (dir != NULL && *dir != '\0') {
        size_t len = strcspn(dir, ":");
        if (len > 0 && strncmp(file, dir, len) == 0 && file[len] == '/')
            return 1;
        dir += len + (dir[len] == ':');
    }
    return 0;
}

static void test_shipped_plugins_load_from_build_tree(void **state)
{
    static const struct {
        offbkg_stage_t stage;
        const char *name, *module;
    } shipped[] = {
        { OFFBKG_STAGE_SELECT, "all", "select_all" },
        { OFFBKG_STAGE_SELECT, "offplane", "select_offplane" },
        { OFFBKG_STAGE_GROUP, "zenith", "group_zenith" },
        { OFFBKG_STAGE_MODEL, "2d", "model_2d" },
        { OFFBKG_STAGE_MODEL, "3d", "model_3d" },
    };
    fixture_t *f = *state;

    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        const offbkg_module_t *mod;
        assert_int_equal(offbkg_registry_load(f->reg, shipped[i].stage,
                                              shipped[i].name, &mod),
                         OFFBKG_OK);
        assert_string_equal(mod->module, shipped[i].module);
        assert_string_equal(mod->desc->version, "1.0.0");
        /* From the build tree, not from an installed copy. */
        if (!in_plugin_path(mod->file))
            fail_msg("%s is not in %s", mod->file,
                     getenv("OFFBKG_PLUGIN_PATH"));
        assert_non_null(strstr(mod->file, shipped[i].module));
    }
}

static void test_shipped_plugins_tables_check_values(void **state)
{
    fixture_t *f = *state;
    const kv_t glat[] = { { "min_glat_deg", "90" }, { NULL, NULL } };
    const kv_t edges[] = { { "edges_deg", "0, 95" }, { NULL, NULL } };
    char *text;

    /* The host enforces each plugin's declared ranges. */
    assert_int_equal(configure(f, OFFBKG_STAGE_SELECT, "offplane", glat),
                     OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_string_equal(text, "t.ini:2: [select] min_glat_deg: 90 is out of "
                        "range (must be >= 0 and < 90)");
    free(text);
    plugin_inst_clear(&f->inst);
    offbkg_diag_clear(&f->diags);

    assert_int_equal(configure(f, OFFBKG_STAGE_GROUP, "zenith", edges),
                     OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_string_equal(text, "t.ini:2: [group] edges_deg: item 2: 95 is out "
                        "of range (must be >= 0 and <= 90)");
    free(text);
}

/* ------------------------------------------------------------------ */
/* select/all                                                          */

static void test_select_all_keeps_every_row(void **state)
{
    static const double z[] = { 10, 20, 30, 40, 50 };
    fixture_t *f = *state;
    uint8_t keep[5];
    const char *reason[5];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "all", NULL);
    table_double(&t, "ZEN_PNT", z, 5);
    POISON_ROWS(keep, reason, 5);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(keep[i], 1);
        assert_null(reason[i]);
    }
}

static void test_select_all_n_obs_max(void **state)
{
    static const double z[] = { 10, 20, 30, 40, 50 };
    fixture_t *f = *state;
    const kv_t kv[] = { { "n_obs_max", "2" }, { NULL, NULL } };
    uint8_t keep[5];
    const char *reason[5];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "all", kv);
    table_double(&t, "ZEN_PNT", z, 5);
    POISON_ROWS(keep, reason, 5);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(keep[i], i < 2);
        assert_reason(reason[i], i < 2 ? NULL : "beyond n_obs_max");
    }
}

static void test_select_all_empty_table(void **state)
{
    fixture_t *f = *state;
    uint8_t keep[1] = { 7 };
    const char *reason[1] = { "unset" };
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "all", NULL);
    table_double(&t, "ZEN_PNT", NULL, 0);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    /* No row, so nothing written. */
    assert_int_equal(keep[0], 7);
}

/* ------------------------------------------------------------------ */
/* select/offplane                                                     */

static const double glat_rows[] = { 5.0, -5.0, 5.0001, -30, NAN, 0 };
#define N_GLAT (sizeof glat_rows / sizeof glat_rows[0])

static void test_select_offplane_strict_cut(void **state)
{
    static const uint8_t want[N_GLAT] = { 0, 0, 1, 1, 0, 0 };
    static const char *const why[N_GLAT] = {
        "|GLAT_PNT| <= 5 deg", "|GLAT_PNT| <= 5 deg", NULL, NULL,
        "GLAT_PNT is missing (NaN)", "|GLAT_PNT| <= 5 deg"
    };
    fixture_t *f = *state;
    uint8_t keep[N_GLAT];
    const char *reason[N_GLAT];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "offplane", NULL);
    table_double(&t, "GLAT_PNT", glat_rows, N_GLAT);
    POISON_ROWS(keep, reason, N_GLAT);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    for (size_t i = 0; i < N_GLAT; i++) {
        assert_int_equal(keep[i], want[i]);
        assert_reason(reason[i], why[i]);
    }
}

static void test_select_offplane_custom_limit(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = { { "min_glat_deg", "20" }, { NULL, NULL } };
    uint8_t keep[N_GLAT];
    const char *reason[N_GLAT];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "offplane", kv);
    table_double(&t, "GLAT_PNT", glat_rows, N_GLAT);
    POISON_ROWS(keep, reason, N_GLAT);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    for (size_t i = 0; i < N_GLAT; i++)
        assert_int_equal(keep[i], i == 3);
    assert_reason(reason[2], "|GLAT_PNT| <= 20 deg");
    assert_reason(reason[3], NULL);
}

static void test_select_offplane_n_obs_max_before_cut(void **state)
{
    static const uint8_t want[N_GLAT] = { 0, 0, 1, 0, 0, 0 };
    fixture_t *f = *state;
    const kv_t kv[] = { { "n_obs_max", "3" }, { NULL, NULL } };
    uint8_t keep[N_GLAT];
    const char *reason[N_GLAT];
    table_t t;

    /* The first 3 rows are looked at; row 3 (-30) would pass the cut but
     * lies beyond them, so only one row is kept, not three. */
    make(f, OFFBKG_STAGE_SELECT, "offplane", kv);
    table_double(&t, "GLAT_PNT", glat_rows, N_GLAT);
    POISON_ROWS(keep, reason, N_GLAT);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    for (size_t i = 0; i < N_GLAT; i++)
        assert_int_equal(keep[i], want[i]);
    assert_reason(reason[0], "|GLAT_PNT| <= 5 deg");
    assert_reason(reason[2], NULL);
    for (size_t i = 3; i < N_GLAT; i++)
        assert_reason(reason[i], "beyond n_obs_max");
}

static void test_select_offplane_int_column(void **state)
{
    static const int64_t glat[] = { 0, 10, -6, 5, -5 };
    fixture_t *f = *state;
    uint8_t keep[5];
    const char *reason[5];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "offplane", NULL);
    table_int(&t, "GLAT_PNT", glat, 5);
    POISON_ROWS(keep, reason, 5);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_OK);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 1);
    assert_int_equal(keep[3], 0);
    assert_int_equal(keep[4], 0);
}

static void test_select_offplane_missing_column(void **state)
{
    static const double z[] = { 10, 20 };
    static const char *const words[] = { "a", "b" };
    fixture_t *f = *state;
    uint8_t keep[2];
    const char *reason[2];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "offplane", NULL);
    table_double(&t, "ZEN_PNT", z, 2);
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("the observation table has no numeric GLAT_PNT "
                      "column");
    /* A string column of that name is no better. */
    table_double(&t, "GLAT_PNT", NULL, 2);
    t.cols[1].type = OFFBKG_COL_STRING;
    t.cols[1].str = words;
    assert_int_equal(select_ops(f)->select(f->inst.state, &t.obs, keep,
                                           reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("the observation table has no numeric GLAT_PNT "
                      "column");
}

/* ------------------------------------------------------------------ */
/* group/zenith                                                        */

static void test_group_zenith_define_default(void **state)
{
    fixture_t *f = *state;
    const offbkg_group_def_t *def = NULL;
    const offbkg_group_axis_t *ax;

    make(f, OFFBKG_STAGE_GROUP, "zenith", NULL);
    assert_int_equal(group_ops(f)->define(f->inst.state, &def), OFFBKG_OK);
    assert_non_null(def);
    assert_int_equal(def->n_axes, 1);
    ax = &def->axes[0];
    assert_string_equal(ax->column, "ZEN_PNT");
    assert_int_equal(ax->kind, OFFBKG_GROUP_AXIS_EDGES);
    assert_int_equal(ax->n_bins, 2);
    assert_true(ax->bounds[0] == 0);
    assert_true(ax->bounds[1] == 49);
    assert_true(ax->bounds[2] == 90);
    assert_string_equal(ax->unit, "deg");
}

static void test_group_zenith_assign_default(void **state)
{
    static const double zen[] = { 0, 48.999, 49.0, 89.999, 90.0, NAN, -1 };
    static const int32_t want[] = { 0, 0, 1, 1, -1, -1, -1 };
    static const char *const why[] = {
        NULL, NULL, NULL, NULL, "ZEN_PNT outside every zenith bin",
        "ZEN_PNT is missing (NaN)", "ZEN_PNT outside every zenith bin"
    };
    fixture_t *f = *state;
    int32_t gid[7];
    const char *reason[7];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "zenith", NULL);
    table_double(&t, "ZEN_PNT", zen, 7);
    POISON_ROWS(gid, reason, 7);
    assert_int_equal(group_ops(f)->assign(f->inst.state, &t.obs, gid,
                                          reason), OFFBKG_OK);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(gid[i], want[i]);
        assert_reason(reason[i], why[i]);
    }
}

static void test_group_zenith_int_column(void **state)
{
    static const int64_t zen[] = { 0, 48, 49, 89, 90, -1 };
    static const int32_t want[] = { 0, 0, 1, 1, -1, -1 };
    fixture_t *f = *state;
    int32_t gid[6];
    const char *reason[6];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "zenith", NULL);
    table_int(&t, "ZEN_PNT", zen, 6);
    POISON_ROWS(gid, reason, 6);
    assert_int_equal(group_ops(f)->assign(f->inst.state, &t.obs, gid,
                                          reason), OFFBKG_OK);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(gid[i], want[i]);
    assert_reason(reason[4], "ZEN_PNT outside every zenith bin");
}

static void test_group_zenith_custom_edges(void **state)
{
    static const double zen[] = { 5, 10, 19.99, 20, 25, 39.9, 40 };
    static const int32_t want[] = { -1, 0, 0, 1, 1, 2, -1 };
    fixture_t *f = *state;
    const kv_t kv[] = { { "edges_deg", "10, 20, 30, 40" }, { NULL, NULL } };
    const offbkg_group_def_t *def;
    int32_t gid[7];
    const char *reason[7];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "zenith", kv);
    assert_int_equal(group_ops(f)->define(f->inst.state, &def), OFFBKG_OK);
    assert_int_equal(def->n_axes, 1);
    assert_int_equal(def->axes[0].n_bins, 3);
    assert_true(def->axes[0].bounds[0] == 10);
    assert_true(def->axes[0].bounds[3] == 40);
    table_double(&t, "ZEN_PNT", zen, 7);
    POISON_ROWS(gid, reason, 7);
    assert_int_equal(group_ops(f)->assign(f->inst.state, &t.obs, gid,
                                          reason), OFFBKG_OK);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(gid[i], want[i]);
}

static void test_group_zenith_missing_column(void **state)
{
    static const double glat[] = { 10, 20 };
    fixture_t *f = *state;
    int32_t gid[2];
    const char *reason[2];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "zenith", NULL);
    table_double(&t, "GLAT_PNT", glat, 2);
    assert_int_equal(group_ops(f)->assign(f->inst.state, &t.obs, gid,
                                          reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("the observation table has no numeric ZEN_PNT "
                      "column");
}

#define FIXTURE_TEST(fn) \
    cmocka_unit_test_setup_teardown(fn, plugin_fixture_setup, \
                                    plugin_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_shipped_plugins_load_from_build_tree),
        FIXTURE_TEST(test_shipped_plugins_tables_check_values),
        FIXTURE_TEST(test_select_all_keeps_every_row),
        FIXTURE_TEST(test_select_all_n_obs_max),
        FIXTURE_TEST(test_select_all_empty_table),
        FIXTURE_TEST(test_select_offplane_strict_cut),
        FIXTURE_TEST(test_select_offplane_custom_limit),
        FIXTURE_TEST(test_select_offplane_n_obs_max_before_cut),
        FIXTURE_TEST(test_select_offplane_int_column),
        FIXTURE_TEST(test_select_offplane_missing_column),
        FIXTURE_TEST(test_group_zenith_define_default),
        FIXTURE_TEST(test_group_zenith_assign_default),
        FIXTURE_TEST(test_group_zenith_int_column),
        FIXTURE_TEST(test_group_zenith_custom_edges),
        FIXTURE_TEST(test_group_zenith_missing_column),
    };

    if (plugin_path_unset())
        return 0;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
