/* SPDX-License-Identifier: BSD-3-Clause
 * Shared parts of model/2d and model/3d (see model_grid.h). */
#include <config.h>

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/binning.h>
#include <offbkg/geom.h>
#include <offbkg/plugin.h>

#include "model_grid.h"

#define DEG_TO_RAD (M_PI / 180.0)

static const char *const spacing_names[] = { "lin", "log", "sqrt" };

static const char *spacing_name(int s)
{
    return s >= 0 && s < 3 ? spacing_names[s] : "?";
}

static int resolve_edges_list(const offbkg_host_t *host,
                              const mg_axis_keys_t *k,
                              const mg_axis_values_t *v, mg_axis_t *out)
{
    const double *e = v->edges.v;
    size_t n = v->edges.n;
    int changed = (k->lo != NULL && v->lo != k->def_lo) || v->hi != k->def_hi
                  || v->n != k->def_n || v->spacing != k->def_spacing;

    if (changed) {
        if (k->lo != NULL)
            return host->error(host, OFFBKG_ECONFIG,
                               "%s cannot be combined with %s, %s, %s or "
                               "%s: give either the edges or the range",
                               k->edges, k->lo, k->hi, k->n, k->spacing);
        return host->error(host, OFFBKG_ECONFIG,
                           "%s cannot be combined with %s, %s or %s: give "
                           "either the edges or the range",
                           k->edges, k->hi, k->n, k->spacing);
    }
    if (n < 2)
        return host->error(host, OFFBKG_ECONFIG,
                           "%s: at least 2 edges are needed, got %zu",
                           k->edges, n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(e[i]) || e[i] < k->min_edge || e[i] > k->max_edge)
            return host->error(host, OFFBKG_ECONFIG,
                               "%s: item %zu: %g is out of range (%s must "
                               "be >= %g and <= %g)",
                               k->edges, i + 1, e[i], k->what, k->min_edge,
                               k->max_edge);
        if (i > 0 && !(e[i] > e[i - 1]))
            return host->error(host, OFFBKG_ECONFIG,
                               "%s: edges must be strictly increasing "
                               "(item %zu: %g after %g)",
                               k->edges, i + 1, e[i], e[i - 1]);
    }
    out->edges = malloc(n * sizeof(double));
    if (out->edges == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    memcpy(out->edges, e, n * sizeof(double));
    out->n_bins = n - 1;
    return OFFBKG_OK;
}

int mg_axis_resolve(const offbkg_host_t *host, const mg_axis_keys_t *k,
                    const mg_axis_values_t *v, mg_axis_t *out)
{
    double lo = k->lo != NULL ? v->lo : k->def_lo;
    const char *lo_key = k->lo != NULL ? k->lo : "the lower edge";
    size_t n;

    out->n_bins = 0;
    out->edges = NULL;
    if (v->edges.n > 0)
        return resolve_edges_list(host, k, v, out);

    if (v->n < 1 || v->n > 1000000)
        return host->error(host, OFFBKG_ECONFIG,
                           "%s: %" PRId64 " bins (must be 1 to 1000000)",
                           k->n, v->n);
    n = (size_t)v->n;
    if (!(lo < v->hi)) {
        if (k->lo != NULL)
            return host->error(host, OFFBKG_ECONFIG,
                               "%s (%g) must be below %s (%g)", k->lo, lo,
                               k->hi, v->hi);
        return host->error(host, OFFBKG_ECONFIG, "%s (%g) must be above %g",
                           k->hi, v->hi, lo);
    }
    if (lo < k->min_edge || v->hi > k->max_edge)
        return host->error(host, OFFBKG_ECONFIG,
                           "%s and %s: %g to %g is out of range (%s must be "
                           ">= %g and <= %g)",
                           lo_key, k->hi, lo, v->hi, k->what, k->min_edge,
                           k->max_edge);
    if (v->spacing == OFFBKG_SPACING_LOG && !(lo > 0))
        return host->error(host, OFFBKG_ECONFIG,
                           "%s = log needs %s > 0, got %g", k->spacing,
                           lo_key, lo);
    if (v->spacing == OFFBKG_SPACING_SQRT && !(lo >= 0))
        return host->error(host, OFFBKG_ECONFIG,
                           "%s = sqrt needs %s >= 0, got %g", k->spacing,
                           lo_key, lo);
    out->edges = malloc((n + 1) * sizeof(double));
    if (out->edges == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    if (offbkg_binning_edges(lo, v->hi, n, (offbkg_spacing_t)v->spacing,
                             out->edges) != OFFBKG_OK) {
        free(out->edges);
        out->edges = NULL;
        return host->error(host, OFFBKG_ECONFIG,
                           "%s: %zu %s-spaced bins from %g to %g are too "
                           "narrow to have distinct edges",
                           k->n, n, spacing_name(v->spacing), lo, v->hi);
    }
    out->n_bins = n;
    return OFFBKG_OK;
}

int mg_grid_finalise(const offbkg_host_t *host, mg_grid_t *g)
{
    const size_t max_cells = (size_t)1 << 28;

    g->n_e = g->axes[0].n_bins;
    g->n_sp = 1;
    for (size_t a = 1; a < g->n_axes; a++) {
        if (g->axes[a].n_bins > max_cells / g->n_sp)
            return host->error(host, OFFBKG_ECONFIG, "too many bins");
        g->n_sp *= g->axes[a].n_bins;
    }
    if (g->n_e > max_cells / g->n_sp)
        return host->error(host, OFFBKG_ECONFIG,
                           "too many cells: %zu energy x %zu spatial bins",
                           g->n_e, g->n_sp);
    g->n_cells = g->n_e * g->n_sp;
    g->omega_sr = malloc(g->n_sp * sizeof(double));
    if (g->omega_sr == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    if (g->n_axes == 2) {
        const double *t = g->axes[1].edges;
        for (size_t j = 0; j < g->n_sp; j++)
            g->omega_sr[j] = offbkg_solid_angle_annulus_sr(t[j], t[j + 1]);
    } else {
        const double *x = g->axes[1].edges, *y = g->axes[2].edges;
        size_t ny = g->axes[2].n_bins;
        for (size_t ix = 0; ix < g->axes[1].n_bins; ix++)
            for (size_t iy = 0; iy < ny; iy++)
                g->omega_sr[ix * ny + iy] = offbkg_solid_angle_lonlat_sr(
                    x[ix], x[ix + 1], y[iy], y[iy + 1]);
    }
    return OFFBKG_OK;
}

void mg_grid_clear(mg_grid_t *g)
{
    for (size_t a = 0; a < MG_MAX_AXES; a++) {
        free(g->axes[a].edges);
        g->axes[a].edges = NULL;
    }
    free(g->omega_sr);
    g->omega_sr = NULL;
}

int mg_run_time(const offbkg_host_t *host, const mg_grid_t *g,
                const offbkg_run_t *run, double *t_s)
{
    double t = g->livetime ? run->livetime_s : run->ontime_s;

    if (!(t > 0) || !isfinite(t))
        return host->error(host, OFFBKG_EDATA,
                           "run %" PRId64 ": %s is %g, not a positive time",
                           run->obs_id, g->livetime ? "LIVETIME" : "ONTIME",
                           t);
    *t_s = t;
    return OFFBKG_OK;
}

int mg_contrib_new(const offbkg_host_t *host, const mg_grid_t *g,
                   void **contrib)
{
    mg_contrib_t *c = calloc(1, sizeof *c);

    *contrib = NULL;
    if (c == NULL
        || (c->counts = calloc(g->n_cells, sizeof *c->counts)) == NULL
        || (c->exposure_s = calloc(g->n_sp, sizeof *c->exposure_s))
               == NULL) {
        mg_contrib_free(c);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    *contrib = c;
    return OFFBKG_OK;
}

void mg_contrib_reset(const mg_grid_t *g, void *contrib)
{
    mg_contrib_t *c = contrib;

    memset(c->counts, 0, g->n_cells * sizeof *c->counts);
    for (size_t s = 0; s < g->n_sp; s++)
        c->exposure_s[s] = 0.0;
}

void mg_contrib_free(void *contrib)
{
    mg_contrib_t *c = contrib;

    if (c == NULL)
        return;
    free(c->counts);
    free(c->exposure_s);
    free(c);
}

void mg_contrib_merge(const mg_grid_t *g, mg_contrib_t *into,
                      const mg_contrib_t *from)
{
    for (size_t i = 0; i < g->n_cells; i++)
        into->counts[i] += from->counts[i];
    for (size_t s = 0; s < g->n_sp; s++)
        into->exposure_s[s] += from->exposure_s[s];
}

void mg_contrib_view(const mg_grid_t *g, const mg_contrib_t *c,
                     offbkg_contrib_data_t *out)
{
    *out = (offbkg_contrib_data_t){
        .struct_size = sizeof *out,
        .n_counts = g->n_cells,
        .counts = c->counts,
        .n_exposure = g->n_sp,
        .exposure_s = c->exposure_s,
    };
}

/* The checks contrib_load and contrib_add share: @p in has this grid's
 * sizes, its arrays (dense counts, or with @p sparse_ok sparse ones) and
 * exposures that are finite times >= 0. */
static int check_data(const offbkg_host_t *host, const mg_grid_t *g,
                      const offbkg_contrib_data_t *in, bool sparse_ok)
{
    /* The members this plugin reads: a host may pass a larger struct. */
    const size_t need = offsetof(offbkg_contrib_data_t, exposure_s)
                        + sizeof in->exposure_s;
    const size_t need_sparse = offsetof(offbkg_contrib_data_t, nonzero_count)
                               + sizeof in->nonzero_count;

    if (in->struct_size < need)
        return host->error(host, OFFBKG_EINVAL,
                           "contribution data of %u bytes, at least %zu "
                           "needed", in->struct_size, need);
    if (in->n_counts != g->n_cells || in->n_exposure != g->n_sp)
        return host->error(host, OFFBKG_EDATA,
                           "contribution of %zu cells and %zu exposure "
                           "bins, but this model has %zu cells (%zu energy "
                           "x %zu spatial bins) and %zu exposure bins (one "
                           "per spatial bin)",
                           in->n_counts, in->n_exposure, g->n_cells, g->n_e,
                           g->n_sp, g->n_sp);
    bool sparse = sparse_ok && in->counts == NULL
                  && in->struct_size >= need_sparse;
    if ((g->n_cells > 0 && in->counts == NULL && !sparse)
        || (sparse && in->n_nonzero > 0
            && (in->nonzero_cell == NULL || in->nonzero_count == NULL))
        || (g->n_sp > 0 && in->exposure_s == NULL))
        return host->error(host, OFFBKG_EINVAL,
                           "contribution data without its arrays");
    for (size_t k = 0; sparse && k < in->n_nonzero; k++)
        if (in->nonzero_cell[k] >= g->n_cells)
            return host->error(host, OFFBKG_EDATA,
                               "contribution count in cell %" PRIu64
                               ", but this model has %zu cells",
                               in->nonzero_cell[k], g->n_cells);
    /* Checked before anything is changed, so a refusal changes nothing. */
    for (size_t s = 0; s < g->n_sp; s++)
        if (!(in->exposure_s[s] >= 0) || !isfinite(in->exposure_s[s]))
            return host->error(host, OFFBKG_EDATA,
                               "contribution exposure bin %zu is %g s: "
                               "not a finite time >= 0",
                               s, in->exposure_s[s]);
    return OFFBKG_OK;
}

int mg_contrib_load(const offbkg_host_t *host, const mg_grid_t *g,
                    const offbkg_contrib_data_t *in, mg_contrib_t *c)
{
    int st = check_data(host, g, in, false);

    if (st != OFFBKG_OK)
        return st;
    memmove(c->counts, in->counts, g->n_cells * sizeof *c->counts);
    memmove(c->exposure_s, in->exposure_s, g->n_sp * sizeof *c->exposure_s);
    return OFFBKG_OK;
}

int mg_contrib_add(const offbkg_host_t *host, const mg_grid_t *g,
                   const offbkg_contrib_data_t *in, mg_contrib_t *into)
{
    int st = check_data(host, g, in, true);

    if (st != OFFBKG_OK)
        return st;
    if (in->counts != NULL)
        for (size_t i = 0; i < g->n_cells; i++)
            into->counts[i] += in->counts[i];
    else
        for (size_t k = 0; k < in->n_nonzero; k++)
            into->counts[in->nonzero_cell[k]] += in->nonzero_count[k];
    /* As mg_contrib_merge adds a loaded run: the same sums, bit for bit. */
    for (size_t s = 0; s < g->n_sp; s++)
        into->exposure_s[s] += in->exposure_s[s];
    return OFFBKG_OK;
}

/* What a cube is made of: integer counts (finish), or weighted counts
 * and their variance (finish_sums); exposure per spatial bin. */
typedef struct cube_source {
    const uint64_t *counts;   /* n_cells, or NULL: counts_w and var */
    const double *counts_w;   /* n_cells: weighted counts */
    const double *var;        /* n_cells: variance of counts_w */
    const double *exposure_s; /* n_sp */
} cube_source_t;

/* Bit 63 of the result set when some v[i] is inf or NaN, or (with
 * @p nonneg) below 0, -0 excepted: integer operations on the bits of
 * the doubles, without a branch or an early exit, which compilers
 * vectorise (double comparisons accumulated into a flag GCC 12 does
 * not). An exponent of all ones plus one carries into bit 63; a set
 * sign bit with a magnitude >= 1 (plus 0x7ff..f reaches bit 63). */
static int all_finite(const double *v, size_t n, int nonneg)
{
    const uint64_t mag = UINT64_C(0x7fffffffffffffff);
    uint64_t bad = 0, bad_sign = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], sizeof b);
        bad |= (b & UINT64_C(0x7ff0000000000000))
               + UINT64_C(0x0010000000000000);
        bad_sign |= b & ((b & mag) + mag);
    }
    return ((bad | (nonneg ? bad_sign : 0)) >> 63) == 0;
}

/* One energy row of a cube: the counts @p n (variance @p v) and the
 * exposure @p t_s per spatial bin copied into the cube's @p cell_n and
 * @p cell_t_s, and their rates. Straight-line code (no branch, no early
 * exit: the caller checks the rates once), so that a compiler may
 * vectorise it. A fully excluded bin has no exposure: rate 0, never NaN,
 * by a mask m instead of a branch. den >= 0, n and v finite >= 0: where
 * den > 0, m = 1 and the rates are n / den and sqrt(v) / den bit for
 * bit; where den = 0, they are n / 1 * 0 = 0. @p n may be @p cell_n.
 * On x86-64 it is built for AVX-512 and AVX2 too, the best taken when
 * the plugin loads: divisions and square roots are IEEE-exact at any
 * width, so the rates are the same bits, made 4 or 8 at a time instead
 * of 2 (a thousand per-observation 3D cubes spent most of their time
 * dividing). */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
static void rate_row(size_t n_sp, double de_mev,
                     const double *restrict omega_sr,
                     const double *restrict t_s, const double *n,
                     const double *v, double *cell_n,
                     double *restrict cell_t_s,
                     double *restrict cell_omega_sr, double *restrict rate,
                     double *restrict rate_err)
{
    for (size_t s = 0; s < n_sp; s++) {
        double den = t_s[s] * de_mev * omega_sr[s];
        double m = den > 0;
        double d = den + (1.0 - m);
        double ns = n[s];
        cell_n[s] = ns;
        cell_t_s[s] = t_s[s];
        cell_omega_sr[s] = omega_sr[s];
        rate[s] = ns / d * m;
        rate_err[s] = sqrt(v[s]) / d * m;
    }
}

/* The one place a rate cube is made, so finish_sums with weights 1
 * equals finish bit for bit: same sums, same operations, same order. */
static int make_cube(const offbkg_host_t *host, const mg_grid_t *g,
                     const cube_source_t *src, offbkg_cube_t **out)
{
    size_t n_bins[MG_MAX_AXES];
    double total = 0;
    int ok;
    offbkg_cube_t *cube;

    *out = NULL;
    for (size_t s = 0; s < g->n_sp; s++)
        total += src->exposure_s[s];
    if (!(total > 0))
        return host->error(host, OFFBKG_EDATA,
                           "no exposure: no run was filled, or every bin "
                           "is excluded");
    for (size_t a = 0; a < g->n_axes; a++)
        n_bins[a] = g->axes[a].n_bins;
    cube = offbkg_cube_new(g->n_axes, n_bins);
    if (cube == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    for (size_t a = 0; a < g->n_axes; a++) {
        offbkg_axis_t *ax = &cube->axes[a];
        snprintf(ax->name, sizeof ax->name, "%s", g->names[a]);
        snprintf(ax->unit, sizeof ax->unit, "%s", g->units[a]);
        memcpy(ax->edges, g->axes[a].edges,
               (n_bins[a] + 1) * sizeof(double));
    }
    /* Integer counts as doubles first: their variance is the counts. */
    if (src->counts != NULL) {
        double *counts = cube->counts;
        for (size_t cell = 0; cell < g->n_cells; cell++)
            counts[cell] = (double)src->counts[cell];
    }
    for (size_t ie = 0; ie < g->n_e; ie++) {
        const double *e = g->axes[0].edges;
        size_t row = ie * g->n_sp;
        const double *n = src->counts != NULL ? cube->counts + row
                                              : src->counts_w + row;
        rate_row(g->n_sp, 1e6 * (e[ie + 1] - e[ie]), g->omega_sr,
                 src->exposure_s, n, src->counts != NULL ? n : src->var + row,
                 cube->counts + row, cube->exposure_s + row,
                 cube->solid_angle_sr + row, cube->rate + row,
                 cube->rate_err + row);
    }
    /* A denormal exposure would overflow: refuse, never inf. */
    ok = all_finite(cube->rate, g->n_cells, 0)
         && all_finite(cube->rate_err, g->n_cells, 0);
    for (size_t cell = 0; !ok && cell < g->n_cells; cell++)
        if (!isfinite(cube->rate[cell]) || !isfinite(cube->rate_err[cell])) {
            int rc = host->error(host, OFFBKG_EDATA, "cell %zu: %g counts "
                                 "over %g s of exposure is not a finite "
                                 "rate", cell, cube->counts[cell],
                                 cube->exposure_s[cell]);
            offbkg_cube_free(cube);
            return rc;
        }
    snprintf(cube->fov_alignment, sizeof cube->fov_alignment, "%s",
             g->fov_alignment);
    snprintf(cube->time_base, sizeof cube->time_base, "%s",
             g->livetime ? "LIVETIME" : "ONTIME");
    cube->fov_lon_sign = g->fov_lon_sign;
    *out = cube;
    return OFFBKG_OK;
}

int mg_finish(const offbkg_host_t *host, const mg_grid_t *g,
              const mg_contrib_t *c, offbkg_cube_t **out)
{
    cube_source_t src = { .counts = c->counts,
                          .exposure_s = c->exposure_s };

    return make_cube(host, g, &src, out);
}

/* Each value finite and >= 0, or an OFFBKG_EDATA error naming it. */
static int check_values(const offbkg_host_t *host, const char *what,
                        const double *v, size_t n)
{
    /* The value at fault is looked for only when there is one. */
    if (all_finite(v, n, 1))
        return OFFBKG_OK;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] >= 0) || !isfinite(v[i]))
            return host->error(host, OFFBKG_EDATA,
                               "weighted sums: %s[%zu] is %g, not a finite "
                               "value >= 0",
                               what, i, v[i]);
    return OFFBKG_OK;
}

int mg_finish_sums(const offbkg_host_t *host, const mg_grid_t *g,
                   const offbkg_contrib_sums_t *sums, offbkg_cube_t **out)
{
    /* The members this plugin reads: a host may pass a larger struct. */
    const size_t need = offsetof(offbkg_contrib_sums_t, exposure_s)
                        + sizeof sums->exposure_s;
    cube_source_t src;
    int rc;

    *out = NULL;
    if (sums->struct_size < need)
        return host->error(host, OFFBKG_EINVAL,
                           "weighted sums of %u bytes, at least %zu needed",
                           sums->struct_size, need);
    if (sums->n_counts != g->n_cells || sums->n_exposure != g->n_sp)
        return host->error(host, OFFBKG_EDATA,
                           "weighted sums of %zu cells and %zu exposure "
                           "bins, but this model has %zu cells (%zu energy "
                           "x %zu spatial bins) and %zu exposure bins (one "
                           "per spatial bin)",
                           sums->n_counts, sums->n_exposure, g->n_cells,
                           g->n_e, g->n_sp, g->n_sp);
    if ((g->n_cells > 0
         && (sums->counts == NULL || sums->counts_w2 == NULL))
        || (g->n_sp > 0 && sums->exposure_s == NULL))
        return host->error(host, OFFBKG_EINVAL,
                           "weighted sums without their arrays");
    if ((rc = check_values(host, "counts", sums->counts, g->n_cells))
            != OFFBKG_OK
        || (sums->counts_w2 != sums->counts    /* weights 1: the same */
            && (rc = check_values(host, "counts_w2", sums->counts_w2,
                                  g->n_cells)) != OFFBKG_OK)
        || (rc = check_values(host, "exposure_s", sums->exposure_s,
                              g->n_sp)) != OFFBKG_OK)
        return rc;
    src = (cube_source_t){ .counts_w = sums->counts,
                           .var = sums->counts_w2,
                           .exposure_s = sums->exposure_s };
    return make_cube(host, g, &src, out);
}

void mg_unit_vector(double lon_deg, double lat_deg, double v[3])
{
    double lon = lon_deg * DEG_TO_RAD, lat = lat_deg * DEG_TO_RAD;
    double cl = cos(lat);

    v[0] = cl * cos(lon);
    v[1] = cl * sin(lon);
    v[2] = sin(lat);
}

void mg_circle_set(mg_circle_t *circ, double lon_deg, double lat_deg,
                   double radius_deg)
{
    double half = 0.5 * radius_deg * DEG_TO_RAD;
    double chord = 2.0 * sin(half > 0.5 * M_PI ? 0.5 * M_PI : half);

    mg_unit_vector(lon_deg, lat_deg, circ->c);
    circ->radius_rad = radius_deg * DEG_TO_RAD;
    circ->chord2 = chord * chord;
}

int mg_regions_near(const offbkg_host_t *host, const offbkg_run_t *run,
                    double reach_deg, mg_region_t **regions, size_t *n)
{
    offbkg_offset_frame_t frame;
    mg_region_t *out;
    size_t k = 0;

    *regions = NULL;
    *n = 0;
    if (run->n_regions == 0 || run->regions == NULL)
        return OFFBKG_OK;
    out = malloc(run->n_regions * sizeof *out);
    if (out == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    offbkg_offset_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
    for (size_t i = 0; i < run->n_regions; i++) {
        const offbkg_region_t *r = &run->regions[i];
        double s;
        if (!isfinite(r->ra_deg) || !isfinite(r->dec_deg)
            || !(r->radius_deg > 0) || !isfinite(r->radius_deg))
            continue;
        s = offbkg_offset_frame_sep_deg(&frame, r->ra_deg, r->dec_deg);
        /* A small margin: the sampler decides what is really inside. */
        if (s - r->radius_deg >= reach_deg + 1e-6)
            continue;
        mg_circle_set(&out[k].sky, r->ra_deg, r->dec_deg, r->radius_deg);
        out[k].ra_deg = r->ra_deg;
        out[k].dec_deg = r->dec_deg;
        out[k].radius_deg = r->radius_deg;
        out[k].sep_deg = s;
        k++;
    }
    if (k == 0) {
        free(out);
        out = NULL;
    }
    *regions = out;
    *n = k;
    return OFFBKG_OK;
}

void mg_cap_set(mg_cap_t *cap, double rho, double psi, double r)
{
    double h = sin(0.5 * r);

    cap->rho = rho;
    cap->psi = psi;
    cap->r = r;
    cap->sin_rho = sin(rho);
    cap->hav_r = h * h;
    /* Seen from the pole, the cap spans the azimuths within its tangent
     * great circles, sin(half) = sin r / sin rho, unless it holds a
     * pole. */
    if (rho - r <= 0 || rho + r >= M_PI)
        cap->psi_half = M_PI;
    else
        cap->psi_half = asin(fmin(1.0, sin(r) / cap->sin_rho));
}

/* Half-width of the arc of the row at polar distance rho inside the cap:
 * hav(d) = hav(rho - rho_c) + sin rho sin rho_c hav(dpsi) < hav(r).
 * -1 when the row misses the cap, pi when the cap holds the whole row. */
static double row_half(const mg_cap_t *c, double rho, double sin_rho)
{
    double h = sin(0.5 * (rho - c->rho));
    double num = c->hav_r - h * h, den = sin_rho * c->sin_rho;

    if (num <= 0)
        return -1;
    if (num >= den)
        return M_PI;
    return 2.0 * asin(sqrt(num / den));
}

static int span_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Total length of the union of @p n spans (lo, hi pairs), which it
 * sorts. */
static double union_length(double *spans, size_t n)
{
    double len = 0, lo, hi;

    if (n == 0)
        return 0;
    qsort(spans, n, 2 * sizeof(double), span_cmp);
    lo = spans[0];
    hi = spans[1];
    for (size_t i = 1; i < n; i++) {
        if (spans[2 * i] > hi) {
            len += hi - lo;
            lo = spans[2 * i];
        }
        hi = fmax(hi, spans[2 * i + 1]);
    }
    return len + (hi - lo);
}

double mg_bin_fraction(mg_map_t map, double a0, double a1, double b0,
                       double b1, double r0, double r1, const mg_cap_t *caps,
                       const size_t *idx, size_t n_idx, double *spans)
{
    double db = (r1 - r0) / MG_ROWS, sum = 0;

    if (!(r1 > r0) || n_idx == 0)
        return 0.0;
    for (size_t i = 0; i < MG_ROWS; i++) {
        double b = r0 + ((double)i + 0.5) * db, rho, sin_rho, covered;
        size_t n = 0;
        int full = 0;

        if (map == MG_MAP_RING) {
            /* b = 1 - cos(rho) = 2 sin^2(rho / 2) */
            rho = 2.0 * asin(sqrt(0.5 * b));
            sin_rho = sqrt(b * (2.0 - b));
        } else {
            rho = 0.5 * M_PI - asin(b);
            sin_rho = sqrt(1.0 - b * b);
        }
        for (size_t k = 0; k < n_idx && !full; k++) {
            const mg_cap_t *c = &caps[idx[k]];
            double h = row_half(c, rho, sin_rho);
            if (h < 0)
                continue;
            if (h >= M_PI) {
                full = 1;
                break;
            }
            /* The arc, and its copies one turn either way, within the
             * bin's azimuths. */
            for (int turn = -1; turn <= 1; turn++) {
                double lo = fmax(a0, c->psi - h + 2.0 * M_PI * turn);
                double hi = fmin(a1, c->psi + h + 2.0 * M_PI * turn);
                if (hi > lo) {
                    spans[2 * n] = lo;
                    spans[2 * n + 1] = hi;
                    n++;
                }
            }
        }
        covered = full ? a1 - a0 : union_length(spans, n);
        sum += covered / (a1 - a0);
    }
    /* Rows of equal solid angle: the mean over rows, scaled by the part
     * of the bin they span (exactly 1 for the whole bin). */
    sum /= MG_ROWS;
    if (!(r0 == b0 && r1 == b1))
        sum *= (r1 - r0) / (b1 - b0);
    return sum;
}
