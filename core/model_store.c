/* SPDX-License-Identifier: BSD-3-Clause
 * The model step's side of the contribution store. */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host-private.h"
#include "model_store-private.h"
#include "registry-private.h"

static const offbkg_model_ops_t *ops_of(const offbkg_instance_t *inst)
{
    return inst->conf->module->desc->ops.model;
}

/* What the plugin says of an error of its own. */
static int plugin_error(offbkg_ctx_t *ctx, int st, const offbkg_instance_t *inst,
                        const char *what)
{
    const char *why = offbkg_host_last_error();
    return offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN, "[%s] %s: %s",
                            inst->conf->section, what,
                            why[0] ? why : offbkg_strerror(st));
}

/* The sizes of model @p inst's contributions, from an empty one. */
static int sizes_of(offbkg_ctx_t *ctx, const offbkg_instance_t *inst,
                    size_t *n_counts, size_t *n_exposure)
{
    void *c = NULL;
    offbkg_contrib_data_t d = { .struct_size = sizeof d };
    int st = ops_of(inst)->contrib_new(inst->state, &c);

    if (st != OFFBKG_OK)
        return plugin_error(ctx, st, inst, "contrib_new");
    st = ops_of(inst)->contrib_view(inst->state, c, &d);
    if (st != OFFBKG_OK)
        st = plugin_error(ctx, st, inst, "contrib_view");
    *n_counts = d.n_counts;
    *n_exposure = d.n_exposure;
    ops_of(inst)->contrib_free(inst->state, c);
    return st;
}

int offbkg_model_store_init(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            const offbkg_store_t *store,
                            const offbkg_regions_t *regions,
                            offbkg_instance_t *const *models,
                            size_t n_models, offbkg_model_store_t *ms)
{
    memset(ms, 0, sizeof *ms);
    ms->store = store;
    ms->n_models = n_models;
    ms->key = calloc(n_models + 1, sizeof *ms->key);
    ms->text = calloc(n_models + 1, sizeof *ms->text);
    ms->n_counts = calloc(n_models + 1, sizeof *ms->n_counts);
    ms->n_exposure = calloc(n_models + 1, sizeof *ms->n_exposure);
    ms->sums = calloc(n_models + 1, sizeof *ms->sums);
    ms->n_sums = calloc(n_models + 1, sizeof *ms->n_sums);
    if (ms->key == NULL || ms->text == NULL || ms->n_counts == NULL
        || ms->n_exposure == NULL || ms->sums == NULL || ms->n_sums == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    ms->regions_hash = offbkg_store_targets_hash(
        offbkg_store_regions_hash(regions), rc->exclude, regions);
    for (size_t m = 0; m < n_models; m++) {
        int st = offbkg_store_model_key(ctx, rc, &rc->models[m], &ms->key[m],
                                        &ms->text[m]);
        if (st == OFFBKG_OK)
            st = sizes_of(ctx, models[m], &ms->n_counts[m],
                          &ms->n_exposure[m]);
        if (st != OFFBKG_OK)
            return st;
    }
    return OFFBKG_OK;
}

void offbkg_model_store_clear(offbkg_model_store_t *ms)
{
    for (size_t m = 0; m < ms->n_models; m++) {
        if (ms->key != NULL)
            free(ms->key[m]);
        if (ms->text != NULL)
            free(ms->text[m]);
        if (ms->sums != NULL)
            free(ms->sums[m]);
    }
    free(ms->sums);
    free(ms->n_sums);
    free(ms->key);
    free(ms->text);
    free(ms->n_counts);
    free(ms->n_exposure);
    memset(ms, 0, sizeof *ms);
}

int offbkg_model_store_run_key(offbkg_ctx_t *ctx,
                               const offbkg_model_store_t *ms,
                               const offbkg_datastore_t *ds, size_t row,
                               offbkg_model_store_run_t *run)
{
    size_t n_rows, hdu_row;
    int64_t obs_id = offbkg_datastore_obs_id(ds, row);
    int st = offbkg_datastore_locate_row(ctx, ds, obs_id, "events", &hdu_row,
                                         &n_rows);

    run->key = (offbkg_store_key_t){
        .obs_id = obs_id,
        .regions_hash = ms->regions_hash,
        .row_hash = offbkg_store_row_hash(ds, row),
    };
    if (st != OFFBKG_OK)
        return st;
    run->path = offbkg_datastore_hdu_path(ds, hdu_row);
    run->hdu = strdup(offbkg_datastore_hdu_name(ds, hdu_row));
    if (run->path == NULL || run->hdu == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    /* As the preflight saw the file: one stat() per run for all steps. */
    offbkg_file_id_t id = offbkg_datastore_file_id(ds, hdu_row, run->path);
    return offbkg_store_identity_of(ctx, run->path, run->hdu, &id,
                                    &run->key.events);
}

void offbkg_model_store_run_clear(offbkg_model_store_run_t *run)
{
    free(run->path);
    free(run->hdu);
    memset(run, 0, sizeof *run);
}

/* The run's numbers, as the entry of its first model says them. */
static void numbers_from(const offbkg_store_entry_t *e,
                         offbkg_run_report_t *rep)
{
    rep->n_rows = e->n_rows;
    rep->n_events = e->n_events;
    rep->n_nonfinite = e->n_nonfinite;
    rep->n_bad_energy = e->n_bad_energy;
    rep->n_regions = e->n_regions;
    rep->ontime_s = e->ontime_s;
    rep->livetime_s = e->livetime_s;
}

/* Model @p m's entry of @p run into @p e, loaded into @p contrib, or
 * with @p hold read sparse and kept in @p e for contrib_add. */
static int load_one(offbkg_ctx_t *ctx, const offbkg_model_store_t *ms,
                    size_t m, const offbkg_instance_t *model,
                    const offbkg_model_store_run_t *run, bool hold,
                    void *contrib, offbkg_store_entry_t *e)
{
    offbkg_store_key_t key = run->key;
    key.model_key = ms->key[m];
    key.model_text = ms->text[m];
    int st = hold ? offbkg_store_read_sparse(ctx, ms->store, &key,
                                             ms->n_counts[m],
                                             ms->n_exposure[m], e)
                  : offbkg_store_read(ctx, ms->store, &key, ms->n_counts[m],
                                      ms->n_exposure[m], e);
    if (st != OFFBKG_OK || hold)
        return st;
    e->data.struct_size = sizeof e->data;
    st = ops_of(model)->contrib_load(model->state, &e->data, contrib);
    if (st != OFFBKG_OK) {
        const char *why = offbkg_host_last_error();
        offbkg_error_set(ctx, OFFBKG_EDATA, "[%s] refuses its entry: %s",
                         model->conf->section,
                         why[0] ? why : offbkg_strerror(st));
        return OFFBKG_STORE_DAMAGED;
    }
    return OFFBKG_OK;
}

int offbkg_model_store_load(offbkg_ctx_t *ctx, const offbkg_model_store_t *ms,
                            offbkg_instance_t *const *models,
                            const offbkg_model_store_run_t *run,
                            void *const *contrib, offbkg_store_entry_t *held,
                            offbkg_run_report_t *rep)
{
    int st = OFFBKG_OK;

    for (size_t m = 0; st == OFFBKG_OK && m < ms->n_models; m++) {
        bool hold = held != NULL && offbkg_registry_model_has_add(
                                        models[m]->conf->module->desc);
        offbkg_store_entry_t e;
        st = load_one(ctx, ms, m, models[m], run, hold, contrib[m], &e);
        if (st == OFFBKG_OK && m == 0)
            numbers_from(&e, rep);
        if (st == OFFBKG_OK && hold)
            held[m] = e;
        else
            offbkg_store_entry_free(&e);
    }
    for (size_t m = 0; st != OFFBKG_OK && held != NULL && m < ms->n_models;
         m++)
        offbkg_store_entry_free(&held[m]);
    return st;
}

int offbkg_model_store_add(offbkg_ctx_t *ctx,
                           const offbkg_instance_t *model,
                           offbkg_store_entry_t *held, void *into)
{
    held->data.struct_size = sizeof held->data;
    int st = ops_of(model)->contrib_add(model->state, &held->data, into);

    offbkg_store_entry_free(held);
    return st == OFFBKG_OK ? st : plugin_error(ctx, st, model, "contrib_add");
}

int offbkg_model_store_save(offbkg_ctx_t *ctx, const offbkg_model_store_t *ms,
                            offbkg_instance_t *const *models,
                            const offbkg_model_store_run_t *run,
                            void *const *contrib,
                            const offbkg_run_report_t *rep,
                            const offbkg_datastore_t *ds, size_t row,
                            const uint32_t *events_crc)
{
    offbkg_store_entry_t e = {
        .n_rows = rep->n_rows,
        .n_events = rep->n_events,
        .n_nonfinite = rep->n_nonfinite,
        .n_bad_energy = rep->n_bad_energy,
        .n_regions = rep->n_regions,
        .ontime_s = rep->ontime_s,
        .livetime_s = rep->livetime_s,
        .data = { .struct_size = sizeof e.data },
    };
    int st = OFFBKG_OK;

    if (events_crc != NULL)
        e.events_crc = *events_crc;
    else
        st = offbkg_store_crc32(ctx, run->path, &e.events_crc);

    for (size_t m = 0; st == OFFBKG_OK && m < ms->n_models; m++) {
        offbkg_store_key_t key = run->key;
        key.model_key = ms->key[m];
        key.model_text = ms->text[m];
        st = ops_of(models[m])->contrib_view(models[m]->state, contrib[m],
                                             &e.data);
        if (st != OFFBKG_OK)
            return plugin_error(ctx, st, models[m], "contrib_view");
        st = offbkg_store_write(ctx, ms->store, &key, &e, ds, row, NULL);
    }
    return st;
}

int offbkg_model_store_sums_list(offbkg_ctx_t *ctx, offbkg_model_store_t *ms)
{
    for (size_t m = 0; m < ms->n_models; m++) {
        int st = offbkg_store_sums(ctx, ms->store, ms->key[m], &ms->sums[m],
                                   &ms->n_sums[m]);
        if (st != OFFBKG_OK)
            return st;
    }
    return OFFBKG_OK;
}

static bool has_sum(const offbkg_model_store_t *ms, size_t m, uint64_t chain)
{
    size_t lo = 0, hi = ms->n_sums[m];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ms->sums[m][mid] < chain)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ms->n_sums[m] && ms->sums[m][lo] == chain;
}

/* Free the contributions @p contrib of the models, and set them NULL. */
static void drop(const offbkg_model_store_t *ms,
                 offbkg_instance_t *const *models, void **contrib)
{
    for (size_t m = 0; m < ms->n_models; m++) {
        if (contrib[m] != NULL)
            ops_of(models[m])->contrib_free(models[m]->state, contrib[m]);
        contrib[m] = NULL;
    }
}

int offbkg_model_store_sums_read(offbkg_ctx_t *ctx,
                                 const offbkg_model_store_t *ms,
                                 size_t n_runs, offbkg_store_sum_run_t *runs,
                                 offbkg_store_entry_t *entries,
                                 size_t *n_loaded)
{
    uint64_t *chain = malloc((n_runs + 1) * sizeof *chain);
    size_t k = n_runs;
    int st = OFFBKG_OK;

    *n_loaded = 0;
    memset(entries, 0, ms->n_models * sizeof *entries);
    if (chain == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    chain[0] = OFFBKG_STORE_CHAIN0;
    for (size_t i = 0; i < n_runs; i++)
        chain[i + 1] = offbkg_store_chain(chain[i], runs[i].run_hash);
    /* The most runs every model has a sum of. */
    for (; k > 0; k--) {
        bool all = true;
        for (size_t m = 0; all && m < ms->n_models; m++)
            all = has_sum(ms, m, chain[k]);
        if (all)
            break;
    }
    for (size_t m = 0; k > 0 && st == OFFBKG_OK && m < ms->n_models; m++)
        st = offbkg_store_sum_read(ctx, ms->store, ms->key[m], chain[k], k,
                                   runs, ms->n_counts[m], ms->n_exposure[m],
                                   &entries[m]);
    free(chain);
    if (st != OFFBKG_OK) {
        for (size_t m = 0; m < ms->n_models; m++)
            offbkg_store_entry_free(&entries[m]);
        return st;
    }
    *n_loaded = k;
    return OFFBKG_OK;
}

int offbkg_model_store_sums_take(offbkg_ctx_t *ctx,
                                 const offbkg_model_store_t *ms,
                                 offbkg_instance_t *const *models,
                                 offbkg_store_entry_t *entries,
                                 void **contrib)
{
    int st = OFFBKG_OK;

    for (size_t m = 0; st == OFFBKG_OK && m < ms->n_models; m++) {
        st = ops_of(models[m])->contrib_new(models[m]->state, &contrib[m]);
        if (st != OFFBKG_OK)
            st = plugin_error(ctx, st, models[m], "contrib_new");
        else if ((st = ops_of(models[m])->contrib_load(models[m]->state,
                                                       &entries[m].data,
                                                       contrib[m]))
                 != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            st = offbkg_error_set(ctx, OFFBKG_STORE_DAMAGED, "[%s] refuses "
                                  "its group sum: %s",
                                  models[m]->conf->section,
                                  why[0] ? why : offbkg_strerror(st));
        }
    }
    for (size_t m = 0; m < ms->n_models; m++)
        offbkg_store_entry_free(&entries[m]);
    if (st != OFFBKG_OK)
        drop(ms, models, contrib);
    return st;
}

int offbkg_model_store_sums_view(offbkg_ctx_t *ctx,
                                 const offbkg_model_store_t *ms,
                                 offbkg_instance_t *const *models,
                                 void *const *contrib,
                                 offbkg_contrib_data_t *views)
{
    for (size_t m = 0; m < ms->n_models; m++) {
        views[m] = (offbkg_contrib_data_t){ .struct_size = sizeof *views };
        int st = ops_of(models[m])->contrib_view(models[m]->state,
                                                 contrib[m], &views[m]);
        if (st != OFFBKG_OK)
            return plugin_error(ctx, st, models[m], "contrib_view");
    }
    return OFFBKG_OK;
}

int offbkg_model_store_sums_write(offbkg_ctx_t *ctx,
                                  const offbkg_model_store_t *ms,
                                  size_t n_runs,
                                  const offbkg_store_sum_run_t *runs,
                                  const offbkg_contrib_data_t *views)
{
    uint64_t chain = OFFBKG_STORE_CHAIN0;
    int st = OFFBKG_OK;

    for (size_t i = 0; i < n_runs; i++)
        chain = offbkg_store_chain(chain, runs[i].run_hash);
    for (size_t m = 0; st == OFFBKG_OK && m < ms->n_models; m++) {
        offbkg_store_key_t key = { .model_key = ms->key[m],
                                   .model_text = ms->text[m],
                                   .regions_hash = ms->regions_hash };
        st = offbkg_store_sum_write(ctx, ms->store, &key, chain, n_runs,
                                    runs, &views[m]);
    }
    return st;
}
