/* SPDX-License-Identifier: BSD-3-Clause
 * Simulated OFF runs from a known analytic background rate (doc/domain.md §8):
 * the truth model, its bin integrals, and a GADF data store whose events
 * are drawn exactly from it. Tests use the same functions as the truth.
 *
 * The truth rate, in s-1 MeV-1 sr-1, at energy E (TeV), field-of-view
 * position (fov_lon, fov_lat) (degrees, offset frame of the pointing,
 * fov_lon = -lon_off, i.e. growing toward decreasing RA as in GADF; with
 * altaz, of the alt/az offset frame at the event's time, growing toward
 * decreasing azimuth) and
 * pointing zenith angle zen:
 *
 *   R = A(fov_lon, fov_lat) * (E/1 TeV)^-gamma
 *       * (r0 * Z(zen) * exp(-theta^2 / (2 sigma(E)^2)) + floor_norm)
 *   sigma(E) = sigma0_deg * (E/1 TeV)^sigma_index
 *   A = (1 + asym_lon * fov_lon / asym_scale_deg)
 *       * (1 + asym_lat * fov_lat / asym_scale_deg)   (clipped at 0)
 *   Z = 1/cos(zen) with zenith_scaling, else 1; R = 0 for zen >= 90
 *
 * theta is the great-circle offset from the pointing. Events are drawn
 * only in the simulated domain e_min_tev <= E <= e_max_tev and
 * theta <= theta_max_deg.
 *
 * A run may carry a rate factor F = C * S on all of R (shape unchanged):
 * C = (v / rate_col_ref)^rate_col_index for the value v of the column
 * rate_column, drawn per run uniformly in [rate_col_min, rate_col_max],
 * and S lognormal with mean 1 and relative sigma run_scatter. F = 1 by
 * default. The run's expected counts are F times those of R. */
#ifndef OFFBKG_SIM_PRIVATE_H
#define OFFBKG_SIM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx-private.h"
#include "rng-private.h"

/** Where an injected Gaussian "source" blob sits. */
typedef enum offbkg_sim_source_mode {
    OFFBKG_SIM_SOURCE_NONE = 0,
    OFFBKG_SIM_SOURCE_OFFSET = 1, /**< src_offset_deg from each pointing */
    OFFBKG_SIM_SOURCE_RADEC = 2   /**< fixed sky position; only runs whose
                                       cap (theta_max_deg) contains it */
} offbkg_sim_source_mode_t;

/** Everything that defines a simulated store. Fill with
 *  offbkg_sim_params_default, then change fields. */
typedef struct offbkg_sim_params {
    /* Runs */
    uint64_t seed;              /**< default 42 */
    int n_runs;                 /**< regular runs; default 10 */
    int64_t first_obs_id;       /**< OBS_ID of the first run; default 1 */
    double zen_min_deg;         /**< zenith range, stratified; 10 */
    double zen_max_deg;         /**< 60 */
    double ontime_min_s;        /**< ONTIME range (whole seconds); 1200 */
    double ontime_max_s;        /**< 1800 */
    double deadc_min;           /**< DEADC = LIVETIME/ONTIME range; 0.85 */
    double deadc_max;           /**< 0.97 */
    double min_abs_glat_deg;    /**< pointings keep |b| above this; 10 */
    double mjd_first_utc;       /**< day of the first run; 52061
                                     (2001-06-01: near J2000, where the
                                     alt/az of astro.h is closest to
                                     astropy's) */
    double site_lon_deg;        /**< east longitude; H.E.S.S. 16.5002222 */
    double site_lat_deg;        /**< -23.2717778 */
    double site_alt_m;          /**< 1835 */

    /* Truth (see the file comment) */
    double r0;                  /**< s-1 MeV-1 sr-1 at 1 TeV, centre,
                                     zenith 0; 1e-4 */
    double gamma;               /**< spectral index; 2.7 */
    double sigma0_deg;          /**< width at 1 TeV; 1.5 */
    double sigma_index;         /**< sigma ~ E^sigma_index; 0.1 */
    double floor_norm;          /**< flat floor at 1 TeV, s-1 MeV-1 sr-1;
                                     1e-7 */
    double asym_lon;            /**< gradient per asym_scale_deg; 0 */
    double asym_lat;            /**< 0 */
    double asym_scale_deg;      /**< 2.5 */
    bool zenith_scaling;        /**< r0 term * 1/cos(zen); false */
    bool livetime_base;         /**< rate per LIVETIME (old gammapy);
                                     default false: per ONTIME (GADF) */
    bool altaz;                 /**< (fov_lon, fov_lat) in the ALTAZ frame
                                     at each event's time (the truth
                                     follows the camera); default false:
                                     RADEC */

    /* Simulated domain */
    double e_min_tev;           /**< 0.05 */
    double e_max_tev;           /**< 200 */
    double theta_max_deg;       /**< 6 */

    /* Bookkeeping regions counted in truth.txt */
    double book_e_lo_tev;       /**< 0.1 */
    double book_e_hi_tev;       /**< 100 (closed: E <= 100 counts) */
    double book_theta_deg;      /**< 2D: theta < 2.5 */
    double book_box_deg;        /**< 3D: |fov_lon|, |fov_lat| < 4 */

    /* Contamination and store options */
    int nan_rows;               /**< per run: rows with NaN RA, ENERGY or
                                     DEC, plus one with ENERGY = 0 */
    offbkg_sim_source_mode_t source_mode;
    int src_n;                  /**< source events per run (exactly) */
    double src_sigma_deg;       /**< Gaussian width; 0.1 */
    double src_offset_deg;      /**< OFFSET mode: distance; 0.5 */
    double src_ra_deg;          /**< RADEC mode position */
    double src_dec_deg;
    double src_gamma;           /**< source spectral index; 2.0 */
    const int64_t *src_obs_ids; /**< the runs that carry the source (not
                                     owned; each one of the plan's
                                     OBS_IDs); NULL (default): every run */
    size_t n_src_obs_ids;       /**< items of src_obs_ids; 0 */
    bool edge_zeniths;          /**< add runs at exactly 49.0 and 90.0 */
    bool mixed_compression;     /**< every second run as plain .fits */
    bool plain_files;           /**< every run as plain .fits */
    bool missing_file;          /**< add an indexed run with no file */

    /* Per-run rate factors (see the file comment) */
    char rate_column[9];        /**< obs-index column and EVENTS key,
                                     [A-Z0-9_]; "" (default): none */
    double rate_col_min;        /**< its values, uniform; 0.5 */
    double rate_col_max;        /**< 1.5 */
    double rate_col_ref;        /**< value where C = 1; 1 */
    double rate_col_index;      /**< C = (v / ref)^index; 1 */
    double run_scatter;         /**< relative sigma of S; 0 (S = 1) */
} offbkg_sim_params_t;

/** One run of the plan: its pointing, times and expected counts. */
typedef struct offbkg_sim_run {
    int64_t obs_id;
    size_t index;               /**< position in the plan (RNG streams) */
    double zen_deg;             /**< nominal; true at mid-run */
    double alt_deg;             /**< 90 - zen_deg */
    double az_deg;              /**< at mid-run */
    double ra_pnt_deg, dec_pnt_deg;
    double glon_pnt_deg, glat_pnt_deg;
    double mjd_mid_utc;
    double tstart_s, tstop_s;   /**< MET (TT) since MJDREFI + MJDREFF */
    double ontime_s, livetime_s, deadc;
    double time_s;              /**< the rate's time base for this run */
    double col_value;           /**< rate_column's value; NaN if none */
    double col_factor;          /**< C; 1 without rate_column */
    double scatter_factor;      /**< S; 1 without run_scatter */
    double rate_factor;         /**< F = C * S, on the whole rate */
    double mu;                  /**< expected background events: F *
                                     time_s * integral of R over the
                                     domain */
    bool missing;               /**< indexed, but no file is written */
    char file_name[32];         /**< under data/ */
} offbkg_sim_run_t;

/** One event row. */
typedef struct offbkg_sim_event {
    double time_s, ra_deg, dec_deg, energy_tev;
    int kind;                   /**< 0 background, 1 bad row, 2 source */
    size_t seq;                 /**< draw order (tie-break of the sort) */
} offbkg_sim_event_t;

/** The events of one run, sorted by time, with their bookkeeping. */
typedef struct offbkg_sim_events {
    size_t n;                   /**< rows */
    offbkg_sim_event_t *ev;     /**< owned; n rows */
    size_t n_background;        /**< drawn from the truth (Poisson) */
    size_t n_bad;               /**< NaN or ENERGY <= 0 rows */
    size_t n_src;               /**< source rows */
    size_t n_in_2d;             /**< background with book E range and
                                     offset < book_theta_deg, recomputed
                                     from the written RA/DEC */
    size_t n_in_3d;             /**< background with book E range and
                                     |fov_lon|, |fov_lat| < book_box_deg
                                     (in the simulated frame) */
    size_t n_src_in_2d;         /**< source rows in the 2D region */
    double src_ra_deg;          /**< the blob's centre; NaN if none */
    double src_dec_deg;
} offbkg_sim_events_t;

/** Totals of a written store. */
typedef struct offbkg_sim_summary {
    size_t n_runs;              /**< rows of the obs-index */
    size_t n_files;             /**< event files written */
    size_t n_events;            /**< event rows written, all kinds */
    size_t n_background;
    double mu;                  /**< expected background events of the
                                     runs written */
} offbkg_sim_summary_t;

/** The defaults listed with each field. */
void offbkg_sim_params_default(offbkg_sim_params_t *p);

/** OFFBKG_EINVAL with a message naming the field if @p p is unusable
 *  (ranges empty or reversed, non-finite values, an asymmetry that would
 *  make the rate negative on the cap, ...). */
int offbkg_sim_params_check(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p);

/** The truth rate R (s-1 MeV-1 sr-1) at @p e_tev, FoV position (GADF
 *  sign) and pointing zenith. 0 for zen >= 90; NaN for NaN inputs. */
double offbkg_sim_rate(const offbkg_sim_params_t *p, double e_tev,
                       double fov_lon_deg, double fov_lat_deg,
                       double zen_deg);

/** Z(zen): 1/cos(zen) with zenith_scaling, else 1; 0 for zen >= 90. The
 *  rate is time * (Z * its r0 part + its floor part) where Z > 0, and 0
 *  where Z = 0, so an integral for many runs is two integrals scaled per
 *  run. */
double offbkg_sim_zenith_factor(const offbkg_sim_params_t *p, double zen_deg);

/** Expected counts in an (energy, offset) bin: time_s * the integral of
 *  R dE dOmega (E in MeV, Omega in sr) over [e_lo, e_hi] x the annulus
 *  [theta_lo, theta_hi], intersected with the simulated domain, i.e. the
 *  mean number of simulated background events in the bin for a run of
 *  time base @p time_s (for a run with a rate factor F, truth.txt's
 *  rate_factor, pass F * its time base). Gauss-Legendre in ln E and
 *  theta (and azimuth if there is an asymmetry); relative accuracy
 *  better than 1e-8. */
double offbkg_sim_expected_2d(const offbkg_sim_params_t *p, double zen_deg,
                              double time_s, double e_lo_tev,
                              double e_hi_tev, double theta_lo_deg,
                              double theta_hi_deg);

/** Expected counts in an (energy, fov_lon, fov_lat) bin, the lon/lat
 *  rectangle taken in the spherical offset frame (GADF lon sign) with
 *  dOmega = cos(lat) dlon dlat, intersected with the simulated domain
 *  (including the cap theta <= theta_max_deg). Same accuracy; F * time
 *  base for a run with a rate factor F, as for the 2D one. */
double offbkg_sim_expected_3d(const offbkg_sim_params_t *p, double zen_deg,
                              double time_s, double e_lo_tev,
                              double e_hi_tev, double lon_lo_deg,
                              double lon_hi_deg, double lat_lo_deg,
                              double lat_hi_deg);

/** The same integrals with panels @p refine times narrower (refine >= 1),
 *  for convergence tests. */
double offbkg_sim_expected_2d_refined(const offbkg_sim_params_t *p,
                                      double zen_deg, double time_s,
                                      double e_lo_tev, double e_hi_tev,
                                      double theta_lo_deg,
                                      double theta_hi_deg, int refine);
double offbkg_sim_expected_3d_refined(const offbkg_sim_params_t *p,
                                      double zen_deg, double time_s,
                                      double e_lo_tev, double e_hi_tev,
                                      double lon_lo_deg, double lon_hi_deg,
                                      double lat_lo_deg, double lat_hi_deg,
                                      int refine);

/** The r0 that gives @p mean_events expected background events per run
 *  at zenith 0 with the mid-range ONTIME (times the mid-range DEADC for a
 *  livetime base), the floor kept. NaN if the floor alone exceeds it. */
double offbkg_sim_r0_for_events(const offbkg_sim_params_t *p,
                                double mean_events);

/** Plan the runs: pointings (at their zenith at mid-run for the site,
 *  off the Galactic plane), times, rate factors, expected counts.
 *  Regular runs first, then the edge-zenith runs, then the missing-file
 *  run. *out is malloc'ed (caller frees) on success. */
int offbkg_sim_plan(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                    offbkg_sim_run_t **out, size_t *n_out);

/** Draw the events of one planned run (background, bad rows, source),
 *  sorted by time; reproducible from (seed, run->index) alone. A run at
 *  zenith >= 90 (below the horizon) or a missing-file run has none. @p out is
 *  overwritten; free it with offbkg_sim_events_clear. */
int offbkg_sim_draw_run(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                        const offbkg_sim_run_t *run,
                        offbkg_sim_events_t *out);

void offbkg_sim_events_clear(offbkg_sim_events_t *ev);

/** Write the store in @p dir: obs-index.fits.gz, hdu-index.fits.gz,
 *  data/run_NNNNNN.fits[.gz] and truth.txt, every file atomically, the
 *  index tables last. Refuses, with nothing written, a non-empty existing
 *  @p dir unless @p overwrite (OFFBKG_EEXIST), a @p dir that is not a
 *  directory and unusable parameters (OFFBKG_EINVAL). @p summary may be
 *  NULL. */
int offbkg_sim_write(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                     const char *dir, bool overwrite,
                     offbkg_sim_summary_t *summary);

/** Seed from (seed, stream): distinct streams are independent. */
void offbkg_sim_rng_seed(offbkg_rng_t *rng, uint64_t seed,
                         uint64_t stream);
/** Exact Poisson variate of mean @p mu >= 0 (inversion below 10, Hormann's
 *  transformed rejection PTRS above). */
uint64_t offbkg_sim_poisson(offbkg_rng_t *rng, double mu);
/** Standard normal variate (Box-Muller, one of the pair). */
double offbkg_sim_normal(offbkg_rng_t *rng);

#endif
