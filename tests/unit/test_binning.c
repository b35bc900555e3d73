/* SPDX-License-Identifier: BSD-3-Clause
 * Bin edges: the default model binnings of old gammapy (doc/domain.md §3.1,
 * §4.1), refusals, and numpy.histogram bin semantics. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include <offbkg/binning.h>
#include <offbkg/status.h>

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

static void test_binning_log_default_energy(void **unused)
{
    /* numpy.logspace(-1, 2, 16): 5 bins per decade */
    static const double want[] = { 0.1, 0.158489, 0.251189, 0.398107,
                                   0.630957, 1.0 };
    double e[16];
    (void)unused;

    assert_int_equal(offbkg_binning_edges(0.1, 100, 15, OFFBKG_SPACING_LOG,
                                          e), OFFBKG_OK);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        assert_near(e[k], want[k], 1e-6);
    assert_true(e[0] == 0.1);
    assert_true(e[15] == 100.0);
    assert_near(e[10], 10.0, 1e-12);
    for (size_t k = 1; k < 16; k++)
        assert_near(e[k] / e[k - 1], pow(10.0, 0.2), 1e-12);
}

static void test_binning_sqrt_default_offset(void **unused)
{
    /* sqrt(linspace(0, 6.25, 100)): 99 rings of equal flat area */
    double e[100];
    (void)unused;

    assert_int_equal(offbkg_binning_edges(0, 2.5, 99, OFFBKG_SPACING_SQRT,
                                          e), OFFBKG_OK);
    assert_true(e[0] == 0.0);
    assert_near(e[1], 0.251259, 1e-6);
    assert_near(e[2], 0.355335, 1e-6);
    assert_near(e[3], 0.435194, 1e-6);
    assert_near(e[97], 2.474619, 1e-6);
    assert_near(e[98], 2.487342, 1e-6);
    assert_true(e[99] == 2.5);
    for (size_t k = 1; k < 100; k++)
        assert_near(e[k] * e[k] - e[k - 1] * e[k - 1], 6.25 / 99, 1e-12);
    /* with a lower edge: equal areas between lo and hi */
    assert_int_equal(offbkg_binning_edges(1, 2, 3, OFFBKG_SPACING_SQRT, e),
                     OFFBKG_OK);
    assert_true(e[0] == 1.0 && e[3] == 2.0);
    assert_near(e[1], sqrt(2.0), 1e-15);
    assert_near(e[2], sqrt(3.0), 1e-15);
}

static void test_binning_lin(void **unused)
{
    double e[61];
    (void)unused;

    assert_int_equal(offbkg_binning_edges(-4, 4, 60, OFFBKG_SPACING_LIN, e),
                     OFFBKG_OK);
    assert_true(e[0] == -4.0 && e[60] == 4.0);
    assert_near(e[30], 0.0, 1e-15);
    assert_near(e[1] - e[0], 8.0 / 60, 1e-15);
}

static void test_binning_refusals(void **unused)
{
    double e[4] = { 7, 7, 7, 7 };
    (void)unused;

    assert_int_equal(offbkg_binning_edges(0, 1, 0, OFFBKG_SPACING_LIN, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(1, 1, 3, OFFBKG_SPACING_LIN, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(2, 1, 3, OFFBKG_SPACING_LIN, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(0, 1, 3, OFFBKG_SPACING_LOG, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(-1, 1, 3, OFFBKG_SPACING_SQRT, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(NAN, 1, 3, OFFBKG_SPACING_LIN, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(0, INFINITY, 3,
                                          OFFBKG_SPACING_LIN, e),
                     OFFBKG_EINVAL);
    /* edges too close to be distinct doubles */
    assert_int_equal(offbkg_binning_edges(1, nextafter(1, 2), 3,
                                          OFFBKG_SPACING_LIN, e),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_edges(0, 1, 3, (offbkg_spacing_t)9, e),
                     OFFBKG_EINVAL);
    /* a refusal leaves the output alone */
    for (size_t k = 0; k < 4; k++)
        assert_true(e[k] == 7);
}

static void test_binning_check(void **unused)
{
    static const double ok[] = { 0, 1, 2 };
    static const double flat[] = { 0, 1, 1 };
    static const double down[] = { 0, 2, 1 };
    static const double nan[] = { 0, NAN, 2 };
    static const double inf[] = { 0, 1, INFINITY };
    (void)unused;

    assert_int_equal(offbkg_binning_check(ok, 3), OFFBKG_OK);
    assert_int_equal(offbkg_binning_check(ok, 1), OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_check(NULL, 3), OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_check(flat, 3), OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_check(down, 3), OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_check(nan, 3), OFFBKG_EINVAL);
    assert_int_equal(offbkg_binning_check(inf, 3), OFFBKG_EINVAL);
}

static void test_binning_find_numpy_semantics(void **unused)
{
    static const double e[] = { 0, 1, 2, 4 };
    (void)unused;

    assert_int_equal(offbkg_binning_find(e, 3, 0.0), 0);
    assert_int_equal(offbkg_binning_find(e, 3, 0.5), 0);
    assert_int_equal(offbkg_binning_find(e, 3, 1.0), 1);
    assert_int_equal(offbkg_binning_find(e, 3, nextafter(2, 0)), 1);
    assert_int_equal(offbkg_binning_find(e, 3, 2.0), 2);
    /* the last bin is closed */
    assert_int_equal(offbkg_binning_find(e, 3, 4.0), 2);
    assert_int_equal(offbkg_binning_find(e, 3, nextafter(4, 5)), -1);
    assert_int_equal(offbkg_binning_find(e, 3, nextafter(0, -1)), -1);
    assert_int_equal(offbkg_binning_find(e, 3, -1), -1);
    assert_int_equal(offbkg_binning_find(e, 3, NAN), -1);
    assert_int_equal(offbkg_binning_find(e, 3, INFINITY), -1);
    assert_int_equal(offbkg_binning_find(e, 3, -INFINITY), -1);
    /* one bin */
    assert_int_equal(offbkg_binning_find(e, 1, 1.0), 0);
    assert_int_equal(offbkg_binning_find(e, 1, 1.5), -1);
}

static void test_binning_find_many_bins(void **unused)
{
    double e[100];
    (void)unused;

    /* every value lands in the bin a linear scan finds */
    assert_int_equal(offbkg_binning_edges(0, 2.5, 99, OFFBKG_SPACING_SQRT,
                                          e), OFFBKG_OK);
    for (double v = 0; v <= 2.5; v += 0.001) {
        ptrdiff_t want = -1;
        for (size_t k = 0; k < 99; k++)
            if (e[k] <= v && (v < e[k + 1] || (k == 98 && v == e[99])))
                want = (ptrdiff_t)k;
        assert_int_equal(offbkg_binning_find(e, 99, v), want);
    }
    for (size_t k = 0; k < 99; k++)
        assert_int_equal(offbkg_binning_find(e, 99, e[k]), k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binning_log_default_energy),
        cmocka_unit_test(test_binning_sqrt_default_offset),
        cmocka_unit_test(test_binning_lin),
        cmocka_unit_test(test_binning_refusals),
        cmocka_unit_test(test_binning_check),
        cmocka_unit_test(test_binning_find_numpy_semantics),
        cmocka_unit_test(test_binning_find_many_bins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
