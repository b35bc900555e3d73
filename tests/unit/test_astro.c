/* SPDX-License-Identifier: BSD-3-Clause
 * Time scales and the ALTAZ field of view (doc/domain.md §5.4): the leap
 * second table at its steps, MJD references in TT/UTC/TAI, and the
 * parallactic-angle shortcut of offbkg_altaz_fov against the full route
 * through both alt/az positions; the field rotation rate against a
 * numerical derivative of the parallactic angle. The full route takes
 * apparent places (precession, nutation, aberration) of every event at
 * its own time. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include <offbkg/astro.h>
#include <offbkg/geom.h>

#define DEG (M_PI / 180.0)
#define HESS_LON 16.5002222222222
#define HESS_LAT -23.2717777777778
#define HESS_MJDREF 51910.000742870370370241 /* TT: 2001-01-01 00:00 UTC */

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* TAI - UTC on both sides of every step since 1972 that a run of the
 * H.E.S.S., MAGIC, VERITAS or CTA era can meet, and before 1972. */
static void test_leap_seconds(void **unused)
{
    static const struct { double mjd, before, after; } step[] = {
        { 41317, 10, 10 },  /* 1972-01-01: the table starts at 10 s */
        { 41499, 10, 11 },  /* 1972-07-01 */
        { 51179, 31, 32 },  /* 1999-01-01 */
        { 53736, 32, 33 },  /* 2006-01-01 */
        { 54832, 33, 34 },  /* 2009-01-01 */
        { 56109, 34, 35 },  /* 2012-07-01 */
        { 57204, 35, 36 },  /* 2015-07-01 */
        { 57754, 36, 37 },  /* 2017-01-01 */
    };
    (void)unused;

    for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
        assert_near(offbkg_tai_minus_utc_s(step[i].mjd - 1e-6),
                    step[i].before, 0);
        assert_near(offbkg_tai_minus_utc_s(step[i].mjd), step[i].after, 0);
    }
    assert_near(offbkg_tai_minus_utc_s(40000), 10, 0);
    assert_near(offbkg_tai_minus_utc_s(61000), 37, 0);
}

/* MJD references in each time scale, both directions. */
static void test_mjd_scales(void **unused)
{
    const double s = 1.0 / 86400.0;
    (void)unused;

    /* DR1: MJDREFF is 64.184 s, so the TT reference is 2001-01-01 UTC */
    assert_near(offbkg_mjd_to_utc(HESS_MJDREF, OFFBKG_TIMESYS_TT), 51910.0,
                1e-6 * s);
    assert_near(offbkg_mjd_to_tt(51910.0, OFFBKG_TIMESYS_UTC), HESS_MJDREF,
                1e-6 * s);
    /* TT = TAI + 32.184 s */
    assert_near(offbkg_mjd_to_tt(55000.0, OFFBKG_TIMESYS_TAI),
                55000.0 + 32.184 * s, 1e-6 * s);
    assert_near(offbkg_mjd_to_utc(55000.0, OFFBKG_TIMESYS_TAI),
                55000.0 - 34.0 * s, 1e-6 * s);
    assert_true(offbkg_mjd_to_tt(55000.5, OFFBKG_TIMESYS_TT) == 55000.5);
    /* VERITAS: MJDREF 53402 UTC (2005), 32 leap seconds then */
    assert_near(offbkg_mjd_to_tt(53402.0, OFFBKG_TIMESYS_UTC),
                53402.0 + 64.184 * s, 1e-6 * s);
    /* after 2017: 37 s */
    assert_near(offbkg_mjd_to_tt(58000.0, OFFBKG_TIMESYS_UTC),
                58000.0 + 69.184 * s, 1e-6 * s);
    for (double m = 41400; m < 61000; m += 97.3)
        assert_near(offbkg_mjd_to_utc(offbkg_mjd_to_tt(m, OFFBKG_TIMESYS_UTC),
                                      OFFBKG_TIMESYS_TT),
                    m, 1e-6 * s);
    assert_true(isnan(offbkg_mjd_to_tt(55000, OFFBKG_TIMESYS_UNKNOWN)));
    /* TIMESYS in any case, with blanks */
    assert_int_equal(offbkg_timesys_parse("Utc "), OFFBKG_TIMESYS_UTC);
    assert_int_equal(offbkg_timesys_parse("tai"), OFFBKG_TIMESYS_TAI);
    assert_int_equal(offbkg_timesys_parse("tT"), OFFBKG_TIMESYS_TT);
    assert_int_equal(offbkg_timesys_parse(""), OFFBKG_TIMESYS_UNKNOWN);
    assert_int_equal(offbkg_timesys_parse("TCB"), OFFBKG_TIMESYS_UNKNOWN);
}

/* GMST at J2000.0 is the formula's constant; a sidereal day later the
 * LST is back, a quarter of a day later it moved 90.2464 deg. */
static void test_sidereal_time(void **unused)
{
    (void)unused;
    assert_near(offbkg_lst_deg(51544.5, 0), 280.46061837, 1e-9);
    assert_near(offbkg_lst_deg(51544.5, HESS_LON),
                280.46061837 + HESS_LON, 1e-9);
    assert_near(offbkg_lst_deg(51544.5 + 0.25, 0),
                fmod(280.46061837 + 0.25 * 360.98564736629, 360.0), 1e-7);
    assert_near(offbkg_lst_deg(51544.5 + 360.0 / 360.98564736629, 0),
                280.46061837, 1e-7);
}

/* FoV coordinates the long way: apparent places of the event and of the
 * pointing at the event's time, their alt/az with the apparent sidereal
 * time, the offset frame around the pointing's (az, alt), fov_lon =
 * -lon_off (doc/domain.md §5.4 steps 1-5). */
static void full_route(double ra_p, double dec_p, double lon, double lat,
                       double met, double ra, double dec, double *fov_lon,
                       double *fov_lat)
{
    double alt_p, az_p, alt, az, lon_off, eqeq;
    double tt = HESS_MJDREF + met / 86400.0;
    double utc = offbkg_mjd_to_utc(tt, OFFBKG_TIMESYS_TT);
    offbkg_offset_frame_t f;

    /* offbkg_radec_to_altaz takes the mean sidereal time: shift the RAs
     * by the equation of the equinoxes instead */
    eqeq = offbkg_last_deg(utc, tt, lon) - offbkg_lst_deg(utc, lon);
    eqeq = remainder(eqeq, 360.0);
    assert_true(fabs(eqeq) < 0.006);
    offbkg_icrs_to_apparent(ra_p, dec_p, tt, &ra_p, &dec_p);
    offbkg_icrs_to_apparent(ra, dec, tt, &ra, &dec);
    offbkg_radec_to_altaz(ra_p - eqeq, dec_p, utc, lon, lat, &alt_p, &az_p);
    offbkg_radec_to_altaz(ra - eqeq, dec, utc, lon, lat, &alt, &az);
    offbkg_offset_frame_init(&f, az_p, alt_p);
    offbkg_offset_frame_forward(&f, az, alt, &lon_off, fov_lat);
    *fov_lon = -lon_off;
}

/* The shortcut equals the full route to round-off, for pointings from
 * alt 25 deg to 89.5 deg at every azimuth, both hemispheres, events up
 * to 3 deg out; the inverse undoes it. */
static void test_shortcut_vs_full(void **unused)
{
    static const double sites[][2] = { { HESS_LON, HESS_LAT },
                                       { -17.89, 28.761944 },
                                       { -110.952408, 31.674951 } };
    const double t0 = 1.2e8;
    double worst = 0, worst_inv = 0;
    size_t n = 0;
    (void)unused;

    for (size_t k = 0; k < 3; k++)
        for (double alt_p = 25; alt_p < 90; alt_p += 8.05)
            for (double az_p = 5; az_p < 360; az_p += 37) {
                offbkg_altaz_fov_t fov;
                double ra_p, dec_p, utc0;
                offbkg_altaz_fov_init(&fov, 0, 0, sites[k][0], sites[k][1],
                                      HESS_MJDREF, t0);
                utc0 = offbkg_altaz_fov_utc(&fov, t0);
                offbkg_altaz_to_radec(alt_p, az_p, utc0, sites[k][0],
                                      sites[k][1], &ra_p, &dec_p);
                offbkg_altaz_fov_init(&fov, ra_p, dec_p, sites[k][0],
                                      sites[k][1], HESS_MJDREF, t0);
                for (double dt = 0; dt <= 1800; dt += 600)
                    for (double r = 0.3; r < 3; r += 0.9)
                        for (double pa = 10; pa < 360; pa += 50) {
                            offbkg_offset_frame_t rf;
                            double ra, dec, l1, b1, l2, b2, ra2, dec2;
                            offbkg_offset_frame_init(&rf, ra_p, dec_p);
                            offbkg_offset_frame_inverse(
                                &rf, r * sin(pa * DEG), r * cos(pa * DEG),
                                &ra, &dec);
                            full_route(ra_p, dec_p, sites[k][0], sites[k][1],
                                       t0 + dt, ra, dec, &l1, &b1);
                            offbkg_altaz_fov_forward(&fov, t0 + dt, ra, dec,
                                                     &l2, &b2);
                            worst = fmax(worst, fmax(fabs(l1 - l2),
                                                     fabs(b1 - b2)));
                            offbkg_altaz_fov_inverse(&fov, t0 + dt, l2, b2,
                                                     &ra2, &dec2);
                            worst_inv = fmax(
                                worst_inv,
                                offbkg_sep_deg(ra, dec, ra2, dec2));
                            n++;
                        }
            }
    printf("# shortcut vs alt/az route: %zu events, largest difference "
           "%.3g deg; inverse round trip %.3g deg\n", n, worst, worst_inv);
    assert_true(n > 10000);
    /* The shortcut takes precession and aberration at the run's start:
     * 1" of differential aberration across 3 deg is the difference.
     * Positions of J2000 instead would be a tenth of a degree off near
     * the zenith; a wrong sign or quadrant, degrees. */
    if (!(worst < 5e-4))
        fail_msg("shortcut differs from the full route by %g deg", worst);
    if (!(worst_inv < 1e-9))
        fail_msg("inverse round trip off by %g deg", worst_inv);
}

/* Signs on the meridian: with the zenith toward +Dec (q = 0), FoV lon
 * grows with RA and FoV lat with Dec; with the zenith toward -Dec
 * (pointing north of the zenith), both turn over. */
static void test_meridian_signs(void **unused)
{
    offbkg_altaz_fov_t fov;
    double utc, lst, c, s, lon, lat;
    const double t = 1.2e8;
    (void)unused;

    offbkg_altaz_fov_init(&fov, 0, 0, HESS_LON, HESS_LAT, HESS_MJDREF, t);
    utc = offbkg_altaz_fov_utc(&fov, t);
    lst = offbkg_lst_deg(utc, HESS_LON);
    /* Dec -50: transits south of the zenith at H.E.S.S. */
    offbkg_altaz_fov_init(&fov, lst, -50, HESS_LON, HESS_LAT, HESS_MJDREF,
                          t);
    offbkg_altaz_fov_rotation(&fov, t, &c, &s);
    assert_true(c > 0.999);
    offbkg_altaz_fov_forward(&fov, t, lst + 1, -50, &lon, &lat);
    assert_true(lon > 0.6 && fabs(lat) < 0.01);
    offbkg_altaz_fov_forward(&fov, t, lst, -49, &lon, &lat);
    assert_true(fabs(lon) < 0.01 && lat > 0.99);
    /* Dec 0: transits north of the zenith */
    offbkg_altaz_fov_init(&fov, lst, 0, HESS_LON, HESS_LAT, HESS_MJDREF, t);
    offbkg_altaz_fov_rotation(&fov, t, &c, &s);
    assert_true(c < -0.999);
    offbkg_altaz_fov_forward(&fov, t, lst + 1, 0, &lon, &lat);
    assert_true(lon < -0.99);
    offbkg_altaz_fov_forward(&fov, t, lst, 1, &lon, &lat);
    assert_true(lat < -0.99);
}

/* The parallactic angle q (rad) at MET @p t. */
static double q_at(const offbkg_altaz_fov_t *f, double t)
{
    double c, s;
    offbkg_altaz_fov_rotation(f, t, &c, &s);
    return atan2(s, c);
}

/* dq/dt = omega cos(lat) cos(az) / cos(alt) against a centred difference
 * of q, and the run maximum against a dense scan. */
static void test_rotation_rate(void **unused)
{
    const double t0 = 1.2e8;
    double worst = 0;
    (void)unused;

    for (double alt_p = 20; alt_p < 89; alt_p += 11.5)
        for (double az_p = 0; az_p < 360; az_p += 45) {
            offbkg_altaz_fov_t f;
            double ra, dec, scan = 0, got;
            offbkg_altaz_fov_init(&f, 0, 0, HESS_LON, HESS_LAT, HESS_MJDREF,
                                  t0);
            offbkg_altaz_to_radec(alt_p, az_p, offbkg_altaz_fov_utc(&f, t0),
                                  HESS_LON, HESS_LAT, &ra, &dec);
            offbkg_altaz_fov_init(&f, ra, dec, HESS_LON, HESS_LAT,
                                  HESS_MJDREF, t0);
            for (double dt = -1800; dt <= 1800; dt += 900) {
                double h = 0.5, num = remainder(q_at(&f, t0 + dt + h)
                                                    - q_at(&f, t0 + dt - h),
                                                2 * M_PI)
                                      / (2 * h);
                double rate = offbkg_altaz_fov_rotation_rate(&f, t0 + dt);
                worst = fmax(worst, fabs(rate - num) / fmax(fabs(num), 1e-6));
            }
            for (double dt = -1800; dt <= 1800; dt += 0.5)
                scan = fmax(scan, fabs(offbkg_altaz_fov_rotation_rate(
                                      &f, t0 + dt)));
            got = offbkg_altaz_fov_max_rotation_rate(&f, t0 - 1800,
                                                     t0 + 1800);
            if (!(got >= scan * (1 - 1e-9) && got <= scan * (1 + 1e-6)))
                fail_msg("alt %g az %g: max rate %g rad/s, scan %g", alt_p,
                         az_p, got, scan);
        }
    printf("# rotation rate vs numerical dq/dt: largest relative "
           "difference %.3g\n", worst);
    assert_true(worst < 1e-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap_seconds),
        cmocka_unit_test(test_mjd_scales),
        cmocka_unit_test(test_sidereal_time),
        cmocka_unit_test(test_shortcut_vs_full),
        cmocka_unit_test(test_meridian_signs),
        cmocka_unit_test(test_rotation_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
