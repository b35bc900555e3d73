/* SPDX-License-Identifier: BSD-3-Clause
 * The model stage (doc/design.md §2.4: fill, merge, finish). Workers
 * (the calling thread and threads - 1 more) take the runs in order, each
 * reading its run's events once and filling a run contribution for every
 * model into a free slot. The worker that completes the run next in order
 * merges it, and every later run already done, strictly in run order:
 * merging in a fixed order is what makes the result independent of the
 * thread count. No thread waits for another's run, so a worker blocks
 * only when every slot holds a run done ahead of a slow one; twice as
 * many slots as workers make that rare. (A merging thread of its own
 * was woken once per run: on a 2-core VM those wake-ups cost a tenth of
 * the CPU time.) */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "events-private.h"
#include "host-private.h"
#include "instance-private.h"
#include "model-private.h"
#include "model_store-private.h"
#include "parallel-private.h"

/* Regions whose circle comes this close to the pointing are handed to the
 * models; wider than any field of view we bin. */
#define REGION_REACH_DEG 15.0

typedef struct make_job {
    const offbkg_runconf_t *rc;
    const offbkg_datastore_t *store;
    const offbkg_regions_t *regions;
    offbkg_instance_t **models;     /* one instance per [model] */
    size_t n_models;
    const size_t *store_rows;
    const int64_t *group_id;
    offbkg_model_t *out;
    const offbkg_model_opts_t *opts;
    offbkg_model_store_t *ms;       /* NULL: no [store] */
    /* [store]: each run's key, taken before any events are read (key_st
     * OFFBKG_OK, else key_why says why there is none). */
    offbkg_model_store_run_t *keys;
    int *key_st;
    char **key_why;
    /* Group sums (doc/store.md §8), NULL when not used: the runs loaded
     * with their group's sum, the runs merged (from a sum or not), and
     * per group how many runs its loaded sum holds. */
    bool *cached;
    bool *merged;
    size_t *n_cached;
    /* Runs from the store are added to their group at the merge by the
     * models that can (plugin ABI 1.3 contrib_add), from their entries
     * as stored: sparse counts, no contribution of their own. */
    bool hold;
} make_job_t;

/* Room for one run's contributions, filled by a worker, merged by the
 * main thread. */
typedef struct slot {
    void **contrib;                 /* one run contribution per model */
    offbkg_store_entry_t *held;     /* job->hold: one entry per model,
                                       empty when not held */
    size_t run;                     /* index of the run it holds */
    enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE } state;
    bool failed;                    /* the run is skipped */
    int keep_st;                    /* keep_runs: why it was not kept */
    char *keep_why;                 /* its words, or NULL */
} slot_t;

struct pool;

typedef struct worker {
    const make_job_t *job;
    struct pool *pool;
    offbkg_ctx_t *ctx;
    offbkg_events_t ev;             /* buffers reused from run to run */
    offbkg_region_t *near;
    pthread_t tid;
    bool started;                   /* tid is a running thread */
} worker_t;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t slot_freed;      /* workers wait for a free slot */
    slot_t *slots;
    size_t n_slots;
    size_t next_run;                /* the next run a worker takes */
    size_t next_merge;              /* the next run to merge */
    size_t n;                       /* runs */
    size_t n_missing;               /* --from-store: runs not in it */
    size_t events;                  /* rows of the runs merged */
    bool merging;                   /* a worker is merging */
    bool stop;                      /* an error or a cancel: no more runs */
    int st;                         /* the first error */
    /* What merging needs, used by one worker at a time. */
    offbkg_ctx_t *ctx;
    void ***group_contrib;
} pool_t;

static const offbkg_model_ops_t *ops_of(const offbkg_instance_t *inst)
{
    return inst->conf->module->desc->ops.model;
}

static double obs_value(const offbkg_datastore_t *store, const char *name,
                        size_t row)
{
    offbkg_obs_table_t v = offbkg_table_view(&store->obs);
    return offbkg_column_get_double(offbkg_obs_table_column(&v, name), row);
}

/* Mark the slot's run skipped, with @p why for the report. */
static void skip(slot_t *sl, offbkg_run_report_t *rep, const char *why)
{
    sl->failed = true;
    rep->skipped = strdup(why);
}

static void fill_run(worker_t *w, slot_t *sl);

/* Take run sl->run from the store when every model's entry is valid;
 * otherwise say why in rep->store_why. True when taken. */
static bool from_store(worker_t *w, slot_t *sl,
                       const offbkg_model_store_run_t *key)
{
    const make_job_t *job = w->job;
    offbkg_run_report_t *rep = &job->out->runs[sl->run];

    /* No contrib_reset: contrib_load makes each one equal to its entry,
     * or it is held for the merge (and a run read from its events after
     * all is reset by fill_run). */
    rep->store_status = offbkg_model_store_load(w->ctx, job->ms, job->models,
                                                key, sl->contrib, sl->held,
                                                rep);
    if (rep->store_status == OFFBKG_OK) {
        rep->from_store = true;
        return true;
    }
    rep->store_why = strdup(offbkg_error_msg(w->ctx));
    return false;
}

/* Fill run sl->run into the slot's contributions, or say why not. */
static void process_run(worker_t *w, slot_t *sl)
{
    const make_job_t *job = w->job;
    const offbkg_model_store_run_t *key = NULL;

    sl->failed = job->out->runs[sl->run].skipped != NULL;
    /* In a group sum loaded already: nothing to read. */
    if (sl->failed || (job->cached != NULL && job->cached[sl->run]))
        return;
    if (job->ms != NULL) {
        key = &job->keys[sl->run];
        if (job->key_st[sl->run] == OFFBKG_OK && from_store(w, sl, key))
            return;
        if (job->key_st[sl->run] != OFFBKG_OK) {
            /* Its events are not where the data store says: the reader
             * says why, or --from-store that it is not in the store. */
            offbkg_run_report_t *rep = &job->out->runs[sl->run];
            rep->store_status = OFFBKG_STORE_MISSING;
            rep->store_why = strdup(job->key_why[sl->run]
                                        ? job->key_why[sl->run] : "?");
            if (!job->opts->from_store)
                fill_run(w, sl);
            sl->failed = sl->failed || job->opts->from_store;
            return;
        }
        if (job->opts->from_store) {
            sl->failed = true;
            return;
        }
    }
    fill_run(w, sl);
    if (job->ms != NULL && !sl->failed) {
        offbkg_run_report_t *rep = &job->out->runs[sl->run];
        if (offbkg_model_store_save(w->ctx, job->ms, job->models, key,
                                    sl->contrib, rep, job->store,
                                    job->store_rows[sl->run],
                                    w->ev.crc_known ? &w->ev.crc : NULL)
            == OFFBKG_OK)
            rep->filled = true;
        else
            rep->store_error = strdup(offbkg_error_msg(w->ctx));
    }
}

/* Read run sl->run's events into the slot's contributions, or say why
 * not. */
static void fill_run(worker_t *w, slot_t *sl)
{
    const make_job_t *job = w->job;
    const offbkg_datastore_t *store = job->store;
    offbkg_run_report_t *rep = &job->out->runs[sl->run];
    size_t row = job->store_rows[sl->run];
    const offbkg_run_header_t *h = &w->ev.header;
    offbkg_run_t run = { .struct_size = sizeof run };

    rep->ontime_s = obs_value(store, "ONTIME", row);
    rep->livetime_s = obs_value(store, "LIVETIME", row);
    if (!(rep->ontime_s > 0) || !isfinite(rep->ontime_s)
        || !(rep->livetime_s > 0) || !isfinite(rep->livetime_s)) {
        skip(sl, rep, "ONTIME or LIVETIME is missing, zero or "
                              "negative");
        return;
    }
    if (offbkg_events_read(w->ctx, store, rep->obs_id, &w->ev) != OFFBKG_OK) {
        skip(sl, rep, offbkg_error_msg(w->ctx));
        return;
    }
    rep->n_rows = w->ev.n_rows;
    rep->n_events = w->ev.n;
    rep->n_nonfinite = w->ev.n_nonfinite;
    rep->n_bad_energy = w->ev.n_bad_energy;
    /* Its time would count as exposure with no events to go with it. */
    if (w->ev.n == 0 && w->ev.n_rows > 0) {
        char why[160];
        snprintf(why, sizeof why, "all %zu event rows were dropped (%zu not "
                 "finite, %zu with ENERGY <= 0)", w->ev.n_rows,
                 w->ev.n_nonfinite, w->ev.n_bad_energy);
        skip(sl, rep, why);
        return;
    }

    /* The EVENTS header's float64 pointing first (doc/domain.md §1.6). */
    run.obs_id = rep->obs_id;
    run.group_id = (int32_t)job->group_id[sl->run];
    run.ra_pnt_deg = isfinite(h->ra_pnt_deg) ? h->ra_pnt_deg
                                             : obs_value(store, "RA_PNT", row);
    run.dec_pnt_deg = isfinite(h->dec_pnt_deg)
                          ? h->dec_pnt_deg
                          : obs_value(store, "DEC_PNT", row);
    if (!isfinite(run.ra_pnt_deg) || !isfinite(run.dec_pnt_deg)) {
        skip(sl, rep, "no pointing (RA_PNT, DEC_PNT)");
        return;
    }
    run.ontime_s = rep->ontime_s;
    run.livetime_s = rep->livetime_s;
    run.tstart_s = obs_value(store, "TSTART", row);
    run.tstop_s = obs_value(store, "TSTOP", row);
    run.mjdref_tt_day = isfinite(h->mjdref_day)
                            ? offbkg_mjd_to_tt(h->mjdref_day, h->timesys)
                            : offbkg_mjd_to_tt(store->mjdref_day,
                                               store->timesys);
    int header_site = isfinite(h->site_lon_deg) && isfinite(h->site_lat_deg);
    run.site_lon_deg = header_site ? h->site_lon_deg : store->site_lon_deg;
    run.site_lat_deg = header_site ? h->site_lat_deg : store->site_lat_deg;
    run.site_height_m = header_site ? h->site_height_m : store->site_height_m;
    run.n_events = w->ev.n;
    run.energy_tev = w->ev.energy_tev;
    run.ra_deg = w->ev.ra_deg;
    run.dec_deg = w->ev.dec_deg;
    run.time_s = w->ev.time_s;
    run.n_regions = offbkg_exclude_near(job->regions, run.ra_pnt_deg,
                                       run.dec_pnt_deg, REGION_REACH_DEG,
                                       w->near);
    run.regions = w->near;
    rep->n_regions = run.n_regions;
    rep->ra_pnt_deg = run.ra_pnt_deg;
    rep->dec_pnt_deg = run.dec_pnt_deg;
    /* Its own target: the header may have what the obs-index lacks. */
    if (rep->target.from != OFFBKG_TARGET_OBS_INDEX)
        rep->target = offbkg_target_of_row(store, row, h, job->regions);
    if (job->rc->exclude != NULL && job->rc->exclude->targets
        && isfinite(rep->target.ra_deg))
        w->near[run.n_regions++] = (offbkg_region_t){
            rep->target.ra_deg, rep->target.dec_deg,
            job->rc->exclude->target_radius_deg };

    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        ops_of(inst)->contrib_reset(inst->state, sl->contrib[m]);
        int st = ops_of(inst)->fill(inst->state, &run, sl->contrib[m]);
        if (st != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            char detail[1024];
            snprintf(detail, sizeof detail, "[%s] %s", inst->conf->section,
                     why[0] != '\0' ? why : offbkg_strerror(st));
            skip(sl, rep, detail);
            return;
        }
    }
}

/* opts.keep_runs: the run's contributions of every model, kept compactly
 * (by the worker that filled or loaded them: contrib_view may run
 * concurrently, each on its own contribution). */
static void keep_run(worker_t *w, slot_t *sl)
{
    const make_job_t *job = w->job;
    offbkg_model_keep_t *kept = &job->out->kept[sl->run * job->n_models];

    for (size_t m = 0; m < job->n_models && sl->keep_st == OFFBKG_OK; m++) {
        const offbkg_instance_t *inst = job->models[m];
        offbkg_contrib_data_t d = { .struct_size = sizeof d };
        int st = ops_of(inst)->contrib_view(inst->state, sl->contrib[m], &d);
        if (st != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            st = offbkg_error_set(w->ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                                  "[%s] contrib_view: %s",
                                  inst->conf->section,
                                  why[0] ? why : offbkg_strerror(st));
        } else
            st = offbkg_model_keep_take(w->ctx, &d, &kept[m]);
        if (st != OFFBKG_OK) {
            sl->keep_st = st;
            sl->keep_why = strdup(offbkg_error_msg(w->ctx));
        }
    }
}

static void slot_free(const make_job_t *job, slot_t *sl)
{
    for (size_t m = 0; sl->contrib != NULL && m < job->n_models; m++)
        if (sl->contrib[m] != NULL)
            ops_of(job->models[m])->contrib_free(job->models[m]->state,
                                                 sl->contrib[m]);
    for (size_t m = 0; sl->held != NULL && m < job->n_models; m++)
        offbkg_store_entry_free(&sl->held[m]);
    free(sl->contrib);
    free(sl->held);
    free(sl->keep_why);
}

static int slot_init(offbkg_ctx_t *ctx, const make_job_t *job, slot_t *sl)
{
    memset(sl, 0, sizeof *sl);
    sl->contrib = calloc(job->n_models, sizeof *sl->contrib);
    if (job->hold)
        sl->held = calloc(job->n_models, sizeof *sl->held);
    if (sl->contrib == NULL || (job->hold && sl->held == NULL))
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        if (ops_of(inst)->contrib_new(inst->state, &sl->contrib[m])
            != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            return offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s] %s",
                                    inst->conf->section,
                                    why[0] ? why : "contrib_new failed");
        }
    }
    return OFFBKG_OK;
}

static void worker_free(worker_t *w)
{
    free(w->near);
    offbkg_events_free(&w->ev);
    offbkg_ctx_free(w->ctx);
}

static int worker_init(offbkg_ctx_t *ctx, const make_job_t *job,
                       pool_t *pool, worker_t *w)
{
    memset(w, 0, sizeof *w);
    w->job = job;
    w->pool = pool;
    /* The store records the CRC of each file it fills a run from. */
    w->ev.want_crc = job->ms != NULL;
    w->ctx = offbkg_ctx_new_child(ctx);
    /* The regions, and the run's own target. */
    w->near = malloc((job->regions->n + 1) * sizeof *w->near);
    if (w->ctx == NULL || w->near == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

/* Add slot @p sl's run into its group's contributions: its held entry
 * (added and freed), or its contribution. */
static int merge_run(offbkg_ctx_t *ctx, const make_job_t *job,
                     void ***group_contrib, const slot_t *sl)
{
    size_t g = (size_t)job->group_id[sl->run];

    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        void **into = &group_contrib[m][g];
        int st = OFFBKG_OK;
        if (*into == NULL)
            st = ops_of(inst)->contrib_new(inst->state, into);
        if (st == OFFBKG_OK && sl->held != NULL
            && sl->held[m].data.n_counts > 0) {
            st = offbkg_model_store_add(ctx, inst, &sl->held[m], *into);
            if (st != OFFBKG_OK)
                return st;
            continue;
        }
        if (st == OFFBKG_OK)
            st = ops_of(inst)->merge(inst->state, *into, sl->contrib[m]);
        if (st != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            return offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                                    "[%s] merge: %s", inst->conf->section,
                                    why[0] ? why : offbkg_strerror(st));
        }
    }
    job->out->runs_used[g]++;
    return OFFBKG_OK;
}

/* What the store did with a run that is used. */
static void say_store(offbkg_ctx_t *ctx, const make_job_t *job,
                      const offbkg_run_report_t *rep)
{
    if (job->ms == NULL || rep->from_store)
        return;
    if (rep->store_status == OFFBKG_STORE_DAMAGED)
        OFFBKG_WARN(ctx, "OBS_ID %" PRId64 ": the store's entry is damaged "
                    "(%s): read from the events again", rep->obs_id,
                    rep->store_why);
    else if (rep->store_status == OFFBKG_STORE_STALE)
        OFFBKG_INFO(ctx, "OBS_ID %" PRId64 ": read from the events again: "
                    "%s", rep->obs_id, rep->store_why);
    else if (rep->store_why != NULL)
        OFFBKG_DEBUG(ctx, "OBS_ID %" PRId64 ": %s", rep->obs_id,
                     rep->store_why);
    if (rep->store_error != NULL && !job->opts->fill_only)
        OFFBKG_WARN(ctx, "OBS_ID %" PRId64 ": not put in the store: %s",
                    rep->obs_id, rep->store_error);
}

/* Merge a filled slot, or report its run skipped (an error under
 * --strict); offbkg fill merges nothing, and a run it could not put in
 * the store is an error. */
static int take_run(offbkg_ctx_t *ctx, const make_job_t *job, pool_t *p,
                    const slot_t *sl)
{
    offbkg_run_report_t *rep = &job->out->runs[sl->run];
    const char *why = rep->skipped ? rep->skipped
                      : rep->store_why ? rep->store_why : "out of memory";
    bool strict = job->opts->strict;

    if (sl->keep_st != OFFBKG_OK)
        return offbkg_error_set(ctx, sl->keep_st, "OBS_ID %" PRId64 ": not "
                                "kept for [match]: %s", rep->obs_id,
                                sl->keep_why ? sl->keep_why
                                             : "out of memory");
    if (!sl->failed && job->opts->keep_runs)
        for (size_t m = 0; m < job->n_models; m++)
            job->out->kept_bytes += offbkg_model_keep_bytes(
                &job->out->kept[sl->run * job->n_models + m]);

    job->out->n_from_store += rep->from_store;
    job->out->n_filled += rep->filled;
    if (!sl->failed)
        say_store(ctx, job, rep);
    if (!sl->failed && rep->store_error != NULL && job->opts->fill_only)
        return offbkg_error_set(ctx, OFFBKG_EIO, "OBS_ID %" PRId64 ": not "
                                "put in the store: %s", rep->obs_id,
                                rep->store_error);
    if (!sl->failed && job->cached != NULL && job->cached[sl->run]) {
        /* In its group's contribution since the group sum was loaded. */
        job->out->runs_used[job->group_id[sl->run]]++;
        job->merged[sl->run] = true;
        return OFFBKG_OK;
    }
    if (!sl->failed && !job->opts->fill_only) {
        int st = merge_run(ctx, job, p->group_contrib, sl);
        if (st == OFFBKG_OK && job->merged != NULL)
            job->merged[sl->run] = true;
        return st;
    }
    if (!sl->failed)
        return OFFBKG_OK;
    if (rep->skipped == NULL && job->opts->from_store) {
        /* Said at the end, all of them in one message. */
        p->n_missing++;
        return OFFBKG_OK;
    }
    if (strict)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %" PRId64
                                ": %s (--strict)", rep->obs_id, why);
    OFFBKG_WARN(ctx, "OBS_ID %" PRId64 " skipped: %s", rep->obs_id, why);
    return OFFBKG_OK;
}

/* The slot holding run @p run once it is filled (mutex held), or NULL. */
static slot_t *done_slot(pool_t *p, size_t run)
{
    for (size_t k = 0; k < p->n_slots; k++)
        if (p->slots[k].state == SLOT_DONE && p->slots[k].run == run)
            return &p->slots[k];
    return NULL;
}

/* Merge the runs done in order from p->next_merge on, while this worker
 * is the one merging (mutex held on entry and exit). */
static void merge_ready(const make_job_t *job, pool_t *p)
{
    slot_t *sl;

    while (!p->stop && (sl = done_slot(p, p->next_merge)) != NULL) {
        pthread_mutex_unlock(&p->mu);
        int st = offbkg_ctx_cancelled(p->ctx)
                     ? offbkg_error_set(p->ctx, OFFBKG_ECANCELLED,
                                        "interrupted")
                     : take_run(p->ctx, job, p, sl);
        free(sl->keep_why);
        sl->keep_why = NULL;
        sl->keep_st = OFFBKG_OK;
        p->events += job->out->runs[sl->run].n_rows;
        offbkg_ctx_progress(p->ctx, sl->run + 1, p->n, p->events);
        pthread_mutex_lock(&p->mu);
        sl->state = SLOT_FREE;
        p->next_merge++;
        if (st != OFFBKG_OK) {
            p->st = st;
            p->stop = true;
        }
        pthread_cond_broadcast(&p->slot_freed);
    }
}

/* A worker: take the next run and a free slot, fill, merge what is
 * ready, repeat until no run is left. */
static void *worker_main(void *arg)
{
    worker_t *w = arg;
    const make_job_t *job = w->job;
    pool_t *p = w->pool;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        slot_t *sl = NULL;
        while (!p->stop && p->next_run < p->n) {
            for (size_t k = 0; sl == NULL && k < p->n_slots; k++)
                if (p->slots[k].state == SLOT_FREE)
                    sl = &p->slots[k];
            if (sl != NULL)
                break;
            pthread_cond_wait(&p->slot_freed, &p->mu);
        }
        if (sl == NULL)
            break;
        sl->run = p->next_run++;
        sl->state = SLOT_BUSY;
        pthread_mutex_unlock(&p->mu);
        process_run(w, sl);
        if (!sl->failed && job->opts->keep_runs && !job->opts->fill_only)
            keep_run(w, sl);
        pthread_mutex_lock(&p->mu);
        sl->state = SLOT_DONE;
        if (!p->merging) {
            p->merging = true;
            merge_ready(job, p);
            p->merging = false;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Workers[1..] on threads of their own, workers[0] on this one. */
static void run_all(worker_t *workers, size_t n_workers)
{
    for (size_t k = 1; k < n_workers; k++)
        workers[k].started = pthread_create(&workers[k].tid, NULL,
                                            worker_main, &workers[k]) == 0;
    worker_main(&workers[0]);
    for (size_t k = 1; k < n_workers; k++)
        if (workers[k].started) {
            pthread_join(workers[k].tid, NULL);
            workers[k].started = false;
        }
}

/* keep_runs: group @p g's merged contribution of model @p m, dense, for
 * the per-target models made of a group without the target's run. */
static int keep_group(offbkg_ctx_t *ctx, const make_job_t *job, size_t m,
                      size_t g, const void *contrib)
{
    const offbkg_instance_t *inst = job->models[m];
    offbkg_model_t *out = job->out;
    offbkg_contrib_data_t d = { .struct_size = sizeof d };
    int st = ops_of(inst)->contrib_view(inst->state, contrib, &d);
    double *sums;

    if (st != OFFBKG_OK)
        return offbkg_instance_failed(ctx, job->rc, inst->conf, st);
    sums = malloc((d.n_counts + d.n_exposure + 1) * sizeof *sums);
    if (sums == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < d.n_counts; i++)
        sums[i] = (double)d.counts[i];
    memcpy(sums + d.n_counts, d.exposure_s, d.n_exposure * sizeof *sums);
    out->group_sums[m * out->n_groups + g] = sums;
    return OFFBKG_OK;
}

/* Finish group @p g's contribution of model @p m into a cube (or say
 * why there is none), keep its sums for keep_runs, and free it unless
 * @p keep says it is viewed (its sum being written). */
static int finish_one(offbkg_ctx_t *ctx, const make_job_t *job,
                      void ***group_contrib, const bool *keep, size_t m,
                      size_t g)
{
    const offbkg_instance_t *inst = job->models[m];
    offbkg_model_t *out = job->out;
    offbkg_model_result_t *res = &out->models[m];
    void **contrib = &group_contrib[m][g];
    const char *why;
    int st = OFFBKG_OK;

    if (offbkg_ctx_cancelled(ctx))
        return offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
    if (*contrib == NULL) {
        res->no_model[g] = strdup("no runs in this group");
    } else if (ops_of(inst)->finish(inst->state, *contrib, &res->cubes[g])
               != OFFBKG_OK) {
        res->cubes[g] = NULL;
        why = offbkg_host_last_error();
        res->no_model[g] = strdup(why[0] ? why : "finish failed");
    }
    if (out->group_sums != NULL && *contrib != NULL)
        st = keep_group(ctx, job, m, g, *contrib);
    if (st != OFFBKG_OK)
        return st;
    /* Done with: its memory can serve the next cube. */
    if (*contrib != NULL && (keep == NULL || !keep[g])) {
        ops_of(inst)->contrib_free(inst->state, *contrib);
        *contrib = NULL;
    }
    if (res->cubes[g] == NULL && res->no_model[g] == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

/* Finishing on the step's threads: a (model, group) per item. */
typedef struct finishing {
    const make_job_t *job;
    void ***group_contrib;
    const bool *keep;
} finishing_t;

static int finish_item(offbkg_ctx_t *ctx, void *arg, size_t i)
{
    const finishing_t *f = arg;
    size_t n_groups = f->job->out->n_groups;

    return finish_one(ctx, f->job, f->group_contrib, f->keep, i / n_groups,
                      i % n_groups);
}

/* Whether every model may have finish called on several contributions
 * at once: plugins built against ABI 1.3 or later (include/offbkg/
 * plugin.h). */
static bool finish_concurrently(const make_job_t *job)
{
    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_plugin_t *d = job->models[m]->conf->module->desc;
        if (d->abi_major == 1 && d->abi_minor < 3)
            return false;
    }
    return true;
}

/* Finish every group's contribution of every model into a cube (on the
 * step's threads when the models allow it); those of the groups @p keep
 * says are viewed (their sums being written) are left for the caller to
 * free. */
static int finish_all(offbkg_ctx_t *ctx, const make_job_t *job,
                      void ***group_contrib, const bool *keep)
{
    size_t n = job->n_models * job->out->n_groups;
    finishing_t f = { job, group_contrib, keep };
    int st = OFFBKG_OK;

    if (job->opts->threads > 1 && n > 1 && finish_concurrently(job))
        return offbkg_parallel_try(ctx, n, job->opts->threads, finish_item,
                                   &f);
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        st = finish_item(ctx, &f, i);
    return st;
}

/* [store]: every run's key, before any events are read (a run whose
 * events cannot be found or stat()ed has none, and the reason). */
static int take_keys(offbkg_ctx_t *ctx, make_job_t *job)
{
    size_t n = job->out->n_runs;

    job->keys = calloc(n + 1, sizeof *job->keys);
    job->key_st = calloc(n + 1, sizeof *job->key_st);
    job->key_why = calloc(n + 1, sizeof *job->key_why);
    if (job->keys == NULL || job->key_st == NULL || job->key_why == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (job->out->runs[i].skipped != NULL)
            continue;
        job->key_st[i] = offbkg_model_store_run_key(ctx, job->ms, job->store,
                                                    job->store_rows[i],
                                                    &job->keys[i]);
        if (job->key_st[i] == OFFBKG_ENOMEM)
            return OFFBKG_ENOMEM;
        if (job->key_st[i] != OFFBKG_OK) {
            job->key_why[i] = strdup(offbkg_error_msg(ctx));
            offbkg_error_clear(ctx);
            if (job->key_why[i] == NULL)
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        }
    }
    return OFFBKG_OK;
}

static void free_keys(make_job_t *job)
{
    for (size_t i = 0; job->keys != NULL && i < job->out->n_runs; i++) {
        offbkg_model_store_run_clear(&job->keys[i]);
        free(job->key_why[i]);
    }
    free(job->keys);
    free(job->key_st);
    free(job->key_why);
    free(job->cached);
    free(job->merged);
    free(job->n_cached);
}

/* Group @p g's runs, in run order, as a group sum records them: those
 * in it that are not skipped, up to the first without a key (*n), and
 * their run indexes into @p at. @p runs and @p at have room for all. */
static size_t group_runs(const make_job_t *job, size_t g, bool merged_only,
                         offbkg_store_sum_run_t *runs, size_t *at)
{
    size_t n = 0;

    for (size_t i = 0; i < job->out->n_runs; i++) {
        const offbkg_run_report_t *rep = &job->out->runs[i];
        if ((size_t)job->group_id[i] != g || rep->skipped != NULL
            || (merged_only && !job->merged[i]))
            continue;
        if (job->key_st[i] != OFFBKG_OK)
            break;
        offbkg_store_key_t key = job->keys[i].key;
        runs[n] = (offbkg_store_sum_run_t){
            .obs_id = rep->obs_id,
            .run_hash = offbkg_store_run_hash(&key),
            .n_rows = rep->n_rows,
            .n_events = rep->n_events,
            .n_nonfinite = rep->n_nonfinite,
            .n_bad_energy = rep->n_bad_energy,
            .n_regions = rep->n_regions,
            .ontime_s = rep->ontime_s,
            .livetime_s = rep->livetime_s,
        };
        at[n++] = i;
    }
    return n;
}

/* Reading the group sums: a group per item of a parallel loop. */
typedef struct sums_load {
    const make_job_t *job;
    offbkg_store_sum_run_t *runs;   /* group g's from first[g], count[g] */
    size_t *at;                     /* their run indexes, the same way */
    size_t *first, *count;
    offbkg_store_entry_t *entries;  /* n_groups x n_models */
    size_t *n_loaded;               /* per group */
    offbkg_ctx_t **ctx;             /* per group: its own message */
    int *st;                        /* per group */
} sums_load_t;

/* offbkg_parallel_for item: read group @p g's longest sum (files only,
 * no plugin called). */
static void read_sum(void *arg, size_t g)
{
    sums_load_t *w = arg;

    w->st[g] = offbkg_model_store_sums_read(
        w->ctx[g], w->job->ms, w->count[g], w->runs + w->first[g],
        w->entries + g * w->job->n_models, &w->n_loaded[g]);
}

/* Group @p g's sum, read by read_sum, into its contributions, and its
 * runs marked cached with their numbers; a sum that cannot be used is
 * said, and the group's runs are read as if there were none. */
static int take_sum(offbkg_ctx_t *ctx, make_job_t *job, sums_load_t *w,
                    size_t g, void ***group_contrib, void **contrib)
{
    const offbkg_store_sum_run_t *runs = w->runs + w->first[g];
    const size_t *at = w->at + w->first[g];
    size_t k = w->n_loaded[g];
    int st = w->st[g];

    if (st == OFFBKG_OK && k > 0)
        st = offbkg_model_store_sums_take(w->ctx[g], job->ms, job->models,
                                          w->entries + g * job->n_models,
                                          contrib);
    if (st > 0) {
        if (st == OFFBKG_STORE_DAMAGED)
            OFFBKG_WARN(ctx, "group %zu: its sum in the store is damaged "
                        "(%s): its runs are read one by one", g,
                        offbkg_error_msg(w->ctx[g]));
        else
            OFFBKG_INFO(ctx, "group %zu: its sum in the store is not used: "
                        "%s", g, offbkg_error_msg(w->ctx[g]));
        return OFFBKG_OK;
    }
    if (st != OFFBKG_OK)
        return offbkg_error_set(ctx, st, "%s", offbkg_error_msg(w->ctx[g]));
    if (k == 0)
        return OFFBKG_OK;
    for (size_t m = 0; m < job->n_models; m++) {
        group_contrib[m][g] = contrib[m];
        contrib[m] = NULL;
    }
    job->n_cached[g] = k;
    for (size_t r = 0; r < k; r++) {
        offbkg_run_report_t *rep = &job->out->runs[at[r]];
        job->cached[at[r]] = true;
        rep->from_store = true;
        rep->store_status = OFFBKG_OK;
        rep->n_rows = runs[r].n_rows;
        rep->n_events = runs[r].n_events;
        rep->n_nonfinite = runs[r].n_nonfinite;
        rep->n_bad_energy = runs[r].n_bad_energy;
        rep->n_regions = runs[r].n_regions;
        rep->ontime_s = runs[r].ontime_s;
        rep->livetime_s = runs[r].livetime_s;
    }
    return OFFBKG_OK;
}

static void free_sums_load(const make_job_t *job, sums_load_t *w)
{
    size_t n_groups = job->out->n_groups;

    for (size_t g = 0; w->ctx != NULL && g < n_groups; g++)
        offbkg_ctx_free(w->ctx[g]);
    for (size_t i = 0; w->entries != NULL && i < n_groups * job->n_models;
         i++)
        offbkg_store_entry_free(&w->entries[i]);
    free(w->runs);
    free(w->at);
    free(w->first);
    free(w->count);
    free(w->entries);
    free(w->n_loaded);
    free(w->ctx);
    free(w->st);
}

/* Each group's first runs from the longest group sum the store has of
 * them (doc/store.md §8): the sums read on the step's threads (each is a
 * file inflated), then loaded into @p group_contrib in group order. */
static int load_sums(offbkg_ctx_t *ctx, make_job_t *job,
                     void ***group_contrib)
{
    size_t n = job->out->n_runs, n_groups = job->out->n_groups;
    sums_load_t w = {
        .job = job,
        .runs = malloc((n + 1) * sizeof *w.runs),
        .at = malloc((n + 1) * sizeof *w.at),
        .first = calloc(n_groups + 1, sizeof *w.first),
        .count = calloc(n_groups + 1, sizeof *w.count),
        .entries = calloc(n_groups * job->n_models + 1, sizeof *w.entries),
        .n_loaded = calloc(n_groups + 1, sizeof *w.n_loaded),
        .ctx = calloc(n_groups + 1, sizeof *w.ctx),
        .st = calloc(n_groups + 1, sizeof *w.st),
    };
    void **contrib = calloc(job->n_models + 1, sizeof *contrib);
    int st = offbkg_model_store_sums_list(ctx, job->ms);

    job->cached = calloc(n + 1, sizeof *job->cached);
    job->merged = calloc(n + 1, sizeof *job->merged);
    job->n_cached = calloc(n_groups + 1, sizeof *job->n_cached);
    if (st == OFFBKG_OK
        && (w.runs == NULL || w.at == NULL || w.first == NULL
            || w.count == NULL || w.entries == NULL || w.n_loaded == NULL
            || w.ctx == NULL || w.st == NULL || contrib == NULL
            || job->cached == NULL || job->merged == NULL
            || job->n_cached == NULL))
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    /* Each run is in one group: the groups' runs share one array. */
    for (size_t g = 0, used = 0; st == OFFBKG_OK && g < n_groups; g++) {
        w.first[g] = used;
        w.count[g] = group_runs(job, g, false, w.runs + used, w.at + used);
        used += w.count[g];
        if ((w.ctx[g] = offbkg_ctx_new_child(ctx)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    if (st == OFFBKG_OK)
        offbkg_parallel_for(n_groups, job->opts->threads, read_sum, &w);
    for (size_t g = 0; st == OFFBKG_OK && g < n_groups; g++)
        st = take_sum(ctx, job, &w, g, group_contrib, contrib);
    free_sums_load(job, &w);
    free(contrib);
    return st;
}

/* Keeping the groups' sums (doc/store.md §8): the groups that merged more
 * runs than the sum they were loaded from, and the views of their
 * contributions, are taken on the calling thread (a plugin is called by
 * one thread at a time); the files are written on a thread of their own
 * while the cubes are made, and the contributions viewed are kept until
 * it is done. */
typedef struct sums_save {
    const make_job_t *job;
    size_t n_save;
    size_t *group;                  /* n_save: the groups saved */
    offbkg_store_sum_run_t *runs;   /* saved group i's from first[i] */
    size_t *first, *n_runs;         /* n_save */
    offbkg_contrib_data_t *views;   /* n_save x n_models */
    offbkg_ctx_t **ctx;             /* n_save: each its own message */
    int *st;                        /* n_save */
    bool *viewed;                   /* per group: not freed before the end */
    pthread_t tid;
    bool started;                   /* tid is writing */
} sums_save_t;

static void *write_sums(void *arg)
{
    sums_save_t *w = arg;
    const make_job_t *job = w->job;

    for (size_t i = 0; i < w->n_save; i++)
        w->st[i] = offbkg_model_store_sums_write(
            w->ctx[i], job->ms, w->n_runs[i], w->runs + w->first[i],
            w->views + i * job->n_models);
    return NULL;
}

/* Whether group @p g is to be saved: its merged runs in run order into
 * @p runs, @p at, and how many in *n_runs. */
static bool sum_to_save(const make_job_t *job, size_t g,
                        offbkg_store_sum_run_t *runs, size_t *at,
                        size_t *n_runs)
{
    size_t n_merged = 0;

    *n_runs = group_runs(job, g, true, runs, at);
    for (size_t i = 0; i < job->out->n_runs; i++)
        n_merged += job->merged[i] && (size_t)job->group_id[i] == g;
    /* Nothing new, or a run merged without a key (then its events were
     * read, and their identity is not known). */
    return *n_runs != job->n_cached[g] && *n_runs == n_merged;
}

/* Take the groups to save and their views into @p w, and start writing
 * them: on a thread of their own when the step has more than one. */
static int sums_start(offbkg_ctx_t *ctx, const make_job_t *job,
                      void ***group_contrib, sums_save_t *w)
{
    size_t n = job->out->n_runs, n_groups = job->out->n_groups;
    size_t *at = malloc((n + 1) * sizeof *at);
    void **contrib = calloc(job->n_models + 1, sizeof *contrib);
    int st = OFFBKG_OK;

    *w = (sums_save_t){
        .job = job,
        .group = calloc(n_groups + 1, sizeof *w->group),
        .runs = malloc((n + 1) * sizeof *w->runs),
        .first = calloc(n_groups + 1, sizeof *w->first),
        .n_runs = calloc(n_groups + 1, sizeof *w->n_runs),
        .views = calloc(n_groups * job->n_models + 1, sizeof *w->views),
        .ctx = calloc(n_groups + 1, sizeof *w->ctx),
        .st = calloc(n_groups + 1, sizeof *w->st),
        .viewed = calloc(n_groups + 1, sizeof *w->viewed),
    };
    if (at == NULL || contrib == NULL || w->group == NULL || w->runs == NULL
        || w->first == NULL || w->n_runs == NULL || w->views == NULL
        || w->ctx == NULL || w->st == NULL || w->viewed == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t g = 0, used = 0; st == OFFBKG_OK && g < n_groups; g++) {
        size_t i = w->n_save;
        if (!sum_to_save(job, g, w->runs + used, at, &w->n_runs[i]))
            continue;
        for (size_t m = 0; m < job->n_models; m++)
            contrib[m] = group_contrib[m][g];
        st = offbkg_model_store_sums_view(ctx, job->ms, job->models, contrib,
                                          w->views + i * job->n_models);
        if (st == OFFBKG_OK && (w->ctx[i] = offbkg_ctx_new_child(ctx)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        w->group[i] = g;
        w->first[i] = used;
        w->viewed[g] = true;
        used += w->n_runs[i];
        w->n_save++;
    }
    free(at);
    free(contrib);
    if (st != OFFBKG_OK)
        return st;
    if (job->opts->threads > 1 && w->n_save > 0)
        w->started = pthread_create(&w->tid, NULL, write_sums, w) == 0;
    if (!w->started)
        write_sums(w);
    return OFFBKG_OK;
}

/* Wait for the sums' files; a sum not kept is said at info level (the
 * models are right, the next step reads the runs again). Frees @p w. */
static int sums_end(offbkg_ctx_t *ctx, sums_save_t *w)
{
    int st = OFFBKG_OK;

    if (w->started)
        pthread_join(w->tid, NULL);
    for (size_t i = 0; i < w->n_save; i++) {
        if (st == OFFBKG_OK
            && (w->st[i] == OFFBKG_ENOMEM || w->st[i] == OFFBKG_ECANCELLED))
            st = offbkg_error_set(ctx, w->st[i], "%s",
                                  offbkg_error_msg(w->ctx[i]));
        else if (w->st[i] != OFFBKG_OK)
            OFFBKG_INFO(ctx, "group %zu: its sum not put in the store: %s",
                        w->group[i], offbkg_error_msg(w->ctx[i]));
    }
    for (size_t i = 0; w->ctx != NULL && i < w->n_save; i++)
        offbkg_ctx_free(w->ctx[i]);
    free(w->group);
    free(w->runs);
    free(w->first);
    free(w->n_runs);
    free(w->views);
    free(w->ctx);
    free(w->st);
    free(w->viewed);
    memset(w, 0, sizeof *w);
    return st;
}

/* Where a run's events are: the file (its device and inode when it can be
 * stat()ed, so two spellings of one path are one file) and the HDU. */
typedef struct events_at {
    dev_t dev;
    ino_t ino;
    char *path;         /* NULL: no events row (the reader says why) */
    char *hdu;
    size_t run;
} events_at_t;

static int cmp_events_at(const void *a, const void *b)
{
    const events_at_t *x = a, *y = b;
    int c;

    if ((x->path == NULL) != (y->path == NULL))
        return x->path == NULL ? -1 : 1;
    if (x->path == NULL)
        return (x->run > y->run) - (x->run < y->run);
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    if (x->ino == 0 && (c = strcmp(x->path, y->path)) != 0)
        return c;
    if ((c = strcasecmp(x->hdu, y->hdu)) != 0)
        return c;
    return (x->run > y->run) - (x->run < y->run);
}

static bool same_events(const events_at_t *x, const events_at_t *y)
{
    return x->path != NULL && y->path != NULL && x->dev == y->dev
           && x->ino == y->ino
           && (x->ino != 0 || strcmp(x->path, y->path) == 0)
           && strcasecmp(x->hdu, y->hdu) == 0;
}

/* Mark skipped each run whose hdu-index rows name the events of an
 * earlier run (the same HDU of the same file): binned twice, they would
 * count twice. */
static int skip_shared_events(offbkg_ctx_t *ctx,
                              const offbkg_datastore_t *store,
                              offbkg_model_t *out, const size_t *store_rows)
{
    size_t n = out->n_runs, n_rows;
    events_at_t *at = calloc(n > 0 ? n : 1, sizeof *at);
    int st = OFFBKG_OK;

    if (at == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t row;
        at[i].run = i;
        if (offbkg_datastore_locate_row(ctx, store,
                                        offbkg_datastore_obs_id(
                                            store, store_rows[i]),
                                        "events", &row, &n_rows)
            != OFFBKG_OK)
            continue;
        at[i].path = offbkg_datastore_hdu_path(store, row);
        at[i].hdu = strdup(offbkg_datastore_hdu_name(store, row));
        if (at[i].path == NULL || at[i].hdu == NULL) {
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            break;
        }
        offbkg_file_id_t id = offbkg_datastore_file_id(store, row,
                                                       at[i].path);
        if (id.err == 0) {
            at[i].dev = id.dev;
            at[i].ino = id.ino;
        }
    }
    if (st == OFFBKG_OK) {
        offbkg_error_clear(ctx);        /* the reader says why, later */
        qsort(at, n, sizeof *at, cmp_events_at);
    }
    /* Equal keys come together, the earliest run first: it keeps them. */
    for (size_t k = 1, first = 0; st == OFFBKG_OK && k < n; k++) {
        if (!same_events(&at[first], &at[k])) {
            first = k;
            continue;
        }
        char why[1024];
        offbkg_run_report_t *rep = &out->runs[at[k].run];
        snprintf(why, sizeof why, "its events (%s, HDU %s) are those of "
                 "OBS_ID %" PRId64 ": they would be counted twice",
                 at[k].path, at[k].hdu, out->runs[at[first].run].obs_id);
        if ((rep->skipped = strdup(why)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        free(at[i].path);
        free(at[i].hdu);
    }
    free(at);
    return st;
}

/* Models of no run are no success: every run skipped (or none given)
 * is an error, naming the first run's reason. */
static int no_run_used(offbkg_ctx_t *ctx, const offbkg_model_t *out)
{
    const offbkg_run_report_t *first = out->n_runs ? &out->runs[0] : NULL;

    for (size_t g = 0; g < out->n_groups; g++)
        if (out->runs_used[g] > 0)
            return OFFBKG_OK;
    if (first == NULL)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "no run in any group: "
                                "no model to make");
    return offbkg_error_set(ctx, OFFBKG_EDATA, "made models from none of "
                            "the %zu runs: every one was skipped (OBS_ID "
                            "%" PRId64 ": %s%s)", out->n_runs, first->obs_id,
                            first->skipped ? first->skipped : "skipped",
                            out->n_runs > 1 ? "; the others in the warnings"
                                            : "");
}

/* --from-store: the runs the store lacks, in one message (the first few
 * with their reasons). */
static int missing_runs(offbkg_ctx_t *ctx, const offbkg_model_t *out,
                        size_t n_missing, const char *dir)
{
    char list[2048];
    size_t len = 0, shown = 0;

    list[0] = '\0';
    for (size_t i = 0; i < out->n_runs && shown < 5; i++) {
        const offbkg_run_report_t *r = &out->runs[i];
        if (r->from_store || r->skipped != NULL || r->store_why == NULL)
            continue;
        int k = snprintf(list + len, sizeof list - len, "%sOBS_ID %" PRId64
                         " (%s)", shown ? "; " : "", r->obs_id, r->store_why);
        if (k < 0 || (size_t)k >= sizeof list - len)
            break;
        len += (size_t)k;
        shown++;
    }
    return offbkg_error_set(ctx, OFFBKG_EDATA, "%zu of the %zu runs are not "
                            "in the store %s, and no event file is to be "
                            "read ([store] fill = never, --from-store): %s%s;"
                            " fill them with offbkg fill", n_missing,
                            out->n_runs, dir, list,
                            n_missing > shown ? "; ..." : "");
}

static int prepare_out(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       size_t n_groups, size_t n, bool keep_runs,
                       offbkg_model_t *out)
{
    memset(out, 0, sizeof *out);
    out->n_groups = n_groups;
    out->n_runs = n;
    out->n_models = rc->n_models;
    out->runs = calloc(n > 0 ? n : 1, sizeof *out->runs);
    out->runs_used = calloc(n_groups > 0 ? n_groups : 1, sizeof(size_t));
    out->models = calloc(rc->n_models, sizeof *out->models);
    if (out->runs == NULL || out->runs_used == NULL || out->models == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (keep_runs
        && ((out->kept = calloc(n > 0 ? n * rc->n_models : 1,
                                sizeof *out->kept)) == NULL
            || (out->n_counts = calloc(rc->n_models + 1, sizeof(size_t)))
                   == NULL
            || (out->n_exposure = calloc(rc->n_models + 1, sizeof(size_t)))
                   == NULL
            || (out->instances = calloc(rc->n_models + 1,
                                        sizeof *out->instances)) == NULL
            || (out->group_sums = calloc(rc->n_models * n_groups + 1,
                                         sizeof *out->group_sums)) == NULL))
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t m = 0; m < rc->n_models; m++) {
        out->models[m].conf = &rc->models[m];
        out->models[m].cubes = calloc(n_groups > 0 ? n_groups : 1,
                                      sizeof(offbkg_cube_t *));
        out->models[m].no_model = calloc(n_groups > 0 ? n_groups : 1,
                                         sizeof(char *));
        if (out->models[m].cubes == NULL || out->models[m].no_model == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    return OFFBKG_OK;
}

/* keep_runs: the sizes of each model's contributions (those of an empty
 * one), which every kept run has. */
static int keep_sizes(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      offbkg_instance_t *const *models, size_t n_models,
                      offbkg_model_t *out)
{
    for (size_t m = 0; m < n_models; m++) {
        const offbkg_instance_t *inst = models[m];
        offbkg_contrib_data_t d = { .struct_size = sizeof d };
        void *c = NULL;
        int st = ops_of(inst)->contrib_new(inst->state, &c);
        if (st == OFFBKG_OK)
            st = ops_of(inst)->contrib_view(inst->state, c, &d);
        if (c != NULL)
            ops_of(inst)->contrib_free(inst->state, c);
        if (st != OFFBKG_OK)
            return offbkg_instance_failed(ctx, rc, inst->conf, st);
        out->n_counts[m] = d.n_counts;
        out->n_exposure[m] = d.n_exposure;
    }
    return OFFBKG_OK;
}

int offbkg_model_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store,
                     const offbkg_regions_t *regions, size_t n_groups,
                     const size_t *store_rows, const int64_t *group_id,
                    size_t n, const offbkg_model_opts_t *opts,
                     offbkg_model_t *out)
{
    make_job_t job = { rc, store, regions, NULL, rc->n_models, store_rows,
                       group_id, out, opts, NULL, NULL, NULL, NULL, NULL,
                       NULL, NULL, false };
    offbkg_model_store_t ms = { 0 };
    size_t threads = opts->threads;
    size_t n_workers = threads < 1 ? 1 : threads > n && n > 0 ? n : threads;
    worker_t *workers = calloc(n_workers, sizeof *workers);
    void ***group_contrib = calloc(rc->n_models, sizeof *group_contrib);
    pool_t pool = { .n_slots = n_workers > 1 ? 2 * n_workers : 1, .n = n,
                    .ctx = ctx, .group_contrib = group_contrib };
    bool keep = opts->keep_runs && !opts->fill_only;
    int st = prepare_out(ctx, rc, n_groups, n, keep, out);

    pool.slots = calloc(pool.n_slots, sizeof *pool.slots);
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.slot_freed, NULL);
    job.models = calloc(rc->n_models, sizeof *job.models);
    if (st == OFFBKG_OK
        && (workers == NULL || group_contrib == NULL || job.models == NULL
            || pool.slots == NULL))
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t m = 0; st == OFFBKG_OK && m < rc->n_models; m++) {
        st = offbkg_instance_new(ctx, rc, &rc->models[m], &job.models[m]);
        group_contrib[m] = calloc(n_groups > 0 ? n_groups : 1, sizeof(void *));
        if (st == OFFBKG_OK && group_contrib[m] == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    out->store = store;
    out->fov_deg = NAN;             /* offbkg_target_check's, if it runs */
    if (st == OFFBKG_OK && keep)
        st = keep_sizes(ctx, rc, job.models, rc->n_models, out);
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++) {
        out->runs[i].obs_id = offbkg_datastore_obs_id(store, store_rows[i]);
        out->runs[i].group_id = (int32_t)group_id[i];
        /* Known now for the runs the store gives: the obs-index's. */
        out->runs[i].target = offbkg_target_of_row(store, store_rows[i], NULL,
                                                   regions);
        out->runs[i].ra_pnt_deg = obs_value(store, "RA_PNT", store_rows[i]);
        out->runs[i].dec_pnt_deg = obs_value(store, "DEC_PNT",
                                             store_rows[i]);
        if (group_id[i] < 0 || (size_t)group_id[i] >= n_groups)
            st = offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                  " has group %" PRId64 " of %zu",
                                  out->runs[i].obs_id, group_id[i], n_groups);
    }
    if (st == OFFBKG_OK && opts->store != NULL) {
        st = offbkg_model_store_init(ctx, rc, opts->store, regions,
                                     job.models, rc->n_models, &ms);
        job.ms = &ms;
        job.hold = !opts->keep_runs && !opts->fill_only;
    }
    if (st == OFFBKG_OK)
        st = skip_shared_events(ctx, store, out, store_rows);
    if (st == OFFBKG_OK && job.ms != NULL)
        st = take_keys(ctx, &job);
    /* Group sums hold no run's own contribution: not with keep_runs. */
    if (st == OFFBKG_OK && job.ms != NULL && !opts->keep_runs
        && !opts->fill_only)
        st = load_sums(ctx, &job, group_contrib);
    for (size_t k = 0; st == OFFBKG_OK && k < n_workers; k++)
        st = worker_init(ctx, &job, &pool, &workers[k]);
    for (size_t k = 0; st == OFFBKG_OK && k < pool.n_slots; k++)
        st = slot_init(ctx, &job, &pool.slots[k]);
    if (st == OFFBKG_OK) {
        run_all(workers, n_workers);
        st = pool.st;
    }
    if (st == OFFBKG_OK && pool.n_missing > 0)
        st = missing_runs(ctx, out, pool.n_missing, offbkg_store_dir(opts->store));
    /* The workers' buffers and the slots go before the cubes are made,
     * so that the cubes can take the memory they held: fresh pages cost
     * a fault each (and in a VM that adds up). */
    for (size_t k = 0; workers != NULL && k < n_workers; k++)
        if (workers[k].job != NULL)
            worker_free(&workers[k]);
    for (size_t k = 0; pool.slots != NULL && k < pool.n_slots; k++)
        slot_free(&job, &pool.slots[k]);
    free(pool.slots);
    pthread_mutex_destroy(&pool.mu);
    pthread_cond_destroy(&pool.slot_freed);
    if (st == OFFBKG_OK && !opts->fill_only)
        st = no_run_used(ctx, out);
    sums_save_t saving = { 0 };
    if (st == OFFBKG_OK && job.merged != NULL)
        st = sums_start(ctx, &job, group_contrib, &saving);
    if (st == OFFBKG_OK && !opts->fill_only)
        st = finish_all(ctx, &job, group_contrib, saving.viewed);
    if (job.merged != NULL) {
        int st_sums = sums_end(ctx, &saving);
        if (st == OFFBKG_OK)
            st = st_sums;
    }
    /* The names of the entries and sums written (doc/store.md §5). */
    if (st == OFFBKG_OK && job.ms != NULL)
        st = offbkg_store_sync(ctx, opts->store);
    if (st == OFFBKG_OK && !opts->fill_only)
        offbkg_target_check(ctx, rc->exclude, regions, out);
    free_keys(&job);
    offbkg_model_store_clear(&ms);

    for (size_t m = 0; group_contrib != NULL && m < rc->n_models; m++) {
        for (size_t g = 0; group_contrib[m] != NULL && g < n_groups; g++)
            if (group_contrib[m][g] != NULL)
                ops_of(job.models[m])->contrib_free(job.models[m]->state,
                                                    group_contrib[m][g]);
        free(group_contrib[m]);
    }
    /* Kept runs are made into cubes later: their models stay. */
    for (size_t m = 0; job.models != NULL && m < rc->n_models; m++)
        if (st == OFFBKG_OK && keep)
            out->instances[m] = job.models[m];
        else
            offbkg_instance_free(job.models[m]);
    free(job.models);
    free(group_contrib);
    free(workers);
    if (st != OFFBKG_OK)
        offbkg_model_clear(out);
    return st;
}

void offbkg_model_clear(offbkg_model_t *m)
{
    for (size_t i = 0; m->runs != NULL && i < m->n_runs; i++) {
        free(m->runs[i].skipped);
        free(m->runs[i].store_why);
        free(m->runs[i].store_error);
    }
    for (size_t k = 0; m->models != NULL && k < m->n_models; k++) {
        for (size_t g = 0; g < m->n_groups; g++) {
            if (m->models[k].cubes != NULL)
                offbkg_cube_free(m->models[k].cubes[g]);
            if (m->models[k].smoothed != NULL)
                offbkg_cube_free(m->models[k].smoothed[g]);
            if (m->models[k].no_model != NULL)
                free(m->models[k].no_model[g]);
        }
        free(m->models[k].cubes);
        free(m->models[k].no_model);
        free(m->models[k].smoothed);
    }
    for (size_t i = 0; m->kept != NULL && i < m->n_runs * m->n_models; i++)
        offbkg_model_keep_free(&m->kept[i]);
    for (size_t k = 0; m->instances != NULL && k < m->n_models; k++)
        offbkg_instance_free(m->instances[k]);
    for (size_t i = 0; m->group_sums != NULL
                       && i < m->n_models * m->n_groups; i++)
        free(m->group_sums[i]);
    free(m->group_sums);
    free(m->outliers.runs);
    free(m->kept);
    free(m->n_counts);
    free(m->n_exposure);
    free(m->instances);
    free(m->runs);
    free(m->runs_used);
    free(m->models);
    memset(m, 0, sizeof *m);
}
