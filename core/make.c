/* SPDX-License-Identifier: BSD-3-Clause
 * The model stage (DESIGN.md "Data flow": fill, merge, finish). Runs are
 * taken in batches of one per worker; each worker reads its run's events
 * once and fills a run contribution for every model; the main thread then
 * merges the batch in run order. Merging in a fixed order is what makes
 * the result independent of the thread count. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "events-private.h"
#include "host-private.h"
#include "make-private.h"

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
    offbkg_make_t *out;
} make_job_t;

typedef struct worker {
    const make_job_t *job;
    offbkg_ctx_t *ctx;
    offbkg_events_t ev;
    offbkg_region_t *near;
    void **contrib;                 /* one run contribution per model */
    size_t run;                     /* index of the run to do */
    bool failed;                    /* the run is skipped */
} worker_t;

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

/* Mark the worker's run skipped, with @p why for the report. */
static void skip(worker_t *w, offbkg_run_report_t *rep, const char *why)
{
    w->failed = true;
    rep->skipped = strdup(why);
}

/* Fill one run into the worker's contributions, or say why not. */
static void process_run(worker_t *w)
{
    const make_job_t *job = w->job;
    const offbkg_datastore_t *store = job->store;
    offbkg_run_report_t *rep = &job->out->runs[w->run];
    size_t row = job->store_rows[w->run];
    const offbkg_run_header_t *h = &w->ev.header;
    offbkg_run_t run = { .struct_size = sizeof run };

    w->failed = false;
    rep->ontime_s = obs_value(store, "ONTIME", row);
    rep->livetime_s = obs_value(store, "LIVETIME", row);
    if (!(rep->ontime_s > 0) || !isfinite(rep->ontime_s)
        || !(rep->livetime_s > 0) || !isfinite(rep->livetime_s)) {
        skip(w, rep, "ONTIME or LIVETIME is missing, zero or "
                              "negative");
        return;
    }
    if (offbkg_events_read(w->ctx, store, rep->obs_id, &w->ev) != OFFBKG_OK) {
        skip(w, rep, offbkg_error_msg(w->ctx));
        return;
    }
    rep->n_rows = w->ev.n_rows;
    rep->n_events = w->ev.n;
    rep->n_nonfinite = w->ev.n_nonfinite;
    rep->n_bad_energy = w->ev.n_bad_energy;

    /* The EVENTS header's float64 pointing first (DOMAIN.md §1.6). */
    run.obs_id = rep->obs_id;
    run.group_id = (int32_t)job->group_id[w->run];
    run.ra_pnt_deg = isfinite(h->ra_pnt_deg) ? h->ra_pnt_deg
                                             : obs_value(store, "RA_PNT", row);
    run.dec_pnt_deg = isfinite(h->dec_pnt_deg)
                          ? h->dec_pnt_deg
                          : obs_value(store, "DEC_PNT", row);
    if (!isfinite(run.ra_pnt_deg) || !isfinite(run.dec_pnt_deg)) {
        skip(w, rep, "no pointing (RA_PNT, DEC_PNT)");
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
    run.n_regions = offbkg_regions_near(job->regions, run.ra_pnt_deg,
                                       run.dec_pnt_deg, REGION_REACH_DEG,
                                       w->near);
    run.regions = w->near;
    rep->n_regions = run.n_regions;

    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        ops_of(inst)->contrib_reset(inst->state, w->contrib[m]);
        int st = ops_of(inst)->fill(inst->state, &run, w->contrib[m]);
        if (st != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            char detail[1024];
            snprintf(detail, sizeof detail, "[%s] %s", inst->conf->section,
                     why[0] != '\0' ? why : offbkg_strerror(st));
            skip(w, rep, detail);
            return;
        }
    }
}

static void *worker_main(void *arg)
{
    process_run(arg);
    return NULL;
}

static void worker_free(const make_job_t *job, worker_t *w)
{
    for (size_t m = 0; w->contrib != NULL && m < job->n_models; m++)
        if (w->contrib[m] != NULL)
            ops_of(job->models[m])->contrib_free(job->models[m]->state,
                                                 w->contrib[m]);
    free(w->contrib);
    free(w->near);
    offbkg_events_free(&w->ev);
    offbkg_ctx_free(w->ctx);
}

static int worker_init(offbkg_ctx_t *ctx, const make_job_t *job, worker_t *w)
{
    memset(w, 0, sizeof *w);
    w->job = job;
    w->ctx = offbkg_ctx_new_child(ctx);
    w->near = malloc((job->regions->n > 0 ? job->regions->n : 1)
                     * sizeof *w->near);
    w->contrib = calloc(job->n_models, sizeof *w->contrib);
    if (w->ctx == NULL || w->near == NULL || w->contrib == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        if (ops_of(inst)->contrib_new(inst->state, &w->contrib[m])
            != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            return offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s] %s",
                                    inst->conf->section,
                                    why[0] ? why : "contrib_new failed");
        }
    }
    return OFFBKG_OK;
}

/* Add worker @p w's run into its group's contributions. */
static int merge_run(offbkg_ctx_t *ctx, const make_job_t *job,
                     void ***group_contrib, const worker_t *w)
{
    size_t g = (size_t)job->group_id[w->run];

    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        void **into = &group_contrib[m][g];
        int st = OFFBKG_OK;
        if (*into == NULL)
            st = ops_of(inst)->contrib_new(inst->state, into);
        if (st == OFFBKG_OK)
            st = ops_of(inst)->merge(inst->state, *into, w->contrib[m]);
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

static int run_batches(offbkg_ctx_t *ctx, const make_job_t *job,
                       worker_t *workers, size_t n_workers, size_t n,
                       void ***group_contrib, bool strict)
{
    size_t events = 0;

    for (size_t start = 0; start < n; start += n_workers) {
        size_t batch = n - start < n_workers ? n - start : n_workers;
        pthread_t tid[batch];
        size_t started = 0;

        if (offbkg_ctx_cancelled(ctx))
            return offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
        for (size_t k = 0; k < batch; k++)
            workers[k].run = start + k;
        if (batch == 1) {
            process_run(&workers[0]);
        } else {
            for (; started < batch; started++)
                if (pthread_create(&tid[started], NULL, worker_main,
                                   &workers[started]) != 0)
                    break;
            /* Whatever could not start runs here, in this thread. */
            for (size_t k = started; k < batch; k++)
                process_run(&workers[k]);
            for (size_t k = 0; k < started; k++)
                pthread_join(tid[k], NULL);
        }
        for (size_t k = 0; k < batch; k++) {
            offbkg_run_report_t *rep = &job->out->runs[workers[k].run];
            events += rep->n_rows;
            const char *why = rep->skipped ? rep->skipped : "out of memory";
            if (!workers[k].failed) {
                int st = merge_run(ctx, job, group_contrib, &workers[k]);
                if (st != OFFBKG_OK)
                    return st;
                continue;
            }
            if (strict)
                return offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %" PRId64
                                        ": %s (--strict)", rep->obs_id, why);
            OFFBKG_WARN(ctx, "OBS_ID %" PRId64 " skipped: %s", rep->obs_id,
                        why);
        }
        offbkg_progress(ctx, start + batch, n, events);
    }
    return OFFBKG_OK;
}

/* Finish every group's contribution of every model into a cube. */
static int finish_all(offbkg_ctx_t *ctx, const make_job_t *job,
                      void ***group_contrib)
{
    offbkg_make_t *out = job->out;

    for (size_t m = 0; m < job->n_models; m++) {
        const offbkg_instance_t *inst = job->models[m];
        offbkg_model_result_t *res = &out->models[m];
        for (size_t g = 0; g < out->n_groups; g++) {
            const char *why;
            if (group_contrib[m][g] == NULL) {
                res->no_model[g] = strdup("no runs in this group");
            } else if (ops_of(inst)->finish(inst->state, group_contrib[m][g],
                                            &res->cubes[g]) != OFFBKG_OK) {
                res->cubes[g] = NULL;
                why = offbkg_host_last_error();
                res->no_model[g] = strdup(why[0] ? why : "finish failed");
            }
            if (res->cubes[g] == NULL && res->no_model[g] == NULL)
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        }
    }
    return OFFBKG_OK;
}

static int prepare_out(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       size_t n_groups, size_t n, offbkg_make_t *out)
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

int offbkg_make_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                    const offbkg_datastore_t *store,
                    const offbkg_regions_t *regions, size_t n_groups,
                    const size_t *store_rows, const int64_t *group_id,
                    size_t n, size_t threads, bool strict,
                    offbkg_make_t *out)
{
    make_job_t job = { rc, store, regions, NULL, rc->n_models, store_rows,
                       group_id, out };
    size_t n_workers = threads < 1 ? 1 : threads > n && n > 0 ? n : threads;
    worker_t *workers = calloc(n_workers, sizeof *workers);
    void ***group_contrib = calloc(rc->n_models, sizeof *group_contrib);
    int st = prepare_out(ctx, rc, n_groups, n, out);

    job.models = calloc(rc->n_models, sizeof *job.models);
    if (st == OFFBKG_OK
        && (workers == NULL || group_contrib == NULL || job.models == NULL))
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t m = 0; st == OFFBKG_OK && m < rc->n_models; m++) {
        st = offbkg_instance_new(ctx, rc, &rc->models[m], &job.models[m]);
        group_contrib[m] = calloc(n_groups > 0 ? n_groups : 1, sizeof(void *));
        if (st == OFFBKG_OK && group_contrib[m] == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++) {
        out->runs[i].obs_id = offbkg_datastore_obs_id(store, store_rows[i]);
        out->runs[i].group_id = (int32_t)group_id[i];
        if (group_id[i] < 0 || (size_t)group_id[i] >= n_groups)
            st = offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                  " has group %" PRId64 " of %zu",
                                  out->runs[i].obs_id, group_id[i], n_groups);
    }
    size_t ready = 0;
    for (; st == OFFBKG_OK && ready < n_workers; ready++)
        st = worker_init(ctx, &job, &workers[ready]);
    if (st == OFFBKG_OK)
        st = run_batches(ctx, &job, workers, n_workers, n, group_contrib,
                         strict);
    if (st == OFFBKG_OK)
        st = finish_all(ctx, &job, group_contrib);

    for (size_t k = 0; workers != NULL && k < n_workers; k++)
        if (workers[k].job != NULL)
            worker_free(&job, &workers[k]);
    for (size_t m = 0; group_contrib != NULL && m < rc->n_models; m++) {
        for (size_t g = 0; group_contrib[m] != NULL && g < n_groups; g++)
            if (group_contrib[m][g] != NULL)
                ops_of(job.models[m])->contrib_free(job.models[m]->state,
                                                    group_contrib[m][g]);
        free(group_contrib[m]);
    }
    for (size_t m = 0; job.models != NULL && m < rc->n_models; m++)
        offbkg_instance_free(job.models[m]);
    free(job.models);
    free(group_contrib);
    free(workers);
    if (st != OFFBKG_OK)
        offbkg_make_clear(out);
    return st;
}

void offbkg_make_clear(offbkg_make_t *m)
{
    for (size_t i = 0; m->runs != NULL && i < m->n_runs; i++)
        free(m->runs[i].skipped);
    for (size_t k = 0; m->models != NULL && k < m->n_models; k++) {
        for (size_t g = 0; g < m->n_groups; g++) {
            if (m->models[k].cubes != NULL)
                offbkg_cube_free(m->models[k].cubes[g]);
            if (m->models[k].no_model != NULL)
                free(m->models[k].no_model[g]);
        }
        free(m->models[k].cubes);
        free(m->models[k].no_model);
    }
    free(m->runs);
    free(m->runs_used);
    free(m->models);
    memset(m, 0, sizeof *m);
}
