/* SPDX-License-Identifier: BSD-3-Clause
 * The model stage: every run of a grouping read once, filled into every
 * [model] of the run in parallel, merged per group in run order (so the
 * result is the same for any thread count), finished into cubes. */
#ifndef OFFBKG_MODEL_PRIVATE_H
#define OFFBKG_MODEL_PRIVATE_H

#include <stdbool.h>

#include "datastore-private.h"
#include "exclude-private.h"
#include "runconf-private.h"

/** What happened to one run. */
typedef struct offbkg_run_report {
    int64_t obs_id;
    int32_t group_id;
    size_t n_rows;          /**< rows in its EVENTS table */
    size_t n_events;        /**< events handed to the models */
    size_t n_nonfinite;     /**< dropped: NaN or inf */
    size_t n_bad_energy;    /**< dropped: ENERGY <= 0 */
    size_t n_regions;       /**< exclusion regions near it */
    double ontime_s;
    double livetime_s;
    char *skipped;          /**< why it was skipped; NULL if used */
} offbkg_run_report_t;

/** One [model] section's result: a cube per group (NULL: no model, and
 *  why in no_model[g]), and its smoothed copy when the section has a
 *  smoother (the smooth step fills smoothed[]; NULL until then). */
typedef struct offbkg_model_result {
    const offbkg_stage_conf_t *conf;
    offbkg_cube_t **cubes;
    char **no_model;
    offbkg_cube_t **smoothed;
} offbkg_model_result_t;

typedef struct offbkg_model {
    size_t n_groups;
    size_t n_runs;
    offbkg_run_report_t *runs;      /**< in grouping order */
    size_t *runs_used;              /**< per group */
    size_t n_models;
    offbkg_model_result_t *models;
    /** The groups' definition, for the model headers (not owned); NULL
     *  when not known (offbkg make reads only the group of each run). */
    const struct offbkg_grouping *grouping;
} offbkg_model_t;

/** Build the models of @p rc for the runs @p store_rows[i] in group
 *  @p group_id[i] (n runs, sorted by group then OBS_ID), with @p threads
 *  workers (>= 1). A run that cannot be used is skipped with its reason,
 *  or stops everything when @p strict. */
int offbkg_model_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store,
                     const offbkg_regions_t *regions, size_t n_groups,
                     const size_t *store_rows, const int64_t *group_id,
                     size_t n, size_t threads, bool strict,
                     offbkg_model_t *out);

void offbkg_model_clear(offbkg_model_t *m);

#endif
