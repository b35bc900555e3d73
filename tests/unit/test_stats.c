/* SPDX-License-Identifier: BSD-3-Clause
 * The statistics of offbkg validate (core/stats.c): incomplete gamma
 * and Poisson probabilities against reference values (computed once
 * with mpmath 1.3 at 40 digits: gammainc(a, 0, x, regularized=True)
 * or, for a >= 1e8, quad of the gamma density,
 * n log mu - mu - loggamma(n + 1), and Li & Ma's eq. 17 written out);
 * the deviance, significances, run-wise systematic, Gaussian moments
 * and outliers on draws with the simulator's random numbers, with
 * tolerances a wrong formula exceeds. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "sim-private.h"
#include "stats-private.h"

static void assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want,
                 rel);
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* ---- Incomplete gamma, Poisson, chi-square ------------------------------ */

static void test_gamma_pq(void **unused)
{
    /* a, x, P(a, x), Q(a, x) */
    static const double ref[][4] = {
        { 0.5, 0.1, 3.4527915398142298e-1, 6.5472084601857702e-1 },
        { 0.5, 2.0, 9.5449973610364159e-1, 4.5500263896358414e-2 },
        { 1, 0.001, 9.9950016662500835e-4, 9.9900049983337499e-1 },
        { 1, 30, 9.9999999999990642e-1, 9.3576229688401746e-14 },
        { 2.5, 1.0, 1.5085496391539036e-1, 8.4914503608460964e-1 },
        { 3, 10, 9.9723060428448842e-1, 2.7693957155115759e-3 },
        { 10, 9.5, 4.7817397776279259e-1, 5.2182602223720741e-1 },
        { 10, 30, 9.9999287824913718e-1, 7.1217508628155771e-6 },
        { 50, 40, 7.0335066659394954e-2, 9.2966493334060505e-1 },
        { 50, 70, 9.9485949754149411e-1, 5.1405024585058939e-3 },
        { 100, 100, 5.1329879827914866e-1, 4.8670120172085134e-1 },
        { 100, 140, 9.9983894282528744e-1, 1.6105717471255586e-4 },
        { 1000, 1000, 5.0420524418021551e-1, 4.9579475581978449e-1 },
        { 1000, 900, 5.4990226571178292e-4, 9.9945009773428822e-1 },
        { 1000, 1150, 9.9999712622393961e-1, 2.8737760603923576e-6 },
        { 1e5, 1e5, 5.0042052211036518e-1, 4.9957947788963482e-1 },
        { 1e5, 1.01e5, 9.9919157848707441e-1, 8.0842151292559073e-4 },
        { 20, 1e-05, 4.1102784776168768e-119, 1.0 },
        { 7.5, 200, 1.0, 6.917357319112347e-76 },
        { 16000, 16500, 9.9995480439438536e-1, 4.5195605614641589e-5 },
        { 0.5, 700, 1.0, 2.1010145162642175e-306 },
        /* by the series and fraction up to 1e9, Temme's expansion above
         * (references by mpmath quad of the gamma density) */
        { 1e8, 1e8, 5.0001329807601412e-1, 4.9998670192398588e-1 },
        { 1e8, 99970000, 1.3487164491615506e-3, 9.9865128355083845e-1 },
        { 1e10, 10000100000, 8.4134474607257577e-1, 1.5865525392742423e-1 },
        { 1e12, 999999000000, 1.5865525393141672e-1, 8.4134474606858328e-1 },
        { 1e12, 1000003000000, 9.986500901500831e-1, 1.3499098499169015e-3 },
        { 1e15, 1e15, 5.0000000420522087e-1, 4.9999999579477913e-1 },
    };
    (void)unused;

    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        double p = offbkg_stats_gamma_p(ref[i][0], ref[i][1]);
        double q = offbkg_stats_gamma_q(ref[i][0], ref[i][1]);
        print_message("# a %g x %g: P %.17g Q %.17g\n", ref[i][0], ref[i][1],
                      p, q);
        assert_rel(p, ref[i][2], 1e-12);
        assert_rel(q, ref[i][3], 1e-12);
    }
}

static void test_gamma_edges(void **unused)
{
    (void)unused;
    assert_true(offbkg_stats_gamma_p(2, 0) == 0);
    assert_true(offbkg_stats_gamma_q(2, 0) == 1);
    assert_true(offbkg_stats_gamma_p(2, -1) == 0);
    assert_true(offbkg_stats_gamma_p(2, INFINITY) == 1);
    assert_true(offbkg_stats_gamma_q(2, INFINITY) == 0);
    assert_true(offbkg_stats_gamma_p(0, 1) == 1);
    assert_true(offbkg_stats_gamma_q(-3, 1) == 0);
    assert_true(offbkg_stats_gamma_p(INFINITY, 1) == 0);
    assert_true(offbkg_stats_gamma_p(NAN, 1) == 0);
    assert_true(offbkg_stats_gamma_q(1, NAN) == 1);
    /* far tails underflow to 0, never to NaN */
    assert_true(offbkg_stats_gamma_q(1, 1e300) == 0);
    assert_true(offbkg_stats_gamma_p(1e6, 1) == 0);
    /* continuous across the switch between series and fraction at
     * x = a + 1 */
    for (double a = 0.5; a < 2000; a *= 3) {
        double lo = offbkg_stats_gamma_q(a, nextafter(a + 1, 0));
        double hi = offbkg_stats_gamma_q(a, a + 1);
        assert_rel(hi, lo, 1e-12);
    }
}

static void test_poisson_log_pmf(void **unused)
{
    static const double ref[][3] = {
        { 0.0, 3.5, -3.5 },
        { 1.0, 0.001, -6.908755278982137 },
        { 5.0, 5.0, -1.7403021806115441 },
        { 100.0, 120.0, -4.9902012773588907 },
        { 10000.0, 10200.0, -7.4978440907289644 },
        { 1000000.0, 1001000.0, -8.3263608119869763 },
        { 3.0, 1e-200, -1383.3428152656555 },
        { 100000.0, 3.0, -941440.9930323109 },
    };
    (void)unused;

    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        assert_rel(offbkg_stats_poisson_log_pmf(ref[i][0], ref[i][1]),
                   ref[i][2], 1e-13);
    assert_true(offbkg_stats_poisson_log_pmf(0, 0) == 0);
    assert_true(offbkg_stats_poisson_log_pmf(2, 0) == -DBL_MAX);
    assert_true(offbkg_stats_poisson_log_pmf(-1, 2) == -DBL_MAX);
    assert_true(offbkg_stats_poisson_log_pmf(1, NAN) == -DBL_MAX);
    assert_true(offbkg_stats_poisson_log_pmf(INFINITY, 1) == -DBL_MAX);
}

/* The CDF and survival against sums of the pmf, in the body and the far
 * tails, and their edges. */
static void test_poisson_cdf_sf(void **unused)
{
    static const double mus[] = { 0.3, 3.7, 42.0, 900.0 };
    (void)unused;

    for (size_t j = 0; j < sizeof mus / sizeof mus[0]; j++) {
        double mu = mus[j], cdf = 0;
        int k_max = (int)(mu + 12 * sqrt(mu) + 30);
        for (int k = 0; k <= k_max; k++) {
            double sf = 1 - cdf;        /* P(N >= k) */
            cdf += exp(offbkg_stats_poisson_log_pmf(k, mu));
            if (cdf > 1e-290)   /* not among the denormals */
                assert_rel(offbkg_stats_poisson_cdf(k, mu), cdf, 1e-11);
            if (sf > 1e-3)
                assert_rel(offbkg_stats_poisson_sf(k, mu), sf, 1e-11);
        }
        /* the upper tail, where 1 - cdf has lost every digit: a sum of
         * the pmf from k up */
        {
            int k0 = (int)(mu + 10 * sqrt(mu) + 20);
            double tail = 0;
            for (int k = k0 + 400; k >= k0; k--)
                tail += exp(offbkg_stats_poisson_log_pmf(k, mu));
            assert_rel(offbkg_stats_poisson_sf(k0, mu), tail, 1e-11);
        }
    }
    assert_true(offbkg_stats_poisson_cdf(-1, 3) == 0);
    assert_true(offbkg_stats_poisson_cdf(0, 0) == 1);
    assert_true(offbkg_stats_poisson_sf(0, 3) == 1);
    assert_true(offbkg_stats_poisson_sf(2, 0) == 0);
    assert_true(offbkg_stats_poisson_cdf(NAN, 3) == 1);
    assert_true(offbkg_stats_poisson_sf(3, NAN) == 1);
    /* P(N <= 2.7) = P(N <= 2), P(N >= 2.2) = P(N >= 3) */
    assert_true(offbkg_stats_poisson_cdf(2.7, 3) ==
                offbkg_stats_poisson_cdf(2, 3));
    assert_true(offbkg_stats_poisson_sf(2.2, 3) ==
                offbkg_stats_poisson_sf(3, 3));
}

static void test_chi2_sf(void **unused)
{
    (void)unused;
    /* the 5% critical values of the chi-square tables */
    assert_rel(offbkg_stats_chi2_sf(3.841458820694124, 1), 0.05, 1e-12);
    assert_rel(offbkg_stats_chi2_sf(18.307038053275146, 10), 0.05, 1e-12);
    assert_rel(offbkg_stats_chi2_sf(124.34211340400407, 100), 0.05, 1e-12);
    /* two degrees of freedom: exp(-x/2) */
    assert_rel(offbkg_stats_chi2_sf(50, 2), exp(-25), 1e-13);
    assert_true(offbkg_stats_chi2_sf(0, 3) == 1);
    assert_true(offbkg_stats_chi2_sf(5, 0) == 1);
    assert_true(offbkg_stats_chi2_sf(NAN, 3) == 1);
    assert_true(offbkg_stats_chi2_sf(DBL_MAX, 3) == 0);
}

/* ---- Deviance and significance ------------------------------------------ */

static void test_deviance(void **unused)
{
    const double n[] = { 0, 4, 10, 3, 7, NAN };
    const double mu[] = { 2, 4, 5, 0, -1, 3 };
    offbkg_stats_deviance_t d;
    offbkg_rng_t rng;
    enum { CELLS = 3000 };
    static double nn[CELLS], mm[CELLS];
    (void)unused;

    assert_near(offbkg_stats_deviance_cell(0, 2), 4, 1e-15);
    assert_near(offbkg_stats_deviance_cell(4, 4), 0, 1e-15);
    assert_rel(offbkg_stats_deviance_cell(10, 5), 2 * (5 - 10 + 10 * log(2.0)),
               1e-14);
    /* a cell the prediction says is impossible */
    assert_true(offbkg_stats_deviance_cell(3, 0) == DBL_MAX);
    assert_true(offbkg_stats_deviance_cell(0, 0) == 0);
    assert_true(offbkg_stats_deviance_cell(NAN, 2) == 0);

    offbkg_stats_deviance(n, mu, 6, &d);
    assert_int_equal(d.n_cells, 3);
    assert_int_equal(d.n_skipped, 3);
    assert_rel(d.deviance, 4 + 0 + 2 * (5 - 10 + 10 * log(2.0)), 1e-14);
    assert_rel(d.p_value, offbkg_stats_chi2_sf(d.deviance, 3), 1e-15);

    offbkg_stats_deviance(NULL, NULL, 0, &d);
    assert_true(d.n_cells == 0 && d.deviance == 0 && d.p_value == 1);

    /* Right predictions of 50 counts: the deviance is close to its
     * chi-square expectation and the p-value is not small; predictions
     * 10% off are rejected. */
    offbkg_sim_rng_seed(&rng, 7, 0);
    for (size_t i = 0; i < CELLS; i++) {
        mm[i] = 50;
        nn[i] = (double)offbkg_sim_poisson(&rng, 50);
    }
    offbkg_stats_deviance(nn, mm, CELLS, &d);
    print_message("# deviance %g for %d cells, p %g\n", d.deviance, CELLS,
                  d.p_value);
    assert_true(fabs(d.deviance - CELLS) < 4 * sqrt(2.0 * CELLS));
    assert_true(d.p_value > 1e-3);
    for (size_t i = 0; i < CELLS; i++)
        mm[i] = 55;
    offbkg_stats_deviance(nn, mm, CELLS, &d);
    print_message("# 10%% off: deviance %g, p %g\n", d.deviance, d.p_value);
    assert_true(d.p_value < 1e-6);
}

static void test_significance(void **unused)
{
    offbkg_rng_t rng;
    enum { DRAWS = 20000 };
    static double s[DRAWS];
    offbkg_stats_gauss_t g;
    (void)unused;

    assert_rel(offbkg_stats_significance(0, 8), -4, 1e-15);
    assert_true(offbkg_stats_significance(5, 5) == 0);
    assert_rel(offbkg_stats_significance(10, 5),
               sqrt(2 * (10 * log(2.0) - 5)), 1e-14);
    assert_rel(offbkg_stats_significance(2, 5),
               -sqrt(2 * (2 * log(0.4) + 3)), 1e-14);
    /* close to mu, the deviation in units of sqrt(mu), to first order */
    assert_rel(offbkg_stats_significance(1e6 + 1, 1e6), 1e-3, 1e-6);
    {
        double n = 100 + 1e-8;      /* n - 100 is exact */
        assert_rel(offbkg_stats_significance(n, 100), (n - 100) / 10, 1e-9);
    }
    assert_true(offbkg_stats_significance(3, 0) == 0);
    assert_true(offbkg_stats_significance(NAN, 3) == 0);
    assert_true(offbkg_stats_significance(3, INFINITY) == 0);

    /* Poisson draws of mean 200: significances of mean ~0, width ~1 (the
     * Poisson skew leaves O(1/sqrt(mu)) offsets; a plain (n - mu) / n
     * error, say, would be far off). */
    offbkg_sim_rng_seed(&rng, 11, 0);
    for (size_t i = 0; i < DRAWS; i++)
        s[i] = offbkg_stats_significance(
            (double)offbkg_sim_poisson(&rng, 200), 200);
    offbkg_stats_gauss_moments(s, DRAWS, &g);
    print_message("# significances: mean %g width %g\n", g.mean, g.width);
    assert_near(g.mean, 0, 0.03);
    assert_near(g.width, 1, 0.02);
}

static void test_significance_var(void **unused)
{
    /* N_on, alpha N_off, alpha^2 N_off, Li & Ma eq. 17 */
    static const double ref[][4] = {
        { 30, 20, 4, 1.8753139714112918 },
        { 10, 20, 4, -2.2977291673562494 },
        { 130, 100, 10, 2.7210044400034817 },
        { 5, 2, 2, 1.1525130314428696 },
    };
    (void)unused;

    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        assert_rel(offbkg_stats_significance_var(ref[i][0], ref[i][1],
                                                 ref[i][2]),
                   ref[i][3], 1e-12);
    /* no prediction error: the known-mu significance, continuously */
    assert_true(offbkg_stats_significance_var(30, 20, 0)
                == offbkg_stats_significance(30, 20));
    assert_rel(offbkg_stats_significance_var(30, 20, 1e-12),
               offbkg_stats_significance(30, 20), 1e-12);
    assert_rel(offbkg_stats_significance_var(30, 20, 1e-300),
               offbkg_stats_significance(30, 20), 1e-15);
    /* more prediction error, less significance */
    {
        double prev = offbkg_stats_significance(30, 20);
        for (double v = 0.5; v < 1e4; v *= 2) {
            double s = offbkg_stats_significance_var(30, 20, v);
            assert_true(s > 0 && s < prev);
            prev = s;
        }
    }
    assert_true(offbkg_stats_significance_var(30, 0, 4) == 0);
    assert_true(offbkg_stats_significance_var(30, 20, -1) == 0);
    assert_true(offbkg_stats_significance_var(30, 20, NAN) == 0);
    assert_true(offbkg_stats_significance_var(20, 20, 4) == 0);
    assert_rel(offbkg_stats_significance_var(0, 20, 4),
               -sqrt(2 * 100 * log(1.2)), 1e-13);
}

/* The significance with the prediction's variance is calibrated when
 * the prediction is alpha times an OFF count: over draws, width 1, where
 * the known-mean significance would be sqrt(1 + alpha) wide. */
static void test_significance_var_calibrated(void **unused)
{
    enum { DRAWS = 20000 };
    static double s_var[DRAWS], s_known[DRAWS];
    const double mu = 100, alpha = 0.5;
    offbkg_rng_t rng;
    offbkg_stats_gauss_t gv, gk;
    (void)unused;

    offbkg_sim_rng_seed(&rng, 12, 0);
    for (size_t i = 0; i < DRAWS; i++) {
        double n = (double)offbkg_sim_poisson(&rng, mu);
        double m = alpha * (double)offbkg_sim_poisson(&rng, mu / alpha);
        s_var[i] = offbkg_stats_significance_var(n, m, alpha * m);
        s_known[i] = offbkg_stats_significance(n, m);
    }
    offbkg_stats_gauss_moments(s_var, DRAWS, &gv);
    offbkg_stats_gauss_moments(s_known, DRAWS, &gk);
    print_message("# with V: mean %g width %g; without: mean %g width %g\n",
                  gv.mean, gv.width, gk.mean, gk.width);
    assert_near(gv.mean, 0, 0.03);
    assert_near(gv.width, 1, 0.02);
    assert_near(gk.width, sqrt(1 + alpha), 0.03);
}

/* ---- Run-wise systematic ------------------------------------------------ */

enum { RUNS = 200 };

/* Runs as validation sees them: each run's true expected counts mu
 * (500 to 5000), its prediction M = alpha * Poisson(mu / alpha) from an
 * OFF sample 1 to 3 times its exposure (1 / alpha) with variance
 * V = alpha M, and its counts N ~ Poisson(F mu), F lognormal of mean 1
 * and relative sigma @p scatter (the simulator's run scatter). */
static void draw_runs(uint64_t seed, double scatter, double *n, double *m,
                      double *v)
{
    offbkg_rng_t rng;
    double s2 = log1p(scatter * scatter);

    offbkg_sim_rng_seed(&rng, seed, 1);
    for (size_t i = 0; i < RUNS; i++) {
        double mu = 500 + 4500 * offbkg_rng_uniform(&rng);
        double alpha = 1.0 / 3 + (2.0 / 3) * offbkg_rng_uniform(&rng);
        double f = exp(sqrt(s2) * offbkg_sim_normal(&rng) - 0.5 * s2);
        m[i] = alpha * (double)offbkg_sim_poisson(&rng, mu / alpha);
        v[i] = alpha * m[i];
        n[i] = (double)offbkg_sim_poisson(&rng, f * mu);
    }
}

static void test_sys_no_scatter(void **unused)
{
    double n[RUNS], m[RUNS], v[RUNS];
    offbkg_stats_sys_t s;
    (void)unused;

    draw_runs(1, 0, n, m, v);
    offbkg_stats_sys(n, m, v, RUNS, &s);
    print_message("# no scatter: sigma_sys %g [%g, %g], moment %g, "
                  "mean %g +- %g\n", s.sigma_sys, s.sigma_sys_lo,
                  s.sigma_sys_hi, s.sigma_sys_moment, s.mean, s.mean_err);
    assert_int_equal(s.n_runs, RUNS);
    /* consistent with 0 within two of its errors, and a tight limit
     * (ignoring the predictions' variance would give about 2%) */
    assert_true(s.sigma_sys < 2 * 0.5 * (s.sigma_sys_hi - s.sigma_sys_lo)
                || s.sigma_sys_lo == 0);
    assert_true(s.sigma_sys_hi < 0.012);
    assert_true(s.sigma_sys_moment < 0.012);
    assert_near(s.mean, 1, 3 * s.mean_err);
    assert_near(s.ratio, 1, 0.01);
}

static void test_sys_scatter(void **unused)
{
    double n[RUNS], m[RUNS], v[RUNS], err;
    offbkg_stats_sys_t s;
    (void)unused;

    draw_runs(2, 0.05, n, m, v);
    offbkg_stats_sys(n, m, v, RUNS, &s);
    err = 0.5 * (s.sigma_sys_hi - s.sigma_sys_lo);
    print_message("# 5%% scatter: sigma_sys %g [%g, %g], moment %g\n",
                  s.sigma_sys, s.sigma_sys_lo, s.sigma_sys_hi,
                  s.sigma_sys_moment);
    assert_true(s.sigma_sys_lo < s.sigma_sys && s.sigma_sys < s.sigma_sys_hi);
    /* 5% within two of its errors; the error itself about
     * sigma / sqrt(2 n) inflated by the Poisson part */
    assert_near(s.sigma_sys, 0.05, 2 * err);
    assert_true(err > 0.002 && err < 0.006);
    assert_near(s.sigma_sys_moment, 0.05, 3 * err);
}

/* The interval means what it says: over 100 sets of 200 runs, the
 * injected scatter is inside the 68% interval in 68% of them (binomial
 * error 4.7%), and at no scatter, on the boundary, in about 84% (half
 * the sets have sigma_sys = 0, and the rest a chi-square 1 test). */
static void test_sys_coverage(void **unused)
{
    double n[RUNS], m[RUNS], v[RUNS], mean_sigma = 0;
    int in5 = 0, in0 = 0;
    enum { SETS = 100 };
    (void)unused;

    for (uint64_t k = 0; k < SETS; k++) {
        offbkg_stats_sys_t s;
        draw_runs(1000 + k, 0.05, n, m, v);
        offbkg_stats_sys(n, m, v, RUNS, &s);
        in5 += s.sigma_sys_lo <= 0.05 && 0.05 <= s.sigma_sys_hi;
        mean_sigma += s.sigma_sys / SETS;
        draw_runs(5000 + k, 0, n, m, v);
        offbkg_stats_sys(n, m, v, RUNS, &s);
        in0 += s.sigma_sys_lo == 0;
    }
    print_message("# coverage: 5%% in %d of %d, 0 in %d of %d; mean "
                  "sigma_sys %g\n", in5, SETS, in0, SETS, mean_sigma);
    assert_true(in5 >= 55 && in5 <= 81);
    assert_true(in0 >= 72 && in0 <= 95);
    assert_near(mean_sigma, 0.05, 0.001);
}

/* A run with 30% more counts than predicted, among 200 with a 5%
 * scatter, is the one outlier at 4 total errors; without the systematic
 * in the error, dozens would be. */
static void test_outlier_in_set(void **unused)
{
    double n[RUNS], m[RUNS], v[RUNS];
    offbkg_stats_sys_t s;
    int flagged = 0, flagged_poisson = 0;
    (void)unused;

    draw_runs(3, 0.05, n, m, v);
    n[17] = 1.3 * m[17];
    offbkg_stats_sys(n, m, v, RUNS, &s);
    for (size_t i = 0; i < RUNS; i++) {
        bool out = offbkg_stats_outlier(n[i], m[i], v[i], s.mean,
                                        s.sigma_sys, 4);
        flagged += out;
        flagged_poisson += offbkg_stats_outlier(n[i], m[i], v[i], s.mean, 0,
                                                4);
        if (out)
            assert_int_equal(i, 17);
    }
    print_message("# outliers: %d, %d without sigma_sys %g\n", flagged,
                  flagged_poisson, s.sigma_sys);
    assert_int_equal(flagged, 1);
    assert_true(flagged_poisson > 10);
}

static void test_sys_edges(void **unused)
{
    const double n[] = { 100, 120, NAN, 5, 90 };
    const double m[] = { 100, 100, 100, 0, 100 };
    const double v[] = { 0, 0, 0, 0, -1 };
    const double same[] = { 100, 100, 100 };
    offbkg_stats_sys_t s;
    (void)unused;

    /* runs 2 (NaN), 3 (no prediction) and 4 (negative variance) are
     * skipped */
    offbkg_stats_sys(n, m, v, 5, &s);
    assert_int_equal(s.n_runs, 2);
    assert_int_equal(s.n_skipped, 3);
    assert_rel(s.ratio, 1.1, 1e-15);
    assert_rel(s.var_ratio, 0.02, 1e-13);
    assert_rel(s.var_poisson, 1.1 / 100, 1e-13);
    assert_rel(s.sigma_sys_moment, sqrt(0.02 - 0.011), 1e-12);
    assert_true(s.sigma_sys > 0 && s.sigma_sys_hi > s.sigma_sys);

    /* one run: its ratio, no systematic */
    offbkg_stats_sys(n, m, NULL, 1, &s);
    assert_int_equal(s.n_runs, 1);
    assert_true(s.mean == 1 && s.sigma_sys == 0 && s.sigma_sys_hi == 0);
    assert_rel(s.mean_err, 0.1, 1e-15);

    offbkg_stats_sys(NULL, NULL, NULL, 0, &s);
    assert_true(s.n_runs == 0 && s.ratio == 0 && s.mean == 0);

    /* identical ratios: no scatter, a finite upper limit */
    offbkg_stats_sys(same, same, NULL, 3, &s);
    assert_true(s.sigma_sys == 0 && s.sigma_sys_lo == 0);
    assert_true(s.sigma_sys_hi > 0 && s.sigma_sys_hi < 1);

    /* nothing observed: ratios 0, variances at r0 = 1, all finite */
    {
        const double zero[] = { 0, 0, 0 };
        offbkg_stats_sys(zero, same, NULL, 3, &s);
        assert_true(s.ratio == 0 && s.mean == 0 && s.sigma_sys == 0);
        assert_true(isfinite(s.sigma_sys_hi) && isfinite(s.mean_err));
    }
}

static void test_outlier(void **unused)
{
    (void)unused;
    /* 1000 predicted with variance 1000: s^2 = 2e-3; with a 5%
     * systematic the total error is sqrt(4.5e-3) = 0.067 */
    assert_rel(offbkg_stats_ratio_var(1000, 1000, 1), 2e-3, 1e-15);
    assert_rel(offbkg_stats_ratio_pull(1300, 1000, 1000, 1, 0.05),
               0.3 / sqrt(4.5e-3), 1e-13);
    assert_true(offbkg_stats_outlier(1300, 1000, 1000, 1, 0.05, 4));
    assert_false(offbkg_stats_outlier(1300, 1000, 1000, 1, 0.05, 5));
    assert_true(offbkg_stats_outlier(700, 1000, 1000, 1, 0.05, 4));
    /* the same run is no outlier for a model with a 15% systematic */
    assert_false(offbkg_stats_outlier(1300, 1000, 1000, 1, 0.15, 2));
    /* nor against a reference ratio of 1.25 */
    assert_false(offbkg_stats_outlier(1300, 1000, 1000, 1.25, 0.05, 1));
    assert_true(offbkg_stats_ratio_pull(10, 0, 0, 1, 0.05) == 0);
    assert_true(offbkg_stats_ratio_pull(NAN, 10, 0, 1, 0.05) == 0);
    assert_true(offbkg_stats_ratio_pull(10, 10, 0, 0, 0) == 0);
    assert_false(offbkg_stats_outlier(1300, 1000, 1000, 1, 0.05, 0));
    assert_true(offbkg_stats_ratio_var(0, 1, 1) == 0);
}

/* ---- Distribution of significances -------------------------------------- */

static void test_histogram(void **unused)
{
    const double x[] = { -5, -1, -0.5, 0, 0.25, 0.999999999, 1, 3, NAN,
                         INFINITY };
    uint64_t c[4] = { 9, 9, 9, 9 };
    size_t under, over, bad;
    (void)unused;

    offbkg_stats_histogram(x, 10, -1, 1, 4, c, &under, &over, &bad);
    assert_int_equal(c[0], 1);       /* -1 */
    assert_int_equal(c[1], 1);       /* -0.5 */
    assert_int_equal(c[2], 2);       /* 0, 0.25 */
    assert_int_equal(c[3], 1);       /* just below 1 */
    assert_int_equal(under, 1);
    assert_int_equal(over, 2);       /* 1, 3 */
    assert_int_equal(bad, 2);
    offbkg_stats_histogram(x, 10, 1, 1, 4, c, &under, NULL, NULL);
    assert_true(c[0] == 0 && c[3] == 0 && under == 0);
}

/* Draws from Normal(0.3, 1.7): the moments find them within their
 * errors, and the errors are the spread of the estimates over many
 * sets. */
static void test_gauss_moments(void **unused)
{
    enum { N = 100, SETS = 400 };
    double x[N], sm = 0, smm = 0, sw = 0, sww = 0, err_m = 0, err_w = 0;
    offbkg_rng_t rng;
    offbkg_stats_gauss_t g;
    (void)unused;

    offbkg_sim_rng_seed(&rng, 3, 0);
    for (int k = 0; k < SETS; k++) {
        for (int i = 0; i < N; i++)
            x[i] = 0.3 + 1.7 * offbkg_sim_normal(&rng);
        offbkg_stats_gauss_moments(x, N, &g);
        sm += g.mean;
        smm += g.mean * g.mean;
        sw += g.width;
        sww += g.width * g.width;
        err_m += g.mean_err / SETS;
        err_w += g.width_err / SETS;
    }
    sm /= SETS;
    sw /= SETS;
    print_message("# moments: mean %g (spread %g, quoted %g), width %g "
                  "(spread %g, quoted %g)\n", sm, sqrt(smm / SETS - sm * sm),
                  err_m, sw, sqrt(sww / SETS - sw * sw), err_w);
    assert_near(sm, 0.3, 3 * 1.7 / sqrt((double)N * SETS));
    assert_near(sw, 1.7, 0.02);
    assert_rel(sqrt(smm / SETS - sm * sm), err_m, 0.15);
    assert_rel(sqrt(sww / SETS - sw * sw), err_w, 0.15);

    {
        const double one[] = { 2.5, NAN };
        offbkg_stats_gauss_moments(one, 2, &g);
        assert_true(g.n == 1 && g.mean == 2.5 && g.width == 0
                    && g.mean_err == 0);
        offbkg_stats_gauss_moments(NULL, 0, &g);
        assert_true(g.n == 0 && g.mean == 0);
    }
}

/* The binned fit on draws from Normal(0.3, 1.7) in 48 bins of [-6, 6):
 * unbiased, and its errors are the spread of its estimates over many
 * sets. */
static void test_gauss_fit(void **unused)
{
    enum { N = 1000, SETS = 200, BINS = 48 };
    double x[N], sm = 0, smm = 0, sw = 0, sww = 0, err_m = 0, err_w = 0;
    uint64_t c[BINS];
    offbkg_rng_t rng;
    offbkg_stats_gauss_t g;
    (void)unused;

    offbkg_sim_rng_seed(&rng, 4, 0);
    for (int k = 0; k < SETS; k++) {
        size_t under, over;
        for (int i = 0; i < N; i++)
            x[i] = 0.3 + 1.7 * offbkg_sim_normal(&rng);
        offbkg_stats_histogram(x, N, -6, 6, BINS, c, &under, &over, NULL);
        assert_true(offbkg_stats_gauss_fit(c, BINS, -6, 6, &g));
        assert_int_equal(g.n, N - under - over);
        sm += g.mean;
        smm += g.mean * g.mean;
        sw += g.width;
        sww += g.width * g.width;
        err_m += g.mean_err / SETS;
        err_w += g.width_err / SETS;
    }
    sm /= SETS;
    sw /= SETS;
    print_message("# fit: mean %g (spread %g, quoted %g), width %g "
                  "(spread %g, quoted %g)\n", sm, sqrt(smm / SETS - sm * sm),
                  err_m, sw, sqrt(sww / SETS - sw * sw), err_w);
    assert_near(sm, 0.3, 3 * err_m / sqrt((double)SETS));
    assert_near(sw, 1.7, 3 * err_w / sqrt((double)SETS));
    assert_rel(err_m, 1.7 / sqrt((double)N), 0.05);
    assert_rel(sqrt(smm / SETS - sm * sm), err_m, 0.15);
    assert_rel(sqrt(sww / SETS - sw * sw), err_w, 0.15);
}

/* What the fit is for: values beyond the histogram's range (a bright
 * tail) pull the moments but not the fit, and a range cutting into the
 * Gaussian does not narrow it. */
static void test_gauss_fit_range(void **unused)
{
    enum { N = 20000, TAIL = 600, BINS = 25 };
    static double x[N + TAIL];
    uint64_t c[BINS];
    offbkg_rng_t rng;
    offbkg_stats_gauss_t fit, mom;
    (void)unused;

    offbkg_sim_rng_seed(&rng, 5, 0);
    for (int i = 0; i < N; i++)
        x[i] = offbkg_sim_normal(&rng);
    for (int i = N; i < N + TAIL; i++)
        x[i] = 8 + offbkg_sim_normal(&rng);
    offbkg_stats_gauss_moments(x, N + TAIL, &mom);
    offbkg_stats_histogram(x, N + TAIL, -5, 5, BINS, c, NULL, NULL, NULL);
    assert_true(offbkg_stats_gauss_fit(c, BINS, -5, 5, &fit));
    print_message("# tail: moments %g / %g, fit %g +- %g / %g +- %g\n",
                  mom.mean, mom.width, fit.mean, fit.mean_err, fit.width,
                  fit.width_err);
    assert_true(mom.width > 1.3);
    assert_near(fit.mean, 0, 3 * fit.mean_err);
    assert_near(fit.width, 1, 3 * fit.width_err);

    /* only [-1.5, 1.5): the histogram's own spread is about 0.8 */
    offbkg_stats_histogram(x, N, -1.5, 1.5, BINS, c, NULL, NULL, NULL);
    assert_true(offbkg_stats_gauss_fit(c, BINS, -1.5, 1.5, &fit));
    print_message("# truncated: fit %g +- %g / %g +- %g\n", fit.mean,
                  fit.mean_err, fit.width, fit.width_err);
    assert_near(fit.mean, 0, 3 * fit.mean_err);
    assert_near(fit.width, 1, 3 * fit.width_err);
}

static void test_gauss_fit_edges(void **unused)
{
    uint64_t c[4] = { 0, 7, 0, 0 };
    offbkg_stats_gauss_t g;
    (void)unused;

    /* one filled bin: no width to fit */
    assert_false(offbkg_stats_gauss_fit(c, 4, -1, 1, &g));
    assert_true(g.n == 7 && g.mean == 0 && g.width == 0);
    c[1] = 0;
    assert_false(offbkg_stats_gauss_fit(c, 4, -1, 1, &g));
    assert_false(offbkg_stats_gauss_fit(c, 0, -1, 1, &g));
    c[1] = 5;
    c[2] = 5;
    assert_false(offbkg_stats_gauss_fit(c, 4, 1, 1, &g));
    /* two filled bins: the best width is 0, no fit */
    assert_false(offbkg_stats_gauss_fit(c, 4, -1, 1, &g));
    /* three: centred, with a finite width and errors */
    {
        const uint64_t c3[3] = { 5, 10, 5 };
        assert_true(offbkg_stats_gauss_fit(c3, 3, -1.5, 1.5, &g));
        print_message("# three bins: %g +- %g / %g +- %g\n", g.mean,
                      g.mean_err, g.width, g.width_err);
        assert_near(g.mean, 0, 1e-9);
        assert_true(g.width > 0.5 && g.width < 2);
        assert_true(g.width_err > 0 && g.width_err < g.width);
    }
}

/* ---- Edges -------------------------------------------------------------- */

/* No function returns NaN or inf, whatever its input: every
 * combination of awkward values. */
static void test_never_nonfinite(void **unused)
{
    static const double v[] = { -1, 0, 5e-324, 1e-300, 1e-30, 0.3, 1, 3.5,
                                20, 1e6, 1e30, 1e31, 1e300, DBL_MAX,
                                INFINITY, -INFINITY, NAN };
    enum { NV = sizeof v / sizeof v[0] };
    static double n[NV * NV * NV], m[NV * NV * NV], var[NV * NV * NV];
    offbkg_stats_sys_t s;
    offbkg_stats_gauss_t g;
    offbkg_stats_deviance_t d;
    (void)unused;

#define FINITE(expr)                                                      \
    do {                                                                  \
        double r_ = (expr);                                               \
        if (!isfinite(r_))                                                \
            fail_msg("%s = %g for %g, %g, %g", #expr, r_, x, y, z);       \
    } while (0)
    for (size_t i = 0; i < NV; i++)
        for (size_t j = 0; j < NV; j++) {
            double x = v[i], y = v[j], z = 0, p, q;
            p = offbkg_stats_gamma_p(x, y);
            q = offbkg_stats_gamma_q(x, y);
            FINITE(p);
            FINITE(q);
            assert_true(p >= 0 && p <= 1 && q >= 0 && q <= 1);
            FINITE(offbkg_stats_poisson_log_pmf(x, y));
            FINITE(offbkg_stats_poisson_cdf(x, y));
            FINITE(offbkg_stats_poisson_sf(x, y));
            FINITE(offbkg_stats_chi2_sf(x, y));
            FINITE(offbkg_stats_deviance_cell(x, y));
            FINITE(offbkg_stats_significance(x, y));
            for (size_t k = 0; k < NV; k++) {
                size_t r = (i * NV + j) * NV + k;
                z = v[k];
                FINITE(offbkg_stats_significance_var(x, y, z));
                FINITE(offbkg_stats_ratio_var(x, y, z));
                FINITE(offbkg_stats_ratio_pull(x, y, z, 1, 0.05));
                FINITE(offbkg_stats_ratio_pull(x, y, 0, z, 0.05));
                FINITE(offbkg_stats_ratio_pull(x, y, 0, 1, z));
                (void)offbkg_stats_outlier(x, y, z, 1, 0.05, 3);
                n[r] = x;
                m[r] = y;
                var[r] = z;
            }
        }
#undef FINITE
    offbkg_stats_deviance(n, m, NV * NV * NV, &d);
    assert_true(isfinite(d.deviance) && isfinite(d.p_value));
    offbkg_stats_sys(n, m, var, NV * NV * NV, &s);
    print_message("# awkward runs: %zu used, sigma_sys %g [%g, %g]\n",
                  s.n_runs, s.sigma_sys, s.sigma_sys_lo, s.sigma_sys_hi);
    assert_true(s.n_runs > 0);
    assert_true(isfinite(s.ratio) && isfinite(s.mean)
                && isfinite(s.mean_err) && isfinite(s.var_ratio)
                && isfinite(s.var_poisson) && isfinite(s.sigma_sys_moment)
                && isfinite(s.sigma_sys) && isfinite(s.sigma_sys_lo)
                && isfinite(s.sigma_sys_hi));
    offbkg_stats_gauss_moments(v, NV, &g);
    assert_true(isfinite(g.mean) && isfinite(g.width)
                && isfinite(g.mean_err) && isfinite(g.width_err));
    {
        const uint64_t c[] = { UINT64_MAX, 1, UINT64_MAX, 0, 3 };
        (void)offbkg_stats_gauss_fit(c, 5, -1, 1, &g);
        assert_true(isfinite(g.mean) && isfinite(g.width)
                    && isfinite(g.mean_err) && isfinite(g.width_err));
        assert_false(offbkg_stats_gauss_fit(c, 5, -DBL_MAX, DBL_MAX, &g));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gamma_pq),
        cmocka_unit_test(test_gamma_edges),
        cmocka_unit_test(test_poisson_log_pmf),
        cmocka_unit_test(test_poisson_cdf_sf),
        cmocka_unit_test(test_chi2_sf),
        cmocka_unit_test(test_deviance),
        cmocka_unit_test(test_significance),
        cmocka_unit_test(test_significance_var),
        cmocka_unit_test(test_significance_var_calibrated),
        cmocka_unit_test(test_sys_no_scatter),
        cmocka_unit_test(test_sys_scatter),
        cmocka_unit_test(test_sys_coverage),
        cmocka_unit_test(test_outlier_in_set),
        cmocka_unit_test(test_sys_edges),
        cmocka_unit_test(test_outlier),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_gauss_moments),
        cmocka_unit_test(test_gauss_fit),
        cmocka_unit_test(test_gauss_fit_range),
        cmocka_unit_test(test_gauss_fit_edges),
        cmocka_unit_test(test_never_nonfinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
