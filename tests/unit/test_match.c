/* SPDX-License-Identifier: BSD-3-Clause
 * The match step's host side: runs' contributions kept compactly by the
 * model step (core/model_keep.c, opts.keep_runs), from events and from
 * [store], summing to the group models bit for bit. */
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
#include "sim-private.h"
#include "store-private.h"
#include "storegen.h"

typedef struct fixture {
    char dir[PATH_MAX];             /* the simulated store */
    offbkg_ctx_t *ctx;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
    offbkg_datastore_t *ds;
    offbkg_grouping_t g;
    offbkg_model_t make;
} fixture_t;

/* Eight small runs, zenith 0 to 60 deg. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    offbkg_sim_params_t p;

    assert_non_null(f);
    offbkg_sim_params_default(&p);
    p.n_runs = 8;
    p.r0 = offbkg_sim_r0_for_events(&p, 2000);
    f->ctx = offbkg_ctx_new();
    assert_non_null(f->ctx);
    offbkg_ctx_set_log_level(f->ctx, OFFBKG_LOG_ERROR);
    assert_int_equal(sg_mkdtemp(f->dir), 0);
    if (offbkg_sim_write(f->ctx, &p, f->dir, true, NULL) != OFFBKG_OK)
        fail_msg("simulate: %s", offbkg_error_msg(f->ctx));
    *state = f;
    return 0;
}

static void release(fixture_t *f)
{
    offbkg_model_clear(&f->make);
    offbkg_group_clear(&f->g);
    offbkg_datastore_free(f->ds);
    offbkg_runconf_free(f->rc);
    offbkg_diag_clear(&f->diags);
    f->ds = NULL;
    f->rc = NULL;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    release(f);
    offbkg_ctx_free(f->ctx);
    sg_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Load run.ini: every run, zenith groups 0-30-60 deg, @p body. */
static void load(fixture_t *f, const char *body)
{
    char path[PATH_MAX], text[4096];

    release(f);
    snprintf(text, sizeof text,
             "[datastore]\npath = .\n[output]\ndir = out\n[run]\n"
             "plugin_path = %s\n[select]\nplugin = all\n[group]\n"
             "plugin = zenith\nedges_deg = 0, 30, 60\n%s",
             getenv("OFFBKG_TEST_PLUGINS") ? getenv("OFFBKG_TEST_PLUGINS")
                                           : ".", body);
    assert_int_equal(sg_write_text(sg_path(path, f->dir, "run.ini"), text),
                     0);
    if (offbkg_runconf_load(f->ctx, path, NULL, 0, &f->diags, &f->rc)
        != OFFBKG_OK) {
        char *d = f->diags.n > 0 ? offbkg_diag_format(&f->diags.items[0])
                                 : NULL;
        fail_msg("run.ini does not load: %s", d != NULL ? d : "?");
    }
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
static void make(fixture_t *f, const char *sdir)
{
    offbkg_regions_t none = { 0 };
    offbkg_store_t *store = NULL;
    offbkg_model_opts_t opts = { .threads = 2, .keep_runs = true };

    offbkg_model_clear(&f->make);
    if (sdir != NULL)
        assert_int_equal(offbkg_store_open(f->ctx, sdir, true, &store),
                         OFFBKG_OK);
    opts.store = store;
    if (offbkg_model_run(f->ctx, f->rc, f->ds, &none, f->g.n_groups,
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_take_and_add, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keep_runs_from_events_and_store,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_runs_off_keeps_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
