/* SPDX-License-Identifier: BSD-3-Clause
 * The match step: for each target observation, the OFF runs or the group
 * models that make its own background model, and with which weights
 * (doc/match.md). The step decides the matches; the cubes of a target
 * are made from the runs' contributions one target at a time, when its
 * files are written, so memory does not grow with the targets. */
#ifndef OFFBKG_MATCH_PRIVATE_H
#define OFFBKG_MATCH_PRIVATE_H

#include <stdbool.h>

#include "datastore-private.h"
#include "model-private.h"

/** One target observation and what it was matched with. */
typedef struct offbkg_match_target {
    int64_t obs_id;
    size_t row;                     /**< its row in the target store */
    char *skipped;                  /**< why it has no model; NULL: matched */
    offbkg_match_kind_t kind;
    offbkg_match_combine_t combine; /**< OFFBKG_MATCH_GROUPS */
    size_t n;                       /**< runs or groups matched */
    size_t *off;                    /**< runs: index into the model step's
                                         runs (offbkg_model_t.runs) */
    int64_t *off_obs_id;            /**< runs: their OBS_ID; groups: -1 */
    int32_t *group_id;              /**< the group of each run, or the
                                         group ids */
    double *weight;                 /**< groups: normalised to sum 1 */
    double *distance;               /**< 0 where the plugin gave none */
    bool has_distance;
    double off_livetime_s;          /**< the matched runs' livetime (groups:
                                         their runs', weighted) */
    double zen_pnt_deg;             /**< the target's conditions, NaN if */
    double az_pnt_deg;              /**< its store does not say */
    double livetime_s;
    /** make->runs marked 1 are left out of its groups too (the runs of
     *  a validation fold, not owned); NULL: its own run only. */
    const uint8_t *without;
} offbkg_match_target_t;

typedef struct offbkg_match {
    /** match/group (and no [match]): the group models are the models of
     *  every observation, as before the match step; targets is empty. */
    bool shared_groups;
    char plugin[96];                /**< "nearest 1.0.0", for the files */
    const offbkg_datastore_t *target_store; /**< not owned */
    size_t n_targets;
    offbkg_match_target_t *targets; /**< in target store row order (or
                                         the order of the rows asked) */
    size_t n_matched;
    size_t n_skipped;
} offbkg_match_t;

/** Match every observation of @p target_store with the runs @p make
 *  modelled (the model step must have kept the runs' contributions:
 *  offbkg_model_opts_t.keep_runs), with the [match] plugin of @p rc. A
 *  target the plugin cannot match is skipped with its reason, or stops
 *  everything with @p strict. */
int offbkg_match_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *target_store,
                     const offbkg_model_t *make, bool strict,
                     offbkg_match_t *out);

/** offbkg_match_run with the match section @p sc (one of rc's) and only
 *  the targets @p rows of @p target_store (n_rows of them, out->targets
 *  in their order; NULL: every row, n_rows the store's), from the OFF
 *  sample without the runs @p without marks (per make->runs; NULL: none;
 *  the targets' cubes then leave them out of the groups too). */
int offbkg_match_section(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                         const offbkg_stage_conf_t *sc,
                         const offbkg_datastore_t *target_store,
                         const size_t *rows, size_t n_rows,
                         const offbkg_model_t *make, const uint8_t *without,
                         bool strict, offbkg_match_t *out);

/** The cube of [model] @p m for matched target @p t: the runs' pooled
 *  contributions (model finish_sums), or the groups' models without the
 *  target's own run, combined. Safe to call concurrently for different
 *  targets. OFFBKG_EDATA (the target is then skipped by the caller) when
 *  there is no exposure. */
int offbkg_match_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_model_t *make,
                      const offbkg_match_target_t *t, size_t m,
                      offbkg_cube_t **cube);

/** The cube of [model] @p m (its finish_sums) of the weighted sums
 *  @p counts, @p counts_w2 (their variance; NULL: @p counts, weights 1)
 *  and @p exposure_s, in the layout of the model's contributions. Safe
 *  to call concurrently. */
int offbkg_match_finish_sums(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             const offbkg_model_t *make, size_t m,
                             const double *counts, const double *counts_w2,
                             const double *exposure_s, offbkg_cube_t **cube);

/** The cube of [model] @p m of the kept run make->runs[@p run] alone (its
 *  own counts and exposure in every cell). OFFBKG_EDATA when it has no
 *  exposure. Safe to call concurrently. */
int offbkg_match_run_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                          const offbkg_model_t *make, size_t run, size_t m,
                          offbkg_cube_t **cube);

void offbkg_match_clear(offbkg_match_t *m);

#endif
