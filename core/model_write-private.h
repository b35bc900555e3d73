/* SPDX-License-Identifier: BSD-3-Clause
 * Writing the model files: one GADF file per model and group, raw and
 * smoothed, named as old gammapy did (background_2D_group_000_table.fits.gz),
 * with a "<label>_" prefix when two [model] sections make the same kind. */
#ifndef OFFBKG_MODEL_WRITE_PRIVATE_H
#define OFFBKG_MODEL_WRITE_PRIVATE_H

#include "model-private.h"

/** The file name of model @p m's cube of group @p g (dims 2 or 3), in
 *  @p dir. A new string; NULL if out of memory. */
char *offbkg_model_write_path(const offbkg_runconf_t *rc, size_t m, int dims,
                              size_t g, bool smooth, const char *dir);

/** OFFBKG_EEXIST, before any work, if a model file of @p rc for one of
 *  @p n_groups groups exists in @p dir (either dimension) and
 *  !overwrite. */
int offbkg_model_write_check(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             size_t n_groups, const char *dir, bool overwrite);

/** Write every cube of @p make to @p dir, and its smoothed copy where the
 *  smooth step made one (core/smooth.c), a group at a time on up to @p threads threads; the
 *  paths written are appended to *paths (n_paths entries, each to free,
 *  and the array) in model, group order. (The old file of a group that
 *  has no model now is removed by the command's output set, so nothing
 *  links to it: core/outset.c.) */
int offbkg_model_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_model_t *make, const char *dir,
                       bool overwrite, size_t threads, char ***paths,
                       size_t *n_paths);

#endif
