/* SPDX-License-Identifier: BSD-3-Clause
 * Model files of a make step. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bkg_io-private.h"
#include "host-private.h"
#include "make_write-private.h"
#include "output-private.h"
#include "parallel-private.h"

/* Whether another [model] section makes the same kind of model as @p m,
 * going by the plugin name (2d, 3d); then the label tells them apart. */
static bool needs_prefix(const offbkg_runconf_t *rc, size_t m)
{
    for (size_t k = 0; k < rc->n_models; k++)
        if (k != m && strcmp(rc->models[k].module->name,
                             rc->models[m].module->name) == 0)
            return true;
    return false;
}

char *offbkg_model_path(const offbkg_runconf_t *rc, size_t m, int dims,
                        size_t g, bool smooth, const char *dir)
{
    char *name = offbkg_bkg_filename(dims, (int)g, smooth);
    const char *label = needs_prefix(rc, m) ? rc->models[m].label : "";
    size_t n;
    char *path;

    if (name == NULL)
        return NULL;
    n = strlen(dir) + strlen(label) + strlen(name) + 3;
    path = malloc(n);
    if (path != NULL)
        snprintf(path, n, "%s/%s%s%s", dir, label, label[0] ? "_" : "",
                 name);
    free(name);
    return path;
}

int offbkg_models_check(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        size_t n_groups, const char *dir, bool overwrite)
{
    for (size_t m = 0; m < rc->n_models; m++)
        for (size_t g = 0; g < n_groups; g++)
            for (int k = 0; k < 4; k++) {
                int dims = 2 + k % 2;
                bool smooth = k >= 2;
                if (smooth && rc->smooths[m].module == NULL)
                    continue;
                char *p = offbkg_model_path(rc, m, dims, g, smooth, dir);
                int st = p == NULL ? offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                                      "out of memory")
                                   : offbkg_output_check(ctx, p, overwrite);
                free(p);
                if (st != OFFBKG_OK)
                    return st;
            }
    return OFFBKG_OK;
}

/* Total time of the runs of group @p g in the cube's time base. */
static double group_time_s(const offbkg_make_t *make, size_t g,
                           const char *time_base)
{
    bool live = strcmp(time_base, "LIVETIME") == 0;
    double sum = 0;
    for (size_t i = 0; i < make->n_runs; i++) {
        const offbkg_run_report_t *r = &make->runs[i];
        if (r->skipped == NULL && (size_t)r->group_id == g)
            sum += live ? r->livetime_s : r->ontime_s;
    }
    return sum;
}

static int add_path(offbkg_ctx_t *ctx, char ***paths, size_t *n, char *p)
{
    char **bigger = realloc(*paths, (*n + 1) * sizeof *bigger);
    if (bigger == NULL) {
        free(p);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    *paths = bigger;
    bigger[(*n)++] = p;
    return OFFBKG_OK;
}

/* Write @p cube of model @p m, group @p g (smoothed by @p smoother when
 * not NULL); *path is the file written. */
static int write_one(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_make_t *make, size_t m, size_t g,
                     const offbkg_cube_t *cube, const char *smoother,
                     const char *dir, bool overwrite, char **path)
{
    const offbkg_model_result_t *res = &make->models[m];
    char creator[160];
    snprintf(creator, sizeof creator, "offbkg %s, model %s %s",
             PACKAGE_VERSION, res->conf->module->name,
             res->conf->module->desc->version);
    /* The section, so that the index step can tell which [model] made a
     * file when a 2D and a 3D model share the names' pattern. */
    const offbkg_bkg_card_t card = { "SECTION", res->conf->section,
                                     "offbkg [model] section" };
    offbkg_bkg_meta_t meta = {
        .creator = creator,
        .n_cards = 1,
        .cards = &card,
        .group_id = (int)g,
        .n_runs = (long)make->runs_used[g],
        .total_time_s = group_time_s(make, g, cube->time_base),
        .config_file = rc->file,
        .smoother = smoother,
    };
    char *p = offbkg_model_path(rc, m, (int)cube->n_axes, g,
                                smoother != NULL, dir);
    if (p == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    int st = offbkg_bkg_write(ctx, cube, &meta, p, overwrite);
    if (st != OFFBKG_OK) {
        free(p);
        return st;
    }
    *path = p;
    return OFFBKG_OK;
}

/* The smoothed copy of @p cube (the raw cube is kept). */
static int smooth_copy(offbkg_ctx_t *ctx, const offbkg_instance_t *inst,
                       const offbkg_cube_t *cube, size_t g,
                       offbkg_cube_t **out)
{
    offbkg_cube_t *copy = offbkg_cube_copy(cube);
    int st;

    *out = NULL;
    if (copy == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = inst->conf->module->desc->ops.smooth->smooth(inst->state, copy);
    if (st != OFFBKG_OK) {
        const char *why = offbkg_host_last_error();
        offbkg_cube_free(copy);
        return offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                                "[%s] group %zu: %s", inst->conf->section, g,
                                why[0] ? why : offbkg_strerror(st));
    }
    *out = copy;
    return OFFBKG_OK;
}

static bool in_list(char *const *paths, size_t n, const char *p)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], p) == 0)
            return true;
    return false;
}

/* The dimension of model @p m's cubes, or 0 if it made none. */
static int model_dims(const offbkg_make_t *make, size_t m)
{
    for (size_t g = 0; g < make->n_groups; g++)
        if (make->models[m].cubes[g] != NULL)
            return (int)make->models[m].cubes[g]->n_axes;
    return 0;
}

/* overwrite = true replaces the outputs: a group without a model now
 * keeps no older model file under its name, or the index step, which
 * goes by the files on disk, would link it. Files this make wrote (another
 * [model] of the other dimension) are kept. */
static int remove_stale(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_make_t *make, const char *dir,
                        char *const *paths, size_t n_paths)
{
    for (size_t m = 0; m < make->n_models; m++) {
        int known = model_dims(make, m);
        for (size_t g = 0; g < make->n_groups; g++) {
            if (make->models[m].cubes[g] != NULL)
                continue;
            for (int k = 0; k < 4; k++) {
                int dims = 2 + k % 2;
                bool smooth = k >= 2;
                if (known != 0 && dims != known)
                    continue;
                char *p = offbkg_model_path(rc, m, dims, g, smooth, dir);
                if (p == NULL)
                    return offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                            "out of memory");
                if (!in_list(paths, n_paths, p) && access(p, F_OK) == 0) {
                    if (unlink(p) != 0) {
                        int st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: "
                                                  "cannot remove the old "
                                                  "model: %s", p,
                                                  strerror(errno));
                        free(p);
                        return st;
                    }
                    OFFBKG_WARN(ctx, "[%s] group %zu has no model: removed "
                                "the old %s", make->models[m].conf->section,
                                g, p);
                }
                free(p);
            }
        }
    }
    return OFFBKG_OK;
}

/* One group of one model: its file, and its smoothed file. */
typedef struct write_job {
    size_t m, g;
    offbkg_ctx_t *ctx;      /* its own error message */
    int status;
    char *paths[2];         /* raw, smoothed (NULL if none) */
} write_job_t;

typedef struct write_jobs {
    const offbkg_runconf_t *rc;
    const offbkg_make_t *make;
    const char *dir;
    bool overwrite;
    write_job_t *job;
} write_jobs_t;

/* offbkg_parallel_for item: write job @p i. A smoother instance per job,
 * as a plugin's state is not shared between threads. */
static void write_group(void *arg, size_t i)
{
    const write_jobs_t *w = arg;
    write_job_t *job = &w->job[i];
    const offbkg_model_result_t *res = &w->make->models[job->m];
    const offbkg_stage_conf_t *sc = &w->rc->smooths[res->conf
                                                    - w->rc->models];
    const offbkg_cube_t *cube = res->cubes[job->g];
    offbkg_instance_t *smoother = NULL;
    offbkg_cube_t *smoothed = NULL;

    job->status = write_one(job->ctx, w->rc, w->make, job->m, job->g, cube,
                            NULL, w->dir, w->overwrite, &job->paths[0]);
    if (job->status == OFFBKG_OK && sc->module != NULL)
        job->status = offbkg_instance_new(job->ctx, w->rc, sc, &smoother);
    if (job->status == OFFBKG_OK && smoother != NULL)
        job->status = smooth_copy(job->ctx, smoother, cube, job->g,
                                  &smoothed);
    if (job->status == OFFBKG_OK && smoothed != NULL)
        job->status = write_one(job->ctx, w->rc, w->make, job->m, job->g,
                                smoothed, sc->module->name, w->dir,
                                w->overwrite, &job->paths[1]);
    offbkg_cube_free(smoothed);
    offbkg_instance_free(smoother);
}

/* The paths of the jobs in order, or the first job's error. */
static int collect(offbkg_ctx_t *ctx, write_job_t *job, size_t n_jobs,
                   char ***paths, size_t *n_paths)
{
    int st = OFFBKG_OK;

    for (size_t i = 0; i < n_jobs; i++) {
        if (st == OFFBKG_OK && job[i].status != OFFBKG_OK)
            st = offbkg_error_set(ctx, job[i].status, "%s",
                                  offbkg_error_msg(job[i].ctx));
        for (int k = 0; k < 2; k++) {
            if (job[i].paths[k] != NULL && st == OFFBKG_OK)
                st = add_path(ctx, paths, n_paths, job[i].paths[k]);
            else
                free(job[i].paths[k]);
            job[i].paths[k] = NULL;
        }
    }
    return st;
}

int offbkg_models_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_make_t *make, const char *dir,
                        bool overwrite, size_t threads, char ***paths,
                        size_t *n_paths)
{
    size_t n_jobs = 0;
    write_job_t *job = calloc(make->n_models * make->n_groups + 1,
                              sizeof *job);
    int st = OFFBKG_OK;

    for (size_t m = 0; job != NULL && m < make->n_models; m++)
        for (size_t g = 0; g < make->n_groups; g++)
            if (make->models[m].cubes[g] != NULL)
                job[n_jobs++] = (write_job_t){ .m = m, .g = g };
    for (size_t i = 0; job != NULL && i < n_jobs; i++)
        if ((job[i].ctx = offbkg_ctx_new_child(ctx)) == NULL)
            st = OFFBKG_ENOMEM;
    if (job == NULL || st != OFFBKG_OK) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    } else {
        write_jobs_t w = { rc, make, dir, overwrite, job };
        offbkg_parallel_for(n_jobs, threads, write_group, &w);
        st = collect(ctx, job, n_jobs, paths, n_paths);
    }
    for (size_t i = 0; job != NULL && i < n_jobs; i++)
        offbkg_ctx_free(job[i].ctx);
    free(job);
    if (st == OFFBKG_OK && overwrite)
        st = remove_stale(ctx, rc, make, dir, *paths, *n_paths);
    return st;
}
