/* SPDX-License-Identifier: BSD-3-Clause
 * select/list, select/column, select/quality and group/bins through the
 * real loader:
 * loaded from the build tree, their configs filled by the host from
 * hand-built INI sections, their operations run on small in-memory
 * observation tables, their warnings caught through the log sink. */
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
#include "tmpfile.h"

#define MAX_LOGS 8

typedef struct fixture {
    offbkg_ctx_t *ctx;
    offbkg_registry_t *reg;
    offbkg_diags_t diags;
    plugin_inst_t inst;
    tmp_ini_t tmp;           /* a run list, removed in teardown */
    int have_tmp;
    size_t n_logs;           /* warnings and errors the plugin logged */
    char *logs[MAX_LOGS];
    char log_prefix[64];
} fixture_t;

/* Keep WARN and ERROR lines; the rest would only be noise. */
static void capture_log(void *user, offbkg_log_level_t level,
                        const char *prefix, const char *msg)
{
    fixture_t *f = user;

    if (level > OFFBKG_LOG_WARN || f->n_logs == MAX_LOGS)
        return;
    snprintf(f->log_prefix, sizeof f->log_prefix, "%s", prefix);
    f->logs[f->n_logs] = strdup(msg);
    if (f->logs[f->n_logs] != NULL)
        f->n_logs++;
}

static void logs_clear(fixture_t *f)
{
    for (size_t i = 0; i < f->n_logs; i++)
        free(f->logs[i]);
    f->n_logs = 0;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);

    if (f == NULL || plugin_open(&f->ctx, &f->reg, capture_log, f) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Destroy the instance and its config, so a test can make another. */
static void instance_clear(fixture_t *f)
{
    plugin_inst_clear(&f->inst);
    offbkg_diag_clear(&f->diags);
    logs_clear(f);
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    instance_clear(f);
    if (f->have_tmp)
        tmp_ini_remove(&f->tmp);
    offbkg_registry_free(f->reg);
    offbkg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* Load plugin @p stage / @p name and fill its config from @p kv (NULL:
 * defaults only); returns the fill status. */
static int configure(fixture_t *f, offbkg_stage_t stage, const char *name,
                     const kv_t *kv)
{
    return plugin_configure(&f->inst, f->reg, &f->diags, stage, name, kv);
}

/* configure, then create the instance as the host does; returns the
 * create status (the state is kept only on success). */
static int try_make(fixture_t *f, offbkg_stage_t stage, const char *name,
                    const kv_t *kv)
{
    int st = plugin_make_status(&f->inst, f->ctx, f->reg, &f->diags, stage,
                                name, kv);

    if (st != OFFBKG_OK)
        assert_null(f->inst.state);
    return st;
}

static void make(fixture_t *f, offbkg_stage_t stage, const char *name,
                 const kv_t *kv)
{
    assert_int_equal(try_make(f, stage, name, kv), OFFBKG_OK);
    assert_non_null(f->inst.state);
}

/* create must refuse @p kv with @p status and message @p want. */
static void make_fails(fixture_t *f, offbkg_stage_t stage, const char *name,
                       const kv_t *kv, int status, const char *want)
{
    assert_int_equal(try_make(f, stage, name, kv), status);
    plugin_assert_host_error_cleared(want);
    instance_clear(f);
}

/* The host's one diagnostic for a section refused by its table. */
static void configure_fails(fixture_t *f, offbkg_stage_t stage,
                            const char *name, const kv_t *kv,
                            const char *want)
{
    char *text;

    assert_int_equal(configure(f, stage, name, kv), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
    instance_clear(f);
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

static void assert_logs(const fixture_t *f, size_t n)
{
    if (f->n_logs != n)
        fail_msg("expected %zu warnings, got %zu (first: %s)", n, f->n_logs,
                 f->n_logs > 0 ? f->logs[0] : "none");
}

/* Poison the outputs so that an operation must write every row. */
#define POISON_ROWS(keep, reason, n)                                        \
    do {                                                                    \
        for (size_t i_ = 0; i_ < (n); i_++) {                               \
            (keep)[i_] = 7;                                                 \
            (reason)[i_] = "unset";                                         \
        }                                                                   \
    } while (0)

#define MAX_ROWS 32
#define MAX_COLS 5

/* A table of up to MAX_COLS columns of @c n rows; arrays are the
 * caller's. */
typedef struct table {
    offbkg_column_t cols[MAX_COLS];
    offbkg_obs_table_t obs;
} table_t;

static void table_init(table_t *t, size_t n)
{
    assert_true(n <= MAX_ROWS);
    memset(t, 0, sizeof *t);
    t->obs.n_rows = n;
    t->obs.cols = t->cols;
}

static void table_add(table_t *t, offbkg_column_t col)
{
    assert_true(t->obs.n_cols < MAX_COLS);
    col.unit = "";
    t->cols[t->obs.n_cols++] = col;
}

static void table_int(table_t *t, const char *name, const int64_t *v)
{
    table_add(t, (offbkg_column_t){ .name = name, .type = OFFBKG_COL_INT,
                                    .i64 = v });
}

static void table_double(table_t *t, const char *name, const double *v)
{
    table_add(t, (offbkg_column_t){ .name = name, .type = OFFBKG_COL_DOUBLE,
                                    .f64 = v });
}

static void table_string(table_t *t, const char *name,
                         const char *const *v)
{
    table_add(t, (offbkg_column_t){ .name = name, .type = OFFBKG_COL_STRING,
                                    .str = v });
}

/* OBS_ID 1000, 1001, ... for @p n rows. */
static const int64_t obs_ids[MAX_ROWS] = {
    1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010,
    1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021,
    1022, 1023, 1024, 1025, 1026, 1027, 1028, 1029, 1030, 1031
};

/* Run select on @p t into keep/reason, which it must fill for every row. */
static int run_select(fixture_t *f, const table_t *t, uint8_t *keep,
                      const char **reason)
{
    POISON_ROWS(keep, reason, t->obs.n_rows);
    return select_ops(f)->select(f->inst.state, &t->obs, keep, reason);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

static void test_selgroup_plugins_load(void **state)
{
    static const struct {
        offbkg_stage_t stage;
        const char *name, *module;
    } shipped[] = {
        { OFFBKG_STAGE_SELECT, "list", "select_list" },
        { OFFBKG_STAGE_SELECT, "column", "select_column" },
        { OFFBKG_STAGE_SELECT, "quality", "select_quality" },
        { OFFBKG_STAGE_GROUP, "bins", "group_bins" },
    };
    fixture_t *f = *state;
    const char *dir = getenv("OFFBKG_PLUGIN_PATH");

    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        const offbkg_module_t *mod;
        assert_int_equal(offbkg_registry_load(f->reg, shipped[i].stage,
                                              shipped[i].name, &mod),
                         OFFBKG_OK);
        assert_string_equal(mod->module, shipped[i].module);
        assert_string_equal(mod->desc->version, "1.0.0");
        /* From the build tree, not from an installed copy. */
        assert_int_equal(strncmp(mod->file, dir, strlen(dir)), 0);
        assert_non_null(strstr(mod->file, shipped[i].module));
    }
}

/* ------------------------------------------------------------------ */
/* select/list                                                         */

/* Write run list @p text and make select/list on it (plus @p extra). */
static int make_list(fixture_t *f, const char *text, const char *extra_key,
                     const char *extra_value)
{
    kv_t kv[3] = { { "path", NULL }, { extra_key, extra_value },
                   { NULL, NULL } };

    if (f->have_tmp)
        tmp_ini_remove(&f->tmp);
    assert_int_equal(tmp_ini_write_named(&f->tmp, "run.lis", text), 0);
    f->have_tmp = 1;
    kv[0].value = f->tmp.path;
    return try_make(f, OFFBKG_STAGE_SELECT, "list", kv);
}

/* The table OBS_ID 1000 .. 1000 + n - 1. */
static void ids_table(table_t *t, size_t n)
{
    table_init(t, n);
    table_int(t, "OBS_ID", obs_ids);
}

static void test_select_list_keeps_listed_ids(void **state)
{
    fixture_t *f = *state;
    uint8_t keep[5];
    const char *reason[5];
    table_t t;

    assert_int_equal(make_list(f, "OBS_ID\n1003\n1000\n", NULL, NULL),
                     OFFBKG_OK);
    ids_table(&t, 5);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(keep[i], i == 0 || i == 3);
        assert_reason(reason[i], keep[i] ? NULL : "not in the run list");
    }
    assert_logs(f, 0);
    /* A second call gives the same answer (scratch state is reset). */
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[3], 1);
    assert_logs(f, 0);
}

static void test_select_list_tolerates_layout(void **state)
{
    fixture_t *f = *state;
    uint8_t keep[5];
    const char *reason[5];
    table_t t;

    /* BOM, comments, blank lines, blanks around, CRLF, no final EOL. */
    assert_int_equal(make_list(f, "\xef\xbb\xbf# written by hand\r\n"
                               "\r\n  OBS_ID \r\n\t1001\t\r\n\n"
                               "  # a comment\n   \n1004", NULL, NULL),
                     OFFBKG_OK);
    ids_table(&t, 5);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(keep[i], i == 1 || i == 4);
    assert_logs(f, 0);
}

static void test_select_list_duplicates_counted_once(void **state)
{
    fixture_t *f = *state;
    uint8_t keep[4];
    const char *reason[4];
    char want[PATH_MAX + 256];
    table_t t;

    assert_int_equal(make_list(f, "OBS_ID\n1003\n1001\n1003\n1001\n1003\n"
                               "42\n", NULL, NULL), OFFBKG_OK);
    /* Named once each, in one warning. */
    assert_logs(f, 1);
    snprintf(want, sizeof want, "%s: 2 OBS_IDs are listed more than once, "
             "counted once: 1001, 1003", f->tmp.path);
    assert_string_equal(f->logs[0], want);
    assert_string_equal(f->log_prefix, "[select/list] ");
    logs_clear(f);

    ids_table(&t, 4);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(keep[i], i == 1 || i == 3);
    /* 3 distinct IDs, not 6 lines: the duplicates count once. */
    assert_logs(f, 1);
    snprintf(want, sizeof want, "%s: 1 of 3 OBS_IDs are not in the "
             "observation table and are skipped: 42", f->tmp.path);
    assert_string_equal(f->logs[0], want);
}

static void test_select_list_missing_ids_warned(void **state)
{
    fixture_t *f = *state;
    uint8_t keep[3];
    const char *reason[3];
    char want[PATH_MAX + 256];
    table_t t;

    /* 12 IDs the table lacks: the warning shows the first 10. */
    assert_int_equal(make_list(f, "OBS_ID\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
                               "11\n12\n1002\n", NULL, NULL), OFFBKG_OK);
    ids_table(&t, 3);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 0);
    assert_int_equal(keep[2], 1);
    assert_reason(reason[0], "not in the run list");
    assert_reason(reason[2], NULL);
    assert_logs(f, 1);
    snprintf(want, sizeof want, "%s: 12 of 13 OBS_IDs are not in the "
             "observation table and are skipped: 1, 2, 3, 4, 5, 6, 7, 8, "
             "9, 10, ...", f->tmp.path);
    assert_string_equal(f->logs[0], want);
}

static void test_select_list_n_obs_max(void **state)
{
    fixture_t *f = *state;
    uint8_t keep[5];
    const char *reason[5];
    table_t t;

    assert_int_equal(make_list(f, "OBS_ID\n1000\n1001\n1004\n", "n_obs_max",
                               "2"), OFFBKG_OK);
    ids_table(&t, 5);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[0], 1);
    assert_int_equal(keep[1], 1);
    for (size_t i = 2; i < 5; i++) {
        assert_int_equal(keep[i], 0);
        assert_reason(reason[i], "beyond n_obs_max");
    }
    /* 1004 is in the table, only beyond n_obs_max: not "missing". */
    assert_logs(f, 0);
}

static void test_select_list_bad_header(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX + 256];

    assert_int_equal(make_list(f, "RUN\n1000\n", NULL, NULL),
                     OFFBKG_ECONFIG);
    snprintf(want, sizeof want, "%s:1: expected the header line OBS_ID, "
             "got 'RUN'", f->tmp.path);
    plugin_assert_host_error_cleared(want);
    instance_clear(f);

    /* Counted from the file's first line, comments and blanks too. */
    assert_int_equal(make_list(f, "# list\n\nobs_id\n1000\n", NULL, NULL),
                     OFFBKG_ECONFIG);
    snprintf(want, sizeof want, "%s:3: expected the header line OBS_ID, "
             "got 'obs_id'", f->tmp.path);
    plugin_assert_host_error_cleared(want);
    instance_clear(f);

    /* A list without its header is refused, not read as IDs. */
    assert_int_equal(make_list(f, "1000\n1001\n", NULL, NULL),
                     OFFBKG_ECONFIG);
    snprintf(want, sizeof want, "%s:1: expected the header line OBS_ID, "
             "got '1000'", f->tmp.path);
    plugin_assert_host_error_cleared(want);
}

static void test_select_list_not_an_integer(void **state)
{
    static const char *const bad[] = {
        "10a1", "1000.0", "1000,1001", "99999999999999999999", "- 5"
    };
    fixture_t *f = *state;
    char text[128], want[PATH_MAX + 256];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "OBS_ID\n1000\n\n%s\n1002\n", bad[i]);
        assert_int_equal(make_list(f, text, NULL, NULL), OFFBKG_ECONFIG);
        snprintf(want, sizeof want, "%s:4: expected an integer OBS_ID, got "
                 "'%s'", f->tmp.path, bad[i]);
        plugin_assert_host_error_cleared(want);
        instance_clear(f);
    }
}

static void test_select_list_empty_lists(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX + 256];

    assert_int_equal(make_list(f, "", NULL, NULL), OFFBKG_ECONFIG);
    snprintf(want, sizeof want, "%s: empty run list: expected the header "
             "line OBS_ID", f->tmp.path);
    plugin_assert_host_error_cleared(want);
    instance_clear(f);

    assert_int_equal(make_list(f, "OBS_ID\n# none yet\n", NULL, NULL),
                     OFFBKG_ECONFIG);
    snprintf(want, sizeof want, "%s: the run list has no OBS_ID after its "
             "header", f->tmp.path);
    plugin_assert_host_error_cleared(want);
}

static void test_select_list_path_problems(void **state)
{
    fixture_t *f = *state;
    const kv_t relative[] = { { "path", "nosuch.lis" }, { NULL, NULL } };
    const kv_t none[] = { { "n_obs_max", "1" }, { NULL, NULL } };

    /* A relative path is resolved against the INI file's directory. */
    make_fails(f, OFFBKG_STAGE_SELECT, "list", relative, OFFBKG_ECONFIG,
               "path: cannot open the run list /base/nosuch.lis: No such "
               "file or directory");
    configure_fails(f, OFFBKG_STAGE_SELECT, "list", none,
                    "t.ini:1: [select] path: required key is missing");
}

static void test_select_list_needs_obs_id(void **state)
{
    static const double z[] = { 10, 20 };
    fixture_t *f = *state;
    uint8_t keep[2];
    const char *reason[2];
    table_t t;

    assert_int_equal(make_list(f, "OBS_ID\n1000\n", NULL, NULL), OFFBKG_OK);
    table_init(&t, 2);
    table_double(&t, "ZEN_PNT", z);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("the observation table has no integer OBS_ID column");
}

/* ------------------------------------------------------------------ */
/* select/column                                                       */

#define N_COND_ROWS 5
static const int64_t n_tels[N_COND_ROWS] = { 2, 3, 4, 5, 4 };
static const double zen_pnt[N_COND_ROWS] = { 10, 20, 30, NAN, 20 };
static const char *const target_tag[N_COND_ROWS] = {
    "offdata", "  offdata  ", "Offdata", "crab", ""
};

static const double glat[N_COND_ROWS] = { -6, 4, 5.5, -5, NAN };

static void cond_table(table_t *t)
{
    table_init(t, N_COND_ROWS);
    table_double(t, "GLAT", glat);
    table_int(t, "N_TELS", n_tels);
    table_double(t, "ZEN_PNT", zen_pnt);
    table_string(t, "TARGET_TAG", target_tag);
    table_int(t, "OBS_ID", obs_ids);
}

/* select/column with where = @p where on the condition table; keep[]
 * must be @p want (a string of 0 and 1). */
static void expect_where(fixture_t *f, const char *where, const char *want,
                         const char *const *why)
{
    const kv_t kv[] = { { "where", where }, { NULL, NULL } };
    uint8_t keep[N_COND_ROWS];
    const char *reason[N_COND_ROWS];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "column", kv);
    cond_table(&t);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    for (size_t i = 0; i < N_COND_ROWS; i++) {
        if (keep[i] != want[i] - '0')
            fail_msg("where = %s: row %zu: keep %d, want %c", where, i,
                     keep[i], want[i]);
        if (why != NULL)
            assert_reason(reason[i], why[i]);
        else if (keep[i])
            assert_null(reason[i]);
        else
            assert_non_null(reason[i]);
    }
    instance_clear(f);
}

static void test_select_column_int_operators(void **state)
{
    fixture_t *f = *state;
    const char *const lt[] = { NULL, NULL, "N_TELS < 4 is false",
                               "N_TELS < 4 is false", "N_TELS < 4 is false" };

    /* N_TELS = 2, 3, 4, 5, 4 */
    expect_where(f, "N_TELS == 4", "00101", NULL);
    expect_where(f, "N_TELS != 4", "11010", NULL);
    expect_where(f, "N_TELS < 4", "11000", lt);
    expect_where(f, "N_TELS <= 4", "11101", NULL);
    expect_where(f, "N_TELS > 4", "00010", NULL);
    expect_where(f, "N_TELS >= 4", "00111", NULL);
    /* A fractional value on an integer column compares as a number. */
    expect_where(f, "N_TELS < 3.5", "11000", NULL);
    /* No blanks needed, and the column's case does not matter. */
    expect_where(f, "n_tels>=5", "00010", NULL);
}

static void test_select_column_double_operators_and_nan(void **state)
{
    fixture_t *f = *state;
    const char *const ne[] = { NULL, "ZEN_PNT != 20 is false", NULL,
                               "ZEN_PNT is missing (NaN)",
                               "ZEN_PNT != 20 is false" };

    /* ZEN_PNT = 10, 20, 30, NaN, 20: the NaN row never passes. */
    expect_where(f, "ZEN_PNT == 20", "01001", NULL);
    expect_where(f, "ZEN_PNT != 20", "10100", ne);
    expect_where(f, "ZEN_PNT < 20", "10000", NULL);
    expect_where(f, "ZEN_PNT <= 20", "11001", NULL);
    expect_where(f, "ZEN_PNT > 20", "00100", NULL);
    expect_where(f, "ZEN_PNT >= 2e1", "01101", NULL);
    expect_where(f, "ZEN_PNT > -1", "11101", NULL);
}

static void test_select_column_absolute_value(void **state)
{
    fixture_t *f = *state;
    const char *const why[] = { NULL, "|GLAT| > 5 is false", NULL,
                                "|GLAT| > 5 is false",
                                "GLAT is missing (NaN)" };

    /* GLAT = -6, 4, 5.5, -5, NaN: strictly above 5 in absolute value */
    expect_where(f, "|GLAT| > 5", "10100", why);
    expect_where(f, "GLAT > 5", "00100", NULL);
    expect_where(f, "| GLAT | <= 5", "01010", NULL);
    /* on an integer column, too */
    expect_where(f, "|N_TELS| >= 4", "00111", NULL);
}

static void test_select_column_strings(void **state)
{
    fixture_t *f = *state;
    const char *const eq[] = { NULL, NULL, "TARGET_TAG == offdata is false",
                               "TARGET_TAG == offdata is false",
                               "TARGET_TAG == offdata is false" };

    /* Blanks trimmed, case kept: "Offdata" is not "offdata". */
    expect_where(f, "TARGET_TAG == offdata", "11000", eq);
    expect_where(f, "TARGET_TAG != offdata", "00111", NULL);
    /* Quotes may enclose the value. */
    expect_where(f, "TARGET_TAG == 'offdata'", "11000", NULL);
    expect_where(f, "TARGET_TAG == \"crab\"", "00010", NULL);
    /* A value that looks like a number is still text here. */
    expect_where(f, "TARGET_TAG != 5", "11111", NULL);
}

/* A string condition no row meets says which values the column has: a
 * typo in the value shows at once. */
static void test_select_column_no_match_lists_values(void **state)
{
    fixture_t *f = *state;
    const char *want = "TARGET_TAG == offdta is false; TARGET_TAG has "
                       "'offdata', 'Offdata', 'crab', ''";
    const char *const none[] = { want, want, want, want, want };
    const char *const mixed[] = {
        want, "ZEN_PNT < 15 is false", "ZEN_PNT < 15 is false",
        "ZEN_PNT is missing (NaN)", "ZEN_PNT < 15 is false"
    };

    expect_where(f, "TARGET_TAG == offdta", "00000", none);
    /* Only the condition that no row meets lists the values. */
    expect_where(f, "ZEN_PNT < 15, TARGET_TAG == offdta", "00000", mixed);
    expect_where(f, "TARGET_TAG == offdata", "11000", NULL);
}

static void test_select_column_and_first_failing(void **state)
{
    fixture_t *f = *state;
    const char *const why[] = {
        NULL, "ZEN_PNT < 15 is false", "TARGET_TAG == offdata is false",
        "TARGET_TAG == offdata is false", "TARGET_TAG == offdata is false"
    };
    const char *const why2[] = {
        "N_TELS >= 3 is false", "zen_pnt < 15 is false",
        "zen_pnt < 15 is false", "zen_pnt is missing (NaN)",
        "zen_pnt < 15 is false"
    };

    /* All conditions must hold. */
    expect_where(f, "TARGET_TAG == offdata, ZEN_PNT < 15", "10000", why);
    /* The reason names the first condition that fails, as written. */
    expect_where(f, "N_TELS >= 3, zen_pnt < 15", "00000", why2);
}

static void test_select_column_exact_integers(void **state)
{
    /* 2^53 + 1 is not a double: an integer column compares exactly. */
    static const int64_t big[3] = { 9007199254740992, 9007199254740993,
                                    9007199254740994 };
    fixture_t *f = *state;
    const kv_t kv[] = { { "where", "OBS_ID >= 9007199254740993" },
                        { NULL, NULL } };
    uint8_t keep[3];
    const char *reason[3];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "column", kv);
    table_init(&t, 3);
    table_int(&t, "OBS_ID", big);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 1);
    assert_reason(reason[0], "OBS_ID >= 9007199254740993 is false");
}

static void test_select_column_n_obs_max(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = { { "where", "N_TELS >= 3" }, { "n_obs_max", "3" },
                        { NULL, NULL } };
    uint8_t keep[N_COND_ROWS];
    const char *reason[N_COND_ROWS];
    table_t t;

    make(f, OFFBKG_STAGE_SELECT, "column", kv);
    cond_table(&t);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 1);
    assert_int_equal(keep[3], 0);
    assert_int_equal(keep[4], 0);
    assert_reason(reason[0], "N_TELS >= 3 is false");
    assert_reason(reason[3], "beyond n_obs_max");
    assert_reason(reason[4], "beyond n_obs_max");
}

static void test_select_column_bad_conditions_refused(void **state)
{
    static const struct {
        const char *where, *msg;
    } bad[] = {
        { "ZEN_PNT = 60", "where: item 1 'ZEN_PNT = 60': unknown operator "
          "'=' (did you mean '=='); use one of == != < <= > >=" },
        { "ZEN_PNT => 60", "where: item 1 'ZEN_PNT => 60': unknown operator "
          "'=>'; use one of == != < <= > >=" },
        { "ZEN_PNT <> 60", "where: item 1 'ZEN_PNT <> 60': unknown operator "
          "'<>'; use one of == != < <= > >=" },
        { "ZEN_PNT 60", "where: item 1 'ZEN_PNT 60': no operator; expected "
          "COLUMN OP VALUE with OP one of == != < <= > >=" },
        { "< 60", "where: item 1 '< 60': no column before '<'" },
        { "ZEN_PNT <", "where: item 1 'ZEN_PNT <': no value after '<'" },
        { "ZEN_PNT == ''", "where: item 1 'ZEN_PNT == ''': no value after "
          "'=='" },
        { "ZEN PNT < 60", "where: item 1 'ZEN PNT < 60': 'ZEN PNT' is not "
          "a column name (no blanks allowed; |COLUMN| for an absolute "
          "value)" },
        { "|| > 5", "where: item 1 '|| > 5': '||' is not a column name (no "
          "blanks allowed; |COLUMN| for an absolute value)" },
        /* Every bad item is named, the good ones are not. */
        { "ZEN_PNT < 60, N_TELS = 3, TARGET_TAG ==",
          "where: item 2 'N_TELS = 3': unknown operator '=' (did you mean "
          "'=='); use one of == != < <= > >=; item 3 'TARGET_TAG ==': no "
          "value after '=='" },
    };
    fixture_t *f = *state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const kv_t kv[] = { { "where", bad[i].where }, { NULL, NULL } };
        make_fails(f, OFFBKG_STAGE_SELECT, "column", kv, OFFBKG_ECONFIG,
                   bad[i].msg);
    }
}

static void test_select_column_table_mismatch(void **state)
{
    static const struct {
        const char *where, *msg;
    } bad[] = {
        { "GLAT_PNT > 5", "where: the observation table has no column "
          "GLAT_PNT (in 'GLAT_PNT > 5')" },
        { "target_tag < offdata", "where: 'target_tag < offdata': "
          "TARGET_TAG is a string column, which allows only == and !=" },
        { "ZEN_PNT >= 10, N_TELS < three", "where: 'N_TELS < three': "
          "N_TELS is a numeric column but 'three' is not a number" },
        { "ZEN_PNT < nan", "where: 'ZEN_PNT < nan': ZEN_PNT is a numeric "
          "column but 'nan' is not a number" },
        { "|TARGET_TAG| == crab", "where: '|TARGET_TAG| == crab': "
          "TARGET_TAG is a string column; |...| needs a number" },
    };
    fixture_t *f = *state;
    uint8_t keep[N_COND_ROWS];
    const char *reason[N_COND_ROWS];
    table_t t;

    cond_table(&t);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const kv_t kv[] = { { "where", bad[i].where }, { NULL, NULL } };
        make(f, OFFBKG_STAGE_SELECT, "column", kv);
        assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_EDATA);
        plugin_assert_host_error_cleared(bad[i].msg);
        instance_clear(f);
    }
}

static void test_select_column_where_required(void **state)
{
    fixture_t *f = *state;
    const kv_t none[] = { { "n_obs_max", "2" }, { NULL, NULL } };

    configure_fails(f, OFFBKG_STAGE_SELECT, "column", none,
                    "t.ini:1: [select] where: required key is missing");
}

/* ------------------------------------------------------------------ */
/* select/quality                                                      */

#define N_Q_ROWS 9

/* QUALITY, N_TELS, TELLIST and MUONEFF of runs made to fail the cuts of
 * test_select_quality_cuts one by one, and some several. */
static const int64_t q_quality[N_Q_ROWS] = { 0, 1, -1, 0, 0, 0, 0, 2, 0 };
static const int64_t q_n_tels[N_Q_ROWS] = { 4, 4, 4, 2, 3, 4, 4, 2, 3 };
static const char *const q_tellist[N_Q_ROWS] = {
    "1,2,3,4", "1,2,3,4", "1,2,3,4", "1,2", "1,2,3", "1,2,3,4",
    "1,2,3,4", "1,2", " 01, 2 ,4 "
};
static const double q_muoneff[N_Q_ROWS] = {
    0.9, 0.9, 0.9, 0.9, 0.9, 0.5, NAN, 0.1, 0.7
};

static void quality_table(table_t *t)
{
    table_init(t, N_Q_ROWS);
    table_int(t, "OBS_ID", obs_ids);
    table_int(t, "QUALITY", q_quality);
    table_int(t, "N_TELS", q_n_tels);
    table_string(t, "TELLIST", q_tellist);
    table_double(t, "MUONEFF", q_muoneff);
}

/* Each cut drops its runs with its own reason; a run failing several is
 * dropped for the first, in the documented order (QUALITY, N_TELS,
 * TELLIST, MUONEFF, where). */
static void test_select_quality_cuts(void **state)
{
    static const kv_t kv[] = {
        { "max_quality", "0" }, { "min_n_tels", "3" },
        { "telescopes", "1, 4" }, { "min_muon_efficiency", "0.7" },
        { NULL, NULL }
    };
    static const char *const want[N_Q_ROWS] = {
        NULL,
        "QUALITY <= 0 is false",
        "QUALITY is unknown (negative)",
        "N_TELS >= 3 is false",
        "TELLIST lacks one of 1,4",
        "MUONEFF >= 0.7 is false",
        "MUONEFF is missing (NaN)",
        "QUALITY <= 0 is false",
        NULL,           /* " 01, 2 ,4 " has telescopes 1 and 4 */
    };
    fixture_t *f = *state;
    uint8_t keep[N_Q_ROWS];
    const char *reason[N_Q_ROWS];
    table_t t;

    quality_table(&t);
    make(f, OFFBKG_STAGE_SELECT, "quality", kv);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    for (size_t i = 0; i < N_Q_ROWS; i++) {
        assert_int_equal(keep[i], want[i] == NULL);
        assert_reason(reason[i], want[i]);
    }
    /* A looser level keeps QUALITY 1, never the unknown -1. */
    instance_clear(f);
    const kv_t loose[] = { { "max_quality", "1" }, { NULL, NULL } };
    make(f, OFFBKG_STAGE_SELECT, "quality", loose);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[1], 1);
    assert_int_equal(keep[2], 0);
    assert_int_equal(keep[7], 0);
    assert_reason(reason[7], "QUALITY <= 1 is false");
}

/* Without N_TELS, min_n_tels counts TELLIST; where adds any condition. */
static void test_select_quality_tellist_count_and_where(void **state)
{
    static const int64_t zen[] = { 10, 20, 70, 30 };
    static const char *const list[] = { "1,2,3", "1, 2", "", "CT1 CT2 CT3" };
    static const kv_t kv[] = {
        { "min_n_tels", "3" }, { "where", "ZEN_PNT < 60" }, { NULL, NULL }
    };
    fixture_t *f = *state;
    uint8_t keep[4];
    const char *reason[4];
    table_t t;

    table_init(&t, 4);
    table_int(&t, "OBS_ID", obs_ids);
    table_string(&t, "TELLIST", list);
    table_int(&t, "ZEN_PNT", zen);
    make(f, OFFBKG_STAGE_SELECT, "quality", kv);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_int_equal(keep[0], 1);
    assert_reason(reason[1], "TELLIST has fewer than 3 telescopes");
    assert_reason(reason[2], "TELLIST has fewer than 3 telescopes");
    assert_int_equal(keep[3], 1);
    t.cols[1].str = (const char *const[]){ "1,2,3", "1,2,3", "1,2,3",
                                           "1,2,3" };
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_OK);
    assert_reason(reason[2], "ZEN_PNT < 60 is false");
    assert_int_equal(keep[0] + keep[1] + keep[3], 3);
}

static void test_select_quality_bad_config_refused(void **state)
{
    static const struct {
        const char *key, *value, *msg;
    } bad[] = {
        { "where", "ZEN_PNT = 60", "where: item 1 'ZEN_PNT = 60': unknown "
          "operator '=' (did you mean '=='); use one of == != < <= > >=" },
        { "telescopes", "1, 2 3", "telescopes: item 2 '2 3' is not a "
          "telescope (one name or number per item)" },
        /* Nothing to cut is a mistake, not a selector of every run. */
        { "max_quality", "any", "no cut given: set max_quality, "
          "min_n_tels, telescopes, min_muon_efficiency or where" },
    };
    fixture_t *f = *state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const kv_t kv[] = { { bad[i].key, bad[i].value }, { NULL, NULL } };
        make_fails(f, OFFBKG_STAGE_SELECT, "quality", kv, OFFBKG_ECONFIG,
                   bad[i].msg);
    }
    const kv_t neg[] = { { "min_muon_efficiency", "-0.1" }, { NULL, NULL } };
    configure_fails(f, OFFBKG_STAGE_SELECT, "quality", neg,
                    "t.ini:2: [select] min_muon_efficiency: -0.1 is out of "
                    "range (must be >= 0)");
}

/* A column a cut needs that the table lacks, or of the wrong type. */
static void test_select_quality_table_mismatch(void **state)
{
    static const struct {
        const char *key, *value, *msg;
    } bad[] = {
        { "max_quality", "0", "max_quality: the observation table has no "
          "column QUALITY (in 'QUALITY >= 0')" },
        { "min_n_tels", "3", "min_n_tels: TELLIST is not a string column "
          "(expected a list such as '1,2,3,4')" },
        { "telescopes", "1", "telescopes: TELLIST is not a string column "
          "(expected a list such as '1,2,3,4')" },
        { "min_muon_efficiency", "0.5", "min_muon_efficiency: the "
          "observation table has no column MUONEFF (in 'MUONEFF >= 0.5')" },
    };
    static const double tellist_num[] = { 1, 2 };
    fixture_t *f = *state;
    uint8_t keep[2];
    const char *reason[2];
    table_t t;

    table_init(&t, 2);
    table_int(&t, "OBS_ID", obs_ids);
    table_double(&t, "TELLIST", tellist_num);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const kv_t kv[] = { { bad[i].key, bad[i].value }, { NULL, NULL } };
        make(f, OFFBKG_STAGE_SELECT, "quality", kv);
        assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_EDATA);
        plugin_assert_host_error_cleared(bad[i].msg);
        instance_clear(f);
    }
    /* Neither N_TELS nor TELLIST. */
    const kv_t kv[] = { { "min_n_tels", "3" }, { NULL, NULL } };
    t.cols[1].name = "OTHER";
    make(f, OFFBKG_STAGE_SELECT, "quality", kv);
    assert_int_equal(run_select(f, &t, keep, reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("min_n_tels: the observation table has "
                                     "no column TELLIST (nor N_TELS)");
}

/* ------------------------------------------------------------------ */
/* group/bins                                                          */

/* Run assign on @p t into gid/reason, which it must fill for every row. */
static int run_assign(fixture_t *f, const table_t *t, int32_t *gid,
                      const char **reason)
{
    POISON_ROWS(gid, reason, t->obs.n_rows);
    return group_ops(f)->assign(f->inst.state, &t->obs, gid, reason);
}

static void test_group_bins_edges_edge_cases(void **state)
{
    static const double zen[] = { 0, 48.999, 49, 89.999, 90, NAN, -0.001,
                                  1e9 };
    static const int32_t want[] = { 0, 0, 1, 1, -1, -1, -1, -1 };
    static const char *const why[] = {
        NULL, NULL, NULL, NULL, "ZEN_PNT outside every bin",
        "ZEN_PNT is missing (NaN)", "ZEN_PNT outside every bin",
        "ZEN_PNT outside every bin"
    };
    fixture_t *f = *state;
    const kv_t kv[] = { { "axis1_column", "ZEN_PNT" },
                        { "axis1_edges", "0, 49, 90" }, { NULL, NULL } };
    const offbkg_group_def_t *def = NULL;
    int32_t gid[8];
    const char *reason[8];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "bins", kv);
    assert_int_equal(group_ops(f)->define(f->inst.state, &def), OFFBKG_OK);
    assert_non_null(def);
    assert_int_equal(def->n_axes, 1);
    assert_string_equal(def->axes[0].column, "ZEN_PNT");
    assert_int_equal(def->axes[0].kind, OFFBKG_GROUP_AXIS_EDGES);
    assert_int_equal(def->axes[0].n_bins, 2);
    assert_true(def->axes[0].bounds[0] == 0);
    assert_true(def->axes[0].bounds[1] == 49);
    assert_true(def->axes[0].bounds[2] == 90);
    assert_string_equal(def->axes[0].unit, "");

    table_init(&t, 8);
    table_double(&t, "ZEN_PNT", zen);
    assert_int_equal(run_assign(f, &t, gid, reason), OFFBKG_OK);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(gid[i], want[i]);
        assert_reason(reason[i], why[i]);
    }
}

static void test_group_bins_edges_times_values(void **state)
{
    static const double zen[] = { 10, 10, 50, 50, 50, 95, NAN, 48.9 };
    static const int64_t tels[] = { 3, 4, 3, 4, 5, 3, 4, 2 };
    static const int32_t want[] = { 0, 1, 2, 3, -1, -1, -1, -1 };
    static const char *const why[] = {
        NULL, NULL, NULL, NULL, "N_TELS matches no value",
        "ZEN_PNT outside every bin", "ZEN_PNT is missing (NaN)",
        "N_TELS matches no value"
    };
    fixture_t *f = *state;
    const kv_t kv[] = { { "axis1_column", "ZEN_PNT" },
                        { "axis1_edges", "0, 49, 90" },
                        { "axis2_column", "N_TELS" },
                        { "axis2_values", "3, 4" }, { NULL, NULL } };
    const offbkg_group_def_t *def = NULL;
    int32_t gid[8];
    const char *reason[8];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "bins", kv);
    assert_int_equal(group_ops(f)->define(f->inst.state, &def), OFFBKG_OK);
    assert_int_equal(def->n_axes, 2);
    assert_string_equal(def->axes[1].column, "N_TELS");
    assert_int_equal(def->axes[1].kind, OFFBKG_GROUP_AXIS_VALUES);
    assert_int_equal(def->axes[1].n_bins, 2);
    assert_true(def->axes[1].bounds[0] == 3);
    assert_true(def->axes[1].bounds[1] == 4);

    /* GROUP_ID = i_zen * 2 + i_tels: the last axis varies fastest. */
    table_init(&t, 8);
    table_double(&t, "ZEN_PNT", zen);
    table_int(&t, "N_TELS", tels);
    assert_int_equal(run_assign(f, &t, gid, reason), OFFBKG_OK);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(gid[i], want[i]);
        assert_reason(reason[i], why[i]);
    }
}

static void test_group_bins_three_axes_c_order(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = { { "axis1_column", "A" }, { "axis1_values", "2, 1" },
                        { "axis2_column", "B" },
                        { "axis2_values", "10, 20, 30" },
                        { "axis3_column", "C" },
                        { "axis3_edges", "0, 1, 2, 3, 4" },
                        { NULL, NULL } };
    double a[24], b[24], c[24];
    int32_t gid[24];
    const char *reason[24];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "bins", kv);
    /* One row per group, in a scrambled order; values keep the order
     * given (2 is bin 0 of A). */
    for (size_t r = 0; r < 24; r++) {
        size_t g = (r * 7) % 24;
        a[r] = g / 12 == 0 ? 2 : 1;
        b[r] = 10.0 * (double)((g / 4) % 3 + 1);
        c[r] = (double)(g % 4) + 0.5;
    }
    table_init(&t, 24);
    table_double(&t, "A", a);
    table_double(&t, "B", b);
    table_double(&t, "C", c);
    assert_int_equal(run_assign(f, &t, gid, reason), OFFBKG_OK);
    for (size_t r = 0; r < 24; r++) {
        assert_int_equal(gid[r], (int32_t)((r * 7) % 24));
        assert_null(reason[r]);
    }
}

static void test_group_bins_pure_function_of_row(void **state)
{
    static const double zen[] = { 10, 50, 95, 30, 49 };
    static const double zen_rev[] = { 49, 30, 95, 50, 10 };
    fixture_t *f = *state;
    const kv_t kv[] = { { "axis1_column", "ZEN_PNT" },
                        { "axis1_edges", "0, 20, 40, 60" }, { NULL, NULL } };
    int32_t gid[5], gid_rev[5];
    const char *reason[5];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "bins", kv);
    table_init(&t, 5);
    table_double(&t, "ZEN_PNT", zen);
    assert_int_equal(run_assign(f, &t, gid, reason), OFFBKG_OK);
    table_init(&t, 5);
    table_double(&t, "ZEN_PNT", zen_rev);
    assert_int_equal(run_assign(f, &t, gid_rev, reason), OFFBKG_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(gid[i], gid_rev[4 - i]);
    assert_int_equal(gid[0], 0);
    assert_int_equal(gid[2], -1);
    assert_int_equal(gid[4], 2);
}

static void test_group_bins_bad_axes_refused(void **state)
{
    fixture_t *f = *state;
    const kv_t gap[] = { { "axis1_column", "ZEN_PNT" },
                         { "axis1_edges", "0, 49, 90" },
                         { "axis3_column", "N_TELS" },
                         { "axis3_values", "3, 4" }, { NULL, NULL } };
    const kv_t both[] = { { "axis1_column", "ZEN_PNT" },
                          { "axis1_edges", "0, 49, 90" },
                          { "axis1_values", "10, 20" }, { NULL, NULL } };
    const kv_t neither[] = { { "axis1_column", "ZEN_PNT" }, { NULL, NULL } };
    const kv_t no_bins[] = { { "axis1_column", "ZEN_PNT" },
                             { "axis1_edges", "0, 90" },
                             { "axis2_column", "N_TELS" }, { NULL, NULL } };
    const kv_t no_column[] = { { "axis1_column", "ZEN_PNT" },
                               { "axis1_edges", "0, 90" },
                               { "axis2_values", "3, 4" }, { NULL, NULL } };
    const kv_t repeat[] = { { "axis1_column", "N_TELS" },
                            { "axis1_values", "3, 4, 5, 4" },
                            { NULL, NULL } };
    const kv_t twice[] = { { "axis1_column", "ZEN_PNT" },
                           { "axis1_edges", "0, 90" },
                           { "axis2_column", "zen_pnt" },
                           { "axis2_values", "3, 4" }, { NULL, NULL } };

    make_fails(f, OFFBKG_STAGE_GROUP, "bins", gap, OFFBKG_ECONFIG,
               "axis3 is given without axis2: axes must be numbered from 1 "
               "without gaps");
    make_fails(f, OFFBKG_STAGE_GROUP, "bins", both, OFFBKG_ECONFIG,
               "axis1_edges and axis1_values are both given; an axis has "
               "one or the other");
    make_fails(f, OFFBKG_STAGE_GROUP, "bins", neither, OFFBKG_ECONFIG,
               "axis1_column ZEN_PNT needs axis1_edges or axis1_values");
    make_fails(f, OFFBKG_STAGE_GROUP, "bins", no_bins, OFFBKG_ECONFIG,
               "axis2_column N_TELS needs axis2_edges or axis2_values");
    make_fails(f, OFFBKG_STAGE_GROUP, "bins", no_column, OFFBKG_ECONFIG,
               "axis2_values needs axis2_column");
    make_fails(f, OFFBKG_STAGE_GROUP, "bins", repeat, OFFBKG_ECONFIG,
               "axis1_values: 4 is given more than once");
    make_fails(f, OFFBKG_STAGE_GROUP, "bins", twice, OFFBKG_ECONFIG,
               "axis2_column zen_pnt is already axis1_column");
}

static void test_group_bins_tables_check_values(void **state)
{
    fixture_t *f = *state;
    const kv_t missing[] = { { "axis1_edges", "0, 90" }, { NULL, NULL } };
    const kv_t down[] = { { "axis1_column", "ZEN_PNT" },
                          { "axis1_edges", "0, 49, 49" }, { NULL, NULL } };
    const kv_t one[] = { { "axis1_column", "ZEN_PNT" },
                         { "axis1_edges", "49" }, { NULL, NULL } };

    configure_fails(f, OFFBKG_STAGE_GROUP, "bins", missing,
                    "t.ini:1: [group] axis1_column: required key is "
                    "missing");
    configure_fails(f, OFFBKG_STAGE_GROUP, "bins", down,
                    "t.ini:3: [group] axis1_edges: items must be strictly "
                    "increasing (item 3, 49, follows 49)");
    configure_fails(f, OFFBKG_STAGE_GROUP, "bins", one,
                    "t.ini:3: [group] axis1_edges: expected at least 2 "
                    "items, got 1");
}

static void test_group_bins_missing_or_string_column(void **state)
{
    static const double zen[] = { 10, 60 };
    static const char *const tels[] = { "3", "4" };
    fixture_t *f = *state;
    const kv_t kv[] = { { "axis1_column", "ZEN_PNT" },
                        { "axis1_edges", "0, 49, 90" },
                        { "axis2_column", "N_TELS" },
                        { "axis2_values", "3, 4" }, { NULL, NULL } };
    int32_t gid[2];
    const char *reason[2];
    table_t t;

    make(f, OFFBKG_STAGE_GROUP, "bins", kv);
    table_init(&t, 2);
    table_double(&t, "ZEN_PNT", zen);
    assert_int_equal(run_assign(f, &t, gid, reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("the observation table has no numeric N_TELS column "
                      "(axis 2)");
    table_string(&t, "N_TELS", tels);
    assert_int_equal(run_assign(f, &t, gid, reason), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("the observation table has no numeric N_TELS column "
                      "(axis 2)");
}

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_selgroup_plugins_load),
        FIXTURE_TEST(test_select_list_keeps_listed_ids),
        FIXTURE_TEST(test_select_list_tolerates_layout),
        FIXTURE_TEST(test_select_list_duplicates_counted_once),
        FIXTURE_TEST(test_select_list_missing_ids_warned),
        FIXTURE_TEST(test_select_list_n_obs_max),
        FIXTURE_TEST(test_select_list_bad_header),
        FIXTURE_TEST(test_select_list_not_an_integer),
        FIXTURE_TEST(test_select_list_empty_lists),
        FIXTURE_TEST(test_select_list_path_problems),
        FIXTURE_TEST(test_select_list_needs_obs_id),
        FIXTURE_TEST(test_select_column_int_operators),
        FIXTURE_TEST(test_select_column_double_operators_and_nan),
        FIXTURE_TEST(test_select_column_absolute_value),
        FIXTURE_TEST(test_select_column_strings),
        FIXTURE_TEST(test_select_column_no_match_lists_values),
        FIXTURE_TEST(test_select_column_and_first_failing),
        FIXTURE_TEST(test_select_column_exact_integers),
        FIXTURE_TEST(test_select_column_n_obs_max),
        FIXTURE_TEST(test_select_quality_cuts),
        FIXTURE_TEST(test_select_quality_tellist_count_and_where),
        FIXTURE_TEST(test_select_quality_bad_config_refused),
        FIXTURE_TEST(test_select_quality_table_mismatch),
        FIXTURE_TEST(test_select_column_bad_conditions_refused),
        FIXTURE_TEST(test_select_column_table_mismatch),
        FIXTURE_TEST(test_select_column_where_required),
        FIXTURE_TEST(test_group_bins_edges_edge_cases),
        FIXTURE_TEST(test_group_bins_edges_times_values),
        FIXTURE_TEST(test_group_bins_three_axes_c_order),
        FIXTURE_TEST(test_group_bins_pure_function_of_row),
        FIXTURE_TEST(test_group_bins_bad_axes_refused),
        FIXTURE_TEST(test_group_bins_tables_check_values),
        FIXTURE_TEST(test_group_bins_missing_or_string_column),
    };

    if (plugin_path_unset())
        return 0;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
