/* SPDX-License-Identifier: BSD-3-Clause
 * What the model plugins model/2d and model/3d share: axes from INI
 * parameters, the contribution (integer counts per cell, exposure per
 * spatial bin), merge and finish, exclusion regions, and the sampling of
 * excluded solid angle. Private to those plugins: compiled into each
 * module and not exported (the modules export their entry point only). */
#ifndef OFFBKG_PLUGINS_MODEL_GRID_H
#define OFFBKG_PLUGINS_MODEL_GRID_H

#include <stddef.h>
#include <stdint.h>

#include <offbkg/plugin.h>

#define MG_MAX_AXES 3

/* Fractions this close to 1 are a fully excluded bin: the sampled
 * pieces of a bin covered by several regions need not add up to exactly
 * 1 in floating point, and a bin is never left with a rounding residue
 * of exposure. */
#define MG_FULL_FRACTION (1.0 - 1e-9)

/** The INI parameters of one axis, embedded in a plugin's config. Either
 *  @c edges is non-empty, or lo/hi/n/spacing generate the edges. */
typedef struct mg_axis_values {
    offbkg_double_list_t edges;
    double lo;
    double hi;
    int64_t n;
    int spacing; /* offbkg_spacing_t */
} mg_axis_values_t;

/** The INI keys and defaults of one axis (for messages, and to tell
 *  whether lo/hi/n/spacing were changed along with an edges list). */
typedef struct mg_axis_keys {
    const char *edges;   /* e.g. "energy_edges_tev" */
    const char *lo;      /* NULL: the lower edge is fixed at def_lo */
    const char *hi;
    const char *n;
    const char *spacing;
    double def_lo;
    double def_hi;
    int64_t def_n;
    int def_spacing;
    const char *what;    /* "energies", "offsets", ... for messages */
    double min_edge;     /* smallest edge allowed */
    double max_edge;     /* largest edge allowed */
} mg_axis_keys_t;

/** A resolved axis. */
typedef struct mg_axis {
    size_t n_bins;
    double *edges; /* n_bins + 1, strictly increasing, owned */
} mg_axis_t;

/** Make @p out from @p v, or refuse the combination with a message
 *  through host->error (OFFBKG_ECONFIG). */
int mg_axis_resolve(const offbkg_host_t *host, const mg_axis_keys_t *keys,
                    const mg_axis_values_t *v, mg_axis_t *out);

/** The bins and bookkeeping of one model: energy times one (2D: offset)
 *  or two (3D: DETX, DETY) spatial axes. Spatial bins are numbered with
 *  the last axis fastest, and cells as (ie * n_sp + spatial). */
typedef struct mg_grid {
    size_t n_axes;
    mg_axis_t axes[MG_MAX_AXES];
    const char *names[MG_MAX_AXES];
    const char *units[MG_MAX_AXES];
    size_t n_e;          /* energy bins */
    size_t n_sp;         /* spatial bins */
    size_t n_cells;      /* n_e * n_sp */
    double *omega_sr;    /* n_sp: exact solid angle of each spatial bin */
    int livetime;        /* 0: exposure time is ONTIME; 1: LIVETIME */
    char fov_alignment[8];
    int fov_lon_sign;
} mg_grid_t;

/** Fill n_e, n_sp, n_cells and omega_sr once the axes are set (2 axes:
 *  rings; 3 axes: lon/lat pixels). OFFBKG_ENOMEM or OFFBKG_ECONFIG (too
 *  many cells) through host->error. */
int mg_grid_finalise(const offbkg_host_t *host, mg_grid_t *grid);

/** Free what the grid owns (not the grid). */
void mg_grid_clear(mg_grid_t *grid);

/** The run's time base (ONTIME or LIVETIME) in s, or an OFFBKG_EDATA
 *  error naming the run when it is not a positive finite number. */
int mg_run_time(const offbkg_host_t *host, const mg_grid_t *grid,
                const offbkg_run_t *run, double *t_s);

/** A run's counts and exposure in the grid's bins. */
typedef struct mg_contrib {
    uint64_t *counts;    /* n_cells */
    double *exposure_s;  /* n_sp */
} mg_contrib_t;

int mg_contrib_new(const offbkg_host_t *host, const mg_grid_t *grid,
                   void **contrib);
void mg_contrib_reset(const mg_grid_t *grid, void *contrib);
void mg_contrib_free(void *contrib);
/** into += from. */
void mg_contrib_merge(const mg_grid_t *grid, mg_contrib_t *into,
                      const mg_contrib_t *from);
/** @p c as plain data (ABI 1.1 contrib_view): n_cells counts, and
 *  n_sp exposures, one per spatial bin (the exposure is the same in
 *  every energy bin). */
void mg_contrib_view(const mg_grid_t *grid, const mg_contrib_t *c,
                     offbkg_contrib_data_t *out);
/** Make @p c equal to @p in (ABI 1.1 contrib_load): OFFBKG_EDATA through
 *  host->error when the sizes are not n_cells and n_sp or an exposure
 *  is negative or not finite, and then @p c is left as it was. */
int mg_contrib_load(const offbkg_host_t *host, const mg_grid_t *grid,
                    const offbkg_contrib_data_t *in, mg_contrib_t *c);
/** @p into += @p in (ABI 1.3 contrib_add), @p in's counts dense or
 *  sparse: refusals as mg_contrib_load's, and then @p into is unchanged. */
int mg_contrib_add(const offbkg_host_t *host, const mg_grid_t *grid,
                   const offbkg_contrib_data_t *in, mg_contrib_t *into);
/** The rate cube; OFFBKG_EDATA when the total exposure is 0. */
int mg_finish(const offbkg_host_t *host, const mg_grid_t *grid,
              const mg_contrib_t *c, offbkg_cube_t **cube);
/** The rate cube of weighted sums (ABI 1.2 finish_sums), made by the
 *  same code as mg_finish: with counts_w2 == counts == a merged
 *  contribution's counts and its exposure, the cube is mg_finish's bit
 *  for bit. OFFBKG_EDATA through host->error when the sizes are not
 *  n_cells and n_sp, a value is negative or not finite, or the total
 *  exposure is 0. */
int mg_finish_sums(const offbkg_host_t *host, const mg_grid_t *grid,
                   const offbkg_contrib_sums_t *sums, offbkg_cube_t **cube);

/** A circle on the sphere. */
typedef struct mg_circle {
    double c[3];      /* centre, unit vector */
    double chord2;    /* squared chord of the radius, (2 sin(r/2))^2 */
    double radius_rad;
} mg_circle_t;

/** The unit vector of (lon, lat) in degrees. */
void mg_unit_vector(double lon_deg, double lat_deg, double v[3]);

/** A circle of @p radius_deg around (lon, lat) in degrees. */
void mg_circle_set(mg_circle_t *circ, double lon_deg, double lat_deg,
                   double radius_deg);

/** Inside circle @p circ, strictly (separation < radius). */
static inline int mg_circle_contains(const mg_circle_t *circ,
                                     const double v[3])
{
    double dx = v[0] - circ->c[0], dy = v[1] - circ->c[1],
           dz = v[2] - circ->c[2];
    return dx * dx + dy * dy + dz * dz < circ->chord2;
}

/** An exclusion region of a run, near its field of view. */
typedef struct mg_region {
    mg_circle_t sky;   /* in (RA, Dec) */
    double ra_deg;
    double dec_deg;
    double radius_deg;
    double sep_deg;    /* centre's offset from the pointing */
} mg_region_t;

/** The exclusion regions of @p run that may contain a point within
 *  @p reach_deg of the pointing (malloc'ed; NULL when none). Regions
 *  with a non-finite centre or a radius that is not positive are
 *  ignored. OFFBKG_ENOMEM through host->error. */
int mg_regions_near(const offbkg_host_t *host, const offbkg_run_t *run,
                    double reach_deg, mg_region_t **regions, size_t *n);

/** Inside any of the regions, strictly. */
static inline int mg_regions_contain(const mg_region_t *reg, size_t n,
                                     const double v[3])
{
    for (size_t k = 0; k < n; k++)
        if (mg_circle_contains(&reg[k].sky, v))
            return 1;
    return 0;
}

/** An exclusion circle seen from a pole of the frame whose rows of
 *  constant polar distance the sampler integrates along (2D: the
 *  pointing, rows are rings; 3D: the FoV frame's north pole, rows are
 *  lines of constant latitude). */
typedef struct mg_cap {
    double rho;      /* polar distance of the centre, rad */
    double psi;      /* azimuth of the centre, rad */
    double r;        /* radius, rad */
    double sin_rho;
    double hav_r;    /* sin^2(r / 2) */
    double psi_half; /* half-width of the azimuths it spans; pi: all */
} mg_cap_t;

void mg_cap_set(mg_cap_t *cap, double rho, double psi, double r);

/** How the coordinate b of a bin maps to the polar distance rho; both
 *  have dOmega = da db, with a the azimuth, so rows evenly spaced in b
 *  have equal solid angle. */
typedef enum mg_map {
    MG_MAP_RING = 1,   /* b = 1 - cos(rho) (rings around the pointing) */
    MG_MAP_LONLAT = 2  /* b = sin(lat) = cos(rho) (lon/lat pixels) */
} mg_map_t;

/** Rows per bin. */
#define MG_ROWS 256

/** The fraction of the bin a0 <= a <= a1 (azimuth, rad), b0 <= b <= b1
 *  covered by the union of the caps listed in @p idx. The bin is cut
 *  into MG_ROWS rows of equal solid angle between r0 and r1 (the part of
 *  [b0, b1] the caps can reach); on each row the covered azimuths are
 *  the union of the caps' arcs, exact on the sphere (haversine law), so
 *  overlapping caps count once. @p spans is scratch room for 3 arcs per
 *  listed cap. Exactly 1 for a bin inside a cap, 0 for one outside all
 *  of them. */
double mg_bin_fraction(mg_map_t map, double a0, double a1, double b0,
                       double b1, double r0, double r1, const mg_cap_t *caps,
                       const size_t *idx, size_t n_idx, double *spans);

#endif
