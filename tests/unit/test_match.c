/* SPDX-License-Identifier: BSD-3-Clause
 * The match step's host side: runs' contributions kept compactly by the
 * model step (core/model_keep.c, opts.keep_runs), from events and from
 * [store], summing to the group models bit for bit; the match step
 * (core/match.c) with the test matcher tests/plugins/match_fake.c and the
 * real model plugins: pooled runs, groups without the target's run,
 * combinations that never give NaN, answers it refuses, targets it
 * cannot match. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "group-private.h"
#include "match-private.h"
#include "model-private.h"
#include "pipeline-private.h"
#include "runconf-private.h"
#include "sim-private.h"
#include "store-private.h"
#include "simstore.h"
#include "storegen.h"

typedef struct fixture {
    char dir[PATH_MAX];             /* the simulated store */
    offbkg_ctx_t *ctx;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
    offbkg_datastore_t *ds;
    offbkg_grouping_t g;
    offbkg_model_t make;
    offbkg_match_t match;
    const char *out;                /* [output] dir; NULL: out */
    const char *group;              /* [group]; NULL: zenith 0, 30, 60 */
} fixture_t;

/* Eight small runs, zenith 0 to 60 deg. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->ctx = simstore_new(f->dir, 8, 2000);
    *state = f;
    return 0;
}

static void release(fixture_t *f)
{
    offbkg_match_clear(&f->match);
    offbkg_model_clear(&f->make);
    offbkg_group_clear(&f->g);
    offbkg_datastore_free(f->ds);
    f->ds = NULL;
    simstore_conf_clear(&f->rc, &f->diags);
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    release(f);
    simstore_free(f->ctx, f->dir);
    free(f);
    return 0;
}

/* Load run.ini: every run, zenith groups 0-30-60 deg, @p body. */
static void load(fixture_t *f, const char *body)
{
    char text[4096];

    release(f);
    snprintf(text, sizeof text,
             "[datastore]\npath = .\n[output]\ndir = %s\n[run]\n"
             "plugin_path = %s\n[select]\nplugin = all\n%s%s",
             f->out != NULL ? f->out : "out",
             getenv("OFFBKG_TEST_PLUGINS") ? getenv("OFFBKG_TEST_PLUGINS")
                                           : ".",
             f->group != NULL ? f->group : "[group]\nplugin = zenith\n"
                                           "edges_deg = 0, 30, 60\n", body);
    simstore_load_conf(f->ctx, f->dir, text, &f->diags, &f->rc);
    assert_int_equal(offbkg_datastore_open(f->ctx, f->rc->datastore, &f->ds),
                     OFFBKG_OK);
    size_t n = f->ds->obs.n_rows, rows[64];
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    assert_int_equal(offbkg_group_run(f->ctx, f->rc, f->ds, rows, n, &f->g),
                     OFFBKG_OK);
}

/* The model step on every grouped run, keeping them, with [store] @p sdir
 * (NULL: none). */
static void make_regions(fixture_t *f, const char *sdir,
                         const offbkg_regions_t *regions);

static void make(fixture_t *f, const char *sdir)
{
    offbkg_regions_t none = { 0 };

    make_regions(f, sdir, &none);
}

static void make_regions(fixture_t *f, const char *sdir,
                         const offbkg_regions_t *regions)
{
    offbkg_store_t *store = NULL;
    offbkg_model_opts_t opts = { .threads = 2, .keep_runs = true };

    offbkg_match_clear(&f->match);
    offbkg_model_clear(&f->make);
    if (sdir != NULL)
        assert_int_equal(offbkg_store_open(f->ctx, sdir, true, &store),
                         OFFBKG_OK);
    opts.store = store;
    if (offbkg_model_run(f->ctx, f->rc, f->ds, regions, f->g.n_groups,
                         f->g.store_rows, f->g.group_id, f->g.obs.n_rows,
                         &opts, &f->make) != OFFBKG_OK)
        fail_msg("model: %s", offbkg_error_msg(f->ctx));
    offbkg_store_close(store);
}

/* Each group's kept runs, summed in run order with weight 1, are its
 * cube's counts and exposure bit for bit. */
static void assert_kept_sum_to_groups(const offbkg_model_t *mk)
{
    for (size_t m = 0; m < mk->n_models; m++) {
        size_t nc = mk->n_counts[m], ne = mk->n_exposure[m];
        for (size_t g = 0; g < mk->n_groups; g++) {
            const offbkg_cube_t *cube = mk->models[m].cubes[g];
            double *counts = calloc(nc, sizeof *counts);
            double *w2 = calloc(nc, sizeof *w2);
            double *expo = calloc(ne, sizeof *expo);
            size_t used = 0;
            assert_non_null(cube);
            for (size_t r = 0; r < mk->n_runs; r++)
                if (mk->runs[r].group_id == (int32_t)g
                    && mk->runs[r].skipped == NULL) {
                    offbkg_model_keep_add(&mk->kept[r * mk->n_models + m], 1,
                                          counts, w2, expo, ne);
                    used++;
                }
            assert_int_equal(used, mk->runs_used[g]);
            assert_int_equal(cube->n_cells, nc);
            assert_memory_equal(counts, cube->counts, nc * sizeof *counts);
            assert_memory_equal(w2, cube->counts, nc * sizeof *w2);
            /* The grid models' exposure is per spatial bin, the cube's
             * per cell: bin s of energy ie is cell ie * ne + s. */
            for (size_t c = 0; c < nc; c++)
                assert_memory_equal(&expo[c % ne], &cube->exposure_s[c],
                                    sizeof *expo);
            free(counts);
            free(w2);
            free(expo);
        }
    }
}

static const char *const models =
    "[model 2d]\nplugin = 2d\nenergy_n = 6\noffset_n = 8\n"
    "[model 3d]\nplugin = 3d\nenergy_n = 5\ndetx_n = 12\ndety_n = 12\n";

static void test_keep_runs_from_events_and_store(void **state)
{
    fixture_t *f = *state;
    char sdir[PATH_MAX];

    load(f, models);
    assert_int_equal(f->g.n_groups, 2);
    make(f, NULL);
    assert_non_null(f->make.kept);
    assert_true(f->make.kept_bytes > 0);
    assert_int_equal(f->make.n_models, 2);
    assert_kept_sum_to_groups(&f->make);
    size_t bytes = f->make.kept_bytes;

    /* Filled into a store, then taken from it: the same. */
    sg_path(sdir, f->dir, "cstore");
    make(f, sdir);
    assert_int_equal(f->make.n_filled, f->make.n_runs);
    assert_kept_sum_to_groups(&f->make);
    make(f, sdir);
    assert_int_equal(f->make.n_from_store, f->make.n_runs);
    assert_kept_sum_to_groups(&f->make);
    assert_int_equal(f->make.kept_bytes, bytes);
}

/* An exclusion region in each field: some exposure bins differ from the
 * rest, and are kept as such. */
static void test_keep_runs_with_regions(void **state)
{
    fixture_t *f = *state;
    offbkg_region_t items[64];
    offbkg_regions_t regions = { .items = items };
    size_t n_diff = 0;

    load(f, models);
    offbkg_obs_table_t v = offbkg_table_view(&f->ds->obs);
    for (size_t i = 0; i < f->ds->obs.n_rows; i++) {
        double dec = offbkg_column_get_double(
            offbkg_obs_table_column(&v, "DEC_PNT"), i);
        items[regions.n++] = (offbkg_region_t){
            .ra_deg = offbkg_column_get_double(
                offbkg_obs_table_column(&v, "RA_PNT"), i),
            .dec_deg = dec > 0 ? dec - 1 : dec + 1, .radius_deg = 0.4 };
    }
    make_regions(f, NULL, &regions);
    for (size_t i = 0; i < f->make.n_runs * f->make.n_models; i++)
        n_diff += f->make.kept[i].n_diff;
    assert_true(n_diff > 0);
    assert_kept_sum_to_groups(&f->make);
}

static void test_keep_runs_off_keeps_nothing(void **state)
{
    fixture_t *f = *state;
    offbkg_regions_t none = { 0 };
    offbkg_model_opts_t opts = { .threads = 1 };

    load(f, models);
    offbkg_model_clear(&f->make);
    assert_int_equal(offbkg_model_run(f->ctx, f->rc, f->ds, &none,
                                      f->g.n_groups, f->g.store_rows,
                                      f->g.group_id, f->g.obs.n_rows, &opts,
                                      &f->make), OFFBKG_OK);
    assert_null(f->make.kept);
    assert_null(f->make.instances);
    assert_int_equal(f->make.kept_bytes, 0);
}

/* A run kept compactly: sparse counts, a base exposure and the bins
 * that differ, added with a weight. */
static void test_keep_take_and_add(void **state)
{
    uint64_t counts[6] = { 0, 3, 0, 0, 7, 0 };
    double expo[4] = { 10, 10, 2.5, 10 };
    offbkg_contrib_data_t d = { .struct_size = sizeof d, .n_counts = 6,
                                .counts = counts, .n_exposure = 4,
                                .exposure_s = expo };
    offbkg_model_keep_t k;
    double c[6] = { 0 }, w2[6] = { 0 }, e[4] = { 1, 1, 1, 1 };
    fixture_t *f = *state;

    assert_int_equal(offbkg_model_keep_take(f->ctx, &d, &k), OFFBKG_OK);
    assert_int_equal(k.n_cells, 2);
    assert_int_equal(k.n_diff, 1);
    assert_true(k.exposure_base_s == 10);
    offbkg_model_keep_add(&k, 2, c, w2, e, 4);
    assert_true(c[1] == 6 && c[4] == 14 && c[0] == 0 && c[5] == 0);
    assert_true(w2[1] == 12 && w2[4] == 28);
    assert_true(e[0] == 21 && e[1] == 21 && e[2] == 6 && e[3] == 21);
    offbkg_model_keep_free(&k);

    /* Every bin different from the first: the base is the larger. */
    double expo2[3] = { 1, 5, 5 };
    d.exposure_s = expo2;
    d.n_exposure = 3;
    assert_int_equal(offbkg_model_keep_take(f->ctx, &d, &k), OFFBKG_OK);
    assert_true(k.exposure_base_s == 5);
    assert_int_equal(k.n_diff, 1);
    offbkg_model_keep_free(&k);
}


/* ------------------------------------------------------------------ */
/* The match step                                                      */

/* [model 2d], [model 3d] and [match] plugin = fake with @p keys; the
 * models made, runs kept; every observation of the store a target. */
static int match_with(fixture_t *f, const char *keys, bool strict)
{
    char body[2048];

    snprintf(body, sizeof body, "%s[match]\nplugin = fake\n%s", models,
             keys);
    load(f, body);
    make(f, NULL);
    offbkg_match_clear(&f->match);
    return offbkg_match_run(f->ctx, f->rc, f->ds, &f->make, strict,
                            &f->match);
}

/* The run of f->make that is @p obs_id. */
static size_t run_of(const fixture_t *f, int64_t obs_id)
{
    for (size_t r = 0; r < f->make.n_runs; r++)
        if (f->make.runs[r].obs_id == obs_id)
            return r;
    fail_msg("OBS_ID %lld is not a run", (long long)obs_id);
    return 0;
}

static void assert_same_cube(const offbkg_cube_t *a, const offbkg_cube_t *b)
{
    size_t n = a->n_cells;

    assert_int_equal(a->n_cells, b->n_cells);
    assert_memory_equal(a->counts, b->counts, n * sizeof *a->counts);
    assert_memory_equal(a->exposure_s, b->exposure_s,
                        n * sizeof *a->exposure_s);
    assert_memory_equal(a->rate, b->rate, n * sizeof *a->rate);
    assert_memory_equal(a->rate_err, b->rate_err, n * sizeof *a->rate_err);
}

static void assert_finite_cube(const offbkg_cube_t *c)
{
    for (size_t i = 0; i < c->n_cells; i++)
        if (!isfinite(c->rate[i]) || !(c->rate[i] >= 0)
            || !isfinite(c->rate_err[i]) || !isfinite(c->counts[i])
            || !isfinite(c->exposure_s[i]))
            fail_msg("cell %zu: rate %g +- %g, counts %g, exposure %g", i,
                     c->rate[i], c->rate_err[i], c->counts[i],
                     c->exposure_s[i]);
}

/* A target of group @p g0 matched with every run of group @p g1 != g0,
 * weights 1: the group's own cube, bit for bit, for every model. */
static void test_runs_weights_1_are_the_group_cube(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(match_with(f, "kind = runs\ngroup = 1\n", false),
                     OFFBKG_OK);
    assert_false(f->match.shared_groups);
    assert_int_equal(f->match.n_targets, f->ds->obs.n_rows);
    assert_true(f->make.runs_used[0] > 0 && f->make.runs_used[1] > 0);
    size_t checked = 0;
    for (size_t i = 0; i < f->match.n_targets; i++) {
        const offbkg_match_target_t *t = &f->match.targets[i];
        if (f->make.runs[run_of(f, t->obs_id)].group_id != 0)
            continue;
        assert_null(t->skipped);
        assert_int_equal(t->kind, OFFBKG_MATCH_RUNS);
        assert_int_equal(t->n, f->make.runs_used[1]);
        for (size_t m = 0; m < 2; m++) {
            offbkg_cube_t *cube;
            assert_int_equal(offbkg_match_cube(f->ctx, f->rc, &f->make, t,
                                               m, &cube), OFFBKG_OK);
            assert_same_cube(cube, f->make.models[m].cubes[1]);
            offbkg_cube_free(cube);
        }
        checked++;
    }
    assert_true(checked > 0);
}

/* The model of group @p g made by the model step without run @p skip. */
static offbkg_cube_t *group_without(fixture_t *f, size_t m, int64_t g,
                                    int64_t skip)
{
    size_t rows[64], n = 0;
    int64_t gid[64];
    offbkg_regions_t none = { 0 };
    offbkg_model_opts_t opts = { .threads = 1 };
    offbkg_model_t mk = { 0 };
    offbkg_cube_t *cube;

    for (size_t i = 0; i < f->g.obs.n_rows; i++)
        if (f->g.group_id[i] == g
            && offbkg_datastore_obs_id(f->ds, f->g.store_rows[i]) != skip) {
            rows[n] = f->g.store_rows[i];
            gid[n++] = 0;
        }
    assert_int_equal(offbkg_model_run(f->ctx, f->rc, f->ds, &none, 1, rows,
                                      gid, n, &opts, &mk), OFFBKG_OK);
    cube = offbkg_cube_copy(mk.models[m].cubes[0]);
    offbkg_model_clear(&mk);
    return cube;
}

/* GROUPS, one group (the target's), weight 1: that group's model made
 * without the target's run (the same counts; rates to rounding, as the
 * run's exposure is taken out of the group's sum). */
static void test_groups_one_group_is_the_group_without_the_target(
    void **state)
{
    fixture_t *f = *state;

    assert_int_equal(match_with(f, "kind = groups\n", false), OFFBKG_OK);
    const offbkg_match_target_t *t = &f->match.targets[0];
    int64_t g = f->make.runs[run_of(f, t->obs_id)].group_id;
    assert_true(f->make.runs_used[g] >= 2);
    assert_int_equal(t->kind, OFFBKG_MATCH_GROUPS);
    assert_int_equal(t->n, 1);
    assert_true(t->weight[0] == 1);
    for (size_t m = 0; m < 2; m++) {
        offbkg_cube_t *cube, *want = group_without(f, m, g, t->obs_id);
        const offbkg_cube_t *all = f->make.models[m].cubes[g];
        bool differs = false;
        assert_int_equal(offbkg_match_cube(f->ctx, f->rc, &f->make, t, m,
                                           &cube), OFFBKG_OK);
        assert_int_equal(cube->n_cells, want->n_cells);
        assert_memory_equal(cube->counts, want->counts,
                            want->n_cells * sizeof *want->counts);
        for (size_t c = 0; c < want->n_cells; c++) {
            assert_true(fabs(cube->rate[c] - want->rate[c])
                        <= 1e-12 * want->rate[c]);
            assert_true(fabs(cube->exposure_s[c] - want->exposure_s[c])
                        <= 1e-12 * want->exposure_s[c]);
            differs = differs || cube->counts[c] != all->counts[c];
        }
        assert_true(differs);   /* the target's own events are out */
        offbkg_cube_free(cube);
        offbkg_cube_free(want);
    }
}

/* Two groups combined in log: a cell empty in either is combined
 * linearly, never NaN or inf; a cell full in both is the geometric
 * mean. Linear: the mean. */
static void test_groups_log_with_empty_cells_stays_finite(void **state)
{
    fixture_t *f = *state;
    size_t n_empty = 0, n_full = 0;

    assert_int_equal(match_with(f, "kind = groups\ncombine = log\n"
                                   "group_ids = 0, 1\nweights = 2, 2\n",
                                false), OFFBKG_OK);
    const offbkg_match_target_t *t = &f->match.targets[0];
    assert_int_equal(t->combine, OFFBKG_COMBINE_LOG);
    assert_true(t->weight[0] == 0.5 && t->weight[1] == 0.5);
    offbkg_cube_t *cube, *node[2];
    assert_int_equal(offbkg_match_cube(f->ctx, f->rc, &f->make, t, 1,
                                       &cube), OFFBKG_OK);
    assert_finite_cube(cube);
    /* The nodes: each group without the target's run. */
    for (int k = 0; k < 2; k++)
        node[k] = group_without(f, 1, k, t->obs_id);
    for (size_t c = 0; c < cube->n_cells; c++) {
        double a = node[0]->rate[c], b = node[1]->rate[c];
        if (a > 0 && b > 0) {
            assert_true(fabs(cube->rate[c] - sqrt(a * b))
                        <= 1e-9 * sqrt(a * b));
            n_full++;
        } else {
            assert_true(fabs(cube->rate[c] - 0.5 * (a + b))
                        <= 1e-9 * (a + b));
            n_empty += (a > 0) != (b > 0);
        }
    }
    assert_true(n_empty > 0 && n_full > 0);
    offbkg_cube_free(cube);

    offbkg_match_clear(&f->match);
    load(f, "[model 2d]\nplugin = 2d\n[model 3d]\nplugin = 3d\nenergy_n = 5"
            "\ndetx_n = 12\ndety_n = 12\n[match]\nplugin = fake\nkind = "
            "groups\ngroup_ids = 0, 1\n");
    make(f, NULL);
    assert_int_equal(offbkg_match_run(f->ctx, f->rc, f->ds, &f->make, false,
                                      &f->match), OFFBKG_OK);
    t = &f->match.targets[0];
    assert_int_equal(offbkg_match_cube(f->ctx, f->rc, &f->make, t, 1,
                                       &cube), OFFBKG_OK);
    assert_finite_cube(cube);
    for (size_t c = 0; c < cube->n_cells; c++)
        assert_true(fabs(cube->rate[c]
                         - 0.5 * (node[0]->rate[c] + node[1]->rate[c]))
                    <= 1e-9 * (node[0]->rate[c] + node[1]->rate[c]));
    offbkg_cube_free(cube);
    offbkg_cube_free(node[0]);
    offbkg_cube_free(node[1]);
}

/* Wrong answers are refused, naming the plugin and the INI line. */
static void test_bad_results_are_refused(void **state)
{
    fixture_t *f = *state;
    static const struct { const char *keys, *says; } bad[] = {
        { "bad = range\n", "names OFF row 8 of 8" },
        { "kind = groups\nbad = range\n", "names group 2 of 2" },
        { "bad = twice\n", "twice" },
        { "bad = nan\n", "weight nan of OFF row" },
        { "bad = zero\n", "weight 0 of OFF row" },
        { "bad = self\n", "never part of its own OFF sample" },
        { "kind = groups\ngroup_ids = 0, 1\nweights = 1, -1\n",
          "weight -1 of group 1" },
        { "bad = fail\n", "plugin fake failed: fails on request" },
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = match_with(f, bad[i].keys, false);
        const char *msg = offbkg_error_msg(f->ctx);
        if (st != OFFBKG_EPLUGIN || strstr(msg, bad[i].says) == NULL
            || strstr(msg, "run.ini:") == NULL
            || strstr(msg, "[match] plugin fake") == NULL)
            fail_msg("%s: %d %s", bad[i].keys, st, msg);
        assert_null(f->match.targets);
    }
}

/* A target the plugin cannot match is skipped with its reason; under
 * --strict it fails the step, naming it. */
static void test_unmatched_skipped_or_strict(void **state)
{
    fixture_t *f = *state;
    int64_t id = -1;

    assert_int_equal(match_with(f, "kind = runs\n", false), OFFBKG_OK);
    id = f->match.targets[2].obs_id;
    char keys[128];
    snprintf(keys, sizeof keys, "unmatched_obs_id = %lld\n", (long long)id);
    assert_int_equal(match_with(f, keys, false), OFFBKG_OK);
    assert_int_equal(f->match.n_skipped, 1);
    assert_int_equal(f->match.n_matched, f->match.n_targets - 1);
    assert_string_equal(f->match.targets[2].skipped,
                        "fake: unmatched on request");
    offbkg_cube_t *cube = (offbkg_cube_t *)1;
    assert_int_equal(offbkg_match_cube(f->ctx, f->rc, &f->make,
                                       &f->match.targets[2], 0, &cube),
                     OFFBKG_EINVAL);
    assert_null(cube);
    assert_null(f->match.targets[3].skipped);

    assert_int_equal(match_with(f, keys, true), OFFBKG_EDATA);
    char want[128];
    snprintf(want, sizeof want, "OBS_ID %lld: not matched", (long long)id);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), want));
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "(--strict)"));
    assert_null(f->match.targets);
}

/* Without [match] the group models are every observation's. */
static void test_no_match_is_shared_groups(void **state)
{
    fixture_t *f = *state;

    load(f, models);
    make(f, NULL);
    assert_int_equal(offbkg_match_run(f->ctx, f->rc, f->ds, &f->make, true,
                                      &f->match), OFFBKG_OK);
    assert_true(f->match.shared_groups);
    assert_int_equal(f->match.n_targets, 0);
    assert_null(f->match.targets);
}

/* The pipeline's match step: after the model step, with the runs kept
 * for a per-target matcher and not otherwise. */
static void test_pipeline_match_step(void **state)
{
    fixture_t *f = *state;
    static const char *const bodies[2] = { "", "[match]\nplugin = fake\n" };

    for (int k = 0; k < 2; k++) {
        char body[2048];
        offbkg_plan_t plan = { .select = true, .group = true, .make = true,
                               .index = true };
        offbkg_pipeline_opts_t opts = { .threads = 2 };
        offbkg_pipeline_t *pl = NULL;

        snprintf(body, sizeof body, "%s%s", models, bodies[k]);
        f->out = k == 0 ? "out0" : "out1";
        load(f, body);
        if (offbkg_pipeline_new(f->ctx, f->rc, &plan, &opts, &f->diags, &pl)
            != OFFBKG_OK)
            fail_msg("pipeline: %s", offbkg_error_msg(f->ctx));
        if (offbkg_pipeline_run(f->ctx, pl) != OFFBKG_OK)
            fail_msg("run: %s", offbkg_error_msg(f->ctx));
        const offbkg_pipeline_result_t *r = offbkg_pipeline_result(pl);
        assert_non_null(r->match);
        assert_int_equal(r->match->shared_groups, k == 0);
        if (k == 0) {
            assert_null(r->models->kept);
            assert_int_equal(r->match->n_targets, 0);
        } else {
            assert_non_null(r->models->kept);
            assert_int_equal(r->match->n_targets, f->ds->obs.n_rows);
            assert_int_equal(r->match->n_matched, f->ds->obs.n_rows);
            assert_string_equal(r->match->plugin, "fake 0.0.1");
            assert_true(r->match->target_store == r->store);
        }
        offbkg_pipeline_free(pl);
    }
}

/* offbkg make's matcher gets the grouping axes from group-def.fits, as
 * they were: edges and values, bit for bit. */
static void test_group_def_axes(void **state)
{
    fixture_t *f = *state;
    char obs[PATH_MAX], def[PATH_MAX];
    offbkg_grouping_t back;

    f->group = "[group]\nplugin = bins\naxis1_column = ZEN_PNT\n"
               "axis1_edges = 0, 30.1, 60.000000000000007\n"
               "axis2_column = N_TELS\naxis2_values = 3, 4\n";
    load(f, models);
    assert_int_equal(f->g.n_axes, 2);
    assert_int_equal(offbkg_group_write(f->ctx, &f->g, f->ds,
                                        sg_path(obs, f->dir, "obs.fits"),
                                        sg_path(def, f->dir,
                                                "group-def.fits"),
                                        false, "bins 1.0.0"), OFFBKG_OK);
    assert_int_equal(offbkg_group_def_axes(f->ctx, def, &back), OFFBKG_OK);
    assert_int_equal(back.n_groups, f->g.n_groups);
    assert_int_equal(back.n_axes, 2);
    for (size_t k = 0; k < 2; k++) {
        const offbkg_gaxis_t *a = &f->g.axes[k], *b = &back.axes[k];
        size_t n_b = a->n_bins + (a->kind == OFFBKG_GROUP_AXIS_EDGES);
        assert_string_equal(b->column, a->column);
        assert_int_equal(b->kind, a->kind);
        assert_int_equal(b->n_bins, a->n_bins);
        assert_memory_equal(b->bounds, a->bounds, n_b * sizeof *a->bounds);
    }
    offbkg_group_clear(&back);

    /* A file without the cards is said, naming it. */
    assert_int_not_equal(offbkg_group_def_axes(f->ctx, obs, &back),
                         OFFBKG_OK);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "obs.fits"));
    f->group = NULL;
}

/* offbkg select, group, then make with match/zenith: the matcher knows
 * the zenith axis from group-def.fits, and every target is matched. */
static void test_staged_make_with_zenith(void **state)
{
    fixture_t *f = *state;
    const offbkg_plan_t plans[2] = { { .select = true, .group = true },
                                     { .make = true } };

    f->out = "staged";
    load(f, "[model 2d]\nplugin = 2d\n[match]\nplugin = zenith\n");
    for (int k = 0; k < 2; k++) {
        offbkg_pipeline_opts_t opts = { .threads = 2 };
        offbkg_pipeline_t *pl = NULL;
        if (offbkg_pipeline_new(f->ctx, f->rc, &plans[k], &opts, &f->diags,
                                &pl) != OFFBKG_OK
            || offbkg_pipeline_run(f->ctx, pl) != OFFBKG_OK)
            fail_msg("step %d: %s", k, offbkg_error_msg(f->ctx));
        if (k == 1) {
            const offbkg_match_t *m = offbkg_pipeline_result(pl)->match;
            assert_non_null(m);
            assert_int_equal(m->n_matched, f->ds->obs.n_rows);
            assert_int_equal(m->targets[0].kind, OFFBKG_MATCH_GROUPS);
            assert_null(offbkg_pipeline_result(pl)->models->grouping);
        }
        offbkg_pipeline_free(pl);
    }
    f->out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_take_and_add, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keep_runs_from_events_and_store,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_runs_off_keeps_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_runs_with_regions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_runs_weights_1_are_the_group_cube, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_groups_one_group_is_the_group_without_the_target, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_groups_log_with_empty_cells_stays_finite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_results_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unmatched_skipped_or_strict,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_match_is_shared_groups,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_match_step, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_group_def_axes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_staged_make_with_zenith, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
