/* SPDX-License-Identifier: BSD-3-Clause
 * Writing the per-observation models of the match step: for each matched
 * target and [model], its cube made from the runs' contributions, its
 * smoothed copy when the section has a smoother, both written
 * (background_3D_obs_023523_table.fits.gz, doc/match.md), and freed before
 * the next target, so memory does not grow with the targets. */
#ifndef OFFBKG_MATCH_WRITE_PRIVATE_H
#define OFFBKG_MATCH_WRITE_PRIVATE_H

#include "match-private.h"
#include "written-private.h"

/** How a target's cube is made: offbkg_match_cube (the unit tests pass
 *  their own). */
typedef int (*offbkg_match_write_cube_fn)(offbkg_ctx_t *ctx,
                                          const offbkg_runconf_t *rc,
                                          const offbkg_model_t *make,
                                          const offbkg_match_target_t *t,
                                          size_t m, offbkg_cube_t **cube);

/** Write the files of every matched target of @p match (not
 *  shared_groups) to @p dir, targets taken in order on up to @p threads
 *  threads, each thread with its own smoother instances. Every cube of
 *  a target is made before any of its files is written: a target one of
 *  whose cubes fails with OFFBKG_EDATA gets no file and is marked
 *  skipped in @p match with the reason (a warning), or, with @p strict,
 *  fails the call. Any other failure fails the call; the first, in
 *  target order, is the error. *n_files: the files written; appended to
 *  @p written (when not NULL) with what made them, for the index step
 *  of the same command. */
int offbkg_match_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_model_t *make, offbkg_match_t *match,
                       offbkg_match_write_cube_fn cube_of, const char *dir,
                       bool overwrite, bool strict, size_t threads,
                       size_t *n_files, offbkg_written_t *written);

#endif
