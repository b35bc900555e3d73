/* SPDX-License-Identifier: BSD-3-Clause
 * Exclusion regions: CSV, FITS and inline circles, bad inputs, and the
 * choice of the regions near a run. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fitsio.h>
#include <math.h>
#include <string.h>

#include "exclude-private.h"
#include "tmpfile.h"

static offbkg_ctx_t *ctx;

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
    st = offbkg_exclude_load(ctx, &conf, r);
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

    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r), OFFBKG_OK);
    assert_int_equal(r.n, 2);
    assert_true(r.items[1].ra_deg == 350 && r.items[1].radius_deg == 1);
    offbkg_exclude_free(&r);
    conf.circles_deg = (offbkg_double_list_t){ 2, bad };
    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r), OFFBKG_ECONFIG);
    assert_non_null(strstr(offbkg_error_msg(ctx), "not a list of RA, DEC, "
                           "RADIUS triples"));
    /* no [exclude] at all */
    assert_int_equal(offbkg_exclude_load(ctx, NULL, &r), OFFBKG_OK);
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
    assert_int_equal(offbkg_exclude_load(ctx, &conf, &r), OFFBKG_OK);
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
