/* SPDX-License-Identifier: BSD-3-Clause
 * A run of the pipeline: the steps (select, group, index check, model,
 * match, smooth) in their order, computed in memory, then the outputs written in
 * rounds into the staging directory of the output set and moved in at
 * once, only when every step succeeded (doc/design.md §2.9). `offbkg run`,
 * the staged commands, `offbkg check` and the closure tests all go
 * through it. */
#ifndef OFFBKG_PIPELINE_PRIVATE_H
#define OFFBKG_PIPELINE_PRIVATE_H

#include "diag-private.h"
#include "index-private.h"
#include "match-private.h"
#include "model-private.h"
#include "preflight-private.h"
#include "validate-private.h"

/** The steps, in the order they compute. */
typedef enum offbkg_step_id {
    OFFBKG_STEP_NONE = -1,
    OFFBKG_STEP_SELECT,     /**< [select]: the runs kept; run.lis */
    OFFBKG_STEP_FILL,       /**< [store]: the selected runs' entries
                                 (offbkg fill) */
    OFFBKG_STEP_GROUP,      /**< [group]: obs.fits, group-def.fits */
    OFFBKG_STEP_INDEX,      /**< [index]: checked before any event is
                                 read, written once the models are */
    OFFBKG_STEP_MODEL,      /**< [model]: the cubes, read from events */
    OFFBKG_STEP_MATCH,      /**< [match]: each target's OFF runs or
                                 groups (per-target models only) */
    OFFBKG_STEP_SMOOTH,     /**< [smooth]: a smoothed copy of each cube */
    OFFBKG_STEP_VALIDATE,   /**< offbkg validate: validation.fits */
    OFFBKG_STEP_REPORT,     /**< report.json */
    OFFBKG_STEP_PLOT,       /**< [plot]: the figures, index.html */
    OFFBKG_STEP_COUNT
} offbkg_step_id_t;

/** The step's name, as the INI and the messages say it. */
const char *offbkg_pipeline_step_name(offbkg_step_id_t id);

typedef struct offbkg_pipeline_opts {
    long threads;       /**< workers; -1: [run] threads; 0: one per core */
    bool strict;        /**< a skipped run stops the run */
    unsigned shard;     /**< fill: only the runs with OBS_ID mod n_shards
                             == shard - 1 (1 <= shard <= n_shards) */
    unsigned n_shards;  /**< 0: every run */
} offbkg_pipeline_opts_t;

typedef struct offbkg_pipeline offbkg_pipeline_t;

/** Start a run of @p plan for @p rc (borrowed, kept alive by the caller)
 *  with every check that needs no event (offbkg_preflight): each
 *  problem goes to @p diags. OFFBKG_OK with *out set; OFFBKG_ECONFIG
 *  (see @p diags) or OFFBKG_ENOMEM with *out NULL. */
int offbkg_pipeline_new(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_plan_t *plan,
                        const offbkg_pipeline_opts_t *opts,
                        offbkg_diags_t *diags, offbkg_pipeline_t **out);

void offbkg_pipeline_free(offbkg_pipeline_t *pl);

/** What `offbkg check` adds to the preflight: the steps of the plan that
 *  read no event (a selection of none, a grouping of none and an
 *  observation to index that no model will cover all fail). Nothing is
 *  written. */
int offbkg_pipeline_check(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);

/** The whole run: every step of the plan, then its outputs, written only
 *  when all steps succeeded, and moved into [output] dir at once. On
 *  failure nothing new is in the output directory and
 *  offbkg_pipeline_failed_step says which step failed. A cancelled
 *  context stops before the next step or round of files. The progress
 *  receiver of @p ctx hears the model step's. */
int offbkg_pipeline_run(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);

/** The step whose computing or (*writing true) writing failed;
 *  OFFBKG_STEP_NONE if none did (or the failure was outside any step: an
 *  output that exists, the lock, the commit). @p writing may be NULL. */
offbkg_step_id_t offbkg_pipeline_failed_step(const offbkg_pipeline_t *pl,
                                             bool *writing);

/** What a run made, for its caller to report; a part is NULL (0) when
 *  its step was not in the plan. Valid until offbkg_pipeline_free. */
typedef struct offbkg_pipeline_result {
    const char *command;                /**< "run", "select", ... */
    const offbkg_datastore_t *store;
    const offbkg_regions_t *regions;    /**< [exclude] */
    const offbkg_selection_t *selection;
    const offbkg_grouping_t *grouping;
    size_t n_to_group;                  /**< runs handed to [group] */
    const offbkg_model_t *models;       /**< with the smoothed cubes */
    const offbkg_model_t *filled;        /**< offbkg fill: its runs */
    /** [match]: each target's match (shared_groups: none, the group
     *  models serve every observation). */
    const offbkg_match_t *match;
    const offbkg_validation_t *validation; /**< offbkg validate */
    const char *const *model_files;     /**< in model, group order */
    size_t n_model_files;
    const offbkg_index_result_t *index;
    const char *run_list, *obs, *group_def, *report; /**< paths */
    const char *validation_file;
    const char *index_html;             /**< [plot]: the page, or NULL */
    size_t n_figures;                   /**< the figures on it */
} offbkg_pipeline_result_t;

const offbkg_pipeline_result_t *
offbkg_pipeline_result(const offbkg_pipeline_t *pl);

#endif
