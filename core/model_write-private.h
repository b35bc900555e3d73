/* SPDX-License-Identifier: BSD-3-Clause
 * Writing the model files: one GADF file per model and group, raw and
 * smoothed, named as old gammapy did (background_2D_group_000_table.fits.gz),
 * with a "<label>_" prefix when two [model] sections make the same kind. */
#ifndef OFFBKG_MODEL_WRITE_PRIVATE_H
#define OFFBKG_MODEL_WRITE_PRIVATE_H

#include "bkg-private.h"
#include "model-private.h"
#include "written-private.h"

/** The file name of model @p m's cube of group @p g (dims 2 or 3), in
 *  @p dir. A new string; NULL if out of memory. */
char *offbkg_model_write_path(const offbkg_runconf_t *rc, size_t m, int dims,
                              size_t g, bool smooth, const char *dir);

/** The file name of model @p m's own cube of observation @p obs_id
 *  (background_3D_obs_023523_table.fits.gz, a per-observation model of
 *  the match step), in @p dir. A new string; NULL if out of memory or
 *  @p obs_id < 0. */
char *offbkg_model_write_obs_path(const offbkg_runconf_t *rc, size_t m,
                                  int dims, int64_t obs_id, bool smooth,
                                  const char *dir);

/** OFFBKG_EEXIST, before any work, if a model file of @p rc for one of
 *  @p n_groups groups exists in @p dir (either dimension) and
 *  !overwrite. */
int offbkg_model_write_check(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             size_t n_groups, const char *dir, bool overwrite);

/** OFFBKG_EEXIST, before any work, if a per-observation model file of
 *  @p rc for an observation of @p targets exists in @p dir (either
 *  dimension) and !overwrite. */
int offbkg_model_write_check_obs(offbkg_ctx_t *ctx,
                                 const offbkg_runconf_t *rc,
                                 const offbkg_datastore_t *targets,
                                 const char *dir, bool overwrite);

/** The provenance every model file of [model] @p m has, set in @p meta
 *  (its other fields are left as they are): CREATOR (written into
 *  @p creator), CONFIG, CONFHASH (@p config_hash), DATASTOR and SMOOTHER
 *  (@p smoother; NULL: raw); and the SECTION card the index step reads,
 *  into @p section, for the caller's cards. */
void offbkg_model_write_meta(const offbkg_runconf_t *rc, size_t m,
                             const char *smoother, const char *config_hash,
                             char *creator, size_t creator_size,
                             offbkg_bkg_card_t *section,
                             offbkg_bkg_meta_t *meta);

/** Write every cube of @p make to @p dir, and its smoothed copy where the
 *  smooth step made one (core/smooth.c), a group at a time on up to @p threads threads; the
 *  paths written are appended to *paths (n_paths entries, each to free,
 *  and the array) in model, group order, and, when @p written is not
 *  NULL, appended to it with what made them, for the index step of the
 *  same command. (The old file of a group that has no model now is
 *  removed by the command's output set, so nothing links to it:
 *  core/outset.c.) */
int offbkg_model_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_model_t *make, const char *dir,
                       bool overwrite, size_t threads, char ***paths,
                       size_t *n_paths, offbkg_written_t *written);

#endif
