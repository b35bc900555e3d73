/* SPDX-License-Identifier: BSD-3-Clause
 * smooth/k5a: old gammapy's 3D smoothing (doc/domain.md §4.5), ROOT
 * TH2::Smooth's "k5a" kernel applied to each energy slice in the
 * DETX x DETY plane, never across energy, integral preserving.
 *
 *         0 0 1 0 0
 *         0 2 2 2 0
 *   k5a = 1 2 5 2 1  / 25
 *         0 2 2 2 0
 *         0 0 1 0 0
 *
 * For each energy slice e with I_e = sum of rate x solid angle > 0:
 * convolve the rate n_smooth times, out[x,y] = sum_{a,b} k[a,b]
 * in[rho(x + 2 - a), rho(y + 2 - b)], with rho the half-sample reflection
 * of scipy.ndimage.convolve's mode='reflect' (period 2n, so it also holds
 * for axes of fewer than 3 bins); then scale the slice by I_e(before) /
 * I_e(after). n_smooth = 0 (the default) takes the old code's count:
 * 3 passes if the whole cube holds >= 1e6 counts, 4 if >= 1e5, else 5.
 * The kernel is symmetric under transposition, so which of DETX and DETY
 * is "x" does not matter.
 *
 * Deviations from the old code, on purpose:
 * - The kernel is divided by 25 in each pass. The old code convolved with
 *   the integer kernel; the rescale makes the result the same, and the
 *   values stay near the rate's magnitude.
 * - I_e uses the cube's solid angle of each cell (exact, doc/domain.md §4.4),
 *   not the flat pixel area: the preserved quantity is the integral of
 *   the model as written.
 * - A slice whose rates are all 0 is left as it is (the old code made
 *   0/0 = NaN of it). No NaN or inf can reach the cube.
 * - rate_err is propagated, where the old code had none: n passes are
 *   one convolution with K = k5a^n (exact with this reflection, the kernel
 *   being symmetric and centred), so with independent errors
 *   err_out[c] = f sqrt(sum_j W_cj^2 err[j]^2), W_cj summing every tap
 *   of K that the reflection sends to cell j and f the slice's rescale
 *   factor. Finite and >= 0 by construction.
 * A 2D cube is refused (use gauss1d or gauss2d). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

#include "smooth-private.h"

#define K5A_MAX_PASSES 20

typedef struct k5a_config {
    int64_t n_smooth;
} k5a_config_t;

typedef struct k5a_state {
    const offbkg_host_t *host;
    k5a_config_t cfg;
} k5a_state_t;

static const offbkg_param_t k5a_params[] = {
    { .name = "n_smooth", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(k5a_config_t, n_smooth), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX, .min = 0,
      .max = K5A_MAX_PASSES,
      .help = "passes of the kernel; 0 = as old gammapy: 3, 4 or 5 for "
              ">= 1e6, >= 1e5 or fewer counts in the cube" },
    { 0 }
};

/* The integer kernel; the passes divide it by its total, 25. */
static const double k5a_kernel[5][5] = {
    { 0, 0, 1, 0, 0 },
    { 0, 2, 2, 2, 0 },
    { 1, 2, 5, 2, 1 },
    { 0, 2, 2, 2, 0 },
    { 0, 0, 1, 0, 0 },
};

/* One non-zero tap of the composite kernel k5a^n: offsets from the
 * centre and weight. */
typedef struct k5a_tap {
    ptrdiff_t da, db;
    double w;
} k5a_tap_t;

static int k5a_create(const offbkg_host_t *host, const void *config,
                      void **state)
{
    k5a_state_t *s = malloc(sizeof *s);

    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->cfg = *(const k5a_config_t *)config;
    *state = s;
    return OFFBKG_OK;
}

static void k5a_destroy(void *state)
{
    free(state);
}

/* The non-zero taps of k5a^n / 25^n into a new array; NULL if out of
 * memory. */
static k5a_tap_t *k5a_composite(int n, size_t *n_taps)
{
    size_t size = 4 * (size_t)n + 1;
    double *k = calloc(size * size, sizeof *k);
    double *t = calloc(size * size, sizeof *t);
    k5a_tap_t *taps = NULL;
    size_t cur = 1, nt = 0;

    if (k == NULL || t == NULL)
        goto done;
    /* k5a^0 is the unit impulse; each step is a full convolution with
     * k5a / 25, growing the support by 4. */
    k[0] = 1;
    for (int p = 0; p < n; p++) {
        size_t next = cur + 4;
        memset(t, 0, size * size * sizeof *t);
        for (size_t a = 0; a < cur; a++)
            for (size_t b = 0; b < cur; b++) {
                double v = k[a * size + b];
                if (v == 0)
                    continue;
                for (size_t u = 0; u < 5; u++)
                    for (size_t w = 0; w < 5; w++)
                        t[(a + u) * size + b + w] +=
                            v * k5a_kernel[u][w] / 25.0;
            }
        memcpy(k, t, size * size * sizeof *k);
        cur = next;
    }
    for (size_t i = 0; i < size * size; i++)
        nt += k[i] != 0;
    taps = malloc(nt * sizeof *taps);
    if (taps == NULL)
        goto done;
    nt = 0;
    for (size_t a = 0; a < size; a++)
        for (size_t b = 0; b < size; b++)
            if (k[a * size + b] != 0)
                taps[nt++] = (k5a_tap_t){ (ptrdiff_t)a - 2 * n,
                                          (ptrdiff_t)b - 2 * n,
                                          k[a * size + b] };
    *n_taps = nt;
done:
    free(k);
    free(t);
    return taps;
}

/* The reflection of every index from -reach to n + reach - 1 of an axis
 * of n bins (smooth_reflect's), so the loops below look indexes up
 * instead of dividing: tab[reach + k] is the bin of index k. A new
 * array; NULL if out of memory. */
static size_t *k5a_reflections(size_t n, size_t reach)
{
    size_t *tab = malloc((n + 2 * reach) * sizeof *tab);

    for (size_t k = 0; tab != NULL && k < n + 2 * reach; k++)
        tab[k] = smooth_reflect((ptrdiff_t)k - (ptrdiff_t)reach, n);
    return tab;
}

/* One pass of k5a / 25 over an n1 x n2 slice, src to dst; r1 and r2 the
 * axes' reflections of reach 2 (k5a_reflections). */
static void k5a_pass(const double *src, double *dst, size_t n1, size_t n2,
                     const size_t *r1, const size_t *r2)
{
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++) {
            double sum = 0;
            for (size_t a = 0; a < 5; a++) {
                size_t ii = r1[i + 4 - a];
                for (size_t b = 0; b < 5; b++) {
                    double k = k5a_kernel[a][b];
                    if (k == 0)
                        continue;
                    sum += k * src[ii * n2 + r2[j + 4 - b]];
                }
            }
            dst[i * n2 + j] = sum / 25.0;
        }
}

/* err_out of each cell of an n1 x n2 slice from the unsmoothed err0,
 * through the composite taps, which reach @p reach cells from the centre;
 * r1 and r2 the axes' reflections of that reach; acc is zeroed scratch
 * and left zeroed. A cell at least @p reach from every edge has each tap
 * on a cell of its own, W_cj being the tap's weight: its sum is taken
 * directly, in the same order and with the same operations as the
 * general case, so the result is the same to the bit. */
static void k5a_errors(const double *err0, double *err, size_t n1,
                       size_t n2, const k5a_tap_t *taps, size_t n_taps,
                       size_t reach, const size_t *r1, const size_t *r2,
                       double *acc)
{
    double emax = smooth_max(err0, n1 * n2);

    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++) {
            double var = 0;
            if (i >= reach && i + reach < n1 && j >= reach
                && j + reach < n2) {
                for (size_t t = 0; emax > 0 && t < n_taps; t++) {
                    size_t c = (i - (size_t)taps[t].da) * n2
                               + (j - (size_t)taps[t].db);
                    double r = taps[t].w * (err0[c] / emax);
                    var += r * r;
                }
                err[i * n2 + j] = emax * sqrt(var);
                continue;
            }
            /* W_cj: every tap landing on a cell, summed there. */
            for (size_t t = 0; t < n_taps; t++) {
                size_t ii = r1[i + reach - (size_t)taps[t].da];
                size_t jj = r2[j + reach - (size_t)taps[t].db];
                acc[ii * n2 + jj] += taps[t].w;
            }
            /* Each cell's W_cj once, then cleared. */
            for (size_t t = 0; t < n_taps; t++) {
                size_t ii = r1[i + reach - (size_t)taps[t].da];
                size_t jj = r2[j + reach - (size_t)taps[t].db];
                size_t c = ii * n2 + jj;
                if (acc[c] != 0 && emax > 0) {
                    double r = acc[c] * (err0[c] / emax);
                    var += r * r;
                }
                acc[c] = 0;
            }
            err[i * n2 + j] = emax * sqrt(var);
        }
}

/* The old code's number of passes, from the cube's total counts. */
static int k5a_auto_passes(const offbkg_cube_t *cube)
{
    double n_counts = 0;

    for (size_t i = 0; i < cube->n_cells; i++)
        n_counts += cube->counts[i];
    if (n_counts >= 1e6)
        return 3;
    if (n_counts >= 1e5)
        return 4;
    return 5;
}

static int k5a_smooth(void *state, offbkg_cube_t *cube)
{
    const k5a_state_t *s = state;
    const offbkg_host_t *host = s->host;
    smooth_shape_t sh = { 0, 0, 0, 0 };
    double *rate0 = NULL, *err0 = NULL, *tmp = NULL, *acc = NULL;
    size_t *p1 = NULL, *p2 = NULL, *e1 = NULL, *e2 = NULL;
    k5a_tap_t *taps = NULL;
    size_t n_taps = 0, reach;
    int n, status;

    if (cube != NULL && cube->n_axes != 3)
        return host->error(host, OFFBKG_EINVAL,
                           "k5a smooths 3D (energy, DETX, DETY) cubes in "
                           "the field-of-view plane; this cube has %zu "
                           "axes (use gauss1d or gauss2d for a 2D cube)",
                           cube->n_axes);
    status = smooth_check_cube(host, cube, &sh);
    if (status != OFFBKG_OK)
        return status;
    n = s->cfg.n_smooth > 0 ? (int)s->cfg.n_smooth : k5a_auto_passes(cube);
    host->log(host, OFFBKG_LOG_DEBUG, "%d passes of k5a%s", n,
              s->cfg.n_smooth > 0 ? "" : " (from the cube's counts)");
    rate0 = malloc(sh.m * sizeof *rate0);
    err0 = malloc(sh.m * sizeof *err0);
    tmp = malloc(sh.m * sizeof *tmp);
    acc = calloc(sh.m, sizeof *acc);
    taps = k5a_composite(n, &n_taps);
    reach = 2 * (size_t)n;
    p1 = k5a_reflections(sh.n1, 2);
    p2 = k5a_reflections(sh.n2, 2);
    e1 = k5a_reflections(sh.n1, reach);
    e2 = k5a_reflections(sh.n2, reach);
    if (rate0 == NULL || err0 == NULL || tmp == NULL || acc == NULL
        || taps == NULL || p1 == NULL || p2 == NULL || e1 == NULL
        || e2 == NULL) {
        status = host->error(host, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t e = 0; e < sh.n_e; e++) {
        size_t first = e * sh.m;
        double *rate = cube->rate + first;
        double before = smooth_integral(cube, first, sh.m);

        if (host->cancelled(host)) {
            status = host->error(host, OFFBKG_ECANCELLED, "cancelled");
            goto done;
        }
        /* Rates >= 0 and solid angles > 0: 0 means an empty slice. */
        if (!(before > 0))
            continue;
        memcpy(rate0, rate, sh.m * sizeof *rate0);
        memcpy(err0, cube->rate_err + first, sh.m * sizeof *err0);
        /* n passes, ping-ponging so that the last one lands in the cube:
         * an odd pass count starts into the cube, an even one into tmp. */
        for (int p = 0; p < n; p++) {
            const double *src = p == 0 ? rate0 : ((n - p) % 2 ? tmp : rate);
            double *dst = (n - p) % 2 ? rate : tmp;
            k5a_pass(src, dst, sh.n1, sh.n2, p1, p2);
        }
        k5a_errors(err0, cube->rate_err + first, sh.n1, sh.n2, taps, n_taps,
                   reach, e1, e2, acc);
        smooth_rescale(cube, first, sh.m, before, rate0, err0);
    }
done:
    free(rate0);
    free(err0);
    free(tmp);
    free(acc);
    free(taps);
    free(p1);
    free(p2);
    free(e1);
    free(e2);
    return status;
}

static const offbkg_smooth_ops_t k5a_ops = {
    .struct_size = sizeof(offbkg_smooth_ops_t),
    .smooth = k5a_smooth,
};

static const offbkg_plugin_t k5a_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SMOOTH,
    .name = "k5a",
    .version = "1.0.0",
    .summary = "3D models: old gammapy's k5a kernel, integral preserving",
    .params = k5a_params,
    .config_size = sizeof(k5a_config_t),
    .create = k5a_create,
    .destroy = k5a_destroy,
    .ops.smooth = &k5a_ops,
};

OFFBKG_PLUGIN_DEFINE(smooth_k5a, k5a_plugin)
