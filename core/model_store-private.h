/* SPDX-License-Identifier: BSD-3-Clause
 * The model step and the contribution store (doc/store.md): the keys of
 * a step's models, and a run's entries loaded into its contributions or
 * saved from them, through the model plugins' contrib_load and
 * contrib_view (plugin ABI 1.1). */
#ifndef OFFBKG_MODEL_STORE_PRIVATE_H
#define OFFBKG_MODEL_STORE_PRIVATE_H

#include "instance-private.h"
#include "model-private.h"
#include "store-private.h"

/** What every run of a model step shares. */
typedef struct offbkg_model_store {
    const offbkg_store_t *store;
    size_t n_models;
    char **key;                 /**< per model: offbkg_store_model_key */
    char **text;                /**< per model: its canonical text */
    size_t *n_counts;           /**< per model: the cells it has */
    size_t *n_exposure;         /**< per model: its exposure bins */
    uint64_t regions_hash;
    uint64_t **sums;            /**< per model: the chains of its group
                                     sums (offbkg_model_store_sums_list) */
    size_t *n_sums;
} offbkg_model_store_t;

/** The keys of the @p n_models instances @p models (one per [model] of
 *  @p rc, in order) for @p store, with the regions @p regions. */
int offbkg_model_store_init(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            const offbkg_store_t *store,
                            const offbkg_regions_t *regions,
                            offbkg_instance_t *const *models,
                            size_t n_models, offbkg_model_store_t *ms);
void offbkg_model_store_clear(offbkg_model_store_t *ms);

/** One run's key: where its events are, and what they are now. */
typedef struct offbkg_model_store_run {
    offbkg_store_key_t key;     /**< model_key set per model */
    char *path, *hdu;           /**< owned */
} offbkg_model_store_run_t;

/** The key of the run in obs-index row @p row of @p ds; OFFBKG_EDATA (the
 *  run's events cannot be found or stat()ed) with the reason. */
int offbkg_model_store_run_key(offbkg_ctx_t *ctx,
                               const offbkg_model_store_t *ms,
                               const offbkg_datastore_t *ds, size_t row,
                               offbkg_model_store_run_t *run);
void offbkg_model_store_run_clear(offbkg_model_store_run_t *run);

/** Load every model's entry of @p run into @p contrib (one per model)
 *  and the run's numbers into @p rep: OFFBKG_OK; OFFBKG_STORE_MISSING,
 *  _STALE or _DAMAGED (an entry the plugin refuses is damaged) with the
 *  reason as the context's message; or an error (< 0). With @p held
 *  (one per model, empty), the entry of a model that has contrib_add
 *  (plugin ABI 1.3) is read with sparse counts and kept there instead,
 *  for offbkg_model_store_add; on failure nothing is kept. */
int offbkg_model_store_load(offbkg_ctx_t *ctx, const offbkg_model_store_t *ms,
                            offbkg_instance_t *const *models,
                            const offbkg_model_store_run_t *run,
                            void *const *contrib, offbkg_store_entry_t *held,
                            offbkg_run_report_t *rep);

/** Add the entry @p held (offbkg_model_store_load's) to the contribution
 *  @p into with @p model's contrib_add, and free it. */
int offbkg_model_store_add(offbkg_ctx_t *ctx,
                           const offbkg_instance_t *model,
                           offbkg_store_entry_t *held, void *into);

/** Save every model's contribution @p contrib of @p run, with the run's
 *  numbers @p rep, its obs-index row @p row of @p ds and the CRC-32 of
 *  its events file @p events_crc as it was read (NULL: unknown, the file
 *  is read again for it). */
int offbkg_model_store_save(offbkg_ctx_t *ctx, const offbkg_model_store_t *ms,
                            offbkg_instance_t *const *models,
                            const offbkg_model_store_run_t *run,
                            void *const *contrib,
                            const offbkg_run_report_t *rep,
                            const offbkg_datastore_t *ds, size_t row,
                            const uint32_t *events_crc);

/** List the group sums the store holds for each model (once per step). */
int offbkg_model_store_sums_list(offbkg_ctx_t *ctx, offbkg_model_store_t *ms);

/** A group's first runs from a group sum (doc/store.md §8), read: @p runs
 *  are the group's runs in run order (obs_id and run_hash set). The
 *  longest first *n_loaded of them that every model has a valid sum of
 *  are read into @p entries (one per model; empty when *n_loaded is 0),
 *  and their numbers into @p runs. *n_loaded 0 when there is none, or
 *  when one cannot be used: then OFFBKG_STORE_STALE or _DAMAGED with the
 *  reason; errors < 0. No plugin is called: groups are read in parallel.
 */
int offbkg_model_store_sums_read(offbkg_ctx_t *ctx,
                                 const offbkg_model_store_t *ms,
                                 size_t n_runs, offbkg_store_sum_run_t *runs,
                                 offbkg_store_entry_t *entries,
                                 size_t *n_loaded);

/** The sums @p entries (offbkg_model_store_sums_read's, freed here) into
 *  one new contribution per model in @p contrib (NULL before; NULL again
 *  on failure): OFFBKG_OK, OFFBKG_STORE_DAMAGED when a plugin refuses
 *  one, or an error. */
int offbkg_model_store_sums_take(offbkg_ctx_t *ctx,
                                 const offbkg_model_store_t *ms,
                                 offbkg_instance_t *const *models,
                                 offbkg_store_entry_t *entries,
                                 void **contrib);

/** The views (contrib_view) of @p contrib, one per model, into @p views:
 *  valid while the contributions are neither changed nor freed. */
int offbkg_model_store_sums_view(offbkg_ctx_t *ctx,
                                 const offbkg_model_store_t *ms,
                                 offbkg_instance_t *const *models,
                                 void *const *contrib,
                                 offbkg_contrib_data_t *views);

/** Keep @p views (offbkg_model_store_sums_view's), the sum of the group's
 *  @p n_runs runs @p runs in run order, as each model's group sum. No
 *  plugin is called: it may run while a plugin works on other data. */
int offbkg_model_store_sums_write(offbkg_ctx_t *ctx,
                                  const offbkg_model_store_t *ms,
                                  size_t n_runs,
                                  const offbkg_store_sum_run_t *runs,
                                  const offbkg_contrib_data_t *views);

#endif
