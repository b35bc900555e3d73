/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg validate (doc/validate.md): every validated OFF run's counts
 * predicted, cell by cell, by a model made without that run, for each
 * strategy (a [match] section with a [model], raw or smoothed), and
 * compared with what the run observed, in the cells outside exclusion
 * regions only. The statistics are core/stats.c's. */
#ifndef OFFBKG_VALIDATE_PRIVATE_H
#define OFFBKG_VALIDATE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model-private.h"
#include "runconf-private.h"
#include "stats-private.h"

/** One run under one strategy. Sums are over the cells used: the run has
 *  exposure there (outside exclusion regions) and the prediction is > 0. */
typedef struct offbkg_validate_run {
    int64_t obs_id;
    char *skipped;              /**< why there is no prediction (not
                                     matched, no exposure left); NULL:
                                     predicted */
    double n_obs;               /**< N: counts observed */
    double n_pred;              /**< M: counts predicted */
    double var_pred;            /**< V: the prediction's statistical
                                     variance (doc/validate.md §3) */
    size_t n_cells;             /**< cells used */
    size_t n_cells_unpredicted; /**< cells with exposure and counts whose
                                     prediction is 0: their counts are in
                                     n_obs, the cells not in n_cells (nor
                                     the deviance) */
    double ratio;               /**< N / M */
    double ratio_err;           /**< sqrt of offbkg_stats_ratio_var at the
                                     pooled ratio: Poisson + prediction */
    double pull;                /**< offbkg_stats_ratio_pull against the
                                     strategy's mean and sigma_sys */
    bool outlier;               /**< |pull| > [validate] outlier_sigma */
    double deviance;            /**< over the cells used */
    double p_value;             /**< its chi-square p-value */
    size_t n_matched;           /**< runs or groups its model was made of */
    double off_livetime_s;      /**< their livetime */
} offbkg_validate_run_t;

/** Observed and predicted counts summed in bins of one quantity: an axis
 *  of the cubes (ENERG; THETA for 2D; DETX, DETY for 3D) or an obs-index
 *  column named in [validate] columns (each run in the bin of its value). */
typedef struct offbkg_validate_profile {
    char name[72];              /**< "ENERG", "THETA", or the column */
    char unit[16];              /**< "TeV", "deg", or the column's TUNIT */
    bool per_run;               /**< a column: runs binned, not cells */
    size_t n_bins;
    double *lo, *hi;            /**< n_bins bin edges */
    double *n_obs, *n_pred;     /**< n_bins sums over runs and cells */
    double *var_pred;           /**< n_bins: variance of n_pred */
    double *ratio, *ratio_err;  /**< n_obs / n_pred and its error (Poisson
                                     + prediction, at the ratio); 0 when
                                     n_pred is 0 */
    size_t *n_runs;             /**< n_bins: runs that put cells in */
} offbkg_validate_profile_t;

/** A strategy's validation. */
typedef struct offbkg_validate_strategy {
    char name[160];             /**< "MATCH/MODEL" or "MATCH/MODEL/smooth",
                                     MATCH the [match] label ("match" for
                                     [match], "group" with none), MODEL the
                                     [model] label ("model" for [model]) */
    const offbkg_stage_conf_t *match; /**< its [match] section; NULL: none
                                           (the group models) */
    size_t model;               /**< index into rc->models */
    bool smoothed;              /**< the model's [smooth] applied */
    char match_plugin[96];      /**< "nearest 1.0.0", "group" */
    size_t n_axes;              /**< of the model's cubes: 2 or 3 */

    offbkg_validate_run_t *runs;/**< validation's n_runs, in its order */
    size_t n_predicted;         /**< runs with a prediction */
    size_t n_outliers;

    /* Over the predicted runs */
    offbkg_stats_sys_t sys;     /**< the run-wise systematic (§3) */
    offbkg_stats_deviance_t deviance; /**< over every cell used */

    /* The per-cell significances, with the prediction's variance, of
     * the cells where the run's group model of every run predicts at
     * least min_predicted (doc/validate.md §2, §4, §7) */
    size_t sig_n_bins;
    double sig_lo, sig_hi;
    uint64_t *sig_counts;       /**< sig_n_bins */
    size_t sig_n_under, sig_n_over;
    offbkg_stats_gauss_t sig_moments;
    offbkg_stats_gauss_t sig_fit;
    bool sig_fit_ok;            /**< the binned fit converged */

    /* Profiles: the cube's axes in order, then the [validate] columns */
    size_t n_profiles;
    offbkg_validate_profile_t *profiles;
    /* 3D: counts summed over energy, on the (DETX, DETY) grid, cell
     * (ix * map_ny + iy); NULL for 2D */
    size_t map_nx, map_ny;
    double *map_n_obs, *map_n_pred;

    size_t rank;                /**< 1: the smallest systematic */
} offbkg_validate_strategy_t;

/** What offbkg validate found. */
typedef struct offbkg_validation {
    size_t folds;               /**< 0: leave one run out */
    double min_predicted;       /**< cells in the significances */
    double outlier_sigma;
    size_t n_runs;              /**< runs validated */
    size_t n_columns;           /**< [validate] columns */
    char **columns;             /**< their names */
    double *column_value;       /**< n_runs x n_columns, row-major; each
                                     finite (a validated run without a
                                     value is an error) */
    size_t n_strategies;
    offbkg_validate_strategy_t *strategies;
    size_t *by_rank;            /**< n_strategies: strategy indices, the
                                     smallest systematic first */
} offbkg_validation_t;

/** Validate every strategy of @p rc on the runs @p make modelled (it must
 *  have kept them: offbkg_model_opts_t.keep_runs), on @p threads threads.
 *  The runs are those [validate] obs_ids names, or all. A run a match
 *  plugin cannot match is skipped in that strategy with the reason, or
 *  stops everything with @p strict. */
int offbkg_validate_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_model_t *make, size_t threads,
                        bool strict, offbkg_validation_t *out);

void offbkg_validate_clear(offbkg_validation_t *v);

/** Run make->runs[@p run]'s counts in the cells of [model] @p m against
 *  its group's model without the runs @p without marks (per make->runs;
 *  it must mark @p run), as offbkg validate compares them (doc/validate.md
 *  §7 steps 1-4, without significances): N, M, V, the cells, the
 *  deviance and the ratio into *res (the rest 0). OFFBKG_EDATA, with the
 *  reason in @p ctx, when the run has no exposure, nothing is left of its
 *  group, or nothing is predicted. Safe to call concurrently. */
int offbkg_validate_group_loo(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                              const offbkg_model_t *make, size_t run,
                              size_t m, const uint8_t *without,
                              offbkg_validate_run_t *res);

/** Judge @p n_runs runs (those with skipped NULL): the run-wise
 *  systematic of their ratios into *sys (doc/validate.md §3), without
 *  the runs @p first_drop marks (NULL: of all), then each run's
 *  ratio_err, pull and outlier flag (|pull| > @p outlier_sigma, §5).
 *  Outliers widen the systematic they are judged by, so it is estimated
 *  again without the runs flagged, and the runs judged by that one
 *  (once; §7); *n_outliers counts them. */
int offbkg_validate_judge(offbkg_ctx_t *ctx, offbkg_validate_run_t *runs,
                          size_t n_runs, double outlier_sigma,
                          const bool *first_drop, offbkg_stats_sys_t *sys,
                          size_t *n_outliers);

/** validation.fits (doc/validate.md §8), atomically; without
 *  @p overwrite an existing file is refused (OFFBKG_EEXIST). A double
 *  that is NaN or infinite refuses the file (OFFBKG_EDATA, naming its
 *  HDU, row and column) and nothing is left. */
int offbkg_validate_write(offbkg_ctx_t *ctx, const offbkg_validation_t *v,
                          const char *path, bool overwrite);

/** The [model] label of strategy @p s ("model" for [model]), read from
 *  its name "MATCH/MODEL[/smooth]" (labels are [a-z0-9_]+, so the name
 *  splits one way), into @p buf; returns @p buf. */
const char *
offbkg_validate_write_model_label(const offbkg_validate_strategy_t *s,
                                  char *buf, size_t size);

#endif
