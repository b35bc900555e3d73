/* SPDX-License-Identifier: BSD-3-Clause
 * Background model files: round trips of asymmetric 2D and 3D cubes, the
 * header and cell layout checked with cfitsio, every HDU's CHECKSUM and
 * DATASUM good, refusals that leave no file behind, overwrite rules,
 * third-party layouts, file names. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fitsio.h>

#include <offbkg/geom.h>
#include <offbkg/status.h>
#include <offbkg/types.h>

#include "bkg-private.h"
#include "ctx-private.h"
#include "finite-private.h"

/* ------------------------------------------------------------------ */
/* Fixtures: a scratch directory and a context that records warnings.  */

typedef struct fixture {
    char dir[PATH_MAX];
    offbkg_ctx_t *ctx;
    int n_warn;
    char last_warn[1024];
} fixture_t;

static void capture(void *user, offbkg_log_level_t level, const char *prefix,
                    const char *msg)
{
    fixture_t *fx = user;
    (void)prefix;
    if (level == OFFBKG_LOG_WARN) {
        fx->n_warn++;
        snprintf(fx->last_warn, sizeof fx->last_warn, "%s", msg);
    }
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    fixture_t *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(fx->dir, sizeof fx->dir, "%s/offbkg-bkgio-XXXXXX", base);
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    fx->ctx = offbkg_ctx_new();
    offbkg_ctx_set_log_sink(fx->ctx, capture, fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char path[PATH_MAX + 256];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", fx->dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(fx->dir);
    offbkg_ctx_free(fx->ctx);
    free(fx);
    return 0;
}

static void path_in(const fixture_t *fx, const char *name, char *buf,
                    size_t size)
{
    snprintf(buf, size, "%s/%s", fx->dir, name);
}

/* Entries of the scratch directory other than . and .. */
static int dir_count(const fixture_t *fx)
{
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------ */
/* Cubes with a distinct value in every cell of every array.           */

static offbkg_cube_t *make_2d(size_t n_e, size_t n_t)
{
    const size_t n[2] = { n_e, n_t };
    offbkg_cube_t *c = offbkg_cube_new(2, n);

    assert_non_null(c);
    for (size_t k = 0; k <= n_e; k++)
        c->axes[0].edges[k] = 0.1 * pow(1000.0, (double)k / (double)n_e);
    for (size_t k = 0; k <= n_t; k++)
        c->axes[1].edges[k] = 2.5 * sqrt((double)k / (double)n_t);
    for (size_t i = 0; i < c->n_cells; i++) {
        c->rate[i] = 1e-3 / (double)(i + 1);
        c->rate_err[i] = 1e-5 * (double)(i + 3);
        c->counts[i] = (double)(7 * i + 1);
        c->exposure_s[i] = 1000.0 + 0.5 * (double)i;
    }
    snprintf(c->time_base, sizeof c->time_base, "ONTIME");
    return c;
}

static offbkg_cube_t *make_3d(size_t n_e, size_t n_x, size_t n_y)
{
    const size_t n[3] = { n_e, n_x, n_y };
    offbkg_cube_t *c = offbkg_cube_new(3, n);

    assert_non_null(c);
    for (size_t k = 0; k <= n_e; k++)
        c->axes[0].edges[k] = 0.2 * pow(500.0, (double)k / (double)n_e);
    for (size_t k = 0; k <= n_x; k++)
        c->axes[1].edges[k] = -2.0 + 1.0 * (double)k;
    for (size_t k = 0; k <= n_y; k++)
        c->axes[2].edges[k] = -1.2 + 0.8 * (double)k;
    for (size_t i = 0; i < c->n_cells; i++) {
        c->rate[i] = 2e-4 * (double)(i + 1) * (double)(i + 1);
        c->rate_err[i] = 3e-6 * (double)(i + 2);
        c->counts[i] = (double)(3 * i);
        c->exposure_s[i] = 500.0 + 0.25 * (double)i;
    }
    snprintf(c->time_base, sizeof c->time_base, "LIVETIME");
    snprintf(c->fov_alignment, sizeof c->fov_alignment, "ALTAZ");
    c->fov_lon_sign = 1;
    return c;
}

static void assert_same_array(const double *a, const double *b, size_t n,
                              const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            fail_msg("%s[%zu]: read %.17g, wrote %.17g", what, i, a[i],
                     b[i]);
}

static void assert_same_cube(const offbkg_cube_t *got,
                             const offbkg_cube_t *want)
{
    assert_int_equal(got->n_axes, want->n_axes);
    assert_int_equal(got->n_cells, want->n_cells);
    for (size_t k = 0; k < want->n_axes; k++) {
        assert_int_equal(got->axes[k].n_bins, want->axes[k].n_bins);
        assert_same_array(got->axes[k].edges, want->axes[k].edges,
                          want->axes[k].n_bins + 1, "edges");
    }
    assert_string_equal(got->axes[0].name, "ENERG");
    assert_string_equal(got->axes[0].unit, "TeV");
    assert_string_equal(got->axes[1].name,
                        want->n_axes == 2 ? "THETA" : "DETX");
    assert_same_array(got->rate, want->rate, want->n_cells, "rate");
    assert_same_array(got->rate_err, want->rate_err, want->n_cells,
                      "rate_err");
    assert_same_array(got->counts, want->counts, want->n_cells, "counts");
    assert_same_array(got->exposure_s, want->exposure_s, want->n_cells,
                      "exposure");
    assert_string_equal(got->time_base, want->time_base);
    assert_string_equal(got->fov_alignment, want->fov_alignment);
    assert_int_equal(got->fov_lon_sign, want->fov_lon_sign);
}

/* ------------------------------------------------------------------ */
/* Reading our files back with cfitsio directly.                       */

static fitsfile *open_hdu(const char *path, const char *extname)
{
    fitsfile *f = NULL;
    int st = 0;

    fits_open_file(&f, path, READONLY, &st);
    fits_movnam_hdu(f, BINARY_TBL, (char *)extname, 0, &st);
    if (st != 0)
        fail_msg("%s: no HDU %s (cfitsio status %d)", path, extname, st);
    return f;
}

static void assert_key(fitsfile *f, const char *key, const char *want)
{
    char value[FLEN_VALUE];
    int st = 0;

    if (fits_read_key(f, TSTRING, key, value, NULL, &st) != 0)
        fail_msg("keyword %s missing (status %d)", key, st);
    assert_string_equal(value, want);
}

static void assert_no_key(fitsfile *f, const char *key)
{
    char value[FLEN_VALUE];
    int st = 0;

    if (fits_read_key(f, TSTRING, key, value, NULL, &st) == 0)
        fail_msg("keyword %s present (= %s)", key, value);
    fits_clear_errmsg();
}

static void close_fits(fitsfile *f)
{
    int st = 0;
    fits_close_file(f, &st);
}

/* The HDU names in order, comma-separated (the primary as PRIMARY). */
static void hdu_names(const char *path, char *buf, size_t size)
{
    fitsfile *f = NULL;
    int st = 0, n = 0, type;
    size_t len = 0;

    fits_open_file(&f, path, READONLY, &st);
    fits_get_num_hdus(f, &n, &st);
    assert_int_equal(st, 0);
    buf[0] = '\0';
    for (int i = 1; i <= n; i++) {
        char name[FLEN_VALUE] = "PRIMARY";
        int kst = 0;
        fits_movabs_hdu(f, i, &type, &st);
        if (i > 1)
            fits_read_key(f, TSTRING, "EXTNAME", name, NULL, &kst);
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                i > 1 ? "," : "", name);
    }
    close_fits(f);
}

/* Every HDU of @p path has a CHECKSUM and a DATASUM, and both are good
 * (fits_verify_chksum). */
static void assert_checksums(const char *path)
{
    fitsfile *f = NULL;
    int st = 0, n = 0, type;

    fits_open_file(&f, path, READONLY, &st);
    fits_get_num_hdus(f, &n, &st);
    assert_int_equal(st, 0);
    for (int i = 1; i <= n; i++) {
        int data_ok = 0, hdu_ok = 0;
        fits_movabs_hdu(f, i, &type, &st);
        fits_verify_chksum(f, &data_ok, &hdu_ok, &st);
        assert_int_equal(st, 0);
        assert_int_equal(data_ok, 1);
        assert_int_equal(hdu_ok, 1);
    }
    close_fits(f);
}

/* Read the column @p col of row 1 of the current HDU (n values). */
static double *read_column(fitsfile *f, const char *col, size_t n)
{
    double *v = calloc(n, sizeof *v);
    int num, st = 0;

    assert_non_null(v);
    fits_get_colnum(f, CASEINSEN, (char *)col, &num, &st);
    fits_read_col(f, TDOUBLE, num, 1, 1, (LONGLONG)n, NULL, v, NULL, &st);
    assert_int_equal(st, 0);
    return v;
}

static void assert_tdim(fitsfile *f, const char *col, const char *want)
{
    char key[FLEN_KEYWORD];
    int num, st = 0;

    fits_get_colnum(f, CASEINSEN, (char *)col, &num, &st);
    fits_make_keyn("TDIM", num, key, &st);
    assert_int_equal(st, 0);
    assert_key(f, key, want);
}

/* Every cell of @p values (cube order) at its layout-A place in the cell
 * of column @p col. */
static void assert_layout_a(fitsfile *f, const char *col,
                            const offbkg_cube_t *c, const double *values)
{
    double *v = read_column(f, col, c->n_cells);
    size_t n_e = c->axes[0].n_bins, n1 = c->axes[1].n_bins;
    size_t n2 = c->n_axes == 3 ? c->axes[2].n_bins : 1;

    for (size_t ie = 0; ie < n_e; ie++)
        for (size_t i1 = 0; i1 < n1; i1++)
            for (size_t i2 = 0; i2 < n2; i2++) {
                double file = v[(i2 * n1 + i1) * n_e + ie];
                double cube = values[(ie * n1 + i1) * n2 + i2];
                if (file != cube)
                    fail_msg("%s (%zu, %zu, %zu): file %g, cube %g", col, ie,
                             i1, i2, file, cube);
            }
    free(v);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static void test_bkg_io_roundtrip_2d(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64], names[256], *history[1];
    offbkg_cube_t *c = make_2d(15, 7), *r = NULL;
    const offbkg_bkg_card_t cards[] = {
        { "SELECT", "offplane", "selector plugin" },
    };
    offbkg_bkg_meta_t meta = {
        .group_id = 12, .n_runs = 45, .total_time_s = 60475.91,
        .config_file = "run.ini", .smoother = "gauss1d",
        .n_cards = 1, .cards = cards,
    };
    unsigned char magic[2] = { 0, 0 };
    fitsfile *f;
    FILE *fp;
    long n_runs = 0, group = 0;
    double ttime = 0;
    int st = 0;

    history[0] = "[model] plugin = 2d";
    meta.n_history = 1;
    meta.history = (const char *const *)history;
    path_in(fx, "background_2D_group_012_table.fits.gz", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_OK);
    assert_int_equal(fx->n_warn, 0);
    assert_int_equal(dir_count(fx), 1);

    /* a .gz name gives a gzip file */
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(magic, 1, 2, fp), 2);
    fclose(fp);
    assert_int_equal(magic[0], 0x1f);
    assert_int_equal(magic[1], 0x8b);

    hdu_names(path, names, sizeof names);
    assert_string_equal(names, "PRIMARY,BACKGROUND,COUNTS,EXPOSURE,BKG_ERR");
    assert_checksums(path);

    f = open_hdu(path, "BACKGROUND");
    assert_key(f, "HDUCLASS", "GADF");
    assert_key(f, "HDUVERS", "0.2");
    assert_key(f, "HDUCLAS1", "RESPONSE");
    assert_key(f, "HDUCLAS2", "BKG");
    assert_key(f, "HDUCLAS3", "FULL-ENCLOSURE");
    assert_key(f, "HDUCLAS4", "BKG_2D");
    assert_key(f, "BKGTIME", "ONTIME");
    assert_no_key(f, "FOVALIGN");
    assert_key(f, "TTYPE1", "ENERG_LO");
    assert_key(f, "TTYPE3", "THETA_LO");
    assert_key(f, "TTYPE5", "BKG");
    assert_key(f, "TUNIT1", "TeV");
    assert_key(f, "TUNIT3", "deg");
    assert_key(f, "TUNIT5", "s-1 MeV-1 sr-1");
    assert_key(f, "TFORM5", "105D");
    assert_tdim(f, "BKG", "(15,7)");
    assert_key(f, "CONFIG", "run.ini");
    assert_key(f, "SMOOTHER", "gauss1d");
    assert_key(f, "SELECT", "offplane");
    fits_read_key(f, TLONG, "NRUNS", &n_runs, NULL, &st);
    fits_read_key(f, TLONG, "GROUP_ID", &group, NULL, &st);
    fits_read_key(f, TDOUBLE, "TOTTIME", &ttime, NULL, &st);
    assert_int_equal(st, 0);
    assert_int_equal(n_runs, 45);
    assert_int_equal(group, 12);
    assert_true(ttime == 60475.91);
    assert_layout_a(f, "BKG", c, c->rate);
    close_fits(f);

    f = open_hdu(path, "COUNTS");
    assert_tdim(f, "COUNTS", "(15,7)");
    assert_layout_a(f, "COUNTS", c, c->counts);
    close_fits(f);
    f = open_hdu(path, "EXPOSURE");
    assert_key(f, "TUNIT5", "s");
    assert_layout_a(f, "EXPOSURE", c, c->exposure_s);
    close_fits(f);
    f = open_hdu(path, "BKG_ERR");
    assert_key(f, "TUNIT5", "s-1 MeV-1 sr-1");
    assert_layout_a(f, "BKG_ERR", c, c->rate_err);
    close_fits(f);

    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_same_cube(r, c);
    for (size_t ie = 0; ie < 15; ie++)
        for (size_t it = 0; it < 7; it++)
            assert_true(fabs(r->solid_angle_sr[ie * 7 + it]
                             - offbkg_solid_angle_annulus_sr(
                                 c->axes[1].edges[it],
                                 c->axes[1].edges[it + 1])) < 1e-15);
    offbkg_cube_free(r);
    offbkg_cube_free(c);
}

static void test_bkg_io_roundtrip_3d(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64], names[256];
    offbkg_cube_t *c = make_3d(5, 4, 3), *r = NULL;
    fitsfile *f;
    int sign = 0, st = 0;

    path_in(fx, "background_3D_group_000_table.fits.gz", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, NULL, path, false),
                     OFFBKG_OK);
    assert_int_equal(fx->n_warn, 0);
    hdu_names(path, names, sizeof names);
    assert_string_equal(names, "PRIMARY,BACKGROUND,COUNTS,EXPOSURE,BKG_ERR");
    assert_checksums(path);

    f = open_hdu(path, "BACKGROUND");
    assert_key(f, "HDUCLAS4", "BKG_3D");
    assert_key(f, "FOVALIGN", "ALTAZ");
    assert_key(f, "BKGTIME", "LIVETIME");
    fits_read_key(f, TINT, "FOVLONSG", &sign, NULL, &st);
    assert_int_equal(st, 0);
    assert_int_equal(sign, 1);
    assert_key(f, "TTYPE3", "DETX_LO");
    assert_key(f, "TTYPE6", "DETY_HI");
    assert_key(f, "TTYPE7", "BKG");
    assert_tdim(f, "BKG", "(5,4,3)");
    assert_no_key(f, "GROUP_ID");
    assert_layout_a(f, "BKG", c, c->rate);
    close_fits(f);
    f = open_hdu(path, "EXPOSURE");
    assert_key(f, "FOVALIGN", "ALTAZ");
    assert_tdim(f, "EXPOSURE", "(5,4,3)");
    assert_layout_a(f, "EXPOSURE", c, c->exposure_s);
    close_fits(f);

    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_same_cube(r, c);
    assert_string_equal(r->axes[2].name, "DETY");
    assert_true(fabs(r->solid_angle_sr[(2 * 4 + 3) * 3 + 1]
                     - offbkg_solid_angle_lonlat_sr(1.0, 2.0, -0.4, 0.4))
                < 1e-15);
    offbkg_cube_free(r);
    offbkg_cube_free(c);
}

/* Each way to spoil a cube, then a write that must refuse it. */
static void spoil(offbkg_cube_t *c, int how)
{
    switch (how) {
    case 0: c->rate[5] = NAN; break;
    case 1: c->rate_err[0] = INFINITY; break;
    case 2: c->exposure_s[c->n_cells - 1] = -1.0; break;
    case 3: c->counts[2] = NAN; break;
    case 4: c->rate[3] = -1e-9; break;
    case 5: c->axes[2].edges[2] = c->axes[2].edges[1]; break;
    case 6: c->axes[0].edges[0] = 0.0; break;
    case 7: c->axes[1].edges[0] = NAN; break;
    case 8: snprintf(c->time_base, sizeof c->time_base, "SOMETIME"); break;
    case 9: snprintf(c->fov_alignment, sizeof c->fov_alignment, "GAL");
        break;
    case 10: c->fov_lon_sign = 0; break;
    case 11: snprintf(c->axes[1].name, sizeof c->axes[1].name, "DETY");
        break;
    case 12: snprintf(c->axes[0].unit, sizeof c->axes[0].unit, "GeV");
        break;
    default: break;
    }
}

static void test_bkg_io_refuses_bad_cube(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64];

    path_in(fx, "bad.fits.gz", path, sizeof path);
    for (int how = 0; how <= 12; how++) {
        offbkg_cube_t *c = make_3d(5, 4, 3);
        spoil(c, how);
        offbkg_error_clear(fx->ctx);
        if (offbkg_bkg_write(fx->ctx, c, NULL, path, true) != OFFBKG_EDATA)
            fail_msg("spoil %d: not refused (%s)", how,
                     offbkg_error_msg(fx->ctx));
        assert_true(strstr(offbkg_error_msg(fx->ctx), path) != NULL);
        assert_int_equal(dir_count(fx), 0);
        offbkg_cube_free(c);
    }

    /* the message names the cell */
    offbkg_cube_t *c = make_2d(15, 7);
    c->rate[3 * 7 + 2] = NAN;
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, NULL, path, false),
                     OFFBKG_EDATA);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx),
                           "rate[ie=3, itheta=2] is nan"));
    offbkg_cube_free(c);

    /* one axis is not a model */
    const size_t one[1] = { 4 };
    c = offbkg_cube_new(1, one);
    for (size_t k = 0; k <= 4; k++)
        c->axes[0].edges[k] = 1.0 + (double)k;
    snprintf(c->time_base, sizeof c->time_base, "ONTIME");
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, NULL, path, false),
                     OFFBKG_EDATA);
    offbkg_cube_free(c);
    assert_int_equal(dir_count(fx), 0);
}

static void test_bkg_io_refuses_bad_meta(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64];
    offbkg_cube_t *c = make_2d(4, 3);
    offbkg_bkg_card_t card = { "BKGTIME", "LIVETIME", NULL };
    offbkg_bkg_meta_t meta = { .group_id = -1, .n_runs = -1,
                               .total_time_s = NAN, .n_cards = 1,
                               .cards = &card };

    path_in(fx, "meta.fits", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_EINVAL);
    card.key = "lower";
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_EINVAL);
    card.key = "TOOLONGKEY";
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_EINVAL);
    assert_int_equal(dir_count(fx), 0);

    /* a directory that does not exist: nothing is left. Every FITS
     * output is built in memory and its file created by us. */
    path_in(fx, "no/such/dir/x.fits", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, NULL, path, false),
                     OFFBKG_EIO);
    path_in(fx, "no/such/dir/x.fits.gz", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, NULL, path, false),
                     OFFBKG_EIO);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), "cannot create"));
    assert_int_equal(dir_count(fx), 0);
    offbkg_cube_free(c);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void test_bkg_io_overwrite(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64];
    offbkg_cube_t *a = make_2d(15, 7), *b = make_2d(15, 7), *r = NULL;
    size_t len0, len1;
    char *before, *after;

    for (size_t i = 0; i < b->n_cells; i++)
        b->rate[i] *= 2.0;
    path_in(fx, "model.fits.gz", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, a, NULL, path, false),
                     OFFBKG_OK);
    before = slurp(path, &len0);

    assert_int_equal(offbkg_bkg_write(fx->ctx, b, NULL, path, false),
                     OFFBKG_EEXIST);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), "exists"));
    after = slurp(path, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(after);
    assert_int_equal(dir_count(fx), 1);

    assert_int_equal(offbkg_bkg_write(fx->ctx, b, NULL, path, true),
                     OFFBKG_OK);
    assert_int_equal(dir_count(fx), 1);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_same_cube(r, b);
    offbkg_cube_free(r);
    free(before);
    offbkg_cube_free(a);
    offbkg_cube_free(b);
}

static void test_bkg_io_ambiguous_shape_warns(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64];
    offbkg_cube_t *c2 = make_2d(6, 6), *c3 = make_3d(3, 5, 3), *r = NULL;

    path_in(fx, "square.fits", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c2, NULL, path, false),
                     OFFBKG_OK);
    assert_int_equal(fx->n_warn, 1);
    assert_non_null(strstr(fx->last_warn, "n_ENERG = n_THETA = 6"));
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_same_cube(r, c2);
    offbkg_cube_free(r);

    path_in(fx, "square3d.fits", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c3, NULL, path, false),
                     OFFBKG_OK);
    assert_int_equal(fx->n_warn, 2);
    assert_non_null(strstr(fx->last_warn, "n_ENERG = n_DETY = 3"));
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_same_cube(r, c3);
    offbkg_cube_free(r);
    offbkg_cube_free(c2);
    offbkg_cube_free(c3);
}

/* A third-party file: an EVENTS-like table first, then a BKG HDU named
 * "BKG" with float32 values in the given TDIM order and unit, laid out
 * with energy slowest (layout C) unless @p energy_fastest. */
static void write_foreign(const char *path, const offbkg_cube_t *c,
                          const long *tdim, bool energy_fastest,
                          const char *unit, double scale)
{
    char *ttype[7], *tform[7], *tunit[7];
    char forms[7][16], names[7][16], units[7][32];
    const char *axes3[3] = { "ENERG", "DETX", "DETY" };
    const char *axes2[2] = { "ENERG", "THETA" };
    char *ev_type[] = { "ENERGY" }, *ev_form[] = { "E" };
    char *ev_unit[] = { "TeV" };
    int n_cols = 0, st = 0;
    float *v = malloc(c->n_cells * sizeof *v);
    size_t n1 = c->axes[1].n_bins, n2 = c->n_axes == 3 ? c->axes[2].n_bins
                                                       : 1;
    size_t n_e = c->axes[0].n_bins;
    fitsfile *f = NULL;

    assert_non_null(v);
    for (size_t ie = 0; ie < n_e; ie++)
        for (size_t i1 = 0; i1 < n1; i1++)
            for (size_t i2 = 0; i2 < n2; i2++) {
                size_t cell = (ie * n1 + i1) * n2 + i2;
                size_t at = energy_fastest ? (i2 * n1 + i1) * n_e + ie
                                           : cell;
                v[at] = (float)(c->rate[cell] * scale);
            }
    for (size_t k = 0; k < c->n_axes; k++)
        for (int hi = 0; hi < 2; hi++) {
            snprintf(names[n_cols], 16, "%s_%s",
                     c->n_axes == 3 ? axes3[k] : axes2[k], hi ? "HI" : "LO");
            snprintf(forms[n_cols], 16, "%zuE", c->axes[k].n_bins);
            snprintf(units[n_cols], 32, "%s", k == 0 ? "TeV" : "deg");
            n_cols++;
        }
    snprintf(names[n_cols], 16, "BKG");
    snprintf(forms[n_cols], 16, "%zuE", c->n_cells);
    snprintf(units[n_cols], 32, "%s", unit);
    n_cols++;
    for (int i = 0; i < n_cols; i++) {
        ttype[i] = names[i];
        tform[i] = forms[i];
        tunit[i] = units[i];
    }
    fits_create_file(&f, path, &st);
    fits_create_img(f, BYTE_IMG, 0, NULL, &st);
    fits_create_tbl(f, BINARY_TBL, 0, 1, ev_type, ev_form, ev_unit, "EVENTS",
                    &st);
    fits_create_tbl(f, BINARY_TBL, 1, n_cols, ttype, tform, tunit, "BKG",
                    &st);
    fits_write_tdim(f, n_cols, (int)c->n_axes, (long *)tdim, &st);
    for (size_t k = 0; k < c->n_axes; k++) {
        for (size_t j = 0; j < c->axes[k].n_bins; j++) {
            float lo = (float)c->axes[k].edges[j];
            float hi = (float)c->axes[k].edges[j + 1];
            fits_write_col(f, TFLOAT, (int)(2 * k + 1), 1, (LONGLONG)j + 1,
                           1, &lo, &st);
            fits_write_col(f, TFLOAT, (int)(2 * k + 2), 1, (LONGLONG)j + 1,
                           1, &hi, &st);
        }
    }
    fits_write_col(f, TFLOAT, n_cols, 1, 1, (LONGLONG)c->n_cells, v, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
    free(v);
}

static void assert_rates_float(const offbkg_cube_t *got,
                               const offbkg_cube_t *want)
{
    assert_int_equal(got->n_cells, want->n_cells);
    for (size_t i = 0; i < want->n_cells; i++)
        if (!(fabs(got->rate[i] - want->rate[i]) <= 1e-6 * want->rate[i]))
            fail_msg("rate[%zu]: read %g, want %g", i, got->rate[i],
                     want->rate[i]);
    for (size_t i = 0; i < want->n_cells; i++)
        assert_true(got->counts[i] == 0 && got->exposure_s[i] == 0);
}

static void test_bkg_io_reads_foreign_layouts(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64];
    offbkg_cube_t *c2 = make_2d(15, 7), *c3 = make_3d(5, 4, 3), *r = NULL;

    /* 2D energy slowest, TDIM (n_theta, n_E), as the GADF example */
    const long t2c[2] = { 7, 15 };
    path_in(fx, "gadf2d.fits", path, sizeof path);
    write_foreign(path, c2, t2c, false, "MeV-1 s-1 sr-1", 1.0);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_rates_float(r, c2);
    assert_string_equal(r->time_base, "ONTIME");
    assert_int_equal(r->fov_lon_sign, 0);
    offbkg_cube_free(r);

    /* 3D layout C, TDIM (n_y, n_x, n_E), per TeV, no FOVALIGN */
    const long t3c[3] = { 3, 4, 5 };
    path_in(fx, "layoutc.fits", path, sizeof path);
    write_foreign(path, c3, t3c, false, "s-1 TeV-1 sr-1", 1e6);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_rates_float(r, c3);
    assert_string_equal(r->fov_alignment, "RADEC");
    assert_int_equal(r->fov_lon_sign, -1);
    offbkg_cube_free(r);

    /* 3D layout A from someone else, unit in gammapy's other spelling */
    const long t3a[3] = { 5, 4, 3 };
    path_in(fx, "layouta.fits", path, sizeof path);
    write_foreign(path, c3, t3a, true, "MeV-1 s-1 sr-1", 1.0);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_rates_float(r, c3);
    offbkg_cube_free(r);

    /* CTA 1DC's unit: gammapy assumes s-1 MeV-1 sr-1 and warns; so do we */
    fx->n_warn = 0;
    path_in(fx, "cta.fits", path, sizeof path);
    write_foreign(path, c3, t3a, true, "1/s/MeV/sr", 1.0);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_int_equal(fx->n_warn, 1);
    assert_rates_float(r, c3);
    offbkg_cube_free(r);

    /* layout B, TDIM (n_x, n_y, n_E) with n_x != n_y: gammapy fails too */
    const long t3b[3] = { 4, 3, 5 };
    path_in(fx, "layoutb.fits", path, sizeof path);
    write_foreign(path, c3, t3b, false, "s-1 MeV-1 sr-1", 1.0);
    r = NULL;
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_EFITS);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), "TDIM (4,3,5)"));
    assert_null(r);

    /* a rate unit of the wrong kind */
    path_in(fx, "wrongunit.fits", path, sizeof path);
    write_foreign(path, c3, t3a, true, "cm-2 s-1 sr-1", 1.0);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_EFITS);
    assert_null(r);

    /* no file at all, said in plain words */
    path_in(fx, "missing.fits", path, sizeof path);
    assert_int_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_EDATA);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), "No such file: "));
    assert_null(strstr(offbkg_error_msg(fx->ctx), "ffopen"));
    assert_null(r);
    offbkg_cube_free(c2);
    offbkg_cube_free(c3);
}

/* The first @p what (@p k bytes) in buf[0, n), or NULL. */
static char *find_bytes(char *buf, size_t n, const char *what, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(buf + i, what, k) == 0)
            return buf + i;
    return NULL;
}

/* Card @p key of the header at @p h set to @p value (a FITS value text). */
static void set_card(char *h, const char *key, const char *value)
{
    char card[81];

    for (char *c = h;; c += 80) {
        assert_memory_not_equal(c, "END     ", 8);
        if (strncmp(c, key, strlen(key)) == 0 && c[8] == '=') {
            snprintf(card, sizeof card, "%-8s= %20s%50s", key, value, "");
            memcpy(c, card, 80);
            return;
        }
    }
}

/* A model whose axis columns claim 2^28 values each (2 GiB to read) in
 * a file of a few kilobytes: refused from the file's size, before
 * anything is allocated for them. */
static void test_bkg_io_refuses_claims_beyond_file(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64], naxis1[32], *buf, *bkg, *h;
    offbkg_cube_t *c2 = make_2d(15, 7), *r = NULL;
    const long t2c[2] = { 7, 15 };
    size_t n;
    FILE *fp;

    path_in(fx, "claims.fits", path, sizeof path);
    write_foreign(path, c2, t2c, false, "MeV-1 s-1 sr-1", 1.0);
    buf = slurp(path, &n);
    bkg = find_bytes(buf, n, "EXTNAME = 'BKG", 14);
    assert_non_null(bkg);
    h = buf + (size_t)(bkg - buf) / 2880 * 2880;
    while (memcmp(h, "XTENSION=", 9) != 0)
        h -= 2880;
    set_card(h, "TFORM1", "'268435456E'");
    set_card(h, "TFORM2", "'268435456E'");
    char *nx = find_bytes(h, 2880, "NAXIS1  =", 9);
    assert_non_null(nx);
    snprintf(naxis1, sizeof naxis1, "%ld", strtol(nx + 10, NULL, 10)
                                               + 2 * (268435456L - 15) * 4);
    set_card(h, "NAXIS1", naxis1);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, n, fp), n);
    fclose(fp);
    free(buf);
    assert_int_not_equal(offbkg_bkg_read(fx->ctx, path, &r), OFFBKG_OK);
    assert_null(r);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx),
                           "more than the file holds"));
    offbkg_cube_free(c2);
}

/* A per-observation model: integer cards, BKG_ERR alone of the cubes
 * after BACKGROUND, and the MATCH HDU last. */
static void test_bkg_io_match_hdu(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX + 64], names[256], value[FLEN_VALUE];
    offbkg_cube_t *c = make_3d(4, 3, 2);
    const int64_t off[3] = { 23523, 23526, -1 };
    const int32_t group[3] = { 0, 0, 2 };
    double weight[3] = { 1, 1, 0.25 }, distance[3] = { 0.01, 0.5, 0 };
    const offbkg_bkg_int_card_t ints[] = {
        { "OBS_ID", 23592, "target" }, { "N_MATCH", 3, NULL } };
    offbkg_bkg_match_t match = { 3, off, group, weight, distance };
    offbkg_bkg_meta_t meta = { .group_id = -1, .n_runs = -1,
                               .total_time_s = NAN, .n_int_cards = 2,
                               .int_cards = ints, .match = &match };
    long long ids[3] = { 0, 0, 0 };
    int gids[3] = { 9, 9, 9 }, st = 0;
    double w[3] = { 0, 0, 0 }, d[3] = { 9, 9, 9 };
    fitsfile *f;

    path_in(fx, "background_3D_obs_023592_table.fits.gz", path, sizeof path);
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_OK);
    hdu_names(path, names, sizeof names);
    assert_string_equal(names,
                        "PRIMARY,BACKGROUND,BKG_ERR,MATCH");
    assert_checksums(path);
    f = open_hdu(path, "BACKGROUND");
    /* integers, as gammapy reads OBS_ID */
    fits_read_keyword(f, "OBS_ID", value, NULL, &st);
    assert_int_equal(st, 0);
    assert_string_equal(value, "23592");
    assert_no_key(f, "GROUP_ID");
    close_fits(f);
    f = open_hdu(path, "MATCH");
    assert_key(f, "TFORM1", "K");
    assert_key(f, "TTYPE2", "GROUP_ID");
    assert_key(f, "TFORM2", "J");
    assert_key(f, "TTYPE3", "WEIGHT");
    assert_key(f, "TTYPE4", "DISTANCE");
    assert_key(f, "TFORM4", "D");
    fits_read_col(f, TLONGLONG, 1, 1, 1, 3, NULL, ids, NULL, &st);
    fits_read_col(f, TINT, 2, 1, 1, 3, NULL, gids, NULL, &st);
    fits_read_col(f, TDOUBLE, 3, 1, 1, 3, NULL, w, NULL, &st);
    fits_read_col(f, TDOUBLE, 4, 1, 1, 3, NULL, d, NULL, &st);
    assert_int_equal(st, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(ids[i] == off[i] && gids[i] == group[i]);
        assert_true(w[i] == weight[i] && d[i] == distance[i]);
    }
    close_fits(f);

    /* a NaN weight or distance is never written */
    unlink(path);
    distance[1] = NAN;
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_EDATA);
    distance[1] = 0.5;
    weight[2] = INFINITY;
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_EDATA);
    weight[2] = 0.25;
    /* a reserved integer key is refused */
    offbkg_bkg_int_card_t bad = { "NRUNS", 1, NULL };
    meta.int_cards = &bad;
    meta.n_int_cards = 1;
    assert_int_equal(offbkg_bkg_write(fx->ctx, c, &meta, path, false),
                     OFFBKG_EINVAL);
    assert_int_equal(dir_count(fx), 0);
    offbkg_cube_free(c);
}

static void test_bkg_io_filename(void **unused)
{
    char *s;
    (void)unused;

    s = offbkg_bkg_filename(2, 0, false);
    assert_string_equal(s, "background_2D_group_000_table.fits.gz");
    free(s);
    s = offbkg_bkg_filename(3, 12, true);
    assert_string_equal(s, "smooth_background_3D_group_012_table.fits.gz");
    free(s);
    s = offbkg_bkg_filename(3, 1234, false);
    assert_string_equal(s, "background_3D_group_1234_table.fits.gz");
    free(s);
    assert_null(offbkg_bkg_filename(1, 0, false));
    assert_null(offbkg_bkg_filename(4, 0, false));
    assert_null(offbkg_bkg_filename(2, -1, false));
    s = offbkg_bkg_obs_filename(3, 23523, false);
    assert_string_equal(s, "background_3D_obs_023523_table.fits.gz");
    free(s);
    s = offbkg_bkg_obs_filename(2, 7, true);
    assert_string_equal(s, "smooth_background_2D_obs_000007_table.fits.gz");
    free(s);
    s = offbkg_bkg_obs_filename(2, 12345678, false);
    assert_string_equal(s, "background_2D_obs_12345678_table.fits.gz");
    free(s);
    assert_null(offbkg_bkg_obs_filename(2, -1, false));
    assert_null(offbkg_bkg_obs_filename(4, 1, false));
}

/* The bit checks of core/finite.c say what the double comparisons say,
 * for every special value at every place of arrays of 1 to 9 (the
 * vectorised body and its remainder). */
static void test_all_finite_bits(void **state)
{
    const double odd[] = { NAN, -NAN, INFINITY, -INFINITY, -1e-9, -DBL_MAX,
                           -DBL_MIN, -4.9e-324, -0.0, 0.0, 4.9e-324,
                           DBL_MIN, 1.0, DBL_MAX };
    double v[9];

    (void)state;
    for (size_t n = 1; n <= 9; n++)
        for (size_t at = 0; at < n; at++)
            for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
                for (size_t i = 0; i < n; i++)
                    v[i] = 0.5 * (double)i;
                v[at] = odd[k];
                assert_int_equal(offbkg_finite_all(v, n), isfinite(odd[k]));
                assert_int_equal(offbkg_finite_all_nonneg(v, n),
                                 odd[k] >= 0 && odd[k] <= DBL_MAX);
            }
    assert_true(offbkg_finite_all(v, 0) && offbkg_finite_all_nonneg(v, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_finite_bits),
        cmocka_unit_test_setup_teardown(test_bkg_io_roundtrip_2d, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_roundtrip_3d, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_refuses_bad_cube, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_refuses_bad_meta, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_overwrite, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_ambiguous_shape_warns,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_reads_foreign_layouts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bkg_io_refuses_claims_beyond_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bkg_io_match_hdu, setup,
                                        teardown),
        cmocka_unit_test(test_bkg_io_filename),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
