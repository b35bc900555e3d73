/* SPDX-License-Identifier: BSD-3-Clause
 * The smoothers smooth/gauss1d, smooth/k5a and smooth/gauss2d through the
 * real loader, on hand-built cubes: the checks of doc/domain.md §8.4
 * (constants stay constant, per-slice integrals are kept, a single pixel
 * gives the kernel, empty slices stay empty, smoothed Poisson data is
 * closer to the truth), the old code's results (reference values from
 * scipy.ndimage.convolve, as gammapy 0.7 called it), tiny axes, refused
 * cubes, and that no NaN, inf or negative value ever comes out. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_fixture.h"

#define DEG (M_PI / 180.0)

/* ------------------------------------------------------------------ */
/* Fixture: one smoother instance made the way the host makes it.      */

typedef plugin_fixture_t fixture_t;

/* Load smoother @p name and fill its config from @p kv (NULL: defaults
 * only); returns the fill status. */
static int configure(fixture_t *f, const char *name, const kv_t *kv)
{
    return plugin_configure(&f->inst, f->reg, &f->diags, OFFBKG_STAGE_SMOOTH,
                            name, kv);
}

/* A fresh instance of smoother @p name (any previous one destroyed). */
static void make(fixture_t *f, const char *name, const kv_t *kv)
{
    plugin_fixture_unmake(f);
    assert_int_equal(plugin_make_status(&f->inst, f->ctx, f->reg, &f->diags,
                                        OFFBKG_STAGE_SMOOTH, name, kv),
                     OFFBKG_OK);
    assert_non_null(f->inst.state);
}

static int smooth(fixture_t *f, offbkg_cube_t *cube)
{
    return f->inst.mod->desc->ops.smooth->smooth(f->inst.state, cube);
}

/* The config problem @p kv gives smoother @p name, formatted. */
static void assert_config_error(fixture_t *f, const char *name,
                                const kv_t *kv, const char *want)
{
    char *text;

    plugin_fixture_unmake(f);
    assert_int_equal(configure(f, name, kv), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
    plugin_fixture_unmake(f);
}

/* ------------------------------------------------------------------ */
/* Cubes                                                               */

/* Energy edges 0.1 .. 100 TeV, log-spaced. */
static void energy_axis(offbkg_cube_t *c)
{
    offbkg_axis_t *a = &c->axes[0];

    strcpy(a->name, "ENERG");
    strcpy(a->unit, "TeV");
    for (size_t i = 0; i <= a->n_bins; i++)
        a->edges[i] = 0.1 * pow(1000.0, (double)i / (double)a->n_bins);
}

/* A 2D cube of @p n_e rows and @p n_t offset bins up to @p t_max deg,
 * sqrt-spaced (equal flat area, as old gammapy) or linear; exact annulus
 * solid angles, counts and errors 0, exposure 1000 s. */
static offbkg_cube_t *cube2d(size_t n_e, size_t n_t, double t_max,
                             int sqrt_spaced)
{
    size_t n_bins[2] = { n_e, n_t };
    offbkg_cube_t *c = offbkg_cube_new(2, n_bins);
    offbkg_axis_t *t;

    assert_non_null(c);
    energy_axis(c);
    t = &c->axes[1];
    strcpy(t->name, "THETA");
    strcpy(t->unit, "deg");
    for (size_t j = 0; j <= n_t; j++) {
        double u = (double)j / (double)n_t;
        t->edges[j] = t_max * (sqrt_spaced ? sqrt(u) : u);
    }
    strcpy(c->time_base, "ONTIME");
    for (size_t e = 0; e < n_e; e++)
        for (size_t j = 0; j < n_t; j++) {
            size_t i = e * n_t + j;
            c->solid_angle_sr[i] = 2 * M_PI * (cos(t->edges[j] * DEG)
                                               - cos(t->edges[j + 1] * DEG));
            c->exposure_s[i] = 1000;
        }
    return c;
}

/* A 3D cube of @p n_e slices of n1 (DETX) x n2 (DETY) bins over
 * +-half1 x +-half2 deg; solid angles exact (lon/lat rectangles, so they
 * vary with DETY) or, with @p flat, all equal to the flat pixel area. */
static offbkg_cube_t *cube3d(size_t n_e, size_t n1, size_t n2, double half1,
                             double half2, int flat)
{
    size_t n_bins[3] = { n_e, n1, n2 };
    offbkg_cube_t *c = offbkg_cube_new(3, n_bins);
    offbkg_axis_t *x, *y;

    assert_non_null(c);
    energy_axis(c);
    x = &c->axes[1];
    y = &c->axes[2];
    strcpy(x->name, "DETX");
    strcpy(y->name, "DETY");
    strcpy(x->unit, "deg");
    strcpy(y->unit, "deg");
    for (size_t i = 0; i <= n1; i++)
        x->edges[i] = -half1 + 2 * half1 * (double)i / (double)n1;
    for (size_t j = 0; j <= n2; j++)
        y->edges[j] = -half2 + 2 * half2 * (double)j / (double)n2;
    strcpy(c->time_base, "ONTIME");
    strcpy(c->fov_alignment, "RADEC");
    c->fov_lon_sign = -1;
    for (size_t e = 0; e < n_e; e++)
        for (size_t i = 0; i < n1; i++)
            for (size_t j = 0; j < n2; j++) {
                size_t k = (e * n1 + i) * n2 + j;
                double dx = (x->edges[i + 1] - x->edges[i]) * DEG;
                double dy = (y->edges[j + 1] - y->edges[j]) * DEG;
                c->solid_angle_sr[k] =
                    flat ? dx * dy
                         : dx * (sin(y->edges[j + 1] * DEG)
                                 - sin(y->edges[j] * DEG));
                c->exposure_s[k] = 1000;
            }
    return c;
}

static size_t cell3(const offbkg_cube_t *c, size_t e, size_t i, size_t j)
{
    return (e * c->axes[1].n_bins + i) * c->axes[2].n_bins + j;
}

static size_t slice_cells(const offbkg_cube_t *c)
{
    return c->n_cells / c->axes[0].n_bins;
}

static double slice_integral(const offbkg_cube_t *c, size_t e)
{
    size_t m = slice_cells(c);
    double sum = 0;

    for (size_t k = e * m; k < (e + 1) * m; k++)
        sum += c->rate[k] * c->solid_angle_sr[k];
    return sum;
}

/* Every rate and error finite and >= 0. */
static void assert_sane(const offbkg_cube_t *c)
{
    for (size_t k = 0; k < c->n_cells; k++) {
        if (!(isfinite(c->rate[k]) && c->rate[k] >= 0))
            fail_msg("cell %zu: rate %g", k, c->rate[k]);
        if (!(isfinite(c->rate_err[k]) && c->rate_err[k] >= 0))
            fail_msg("cell %zu: rate_err %g", k, c->rate_err[k]);
    }
}

/* Everything but rate and rate_err is as in @p ref. */
static void assert_rest_unchanged(const offbkg_cube_t *c,
                                  const offbkg_cube_t *ref)
{
    size_t bytes = c->n_cells * sizeof(double);

    assert_int_equal(c->n_cells, ref->n_cells);
    assert_memory_equal(c->counts, ref->counts, bytes);
    assert_memory_equal(c->exposure_s, ref->exposure_s, bytes);
    assert_memory_equal(c->solid_angle_sr, ref->solid_angle_sr, bytes);
    for (size_t k = 0; k < c->n_axes; k++)
        assert_memory_equal(c->axes[k].edges, ref->axes[k].edges,
                            (c->axes[k].n_bins + 1) * sizeof(double));
}

/* |got - want| <= tol * |want| (or <= tol when want is 0). */
static void assert_rel(double got, double want, double tol)
{
    double scale = want != 0 ? fabs(want) : 1;

    if (!(fabs(got - want) <= tol * scale))
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want,
                 tol);
}

/* ------------------------------------------------------------------ */
/* A small deterministic RNG (splitmix64) and Poisson draws.           */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/* Knuth's product of uniforms: fine for the small means used here. */
static double rng_poisson(uint64_t *s, double mu)
{
    double limit = exp(-mu), p = 1;
    double k = -1;

    do {
        k++;
        p *= rng_uniform(s);
    } while (p > limit);
    return k;
}

/* ------------------------------------------------------------------ */
/* Loading and parameters                                              */

static void test_smoothers_load_from_build_tree(void **state)
{
    static const char *const names[] = { "gauss1d", "k5a", "gauss2d" };
    static const char *const modules[] = { "smooth_gauss1d", "smooth_k5a",
                                           "smooth_gauss2d" };
    fixture_t *f = *state;

    for (size_t i = 0; i < 3; i++) {
        const offbkg_module_t *mod;
        assert_int_equal(offbkg_registry_load(f->reg, OFFBKG_STAGE_SMOOTH,
                                              names[i], &mod),
                         OFFBKG_OK);
        assert_string_equal(mod->module, modules[i]);
        assert_string_equal(mod->desc->version, "1.0.0");
        assert_non_null(strstr(mod->file, modules[i]));
        /* Each can be made with its defaults alone. */
        make(f, names[i], NULL);
    }
}

static void test_smoothers_param_ranges(void **state)
{
    fixture_t *f = *state;
    const kv_t sigma0[] = { { "sigma_deg", "0" }, { NULL, NULL } };
    const kv_t sigma9[] = { { "sigma_deg", "9" }, { NULL, NULL } };
    const kv_t radius[] = { { "radius_sigma", "0.5" }, { NULL, NULL } };
    const kv_t passes[] = { { "n_smooth", "21" }, { NULL, NULL } };
    const kv_t negpass[] = { { "n_smooth", "-1" }, { NULL, NULL } };
    const kv_t per[] = { { "events_per_sigma", "0" }, { NULL, NULL } };
    const kv_t minpx[] = { { "min_sigma_px", "-4" }, { NULL, NULL } };

    assert_config_error(f, "gauss2d", sigma0, "t.ini:2: [smooth] sigma_deg: "
                        "0 is out of range (must be > 0 and <= 5)");
    assert_config_error(f, "gauss2d", sigma9, "t.ini:2: [smooth] sigma_deg: "
                        "9 is out of range (must be > 0 and <= 5)");
    assert_config_error(f, "gauss2d", radius, "t.ini:2: [smooth] "
                        "radius_sigma: 0.5 is out of range (must be >= 1 "
                        "and <= 10)");
    assert_config_error(f, "k5a", passes, "t.ini:2: [smooth] n_smooth: 21 "
                        "is out of range (must be >= 0 and <= 20)");
    assert_config_error(f, "k5a", negpass, "t.ini:2: [smooth] n_smooth: -1 "
                        "is out of range (must be >= 0 and <= 20)");
    assert_config_error(f, "gauss1d", per, "t.ini:2: [smooth] "
                        "events_per_sigma: 0 is out of range (must be > 0)");
    assert_config_error(f, "gauss1d", minpx, "t.ini:2: [smooth] "
                        "min_sigma_px: -4 is out of range (must be > 0)");
}

/* ------------------------------------------------------------------ */
/* gauss1d                                                             */

/* The old kernel, from doc/domain.md §3.6, written independently of the
 * plugin: its length for Nev counts over np bins, and its weights. */
static size_t old_kernel(double nev, size_t np, double *w)
{
    double s = fmin(fmax(150.0 / nev * (double)np, 4.0), (double)np / 6.0);
    size_t len = (size_t)(6.0 * s);
    double sum = 0;

    for (size_t k = 0; k < len; k++) {
        double x = len > 1 ? -3.0 + 6.0 * (double)k / (double)(len - 1)
                           : -3.0;
        w[k] = exp(-x * x / 2);
        sum += w[k];
    }
    for (size_t k = 0; k < len; k++)
        w[k] /= sum;
    return len;
}

/* gammapy 0.7's _poisson_gauss_smooth on row j -> (7 j) mod 11 with all
 * the row's counts in bin 0, as scipy 1.10 computes it. */
static const struct {
    size_t np;
    double nev;
    double want[30];
} old_rows[] = {
    { 30, 1000, /* s = 4.5, L = 27 */
      { 4.796234552789599, 4.820499554770028, 4.862931940981776,
        4.9028054681708, 4.938216177564006, 4.960981687658232,
        4.959325031126687, 4.947490058891369, 4.934513485942885,
        4.920709503874883, 4.923102738514898, 4.943282317590512,
        4.977578635141666, 5.018323073716992, 5.047718596748321,
        5.0622405859081745, 5.058987664366365, 5.03472010751047,
        5.008999085661169, 4.984034859207795, 4.9725854680310775,
        4.99455402218835, 5.045249874914066, 5.123744697226215,
        5.2224328498117405, 5.334383130962529, 5.441878443981327,
        5.532612393239228, 5.5958110252829, 5.634052968225942 } },
    { 30, 10000, /* s = 4, L = 24: the half-pixel shift */
      { 4.750643419755125, 4.80964597369138, 4.8900499461895235,
        4.966130895884468, 5.005992982074878, 5.010585027737154,
        4.984542778431561, 4.93364008936833, 4.890205873393949,
        4.873647629307897, 4.883824752017529, 4.934854083732265, 5.0,
        5.065145916267735, 5.111542865860398, 5.115401415994845,
        5.090321962192558, 5.03652932686548, 4.968103055256594,
        4.9206289925046995, 4.904070748418649, 4.931026768741499,
        5.013770994874717, 5.132922321333234, 5.272681103724164,
        5.41334846350758, 5.535907761824263, 5.637168639430792,
        5.698341755986093, 5.715560469133356 } },
    { 5, 10, /* capped: L = Np = 5 */
      { 1.4260392108637587, 4.836934769498913, 5.136481098501394,
        7.816996670499143, 6.7835482506367955 } },
    { 2, 3, /* L = 2: weights 1/2, 1/2 */
      { 3.5, 7.0 } },
    { 7, 1e9, /* capped: L = 7 */
      { 2.291939058135114, 4.117146098197841, 5.644666330436283,
        6.694776538088501, 6.017732192700975, 5.476915310648718,
        6.756824471792567 } },
};

static void test_gauss1d_matches_old_code(void **state)
{
    fixture_t *f = *state;

    make(f, "gauss1d", NULL);
    for (size_t r = 0; r < sizeof old_rows / sizeof old_rows[0]; r++) {
        size_t np = old_rows[r].np;
        /* Row 1 holds the case, rows 0 and 2 are empty. */
        offbkg_cube_t *c = cube2d(3, np, 2.5, 1);
        for (size_t j = 0; j < np; j++)
            c->rate[np + j] = (double)((7 * j) % 11);
        c->counts[np] = old_rows[r].nev;
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        for (size_t j = 0; j < np; j++) {
            assert_rel(c->rate[np + j], old_rows[r].want[j], 1e-12);
            assert_true(c->rate[j] == 0 && c->rate[2 * np + j] == 0);
        }
        assert_sane(c);
        offbkg_cube_free(c);
    }
}

static void test_gauss1d_constant_row_stays_constant(void **state)
{
    /* Nev giving L = 24 (s = 4), 41, 62 and 99 (the Np / 6 cap). */
    static const double nevs[] = { 1e6, 150.0 * 99 / 6.9, 150.0 * 99 / 10.4,
                                   50 };
    fixture_t *f = *state;

    make(f, "gauss1d", NULL);
    for (size_t t = 0; t < sizeof nevs / sizeof nevs[0]; t++) {
        offbkg_cube_t *c = cube2d(2, 99, 2.5, 1), *ref;
        for (size_t k = 0; k < c->n_cells; k++) {
            c->rate[k] = 3.7e-5;
            c->rate_err[k] = 1e-6;
            c->counts[k] = nevs[t] / 99;
        }
        ref = offbkg_cube_copy(c);
        assert_non_null(ref);
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        for (size_t k = 0; k < c->n_cells; k++) {
            assert_rel(c->rate[k], 3.7e-5, 1e-12);
            /* A constant error shrinks: sqrt(sum W^2) < 1. */
            assert_true(c->rate_err[k] > 0 && c->rate_err[k] < 1e-6);
        }
        assert_sane(c);
        assert_rest_unchanged(c, ref);
        offbkg_cube_free(ref);
        offbkg_cube_free(c);
    }
}

/* A spike of 1 +- 0.5 in bin j0 of a 99-bin row holding @p nev counts;
 * returns the kernel length found and checks that the output is the old
 * kernel with its origin at floor(L/2): out[i] = w[i + L/2 - j0]. */
static size_t gauss1d_spike(fixture_t *f, double nev, size_t j0)
{
    offbkg_cube_t *c = cube2d(1, 99, 2.5, 1);
    double w[99];
    size_t len = old_kernel(nev, 99, w), n_nonzero = 0;

    c->rate[j0] = 1;
    c->rate_err[j0] = 0.5;
    c->counts[0] = nev;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    for (size_t i = 0; i < 99; i++) {
        ptrdiff_t k = (ptrdiff_t)i + (ptrdiff_t)(len / 2) - (ptrdiff_t)j0;
        double want = k >= 0 && k < (ptrdiff_t)len ? w[k] : 0;
        assert_rel(c->rate[i], want, 1e-12);
        /* One input bin: the error is the weight times its error. */
        assert_rel(c->rate_err[i], 0.5 * want, 1e-12);
        n_nonzero += c->rate[i] > 0;
    }
    offbkg_cube_free(c);
    return n_nonzero;
}

static void test_gauss1d_single_pixel_gives_kernel(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c;
    double sum = 0, mean = 0;

    make(f, "gauss1d", NULL);
    /* L = 24, even: the spike comes out centred half a bin lower. */
    assert_int_equal(gauss1d_spike(f, 1e6, 50), 24);
    c = cube2d(1, 99, 2.5, 1);
    c->rate[50] = 1;
    c->counts[0] = 1e6;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    for (size_t i = 0; i < 99; i++) {
        sum += c->rate[i];
        mean += (double)i * c->rate[i];
    }
    assert_rel(sum, 1, 1e-12);
    assert_rel(mean / sum, 49.5, 1e-12);
    for (size_t t = 0; t < 12; t++)
        assert_rel(c->rate[49 - t], c->rate[50 + t], 1e-12);
    offbkg_cube_free(c);
    /* L = 27, odd (s = 4.6): centred. */
    assert_int_equal(gauss1d_spike(f, 150.0 * 99 / 4.6, 50), 27);
    c = cube2d(1, 99, 2.5, 1);
    c->rate[50] = 1;
    c->counts[0] = 150.0 * 99 / 4.6;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    for (size_t t = 1; t <= 13; t++)
        assert_rel(c->rate[50 - t], c->rate[50 + t], 1e-12);
    offbkg_cube_free(c);
}

static void test_gauss1d_width_adapts_to_counts(void **state)
{
    fixture_t *f = *state;
    const kv_t per300[] = { { "events_per_sigma", "300" }, { NULL, NULL } };
    const kv_t min2[] = { { "min_sigma_px", "2" }, { NULL, NULL } };
    offbkg_cube_t *c;

    make(f, "gauss1d", NULL);
    /* 150 counts per sigma: s = 150 x 99 / Nev. */
    assert_int_equal(gauss1d_spike(f, 150.0 * 99 / 5.1, 50), 30);
    assert_int_equal(gauss1d_spike(f, 150.0 * 99 / 8.1, 50), 48);
    /* Few counts: capped at Np / 6 = 16.5 px, L = 99 = Np: a spike in
     * the middle bin reaches every bin. */
    c = cube2d(1, 99, 2.5, 1);
    c->rate[49] = 1;
    c->counts[3] = 100;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    for (size_t i = 0; i < 99; i++)
        assert_true(c->rate[i] > 0);
    offbkg_cube_free(c);
    /* The two constants are parameters. */
    make(f, "gauss1d", per300);
    c = cube2d(1, 99, 2.5, 1);
    c->rate[50] = 1;
    c->counts[0] = 150.0 * 99 / 5.1; /* s = 10.2 now */
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    {
        size_t n = 0;
        for (size_t i = 0; i < 99; i++)
            n += c->rate[i] > 0;
        assert_int_equal(n, 61);
    }
    offbkg_cube_free(c);
    make(f, "gauss1d", min2);
    c = cube2d(1, 99, 2.5, 1);
    c->rate[50] = 1;
    c->counts[0] = 1e6; /* s = 2 */
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    {
        size_t n = 0;
        for (size_t i = 0; i < 99; i++)
            n += c->rate[i] > 0;
        assert_int_equal(n, 12);
    }
    offbkg_cube_free(c);
}

static void test_gauss1d_empty_row_untouched(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube2d(3, 20, 2.5, 1), *ref;

    make(f, "gauss1d", NULL);
    /* Row 0: no counts (whatever its rates): left as it is. Row 1: counts
     * but rates 0: stays 0. Row 2: smoothed. */
    for (size_t j = 0; j < 20; j++) {
        c->rate[j] = (double)(j % 3);
        c->rate_err[j] = 0.1 * (double)(j % 2);
        c->counts[20 + j] = 5;
        c->rate[40 + j] = (double)(j % 4);
        c->counts[40 + j] = 2;
    }
    ref = offbkg_cube_copy(c);
    assert_non_null(ref);
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    assert_memory_equal(c->rate, ref->rate, 20 * sizeof(double));
    assert_memory_equal(c->rate_err, ref->rate_err, 20 * sizeof(double));
    for (size_t j = 0; j < 20; j++) {
        assert_true(c->rate[20 + j] == 0);
        assert_true(c->rate_err[20 + j] == 0);
    }
    assert_memory_not_equal(c->rate + 40, ref->rate + 40,
                            20 * sizeof(double));
    assert_rest_unchanged(c, ref);
    offbkg_cube_free(ref);
    offbkg_cube_free(c);
}

static void test_gauss1d_tiny_axes(void **state)
{
    fixture_t *f = *state;

    make(f, "gauss1d", NULL);
    for (size_t np = 1; np <= 6; np++) {
        offbkg_cube_t *c = cube2d(2, np, 2.5, 1);
        for (size_t j = 0; j < np; j++) {
            c->rate[j] = 2.5; /* row 0: constant */
            c->rate[np + j] = (double)j + 1;
            c->rate_err[np + j] = 0.5;
            c->counts[j] = c->counts[np + j] = 1e5;
        }
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        assert_sane(c);
        for (size_t j = 0; j < np; j++)
            assert_rel(c->rate[j], 2.5, 1e-12);
        /* One bin: the kernel is the identity. */
        if (np == 1) {
            assert_true(c->rate[1] == 1);
            assert_true(c->rate_err[1] == 0.5);
        }
        offbkg_cube_free(c);
    }
}

static void test_gauss1d_refuses_3d_and_bad_cubes(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube3d(2, 4, 4, 1, 1, 0);

    make(f, "gauss1d", NULL);
    assert_int_equal(smooth(f, c), OFFBKG_EINVAL);
    plugin_assert_host_error_cleared("gauss1d smooths 2D (energy, offset) cubes along the "
                      "offset axis; this cube has 3 axes (use k5a or "
                      "gauss2d for a 3D cube)");
    offbkg_cube_free(c);
    c = cube2d(2, 5, 2.5, 1);
    c->counts[0] = 10;
    c->rate[3] = NAN;
    assert_int_equal(smooth(f, c), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("cell 3: rate nan is not finite and >= 0");
    c->rate[3] = 1;
    c->rate_err[4] = -1;
    assert_int_equal(smooth(f, c), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("cell 4: rate_err -1 is not finite and >= 0");
    c->rate_err[4] = 0;
    c->solid_angle_sr[7] = 0;
    assert_int_equal(smooth(f, c), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("cell 7: solid angle 0 sr is not finite and > 0");
    offbkg_cube_free(c);
}

/* ------------------------------------------------------------------ */
/* k5a                                                                 */

/* The old 3D smoothing of a slice i, j -> (3 i + 5 j + i j) mod 13, as
 * gammapy 0.7 did it with scipy 1.10 (the rescale uses flat pixels, as
 * these cubes do). */
static const struct {
    size_t n1, n2;
    const char *passes;
    double want[42];
} old_slices[] = {
    { 6, 7, "1",
      { 2.96, 4.5600000000000005, 6.08, 5.2, 6.4, 6.36, 5.36, 3.72, 5.24,
        4.8, 5.64, 4.4, 6.04, 4.44, 5.4, 4.96, 5.96, 4.12, 5.92, 4.84,
        5.44, 7.2, 6.92, 5.76, 5.96, 4.6000000000000005, 6.04, 5.24, 7.84,
        7.68, 6.92, 4.96, 5.08, 4.32, 5.2, 7.04, 7.84, 7.2, 5.4, 4.12,
        4.5200000000000005, 5.32 } },
    { 6, 7, "3",
      { 4.302848, 4.6848, 5.150399999999999, 5.4064, 5.572544, 5.548928,
        5.47744, 4.735936, 5.012096, 5.207744, 5.401024, 5.38464, 5.442176,
        5.347264, 5.550784, 5.554752, 5.5704959999999994, 5.34592, 5.35264,
        5.245248, 5.27168, 6.4151039999999995, 6.3086079999999995,
        5.913792, 5.5744, 5.205056, 5.2046079999999995, 5.171328,
        7.0527359999999994, 6.8005119999999994, 6.323136, 5.614144,
        5.210496, 5.019328, 5.079936, 7.306112, 7.059584, 6.452864,
        5.697792, 5.104127999999999, 4.945024, 4.9755519999999995 } },
    { 2, 3, "2",
      { 3.8352000000000004, 4.9104, 5.8192, 3.9328000000000003, 4.8672,
        5.6352 } },
    { 1, 4, "1", { 1.8, 4.68, 6.16, 4.36 } },
};

static void test_k5a_matches_old_code(void **state)
{
    fixture_t *f = *state;

    for (size_t t = 0; t < sizeof old_slices / sizeof old_slices[0]; t++) {
        const kv_t kv[] = { { "n_smooth", old_slices[t].passes },
                            { NULL, NULL } };
        size_t n1 = old_slices[t].n1, n2 = old_slices[t].n2;
        offbkg_cube_t *c = cube3d(2, n1, n2, 1, 1, 1);

        make(f, "k5a", kv);
        for (size_t i = 0; i < n1; i++)
            for (size_t j = 0; j < n2; j++)
                c->rate[cell3(c, 1, i, j)] = (double)((3 * i + 5 * j
                                                       + i * j) % 13);
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        assert_sane(c);
        for (size_t k = 0; k < n1 * n2; k++) {
            assert_true(c->rate[k] == 0); /* slice 0 is empty */
            assert_rel(c->rate[n1 * n2 + k], old_slices[t].want[k], 1e-12);
        }
        offbkg_cube_free(c);
    }
}

static void test_k5a_constant_slice_stays_constant(void **state)
{
    static const char *const passes[] = { "0", "1", "2", "5", "20" };
    fixture_t *f = *state;

    for (size_t t = 0; t < sizeof passes / sizeof passes[0]; t++) {
        const kv_t kv[] = { { "n_smooth", passes[t] }, { NULL, NULL } };
        offbkg_cube_t *c = cube3d(3, 12, 10, 4, 4, 0), *ref;

        make(f, "k5a", kv);
        for (size_t k = 0; k < c->n_cells; k++) {
            c->rate[k] = 2e-6 * (double)(1 + k / slice_cells(c));
            c->rate_err[k] = 1e-7;
            c->counts[k] = 3;
        }
        ref = offbkg_cube_copy(c);
        assert_non_null(ref);
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        assert_sane(c);
        for (size_t k = 0; k < c->n_cells; k++) {
            assert_rel(c->rate[k], ref->rate[k], 1e-12);
            assert_true(c->rate_err[k] < 1e-7);
        }
        assert_rest_unchanged(c, ref);
        offbkg_cube_free(ref);
        offbkg_cube_free(c);
    }
}

/* Non-negative, uneven values for cell k of a test cube. */
static double bumpy(size_t k)
{
    return (double)((k * 37 + 11) % 17) * (k % 5 == 0 ? 0 : 1e-6)
           + 1e-7 * (double)(k % 3);
}

static void test_k5a_integral_preserved(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube3d(4, 15, 11, 4, 3, 0);
    double before[4];

    make(f, "k5a", NULL);
    for (size_t k = 0; k < c->n_cells; k++) {
        c->rate[k] = bumpy(k);
        c->rate_err[k] = 0.1 * bumpy(k + 1);
        c->counts[k] = 2;
    }
    for (size_t e = 0; e < 4; e++)
        before[e] = slice_integral(c, e);
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    for (size_t e = 0; e < 4; e++)
        assert_rel(slice_integral(c, e), before[e], 1e-12);
    offbkg_cube_free(c);
}

/* k5a^n / 25^n, (4n + 1) x (4n + 1), computed here by direct products. */
static void k5a_power(int n, double *out, size_t size)
{
    static const double k[5][5] = {
        { 0, 0, 1, 0, 0 }, { 0, 2, 2, 2, 0 }, { 1, 2, 5, 2, 1 },
        { 0, 2, 2, 2, 0 }, { 0, 0, 1, 0, 0 },
    };
    double *tmp = calloc(size * size, sizeof *tmp);

    assert_non_null(tmp);
    memset(out, 0, size * size * sizeof *out);
    out[(size / 2) * size + size / 2] = 1;
    for (int p = 0; p < n; p++) {
        memset(tmp, 0, size * size * sizeof *tmp);
        for (size_t a = 0; a < size; a++)
            for (size_t b = 0; b < size; b++)
                for (int u = -2; u <= 2; u++)
                    for (int v = -2; v <= 2; v++) {
                        ptrdiff_t aa = (ptrdiff_t)a - u;
                        ptrdiff_t bb = (ptrdiff_t)b - v;
                        if (aa < 0 || bb < 0 || aa >= (ptrdiff_t)size
                            || bb >= (ptrdiff_t)size)
                            continue;
                        tmp[a * size + b] += k[u + 2][v + 2] / 25
                                             * out[aa * size + bb];
                    }
        memcpy(out, tmp, size * size * sizeof *out);
    }
    free(tmp);
}

/* A spike of 1 +- 0.5 in the middle of a 31 x 31 slice (flat pixels)
 * after k5a with @p passes ("0": from the counts) must be k5a^n. Returns
 * the width of the result along a row. */
static size_t k5a_spike(fixture_t *f, const char *passes, double counts,
                        int n_check)
{
    const kv_t kv[] = { { "n_smooth", passes }, { NULL, NULL } };
    offbkg_cube_t *c = cube3d(1, 31, 31, 3, 3, 1);
    size_t size = 4 * (size_t)n_check + 1, width = 0;
    double *kern = malloc(size * size * sizeof *kern);

    assert_non_null(kern);
    make(f, "k5a", kv);
    c->rate[cell3(c, 0, 15, 15)] = 1;
    c->rate_err[cell3(c, 0, 15, 15)] = 0.5;
    c->counts[0] = counts;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    k5a_power(n_check, kern, size);
    for (size_t i = 0; i < 31; i++)
        for (size_t j = 0; j < 31; j++) {
            ptrdiff_t a = (ptrdiff_t)i - 15 + (ptrdiff_t)(size / 2);
            ptrdiff_t b = (ptrdiff_t)j - 15 + (ptrdiff_t)(size / 2);
            double want = a >= 0 && b >= 0 && a < (ptrdiff_t)size
                                  && b < (ptrdiff_t)size
                              ? kern[a * (ptrdiff_t)size + b]
                              : 0;
            assert_rel(c->rate[cell3(c, 0, i, j)], want, 1e-12);
            assert_rel(c->rate_err[cell3(c, 0, i, j)], 0.5 * want, 1e-12);
        }
    for (size_t j = 0; j < 31; j++)
        width += c->rate[cell3(c, 0, 15, j)] > 0;
    free(kern);
    offbkg_cube_free(c);
    return width;
}

static void test_k5a_single_pixel_gives_kernel_power(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(k5a_spike(f, "1", 0, 1), 5);
    assert_int_equal(k5a_spike(f, "2", 0, 2), 9);
    assert_int_equal(k5a_spike(f, "3", 0, 3), 13);
    assert_int_equal(k5a_spike(f, "7", 0, 7), 29);
}

static void test_k5a_passes_from_counts(void **state)
{
    fixture_t *f = *state;

    /* The old rule: 3 passes from 1e6 counts, 4 from 1e5, else 5. */
    assert_int_equal(k5a_spike(f, "0", 0, 5), 21);
    assert_int_equal(k5a_spike(f, "0", 99999, 5), 21);
    assert_int_equal(k5a_spike(f, "0", 1e5, 4), 17);
    assert_int_equal(k5a_spike(f, "0", 999999, 4), 17);
    assert_int_equal(k5a_spike(f, "0", 1e6, 3), 13);
    /* n_smooth overrides it. */
    assert_int_equal(k5a_spike(f, "2", 1e6, 2), 9);
}

static void test_k5a_empty_slice_untouched(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube3d(3, 8, 8, 2, 2, 0);
    size_t m = slice_cells(c);

    make(f, "k5a", NULL);
    /* Slice 1 is empty; slices 0 and 2 are not. */
    for (size_t k = 0; k < m; k++) {
        c->rate[k] = bumpy(k);
        c->rate[2 * m + k] = bumpy(k + 3);
    }
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    for (size_t k = m; k < 2 * m; k++)
        assert_true(c->rate[k] == 0 && c->rate_err[k] == 0);
    assert_true(slice_integral(c, 0) > 0 && slice_integral(c, 2) > 0);
    offbkg_cube_free(c);
}

static void test_k5a_tiny_axes(void **state)
{
    static const size_t shapes[][2] = { { 1, 1 }, { 1, 3 }, { 3, 1 },
                                        { 2, 2 }, { 2, 5 }, { 4, 3 } };
    fixture_t *f = *state;

    make(f, "k5a", NULL);
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        offbkg_cube_t *c = cube3d(2, shapes[t][0], shapes[t][1], 1, 1, 0);
        size_t m = slice_cells(c);
        double before;
        for (size_t k = 0; k < m; k++) {
            c->rate[k] = 4e-6;          /* slice 0: constant */
            c->rate[m + k] = bumpy(k + 1) + 1e-6;
            c->rate_err[m + k] = 1e-7;
        }
        before = slice_integral(c, 1);
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        assert_sane(c);
        for (size_t k = 0; k < m; k++)
            assert_rel(c->rate[k], 4e-6, 1e-12);
        assert_rel(slice_integral(c, 1), before, 1e-12);
        offbkg_cube_free(c);
    }
}

static void test_k5a_refuses_2d(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube2d(2, 10, 2.5, 1);

    make(f, "k5a", NULL);
    assert_int_equal(smooth(f, c), OFFBKG_EINVAL);
    plugin_assert_host_error_cleared("k5a smooths 3D (energy, DETX, DETY) cubes in the "
                      "field-of-view plane; this cube has 2 axes (use "
                      "gauss1d or gauss2d for a 2D cube)");
    offbkg_cube_free(c);
}

/* ------------------------------------------------------------------ */
/* gauss2d                                                             */

static void test_gauss2d_constant_stays_constant(void **state)
{
    fixture_t *f = *state;
    const kv_t wide[] = { { "sigma_deg", "1.5" }, { "radius_sigma", "4" },
                          { NULL, NULL } };
    offbkg_cube_t *cubes[4];

    cubes[0] = cube3d(2, 30, 24, 4, 3, 0);
    cubes[1] = cube3d(2, 9, 13, 1, 2, 0);
    /* Irregular DETX bins. */
    for (size_t i = 0; i <= 9; i++)
        cubes[1]->axes[1].edges[i] = -1 + 2 * pow((double)i / 9, 1.7);
    cubes[2] = cube2d(2, 99, 2.5, 1); /* sqrt-spaced offsets */
    cubes[3] = cube2d(2, 40, 2.5, 0);
    for (int w = 0; w < 2; w++) {
        make(f, "gauss2d", w ? wide : NULL);
        for (size_t t = 0; t < 4; t++) {
            offbkg_cube_t *c = offbkg_cube_copy(cubes[t]), *ref;
            assert_non_null(c);
            for (size_t k = 0; k < c->n_cells; k++) {
                c->rate[k] = 5e-5 * (k < slice_cells(c) ? 1 : 3);
                c->rate_err[k] = 1e-6;
            }
            ref = offbkg_cube_copy(c);
            assert_non_null(ref);
            assert_int_equal(smooth(f, c), OFFBKG_OK);
            assert_sane(c);
            for (size_t k = 0; k < c->n_cells; k++) {
                assert_rel(c->rate[k], ref->rate[k], 1e-12);
                assert_true(c->rate_err[k] > 0 && c->rate_err[k] < 1e-6);
            }
            assert_rest_unchanged(c, ref);
            offbkg_cube_free(ref);
            offbkg_cube_free(c);
        }
    }
    for (size_t t = 0; t < 4; t++)
        offbkg_cube_free(cubes[t]);
}

static void test_gauss2d_integral_preserved(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *cubes[2] = { cube3d(3, 20, 17, 4, 3.5, 0),
                                cube2d(3, 99, 2.5, 1) };

    make(f, "gauss2d", NULL);
    for (size_t t = 0; t < 2; t++) {
        offbkg_cube_t *c = cubes[t];
        double before[3];
        for (size_t k = 0; k < c->n_cells; k++) {
            c->rate[k] = bumpy(k);
            c->rate_err[k] = 0.2 * bumpy(k + 2);
        }
        for (size_t e = 0; e < 3; e++)
            before[e] = slice_integral(c, e);
        assert_int_equal(smooth(f, c), OFFBKG_OK);
        assert_sane(c);
        for (size_t e = 0; e < 3; e++)
            assert_rel(slice_integral(c, e), before[e], 1e-12);
        offbkg_cube_free(c);
    }
}

static void test_gauss2d_single_pixel_gives_gaussian(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = { { "sigma_deg", "0.25" }, { NULL, NULL } };
    /* 0.1 deg pixels; R = 0.75 deg = 7.5 pixels, never on a centre. */
    offbkg_cube_t *c = cube3d(1, 41, 41, 2.05, 2.05, 1);
    double sum = 0, g0;

    make(f, "gauss2d", kv);
    c->rate[cell3(c, 0, 20, 20)] = 1;
    c->rate_err[cell3(c, 0, 20, 20)] = 0.5;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    for (size_t k = 0; k < c->n_cells; k++)
        sum += c->rate[k];
    assert_rel(sum, 1, 1e-12);
    g0 = c->rate[cell3(c, 0, 20, 20)];
    for (size_t i = 0; i < 41; i++)
        for (size_t j = 0; j < 41; j++) {
            double dx = 0.1 * ((double)i - 20), dy = 0.1 * ((double)j - 20);
            double r2 = dx * dx + dy * dy;
            double want = r2 <= 0.75 * 0.75 ? exp(-r2 / (2 * 0.0625)) : 0;
            size_t k = cell3(c, 0, i, j);
            assert_rel(c->rate[k] / g0, want, 1e-12);
            assert_rel(c->rate_err[k], 0.5 * c->rate[k], 1e-12);
        }
    offbkg_cube_free(c);
}

static void test_gauss2d_offset_reflects_at_zero(void **state)
{
    fixture_t *f = *state;
    const kv_t kv[] = { { "sigma_deg", "0.1" }, { "radius_sigma", "2.9" },
                        { NULL, NULL } };
    /* Regular 0.05 deg offset bins; a spike in the first one spreads as
     * a Gaussian around its centre plus its mirror image at -0.025. R is
     * 0.29 deg, so that no distance falls on it. */
    offbkg_cube_t *c = cube2d(1, 50, 2.5, 0);
    double d = 0.05, s2 = 2 * 0.01, out0;

    make(f, "gauss2d", kv);
    c->rate[0] = 1;
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    out0 = c->rate[0];
    for (size_t i = 0; i < 50; i++) {
        double a = (double)i * d, b = (double)(i + 1) * d;
        double want = (a <= 0.29 ? exp(-a * a / s2) : 0)
                      + (b <= 0.29 ? exp(-b * b / s2) : 0);
        assert_rel(c->rate[i] / out0, want / (1 + exp(-d * d / s2)), 1e-12);
    }
    offbkg_cube_free(c);
}

static void test_gauss2d_empty_slice_untouched(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube3d(3, 10, 10, 2, 2, 0);
    offbkg_cube_t *r = cube2d(3, 20, 2.5, 1);
    size_t m = slice_cells(c);

    make(f, "gauss2d", NULL);
    for (size_t k = 0; k < m; k++)
        c->rate[2 * m + k] = bumpy(k);
    for (size_t j = 0; j < 20; j++)
        r->rate[20 + j] = bumpy(j);
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_int_equal(smooth(f, r), OFFBKG_OK);
    assert_sane(c);
    assert_sane(r);
    for (size_t k = 0; k < 2 * m; k++)
        assert_true(c->rate[k] == 0 && c->rate_err[k] == 0);
    for (size_t j = 0; j < 20; j++)
        assert_true(r->rate[j] == 0 && r->rate[40 + j] == 0);
    assert_true(slice_integral(c, 2) > 0 && slice_integral(r, 1) > 0);
    offbkg_cube_free(c);
    offbkg_cube_free(r);
}

static void test_gauss2d_tiny_axes(void **state)
{
    static const size_t shapes[][2] = { { 1, 1 }, { 1, 2 }, { 3, 1 },
                                        { 2, 2 } };
    fixture_t *f = *state;
    const kv_t wide[] = { { "sigma_deg", "5" }, { "radius_sigma", "10" },
                          { NULL, NULL } };

    for (int w = 0; w < 2; w++) {
        make(f, "gauss2d", w ? wide : NULL);
        for (size_t t = 0; t < sizeof shapes / sizeof shapes[0] + 2; t++) {
            offbkg_cube_t *c;
            size_t m;
            double before;
            if (t < sizeof shapes / sizeof shapes[0])
                c = cube3d(2, shapes[t][0], shapes[t][1], 0.1, 0.2, 0);
            else
                c = cube2d(2, t - 3, 0.3, 1); /* 1 and 2 offset bins */
            m = slice_cells(c);
            for (size_t k = 0; k < m; k++) {
                c->rate[k] = 4e-6;
                c->rate[m + k] = bumpy(k + 1) + 1e-6;
                c->rate_err[m + k] = 1e-7;
            }
            before = slice_integral(c, 1);
            assert_int_equal(smooth(f, c), OFFBKG_OK);
            assert_sane(c);
            for (size_t k = 0; k < m; k++)
                assert_rel(c->rate[k], 4e-6, 1e-12);
            assert_rel(slice_integral(c, 1), before, 1e-12);
            offbkg_cube_free(c);
        }
    }
}

static void test_gauss2d_refuses_bad_axes(void **state)
{
    fixture_t *f = *state;
    offbkg_cube_t *c = cube3d(1, 4, 4, 1, 1, 0);

    make(f, "gauss2d", NULL);
    strcpy(c->axes[2].unit, "rad");
    assert_int_equal(smooth(f, c), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("gauss2d needs spatial axes in deg; axis DETY is in "
                      "'rad'");
    strcpy(c->axes[2].unit, "deg");
    c->axes[1].edges[2] = c->axes[1].edges[1];
    assert_int_equal(smooth(f, c), OFFBKG_EDATA);
    plugin_assert_host_error_cleared("cube axis 1 (DETX): edge 2 is not finite and above "
                      "the one before");
    offbkg_cube_free(c);
}

/* ------------------------------------------------------------------ */
/* Poisson data from a known smooth rate (doc/domain.md §8.4)         */

/* T x dE x dOmega of cell @p k (s MeV sr): rate x this = mean counts. */
static double cell_volume(const offbkg_cube_t *c, size_t k)
{
    size_t e = k / slice_cells(c);
    double de = (c->axes[0].edges[e + 1] - c->axes[0].edges[e]) * 1e6;

    return c->exposure_s[k] * de * c->solid_angle_sr[k];
}

/* Scale the shape in truth[] slice by slice so that slice e expects
 * n_mean[e] counts in all. */
static void normalise(const offbkg_cube_t *c, double *truth,
                      const double *n_mean)
{
    size_t m = slice_cells(c);

    for (size_t e = 0; e < c->axes[0].n_bins; e++) {
        double mu = 0;
        for (size_t k = e * m; k < (e + 1) * m; k++)
            mu += truth[k] * cell_volume(c, k);
        for (size_t k = e * m; k < (e + 1) * m; k++)
            truth[k] *= n_mean[e] / mu;
    }
}

/* Fill @p c with Poisson counts of mean mu = truth x T x dE x dOmega,
 * T = 1000 s, and the unsmoothed estimates rate = N / (T dE dOmega),
 * rate_err = sqrt(N) / (...); truth[k] keeps the true rate. */
static void poisson_fill(offbkg_cube_t *c, const double *truth, uint64_t seed)
{
    uint64_t s = seed;

    for (size_t k = 0; k < c->n_cells; k++) {
        double v = cell_volume(c, k);
        double n = rng_poisson(&s, truth[k] * v);
        c->counts[k] = n;
        c->rate[k] = n / v;
        c->rate_err[k] = sqrt(n) / v;
    }
}

/* chi^2 of the cube's rate against the truth, with the true Poisson
 * errors sqrt(mu) / (T dE dOmega). */
static double chi2(const offbkg_cube_t *c, const double *truth)
{
    double sum = 0;

    for (size_t k = 0; k < c->n_cells; k++) {
        double v = cell_volume(c, k);
        double sigma = sqrt(truth[k] * v) / v;
        double pull = (c->rate[k] - truth[k]) / sigma;
        sum += pull * pull;
    }
    return sum;
}

/* Smooth a copy of @p raw with the current instance; returns its chi^2
 * and checks it is below @p max_ratio of the raw one. */
static void assert_closer(fixture_t *f, const offbkg_cube_t *raw,
                          const double *truth, double max_ratio)
{
    offbkg_cube_t *c = offbkg_cube_copy(raw);
    double before = chi2(raw, truth), after;

    assert_non_null(c);
    assert_int_equal(smooth(f, c), OFFBKG_OK);
    assert_sane(c);
    after = chi2(c, truth);
    if (!(after < max_ratio * before))
        fail_msg("%s: chi2 %.1f smoothed vs %.1f raw over %zu bins",
                 f->inst.mod->desc->name, after, before, c->n_cells);
    offbkg_cube_free(c);
}

static void test_smoothers_poisson_2d_closer_to_truth(void **state)
{
    static const double n_mean[] = { 800, 400, 200, 100 };
    fixture_t *f = *state;
    offbkg_cube_t *c = cube2d(4, 99, 2.5, 1);
    double *truth = malloc(c->n_cells * sizeof *truth);
    double total = 0;

    assert_non_null(truth);
    /* doc/domain.md §8.1: a power law times a Gaussian in offset, widening
     * with energy, plus a floor; low statistics, 1 to 8 counts a bin. */
    for (size_t e = 0; e < 4; e++) {
        double en = sqrt(c->axes[0].edges[e] * c->axes[0].edges[e + 1]);
        double sig = 1.5 * pow(en, 0.1);
        for (size_t j = 0; j < 99; j++) {
            double t = 0.5 * (c->axes[1].edges[j] + c->axes[1].edges[j + 1]);
            truth[e * 99 + j] = 1.5e-4 * pow(en, -2.7)
                                * (exp(-t * t / (2 * sig * sig)) + 1e-3);
        }
    }
    normalise(c, truth, n_mean);
    poisson_fill(c, truth, 20240601);
    for (size_t k = 0; k < c->n_cells; k++)
        total += c->counts[k];
    assert_true(total > 1300 && total < 1700);
    make(f, "gauss1d", NULL);
    assert_closer(f, c, truth, 0.25);
    make(f, "gauss2d", NULL);
    assert_closer(f, c, truth, 0.25);
    free(truth);
    offbkg_cube_free(c);
}

static void test_smoothers_poisson_3d_closer_to_truth(void **state)
{
    static const double n_mean[] = { 3000, 1500, 700 };
    fixture_t *f = *state;
    offbkg_cube_t *c = cube3d(3, 24, 24, 2.4, 2.4, 0);
    double *truth = malloc(c->n_cells * sizeof *truth);
    double total = 0;

    assert_non_null(truth);
    /* The same, with the lon and lat asymmetry of doc/domain.md §8.1. */
    for (size_t e = 0; e < 3; e++) {
        double en = sqrt(c->axes[0].edges[e] * c->axes[0].edges[e + 1]);
        for (size_t i = 0; i < 24; i++)
            for (size_t j = 0; j < 24; j++) {
                double x = 0.5 * (c->axes[1].edges[i]
                                  + c->axes[1].edges[i + 1]);
                double y = 0.5 * (c->axes[2].edges[j]
                                  + c->axes[2].edges[j + 1]);
                truth[cell3(c, e, i, j)] =
                    2e-2 * pow(en, -2.7)
                    * (exp(-(x * x + y * y) / (2 * 1.5 * 1.5)) + 1e-3)
                    * (1 + 0.2 * x / 2.5) * (1 + 0.1 * y / 2.5);
            }
    }
    normalise(c, truth, n_mean);
    poisson_fill(c, truth, 77);
    for (size_t k = 0; k < c->n_cells; k++)
        total += c->counts[k];
    assert_true(total > 4000 && total < 6400);
    make(f, "k5a", NULL);
    assert_closer(f, c, truth, 0.25);
    make(f, "gauss2d", NULL);
    assert_closer(f, c, truth, 0.25);
    free(truth);
    offbkg_cube_free(c);
}

#define FIXTURE_TEST(fn) \
    cmocka_unit_test_setup_teardown(fn, plugin_fixture_setup, \
                                    plugin_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_smoothers_load_from_build_tree),
        FIXTURE_TEST(test_smoothers_param_ranges),
        FIXTURE_TEST(test_gauss1d_matches_old_code),
        FIXTURE_TEST(test_gauss1d_constant_row_stays_constant),
        FIXTURE_TEST(test_gauss1d_single_pixel_gives_kernel),
        FIXTURE_TEST(test_gauss1d_width_adapts_to_counts),
        FIXTURE_TEST(test_gauss1d_empty_row_untouched),
        FIXTURE_TEST(test_gauss1d_tiny_axes),
        FIXTURE_TEST(test_gauss1d_refuses_3d_and_bad_cubes),
        FIXTURE_TEST(test_k5a_matches_old_code),
        FIXTURE_TEST(test_k5a_constant_slice_stays_constant),
        FIXTURE_TEST(test_k5a_integral_preserved),
        FIXTURE_TEST(test_k5a_single_pixel_gives_kernel_power),
        FIXTURE_TEST(test_k5a_passes_from_counts),
        FIXTURE_TEST(test_k5a_empty_slice_untouched),
        FIXTURE_TEST(test_k5a_tiny_axes),
        FIXTURE_TEST(test_k5a_refuses_2d),
        FIXTURE_TEST(test_gauss2d_constant_stays_constant),
        FIXTURE_TEST(test_gauss2d_integral_preserved),
        FIXTURE_TEST(test_gauss2d_single_pixel_gives_gaussian),
        FIXTURE_TEST(test_gauss2d_offset_reflects_at_zero),
        FIXTURE_TEST(test_gauss2d_empty_slice_untouched),
        FIXTURE_TEST(test_gauss2d_tiny_axes),
        FIXTURE_TEST(test_gauss2d_refuses_bad_axes),
        FIXTURE_TEST(test_smoothers_poisson_2d_closer_to_truth),
        FIXTURE_TEST(test_smoothers_poisson_3d_closer_to_truth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
