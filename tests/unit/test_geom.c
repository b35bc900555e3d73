/* SPDX-License-Identifier: BSD-3-Clause
 * Geometry and time helpers against astropy 5.2 reference values
 * (computed once with astropy: SkyCoord.separation, position_angle,
 * SkyOffsetFrame, .galactic, AltAz with pressure 0, Time.utc). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include <offbkg/astro.h>
#include <offbkg/geom.h>

#define CRAB_RA 83.633
#define CRAB_DEC 22.0145

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

static void test_separation(void **unused)
{
    (void)unused;
    assert_near(offbkg_sep_deg(CRAB_RA, CRAB_DEC, 85.0, 23.5),
                1.9482375372363698, 1e-12);
    /* across a pole and across RA = 0 */
    assert_near(offbkg_sep_deg(0.5, -89.9, 180.5, -89.7), 0.4, 1e-12);
    assert_near(offbkg_sep_deg(359.9, 10, 0.1, 10), 0.19696154758722537,
                1e-12);
    /* tiny angles keep their precision (acos would give 0 here) */
    assert_near(offbkg_sep_deg(10, 20, 10, 20 + 1e-9), 1e-9, 1e-14);
    assert_near(offbkg_sep_deg(10, 20, 190, -20), 180.0, 1e-12);
}

static void test_position_angle(void **unused)
{
    (void)unused;
    assert_near(offbkg_position_angle_deg(CRAB_RA, CRAB_DEC, 85.0, 23.5),
                40.055336871931324, 1e-10);
    assert_near(offbkg_position_angle_deg(10, 0, 10, 1), 0, 1e-12);
    assert_near(offbkg_position_angle_deg(10, 0, 11, 0), 90, 1e-12);
    assert_near(offbkg_position_angle_deg(10, 0, 9, 0), 270, 1e-12);
}

static void test_offset_frame(void **unused)
{
    static const double ref[][4] = {
        { 85.0, 23.5, 1.2540269191978124, 1.4911073216752382 },
        { 80.0, 20.0, -3.4156645387012796, -1.9739184210731835 },
        { CRAB_RA, 24.0, 0.0, 1.985499999999995 },
    };
    offbkg_offset_frame_t f;
    (void)unused;

    offbkg_offset_frame_init(&f, CRAB_RA, CRAB_DEC);
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double lon, lat, ra, dec;
        offbkg_offset_frame_forward(&f, ref[i][0], ref[i][1], &lon, &lat);
        assert_near(lon, ref[i][2], 1e-11);
        assert_near(lat, ref[i][3], 1e-11);
        offbkg_offset_frame_inverse(&f, lon, lat, &ra, &dec);
        assert_near(ra, ref[i][0], 1e-11);
        assert_near(dec, ref[i][1], 1e-11);
        /* the offset from the origin is the separation */
        assert_near(hypot(lon, lat) > 0 ? offbkg_sep_deg(0, 0, lon, lat) : 0,
                    offbkg_sep_deg(CRAB_RA, CRAB_DEC, ref[i][0], ref[i][1]),
                    1e-11);
    }
    /* a pointing at the pole: every RA at dec 89 is 1 deg away */
    offbkg_offset_frame_init(&f, 0, 90);
    for (double ra = 0; ra < 360; ra += 45) {
        double lon, lat;
        offbkg_offset_frame_forward(&f, ra, 89, &lon, &lat);
        assert_near(offbkg_sep_deg(0, 0, lon, lat), 1.0, 1e-11);
    }
}

static void test_offset_frame_sep(void **unused)
{
    static const double pnt[][2] = {
        { CRAB_RA, CRAB_DEC }, { 0, 90 }, { 359.5, -30 }, { 10, 0 },
    };
    static const double pts[][2] = {
        { 85.0, 23.5 }, { 0.2, 89.1 }, { 180, 89.9 }, { 0.3, -29.0 },
        { 11, 1e-9 }, { 190, 0 }, { 10, 1e-10 },
    };
    (void)unused;

    for (size_t i = 0; i < sizeof pnt / sizeof pnt[0]; i++) {
        offbkg_offset_frame_t f;
        offbkg_offset_frame_init(&f, pnt[i][0], pnt[i][1]);
        for (size_t j = 0; j < sizeof pts / sizeof pts[0]; j++) {
            double want = offbkg_sep_deg(pnt[i][0], pnt[i][1], pts[j][0],
                                         pts[j][1]);
            double got = offbkg_offset_frame_sep_deg(&f, pts[j][0],
                                                     pts[j][1]);
            /* the same formula with hoisted trig: bit for bit */
            assert_true(got == want);
        }
    }
    {
        offbkg_offset_frame_t f;
        offbkg_offset_frame_init(&f, CRAB_RA, CRAB_DEC);
        assert_near(offbkg_offset_frame_sep_deg(&f, 85.0, 23.5),
                    1.9482375372363698, 1e-12);
        assert_near(offbkg_offset_frame_sep_deg(&f, CRAB_RA, CRAB_DEC), 0,
                    0);
        /* small angles keep their precision */
        assert_near(offbkg_offset_frame_sep_deg(&f, CRAB_RA,
                                                CRAB_DEC + 1e-9),
                    1e-9, 1e-14);
    }
}

static void test_solid_angles(void **unused)
{
    (void)unused;
    assert_near(offbkg_solid_angle_annulus_sr(2.0, 2.5),
                0.0021526534494134128, 1e-15);
    /* full 2.5 deg disc, doc/domain.md A.3 */
    assert_near(offbkg_solid_angle_annulus_sr(0, 2.5), 5.9802e-3, 1e-7);
    /* the whole sphere as one lon/lat rectangle */
    assert_near(offbkg_solid_angle_lonlat_sr(-180, 180, -90, 90), 4 * M_PI,
                1e-12);
    /* a small pixel at the centre is close to the flat value */
    double d = 0.1 * M_PI / 180;
    assert_near(offbkg_solid_angle_lonlat_sr(0, 0.1, -0.05, 0.05), d * d,
                d * d * 1e-6);
    /* rings add up to the disc */
    double sum = 0;
    for (int i = 0; i < 99; i++)
        sum += offbkg_solid_angle_annulus_sr(2.5 * sqrt(i / 99.0),
                                             2.5 * sqrt((i + 1) / 99.0));
    assert_near(sum, offbkg_solid_angle_annulus_sr(0, 2.5), 1e-15);
}

static void test_galactic(void **unused)
{
    double l, b;
    (void)unused;
    offbkg_icrs_to_galactic(CRAB_RA, CRAB_DEC, &l, &b);
    assert_near(l, 184.55741630955765, 1e-5);
    assert_near(b, -5.784421958594905, 1e-5);
    offbkg_icrs_to_galactic(329.71693826, -30.2255589, &l, &b);
    assert_near(l, 17.73054580405672, 1e-5);
    assert_near(b, -52.24584973415588, 1e-5);
    /* and back (astropy's Galactic centre in ICRS) */
    offbkg_galactic_to_icrs(184.55741630955765, -5.784421958594905, &l, &b);
    assert_near(l, CRAB_RA, 1e-5);
    assert_near(b, CRAB_DEC, 1e-5);
    offbkg_galactic_to_icrs(0, 0, &l, &b);
    assert_near(l, 266.4049882865447, 1e-5);
    assert_near(b, -28.936177761791473, 1e-5);
    offbkg_galactic_to_icrs(360 - 1e-9, 90, &l, &b);
    assert_true(l >= 0 && l < 360);
}

static void test_time(void **unused)
{
    (void)unused;
    assert_int_equal(offbkg_timesys_parse(" tt "), OFFBKG_TIMESYS_TT);
    assert_int_equal(offbkg_timesys_parse("utc"), OFFBKG_TIMESYS_UTC);
    assert_int_equal(offbkg_timesys_parse("TAI"), OFFBKG_TIMESYS_TAI);
    assert_int_equal(offbkg_timesys_parse("GPS"), OFFBKG_TIMESYS_UNKNOWN);
    assert_int_equal(offbkg_timesys_parse(NULL), OFFBKG_TIMESYS_UNKNOWN);
    assert_near(offbkg_tai_minus_utc_s(53000), 32, 0);
    assert_near(offbkg_tai_minus_utc_s(53736), 33, 0);
    assert_near(offbkg_tai_minus_utc_s(60000), 37, 0);
    assert_near(offbkg_mjd_to_utc(55000.0, OFFBKG_TIMESYS_TT),
                54999.99923398148, 1e-9);
    assert_true(isnan(offbkg_mjd_to_utc(55000, OFFBKG_TIMESYS_UNKNOWN)));
}

static void test_altaz(void **unused)
{
    /* the Crab from the H.E.S.S. site during run 23523; astropy includes
     * precession and nutation, which we neglect (doc/domain.md §5.4) */
    const double lon = 16.5002222222222, lat = -23.2717777777778;
    const double mjd = 53343.92234009259;
    double alt, az, ra, dec;
    (void)unused;

    offbkg_radec_to_altaz(CRAB_RA, CRAB_DEC, mjd, lon, lat, &alt, &az);
    assert_near(alt, 40.264480051668826, 0.1);
    assert_near(az, 25.95539556458995, 0.1);
    offbkg_altaz_to_radec(alt, az, mjd, lon, lat, &ra, &dec);
    assert_near(ra, CRAB_RA, 1e-9);
    assert_near(dec, CRAB_DEC, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separation),
        cmocka_unit_test(test_position_angle),
        cmocka_unit_test(test_offset_frame),
        cmocka_unit_test(test_offset_frame_sep),
        cmocka_unit_test(test_solid_angles),
        cmocka_unit_test(test_galactic),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_altaz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
