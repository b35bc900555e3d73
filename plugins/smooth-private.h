/* SPDX-License-Identifier: BSD-3-Clause
 * Helpers shared by the smoother plugins (smooth_gauss1d, smooth_k5a,
 * smooth_gauss2d). Static inline, compiled into each module; not
 * installed. They only read the cube and report through host->error. */
#ifndef OFFBKG_PLUGINS_SMOOTH_PRIVATE_H
#define OFFBKG_PLUGINS_SMOOTH_PRIVATE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <offbkg/plugin.h>

/** A cube as the smoothers see it: n_e energy slices (2D: rows) of
 *  n1 x n2 cells each (n2 = 1 for a 2D cube), m = n1 * n2 cells a slice.
 *  Slice e holds the cells [e * m, (e + 1) * m). */
typedef struct smooth_shape {
    size_t n_e, n1, n2, m;
} smooth_shape_t;

/** Index @p j of an axis of @p n bins extended by half-sample symmetric
 *  reflection, scipy.ndimage's mode 'reflect': ... c b a | a b c | c b a
 *  ..., period 2n, so it holds however far j lies outside [0, n). */
static inline size_t smooth_reflect(ptrdiff_t j, size_t n)
{
    ptrdiff_t p = 2 * (ptrdiff_t)n;
    ptrdiff_t r = j % p;

    if (r < 0)
        r += p;
    return (size_t)(r < (ptrdiff_t)n ? r : p - 1 - r);
}

/** Check what every smoother relies on, whatever the cube's source: 2 or
 *  3 axes of finite, strictly increasing edges, n_cells matching them,
 *  and per cell a finite rate >= 0, a finite rate_err >= 0, a finite
 *  count >= 0 and a finite solid angle > 0. Fills @p shape. Returns
 *  OFFBKG_OK or an error through @p host. */
static inline int smooth_check_cube(const offbkg_host_t *host,
                                    const offbkg_cube_t *c,
                                    smooth_shape_t *shape)
{
    size_t n_cells = 1;

    if (c == NULL)
        return host->error(host, OFFBKG_EINVAL, "no cube to smooth");
    if (c->n_axes != 2 && c->n_axes != 3)
        return host->error(host, OFFBKG_EDATA,
                           "the cube has %zu axes; a model cube has 2 "
                           "(energy, offset) or 3 (energy, DETX, DETY)",
                           c->n_axes);
    for (size_t k = 0; k < c->n_axes; k++) {
        const offbkg_axis_t *a = &c->axes[k];
        if (a->n_bins == 0 || a->edges == NULL)
            return host->error(host, OFFBKG_EDATA, "cube axis %zu (%.16s) "
                               "has no bins", k, a->name);
        for (size_t i = 0; i <= a->n_bins; i++)
            if (!isfinite(a->edges[i])
                || (i > 0 && !(a->edges[i] > a->edges[i - 1])))
                return host->error(host, OFFBKG_EDATA,
                                   "cube axis %zu (%.16s): edge %zu is not "
                                   "finite and above the one before", k,
                                   a->name, i);
        if (n_cells > SIZE_MAX / a->n_bins)
            return host->error(host, OFFBKG_EDATA, "cube too large");
        n_cells *= a->n_bins;
    }
    if (c->n_cells != n_cells)
        return host->error(host, OFFBKG_EDATA, "the cube has %zu cells, its "
                           "axes make %zu", c->n_cells, n_cells);
    if (c->rate == NULL || c->rate_err == NULL || c->counts == NULL
        || c->solid_angle_sr == NULL)
        return host->error(host, OFFBKG_EDATA, "the cube lacks its rate, "
                           "rate_err, counts or solid_angle_sr array");
    for (size_t i = 0; i < n_cells; i++) {
        if (!(isfinite(c->rate[i]) && c->rate[i] >= 0))
            return host->error(host, OFFBKG_EDATA, "cell %zu: rate %g is "
                               "not finite and >= 0", i, c->rate[i]);
        if (!(isfinite(c->rate_err[i]) && c->rate_err[i] >= 0))
            return host->error(host, OFFBKG_EDATA, "cell %zu: rate_err %g "
                               "is not finite and >= 0", i, c->rate_err[i]);
        if (!(isfinite(c->counts[i]) && c->counts[i] >= 0))
            return host->error(host, OFFBKG_EDATA, "cell %zu: counts %g "
                               "are not finite and >= 0", i, c->counts[i]);
        if (!(isfinite(c->solid_angle_sr[i]) && c->solid_angle_sr[i] > 0))
            return host->error(host, OFFBKG_EDATA, "cell %zu: solid angle "
                               "%g sr is not finite and > 0", i,
                               c->solid_angle_sr[i]);
    }
    shape->n_e = c->axes[0].n_bins;
    shape->n1 = c->axes[1].n_bins;
    shape->n2 = c->n_axes == 3 ? c->axes[2].n_bins : 1;
    shape->m = shape->n1 * shape->n2;
    return OFFBKG_OK;
}

/** The integral of @p m cells from @p first: sum of rate x solid angle
 *  (s-1 MeV-1), the quantity the integral-preserving smoothers keep. */
static inline double smooth_integral(const offbkg_cube_t *c, size_t first,
                                     size_t m)
{
    double sum = 0;

    for (size_t i = first; i < first + m; i++)
        sum += c->rate[i] * c->solid_angle_sr[i];
    return sum;
}

/** The largest of @p m values (all >= 0), 0 if none. */
static inline double smooth_max(const double *v, size_t m)
{
    double vmax = 0;

    for (size_t i = 0; i < m; i++)
        if (v[i] > vmax)
            vmax = v[i];
    return vmax;
}

/** Scale the smoothed rate and rate_err of the @p m cells from @p first
 *  so that their integral is @p before again. When that factor is not a
 *  finite positive number (it cannot be for a non-empty slice of
 *  positive solid angles, but no NaN may ever reach the cube), put the
 *  unsmoothed values @p rate0, @p err0 back instead. */
static inline void smooth_rescale(offbkg_cube_t *c, size_t first, size_t m,
                                  double before, const double *rate0,
                                  const double *err0)
{
    double after = smooth_integral(c, first, m);
    double f = before / after;

    if (!(before > 0 && after > 0 && isfinite(f) && f > 0)) {
        for (size_t i = 0; i < m; i++) {
            c->rate[first + i] = rate0[i];
            c->rate_err[first + i] = err0[i];
        }
        return;
    }
    for (size_t i = first; i < first + m; i++) {
        c->rate[i] *= f;
        c->rate_err[i] *= f;
    }
}

#endif
