/* SPDX-License-Identifier: BSD-3-Clause
 * The run object (core/pipeline.c) as an embedding program uses it: the
 * smooth step as its own step (the raw cube kept, both written, in model
 * then group order), which step failed, and that a failed or cancelled
 * run writes nothing; the index step of a run links the per-observation
 * models it wrote without opening them again (the same tables as offbkg
 * index, which opens them and refuses a file of another [model]). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "model_write-private.h"
#include "output-private.h"
#include "pipeline-private.h"
#include "runconf-private.h"
#include "sim-private.h"
#include "simstore.h"
#include "storegen.h"

typedef struct fixture {
    char dir[PATH_MAX];             /* the simulated store */
    offbkg_ctx_t *ctx;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
    offbkg_pipeline_t *pl;
} fixture_t;

/* Two zenith groups of two small runs each. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->ctx = simstore_new(f->dir, 4, 3000);
    *state = f;
    return 0;
}

static void release(fixture_t *f)
{
    offbkg_pipeline_free(f->pl);
    f->pl = NULL;
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

/* Load run.ini, [output] dir = @p out, zenith groups @p edges_deg, with
 * @p body, for the steps of @p plan. */
static void start_plan(fixture_t *f, const char *out, const char *edges_deg,
                       const char *body, offbkg_plan_t plan)
{
    char path[PATH_MAX], text[4096];
    offbkg_pipeline_opts_t opts = { .threads = 2 };

    release(f);
    snprintf(text, sizeof text,
             "[datastore]\npath = .\n[output]\ndir = %s\n[select]\nplugin = all\n"
             "[group]\nplugin = zenith\nedges_deg = %s\n%s", out,
             edges_deg, body);
    assert_int_equal(sg_write_text(sg_path(path, f->dir, "run.ini"), text),
                     0);
    if (offbkg_runconf_load(f->ctx, path, NULL, 0, &f->diags, &f->rc)
            != OFFBKG_OK
        || offbkg_pipeline_new(f->ctx, f->rc, &plan, &opts, &f->diags,
                               &f->pl) != OFFBKG_OK) {
        char *d = f->diags.n > 0 ? offbkg_diag_format(&f->diags.items[0])
                                 : NULL;
        fail_msg("run.ini does not start: %s", d != NULL ? d : "?");
    }
}

/* The same, for `offbkg run`. */
static void start(fixture_t *f, const char *out, const char *edges_deg,
                  const char *body)
{
    start_plan(f, out, edges_deg, body,
               (offbkg_plan_t){ .select = true, .group = true, .make = true,
                                .index = true });
}

static bool exists(const fixture_t *f, const char *rel)
{
    char path[PATH_MAX];
    struct stat st;

    return stat(sg_path(path, f->dir, "%s", rel), &st) == 0;
}

static void test_smooth_is_a_step(void **state)
{
    fixture_t *f = *state;

    /* The raw cubes of a run without a smoother... */
    start(f, "raw", "0, 30, 60", "[model 2d]\nplugin = 2d\n");
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_OK);
    const offbkg_model_t *raw = offbkg_pipeline_result(f->pl)->models;
    assert_int_equal(raw->n_groups, 2);
    assert_null(raw->models[0].smoothed);
    offbkg_cube_t *raw_cube[2];
    for (size_t g = 0; g < 2; g++) {
        assert_non_null(raw->models[0].cubes[g]);
        raw_cube[g] = offbkg_cube_copy(raw->models[0].cubes[g]);
    }
    assert_int_equal(offbkg_pipeline_result(f->pl)->n_model_files, 2);

    /* ...are those of a run with one, which adds the smoothed copies. */
    start(f, "smooth", "0, 30, 60", "[model 2d]\nplugin = 2d\n[smooth 2d]\n"
                       "plugin = gauss1d\n");
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_OK);
    const offbkg_pipeline_result_t *r = offbkg_pipeline_result(f->pl);
    const offbkg_model_result_t *m = &r->models->models[0];
    assert_non_null(m->smoothed);
    for (size_t g = 0; g < 2; g++) {
        size_t n = raw_cube[g]->n_cells;
        assert_memory_equal(m->cubes[g]->counts, raw_cube[g]->counts,
                            n * sizeof *raw_cube[g]->counts);
        assert_memory_equal(m->cubes[g]->rate, raw_cube[g]->rate,
                            n * sizeof *raw_cube[g]->rate);
        assert_non_null(m->smoothed[g]);
        assert_memory_not_equal(m->smoothed[g]->rate, raw_cube[g]->rate,
                                n * sizeof *raw_cube[g]->rate);
        offbkg_cube_free(raw_cube[g]);
    }
    /* Group by group, the raw file then the smoothed one. */
    assert_int_equal(r->n_model_files, 4);
    assert_non_null(strstr(r->model_files[0], "/background_2D_group_000"));
    assert_non_null(strstr(r->model_files[1],
                           "/smooth_background_2D_group_000"));
    assert_non_null(strstr(r->model_files[2], "/background_2D_group_001"));
    assert_non_null(strstr(r->model_files[3],
                           "/smooth_background_2D_group_001"));
    assert_true(exists(f, "smooth/report.json"));
    assert_int_equal(offbkg_pipeline_failed_step(f->pl, NULL),
                     OFFBKG_STEP_NONE);
}

static void test_failed_step_writes_nothing(void **state)
{
    fixture_t *f = *state;
    bool writing = true;

    /* No run falls in the one group: the group step fails, in the check
     * as in the run, and the run writes nothing. */
    start(f, "none", "85, 89", "[model 2d]\nplugin = 2d\n");
    assert_int_equal(offbkg_pipeline_check(f->ctx, f->pl), OFFBKG_EDATA);
    assert_int_equal(offbkg_pipeline_failed_step(f->pl, &writing),
                     OFFBKG_STEP_GROUP);
    assert_false(writing);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "into a group"));
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_EDATA);
    assert_int_equal(offbkg_pipeline_failed_step(f->pl, NULL),
                     OFFBKG_STEP_GROUP);
    assert_false(exists(f, "none/run.lis"));
    assert_string_equal(offbkg_pipeline_step_name(OFFBKG_STEP_GROUP),
                        "group");
}

static void test_cancelled_writes_nothing(void **state)
{
    fixture_t *f = *state;
    volatile sig_atomic_t stop = 1;

    start(f, "cancelled", "0, 30, 60", "[model 2d]\nplugin = 2d\n");
    offbkg_ctx_set_cancel_flag(f->ctx, &stop);
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_ECANCELLED);
    offbkg_ctx_set_cancel_flag(f->ctx, NULL);
    assert_int_equal(offbkg_pipeline_failed_step(f->pl, NULL),
                     OFFBKG_STEP_SELECT);
    assert_false(exists(f, "cancelled/run.lis"));
    assert_false(exists(f, "cancelled/report.json"));
}

/* Per-observation models of match/nearest, each from its 2 nearest
 * runs: all 4 runs are matched. */
#define OWN_MODELS "[model 2d]\nplugin = 2d\n[match]\nplugin = nearest\n" \
                   "columns = ZEN_PNT\nmin_runs = 2\nmax_runs = 2\n"

typedef struct spoiler {
    fixture_t *f;
    const char *out;
    int n_spoiled;
} spoiler_t;

/* A log sink that, once the match step has written the per-observation
 * files (and before the index step, a round later), writes garbage over
 * the start of each, keeping its size: an index step that opened them
 * again would fail. */
static void spoil_own_models(void *user, offbkg_log_level_t level,
                             const char *prefix, const char *msg)
{
    spoiler_t *sp = user;
    const offbkg_datastore_t *store = offbkg_pipeline_result(sp->f->pl)->store;
    char out[PATH_MAX], junk[2880];

    (void)level;
    (void)prefix;
    if (strstr(msg, "per-observation model files") == NULL)
        return;
    memset(junk, 'x', sizeof junk);
    sg_path(out, sp->f->dir, "%s", sp->out);
    for (size_t i = 0; i < store->obs.n_rows; i++) {
        char *p = offbkg_model_write_obs_path(
            sp->f->rc, 0, 2, offbkg_datastore_obs_id(store, i), false, out);
        char *staged = p != NULL ? offbkg_output_read_path(sp->f->ctx, p)
                                 : NULL;
        FILE *fp = staged != NULL ? fopen(staged, "r+b") : NULL;
        if (fp != NULL && fwrite(junk, 1, sizeof junk, fp) == sizeof junk)
            sp->n_spoiled++;
        if (fp != NULL)
            fclose(fp);
        free(staged);
        free(p);
    }
}

static void test_run_links_own_models_unopened(void **state)
{
    fixture_t *f = *state;
    spoiler_t sp = { f, "spoiled", 0 };

    start(f, "spoiled", "0, 30, 60", OWN_MODELS);
    offbkg_ctx_set_log_level(f->ctx, OFFBKG_LOG_INFO);
    offbkg_ctx_set_log_sink(f->ctx, spoil_own_models, &sp);
    int st = offbkg_pipeline_run(f->ctx, f->pl);
    offbkg_ctx_set_log_sink(f->ctx, NULL, NULL);
    offbkg_ctx_set_log_level(f->ctx, OFFBKG_LOG_ERROR);
    if (st != OFFBKG_OK)
        fail_msg("run: %s", offbkg_error_msg(f->ctx));
    assert_int_equal(sp.n_spoiled, 4);
    const offbkg_index_result_t *ix = offbkg_pipeline_result(f->pl)->index;
    assert_int_equal(ix->n_obs, 4);
    assert_int_equal(ix->n_linked, 4);
    assert_int_equal(ix->n_no_model, 0);
}

/* The bytes of @p path (*n of them), to free. */
static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    char *buf = malloc(1 << 20);

    assert_non_null(fp);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, fp);
    assert_true(*n > 0 && *n < (1 << 20));
    fclose(fp);
    return buf;
}

/* `offbkg run` with @p body into @p out, then `offbkg index` (which opens
 * the files the run wrote): the same hdu-index and bkg-index, byte for
 * byte (SIZE included); the index tables are removed after. */
static void assert_index_as_run(fixture_t *f, const char *out,
                                const char *body)
{
    static const char *const tables[3] = { "hdu-index.fits.gz",
                                           "bkg-index.fits.gz",
                                           "obs-index.fits.gz" };
    char *ran[2], path[PATH_MAX];
    size_t n_ran[2];

    start(f, out, "0, 30, 60", body);
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_OK);
    for (int k = 0; k < 3; k++) {
        sg_path(path, f->dir, "%s/%s", out, tables[k]);
        if (k < 2)
            ran[k] = slurp(path, &n_ran[k]);
        assert_int_equal(unlink(path), 0);
    }
    start_plan(f, out, "0, 30, 60", body, (offbkg_plan_t){ .index = true });
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_OK);
    assert_int_equal(offbkg_pipeline_result(f->pl)->index->n_linked, 4);
    for (int k = 0; k < 3; k++) {
        size_t n;
        sg_path(path, f->dir, "%s/%s", out, tables[k]);
        if (k < 2) {
            char *again = slurp(path, &n);
            assert_int_equal(n, n_ran[k]);
            assert_memory_equal(again, ran[k], n);
            free(again);
            free(ran[k]);
        }
        assert_int_equal(unlink(path), 0);
    }
}

static void test_index_alone_reads_models(void **state)
{
    fixture_t *f = *state;
    const offbkg_plan_t index = { .index = true };

    /* Per-observation models, and group models raw and smoothed. */
    assert_index_as_run(f, "own", OWN_MODELS);
    assert_index_as_run(f, "groups", "[model 2d]\nplugin = 2d\n"
                        "[smooth 2d]\nplugin = gauss1d\n");

    /* The same file names, made by [model 2d], are not [model other]'s:
     * no row links them. */
    start_plan(f, "own", "0, 30, 60",
               "[model other]\nplugin = 2d\n[match]\nplugin = nearest\n"
               "columns = ZEN_PNT\n", index);
    assert_int_equal(offbkg_pipeline_run(f->ctx, f->pl), OFFBKG_OK);
    assert_int_equal(offbkg_pipeline_result(f->pl)->index->n_linked, 0);
    assert_int_equal(offbkg_pipeline_result(f->pl)->index->n_no_model, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smooth_is_a_step),
        cmocka_unit_test(test_failed_step_writes_nothing),
        cmocka_unit_test(test_cancelled_writes_nothing),
        cmocka_unit_test(test_run_links_own_models_unopened),
        cmocka_unit_test(test_index_alone_reads_models),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
