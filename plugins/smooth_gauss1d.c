/* SPDX-License-Identifier: BSD-3-Clause
 * smooth/gauss1d: old gammapy's 2D smoothing (doc/domain.md §3.6), an adaptive
 * Gaussian along the offset axis, one energy row at a time.
 *
 * For energy row i with Nev = sum of its counts > 0 and Np offset bins:
 *   s = (events_per_sigma / Nev) * Np     pixels per sigma (default 150)
 *   s = max(s, min_sigma_px)              (default 4)
 *   s = min(s, Np / 6)                    so that the kernel fits the axis
 *   L = int(6 s), truncated               kernel length, 1 <= L <= Np
 *   x_k = -3 + 6 k / (L - 1), w_k = exp(-x_k^2 / 2), normalised to sum 1
 *   out[i] = sum_k w_k in[rho(i + floor(L/2) - k)]
 * with rho the half-sample reflection of scipy.ndimage.convolve's
 * mode='reflect' (period 2 Np, so it also holds for tiny axes). As in the
 * old code the effective sigma is (L - 1) / 6 pixels and an even L moves
 * features by half a pixel toward smaller offsets: a spike in bin j comes
 * out centred at j - 0.5. There is no renormalisation: sum w = 1 and the
 * reflection keep a constant row constant.
 *
 * Deviations from the old code, on purpose:
 * - A row with no counts (Nev = 0) is left exactly as it is, rate and
 *   error; nothing divides by Nev = 0, so no NaN or inf can appear.
 * - L = int(6 s) is at least 1 (L = 1 is the identity) and at most Np.
 *   The old code relied on numpy's linspace truncating a float length,
 *   which numpy >= 1.18 refuses.
 * - rate_err is propagated, where the old code left it alone: the
 *   smoothed rate is a linear map out = W in of the row, so with
 *   independent errors err_out[i] = sqrt(sum_j W_ij^2 err[j]^2), with
 *   W_ij summing every kernel tap that the reflection sends to bin j.
 *   Finite and >= 0 by construction.
 * - The two constants 150 and 4 are parameters (their defaults are the
 *   old values); Np / 6 stays, since a longer kernel than the axis makes
 *   no sense.
 * A 3D cube is refused (use k5a or gauss2d). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

#include "smooth-private.h"

typedef struct gauss1d_config {
    double events_per_sigma;
    double min_sigma_px;
} gauss1d_config_t;

typedef struct gauss1d_state {
    const offbkg_host_t *host;
    gauss1d_config_t cfg;
} gauss1d_state_t;

static const offbkg_param_t gauss1d_params[] = {
    { .name = "events_per_sigma", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(gauss1d_config_t, events_per_sigma),
      .default_value = "150",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "target counts per kernel sigma: sigma = n Np / Nev pixels" },
    { .name = "min_sigma_px", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(gauss1d_config_t, min_sigma_px),
      .default_value = "4", .unit = "px",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "smallest kernel sigma in offset bins (the cap is Np / 6)" },
    { 0 }
};

static int gauss1d_create(const offbkg_host_t *host, const void *config,
                          void **state)
{
    gauss1d_state_t *s = malloc(sizeof *s);

    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = *(const gauss1d_config_t *)config;
    *state = s;
    return OFFBKG_OK;
}

static void gauss1d_destroy(void *state)
{
    free(state);
}

/* The kernel of a row with @p nev counts over @p np bins into w[0..L-1]
 * (w has room for np); returns L. */
static size_t gauss1d_kernel(const gauss1d_config_t *cfg, double nev,
                             size_t np, double *w)
{
    /* The old code's order of operations, so that int(6 s) truncates
     * the same way. */
    double s = (cfg->events_per_sigma / nev) * (double)np;
    double six_s, step, sum = 0;
    size_t len;

    s = fmax(s, cfg->min_sigma_px);
    s = fmin(s, (double)np / 6.0);
    six_s = 6.0 * s;
    len = six_s >= (double)np ? np : (size_t)six_s;
    if (len < 1)
        len = 1;
    if (len == 1) {
        w[0] = 1;
        return 1;
    }
    /* numpy.linspace(-3, 3, len): k * step + start, the last one exact. */
    step = 6.0 / (double)(len - 1);
    for (size_t k = 0; k < len; k++) {
        double x = k + 1 == len ? 3.0 : -3.0 + (double)k * step;
        w[k] = exp(-0.5 * x * x);
        sum += w[k];
    }
    for (size_t k = 0; k < len; k++)
        w[k] /= sum;
    return len;
}

/* Smooth one row of @p np bins: rate and err hold the row and receive
 * the result; rate0, err0 and acc (zeroed, left zeroed) are scratch. */
static void gauss1d_row(double *rate, double *err, size_t np,
                        const double *w, size_t len, double *rate0,
                        double *err0, double *acc)
{
    ptrdiff_t half = (ptrdiff_t)(len / 2);
    double emax;

    memcpy(rate0, rate, np * sizeof *rate);
    memcpy(err0, err, np * sizeof *err);
    /* Errors are summed relative to the largest, which cannot overflow. */
    emax = smooth_max(err0, np);
    for (size_t i = 0; i < np; i++) {
        double sum = 0, var = 0;
        /* The taps, and the weight W_ij each input bin gets in total. */
        for (size_t k = 0; k < len; k++) {
            size_t j = smooth_reflect((ptrdiff_t)i + half - (ptrdiff_t)k,
                                      np);
            sum += w[k] * rate0[j];
            acc[j] += w[k];
        }
        /* The same taps again: each bin's W_ij once, then cleared. */
        for (size_t k = 0; k < len; k++) {
            size_t j = smooth_reflect((ptrdiff_t)i + half - (ptrdiff_t)k,
                                      np);
            if (acc[j] != 0 && emax > 0) {
                double t = acc[j] * (err0[j] / emax);
                var += t * t;
            }
            acc[j] = 0;
        }
        rate[i] = sum;
        err[i] = emax * sqrt(var);
    }
}

static int gauss1d_smooth(void *state, offbkg_cube_t *cube)
{
    const gauss1d_state_t *s = state;
    const offbkg_host_t *host = s->host;
    smooth_shape_t sh = { 0, 0, 0, 0 };
    double *w, *rate0, *err0, *acc;
    size_t np;
    int status;

    if (cube != NULL && cube->n_axes != 2)
        return host->error(host, OFFBKG_EINVAL,
                           "gauss1d smooths 2D (energy, offset) cubes "
                           "along the offset axis; this cube has %zu axes "
                           "(use k5a or gauss2d for a 3D cube)",
                           cube->n_axes);
    status = smooth_check_cube(host, cube, &sh);
    if (status != OFFBKG_OK)
        return status;
    np = sh.n1;
    w = malloc(np * sizeof *w);
    rate0 = malloc(np * sizeof *rate0);
    err0 = malloc(np * sizeof *err0);
    acc = calloc(np, sizeof *acc);
    if (w == NULL || rate0 == NULL || err0 == NULL || acc == NULL) {
        status = host->error(host, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t e = 0; e < sh.n_e; e++) {
        size_t first = e * np;
        double nev = 0;
        size_t len;

        for (size_t j = 0; j < np; j++)
            nev += cube->counts[first + j];
        /* An empty row has no width to adapt to: leave it as it is. */
        if (!(nev > 0))
            continue;
        len = gauss1d_kernel(&s->cfg, nev, np, w);
        gauss1d_row(cube->rate + first, cube->rate_err + first, np, w, len,
                    rate0, err0, acc);
    }
done:
    free(w);
    free(rate0);
    free(err0);
    free(acc);
    return status;
}

static const offbkg_smooth_ops_t gauss1d_ops = {
    .struct_size = sizeof(offbkg_smooth_ops_t),
    .smooth = gauss1d_smooth,
};

static const offbkg_plugin_t gauss1d_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SMOOTH,
    .name = "gauss1d",
    .version = "1.0.0",
    .summary = "2D models: old gammapy's adaptive Gaussian along offset",
    .params = gauss1d_params,
    .config_size = sizeof(gauss1d_config_t),
    .create = gauss1d_create,
    .destroy = gauss1d_destroy,
    .ops.smooth = &gauss1d_ops,
};

OFFBKG_PLUGIN_DEFINE(smooth_gauss1d, gauss1d_plugin)
