/* SPDX-License-Identifier: BSD-3-Clause
 * The outputs of offbkg validate from a hand-made validation (two
 * strategies, a 2D one with an outlier and a skipped run and a 3D
 * smoothed one with its FoV map, three runs, the column ZEN_PNT):
 * validation.fits read back with cfitsio (every HDU's name, columns and
 * rows, values exactly), an existing file refused without overwrite, a
 * NaN or an infinity refused with nothing left; the "validation" object
 * of report.json (strings, and parsed by python3 when there is one); the
 * summary offbkg validate prints. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fitsio.h>

#include "cli/cli.h"
#include "ctx-private.h"
#include "diag-private.h"
#include "report-private.h"
#include "runconf-private.h"
#include "validate-private.h"

#define N_RUNS 3

/* A profile's arrays, up to 3 bins. */
typedef struct prof_data {
    double lo[3], hi[3], n_obs[3], n_pred[3], var_pred[3], ratio[3],
        ratio_err[3];
    size_t n_runs[3];
} prof_data_t;

typedef struct fixture {
    offbkg_ctx_t *ctx;
    char dir[256];
    char path[PATH_MAX];        /* dir/validation.fits */
    offbkg_validation_t v;
    offbkg_validate_strategy_t s[2];
    offbkg_validate_run_t runs[2][N_RUNS];
    offbkg_validate_profile_t prof[2][4];
    prof_data_t pd[2][4];
    uint64_t sig_counts[2][5];
    double map_n_obs[6], map_n_pred[6];
    char *columns[1];
    double column_value[N_RUNS];
    size_t by_rank[2];
} fixture_t;

static void quiet(void *user, offbkg_log_level_t level, const char *prefix,
                  const char *msg)
{
    (void)user;
    (void)level;
    (void)prefix;
    (void)msg;
}

/* Profile @p p of strategy @p k: @p n bins of @p name from @p lo0 by
 * @p step, values that tell the bins apart. */
static void make_profile(fixture_t *f, size_t k, size_t p, const char *name,
                         const char *unit, bool per_run, size_t n,
                         double lo0, double step)
{
    offbkg_validate_profile_t *q = &f->prof[k][p];
    prof_data_t *d = &f->pd[k][p];

    snprintf(q->name, sizeof q->name, "%s", name);
    snprintf(q->unit, sizeof q->unit, "%s", unit);
    q->per_run = per_run;
    q->n_bins = n;
    for (size_t b = 0; b < n; b++) {
        d->lo[b] = lo0 + step * (double)b;
        d->hi[b] = lo0 + step * (double)(b + 1);
        d->n_obs[b] = 100.0 * (double)(k + 1) + (double)(10 * p + b);
        d->n_pred[b] = 99.5 + (double)b;
        d->var_pred[b] = 4.0 + (double)b;
        d->ratio[b] = d->n_obs[b] / d->n_pred[b];
        d->ratio_err[b] = 0.1;
        d->n_runs[b] = b + 1;
    }
    q->lo = d->lo;
    q->hi = d->hi;
    q->n_obs = d->n_obs;
    q->n_pred = d->n_pred;
    q->var_pred = d->var_pred;
    q->ratio = d->ratio;
    q->ratio_err = d->ratio_err;
    q->n_runs = d->n_runs;
}

static void make_run(offbkg_validate_run_t *r, int64_t obs_id, double n_obs,
                     double n_pred, double ratio_err, double pull)
{
    r->obs_id = obs_id;
    r->n_obs = n_obs;
    r->n_pred = n_pred;
    r->var_pred = n_pred / 40;
    r->n_cells = 50;
    r->n_cells_unpredicted = 1;
    r->ratio = n_obs / n_pred;
    r->ratio_err = ratio_err;
    r->pull = pull;
    r->deviance = 55.5;
    r->p_value = 0.25;
    r->n_matched = 2;
    r->off_livetime_s = 3600;
}

/* Strategy 0, "match/2d": runs 101 and 102 (an outlier, 6.4 total errors
 * high), 103 skipped; the fit of its significances did not converge.
 * Strategy 1, "match/3d/smooth", ranked first: every run predicted, a
 * 2 x 3 FoV map. */
static void make_validation(fixture_t *f)
{
    offbkg_validation_t *v = &f->v;
    offbkg_validate_strategy_t *a = &f->s[0], *b = &f->s[1];
    static const double zen_deg[N_RUNS] = { 20, 35, 50 };

    v->folds = 0;
    v->min_predicted = 10;
    v->outlier_sigma = 5;
    v->n_runs = N_RUNS;
    v->n_columns = 1;
    f->columns[0] = "ZEN_PNT";
    v->columns = f->columns;
    memcpy(f->column_value, zen_deg, sizeof zen_deg);
    v->column_value = f->column_value;
    v->n_strategies = 2;
    v->strategies = f->s;
    f->by_rank[0] = 1;
    f->by_rank[1] = 0;
    v->by_rank = f->by_rank;

    snprintf(a->name, sizeof a->name, "match/2d");
    snprintf(a->match_plugin, sizeof a->match_plugin, "nearest 1.0.0");
    a->n_axes = 2;
    a->runs = f->runs[0];
    make_run(&a->runs[0], 101, 1000, 990, 0.035, 0.3);
    make_run(&a->runs[1], 102, 1345, 1024, 0.03125, 6.375);
    a->runs[1].outlier = true;
    a->runs[2] = (offbkg_validate_run_t){
        .obs_id = 103, .skipped = "no OFF run within the cuts" };
    a->n_predicted = 2;
    a->n_outliers = 1;
    a->sys = (offbkg_stats_sys_t){ .n_runs = 2, .ratio = 1.16,
                                   .mean = 1.0, .mean_err = 0.01,
                                   .sigma_sys = 0.021, .sigma_sys_lo = 0.016,
                                   .sigma_sys_hi = 0.027,
                                   .sigma_sys_moment = 0.02 };
    a->deviance = (offbkg_stats_deviance_t){ .deviance = 123.5,
                                             .n_cells = 100,
                                             .p_value = 0.05 };
    a->sig_n_bins = 4;
    a->sig_lo = -2;
    a->sig_hi = 2;
    a->sig_counts = f->sig_counts[0];
    a->sig_counts[0] = 3;
    a->sig_counts[1] = 10;
    a->sig_counts[2] = 12;
    a->sig_counts[3] = 5;
    a->sig_n_under = 1;
    a->sig_n_over = 2;
    a->sig_moments = (offbkg_stats_gauss_t){ 33, -0.03125, 0.125, 1.0625,
                                             0.125 };
    a->sig_fit_ok = false;
    a->profiles = f->prof[0];
    a->n_profiles = 3;
    make_profile(f, 0, 0, "ENERG", "TeV", false, 2, 1, 9);
    make_profile(f, 0, 1, "THETA", "deg", false, 2, 0, 1.25);
    make_profile(f, 0, 2, "ZEN_PNT", "deg", true, 2, 20, 15);
    a->rank = 2;

    snprintf(b->name, sizeof b->name, "match/3d/smooth");
    snprintf(b->match_plugin, sizeof b->match_plugin, "nearest 1.0.0");
    b->model = 1;
    b->smoothed = true;
    b->n_axes = 3;
    b->runs = f->runs[1];
    make_run(&b->runs[0], 101, 1000, 1000, 0.035, 0);
    make_run(&b->runs[1], 102, 1010, 1000, 0.035, 0.28);
    make_run(&b->runs[2], 103, 980, 1000, 0.035, -0.57);
    b->n_predicted = 3;
    b->sys = (offbkg_stats_sys_t){ .n_runs = 3, .ratio = 0.997,
                                   .mean = 0.997, .mean_err = 0.02,
                                   .sigma_sys = 0.011, .sigma_sys_lo = 0,
                                   .sigma_sys_hi = 0.034,
                                   .sigma_sys_moment = 0 };
    b->deviance = (offbkg_stats_deviance_t){ .deviance = 140.25,
                                             .n_cells = 150,
                                             .p_value = 0.7 };
    b->sig_n_bins = 5;
    b->sig_lo = -5;
    b->sig_hi = 5;
    b->sig_counts = f->sig_counts[1];
    for (size_t i = 0; i < 5; i++)
        b->sig_counts[i] = 10 * i + 1;
    b->sig_moments = (offbkg_stats_gauss_t){ 105, 0.03, 0.1, 1.01, 0.07 };
    b->sig_fit = (offbkg_stats_gauss_t){ 105, 0.01, 0.1, 0.98, 0.07 };
    b->sig_fit_ok = true;
    b->profiles = f->prof[1];
    b->n_profiles = 4;
    make_profile(f, 1, 0, "ENERG", "TeV", false, 2, 1, 9);
    make_profile(f, 1, 1, "DETX", "deg", false, 2, -2, 2);
    make_profile(f, 1, 2, "DETY", "deg", false, 3, -3, 2);
    make_profile(f, 1, 3, "ZEN_PNT", "deg", true, 2, 20, 15);
    b->map_nx = 2;
    b->map_ny = 3;
    for (size_t i = 0; i < 6; i++) {
        f->map_n_obs[i] = 10 + (double)i;
        f->map_n_pred[i] = 9.5 + (double)i;
    }
    b->map_n_obs = f->map_n_obs;
    b->map_n_pred = f->map_n_pred;
    b->rank = 1;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");

    assert_non_null(f);
    f->ctx = offbkg_ctx_new();
    assert_non_null(f->ctx);
    offbkg_ctx_set_log_sink(f->ctx, quiet, NULL);
    snprintf(f->dir, sizeof f->dir, "%s/offbkg-valw-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/validation.fits", f->dir);
    make_validation(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    offbkg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* The names in the fixture's directory, "|"-joined in sorted order. */
static void dir_names(const fixture_t *f, char *buf, size_t size)
{
    struct dirent **list;
    int n = scandir(f->dir, &list, NULL, alphasort);
    size_t len = 0;

    assert_true(n >= 0);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(list[i]->d_name, ".") != 0
            && strcmp(list[i]->d_name, "..") != 0)
            len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                    len ? "|" : "", list[i]->d_name);
        free(list[i]);
    }
    free(list);
}

/* ------------------------------------------------------------------ */
/* Reading back                                                        */

/* Move to HDU @p name, check its rows and that its columns are @p cols
 * (NULL-terminated), in order. */
static void expect_hdu(fitsfile *fp, const char *name, long n_rows,
                       const char *const *cols)
{
    int st = 0, n_cols = 0, want = 0;
    long rows = -1;

    fits_movnam_hdu(fp, BINARY_TBL, (char *)name, 0, &st);
    if (st != 0)
        fail_msg("no HDU %s", name);
    fits_get_num_rows(fp, &rows, &st);
    fits_get_num_cols(fp, &n_cols, &st);
    assert_int_equal(st, 0);
    assert_int_equal(rows, n_rows);
    while (cols[want] != NULL)
        want++;
    assert_int_equal(n_cols, want);
    for (int c = 0; c < n_cols; c++) {
        char key[FLEN_KEYWORD], value[FLEN_VALUE];
        snprintf(key, sizeof key, "TTYPE%d", c + 1);
        fits_read_key(fp, TSTRING, key, value, NULL, &st);
        assert_int_equal(st, 0);
        assert_string_equal(value, cols[c]);
    }
}

static int colnum(fitsfile *fp, const char *col)
{
    int c = 0, st = 0;

    fits_get_colnum(fp, CASESEN, (char *)col, &c, &st);
    if (st != 0)
        fail_msg("no column %s", col);
    return c;
}

static double get_d(fitsfile *fp, const char *col, long row)
{
    double v = NAN;
    int st = 0;

    fits_read_col(fp, TDOUBLE, colnum(fp, col), row, 1, 1, NULL, &v, NULL,
                  &st);
    assert_int_equal(st, 0);
    return v;
}

static long long get_k(fitsfile *fp, const char *col, long row)
{
    LONGLONG v = -1;
    int st = 0;

    fits_read_col(fp, TLONGLONG, colnum(fp, col), row, 1, 1, NULL, &v, NULL,
                  &st);
    assert_int_equal(st, 0);
    return v;
}

static bool get_l(fitsfile *fp, const char *col, long row)
{
    char v = 2;
    int st = 0;

    fits_read_col(fp, TLOGICAL, colnum(fp, col), row, 1, 1, NULL, &v, NULL,
                  &st);
    assert_int_equal(st, 0);
    assert_true(v == 0 || v == 1);
    return v == 1;
}

/* A string cell, trailing blanks trimmed (cfitsio reads an empty string
 * back as one blank). */
static void expect_s(fitsfile *fp, const char *col, long row,
                     const char *want)
{
    char buf[256], *p = buf;
    size_t n;
    int st = 0;

    fits_read_col(fp, TSTRING, colnum(fp, col), row, 1, 1, NULL, &p, NULL,
                  &st);
    assert_int_equal(st, 0);
    for (n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
        buf[n - 1] = '\0';
    assert_string_equal(buf, want);
}

static void expect_key_d(fitsfile *fp, const char *key, double want)
{
    double v = NAN;
    int st = 0;

    fits_read_key(fp, TDOUBLE, key, &v, NULL, &st);
    assert_int_equal(st, 0);
    assert_true(v == want);
}

static void expect_unit(fitsfile *fp, const char *col, const char *want)
{
    char key[FLEN_KEYWORD], value[FLEN_VALUE] = "";
    int st = 0;

    snprintf(key, sizeof key, "TUNIT%d", colnum(fp, col));
    fits_read_key(fp, TSTRING, key, value, NULL, &st);
    if (want[0] == '\0') {
        assert_int_equal(st, KEY_NO_EXIST);
        return;
    }
    assert_int_equal(st, 0);
    assert_string_equal(value, want);
}

static const char *const strategies_cols[] = {
    "NAME", "MATCH", "MODEL", "SMOOTHED", "RANK", "N_AXES", "N_RUNS",
    "N_PRED_RUNS", "RATIO", "MEAN", "MEAN_ERR", "SYS", "SYS_LO", "SYS_HI",
    "SYS_MOM", "DEVIANCE", "DEV_CELLS", "DEV_PVAL", "SIG_N", "SIG_UNDER",
    "SIG_OVER", "SIG_MEAN", "SIG_MEAN_ERR", "SIG_WIDTH", "SIG_WIDTH_ERR",
    "FIT_OK", "FIT_MEAN", "FIT_MEAN_ERR", "FIT_WIDTH", "FIT_WIDTH_ERR",
    "N_OUTLIERS", NULL
};
static const char *const runs_cols[] = {
    "STRATEGY", "OBS_ID", "PREDICTED", "SKIPPED", "N_OBS", "N_PRED",
    "VAR_PRED", "N_CELLS", "N_UNPRED", "RATIO", "RATIO_ERR", "PULL",
    "OUTLIER", "DEVIANCE", "DEV_PVAL", "N_MATCHED", "OFF_LIVE", "ZEN_PNT",
    NULL
};
static const char *const sig_cols[] = {
    "STRATEGY", "SIG_LO", "SIG_HI", "COUNTS", NULL
};
static const char *const prof_cols[] = {
    "STRATEGY", "QUANTITY", "UNIT", "PER_RUN", "LO", "HI", "N_OBS", "N_PRED",
    "VAR_PRED", "RATIO", "RATIO_ERR", "N_RUNS", NULL
};
static const char *const map_cols[] = {
    "STRATEGY", "DETX_LO", "DETX_HI", "DETY_LO", "DETY_HI", "N_OBS",
    "N_PRED", NULL
};

static void check_strategies(fitsfile *fp)
{
    expect_hdu(fp, "STRATEGIES", 2, strategies_cols);
    expect_key_d(fp, "FOLDS", 0);
    expect_key_d(fp, "MINPRED", 10);
    expect_key_d(fp, "OUTLSIG", 5);
    /* config order, the rank in RANK */
    expect_s(fp, "NAME", 1, "match/2d");
    expect_s(fp, "MODEL", 1, "2d");
    expect_s(fp, "MATCH", 1, "nearest 1.0.0");
    assert_false(get_l(fp, "SMOOTHED", 1));
    assert_int_equal(get_k(fp, "RANK", 1), 2);
    assert_int_equal(get_k(fp, "N_RUNS", 1), 3);
    assert_int_equal(get_k(fp, "N_PRED_RUNS", 1), 2);
    assert_true(get_d(fp, "SYS", 1) == 0.021);
    assert_true(get_d(fp, "SYS_HI", 1) == 0.027);
    assert_int_equal(get_k(fp, "SIG_N", 1), 33);
    assert_int_equal(get_k(fp, "SIG_OVER", 1), 2);
    assert_false(get_l(fp, "FIT_OK", 1));
    assert_int_equal(get_k(fp, "N_OUTLIERS", 1), 1);
    expect_s(fp, "NAME", 2, "match/3d/smooth");
    expect_s(fp, "MODEL", 2, "3d");
    assert_true(get_l(fp, "SMOOTHED", 2));
    assert_int_equal(get_k(fp, "RANK", 2), 1);
    assert_int_equal(get_k(fp, "N_AXES", 2), 3);
    assert_int_equal(get_k(fp, "DEV_CELLS", 2), 150);
    assert_true(get_d(fp, "DEVIANCE", 2) == 140.25);
    assert_true(get_l(fp, "FIT_OK", 2));
    assert_true(get_d(fp, "FIT_WIDTH", 2) == 0.98);
    assert_true(get_d(fp, "SIG_WIDTH", 2) == 1.01);
}

static void check_runs(fitsfile *fp)
{
    expect_hdu(fp, "RUNS", 6, runs_cols);
    expect_unit(fp, "OFF_LIVE", "s");
    expect_unit(fp, "ZEN_PNT", "deg");
    expect_unit(fp, "RATIO", "");
    /* strategy by strategy, runs in order */
    expect_s(fp, "STRATEGY", 2, "match/2d");
    assert_int_equal(get_k(fp, "OBS_ID", 2), 102);
    assert_true(get_l(fp, "OUTLIER", 2));
    assert_true(get_d(fp, "PULL", 2) == 6.375);
    assert_true(get_d(fp, "RATIO", 2) == 1345.0 / 1024);
    assert_true(get_d(fp, "ZEN_PNT", 2) == 35);
    assert_int_equal(get_k(fp, "OBS_ID", 3), 103);
    assert_false(get_l(fp, "PREDICTED", 3));
    expect_s(fp, "SKIPPED", 3, "no OFF run within the cuts");
    assert_true(get_l(fp, "PREDICTED", 1));
    expect_s(fp, "SKIPPED", 1, "");
    expect_s(fp, "STRATEGY", 6, "match/3d/smooth");
    assert_int_equal(get_k(fp, "OBS_ID", 6), 103);
    assert_true(get_d(fp, "ZEN_PNT", 6) == 50);
    assert_true(get_d(fp, "OFF_LIVE", 6) == 3600);
    assert_int_equal(get_k(fp, "N_UNPRED", 6), 1);
    assert_int_equal(get_k(fp, "N_MATCHED", 6), 2);
}

static void check_significance(fitsfile *fp)
{
    expect_hdu(fp, "SIGNIFICANCE", 9, sig_cols);
    expect_s(fp, "STRATEGY", 4, "match/2d");
    assert_true(get_d(fp, "SIG_LO", 1) == -2);
    assert_true(get_d(fp, "SIG_HI", 1) == -1);
    assert_true(get_d(fp, "SIG_HI", 4) == 2);
    assert_int_equal(get_k(fp, "COUNTS", 3), 12);
    expect_s(fp, "STRATEGY", 5, "match/3d/smooth");
    assert_true(get_d(fp, "SIG_LO", 5) == -5);
    assert_true(get_d(fp, "SIG_HI", 9) == 5);
    assert_int_equal(get_k(fp, "COUNTS", 9), 41);
}

static void check_profiles(fitsfile *fp, const fixture_t *f)
{
    /* 2 + 2 + 2 bins, then 2 + 2 + 3 + 2 */
    expect_hdu(fp, "PROFILES", 15, prof_cols);
    expect_s(fp, "QUANTITY", 1, "ENERG");
    expect_s(fp, "UNIT", 1, "TeV");
    assert_true(get_d(fp, "HI", 2) == 19);
    expect_s(fp, "QUANTITY", 5, "ZEN_PNT");
    assert_true(get_l(fp, "PER_RUN", 5));
    assert_false(get_l(fp, "PER_RUN", 4));
    assert_true(get_d(fp, "LO", 6) == 35);
    expect_s(fp, "STRATEGY", 7, "match/3d/smooth");
    expect_s(fp, "QUANTITY", 13, "DETY");
    assert_true(get_d(fp, "LO", 13) == 1);
    assert_true(get_d(fp, "N_OBS", 13) == f->pd[1][2].n_obs[2]);
    assert_true(get_d(fp, "RATIO", 13) == f->pd[1][2].ratio[2]);
    assert_int_equal(get_k(fp, "N_RUNS", 13), 3);
}

static void check_fov_map(fitsfile *fp)
{
    expect_hdu(fp, "FOV_MAP", 6, map_cols);
    expect_unit(fp, "DETX_LO", "deg");
    /* cell (ix = 1, iy = 0) is row 4 */
    expect_s(fp, "STRATEGY", 4, "match/3d/smooth");
    assert_true(get_d(fp, "DETX_LO", 4) == 0);
    assert_true(get_d(fp, "DETX_HI", 4) == 2);
    assert_true(get_d(fp, "DETY_LO", 4) == -3);
    assert_true(get_d(fp, "DETY_HI", 6) == 3);
    assert_true(get_d(fp, "N_OBS", 4) == 13);
    assert_true(get_d(fp, "N_PRED", 6) == 14.5);
}

static void test_validate_write_reads_back(void **state)
{
    fixture_t *f = *state;
    fitsfile *fp = NULL;
    char names[256];
    int st = 0, n_hdus = 0;

    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, false),
                     OFFBKG_OK);
    dir_names(f, names, sizeof names);
    assert_string_equal(names, "validation.fits");
    fits_open_file(&fp, f->path, READONLY, &st);
    assert_int_equal(st, 0);
    fits_get_num_hdus(fp, &n_hdus, &st);
    assert_int_equal(n_hdus, 6);    /* the primary, then five tables */
    check_strategies(fp);
    check_runs(fp);
    check_significance(fp);
    check_profiles(fp, f);
    check_fov_map(fp);
    fits_close_file(fp, &st);

    /* 2D only: no FOV_MAP */
    f->v.n_strategies = 1;
    f->by_rank[0] = 0;
    f->s[0].rank = 1;
    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, true),
                     OFFBKG_OK);
    st = 0;
    fits_open_file(&fp, f->path, READONLY, &st);
    fits_get_num_hdus(fp, &n_hdus, &st);
    assert_int_equal(st, 0);
    assert_int_equal(n_hdus, 5);
    expect_hdu(fp, "STRATEGIES", 1, strategies_cols);
    expect_hdu(fp, "RUNS", 3, runs_cols);
    fits_movnam_hdu(fp, BINARY_TBL, "FOV_MAP", 0, &st);
    assert_int_equal(st, BAD_HDU_NUM);
    st = 0;
    fits_close_file(fp, &st);
}

static void test_validate_write_refuses_existing(void **state)
{
    fixture_t *f = *state;
    struct stat before, after;
    char names[256];

    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, false),
                     OFFBKG_OK);
    assert_int_equal(stat(f->path, &before), 0);
    f->s[0].sys.sigma_sys = 0.5;
    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, false),
                     OFFBKG_EEXIST);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), f->path));
    assert_int_equal(stat(f->path, &after), 0);
    assert_true(before.st_ino == after.st_ino
                && before.st_size == after.st_size);
    dir_names(f, names, sizeof names);
    assert_string_equal(names, "validation.fits");
    /* with overwrite: replaced (a new file, renamed over the old) */
    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, true),
                     OFFBKG_OK);
    assert_int_equal(stat(f->path, &after), 0);
    assert_true(before.st_ino != after.st_ino);
    dir_names(f, names, sizeof names);
    assert_string_equal(names, "validation.fits");
}

/* Write, expect OFFBKG_EDATA with @p want in the message and nothing in
 * the directory. */
static void expect_refused(fixture_t *f, const char *want)
{
    char names[256];

    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, false),
                     OFFBKG_EDATA);
    if (strstr(offbkg_error_msg(f->ctx), want) == NULL)
        fail_msg("'%s' does not say '%s'", offbkg_error_msg(f->ctx), want);
    dir_names(f, names, sizeof names);
    assert_string_equal(names, "");
}

static void test_validate_write_refuses_nonfinite(void **state)
{
    fixture_t *f = *state;

    f->s[1].runs[0].ratio = NAN;    /* row 3 + 1 */
    expect_refused(f, "RUNS row 4, column RATIO is nan");
    f->s[1].runs[0].ratio = 1;
    f->column_value[2] = INFINITY;
    expect_refused(f, "RUNS row 3, column ZEN_PNT is inf");
    f->column_value[2] = 50;
    f->map_n_pred[5] = -INFINITY;
    expect_refused(f, "FOV_MAP row 6, column N_PRED is -inf");
    f->map_n_pred[5] = 1;
    f->s[0].sig_fit.width_err = NAN;
    expect_refused(f, "STRATEGIES row 1, column FIT_WIDTH_ERR is nan");
    f->s[0].sig_fit.width_err = 0;
    f->v.min_predicted = NAN;
    expect_refused(f, "STRATEGIES keyword MINPRED is nan");
    f->v.min_predicted = 10;
    f->pd[1][1].hi[0] = NAN;
    expect_refused(f, "PROFILES row 9, column HI is nan");
    f->pd[1][1].hi[0] = 0;
    /* and all finite again: written */
    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, false),
                     OFFBKG_OK);
}

/* A [validate] column named as a column of RUNS would make two. */
static void test_validate_write_refuses_clashing_column(void **state)
{
    fixture_t *f = *state;
    char names[256];

    f->columns[0] = "ratio";
    assert_int_equal(offbkg_validate_write(f->ctx, &f->v, f->path, false),
                     OFFBKG_EINVAL);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "ratio"));
    dir_names(f, names, sizeof names);
    assert_string_equal(names, "");
}

/* ------------------------------------------------------------------ */
/* report.json                                                         */

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

static offbkg_runconf_t *load_rc(fixture_t *f, offbkg_diags_t *diags)
{
    char path[PATH_MAX];
    offbkg_runconf_t *rc = NULL;
    FILE *fp;

    snprintf(path, sizeof path, "%s/run.ini", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("[datastore]\npath = .\n[output]\ndir = .\n[select]\n"
          "plugin = all\n[group]\nplugin = zenith\nedges_deg = 0, 30, 60\n"
          "[model 2d]\nplugin = 2d\n", fp);
    assert_int_equal(fclose(fp), 0);
    if (offbkg_runconf_load(f->ctx, path, NULL, 0, diags, &rc) != OFFBKG_OK)
        fail_msg("run.ini does not load: %s", offbkg_error_msg(f->ctx));
    unlink(path);
    return rc;
}

static bool have_python3(void)
{
    return system("command -v python3 >/dev/null 2>&1") == 0;
}

static void test_validate_write_report(void **state)
{
    fixture_t *f = *state;
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = load_rc(f, &diags);
    char path[PATH_MAX], cmd[2 * PATH_MAX];
    offbkg_report_t r = { .command = "validate", .rc = rc,
                          .validation = &f->v };

    snprintf(path, sizeof path, "%s/report.json", f->dir);
    assert_int_equal(offbkg_report_write(f->ctx, &r, path, false),
                     OFFBKG_OK);
    char *json = slurp(path);
    assert_non_null(strstr(json, "\"validation\": {\"folds\": 0, \"runs\": "
                                 "3, \"min_predicted\": 10, "
                                 "\"outlier_sigma\": 5,\n    \"ranking\": "
                                 "[\"match/3d/smooth\", \"match/2d\"]"));
    assert_non_null(strstr(json, "{\"name\": \"match/2d\", "
                                 "\"match_plugin\": \"nearest 1.0.0\", "
                                 "\"model\": \"2d\", \"smoothed\": false, "
                                 "\"rank\": 2,\n       \"runs\": 3, "
                                 "\"predicted\": 2, \"skipped\": "
                                 "[{\"obs_id\": 103, \"reason\": \"no OFF "
                                 "run within the cuts\"}]"));
    assert_non_null(strstr(json, "{\"obs_id\": 102, \"ratio\": "
                                 "1.3134765625, \"ratio_err\": 0.03125, "
                                 "\"pull\": 6.375, \"reason\": \"ratio "
                                 "1.313 +- 0.031 is 6.4 total errors above "
                                 "the mean 1.000 (systematic 2.1%)\"}"));
    assert_non_null(strstr(json, "\"significance\": {\"cells\": 33, "
                                 "\"mean\": -0.03125, \"mean_err\": "
                                 "0.125, \"width\": 1.0625, "
                                 "\"width_err\": 0.125, \"fit\": null}"));
    assert_non_null(strstr(json, "\"fit\": {\"mean\": 0.01, "));
    assert_non_null(strstr(json, "\"outliers\": []}"));
    free(json);
    if (have_python3()) {
        /* valid JSON, and the object as VALIDATE.md has it */
        snprintf(cmd, sizeof cmd, "python3 -c '"
                 "import json, sys\n"
                 "v = json.load(open(sys.argv[1]))[\"validation\"]\n"
                 "s = v[\"strategies\"]\n"
                 "assert [x[\"name\"] for x in s] == [\"match/2d\", "
                 "\"match/3d/smooth\"]\n"
                 "assert s[1][\"smoothed\"] is True and s[1][\"rank\"] == 1\n"
                 "assert s[0][\"outliers\"][0][\"obs_id\"] == 102\n"
                 "assert s[1][\"significance\"][\"fit\"][\"width\"] == 0.98\n"
                 "assert s[0][\"sigma_sys_hi\"] == 0.027\n"
                 "assert s[0][\"deviance_cells\"] == 100\n"
                 "' '%s'", path);
        assert_int_equal(system(cmd), 0);
    } else {
        printf("# no python3: report.json not parsed\n");
    }

    /* no validation: no key */
    r.validation = NULL;
    assert_int_equal(offbkg_report_write(f->ctx, &r, path, true),
                     OFFBKG_OK);
    json = slurp(path);
    assert_null(strstr(json, "validation"));
    free(json);
    offbkg_runconf_free(rc);
    offbkg_diag_clear(&diags);
}

/* ------------------------------------------------------------------ */
/* The summary                                                         */

static void test_validate_write_summary(void **state)
{
    fixture_t *f = *state;
    char *text = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&text, &size);

    assert_non_null(fp);
    cli_validate_summary(fp, &f->v, "out/validation.fits");
    assert_int_equal(fclose(fp), 0);
    assert_string_equal(
        text,
        "validated 3 runs (leave one run out), 2 strategies: "
        "out/validation.fits\n"
        "  rank  strategy          runs  ratio  sys [68%]             "
        "sig mean  width  outliers\n"
        "  1     match/3d/smooth      3  0.997  1.1% [0.0%, 3.4%]     "
        "0.01      0.98   0\n"
        "  2     match/2d             2  1.160  2.1% [1.6%, 2.7%]     "
        "-0.03*    1.06*  1\n"
        "  *: the significances' moments (the Gaussian fit did not "
        "converge)\n"
        "  outlier: match/2d OBS_ID 102: ratio 1.313 +- 0.031 (6.4 "
        "sigma)\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_validate_write_reads_back,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_validate_write_refuses_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_validate_write_refuses_nonfinite, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_validate_write_refuses_clashing_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_write_report, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_validate_write_summary, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
