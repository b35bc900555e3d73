/* SPDX-License-Identifier: BSD-3-Clause
 * model/3d: background rate in (reconstructed energy, DETX, DETY), with
 * the field-of-view coordinates computed from each event's RA/Dec
 * (doc/domain.md §4, §5.3, §5.4): DETX is the FoV longitude and DETY the FoV
 * latitude of the spherical offset frame around the pointing, aligned
 * with RA/Dec or with the horizon (alt/az at the event's time). */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <offbkg/astro.h>
#include <offbkg/binning.h>
#include <offbkg/geom.h>
#include <offbkg/plugin.h>

#include "shared/bin_lookup.h"
#include "shared/model_grid.h"
#include "shared/radec_bins.h"

#define DEG_TO_RAD (M_PI / 180.0)
#define RAD_TO_DEG (180.0 / M_PI)

/* Defaults, once as numbers and once as INI text. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define E_LO 0.1
#define E_HI 100
#define E_N 20
#define FOV_LO -4
#define FOV_HI 4
#define FOV_N 60

/* ALTAZ exclusion: the field turns during a run, so the excluded
 * fraction is averaged over time slices short enough that the edge of
 * the grid moves less than half a pixel in each. The cap only bites for
 * a pointing within a few arc-minutes of the zenith. */
#define MAX_SLICES 4096
/* Offsets this close to an exclusion region (deg) test their events. */
#define REGION_MARGIN_DEG 1e-6

enum { ALIGN_RADEC = 0, ALIGN_ALTAZ = 1 };
enum { SIGN_GADF = 0, SIGN_GAMMAPY10 = 1 };

typedef struct m3d_config {
    mg_axis_values_t energy;
    mg_axis_values_t detx;
    mg_axis_values_t dety;
    int time_base;
    int fov_alignment;
    int radec_lon_sign;
    offbkg_double_list_t site;
} m3d_config_t;

typedef struct m3d_state {
    const offbkg_host_t *host;
    mg_grid_t grid;
    int altaz;
    double lon_sign;   /* fov_lon = lon_sign * lon_off */
    double reach_deg;  /* largest offset of any point of the grid */
    double pixel_deg;  /* narrowest DETX or DETY bin */
    /* [model] site: the last fallback (NaN: none) */
    double site_lon_deg, site_lat_deg;
    bl_table_t energy; /* lookup of the energy bins */
    rb_lookup_t radec; /* lookup of the RADEC pixels */
} m3d_state_t;

static const char *const spacings[] = { "lin", "log", "sqrt", NULL };
static const char *const time_bases[] = { "ontime", "livetime", NULL };
static const char *const alignments[] = { "radec", "altaz", NULL };
static const char *const lon_signs[] = { "gadf", "gammapy10", NULL };

static const mg_axis_keys_t energy_keys = {
    .edges = "energy_edges_tev", .lo = "energy_lo_tev",
    .hi = "energy_hi_tev", .n = "energy_n", .spacing = "energy_spacing",
    .def_lo = E_LO, .def_hi = E_HI, .def_n = E_N,
    .def_spacing = OFFBKG_SPACING_LOG, .what = "energies",
    .min_edge = 0, .max_edge = HUGE_VAL,
};

static const mg_axis_keys_t detx_keys = {
    .edges = "detx_edges_deg", .lo = "detx_lo_deg", .hi = "detx_hi_deg",
    .n = "detx_n", .spacing = "detx_spacing", .def_lo = FOV_LO,
    .def_hi = FOV_HI, .def_n = FOV_N, .def_spacing = OFFBKG_SPACING_LIN,
    .what = "FoV longitudes", .min_edge = -180, .max_edge = 180,
};

static const mg_axis_keys_t dety_keys = {
    .edges = "dety_edges_deg", .lo = "dety_lo_deg", .hi = "dety_hi_deg",
    .n = "dety_n", .spacing = "dety_spacing", .def_lo = FOV_LO,
    .def_hi = FOV_HI, .def_n = FOV_N, .def_spacing = OFFBKG_SPACING_LIN,
    .what = "FoV latitudes", .min_edge = -90, .max_edge = 90,
};

#define RANGE_FLAGS (OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX)

/* The five keys of a FoV axis. */
#define FOV_AXIS_PARAMS(ax, AX, lim, what)                                  \
    { .name = #ax "_edges_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,           \
      .offset = offsetof(m3d_config_t, ax.edges), .unit = "deg",            \
      .flags = RANGE_FLAGS | OFFBKG_PARAM_INCREASING, .min = -(lim),        \
      .max = (lim),                                                         \
      .help = #AX " bin edges (" what "); replaces " #ax "_lo_deg, "        \
              #ax "_hi_deg, " #ax "_n and " #ax "_spacing" },               \
    { .name = #ax "_lo_deg", .type = OFFBKG_PARAM_DOUBLE,                   \
      .offset = offsetof(m3d_config_t, ax.lo), .unit = "deg",               \
      .default_value = STR(FOV_LO), .flags = RANGE_FLAGS, .min = -(lim),    \
      .max = (lim), .help = "lower edge of the first " #AX " bin" },        \
    { .name = #ax "_hi_deg", .type = OFFBKG_PARAM_DOUBLE,                   \
      .offset = offsetof(m3d_config_t, ax.hi), .unit = "deg",               \
      .default_value = STR(FOV_HI), .flags = RANGE_FLAGS, .min = -(lim),    \
      .max = (lim), .help = "upper edge of the last " #AX " bin "           \
                            "(included)" },                                 \
    { .name = #ax "_n", .type = OFFBKG_PARAM_INT,                           \
      .offset = offsetof(m3d_config_t, ax.n), .default_value = STR(FOV_N),  \
      .flags = RANGE_FLAGS, .min = 1, .max = 1000000,                       \
      .help = "number of " #AX " bins" },                                   \
    { .name = #ax "_spacing", .type = OFFBKG_PARAM_ENUM,                    \
      .offset = offsetof(m3d_config_t, ax.spacing), .default_value = "lin", \
      .choices = spacings, .help = #AX " edges spaced evenly in the "       \
                                   "angle, its log or its sqrt" }

static const offbkg_param_t m3d_params[] = {
    { .name = "energy_edges_tev", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(m3d_config_t, energy.edges), .unit = "TeV",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_INCREASING, .min = 0,
      .help = "energy bin edges; replaces energy_lo_tev, energy_hi_tev, "
              "energy_n and energy_spacing" },
    { .name = "energy_lo_tev", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(m3d_config_t, energy.lo), .unit = "TeV",
      .default_value = STR(E_LO), .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "lower edge of the first energy bin" },
    { .name = "energy_hi_tev", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(m3d_config_t, energy.hi), .unit = "TeV",
      .default_value = STR(E_HI),
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "upper edge of the last energy bin (included)" },
    { .name = "energy_n", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(m3d_config_t, energy.n), .default_value = STR(E_N),
      .flags = RANGE_FLAGS, .min = 1, .max = 1000000,
      .help = "number of energy bins" },
    { .name = "energy_spacing", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m3d_config_t, energy.spacing),
      .default_value = "log", .choices = spacings,
      .help = "energy edges spaced evenly in E, log E or sqrt E" },
    FOV_AXIS_PARAMS(detx, DETX, 180, "FoV longitude"),
    FOV_AXIS_PARAMS(dety, DETY, 90, "FoV latitude"),
    { .name = "fov_alignment", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m3d_config_t, fov_alignment),
      .default_value = "radec", .choices = alignments,
      .help = "FoV frame aligned with RA/Dec or with alt/az at each "
              "event's time (needs the site and MJDREF)" },
    { .name = "radec_lon_sign", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m3d_config_t, radec_lon_sign),
      .default_value = "gadf", .choices = lon_signs,
      .help = "RADEC FoV longitude: gadf grows toward decreasing RA "
              "(gammapy >= 1.3); gammapy10 toward increasing RA (gammapy "
              "1.0-1.2)" },
    { .name = "site", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(m3d_config_t, site), .unit = "deg, deg, m",
      .help = "east longitude, latitude and height of the telescopes, "
              "for fov_alignment = altaz when a run's EVENTS header and "
              "the obs-index header have no GEOLON/GEOLAT" },
    { .name = "time_base", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(m3d_config_t, time_base),
      .default_value = "ontime", .choices = time_bases,
      .help = "divide by ONTIME (GADF, gammapy) or LIVETIME (old "
              "gammapy)" },
    { 0 }
};

static void m3d_destroy(void *state)
{
    m3d_state_t *s = state;

    if (s == NULL)
        return;
    bl_table_clear(&s->energy);
    rb_clear(&s->radec);
    mg_grid_clear(&s->grid);
    free(s);
}

/* The narrowest bin of an angle axis, in degrees. */
static double narrowest_bin_deg(const mg_axis_t *a)
{
    double w = HUGE_VAL;
    for (size_t i = 0; i < a->n_bins; i++)
        w = fmin(w, a->edges[i + 1] - a->edges[i]);
    return w;
}

/* [model] site: empty, or longitude, latitude and an optional height. */
static int site_resolve(const offbkg_host_t *host, const m3d_config_t *cfg,
                        m3d_state_t *s)
{
    const offbkg_double_list_t *l = &cfg->site;

    s->site_lon_deg = s->site_lat_deg = NAN;
    if (l->n == 0)
        return OFFBKG_OK;
    if (l->n != 2 && l->n != 3)
        return host->error(host, OFFBKG_ECONFIG,
                           "site: expected longitude, latitude[, height], "
                           "got %zu numbers", l->n);
    if (!(fabs(l->v[0]) <= 360.0) || !(fabs(l->v[1]) < 90.0)
        || (l->n == 3 && !isfinite(l->v[2])))
        return host->error(host, OFFBKG_ECONFIG,
                           "site: longitude %g must be within +-360 deg "
                           "and latitude %g within +-90 deg (exclusive)",
                           l->v[0], l->v[1]);
    s->site_lon_deg = l->v[0];
    s->site_lat_deg = l->v[1];
    return OFFBKG_OK;
}

/* The largest offset from the origin of any point of the lon/lat grid. */
static double grid_reach_deg(const mg_grid_t *g)
{
    const mg_axis_t *x = &g->axes[1], *y = &g->axes[2];
    double xm = fmax(fabs(x->edges[0]), fabs(x->edges[x->n_bins]));
    double ym = fmax(fabs(y->edges[0]), fabs(y->edges[y->n_bins]));

    /* Within |lon| <= 90, cos(offset) = cos(lat) cos(lon) is smallest at
     * the corner farthest out. */
    if (xm > 90)
        return 180.0;
    return offbkg_sep_deg(0, 0, xm, ym);
}

static int m3d_create(const offbkg_host_t *host, const void *config,
                      void **state)
{
    const m3d_config_t *cfg = config;
    m3d_state_t *s;
    mg_grid_t *g;
    int rc;

    *state = NULL;
    if (cfg->fov_alignment == ALIGN_ALTAZ
        && cfg->radec_lon_sign != SIGN_GADF)
        return host->error(host, OFFBKG_ECONFIG,
                           "radec_lon_sign = gammapy10 applies to "
                           "fov_alignment = radec only; the ALTAZ FoV "
                           "longitude always grows toward decreasing "
                           "azimuth");
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->altaz = cfg->fov_alignment == ALIGN_ALTAZ;
    s->lon_sign = !s->altaz && cfg->radec_lon_sign == SIGN_GAMMAPY10 ? 1.0
                                                                     : -1.0;
    g = &s->grid;
    g->n_axes = 3;
    g->names[0] = "ENERG";
    g->units[0] = "TeV";
    g->names[1] = "DETX";
    g->units[1] = "deg";
    g->names[2] = "DETY";
    g->units[2] = "deg";
    g->livetime = cfg->time_base == 1;
    g->fov_lon_sign = (int)s->lon_sign;
    snprintf(g->fov_alignment, sizeof g->fov_alignment, "%s",
             s->altaz ? "ALTAZ" : "RADEC");
    if ((rc = mg_axis_resolve(host, &energy_keys, &cfg->energy,
                              &g->axes[0])) != OFFBKG_OK
        || (rc = mg_axis_resolve(host, &detx_keys, &cfg->detx,
                                 &g->axes[1])) != OFFBKG_OK
        || (rc = mg_axis_resolve(host, &dety_keys, &cfg->dety,
                                 &g->axes[2])) != OFFBKG_OK
        || (rc = mg_grid_finalise(host, g)) != OFFBKG_OK) {
        m3d_destroy(s);
        return rc;
    }
    s->reach_deg = grid_reach_deg(g);
    s->pixel_deg = fmin(narrowest_bin_deg(&g->axes[1]),
                        narrowest_bin_deg(&g->axes[2]));
    if ((rc = site_resolve(host, cfg, s)) != OFFBKG_OK) {
        m3d_destroy(s);
        return rc;
    }
    if (!s->altaz && cfg->site.n > 0)
        host->log(host, OFFBKG_LOG_WARN,
                  "site is used by fov_alignment = altaz only");
    if (bl_table_init(&s->energy, g->axes[0].edges, g->axes[0].n_bins) != 0
        || rb_init(&s->radec, g->axes[1].edges, g->axes[1].n_bins,
                   g->axes[2].edges, g->axes[2].n_bins, s->lon_sign)
               != 0) {
        m3d_destroy(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    if (g->axes[0].n_bins == g->axes[2].n_bins)
        host->log(host, OFFBKG_LOG_WARN,
                  "%zu energy bins and %zu DETY bins: gammapy cannot tell "
                  "the axis order of such a BKG_3D cell and logs "
                  "\"Ambiguous axes order\"; choose different numbers",
                  g->axes[0].n_bins, g->axes[2].n_bins);
    *state = s;
    return OFFBKG_OK;
}

static int m3d_contrib_new(void *state, void **contrib)
{
    m3d_state_t *s = state;
    return mg_contrib_new(s->host, &s->grid, contrib);
}

static void m3d_contrib_reset(void *state, void *contrib)
{
    m3d_state_t *s = state;
    mg_contrib_reset(&s->grid, contrib);
}

static void m3d_contrib_free(void *state, void *contrib)
{
    (void)state;
    mg_contrib_free(contrib);
}

/* Whether azimuths psi +- half (rad; half >= pi: all) reach [x0, x1]. */
static int lon_overlap(double psi, double half, double x0, double x1)
{
    if (half >= M_PI)
        return 1;
    for (int turn = -1; turn <= 1; turn++)
        if (psi - half + 2.0 * M_PI * turn < x1
            && psi + half + 2.0 * M_PI * turn > x0)
            return 1;
    return 0;
}

/* frac[pixel] = the fraction of each pixel's solid angle inside any of
 * the caps, given around the FoV frame's north pole (polar distance 90
 * - DETY, azimuth DETX). Each touched pixel is integrated over rows of
 * constant latitude (equal solid angle), with the arcs inside the caps
 * exact on each row. */
static void pixel_exclusion(const m3d_state_t *s, const mg_cap_t *caps,
                            size_t n, size_t *in_row, size_t *idx,
                            double *spans, double *frac)
{
    const mg_grid_t *g = &s->grid;
    const double *X = g->axes[1].edges, *Y = g->axes[2].edges;
    size_t nx = g->axes[1].n_bins, ny = g->axes[2].n_bins;

    for (size_t iy = 0; iy < ny; iy++) {
        double y0 = Y[iy] * DEG_TO_RAD, y1 = Y[iy + 1] * DEG_TO_RAD;
        size_t n_row = 0;

        /* The caps that reach this row of pixels in latitude. */
        for (size_t k = 0; k < n; k++) {
            double lat_c = 0.5 * M_PI - caps[k].rho;
            if (lat_c - caps[k].r < y1 && lat_c + caps[k].r > y0)
                in_row[n_row++] = k;
        }
        for (size_t ix = 0; ix < nx; ix++) {
            double x0 = X[ix] * DEG_TO_RAD, x1 = X[ix + 1] * DEG_TO_RAD;
            double l0 = HUGE_VAL, l1 = -HUGE_VAL, f;
            size_t m = 0;

            for (size_t q = 0; q < n_row; q++) {
                const mg_cap_t *c = &caps[in_row[q]];
                double lat_c = 0.5 * M_PI - c->rho;
                if (!lon_overlap(c->psi, c->psi_half, x0, x1))
                    continue;
                idx[m++] = in_row[q];
                l0 = fmin(l0, lat_c - c->r);
                l1 = fmax(l1, lat_c + c->r);
            }
            if (m == 0) {
                frac[ix * ny + iy] = 0.0;
                continue;
            }
            l0 = fmax(l0, y0);
            l1 = fmin(l1, y1);
            f = mg_bin_fraction(MG_MAP_LONLAT, x0, x1, sin(y0), sin(y1),
                                l0 == y0 ? sin(y0) : sin(l0),
                                l1 == y1 ? sin(y1) : sin(l1), caps, idx, m,
                                spans);
            frac[ix * ny + iy] = f >= MG_FULL_FRACTION ? 1.0
                                                       : fmin(1.0,
                                                              fmax(0.0, f));
        }
    }
}

/* Time slices for an ALTAZ exclusion mask: equal slices in which the
 * edge of the grid (offset reach_deg) moves less than half a pixel at
 * the fastest field rotation of the run (doc/domain.md §5.4). */
static size_t altaz_slices(const m3d_state_t *s, const offbkg_run_t *run,
                           const offbkg_altaz_fov_t *fov)
{
    double rate = offbkg_altaz_fov_max_rotation_rate(fov, run->tstart_s,
                                                     run->tstop_s);
    double edge = sin(fmin(90.0, s->reach_deg) * DEG_TO_RAD);
    double n = ceil(rate * (run->tstop_s - run->tstart_s) * edge
                    / (0.5 * s->pixel_deg * DEG_TO_RAD));

    if (!(n >= 1))
        return 1;
    if (n > MAX_SLICES) {
        s->host->log(s->host, OFFBKG_LOG_WARN,
                     "run %" PRId64 ": the field turns too fast (pointing "
                     "near the zenith) for %d time slices of the exclusion "
                     "mask; the mask is smeared more than half a pixel",
                     run->obs_id, MAX_SLICES);
        return MAX_SLICES;
    }
    return (size_t)n;
}

/* The cap of a region at FoV (lon, lat) in degrees. */
static void fov_cap(mg_cap_t *cap, double lon, double lat, double radius)
{
    mg_cap_set(cap, (90.0 - lat) * DEG_TO_RAD, lon * DEG_TO_RAD,
               radius * DEG_TO_RAD);
}

static int run_exclusion(const m3d_state_t *s, const offbkg_run_t *run,
                         const offbkg_altaz_fov_t *fov,
                         const mg_region_t *reg, size_t n_reg, double *frac)
{
    const mg_grid_t *g = &s->grid;
    mg_cap_t *caps = malloc(n_reg * sizeof *caps);
    size_t *in_row = malloc(n_reg * sizeof *in_row);
    size_t *idx = malloc(n_reg * sizeof *idx);
    double *spans = malloc(6 * n_reg * sizeof *spans);
    double *slice = NULL;
    size_t n_slices = 1;
    int ok;

    if (s->altaz)
        slice = malloc(g->n_sp * sizeof *slice);
    ok = caps != NULL && in_row != NULL && idx != NULL && spans != NULL
         && (!s->altaz || slice != NULL);
    if (ok && !s->altaz) {
        offbkg_offset_frame_t frame;
        offbkg_offset_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
        for (size_t k = 0; k < n_reg; k++) {
            double lon, lat;
            offbkg_offset_frame_forward(&frame, reg[k].ra_deg,
                                        reg[k].dec_deg, &lon, &lat);
            fov_cap(&caps[k], s->lon_sign * lon, lat, reg[k].radius_deg);
        }
        pixel_exclusion(s, caps, n_reg, in_row, idx, spans, frac);
    } else if (ok) {
        /* The regions move through the ALTAZ field as it turns: average
         * their masks over time slices of equal length. */
        double span = run->tstop_s - run->tstart_s;
        n_slices = altaz_slices(s, run, fov);
        for (size_t p = 0; p < g->n_sp; p++)
            frac[p] = 0.0;
        for (size_t i = 0; i < n_slices; i++) {
            double t = run->tstart_s
                       + span * ((double)i + 0.5) / (double)n_slices;
            for (size_t k = 0; k < n_reg; k++) {
                double lon, lat;
                offbkg_altaz_fov_forward(fov, t, reg[k].ra_deg,
                                         reg[k].dec_deg, &lon, &lat);
                fov_cap(&caps[k], lon, lat, reg[k].radius_deg);
            }
            pixel_exclusion(s, caps, n_reg, in_row, idx, spans, slice);
            for (size_t p = 0; p < g->n_sp; p++)
                frac[p] += slice[p];
        }
        for (size_t p = 0; p < g->n_sp; p++) {
            frac[p] /= (double)n_slices;
            frac[p] = frac[p] >= MG_FULL_FRACTION ? 1.0 : frac[p];
        }
    }
    free(caps);
    free(in_row);
    free(idx);
    free(spans);
    free(slice);
    if (!ok)
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    s->host->log(s->host, OFFBKG_LOG_DEBUG,
                 "run %" PRId64 ": exclusion of %zu regions over %zu time "
                 "slices", run->obs_id, n_reg, n_slices);
    return OFFBKG_OK;
}

/* A MET inside the run, for precession and aberration: TSTART, else
 * the first event's time. */
static double run_epoch_s(const offbkg_run_t *run)
{
    if (isfinite(run->tstart_s))
        return run->tstart_s;
    for (size_t i = 0; i < run->n_events; i++)
        if (isfinite(run->time_s[i]))
            return run->time_s[i];
    return 0.0;
}

/* The ALTAZ frame of a run (site: the run's, else [model] site), or an
 * error naming what the run lacks. */
static int altaz_setup(const m3d_state_t *s, const offbkg_run_t *run,
                       size_t n_reg, offbkg_altaz_fov_t *fov)
{
    const char *missing = NULL;
    double lon = run->site_lon_deg, lat = run->site_lat_deg;

    if (!isfinite(lon) || !isfinite(lat)) {
        lon = s->site_lon_deg;
        lat = s->site_lat_deg;
    }
    offbkg_altaz_fov_init(fov, run->ra_pnt_deg, run->dec_pnt_deg, lon, lat,
                          run->mjdref_tt_day, run_epoch_s(run));
    if (!isfinite(lon) || !isfinite(lat))
        missing = "the site (GEOLON, GEOLAT in the EVENTS or obs-index "
                  "header, or [model] site)";
    else if (!isfinite(run->mjdref_tt_day))
        missing = "the time reference (MJDREFI + MJDREFF or MJDREF, and "
                  "TIMESYS TT, UTC or TAI)";
    else if (n_reg > 0
             && !(isfinite(run->tstart_s) && isfinite(run->tstop_s)
                  && run->tstop_s >= run->tstart_s))
        missing = "a valid TSTART and TSTOP (to average the exclusion "
                  "regions over the run)";
    if (missing == NULL)
        return OFFBKG_OK;
    return s->host->error(s->host, OFFBKG_EDATA,
                          "run %" PRId64 ": fov_alignment = altaz needs "
                          "%s, which the run lacks",
                          run->obs_id, missing);
}

static int m3d_fill(void *state, const offbkg_run_t *run, void *contrib)
{
    const m3d_state_t *s = state;
    const mg_grid_t *g = &s->grid;
    const mg_axis_t *xa = &g->axes[1], *ya = &g->axes[2];
    mg_contrib_t *c = contrib;
    nu_frame_t frame;
    offbkg_altaz_fov_t fov;
    mg_region_t *reg = NULL;
    double *frac = NULL, t_run;
    size_t n_reg = 0;
    uint64_t n_bad = 0, n_out = 0, n_excl = 0;
    int rc;

    if ((rc = mg_run_time(s->host, g, run, &t_run)) != OFFBKG_OK)
        return rc;
    if (!isfinite(run->ra_pnt_deg) || !isfinite(run->dec_pnt_deg))
        return s->host->error(s->host, OFFBKG_EDATA,
                              "run %" PRId64 " has no pointing",
                              run->obs_id);
    rc = mg_regions_near(s->host, run, s->reach_deg, &reg, &n_reg);
    if (rc != OFFBKG_OK)
        return rc;
    if (s->altaz && (rc = altaz_setup(s, run, n_reg, &fov)) != OFFBKG_OK)
        goto done;
    if (n_reg > 0) {
        frac = malloc(g->n_sp * sizeof *frac);
        if (frac == NULL)
            rc = s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
        else
            rc = run_exclusion(s, run, &fov, reg, n_reg, frac);
        if (rc != OFFBKG_OK)
            goto done;
    }

    /* Only events at offsets some region reaches are tested against the
     * regions: cos(offset) within [near_lo, near_hi]. */
    double near_lo = 2.0, near_hi = -2.0;
    for (size_t k = 0; k < n_reg; k++) {
        double lo = reg[k].sep_deg - reg[k].radius_deg - REGION_MARGIN_DEG;
        double hi = reg[k].sep_deg + reg[k].radius_deg + REGION_MARGIN_DEG;
        near_hi = fmax(near_hi, cos(fmax(lo, 0.0) * DEG_TO_RAD));
        near_lo = fmin(near_lo, cos(fmin(hi, 180.0) * DEG_TO_RAD));
    }
    nu_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
    for (size_t i = 0; i < run->n_events; i++) {
        double e = run->energy_tev[i], ra = run->ra_deg[i],
               dec = run->dec_deg[i];
        double lon, lat, cos_off = NAN;
        ptrdiff_t ie;
        size_t ix, iy;
        if ((i & 0xffff) == 0xffff && s->host->cancelled != NULL
            && s->host->cancelled(s->host)) {
            /* Partly filled: the host drops a cancelled run's
             * contribution. Refusals above change nothing. */
            rc = OFFBKG_ECANCELLED;
            goto done;
        }
        if (!isfinite(e) || !(e > 0) || !isfinite(ra) || !isfinite(dec)
            || (s->altaz && !isfinite(run->time_s[i]))) {
            n_bad++;
            continue;
        }
        ie = bl_find(&s->energy, e);
        if (ie < 0) {
            n_out++;
            continue;
        }
        int in_grid;
        if (s->altaz) {
            ptrdiff_t jx, jy;
            offbkg_altaz_fov_forward(&fov, run->time_s[i], ra, dec, &lon,
                                     &lat);
            jx = offbkg_binning_find(xa->edges, xa->n_bins, lon);
            jy = jx < 0 ? -1 : offbkg_binning_find(ya->edges, ya->n_bins, lat);
            in_grid = jy >= 0;
            ix = (size_t)jx;
            iy = (size_t)jy;
        } else {
            in_grid = rb_pixel(&s->radec, &frame, ra, dec, &ix, &iy,
                               &cos_off);
        }
        if (!in_grid) {
            n_out++;
            continue;
        }
        if (n_reg > 0
            && !(cos_off < near_lo || cos_off > near_hi)) {
            double v[3];
            mg_unit_vector(ra, dec, v);
            if (mg_regions_contain(reg, n_reg, v)) {
                n_excl++;
                continue;
            }
        }
        c->counts[((size_t)ie * xa->n_bins + ix) * ya->n_bins + iy]++;
    }
    for (size_t p = 0; p < g->n_sp; p++)
        c->exposure_s[p] += frac != NULL ? t_run * (1.0 - frac[p]) : t_run;
    s->host->log(s->host, OFFBKG_LOG_DEBUG,
                 "run %" PRId64 ": %zu events, %" PRIu64 " outside the "
                 "bins, %" PRIu64 " in exclusion regions, %" PRIu64
                 " unusable (not finite, or energy <= 0); %zu regions near "
                 "the field of view",
                 run->obs_id, run->n_events, n_out, n_excl, n_bad, n_reg);
done:
    free(reg);
    free(frac);
    return rc;
}

static int m3d_merge(void *state, void *into, const void *from)
{
    m3d_state_t *s = state;
    mg_contrib_merge(&s->grid, into, from);
    return OFFBKG_OK;
}

static int m3d_finish(void *state, const void *contrib, offbkg_cube_t **cube)
{
    m3d_state_t *s = state;
    return mg_finish(s->host, &s->grid, contrib, cube);
}

static int m3d_finish_sums(void *state, const offbkg_contrib_sums_t *sums,
                           offbkg_cube_t **cube)
{
    m3d_state_t *s = state;
    return mg_finish_sums(s->host, &s->grid, sums, cube);
}

static int m3d_contrib_view(void *state, const void *contrib,
                            offbkg_contrib_data_t *out)
{
    m3d_state_t *s = state;
    mg_contrib_view(&s->grid, contrib, out);
    return OFFBKG_OK;
}

static int m3d_contrib_load(void *state, const offbkg_contrib_data_t *in,
                            void *contrib)
{
    m3d_state_t *s = state;
    return mg_contrib_load(s->host, &s->grid, in, contrib);
}

static int m3d_contrib_add(void *state, const offbkg_contrib_data_t *in,
                           void *contrib)
{
    m3d_state_t *s = state;
    return mg_contrib_add(s->host, &s->grid, in, contrib);
}

static const offbkg_model_ops_t m3d_ops = {
    .struct_size = sizeof(offbkg_model_ops_t),
    .contrib_new = m3d_contrib_new,
    .contrib_reset = m3d_contrib_reset,
    .contrib_free = m3d_contrib_free,
    .fill = m3d_fill,
    .merge = m3d_merge,
    .finish = m3d_finish,
    .contrib_view = m3d_contrib_view,
    .contrib_load = m3d_contrib_load,
    .finish_sums = m3d_finish_sums,
    .contrib_add = m3d_contrib_add,
};

static const offbkg_plugin_t m3d_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MODEL,
    .name = "3d",
    .version = "1.0.0",
    .summary = "background rate in energy x DETX x DETY (GADF BKG_3D)",
    .params = m3d_params,
    .config_size = sizeof(m3d_config_t),
    .create = m3d_create,
    .destroy = m3d_destroy,
    .ops.model = &m3d_ops,
};

OFFBKG_PLUGIN_DEFINE(model_3d, m3d_plugin)
