/* SPDX-License-Identifier: BSD-3-Clause
 * Bin edges for model axes: generated edges (linear, logarithmic or
 * square-root spacing), checks, and the bin of a value with numpy
 * histogram semantics. Pure functions, safe from any thread. */
#ifndef OFFBKG_BINNING_H
#define OFFBKG_BINNING_H

#include <offbkg/api.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How generated edges are spaced between lo and hi. */
typedef enum offbkg_spacing {
    OFFBKG_SPACING_LIN = 0,  /**< lo + (hi - lo) k / n */
    OFFBKG_SPACING_LOG = 1,  /**< 10^(log10 lo + (log10 hi - log10 lo) k / n),
                                  as numpy.logspace; needs lo > 0 */
    OFFBKG_SPACING_SQRT = 2  /**< sqrt(lo^2 + (hi^2 - lo^2) k / n): rings of
                                  equal flat-sky area, as old gammapy's
                                  sqrt_space; needs lo >= 0 */
} offbkg_spacing_t;

/** Fill @p edges (n_bins + 1 values, caller-allocated) with @p n_bins
 *  bins from @p lo to @p hi spaced by @p spacing. edges[0] is exactly lo
 *  and edges[n_bins] exactly hi.
 *  @return OFFBKG_OK, or OFFBKG_EINVAL (edges untouched) when n_bins is
 *  0, lo or hi is not finite, lo >= hi, lo <= 0 for LOG, lo < 0 for SQRT,
 *  or the edges would not be strictly increasing. */
OFFBKG_API
int offbkg_binning_edges(double lo, double hi, size_t n_bins,
                         offbkg_spacing_t spacing, double *edges);

/** Check that @p edges holds at least 2 finite, strictly increasing
 *  values.
 *  @return OFFBKG_OK or OFFBKG_EINVAL. */
OFFBKG_API
int offbkg_binning_check(const double *edges, size_t n_edges);

/** The bin of @p v among @p n_bins bins with edges @p edges (n_bins + 1,
 *  strictly increasing), with numpy.histogram semantics: bin k holds
 *  edges[k] <= v < edges[k+1], except that the last bin also holds
 *  v == edges[n_bins].
 *  @return the bin index, or -1 for a value outside the edges or NaN. */
OFFBKG_API
ptrdiff_t offbkg_binning_find(const double *edges, size_t n_bins, double v);

#ifdef __cplusplus
}
#endif
#endif
