/* SPDX-License-Identifier: BSD-3-Clause
 * A run's contribution to one model kept in memory, compactly, for the
 * match step (doc/match.md): the cells with events as (cell, count)
 * pairs, and the exposure as one base value with the bins that differ
 * (most bins of a run have the same exposure: its time, unless an
 * exclusion region or the field's edge cuts into them). */
#ifndef OFFBKG_MODEL_KEEP_PRIVATE_H
#define OFFBKG_MODEL_KEEP_PRIVATE_H

#include <stdint.h>

#include <offbkg/plugin.h>

#include "ctx-private.h"

typedef struct offbkg_model_keep {
    uint32_t n_cells;               /**< cells with events */
    uint32_t n_diff;                /**< exposure bins not at the base */
    uint32_t max_count;             /**< the largest of count, 0 if none */
    double exposure_base_s;
    uint32_t *cell;                 /**< n_cells, increasing */
    uint32_t *count;                /**< n_cells, > 0 */
    uint32_t *diff_bin;             /**< n_diff, increasing */
    double *diff_exposure_s;        /**< n_diff */
} offbkg_model_keep_t;

/** Keep the run contribution @p d (a model's contrib_view) in @p k, one
 *  allocation. OFFBKG_ENOMEM, or OFFBKG_EDATA when it does not fit
 *  (more than 2^32 - 1 cells, or events in a cell). Thread-safe. */
int offbkg_model_keep_take(offbkg_ctx_t *ctx, const offbkg_contrib_data_t *d,
                           offbkg_model_keep_t *k);

/** Add @p w times the kept run @p k to the sums (n_counts cells and
 *  n_exposure bins, as the model's contrib_view has them):
 *  counts += w n, counts_w2 += w^2 n (NULL: not kept), exposure_s += w e. With @p w 1
 *  each value added is the run's own, so sums over runs in one order are
 *  bit for bit the plugin's merge in that order. */
void offbkg_model_keep_add(const offbkg_model_keep_t *k, double w,
                           double *counts, double *counts_w2,
                           double *exposure_s, size_t n_exposure);

/** Add the kept run @p k with weight 1 to integer counts (n_counts
 *  cells; the caller sees that they cannot wrap: the sum of the runs'
 *  max_count at most UINT32_MAX) and to @p exposure_s. Integer sums are
 *  exact in any order and as doubles, so they are offbkg_model_keep_add's
 *  with weight 1 bit for bit, over half the memory. */
void offbkg_model_keep_add_ones(const offbkg_model_keep_t *k,
                                uint32_t *counts, double *exposure_s,
                                size_t n_exposure);

/** Take the kept run @p k out of sums it is part of (a group's):
 *  counts -= n, exposure_s -= e, never below 0 (the difference of a
 *  sum and one of its terms may round below 0 by an ulp). */
void offbkg_model_keep_sub(const offbkg_model_keep_t *k, double *counts,
                           double *exposure_s, size_t n_exposure);

/** The bytes @p k holds. */
size_t offbkg_model_keep_bytes(const offbkg_model_keep_t *k);

void offbkg_model_keep_free(offbkg_model_keep_t *k);

#endif
