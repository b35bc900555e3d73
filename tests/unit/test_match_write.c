/* SPDX-License-Identifier: BSD-3-Clause
 * The per-observation model files (core/match_write.c) from a hand-made
 * match: names, HDUs and cards, the smoothed copy, a target without a
 * cube skipped (or failing under strict, with no file of it), existing
 * files refused without overwrite, the same files on 1 and 3 threads;
 * the index links each observation to its own file; report.json says
 * what each target was matched with. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fitsio.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "match_write-private.h"
#include "index-private.h"
#include "model_write-private.h"
#include "report-private.h"
#include "pipeline-private.h"
#include "runconf-private.h"
#include "sim-private.h"
#include "simstore.h"
#include "storegen.h"

#define N_TARGETS 4

typedef struct fixture {
    char dir[PATH_MAX];             /* the simulated store */
    offbkg_ctx_t *ctx;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
    offbkg_pipeline_t *pl;
    const offbkg_model_t *make;
    int64_t obs_id[N_TARGETS];
    /* the match: target 0 made of runs 1 and 2, target 1 of runs 0 and 3,
     * target 2 of group 0 and 1 (no cube: skipped), target 3 unmatched */
    offbkg_match_target_t t[N_TARGETS];
    size_t off[2][2];
    int64_t off_id[3][2];
    int32_t gid[3][2];
    double w[3][2], d[3][2];
    offbkg_match_t match;
} fixture_t;

/* Four runs in two zenith groups, [model 2d] smoothed, modelled. */
static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    char path[PATH_MAX], text[1024];
    offbkg_plan_t plan = { .select = true, .group = true, .make = true };
    offbkg_pipeline_opts_t opts = { .threads = 2 };

    assert_non_null(f);
    f->ctx = simstore_new(f->dir, 4, 3000);
    snprintf(text, sizeof text,
             "[datastore]\npath = .\n[output]\ndir = groups\n[select]\n"
             "plugin = all\n[group]\nplugin = zenith\nedges_deg = 0, 30, 60\n"
             "[model 2d]\nplugin = 2d\n[smooth 2d]\nplugin = gauss1d\n");
    assert_int_equal(sg_write_text(sg_path(path, f->dir, "run.ini"), text),
                     0);
    if (offbkg_runconf_load(f->ctx, path, NULL, 0, &f->diags, &f->rc)
            != OFFBKG_OK
        || offbkg_pipeline_new(f->ctx, f->rc, &plan, &opts, &f->diags,
                               &f->pl) != OFFBKG_OK
        || offbkg_pipeline_run(f->ctx, f->pl) != OFFBKG_OK)
        fail_msg("the group models: %s", offbkg_error_msg(f->ctx));
    f->make = offbkg_pipeline_result(f->pl)->models;
    assert_int_equal(f->make->n_runs, 4);
    for (size_t i = 0; i < N_TARGETS; i++)
        f->obs_id[i] = f->make->runs[i].obs_id;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    for (size_t i = 0; i < N_TARGETS; i++)
        free(f->t[i].skipped);
    offbkg_pipeline_free(f->pl);
    simstore_conf_clear(&f->rc, &f->diags);
    simstore_free(f->ctx, f->dir);
    free(f);
    return 0;
}

/* A fresh hand-made match of the four runs as targets. */
static void make_match(fixture_t *f)
{
    static const size_t runs[2][2] = { { 1, 2 }, { 0, 3 } };

    for (size_t i = 0; i < N_TARGETS; i++) {
        free(f->t[i].skipped);
        f->t[i] = (offbkg_match_target_t){
            .obs_id = f->obs_id[i], .row = i, .kind = OFFBKG_MATCH_RUNS,
            .zen_pnt_deg = 10.0 * (double)i, .az_pnt_deg = NAN,
            .livetime_s = 1500, .off_livetime_s = 3000 };
    }
    for (size_t k = 0; k < 2; k++) {
        for (size_t j = 0; j < 2; j++) {
            f->off[k][j] = runs[k][j];
            f->off_id[k][j] = f->obs_id[runs[k][j]];
            f->gid[k][j] = f->make->runs[runs[k][j]].group_id;
            f->w[k][j] = 1;
            f->d[k][j] = 0.25 * (double)(j + 1);
        }
        f->t[k].n = 2;
        f->t[k].off = f->off[k];
        f->t[k].off_obs_id = f->off_id[k];
        f->t[k].group_id = f->gid[k];
        f->t[k].weight = f->w[k];
        f->t[k].distance = f->d[k];
        f->t[k].has_distance = true;
    }
    f->off_id[2][0] = f->off_id[2][1] = -1;
    f->gid[2][0] = 0;
    f->gid[2][1] = 1;
    f->w[2][0] = 0.75;
    f->w[2][1] = 0.25;
    f->d[2][0] = f->d[2][1] = 0;
    f->t[2] = (offbkg_match_target_t){
        .obs_id = f->obs_id[2], .row = 2, .kind = OFFBKG_MATCH_GROUPS,
        .combine = OFFBKG_COMBINE_LINEAR, .n = 2, .off_obs_id = f->off_id[2],
        .group_id = f->gid[2], .weight = f->w[2], .distance = f->d[2],
        .zen_pnt_deg = NAN, .az_pnt_deg = NAN, .livetime_s = NAN,
        .off_livetime_s = 2800 };
    f->t[3].skipped = strdup("1 run within the cuts: min_runs = 2");
    f->match = (offbkg_match_t){ .plugin = "nearest 1.0.0", .n_targets = 4,
                                 .targets = f->t, .n_matched = 3,
                                 .n_skipped = 1 };
}

/* A cube per target: a copy of the group model of run t->row's group,
 * and no exposure (OFFBKG_EDATA) for a target made of groups. */
static int fake_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_model_t *make,
                     const offbkg_match_target_t *t, size_t m,
                     offbkg_cube_t **cube)
{
    (void)rc;
    if (t->kind == OFFBKG_MATCH_GROUPS)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "no exposure");
    *cube = offbkg_cube_copy(
        make->models[m].cubes[make->runs[t->row].group_id]);
    return *cube != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;
}

/* Whether [output] dir @p out has the (smoothed) 2D model of @p id. */
static bool file_exists(const fixture_t *f, const char *out, bool smooth,
                        int64_t id)
{
    char name[128], path[PATH_MAX];
    struct stat sb;

    snprintf(name, sizeof name, "%sbackground_2D_obs_%06" PRId64
             "_table.fits.gz", smooth ? "smooth_" : "", id);
    return stat(sg_path(path, f->dir, "%s/%s", out, name), &sb) == 0;
}

/* Card @p key as written (integers), or its string value (@p str). */
static void assert_key(fitsfile *fp, const char *key, const char *want,
                       bool str)
{
    char value[FLEN_VALUE];
    int st = 0;

    if ((str ? fits_read_key(fp, TSTRING, key, value, NULL, &st)
             : fits_read_keyword(fp, key, value, NULL, &st)) != 0)
        fail_msg("keyword %s missing", key);
    assert_string_equal(value, want);
}

/* Write f->match into [output] dir @p out. */
static int write_into(fixture_t *f, const char *out, bool overwrite,
                      bool strict, size_t threads, size_t *n_files)
{
    char dir[PATH_MAX];

    sg_path(dir, f->dir, "%s", out);
    mkdir(dir, 0755);
    return offbkg_match_write(f->ctx, f->rc, f->make, &f->match, fake_cube,
                              dir, overwrite, strict, threads, n_files,
                              NULL);
}

static void test_match_write_files(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX], name[128];
    size_t n_files = 0;
    fitsfile *fp = NULL;
    int st = 0, n_hdus = 0;

    make_match(f);
    assert_int_equal(write_into(f, "obs", false, false, 3, &n_files),
                     OFFBKG_OK);
    /* targets 0 and 1: raw and smoothed; 2 skipped; 3 was unmatched */
    assert_int_equal(n_files, 4);
    for (size_t i = 0; i < 2; i++) {
        assert_true(file_exists(f, "obs", false, f->obs_id[i]));
        assert_true(file_exists(f, "obs", true, f->obs_id[i]));
        assert_null(f->t[i].skipped);
    }
    for (size_t i = 2; i < 4; i++)
        assert_false(file_exists(f, "obs", false, f->obs_id[i]));
    assert_non_null(f->t[2].skipped);
    assert_non_null(strstr(f->t[2].skipped, "[model 2d]"));
    assert_non_null(strstr(f->t[2].skipped, "no exposure"));
    assert_int_equal(f->match.n_matched, 2);
    assert_int_equal(f->match.n_skipped, 2);

    /* the HDUs, the cards and the MATCH rows */
    snprintf(name, sizeof name, "obs/smooth_background_2D_obs_%06" PRId64
             "_table.fits.gz", f->obs_id[1]);
    fits_open_file(&fp, sg_path(path, f->dir, "%s", name), READONLY, &st);
    fits_get_num_hdus(fp, &n_hdus, &st);
    assert_int_equal(n_hdus, 4); /* PRIMARY, BACKGROUND, BKG_ERR, MATCH */
    fits_movnam_hdu(fp, BINARY_TBL, "BACKGROUND", 0, &st);
    assert_int_equal(st, 0);
    snprintf(name, sizeof name, "%" PRId64, f->obs_id[1]);
    assert_key(fp, "OBS_ID", name, false);
    assert_key(fp, "MATCHER", "nearest 1.0.0", true);
    assert_key(fp, "MATCHKND", "RUNS", true);
    assert_key(fp, "N_MATCH", "2", false);
    assert_key(fp, "NRUNS", "2", false);
    assert_key(fp, "SECTION", "model 2d", true);
    assert_key(fp, "SMOOTHER", "gauss1d", true);
    double v = 0;
    fits_read_key(fp, TDOUBLE, "OFF_LIVE", &v, NULL, &st);
    assert_true(v == 3000);
    fits_read_key(fp, TDOUBLE, "ZEN_PNT", &v, NULL, &st);
    assert_true(v == 10);
    fits_read_key(fp, TDOUBLE, "LIVETIME", &v, NULL, &st);
    assert_int_equal(st, 0);
    /* AZ_PNT is NaN: not written */
    assert_int_not_equal(fits_read_key(fp, TDOUBLE, "AZ_PNT", &v, NULL, &st),
                         0);
    st = 0;
    fits_clear_errmsg();
    /* no NaN in the model */
    long n_cells = 0;
    int col = 0, anynul = 0;
    fits_get_colnum(fp, CASEINSEN, "BKG", &col, &st);
    {
        int typecode;
        long repeat, width;
        fits_get_coltype(fp, col, &typecode, &repeat, &width, &st);
        n_cells = repeat;
    }
    double *bkg = calloc((size_t)n_cells, sizeof *bkg);
    fits_read_col(fp, TDOUBLE, col, 1, 1, n_cells, NULL, bkg, &anynul, &st);
    assert_int_equal(st, 0);
    for (long i = 0; i < n_cells; i++)
        assert_true(isfinite(bkg[i]) && bkg[i] >= 0);
    free(bkg);
    fits_movnam_hdu(fp, BINARY_TBL, "MATCH", 0, &st);
    long long ids[2];
    int gids[2];
    double w[2], d[2];
    fits_read_col(fp, TLONGLONG, 1, 1, 1, 2, NULL, ids, NULL, &st);
    fits_read_col(fp, TINT, 2, 1, 1, 2, NULL, gids, NULL, &st);
    fits_read_col(fp, TDOUBLE, 3, 1, 1, 2, NULL, w, NULL, &st);
    fits_read_col(fp, TDOUBLE, 4, 1, 1, 2, NULL, d, NULL, &st);
    assert_int_equal(st, 0);
    for (size_t j = 0; j < 2; j++) {
        assert_true(ids[j] == f->off_id[1][j]);
        assert_int_equal(gids[j], f->gid[1][j]);
        assert_true(w[j] == 1 && d[j] == f->d[1][j]);
    }
    fits_close_file(fp, &st);

    /* one thread writes the same files */
    make_match(f);
    assert_int_equal(write_into(f, "obs1", false, false, 1, &n_files),
                     OFFBKG_OK);
    assert_int_equal(n_files, 4);
    assert_int_equal(f->match.n_skipped, 2);
}

static void test_match_write_strict(void **state)
{
    fixture_t *f = *state;
    size_t n_files = 0;

    make_match(f);
    assert_int_equal(write_into(f, "strict", false, true, 2, &n_files),
                     OFFBKG_EDATA);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "--strict"));
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "no exposure"));
    /* the failing target has no file, and stays matched */
    assert_false(file_exists(f, "strict", false, f->obs_id[2]));
    assert_null(f->t[2].skipped);
}

static void test_match_write_refuses_existing(void **state)
{
    fixture_t *f = *state;
    size_t n_files = 0;
    char dir[PATH_MAX];

    make_match(f);
    assert_int_equal(write_into(f, "again", false, false, 2, &n_files),
                     OFFBKG_OK);
    sg_path(dir, f->dir, "again");
    /* the check before any work: the datastore's observations are the
     * targets */
    assert_int_equal(offbkg_model_write_check_obs(
                         f->ctx, f->rc, offbkg_pipeline_result(f->pl)->store,
                         dir, false),
                     OFFBKG_EEXIST);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "_obs_"));
    assert_int_equal(offbkg_model_write_check_obs(
                         f->ctx, f->rc, offbkg_pipeline_result(f->pl)->store,
                         dir, true),
                     OFFBKG_OK);
    make_match(f);
    assert_int_equal(write_into(f, "again", false, false, 2, &n_files),
                     OFFBKG_EEXIST);
    make_match(f);
    assert_int_equal(write_into(f, "again", true, false, 2, &n_files),
                     OFFBKG_OK);
    /* a fresh directory passes the check */
    sg_path(dir, f->dir, "groups");
    assert_int_equal(offbkg_model_write_check_obs(
                         f->ctx, f->rc, offbkg_pipeline_result(f->pl)->store,
                         dir, false),
                     OFFBKG_OK);
}

/* @p out/bkg-index.fits.gz: its FILE_NAME of each OBS_ID of @p ids (""
 * when it has no row). */
static void bkg_rows(const fixture_t *f, const char *out, const int64_t *ids,
                     size_t n, char names[][80])
{
    char path[PATH_MAX];
    fitsfile *fp = NULL;
    long rows = 0;
    int st = 0, c_id = 0, c_file = 0;

    fits_open_table(&fp, sg_path(path, f->dir, "%s/bkg-index.fits.gz", out),
                    READONLY, &st);
    fits_get_num_rows(fp, &rows, &st);
    fits_get_colnum(fp, CASEINSEN, "OBS_ID", &c_id, &st);
    fits_get_colnum(fp, CASEINSEN, "FILE_NAME", &c_file, &st);
    assert_int_equal(st, 0);
    for (size_t i = 0; i < n; i++)
        names[i][0] = '\0';
    for (long r = 1; r <= rows; r++) {
        long long id = 0;
        char name[80], *p = name;
        fits_read_col(fp, TLONGLONG, c_id, r, 1, 1, NULL, &id, NULL, &st);
        fits_read_col(fp, TSTRING, c_file, r, 1, 1, NULL, &p, NULL, &st);
        for (size_t i = 0; i < n; i++)
            if (ids[i] == id) {
                assert_string_equal(names[i], "");   /* one row each */
                snprintf(names[i], 80, "%s", name);
            }
    }
    assert_int_equal(st, 0);
    fits_close_file(fp, &st);
}

/* Another run.ini for the same store: [output] dir @p out, per-target
 * models with the test matcher when @p per_target. */
static offbkg_runconf_t *load_rc(fixture_t *f, const char *out,
                                 bool per_target, const char *index)
{
    char path[PATH_MAX], text[2048];
    offbkg_runconf_t *rc = NULL;

    snprintf(text, sizeof text,
             "[datastore]\npath = .\n[output]\ndir = %s\noverwrite = true\n"
             "[run]\nplugin_path = %s\n[select]\nplugin = all\n[group]\n"
             "plugin = zenith\nedges_deg = 0, 30, 60\n[model 2d]\n"
             "plugin = 2d\n[smooth 2d]\nplugin = gauss1d\n%s%s", out,
             getenv("OFFBKG_TEST_PLUGINS") ? getenv("OFFBKG_TEST_PLUGINS")
                                           : ".",
             per_target ? "[match]\nplugin = fake\n" : "", index);
    assert_int_equal(sg_write_text(sg_path(path, f->dir, "own.ini"), text),
                     0);
    if (offbkg_runconf_load(f->ctx, path, NULL, 0, &f->diags, &rc)
        != OFFBKG_OK)
        fail_msg("own.ini does not load");
    assert_true(offbkg_runconf_per_target(rc) == per_target);
    return rc;
}

static void test_match_write_index(void **state)
{
    fixture_t *f = *state;
    const offbkg_datastore_t *store = offbkg_pipeline_result(f->pl)->store;
    offbkg_runconf_t *rc = load_rc(f, "own", true, "");
    offbkg_index_result_t res;
    char names[N_TARGETS][80], want[80];
    size_t n_files = 0;

    /* Before any model is made, the index step does not ask for group
     * models: each target gets its own. */
    make_match(f);
    assert_int_equal(write_into(f, "own", false, false, 2, &n_files),
                     OFFBKG_OK);
    assert_int_equal(offbkg_index_check_needed(f->ctx, rc, store, NULL, 4,
                                               2),
                     OFFBKG_OK);
    assert_int_equal(offbkg_index_run(f->ctx, rc, store, NULL, 1, &res),
                     OFFBKG_OK);
    assert_int_equal(res.n_obs, 4);
    assert_int_equal(res.n_linked, 2);
    assert_int_equal(res.n_no_model, 2);
    bkg_rows(f, "own", f->obs_id, N_TARGETS, names);
    for (size_t i = 0; i < 2; i++) {
        snprintf(want, sizeof want, "smooth_background_2D_obs_%06" PRId64
                 "_table.fits.gz", f->obs_id[i]);
        assert_string_equal(names[i], want);
    }
    /* the skipped and the unmatched target: no row */
    assert_string_equal(names[2], "");
    assert_string_equal(names[3], "");
    offbkg_runconf_free(rc);

    /* [index] smooth = false links the raw file */
    rc = load_rc(f, "own", true, "[index]\nsmooth = false\n");
    assert_int_equal(offbkg_index_run(f->ctx, rc, store, NULL, 1, &res),
                     OFFBKG_OK);
    bkg_rows(f, "own", f->obs_id, N_TARGETS, names);
    snprintf(want, sizeof want, "background_2D_obs_%06" PRId64
             "_table.fits.gz", f->obs_id[1]);
    assert_string_equal(names[1], want);
    offbkg_runconf_free(rc);

    /* shared groups: the same directory has no group model, which the
     * check before any work refuses, and no row links an own file */
    rc = load_rc(f, "own", false, "");
    assert_int_equal(offbkg_index_check_needed(f->ctx, rc, store, NULL, 4,
                                               2),
                     OFFBKG_EDATA);
    offbkg_runconf_free(rc);
    rc = load_rc(f, "own", false, "[index]\nallow_missing_models = true\n");
    assert_int_equal(offbkg_index_run(f->ctx, rc, store, NULL, 1, &res),
                     OFFBKG_OK);
    assert_int_equal(res.n_linked, 0);
    offbkg_runconf_free(rc);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);

    assert_non_null(fp);
    assert_non_null(buf);
    assert_true(fread(buf, 1, (1 << 16) - 1, fp) > 0);
    fclose(fp);
    return buf;
}

static void test_match_write_report(void **state)
{
    fixture_t *f = *state;
    const offbkg_datastore_t *store = offbkg_pipeline_result(f->pl)->store;
    offbkg_runconf_t *rc = load_rc(f, "report", true, "");
    char path[PATH_MAX], want[512];
    size_t n_files = 0;

    make_match(f);
    assert_int_equal(write_into(f, "report", false, false, 2, &n_files),
                     OFFBKG_OK);
    offbkg_report_t r = { .command = "run", .rc = rc, .store = store,
                          .make = f->make, .match = &f->match };
    sg_path(path, f->dir, "report/report.json");
    assert_int_equal(offbkg_report_write(f->ctx, &r, path, false),
                     OFFBKG_OK);
    char *json = slurp(path);
    assert_non_null(strstr(json, "\"plugin\": \"fake\""));
    assert_non_null(strstr(json, "\"match\": {\"plugin\": \"nearest "
                                 "1.0.0\", \"n_targets\": 4, "
                                 "\"n_matched\": 2, \"n_skipped\": 2, "
                                 "\"targets\": ["));
    snprintf(want, sizeof want, "{\"obs_id\": %" PRId64 ", \"matched\": "
             "[{\"obs_id\": %" PRId64 ", \"group_id\": %d, \"weight\": 1, "
             "\"distance\": 0.25}, {\"obs_id\": %" PRId64 ", \"group_id\": "
             "%d, \"weight\": 1, \"distance\": 0.5}], \"skipped\": null}",
             f->obs_id[1], f->off_id[1][0], f->gid[1][0], f->off_id[1][1],
             f->gid[1][1]);
    assert_non_null(strstr(json, want));
    /* skipped by the writer, and unmatched by the plugin */
    snprintf(want, sizeof want, "{\"obs_id\": %" PRId64 ", \"matched\": "
             "[], \"skipped\": \"[model 2d]", f->obs_id[2]);
    assert_non_null(strstr(json, want));
    snprintf(want, sizeof want, "{\"obs_id\": %" PRId64 ", \"matched\": "
             "[], \"skipped\": \"1 run within the cuts: min_runs = 2\"}",
             f->obs_id[3]);
    assert_non_null(strstr(json, want));
    free(json);

    /* shared groups: the plugin only */
    f->match.shared_groups = true;
    snprintf(f->match.plugin, sizeof f->match.plugin, "group 1.0.0");
    unlink(path);
    assert_int_equal(offbkg_report_write(f->ctx, &r, path, false),
                     OFFBKG_OK);
    json = slurp(path);
    assert_non_null(strstr(json, "\"match\": {\"plugin\": \"group "
                                 "1.0.0\"},\n"));
    assert_null(strstr(json, "n_targets"));
    free(json);
    offbkg_runconf_free(rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_write_files),
        cmocka_unit_test(test_match_write_strict),
        cmocka_unit_test(test_match_write_refuses_existing),
        cmocka_unit_test(test_match_write_index),
        cmocka_unit_test(test_match_write_report),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
