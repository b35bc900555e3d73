/* SPDX-License-Identifier: BSD-3-Clause
 * The smooth step: smoothed copies of the model cubes. */
#include <config.h>

#include <stdlib.h>

#include "host-private.h"
#include "instance-private.h"
#include "parallel-private.h"
#include "smooth-private.h"

/* One cube to smooth: model m, group g. */
typedef struct smooth_job {
    size_t m, g;
} smooth_job_t;

typedef struct smooth_jobs {
    const offbkg_runconf_t *rc;
    offbkg_model_t *make;
    smooth_job_t *job;
} smooth_jobs_t;

/* offbkg_parallel_try item: smooth a copy of job @p i's cube. */
static int smooth_one(offbkg_ctx_t *ctx, void *arg, size_t i)
{
    const smooth_jobs_t *w = arg;
    smooth_job_t *job = &w->job[i];
    offbkg_model_result_t *res = &w->make->models[job->m];
    const offbkg_stage_conf_t *sc = &w->rc->smooths[res->conf
                                                    - w->rc->models];
    offbkg_instance_t *inst = NULL;
    offbkg_cube_t *copy = offbkg_cube_copy(res->cubes[job->g]);
    int status;

    if (copy == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    status = offbkg_instance_new(ctx, w->rc, sc, &inst);
    if (status == OFFBKG_OK) {
        int st = sc->module->desc->ops.smooth->smooth(inst->state, copy);
        if (st != OFFBKG_OK) {
            const char *why = offbkg_host_last_error();
            status = offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                                      "[%s] group %zu: %s", sc->section,
                                      job->g,
                                      why[0] ? why : offbkg_strerror(st));
        }
    }
    offbkg_instance_free(inst);
    if (status == OFFBKG_OK)
        res->smoothed[job->g] = copy;
    else
        offbkg_cube_free(copy);
    return status;
}

/* Drop the smoothed cubes of an earlier try. */
static void clear_smoothed(offbkg_model_t *make)
{
    for (size_t m = 0; m < make->n_models; m++) {
        offbkg_model_result_t *res = &make->models[m];
        for (size_t g = 0; res->smoothed != NULL && g < make->n_groups; g++)
            offbkg_cube_free(res->smoothed[g]);
        free(res->smoothed);
        res->smoothed = NULL;
    }
}

int offbkg_smooth_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      offbkg_model_t *make, size_t threads)
{
    size_t n_jobs = 0, n_cells = make->n_models * make->n_groups;
    smooth_job_t *job = calloc(n_cells > 0 ? n_cells : 1, sizeof *job);
    int st = job != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;

    clear_smoothed(make);
    for (size_t m = 0; st == OFFBKG_OK && m < make->n_models; m++) {
        offbkg_model_result_t *res = &make->models[m];
        if (rc->smooths[res->conf - rc->models].module == NULL)
            continue;
        res->smoothed = calloc(make->n_groups > 0 ? make->n_groups : 1,
                               sizeof *res->smoothed);
        if (res->smoothed == NULL)
            st = OFFBKG_ENOMEM;
        for (size_t g = 0; st == OFFBKG_OK && g < make->n_groups; g++)
            if (res->cubes[g] != NULL)
                job[n_jobs++] = (smooth_job_t){ .m = m, .g = g };
    }
    if (st != OFFBKG_OK) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    } else {
        smooth_jobs_t w = { rc, make, job };
        st = offbkg_parallel_try(ctx, n_jobs, threads, smooth_one, &w);
    }
    free(job);
    return st;
}
