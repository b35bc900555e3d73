/* SPDX-License-Identifier: BSD-3-Clause
 * Background model files: GADF bkg_2d / bkg_3d (doc/domain.md §5.1, §5.2) with
 * our COUNTS, EXPOSURE and BKG_ERR HDUs, and their names (§2.6). */
#ifndef OFFBKG_BKG_PRIVATE_H
#define OFFBKG_BKG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <offbkg/types.h>

#include "ctx-private.h"

/** One extra header card for the BACKGROUND HDU, written as a string
 *  keyword. The key is 1 to 8 characters of A-Z, 0-9, '-' and '_', and
 *  may not be one of the keywords the writer sets itself. */
typedef struct offbkg_bkg_card {
    const char *key;
    const char *value;
    const char *comment;        /**< NULL or "" for none */
} offbkg_bkg_card_t;

/** One extra numeric header card for the BACKGROUND HDU (the same rules
 *  for the key as offbkg_bkg_card_t). */
typedef struct offbkg_bkg_num_card {
    const char *key;
    double value;
    const char *comment;        /**< NULL or "" for none */
} offbkg_bkg_num_card_t;

/** One extra integer header card for the BACKGROUND HDU (the same rules
 *  for the key as offbkg_bkg_card_t). */
typedef struct offbkg_bkg_int_card {
    const char *key;
    int64_t value;
    const char *comment;        /**< NULL or "" for none */
} offbkg_bkg_int_card_t;

/** What made a per-observation model (doc/match.md): an HDU MATCH, one
 *  row per OFF run or group model, columns OBS_ID (K, -1 for a group),
 *  GROUP_ID (J), WEIGHT (D) and DISTANCE (D); weights and distances
 *  finite. */
typedef struct offbkg_bkg_match {
    size_t n;
    const int64_t *obs_id;
    const int32_t *group_id;
    const double *weight;
    const double *distance;
} offbkg_bkg_match_t;

/** Provenance written into the BACKGROUND header. Every field is
 *  optional; a zeroed struct (or a NULL pointer) writes only CREATOR and
 *  DATE. Nothing is kept after the call. */
typedef struct offbkg_bkg_meta {
    const char *creator;        /**< CREATOR; NULL: "offbkg <version>" */
    int group_id;               /**< GROUP_ID; < 0: not written */
    long n_runs;                /**< NRUNS, runs merged; < 0: not written */
    double total_time_s;        /**< TOTTIME, summed run time in the cube's
                                     time base, s; NaN or < 0: not written */
    const char *config_file;    /**< CONFIG, the INI file; NULL: none */
    const char *smoother;       /**< SMOOTHER, e.g. "gauss1d"; NULL: raw */
    size_t n_cards;             /**< extra string cards */
    const offbkg_bkg_card_t *cards;
    size_t n_history;           /**< HISTORY lines (e.g. resolved config) */
    const char *const *history;
    const char *datastore;      /**< DATASTOR, the data store; NULL: none */
    const char *config_hash;    /**< CONFHASH; NULL: none */
    size_t n_num_cards;         /**< extra numeric cards */
    const offbkg_bkg_num_card_t *num_cards;
    /** The runs merged into the model: an HDU OBS_IDS (one column
     *  OBS_ID) after BKG_ERR when not NULL. */
    const int64_t *obs_ids;
    size_t n_obs_ids;
    size_t n_int_cards;         /**< extra integer cards */
    const offbkg_bkg_int_card_t *int_cards;
    /** A per-observation model's match: an HDU MATCH last; NULL: none. */
    const offbkg_bkg_match_t *match;
    /** The caller checked that rate, rate_err, counts and exposure_s are
     *  finite and >= 0 (offbkg_match_cube): not checked again, as a
     *  pass over a cube's memory costs the match step as much as its
     *  arithmetic. */
    bool values_checked;
} offbkg_bkg_meta_t;

/** Write @p cube to @p path (normally ending .fits.gz, which cfitsio
 *  compresses), atomically: an empty primary HDU, then BACKGROUND (GADF
 *  BKG_2D or BKG_3D, layout A, unit s-1 MeV-1 sr-1), then COUNTS,
 *  EXPOSURE (s) and BKG_ERR (s-1 MeV-1 sr-1), each one row holding the
 *  axis columns and one cell in the same layout (with meta->match, a
 *  per-observation model: BKG_ERR only), then OBS_IDS when
 *  meta->obs_ids is set, then MATCH when meta->match is set. BACKGROUND
 *  has OFFBKGV (the version) and the provenance of @p meta; string values are written as
 *  offbkg_provenance_fits_text makes them (printable ASCII).
 *
 *  Refused with OFFBKG_EDATA before anything is created: n_axes other than
 *  2 or 3, axis names or units that are not ENERG/TeV, THETA/deg or
 *  DETX, DETY/deg (empty ones are taken as those), edges not finite and
 *  strictly increasing, energies <= 0, offsets < 0, any rate, rate_err,
 *  exposure or count that is not finite or is negative, a time base other
 *  than ONTIME or LIVETIME, and for 3D an alignment other than RADEC or
 *  ALTAZ or a longitude sign other than -1 or +1. When gammapy would call
 *  the axis order ambiguous (n_E equal to n_THETA, or to n_DETY in 3D),
 *  the file is written and a WARN is logged.
 *
 *  @param meta  provenance, or NULL
 *  @param overwrite  replace an existing @p path; if false, an existing
 *               file gives OFFBKG_EEXIST and is left untouched
 *  @return OFFBKG_OK, or an error with the message in @p ctx (no file
 *          and no temporary file left behind). */
int offbkg_bkg_write(offbkg_ctx_t *ctx, const offbkg_cube_t *cube,
                     const offbkg_bkg_meta_t *meta, const char *path,
                     bool overwrite);

/** Read a background model file into a new cube (*out, to be freed with
 *  offbkg_cube_free; untouched on failure).
 *
 *  The model HDU is the one named BACKGROUND, else the first table with a
 *  BKG (or BGD) column. Its axes come from ENERG_LO/HI and THETA_LO/HI
 *  (2D) or DETX_LO/HI and DETY_LO/HI (3D) in row 1; edges must be
 *  contiguous (axes given as nodes, LO == HI, are refused). Energies in
 *  TeV, GeV or MeV and angles in deg or rad are converted; the BKG unit
 *  may be any product of (TeV|GeV|MeV|keV)-1, s-1 and sr-1, and an empty
 *  or unparseable unit is taken as s-1 MeV-1 sr-1 with a WARN, as gammapy
 *  does. The cell layout follows gammapy's rule (doc/domain.md §5.2): layout
 *  A, TDIM (n_E, n_THETA) or (n_E, n_DETX, n_DETY), is used when TDIM
 *  says so; otherwise the reverse order, layout C (energy slowest, as the
 *  GADF examples and old gammapy files are), is tried; anything else
 *  (layout B with n_DETX != n_DETY, a missing TDIM on a multi-bin cell) is
 *  refused. A square layout B file is read as C, DETX and DETY swapped,
 *  exactly as gammapy reads it.
 *
 *  COUNTS, EXPOSURE and BKG_ERR are read when present (they are zero
 *  otherwise) and must have the same axes. FOVALIGN (default RADEC),
 *  BKGTIME (default ONTIME) and FOVLONSG (default -1, the GADF sign) come
 *  from the BACKGROUND header. solid_angle_sr is computed from the edges
 *  (annulus in 2D, lon/lat rectangle in 3D). Non-finite or negative values
 *  are refused with OFFBKG_EDATA. */
int offbkg_bkg_read(offbkg_ctx_t *ctx, const char *path,
                    offbkg_cube_t **out);

/** "background_2D_group_000_table.fits.gz", with the prefix "smooth_"
 *  when @p smooth, for @p dims 2 or 3 and @p group_id >= 0 (zero-padded
 *  to 3 digits). A new string to free(), or NULL on bad arguments or out
 *  of memory. */
char *offbkg_bkg_filename(int dims, int group_id, bool smooth);

/** "background_3D_obs_023523_table.fits.gz", observation @p obs_id's own
 *  model (OBS_ID zero-padded to 6 digits), with the prefix "smooth_"
 *  when @p smooth. NULL on dims other than 2 or 3, @p obs_id < 0, or
 *  out of memory. */
char *offbkg_bkg_obs_filename(int dims, int64_t obs_id, bool smooth);

#endif
