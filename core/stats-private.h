/* SPDX-License-Identifier: BSD-3-Clause
 * The statistics of offbkg validate (doc/validate.md): Poisson
 * probabilities, deviance and significance of observed counts against a
 * model's prediction, the run-wise systematic of a model, the
 * distribution of the significances, outlier runs.
 *
 * Pure functions: no allocation, no context, no side effect. Counts are
 * doubles (model cubes hold doubles); a count is a whole number >= 0 but
 * any value >= 0 is accepted (the formulas continue to real n). No
 * function returns NaN or inf: each says what it returns at the edges
 * (no counts, no prediction, no input, invalid input). Invalid input
 * includes, besides negative and non-finite values, counts and
 * predictions above 1e30, variances above 1e60 and, for the run
 * functions, predictions below 1e-30 (beyond any data; within, no sum
 * or square can overflow); significances beyond 1e150 in magnitude. */
#ifndef OFFBKG_STATS_PRIVATE_H
#define OFFBKG_STATS_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Poisson ---------------------------------------------------------- */

/** ln P(n; mu) = n ln mu - mu - ln n!, for n >= 0, mu >= 0 (Loader's
 *  saddle-point form: accurate where n ln mu and ln n! are large and
 *  nearly cancel). mu = 0: 0 for n = 0, else -DBL_MAX (the probability
 *  is 0; -DBL_MAX stands for ln 0). Invalid input (negative or
 *  non-finite n or mu): -DBL_MAX. */
double offbkg_stats_poisson_log_pmf(double n, double mu);

/** The regularized lower incomplete gamma function
 *  P(a, x) = gamma(a, x) / Gamma(a), for a > 0, x >= 0: a power series
 *  for x < a + 1, else 1 - Q from the continued fraction; Temme's
 *  uniform expansion above a = 1e9. About 1e-13 relative for
 *  0.5 <= a <= 1e15 (tests/unit/test_stats.c). In [0, 1]:
 *  x <= 0 gives 0, x = +inf gives 1; a <= 0 with x > 0 gives 1 (the
 *  limit a -> 0); a NaN argument gives 0. */
double offbkg_stats_gamma_p(double a, double x);

/** Q(a, x) = 1 - P(a, x), computed directly where it is the small one
 *  (x >= a + 1: Legendre's continued fraction by the modified Lentz
 *  method), so a tail probability keeps its relative accuracy down to
 *  the smallest doubles. Edges as P's: x <= 0 gives 1, a NaN argument
 *  gives 1. */
double offbkg_stats_gamma_q(double a, double x);

/** P(N <= n) for N Poisson of mean mu: Q(floor(n) + 1, mu). n < 0 gives
 *  0; mu <= 0 gives 1 (N = 0 surely) for n >= 0. NaN input gives 1. */
double offbkg_stats_poisson_cdf(double n, double mu);

/** P(N >= n) for N Poisson of mean mu: P(ceil(n), mu); 1 for n <= 0;
 *  0 for n > 0 and mu <= 0. NaN input gives 1. */
double offbkg_stats_poisson_sf(double n, double mu);

/** P(X >= chi2) for X chi-square with @p ndf degrees of freedom:
 *  Q(ndf / 2, chi2 / 2). 1 for chi2 <= 0, ndf <= 0 or NaN input. */
double offbkg_stats_chi2_sf(double chi2, double ndf);

/* ---- Cells: deviance and significance --------------------------------- */

/** The Poisson deviance of one cell: 2 (mu - n + n ln(n / mu)), >= 0;
 *  2 mu for n = 0. mu <= 0: 0 for n = 0, DBL_MAX for n > 0 (the cell is
 *  impossible under the model). Invalid input: 0. */
double offbkg_stats_deviance_cell(double n, double mu);

/** The deviance of a set of cells and its p-value. */
typedef struct offbkg_stats_deviance {
    double deviance;    /**< 2 sum (mu - n + n ln(n / mu)) over the cells
                             used; 0 if none */
    size_t n_cells;     /**< cells used: n >= 0 and mu > 0, both finite */
    size_t n_skipped;   /**< the others (mu <= 0, negative or non-finite
                             values): never counted as zero */
    double p_value;     /**< chi2_sf(deviance, n_cells): the
                             probability of a deviance at least this
                             large if the prediction is right; 1 if no
                             cell is used. Asymptotic: see
                             doc/validate.md for its limit at small mu */
} offbkg_stats_deviance_t;

/** The deviance of @p n_cells observed counts @p n against predictions
 *  @p mu (either may be NULL only with n_cells = 0). */
void offbkg_stats_deviance(const double *n, const double *mu,
                           size_t n_cells, offbkg_stats_deviance_t *out);

/** The signed significance of @p n counts against a known mean @p mu:
 *  sign(n - mu) sqrt(2 (n ln(n / mu) - (n - mu))); -sqrt(2 mu) for n = 0
 *  (the likelihood-ratio significance; doc/validate.md §2). 0 for
 *  mu <= 0 (no prediction: the caller leaves such cells out) and for
 *  invalid input. */
double offbkg_stats_significance(double n, double mu);

/** The signed significance of @p n counts against a prediction @p mu
 *  that has its own variance @p var_mu >= 0: Li & Ma's eq. 17 with the
 *  prediction taken as alpha N_off, alpha = var_mu / mu, N_off =
 *  mu^2 / var_mu (doc/validate.md §2 says why and its limits). Equals
 *  offbkg_stats_significance for var_mu = 0; smaller in magnitude as
 *  var_mu grows. 0 for mu <= 0 and for invalid input; a negative or
 *  non-finite var_mu is invalid. */
double offbkg_stats_significance_var(double n, double mu, double var_mu);

/* ---- Run-wise systematic ---------------------------------------------- */

/** The variance of the ratio r = N / M of a run's observed counts to its
 *  prediction M (of variance @p var_m) if the true ratio is @p r0:
 *  r0 / M (Poisson) + r0^2 var_m / M^2 (prediction), to first order.
 *  0 for M <= 0 or invalid input. */
double offbkg_stats_ratio_var(double m, double var_m, double r0);

/** The run-wise systematic of a model over a set of runs. */
typedef struct offbkg_stats_sys {
    size_t n_runs;      /**< runs used: N >= 0, M > 0, V >= 0, finite */
    size_t n_skipped;   /**< the others */
    double ratio;       /**< pooled ratio sum N / sum M; 0 if no run */
    double mean;        /**< the ratios' mean under the model below, at
                             sigma_sys (weighted by 1 / (s_i^2 +
                             sigma_sys^2)) */
    double mean_err;    /**< its standard error */
    double var_ratio;   /**< sample variance of the ratios (n - 1) */
    double var_poisson; /**< mean of s_i^2, the Poisson + prediction
                             variances at r0 = ratio */
    double sigma_sys_moment; /**< sqrt(max(0, var_ratio - var_poisson)):
                                  the plain moment estimate */
    double sigma_sys;   /**< the REML estimate of sigma_sys (below) */
    double sigma_sys_lo;/**< 68% profile-likelihood interval: where
                             -2 ln L rises by 1 from its minimum; lo is
                             0 when sigma_sys = 0 is inside */
    double sigma_sys_hi;
} offbkg_stats_sys_t;

/** The excess scatter of the ratios r_i = n_i / m_i of @p n_runs runs
 *  beyond their Poisson and prediction variances s_i^2 =
 *  offbkg_stats_ratio_var(m_i, var_m_i, ratio): the model is
 *  r_i ~ Normal(mu, s_i^2 + sigma_sys^2), sigma_sys estimated by
 *  restricted maximum likelihood (mu integrated out) with its profile
 *  likelihood interval (doc/validate.md §3 says why). @p var_m may be
 *  NULL (predictions without error). Fewer than 2 runs used: every
 *  estimate 0 (and mean, mean_err those of the one run if there is
 *  one): the caller checks n_runs. */
void offbkg_stats_sys(const double *n, const double *m, const double *var_m,
                      size_t n_runs, offbkg_stats_sys_t *out);

/** A run's pull: (n / m - r_ref) / sqrt(s^2 + sigma_sys^2) with
 *  s^2 = offbkg_stats_ratio_var(m, var_m, r_ref), the run's deviation
 *  from the reference ratio @p r_ref (1, or the mean of
 *  offbkg_stats_sys) in units of its total error. 0 for m <= 0, a zero
 *  total error or invalid input. */
double offbkg_stats_ratio_pull(double n, double m, double var_m,
                               double r_ref, double sigma_sys);

/** Whether a run is an outlier: |pull| > @p k (k > 0; false otherwise
 *  and for invalid input). */
bool offbkg_stats_outlier(double n, double m, double var_m, double r_ref,
                          double sigma_sys, double k);

/* ---- Distribution of significances ------------------------------------ */

/** Count @p n values @p x into @p n_bins equal bins of [lo, hi) in
 *  @p counts (zeroed first); values below lo, at or above hi, and
 *  non-finite ones are counted in *n_under, *n_over, *n_bad (each may
 *  be NULL). Nothing is counted if n_bins = 0 or !(lo < hi). */
void offbkg_stats_histogram(const double *x, size_t n, double lo, double hi,
                            size_t n_bins, uint64_t *counts, size_t *n_under,
                            size_t *n_over, size_t *n_bad);

/** A Gaussian's mean and width estimated from values. */
typedef struct offbkg_stats_gauss {
    size_t n;           /**< values used (moments), or the histogram's
                             total (fit) */
    double mean, mean_err;
    double width, width_err;
} offbkg_stats_gauss_t;

/** The mean and width (standard deviation, n - 1) of the values of
 *  @p x that are finite and within +-1e150, with their standard errors
 *  for a Normal parent: width / sqrt(n) and width / sqrt(2 (n - 1))
 *  (doc/validate.md §4).
 *  No value: all 0; one value: its mean, the rest 0. */
void offbkg_stats_gauss_moments(const double *x, size_t n,
                                offbkg_stats_gauss_t *out);

/** A Gaussian fitted to a histogram of @p n_bins equal bins of
 *  [lo, hi) by binned Poisson maximum likelihood: the expected count of
 *  bin k is A times the Normal(mean, width) probability of the bin, A
 *  free, so only the shape within [lo, hi) is fitted and values outside
 *  it (an unexcluded source's tail) do not pull it (doc/validate.md §4).
 *  Solved by Fisher scoring from the histogram's moments; the errors
 *  from the inverse of the expected information at the maximum. out->n
 *  is the histogram's total. False, with the rest of *out 0, if fewer
 *  than 3 bins have counts (with 2, the best width is 0), !(lo < hi),
 *  or the fit does not converge. */
bool offbkg_stats_gauss_fit(const uint64_t *counts, size_t n_bins, double lo,
                            double hi, offbkg_stats_gauss_t *out);

#endif
