/* SPDX-License-Identifier: BSD-3-Clause
 * The statistics of offbkg validate (core/stats-private.h; the formulas,
 * their sources and their limits: doc/validate.md). */
#include <config.h>

#include <float.h>
#include <math.h>

#include "stats-private.h"

#define LN_SQRT_2PI 0.91893853320467274178 /* ln sqrt(2 pi) */
#define INV_SQRT_2PI 0.39894228040143267794 /* 1 / sqrt(2 pi) */

/* ---- Poisson ---------------------------------------------------------- */

/* x ln(x / m) - (x - m) >= 0 for x >= 0, m > 0, without the cancellation
 * of its two terms when x is close to m: there, with v = (x - m) /
 * (x + m), ln(x / m) = 2 atanh(v) = 2 (v + v^3/3 + v^5/5 + ...) gives
 * v (x - m) + 2 x (v^3/3 + v^5/5 + ...), each term small against the
 * first (Loader's "bd0"; doc/validate.md §1). */
static double bd0(double x, double m)
{
    if (x == 0)
        return m;
    if (fabs(x - m) < 0.1 * (x + m)) {
        double v = (x - m) / (x + m), v2 = v * v, vk = v * v2;
        double sum = v * (x - m), term;
        for (int j = 1; j < 40; j++) {
            term = 2.0 * x * vk / (2 * j + 1);
            sum += term;
            if (fabs(term) <= 0.5 * DBL_EPSILON * sum)
                break;
            vk *= v2;
        }
        return sum > 0 ? sum : 0;
    }
    {
        double r = x * (log(x) - log(m)) + m - x;
        return r > 0 ? r : 0;
    }
}

/* The error of Stirling's formula for ln Gamma(a + 1), a > 0:
 * ln Gamma(a + 1) - ((a + 1/2) ln a - a + ln sqrt(2 pi)). Its asymptotic
 * series above 15 (error below 1e-17), lgamma below (absolute error a few
 * 1e-15, as small as the result's terms are). */
static double stirling_err(double a)
{
    if (a > 15) {
        double r = 1.0 / a, r2 = r * r;
        return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260
                    - r2 * (1.0 / 1680 - r2 * (1.0 / 1188
                    - r2 * (691.0 / 360360))))));
    }
    return lgamma(a + 1) - (a + 0.5) * log(a) + a - LN_SQRT_2PI;
}

/* ln(x^a e^-x / Gamma(a + 1)) for a > 0, x > 0: the Poisson log
 * probability continued to real a, as -bd0(a, x) - stirling_err(a) -
 * ln sqrt(2 pi a), which keeps its relative accuracy for large a and x
 * where a ln x, x and ln Gamma(a + 1) nearly cancel. */
static double log_dpois(double a, double x)
{
    return -bd0(a, x) - stirling_err(a) - LN_SQRT_2PI - 0.5 * log(a);
}

/* Above this a, P and Q come from Temme's uniform expansion: the series
 * and the continued fraction would need about 9 sqrt(a) terms near
 * x = a. */
#define TEMME_MIN_A 1e9

/* Iterations of the series or the continued fraction (a <= TEMME_MIN_A):
 * a bound well above the 9 sqrt(a) they need near x = a. */
static long max_terms(double a)
{
    return (long)(100 + 30 * sqrt(a));
}

/* P(a, x) for x < a + 1: x^a e^-x / Gamma(a + 1) times
 * sum_k x^k / ((a + 1) ... (a + k)), all terms positive. */
static double gamma_p_series(double a, double x)
{
    double term = 1, sum = 1, ap = a;
    long n = max_terms(a);
    for (long k = 1; k < n; k++) {
        ap += 1;
        term *= x / ap;
        sum += term;
        if (term <= 0.5 * DBL_EPSILON * sum)
            break;
    }
    return exp(log_dpois(a, x)) * sum;
}

/* Q(a, x) for x >= a + 1: a x^a e^-x / Gamma(a + 1) times Legendre's
 * continued fraction 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a -
 * 2 (2 - a) / (x + 5 - a - ...))), evaluated forward by the modified
 * Lentz method (tiny stands in for a zero denominator). */
static double gamma_q_cfrac(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    long n = max_terms(a);
    for (long i = 1; i < n; i++) {
        double an = -i * (i - a), delta;
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        delta = d * c;
        h *= delta;
        if (fabs(delta - 1) <= 0.5 * DBL_EPSILON)
            break;
    }
    return exp(log(a) + log_dpois(a, x)) * h;
}

/* P and Q for large a by Temme's uniform asymptotic expansion (DLMF
 * §8.12), its first term: with lambda = x / a and eta of the
 * sign of lambda - 1 with eta^2 / 2 = lambda - 1 - ln lambda,
 *   Q = erfc(eta sqrt(a / 2)) / 2 + R,  P = erfc(-eta sqrt(a / 2)) / 2 - R
 *   R = exp(-a eta^2 / 2) / sqrt(2 pi a) c0,  c0 = 1 / (lambda - 1) - 1 / eta
 * a eta^2 / 2 being bd0(a, x). The next term is c1 / a smaller (c1(0) =
 * -1/540): 1e-12 relative and better for a > 1e9. Near lambda = 1, c0's
 * two terms cancel, and its series -1/3 + eta/12 - 2 eta^2/135 is used. */
static void gamma_pq_temme(double a, double x, double *p, double *q)
{
    double d = bd0(a, x), s = x < a ? -sqrt(d) : sqrt(d);
    double eta = s * sqrt(2 / a), c0, r;

    c0 = fabs(eta) < 1e-3 ? -1.0 / 3 + eta / 12 - 2 * eta * eta / 135
                          : a / (x - a) - 1 / eta;
    r = exp(-d) * INV_SQRT_2PI / sqrt(a) * c0;
    *q = 0.5 * erfc(s) + r;
    *p = 0.5 * erfc(-s) - r;
    *q = *q < 0 ? 0 : *q > 1 ? 1 : *q;
    *p = *p < 0 ? 0 : *p > 1 ? 1 : *p;
}

/* P and Q together: which is computed directly, which as 1 - the other. */
static void gamma_pq(double a, double x, double *p, double *q)
{
    if (isnan(a) || isnan(x) || !(x > 0)) {
        *p = 0;
        *q = 1;
    } else if (!(a > 0) || x == INFINITY) {
        *p = 1;
        *q = 0;
    } else if (a == INFINITY) {
        *p = 0;
        *q = 1;
    } else if (a > TEMME_MIN_A) {
        gamma_pq_temme(a, x, p, q);
    } else if (x < a + 1) {
        double v = gamma_p_series(a, x);
        *p = v < 1 ? v : 1;
        *q = 1 - *p;
    } else {
        double v = gamma_q_cfrac(a, x);
        *q = v < 1 ? v : 1;
        *p = 1 - *q;
    }
}

double offbkg_stats_gamma_p(double a, double x)
{
    double p, q;
    gamma_pq(a, x, &p, &q);
    return p;
}

double offbkg_stats_gamma_q(double a, double x)
{
    double p, q;
    gamma_pq(a, x, &p, &q);
    return q;
}

double offbkg_stats_poisson_log_pmf(double n, double mu)
{
    if (!(n >= 0) || !(mu >= 0) || !isfinite(n) || !isfinite(mu))
        return -DBL_MAX;
    if (n == 0)
        return -mu;
    if (mu == 0)
        return -DBL_MAX;
    {
        double l = log_dpois(n, mu);
        return l > -DBL_MAX ? l : -DBL_MAX;
    }
}

double offbkg_stats_poisson_cdf(double n, double mu)
{
    if (isnan(n) || isnan(mu))
        return 1;
    if (n < 0)
        return 0;
    if (!(mu > 0))
        return 1;
    return offbkg_stats_gamma_q(floor(n) + 1, mu);
}

double offbkg_stats_poisson_sf(double n, double mu)
{
    if (isnan(n) || isnan(mu) || !(n > 0))
        return 1;
    if (!(mu > 0))
        return 0;
    return offbkg_stats_gamma_p(ceil(n), mu);
}

double offbkg_stats_chi2_sf(double chi2, double ndf)
{
    if (!(chi2 > 0) || !(ndf > 0))
        return 1;
    return offbkg_stats_gamma_q(0.5 * ndf, 0.5 * chi2);
}

/* ---- Cells: deviance and significance --------------------------------- */

/* The largest counts and predictions the cell and run functions take
 * (any real data is far below): beyond, their logarithms, squares and
 * sums could overflow, and such values are treated as invalid. */
#define COUNT_MAX 1e30
#define VAR_MAX 1e60

/* A cell the deviance and the significances can use. */
static bool cell_ok(double n, double mu)
{
    return n >= 0 && n <= COUNT_MAX && mu > 0 && mu <= COUNT_MAX;
}

double offbkg_stats_deviance_cell(double n, double mu)
{
    if (!(n >= 0 && n <= COUNT_MAX) || !(mu >= 0 && mu <= COUNT_MAX))
        return 0;
    if (mu == 0)
        return n == 0 ? 0 : DBL_MAX;
    return 2 * bd0(n, mu);
}

void offbkg_stats_deviance(const double *n, const double *mu,
                           size_t n_cells, offbkg_stats_deviance_t *out)
{
    double d = 0;
    size_t used = 0;

    for (size_t i = 0; i < n_cells; i++) {
        if (!cell_ok(n[i], mu[i]))
            continue;
        d += 2 * bd0(n[i], mu[i]);
        used++;
    }
    out->deviance = isfinite(d) ? d : DBL_MAX;
    out->n_cells = used;
    out->n_skipped = n_cells - used;
    out->p_value = offbkg_stats_chi2_sf(out->deviance, (double)used);
}

double offbkg_stats_significance(double n, double mu)
{
    double s;

    if (!cell_ok(n, mu))
        return 0;
    s = sqrt(2 * bd0(n, mu));
    return n < mu ? -s : s;
}

/* Li & Ma (1983) eq. 17 for N_on = n and an OFF measurement N_off = b
 * with alpha b = mu, written as two Poisson deviances against the
 * profiled means (the maximum-likelihood background under "no excess"):
 *   mu_hat = alpha (n + b) / (1 + alpha) = (mu + alpha n) / (1 + alpha)
 *   b_hat = (n + b) / (1 + alpha)
 *   S^2 = 2 (bd0(n, mu_hat) + bd0(b, b_hat))
 * which is eq. 17 term by term (its two logarithms, less
 * (n - mu_hat) + (b - b_hat) = 0), but stays accurate for b -> inf,
 * where it tends to the known-mu significance. */
double offbkg_stats_significance_var(double n, double mu, double var_mu)
{
    double alpha, b, mu_hat, b_hat, s;

    if (!cell_ok(n, mu) || !(var_mu >= 0 && var_mu <= VAR_MAX))
        return 0;
    alpha = var_mu / mu;
    b = mu / alpha;
    if (var_mu == 0 || !isfinite(b))
        return offbkg_stats_significance(n, mu);
    /* A prediction error so large it says nothing: N_off -> 0, S -> 0. */
    if (!isfinite(alpha) || !(b > 0))
        return 0;
    mu_hat = (mu + alpha * n) / (1 + alpha);
    b_hat = (n + b) / (1 + alpha);
    if (!(mu_hat > 0) || !(b_hat > 0))     /* denormal input underflowed */
        return 0;
    s = sqrt(2 * (bd0(n, mu_hat) + bd0(b, b_hat)));
    return n < mu ? -s : s;
}

/* ---- Run-wise systematic ---------------------------------------------- */

double offbkg_stats_ratio_var(double m, double var_m, double r0)
{
    if (!(m >= 1 / COUNT_MAX && m <= COUNT_MAX)
        || !(var_m >= 0 && var_m <= VAR_MAX)
        || !(r0 >= 0 && r0 <= COUNT_MAX))
        return 0;
    return r0 / m + r0 * r0 * var_m / (m * m);
}

/* The runs as offbkg_stats_sys reads them: the arrays, and the r0 of the
 * ratios' variances. */
typedef struct runs {
    const double *n, *m, *var_m;
    size_t n_runs;
    double r0;
} runs_t;

static bool run_ok(const runs_t *rs, size_t i)
{
    double v = rs->var_m != NULL ? rs->var_m[i] : 0;
    return rs->n[i] >= 0 && rs->n[i] <= COUNT_MAX
           && rs->m[i] >= 1 / COUNT_MAX && rs->m[i] <= COUNT_MAX
           && v >= 0 && v <= VAR_MAX;
}

static double run_s2(const runs_t *rs, size_t i)
{
    return offbkg_stats_ratio_var(rs->m[i],
                                  rs->var_m != NULL ? rs->var_m[i] : 0,
                                  rs->r0);
}

/* The weighted mean of the ratios with weights 1 / (s_i^2 + sigma^2),
 * and the sum of the weights. */
static double weighted_mean(const runs_t *rs, double sigma, double *sum_w)
{
    double sw = 0, swr = 0;
    for (size_t i = 0; i < rs->n_runs; i++) {
        double w;
        if (!run_ok(rs, i))
            continue;
        w = 1 / (run_s2(rs, i) + sigma * sigma);
        sw += w;
        swr += w * rs->n[i] / rs->m[i];
    }
    *sum_w = sw;
    return swr / sw;
}

/* The restricted (REML) log-likelihood of sigma for
 * r_i ~ Normal(mu, v_i), v_i = s_i^2 + sigma^2, mu integrated out:
 *   -1/2 (sum ln v_i + sum (r_i - mu_hat)^2 / v_i + ln sum 1 / v_i)
 * (constants dropped), mu_hat the weighted mean. */
static double reml_loglike(const runs_t *rs, double sigma)
{
    double sw, mu = weighted_mean(rs, sigma, &sw), acc = log(sw);
    for (size_t i = 0; i < rs->n_runs; i++) {
        double v, e;
        if (!run_ok(rs, i))
            continue;
        v = run_s2(rs, i) + sigma * sigma;
        e = rs->n[i] / rs->m[i] - mu;
        acc += log(v) + e * e / v;
    }
    return -0.5 * acc;
}

/* The sigma in [lo, hi] where the log-likelihood crosses @p target,
 * by bisection: l(lo) and l(hi) are on either side of it. */
static double crossing(const runs_t *rs, double lo, double hi, double target)
{
    bool lo_above = reml_loglike(rs, lo) >= target;
    for (int it = 0; it < 200 && hi - lo > 1e-14 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if ((reml_loglike(rs, mid) >= target) == lo_above)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* The REML sigma_sys and its interval. The maximum is searched on
 * [0, 2 range(r)] (no sigma beyond the ratios' range fits them better):
 * a grid of 64 steps finds the highest point, so a second local maximum
 * cannot trap the search, and golden-section search refines it between
 * the grid's neighbours. */
static void reml_fit(const runs_t *rs, double range, double scale,
                     offbkg_stats_sys_t *out)
{
    enum { GRID = 64 };
    const double gr = 0.6180339887498949;
    double top = 2 * range, best = 0, l_best = reml_loglike(rs, 0);
    double a, b, c, d, lc, ld, target, step, hi;

    for (int j = 1; top > 0 && j <= GRID; j++) {
        double s = top * j / GRID, l = reml_loglike(rs, s);
        if (l > l_best) {
            l_best = l;
            best = s;
        }
    }
    if (best > 0) {
        a = best - top / GRID;
        b = best + top / GRID < top ? best + top / GRID : top;
        c = b - gr * (b - a);
        d = a + gr * (b - a);
        lc = reml_loglike(rs, c);
        ld = reml_loglike(rs, d);
        for (int it = 0; it < 200 && b - a > 1e-12 * b; it++) {
            if (lc > ld) {
                b = d;
                d = c;
                ld = lc;
                c = b - gr * (b - a);
                lc = reml_loglike(rs, c);
            } else {
                a = c;
                c = d;
                lc = ld;
                d = a + gr * (b - a);
                ld = reml_loglike(rs, d);
            }
        }
        c = 0.5 * (a + b);
        lc = reml_loglike(rs, c);
        if (lc > l_best) {
            l_best = lc;
            best = c;
        }
    }
    out->sigma_sys = best;

    /* -2 ln L rises by 1: l falls by 1/2. */
    target = l_best - 0.5;
    out->sigma_sys_lo = best > 0 && reml_loglike(rs, 0) < target
                        ? crossing(rs, 0, best, target) : 0;
    step = best > scale ? best : scale;
    hi = best + step;
    for (int it = 0; it < 2000 && reml_loglike(rs, hi) >= target; it++) {
        step *= 2;
        hi = best + step;
    }
    out->sigma_sys_hi = crossing(rs, best, hi, target);
}

/* Why REML with a profile-likelihood interval (doc/validate.md §3): runs
 * differ in length, so their s_i differ by factors of several, and the
 * unweighted moment estimate is ruled by the short runs; the likelihood
 * weights each run by 1 / (s_i^2 + sigma^2). Its interval is asymmetric
 * where it should be and ends at 0 when no scatter is needed (a chi-
 * square error on the moment estimate is symmetric and can go below 0).
 * Restricted rather than plain ML: plain ML biases sigma^2 low by the
 * fitted mean (the 1/n of a variance against 1/(n - 1)). The moment
 * estimate is kept as a cross-check. */
void offbkg_stats_sys(const double *n, const double *m, const double *var_m,
                      size_t n_runs, offbkg_stats_sys_t *out)
{
    runs_t rs = { n, m, var_m, n_runs, 1 };
    double sum_n = 0, sum_m = 0, mean_r = 0, ss = 0, s2_sum = 0;
    double r_min = DBL_MAX, r_max = -DBL_MAX, sw;
    size_t used = 0;

    *out = (offbkg_stats_sys_t){ 0 };
    for (size_t i = 0; i < n_runs; i++) {
        if (!run_ok(&rs, i))
            continue;
        sum_n += n[i];
        sum_m += m[i];
        used++;
    }
    out->n_runs = used;
    out->n_skipped = n_runs - used;
    if (used == 0)
        return;
    out->ratio = sum_n / sum_m;
    /* The variances at the pooled ratio (a global offset of the model
     * changes the Poisson variance with it); at 1 if nothing was seen,
     * where they would all vanish. */
    rs.r0 = out->ratio > 0 ? out->ratio : 1;

    /* Mean and sample variance of the ratios, in two passes. */
    for (size_t i = 0; i < n_runs; i++) {
        double r;
        if (!run_ok(&rs, i))
            continue;
        r = n[i] / m[i];
        mean_r += r;
        s2_sum += run_s2(&rs, i);
        r_min = r < r_min ? r : r_min;
        r_max = r > r_max ? r : r_max;
    }
    mean_r /= (double)used;
    out->var_poisson = s2_sum / (double)used;
    if (used < 2) {
        out->mean = mean_r;
        out->mean_err = sqrt(out->var_poisson);
        return;
    }
    for (size_t i = 0; i < n_runs; i++) {
        double e;
        if (!run_ok(&rs, i))
            continue;
        e = n[i] / m[i] - mean_r;
        ss += e * e;
    }
    out->var_ratio = ss / (double)(used - 1);
    out->sigma_sys_moment = out->var_ratio > out->var_poisson
                            ? sqrt(out->var_ratio - out->var_poisson) : 0;

    reml_fit(&rs, r_max - r_min, sqrt(out->var_poisson), out);
    out->mean = weighted_mean(&rs, out->sigma_sys, &sw);
    out->mean_err = 1 / sqrt(sw);
}

double offbkg_stats_ratio_pull(double n, double m, double var_m,
                               double r_ref, double sigma_sys)
{
    double tot;

    if (!(n >= 0 && n <= COUNT_MAX)
        || !(m >= 1 / COUNT_MAX && m <= COUNT_MAX)
        || !(sigma_sys >= 0 && sigma_sys <= COUNT_MAX)
        || !(fabs(r_ref) <= COUNT_MAX))
        return 0;
    tot = offbkg_stats_ratio_var(m, var_m, r_ref) + sigma_sys * sigma_sys;
    if (!(tot > 0))
        return 0;
    return (n / m - r_ref) / sqrt(tot);
}

bool offbkg_stats_outlier(double n, double m, double var_m, double r_ref,
                          double sigma_sys, double k)
{
    return k > 0
           && fabs(offbkg_stats_ratio_pull(n, m, var_m, r_ref, sigma_sys)) > k;
}

/* ---- Distribution of significances ------------------------------------ */

#define INV_SQRT_2 0.70710678118654752440   /* 1 / sqrt(2) */

void offbkg_stats_histogram(const double *x, size_t n, double lo, double hi,
                            size_t n_bins, uint64_t *counts, size_t *n_under,
                            size_t *n_over, size_t *n_bad)
{
    size_t under = 0, over = 0, bad = 0;
    bool ok = n_bins > 0 && lo < hi && isfinite(hi - lo);

    for (size_t k = 0; k < n_bins; k++)
        counts[k] = 0;
    for (size_t i = 0; ok && i < n; i++) {
        size_t k;
        if (!isfinite(x[i])) {
            bad++;
            continue;
        }
        if (x[i] < lo) {
            under++;
            continue;
        }
        if (x[i] >= hi) {
            over++;
            continue;
        }
        /* Rounding may put a value just below hi into bin n_bins. */
        k = (size_t)((x[i] - lo) / (hi - lo) * (double)n_bins);
        counts[k < n_bins ? k : n_bins - 1]++;
    }
    if (n_under != NULL)
        *n_under = under;
    if (n_over != NULL)
        *n_over = over;
    if (n_bad != NULL)
        *n_bad = bad;
}

/* A value the moments take: its square and the sums stay finite. */
static bool value_ok(double x)
{
    return fabs(x) <= 1e150;
}

void offbkg_stats_gauss_moments(const double *x, size_t n,
                                offbkg_stats_gauss_t *out)
{
    double mean = 0, ss = 0;
    size_t used = 0;

    *out = (offbkg_stats_gauss_t){ 0 };
    for (size_t i = 0; i < n; i++)
        if (value_ok(x[i])) {
            mean += x[i];
            used++;
        }
    out->n = used;
    if (used == 0)
        return;
    mean /= (double)used;
    out->mean = mean;
    if (used < 2)
        return;
    for (size_t i = 0; i < n; i++)
        if (value_ok(x[i]))
            ss += (x[i] - mean) * (x[i] - mean);
    out->width = sqrt(ss / (double)(used - 1));
    out->mean_err = out->width / sqrt((double)used);
    out->width_err = out->width / sqrt(2.0 * (double)(used - 1));
}

/* The Normal(0, 1) probability of [z0, z1], z0 <= z1, from the side
 * where it is a difference of small numbers (no cancellation in the
 * tails). */
static double normal_prob(double z0, double z1)
{
    if (z0 >= 0)
        return 0.5 * (erfc(z0 * INV_SQRT_2) - erfc(z1 * INV_SQRT_2));
    if (z1 <= 0)
        return 0.5 * (erfc(-z1 * INV_SQRT_2) - erfc(-z0 * INV_SQRT_2));
    return 0.5 * (erf(z1 * INV_SQRT_2) - erf(z0 * INV_SQRT_2));
}

static double normal_pdf(double z)
{
    return exp(-0.5 * z * z) * INV_SQRT_2PI;
}

/* The histogram's Poisson log-likelihood at theta = (A, mean, width)
 * (constants dropped); with @p grad and @p info, its gradient and the
 * expected (Fisher) information sum_k dnu_k/dtheta_i dnu_k/dtheta_j /
 * nu_k. A bin the model gives no probability is floored at DBL_MIN, so
 * the log-likelihood stays finite and such a point loses. */
static double gauss_loglike(const uint64_t *counts, size_t n_bins,
                            double lo, double h, const double th[3],
                            double grad[3], double info[3][3])
{
    double ll = 0, a = th[0], mean = th[1], width = th[2];
    double z0 = (lo - mean) / width, f0 = normal_pdf(z0);

    if (grad != NULL)
        for (int i = 0; i < 3; i++) {
            grad[i] = 0;
            for (int j = 0; j < 3; j++)
                info[i][j] = 0;
        }
    for (size_t k = 0; k < n_bins; k++) {
        double z1 = (lo + h * (double)(k + 1) - mean) / width;
        double f1 = normal_pdf(z1), p = normal_prob(z0, z1), nu = a * p;
        double c = (double)counts[k];
        if (nu < DBL_MIN)
            nu = DBL_MIN;
        ll += c * log(nu) - nu;
        if (grad != NULL && a * p >= DBL_MIN) {
            /* d nu / d(A, mean, width) */
            double d[3] = { p, a * (f0 - f1) / width,
                            a * (z0 * f0 - z1 * f1) / width };
            for (int i = 0; i < 3; i++) {
                grad[i] += (c / nu - 1) * d[i];
                for (int j = 0; j < 3; j++)
                    info[i][j] += d[i] * d[j] / nu;
            }
        }
        z0 = z1;
        f0 = f1;
    }
    return ll;
}

/* The inverse of a symmetric 3x3 matrix by cofactors; false if it is
 * not positive definite (then no fit is defined). */
static bool inverse3(double m[3][3], double inv[3][3])
{
    double det;

    inv[0][0] = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    inv[0][1] = m[0][2] * m[2][1] - m[0][1] * m[2][2];
    inv[0][2] = m[0][1] * m[1][2] - m[0][2] * m[1][1];
    inv[1][1] = m[0][0] * m[2][2] - m[0][2] * m[2][0];
    inv[1][2] = m[0][2] * m[1][0] - m[0][0] * m[1][2];
    inv[2][2] = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    inv[1][0] = inv[0][1];
    inv[2][0] = inv[0][2];
    inv[2][1] = inv[1][2];
    det = m[0][0] * inv[0][0] + m[0][1] * inv[1][0] + m[0][2] * inv[2][0];
    if (!(det > 0) || !isfinite(det) || !(m[0][0] > 0)
        || !(inv[2][2] > 0))
        return false;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            inv[i][j] /= det;
    return true;
}

bool offbkg_stats_gauss_fit(const uint64_t *counts, size_t n_bins, double lo,
                            double hi, offbkg_stats_gauss_t *out)
{
    double h, total = 0, sx = 0, sxx = 0, th[3], ll;
    double grad[3], info[3][3], cov[3][3];
    size_t filled = 0;
    bool converged = false;

    *out = (offbkg_stats_gauss_t){ 0 };
    for (size_t k = 0; k < n_bins; k++)
        total += (double)counts[k];
    out->n = (size_t)total;
    if (n_bins == 0 || !(lo < hi) || !isfinite(hi - lo))
        return false;
    h = (hi - lo) / (double)n_bins;
    for (size_t k = 0; k < n_bins; k++) {
        double x = lo + h * ((double)k + 0.5), c = (double)counts[k];
        filled += counts[k] > 0;
        sx += c * x;
        sxx += c * x * x;
    }
    /* Two filled bins are fitted best by a width tending to 0 (a step
     * between them): no fit. */
    if (filled < 3)
        return false;

    /* Start at the histogram's moments (Sheppard's correction for the
     * bin width, at least half a bin wide). */
    th[0] = total;
    th[1] = sx / total;
    th[2] = sxx / total - th[1] * th[1] - h * h / 12;
    th[2] = th[2] > 0.25 * h * h ? sqrt(th[2]) : 0.5 * h;
    ll = gauss_loglike(counts, n_bins, lo, h, th, grad, info);

    /* Fisher scoring: theta += I^-1 grad, halved until the likelihood
     * does not fall and A, width stay positive. */
    for (int it = 0; it < 200 && !converged; it++) {
        double step[3], t = 1;
        bool moved = false;
        if (!inverse3(info, cov))
            return false;
        for (int i = 0; i < 3; i++)
            step[i] = cov[i][0] * grad[0] + cov[i][1] * grad[1]
                      + cov[i][2] * grad[2];
        for (int half = 0; half < 40; half++, t *= 0.5) {
            double tn[3] = { th[0] + t * step[0], th[1] + t * step[1],
                             th[2] + t * step[2] };
            double lln;
            if (!(tn[0] > 0) || !(tn[2] > 0) || !isfinite(tn[1]))
                continue;
            lln = gauss_loglike(counts, n_bins, lo, h, tn, NULL, NULL);
            if (lln >= ll) {
                moved = true;
                converged = fabs(t * step[1]) <= 1e-10 * th[2]
                            && fabs(t * step[2]) <= 1e-10 * th[2]
                            && fabs(t * step[0]) <= 1e-10 * th[0];
                for (int i = 0; i < 3; i++)
                    th[i] = tn[i];
                ll = lln;
                break;
            }
        }
        /* No step of any size gains: at the maximum to rounding. */
        if (!moved)
            converged = true;
        ll = gauss_loglike(counts, n_bins, lo, h, th, grad, info);
    }
    if (!converged || !inverse3(info, cov))
        return false;
    out->mean = th[1];
    out->width = th[2];
    out->mean_err = sqrt(cov[1][1]);
    out->width_err = sqrt(cov[2][2]);
    return true;
}
