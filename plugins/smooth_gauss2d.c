/* SPDX-License-Identifier: BSD-3-Clause
 * smooth/gauss2d: a Gaussian of fixed width in degrees, per energy slice,
 * integral preserving. Not in old gammapy.
 *
 * 3D cubes (energy, DETX, DETY): for each output cell c, with bin centres
 * (x_c, y_c),
 *   out[c] = sum_j w_cj rate[j] / sum_j w_cj,
 *   w_cj = sum over the images (x', y') of cell j within R of c of
 *          exp(-((x_c - x')^2 + (y_c - y')^2) / (2 sigma^2)) dx_j dy_j,
 * sigma = sigma_deg, R = radius_sigma x sigma (circular truncation), dx_j
 * and dy_j the bin widths in degrees. The images of a cell are the cell
 * itself and its mirror images across the axis ends, repeated with
 * period 2 x (axis length): half-sample symmetric reflection, as
 * scipy.ndimage's mode 'reflect' on a regular grid, and the same rule on
 * an irregular one. On a regular grid this is a normalised discrete
 * Gaussian convolution sampled at the pixel centres. Dividing by
 * sum_j w_cj keeps a constant slice constant on any grid and at the
 * borders; then the slice is scaled by I(before) / I(after), I = sum of
 * rate x solid angle, so each slice's integral is preserved.
 *
 * 2D cubes (energy, offset): the same in one dimension, along the offset
 * axis, per energy row: w_ij = sum over images t' of bin j within R of
 * exp(-(t_i - t')^2 / (2 sigma^2)) dt_j, in offset degrees, reflecting at
 * both ends of the axis. For an offset axis starting at 0 (the usual
 * one) the reflection at 0 is exact: the radial profile is even in
 * offset. This is a 1D smoothing of the profile in offset, not the
 * radial profile of a 2D Gaussian convolution on the sky; the widths dt_j
 * weigh the unequal (e.g. equal-area, sqrt-spaced) bins. The row integral
 * (rate x solid angle) is preserved as in 3D.
 *
 * rate_err: the result is a linear map out = f W rate, f the rescale
 * factor, so with independent errors err_out[c] = f sqrt(sum_j W_cj^2
 * err[j]^2), W_cj = w_cj / sum_j w_cj. Finite and >= 0 by construction.
 * A slice or row whose rates are all 0 is left as it is. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

#include "smooth-private.h"

/* Distances within R (1 + this) count as within R, so that rounding
 * cannot make a regular grid's kernel asymmetric. */
#define GAUSS2D_EDGE_TOL 1e-9

typedef struct gauss2d_config {
    double sigma_deg;
    double radius_sigma;
} gauss2d_config_t;

typedef struct gauss2d_state {
    const offbkg_host_t *host;
    gauss2d_config_t cfg;
} gauss2d_state_t;

static const offbkg_param_t gauss2d_params[] = {
    { .name = "sigma_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(gauss2d_config_t, sigma_deg),
      .default_value = "0.2", .unit = "deg",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX,
      .min = 0, .max = 5,
      .help = "Gaussian sigma in the field of view (2D: in offset)" },
    { .name = "radius_sigma", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(gauss2d_config_t, radius_sigma),
      .default_value = "3",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX,
      .min = 1, .max = 10,
      .help = "kernel truncation radius, in units of sigma" },
    { 0 }
};

/* For each output bin of an axis, the input bins whose images lie within
 * R: entries start[i] .. start[i + 1] - 1 of idx (input bin) and d
 * (output centre minus image centre, deg). */
typedef struct gauss2d_nbrs {
    size_t *start;
    size_t *idx;
    double *d;
    double *width;  /* width of each input bin, deg */
    size_t n, len, cap;
} gauss2d_nbrs_t;

static int gauss2d_create(const offbkg_host_t *host, const void *config,
                          void **state)
{
    gauss2d_state_t *s = malloc(sizeof *s);

    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = *(const gauss2d_config_t *)config;
    *state = s;
    return OFFBKG_OK;
}

static void gauss2d_destroy(void *state)
{
    free(state);
}

static void nbrs_free(gauss2d_nbrs_t *nb)
{
    free(nb->start);
    free(nb->idx);
    free(nb->d);
    free(nb->width);
}

static int nbrs_push(gauss2d_nbrs_t *nb, size_t j, double d)
{
    if (nb->len == nb->cap) {
        size_t cap = nb->cap ? 2 * nb->cap : 64;
        size_t *idx = realloc(nb->idx, cap * sizeof *idx);
        double *dd;
        if (idx == NULL)
            return -1;
        nb->idx = idx;
        dd = realloc(nb->d, cap * sizeof *dd);
        if (dd == NULL)
            return -1;
        nb->d = dd;
        nb->cap = cap;
    }
    nb->idx[nb->len] = j;
    nb->d[nb->len] = d;
    nb->len++;
    return 0;
}

/* The images p = sign * x + m * period of a point x near @p at within
 * @p r, pushed as input bin @p j. */
static int nbrs_images(gauss2d_nbrs_t *nb, size_t j, double at, double x,
                       double period, double r)
{
    double lo = floor((at - r - x) / period) - 1;
    double hi = ceil((at + r - x) / period) + 1;

    for (double m = lo; m <= hi; m++) {
        double d = at - (x + m * period);
        if (fabs(d) <= r && nbrs_push(nb, j, d) != 0)
            return -1;
    }
    return 0;
}

/* The neighbour lists of axis @p a for a cut-off @p r (deg). An axis
 * NULL stands for the missing third axis of a 2D cube: one bin, its own
 * only neighbour, at distance 0 and of width 1. */
static int nbrs_build(gauss2d_nbrs_t *nb, const offbkg_axis_t *a, double r)
{
    size_t n = a != NULL ? a->n_bins : 1;
    double lo, period;

    memset(nb, 0, sizeof *nb);
    nb->n = n;
    nb->start = malloc((n + 1) * sizeof *nb->start);
    nb->width = malloc(n * sizeof *nb->width);
    if (nb->start == NULL || nb->width == NULL)
        return -1;
    if (a == NULL) {
        nb->start[0] = 0;
        nb->start[1] = 1;
        nb->width[0] = 1;
        return nbrs_push(nb, 0, 0);
    }
    lo = a->edges[0];
    period = 2 * (a->edges[n] - lo);
    for (size_t j = 0; j < n; j++)
        nb->width[j] = a->edges[j + 1] - a->edges[j];
    for (size_t i = 0; i < n; i++) {
        double at = 0.5 * (a->edges[i] + a->edges[i + 1]);
        nb->start[i] = nb->len;
        for (size_t j = 0; j < n; j++) {
            double x = 0.5 * (a->edges[j] + a->edges[j + 1]);
            /* The bin and its images, then its mirror 2 lo - x and
             * the mirror's images. */
            if (nbrs_images(nb, j, at, x, period, r) != 0
                || nbrs_images(nb, j, at, 2 * lo - x, period, r) != 0)
                return -1;
        }
    }
    nb->start[n] = nb->len;
    return 0;
}

static int gauss2d_check_units(const offbkg_host_t *host,
                               const offbkg_cube_t *cube)
{
    for (size_t k = 1; k < cube->n_axes; k++)
        if (strncmp(cube->axes[k].unit, "deg", sizeof cube->axes[k].unit)
            != 0)
            return host->error(host, OFFBKG_EDATA,
                               "gauss2d needs spatial axes in deg; axis "
                               "%.16s is in '%.16s'", cube->axes[k].name,
                               cube->axes[k].unit);
    return OFFBKG_OK;
}

/* Refuse an axis so narrow in degrees that the kernel would wrap around
 * it more than a few thousand times: a flat kernel, and lists of
 * images without bound. */
static int gauss2d_check_width(const offbkg_host_t *host,
                               const offbkg_cube_t *cube, double r)
{
    for (size_t k = 1; k < cube->n_axes; k++) {
        const offbkg_axis_t *a = &cube->axes[k];
        double len = a->edges[a->n_bins] - a->edges[0];
        if (r / len > 1000)
            return host->error(host, OFFBKG_EINVAL,
                               "axis %.16s spans %g deg, too little for a "
                               "kernel radius of %g deg", a->name, len, r);
    }
    return OFFBKG_OK;
}

/* Smooth every active slice of @p cube at output cell (a, b) from the
 * unsmoothed rate0 and err0 (whole cube). acc (m, zeroed, left zeroed)
 * and touched (m) are scratch. */
static void gauss2d_cell(offbkg_cube_t *cube, const smooth_shape_t *sh,
                         const gauss2d_nbrs_t *n1, const gauss2d_nbrs_t *n2,
                         size_t a, size_t b, double sigma, double r2,
                         const double *rate0, const double *err0,
                         const unsigned char *active, const double *emax,
                         double *acc, size_t *touched)
{
    double den = 0, inv2s2 = 0.5 / (sigma * sigma);
    size_t n_touched = 0, out = a * sh->n2 + b;

    /* The aggregated weights W_cj of every cell j this output sees. */
    for (size_t p = n1->start[a]; p < n1->start[a + 1]; p++) {
        double dx2 = n1->d[p] * n1->d[p];
        double wx = n1->width[n1->idx[p]];
        for (size_t q = n2->start[b]; q < n2->start[b + 1]; q++) {
            double rr = dx2 + n2->d[q] * n2->d[q];
            size_t c;
            double w;
            if (rr > r2)
                continue;
            c = n1->idx[p] * sh->n2 + n2->idx[q];
            w = exp(-rr * inv2s2) * wx * n2->width[n2->idx[q]];
            if (!(w > 0))
                continue;
            if (acc[c] == 0)
                touched[n_touched++] = c;
            acc[c] += w;
            den += w;
        }
    }
    /* den > 0: the cell itself is always its own neighbour at d = 0. */
    for (size_t t = 0; t < n_touched; t++)
        acc[touched[t]] /= den;
    for (size_t e = 0; e < sh->n_e; e++) {
        size_t first = e * sh->m;
        double sum = 0, var = 0;
        if (!active[e])
            continue;
        for (size_t t = 0; t < n_touched; t++) {
            size_t c = touched[t];
            sum += acc[c] * rate0[first + c];
            if (emax[e] > 0) {
                double v = acc[c] * (err0[first + c] / emax[e]);
                var += v * v;
            }
        }
        cube->rate[first + out] = sum;
        cube->rate_err[first + out] = emax[e] * sqrt(var);
    }
    for (size_t t = 0; t < n_touched; t++)
        acc[touched[t]] = 0;
}

static int gauss2d_smooth(void *state, offbkg_cube_t *cube)
{
    const gauss2d_state_t *s = state;
    const offbkg_host_t *host = s->host;
    double sigma = s->cfg.sigma_deg;
    double r = s->cfg.radius_sigma * sigma * (1 + GAUSS2D_EDGE_TOL);
    gauss2d_nbrs_t n1, n2;
    smooth_shape_t sh = { 0, 0, 0, 0 };
    double *rate0 = NULL, *err0 = NULL, *before = NULL, *emax = NULL;
    double *acc = NULL;
    size_t *touched = NULL;
    unsigned char *active = NULL;
    int status;

    memset(&n1, 0, sizeof n1);
    memset(&n2, 0, sizeof n2);
    status = smooth_check_cube(host, cube, &sh);
    if (status == OFFBKG_OK)
        status = gauss2d_check_units(host, cube);
    if (status == OFFBKG_OK)
        status = gauss2d_check_width(host, cube, r);
    if (status != OFFBKG_OK)
        return status;
    rate0 = malloc(cube->n_cells * sizeof *rate0);
    err0 = malloc(cube->n_cells * sizeof *err0);
    before = malloc(sh.n_e * sizeof *before);
    emax = malloc(sh.n_e * sizeof *emax);
    active = malloc(sh.n_e);
    acc = calloc(sh.m, sizeof *acc);
    touched = malloc(sh.m * sizeof *touched);
    if (rate0 == NULL || err0 == NULL || before == NULL || emax == NULL
        || active == NULL || acc == NULL || touched == NULL
        || nbrs_build(&n1, &cube->axes[1], r) != 0
        || nbrs_build(&n2, cube->n_axes == 3 ? &cube->axes[2] : NULL, r)
               != 0) {
        status = host->error(host, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(rate0, cube->rate, cube->n_cells * sizeof *rate0);
    memcpy(err0, cube->rate_err, cube->n_cells * sizeof *err0);
    for (size_t e = 0; e < sh.n_e; e++) {
        before[e] = smooth_integral(cube, e * sh.m, sh.m);
        /* Rates >= 0 and solid angles > 0: 0 means an empty slice. */
        active[e] = before[e] > 0;
        emax[e] = smooth_max(err0 + e * sh.m, sh.m);
    }
    /* Output cell by output cell, all slices at once: the weights depend
     * on the geometry alone. */
    for (size_t a = 0; a < sh.n1; a++) {
        if (host->cancelled(host)) {
            status = host->error(host, OFFBKG_ECANCELLED, "cancelled");
            goto done;
        }
        for (size_t b = 0; b < sh.n2; b++)
            gauss2d_cell(cube, &sh, &n1, &n2, a, b, sigma, r * r, rate0,
                         err0, active, emax, acc, touched);
    }
    for (size_t e = 0; e < sh.n_e; e++)
        if (active[e])
            smooth_rescale(cube, e * sh.m, sh.m, before[e],
                           rate0 + e * sh.m, err0 + e * sh.m);
done:
    /* On an error (cancelled) the cube may be half smoothed: the host
     * discards it. */
    nbrs_free(&n1);
    nbrs_free(&n2);
    free(rate0);
    free(err0);
    free(before);
    free(emax);
    free(active);
    free(acc);
    free(touched);
    return status;
}

static const offbkg_smooth_ops_t gauss2d_ops = {
    .struct_size = sizeof(offbkg_smooth_ops_t),
    .smooth = gauss2d_smooth,
};

static const offbkg_plugin_t gauss2d_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SMOOTH,
    .name = "gauss2d",
    .version = "1.0.0",
    .summary = "Gaussian of fixed width in degrees, integral preserving",
    .params = gauss2d_params,
    .config_size = sizeof(gauss2d_config_t),
    .create = gauss2d_create,
    .destroy = gauss2d_destroy,
    .ops.smooth = &gauss2d_ops,
};

OFFBKG_PLUGIN_DEFINE(smooth_gauss2d, gauss2d_plugin)
