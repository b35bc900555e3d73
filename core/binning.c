/* SPDX-License-Identifier: BSD-3-Clause
 * Bin edges for model axes (doc/domain.md §3.1, §3.3, §4.1). */
#include <config.h>

#include <math.h>
#include <stddef.h>

#include <offbkg/binning.h>
#include <offbkg/status.h>

int offbkg_binning_check(const double *edges, size_t n_edges)
{
    if (edges == NULL || n_edges < 2)
        return OFFBKG_EINVAL;
    for (size_t k = 0; k < n_edges; k++) {
        if (!isfinite(edges[k]))
            return OFFBKG_EINVAL;
        if (k > 0 && !(edges[k] > edges[k - 1]))
            return OFFBKG_EINVAL;
    }
    return OFFBKG_OK;
}

/* Edge k of n between a and b, spaced like numpy.linspace. */
static double lin_at(double a, double b, size_t k, size_t n)
{
    return a + (double)k * ((b - a) / (double)n);
}

int offbkg_binning_edges(double lo, double hi, size_t n_bins,
                         offbkg_spacing_t spacing, double *edges)
{
    double a, b;

    if (edges == NULL || n_bins == 0 || !isfinite(lo) || !isfinite(hi)
        || !(lo < hi))
        return OFFBKG_EINVAL;
    switch (spacing) {
    case OFFBKG_SPACING_LIN:
        a = lo;
        b = hi;
        break;
    case OFFBKG_SPACING_LOG:
        if (!(lo > 0))
            return OFFBKG_EINVAL;
        a = log10(lo);
        b = log10(hi);
        break;
    case OFFBKG_SPACING_SQRT:
        if (!(lo >= 0))
            return OFFBKG_EINVAL;
        a = lo * lo;
        b = hi * hi;
        break;
    default:
        return OFFBKG_EINVAL;
    }
    /* Check before writing, so that a refusal leaves edges untouched. */
    for (int pass = 0; pass < 2; pass++) {
        double prev = lo;
        for (size_t k = 1; k <= n_bins; k++) {
            double x = lin_at(a, b, k, n_bins), e;
            if (k == n_bins)
                e = hi;
            else if (spacing == OFFBKG_SPACING_LOG)
                e = pow(10.0, x);
            else if (spacing == OFFBKG_SPACING_SQRT)
                e = sqrt(x);
            else
                e = x;
            if (pass == 0 && !(e > prev && isfinite(e)))
                return OFFBKG_EINVAL;
            if (pass == 1)
                edges[k] = e;
            prev = e;
        }
    }
    edges[0] = lo;
    return OFFBKG_OK;
}

ptrdiff_t offbkg_binning_find(const double *edges, size_t n_bins, double v)
{
    size_t lo = 0, hi = n_bins;

    /* Also false for NaN. */
    if (!(v >= edges[0] && v <= edges[n_bins]))
        return -1;
    if (v == edges[n_bins])
        return (ptrdiff_t)n_bins - 1;
    /* Invariant: edges[lo] <= v < edges[hi]. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (edges[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo;
}
