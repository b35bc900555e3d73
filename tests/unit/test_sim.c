/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg simulate: the truth rate and its bin integrals against
 * independent numerics (composite Simpson) and closed forms, the exact
 * Poisson generator, the run plan (zenith at mid-run, off-plane), the
 * drawn events against the integrals (counts, offsets, energies, the FoV
 * lon/lat signs), and the written store reopened with cfitsio. */
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

#include <offbkg/astro.h>
#include <offbkg/geom.h>

#include "ctx-private.h"
#include "sim-private.h"

#define DEG (M_PI / 180.0)

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative %.3g > %g)", got, want,
                 (got - want) / want, tol);
}

static offbkg_ctx_t *quiet_ctx(void)
{
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    assert_non_null(ctx);
    offbkg_ctx_set_log_level(ctx, OFFBKG_LOG_ERROR);
    return ctx;
}

/* ---- the rate ----------------------------------------------------- */

static void test_simulate_rate_values(void **unused)
{
    offbkg_sim_params_t p;
    double s;
    (void)unused;

    offbkg_sim_params_default(&p);
    assert_rel(offbkg_sim_rate(&p, 1.0, 0, 0, 20), 1e-4 + 1e-7, 1e-15);
    /* at theta = sigma(E) along lat, and along lon */
    s = 1.5 * pow(3.0, 0.1);
    assert_rel(offbkg_sim_rate(&p, 3.0, 0, s, 0),
               pow(3.0, -2.7) * (1e-4 * exp(-0.5) + 1e-7), 1e-12);
    assert_rel(offbkg_sim_rate(&p, 3.0, -s, 0, 0),
               pow(3.0, -2.7) * (1e-4 * exp(-0.5) + 1e-7), 1e-12);
    /* far out only the floor is left */
    assert_rel(offbkg_sim_rate(&p, 1.0, 30, 30, 0), 1e-7, 1e-9);
    /* nothing below the horizon; NaN in, NaN out */
    assert_true(offbkg_sim_rate(&p, 1.0, 0, 0, 90.0) == 0.0);
    assert_true(isnan(offbkg_sim_rate(&p, NAN, 0, 0, 10)));
    assert_true(isnan(offbkg_sim_rate(&p, 1.0, 0, 0, NAN)));
    /* zenith scaling: 1/cos(60) = 2 on the r0 term only */
    p.zenith_scaling = true;
    assert_rel(offbkg_sim_rate(&p, 1.0, 0, 0, 60), 2e-4 + 1e-7, 1e-12);
    /* the asymmetry: + fov_lon (toward decreasing RA) is brighter */
    p.zenith_scaling = false;
    p.asym_lon = 0.2;
    p.asym_lat = -0.1;
    assert_rel(offbkg_sim_rate(&p, 1.0, 2.5, 0, 0) / offbkg_sim_rate(&p, 1.0,
                                                                   -2.5, 0, 0),
               1.2 / 0.8, 1e-12);
    assert_rel(offbkg_sim_rate(&p, 1.0, 0, 2.5, 0) / offbkg_sim_rate(&p, 1.0,
                                                                   0, -2.5, 0),
               0.9 / 1.1, 1e-12);
}

static void test_simulate_params_check(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    (void)unused;

    offbkg_sim_params_default(&p);
    assert_int_equal(offbkg_sim_params_check(ctx, &p), OFFBKG_OK);
    p.asym_lon = 0.5;       /* 1 - 0.5 * 6 / 2.5 < 0 on the cap */
    assert_int_equal(offbkg_sim_params_check(ctx, &p), OFFBKG_EINVAL);
    assert_non_null(strstr(offbkg_error_msg(ctx), "lon asymmetry"));
    offbkg_sim_params_default(&p);
    p.zen_min_deg = 50;
    p.zen_max_deg = 40;
    assert_int_equal(offbkg_sim_params_check(ctx, &p), OFFBKG_EINVAL);
    offbkg_sim_params_default(&p);
    p.e_min_tev = 0;
    assert_int_equal(offbkg_sim_params_check(ctx, &p), OFFBKG_EINVAL);
    offbkg_sim_params_default(&p);
    p.deadc_max = 1.2;
    assert_int_equal(offbkg_sim_params_check(ctx, &p), OFFBKG_EINVAL);
    offbkg_ctx_free(ctx);
}

/* ---- bin integrals ------------------------------------------------ */

/* Composite Simpson weight of node i of n (n even) intervals. */
static double simpson_w(int i, int n)
{
    return i == 0 || i == n ? 1.0 : i % 2 == 1 ? 4.0 : 2.0;
}

/* T * integral over ln E and theta of R E[MeV] 2 pi sin(theta), by
 * Simpson, for a lon-symmetric rate (evaluated along +lat). */
static double simpson_2d(const offbkg_sim_params_t *p, double zen,
                         double t, double e0, double e1, double t0,
                         double t1, int ne, int nt)
{
    double he = log(e1 / e0) / ne, ht = (t1 - t0) / nt, sum = 0;

    for (int i = 0; i <= ne; i++) {
        double e = e0 * exp(i * he), row = 0;
        for (int j = 0; j <= nt; j++) {
            double th = t0 + j * ht;
            row += simpson_w(j, nt) * offbkg_sim_rate(p, e, 0, th, zen)
                   * 2 * M_PI * sin(th * DEG);
        }
        sum += simpson_w(i, ne) * row * e * 1e6;
    }
    return t * sum * (he / 3) * (ht * DEG / 3);
}

/* The same over a lon/lat rectangle with cos(lat). */
static double simpson_3d(const offbkg_sim_params_t *p, double zen,
                         double t, double e0, double e1, double l0,
                         double l1, double b0, double b1, int n)
{
    double he = log(e1 / e0) / n, hl = (l1 - l0) / n, hb = (b1 - b0) / n;
    double sum = 0;

    for (int i = 0; i <= n; i++) {
        double e = e0 * exp(i * he);
        for (int j = 0; j <= n; j++) {
            double lon = l0 + j * hl;
            for (int k = 0; k <= n; k++) {
                double lat = b0 + k * hb;
                sum += simpson_w(i, n) * simpson_w(j, n) * simpson_w(k, n)
                       * offbkg_sim_rate(p, e, lon, lat, zen) * e * 1e6
                       * cos(lat * DEG);
            }
        }
    }
    return t * sum * (he / 3) * (hl * DEG / 3) * (hb * DEG / 3);
}

static void test_simulate_expected_2d_vs_simpson(void **unused)
{
    static const double bins[][4] = {
        { 0.05, 200, 0, 6 },       /* the whole simulated domain */
        { 0.1, 100, 0, 2.5 },      /* the 2D model's range */
        { 0.1, 0.158, 0, 0.1 },    /* one small bin at the centre */
        { 1.0, 1.585, 2.0, 2.1 },
        { 20, 100, 4.5, 6 },       /* far out, where the floor matters */
    };
    offbkg_sim_params_t p;
    (void)unused;

    offbkg_sim_params_default(&p);
    p.zenith_scaling = true;
    for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++) {
        const double *b = bins[i];
        double got = offbkg_sim_expected_2d(&p, 35, 1500, b[0], b[1], b[2],
                                            b[3]);
        double want = simpson_2d(&p, 35, 1500, b[0], b[1], b[2], b[3], 400,
                                 200);
        assert_rel(got, want, 1e-7);
    }
    /* beyond the domain nothing was simulated: the integral is clipped */
    assert_rel(offbkg_sim_expected_2d(&p, 35, 1500, 0.01, 0.1, 0, 7),
               offbkg_sim_expected_2d(&p, 35, 1500, 0.05, 0.1, 0, 6),
               1e-15);
    assert_true(offbkg_sim_expected_2d(&p, 35, 1500, 0.01, 0.05, 0, 6)
                == 0.0);
    assert_true(offbkg_sim_expected_2d(&p, 35, 1500, 1, 2, 6, 8) == 0.0);
    assert_true(offbkg_sim_expected_2d(&p, 90, 1500, 1, 2, 0, 1) == 0.0);
}

static void test_simulate_expected_3d_vs_simpson(void **unused)
{
    static const double bins[][6] = {
        { 1.0, 2.0, 0.5, 1.0, -0.5, 0.0 },     /* a small bin */
        { 0.1, 1.0, -2.0, 1.0, 0.5, 3.0 },     /* a large one */
        { 10, 100, 2.0, 3.9, -3.9, -2.0 },     /* near a corner */
    };
    offbkg_sim_params_t p;
    (void)unused;

    offbkg_sim_params_default(&p);
    p.asym_lon = 0.2;
    p.asym_lat = -0.1;
    for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++) {
        const double *b = bins[i];
        double got = offbkg_sim_expected_3d(&p, 20, 1000, b[0], b[1], b[2],
                                            b[3], b[4], b[5]);
        double want = simpson_3d(&p, 20, 1000, b[0], b[1], b[2], b[3], b[4],
                                 b[5], 60);
        assert_rel(got, want, 1e-7);
    }
}

/* Floor only: closed forms, in 2D (annulus) and in 3D (with the
 * bilinear asymmetry). */
static void test_simulate_expected_floor_closed_form(void **unused)
{
    offbkg_sim_params_t p;
    double e0 = 0.3, e1 = 7.0, g = 2.7, t = 1234, f = 1e-7, s = 2.5;
    double a = 0.2, b = -0.1, l0 = -1.5, l1 = 3.0, b0 = -2.0, b1 = 0.5;
    double e_int, want2, lon_int, lat_int, x0 = b0 * DEG, x1 = b1 * DEG;
    (void)unused;

    offbkg_sim_params_default(&p);
    p.r0 = 0;
    e_int = f * 1e6 * (pow(e0, 1 - g) - pow(e1, 1 - g)) / (g - 1);
    want2 = t * e_int * 2 * M_PI * (cos(0.7 * DEG) - cos(2.9 * DEG));
    assert_rel(offbkg_sim_expected_2d(&p, 10, t, e0, e1, 0.7, 2.9), want2,
               1e-10);

    p.asym_lon = a;
    p.asym_lat = b;
    /* int (1 + a lon/s) dlon_rad; int (1 + b lat/s) cos(lat) dlat_rad */
    lon_int = DEG * ((l1 - l0) + a / (2 * s) * (l1 * l1 - l0 * l0));
    lat_int = (sin(x1) - sin(x0))
              + b / s / DEG
                    * ((x1 * sin(x1) + cos(x1)) - (x0 * sin(x0) + cos(x0)));
    assert_rel(offbkg_sim_expected_3d(&p, 10, t, e0, e1, l0, l1, b0, b1),
               t * e_int * lon_int * lat_int, 1e-10);
    /* the ring average of the bilinear factor is 1: 2D ignores it */
    assert_rel(offbkg_sim_expected_2d(&p, 10, t, e0, e1, 0.7, 2.9), want2,
               1e-10);
}

static void test_simulate_expected_consistency(void **unused)
{
    offbkg_sim_params_t p, q;
    double cap, half, quarter, lo, hi;
    (void)unused;

    offbkg_sim_params_default(&p);
    /* additive in theta and energy */
    assert_rel(offbkg_sim_expected_2d(&p, 0, 1, 0.1, 100, 0, 1)
                   + offbkg_sim_expected_2d(&p, 0, 1, 0.1, 100, 1, 3),
               offbkg_sim_expected_2d(&p, 0, 1, 0.1, 100, 0, 3), 1e-12);
    assert_rel(offbkg_sim_expected_2d(&p, 0, 1, 0.1, 2, 0, 1)
                   + offbkg_sim_expected_2d(&p, 0, 1, 2, 100, 0, 1),
               offbkg_sim_expected_2d(&p, 0, 1, 0.1, 100, 0, 1), 1e-12);
    /* 3D over a rectangle holding the whole cap, or half or a quarter of
     * it, against 2D over the cap: checks the clipping to the cap */
    cap = offbkg_sim_expected_2d(&p, 30, 100, 0.05, 200, 0, 6);
    assert_rel(offbkg_sim_expected_3d(&p, 30, 100, 0.05, 200, -10, 10, -10,
                                      10), cap, 1e-10);
    half = offbkg_sim_expected_3d(&p, 30, 100, 0.05, 200, 0, 10, -10, 10);
    quarter = offbkg_sim_expected_3d(&p, 30, 100, 0.05, 200, -10, 0, 0, 10);
    assert_rel(half, cap / 2, 1e-10);
    assert_rel(quarter, cap / 4, 1e-10);
    /* a cut through the cap's edge, on both sides */
    lo = offbkg_sim_expected_3d(&p, 30, 100, 0.05, 200, -10, 4.5, -10, 10);
    hi = offbkg_sim_expected_3d(&p, 30, 100, 0.05, 200, 4.5, 10, -10, 10);
    assert_rel(lo + hi, cap, 1e-10);
    hi = offbkg_sim_expected_3d(&p, 30, 100, 0.05, 200, -10, 10, 5.0, 10);
    assert_true(hi > 0 && hi < 0.01 * cap);
    /* the asymmetry cancels over a symmetric box, and changes an
     * asymmetric one by the expected sign */
    q = p;
    q.asym_lon = 0.3;
    q.asym_lat = 0.2;
    assert_rel(offbkg_sim_expected_3d(&q, 30, 100, 0.1, 100, -4, 4, -4, 4),
               offbkg_sim_expected_3d(&p, 30, 100, 0.1, 100, -4, 4, -4, 4),
               1e-12);
    assert_true(offbkg_sim_expected_3d(&q, 30, 100, 0.1, 100, 0, 4, -4, 4)
                > offbkg_sim_expected_3d(&q, 30, 100, 0.1, 100, -4, 0, -4,
                                         4));
    /* refining the panels changes nothing at the 1e-10 level */
    assert_rel(offbkg_sim_expected_3d_refined(&q, 30, 100, 0.1, 0.3, -4.5,
                                              -2, 1, 5.5, 1),
               offbkg_sim_expected_3d_refined(&q, 30, 100, 0.1, 0.3, -4.5,
                                              -2, 1, 5.5, 3),
               1e-10);
    assert_rel(offbkg_sim_expected_2d_refined(&q, 30, 100, 0.05, 200, 0, 6,
                                              1),
               offbkg_sim_expected_2d_refined(&q, 30, 100, 0.05, 200, 0, 6,
                                              4),
               1e-10);
    /* --events picks r0 for the asked mean at zenith 0 */
    p.r0 = offbkg_sim_r0_for_events(&p, 5000);
    assert_rel(offbkg_sim_expected_2d(&p, 0, 1500, 0.05, 200, 0, 6), 5000,
               1e-10);
}

/* ---- random numbers ----------------------------------------------- */

static void test_simulate_rng_streams(void **unused)
{
    offbkg_rng_t a, b, c;
    int same_ab = 1, same_ac = 0;
    double sum = 0;
    (void)unused;

    offbkg_sim_rng_seed(&a, 42, 7);
    offbkg_sim_rng_seed(&b, 42, 7);
    offbkg_sim_rng_seed(&c, 42, 8);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = offbkg_rng_next(&a), y = offbkg_rng_next(&b);
        uint64_t z = offbkg_rng_next(&c);
        same_ab &= x == y;
        same_ac += x == z;
    }
    assert_true(same_ab);
    assert_int_equal(same_ac, 0);
    for (int i = 0; i < 100000; i++) {
        double u = offbkg_rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 4 * sqrt(1.0 / 12 / 100000));
}

/* Poisson: the histogram against the pmf (chi2), and mean and variance,
 * below and above the switch to PTRS. */
static void test_simulate_poisson(void **unused)
{
    static const double mus[] = { 0.7, 4.5, 10.0, 37.5, 1000.0 };
    offbkg_rng_t rng;
    (void)unused;

    offbkg_sim_rng_seed(&rng, 1, 99);
    assert_int_equal(offbkg_sim_poisson(&rng, 0.0), 0);
    for (size_t m = 0; m < sizeof mus / sizeof mus[0]; m++) {
        enum { N = 200000 };
        double mu = mus[m], sum = 0, sum2 = 0, chi2 = 0, pk;
        int kmax = (int)(mu + 10 * sqrt(mu) + 10), dof = 0;
        unsigned *hist = calloc((size_t)kmax + 1, sizeof *hist);
        assert_non_null(hist);
        for (int i = 0; i < N; i++) {
            uint64_t k = offbkg_sim_poisson(&rng, mu);
            sum += (double)k;
            sum2 += (double)k * (double)k;
            hist[k > (uint64_t)kmax ? (size_t)kmax : (size_t)k]++;
        }
        /* chi2 over the cells with an expectation of at least 20 */
        for (int k = 0; k < kmax; k++) {
            double e;
            pk = exp(-mu + k * log(mu) - lgamma(k + 1.0));
            e = N * pk;
            if (e < 20)
                continue;
            chi2 += (hist[k] - e) * (hist[k] - e) / e;
            dof++;
        }
        free(hist);
        sum /= N;
        sum2 = sum2 / N - sum * sum;
        assert_true(fabs(sum - mu) < 5 * sqrt(mu / N));
        assert_true(fabs(sum2 / mu - 1) < 5 * sqrt(2.0 / N) + 0.01);
        /* p ~ 1e-6 bounds: dof + 5 sqrt(2 dof) */
        if (!(chi2 < dof + 5 * sqrt(2.0 * dof) + 10))
            fail_msg("mu %g: chi2 %g for %d cells", mu, chi2, dof);
    }
}

/* ---- the plan ----------------------------------------------------- */

static void test_simulate_plan_pointings(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    offbkg_sim_run_t *runs;
    size_t n, below = 0, above = 0;
    (void)unused;

    offbkg_sim_params_default(&p);
    p.edge_zeniths = true;
    p.missing_file = true;
    assert_int_equal(offbkg_sim_plan(ctx, &p, &runs, &n), OFFBKG_OK);
    assert_int_equal(n, 13);
    for (size_t i = 0; i < n; i++) {
        const offbkg_sim_run_t *r = &runs[i];
        double mid = offbkg_mjd_to_utc(51910 + (0.000742870370370241
                                                + 0.5 * (r->tstart_s
                                                         + r->tstop_s)
                                                      / 86400.0),
                                       OFFBKG_TIMESYS_TT);
        double alt, az, l, b;
        assert_int_equal(r->obs_id, (int64_t)i + 1);
        /* the pointing is at its zenith at mid-run, for the site */
        offbkg_radec_to_altaz(r->ra_pnt_deg, r->dec_pnt_deg, mid,
                              p.site_lon_deg, p.site_lat_deg, &alt, &az);
        assert_true(fabs(alt - (90 - r->zen_deg)) < 1e-7);
        assert_true(fabs(az - r->az_deg) < 1e-7 || r->zen_deg == 90);
        assert_true(r->alt_deg == 90 - r->zen_deg);
        offbkg_icrs_to_galactic(r->ra_pnt_deg, r->dec_pnt_deg, &l, &b);
        assert_true(fabs(b) > 10 && b == r->glat_pnt_deg);
        assert_true(r->tstop_s - r->tstart_s == r->ontime_s);
        assert_true(r->tstart_s == floor(r->tstart_s));
        assert_true(r->ontime_s >= 1200 && r->ontime_s <= 1800);
        assert_true(r->livetime_s == r->ontime_s * r->deadc);
        assert_true(r->time_s == r->ontime_s);
        assert_true(i == 0 || r->tstart_s > runs[i - 1].tstop_s);
        if (i < 10) {
            assert_true(r->zen_deg >= 10 && r->zen_deg <= 60);
            below += r->zen_deg < 49;
            above += r->zen_deg >= 49;
        }
        assert_int_equal(r->missing, i == 12);
    }
    /* both default zenith groups get runs; the edges are exact */
    assert_true(below >= 7 && above >= 2);
    assert_true(runs[10].zen_deg == 49.0 && runs[11].zen_deg == 90.0);
    assert_true(runs[11].mu == 0.0);
    free(runs);
    offbkg_ctx_free(ctx);
}

/* ---- drawn events against the truth ------------------------------- */

/* Per-run counts over many short runs are Poisson(T * integral of R):
 * the summed count and the chi2 of the runs both hold, and both fail if
 * the expectation is off by 5%. */
static void test_simulate_counts_are_poisson(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    offbkg_sim_run_t *runs;
    size_t n;
    double sum_n = 0, sum_mu = 0, chi2 = 0, chi2_off = 0, gauss, flat;
    (void)unused;

    offbkg_sim_params_default(&p);
    p.n_runs = 100;
    p.seed = 7;
    p.r0 = 2e-5;
    p.floor_norm = 1e-8;
    p.ontime_min_s = 100;
    p.ontime_max_s = 200;
    p.zen_min_deg = 0;
    p.zen_max_deg = 60;
    p.zenith_scaling = true;
    p.livetime_base = true;
    /* The expectation per unit time from Simpson, not from the code
     * under test: mu = LIVETIME * (gauss / cos(zen) + flat). */
    {
        offbkg_sim_params_t q = p;
        q.floor_norm = 0;
        gauss = simpson_2d(&q, 0, 1, 0.05, 200, 0, 6, 200, 120);
        q.r0 = 0;
        q.floor_norm = p.floor_norm;
        flat = simpson_2d(&q, 0, 1, 0.05, 200, 0, 6, 200, 120);
    }
    assert_int_equal(offbkg_sim_plan(ctx, &p, &runs, &n), OFFBKG_OK);
    for (size_t i = 0; i < n; i++) {
        offbkg_sim_events_t ev;
        double k, mu = runs[i].livetime_s
                       * (gauss / cos(runs[i].zen_deg * DEG) + flat);
        assert_rel(runs[i].mu, mu, 1e-5);
        assert_int_equal(offbkg_sim_draw_run(ctx, &p, &runs[i], &ev),
                         OFFBKG_OK);
        k = (double)ev.n_background;
        assert_int_equal(ev.n, ev.n_background);
        sum_n += k;
        sum_mu += mu;
        chi2 += (k - mu) * (k - mu) / mu;
        chi2_off += (k - 1.05 * mu) * (k - 1.05 * mu) / (1.05 * mu);
        offbkg_sim_events_clear(&ev);
    }
    free(runs);
    /* chi2(100): mean 100, sd 14; a 5% error adds ~ 0.0025 mu per run */
    assert_true(sum_mu > 30000);
    assert_true(fabs(sum_n - sum_mu) < 4 * sqrt(sum_mu));
    assert_true(chi2 > 100 - 4 * 14.2 && chi2 < 100 + 4 * 14.2);
    assert_false(fabs(sum_n - 1.05 * sum_mu) < 4 * sqrt(1.05 * sum_mu));
    assert_false(chi2_off < 100 + 4 * 14.2);
    offbkg_ctx_free(ctx);
}

/* |observed - expected| of a binomial fraction in units of sigma. */
static double binomial_pull(size_t k, size_t n, double p)
{
    return ((double)k - n * p) / sqrt(n * p * (1 - p));
}

/* Where the events fall: the fraction within 1 deg, in the model's
 * energy range, and on the +lon and +lat halves (GADF sign) against the
 * integrals; the mirrored lon sign is clearly rejected. */
static void test_simulate_fov_distribution(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    offbkg_sim_run_t *runs;
    offbkg_sim_events_t ev;
    offbkg_offset_frame_t frame;
    enum { NE = 7, NT = 6 };
    static const double e_edges[NE + 1] = { 0.05, 0.08, 0.13, 0.3, 0.7, 2,
                                            9, 200 };
    static const double t_edges[NT + 1] = { 0, 0.6, 1.1, 1.7, 2.4, 3.5, 6 };
    size_t n, in1 = 0, in_e = 0, lon_pos = 0, lat_pos = 0, in2d = 0;
    size_t hist[NE][NT] = { { 0 } };
    double mu, t, z, chi2 = 0;
    int dof = 0;
    (void)unused;

    offbkg_sim_params_default(&p);
    p.n_runs = 1;
    p.seed = 3;
    p.ontime_min_s = p.ontime_max_s = 800;
    p.asym_lon = 0.3;
    p.asym_lat = -0.2;
    assert_int_equal(offbkg_sim_plan(ctx, &p, &runs, &n), OFFBKG_OK);
    assert_int_equal(offbkg_sim_draw_run(ctx, &p, &runs[0], &ev), OFFBKG_OK);
    mu = runs[0].mu;
    t = runs[0].time_s;
    z = runs[0].zen_deg;
    offbkg_offset_frame_init(&frame, runs[0].ra_pnt_deg, runs[0].dec_pnt_deg);
    for (size_t i = 0; i < ev.n; i++) {
        const offbkg_sim_event_t *e = &ev.ev[i];
        double th = offbkg_sep_deg(runs[0].ra_pnt_deg, runs[0].dec_pnt_deg,
                                   e->ra_deg, e->dec_deg);
        double lon_off, lat_off;
        offbkg_offset_frame_forward(&frame, e->ra_deg, e->dec_deg, &lon_off,
                                    &lat_off);
        assert_true(th <= 6 + 1e-9);
        assert_true(e->energy_tev >= 0.05 && e->energy_tev <= 200);
        assert_true(e->time_s >= runs[0].tstart_s
                    && e->time_s <= runs[0].tstop_s);
        assert_true(i == 0 || e->time_s >= ev.ev[i - 1].time_s);
        in1 += th < 1.0;
        in_e += e->energy_tev >= 0.1 && e->energy_tev <= 100;
        in2d += th < 2.5 && e->energy_tev >= 0.1 && e->energy_tev <= 100;
        lon_pos += -lon_off > 0;       /* fov_lon = -lon_off */
        lat_pos += lat_off > 0;
        for (int a = 0; a < NE; a++)
            for (int b = 0; b < NT; b++)
                hist[a][b] += e->energy_tev >= e_edges[a]
                              && e->energy_tev < e_edges[a + 1]
                              && th >= t_edges[b] && th < t_edges[b + 1];
    }
    /* chi2 of an (energy, offset) histogram on edges unrelated to the
     * code, against the bin integrals, over the cells expecting >= 20 */
    for (int a = 0; a < NE; a++)
        for (int b = 0; b < NT; b++) {
            double m = offbkg_sim_expected_2d(&p, z, t, e_edges[a],
                                              e_edges[a + 1], t_edges[b],
                                              t_edges[b + 1]);
            if (m < 20)
                continue;
            chi2 += (hist[a][b] - m) * (hist[a][b] - m) / m;
            dof++;
        }
    assert_true(dof >= 30);
    if (!(chi2 < dof + 5 * sqrt(2.0 * dof)))
        fail_msg("chi2 %g for %d cells", chi2, dof);
    assert_true(ev.n > 15000);
    assert_int_equal(in2d, ev.n_in_2d);
    assert_true(fabs(binomial_pull(in1, ev.n,
                                   offbkg_sim_expected_2d(&p, z, t, 0.05, 200,
                                                          0, 1) / mu)) < 4);
    assert_true(fabs(binomial_pull(in_e, ev.n,
                                   offbkg_sim_expected_2d(&p, z, t, 0.1, 100,
                                                          0, 6) / mu)) < 4);
    {
        double p_lon = offbkg_sim_expected_3d(&p, z, t, 0.05, 200, 0, 10,
                                              -10, 10) / mu;
        double p_lat = offbkg_sim_expected_3d(&p, z, t, 0.05, 200, -10, 10,
                                              0, 10) / mu;
        assert_true(p_lon > 0.53 && p_lat < 0.48);
        assert_true(fabs(binomial_pull(lon_pos, ev.n, p_lon)) < 4);
        assert_true(fabs(binomial_pull(lat_pos, ev.n, p_lat)) < 4);
        /* negative control: the mirrored lon convention is far off */
        assert_true(fabs(binomial_pull(ev.n - lon_pos, ev.n, p_lon)) > 10);
    }
    offbkg_sim_events_clear(&ev);
    free(runs);
    offbkg_ctx_free(ctx);
}

/* The drawing in the corners of the truth's parameters (the Gaussian's
 * energy law flat, a narrow or a wide Gaussian, a floor that dominates, a
 * wide cap, an asymmetry, zenith scaling): the chi2 of an (energy,
 * offset) histogram against the bin integrals. The envelope the events
 * are drawn from changes with each; the events must not. */
static void test_simulate_draws_in_corners(void **unused)
{
    enum { NE = 6, NT = 6, NCASE = 4 };
    static const double e_edges[NE + 1] = { 0.05, 0.1, 0.3, 1, 3, 20, 200 };
    offbkg_ctx_t *ctx = quiet_ctx();
    (void)unused;

    for (int c = 0; c < NCASE; c++) {
        offbkg_sim_params_t p;
        offbkg_sim_run_t *runs;
        offbkg_sim_events_t ev;
        offbkg_offset_frame_t frame;
        size_t n, hist[NE][NT] = { { 0 } };
        double t_edges[NT + 1], chi2 = 0;
        int dof = 0;

        offbkg_sim_params_default(&p);
        p.n_runs = 1;
        p.seed = 11 + (uint64_t)c;
        p.ontime_min_s = p.ontime_max_s = 1000;
        if (c == 0) {           /* gamma - 2 sigma_index = 1: log-uniform */
            p.gamma = 1.6;
            p.sigma_index = 0.3;
        } else if (c == 1) {    /* narrow, shrinking; floor dominates */
            p.sigma0_deg = 0.3;
            p.sigma_index = -0.2;
            p.floor_norm = 1e-6;
            p.asym_lon = -0.15;
        } else if (c == 2) {    /* wide cap and Gaussian, zenith scaling */
            p.theta_max_deg = 25;
            p.sigma0_deg = 12;
            p.asym_lat = 0.08;
            p.zenith_scaling = true;
        } else {                /* no floor at all */
            p.floor_norm = 0;
            p.gamma = 2.0;
        }
        for (int b = 0; b <= NT; b++)
            t_edges[b] = p.theta_max_deg * b / NT;
        /* 30,000 events (mean) at zenith 0 */
        p.r0 = offbkg_sim_r0_for_events(&p, 30000);
        assert_int_equal(offbkg_sim_params_check(ctx, &p), OFFBKG_OK);
        assert_int_equal(offbkg_sim_plan(ctx, &p, &runs, &n), OFFBKG_OK);
        assert_int_equal(offbkg_sim_draw_run(ctx, &p, &runs[0], &ev),
                         OFFBKG_OK);
        offbkg_offset_frame_init(&frame, runs[0].ra_pnt_deg,
                                 runs[0].dec_pnt_deg);
        for (size_t i = 0; i < ev.n; i++) {
            double th = offbkg_offset_frame_sep_deg(&frame, ev.ev[i].ra_deg,
                                                    ev.ev[i].dec_deg);
            for (int a = 0; a < NE; a++)
                for (int b = 0; b < NT; b++)
                    hist[a][b] += ev.ev[i].energy_tev >= e_edges[a]
                                  && ev.ev[i].energy_tev < e_edges[a + 1]
                                  && th >= t_edges[b] && th < t_edges[b + 1];
        }
        for (int a = 0; a < NE; a++)
            for (int b = 0; b < NT; b++) {
                double m = offbkg_sim_expected_2d(&p, runs[0].zen_deg,
                                                  runs[0].time_s, e_edges[a],
                                                  e_edges[a + 1], t_edges[b],
                                                  t_edges[b + 1]);
                if (m < 20)
                    continue;
                chi2 += (hist[a][b] - m) * (hist[a][b] - m) / m;
                dof++;
            }
        if (!(dof >= 10 && ev.n > 5000 && chi2 < dof + 5 * sqrt(2.0 * dof)))
            fail_msg("case %d: chi2 %g for %d cells, %zu events", c, chi2,
                     dof, ev.n);
        offbkg_sim_events_clear(&ev);
        free(runs);
    }
    offbkg_ctx_free(ctx);
}

/* ---- the written store -------------------------------------------- */

/* Remove a directory holding files and one level of subdirectories
 * (the stores the tests write). */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 256];

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (remove(path) != 0)
            rm_tree(path);
    }
    closedir(d);
    rmdir(dir);
}

static void make_tmpdir(char *buf, size_t size)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(buf, size, "%s/offbkg-sim-XXXXXX", base);
    assert_non_null(mkdtemp(buf));
}

static void small_store_params(offbkg_sim_params_t *p)
{
    offbkg_sim_params_default(p);
    p->n_runs = 3;
    p->ontime_min_s = 60;
    p->ontime_max_s = 120;
    p->r0 = 1e-5;
    p->edge_zeniths = true;
    p->missing_file = true;
    p->mixed_compression = true;
    p->nan_rows = 2;
    p->source_mode = OFFBKG_SIM_SOURCE_OFFSET;
    p->src_n = 50;
}

/* The "run = ..." lines of truth.txt, 22 numbers and the file name,
 * then with rate factors column_value column_factor scatter_factor
 * rate_factor in v[22..25] (NaN 1 1 1 without). */
typedef struct truth_run {
    double v[26];
    char file[64];
    int n_factors;              /* numbers after the file name: 0 or 4 */
} truth_run_t;

static size_t read_truth(const char *path, truth_run_t *rows, size_t max,
                         unsigned long long *seed)
{
    char line[1024];
    size_t n = 0;
    FILE *fp = fopen(path, "r");

    assert_non_null(fp);
    while (fgets(line, sizeof line, fp) != NULL) {
        if (strncmp(line, "seed = ", 7) == 0)
            assert_int_equal(sscanf(line + 7, "%llu", seed), 1);
        if (strncmp(line, "run = ", 6) == 0 && n < max) {
            char *s = line + 6, *end;
            for (int k = 0; k < 22; k++) {
                rows[n].v[k] = strtod(s, &end);
                assert_true(end != s);
                s = end;
            }
            {
                int used = 0;
                assert_int_equal(sscanf(s, " %63s%n", rows[n].file, &used),
                                 1);
                s += used;
            }
            rows[n].v[22] = NAN;
            rows[n].v[23] = rows[n].v[24] = rows[n].v[25] = 1.0;
            rows[n].n_factors = 0;
            for (int k = 22; k < 26; k++) {
                double x = strtod(s, &end);
                if (end == s)
                    break;
                rows[n].v[k] = x;
                rows[n].n_factors++;
                s = end;
            }
            n++;
        }
    }
    fclose(fp);
    return n;
}

static void read_key_str(fitsfile *f, const char *key, char *val, int *st)
{
    fits_read_key_str(f, key, val, NULL, st);
}

static double read_key_dbl(fitsfile *f, const char *key, int *st)
{
    double v = NAN;
    fits_read_key_dbl(f, key, &v, NULL, st);
    return v;
}

/* Column @p name exists with TFORM @p form (and TUNIT @p unit if not
 * NULL). */
static void assert_column(fitsfile *f, const char *name, const char *form,
                          const char *unit)
{
    char key[16], val[FLEN_VALUE];
    int col = 0, st = 0;

    fits_get_colnum(f, CASESEN, (char *)name, &col, &st);
    if (st != 0)
        fail_msg("no column %s", name);
    snprintf(key, sizeof key, "TFORM%d", col);
    read_key_str(f, key, val, &st);
    assert_int_equal(st, 0);
    assert_string_equal(val, form);
    if (unit != NULL) {
        snprintf(key, sizeof key, "TUNIT%d", col);
        read_key_str(f, key, val, &st);
        assert_int_equal(st, 0);
        assert_string_equal(val, unit);
    }
}

static void check_index_tables(const char *dir, size_t n_runs)
{
    char path[PATH_MAX + 32], val[FLEN_VALUE];
    fitsfile *f;
    long rows = 0;
    int st = 0;

    snprintf(path, sizeof path, "%s/obs-index.fits.gz", dir);
    assert_int_equal(fits_open_table(&f, path, READONLY, &st), 0);
    read_key_str(f, "HDUCLASS", val, &st);
    assert_string_equal(val, "GADF");
    read_key_str(f, "HDUCLAS1", val, &st);
    assert_string_equal(val, "INDEX");
    read_key_str(f, "HDUCLAS2", val, &st);
    assert_string_equal(val, "OBS");
    read_key_str(f, "EXTNAME", val, &st);
    assert_string_equal(val, "OBS_INDEX");
    read_key_str(f, "TIMESYS", val, &st);
    assert_string_equal(val, "TT");
    read_key_str(f, "TIMEUNIT", val, &st);
    assert_string_equal(val, "s");
    assert_true(read_key_dbl(f, "MJDREFI", &st) == 51910);
    assert_true(read_key_dbl(f, "MJDREFF", &st) == 0.000742870370370241);
    read_key_str(f, "GEOLAT", val, &st);   /* a string, as in DR1 */
    assert_string_equal(val, "-23.2717778");
    assert_int_equal(st, 0);
    assert_column(f, "OBS_ID", "K", NULL);
    assert_column(f, "ZEN_PNT", "D", "deg");
    assert_column(f, "LIVETIME", "D", "s");
    assert_column(f, "TARGET_TAG", "8A", NULL);
    assert_column(f, "EVENT_COUNT", "K", NULL);
    for (const char *c = "RA_PNT DEC_PNT ALT_PNT AZ_PNT GLON_PNT GLAT_PNT "
                         "TSTART TSTOP ONTIME DEADC N_TELS OBJECT";
         *c != '\0';) {
        char name[16];
        int len = 0, col = 0;
        sscanf(c, "%15s%n", name, &len);
        c += len;
        while (*c == ' ')
            c++;
        fits_get_colnum(f, CASESEN, name, &col, &st);
        assert_int_equal(st, 0);
    }
    fits_get_num_rows(f, &rows, &st);
    assert_int_equal(rows, n_runs);
    {
        char tag[16], *tp = tag;
        int col = 0;
        fits_get_colnum(f, CASESEN, "TARGET_TAG", &col, &st);
        fits_read_col(f, TSTRING, col, 1, 1, 1, NULL, &tp, NULL, &st);
        assert_int_equal(st, 0);
        assert_string_equal(tag, "offdata");
    }
    fits_close_file(f, &st);

    snprintf(path, sizeof path, "%s/hdu-index.fits.gz", dir);
    assert_int_equal(fits_open_table(&f, path, READONLY, &st), 0);
    read_key_str(f, "HDUCLAS2", val, &st);
    assert_string_equal(val, "HDU");
    read_key_str(f, "EXTNAME", val, &st);
    assert_string_equal(val, "HDU_INDEX");
    assert_column(f, "OBS_ID", "K", NULL);
    assert_column(f, "HDU_TYPE", "6A", NULL);
    assert_column(f, "HDU_CLASS", "9A", NULL);
    assert_column(f, "FILE_DIR", "4A", NULL);
    assert_column(f, "FILE_NAME", "24A", NULL);
    assert_column(f, "HDU_NAME", "6A", NULL);
    assert_column(f, "SIZE", "K", NULL);
    fits_get_num_rows(f, &rows, &st);
    assert_int_equal(rows, 2 * n_runs);
    for (long r = 1; r <= rows; r++) {
        char type[16], dirv[16], *tp = type, *dp = dirv;
        fits_read_col(f, TSTRING, 2, r, 1, 1, NULL, &tp, NULL, &st);
        fits_read_col(f, TSTRING, 4, r, 1, 1, NULL, &dp, NULL, &st);
        assert_int_equal(st, 0);
        assert_string_equal(type, r % 2 == 1 ? "events" : "gti");
        assert_string_equal(dirv, "data");
    }
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
}

/* One event file against its truth line. */
static void check_run_file(const char *dir, const truth_run_t *t)
{
    char path[PATH_MAX + 80], val[FLEN_VALUE];
    fitsfile *f;
    long rows = 0;
    int st = 0;
    size_t n = (size_t)t->v[10], n_bad = 0, n_zero = 0;
    double tstart = t->v[4], tstop = t->v[5];

    snprintf(path, sizeof path, "%s/%s", dir, t->file);
    assert_int_equal(fits_open_file(&f, path, READONLY, &st), 0);
    fits_movnam_hdu(f, BINARY_TBL, "EVENTS", 0, &st);
    assert_int_equal(st, 0);
    read_key_str(f, "HDUCLASS", val, &st);
    assert_string_equal(val, "GADF");
    read_key_str(f, "HDUCLAS1", val, &st);
    assert_string_equal(val, "EVENTS");
    read_key_str(f, "CREATOR", val, &st);
    assert_string_equal(val, "offbkg");
    read_key_str(f, "TIMESYS", val, &st);
    assert_string_equal(val, "TT");
    assert_true(read_key_dbl(f, "OBS_ID", &st) == t->v[0]);
    assert_true(read_key_dbl(f, "RA_PNT", &st) == t->v[2]);
    assert_true(read_key_dbl(f, "DEC_PNT", &st) == t->v[3]);
    assert_true(read_key_dbl(f, "ALT_PNT", &st) == 90 - t->v[1]);
    assert_true(read_key_dbl(f, "ONTIME", &st) == t->v[6]);
    assert_true(read_key_dbl(f, "LIVETIME", &st) == t->v[7]);
    assert_true(read_key_dbl(f, "DEADC", &st) * t->v[6] == t->v[7]);
    assert_true(read_key_dbl(f, "TSTART", &st) == tstart);
    assert_true(read_key_dbl(f, "TSTOP", &st) == tstop);
    assert_true(read_key_dbl(f, "GEOLON", &st) == 16.5002222);
    assert_true(read_key_dbl(f, "ALTITUDE", &st) == 1835);
    for (const char *k = "AZ_PNT"; k != NULL; k = NULL)
        assert_true(isfinite(read_key_dbl(f, k, &st)));
    assert_int_equal(st, 0);
    assert_column(f, "EVENT_ID", "K", NULL);
    assert_column(f, "TIME", "D", "s");
    assert_column(f, "RA", "D", "deg");
    assert_column(f, "DEC", "D", "deg");
    assert_column(f, "ENERGY", "D", "TeV");
    fits_get_num_rows(f, &rows, &st);
    assert_int_equal(rows, n);
    if (n > 0) {
        double *c[4];
        long long *id = malloc(n * sizeof *id);
        for (int k = 0; k < 4; k++) {
            c[k] = malloc(n * sizeof *c[k]);
            fits_read_col(f, TDOUBLE, k + 2, 1, 1, (LONGLONG)n, NULL, c[k],
                          NULL, &st);
        }
        fits_read_col(f, TLONGLONG, 1, 1, 1, (LONGLONG)n, NULL, id, NULL,
                      &st);
        assert_int_equal(st, 0);
        for (size_t i = 0; i < n; i++) {
            assert_true(id[i] == (long long)i + 1);
            assert_true(c[0][i] >= tstart && c[0][i] <= tstop);
            assert_true(i == 0 || c[0][i] >= c[0][i - 1]);
            n_bad += !isfinite(c[1][i]) || !isfinite(c[2][i])
                     || !isfinite(c[3][i]);
            n_zero += c[3][i] == 0.0;
        }
        free(id);
        for (int k = 0; k < 4; k++)
            free(c[k]);
    }
    assert_int_equal(n_bad + n_zero, (size_t)t->v[16]);
    fits_movnam_hdu(f, BINARY_TBL, "GTI", 0, &st);
    fits_get_num_rows(f, &rows, &st);
    assert_int_equal(st, 0);
    assert_int_equal(rows, 1);
    {
        double start = 0, stop = 0;
        fits_read_col(f, TDOUBLE, 1, 1, 1, 1, NULL, &start, NULL, &st);
        fits_read_col(f, TDOUBLE, 2, 1, 1, 1, NULL, &stop, NULL, &st);
        assert_true(start == tstart && stop == tstop);
        assert_true(stop - start == t->v[6]);
    }
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
}

static void test_simulate_store_files(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    offbkg_sim_summary_t sum;
    truth_run_t rows[8];
    char dir[PATH_MAX], path[PATH_MAX + 32];
    unsigned long long seed = 0;
    size_t n, total = 0;
    (void)unused;

    make_tmpdir(dir, sizeof dir);
    small_store_params(&p);
    assert_int_equal(offbkg_sim_write(ctx, &p, dir, false, &sum), OFFBKG_OK);
    assert_int_equal(sum.n_runs, 6);
    assert_int_equal(sum.n_files, 5);
    check_index_tables(dir, 6);
    snprintf(path, sizeof path, "%s/truth.txt", dir);
    n = read_truth(path, rows, 8, &seed);
    assert_int_equal(n, 6);
    assert_int_equal(seed, 42);
    for (size_t i = 0; i < n; i++) {
        const truth_run_t *t = &rows[i];
        char name[PATH_MAX + 80];
        snprintf(name, sizeof name, "%s/%s", dir, t->file);
        /* every second run is plain FITS */
        assert_non_null(strstr(t->file, i % 2 == 1 ? ".fits" : ".fits.gz"));
        if (t->v[21] == 0) {            /* the missing-file run */
            assert_int_equal(i, 5);
            assert_int_equal(access(name, F_OK), -1);
            continue;
        }
        check_run_file(dir, t);
        total += (size_t)t->v[10];
        /* rows = background + bad + source; 90 deg gets nothing */
        assert_true(t->v[10] == t->v[11] + t->v[16] + t->v[17]);
        /* the bookkeeping counts against their expectations */
        assert_true(fabs(t->v[12] - t->v[13]) <= 5 * sqrt(t->v[13]) + 1);
        assert_true(fabs(t->v[14] - t->v[15]) <= 5 * sqrt(t->v[15]) + 1);
        assert_true(t->v[15] > t->v[13] || t->v[10] == 0);
        if (t->v[1] == 90.0) {
            assert_true(t->v[10] == 0);
        } else {
            assert_true(t->v[16] == 3 && t->v[17] == 50);
            /* the blob sits 0.5 deg from the pointing */
            assert_true(fabs(offbkg_sep_deg(t->v[2], t->v[3], t->v[19],
                                            t->v[20]) - 0.5) < 1e-9);
        }
    }
    assert_int_equal(total, sum.n_events);

    /* a non-empty directory is refused, and taken with overwrite */
    assert_int_equal(offbkg_sim_write(ctx, &p, dir, false, NULL),
                     OFFBKG_EEXIST);
    assert_int_equal(offbkg_sim_write(ctx, &p, dir, true, NULL), OFFBKG_OK);
    rm_tree(dir);
    offbkg_ctx_free(ctx);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa != NULL && fb != NULL, ca, cb;

    while (same) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa != NULL)
        fclose(fa);
    if (fb != NULL)
        fclose(fb);
    return same;
}

/* The same seed gives identical files; another seed other events. */
static void test_simulate_reproducible(void **unused)
{
    static const char *files[] = {
        "obs-index.fits.gz", "hdu-index.fits.gz", "truth.txt",
        "data/run_000001.fits.gz", "data/run_000002.fits",
        "data/run_000004.fits",
    };
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    char d1[PATH_MAX], d2[PATH_MAX], d3[PATH_MAX];
    char a[PATH_MAX + 64], b[PATH_MAX + 64];
    (void)unused;

    make_tmpdir(d1, sizeof d1);
    make_tmpdir(d2, sizeof d2);
    make_tmpdir(d3, sizeof d3);
    small_store_params(&p);
    assert_int_equal(offbkg_sim_write(ctx, &p, d1, false, NULL), OFFBKG_OK);
    assert_int_equal(offbkg_sim_write(ctx, &p, d2, false, NULL), OFFBKG_OK);
    p.seed = 43;
    assert_int_equal(offbkg_sim_write(ctx, &p, d3, false, NULL), OFFBKG_OK);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(a, sizeof a, "%s/%s", d1, files[i]);
        snprintf(b, sizeof b, "%s/%s", d2, files[i]);
        if (!same_file(a, b))
            fail_msg("%s differs between two runs with one seed", files[i]);
        snprintf(b, sizeof b, "%s/%s", d3, files[i]);
        assert_false(same_file(a, b));
    }
    rm_tree(d1);
    rm_tree(d2);
    rm_tree(d3);
    offbkg_ctx_free(ctx);
}

/* ---- per-run rate factors ----------------------------------------- */

static void factor_params(offbkg_sim_params_t *p)
{
    offbkg_sim_params_default(p);
    p->n_runs = 60;
    p->seed = 11;
    p->r0 = 1e-5;
    p->floor_norm = 1e-8;
    p->ontime_min_s = 100;
    p->ontime_max_s = 200;
    p->zenith_scaling = true;
    snprintf(p->rate_column, sizeof p->rate_column, "MUONEFF");
    p->rate_col_min = 0.6;
    p->rate_col_max = 1.0;
    p->rate_col_ref = 0.8;
    p->rate_col_index = 2.0;
    p->run_scatter = 0.05;
}

/* The factors change the expected counts of a run only: the plan is the
 * same, each factor comes from its own stream (switching one on changes
 * no other draw), and defaults give F = 1 exactly. */
static void test_simulate_rate_factor_plan(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p, q;
    offbkg_sim_run_t *base, *both, *col, *sc;
    size_t n, m;
    int below = 0, above = 0;
    (void)unused;

    factor_params(&p);
    q = p;
    q.rate_column[0] = '\0';
    q.run_scatter = 0;
    assert_int_equal(offbkg_sim_plan(ctx, &q, &base, &n), OFFBKG_OK);
    assert_int_equal(offbkg_sim_plan(ctx, &p, &both, &m), OFFBKG_OK);
    assert_int_equal(m, n);
    q.run_scatter = p.run_scatter;
    assert_int_equal(offbkg_sim_plan(ctx, &q, &sc, &m), OFFBKG_OK);
    q = p;
    q.run_scatter = 0;
    assert_int_equal(offbkg_sim_plan(ctx, &q, &col, &m), OFFBKG_OK);
    for (size_t i = 0; i < n; i++) {
        const offbkg_sim_run_t *b = &base[i], *r = &both[i];
        double c = pow(r->col_value / 0.8, 2.0);
        assert_true(isnan(b->col_value));
        assert_true(b->col_factor == 1.0 && b->scatter_factor == 1.0
                    && b->rate_factor == 1.0);
        assert_true(r->zen_deg == b->zen_deg && r->ra_pnt_deg == b->ra_pnt_deg
                    && r->dec_pnt_deg == b->dec_pnt_deg
                    && r->tstart_s == b->tstart_s
                    && r->time_s == b->time_s);
        assert_true(r->col_value >= 0.6 && r->col_value <= 1.0);
        below += r->col_value < 0.8;
        above += r->col_value >= 0.8;
        assert_rel(r->col_factor, c, 1e-15);
        assert_true(r->scatter_factor > 0.7 && r->scatter_factor < 1.4
                    && r->scatter_factor != 1.0);
        assert_rel(r->rate_factor, r->col_factor * r->scatter_factor,
                   1e-15);
        assert_rel(r->mu, r->rate_factor * b->mu, 1e-14);
        /* one factor on: the same draw as with both */
        assert_true(col[i].col_value == r->col_value
                    && col[i].scatter_factor == 1.0);
        assert_true(sc[i].scatter_factor == r->scatter_factor
                    && isnan(sc[i].col_value) && sc[i].col_factor == 1.0);
    }
    /* uniform in the range: both halves get runs */
    assert_true(below > 15 && above > 15);
    free(base);
    free(both);
    free(col);
    free(sc);

    /* unusable factors are refused, naming the field */
    q = p;
    snprintf(q.rate_column, sizeof q.rate_column, "muon");
    assert_int_equal(offbkg_sim_params_check(ctx, &q), OFFBKG_EINVAL);
    assert_non_null(strstr(offbkg_error_msg(ctx), "rate column"));
    snprintf(q.rate_column, sizeof q.rate_column, "ZEN_PNT");
    assert_int_equal(offbkg_sim_params_check(ctx, &q), OFFBKG_EINVAL);
    q = p;
    q.rate_col_min = 0;
    assert_int_equal(offbkg_sim_params_check(ctx, &q), OFFBKG_EINVAL);
    q = p;
    q.rate_col_ref = -1;
    assert_int_equal(offbkg_sim_params_check(ctx, &q), OFFBKG_EINVAL);
    q = p;
    q.run_scatter = NAN;
    assert_int_equal(offbkg_sim_params_check(ctx, &q), OFFBKG_EINVAL);
    offbkg_ctx_free(ctx);
}

/* The scatter factors of many runs: mean 1 and relative sigma as asked,
 * within their statistical errors (a normal in ln S without the -s2/2
 * shift, or with sigma for the width of ln S, fails at 0.3). */
static void test_simulate_run_scatter_spread(void **unused)
{
    static const double sigmas[] = { 0.05, 0.3 };
    offbkg_ctx_t *ctx = quiet_ctx();
    (void)unused;

    for (size_t k = 0; k < 2; k++) {
        offbkg_sim_params_t p;
        offbkg_sim_run_t *runs;
        double s = sigmas[k], sum = 0, sum2 = 0, mean, sd, m4 = 0, err_sd;
        size_t n;

        offbkg_sim_params_default(&p);
        p.n_runs = 4000;
        p.seed = 5;
        p.run_scatter = s;
        assert_int_equal(offbkg_sim_plan(ctx, &p, &runs, &n), OFFBKG_OK);
        for (size_t i = 0; i < n; i++) {
            sum += runs[i].scatter_factor;
            sum2 += runs[i].scatter_factor * runs[i].scatter_factor;
        }
        mean = sum / (double)n;
        sd = sqrt((sum2 - sum * mean) / (double)(n - 1));
        for (size_t i = 0; i < n; i++)
            m4 += pow(runs[i].scatter_factor - mean, 4);
        m4 /= (double)n;
        /* the error of a sample sd: sqrt((m4 - sd^4) / n) / (2 sd) */
        err_sd = sqrt((m4 - pow(sd, 4)) / (double)n) / (2 * sd);
        if (!(fabs(mean - 1) < 4 * s / sqrt((double)n)))
            fail_msg("sigma %g: mean %.5f, want 1 +- %.5f", s, mean,
                     s / sqrt((double)n));
        if (!(fabs(sd / mean - s) < 4 * err_sd))
            fail_msg("sigma %g: measured %.5f +- %.5f", s, sd / mean,
                     err_sd);
        free(runs);
    }
    offbkg_ctx_free(ctx);
}

/* A store with a rate column and a scatter: the column in the obs-index
 * and the EVENTS header with the values of truth.txt, C and F as stated,
 * the expectations with F, and the counts per run following them (and
 * not the rate without F). */
static void test_simulate_rate_factor_store(void **unused)
{
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    truth_run_t rows[64];
    char dir[PATH_MAX], path[PATH_MAX + 80];
    unsigned long long seed = 0;
    double chi2 = 0, chi2_nof = 0, chi2_2d = 0, f_min = 10, f_max = 0;
    fitsfile *f;
    int st = 0, col = 0;
    size_t n;
    (void)unused;

    factor_params(&p);
    make_tmpdir(dir, sizeof dir);
    assert_int_equal(offbkg_sim_write(ctx, &p, dir, false, NULL), OFFBKG_OK);
    snprintf(path, sizeof path, "%s/truth.txt", dir);
    n = read_truth(path, rows, 64, &seed);
    assert_int_equal(n, 60);
    snprintf(path, sizeof path, "%s/obs-index.fits.gz", dir);
    assert_int_equal(fits_open_table(&f, path, READONLY, &st), 0);
    assert_column(f, "MUONEFF", "D", NULL);
    fits_get_colnum(f, CASESEN, "MUONEFF", &col, &st);
    for (size_t i = 0; i < n; i++) {
        const truth_run_t *t = &rows[i];
        double v = NAN, mu, k = t->v[11];
        fitsfile *g;
        fits_read_col(f, TDOUBLE, col, (LONGLONG)i + 1, 1, 1, NULL, &v,
                      NULL, &st);
        assert_int_equal(st, 0);
        assert_int_equal(t->n_factors, 4);
        assert_true(v == t->v[22]);
        snprintf(path, sizeof path, "%s/%s", dir, t->file);
        assert_int_equal(fits_open_table(&g, path, READONLY, &st), 0);
        assert_true(read_key_dbl(g, "MUONEFF", &st) == v);
        fits_close_file(g, &st);
        assert_int_equal(st, 0);
        assert_rel(t->v[23], pow(v / 0.8, 2.0), 1e-15);
        assert_rel(t->v[25], t->v[23] * t->v[24], 1e-15);
        f_min = fmin(f_min, t->v[25]);
        f_max = fmax(f_max, t->v[25]);
        /* mu and mu_in_2d with F, from the bin integrals */
        mu = t->v[25] * offbkg_sim_expected_2d(&p, t->v[1], t->v[8], 0.05,
                                                200, 0, 6);
        assert_rel(t->v[9], mu, 1e-12);
        assert_rel(t->v[13], t->v[25] * offbkg_sim_expected_2d(
                                            &p, t->v[1], t->v[8], 0.1, 100,
                                            0, 2.5), 1e-6);
        chi2 += (k - mu) * (k - mu) / mu;
        chi2_nof += (k - mu / t->v[25]) * (k - mu / t->v[25])
                    / (mu / t->v[25]);
        chi2_2d += (t->v[12] - t->v[13]) * (t->v[12] - t->v[13]) / t->v[13];
    }
    fits_close_file(f, &st);
    /* F spans (0.6/0.8)^2 .. (1/0.8)^2 times the scatter */
    assert_true(f_min < 0.7 && f_max > 1.3);
    /* chi2 of 60 runs: mean 60, sd 11 */
    if (!(chi2 < 60 + 4 * 11 && chi2 > 60 - 4 * 11))
        fail_msg("counts against mu with F: chi2 %.1f for 60 runs", chi2);
    assert_true(chi2_2d < 60 + 4 * 11 && chi2_2d > 60 - 4 * 11);
    if (!(chi2_nof > 60 + 4 * 11))
        fail_msg("counts against mu without F: chi2 %.1f", chi2_nof);
    rm_tree(dir);
    offbkg_ctx_free(ctx);
}

/* FNV-1a over a file's content as a reader sees it: truth.txt's lines
 * but the creator's, and every FITS HDU's header cards but CREATOR and
 * its data bytes (not the gzip stream, whose bytes depend on zlib). */
static uint64_t fnv(uint64_t h, const void *buf, size_t n)
{
    const unsigned char *b = buf;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t content_digest(uint64_t h, const char *path)
{
    if (strstr(path, "truth.txt") != NULL) {
        char line[2048];
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        while (fgets(line, sizeof line, fp) != NULL)
            if (strncmp(line, "creator = ", 10) != 0)
                h = fnv(h, line, strlen(line));
        fclose(fp);
        return h;
    }
    {
        fitsfile *f;
        int st = 0, n_hdu = 0;
        assert_int_equal(fits_open_file(&f, path, READONLY, &st), 0);
        fits_get_num_hdus(f, &n_hdu, &st);
        for (int k = 1; k <= n_hdu && st == 0; k++) {
            int n_keys = 0, type = 0;
            char card[FLEN_CARD];
            fits_movabs_hdu(f, k, &type, &st);
            fits_get_hdrspace(f, &n_keys, NULL, &st);
            for (int c = 1; c <= n_keys && st == 0; c++) {
                fits_read_record(f, c, card, &st);
                if (strncmp(card, "CREATOR ", 8) != 0)
                    h = fnv(h, card, strlen(card));
            }
            if (type == BINARY_TBL) {
                long rows = 0;
                int width = 0;
                unsigned char *buf;
                fits_get_num_rows(f, &rows, &st);
                fits_read_key(f, TINT, "NAXIS1", &width, NULL, &st);
                buf = malloc((size_t)width * (size_t)(rows > 0 ? rows : 1));
                assert_non_null(buf);
                fits_read_tblbytes(f, 1, 1, (LONGLONG)width * rows, buf,
                                   &st);
                h = fnv(h, buf, (size_t)width * (size_t)rows);
                free(buf);
            }
        }
        fits_close_file(f, &st);
        assert_int_equal(st, 0);
    }
    return h;
}

/* Without the factor options a store is what offbkg wrote before them:
 * the digest of every file's content was taken with the offbkg before
 * the rate factors (commit 5ad753b). A change of the default output must
 * change this digest on purpose. */
static void test_simulate_defaults_unchanged(void **unused)
{
    static const char *files[] = {
        "obs-index.fits.gz", "hdu-index.fits.gz", "truth.txt",
        "data/run_000001.fits.gz", "data/run_000002.fits",
        "data/run_000003.fits.gz", "data/run_000004.fits",
        "data/run_000005.fits.gz",
    };
    offbkg_ctx_t *ctx = quiet_ctx();
    offbkg_sim_params_t p;
    char dir[PATH_MAX], path[PATH_MAX + 64];
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    (void)unused;

    make_tmpdir(dir, sizeof dir);
    small_store_params(&p);
    p.zenith_scaling = true;
    assert_int_equal(offbkg_sim_write(ctx, &p, dir, false, NULL), OFFBKG_OK);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        h = content_digest(h, path);
    }
    if (h != UINT64_C(0xddc49fc62833cbc3))
        fail_msg("digest of the default store: 0x%016llx",
                 (unsigned long long)h);
    rm_tree(dir);
    offbkg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulate_rate_values),
        cmocka_unit_test(test_simulate_params_check),
        cmocka_unit_test(test_simulate_expected_2d_vs_simpson),
        cmocka_unit_test(test_simulate_expected_3d_vs_simpson),
        cmocka_unit_test(test_simulate_expected_floor_closed_form),
        cmocka_unit_test(test_simulate_expected_consistency),
        cmocka_unit_test(test_simulate_rng_streams),
        cmocka_unit_test(test_simulate_poisson),
        cmocka_unit_test(test_simulate_plan_pointings),
        cmocka_unit_test(test_simulate_counts_are_poisson),
        cmocka_unit_test(test_simulate_fov_distribution),
        cmocka_unit_test(test_simulate_draws_in_corners),
        cmocka_unit_test(test_simulate_store_files),
        cmocka_unit_test(test_simulate_reproducible),
        cmocka_unit_test(test_simulate_rate_factor_plan),
        cmocka_unit_test(test_simulate_run_scatter_spread),
        cmocka_unit_test(test_simulate_rate_factor_store),
        cmocka_unit_test(test_simulate_defaults_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
