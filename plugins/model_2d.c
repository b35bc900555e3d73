/* SPDX-License-Identifier: BSD-3-Clause
 * model/2d: background rate in (reconstructed energy, offset), the
 * radially symmetric model of old gammapy (doc/domain.md §3) with exact solid
 * angles, great-circle offsets, and exclusion regions corrected per
 * offset ring instead of the single-source "pie". */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include <offbkg/binning.h>
#include <offbkg/geom.h>
#include <offbkg/plugin.h>

#include "shared/bin_lookup.h"
#include "shared/model_grid.h"
#include "shared/near_unit.h"

#define DEG_TO_RAD (M_PI / 180.0)
/* Events whose offset lies this close to an edge (rad) are binned from
 * the offset itself; the others from sin^2 of it, which needs no atan2
 * (the two agree far beyond the rounding of either). */
#define EDGE_GUARD_RAD 1e-9
/* Rings this close to an exclusion region (deg) test their events. */
#define RING_MARGIN_DEG 1e-6

/* Defaults, once as numbers and once as INI text. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define E_LO 0.1
#define E_HI 100
#define E_N 15
#define OFF_MAX 2.5
#define OFF_N 99

typedef struct m2d_config {
    mg_axis_values_t energy;
    mg_axis_values_t offset; /* lo unused: rings start at 0 */
    int time_base;
} m2d_config_t;

typedef struct m2d_state {
    const offbkg_host_t *host;
    mg_grid_t grid;
    bl_table_t energy;    /* lookup of the energy bins */
    int fast_offset;      /* offsets binned by sin^2 (edges below 90 deg) */
    double *sin2_edges;   /* sin^2 of the offset edges */
    double *sin2_guard;   /* EDGE_GUARD_RAD at each edge, in sin^2 */
    bl_table_t sin2;      /* lookup of the offset bins in sin^2 */
} m2d_state_t;

static const char *const spacings[] = { "lin", "log", "sqrt", NULL };
static const char *const time_bases[] = { "ontime", "livetime", NULL };

static const mg_axis_keys_t energy_keys = {
    .edges = "energy_edges_tev", .lo = "energy_lo_tev",
    .hi = "energy_hi_tev", .n = "energy_n", .spacing = "energy_spacing",
    .def_lo = E_LO, .def_hi = E_HI, .def_n = E_N,
    .def_spacing = OFFBKG_SPACING_LOG, .what = "energies",
    .min_edge = 0, .max_edge = HUGE_VAL,
};

static const mg_axis_keys_t offset_keys = {
    .edges = "offset_edges_deg", .lo = NULL, .hi = "offset_max_deg",
    .n = "offset_n", .spacing = "offset_spacing", .def_lo = 0,
    .def_hi = OFF_MAX, .def_n = OFF_N, .def_spacing = OFFBKG_SPACING_SQRT,
    .what = "offsets", .min_edge = 0, .max_edge = 180,
};

#define EDGES_FLAGS (OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_INCREASING)

static const offbkg_param_t m2d_params[] = {
    { .name = "energy_edges_tev", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(m2d_config_t, energy.edges), .unit = "TeV",
      .flags = EDGES_FLAGS, .min = 0,
      .help = "energy bin edges; replaces energy_lo_tev, energy_hi_tev, "
              "energy_n and energy_spacing" },
    { .name = "energy_lo_tev", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(m2d_config_t, energy.lo), .unit = "TeV",
      .default_value = STR(E_LO), .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "lower edge of the first energy bin" },
    { .name = "energy_hi_tev", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(m2d_config_t, energy.hi), .unit = "TeV",
      .default_value = STR(E_HI),
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "upper edge of the last energy bin (included)" },
    { .name = "energy_n", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(m2d_config_t, energy.n), .default_value = STR(E_N),
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX, .min = 1,
      .max = 1000000, .help = "number of energy bins" },
    { .name = "energy_spacing", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m2d_config_t, energy.spacing),
      .default_value = "log", .choices = spacings,
      .help = "energy edges spaced evenly in E, log E or sqrt E" },
    { .name = "offset_edges_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(m2d_config_t, offset.edges), .unit = "deg",
      .flags = EDGES_FLAGS | OFFBKG_PARAM_HAS_MAX, .min = 0, .max = 180,
      .help = "offset bin edges; replaces offset_max_deg, offset_n and "
              "offset_spacing" },
    { .name = "offset_max_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(m2d_config_t, offset.hi), .unit = "deg",
      .default_value = STR(OFF_MAX),
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX,
      .min = 0, .max = 180,
      .help = "upper edge of the last offset bin (included); the only "
              "field-of-view cut" },
    { .name = "offset_n", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(m2d_config_t, offset.n),
      .default_value = STR(OFF_N),
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX, .min = 1,
      .max = 1000000, .help = "number of offset bins from 0" },
    { .name = "offset_spacing", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m2d_config_t, offset.spacing),
      .default_value = "sqrt", .choices = spacings,
      .help = "offset edges spaced evenly in offset, log offset or "
              "sqrt (rings of equal area)" },
    { .name = "time_base", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m2d_config_t, time_base),
      .default_value = "ontime", .choices = time_bases,
      .help = "divide by ONTIME (GADF, gammapy) or LIVETIME (old "
              "gammapy)" },
    { 0 }
};

static void m2d_destroy(void *state)
{
    m2d_state_t *s = state;

    if (s == NULL)
        return;
    bl_table_clear(&s->energy);
    bl_table_clear(&s->sin2);
    free(s->sin2_edges);
    free(s->sin2_guard);
    mg_grid_clear(&s->grid);
    free(s);
}

/* The lookups of the event loop: energy, and offset in sin^2 when every
 * offset edge is below 90 deg (where sin^2 grows with the offset). */
static int lookups_init(m2d_state_t *s)
{
    const mg_axis_t *ta = &s->grid.axes[1];
    size_t n = ta->n_bins;

    if (bl_table_init(&s->energy, s->grid.axes[0].edges,
                      s->grid.axes[0].n_bins)
        != 0)
        return -1;
    s->fast_offset = ta->edges[n] < 90.0;
    if (!s->fast_offset)
        return 0;
    s->sin2_edges = malloc((n + 1) * sizeof(double));
    s->sin2_guard = malloc((n + 1) * sizeof(double));
    if (s->sin2_edges == NULL || s->sin2_guard == NULL)
        return -1;
    for (size_t j = 0; j <= n; j++) {
        double sn = sin(ta->edges[j] * DEG_TO_RAD);
        s->sin2_edges[j] = sn * sn;
        /* d(sin^2)/dtheta = 2 sin cos <= 2 sin */
        s->sin2_guard[j] = 2.0 * sn * EDGE_GUARD_RAD
                           + EDGE_GUARD_RAD * EDGE_GUARD_RAD;
        if (j > 0 && !(s->sin2_edges[j] > s->sin2_edges[j - 1]))
            s->fast_offset = 0;
    }
    if (s->fast_offset && bl_table_init(&s->sin2, s->sin2_edges, n) != 0)
        return -1;
    return 0;
}

static int m2d_create(const offbkg_host_t *host, const void *config,
                      void **state)
{
    const m2d_config_t *cfg = config;
    m2d_state_t *s = calloc(1, sizeof *s);
    mg_grid_t *g;
    int rc;

    *state = NULL;
    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    g = &s->grid;
    g->n_axes = 2;
    g->names[0] = "ENERG";
    g->units[0] = "TeV";
    g->names[1] = "THETA";
    g->units[1] = "deg";
    g->livetime = cfg->time_base == 1;
    g->fov_lon_sign = 0;
    if ((rc = mg_axis_resolve(host, &energy_keys, &cfg->energy,
                              &g->axes[0])) != OFFBKG_OK
        || (rc = mg_axis_resolve(host, &offset_keys, &cfg->offset,
                                 &g->axes[1])) != OFFBKG_OK
        || (rc = mg_grid_finalise(host, g)) != OFFBKG_OK) {
        m2d_destroy(s);
        return rc;
    }
    if (lookups_init(s) != 0) {
        m2d_destroy(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    if (g->axes[0].n_bins == g->axes[1].n_bins)
        host->log(host, OFFBKG_LOG_WARN,
                  "%zu energy bins and %zu offset bins: gammapy cannot tell "
                  "the axes of a square BKG_2D cell apart and logs "
                  "\"Ambiguous axes order\"; choose different numbers",
                  g->axes[0].n_bins, g->axes[1].n_bins);
    *state = s;
    return OFFBKG_OK;
}

static int m2d_contrib_new(void *state, void **contrib)
{
    m2d_state_t *s = state;
    return mg_contrib_new(s->host, &s->grid, contrib);
}

static void m2d_contrib_reset(void *state, void *contrib)
{
    m2d_state_t *s = state;
    mg_contrib_reset(&s->grid, contrib);
}

static void m2d_contrib_free(void *state, void *contrib)
{
    (void)state;
    mg_contrib_free(contrib);
}

/* 1 - cos(theta) without cancellation. */
static double one_minus_cos(double theta_rad)
{
    double h = sin(0.5 * theta_rad);
    return 2.0 * h * h;
}

/* frac[j] = the fraction of ring j's solid angle inside any of the
 * regions. Seen from the pointing, a region is a cap at polar distance
 * its offset and at its own azimuth; each ring is integrated over rows
 * of constant offset (equal solid angle), with the arcs inside the caps
 * exact on each row. */
static int ring_exclusion(const m2d_state_t *s, const offbkg_run_t *run,
                          const mg_region_t *reg, size_t n_reg, double *frac)
{
    const mg_axis_t *th = &s->grid.axes[1];
    offbkg_offset_frame_t frame;
    mg_cap_t *caps = malloc(n_reg * sizeof *caps);
    size_t *idx = malloc(n_reg * sizeof *idx);
    double *spans = malloc(6 * n_reg * sizeof *spans);

    if (caps == NULL || idx == NULL || spans == NULL) {
        free(caps);
        free(idx);
        free(spans);
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    }
    /* In the offset frame the pointing is +x; the azimuth of a region
     * is counted from +y (east) toward +z (north). */
    offbkg_offset_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
    for (size_t k = 0; k < n_reg; k++) {
        double lon, lat, v[3];
        offbkg_offset_frame_forward(&frame, reg[k].ra_deg, reg[k].dec_deg,
                                    &lon, &lat);
        mg_unit_vector(lon, lat, v);
        mg_cap_set(&caps[k], reg[k].sep_deg * DEG_TO_RAD, atan2(v[2], v[1]),
                   reg[k].radius_deg * DEG_TO_RAD);
    }
    for (size_t j = 0; j < th->n_bins; j++) {
        double lo = th->edges[j] * DEG_TO_RAD;
        double hi = th->edges[j + 1] * DEG_TO_RAD;
        double t0 = HUGE_VAL, t1 = -HUGE_VAL, f;
        size_t n = 0;

        /* The regions that reach this ring, and the offsets they span. */
        for (size_t k = 0; k < n_reg; k++) {
            double c0 = caps[k].rho - caps[k].r, c1 = caps[k].rho + caps[k].r;
            if (c1 <= lo || c0 >= hi)
                continue;
            idx[n++] = k;
            t0 = fmin(t0, c0);
            t1 = fmax(t1, c1);
        }
        if (n == 0) {
            frac[j] = 0.0;
            continue;
        }
        t0 = fmax(t0, lo);
        t1 = fmin(t1, hi);
        f = mg_bin_fraction(MG_MAP_RING, -M_PI, M_PI, one_minus_cos(lo),
                            one_minus_cos(hi), one_minus_cos(t0),
                            one_minus_cos(t1), caps, idx, n, spans);
        frac[j] = f >= MG_FULL_FRACTION ? 1.0 : fmin(1.0, fmax(0.0, f));
    }
    free(caps);
    free(idx);
    free(spans);
    return OFFBKG_OK;
}

/* The offset bin of (ra, dec) around the pointing of @p f, exactly as
 * offbkg_binning_find of offbkg_offset_frame_sep_deg gives it: from
 * sin^2(offset) = y^2 + z^2 of the offset-frame vector, unless the
 * offset lies within EDGE_GUARD_RAD of an edge or beyond 90 deg. */
static inline ptrdiff_t offset_bin(const m2d_state_t *s, const nu_frame_t *f,
                                   double ra, double dec)
{
    const mg_axis_t *ta = &s->grid.axes[1];

    if (s->fast_offset) {
        double x, y, z;
        nu_unit(f, ra, dec, &x, &y, &z);
        if (x > 0) {
            ptrdiff_t k = bl_find_guarded(&s->sin2, s->sin2_guard,
                                          y * y + z * z);
            if (k != BL_UNSURE)
                return k;
        }
    }
    return offbkg_binning_find(ta->edges, ta->n_bins,
                               offbkg_offset_frame_sep_deg(&f->frame, ra,
                                                           dec));
}

/* near[j]: a region may hold points of ring j (a superset: the test
 * itself stays exact). NULL when out of memory. */
static unsigned char *rings_near(const mg_axis_t *ta, const mg_region_t *reg,
                                 size_t n_reg)
{
    unsigned char *near = calloc(ta->n_bins, 1);

    for (size_t j = 0; near != NULL && j < ta->n_bins; j++)
        for (size_t k = 0; k < n_reg && !near[j]; k++)
            near[j] = reg[k].sep_deg - reg[k].radius_deg - RING_MARGIN_DEG
                          < ta->edges[j + 1]
                      && reg[k].sep_deg + reg[k].radius_deg + RING_MARGIN_DEG
                             > ta->edges[j];
    return near;
}

static int m2d_fill(void *state, const offbkg_run_t *run, void *contrib)
{
    const m2d_state_t *s = state;
    const mg_grid_t *g = &s->grid;
    const mg_axis_t *ta = &g->axes[1];
    mg_contrib_t *c = contrib;
    nu_frame_t frame;
    mg_region_t *reg = NULL;
    double *frac = NULL, t_run;
    unsigned char *near = NULL;
    size_t n_reg = 0;
    uint64_t n_bad = 0, n_out = 0, n_excl = 0;
    int rc;

    if ((rc = mg_run_time(s->host, g, run, &t_run)) != OFFBKG_OK)
        return rc;
    if (!isfinite(run->ra_pnt_deg) || !isfinite(run->dec_pnt_deg))
        return s->host->error(s->host, OFFBKG_EDATA,
                              "run %" PRId64 " has no pointing",
                              run->obs_id);
    rc = mg_regions_near(s->host, run, ta->edges[ta->n_bins], &reg, &n_reg);
    if (rc != OFFBKG_OK)
        return rc;
    if (n_reg > 0) {
        frac = malloc(ta->n_bins * sizeof *frac);
        near = rings_near(ta, reg, n_reg);
        if (frac == NULL || near == NULL)
            rc = s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
        else
            rc = ring_exclusion(s, run, reg, n_reg, frac);
        if (rc != OFFBKG_OK)
            goto done;
    }

    nu_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
    for (size_t i = 0; i < run->n_events; i++) {
        double e = run->energy_tev[i], ra = run->ra_deg[i],
               dec = run->dec_deg[i];
        ptrdiff_t ie, it;
        if ((i & 0xffff) == 0xffff && s->host->cancelled != NULL
            && s->host->cancelled(s->host)) {
            /* Partly filled: the host drops a cancelled run's
             * contribution. Refusals above change nothing. */
            rc = OFFBKG_ECANCELLED;
            goto done;
        }
        if (!isfinite(e) || !(e > 0) || !isfinite(ra) || !isfinite(dec)) {
            n_bad++;
            continue;
        }
        ie = bl_find(&s->energy, e);
        it = ie < 0 ? -1 : offset_bin(s, &frame, ra, dec);
        if (it < 0) {
            n_out++;
            continue;
        }
        if (near != NULL && near[it]) {
            double v[3];
            mg_unit_vector(ra, dec, v);
            if (mg_regions_contain(reg, n_reg, v)) {
                n_excl++;
                continue;
            }
        }
        c->counts[(size_t)ie * g->n_sp + (size_t)it]++;
    }
    for (size_t j = 0; j < ta->n_bins; j++)
        c->exposure_s[j] += frac != NULL ? t_run * (1.0 - frac[j]) : t_run;
    s->host->log(s->host, OFFBKG_LOG_DEBUG,
                 "run %" PRId64 ": %zu events, %" PRIu64 " outside the "
                 "bins, %" PRIu64 " in exclusion regions, %" PRIu64
                 " unusable (not finite, or energy <= 0); %zu regions near "
                 "the field of view",
                 run->obs_id, run->n_events, n_out, n_excl, n_bad, n_reg);
done:
    free(reg);
    free(frac);
    free(near);
    return rc;
}

static int m2d_merge(void *state, void *into, const void *from)
{
    m2d_state_t *s = state;
    mg_contrib_merge(&s->grid, into, from);
    return OFFBKG_OK;
}

static int m2d_finish(void *state, const void *contrib, offbkg_cube_t **cube)
{
    m2d_state_t *s = state;
    return mg_finish(s->host, &s->grid, contrib, cube);
}

static int m2d_finish_sums(void *state, const offbkg_contrib_sums_t *sums,
                           offbkg_cube_t **cube)
{
    m2d_state_t *s = state;
    return mg_finish_sums(s->host, &s->grid, sums, cube);
}

static int m2d_contrib_view(void *state, const void *contrib,
                            offbkg_contrib_data_t *out)
{
    m2d_state_t *s = state;
    mg_contrib_view(&s->grid, contrib, out);
    return OFFBKG_OK;
}

static int m2d_contrib_load(void *state, const offbkg_contrib_data_t *in,
                            void *contrib)
{
    m2d_state_t *s = state;
    return mg_contrib_load(s->host, &s->grid, in, contrib);
}

static int m2d_contrib_add(void *state, const offbkg_contrib_data_t *in,
                           void *contrib)
{
    m2d_state_t *s = state;
    return mg_contrib_add(s->host, &s->grid, in, contrib);
}

/* The test suite builds this plugin once more with the table a plugin
 * built before ABI 1.3 has (ending before contrib_add), to run the host's
 * path for such plugins (tests/run/store.sh). */
#ifndef TEST_OPS_SIZE
#define TEST_OPS_SIZE sizeof(offbkg_model_ops_t)
#endif

static const offbkg_model_ops_t m2d_ops = {
    .struct_size = TEST_OPS_SIZE,
    .contrib_new = m2d_contrib_new,
    .contrib_reset = m2d_contrib_reset,
    .contrib_free = m2d_contrib_free,
    .fill = m2d_fill,
    .merge = m2d_merge,
    .finish = m2d_finish,
    .contrib_view = m2d_contrib_view,
    .contrib_load = m2d_contrib_load,
    .finish_sums = m2d_finish_sums,
    .contrib_add = m2d_contrib_add,
};

static const offbkg_plugin_t m2d_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MODEL,
    .name = "2d",
    .version = "1.0.0",
    .summary = "background rate in energy x offset (GADF BKG_2D)",
    .params = m2d_params,
    .config_size = sizeof(m2d_config_t),
    .create = m2d_create,
    .destroy = m2d_destroy,
    .ops.model = &m2d_ops,
};

OFFBKG_PLUGIN_DEFINE(model_2d, m2d_plugin)
