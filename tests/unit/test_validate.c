/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg validate's engine (core/validate.c) on a simulated store: each
 * run's prediction is that of a model made by the model step without the
 * run, computed here independently; cells without the run's exposure
 * (an exclusion region) are left out; the runs [validate] names; the
 * strategies' names and ranks; the same numbers on 1 and 2 threads; the
 * judgement of runs started without some of them. */
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
#include "model-private.h"
#include "runconf-private.h"
#include "validate-private.h"
#include "simstore.h"
#include "storegen.h"

typedef struct fixture {
    char dir[PATH_MAX];
    offbkg_ctx_t *ctx;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
    offbkg_datastore_t *ds;
    offbkg_grouping_t g;
    offbkg_model_t make;
    offbkg_validation_t v;
    offbkg_region_t items[64];
    offbkg_regions_t regions;
} fixture_t;

/* Eight runs of about 3000 events, zenith 10 to 60 deg. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->ctx = simstore_new(f->dir, 8, 3000);
    f->regions.items = f->items;
    *state = f;
    return 0;
}

static void release(fixture_t *f)
{
    offbkg_validate_clear(&f->v);
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

/* run.ini with every run in one zenith group, then @p body; the runs
 * grouped and modelled (kept), with f->regions. */
static void load_and_make(fixture_t *f, const char *body)
{
    char text[4096];
    size_t rows[64];
    offbkg_model_opts_t opts = { .threads = 2, .keep_runs = true };

    release(f);
    snprintf(text, sizeof text,
             "[datastore]\npath = .\n[output]\ndir = out\n[run]\n"
             "plugin_path = %s\n[select]\nplugin = all\n[group]\n"
             "plugin = zenith\nedges_deg = 0, 90\n%s",
             getenv("OFFBKG_TEST_PLUGINS") ? getenv("OFFBKG_TEST_PLUGINS")
                                           : ".", body);
    simstore_load_conf(f->ctx, f->dir, text, &f->diags, &f->rc);
    assert_int_equal(offbkg_datastore_open(f->ctx, f->rc->datastore, &f->ds),
                     OFFBKG_OK);
    for (size_t i = 0; i < f->ds->obs.n_rows; i++)
        rows[i] = i;
    assert_int_equal(offbkg_group_run(f->ctx, f->rc, f->ds, rows,
                                      f->ds->obs.n_rows, &f->g), OFFBKG_OK);
    if (offbkg_model_run(f->ctx, f->rc, f->ds, &f->regions, f->g.n_groups,
                         f->g.store_rows, f->g.group_id, f->g.obs.n_rows,
                         &opts, &f->make) != OFFBKG_OK)
        fail_msg("model: %s", offbkg_error_msg(f->ctx));
}

static void validate(fixture_t *f, size_t threads)
{
    offbkg_validate_clear(&f->v);
    if (offbkg_validate_run(f->ctx, f->rc, &f->make, threads, false, &f->v)
        != OFFBKG_OK)
        fail_msg("validate: %s", offbkg_error_msg(f->ctx));
}

/* Model @p m of the runs of the store other than @p skip and the
 * @p n_also OBS_IDs @p also (or only @p skip with @p only), made by the
 * model step afresh. */
static offbkg_cube_t *model_of(fixture_t *f, size_t m, int64_t skip,
                               const int64_t *also, size_t n_also, bool only)
{
    size_t rows[64], n = 0;
    int64_t gid[64];
    offbkg_model_opts_t opts = { .threads = 1 };
    offbkg_model_t mk = { 0 };
    offbkg_cube_t *cube;

    for (size_t i = 0; i < f->g.obs.n_rows; i++) {
        int64_t id = offbkg_datastore_obs_id(f->ds, f->g.store_rows[i]);
        bool self = id == skip;
        for (size_t j = 0; !only && j < n_also; j++)
            self = self || id == also[j];
        if (self == only) {
            rows[n] = f->g.store_rows[i];
            gid[n++] = 0;
        }
    }
    assert_int_equal(offbkg_model_run(f->ctx, f->rc, f->ds, &f->regions, 1,
                                      rows, gid, n, &opts, &mk), OFFBKG_OK);
    cube = offbkg_cube_copy(mk.models[m].cubes[0]);
    offbkg_model_clear(&mk);
    return cube;
}

/* What strategy @p s of f->v says of run @p k, against the cubes made
 * here without it and the @p n_also runs @p also: N and M over the cells
 * with the run's exposure and a prediction, and the cells left out. */
static void assert_run_as_computed(fixture_t *f, size_t s, size_t k,
                                   const int64_t *also, size_t n_also)
{
    const offbkg_validate_strategy_t *vs = &f->v.strategies[s];
    const offbkg_validate_run_t *r = &vs->runs[k];
    offbkg_cube_t *without = model_of(f, vs->model, r->obs_id, also, n_also,
                                      false);
    offbkg_cube_t *own = model_of(f, vs->model, r->obs_id, NULL, 0, true);
    double n_obs = 0, n_pred = 0, var = 0;
    size_t cells = 0, no_exposure = 0;
    size_t per_e = own->n_cells / own->axes[0].n_bins;

    for (size_t c = 0; c < own->n_cells; c++) {
        const double *e = own->axes[0].edges;
        double f_c = own->exposure_s[c] * 1e6
                     * (e[c / per_e + 1] - e[c / per_e])
                     * own->solid_angle_sr[c];
        double mu = without->rate[c] * f_c, err = without->rate_err[c] * f_c;
        if (!(f_c > 0)) {
            no_exposure++;
            continue;
        }
        n_obs += own->counts[c];    /* predicted or not */
        if (!(mu > 0))
            continue;
        n_pred += mu;
        var += err * err;
        cells++;
    }
    assert_null(r->skipped);
    assert_true(n_obs > 0 && n_pred > 0);
    assert_true(r->n_obs == n_obs);
    assert_true(fabs(r->n_pred - n_pred) <= 1e-9 * n_pred);
    assert_true(fabs(r->var_pred - var) <= 1e-9 * var);
    assert_int_equal(r->n_cells, cells);
    assert_true(fabs(r->ratio - n_obs / n_pred) <= 1e-9);
    if (f->regions.n > 0)
        assert_true(no_exposure > 0);
    offbkg_cube_free(without);
    offbkg_cube_free(own);
}

static const char *const models_2d_3d =
    "[model 2d]\nplugin = 2d\n[model 3d]\nplugin = 3d\nenergy_n = 4\n"
    "detx_n = 12\ndety_n = 12\n";

/* The group models: each run against its group's model without it, for
 * both models; the strategies named after the sections. */
static void test_group_prediction_is_the_model_without_the_run(void **state)
{
    fixture_t *f = *state;

    load_and_make(f, models_2d_3d);
    validate(f, 2);
    assert_int_equal(f->v.n_runs, 8);
    assert_int_equal(f->v.n_strategies, 2);
    assert_string_equal(f->v.strategies[0].name, "group/2d");
    assert_string_equal(f->v.strategies[1].name, "group/3d");
    assert_string_equal(f->v.strategies[0].match_plugin, "group");
    for (size_t s = 0; s < 2; s++)
        for (size_t k = 0; k < f->v.n_runs; k++)
            assert_run_as_computed(f, s, k, NULL, 0);
    /* In OBS_ID order. */
    for (size_t k = 1; k < f->v.n_runs; k++)
        assert_true(f->v.strategies[0].runs[k].obs_id
                    > f->v.strategies[0].runs[k - 1].obs_id);
}

/* [validate] folds = 3: the runs in OBS_ID order cut in three stretches
 * (3, 3, 2 runs), each predicted by the group model without its whole
 * fold; nearest runs are never of the fold either. */
static void test_folds(void **state)
{
    fixture_t *f = *state;

    load_and_make(f, "[model]\nplugin = 2d\n[match grp]\nplugin = group\n"
                     "[match near]\nplugin = nearest\ncolumns = ZEN_PNT\n"
                     "min_runs = 2\nmax_runs = 2\n[validate]\nfolds = 3\n");
    validate(f, 2);
    assert_int_equal(f->v.folds, 3);
    for (size_t k = 0; k < f->v.n_runs; k++) {
        int64_t fold[3];
        size_t n = 0, first = k < 3 ? 0 : k < 6 ? 3 : 6;
        for (size_t j = first; j < first + 3 && j < f->v.n_runs; j++)
            if (j != k)
                fold[n++] = f->v.strategies[0].runs[j].obs_id;
        assert_run_as_computed(f, 0, k, fold, n);
        assert_null(f->v.strategies[1].runs[k].skipped);
        assert_int_equal(f->v.strategies[1].runs[k].n_matched, 2);
    }
    load_and_make(f, "[model]\nplugin = 2d\n[validate]\nfolds = 9\n");
    assert_int_equal(offbkg_validate_run(f->ctx, f->rc, &f->make, 1, false,
                                         &f->v), OFFBKG_EDATA);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "folds = 9"));
}

/* An exclusion region at each pointing: its cells have no exposure in
 * the run and are left out, not counted as zeros. */
static void test_excluded_cells_are_left_out(void **state)
{
    fixture_t *f = *state;
    offbkg_obs_table_t v;

    load_and_make(f, models_2d_3d);     /* to read the pointings */
    v = offbkg_table_view(&f->ds->obs);
    for (size_t i = 0; i < f->ds->obs.n_rows; i++)
        f->items[f->regions.n++] = (offbkg_region_t){
            .ra_deg = offbkg_column_get_double(
                offbkg_obs_table_column(&v, "RA_PNT"), i),
            .dec_deg = offbkg_column_get_double(
                offbkg_obs_table_column(&v, "DEC_PNT"), i),
            .radius_deg = 1.5 };
    load_and_make(f, models_2d_3d);
    validate(f, 2);
    for (size_t s = 0; s < 2; s++)
        for (size_t k = 0; k < f->v.n_runs; k++)
            assert_run_as_computed(f, s, k, NULL, 0);
}

/* Nearest runs and the group models, the 2D model smoothed too: the
 * strategies in the INI's order, raw then smoothed, ranked by their
 * systematic; every number finite. */
static void test_strategies_named_and_ranked(void **state)
{
    fixture_t *f = *state;

    load_and_make(f, "[model]\nplugin = 2d\n[smooth]\nplugin = gauss1d\n"
                     "[match near]\nplugin = nearest\ncolumns = ZEN_PNT\n"
                     "min_runs = 3\nmax_runs = 3\n[match grp]\n"
                     "plugin = group\n[validate]\nmin_predicted = 1\n");
    validate(f, 2);
    assert_int_equal(f->v.n_strategies, 4);
    assert_string_equal(f->v.strategies[0].name, "near/model");
    assert_string_equal(f->v.strategies[1].name, "near/model/smooth");
    assert_string_equal(f->v.strategies[2].name, "grp/model");
    assert_string_equal(f->v.strategies[3].name, "grp/model/smooth");
    assert_true(f->v.strategies[1].smoothed);
    for (size_t r = 0; r < 4; r++) {
        const offbkg_validate_strategy_t *s =
            &f->v.strategies[f->v.by_rank[r]];
        assert_int_equal(s->rank, r + 1);
        if (r > 0)
            assert_true(s->sys.sigma_sys >= f->v.strategies[f->v.by_rank[r
                                                 - 1]].sys.sigma_sys);
        assert_int_equal(s->n_predicted, 8);
        assert_true(isfinite(s->sys.sigma_sys) && isfinite(s->sys.mean));
        assert_true(s->sig_moments.n > 0);
        for (size_t p = 0; p < s->n_profiles; p++)
            for (size_t b = 0; b < s->profiles[p].n_bins; b++)
                assert_true(isfinite(s->profiles[p].ratio[b])
                            && isfinite(s->profiles[p].ratio_err[b]));
    }
    /* The smoothed prediction is another one: its numbers differ. */
    assert_true(f->v.strategies[0].runs[0].n_pred
                != f->v.strategies[1].runs[0].n_pred);
    /* Profiles: ENERG, THETA, then the column ZEN_PNT over its runs. */
    assert_int_equal(f->v.strategies[0].n_profiles, 3);
    assert_string_equal(f->v.strategies[0].profiles[2].name, "ZEN_PNT");
    size_t in_bins = 0;
    for (size_t b = 0; b < f->v.strategies[0].profiles[2].n_bins; b++)
        in_bins += f->v.strategies[0].profiles[2].n_runs[b];
    assert_int_equal(in_bins, 8);
}

/* [validate] obs_ids: only those runs, and an OBS_ID that is not a run
 * is an error naming it. */
static void test_obs_ids(void **state)
{
    fixture_t *f = *state;
    char body[512];
    int64_t a, b;

    load_and_make(f, "[model]\nplugin = 2d\n");
    a = f->make.runs[2].obs_id;
    b = f->make.runs[5].obs_id;
    snprintf(body, sizeof body, "[model]\nplugin = 2d\n[validate]\n"
             "obs_ids = %lld, %lld\n", (long long)b, (long long)a);
    load_and_make(f, body);
    validate(f, 1);
    assert_int_equal(f->v.n_runs, 2);
    assert_true(f->v.strategies[0].runs[0].obs_id == (a < b ? a : b));
    assert_true(f->v.strategies[0].runs[1].obs_id == (a < b ? b : a));

    load_and_make(f, "[model]\nplugin = 2d\n[validate]\nobs_ids = 999999\n");
    assert_int_equal(offbkg_validate_run(f->ctx, f->rc, &f->make, 1, false,
                                         &f->v), OFFBKG_EDATA);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "OBS_ID 999999"));
    assert_int_equal(f->v.n_strategies, 0);
}

/* The same numbers, bit for bit, whatever the threads. */
static void test_threads_do_not_change_anything(void **state)
{
    fixture_t *f = *state;
    offbkg_validation_t one;

    load_and_make(f, models_2d_3d);
    validate(f, 1);
    one = f->v;
    memset(&f->v, 0, sizeof f->v);
    validate(f, 2);
    for (size_t s = 0; s < one.n_strategies; s++) {
        const offbkg_validate_strategy_t *x = &one.strategies[s],
                                         *y = &f->v.strategies[s];
        for (size_t k = 0; k < one.n_runs; k++) {
            assert_true(x->runs[k].n_pred == y->runs[k].n_pred);
            assert_true(x->runs[k].deviance == y->runs[k].deviance);
            assert_true(x->runs[k].pull == y->runs[k].pull);
        }
        assert_memory_equal(x->sig_counts, y->sig_counts,
                            x->sig_n_bins * sizeof *x->sig_counts);
        assert_true(x->sig_moments.width == y->sig_moments.width);
        assert_true(x->sys.sigma_sys == y->sys.sigma_sys);
        for (size_t p = 0; p < x->n_profiles; p++)
            assert_memory_equal(x->profiles[p].n_pred, y->profiles[p].n_pred,
                                x->profiles[p].n_bins
                                    * sizeof *x->profiles[p].n_pred);
        for (size_t j = 0; j < x->map_nx * x->map_ny; j++)
            assert_true(x->map_n_pred[j] == y->map_n_pred[j]);
    }
    offbkg_validate_clear(&one);
}

/* offbkg_validate_judge: 30 runs of 7000 predicted counts within 1% of
 * it and 3 with 30% more. Of all runs, the 3 widen the systematic until
 * none stands out; started without them (what outlier rejection's robust
 * screen gives, core/outliers.c), exactly they are flagged, and the
 * systematic is that of the others. */
static void test_judge_first_drop(void **state)
{
    offbkg_validate_run_t runs[33];
    bool drop[33] = { false };
    offbkg_stats_sys_t sys;
    size_t n_out = 99;
    offbkg_ctx_t *ctx = offbkg_ctx_new();

    (void)state;
    for (size_t k = 0; k < 33; k++) {
        double f = k >= 30 ? 1.3 : 1 + 0.01 * ((double)(k % 5) - 2) / 2;
        runs[k] = (offbkg_validate_run_t){ .obs_id = (int64_t)k,
                                           .n_obs = 7000 * f,
                                           .n_pred = 7000, .var_pred = 100 };
        runs[k].ratio = runs[k].n_obs / runs[k].n_pred;
        drop[k] = k >= 30;
    }
    assert_int_equal(offbkg_validate_judge(ctx, runs, 33, 5, NULL, &sys,
                                           &n_out), OFFBKG_OK);
    assert_int_equal(n_out, 0);
    assert_true(sys.sigma_sys > 0.05);
    assert_int_equal(offbkg_validate_judge(ctx, runs, 33, 5, drop, &sys,
                                           &n_out), OFFBKG_OK);
    assert_int_equal(n_out, 3);
    for (size_t k = 0; k < 33; k++)
        assert_true(runs[k].outlier == (k >= 30));
    assert_true(sys.sigma_sys < 0.01);
    assert_true(runs[31].pull > 20);
    offbkg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_group_prediction_is_the_model_without_the_run, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_excluded_cells_are_left_out,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_strategies_named_and_ranked,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_obs_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_do_not_change_anything,
                                        setup, teardown),
        cmocka_unit_test(test_judge_first_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
