/* SPDX-License-Identifier: BSD-3-Clause
 * The shipped match plugins through the real loader: match/group,
 * match/nearest and match/zenith with their configs filled by the host
 * from hand-built INI sections, and their prepare and match called
 * directly on small in-memory OFF and target tables. Every weight,
 * distance and ranking is checked against numbers computed here. */
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

#define DEG (M_PI / 180.0)

/* ------------------------------------------------------------------ */
/* Fixture: one plugin instance made the way the host makes it         */

typedef plugin_fixture_t fixture_t;

/* Fill the config of match/@p name from @p kv (NULL: defaults) and
 * create the instance; returns the first failing status. */
static int try_make(fixture_t *f, const char *name, const kv_t *kv)
{
    int rc;

    plugin_fixture_unmake(f);
    rc = plugin_configure(&f->inst, f->reg, &f->diags, OFFBKG_STAGE_MATCH,
                          name, kv);
    if (rc != OFFBKG_OK)
        return rc;
    return plugin_create(&f->inst, f->ctx, OFFBKG_STAGE_MATCH, name);
}

static void make(fixture_t *f, const char *name, const kv_t *kv)
{
    int rc = try_make(f, name, kv);
    if (rc != OFFBKG_OK)
        fail_msg("making match/%s failed (%d): %s", name, rc,
                 offbkg_host_last_error());
    assert_non_null(f->inst.state);
}

static const offbkg_match_ops_t *mops(const fixture_t *f)
{
    return f->inst.mod->desc->ops.match;
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* ------------------------------------------------------------------ */
/* Hand-built obs-index tables                                         */

#define TAB_COLS 8

typedef struct tab {
    offbkg_column_t cols[TAB_COLS];
    offbkg_obs_table_t t;
} tab_t;

static void tab_init(tab_t *t, size_t n_rows)
{
    memset(t, 0, sizeof *t);
    t->t.n_rows = n_rows;
    t->t.cols = t->cols;
}

static void tab_add(tab_t *t, offbkg_column_t c)
{
    assert_true(t->t.n_cols < TAB_COLS);
    c.unit = "";
    t->cols[t->t.n_cols++] = c;
}

static void tab_double(tab_t *t, const char *name, const double *v)
{
    tab_add(t, (offbkg_column_t){ .name = name, .type = OFFBKG_COL_DOUBLE,
                                  .f64 = v });
}

static void tab_int(tab_t *t, const char *name, const int64_t *v)
{
    tab_add(t, (offbkg_column_t){ .name = name, .type = OFFBKG_COL_INT,
                                  .i64 = v });
}

static void tab_string(tab_t *t, const char *name, const char *const *v)
{
    tab_add(t, (offbkg_column_t){ .name = name, .type = OFFBKG_COL_STRING,
                                  .str = v });
}

/* The match input of a RUNS plugin: OFF runs all in group 0. */
typedef struct input {
    int32_t group_id[64];
    uint8_t used[64];
    offbkg_match_input_t in;
} input_t;

static void input_runs(input_t *x, const tab_t *off)
{
    static const double edges[] = { 0, 90 };
    static const offbkg_group_axis_t axis = {
        .column = "ZEN_PNT", .kind = OFFBKG_GROUP_AXIS_EDGES, .n_bins = 1,
        .bounds = edges, .unit = "deg",
    };
    static const offbkg_group_def_t def = { .n_axes = 1, .axes = &axis };

    memset(x, 0, sizeof *x);
    assert_true(off->t.n_rows <= 64);
    x->used[0] = 1;
    x->in = (offbkg_match_input_t){
        .struct_size = sizeof x->in, .off = &off->t,
        .off_group_id = x->group_id, .groups = &def, .n_groups = 1,
        .group_used = x->used,
    };
}

static void prepare_ok(fixture_t *f, const offbkg_match_input_t *in)
{
    int rc = mops(f)->prepare(f->inst.state, in);
    if (rc != OFFBKG_OK)
        fail_msg("prepare failed: %s", offbkg_host_last_error());
}

static offbkg_match_result_t match_ok(fixture_t *f, const tab_t *targets,
                                      size_t row, size_t self)
{
    offbkg_match_result_t r;
    int rc;

    memset(&r, 0xA5, sizeof r);
    r.struct_size = sizeof r;
    rc = mops(f)->match(f->inst.state, &targets->t, row, self, &r);
    if (rc != OFFBKG_OK)
        fail_msg("match failed: %s", offbkg_host_last_error());
    return r;
}

/* A RUNS result of exactly the OFF rows @p rows, in that order, each of
 * weight 1. */
static void assert_runs(const offbkg_match_result_t *r, const size_t *rows,
                        size_t n)
{
    assert_int_equal(r->kind, OFFBKG_MATCH_RUNS);
    if (r->n != n)
        fail_msg("%zu runs matched, want %zu (reason: %s)", r->n, n,
                 r->n == 0 && r->reason ? r->reason : "-");
    assert_non_null(r->distance);
    for (size_t j = 0; j < n; j++) {
        if (r->index[j] != rows[j])
            fail_msg("run %zu is OFF row %zu, want %zu", j, r->index[j],
                     rows[j]);
        assert_true(r->weight[j] == 1.0);
        assert_true(isfinite(r->distance[j]) && r->distance[j] >= 0);
        if (j > 0)
            assert_true(r->distance[j] >= r->distance[j - 1]);
    }
}

static void assert_unmatched(const offbkg_match_result_t *r,
                             const char *reason)
{
    assert_int_equal(r->n, 0);
    assert_non_null(r->reason);
    if (strcmp(r->reason, reason) != 0)
        fail_msg("reason '%s', want '%s'", r->reason, reason);
}

/* ------------------------------------------------------------------ */
/* match/group                                                         */

static void test_match_group_shares_groups(void **state)
{
    fixture_t *f = *state;

    make(f, "group", NULL);
    assert_string_equal(f->inst.mod->module, "match_group");
    assert_non_null(strstr(f->inst.mod->file, "match_group"));
    assert_int_equal(mops(f)->struct_size, sizeof(offbkg_match_ops_t));
    assert_true(mops(f)->flags & OFFBKG_MATCH_SHARED_GROUPS);
    assert_null(mops(f)->prepare);
    assert_null(mops(f)->match);
    assert_null(f->inst.mod->desc->params);
    /* nearest and zenith are per-observation plugins. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { NULL, NULL } });
    assert_string_equal(f->inst.mod->module, "match_nearest");
    assert_int_equal(mops(f)->flags, 0);
    make(f, "zenith", NULL);
    assert_string_equal(f->inst.mod->module, "match_zenith");
    assert_int_equal(mops(f)->flags, 0);
}

/* ------------------------------------------------------------------ */
/* match/nearest                                                       */

static const kv_t zen_deg_all[] = {
    { "columns", "ZEN_PNT" }, { "zenith", "deg" }, { "min_runs", "6" },
    { NULL, NULL }
};

/* Ranked by distance, ties by OBS_ID (not by row). */
static void test_nearest_ranking(void **state)
{
    static const int64_t ids[] = { 101, 102, 103, 109, 105, 104 };
    static const double zen[] = { 10, 28, 33, 31, 50, 29 };
    static const double tzen[] = { 30 };
    static const size_t want[] = { 5, 3, 1, 2, 0, 4 };
    static const double want_d[] = { 1, 1, 2, 3, 20, 20 };
    fixture_t *f = *state;
    tab_t off, tgt;
    input_t in;
    offbkg_match_result_t r;

    tab_init(&off, 6);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "ZEN_PNT", zen);
    tab_init(&tgt, 1);
    tab_double(&tgt, "zen_pnt", tzen);   /* names are case-insensitive */
    input_runs(&in, &off);
    make(f, "nearest", zen_deg_all);
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, want, 6);
    for (size_t j = 0; j < 6; j++)
        assert_true(r.distance[j] == want_d[j]);
    assert_null(r.reason);
}

/* cos(zenith), airmass and degrees, scales and weights: distances in
 * numbers. */
static void test_nearest_transforms(void **state)
{
    static const int64_t ids[] = { 1, 2 };
    static const double zen[] = { 40, 20 }, mu[] = { 0.08, 0.11 };
    static const double tzen[] = { 30 }, tmu[] = { 0.1 };
    fixture_t *f = *state;
    tab_t off, tgt;
    input_t in;
    offbkg_match_result_t r;
    const kv_t modes[3][4] = {
        { { "columns", "ZEN_PNT" }, { "min_runs", "2" }, { NULL, NULL } },
        { { "columns", "ZEN_PNT" }, { "zenith", "airmass" },
          { "min_runs", "2" }, { NULL, NULL } },
        { { "columns", "ZEN_PNT" }, { "zenith", "deg" }, { "min_runs", "2" },
          { NULL, NULL } },
    };
    /* |cos 30 - cos 40|, |cos 30 - cos 20|; airmass; degrees. */
    const double want[3][2] = {
        { 0.0999809607, 0.0736672170 },
        { 0.1507067510, 0.0905227659 },
        { 10, 10 },
    };

    tab_init(&off, 2);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "ZEN_PNT", zen);
    tab_double(&off, "MUONEFF", mu);
    tab_init(&tgt, 1);
    tab_double(&tgt, "ZEN_PNT", tzen);
    tab_double(&tgt, "MUONEFF", tmu);
    input_runs(&in, &off);
    for (int m = 0; m < 3; m++) {
        make(f, "nearest", modes[m]);
        prepare_ok(f, &in.in);
        r = match_ok(f, &tgt, 0, SIZE_MAX);
        assert_int_equal(r.n, 2);
        for (size_t j = 0; j < 2; j++)
            assert_near(r.distance[j], want[m][r.index[j]], 1e-9);
    }
    /* cos: row 1 (20 deg) is nearer; degrees: a tie, OBS_ID 1 first. */
    make(f, "nearest", modes[0]);
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 1, 0 }, 2);
    make(f, "nearest", modes[2]);
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 1 }, 2);

    /* Two columns: d = sqrt(w1 (dcos / s1)^2 + w2 (dmu / s2)^2). */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT, MUONEFF" },
                                       { "scales", "0.05, 0.01" },
                                       { "weights", "1, 4" },
                                       { "min_runs", "2" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_int_equal(r.n, 2);
    {
        double d0 = sqrt(pow((cos(30 * DEG) - cos(40 * DEG)) / 0.05, 2)
                         + 4 * pow(0.02 / 0.01, 2));
        double d1 = sqrt(pow((cos(30 * DEG) - cos(20 * DEG)) / 0.05, 2)
                         + 4 * pow(0.01 / 0.01, 2));
        /* d0 = sqrt(3.998 + 16), d1 = sqrt(2.171 + 4) */
        assert_near(d0, 4.471966, 1e-6);
        assert_near(d1, 2.484098, 1e-6);
        assert_runs(&r, (const size_t[]){ 1, 0 }, 2);
        assert_near(r.distance[0], d1, 1e-12);
        assert_near(r.distance[1], d0, 1e-12);
    }
    /* A weight 0 drops a column from the distance. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT, MUONEFF" },
                                       { "weights", "0, 1" },
                                       { "min_runs", "2" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 1, 0 }, 2);
    assert_near(r.distance[0], 0.01, 1e-15);
    assert_near(r.distance[1], 0.02, 1e-15);
}

/* AZ_PNT wraps at 360 (the default angle column); without it, not. */
static void test_nearest_azimuth_wraps(void **state)
{
    static const int64_t ids[] = { 1, 2, 3, 4, 5 };
    static const double az[] = { 5, 340, 180, 359, 90 };
    static const double taz[] = { 355 };
    fixture_t *f = *state;
    tab_t off, tgt;
    input_t in;
    offbkg_match_result_t r;

    tab_init(&off, 5);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "AZ_PNT", az);
    tab_init(&tgt, 1);
    tab_double(&tgt, "AZ_PNT", taz);
    input_runs(&in, &off);
    make(f, "nearest", (const kv_t[]){ { "columns", "AZ_PNT" },
                                       { "min_runs", "5" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 3, 0, 1, 4, 2 }, 5);
    assert_near(r.distance[0], 4, 1e-12);
    assert_near(r.distance[1], 10, 1e-12);
    assert_near(r.distance[2], 15, 1e-12);
    assert_near(r.distance[3], 95, 1e-12);
    assert_near(r.distance[4], 175, 1e-12);

    make(f, "nearest", (const kv_t[]){ { "columns", "AZ_PNT" },
                                       { "angle_columns", "" },
                                       { "min_runs", "5" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 3, 1, 2, 4, 0 }, 5);
    assert_near(r.distance[4], 350, 1e-12);

    /* A cut on the wrapped difference. */
    make(f, "nearest", (const kv_t[]){ { "columns", "AZ_PNT" },
                                       { "max_differences", "12" },
                                       { "min_runs", "2" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 3, 0 }, 2);
    make(f, "nearest", (const kv_t[]){ { "columns", "AZ_PNT" },
                                       { "max_differences", "12" },
                                       { "min_runs", "3" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "2 runs within the cuts, 0 s of livetime: "
                         "min_runs = 3");
}

/* equal_columns (int, string, double) and max_differences. */
static void test_nearest_hard_cuts(void **state)
{
    static const int64_t ids[] = { 1, 2, 3, 4, 5, 6 };
    static const double zen[] = { 20, 21, 22, 23, 24, 40 };
    static const int64_t ntels[] = { 4, 3, 4, 4, 4, 4 };
    static const char *const tels[] = { "1,2,3,4", "1,2,3", "1,2,3,4",
                                        "1,2,3,4,5", "1,2,3,4", "1,2,3,4" };
    static const double cfg[] = { 1.0, 1.0, 1.0, 1.0, 1.0000000000000002,
                                  1.0 };
    static const double tzen[] = { 20 }, tcfg[] = { 1.0 };
    static const int64_t tntels[] = { 4 };
    static const char *const ttels[] = { "1,2,3,4" };
    fixture_t *f = *state;
    tab_t off, tgt;
    input_t in;
    offbkg_match_result_t r;

    tab_init(&off, 6);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "ZEN_PNT", zen);
    tab_int(&off, "N_TELS", ntels);
    tab_string(&off, "TELLIST", tels);
    tab_double(&off, "CONFIG", cfg);
    tab_init(&tgt, 1);
    tab_double(&tgt, "ZEN_PNT", tzen);
    tab_int(&tgt, "N_TELS", tntels);
    tab_string(&tgt, "TELLIST", ttels);
    tab_double(&tgt, "CONFIG", tcfg);
    input_runs(&in, &off);

    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "equal_columns", "N_TELS" },
                                       { "min_runs", "5" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 2, 3, 4, 5 }, 5);

    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "equal_columns",
                                         "N_TELS, TELLIST, CONFIG" },
                                       { "min_runs", "3" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 2, 5 }, 3);

    /* |dzen| <= 3 deg; 0 is no cut. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "max_differences", "3" },
                                       { "min_runs", "4" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 1, 2, 3 }, 4);
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "max_differences", "0" },
                                       { "min_runs", "6" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 1, 2, 3, 4, 5 }, 6);
    /* In cos(zenith): |cos 20 - cos 23| = 0.0192 > 0.015 >= the rest. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "max_differences", "0.015" },
                                       { "min_runs", "3" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 1, 2 }, 3);
}

/* Nearest first until min_runs and min_livetime_s, at most max_runs. */
static void test_nearest_stopping_rule(void **state)
{
    static const int64_t ids[] = { 1, 2, 3, 4, 5, 6 };
    static const double zen[] = { 21, 22, 23, 24, 25, 26 };
    static const double live[] = { 1000, 500, 2000, 1500, 800, 700 };
    static const double tzen[] = { 20 };
    fixture_t *f = *state;
    tab_t off, tgt;
    input_t in;
    offbkg_match_result_t r;
    const char *limits[][3] = {
        /* min_runs, max_runs, min_livetime_s */
        { "1", "50", "0" }, { "1", "50", "2500" }, { "1", "50", "3500" },
        { "4", "50", "2500" }, { "1", "3", "0" }, { "2", "2", "0" },
    };
    const size_t want_n[] = { 1, 3, 3, 4, 1, 2 };

    tab_init(&off, 6);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "ZEN_PNT", zen);
    tab_double(&off, "LIVETIME", live);
    tab_init(&tgt, 1);
    tab_double(&tgt, "ZEN_PNT", tzen);
    input_runs(&in, &off);
    for (size_t k = 0; k < sizeof want_n / sizeof want_n[0]; k++) {
        const kv_t kv[] = { { "columns", "ZEN_PNT" },
                            { "min_runs", limits[k][0] },
                            { "max_runs", limits[k][1] },
                            { "min_livetime_s", limits[k][2] },
                            { NULL, NULL } };
        make(f, "nearest", kv);
        prepare_ok(f, &in.in);
        r = match_ok(f, &tgt, 0, SIZE_MAX);
        assert_runs(&r, (const size_t[]){ 0, 1, 2, 3, 4, 5 }, want_n[k]);
    }

    /* max_runs stops before min_livetime_s is reached. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "max_runs", "2" },
                                       { "min_livetime_s", "2500" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "6 runs within the cuts; the nearest 2 (max_runs) "
                         "have 1500 s of livetime: min_livetime_s = 2500");
    /* Not enough livetime within the cuts. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "max_differences", "2.5" },
                                       { "min_livetime_s", "3600" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "2 runs within the cuts, 1500 s of livetime: "
                         "min_livetime_s = 3600");
    /* Not enough runs. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "min_runs", "7" },
                                       { "max_runs", "7" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "6 runs within the cuts, 6500 s of livetime: "
                         "min_runs = 7");

    /* ONTIME when there is no LIVETIME column. */
    off.cols[2].name = "ONTIME";
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "min_livetime_s", "1501" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0, 1, 2 }, 3);
    /* Neither: min_livetime_s cannot be met. */
    off.cols[2].name = "OTHER";
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "the OFF runs have no LIVETIME or ONTIME column: "
                         "min_livetime_s = 1501");
}

/* The target's own run is never in its result; another target with the
 * same values gets it at distance 0. */
static void test_nearest_never_self(void **state)
{
    static const int64_t ids[] = { 1, 2, 3 };
    static const double zen[] = { 20, 30, 25 };
    fixture_t *f = *state;
    tab_t off;
    input_t in;
    offbkg_match_result_t r;

    tab_init(&off, 3);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "ZEN_PNT", zen);
    input_runs(&in, &off);
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "max_runs", "2" },
                                       { "min_runs", "2" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    /* The targets are the OFF runs themselves. */
    r = match_ok(f, &off, 2, 2);
    assert_runs(&r, (const size_t[]){ 0, 1 }, 2);
    assert_near(r.distance[0], 5, 0);
    r = match_ok(f, &off, 0, 0);
    assert_runs(&r, (const size_t[]){ 2, 1 }, 2);
    r = match_ok(f, &off, 2, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 2, 0 }, 2);
    assert_true(r.distance[0] == 0);
    /* Only the target itself within the cuts: unmatched. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "deg" },
                                       { "max_differences", "1" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &off, 1, 1);
    assert_unmatched(&r, "0 runs within the cuts, 0 s of livetime: "
                         "min_runs = 1");
}

/* Missing columns and NaN values: unmatched with a reason naming the
 * column; an OFF row with NaN is never matched. */
static void test_nearest_unmatched_reasons(void **state)
{
    static const int64_t ids[] = { 1, 2, 3 };
    static const double zen[] = { 20, NAN, 25 }, mu[] = { 0.1, 0.1, 0.1 };
    static const double tzen[] = { 22, NAN, 95 }, tmu[] = { 0.1, 0.1, 0.1 };
    static const int64_t tnt[] = { 4, 4, 4 };
    fixture_t *f = *state;
    tab_t off, tgt;
    input_t in;
    offbkg_match_result_t r;

    tab_init(&off, 3);
    tab_int(&off, "OBS_ID", ids);
    tab_double(&off, "ZEN_PNT", zen);
    tab_init(&tgt, 3);
    tab_double(&tgt, "ZEN_PNT", tzen);
    input_runs(&in, &off);
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "min_runs", "3" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    /* Row 1 of OFF (NaN) is never matched. */
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "2 runs within the cuts, 0 s of livetime: "
                         "min_runs = 3");
    r = match_ok(f, &tgt, 1, SIZE_MAX);
    assert_unmatched(&r, "the target's ZEN_PNT is nan");
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "zenith", "airmass" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 2, SIZE_MAX);
    assert_unmatched(&r, "the target's ZEN_PNT is 95 deg: no airmass");
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0 }, 1);

    /* A column the target lacks, then one the OFF runs lack. */
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT, MUONEFF" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "the OFF runs have no MUONEFF column");
    tab_double(&off, "MUONEFF", mu);
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "the target has no numeric MUONEFF column");
    tab_double(&tgt, "MUONEFF", tmu);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0 }, 1);
    make(f, "nearest", (const kv_t[]){ { "columns", "ZEN_PNT" },
                                       { "equal_columns", "N_TELS" },
                                       { NULL, NULL } });
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "the OFF runs have no N_TELS column");
    tab_int(&off, "N_TELS", tnt);
    prepare_ok(f, &in.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "the target has no N_TELS column");
    tab_int(&tgt, "N_TELS", tnt);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_runs(&r, (const size_t[]){ 0 }, 1);
}

static void test_nearest_bad_configs(void **state)
{
    fixture_t *f = *state;
    char *text;

    assert_int_equal(try_make(f, "nearest",
                              (const kv_t[]){ { "columns", "ZEN_PNT, AZ_PNT" },
                                              { "scales", "1" },
                                              { NULL, NULL } }),
                     OFFBKG_ECONFIG);
    plugin_assert_host_error("scales has 1 items but columns has 2: give one per "
                      "column");
    assert_int_equal(try_make(f, "nearest",
                              (const kv_t[]){ { "columns", "ZEN_PNT" },
                                              { "max_differences", "1, 2" },
                                              { NULL, NULL } }),
                     OFFBKG_ECONFIG);
    plugin_assert_host_error("max_differences has 2 items but columns has 1: give "
                      "one per column");
    assert_int_equal(try_make(f, "nearest",
                              (const kv_t[]){ { "columns", "ZEN_PNT" },
                                              { "min_runs", "5" },
                                              { "max_runs", "4" },
                                              { NULL, NULL } }),
                     OFFBKG_ECONFIG);
    plugin_assert_host_error("min_runs (5) is above max_runs (4)");
    assert_int_equal(try_make(f, "nearest",
                              (const kv_t[]){ { "columns",
                                                "ZEN_PNT, zen_pnt" },
                                              { NULL, NULL } }),
                     OFFBKG_ECONFIG);
    plugin_assert_host_error("columns: zen_pnt is given twice");
    /* The host enforces the declared ranges and the required key. */
    assert_int_equal(try_make(f, "nearest",
                              (const kv_t[]){ { "columns", "ZEN_PNT" },
                                              { "scales", "0" },
                                              { NULL, NULL } }),
                     OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_non_null(strstr(text, "t.ini:3: [match] scales"));
    free(text);
    assert_int_equal(try_make(f, "nearest", NULL), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(strstr(text, "columns"));
    free(text);
}

/* ------------------------------------------------------------------ */
/* match/zenith                                                        */

/* A grouping of up to two axes, OFF runs with ZEN_PNT, LIVETIME and
 * N_TELS, and their groups. */
typedef struct zgrid {
    offbkg_group_axis_t axes[2];
    offbkg_group_def_t def;
    tab_t off;
    int32_t group_id[16];
    uint8_t used[16];
    offbkg_match_input_t in;
} zgrid_t;

static const double zen_edges[] = { 0, 20, 40, 60 };
static const double ntels_values[] = { 3, 4 };

static void zgrid_init(zgrid_t *z, size_t n_rows, const double *zen,
                       const double *live, const int64_t *ntels,
                       int ntels_axis)
{
    const offbkg_group_axis_t za = {
        .column = "ZEN_PNT", .kind = OFFBKG_GROUP_AXIS_EDGES, .n_bins = 3,
        .bounds = zen_edges, .unit = "deg",
    };
    const offbkg_group_axis_t na = {
        .column = "N_TELS", .kind = OFFBKG_GROUP_AXIS_VALUES, .n_bins = 2,
        .bounds = ntels_values, .unit = "",
    };
    size_t n_groups = ntels_axis ? 6 : 3;

    memset(z, 0, sizeof *z);
    /* ntels_axis 1: N_TELS first; 2: N_TELS second. */
    if (ntels_axis == 1) {
        z->axes[0] = na;
        z->axes[1] = za;
    } else {
        z->axes[0] = za;
        z->axes[1] = na;
    }
    z->def = (offbkg_group_def_t){ .n_axes = ntels_axis ? 2 : 1,
                                   .axes = z->axes };
    tab_init(&z->off, n_rows);
    tab_double(&z->off, "ZEN_PNT", zen);
    tab_double(&z->off, "LIVETIME", live);
    if (ntels != NULL)
        tab_int(&z->off, "N_TELS", ntels);
    for (size_t i = 0; i < n_rows; i++) {
        size_t iz = zen[i] < 20 ? 0 : zen[i] < 40 ? 1 : 2, in_ = 0, g;
        if (ntels_axis)
            in_ = ntels[i] == 3 ? 0 : 1;
        g = ntels_axis == 1 ? in_ * 3 + iz
            : ntels_axis == 2 ? iz * 2 + in_
                              : iz;
        z->group_id[i] = (int32_t)g;
        z->used[g] = 1;
    }
    z->in = (offbkg_match_input_t){
        .struct_size = sizeof z->in, .off = &z->off.t,
        .off_group_id = z->group_id, .groups = &z->def,
        .n_groups = n_groups, .group_used = z->used,
    };
}

/* A GROUPS result of groups @p g with weights @p w (to 1e-12). */
static void assert_groups(const offbkg_match_result_t *r, const size_t *g,
                          const double *w, size_t n)
{
    double sum = 0;

    assert_int_equal(r->kind, OFFBKG_MATCH_GROUPS);
    if (r->n != n)
        fail_msg("%zu groups matched, want %zu (reason: %s)", r->n, n,
                 r->n == 0 && r->reason ? r->reason : "-");
    for (size_t j = 0; j < n; j++) {
        if (r->index[j] != g[j])
            fail_msg("node %zu is group %zu, want %zu", j, r->index[j], g[j]);
        assert_near(r->weight[j], w[j], 1e-12);
        assert_true(r->weight[j] > 0);
        sum += r->weight[j];
    }
    assert_near(sum, 1, 1e-15);
}

static const double zrow_zen[] = { 10, 15, 30, 45, 55 };
static const double zrow_live[] = { 100, 300, 1, 100, 100 };

/* The nodes: livetime-weighted mean cos(zenith) of each group. */
static double node0(void)
{
    return (100 * cos(10 * DEG) + 300 * cos(15 * DEG)) / 400;
}

static double node2(void)
{
    return (100 * cos(45 * DEG) + 100 * cos(55 * DEG)) / 200;
}

static void test_zenith_nodes_and_weights(void **state)
{
    fixture_t *f = *state;
    zgrid_t z;
    tab_t tgt;
    static const double tzen[] = { 25, 5, 70, 30, 50, 0, 90 };
    offbkg_match_result_t r;
    double x, fr, c0 = node0(), c1 = cos(30 * DEG), c2 = node2();

    /* The nodes in numbers. */
    assert_near(c0, 0.970646, 1e-6);
    assert_near(c2, 0.640342, 1e-6);
    zgrid_init(&z, 5, zrow_zen, zrow_live, NULL, 0);
    tab_init(&tgt, 7);
    tab_double(&tgt, "ZEN_PNT", tzen);
    make(f, "zenith", NULL);
    prepare_ok(f, &z.in);

    /* 25 deg: between the nodes of groups 1 and 0, linear in cos. */
    x = cos(25 * DEG);
    fr = (x - c1) / (c0 - c1);
    assert_near(fr, 0.385032, 1e-6);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 1, 0 },
                  (const double[]){ 1 - fr, fr }, 2);
    assert_int_equal(r.combine, OFFBKG_COMBINE_LINEAR);
    assert_near(r.distance[0], x - c1, 1e-15);
    assert_near(r.distance[1], c0 - x, 1e-15);
    /* Clamped at the outer nodes. */
    r = match_ok(f, &tgt, 1, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 0 }, (const double[]){ 1 }, 1);
    assert_near(r.distance[0], cos(5 * DEG) - c0, 1e-15);
    r = match_ok(f, &tgt, 2, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 2 }, (const double[]){ 1 }, 1);
    r = match_ok(f, &tgt, 5, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 0 }, (const double[]){ 1 }, 1);
    r = match_ok(f, &tgt, 6, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 2 }, (const double[]){ 1 }, 1);
    /* On a node exactly: that node alone. */
    r = match_ok(f, &tgt, 3, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 1 }, (const double[]){ 1 }, 1);
    assert_true(r.distance[0] == 0);
    /* 50 deg: between groups 2 and 1. */
    x = cos(50 * DEG);
    fr = (x - c2) / (c1 - c2);
    r = match_ok(f, &tgt, 4, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 2, 1 },
                  (const double[]){ 1 - fr, fr }, 2);

    /* interpolation = log only changes the combination. */
    make(f, "zenith", (const kv_t[]){ { "interpolation", "log" },
                                      { NULL, NULL } });
    prepare_ok(f, &z.in);
    r = match_ok(f, &tgt, 4, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 2, 1 },
                  (const double[]){ 1 - fr, fr }, 2);
    assert_int_equal(r.combine, OFFBKG_COMBINE_LOG);
}

/* The target's own run is left out of its group's node; a group of the
 * target alone is no node. */
static void test_zenith_without_self(void **state)
{
    fixture_t *f = *state;
    zgrid_t z;
    offbkg_match_result_t r;
    double x, fr, c0 = node0(), c2 = node2(), c0_no10 = cos(15 * DEG);

    zgrid_init(&z, 5, zrow_zen, zrow_live, NULL, 0);
    make(f, "zenith", NULL);
    prepare_ok(f, &z.in);
    /* Target = OFF row 0 (10 deg): group 0's node is the 15 deg run. */
    x = cos(10 * DEG);
    r = match_ok(f, &z.off, 0, 0);
    assert_groups(&r, (const size_t[]){ 0 }, (const double[]){ 1 }, 1);
    assert_near(r.distance[0], x - c0_no10, 1e-15);
    /* The same values, not the same run: group 0 with its 10 deg run. */
    r = match_ok(f, &z.off, 0, SIZE_MAX);
    assert_near(r.distance[0], x - c0, 1e-15);
    /* Target = row 1 (15 deg): group 0 without it is the 10 deg run,
     * and 15 deg lies between it and group 1. */
    x = cos(15 * DEG);
    fr = (x - cos(30 * DEG)) / (cos(10 * DEG) - cos(30 * DEG));
    r = match_ok(f, &z.off, 1, 1);
    assert_groups(&r, (const size_t[]){ 1, 0 },
                  (const double[]){ 1 - fr, fr }, 2);
    assert_near(r.distance[1], cos(10 * DEG) - x, 1e-15);
    /* Target = row 2, the only run of group 1: groups 2 and 0. */
    x = cos(30 * DEG);
    fr = (x - c2) / (c0 - c2);
    r = match_ok(f, &z.off, 2, 2);
    assert_groups(&r, (const size_t[]){ 2, 0 },
                  (const double[]){ 1 - fr, fr }, 2);
}

/* One node: weight 1 for every target; no node: unmatched. */
static void test_zenith_one_node(void **state)
{
    static const double zen[] = { 30, 35 }, live[] = { 10, 10 };
    static const double tzen[] = { 5, 37, 80 };
    fixture_t *f = *state;
    zgrid_t z;
    tab_t tgt;
    offbkg_match_result_t r;

    zgrid_init(&z, 2, zen, live, NULL, 0);
    tab_init(&tgt, 3);
    tab_double(&tgt, "ZEN_PNT", tzen);
    make(f, "zenith", NULL);
    prepare_ok(f, &z.in);
    for (size_t t = 0; t < 3; t++) {
        r = match_ok(f, &tgt, t, SIZE_MAX);
        assert_groups(&r, (const size_t[]){ 1 }, (const double[]){ 1 }, 1);
        assert_near(r.distance[0],
                    fabs(cos(tzen[t] * DEG)
                         - (cos(30 * DEG) + cos(35 * DEG)) / 2),
                    1e-15);
    }
    /* The OFF row 0 as target: group 1 without it is row 1. */
    r = match_ok(f, &z.off, 0, 0);
    assert_near(r.distance[0], cos(30 * DEG) - cos(35 * DEG), 1e-15);
    /* One OFF run, and it is the target: no node. */
    zgrid_init(&z, 1, zen, live, NULL, 0);
    prepare_ok(f, &z.in);
    r = match_ok(f, &z.off, 0, 0);
    assert_unmatched(&r, "no group with OFF runs");
    assert_int_equal(r.kind, OFFBKG_MATCH_GROUPS);
    /* The target's zenith unknown. */
    {
        static const double nan_zen[] = { NAN };
        tab_init(&tgt, 1);
        tab_double(&tgt, "ZEN_PNT", nan_zen);
        r = match_ok(f, &tgt, 0, SIZE_MAX);
        assert_unmatched(&r, "the target's ZEN_PNT is nan");
        tab_init(&tgt, 1);
        r = match_ok(f, &tgt, 0, SIZE_MAX);
        assert_unmatched(&r, "the target has no numeric ZEN_PNT column");
    }
}

/* Another grouping axis (N_TELS, first or second): only the groups of
 * the target's N_TELS are its nodes. */
static void test_zenith_other_axes(void **state)
{
    static const double zen[] = { 10, 30, 50, 12, 45 };
    static const double live[] = { 5, 5, 5, 5, 5 };
    static const int64_t nt[] = { 3, 3, 3, 4, 4 };
    static const double tzen[] = { 25, 25, 25, 25 };
    static const int64_t tnt[] = { 3, 4, 5, 4 };
    fixture_t *f = *state;
    zgrid_t z;
    tab_t tgt;
    offbkg_match_result_t r;

    tab_init(&tgt, 4);
    tab_double(&tgt, "ZEN_PNT", tzen);
    tab_int(&tgt, "N_TELS", tnt);
    for (int first = 1; first <= 2; first++) {
        /* Group ids of (N_TELS bin n, zenith bin k). */
        size_t g30 = first == 1 ? 0 * 3 + 1 : 1 * 2 + 0;
        size_t g10 = first == 1 ? 0 * 3 + 0 : 0 * 2 + 0;
        size_t g4_12 = first == 1 ? 1 * 3 + 0 : 0 * 2 + 1;
        size_t g4_45 = first == 1 ? 1 * 3 + 2 : 2 * 2 + 1;
        double x = cos(25 * DEG), fr;

        zgrid_init(&z, 5, zen, live, nt, first);
        make(f, "zenith", NULL);
        prepare_ok(f, &z.in);
        /* N_TELS 3: nodes 10, 30, 50 deg. */
        fr = (x - cos(30 * DEG)) / (cos(10 * DEG) - cos(30 * DEG));
        r = match_ok(f, &tgt, 0, SIZE_MAX);
        assert_groups(&r, (const size_t[]){ g30, g10 },
                      (const double[]){ 1 - fr, fr }, 2);
        /* N_TELS 4: nodes 12 and 45 deg. */
        fr = (x - cos(45 * DEG)) / (cos(12 * DEG) - cos(45 * DEG));
        r = match_ok(f, &tgt, 1, SIZE_MAX);
        assert_groups(&r, (const size_t[]){ g4_45, g4_12 },
                      (const double[]){ 1 - fr, fr }, 2);
        /* N_TELS 5: no bin. */
        r = match_ok(f, &tgt, 2, SIZE_MAX);
        assert_unmatched(&r, "the target's N_TELS (5) is in no bin of the "
                             "grouping");
        /* N_TELS 4 without the OFF runs of N_TELS 4 (the target is the
         * only one): no node. */
        z.used[g4_12] = 0;
        z.used[g4_45] = 0;
        prepare_ok(f, &z.in);
        r = match_ok(f, &tgt, 3, SIZE_MAX);
        assert_unmatched(&r, "no group with OFF runs in the target's bins "
                             "of the other grouping axes");
    }
    /* A target table without the other axis' column. */
    tab_init(&tgt, 1);
    tab_double(&tgt, "ZEN_PNT", tzen);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_unmatched(&r, "the target has no numeric N_TELS column (a "
                         "grouping axis)");
}

/* ONTIME weights the nodes when there is no LIVETIME. */
static void test_zenith_ontime_weights(void **state)
{
    static const double zen[] = { 10, 15, 45 }, t[] = { 100, 300, 7 };
    static const double tzen[] = { 16 };
    fixture_t *f = *state;
    zgrid_t z;
    tab_t tgt;
    offbkg_match_result_t r;
    double c0 = (100 * cos(10 * DEG) + 300 * cos(15 * DEG)) / 400;
    double x = cos(16 * DEG), fr = (x - cos(45 * DEG)) / (c0 - cos(45 * DEG));

    zgrid_init(&z, 3, zen, t, NULL, 0);
    z.off.cols[1].name = "ONTIME";
    tab_init(&tgt, 1);
    tab_double(&tgt, "ZEN_PNT", tzen);
    make(f, "zenith", NULL);
    prepare_ok(f, &z.in);
    r = match_ok(f, &tgt, 0, SIZE_MAX);
    assert_groups(&r, (const size_t[]){ 2, 0 },
                  (const double[]){ 1 - fr, fr }, 2);
    /* Neither column: prepare fails. */
    z.off.cols[1].name = "OTHER";
    assert_int_equal(mops(f)->prepare(f->inst.state, &z.in), OFFBKG_EDATA);
    plugin_assert_host_error("the OFF runs have no LIVETIME or ONTIME column to "
                      "weight the nodes");
}

/* The grouping must have an axis on the zenith column. */
static void test_zenith_needs_axis(void **state)
{
    static const double zen[] = { 10 }, live[] = { 1 };
    static const int64_t nt[] = { 3 };
    fixture_t *f = *state;
    zgrid_t z;

    zgrid_init(&z, 1, zen, live, nt, 1);
    make(f, "zenith", (const kv_t[]){ { "column", "ALT_PNT" },
                                      { NULL, NULL } });
    assert_int_equal(mops(f)->prepare(f->inst.state, &z.in), OFFBKG_ECONFIG);
    plugin_assert_host_error("the grouping has no axis on ALT_PNT (its axes: "
                      "N_TELS, ZEN_PNT): match/zenith interpolates between "
                      "zenith groups; use group/zenith, or a group/bins "
                      "axis on ALT_PNT");
    /* Another column name of the zenith axis works the same. */
    z.axes[1].column = "ZEN_CORR";
    z.off.cols[0].name = "ZEN_CORR";
    make(f, "zenith", (const kv_t[]){ { "column", "zen_corr" },
                                      { NULL, NULL } });
    prepare_ok(f, &z.in);
}

#define FIXTURE_TEST(fn) \
    cmocka_unit_test_setup_teardown(fn, plugin_fixture_setup, \
                                    plugin_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_match_group_shares_groups),
        FIXTURE_TEST(test_nearest_ranking),
        FIXTURE_TEST(test_nearest_transforms),
        FIXTURE_TEST(test_nearest_azimuth_wraps),
        FIXTURE_TEST(test_nearest_hard_cuts),
        FIXTURE_TEST(test_nearest_stopping_rule),
        FIXTURE_TEST(test_nearest_never_self),
        FIXTURE_TEST(test_nearest_unmatched_reasons),
        FIXTURE_TEST(test_nearest_bad_configs),
        FIXTURE_TEST(test_zenith_nodes_and_weights),
        FIXTURE_TEST(test_zenith_without_self),
        FIXTURE_TEST(test_zenith_one_node),
        FIXTURE_TEST(test_zenith_other_axes),
        FIXTURE_TEST(test_zenith_ontime_weights),
        FIXTURE_TEST(test_zenith_needs_axis),
    };

    if (plugin_path_unset())
        return 0;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
