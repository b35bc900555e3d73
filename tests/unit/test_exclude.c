/* SPDX-License-Identifier: BSD-3-Clause
 * Exclusion regions: CSV (RFC 4180), FITS and inline circles, source
 * catalogs in every form, bad inputs, and the choice of the regions near
 * a run. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fitsio.h>
#include <math.h>
#include <string.h>

#include <offbkg/geom.h>

#include "catalog-private.h"
#include "exclude-private.h"
#include "tmpfile.h"

static offbkg_ctx_t *ctx;
static const char *key;   /* the [exclude] key a load failed on */

static int setup(void **state)
{
    (void)state;
    ctx = offbkg_ctx_new();
    return ctx == NULL;
}

static int teardown(void **state)
{
    (void)state;
    offbkg_ctx_free(ctx);
    return 0;
}

/* Load a CSV with @p text (plus @p circles); returns the status. */
static int load_csv(const char *text, const double *circles, size_t n,
                    offbkg_regions_t *r)
{
    tmp_ini_t t;
    offbkg_exclude_conf_t conf = { .regions = "", .circles_deg = { n, circles } };
    int st;

    assert_int_equal(tmp_ini_write_named(&t, "regions.csv", text), 0);
    if (text[0] != '\0' || n == 0)
        conf.regions = t.path;
    st = offbkg_exclude_load(ctx, &conf, r, &key);
    tmp_ini_remove(&t);
    return st;
}

static void test_csv_any_column_order(void **unused)
{
    offbkg_regions_t r;
    (void)unused;
    assert_int_equal(load_csv("# sources\nname, radius, dec, ra\n"
                              "crab, 0.3, 22.0145, 83.633\n\n"
                              "pks, 0.25, -30.2256, -30.28\n",
                              NULL, 0, &r), OFFBKG_OK);
    assert_int_equal(r.n, 2);
    assert_true(r.items[0].ra_deg == 83.633 && r.items[0].dec_deg == 22.0145
                && r.items[0].radius_deg == 0.3);
    /* RA is wrapped into [0, 360) */
    assert_true(fabs(r.items[1].ra_deg - 329.72) < 1e-12);
    offbkg_exclude_free(&r);
}

static void test_csv_errors(void **unused)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "RA,DEC\n1,2\n", "regions.csv:1: the header must name the columns "
          "RA, DEC and RADIUS (degrees)" },
        { "RA,DEC,RADIUS\n1,2,x\n", "regions.csv:2: 'x' is not a number" },
        { "RA,DEC,RADIUS\n1,2\n", "regions.csv:2: too few fields" },
        { "RA,DEC,RADIUS\n1,95,1\n", "regions.csv:2: bad exclusion circle "
          "RA 1, DEC 95, RADIUS 1" },
        { "RA,DEC,RADIUS\n1,2,0\n", "regions.csv:2: bad exclusion circle" },
        { "RA,DEC,RADIUS\n1,nan,1\n", "regions.csv:2: bad exclusion circle" },
        { "\n# nothing\n", "regions.csv: empty (expected a header "
          "RA,DEC,RADIUS)" },
    };
    (void)unused;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        offbkg_regions_t r;
        assert_int_equal(load_csv(bad[i].text, NULL, 0, &r), OFFBKG_ECONFIG);
        if (strstr(offbkg_error_msg(ctx), bad[i].msg) == NULL)
            fail_msg("got '%s', want '%s'", offbkg_error_msg(ctx),
                     bad[i].msg);
        assert_int_equal(r.n, 0);
    }
}

/* A comment line longer than any line buffer is one comment: no part of
 * it is read as a data row (a fixed 1024-byte fgets read its tail as a
 * Crab circle). */
static void test_csv_long_comment(void **unused)
{
    char comment[2001], text[2100];
    offbkg_regions_t r;
    (void)unused;

    /* "# xxx..." then, from byte 1023 on (where a 1024-byte fgets split
     * it), what would read as a circle, and blanks up to 2000 bytes. */
    memset(comment, ' ', sizeof comment - 1);
    comment[sizeof comment - 1] = '\0';
    comment[0] = '#';
    memset(comment + 2, 'x', 1020);
    memcpy(comment + 1023, "83.633, 22.0145, 0.3", 20);
    snprintf(text, sizeof text, "RA,DEC,RADIUS\n%s\n10, 20, 0.5\n", comment);
    assert_int_equal(load_csv(text, NULL, 0, &r), OFFBKG_OK);
    assert_int_equal(r.n, 1);
    assert_true(r.items[0].ra_deg == 10 && r.items[0].radius_deg == 0.5);
    offbkg_exclude_free(&r);
}

static void test_inline_circles(void **unused)
{
    const double ok[] = { 10, 20, 0.5, 350, -10, 1 };
    const double bad[] = { 10, 20 };
    offbkg_regions_t r;
    offbkg_exclude_conf_t conf = { .regions = "",
                                   .circles_deg = { 6, ok } };
    (void)unused;

    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r, &key), OFFBKG_OK);
    assert_int_equal(r.n, 2);
    assert_true(r.items[1].ra_deg == 350 && r.items[1].radius_deg == 1);
    offbkg_exclude_free(&r);
    conf.circles_deg = (offbkg_double_list_t){ 2, bad };
    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r, &key), OFFBKG_ECONFIG);
    assert_non_null(strstr(offbkg_error_msg(ctx), "not a list of RA, DEC, "
                           "RADIUS triples"));
    /* no [exclude] at all */
    assert_int_equal(offbkg_exclude_load(ctx, NULL, &r, &key), OFFBKG_OK);
    assert_int_equal(r.n, 0);
}

static void test_fits_table(void **unused)
{
    char *ttype[] = { "RA", "DEC", "Radius" };
    char *tform[] = { "E", "E", "D" };
    char *tunit[] = { "deg", "deg", "deg" };
    float ra[] = { 83.633f, 10.0f }, dec[] = { 22.0145f, -5.0f };
    double rad[] = { 0.3, 1.5 };
    tmp_ini_t t;
    fitsfile *f;
    int st = 0;
    offbkg_regions_t r;
    (void)unused;

    assert_int_equal(tmp_ini_write_named(&t, "regions.fits", ""), 0);
    unlink(t.path);
    fits_create_file(&f, t.path, &st);
    fits_create_tbl(f, BINARY_TBL, 2, 3, ttype, tform, tunit, "REGIONS", &st);
    fits_write_col(f, TFLOAT, 1, 1, 1, 2, ra, &st);
    fits_write_col(f, TFLOAT, 2, 1, 1, 2, dec, &st);
    fits_write_col(f, TDOUBLE, 3, 1, 1, 2, rad, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);

    offbkg_exclude_conf_t conf = { .regions = t.path };
    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r, &key), OFFBKG_OK);
    tmp_ini_remove(&t);
    assert_int_equal(r.n, 2);
    assert_true(fabs(r.items[0].ra_deg - 83.633) < 1e-5);
    assert_true(r.items[1].radius_deg == 1.5);

    /* regions near a pointing: within reach + radius */
    offbkg_region_t near[2];
    assert_int_equal(offbkg_exclude_near(&r, 83.633, 24.0, 2.0, near), 1);
    assert_int_equal(offbkg_exclude_near(&r, 83.633, 24.3, 2.0, near), 1);
    assert_int_equal(offbkg_exclude_near(&r, 83.633, 24.4, 2.0, near), 0);
    assert_int_equal(offbkg_exclude_near(&r, 80.0, 0.0, 90.0, near), 2);
    offbkg_exclude_free(&r);
}

/* The regions CSV is RFC 4180: a byte-order mark, quoted names with
 * commas, "" and a line break inside quotes, CRLF (a split at every
 * comma read "Crab" and " the nebula" as two fields). */
static void test_csv_rfc4180(void **unused)
{
    offbkg_regions_t r;
    (void)unused;
    assert_int_equal(load_csv("\xEF\xBB\xBFname, RA,DEC,RADIUS\r\n"
                              "\"Crab, the nebula\",83.633,22.0145,0.3\r\n"
                              " \"a \"\"quoted\"\" name\nover two lines\" ,"
                              "10,20,0.5\r\n"
                              "\"\",\"1\", 2 ,\"0.25\"",
                              NULL, 0, &r), OFFBKG_OK);
    assert_int_equal(r.n, 3);
    assert_true(r.items[0].ra_deg == 83.633 && r.items[0].radius_deg == 0.3);
    assert_true(r.items[1].ra_deg == 10 && r.items[1].radius_deg == 0.5);
    assert_true(r.items[2].ra_deg == 1 && r.items[2].dec_deg == 2
                && r.items[2].radius_deg == 0.25);
    offbkg_exclude_free(&r);

    /* The line of a record after one over two lines. */
    assert_int_equal(load_csv("name,RA,DEC,RADIUS\n\"two\nlines\",1,2,3\n"
                              "x,1,2,bad\n", NULL, 0, &r), OFFBKG_ECONFIG);
    assert_non_null(strstr(offbkg_error_msg(ctx),
                           "regions.csv:4: 'bad' is not a number"));
    assert_string_equal(key, "regions");
}

/* Malformed records name file:line and the field. */
static void test_csv_malformed(void **unused)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "RA,DEC,RADIUS\n\"1,2,3\n4,5,6\n", "regions.csv:2: field 1: its "
          "quote is not closed before the end of the file" },
        { "RA,DEC,RADIUS\n\"1\"x,2,3\n", "regions.csv:2: field 1: text "
          "after its closing quote" },
        { "RA,DEC,RADIUS\n1,2\"0\",3\n", "regions.csv:2: field 2: a quote "
          "inside an unquoted field" },
    };
    (void)unused;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        offbkg_regions_t r;
        assert_int_equal(load_csv(bad[i].text, NULL, 0, &r), OFFBKG_ECONFIG);
        if (strstr(offbkg_error_msg(ctx), bad[i].msg) == NULL)
            fail_msg("got '%s', want '%s'", offbkg_error_msg(ctx),
                     bad[i].msg);
        assert_int_equal(r.n, 0);
    }

    /* A NUL byte (strlen would not write it: written by hand). */
    tmp_ini_t t;
    offbkg_regions_t r;
    assert_int_equal(tmp_ini_write_named(&t, "regions.csv", ""), 0);
    FILE *f = fopen(t.path, "wb");
    assert_non_null(f);
    fwrite("RA,DEC,RADIUS\n\n1,2\0,3\n", 1, 22, f);
    fclose(f);
    offbkg_exclude_conf_t conf = { .regions = t.path };
    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r, &key),
                     OFFBKG_ECONFIG);
    tmp_ini_remove(&t);
    assert_non_null(strstr(offbkg_error_msg(ctx), "regions.csv:3: a NUL "
                           "byte"));
}

/* ------------------------------------------------------------------ */
/* Catalogs                                                            */

/* A column of a FITS table written by the tests: doubles or strings. */
typedef struct fcol {
    const char *name, *form, *unit;
    const double *d;
    const char *const *s;
} fcol_t;

/* Write a FITS file @p name in @p t with a binary table CATALOG of
 * @p n_rows rows and columns @p cols (ended by a NULL name), after an
 * empty table without positions (the reader looks for the first table
 * that has one). */
static void write_fits(tmp_ini_t *t, const char *name, size_t n_rows,
                       const fcol_t *cols)
{
    char *ttype[16], *tform[16], *tunit[16];
    char *other[] = { "X" }, *oform[] = { "D" };
    fitsfile *f;
    int st = 0, n = 0;

    assert_int_equal(tmp_ini_write_named(t, name, ""), 0);
    unlink(t->path);
    for (; cols[n].name != NULL; n++) {
        ttype[n] = (char *)cols[n].name;
        tform[n] = (char *)cols[n].form;
        tunit[n] = (char *)cols[n].unit;
    }
    fits_create_file(&f, t->path, &st);
    fits_create_tbl(f, BINARY_TBL, 0, 1, other, oform, NULL, "OTHER", &st);
    fits_create_tbl(f, BINARY_TBL, (LONGLONG)n_rows, n, ttype, tform, tunit,
                    "CATALOG", &st);
    for (int c = 0; c < n; c++) {
        if (cols[c].d != NULL)
            fits_write_col(f, TDOUBLE, c + 1, 1, 1, (LONGLONG)n_rows,
                           (void *)cols[c].d, &st);
        else
            fits_write_col(f, TSTRING, c + 1, 1, 1, (LONGLONG)n_rows,
                           (void *)cols[c].s, &st);
    }
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
}

/* Load catalog @p path (extension_scale 2, min_radius_deg 0.3). */
static int load_catalog(const char *path, offbkg_regions_t *r)
{
    const char *paths[1] = { path };
    offbkg_exclude_conf_t conf = { .regions = "",
                                   .catalog = { 1, paths },
                                   .extension_scale = 2,
                                   .min_radius_deg = 0.3 };
    return offbkg_exclude_load(ctx, &conf, r, &key);
}

static int load_catalog_csv(const char *text, offbkg_regions_t *r)
{
    tmp_ini_t t;
    assert_int_equal(tmp_ini_write_named(&t, "cat.csv", text), 0);
    int st = load_catalog(t.path, r);
    tmp_ini_remove(&t);
    return st;
}

/* The five sources of the catalogs below, as circles (extension_scale
 * 2, min_radius_deg 0.3): a point source; one whose 2 x extension is
 * below the minimum, with a comma in its name; an extended one; one with
 * a RADIUS (and an extension, which it overrides); one just south of the
 * equator (-00:30:00 must keep its sign). */
#define N_SRC 5
static const char *const src_name[N_SRC] = {
    "Crab Nebula", "HESS J1745-290, Galactic Centre", "Vela Junior",
    "MSH 15-52", "Equator \"south\""
};
static const double src_ra[N_SRC] = { 83.633, 266.415, 133.0, 228.529, 30.0 };
static const double src_dec[N_SRC] = { 22.0145, -29.006, -46.37, -59.16,
                                       -0.5 };
static const double src_ext[N_SRC] = { 0, 0.1, 1.0, 0.5, NAN };
static const double src_radius[N_SRC] = { NAN, NAN, NAN, 0.4, NAN };
static const double want_radius[N_SRC] = { 0.3, 0.3, 2.0, 0.4, 0.3 };

static void assert_sources(const offbkg_regions_t *r, double tol_deg)
{
    assert_int_equal(r->n, N_SRC);
    for (size_t i = 0; i < N_SRC; i++) {
        if (!(fabs(r->items[i].ra_deg - src_ra[i]) <= tol_deg
              && fabs(r->items[i].dec_deg - src_dec[i]) <= tol_deg
              && fabs(r->items[i].radius_deg - want_radius[i]) <= 1e-12))
            fail_msg("source %zu: RA %.12g DEC %.12g RADIUS %.12g, want "
                     "%.12g %.12g %.12g", i, r->items[i].ra_deg,
                     r->items[i].dec_deg, r->items[i].radius_deg,
                     src_ra[i], src_dec[i], want_radius[i]);
        assert_non_null(r->names);
        assert_string_equal(r->names[i], src_name[i]);
    }
    assert_int_equal(offbkg_exclude_find(r, "hess j1745-290, galactic "
                                            "centre"), 1);
}

/* Every supported form of a catalog gives the same circles and names:
 * CSV in decimal degrees, CSV in sexagesimal (each notation), CSV in
 * GLON/GLAT, FITS in RA/DEC (an extension in arcmin), FITS in GLON/GLAT
 * (RA in rad is no position: GLON/GLAT are used). */
static void test_catalog_forms(void **unused)
{
    offbkg_regions_t r;
    char text[4096], line[512];
    size_t len;
    (void)unused;

    /* CSV, decimal degrees; an empty RADIUS or EXTENSION is not given. */
    assert_int_equal(load_catalog_csv(
        "# a catalog\nNAME,RA,DEC,RADIUS,EXTENSION\n"
        "Crab Nebula,83.633,22.0145,,0\n"
        "\"HESS J1745-290, Galactic Centre\",266.415,-29.006,,0.1\n"
        "Vela Junior,133.0,-46.37,,1.0\n"
        "MSH 15-52,228.529,-59.16,0.4,0.5\n"
        "\"Equator \"\"south\"\"\",30,-0.5,,\n", &r), OFFBKG_OK);
    assert_sources(&r, 1e-12);
    offbkg_exclude_free(&r);

    /* CSV, sexagesimal, other column names, any order. */
    assert_int_equal(load_catalog_csv(
        "Size,DEJ2000,RAJ2000,Source_Name,Radius\n"
        "0,+22:00:52.2,05:34:31.92,Crab Nebula,\n"
        "0.1,-29d00m21.6s,17h45m39.6s,\"HESS J1745-290, Galactic Centre\",\n"
        "1.0,-46 22 12,08 52 00,Vela Junior,\n"
        "0.5,-59:09:36,228d31m44.4s,MSH 15-52,0.4\n"
        ",-00:30:00,02:00:00,\"Equator \"\"south\"\"\",\n", &r), OFFBKG_OK);
    assert_sources(&r, 1e-9);
    offbkg_exclude_free(&r);

    /* CSV, GLON/GLAT (from RA/DEC to 17 digits). */
    len = (size_t)snprintf(text, sizeof text,
                           "name,glon,glat,extension,radius\n");
    for (size_t i = 0; i < N_SRC; i++) {
        double l, b;
        offbkg_icrs_to_galactic(src_ra[i], src_dec[i], &l, &b);
        snprintf(line, sizeof line, "\"%s\",%.17g,%.17g,%s,%s\n",
                 i == 4 ? "Equator \"\"south\"\"" : src_name[i], l, b,
                 i == 4 ? "" : (i == 1 ? "0.1" : i == 2 ? "1.0"
                                        : i == 3 ? "0.5" : "0"),
                 i == 3 ? "0.4" : "");
        assert_true(len + strlen(line) < sizeof text);
        memcpy(text + len, line, strlen(line) + 1);
        len += strlen(line);
    }
    assert_int_equal(load_catalog_csv(text, &r), OFFBKG_OK);
    assert_sources(&r, 1e-9);
    offbkg_exclude_free(&r);

    /* FITS, RA/DEC; EXTENSION in arcmin; NaN RADIUS is not given. */
    tmp_ini_t t;
    double ext_arcmin[N_SRC], glon[N_SRC], glat[N_SRC], ra_rad[N_SRC];
    for (size_t i = 0; i < N_SRC; i++) {
        ext_arcmin[i] = src_ext[i] * 60;
        offbkg_icrs_to_galactic(src_ra[i], src_dec[i], &glon[i], &glat[i]);
        ra_rad[i] = src_ra[i] * M_PI / 180;
    }
    const fcol_t radec[] = {
        { "Source_Name", "40A", "", NULL, src_name },
        { "RAJ2000", "D", "deg", src_ra, NULL },
        { "DEJ2000", "D", "deg", src_dec, NULL },
        { "RADIUS", "D", "deg", src_radius, NULL },
        { "EXTENSION", "D", "arcmin", ext_arcmin, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    write_fits(&t, "cat.fits", N_SRC, radec);
    assert_int_equal(load_catalog(t.path, &r), OFFBKG_OK);
    tmp_ini_remove(&t);
    assert_sources(&r, 1e-12);
    offbkg_exclude_free(&r);

    /* FITS, GLON/GLAT, with an RA but no DEC (so no RA/DEC position). */
    const fcol_t gal[] = {
        { "NAME", "40A", "", NULL, src_name },
        { "RA", "D", "rad", ra_rad, NULL },
        { "GLON", "D", "deg", glon, NULL },
        { "GLAT", "D", "", glat, NULL },
        { "Radius", "D", "deg", src_radius, NULL },
        { "morph_sigma", "D", "deg", src_ext, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    write_fits(&t, "cat.fits.gz", N_SRC, gal);
    assert_int_equal(load_catalog(t.path, &r), OFFBKG_OK);
    tmp_ini_remove(&t);
    assert_sources(&r, 1e-9);
    offbkg_exclude_free(&r);
}

/* Several catalogs add up, after the regions file and the circles; a
 * catalog without RADIUS and EXTENSION is of point sources. */
static void test_catalogs_add_up(void **unused)
{
    tmp_ini_t a, b;
    const double circle[] = { 1, 2, 3 };
    offbkg_regions_t r;
    (void)unused;

    assert_int_equal(tmp_ini_write_named(&a, "a.csv", "NAME,RA,DEC\n"
                                         "A,10,20\n"), 0);
    assert_int_equal(tmp_ini_write_named(&b, "b.csv", "GLON,GLAT,SIZE\n"
                                         "0,0,0.5\n1,1,0\n"), 0);
    const char *paths[2] = { a.path, b.path };
    offbkg_exclude_conf_t conf = { .regions = "",
                                   .circles_deg = { 3, circle },
                                   .catalog = { 2, paths },
                                   .extension_scale = 3,
                                   .min_radius_deg = 0.2 };
    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r, &key), OFFBKG_OK);
    tmp_ini_remove(&a);
    tmp_ini_remove(&b);
    assert_null(key);
    assert_int_equal(r.n, 4);
    assert_true(r.items[0].ra_deg == 1 && r.names[0] == NULL);
    assert_true(r.items[1].ra_deg == 10 && r.items[1].radius_deg == 0.2);
    assert_string_equal(r.names[1], "A");
    assert_true(fabs(r.items[2].ra_deg - 266.4049882865447) < 1e-5
                && fabs(r.items[2].dec_deg + 28.936177761791473) < 1e-5);
    assert_true(fabs(r.items[2].radius_deg - 1.5) < 1e-15);
    assert_true(r.items[3].radius_deg == 0.2 && r.names[3] == NULL);
    offbkg_exclude_free(&r);
}

/* Angles: decimal degrees and each sexagesimal notation; the rest is
 * refused. */
static void test_parse_angle(void **unused)
{
    static const struct { const char *text; bool ra; double deg; } good[] = {
        { "83.633", true, 83.633 }, { "-30.28", true, -30.28 },
        { "05:34:31.92", true, 83.633 }, { "05 34 31.92", true, 83.633 },
        { "05h34m31.92s", true, 83.633 }, { "5H34M31.92", true, 83.633 },
        { "05:34.532", true, 83.633 }, { "83d37m58.8s", true, 83.633 },
        { "5.5755333333333333h", true, 83.633 }, { "0:0:0", true, 0 },
        { "+22:00:52.2", false, 22.0145 }, { "22d00m52.2s", false, 22.0145 },
        { "22 0 52.2", false, 22.0145 }, { "-00:30:00", false, -0.5 },
        { "-0 30 0", false, -0.5 }, { "-0d30m", false, -0.5 },
        { "1e1", false, 10 }, { "-90:00:00", false, -90 },
    };
    static const struct { const char *text; bool ra; } bad[] = {
        { "", true }, { "abc", true }, { "05:60:00", true },
        { "05:34:60", true }, { "24:00:00", true }, { "05h34s", true },
        { "05:34 31", true }, { "05.5:30:00", true }, { "05:34:31:2", true },
        { "05::31", true }, { "05:", true }, { "nan", true }, { "inf", false },
        { "05:34:31.9x", true }, { "+-5", false }, { "22h00m", false },
        { "-05:00:00", true }, { "05h34m31.9s ", true }, { "05 34 31 0", true },
        { "05d34m31.9q", false }, { ":34:31", true }, { "05h.m", true },
    };
    (void)unused;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double deg = NAN;
        if (!offbkg_catalog_parse_angle(good[i].text, good[i].ra, &deg)
            || !(fabs(deg - good[i].deg) < 1e-9))
            fail_msg("'%s': got %.12g, want %.12g", good[i].text, deg,
                     good[i].deg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double deg;
        if (offbkg_catalog_parse_angle(bad[i].text, bad[i].ra, &deg))
            fail_msg("'%s' read as %.12g", bad[i].text, deg);
    }
}

/* A bad catalog names file:line (CSV) or the row (FITS) and the column,
 * and loads nothing. */
static void test_catalog_errors(void **unused)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "", "cat.csv: empty (expected a header line naming the columns)" },
        { "NAME,RADIUS\nA,1\n", "cat.csv: no position columns: a catalog "
          "needs RA and DEC (or RAJ2000 and DEJ2000, ...) or GLON and GLAT" },
        { "NAME,RA,GLAT\nA,1,2\n", "cat.csv: no position columns" },
        { "name,ra,Dec\nA,05:34:31.9,+95:00:00\n", "cat.csv:2: column Dec: "
          "95 is not within [-90, 90] deg" },
        { "NAME,RA,DEC\nA,25:00:00,0\n", "cat.csv:2: column RA: '25:00:00' "
          "is not an angle (decimal degrees, or sexagesimal as 05:34:31.9" },
        { "NAME,RA,DEC\nA,,0\n", "cat.csv:2: column RA: empty" },
        { "NAME,RA,DEC,RADIUS\nA,1,2,0\n", "cat.csv:2: column RADIUS: 0 deg "
          "is not within (0, 90)" },
        { "NAME,RA,DEC,RADIUS\nA,1,2,x\n", "cat.csv:2: column RADIUS: 'x' "
          "is not a number (deg)" },
        { "NAME,RA,DEC,EXTENSION\nA,1,2,-1\n", "cat.csv:2: column EXTENSION: "
          "-1 deg is not a finite extension >= 0" },
        { "NAME,RA,DEC,EXTENSION\nA,1,2,50\n", "cat.csv:2: column EXTENSION: "
          "50 deg x extension_scale 2 is not below 90 deg" },
        { "NAME,GLON,GLAT\nA,x,2\n", "cat.csv:2: column GLON: 'x' is not a "
          "number (deg)" },
        { "NAME,GLON,GLAT\nA,1,nan\n", "cat.csv:2: column GLAT: 'nan' is not "
          "a number (deg)" },
        { "NAME,GLON,GLAT\nA,inf,1\n", "cat.csv:2: column GLON: inf is not a "
          "finite angle" },
        { "NAME,RA,DEC\nA,1\n", "cat.csv:2: column DEC: missing (the row has "
          "2 fields, the header 3)" },
        { "NAME,RA,DEC\n\"two\nlines\",1,2\nB,1,x\n", "cat.csv:4: column "
          "DEC: 'x' is not an angle" },
        { "NAME,RA,DEC\n\"A,1,2\n", "cat.csv:2: field 1: its quote is not "
          "closed before the end of the file" },
    };
    (void)unused;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        offbkg_regions_t r;
        key = NULL;
        assert_int_equal(load_catalog_csv(bad[i].text, &r), OFFBKG_ECONFIG);
        if (strstr(offbkg_error_msg(ctx), bad[i].msg) == NULL)
            fail_msg("got '%s', want '%s'", offbkg_error_msg(ctx),
                     bad[i].msg);
        assert_string_equal(key, "catalog");
        assert_int_equal(r.n, 0);
    }

    offbkg_regions_t r;
    assert_int_equal(load_catalog("/nonexistent/cat.csv", &r),
                     OFFBKG_ECONFIG);
    assert_non_null(strstr(offbkg_error_msg(ctx), "/nonexistent/cat.csv: "
                           "cannot read"));

    /* FITS: the row and the column; a column's type and unit. */
    static const double ra[2] = { 1, 2 }, dec[2] = { 3, 95 };
    static const char *const text[2] = { "05:00:00", "06:00:00" };
    static const struct { fcol_t cols[3]; const char *msg; } fits[] = {
        { { { "RA", "D", "deg", ra, NULL }, { "DEC", "D", "deg", dec, NULL },
            { 0 } }, "cat.fits: row 2, column DEC: 95 is not within "
          "[-90, 90] deg" },
        { { { "RA", "10A", "", NULL, text }, { "DEC", "D", "", ra, NULL },
            { 0 } }, "cat.fits: column RA is text, not a number" },
        { { { "RA", "D", "h", ra, NULL }, { "DEC", "D", "", ra, NULL },
            { 0 } }, "cat.fits: column RA is in 'h' (offbkg reads deg, rad, "
          "arcmin or arcsec)" },
        { { { "RA", "D", "", ra, NULL }, { "DEC", "D", "", ra, NULL },
            { "NAME", "D", "", ra, NULL } }, "cat.fits: column NAME is not "
          "text" },
        { { { "RA", "D", "", ra, NULL }, { "GLAT", "D", "", ra, NULL },
            { 0 } }, "cat.fits: no position columns" },
    };
    for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++) {
        tmp_ini_t t;
        fcol_t cols[4] = { fits[i].cols[0], fits[i].cols[1],
                           fits[i].cols[2], { 0 } };
        write_fits(&t, "cat.fits", 2, cols);
        assert_int_equal(load_catalog(t.path, &r), OFFBKG_ECONFIG);
        tmp_ini_remove(&t);
        if (strstr(offbkg_error_msg(ctx), fits[i].msg) == NULL)
            fail_msg("got '%s', want '%s'", offbkg_error_msg(ctx),
                     fits[i].msg);
        assert_int_equal(r.n, 0);
    }
}

/* Source names resolve ignoring case and blanks; unnamed regions and
 * unknown names do not. */
static void test_find_by_name(void **unused)
{
    (void)unused;
    offbkg_region_t items[3] = { { 1, 2, 0.1 }, { 3, 4, 0.2 },
                                 { 5, 6, 0.3 } };
    char *names[3] = { NULL, "Crab Nebula", "MSH 15-52" };
    offbkg_regions_t r = { 3, items, names };

    assert_int_equal(offbkg_exclude_find(&r, "Crab Nebula"), 1);
    assert_int_equal(offbkg_exclude_find(&r, " crabnebula "), 1);
    assert_int_equal(offbkg_exclude_find(&r, "MSH15-52"), 2);
    assert_int_equal(offbkg_exclude_find(&r, "MSH 15-5"), -1);
    assert_int_equal(offbkg_exclude_find(&r, "Crab Nebula X"), -1);
    assert_int_equal(offbkg_exclude_find(&r, ""), -1);
    assert_int_equal(offbkg_exclude_find(&r, NULL), -1);
    r.names = NULL;
    assert_int_equal(offbkg_exclude_find(&r, "Crab Nebula"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_any_column_order),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_long_comment),
        cmocka_unit_test(test_inline_circles),
        cmocka_unit_test(test_fits_table),
        cmocka_unit_test(test_find_by_name),
        cmocka_unit_test(test_csv_rfc4180),
        cmocka_unit_test(test_csv_malformed),
        cmocka_unit_test(test_catalog_forms),
        cmocka_unit_test(test_catalogs_add_up),
        cmocka_unit_test(test_parse_angle),
        cmocka_unit_test(test_catalog_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
