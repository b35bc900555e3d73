/* SPDX-License-Identifier: BSD-3-Clause
 * model/2d and model/3d through the real loader: configs filled by the
 * host from hand-built INI sections, runs with hand-placed events, and
 * the cubes checked against counts, exposures and rates computed here
 * independently (exclusion fractions against the arc-length integral). */
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

#include <offbkg/astro.h>
#include <offbkg/binning.h>
#include <offbkg/geom.h>

#include "plugin_fixture.h"

#define DEG (M_PI / 180.0)
#define CRAB_RA 83.633
#define CRAB_DEC 22.0145
#define ONTIME 1000.0
#define LIVETIME 900.0

/* H.E.S.S. site and time reference (DR1 headers). */
#define HESS_LON 16.500222
#define HESS_LAT -23.271778
#define HESS_MJDREF 51910.000742870370

/* ------------------------------------------------------------------ */
/* Fixture: one plugin instance made the way the host makes it         */

typedef plugin_fixture_t fixture_t;

/* Fill the config of model/@p name from @p kv (NULL: defaults). */
static int configure(fixture_t *f, const char *name, const kv_t *kv)
{
    plugin_fixture_unmake(f);
    return plugin_configure(&f->inst, f->reg, &f->diags, OFFBKG_STAGE_MODEL,
                            name, kv);
}

/* configure, then create; returns create's status. */
static int try_make(fixture_t *f, const char *name, const kv_t *kv)
{
    plugin_fixture_unmake(f);
    return plugin_make_status(&f->inst, f->ctx, f->reg, &f->diags,
                              OFFBKG_STAGE_MODEL, name, kv);
}

static void make(fixture_t *f, const char *name, const kv_t *kv)
{
    int rc = try_make(f, name, kv);
    if (rc != OFFBKG_OK)
        fail_msg("create failed: %s", offbkg_host_last_error());
    assert_non_null(f->inst.state);
}

static const offbkg_model_ops_t *ops(const fixture_t *f)
{
    return f->inst.mod->desc->ops.model;
}

static void *contrib_new(fixture_t *f)
{
    void *c = NULL;
    assert_int_equal(ops(f)->contrib_new(f->inst.state, &c), OFFBKG_OK);
    assert_non_null(c);
    return c;
}

static void contrib_free(fixture_t *f, void *c)
{
    ops(f)->contrib_free(f->inst.state, c);
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

static void assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative %g)", got, want, rel);
}

/* ------------------------------------------------------------------ */
/* Runs with hand-placed events                                        */

#define MAX_EV 8192
#define MAX_REG 8

typedef struct trun {
    offbkg_run_t run;
    offbkg_offset_frame_t frame;
    double e[MAX_EV], ra[MAX_EV], dec[MAX_EV], t[MAX_EV];
    offbkg_region_t reg[MAX_REG];
} trun_t;

static trun_t *trun_new(int64_t obs_id, double ra_pnt, double dec_pnt)
{
    trun_t *r = calloc(1, sizeof *r);

    assert_non_null(r);
    r->run = (offbkg_run_t){
        .struct_size = sizeof(offbkg_run_t), .obs_id = obs_id,
        .ra_pnt_deg = ra_pnt, .dec_pnt_deg = dec_pnt, .ontime_s = ONTIME,
        .livetime_s = LIVETIME, .tstart_s = 0, .tstop_s = ONTIME,
        .mjdref_tt_day = NAN, .site_lon_deg = NAN, .site_lat_deg = NAN,
        .site_height_m = NAN, .energy_tev = r->e, .ra_deg = r->ra,
        .dec_deg = r->dec, .time_s = r->t, .regions = r->reg,
    };
    offbkg_offset_frame_init(&r->frame, ra_pnt, dec_pnt);
    return r;
}

static void trun_add(trun_t *r, double e, double ra, double dec, double t)
{
    size_t i = r->run.n_events++;
    assert_true(i < MAX_EV);
    r->e[i] = e;
    r->ra[i] = ra;
    r->dec[i] = dec;
    r->t[i] = t;
}

/* (RA, Dec) at offset @p s_deg from the pointing, azimuth @p phi_deg
 * counted from east (increasing RA) toward north. */
static void trun_place(const trun_t *r, double s_deg, double phi_deg,
                       double *ra, double *dec)
{
    double s = s_deg * DEG, p = phi_deg * DEG;
    double x = cos(s), y = sin(s) * cos(p), z = sin(s) * sin(p);

    offbkg_offset_frame_inverse(&r->frame, atan2(y, x) / DEG,
                                atan2(z, hypot(x, y)) / DEG, ra, dec);
}

static void trun_add_at(trun_t *r, double e, double s_deg, double phi_deg)
{
    double ra, dec;
    trun_place(r, s_deg, phi_deg, &ra, &dec);
    trun_add(r, e, ra, dec, 0);
}

static void trun_region_at(trun_t *r, double s_deg, double phi_deg,
                           double radius_deg)
{
    size_t i = r->run.n_regions++;
    assert_true(i < MAX_REG);
    trun_place(r, s_deg, phi_deg, &r->reg[i].ra_deg, &r->reg[i].dec_deg);
    r->reg[i].radius_deg = radius_deg;
}

static void fill_ok(fixture_t *f, const trun_t *r, void *c)
{
    int rc = ops(f)->fill(f->inst.state, &r->run, c);
    if (rc != OFFBKG_OK)
        fail_msg("fill failed: %s", offbkg_host_last_error());
}

static offbkg_cube_t *finish_ok(fixture_t *f, const void *c)
{
    offbkg_cube_t *cube = NULL;
    int rc = ops(f)->finish(f->inst.state, c, &cube);
    if (rc != OFFBKG_OK)
        fail_msg("finish failed: %s", offbkg_host_last_error());
    assert_non_null(cube);
    return cube;
}

/* A model filled with run @p r alone, finished. */
static offbkg_cube_t *cube_of(fixture_t *f, const trun_t *r)
{
    void *c = contrib_new(f);
    offbkg_cube_t *cube;

    fill_ok(f, r, c);
    cube = finish_ok(f, c);
    contrib_free(f, c);
    return cube;
}

/* ------------------------------------------------------------------ */
/* Independent geometry for the checks                                 */

/* Half-width (rad) of the azimuths of the ring at offset @p th inside a
 * circle of radius @p r at offset @p s (all rad), on the sphere. */
static double arc_half(double th, double s, double r)
{
    double c;

    if (th <= 0)
        return s < r ? M_PI : 0;
    if (s <= 0)
        return th < r ? M_PI : 0;
    c = (cos(r) - cos(th) * cos(s)) / (sin(th) * sin(s));
    return c >= 1 ? 0 : c <= -1 ? M_PI : acos(c);
}

/* Length (rad) of the union of two arcs centred on @p p1 and @p p2 with
 * half-widths @p h1 and @p h2, on the circle. */
static double arc_union(double p1, double h1, double p2, double h2)
{
    double d = fabs(remainder(p1 - p2, 2 * M_PI));
    double lo, hi, overlap, other;

    if (h1 >= M_PI || h2 >= M_PI)
        return 2 * M_PI;
    /* Overlap on the near side, then the far side (through +-pi). */
    lo = fmax(-h1, d - h2);
    hi = fmin(h1, d + h2);
    overlap = fmax(0, hi - lo);
    lo = fmax(-h1, d - 2 * M_PI - h2);
    hi = fmin(h1, d - 2 * M_PI + h2);
    other = fmax(0, hi - lo);
    return fmin(2 * M_PI, 2 * h1 + 2 * h2 - overlap - other);
}

/* The excluded fraction of the ring [a, b] (deg) by one or two circles
 * (offsets s, azimuths p, radii r; deg): the arc-length integral
 * (1/Omega) int 2 alpha(theta) sin(theta) dtheta, by the midpoint rule. */
static double ring_fraction(double a, double b, size_t n_circ,
                            const double *s, const double *p,
                            const double *r)
{
    const size_t steps = 20000;
    double h = (b - a) * DEG / steps, sum = 0;

    for (size_t i = 0; i < steps; i++) {
        double th = a * DEG + (i + 0.5) * h;
        double len = 2 * arc_half(th, s[0] * DEG, r[0] * DEG);
        if (n_circ == 2)
            len = arc_union(p[0] * DEG, 0.5 * len, p[1] * DEG,
                            arc_half(th, s[1] * DEG, r[1] * DEG));
        sum += len * sin(th) * h;
    }
    return sum / (2 * M_PI * (cos(a * DEG) - cos(b * DEG)));
}

/* ------------------------------------------------------------------ */
/* model/2d                                                            */

static void test_model_2d_defaults(void **state)
{
    fixture_t *f = *state;
    trun_t *r = trun_new(1, CRAB_RA, CRAB_DEC);
    offbkg_cube_t *cube;
    const double *e, *t;

    make(f, "2d", NULL);
    assert_string_equal(f->warnings, "");
    cube = cube_of(f, r);
    assert_int_equal(cube->n_axes, 2);
    assert_string_equal(cube->axes[0].name, "ENERG");
    assert_string_equal(cube->axes[0].unit, "TeV");
    assert_string_equal(cube->axes[1].name, "THETA");
    assert_string_equal(cube->axes[1].unit, "deg");
    assert_int_equal(cube->axes[0].n_bins, 15);
    assert_int_equal(cube->axes[1].n_bins, 99);
    assert_int_equal(cube->n_cells, 15 * 99);
    e = cube->axes[0].edges;
    t = cube->axes[1].edges;
    assert_true(e[0] == 0.1 && e[15] == 100);
    assert_near(e[5], 1.0, 1e-12);
    assert_true(t[0] == 0 && t[99] == 2.5);
    assert_near(t[1], 0.251259, 1e-6);
    assert_string_equal(cube->time_base, "ONTIME");
    assert_string_equal(cube->fov_alignment, "");
    assert_int_equal(cube->fov_lon_sign, 0);
    for (size_t ie = 0; ie < 15; ie++)
        for (size_t j = 0; j < 99; j++) {
            size_t cell = ie * 99 + j;
            /* A run with no events still adds its time everywhere. */
            assert_true(cube->exposure_s[cell] == ONTIME);
            assert_true(cube->counts[cell] == 0);
            assert_true(cube->rate[cell] == 0 && cube->rate_err[cell] == 0);
            /* cos - cos loses ~1e-11 for thin rings; the plugin's
             * product form does not. */
            assert_rel(cube->solid_angle_sr[cell],
                       2 * M_PI * (cos(t[j] * DEG) - cos(t[j + 1] * DEG)),
                       1e-9);
        }
    offbkg_cube_free(cube);
    free(r);
}

static const kv_t small_2d[] = {
    { "energy_edges_tev", "1, 2, 4, 8" },
    { "offset_edges_deg", "0, 0.5, 1, 2" },
    { NULL, NULL }
};

static void test_model_2d_exact_counts(void **state)
{
    /* want[ie][it] */
    static const double want[3][3] = { { 2, 1, 0 }, { 1, 0, 1 },
                                       { 0, 1, 3 } };
    fixture_t *f = *state;
    trun_t *r = trun_new(7, 359.8, -45);
    offbkg_cube_t *cube;

    make(f, "2d", small_2d);
    trun_add_at(r, 1.0, 0.25, 10);     /* E on the first edge: bin 0 */
    trun_add_at(r, 1.999, 0.01, 200);  /* [0][0] */
    trun_add_at(r, 1.5, 0.75, 100);    /* [0][1] */
    trun_add_at(r, 2.0, 0.3, 300);     /* E on an inner edge: bin 1 */
    trun_add_at(r, 3.0, 1.9, 45);      /* [1][2] */
    trun_add_at(r, 8.0, 1.5, 0);       /* E at the top edge: last bin */
    trun_add_at(r, 7.9, 1.99, 180);    /* [2][2] */
    trun_add_at(r, 4.0, 1.01, 270);    /* [2][2] */
    trun_add_at(r, 5.0, 0.6, 90);      /* [2][1] */
    /* dropped: */
    trun_add_at(r, nextafter(8.0, 9.0), 1.5, 0);  /* just above the top */
    trun_add_at(r, nextafter(1.0, 0.0), 0.25, 0); /* just below */
    trun_add_at(r, 3.0, 2.1, 0);       /* beyond the largest offset */
    trun_add_at(r, 3.0, 10, 0);
    trun_add_at(r, NAN, 0.5, 0);
    trun_add_at(r, INFINITY, 0.5, 0);
    trun_add_at(r, -2.0, 0.5, 0);
    trun_add_at(r, 0.0, 0.5, 0);
    trun_add(r, 3.0, NAN, CRAB_DEC, 0);
    trun_add(r, 3.0, 359.8, INFINITY, 0);
    cube = cube_of(f, r);
    assert_int_equal(cube->n_cells, 9);
    for (size_t ie = 0; ie < 3; ie++)
        for (size_t it = 0; it < 3; it++) {
            if (cube->counts[ie * 3 + it] != want[ie][it])
                fail_msg("cell (%zu, %zu): %g counts, want %g", ie, it,
                         cube->counts[ie * 3 + it], want[ie][it]);
            assert_true(cube->exposure_s[ie * 3 + it] == ONTIME);
        }
    offbkg_cube_free(cube);
    free(r);
}

static void test_model_2d_time_base(void **state)
{
    fixture_t *f = *state;
    const kv_t live[] = { { "energy_edges_tev", "1, 2, 4, 8" },
                          { "offset_edges_deg", "0, 0.5, 1, 2" },
                          { "time_base", "livetime" },
                          { NULL, NULL } };
    trun_t *r = trun_new(7, 10, 20);
    offbkg_cube_t *cube;

    trun_add_at(r, 1.5, 0.2, 0);
    make(f, "2d", live);
    cube = cube_of(f, r);
    assert_string_equal(cube->time_base, "LIVETIME");
    for (size_t i = 0; i < cube->n_cells; i++)
        assert_true(cube->exposure_s[i] == LIVETIME);
    assert_rel(cube->rate[0],
               1.0 / (LIVETIME * 1e6 * 2 * M_PI * (1 - cos(0.5 * DEG))),
               1e-12);
    offbkg_cube_free(cube);

    make(f, "2d", small_2d);
    cube = cube_of(f, r);
    assert_string_equal(cube->time_base, "ONTIME");
    for (size_t i = 0; i < cube->n_cells; i++)
        assert_true(cube->exposure_s[i] == ONTIME);
    offbkg_cube_free(cube);

    /* A run without a positive time is refused, naming it. */
    r->run.ontime_s = 0;
    {
        void *c = contrib_new(f);
        assert_int_equal(ops(f)->fill(f->inst.state, &r->run, c), OFFBKG_EDATA);
        plugin_assert_host_error("run 7: ONTIME is 0, not a positive time");
        contrib_free(f, c);
    }
    free(r);
}

static void test_model_2d_rate_formula(void **state)
{
    fixture_t *f = *state;
    trun_t *a = trun_new(1, 120, -30), *b = trun_new(2, 240, 60);
    void *c;
    offbkg_cube_t *cube;
    const double e[] = { 1, 2, 4, 8 }, t[] = { 0, 0.5, 1, 2 };

    make(f, "2d", small_2d);
    for (int i = 0; i < 5; i++)
        trun_add_at(a, 1.5, 0.75, 72.0 * i);     /* [0][1]: 5 */
    for (int i = 0; i < 3; i++)
        trun_add_at(b, 5.0, 1.5, 120.0 * i);     /* [2][2]: 3 */
    trun_add_at(b, 1.5, 0.75, 0);                /* [0][1]: +1 */
    b->run.ontime_s = 250;
    c = contrib_new(f);
    fill_ok(f, a, c);
    fill_ok(f, b, c);
    cube = finish_ok(f, c);
    {
        const struct { size_t ie, it; double n; } cells[] = {
            { 0, 1, 6 }, { 2, 2, 3 }, { 1, 0, 0 },
        };
        for (size_t k = 0; k < 3; k++) {
            size_t ie = cells[k].ie, it = cells[k].it, cell = ie * 3 + it;
            double T = ONTIME + 250;
            double de_mev = (e[ie + 1] - e[ie]) * 1e6;
            double dom = 2 * M_PI * (cos(t[it] * DEG) - cos(t[it + 1] * DEG));
            assert_true(cube->counts[cell] == cells[k].n);
            assert_true(cube->exposure_s[cell] == T);
            assert_rel(cube->solid_angle_sr[cell], dom, 1e-10);
            assert_rel(cube->rate[cell], cells[k].n / (T * de_mev * dom),
                       1e-10);
            assert_rel(cube->rate_err[cell],
                       sqrt(cells[k].n) / (T * de_mev * dom), 1e-10);
        }
    }
    /* Every cell finite and non-negative. */
    for (size_t i = 0; i < cube->n_cells; i++)
        assert_true(isfinite(cube->rate[i]) && cube->rate[i] >= 0
                    && isfinite(cube->rate_err[i]));
    offbkg_cube_free(cube);
    contrib_free(f, c);
    free(a);
    free(b);
}

static void test_model_2d_zero_exposure(void **state)
{
    fixture_t *f = *state;
    trun_t *r = trun_new(3, 50, 50);
    void *c;
    offbkg_cube_t *cube = (offbkg_cube_t *)&cube;

    make(f, "2d", NULL);
    /* Nothing filled. */
    c = contrib_new(f);
    assert_int_equal(ops(f)->finish(f->inst.state, c, &cube), OFFBKG_EDATA);
    assert_null(cube);
    plugin_assert_host_error("no exposure: no run was filled, or every bin is "
                      "excluded");
    /* A run whose whole field of view is excluded: no exposure, and its
     * events are all dropped. */
    trun_region_at(r, 0.3, 10, 3.0);
    trun_add_at(r, 1.0, 1.0, 0);
    trun_add_at(r, 1.0, 2.49, 180);
    fill_ok(f, r, c);
    cube = (offbkg_cube_t *)&cube;
    assert_int_equal(ops(f)->finish(f->inst.state, c, &cube), OFFBKG_EDATA);
    assert_null(cube);
    contrib_free(f, c);
    free(r);
}

static void test_model_2d_exclusion_drops_events(void **state)
{
    fixture_t *f = *state;
    const kv_t one[] = { { "energy_edges_tev", "0.1, 100" },
                         { "offset_edges_deg", "0, 2.5" },
                         { NULL, NULL } };
    trun_t *r = trun_new(4, 300, 70);
    offbkg_cube_t *cube;
    double rc_ra, rc_dec;

    make(f, "2d", one);
    trun_region_at(r, 1.0, 40, 0.3);
    rc_ra = r->reg[0].ra_deg;
    rc_dec = r->reg[0].dec_deg;
    trun_add(r, 1, rc_ra, rc_dec, 0);            /* the centre: dropped */
    trun_add(r, 1, rc_ra, rc_dec + 0.2999, 0);   /* inside: dropped */
    trun_add(r, 1, rc_ra, rc_dec - 0.2999, 0);   /* inside: dropped */
    trun_add(r, 1, rc_ra, rc_dec + 0.3001, 0);   /* outside: kept */
    trun_add_at(r, 1, 1.0, 40 + 180);            /* mirror: kept */
    trun_add_at(r, 1, 0.1, 40);                  /* kept */
    cube = cube_of(f, r);
    assert_true(cube->counts[0] == 3);
    /* The region covers pi (0.3 deg)^2 of a 2.5 deg disc. */
    assert_rel(cube->exposure_s[0],
               ONTIME * (1 - (1 - cos(0.3 * DEG)) / (1 - cos(2.5 * DEG))),
               1e-4);
    offbkg_cube_free(cube);
    free(r);
}

/* 1 - exposure / T for each ring of @p cube. */
static void ring_fractions(const offbkg_cube_t *cube, double t, double *frac)
{
    for (size_t j = 0; j < cube->axes[1].n_bins; j++)
        frac[j] = 1 - cube->exposure_s[j] / t;
}

static void test_model_2d_exclusion_fraction(void **state)
{
    fixture_t *f = *state;
    trun_t *r = trun_new(5, 83.6, 22.0);
    const double s[] = { 1.0 }, p[] = { 0 }, rad[] = { 0.3 };
    offbkg_cube_t *cube;
    double frac[99], area = 0, max_err = 0;
    size_t touched = 0;

    make(f, "2d", NULL);
    trun_region_at(r, s[0], 35, rad[0]);
    cube = cube_of(f, r);
    ring_fractions(cube, ONTIME, frac);
    for (size_t j = 0; j < 99; j++) {
        const double *t = cube->axes[1].edges;
        double want = ring_fraction(t[j], t[j + 1], 1, s, p, rad);
        double err = fabs(frac[j] - want);
        /* Measured: 2e-5 of the fraction on the rings at the circle's
         * near and far edges, 1e-8 between; allow 1e-4 and a floor. */
        if (!(err <= 1e-4 * want + 1e-6))
            fail_msg("ring %zu [%g, %g]: excluded fraction %.8f, the "
                     "arc-length integral gives %.8f", j, t[j], t[j + 1],
                     frac[j], want);
        if (want > 0)
            touched++;
        if (want > 0.01)
            max_err = fmax(max_err, err / want);
        /* Rings the circle does not reach keep their whole time. */
        if (t[j + 1] <= 0.7 || t[j] >= 1.3)
            assert_true(cube->exposure_s[j] == ONTIME);
        area += frac[j] * cube->solid_angle_sr[j];
    }
    assert_true(touched > 10);
    assert_true(max_err < 1e-4);
    assert_rel(area, 2 * M_PI * (1 - cos(0.3 * DEG)), 1e-5);
    offbkg_cube_free(cube);
    free(r);
}

static void test_model_2d_exclusion_overlap(void **state)
{
    fixture_t *f = *state;
    trun_t *one = trun_new(6, 200, -10), *same = trun_new(6, 200, -10);
    trun_t *two = trun_new(6, 200, -10);
    const double s[] = { 1.0, 1.2 }, p[] = { 30, 45 }, rad[] = { 0.3, 0.25 };
    offbkg_cube_t *c1, *c2, *c3;
    double frac[99];

    make(f, "2d", NULL);
    /* The same circle twice excludes exactly what it does once. */
    trun_region_at(one, 1.0, 30, 0.3);
    trun_region_at(same, 1.0, 30, 0.3);
    trun_region_at(same, 1.0, 30, 0.3);
    c1 = cube_of(f, one);
    c2 = cube_of(f, same);
    assert_memory_equal(c1->exposure_s, c2->exposure_s,
                        99 * sizeof(double));
    /* Two overlapping circles: their union, not the sum. */
    trun_region_at(two, s[0], p[0], rad[0]);
    trun_region_at(two, s[1], p[1], rad[1]);
    c3 = cube_of(f, two);
    ring_fractions(c3, ONTIME, frac);
    {
        double area = 0, sum = 0;
        for (size_t j = 0; j < 99; j++) {
            const double *t = c3->axes[1].edges;
            double want = ring_fraction(t[j], t[j + 1], 2, s, p, rad);
            if (!(fabs(frac[j] - want) <= 1e-4 * want + 1e-6))
                fail_msg("ring %zu: excluded fraction %.8f, the "
                         "arc-length integral gives %.8f",
                         j, frac[j], want);
            area += frac[j] * c3->solid_angle_sr[j];
        }
        sum = 2 * M_PI * (2 - cos(0.3 * DEG) - cos(0.25 * DEG));
        /* 1.0 and 1.2 deg at 15 deg apart: 0.32 deg between centres. */
        assert_true(area < 0.9 * sum);
    }
    offbkg_cube_free(c1);
    offbkg_cube_free(c2);
    offbkg_cube_free(c3);
    free(one);
    free(same);
    free(two);
}

static void test_model_2d_exclusion_at_pointing(void **state)
{
    fixture_t *f = *state;
    trun_t *at = trun_new(8, 10, -89.5), *in = trun_new(9, 0, 0);
    const double s_in[] = { 0.2 }, p[] = { 0 };
    const double r_at[] = { 0.5 }, r_in[] = { 0.6 };
    offbkg_cube_t *cube;
    double frac[99];

    make(f, "2d", NULL);
    /* A circle centred on the pointing (here near the pole). */
    trun_region_at(at, 0, 0, r_at[0]);
    trun_add_at(at, 1, 0.0, 0);
    trun_add_at(at, 1, 0.49, 0);
    trun_add_at(at, 1, 0.51, 0);
    cube = cube_of(f, at);
    ring_fractions(cube, ONTIME, frac);
    for (size_t j = 0; j < 99; j++) {
        const double *t = cube->axes[1].edges;
        if (t[j + 1] <= 0.5)
            assert_true(cube->exposure_s[j] == 0);
        else if (t[j] >= 0.5)
            assert_true(cube->exposure_s[j] == ONTIME);
        else
            /* The cap at the centre: a closed form (the midpoint rule of
             * ring_fraction is poor across its step). */
            assert_near(frac[j],
                        (cos(t[j] * DEG) - cos(r_at[0] * DEG))
                            / (cos(t[j] * DEG) - cos(t[j + 1] * DEG)),
                        1e-6);
    }
    {
        double n = 0;
        for (size_t i = 0; i < cube->n_cells; i++)
            n += cube->counts[i];
        assert_true(n == 1);
    }
    offbkg_cube_free(cube);

    /* The pointing inside a circle, off its centre. */
    trun_region_at(in, s_in[0], 0, r_in[0]);
    cube = cube_of(f, in);
    ring_fractions(cube, ONTIME, frac);
    for (size_t j = 0; j < 99; j++) {
        const double *t = cube->axes[1].edges;
        double want = ring_fraction(t[j], t[j + 1], 1, s_in, p, r_in);
        if (t[j + 1] <= 0.4)
            assert_true(cube->exposure_s[j] == 0);
        if (!(fabs(frac[j] - want) <= 1e-4 * want + 1e-6))
            fail_msg("ring %zu: excluded fraction %.8f, want %.8f", j,
                     frac[j], want);
    }
    offbkg_cube_free(cube);
    free(at);
    free(in);
}

static void test_model_2d_warns_square_cell(void **state)
{
    fixture_t *f = *state;
    const kv_t sq[] = { { "energy_n", "12" }, { "offset_n", "12" },
                        { NULL, NULL } };

    make(f, "2d", sq);
    assert_non_null(strstr(f->warnings, "[model/2d] 12 energy bins and 12 "
                                        "offset bins"));
    assert_non_null(strstr(f->warnings, "Ambiguous axes order"));
}

static void test_model_2d_bad_configs(void **state)
{
    fixture_t *f = *state;
    const kv_t edges_and_lo[] = { { "energy_edges_tev", "1, 2, 4" },
                                  { "energy_lo_tev", "0.5" },
                                  { NULL, NULL } };
    const kv_t edges_and_n[] = { { "offset_edges_deg", "0, 1, 2" },
                                 { "offset_n", "10" },
                                 { NULL, NULL } };
    const kv_t log_zero[] = { { "energy_lo_tev", "0" }, { NULL, NULL } };
    const kv_t lin_zero[] = { { "energy_lo_tev", "0" },
                              { "energy_spacing", "lin" },
                              { NULL, NULL } };
    const kv_t one_edge[] = { { "energy_edges_tev", "1" }, { NULL, NULL } };
    const kv_t upside[] = { { "energy_lo_tev", "10" },
                            { "energy_hi_tev", "1" },
                            { NULL, NULL } };
    const kv_t decreasing[] = { { "energy_edges_tev", "1, 0.5, 2" },
                                { NULL, NULL } };
    const kv_t negative[] = { { "offset_edges_deg", "-0.5, 1" },
                              { NULL, NULL } };
    char *text;

    assert_int_equal(try_make(f, "2d", edges_and_lo), OFFBKG_ECONFIG);
    assert_null(f->inst.state);
    plugin_assert_host_error("energy_edges_tev cannot be combined with "
                      "energy_lo_tev, energy_hi_tev, energy_n or "
                      "energy_spacing: give either the edges or the range");
    assert_int_equal(try_make(f, "2d", edges_and_n), OFFBKG_ECONFIG);
    plugin_assert_host_error("offset_edges_deg cannot be combined with "
                      "offset_max_deg, offset_n or offset_spacing: give "
                      "either the edges or the range");
    assert_int_equal(try_make(f, "2d", log_zero), OFFBKG_ECONFIG);
    plugin_assert_host_error("energy_spacing = log needs energy_lo_tev > 0, "
                      "got 0");
    assert_int_equal(try_make(f, "2d", one_edge), OFFBKG_ECONFIG);
    plugin_assert_host_error("energy_edges_tev: at least 2 edges are needed, "
                      "got 1");
    assert_int_equal(try_make(f, "2d", upside), OFFBKG_ECONFIG);
    plugin_assert_host_error("energy_lo_tev (10) must be below energy_hi_tev (1)");
    /* lo = 0 is fine with linear spacing. */
    make(f, "2d", lin_zero);

    /* What the parameter table can say, the host checks first, with the
     * line of the value. */
    assert_int_equal(configure(f, "2d", decreasing), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(strstr(text, "t.ini:2: [model] energy_edges_tev:"));
    assert_non_null(strstr(text, "increasing"));
    free(text);
    assert_int_equal(configure(f, "2d", negative), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_string_equal(text, "t.ini:2: [model] offset_edges_deg: item 1: "
                        "-0.5 is out of range (must be >= 0 and <= 180)");
    free(text);
}

/* ------------------------------------------------------------------ */
/* merge                                                               */

static void assert_cubes_identical(const offbkg_cube_t *a,
                                   const offbkg_cube_t *b)
{
    size_t bytes = a->n_cells * sizeof(double);

    assert_int_equal(a->n_cells, b->n_cells);
    assert_memory_equal(a->counts, b->counts, bytes);
    assert_memory_equal(a->exposure_s, b->exposure_s, bytes);
    assert_memory_equal(a->rate, b->rate, bytes);
    assert_memory_equal(a->rate_err, b->rate_err, bytes);
    assert_memory_equal(a->solid_angle_sr, b->solid_angle_sr, bytes);
}

static void check_merge(fixture_t *f, const char *name)
{
    trun_t *a = trun_new(11, 83.6, 22.0), *b = trun_new(12, 84.5, 21.0);
    void *ca, *cb, *merged, *direct;
    offbkg_cube_t *m, *d;

    make(f, name, NULL);
    for (int i = 0; i < 2000; i++) {
        trun_add_at(a, 0.1 * pow(1000, (i % 97) / 97.0), 2.6 * (i % 89) / 89,
                    i * 37.0);
        trun_add_at(b, 0.1 * pow(1000, (i % 83) / 83.0), 2.6 * (i % 71) / 71,
                    i * 53.0);
    }
    trun_region_at(a, 1.0, 20, 0.3);
    trun_region_at(a, 0.0, 0, 0.2);
    trun_region_at(b, 1.5, 200, 0.4);
    b->run.ontime_s = 1234.5;
    ca = contrib_new(f);
    cb = contrib_new(f);
    merged = contrib_new(f);
    direct = contrib_new(f);
    fill_ok(f, a, ca);
    fill_ok(f, b, cb);
    assert_int_equal(ops(f)->merge(f->inst.state, merged, ca), OFFBKG_OK);
    assert_int_equal(ops(f)->merge(f->inst.state, merged, cb), OFFBKG_OK);
    fill_ok(f, a, direct);
    fill_ok(f, b, direct);
    m = finish_ok(f, merged);
    d = finish_ok(f, direct);
    assert_cubes_identical(m, d);
    offbkg_cube_free(d);
    /* reset empties a contribution; refilling gives the same again. */
    ops(f)->contrib_reset(f->inst.state, direct);
    d = (offbkg_cube_t *)&d;
    assert_int_equal(ops(f)->finish(f->inst.state, direct, &d), OFFBKG_EDATA);
    assert_null(d);
    fill_ok(f, a, direct);
    fill_ok(f, b, direct);
    d = finish_ok(f, direct);
    assert_cubes_identical(m, d);
    {
        double n = 0;
        for (size_t i = 0; i < m->n_cells; i++)
            n += m->counts[i];
        assert_true(n > 1000);
    }
    offbkg_cube_free(m);
    offbkg_cube_free(d);
    contrib_free(f, ca);
    contrib_free(f, cb);
    contrib_free(f, merged);
    contrib_free(f, direct);
    free(a);
    free(b);
}

static void test_model_2d_merge_bitwise(void **state)
{
    check_merge(*state, "2d");
}

static void test_model_3d_merge_bitwise(void **state)
{
    check_merge(*state, "3d");
}

/* ------------------------------------------------------------------ */
/* model/3d                                                            */

static void test_model_3d_defaults(void **state)
{
    fixture_t *f = *state;
    trun_t *r = trun_new(1, CRAB_RA, CRAB_DEC);
    offbkg_cube_t *cube;
    const double *x, *y;

    make(f, "3d", NULL);
    assert_string_equal(f->warnings, "");
    cube = cube_of(f, r);
    assert_int_equal(cube->n_axes, 3);
    assert_string_equal(cube->axes[0].name, "ENERG");
    assert_string_equal(cube->axes[1].name, "DETX");
    assert_string_equal(cube->axes[2].name, "DETY");
    assert_string_equal(cube->axes[1].unit, "deg");
    assert_int_equal(cube->axes[0].n_bins, 20);
    assert_int_equal(cube->axes[1].n_bins, 60);
    assert_int_equal(cube->axes[2].n_bins, 60);
    assert_int_equal(cube->n_cells, 20 * 60 * 60);
    assert_true(cube->axes[0].edges[0] == 0.1
                && cube->axes[0].edges[20] == 100);
    x = cube->axes[1].edges;
    y = cube->axes[2].edges;
    assert_true(x[0] == -4 && x[60] == 4 && y[0] == -4 && y[60] == 4);
    assert_string_equal(cube->fov_alignment, "RADEC");
    assert_int_equal(cube->fov_lon_sign, -1);
    assert_string_equal(cube->time_base, "ONTIME");
    for (size_t ix = 0; ix < 60; ix += 7)
        for (size_t iy = 0; iy < 60; iy += 11) {
            size_t cell = (5 * 60 + ix) * 60 + iy;
            double want = (x[ix + 1] - x[ix]) * DEG
                          * (sin(y[iy + 1] * DEG) - sin(y[iy] * DEG));
            assert_rel(cube->solid_angle_sr[cell], want, 1e-12);
            assert_true(cube->exposure_s[cell] == ONTIME);
        }
    offbkg_cube_free(cube);
    free(r);
}

/* 7 DETX x 5 DETY bins of 1 deg, centred; two energy bins. */
static const kv_t grid_7x5[] = {
    { "energy_edges_tev", "1, 10, 100" },
    { "detx_lo_deg", "-3.5" }, { "detx_hi_deg", "3.5" }, { "detx_n", "7" },
    { "dety_lo_deg", "-2.5" }, { "dety_hi_deg", "2.5" }, { "dety_n", "5" },
    { NULL, NULL }
};

static const kv_t grid_7x5_gp10[] = {
    { "energy_edges_tev", "1, 10, 100" },
    { "detx_lo_deg", "-3.5" }, { "detx_hi_deg", "3.5" }, { "detx_n", "7" },
    { "dety_lo_deg", "-2.5" }, { "dety_hi_deg", "2.5" }, { "dety_n", "5" },
    { "radec_lon_sign", "gammapy10" },
    { NULL, NULL }
};

static const kv_t grid_7x5_altaz[] = {
    { "energy_edges_tev", "1, 10, 100" },
    { "detx_lo_deg", "-3.5" }, { "detx_hi_deg", "3.5" }, { "detx_n", "7" },
    { "dety_lo_deg", "-2.5" }, { "dety_hi_deg", "2.5" }, { "dety_n", "5" },
    { "fov_alignment", "altaz" },
    { NULL, NULL }
};

/* Counts of cell (ie, ix, iy) of a 2 x 7 x 5 cube. */
static double cell_7x5(const offbkg_cube_t *c, size_t ie, size_t ix,
                       size_t iy)
{
    assert_int_equal(c->axes[1].n_bins, 7);
    assert_int_equal(c->axes[2].n_bins, 5);
    return c->counts[(ie * 7 + ix) * 5 + iy];
}

static double total_counts(const offbkg_cube_t *c)
{
    double n = 0;
    for (size_t i = 0; i < c->n_cells; i++)
        n += c->counts[i];
    return n;
}

/* An event at offset-frame (lon_off, lat_off) around the pointing. */
static void add_lonlat(trun_t *r, double e, double lon, double lat)
{
    double ra, dec;
    offbkg_offset_frame_inverse(&r->frame, lon, lat, &ra, &dec);
    trun_add(r, e, ra, dec, 0);
}

static void test_model_3d_radec_signs(void **state)
{
    fixture_t *f = *state;
    trun_t *r = trun_new(21, 359.0, 30.0);
    offbkg_cube_t *cube;

    /* east: 2 deg toward increasing RA, across RA = 0 */
    add_lonlat(r, 2, 2.0, 0.0);
    assert_true(r->ra[0] > 0 && r->ra[0] < 2);
    /* north: higher Dec */
    add_lonlat(r, 20, 0.0, 1.2);
    assert_true(r->dec[1] > 30.0);
    /* east and south, second energy bin */
    add_lonlat(r, 50, 3.0, -2.0);
    /* outside the grid: dropped */
    add_lonlat(r, 2, 0.0, 2.6);
    add_lonlat(r, 2, -3.6, 0.0);

    make(f, "3d", grid_7x5);
    cube = cube_of(f, r);
    assert_int_equal(cube->fov_lon_sign, -1);
    assert_true(total_counts(cube) == 3);
    /* GADF: east is negative FoV longitude (DETX), north positive DETY */
    assert_true(cell_7x5(cube, 0, 1, 2) == 1);  /* DETX -2, DETY 0 */
    assert_true(cell_7x5(cube, 1, 3, 3) == 1);  /* DETX 0, DETY 1.2 */
    assert_true(cell_7x5(cube, 1, 0, 0) == 1);  /* DETX -3, DETY -2 */
    offbkg_cube_free(cube);

    make(f, "3d", grid_7x5_gp10);
    cube = cube_of(f, r);
    assert_int_equal(cube->fov_lon_sign, 1);
    assert_string_equal(cube->fov_alignment, "RADEC");
    assert_true(total_counts(cube) == 3);
    assert_true(cell_7x5(cube, 0, 5, 2) == 1);  /* DETX +2 */
    assert_true(cell_7x5(cube, 1, 3, 3) == 1);
    assert_true(cell_7x5(cube, 1, 6, 0) == 1);  /* DETX +3, DETY -2 */
    offbkg_cube_free(cube);
    free(r);
}

/* UTC MJD of mission time @p t for the H.E.S.S. time reference. */
static double hess_utc(double t)
{
    return offbkg_mjd_to_utc(HESS_MJDREF + t / 86400, OFFBKG_TIMESYS_TT);
}

static void set_hess_site(trun_t *r)
{
    r->run.site_lon_deg = HESS_LON;
    r->run.site_lat_deg = HESS_LAT;
    r->run.site_height_m = 1835;
    r->run.mjdref_tt_day = HESS_MJDREF;
}

/* An event at (alt, az) = pointing's + (dalt, daz) at time @p t. */
static void add_altaz(trun_t *r, double e, double t, double dalt,
                      double daz)
{
    double alt_p, az_p, ra, dec, utc = hess_utc(t);

    offbkg_radec_to_altaz(r->run.ra_pnt_deg, r->run.dec_pnt_deg, utc,
                          HESS_LON, HESS_LAT, &alt_p, &az_p);
    offbkg_altaz_to_radec(alt_p + dalt, az_p + daz, utc, HESS_LON, HESS_LAT,
                          &ra, &dec);
    trun_add(r, e, ra, dec, t);
}

static void test_model_3d_altaz_signs(void **state)
{
    fixture_t *f = *state;
    const double t0 = 1.0e8, t1 = t0 + 1500;
    double ra, dec;
    trun_t *r;
    offbkg_cube_t *cube;

    /* Point at alt 60, az 150 at t0; the run tracks that RA/Dec. */
    offbkg_altaz_to_radec(60, 150, hess_utc(t0), HESS_LON, HESS_LAT, &ra,
                          &dec);
    r = trun_new(31, ra, dec);
    set_hess_site(r);
    r->run.tstart_s = t0;
    r->run.tstop_s = t1;
    /* 1 deg above the pointing, at t0 and at t1 (the pointing moved) */
    add_altaz(r, 2, t0, 1.2, 0);
    add_altaz(r, 2, t1, 1.2, 0);
    /* 1 deg of arc toward larger azimuth: negative FoV longitude */
    add_altaz(r, 20, t0, 0, 1.0 / cos(60 * DEG));
    add_altaz(r, 20, t1, 0.1, 2.0 / cos(60 * DEG));
    /* below and toward smaller azimuth */
    add_altaz(r, 50, t0, -2.0, -3.0 / cos(58 * DEG));

    make(f, "3d", grid_7x5_altaz);
    cube = cube_of(f, r);
    assert_string_equal(cube->fov_alignment, "ALTAZ");
    assert_int_equal(cube->fov_lon_sign, -1);
    assert_true(total_counts(cube) == 5);
    assert_true(cell_7x5(cube, 0, 3, 3) == 2);   /* DETX 0, DETY +1.2 */
    assert_true(cell_7x5(cube, 1, 2, 2) == 1);   /* DETX -1, DETY 0 */
    assert_true(cell_7x5(cube, 1, 1, 2) == 1);   /* DETX -2, DETY 0.1 */
    assert_true(cell_7x5(cube, 1, 6, 0) == 1);   /* DETX +3, DETY -2 */
    offbkg_cube_free(cube);

    /* The same events in RADEC land elsewhere (the field is rotated). */
    make(f, "3d", grid_7x5);
    cube = cube_of(f, r);
    assert_true(cell_7x5(cube, 0, 3, 3) < 2);
    offbkg_cube_free(cube);
    free(r);
}

static void test_model_3d_altaz_needs_site(void **state)
{
    fixture_t *f = *state;
    trun_t *r = trun_new(4242, 100, -20);
    void *c;

    make(f, "3d", grid_7x5_altaz);
    c = contrib_new(f);
    add_lonlat(r, 2, 0.5, 0.5);
    assert_int_equal(ops(f)->fill(f->inst.state, &r->run, c), OFFBKG_EDATA);
    plugin_assert_host_error("run 4242: fov_alignment = altaz needs the site "
                      "(GEOLON, GEOLAT in the EVENTS or obs-index header, "
                      "or [model] site), which the run lacks");
    set_hess_site(r);
    r->run.mjdref_tt_day = NAN;
    assert_int_equal(ops(f)->fill(f->inst.state, &r->run, c), OFFBKG_EDATA);
    plugin_assert_host_error("run 4242: fov_alignment = altaz needs the time "
                      "reference (MJDREFI + MJDREFF or MJDREF, and TIMESYS "
                      "TT, UTC or TAI), which the run lacks");
    /* With exclusion regions it also needs the run's start and stop. */
    r->run.mjdref_tt_day = HESS_MJDREF;
    r->run.tstop_s = NAN;
    trun_region_at(r, 1, 0, 0.3);
    assert_int_equal(ops(f)->fill(f->inst.state, &r->run, c), OFFBKG_EDATA);
    plugin_assert_host_error("run 4242: fov_alignment = altaz needs a valid "
                      "TSTART and TSTOP (to average the exclusion regions "
                      "over the run), which the run lacks");
    /* Nothing was added by the refused runs. */
    {
        offbkg_cube_t *cube = (offbkg_cube_t *)&c;
        assert_int_equal(ops(f)->finish(f->inst.state, c, &cube), OFFBKG_EDATA);
        assert_null(cube);
    }
    contrib_free(f, c);
    free(r);
}

/* Excluded fraction of pixel (x0..x1, y0..y1) (deg, FoV frame) by a
 * circle of radius @p rad around FoV (lx, ly), brute force on an
 * n x n midpoint grid in (lon, sin lat). */
static double pixel_fraction(double x0, double x1, double y0, double y1,
                             double lx, double ly, double rad)
{
    const int n = 400;
    double b0 = sin(y0 * DEG), b1 = sin(y1 * DEG), cr = cos(rad * DEG);
    double c[3] = { cos(ly * DEG) * cos(lx * DEG),
                    cos(ly * DEG) * sin(lx * DEG), sin(ly * DEG) };
    long in = 0;

    for (int i = 0; i < n; i++) {
        double lon = (x0 + (x1 - x0) * (i + 0.5) / n) * DEG;
        for (int j = 0; j < n; j++) {
            double z = b0 + (b1 - b0) * (j + 0.5) / n, cl = sqrt(1 - z * z);
            in += cl * cos(lon) * c[0] + cl * sin(lon) * c[1] + z * c[2]
                  > cr;
        }
    }
    return (double)in / ((double)n * n);
}

static void test_model_3d_exclusion_radec(void **state)
{
    const kv_t gp10[] = { { "radec_lon_sign", "gammapy10" }, { NULL, NULL } };
    fixture_t *f = *state;
    trun_t *r = trun_new(41, 150, 10);
    offbkg_cube_t *cube, *mirror;
    const double *x, *y;
    double area = 0, max_err = 0;
    size_t partial = 0;

    /* A circle 1 deg east and 0.5 deg north: FoV (-1, 0.5) with GADF. */
    {
        double ra, dec;
        offbkg_offset_frame_inverse(&r->frame, 1.0, 0.5, &ra, &dec);
        r->reg[0] = (offbkg_region_t){ ra, dec, 0.3 };
        r->run.n_regions = 1;
        trun_add(r, 1, ra, dec, 0);             /* dropped */
    }
    add_lonlat(r, 1, -1.0, 0.5);                /* the mirror: kept */
    make(f, "3d", NULL);
    cube = cube_of(f, r);
    assert_true(total_counts(cube) == 1);
    x = cube->axes[1].edges;
    y = cube->axes[2].edges;
    for (size_t ix = 0; ix < 60; ix++)
        for (size_t iy = 0; iy < 60; iy++) {
            size_t p = ix * 60 + iy;
            double frac = 1 - cube->exposure_s[p] / ONTIME;
            area += frac * cube->solid_angle_sr[p];
            if (frac > 0 && frac < 1) {
                double want = pixel_fraction(x[ix], x[ix + 1], y[iy],
                                             y[iy + 1], -1.0, 0.5, 0.3);
                max_err = fmax(max_err, fabs(frac - want));
                partial++;
            }
            /* Pixels far from the circle keep their time. */
            if (hypot(0.5 * (x[ix] + x[ix + 1]) + 1.0,
                      0.5 * (y[iy] + y[iy + 1]) - 0.5) > 0.5)
                assert_true(cube->exposure_s[p] == ONTIME);
        }
    /* The pixel holding the centre lies inside the circle: no time. */
    assert_true(cube->exposure_s[22 * 60 + 33] == 0);
    assert_true(x[22] < -1 && x[23] > -1 && y[33] < 0.5 && y[34] > 0.5);
    assert_true(partial > 10);
    /* Measured 7e-5 against a 3000 x 3000 grid; this one is 400 x 400. */
    if (!(max_err < 3e-4))
        fail_msg("largest error of a pixel's excluded fraction: %g",
                 max_err);
    assert_rel(area, 2 * M_PI * (1 - cos(0.3 * DEG)), 3e-5);

    /* With the gammapy 1.0 sign the mask is mirrored in DETX. */
    make(f, "3d", gp10);
    mirror = cube_of(f, r);
    for (size_t ix = 0; ix < 60; ix++)
        for (size_t iy = 0; iy < 60; iy++)
            assert_near(mirror->exposure_s[(59 - ix) * 60 + iy],
                        cube->exposure_s[ix * 60 + iy], 1e-9 * ONTIME);
    offbkg_cube_free(mirror);
    offbkg_cube_free(cube);
    free(r);
}

static void test_model_3d_exclusion_altaz(void **state)
{
    const kv_t altaz[] = { { "fov_alignment", "altaz" }, { NULL, NULL } };
    fixture_t *f = *state;
    const double t0 = 1.0e8;
    double ra, dec, area_short = 0, area_long = 0;
    size_t n_short = 0, n_long = 0;
    trun_t *r;
    offbkg_cube_t *c_short, *c_long, *c_radec, *c_altaz;

    /* A pointing near culmination, where the field turns fastest. */
    offbkg_altaz_to_radec(75, 10, hess_utc(t0), HESS_LON, HESS_LAT, &ra,
                          &dec);
    r = trun_new(51, ra, dec);
    set_hess_site(r);
    trun_region_at(r, 1.5, 60, 0.3);
    make(f, "3d", altaz);

    /* An instant: a circle's worth of pixels. */
    r->run.tstart_s = r->run.tstop_s = t0;
    c_short = cube_of(f, r);
    /* Half an hour: the circle sweeps an arc around the centre. */
    r->run.tstop_s = t0 + 1800;
    c_long = cube_of(f, r);
    for (size_t p = 0; p < 3600; p++) {
        double fs = 1 - c_short->exposure_s[p] / ONTIME;
        double fl = 1 - c_long->exposure_s[p] / ONTIME;
        area_short += fs * c_short->solid_angle_sr[p];
        area_long += fl * c_long->solid_angle_sr[p];
        n_short += fs > 0;
        n_long += fl > 0;
    }
    /* The excluded solid angle is the circle's either way... */
    assert_rel(area_short, 2 * M_PI * (1 - cos(0.3 * DEG)), 3e-5);
    assert_rel(area_long, 2 * M_PI * (1 - cos(0.3 * DEG)), 3e-5);
    /* ...spread over more pixels as the field turns. */
    if (!(n_long > 2 * n_short))
        fail_msg("%zu pixels touched over the run, %zu at an instant",
                 n_long, n_short);
    offbkg_cube_free(c_short);
    offbkg_cube_free(c_long);

    /* A circle at the pointing does not move: ALTAZ = RADEC. */
    r->run.n_regions = 0;
    trun_region_at(r, 0, 0, 0.45);
    c_altaz = cube_of(f, r);
    make(f, "3d", NULL);
    c_radec = cube_of(f, r);
    for (size_t p = 0; p < 3600; p++)
        assert_near(c_altaz->exposure_s[p], c_radec->exposure_s[p],
                    1e-9 * ONTIME);
    assert_true(c_radec->exposure_s[29 * 60 + 30] == 0);
    offbkg_cube_free(c_altaz);
    offbkg_cube_free(c_radec);
    free(r);
}

/* The excluded fraction of each pixel for run @p r between @p t0 and
 * @p t1 (t0 = t1: the mask at that instant). */
static double *altaz_mask(fixture_t *f, trun_t *r, double t0, double t1)
{
    offbkg_cube_t *c;
    double *frac = malloc(3600 * sizeof *frac);

    assert_non_null(frac);
    r->run.tstart_s = t0;
    r->run.tstop_s = t1;
    c = cube_of(f, r);
    assert_int_equal(c->n_cells, 20 * 3600);
    for (size_t p = 0; p < 3600; p++)
        frac[p] = 1 - c->exposure_s[p] / ONTIME;
    offbkg_cube_free(c);
    return frac;
}

/* The run-averaged ALTAZ mask of a region 3 deg out, near the zenith
 * where the field turns fastest, against the mean of many instantaneous
 * masks: the time slices (edge of the grid moving less than half a
 * pixel in each) make it as good as the fine mean allows, and much
 * better than one slice per degree of rotation (60 here). */
static void test_model_3d_exclusion_altaz_slices(void **state)
{
    const kv_t altaz[] = { { "fov_alignment", "altaz" }, { NULL, NULL } };
    fixture_t *f = *state;
    const double t_mid = 1.0e8, half = 500;
    const int n_fine = 1200, n_coarse = 60;
    double ra, dec, err = 0, err_coarse = 0, area = 0;
    double *run_mask, *fine, *coarse;
    trun_t *r;

    /* transit 2.5 deg north of the zenith at mid-run: the field turns by
     * about 100 deg in the 1000 s */
    offbkg_altaz_to_radec(87.5, 0, hess_utc(t_mid), HESS_LON, HESS_LAT, &ra,
                          &dec);
    r = trun_new(52, ra, dec);
    set_hess_site(r);
    trun_region_at(r, 3.0, 30, 0.3);
    make(f, "3d", altaz);
    run_mask = altaz_mask(f, r, t_mid - half, t_mid + half);
    fine = calloc(3600, sizeof *fine);
    coarse = calloc(3600, sizeof *coarse);
    assert_non_null(fine);
    assert_non_null(coarse);
    for (int i = 0; i < n_fine; i++) {
        double t = t_mid - half + 2 * half * (i + 0.5) / n_fine;
        double *inst = altaz_mask(f, r, t, t);
        for (size_t p = 0; p < 3600; p++)
            fine[p] += inst[p] / n_fine;
        free(inst);
    }
    for (int i = 0; i < n_coarse; i++) {
        double t = t_mid - half + 2 * half * (i + 0.5) / n_coarse;
        double *inst = altaz_mask(f, r, t, t);
        for (size_t p = 0; p < 3600; p++)
            coarse[p] += inst[p] / n_coarse;
        free(inst);
    }
    for (size_t p = 0; p < 3600; p++) {
        err = fmax(err, fabs(run_mask[p] - fine[p]));
        err_coarse = fmax(err_coarse, fabs(coarse[p] - fine[p]));
        area += run_mask[p] > 0;
    }
    printf("# ALTAZ mask near the zenith: %.0f pixels touched; largest "
           "pixel difference to the mean of %d instants %.4f, with %d "
           "slices %.4f\n", area, n_fine, err, n_coarse, err_coarse);
    assert_true(area > 100);
    if (!(err < 0.02 && err < 0.5 * err_coarse))
        fail_msg("run mask off the fine time average by %g (60 slices: "
                 "%g)", err, err_coarse);
    free(run_mask);
    free(fine);
    free(coarse);
    free(r);
}

/* [model] site is the last fallback: a run without a site uses it, a
 * run with its own site ignores it; malformed sites are refused. */
static void test_model_3d_altaz_config_site(void **state)
{
    const kv_t hess[] = { { "energy_edges_tev", "1, 10, 100" },
                          { "detx_lo_deg", "-3.5" }, { "detx_hi_deg", "3.5" },
                          { "detx_n", "7" }, { "dety_lo_deg", "-2.5" },
                          { "dety_hi_deg", "2.5" }, { "dety_n", "5" },
                          { "fov_alignment", "altaz" },
                          { "site", "16.500222, -23.271778, 1835" },
                          { NULL, NULL } };
    const kv_t veritas[] = { { "energy_edges_tev", "1, 10, 100" },
                           { "detx_lo_deg", "-3.5" },
                           { "detx_hi_deg", "3.5" }, { "detx_n", "7" },
                           { "dety_lo_deg", "-2.5" },
                           { "dety_hi_deg", "2.5" }, { "dety_n", "5" },
                           { "fov_alignment", "altaz" },
                           { "site", "-110.952408, 31.674951" },
                           { NULL, NULL } };
    const kv_t one[] = { { "fov_alignment", "altaz" }, { "site", "16.5" },
                         { NULL, NULL } };
    const kv_t four[] = { { "fov_alignment", "altaz" },
                          { "site", "16.5, -23.3, 1835, 1" },
                          { NULL, NULL } };
    const kv_t pole[] = { { "fov_alignment", "altaz" },
                          { "site", "16.5, -90" }, { NULL, NULL } };
    const kv_t radec[] = { { "site", "16.5, -23.3" }, { NULL, NULL } };
    fixture_t *f = *state;
    const double t0 = 1.0e8;
    double ra, dec;
    trun_t *r;
    offbkg_cube_t *want, *got;

    offbkg_altaz_to_radec(60, 150, hess_utc(t0), HESS_LON, HESS_LAT, &ra,
                          &dec);
    r = trun_new(32, ra, dec);
    set_hess_site(r);
    add_altaz(r, 2, t0, 1.2, 0);
    add_altaz(r, 20, t0 + 900, 0.1, 2.0 / cos(60 * DEG));
    add_altaz(r, 50, t0, -2.0, -3.0 / cos(58 * DEG));
    make(f, "3d", grid_7x5_altaz);
    want = cube_of(f, r);
    assert_true(total_counts(want) == 3);

    /* no site in the run: [model] site */
    r->run.site_lon_deg = r->run.site_lat_deg = r->run.site_height_m = NAN;
    make(f, "3d", hess);
    got = cube_of(f, r);
    for (size_t i = 0; i < want->n_cells; i++)
        assert_true(got->counts[i] == want->counts[i]);
    offbkg_cube_free(got);
    /* another site: the events land elsewhere */
    make(f, "3d", veritas);
    got = cube_of(f, r);
    {
        size_t n_diff = 0;
        for (size_t i = 0; i < want->n_cells; i++)
            n_diff += got->counts[i] != want->counts[i];
        assert_true(n_diff > 0);
        /* 1.2 deg above the pointing seen from H.E.S.S.: (1.13, 0.40)
         * from the VERITAS site */
        assert_true(cell_7x5(got, 0, 4, 2) == 1);
    }
    offbkg_cube_free(got);
    /* the run's own site wins over [model] site */
    set_hess_site(r);
    got = cube_of(f, r);
    for (size_t i = 0; i < want->n_cells; i++)
        assert_true(got->counts[i] == want->counts[i]);
    offbkg_cube_free(got);
    offbkg_cube_free(want);

    assert_int_equal(try_make(f, "3d", one), OFFBKG_ECONFIG);
    plugin_assert_host_error("site: expected longitude, latitude[, height], got 1 "
                      "numbers");
    assert_int_equal(try_make(f, "3d", four), OFFBKG_ECONFIG);
    plugin_assert_host_error("site: expected longitude, latitude[, height], got 4 "
                      "numbers");
    assert_int_equal(try_make(f, "3d", pole), OFFBKG_ECONFIG);
    plugin_assert_host_error("site: longitude 16.5 must be within +-360 deg and "
                      "latitude -90 within +-90 deg (exclusive)");
    make(f, "3d", radec);
    assert_non_null(strstr(f->warnings, "site is used by fov_alignment = "
                                        "altaz only"));
    free(r);
}

static void test_model_3d_warns_square_cell(void **state)
{
    fixture_t *f = *state;
    const kv_t sq[] = { { "energy_n", "60" }, { NULL, NULL } };
    const kv_t xsq[] = { { "energy_n", "60" }, { "dety_n", "50" },
                         { NULL, NULL } };

    make(f, "3d", sq);
    assert_non_null(strstr(f->warnings, "[model/3d] 60 energy bins and 60 "
                                        "DETY bins"));
    assert_non_null(strstr(f->warnings, "Ambiguous axes order"));
    /* n_E = n_DETX is read correctly by gammapy: no warning. */
    make(f, "3d", xsq);
    assert_string_equal(f->warnings, "");
}

static void test_model_3d_bad_configs(void **state)
{
    fixture_t *f = *state;
    const kv_t sqrt_neg[] = { { "detx_spacing", "sqrt" }, { NULL, NULL } };
    const kv_t log_neg[] = { { "dety_spacing", "log" }, { NULL, NULL } };
    const kv_t edges_and_hi[] = { { "dety_edges_deg", "-1, 0, 1" },
                                  { "dety_hi_deg", "2" },
                                  { NULL, NULL } };
    const kv_t altaz_gp10[] = { { "fov_alignment", "altaz" },
                                { "radec_lon_sign", "gammapy10" },
                                { NULL, NULL } };
    const kv_t lat_range[] = { { "dety_hi_deg", "95" }, { NULL, NULL } };
    const kv_t edges_ok[] = { { "detx_edges_deg", "-2, -1, 0, 1, 2" },
                              { "dety_edges_deg", "-1, 1" },
                              { NULL, NULL } };

    assert_int_equal(try_make(f, "3d", sqrt_neg), OFFBKG_ECONFIG);
    plugin_assert_host_error("detx_spacing = sqrt needs detx_lo_deg >= 0, got -4");
    assert_int_equal(try_make(f, "3d", log_neg), OFFBKG_ECONFIG);
    plugin_assert_host_error("dety_spacing = log needs dety_lo_deg > 0, got -4");
    assert_int_equal(try_make(f, "3d", edges_and_hi), OFFBKG_ECONFIG);
    plugin_assert_host_error("dety_edges_deg cannot be combined with dety_lo_deg, "
                      "dety_hi_deg, dety_n or dety_spacing: give either the "
                      "edges or the range");
    assert_int_equal(try_make(f, "3d", altaz_gp10), OFFBKG_ECONFIG);
    plugin_assert_host_error("radec_lon_sign = gammapy10 applies to fov_alignment "
                      "= radec only; the ALTAZ FoV longitude always grows "
                      "toward decreasing azimuth");
    assert_int_equal(configure(f, "3d", lat_range), OFFBKG_ECONFIG);
    make(f, "3d", edges_ok);
    {
        trun_t *r = trun_new(1, 0, 0);
        offbkg_cube_t *cube = cube_of(f, r);
        assert_int_equal(cube->axes[1].n_bins, 4);
        assert_int_equal(cube->axes[2].n_bins, 1);
        assert_true(cube->axes[1].edges[4] == 2);
        offbkg_cube_free(cube);
        free(r);
    }
}

/* ------------------------------------------------------------------ */
/* Bins by direct arithmetic: the same as the binary search on the     */
/* angles, also for events within rounding of an edge                  */

static const double edge_steps_deg[] = { 0, 1e-13, -1e-13, 1e-11, -1e-11,
                                         1e-9, -1e-9, 1e-7, -1e-7, 1e-5 };
#define N_STEPS (sizeof edge_steps_deg / sizeof edge_steps_deg[0])

/* An energy at or next to edge @p k of @p e (n + 1 edges), by @p i. */
static double energy_near(const double *e, size_t n, size_t i)
{
    static const double rel[] = { 0, 1e-15, -1e-15, 1e-9, -1e-9, 0.3 };
    double v = e[i % (n + 1)] * (1 + rel[(i / (n + 1)) % 6]);
    return v;
}

/* Counts of each cell computed here the exact way: binary search on the
 * great-circle offset (2D) or on the offset-frame angles (3D). */
static void expected_counts(const trun_t *r, const offbkg_cube_t *cube,
                            double lon_sign, double *want)
{
    const offbkg_axis_t *ea = &cube->axes[0], *a1 = &cube->axes[1];
    const offbkg_axis_t *a2 = &cube->axes[2];

    memset(want, 0, cube->n_cells * sizeof *want);
    for (size_t i = 0; i < r->run.n_events; i++) {
        ptrdiff_t ie = offbkg_binning_find(ea->edges, ea->n_bins, r->e[i]);
        ptrdiff_t j1, j2 = 0;
        size_t cell;
        if (cube->n_axes == 2) {
            j1 = offbkg_binning_find(a1->edges, a1->n_bins,
                                     offbkg_offset_frame_sep_deg(
                                         &r->frame, r->ra[i], r->dec[i]));
            cell = (size_t)ie * a1->n_bins + (size_t)j1;
        } else {
            double lon, lat;
            offbkg_offset_frame_forward(&r->frame, r->ra[i], r->dec[i], &lon,
                                        &lat);
            j1 = offbkg_binning_find(a1->edges, a1->n_bins, lon_sign * lon);
            j2 = offbkg_binning_find(a2->edges, a2->n_bins, lat);
            cell = ((size_t)ie * a1->n_bins + (size_t)j1) * a2->n_bins
                   + (size_t)j2;
        }
        if (ie >= 0 && j1 >= 0 && j2 >= 0)
            want[cell]++;
    }
}

static void assert_counts(const offbkg_cube_t *cube, const double *want)
{
    double total = 0;

    for (size_t c = 0; c < cube->n_cells; c++) {
        if (cube->counts[c] != want[c])
            fail_msg("cell %zu: %g counts, want %g", c, cube->counts[c],
                     want[c]);
        total += want[c];
    }
    assert_true(total > 50);
}

static const kv_t wide_2d[] = {
    { "offset_edges_deg", "0, 0.5, 1, 2, 30, 60, 89.9" },
    { NULL, NULL }
};

/* Rings beyond 90 deg: no sin^2 lookup; the exact way throughout. */
static const kv_t past_90_2d[] = {
    { "offset_edges_deg", "0, 1, 45, 100, 170" },
    { NULL, NULL }
};

static void check_2d_edges(fixture_t *f, const kv_t *config)
{
    static const double pnt[][2] = { { 359.8, -45 }, { CRAB_RA, CRAB_DEC },
                                     { 10, 89.95 }, { 180, -89.9 } };
    const offbkg_cube_t *axes;
    offbkg_cube_t *empty;
    trun_t *probe = trun_new(1, 0, 0);

    make(f, "2d", config);
    empty = cube_of(f, probe);
    axes = empty;
    for (size_t p = 0; p < sizeof pnt / sizeof pnt[0]; p++) {
        trun_t *r = trun_new(2, pnt[p][0], pnt[p][1]);
        const offbkg_axis_t *t = &axes->axes[1];
        size_t i = 0;
        double *want = malloc(axes->n_cells * sizeof *want);
        assert_non_null(want);
        for (size_t k = 0; k <= t->n_bins; k++)
            for (size_t d = 0; d < N_STEPS; d++, i++) {
                double th = t->edges[k] + edge_steps_deg[d];
                if (th < 0 || r->run.n_events + 4 > MAX_EV)
                    continue;
                for (int phi = 0; phi < 360; phi += 97)
                    trun_add_at(r, energy_near(axes->axes[0].edges,
                                               axes->axes[0].n_bins, i + phi),
                                th, phi);
            }
        offbkg_cube_t *cube = cube_of(f, r);
        expected_counts(r, cube, 1, want);
        assert_counts(cube, want);
        offbkg_cube_free(cube);
        free(want);
        free(r);
    }
    offbkg_cube_free(empty);
    free(probe);
}

static void test_model_2d_edges_exact(void **state)
{
    check_2d_edges(*state, NULL);
}

static void test_model_2d_edges_exact_wide(void **state)
{
    check_2d_edges(*state, wide_2d);
}

static void test_model_2d_edges_exact_past_90(void **state)
{
    check_2d_edges(*state, past_90_2d);
}

static void check_3d_edges(fixture_t *f, const kv_t *config, double sign)
{
    static const double pnt[][2] = { { 359.8, -45 }, { CRAB_RA, CRAB_DEC },
                                     { 10, 89.95 } };
    trun_t *probe = trun_new(1, 0, 0);
    offbkg_cube_t *axes;

    make(f, "3d", config);
    axes = cube_of(f, probe);
    for (size_t p = 0; p < sizeof pnt / sizeof pnt[0]; p++) {
        trun_t *r = trun_new(2, pnt[p][0], pnt[p][1]);
        const offbkg_axis_t *x = &axes->axes[1], *y = &axes->axes[2];
        double *want = malloc(axes->n_cells * sizeof *want);
        size_t i = 0;
        assert_non_null(want);
        /* Along every DETX edge, then every DETY edge, the other
         * coordinate walking over the other axis's edges. */
        for (int along = 0; along < 2; along++) {
            const offbkg_axis_t *a = along == 0 ? x : y;
            const offbkg_axis_t *b = along == 0 ? y : x;
            for (size_t k = 0; k <= a->n_bins; k++)
                for (size_t d = 0; d < N_STEPS; d++, i++) {
                    double u = a->edges[k] + edge_steps_deg[d];
                    double v = b->edges[(k * 7 + d) % (b->n_bins + 1)]
                               + edge_steps_deg[(d + k) % N_STEPS];
                    double e = energy_near(axes->axes[0].edges,
                                           axes->axes[0].n_bins, i);
                    if (r->run.n_events + 1 > MAX_EV)
                        continue;
                    /* DETX = sign x offset-frame longitude */
                    if (along == 0)
                        add_lonlat(r, e, u / sign, v);
                    else
                        add_lonlat(r, e, v / sign, u);
                }
        }
        offbkg_cube_t *cube = cube_of(f, r);
        expected_counts(r, cube, sign, want);
        assert_counts(cube, want);
        offbkg_cube_free(cube);
        free(want);
        free(r);
    }
    offbkg_cube_free(axes);
    free(probe);
}

static void test_model_3d_edges_exact(void **state)
{
    check_3d_edges(*state, NULL, -1);
}

static void test_model_3d_edges_exact_gp10(void **state)
{
    check_3d_edges(*state, grid_7x5_gp10, 1);
}

/* ------------------------------------------------------------------ */
/* Contributions as data (ABI 1.1 contrib_view, contrib_load)          */

/* Two runs filled from events, with exclusion regions or not, and with
 * the site and times an ALTAZ model needs. */
static void contrib_runs(trun_t **a, trun_t **b, int with_regions)
{
    const double t0 = 1.0e8;
    double ra, dec;

    /* A pointing near culmination: the ALTAZ field turns during a run. */
    offbkg_altaz_to_radec(75, 10, hess_utc(t0), HESS_LON, HESS_LAT, &ra,
                          &dec);
    *a = trun_new(21, ra, dec);
    *b = trun_new(22, ra + 0.9, dec - 0.7);
    for (int k = 0; k < 2; k++) {
        trun_t *r = k == 0 ? *a : *b;
        set_hess_site(r);
        r->run.tstart_s = t0 + 3000 * k;
        r->run.tstop_s = r->run.tstart_s + ONTIME;
        for (int i = 0; i < 3000; i++) {
            double e = 0.1 * pow(1000, (i % (97 - 14 * k)) / (97.0 - 14 * k));
            double ra_ev, dec_ev;
            trun_place(r, 2.6 * (i % (89 - 18 * k)) / (89 - 18 * k),
                       i * (37.0 + 16 * k), &ra_ev, &dec_ev);
            trun_add(r, e, ra_ev, dec_ev, r->run.tstart_s + i % 1000);
        }
    }
    (*b)->run.ontime_s = 1234.5;
    if (with_regions) {
        trun_region_at(*a, 1.0, 20, 0.3);
        trun_region_at(*a, 0.0, 0, 0.2);
        trun_region_at(*b, 1.5, 200, 0.4);
    }
}

/* The view of @p c, checked against the model's cube layout. */
static offbkg_contrib_data_t view_ok(fixture_t *f, const void *c,
                                     const offbkg_cube_t *layout)
{
    offbkg_contrib_data_t v;
    size_t n_e = layout->axes[0].n_bins;

    memset(&v, 0xA5, sizeof v);
    assert_int_equal(ops(f)->contrib_view(f->inst.state, c, &v), OFFBKG_OK);
    assert_int_equal(v.struct_size, sizeof v);
    /* Counts per cell; exposure per spatial bin (the same in every
     * energy bin). */
    assert_int_equal(v.n_counts, layout->n_cells);
    assert_int_equal(v.n_exposure, layout->n_cells / n_e);
    assert_non_null(v.counts);
    assert_non_null(v.exposure_s);
    return v;
}

static void *load_ok(fixture_t *f, const offbkg_contrib_data_t *v)
{
    void *c = contrib_new(f);
    int rc = ops(f)->contrib_load(f->inst.state, v, c);
    if (rc != OFFBKG_OK)
        fail_msg("contrib_load failed: %s", offbkg_host_last_error());
    return c;
}

/* The nonzero cells of view @p v, as a store hands them to contrib_add
 * (ABI 1.3): arrays malloc'ed into *cell and *count. */
static offbkg_contrib_data_t sparse_of(const offbkg_contrib_data_t *v,
                                       uint64_t **cell, uint64_t **count)
{
    offbkg_contrib_data_t s = *v;

    *cell = malloc((v->n_counts + 1) * sizeof **cell);
    *count = malloc((v->n_counts + 1) * sizeof **count);
    assert_non_null(*cell);
    assert_non_null(*count);
    s.n_nonzero = 0;
    for (size_t i = 0; i < v->n_counts; i++)
        if (v->counts[i] != 0) {
            (*cell)[s.n_nonzero] = i;
            (*count)[s.n_nonzero++] = v->counts[i];
        }
    s.counts = NULL;
    s.nonzero_cell = *cell;
    s.nonzero_count = *count;
    return s;
}

/* Views @p va and @p vb added (contrib_add) into a new contribution, the
 * counts dense or (@p sparse) as their nonzero cells: the cube is @p ce,
 * bit for bit. */
static void check_add(fixture_t *f, const offbkg_contrib_data_t *va,
                      const offbkg_contrib_data_t *vb,
                      const offbkg_cube_t *ce, int sparse)
{
    uint64_t *cell[2] = { NULL, NULL }, *count[2] = { NULL, NULL };
    offbkg_contrib_data_t in[2] = { *va, *vb };
    void *sum = contrib_new(f);
    offbkg_cube_t *cube;

    for (int k = 0; k < 2; k++) {
        if (sparse) {
            in[k] = sparse_of(&in[k], &cell[k], &count[k]);
            assert_true(in[k].n_nonzero > 0);
            assert_true(in[k].n_nonzero < in[k].n_counts);
        }
        if (ops(f)->contrib_add(f->inst.state, &in[k], sum) != OFFBKG_OK)
            fail_msg("contrib_add failed: %s", offbkg_host_last_error());
    }
    cube = finish_ok(f, sum);
    assert_cubes_identical(ce, cube);
    offbkg_cube_free(cube);
    contrib_free(f, sum);
    for (int k = 0; k < 2; k++) {
        free(cell[k]);
        free(count[k]);
    }
}

/* Runs filled from events, viewed, loaded into fresh contributions:
 * both sets merge and finish to bit-identical cubes, and so do the views
 * added to a contribution (contrib_add), dense or sparse. */
static void check_view_load(fixture_t *f, const char *name, const kv_t *kv,
                            int with_regions)
{
    trun_t *a, *b;
    void *ca, *cb, *la, *lb, *from_events, *from_data;
    offbkg_contrib_data_t va, vb, vla;
    offbkg_cube_t *ce, *cd;
    int excluded = 0;

    make(f, name, kv);
    assert_true(offbkg_registry_model_has_store(f->inst.mod->desc));
    assert_non_null(ops(f)->contrib_view);
    assert_non_null(ops(f)->contrib_load);
    contrib_runs(&a, &b, with_regions);
    ca = contrib_new(f);
    cb = contrib_new(f);
    fill_ok(f, a, ca);
    fill_ok(f, b, cb);
    from_events = contrib_new(f);
    assert_int_equal(ops(f)->merge(f->inst.state, from_events, ca), OFFBKG_OK);
    assert_int_equal(ops(f)->merge(f->inst.state, from_events, cb), OFFBKG_OK);
    ce = finish_ok(f, from_events);

    va = view_ok(f, ca, ce);
    vb = view_ok(f, cb, ce);
    /* Without regions every bin has the run's whole time. */
    for (size_t s = 1; s < va.n_exposure; s++)
        excluded |= va.exposure_s[s] != va.exposure_s[0];
    assert_int_equal(excluded, with_regions);
    la = load_ok(f, &va);
    lb = load_ok(f, &vb);
    /* A loaded contribution views as the one it came from. */
    vla = view_ok(f, la, ce);
    assert_memory_equal(vla.counts, va.counts,
                        va.n_counts * sizeof *va.counts);
    assert_memory_equal(vla.exposure_s, va.exposure_s,
                        va.n_exposure * sizeof *va.exposure_s);
    assert_true(vla.counts != va.counts);
    from_data = contrib_new(f);
    assert_int_equal(ops(f)->merge(f->inst.state, from_data, la), OFFBKG_OK);
    assert_int_equal(ops(f)->merge(f->inst.state, from_data, lb), OFFBKG_OK);
    cd = finish_ok(f, from_data);
    assert_cubes_identical(ce, cd);
    assert_true(total_counts(ce) > 1000);
    assert_true(offbkg_registry_model_has_add(f->inst.mod->desc));
    check_add(f, &va, &vb, ce, 0);
    check_add(f, &va, &vb, ce, 1);

    offbkg_cube_free(ce);
    offbkg_cube_free(cd);
    contrib_free(f, ca);
    contrib_free(f, cb);
    contrib_free(f, la);
    contrib_free(f, lb);
    contrib_free(f, from_events);
    contrib_free(f, from_data);
    free(a);
    free(b);
}

static void test_contrib_data_2d(void **state)
{
    check_view_load(*state, "2d", NULL, 0);
    check_view_load(*state, "2d", NULL, 1);
}

static void test_contrib_data_3d_radec(void **state)
{
    check_view_load(*state, "3d", NULL, 0);
    check_view_load(*state, "3d", NULL, 1);
}

static void test_contrib_data_3d_altaz(void **state)
{
    const kv_t altaz[] = { { "fov_alignment", "altaz" }, { NULL, NULL } };
    check_view_load(*state, "3d", altaz, 0);
    check_view_load(*state, "3d", altaz, 1);
}

/* A refused load, and a refused add (ABI 1.3 contrib_add): OFFBKG_EDATA
 * (or @p status) with the message, and the contribution as it was. */
static void expect_load_refused(fixture_t *f, const offbkg_contrib_data_t *in,
                                void *c, int status, const char *want)
{
    offbkg_contrib_data_t before, after;

    assert_int_equal(ops(f)->contrib_view(f->inst.state, c, &before), OFFBKG_OK);
    assert_int_equal(ops(f)->contrib_load(f->inst.state, in, c), status);
    plugin_assert_host_error(want);
    assert_int_equal(ops(f)->contrib_add(f->inst.state, in, c), status);
    plugin_assert_host_error(want);
    assert_int_equal(ops(f)->contrib_view(f->inst.state, c, &after), OFFBKG_OK);
    assert_int_equal(after.n_counts, before.n_counts);
    for (size_t i = 0; i < after.n_counts; i++)
        assert_true(after.counts[i] == (i == 7 ? 5u : 0u));
    for (size_t s = 0; s < after.n_exposure; s++)
        assert_true(after.exposure_s[s] == (s == 3 ? 10.0 : 0.0));
}

static void check_load_refusals(fixture_t *f, const char *name,
                                const kv_t *kv, const char *layout)
{
    void *c;
    offbkg_contrib_data_t v, bad;
    uint64_t *counts;
    double *expo;
    char want[256];

    make(f, name, kv);
    c = contrib_new(f);
    assert_int_equal(ops(f)->contrib_view(f->inst.state, c, &v), OFFBKG_OK);
    counts = calloc(v.n_counts + 1, sizeof *counts);
    expo = calloc(v.n_exposure + 1, sizeof *expo);
    assert_non_null(counts);
    assert_non_null(expo);
    counts[7] = 5;
    expo[3] = 10.0;
    v.counts = counts;
    v.exposure_s = expo;
    v.struct_size = sizeof v;
    /* A good load first: the refusals must leave it as it is. */
    assert_int_equal(ops(f)->contrib_load(f->inst.state, &v, c), OFFBKG_OK);

    bad = v;
    bad.n_counts++;
    snprintf(want, sizeof want, "contribution of %zu cells and %zu exposure "
             "bins, but this model has %s", bad.n_counts, bad.n_exposure,
             layout);
    expect_load_refused(f, &bad, c, OFFBKG_EDATA, want);
    bad = v;
    bad.n_exposure--;
    snprintf(want, sizeof want, "contribution of %zu cells and %zu exposure "
             "bins, but this model has %s", bad.n_counts, bad.n_exposure,
             layout);
    expect_load_refused(f, &bad, c, OFFBKG_EDATA, want);
    bad = v;
    bad.n_exposure = bad.n_counts;  /* exposure per cell: not this model */
    expo = realloc(expo, bad.n_counts * sizeof *expo);
    assert_non_null(expo);
    v.exposure_s = bad.exposure_s = expo;
    snprintf(want, sizeof want, "contribution of %zu cells and %zu exposure "
             "bins, but this model has %s", bad.n_counts, bad.n_exposure,
             layout);
    expect_load_refused(f, &bad, c, OFFBKG_EDATA, want);

    /* Exposures: negative, NaN, infinite; one bad bin refuses it all. */
    expo[v.n_exposure - 1] = -1e-300;
    snprintf(want, sizeof want, "contribution exposure bin %zu is -1e-300 "
             "s: not a finite time >= 0", v.n_exposure - 1);
    expect_load_refused(f, &v, c, OFFBKG_EDATA, want);
    expo[v.n_exposure - 1] = NAN;
    snprintf(want, sizeof want, "contribution exposure bin %zu is nan s: "
             "not a finite time >= 0", v.n_exposure - 1);
    expect_load_refused(f, &v, c, OFFBKG_EDATA, want);
    expo[v.n_exposure - 1] = INFINITY;
    snprintf(want, sizeof want, "contribution exposure bin %zu is inf s: "
             "not a finite time >= 0", v.n_exposure - 1);
    expect_load_refused(f, &v, c, OFFBKG_EDATA, want);
    expo[v.n_exposure - 1] = 0;

    /* A host that does not say the size of what it passes. */
    bad = v;
    bad.struct_size = 0;
    snprintf(want, sizeof want, "contribution data of 0 bytes, at least %zu "
             "needed", offsetof(offbkg_contrib_data_t, exposure_s)
                       + sizeof v.exposure_s);
    expect_load_refused(f, &bad, c, OFFBKG_EINVAL, want);
    /* Dense counts missing: contrib_load wants them; contrib_add takes
     * sparse ones instead, but only with their arrays, cells in range,
     * and from a host whose struct has them (ABI 1.3). */
    bad = v;
    bad.counts = NULL;
    bad.n_nonzero = 1;
    expect_load_refused(f, &bad, c, OFFBKG_EINVAL, "contribution data "
                        "without its arrays");
    uint64_t cell = v.n_counts, count = 2;
    bad.nonzero_cell = &cell;
    bad.nonzero_count = &count;
    snprintf(want, sizeof want, "contribution count in cell %zu, but this "
             "model has %zu cells", v.n_counts, v.n_counts);
    assert_int_equal(ops(f)->contrib_add(f->inst.state, &bad, c),
                     OFFBKG_EDATA);
    plugin_assert_host_error(want);
    bad.struct_size = offsetof(offbkg_contrib_data_t, n_nonzero);
    cell = 0;
    assert_int_equal(ops(f)->contrib_add(f->inst.state, &bad, c),
                     OFFBKG_EINVAL);
    plugin_assert_host_error("contribution data without its arrays");
    /* Nothing refused changed it: still the good load. */
    expect_load_refused(f, &bad, c, OFFBKG_EINVAL, "contribution data "
                        "without its arrays");

    free(counts);
    free(expo);
    contrib_free(f, c);
}

static void test_contrib_load_refusals(void **state)
{
    const kv_t grid_4x5[] = { { "energy_n", "4" }, { "offset_n", "5" },
                              { NULL, NULL } };

    check_load_refusals(*state, "2d", grid_4x5, "20 cells (4 energy x 5 "
                        "spatial bins) and 5 exposure bins (one per spatial "
                        "bin)");
    check_load_refusals(*state, "3d", grid_7x5, "70 cells (2 energy x 35 "
                        "spatial bins) and 35 exposure bins (one per spatial "
                        "bin)");
}

/* ------------------------------------------------------------------ */
/* Weighted sums (ABI 1.2 finish_sums)                                 */

/* The weighted sums of the views @p v[0..n-1] with weights @p w, summed
 * run by run in that order as the host sums them. Arrays malloc'ed. */
static offbkg_contrib_sums_t sums_of(const offbkg_contrib_data_t *v,
                                     const double *w, size_t n)
{
    size_t nc = v[0].n_counts, nx = v[0].n_exposure;
    double *c = calloc(nc, sizeof *c), *c2 = calloc(nc, sizeof *c2);
    double *x = calloc(nx, sizeof *x);

    assert_true(c != NULL && c2 != NULL && x != NULL);
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < nc; i++) {
            c[i] += w[r] * (double)v[r].counts[i];
            c2[i] += w[r] * w[r] * (double)v[r].counts[i];
        }
        for (size_t j = 0; j < nx; j++)
            x[j] += w[r] * v[r].exposure_s[j];
    }
    return (offbkg_contrib_sums_t){
        .struct_size = sizeof(offbkg_contrib_sums_t), .n_counts = nc,
        .counts = c, .counts_w2 = c2, .n_exposure = nx, .exposure_s = x,
    };
}

static void sums_free(offbkg_contrib_sums_t *s)
{
    free((void *)s->counts);
    free((void *)s->counts_w2);
    free((void *)s->exposure_s);
}

static offbkg_cube_t *finish_sums_ok(fixture_t *f,
                                     const offbkg_contrib_sums_t *s)
{
    offbkg_cube_t *cube = NULL;
    int rc = ops(f)->finish_sums(f->inst.state, s, &cube);
    if (rc != OFFBKG_OK)
        fail_msg("finish_sums failed: %s", offbkg_host_last_error());
    assert_non_null(cube);
    return cube;
}

/* Axes, frame and time base as well as the cells. */
static void assert_cubes_same(const offbkg_cube_t *a, const offbkg_cube_t *b)
{
    assert_cubes_identical(a, b);
    assert_int_equal(a->n_axes, b->n_axes);
    for (size_t k = 0; k < a->n_axes; k++) {
        assert_string_equal(a->axes[k].name, b->axes[k].name);
        assert_string_equal(a->axes[k].unit, b->axes[k].unit);
        assert_int_equal(a->axes[k].n_bins, b->axes[k].n_bins);
        assert_memory_equal(a->axes[k].edges, b->axes[k].edges,
                            (a->axes[k].n_bins + 1) * sizeof(double));
    }
    assert_string_equal(a->fov_alignment, b->fov_alignment);
    assert_string_equal(a->time_base, b->time_base);
    assert_int_equal(a->fov_lon_sign, b->fov_lon_sign);
}

/* Three runs filled from events: with weights 1 the sums finish to the
 * merged runs' cube bit for bit; with other weights each cell is the
 * pooled estimate computed here. */
static void check_finish_sums(fixture_t *f, const char *name, const kv_t *kv,
                              int with_regions)
{
    trun_t *a, *b, *c3;
    void *contrib[3], *merged;
    offbkg_contrib_data_t v[3];
    offbkg_contrib_sums_t s;
    offbkg_cube_t *cm, *cs;
    const double ones[3] = { 1, 1, 1 }, w[3] = { 2.0, 0.37, 1.5 };
    size_t n_e, n_sp, n_full = 0;

    make(f, name, kv);
    assert_non_null(ops(f)->finish_sums);
    contrib_runs(&a, &b, with_regions);
    c3 = malloc(sizeof *c3);
    assert_non_null(c3);
    *c3 = *a;                 /* a's events again, another time base */
    c3->run.energy_tev = c3->e;
    c3->run.ra_deg = c3->ra;
    c3->run.dec_deg = c3->dec;
    c3->run.time_s = c3->t;
    c3->run.regions = c3->reg;
    c3->run.obs_id = 23;
    c3->run.ontime_s = 321.25;
    c3->run.livetime_s = 300.5;
    merged = contrib_new(f);
    for (int r = 0; r < 3; r++) {
        contrib[r] = contrib_new(f);
        fill_ok(f, r == 0 ? a : r == 1 ? b : c3, contrib[r]);
        assert_int_equal(ops(f)->merge(f->inst.state, merged, contrib[r]),
                         OFFBKG_OK);
    }
    cm = finish_ok(f, merged);
    for (int r = 0; r < 3; r++)
        v[r] = view_ok(f, contrib[r], cm);

    s = sums_of(v, ones, 3);
    assert_memory_equal(s.counts, s.counts_w2, s.n_counts * sizeof(double));
    cs = finish_sums_ok(f, &s);
    assert_cubes_same(cm, cs);
    assert_true(total_counts(cs) > 1000);
    offbkg_cube_free(cs);
    sums_free(&s);

    /* Other weights: rate = sum w n / (sum w t x dE x dOmega), rate_err =
     * sqrt(sum w^2 n) / the same. */
    s = sums_of(v, w, 3);
    cs = finish_sums_ok(f, &s);
    n_e = cm->axes[0].n_bins;
    n_sp = cm->n_cells / n_e;
    for (size_t ie = 0; ie < n_e; ie++) {
        const double *e = cm->axes[0].edges;
        for (size_t j = 0; j < n_sp; j++) {
            size_t cell = ie * n_sp + j;
            double n = 0, n2 = 0, t = 0, den;
            for (int r = 0; r < 3; r++) {
                n += w[r] * (double)v[r].counts[cell];
                n2 += w[r] * w[r] * (double)v[r].counts[cell];
                t += w[r] * v[r].exposure_s[j];
            }
            den = t * 1e6 * (e[ie + 1] - e[ie]) * cm->solid_angle_sr[cell];
            assert_rel(cs->counts[cell], n, 1e-14);
            assert_rel(cs->exposure_s[cell], t, 1e-14);
            assert_true(cs->solid_angle_sr[cell]
                        == cm->solid_angle_sr[cell]);
            if (t > 0) {
                assert_rel(cs->rate[cell], n / den, 1e-12);
                assert_rel(cs->rate_err[cell], sqrt(n2) / den, 1e-12);
                n_full += n > 0;
            } else {
                assert_true(cs->rate[cell] == 0 && cs->rate_err[cell] == 0);
            }
        }
    }
    assert_true(n_full > 10);
    offbkg_cube_free(cs);
    sums_free(&s);

    offbkg_cube_free(cm);
    for (int r = 0; r < 3; r++)
        contrib_free(f, contrib[r]);
    contrib_free(f, merged);
    free(a);
    free(b);
    free(c3);
}

static void test_finish_sums_2d(void **state)
{
    check_finish_sums(*state, "2d", NULL, 0);
    check_finish_sums(*state, "2d", NULL, 1);
}

static void test_finish_sums_3d_radec(void **state)
{
    check_finish_sums(*state, "3d", NULL, 0);
    check_finish_sums(*state, "3d", NULL, 1);
}

static void test_finish_sums_3d_altaz(void **state)
{
    const kv_t altaz[] = { { "fov_alignment", "altaz" }, { NULL, NULL } };
    check_finish_sums(*state, "3d", altaz, 1);
}

/* A weighted case by hand on the 3 x 3 grid of small_2d: two runs of
 * weights 2 and 0.5, one offset ring fully excluded in the second. */
static void test_finish_sums_by_hand(void **state)
{
    fixture_t *f = *state;
    const double e[] = { 1, 2, 4, 8 }, th[] = { 0, 0.5, 1, 2 };
    /* run A: n = 4 in [0][1], 1 in [2][2]; t = 1000 s everywhere.
     * run B: n = 2 in [0][1], 6 in [1][0]; t = 500, 500, 0 s.
     * weights 2, 0.5. */
    double counts[9] = { 0 }, w2[9] = { 0 };
    const double expo[3] = { 2 * 1000 + 0.5 * 500, 2 * 1000 + 0.5 * 500,
                             2 * 1000 };
    offbkg_contrib_sums_t s = {
        .struct_size = sizeof s, .n_counts = 9, .counts = counts,
        .counts_w2 = w2, .n_exposure = 3, .exposure_s = expo,
    };
    offbkg_cube_t *cube;

    counts[1] = 2 * 4 + 0.5 * 2;  /* 9 */
    w2[1] = 4 * 4 + 0.25 * 2;     /* 16.5 */
    counts[8] = 2 * 1;
    w2[8] = 4 * 1;
    counts[3] = 0.5 * 6;          /* 3 */
    w2[3] = 0.25 * 6;             /* 1.5 */
    make(f, "2d", small_2d);
    cube = finish_sums_ok(f, &s);
    assert_int_equal(cube->n_cells, 9);
    for (size_t ie = 0; ie < 3; ie++)
        for (size_t it = 0; it < 3; it++) {
            size_t cell = ie * 3 + it;
            double dom = 2 * M_PI * (cos(th[it] * DEG) - cos(th[it + 1] * DEG));
            double den = expo[it] * 1e6 * (e[ie + 1] - e[ie]) * dom;
            assert_true(cube->counts[cell] == counts[cell]);
            assert_true(cube->exposure_s[cell] == expo[it]);
            assert_rel(cube->rate[cell], counts[cell] / den, 1e-10);
            assert_rel(cube->rate_err[cell], sqrt(w2[cell]) / den, 1e-10);
        }
    /* Cell [0][1] in numbers: 9 / (2250 s x 1e6 MeV x dOmega). */
    assert_rel(cube->rate[1],
               9.0 / (2250 * 1e6 * 2 * M_PI * (cos(0.5 * DEG) - cos(DEG))),
               1e-10);
    assert_rel(cube->rate_err[1] / cube->rate[1], sqrt(16.5) / 9, 1e-12);
    offbkg_cube_free(cube);

    /* An exposure bin with no time: rate 0 there, never NaN. */
    {
        const double expo0[3] = { 0, 2250, 2000 };
        s.exposure_s = expo0;
        counts[0] = 5;
        w2[0] = 5;
        cube = finish_sums_ok(f, &s);
        for (size_t ie = 0; ie < 3; ie++) {
            assert_true(cube->rate[ie * 3] == 0);
            assert_true(cube->rate_err[ie * 3] == 0);
        }
        assert_true(cube->counts[0] == 5);
        assert_true(cube->rate[1] > 0);
        offbkg_cube_free(cube);
    }
}

static void expect_sums_refused(fixture_t *f, const offbkg_contrib_sums_t *s,
                                int status, const char *want)
{
    offbkg_cube_t *cube = (offbkg_cube_t *)&cube;

    assert_int_equal(ops(f)->finish_sums(f->inst.state, s, &cube), status);
    assert_null(cube);
    plugin_assert_host_error(want);
}

static void check_sums_refusals(fixture_t *f, const char *name,
                                const kv_t *kv, const char *layout)
{
    double *counts, *w2, *expo;
    offbkg_contrib_sums_t s, bad;
    offbkg_contrib_data_t v;
    void *c;
    char want[256];

    make(f, name, kv);
    c = contrib_new(f);
    assert_int_equal(ops(f)->contrib_view(f->inst.state, c, &v), OFFBKG_OK);
    counts = calloc(v.n_counts + 1, sizeof *counts);
    w2 = calloc(v.n_counts + 1, sizeof *w2);
    expo = calloc(v.n_counts + 1, sizeof *expo);
    assert_true(counts != NULL && w2 != NULL && expo != NULL);
    s = (offbkg_contrib_sums_t){
        .struct_size = sizeof s, .n_counts = v.n_counts, .counts = counts,
        .counts_w2 = w2, .n_exposure = v.n_exposure, .exposure_s = expo,
    };
    /* No exposure at all. */
    expect_sums_refused(f, &s, OFFBKG_EDATA, "no exposure: no run was "
                        "filled, or every bin is excluded");
    expo[1] = 10;
    counts[2] = w2[2] = 3;
    offbkg_cube_free(finish_sums_ok(f, &s));

    bad = s;
    bad.n_counts++;
    snprintf(want, sizeof want, "weighted sums of %zu cells and %zu "
             "exposure bins, but this model has %s", bad.n_counts,
             bad.n_exposure, layout);
    expect_sums_refused(f, &bad, OFFBKG_EDATA, want);
    bad = s;
    bad.n_exposure--;
    snprintf(want, sizeof want, "weighted sums of %zu cells and %zu "
             "exposure bins, but this model has %s", bad.n_counts,
             bad.n_exposure, layout);
    expect_sums_refused(f, &bad, OFFBKG_EDATA, want);
    bad = s;
    bad.n_exposure = bad.n_counts;  /* exposure per cell: not this model */
    snprintf(want, sizeof want, "weighted sums of %zu cells and %zu "
             "exposure bins, but this model has %s", bad.n_counts,
             bad.n_exposure, layout);
    expect_sums_refused(f, &bad, OFFBKG_EDATA, want);

    bad = s;
    bad.counts_w2 = NULL;
    expect_sums_refused(f, &bad, OFFBKG_EINVAL,
                        "weighted sums without their arrays");
    bad = s;
    bad.struct_size = 0;
    snprintf(want, sizeof want, "weighted sums of 0 bytes, at least %zu "
             "needed", sizeof s);
    expect_sums_refused(f, &bad, OFFBKG_EINVAL, want);

    /* Values: negative, NaN, infinite. */
    counts[4] = -0.5;
    expect_sums_refused(f, &s, OFFBKG_EDATA, "weighted sums: counts[4] is "
                        "-0.5, not a finite value >= 0");
    counts[4] = 0;
    w2[5] = NAN;
    expect_sums_refused(f, &s, OFFBKG_EDATA, "weighted sums: counts_w2[5] "
                        "is nan, not a finite value >= 0");
    w2[5] = 0;
    expo[v.n_exposure - 1] = INFINITY;
    snprintf(want, sizeof want, "weighted sums: exposure_s[%zu] is inf, "
             "not a finite value >= 0", v.n_exposure - 1);
    expect_sums_refused(f, &s, OFFBKG_EDATA, want);
    /* An exposure so small the rate would overflow: refused, never inf. */
    expo[v.n_exposure - 1] = 0;
    expo[2] = 1e-320;
    snprintf(want, sizeof want, "cell 2: 3 counts over %g s of "
             "exposure is not a finite rate", expo[2]);
    expect_sums_refused(f, &s, OFFBKG_EDATA, want);

    free(counts);
    free(w2);
    free(expo);
    contrib_free(f, c);
}

static void test_finish_sums_refusals(void **state)
{
    const kv_t grid_4x5[] = { { "energy_n", "4" }, { "offset_n", "5" },
                              { NULL, NULL } };

    check_sums_refusals(*state, "2d", grid_4x5, "20 cells (4 energy x 5 "
                        "spatial bins) and 5 exposure bins (one per spatial "
                        "bin)");
    check_sums_refusals(*state, "3d", grid_7x5, "70 cells (2 energy x 35 "
                        "spatial bins) and 35 exposure bins (one per spatial "
                        "bin)");
}

#define FIXTURE_TEST(fn) \
    cmocka_unit_test_setup_teardown(fn, plugin_fixture_setup, \
                                    plugin_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_model_2d_defaults),
        FIXTURE_TEST(test_model_2d_exact_counts),
        FIXTURE_TEST(test_model_2d_time_base),
        FIXTURE_TEST(test_model_2d_rate_formula),
        FIXTURE_TEST(test_model_2d_zero_exposure),
        FIXTURE_TEST(test_model_2d_exclusion_drops_events),
        FIXTURE_TEST(test_model_2d_exclusion_fraction),
        FIXTURE_TEST(test_model_2d_exclusion_overlap),
        FIXTURE_TEST(test_model_2d_exclusion_at_pointing),
        FIXTURE_TEST(test_model_2d_warns_square_cell),
        FIXTURE_TEST(test_model_2d_bad_configs),
        FIXTURE_TEST(test_model_2d_merge_bitwise),
        FIXTURE_TEST(test_model_3d_defaults),
        FIXTURE_TEST(test_model_3d_radec_signs),
        FIXTURE_TEST(test_model_3d_altaz_signs),
        FIXTURE_TEST(test_model_3d_altaz_needs_site),
        FIXTURE_TEST(test_model_3d_exclusion_radec),
        FIXTURE_TEST(test_model_3d_exclusion_altaz),
        FIXTURE_TEST(test_model_3d_altaz_config_site),
        FIXTURE_TEST(test_model_3d_exclusion_altaz_slices),
        FIXTURE_TEST(test_model_3d_warns_square_cell),
        FIXTURE_TEST(test_model_3d_bad_configs),
        FIXTURE_TEST(test_model_3d_merge_bitwise),
        FIXTURE_TEST(test_model_2d_edges_exact),
        FIXTURE_TEST(test_model_2d_edges_exact_wide),
        FIXTURE_TEST(test_model_2d_edges_exact_past_90),
        FIXTURE_TEST(test_model_3d_edges_exact),
        FIXTURE_TEST(test_model_3d_edges_exact_gp10),
        FIXTURE_TEST(test_contrib_data_2d),
        FIXTURE_TEST(test_contrib_data_3d_radec),
        FIXTURE_TEST(test_contrib_data_3d_altaz),
        FIXTURE_TEST(test_contrib_load_refusals),
        FIXTURE_TEST(test_finish_sums_2d),
        FIXTURE_TEST(test_finish_sums_3d_radec),
        FIXTURE_TEST(test_finish_sums_3d_altaz),
        FIXTURE_TEST(test_finish_sums_by_hand),
        FIXTURE_TEST(test_finish_sums_refusals),
    };

    if (plugin_path_unset())
        return 0;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
