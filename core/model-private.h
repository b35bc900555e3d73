/* SPDX-License-Identifier: BSD-3-Clause
 * The model stage: every run of a grouping read once, filled into every
 * [model] of the run in parallel, merged per group in run order (so the
 * result is the same for any thread count), finished into cubes. */
#ifndef OFFBKG_MODEL_PRIVATE_H
#define OFFBKG_MODEL_PRIVATE_H

#include <stdbool.h>

#include "datastore-private.h"
#include "exclude-private.h"
#include "instance-private.h"
#include "model_keep-private.h"
#include "runconf-private.h"
#include "target-private.h"
#include "stats-private.h"

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
    bool from_store;        /**< its contributions came from [store] */
    bool filled;            /**< read from events and put in [store] */
    int store_status;       /**< OFFBKG_OK (taken from [store]) or why
                                 not: OFFBKG_STORE_MISSING, _STALE,
                                 _DAMAGED, or an error (< 0) */
    char *store_why;        /**< its words; NULL if taken or no [store] */
    char *store_error;      /**< why its entry could not be written */
    offbkg_target_t target; /**< its own target, and where from */
    double ra_pnt_deg, dec_pnt_deg; /**< its pointing */
    bool target_open;       /**< its target is in the field of view and
                                 no region covers it */
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

/** A run left out as an outlier ([exclude] outliers, core/outliers.c). */
typedef struct offbkg_outlier_run {
    int64_t obs_id;
    int32_t group_id;
    size_t round;           /**< 1: found in the first comparison */
    double n_obs, n_pred;   /**< N and M (doc/validate.md §3) then */
    double ratio, ratio_err;/**< N / M and its Poisson + prediction error */
    double pull;            /**< (ratio - mean) in total errors */
    double mean, sigma_sys; /**< what it was judged against */
} offbkg_outlier_run_t;

/** What outlier rejection did (all 0 when it was not asked for). */
typedef struct offbkg_outliers {
    bool on;                /**< [exclude] outliers = true */
    const char *model;      /**< the [model] section that judged */
    double sigma;           /**< [exclude] outlier_sigma */
    size_t rounds;          /**< comparisons made (the last removed none) */
    size_t n_judged;        /**< runs judged in the last round */
    size_t n_unjudged;      /**< runs not judged in it (their group too
                                 small, or nothing predicted) */
    offbkg_stats_sys_t sys; /**< the last round's run-wise systematic */
    size_t n;
    offbkg_outlier_run_t *runs; /**< in the order they were removed */
} offbkg_outliers_t;

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
    size_t n_from_store;            /**< runs taken from [store] */
    size_t n_filled;                /**< runs read and put in [store] */
    /** The data store the runs are rows of (not owned). */
    const offbkg_datastore_t *store;
    /* opts.keep_runs only (else NULL, 0): */
    /** Each used run's contribution of each model, compact, at
     *  kept[run * n_models + m]; empty (n_cells 0, no memory) for a run
     *  not used. */
    offbkg_model_keep_t *kept;
    size_t kept_bytes;              /**< the memory they hold */
    size_t *n_counts;               /**< per model: its cells */
    size_t *n_exposure;             /**< per model: its exposure bins */
    /** Per model and group, group_sums[m * n_groups + g]: the group's
     *  merged contribution, n_counts[m] counts then n_exposure[m]
     *  exposures (s); NULL for a group without runs. */
    double **group_sums;
    /** Per model: its instance, kept for finish_sums (which may run
     *  concurrently). */
    offbkg_instance_t **instances;
    /* Set by offbkg_target_check (not for offbkg fill): */
    double fov_deg;                 /**< the models' field of view */
    size_t n_target_open;           /**< runs with target_open */
    size_t n_target_unknown;        /**< runs without a target */
    size_t n_target_unread;         /**< runs from the store whose target
                                         is not known here */
    /** The runs left out as outliers (they are skipped in runs[], and in
     *  no sum, cube or kept run). */
    offbkg_outliers_t outliers;
} offbkg_model_t;

struct offbkg_store;

/** How the model step runs. */
typedef struct offbkg_model_opts {
    size_t threads;                 /**< workers, >= 1 */
    bool strict;                    /**< a skipped run stops everything */
    /** The contribution store (doc/store.md), NULL: none. A run whose
     *  entries are valid for every model is taken from it, without its
     *  events; the others are read and their entries written. */
    const struct offbkg_store *store;
    bool from_store;                /**< read no event: a run the store
                                         lacks is an error naming it */
    bool fill_only;                 /**< offbkg fill: the store's entries
                                         only, no group, no cube */
    /** Keep every used run's contribution of every model in memory
     *  (offbkg_model_t.kept), for per-target models ([match]). */
    bool keep_runs;
} offbkg_model_opts_t;

/** Build the models of @p rc for the runs @p store_rows[i] in group
 *  @p group_id[i] (n runs, sorted by group then OBS_ID), as @p opts say.
 *  A run that cannot be used is skipped with its reason, or stops
 *  everything when opts->strict. */
int offbkg_model_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store,
                     const offbkg_regions_t *regions, size_t n_groups,
                     const size_t *store_rows, const int64_t *group_id,
                    size_t n, const offbkg_model_opts_t *opts,
                     offbkg_model_t *out);

void offbkg_model_clear(offbkg_model_t *m);

#endif
