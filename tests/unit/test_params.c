/* SPDX-License-Identifier: BSD-3-Clause
 * Parameter tables: checking a table, filling a config struct from a
 * section (every type, every refusal and its exact message), formatting
 * values back, range texts, path resolution and the closest-match hint.
 * The sections are built by hand, so no file is read. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag-private.h"
#include "ini-private.h"
#include "params-private.h"
#include "path-private.h"
#include "inisec.h"

/* A config struct with one field of every parameter type. */
typedef struct test_config {
    bool flag;
    int64_t count;
    double width_deg;
    const char *label;
    const char *table;
    int shape;
    offbkg_double_list_t edges_tev;
    offbkg_string_list_t tags;
    double angle_deg;
} test_config_t;

static const char *const shapes[] = { "flat", "gauss", "power", NULL };

static const offbkg_param_t test_params[] = {
    { .name = "flag", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(test_config_t, flag), .default_value = "false",
      .help = "a bool" },
    { .name = "count", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(test_config_t, count), .default_value = "3",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX, .min = 1,
      .max = 10, .help = "an int in 1 .. 10" },
    { .name = "width_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(test_config_t, width_deg), .default_value = "0.5",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX,
      .min = 0, .max = 90, .unit = "deg", .help = "a double in (0, 90]" },
    { .name = "label", .type = OFFBKG_PARAM_STRING,
      .offset = offsetof(test_config_t, label), .default_value = "none",
      .help = "a string" },
    { .name = "table", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(test_config_t, table), .help = "a path" },
    { .name = "shape", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(test_config_t, shape), .default_value = "gauss",
      .choices = shapes, .help = "an enum" },
    { .name = "edges_tev", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(test_config_t, edges_tev),
      .default_value = "0.1, 1, 100",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX | OFFBKG_PARAM_INCREASING,
      .min = 0, .max = 1000, .min_items = 2, .unit = "TeV",
      .help = "increasing doubles in (0, 1000]" },
    { .name = "tags", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(test_config_t, tags), .max_items = 3,
      .help = "at most three strings" },
    { .name = "angle_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(test_config_t, angle_deg),
      .flags = OFFBKG_PARAM_HAS_MAX | OFFBKG_PARAM_MAX_OPEN, .max = 90,
      .help = "a double below 90, no default" },
    { 0 }
};

/* One key of a hand-built section. */
typedef struct kv {
    const char *key;
    const char *value;
    int line;
    int cont_line;
} kv_t;

/* What a test fills and what teardown frees, even after a failure. */
typedef struct fixture {
    const offbkg_param_t *table;
    size_t config_size;
    offbkg_ini_section_t *sec;
    offbkg_diags_t diags;
    void *config;
} fixture_t;

/* Section [test] (header on line 1) of file t.ini in /base, holding the
 * pairs of @p kv up to the one whose key is NULL. */
static offbkg_ini_section_t *section_new(const kv_t *kv)
{
    offbkg_ini_section_t *s;
    size_t n = 0;

    while (kv != NULL && kv[n].key != NULL)
        n++;
    s = inisec_new("test", n);
    for (size_t i = 0; i < n; i++)
        inisec_set(s, i, kv[i].key, kv[i].value, kv[i].line)->cont_line =
            kv[i].cont_line;
    return s;
}

/* Forget the previous fill of this test. */
static void reset(fixture_t *f)
{
    offbkg_params_free(f->table, f->config);
    f->config = NULL;
    inisec_free(f->sec);
    f->sec = NULL;
    offbkg_diag_clear(&f->diags);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    f->table = test_params;
    f->config_size = sizeof(test_config_t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    reset(f);
    free(f);
    return 0;
}

/* Fill f->table from the pairs (NULL: no section at all), with
 * "plugin" as the only host key. */
static int fill(fixture_t *f, const kv_t *kv)
{
    static const char *const host_keys[] = { "plugin", NULL };

    reset(f);
    if (kv != NULL)
        f->sec = section_new(kv);
    return offbkg_params_fill(f->table, f->config_size, f->sec, "test",
                              "t.ini", 1, "/cfg", host_keys, &f->diags,
                              &f->config);
}

/* Fill one key; on line 2 unless said otherwise. */
static int fill_one(fixture_t *f, const char *key, const char *value)
{
    const kv_t kv[] = { { key, value, 2, 0 }, { NULL, NULL, 0, 0 } };
    return fill(f, kv);
}

/* Diagnostic @p i, formatted, must be @p want. */
static void assert_diag(const offbkg_diags_t *d, size_t i, const char *want)
{
    char buf[1024];
    char *got;

    assert_true(i < d->n);
    got = offbkg_diag_format(&d->items[i]);
    assert_non_null(got);
    snprintf(buf, sizeof buf, "%s", got);
    free(got);
    assert_string_equal(buf, want);
}

/* Filling key = value must fail with exactly one diagnostic, on line 2,
 * whose message is the printf-style @p fmt. The config is still made
 * (with the default in place of the bad value), so checking can go on. */
static void expect_refused(fixture_t *f, const char *key, const char *value,
                           const char *fmt, ...) OFFBKG_PRINTF(4, 5);
static void expect_refused(fixture_t *f, const char *key, const char *value,
                           const char *fmt, ...)
{
    char msg[512], want[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(want, sizeof want, "t.ini:2: [test] %s: %s", key, msg);
    assert_int_equal(fill_one(f, key, value), OFFBKG_ECONFIG);
    assert_non_null(f->config);
    assert_int_equal(f->diags.n, 1);
    assert_diag(&f->diags, 0, want);
}

static const test_config_t *cfg(const fixture_t *f)
{
    assert_non_null(f->config);
    return f->config;
}

/* ------------------------------------------------------------------ */
/* Good values                                                         */

static void test_params_fill_every_type_good(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = {
        { "flag", "true", 2, 0 },
        { "count", "10", 3, 0 },
        { "width_deg", "1e-3", 4, 0 },
        { "label", "hello world", 5, 0 },
        { "table", "data/t.fits", 6, 0 },
        { "shape", "power", 7, 0 },
        { "edges_tev", "0.1,1 ,  10", 8, 0 },
        { "tags", "a, b ,c", 9, 0 },
        { "angle_deg", "-1e6", 10, 0 },
        { NULL, NULL, 0, 0 }
    };
    const test_config_t *c;

    assert_int_equal(fill(f, kv), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    c = cfg(f);
    assert_true(c->flag);
    assert_int_equal(c->count, 10);
    assert_true(c->width_deg == 1e-3);
    assert_string_equal(c->label, "hello world");
    assert_string_equal(c->table, "/base/data/t.fits");
    assert_int_equal(c->shape, 2);
    assert_int_equal(c->edges_tev.n, 3);
    assert_true(c->edges_tev.v[0] == 0.1);
    assert_true(c->edges_tev.v[1] == 1.0);
    assert_true(c->edges_tev.v[2] == 10.0);
    assert_int_equal(c->tags.n, 3);
    assert_string_equal(c->tags.v[0], "a");
    assert_string_equal(c->tags.v[1], "b");
    assert_string_equal(c->tags.v[2], "c");
    assert_true(c->angle_deg == -1e6);
    /* Every key was consumed, so none can be reported as unknown. */
    for (size_t i = 0; i < f->sec->n; i++)
        assert_int_equal(f->sec->entries[i].used, 1);
}

static void test_params_fill_range_bounds_accepted(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = {
        { "count", "1", 2, 0 },
        { "width_deg", "90", 3, 0 },
        { "edges_tev", "1e-300, 1000", 4, 0 },
        { "angle_deg", "89.999", 5, 0 },
        { NULL, NULL, 0, 0 }
    };

    assert_int_equal(fill(f, kv), OFFBKG_OK);
    assert_int_equal(cfg(f)->count, 1);
    assert_true(cfg(f)->width_deg == 90);
    assert_true(cfg(f)->edges_tev.v[0] == 1e-300);
    assert_true(cfg(f)->edges_tev.v[1] == 1000);
    assert_int_equal(fill_one(f, "count", "10"), OFFBKG_OK);
    assert_int_equal(cfg(f)->count, 10);
    assert_int_equal(fill_one(f, "flag", "false"), OFFBKG_OK);
    assert_false(cfg(f)->flag);
}

static void test_params_fill_defaults_when_absent(void **state)
{
    fixture_t *f = *state;
    const kv_t none[] = { { NULL, NULL, 0, 0 } };

    /* An empty section and no section at all give the same defaults. */
    for (int pass = 0; pass < 2; pass++) {
        const test_config_t *c;
        assert_int_equal(fill(f, pass == 0 ? none : NULL), OFFBKG_OK);
        assert_int_equal(f->diags.n, 0);
        c = cfg(f);
        assert_false(c->flag);
        assert_int_equal(c->count, 3);
        assert_true(c->width_deg == 0.5);
        assert_string_equal(c->label, "none");
        assert_non_null(c->table);
        assert_string_equal(c->table, "");
        assert_int_equal(c->shape, 1);
        assert_int_equal(c->edges_tev.n, 3);
        assert_true(c->edges_tev.v[0] == 0.1);
        assert_true(c->edges_tev.v[2] == 100);
        assert_int_equal(c->tags.n, 0);
        assert_true(c->angle_deg == 0);
    }
}

/* ------------------------------------------------------------------ */
/* Refusals, one type at a time                                        */

static void test_params_fill_bool_only_true_false(void **state)
{
    static const char *const bad[] = { "yes", "1", "True", "TRUE", "on",
                                       "", "false ", NULL };
    fixture_t *f = *state;

    for (size_t i = 0; bad[i] != NULL; i++)
        expect_refused(f, "flag", bad[i], "expected true or false, got '%s'",
                       bad[i]);
}

static void test_params_fill_int_not_integer(void **state)
{
    static const char *const bad[] = { "3.5", "abc", "", "4x", "0x10",
                                       "1e3", NULL };
    fixture_t *f = *state;

    for (size_t i = 0; bad[i] != NULL; i++)
        expect_refused(f, "count", bad[i], "expected an integer, got '%s'",
                       bad[i]);
}

static void test_params_fill_int_overflow(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "count", "9223372036854775808",
                   "expected an integer, got '9223372036854775808'");
    expect_refused(f, "count", "-9223372036854775809",
                   "expected an integer, got '-9223372036854775809'");
}

static void test_params_fill_int_out_of_range(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "count", "0",
                   "0 is out of range (must be >= 1 and <= 10)");
    expect_refused(f, "count", "11",
                   "11 is out of range (must be >= 1 and <= 10)");
    expect_refused(f, "count", "-3",
                   "-3 is out of range (must be >= 1 and <= 10)");
}

static void test_params_fill_double_not_finite(void **state)
{
    static const char *const bad[] = { "nan", "NaN", "inf", "-inf",
                                       "infinity", "1e999", NULL };
    fixture_t *f = *state;

    for (size_t i = 0; bad[i] != NULL; i++)
        expect_refused(f, "width_deg", bad[i], "'%s' is not a finite number",
                       bad[i]);
}

static void test_params_fill_double_garbage(void **state)
{
    static const char *const bad[] = { "abc", "1.5deg", "", "1,5", "--1",
                                       NULL };
    fixture_t *f = *state;

    for (size_t i = 0; bad[i] != NULL; i++)
        expect_refused(f, "width_deg", bad[i], "expected a number, got '%s'",
                       bad[i]);
}

static void test_params_fill_double_out_of_range(void **state)
{
    fixture_t *f = *state;

    /* min 0 is exclusive: 0 itself is refused, anything above it not. */
    expect_refused(f, "width_deg", "0",
                   "0 is out of range (must be > 0 and <= 90)");
    expect_refused(f, "width_deg", "-0.5",
                   "-0.5 is out of range (must be > 0 and <= 90)");
    expect_refused(f, "width_deg", "90.5",
                   "90.5 is out of range (must be > 0 and <= 90)");
    /* max 90 is exclusive for angle_deg. */
    expect_refused(f, "angle_deg", "90", "90 is out of range (must be < 90)");
    assert_int_equal(fill_one(f, "width_deg", "1e-300"), OFFBKG_OK);
    assert_true(cfg(f)->width_deg == 1e-300);
}

static void test_params_fill_enum_bad_word(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "shape", "box",
                   "'box' is not one of flat, gauss, power");
    expect_refused(f, "shape", "Gauss",
                   "'Gauss' is not one of flat, gauss, power");
    expect_refused(f, "shape", "", "'' is not one of flat, gauss, power");
    assert_int_equal(fill_one(f, "shape", "flat"), OFFBKG_OK);
    assert_int_equal(cfg(f)->shape, 0);
}

static void test_params_fill_double_list_empty_item(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "edges_tev", "1, , 3",
                   "empty item 2 in list '1, , 3'");
    expect_refused(f, "edges_tev", "1, 2,", "empty item 3 in list '1, 2,'");
    expect_refused(f, "edges_tev", ",1, 2", "empty item 1 in list ',1, 2'");
    expect_refused(f, "tags", "a,,b", "empty item 2 in list 'a,,b'");
}

static void test_params_fill_double_list_not_increasing(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "edges_tev", "1, 1, 2",
                   "items must be strictly increasing (item 2, 1, follows "
                   "1)");
    expect_refused(f, "edges_tev", "1, 10, 5",
                   "items must be strictly increasing (item 3, 5, follows "
                   "10)");
}

static void test_params_fill_double_list_too_few(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "edges_tev", "5", "expected at least 2 items, got 1");
    expect_refused(f, "edges_tev", "", "expected at least 2 items, got 0");
}

static void test_params_fill_double_list_item_out_of_range(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "edges_tev", "1, 0, 5",
                   "item 2: 0 is out of range (must be > 0 and <= 1000)");
    expect_refused(f, "edges_tev", "1, 2, 3, 2000",
                   "item 4: 2000 is out of range (must be > 0 and <= 1000)");
    expect_refused(f, "edges_tev", "1, x",
                   "item 2: expected a number, got 'x'");
    expect_refused(f, "edges_tev", "nan, 1",
                   "item 1: 'nan' is not a finite number");
}

static void test_params_fill_string_list_max_items(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "tags", "a, b, c, d", "expected 0 to 3 items, got 4");
    assert_int_equal(fill_one(f, "tags", ""), OFFBKG_OK);
    assert_int_equal(cfg(f)->tags.n, 0);
    assert_int_equal(fill_one(f, "tags", "x y, z"), OFFBKG_OK);
    assert_int_equal(cfg(f)->tags.n, 2);
    assert_string_equal(cfg(f)->tags.v[0], "x y");
    assert_string_equal(cfg(f)->tags.v[1], "z");
}

typedef struct required_config {
    int64_t needed;
    const char *where;
} required_config_t;

static void test_params_fill_required_key_missing(void **state)
{
    static const offbkg_param_t required[] = {
        { .name = "needed", .type = OFFBKG_PARAM_INT,
          .offset = offsetof(required_config_t, needed),
          .flags = OFFBKG_PARAM_REQUIRED, .help = "must be given" },
        { .name = "where", .type = OFFBKG_PARAM_PATH,
          .offset = offsetof(required_config_t, where),
          .flags = OFFBKG_PARAM_REQUIRED, .help = "must be given" },
        { 0 }
    };
    fixture_t *f = *state;
    const kv_t other[] = { { "plugin", "x", 4, 0 }, { NULL, NULL, 0, 0 } };
    const kv_t both[] = { { "needed", "42", 2, 0 }, { "where", "w", 3, 0 },
                          { NULL, NULL, 0, 0 } };
    const required_config_t *c;

    f->table = required;
    f->config_size = sizeof(required_config_t);
    /* Reported at the section header's line (1), not at a key's. */
    assert_int_equal(fill(f, other), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 2);
    assert_diag(&f->diags, 0, "t.ini:1: [test] needed: required key is "
                "missing");
    assert_diag(&f->diags, 1, "t.ini:1: [test] where: required key is "
                "missing");
    /* The config is still usable: zero, and "" rather than NULL. */
    c = f->config;
    assert_non_null(c);
    assert_int_equal(c->needed, 0);
    assert_non_null(c->where);
    assert_string_equal(c->where, "");
    assert_int_equal(fill(f, both), OFFBKG_OK);
    c = f->config;
    assert_int_equal(c->needed, 42);
    assert_string_equal(c->where, "/base/w");
}

static void test_params_fill_unknown_key_hint(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "widht_deg", "1",
                   "unknown key (did you mean 'width_deg'?)");
    /* Keys are case-sensitive, but the hint is not. */
    expect_refused(f, "COUNT", "1", "unknown key (did you mean 'count'?)");
    /* Host keys are candidates too. */
    expect_refused(f, "plugn", "x", "unknown key (did you mean 'plugin'?)");
}

static void test_params_fill_unknown_key_no_hint(void **state)
{
    fixture_t *f = *state;

    expect_refused(f, "verbosity", "1", "unknown key");
    expect_refused(f, "zzz", "1", "unknown key");
}

static void test_params_fill_host_key_not_reported(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(fill_one(f, "plugin", "anything"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
}

static void test_params_fill_reports_every_problem(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = {
        { "flag", "maybe", 2, 0 },
        { "count", "0", 3, 0 },
        { "shape", "box", 4, 0 },
        { "typo_key", "1", 5, 0 },
        { "label", "fine", 6, 0 },
        { NULL, NULL, 0, 0 }
    };

    assert_int_equal(fill(f, kv), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 4);
    assert_diag(&f->diags, 0, "t.ini:2: [test] flag: expected true or "
                "false, got 'maybe'");
    assert_diag(&f->diags, 1, "t.ini:3: [test] count: 0 is out of range "
                "(must be >= 1 and <= 10)");
    assert_diag(&f->diags, 2, "t.ini:4: [test] shape: 'box' is not one of "
                "flat, gauss, power");
    assert_diag(&f->diags, 3, "t.ini:5: [test] typo_key: unknown key");
}

static void test_params_fill_bad_value_falls_back_to_default(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = {
        { "flag", "maybe", 2, 0 },
        { "count", "0", 3, 0 },
        { "width_deg", "nan", 4, 0 },
        { "shape", "box", 5, 0 },
        { "edges_tev", "3, 2", 6, 0 },
        { "tags", "a, b, c, d", 7, 0 },
        { "angle_deg", "95", 8, 0 },
        { "label", "kept", 9, 0 },
        { NULL, NULL, 0, 0 }
    };
    const test_config_t *c;

    assert_int_equal(fill(f, kv), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 7);
    c = cfg(f);
    assert_false(c->flag);
    assert_int_equal(c->count, 3);
    assert_true(c->width_deg == 0.5);
    assert_int_equal(c->shape, 1);
    assert_int_equal(c->edges_tev.n, 3);
    assert_true(c->edges_tev.v[2] == 100);
    assert_int_equal(c->tags.n, 0);
    assert_true(c->angle_deg == 0);
    assert_string_equal(c->label, "kept");
}

static void test_params_fill_scalar_continuation_refused(void **state)
{
    fixture_t *f = *state;
    const kv_t scalar[] = { { "count", "3, 4", 2, 3 },
                            { NULL, NULL, 0, 0 } };
    const kv_t list[] = { { "edges_tev", "1, 2, 3", 2, 3 },
                          { NULL, NULL, 0, 0 } };

    const kv_t text[] = { { "label", "a, b", 2, 4 },
                          { NULL, NULL, 0, 0 } };

    /* Reported at the continuation line, where the mistake is. */
    assert_int_equal(fill(f, scalar), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    assert_diag(&f->diags, 0, "t.ini:3: [test] count: a single int cannot "
                "continue on an indented line");
    assert_int_equal(cfg(f)->count, 3);
    assert_int_equal(fill(f, text), OFFBKG_ECONFIG);
    assert_diag(&f->diags, 0, "t.ini:4: [test] label: a single string "
                "cannot continue on an indented line");
    assert_string_equal(cfg(f)->label, "none");
    assert_int_equal(fill(f, list), OFFBKG_OK);
    assert_int_equal(cfg(f)->edges_tev.n, 3);
}

/* ------------------------------------------------------------------ */
/* Paths                                                               */

static void test_params_fill_path_resolved(void **state)
{
    static const offbkg_param_t with_default[] = {
        { .name = "file", .type = OFFBKG_PARAM_PATH, .offset = 0,
          .default_value = "def.csv", .help = "a path with a default" },
        { 0 }
    };
    fixture_t *f = *state;

    /* Relative to the entry's base directory. */
    assert_int_equal(fill_one(f, "table", "data/t.fits"), OFFBKG_OK);
    assert_string_equal(cfg(f)->table, "/base/data/t.fits");
    assert_int_equal(fill_one(f, "table", "/abs/t.fits"), OFFBKG_OK);
    assert_string_equal(cfg(f)->table, "/abs/t.fits");
    assert_int_equal(fill_one(f, "table", ""), OFFBKG_OK);
    assert_string_equal(cfg(f)->table, "");
    /* A default is relative to the base directory given to fill. */
    reset(f);
    f->table = with_default;
    f->config_size = sizeof(char *);
    assert_int_equal(fill(f, NULL), OFFBKG_OK);
    assert_string_equal(*(char *const *)f->config, "/cfg/def.csv");
}

static void test_params_path_resolve(void **state)
{
    static const struct {
        const char *base, *path, *want;
    } cases[] = {
        { "/a/b", "c", "/a/b/c" },
        { "/a/b", "c/d.fits", "/a/b/c/d.fits" },
        { "/a/b", "/x/y", "/x/y" },
        { "/a/b", "", "" },
        { NULL, "rel", "rel" },
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = offbkg_path_resolve(cases[i].base, cases[i].path);
        char buf[256];
        assert_non_null(got);
        snprintf(buf, sizeof buf, "%s", got);
        free(got);
        assert_string_equal(buf, cases[i].want);
    }
}

/* ------------------------------------------------------------------ */
/* Formatting and range texts                                          */

/* offbkg_params_format of parameter @p name must be @p want. */
static void assert_format(const test_config_t *c, const char *name,
                          const char *want)
{
    const offbkg_param_t *p = test_params;
    char buf[512];
    char *got;

    while (p->name != NULL && strcmp(p->name, name) != 0)
        p++;
    assert_non_null(p->name);
    got = offbkg_params_format(p, c);
    assert_non_null(got);
    snprintf(buf, sizeof buf, "%s", got);
    free(got);
    assert_string_equal(buf, want);
}

static void test_params_format_every_type(void **state)
{
    static const double edges[] = { 0.1, 1, 100 };
    static const char *const tags[] = { "a", "b c" };
    test_config_t c = {
        .flag = true, .count = -7, .width_deg = 2.5, .label = "x y",
        .table = "/p/q", .shape = 2,
        .edges_tev = { .n = 3, .v = edges },
        .tags = { .n = 2, .v = tags },
    };
    (void)state;

    assert_format(&c, "flag", "true");
    assert_format(&c, "count", "-7");
    assert_format(&c, "width_deg", "2.5");
    assert_format(&c, "label", "x y");
    assert_format(&c, "table", "/p/q");
    assert_format(&c, "shape", "power");
    assert_format(&c, "edges_tev", "0.1, 1, 100");
    assert_format(&c, "tags", "a, b c");
    c.flag = false;
    c.edges_tev.n = 0;
    c.tags.n = 0;
    assert_format(&c, "flag", "false");
    assert_format(&c, "edges_tev", "");
    assert_format(&c, "tags", "");
}

static void test_params_format_doubles_round_trip(void **state)
{
    static const double values[] = {
        0.1, 1e-300, 1.0 / 3, 0.1 + 0.2, 5e-324, 1.7976931348623157e308,
        -2.5, 1e22, 123456789.123, 49, 0.30000000000000004, -0.0
    };
    const offbkg_param_t *p = &test_params[2];
    test_config_t c = { 0 };
    (void)state;

    assert_string_equal(p->name, "width_deg");
    /* Short where possible... */
    c.width_deg = 0.1;
    assert_format(&c, "width_deg", "0.1");
    c.width_deg = 1e-300;
    assert_format(&c, "width_deg", "1e-300");
    c.width_deg = 5;
    assert_format(&c, "width_deg", "5");
    c.width_deg = 0.1 + 0.2;
    assert_format(&c, "width_deg", "0.30000000000000004");
    /* ...and always exact. */
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *text;
        double back;
        c.width_deg = values[i];
        text = offbkg_params_format(p, &c);
        assert_non_null(text);
        back = strtod(text, NULL);
        free(text);
        assert_memory_equal(&back, &values[i], sizeof back);
    }
}

static void test_params_format_parsed_value_round_trips(void **state)
{
    fixture_t *f = *state;
    char *text;

    assert_int_equal(fill_one(f, "edges_tev", "0.1, 0.30000000000000004, "
                              "1e-300"), OFFBKG_ECONFIG);
    assert_int_equal(fill_one(f, "edges_tev", "1e-300, 0.1, "
                              "0.30000000000000004"), OFFBKG_OK);
    text = offbkg_params_format(&test_params[6], f->config);
    assert_non_null(text);
    assert_string_equal(text, "1e-300, 0.1, 0.30000000000000004");
    free(text);
}

/* offbkg_params_range_text of @p p must be @p want. */
static void assert_range(const offbkg_param_t *p, const char *want)
{
    char buf[256];
    memset(buf, 'x', sizeof buf);
    offbkg_params_range_text(p, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_params_range_text(void **state)
{
    const offbkg_param_t min_only = {
        .name = "m", .type = OFFBKG_PARAM_INT,
        .flags = OFFBKG_PARAM_HAS_MIN, .min = 0
    };
    const offbkg_param_t fractions = {
        .name = "r", .type = OFFBKG_PARAM_DOUBLE,
        .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX
                 | OFFBKG_PARAM_MIN_OPEN | OFFBKG_PARAM_MAX_OPEN,
        .min = -0.25, .max = 0.1
    };
    (void)state;

    assert_range(&test_params[1], ">= 1 and <= 10");
    assert_range(&test_params[2], "> 0 and <= 90");
    assert_range(&test_params[3], "");
    assert_range(&test_params[5], "one of flat, gauss, power");
    assert_range(&test_params[8], "< 90");
    assert_range(&min_only, ">= 0");
    assert_range(&fractions, "> -0.25 and < 0.1");
}

static void test_params_type_names(void **state)
{
    (void)state;
    assert_string_equal(offbkg_params_type_name(OFFBKG_PARAM_BOOL), "bool");
    assert_string_equal(offbkg_params_type_name(OFFBKG_PARAM_PATH), "path");
    assert_string_equal(offbkg_params_type_name(OFFBKG_PARAM_DOUBLE_LIST),
                        "list of doubles");
    assert_string_equal(offbkg_params_type_name(OFFBKG_PARAM_STRING_LIST),
                        "list of strings");
    assert_string_equal(offbkg_params_type_name((offbkg_param_type_t)99),
                        "unknown");
}

/* ------------------------------------------------------------------ */
/* Closest match                                                       */

static void test_params_closest_match(void **state)
{
    static const char *const words[] = { "width_deg", "count", "shape",
                                         NULL };
    static const char *const none[] = { NULL };
    (void)state;

    assert_string_equal(offbkg_diag_closest_match("widht_deg", words,
                                                  (size_t)-1), "width_deg");
    assert_string_equal(offbkg_diag_closest_match("COUNT", words, (size_t)-1),
                        "count");
    assert_string_equal(offbkg_diag_closest_match("shap", words, 3), "shape");
    /* n limits the candidates even before the NULL. */
    assert_null(offbkg_diag_closest_match("shap", words, 2));
    assert_null(offbkg_diag_closest_match("verbosity", words, (size_t)-1));
    assert_null(offbkg_diag_closest_match("anything", none, (size_t)-1));
    /* A word that only lacks or adds a tail (a unit suffix). */
    assert_string_equal(offbkg_diag_closest_match("width", words, (size_t)-1),
                        "width_deg");
    assert_string_equal(offbkg_diag_closest_match("count_max", words,
                                                  (size_t)-1), "count");
    /* ...but not a stub much shorter than the candidate. */
    assert_null(offbkg_diag_closest_match("wi", words, (size_t)-1));
}

/* ------------------------------------------------------------------ */
/* Checking tables                                                     */

typedef struct one_double {
    double x;
} one_double_t;

/* The check of @p table must refuse it with exactly @p want. */
static void expect_bad_table(const offbkg_param_t *table, size_t size,
                             const char *want)
{
    char why[512] = "";
    assert_int_equal(offbkg_params_check_table(table, size, why, sizeof why),
                     OFFBKG_EPLUGIN);
    assert_string_equal(why, want);
}

static void test_params_check_table_accepts_good(void **state)
{
    char why[256] = "untouched";
    (void)state;

    assert_int_equal(offbkg_params_check_table(test_params,
                                               sizeof(test_config_t), why,
                                               sizeof why), OFFBKG_OK);
    assert_string_equal(why, "untouched");
    assert_int_equal(offbkg_params_check_table(NULL, 0, why, sizeof why),
                     OFFBKG_OK);
}

static void test_params_check_table_duplicate_name(void **state)
{
    static const offbkg_param_t t[] = {
        { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = 0 },
        { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = 0 },
        { 0 }
    };
    (void)state;
    expect_bad_table(t, sizeof(one_double_t),
                     "parameter 'x' declared twice");
}

static void test_params_check_table_bad_name(void **state)
{
    static const char *const bad[] = { "Width", "min-glat", "a b", "",
                                       "x.y", NULL };
    (void)state;

    for (size_t i = 0; bad[i] != NULL; i++) {
        const offbkg_param_t t[] = {
            { .name = bad[i], .type = OFFBKG_PARAM_DOUBLE, .offset = 0 },
            { 0 }
        };
        char want[128];
        snprintf(want, sizeof want, "parameter name '%s' is not [a-z0-9_]+",
                 bad[i]);
        expect_bad_table(t, sizeof(one_double_t), want);
    }
}

static void test_params_check_table_reserved_plugin(void **state)
{
    static const offbkg_param_t t[] = {
        { .name = "plugin", .type = OFFBKG_PARAM_STRING, .offset = 0 },
        { 0 }
    };
    (void)state;
    expect_bad_table(t, sizeof(char *),
                     "parameter name 'plugin' is reserved");
}

static void test_params_check_table_offset_outside(void **state)
{
    static const offbkg_param_t past_end[] = {
        { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = 8 },
        { 0 }
    };
    static const offbkg_param_t straddles[] = {
        { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = 4 },
        { 0 }
    };
    static const offbkg_param_t huge[] = {
        { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = SIZE_MAX - 2 },
        { 0 }
    };
    char want[256];
    (void)state;

    expect_bad_table(past_end, 8, "parameter 'x' lies outside the config "
                     "struct (offset 8 + 8 > config_size 8)");
    expect_bad_table(straddles, 8, "parameter 'x' lies outside the config "
                     "struct (offset 4 + 8 > config_size 8)");
    /* No wrap-around: a huge offset is outside too. */
    snprintf(want, sizeof want, "parameter 'x' lies outside the config "
             "struct (offset %zu + 8 > config_size 8)", (size_t)SIZE_MAX - 2);
    expect_bad_table(huge, 8, want);
}

static void test_params_check_table_enum_without_choices(void **state)
{
    static const char *const empty[] = { NULL };
    static const offbkg_param_t no_list[] = {
        { .name = "mode", .type = OFFBKG_PARAM_ENUM, .offset = 0 },
        { 0 }
    };
    static const offbkg_param_t empty_list[] = {
        { .name = "mode", .type = OFFBKG_PARAM_ENUM, .offset = 0,
          .choices = empty },
        { 0 }
    };
    (void)state;

    expect_bad_table(no_list, sizeof(int),
                     "enum parameter 'mode' has no choices");
    expect_bad_table(empty_list, sizeof(int),
                     "enum parameter 'mode' has no choices");
}

static void test_params_check_table_bad_default(void **state)
{
    static const offbkg_param_t bad_int[] = {
        { .name = "n", .type = OFFBKG_PARAM_INT, .offset = 0,
          .default_value = "abc" },
        { 0 }
    };
    static const offbkg_param_t out_of_range[] = {
        { .name = "w", .type = OFFBKG_PARAM_DOUBLE, .offset = 0,
          .default_value = "0",
          .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0 },
        { 0 }
    };
    static const offbkg_param_t short_list[] = {
        { .name = "e", .type = OFFBKG_PARAM_DOUBLE_LIST, .offset = 0,
          .default_value = "1", .min_items = 2 },
        { 0 }
    };
    static const offbkg_param_t bad_enum[] = {
        { .name = "s", .type = OFFBKG_PARAM_ENUM, .offset = 0,
          .default_value = "box", .choices = shapes },
        { 0 }
    };
    (void)state;

    expect_bad_table(bad_int, sizeof(int64_t), "default of parameter 'n' is "
                     "invalid: expected an integer, got 'abc'");
    expect_bad_table(out_of_range, sizeof(double), "default of parameter 'w' "
                     "is invalid: 0 is out of range (must be > 0)");
    expect_bad_table(short_list, sizeof(offbkg_double_list_t), "default of "
                     "parameter 'e' is invalid: expected at least 2 items, "
                     "got 1");
    expect_bad_table(bad_enum, sizeof(int), "default of parameter 's' is "
                     "invalid: 'box' is not one of flat, gauss, power");
}

static void test_params_check_table_required_with_default(void **state)
{
    static const offbkg_param_t t[] = {
        { .name = "x", .type = OFFBKG_PARAM_DOUBLE, .offset = 0,
          .default_value = "1", .flags = OFFBKG_PARAM_REQUIRED },
        { 0 }
    };
    (void)state;
    expect_bad_table(t, sizeof(one_double_t),
                     "parameter 'x' is required but has a default");
}

static void test_params_check_table_unknown_type(void **state)
{
    static const offbkg_param_t t[] = {
        { .name = "x", .type = (offbkg_param_type_t)99, .offset = 0 },
        { 0 }
    };
    (void)state;
    expect_bad_table(t, sizeof(one_double_t),
                     "parameter 'x' has unknown type 99");
}

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* offbkg_params_set: one value outside an INI (a command-line option),
 * the same checks and messages; a refused value leaves the old one. */
static void test_params_set_one_value(void **state)
{
    test_config_t *cfg = calloc(1, sizeof *cfg);
    char why[256];
    (void)state;

    assert_non_null(cfg);
    assert_int_equal(offbkg_params_set(&test_params[1], "7", NULL, cfg, why,
                                       sizeof why), OFFBKG_OK);
    assert_int_equal(cfg->count, 7);
    assert_int_equal(offbkg_params_set(&test_params[1], "11", NULL, cfg,
                                       why, sizeof why), OFFBKG_ECONFIG);
    assert_string_equal(why, "11 is out of range (must be >= 1 and <= 10)");
    assert_int_equal(cfg->count, 7);
    /* A list is replaced, the old items freed (valgrind checks). */
    assert_int_equal(offbkg_params_set(&test_params[6], "1, 2", NULL, cfg,
                                       why, sizeof why), OFFBKG_OK);
    assert_int_equal(offbkg_params_set(&test_params[6], "3, 4, 5", NULL,
                                       cfg, why, sizeof why), OFFBKG_OK);
    assert_int_equal(cfg->edges_tev.n, 3);
    assert_true(cfg->edges_tev.v[2] == 5.0);
    assert_int_equal(offbkg_params_set(&test_params[5], "cube", NULL, cfg,
                                       why, sizeof why), OFFBKG_ECONFIG);
    assert_string_equal(why, "'cube' is not one of flat, gauss, power");
    offbkg_params_free(test_params, cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_params_fill_every_type_good),
        FIXTURE_TEST(test_params_fill_range_bounds_accepted),
        FIXTURE_TEST(test_params_fill_defaults_when_absent),
        FIXTURE_TEST(test_params_fill_bool_only_true_false),
        FIXTURE_TEST(test_params_fill_int_not_integer),
        FIXTURE_TEST(test_params_fill_int_overflow),
        FIXTURE_TEST(test_params_fill_int_out_of_range),
        FIXTURE_TEST(test_params_fill_double_not_finite),
        FIXTURE_TEST(test_params_fill_double_garbage),
        FIXTURE_TEST(test_params_fill_double_out_of_range),
        FIXTURE_TEST(test_params_fill_enum_bad_word),
        FIXTURE_TEST(test_params_fill_double_list_empty_item),
        FIXTURE_TEST(test_params_fill_double_list_not_increasing),
        FIXTURE_TEST(test_params_fill_double_list_too_few),
        FIXTURE_TEST(test_params_fill_double_list_item_out_of_range),
        FIXTURE_TEST(test_params_fill_string_list_max_items),
        FIXTURE_TEST(test_params_fill_required_key_missing),
        FIXTURE_TEST(test_params_fill_unknown_key_hint),
        FIXTURE_TEST(test_params_fill_unknown_key_no_hint),
        FIXTURE_TEST(test_params_fill_host_key_not_reported),
        FIXTURE_TEST(test_params_fill_reports_every_problem),
        FIXTURE_TEST(test_params_fill_bad_value_falls_back_to_default),
        FIXTURE_TEST(test_params_fill_scalar_continuation_refused),
        FIXTURE_TEST(test_params_fill_path_resolved),
        cmocka_unit_test(test_params_path_resolve),
        cmocka_unit_test(test_params_format_every_type),
        cmocka_unit_test(test_params_format_doubles_round_trip),
        FIXTURE_TEST(test_params_format_parsed_value_round_trips),
        cmocka_unit_test(test_params_range_text),
        cmocka_unit_test(test_params_type_names),
        cmocka_unit_test(test_params_closest_match),
        cmocka_unit_test(test_params_check_table_accepts_good),
        cmocka_unit_test(test_params_check_table_duplicate_name),
        cmocka_unit_test(test_params_check_table_bad_name),
        cmocka_unit_test(test_params_check_table_reserved_plugin),
        cmocka_unit_test(test_params_check_table_offset_outside),
        cmocka_unit_test(test_params_check_table_enum_without_choices),
        cmocka_unit_test(test_params_check_table_bad_default),
        cmocka_unit_test(test_params_check_table_required_with_default),
        cmocka_unit_test(test_params_check_table_unknown_type),
        cmocka_unit_test(test_params_set_one_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
