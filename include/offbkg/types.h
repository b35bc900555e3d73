/* SPDX-License-Identifier: BSD-3-Clause
 * Data that crosses the plugin ABI: observation tables, group definitions,
 * runs with their events, and model cubes. All in memory; plugins never
 * see files. Physical quantities are double, with the unit in the name. */
#ifndef OFFBKG_TYPES_H
#define OFFBKG_TYPES_H

#include <offbkg/api.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Observation table (select and group stages)                         */

/** Column value types after the host has normalised the FITS types:
 *  every integer type becomes int64, every float type double, strings
 *  are NUL-terminated with trailing blanks removed. */
typedef enum offbkg_col_type {
    OFFBKG_COL_INT = 1,
    OFFBKG_COL_DOUBLE = 2,
    OFFBKG_COL_STRING = 3
} offbkg_col_type_t;

/** One column of an observation table. Exactly one of the value arrays
 *  is non-NULL, according to @c type; each has one entry per row. A null
 *  or missing double is NaN. Everything is owned by the host and stays
 *  valid for the duration of the call it is passed to. */
typedef struct offbkg_column {
    const char *name;           /**< upper case, e.g. "ZEN_PNT" */
    offbkg_col_type_t type;
    const char *unit;           /**< FITS TUNIT, "" if none */
    const int64_t *i64;         /**< OFFBKG_COL_INT values */
    const double *f64;          /**< OFFBKG_COL_DOUBLE values */
    const char *const *str;     /**< OFFBKG_COL_STRING values */
} offbkg_column_t;

/** The observation table: one row per run. The host has already applied
 *  the fallbacks of the data store (ZEN_PNT from ALT_PNT, GLAT_PNT from
 *  RA/DEC, ONTIME/LIVETIME from the event headers, ...), so a plugin can
 *  rely on those column names when the host could derive them. */
typedef struct offbkg_obs_table {
    size_t n_rows;
    size_t n_cols;
    const offbkg_column_t *cols; /**< n_cols columns, owned by the host */
} offbkg_obs_table_t;

/** The column called @p name (case-insensitive), or NULL. */
OFFBKG_API
const offbkg_column_t *offbkg_obs_table_column(const offbkg_obs_table_t *t,
                                               const char *name);

/** Row @p row of a numeric column as a double; NaN for a string column
 *  or a NULL column. */
OFFBKG_API
double offbkg_column_get_double(const offbkg_column_t *c, size_t row);

/* ------------------------------------------------------------------ */
/* Group definitions (group stage)                                     */

typedef enum offbkg_group_axis_kind {
    OFFBKG_GROUP_AXIS_EDGES = 1,  /**< n_bins + 1 edges, bins min <= v < max */
    OFFBKG_GROUP_AXIS_VALUES = 2  /**< n_bins values, bins v == value */
} offbkg_group_axis_kind_t;

/** One axis of a grouping: an obs-index column and its bins. */
typedef struct offbkg_group_axis {
    const char *column;            /**< obs-index column, e.g. "ZEN_PNT" */
    offbkg_group_axis_kind_t kind;
    size_t n_bins;
    const double *bounds;          /**< edges (n_bins + 1) or values (n_bins) */
    const char *unit;              /**< "" if none */
} offbkg_group_axis_t;

/** The groups are the Cartesian product of the axes' bins, numbered from
 *  0 with the last axis varying fastest. */
typedef struct offbkg_group_def {
    size_t n_axes;
    const offbkg_group_axis_t *axes;
} offbkg_group_def_t;

/* ------------------------------------------------------------------ */
/* Runs (model stage)                                                  */

/** A circular sky region whose events are excluded. */
typedef struct offbkg_region {
    double ra_deg;
    double dec_deg;
    double radius_deg;
} offbkg_region_t;

/** One run as the model stage sees it: header values resolved through the
 *  data store's fallback chain, and its events as double arrays. All
 *  pointers are owned by the host and valid only during the call. */
typedef struct offbkg_run {
    uint32_t struct_size;       /**< sizeof(offbkg_run_t) of the host */
    int64_t obs_id;
    int32_t group_id;
    double ra_pnt_deg;          /**< pointing, ICRS */
    double dec_pnt_deg;
    double ontime_s;            /**< > 0 */
    double livetime_s;          /**< > 0 */
    double tstart_s;            /**< MET */
    double tstop_s;             /**< MET */
    double mjdref_tt_day;       /**< MJD (TT) of MET 0; NaN if unknown */
    double site_lon_deg;        /**< east-positive; NaN if unknown */
    double site_lat_deg;        /**< NaN if unknown */
    double site_height_m;       /**< NaN if unknown */
    size_t n_events;
    const double *energy_tev;   /**< reconstructed energy, > 0, finite */
    const double *ra_deg;
    const double *dec_deg;
    const double *time_s;       /**< MET */
    size_t n_regions;           /**< exclusion regions near this run */
    const offbkg_region_t *regions;
} offbkg_run_t;

/* ------------------------------------------------------------------ */
/* Model cubes (model and smooth stages)                               */

#define OFFBKG_CUBE_MAX_AXES 3

/** A binned axis. Axis 0 of a cube is always reconstructed energy. */
typedef struct offbkg_axis {
    char name[16];    /**< GADF column prefix: "ENERG", "THETA", "DETX", "DETY" */
    char unit[16];    /**< "TeV" or "deg" */
    size_t n_bins;
    double *edges;    /**< n_bins + 1, strictly increasing; owned by the cube */
} offbkg_axis_t;

/** A finished model. Cells are in C order with energy slowest:
 *  cell = (ie * n_1 + i_1) * n_2 + i_2 (a 2D cube has n_2 = 1 and no
 *  third axis). The writer reorders to the GADF layout; plugins need not. */
typedef struct offbkg_cube {
    uint32_t struct_size;           /**< sizeof(offbkg_cube_t) of the host */
    size_t n_axes;                  /**< 2 (ENERG, THETA) or 3 (ENERG, DETX, DETY) */
    offbkg_axis_t axes[OFFBKG_CUBE_MAX_AXES];
    size_t n_cells;
    double *counts;                 /**< events per cell */
    double *exposure_s;             /**< time x non-excluded fraction, s */
    double *solid_angle_sr;         /**< exact solid angle of each cell's spatial bin */
    double *rate;                   /**< s-1 MeV-1 sr-1, finite, >= 0 */
    double *rate_err;               /**< s-1 MeV-1 sr-1, finite, >= 0 */
    char fov_alignment[8];          /**< "RADEC", "ALTAZ"; "" for 2D */
    char time_base[12];             /**< "ONTIME" or "LIVETIME" */
    int fov_lon_sign;               /**< 3D: -1 = GADF, fov_lon = -lon_off
                                         (grows toward decreasing RA or
                                         azimuth); +1 = fov_lon = +lon_off
                                         (how gammapy 1.0-1.2 read RADEC);
                                         0 for 2D */
} offbkg_cube_t;

/** Allocate a zeroed cube with @p n_axes axes of @p n_bins[k] bins each
 *  (edges zeroed too). NULL on bad arguments or out of memory. */
OFFBKG_API
offbkg_cube_t *offbkg_cube_new(size_t n_axes, const size_t *n_bins);

/** A deep copy of @p cube, or NULL on out of memory. */
OFFBKG_API
offbkg_cube_t *offbkg_cube_copy(const offbkg_cube_t *cube);

/** Free a cube and everything it owns; NULL is a no-op. */
OFFBKG_API
void offbkg_cube_free(offbkg_cube_t *cube);

#ifdef __cplusplus
}
#endif
#endif
