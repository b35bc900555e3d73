/* SPDX-License-Identifier: BSD-3-Clause
 * cmocka tests of group/azimuth without offbkg running: the test includes
 * the plugin source (to reach its config struct), hands create() a fake
 * host table that records errors, and feeds assign() small in-memory
 * observation tables. Links liboffbkg for offbkg_obs_table_column. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "group_azimuth.c"

/* The fake host: errors go to a buffer the tests inspect. */
static char last_error[512];

static int fake_error(const offbkg_host_t *host, int status, const char *fmt,
                      ...)
{
    va_list ap;
    (void)host;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

static const offbkg_host_t fake_host = {
    .abi_major = OFFBKG_PLUGIN_ABI_MAJOR,
    .abi_minor = OFFBKG_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(offbkg_host_t),
    .error = fake_error,
};

/* An instance over the given edges (zenith may be n = 0). */
static void *make(const double *az, size_t n_az, const double *zen,
                  size_t n_zen)
{
    azimuth_config_t cfg = { { n_az, az }, { n_zen, zen } };
    void *state = NULL;
    const offbkg_plugin_t *p = group_azimuth_LTX_offbkg_plugin_entry();

    assert_int_equal(p->create(&fake_host, &cfg, &state), OFFBKG_OK);
    assert_non_null(state);
    return state;
}

/* Assign rows of (AZ_PNT, ZEN_PNT) and compare with @p want. */
static void expect_groups(void *state, size_t n, const double *az_deg,
                          const double *zen_deg, const int32_t *want)
{
    offbkg_column_t cols[2] = {
        { .name = "AZ_PNT", .type = OFFBKG_COL_DOUBLE, .unit = "deg",
          .f64 = az_deg },
        { .name = "ZEN_PNT", .type = OFFBKG_COL_DOUBLE, .unit = "deg",
          .f64 = zen_deg },
    };
    offbkg_obs_table_t obs = { n, zen_deg != NULL ? 2 : 1, cols };
    int32_t got[16];
    const char *reason[16];

    assert_true(n <= 16);
    assert_int_equal(azimuth_ops.assign(state, &obs, got, reason), OFFBKG_OK);
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            fail_msg("row %zu (az %.17g): group %d, expected %d", i,
                     az_deg[i], (int)got[i], (int)want[i]);
        /* A reason exactly for the rows in no group. */
        assert_true((got[i] < 0) == (reason[i] != NULL));
    }
}

static void test_azimuth_north_south_wraps(void **unused)
{
    static const double edges[] = { -90, 90, 270 };
    /* 270 and 360 are north, 90 south; -10 and 370 wrap; just below the
     * first edge rounds into the last sector, not out of every one. */
    const double az[] = { 0, 89.99, 90, 180, 269.99, 270, 359.99, 360,
                          -10, 370, -90 - 1e-14 };
    const int32_t want[] = { 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1 };
    void *s = make(edges, 3, NULL, 0);

    (void)unused;
    expect_groups(s, 11, az, NULL, want);
    azimuth_destroy(s);
}

static void test_azimuth_partial_circle_and_missing(void **unused)
{
    static const double edges[] = { 0, 45, 90 };
    const double az[] = { 10, 50, 100, 359.9, NAN, INFINITY };
    const int32_t want[] = { 0, 1, -1, -1, -1, -1 };
    offbkg_column_t col = { .name = "AZ_PNT", .type = OFFBKG_COL_DOUBLE,
                            .f64 = az };
    offbkg_obs_table_t obs = { 6, 1, &col };
    int32_t got[6];
    const char *reason[6];
    void *s = make(edges, 3, NULL, 0);

    (void)unused;
    expect_groups(s, 6, az, NULL, want);
    assert_int_equal(azimuth_ops.assign(s, &obs, got, reason), OFFBKG_OK);
    assert_string_equal(reason[2], "AZ_PNT outside every azimuth sector");
    assert_string_equal(reason[4], "AZ_PNT is missing (NaN) or infinite");
    azimuth_destroy(s);
}

static void test_azimuth_crossed_with_zenith(void **unused)
{
    static const double az_edges[] = { -90, 90, 270 };
    static const double zen_edges[] = { 0, 30, 60 };
    const double az[] = { 10, 200, 10, 200, 10, 10 };
    const double zen[] = { 20, 20, 45, 45, 60, NAN };
    /* Zenith bin x 2 + azimuth sector: the last axis varies fastest. */
    const int32_t want[] = { 0, 1, 2, 3, -1, -1 };
    const offbkg_group_def_t *def;
    void *s = make(az_edges, 3, zen_edges, 3);

    (void)unused;
    expect_groups(s, 6, az, zen, want);
    assert_int_equal(azimuth_ops.define(s, &def), OFFBKG_OK);
    assert_int_equal(def->n_axes, 2);
    assert_string_equal(def->axes[0].column, "ZEN_PNT");
    assert_string_equal(def->axes[1].column, "AZ_PNT");
    assert_int_equal(def->axes[1].n_bins, 2);
    assert_true(def->axes[1].bounds[0] == -90 && def->axes[1].bounds[2] == 270);
    azimuth_destroy(s);
}

static void test_azimuth_refuses_overlapping_sectors(void **unused)
{
    static const double edges[] = { 0, 180, 400 };
    azimuth_config_t cfg = { { 3, edges }, { 0, NULL } };
    void *state = NULL;

    (void)unused;
    assert_int_equal(azimuth_plugin.create(&fake_host, &cfg, &state),
                     OFFBKG_ECONFIG);
    assert_null(state);
    assert_non_null(strstr(last_error, "span 400 deg"));
}

static void test_azimuth_needs_the_columns(void **unused)
{
    static const double az_edges[] = { -90, 90, 270 };
    static const double zen_edges[] = { 0, 60 };
    const double az[] = { 10 };
    offbkg_column_t col = { .name = "AZ_PNT", .type = OFFBKG_COL_DOUBLE,
                            .f64 = az };
    offbkg_obs_table_t no_cols = { 1, 0, NULL }, az_only = { 1, 1, &col };
    int32_t gid[1];
    const char *reason[1];
    void *s = make(az_edges, 3, NULL, 0);

    (void)unused;
    assert_int_equal(azimuth_ops.assign(s, &no_cols, gid, reason),
                     OFFBKG_EDATA);
    assert_non_null(strstr(last_error, "no numeric AZ_PNT"));
    azimuth_destroy(s);
    s = make(az_edges, 3, zen_edges, 2);
    assert_int_equal(azimuth_ops.assign(s, &az_only, gid, reason),
                     OFFBKG_EDATA);
    assert_non_null(strstr(last_error, "no numeric ZEN_PNT"));
    azimuth_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_azimuth_north_south_wraps),
        cmocka_unit_test(test_azimuth_partial_circle_and_missing),
        cmocka_unit_test(test_azimuth_crossed_with_zenith),
        cmocka_unit_test(test_azimuth_refuses_overlapping_sectors),
        cmocka_unit_test(test_azimuth_needs_the_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
