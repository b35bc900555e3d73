/* SPDX-License-Identifier: BSD-3-Clause
 * Model files of the model and smooth steps. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bkg-private.h"
#include "model_write-private.h"
#include "output-private.h"
#include "parallel-private.h"
#include "provenance-private.h"
#include "group-private.h"
#include "path-private.h"

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

/* @p name in @p dir, with model @p m's label as a prefix when needed. */
static char *prefixed(const offbkg_runconf_t *rc, size_t m, char *name,
                      const char *dir)
{
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

char *offbkg_model_write_path(const offbkg_runconf_t *rc, size_t m, int dims,
                              size_t g, bool smooth, const char *dir)
{
    return prefixed(rc, m, offbkg_bkg_filename(dims, (int)g, smooth), dir);
}

char *offbkg_model_write_obs_path(const offbkg_runconf_t *rc, size_t m,
                                  int dims, int64_t obs_id, bool smooth,
                                  const char *dir)
{
    return prefixed(rc, m, offbkg_bkg_obs_filename(dims, obs_id, smooth),
                    dir);
}

/* OFFBKG_EEXIST if a file of model @p m for group @p id (or observation
 * @p id when @p obs) exists, raw or smoothed, 2D or 3D, and !overwrite. */
static int check_files(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       size_t m, bool obs, int64_t id, const char *dir,
                       bool overwrite)
{
    if (offbkg_ctx_cancelled(ctx))
        return offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
    for (int k = 0; k < 4; k++) {
        int dims = 2 + k % 2;
        bool smooth = k >= 2;
        if (smooth && rc->smooths[m].module == NULL)
            continue;
        char *p = obs ? offbkg_model_write_obs_path(rc, m, dims, id, smooth,
                                                    dir)
                      : offbkg_model_write_path(rc, m, dims, (size_t)id,
                                                smooth, dir);
        int st = p == NULL ? offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                              "out of memory")
                           : offbkg_output_check(ctx, p, overwrite);
        free(p);
        if (st != OFFBKG_OK)
            return st;
    }
    return OFFBKG_OK;
}

int offbkg_model_write_check(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             size_t n_groups, const char *dir, bool overwrite)
{
    int st = OFFBKG_OK;

    for (size_t m = 0; st == OFFBKG_OK && m < rc->n_models; m++)
        for (size_t g = 0; st == OFFBKG_OK && g < n_groups; g++)
            st = check_files(ctx, rc, m, false, (int64_t)g, dir, overwrite);
    return st;
}

int offbkg_model_write_check_obs(offbkg_ctx_t *ctx,
                                 const offbkg_runconf_t *rc,
                                 const offbkg_datastore_t *targets,
                                 const char *dir, bool overwrite)
{
    int st = OFFBKG_OK;

    for (size_t m = 0; st == OFFBKG_OK && m < rc->n_models; m++)
        for (size_t i = 0; st == OFFBKG_OK && i < targets->obs.n_rows; i++) {
            int64_t id = offbkg_datastore_obs_id(targets, i);
            /* A name that cannot be made is said when it is written. */
            if (id >= 0)
                st = check_files(ctx, rc, m, true, id, dir, overwrite);
        }
    return st;
}

/* Total time of the runs of group @p g in the cube's time base. */
static double group_time_s(const offbkg_model_t *make, size_t g,
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

/* Cards per grouping axis: column, then min and max or value. */
#define GROUP_CARDS_PER_AXIS 3

/* Room for the cards that say which ranges a group covers. */
typedef struct range_cards {
    char (*keys)[9];
    offbkg_bkg_card_t *str;     /* GRPCOLk */
    offbkg_bkg_num_card_t *num; /* GRPMINk and GRPMAXk, or GRPVALk */
    size_t n_str, n_num;
} range_cards_t;

/* One axis of a group: @p column, in [lo, hi) (edges) or == lo. */
static void range_axis(range_cards_t *rc, size_t k, const char *column,
                       bool edges, double lo, double hi)
{
    char (*key)[9] = rc->keys + GROUP_CARDS_PER_AXIS * (k - 1);

    snprintf(key[0], 9, "GRPCOL%zu", k);
    rc->str[rc->n_str++] = (offbkg_bkg_card_t){ key[0], column,
                                                "grouping axis column" };
    if (edges) {
        snprintf(key[1], 9, "GRPMIN%zu", k);
        rc->num[rc->n_num++] = (offbkg_bkg_num_card_t){
            key[1], lo, "group: column >= this" };
        snprintf(key[2], 9, "GRPMAX%zu", k);
        rc->num[rc->n_num++] = (offbkg_bkg_num_card_t){
            key[2], hi, "group: column < this" };
    } else {
        snprintf(key[1], 9, "GRPVAL%zu", k);
        rc->num[rc->n_num++] = (offbkg_bkg_num_card_t){
            key[1], lo, "group: column == this" };
    }
}

/* The ranges of group @p g from the grouping of this run. */
static void ranges_of_grouping(const offbkg_grouping_t *gr, size_t g,
                               range_cards_t *rc)
{
    for (size_t k = 0; k < gr->n_axes && k < 99; k++) {
        const offbkg_gaxis_t *a = &gr->axes[k];
        size_t stride = 1;
        for (size_t j = k + 1; j < gr->n_axes; j++)
            stride *= gr->axes[j].n_bins;
        size_t bin = a->n_bins > 0 ? (g / stride) % a->n_bins : 0;
        bool edges = a->kind == OFFBKG_GROUP_AXIS_EDGES;
        range_axis(rc, k + 1, a->column, edges, a->bounds[bin],
                   edges ? a->bounds[bin + 1] : 0);
    }
}

/* The ranges of group @p g from a group-def table (offbkg make): after
 * GROUP_ID, NAME_MIN and NAME_MAX make an edges axis, a lone column a
 * values axis. @p names holds room for the axis names. */
static void ranges_of_table(const offbkg_table_t *def, size_t g,
                            char (*names)[FLEN_VALUE], range_cards_t *rc)
{
    const offbkg_column_t *c = def->cols;
    size_t row = SIZE_MAX, k = 0;

    for (size_t i = 0; i < def->n_cols; i++)
        if (strcmp(c[i].name, "GROUP_ID") == 0)
            for (size_t r = 0; r < def->n_rows; r++)
                if (offbkg_column_get_double(&c[i], r) == (double)g)
                    row = r;
    for (size_t i = 0; row != SIZE_MAX && i < def->n_cols && k < 99; i++) {
        size_t len = strlen(c[i].name);
        if (strcmp(c[i].name, "GROUP_ID") == 0
            || c[i].type == OFFBKG_COL_STRING || len >= FLEN_VALUE)
            continue;
        bool edges = len > 4 && strcmp(c[i].name + len - 4, "_MIN") == 0
                     && i + 1 < def->n_cols
                     && strncmp(c[i + 1].name, c[i].name, len - 4) == 0
                     && strcmp(c[i + 1].name + len - 4, "_MAX") == 0;
        snprintf(names[k], FLEN_VALUE, "%.*s", (int)(edges ? len - 4 : len),
                 c[i].name);
        range_axis(rc, k + 1, names[k], edges,
                   offbkg_column_get_double(&c[i], row),
                   edges ? offbkg_column_get_double(&c[i + 1], row) : 0);
        k++;
        i += edges;
    }
}

/* The OBS_IDs of the runs merged into group @p g (a new array, n of
 * them; NULL with *n = 0 when there are none or out of memory). */
static int64_t *group_obs_ids(const offbkg_model_t *make, size_t g, size_t *n)
{
    int64_t *ids = malloc((make->n_runs > 0 ? make->n_runs : 1)
                          * sizeof *ids);

    *n = 0;
    for (size_t i = 0; ids != NULL && i < make->n_runs; i++)
        if (make->runs[i].skipped == NULL
            && (size_t)make->runs[i].group_id == g)
            ids[(*n)++] = make->runs[i].obs_id;
    return ids;
}

void offbkg_model_write_meta(const offbkg_runconf_t *rc, size_t m,
                             const char *smoother, const char *config_hash,
                             char *creator, size_t creator_size,
                             offbkg_bkg_card_t *section,
                             offbkg_bkg_meta_t *meta)
{
    const offbkg_stage_conf_t *sc = &rc->models[m];

    snprintf(creator, creator_size, "offbkg %s, model %s %s",
             PACKAGE_VERSION, sc->module->name, sc->module->desc->version);
    /* The section, so that the index step can tell which [model] made a
     * file when a 2D and a 3D model share the names' pattern. */
    *section = (offbkg_bkg_card_t){ "SECTION", sc->section,
                                    "offbkg [model] section" };
    /* A model file found alone says what made it: the version (OFFBKGV),
     * the configuration (CONFIG, CONFHASH), the data store. */
    meta->creator = creator;
    meta->config_file = rc->file;
    meta->smoother = smoother;
    meta->datastore = rc->datastore->path;
    meta->config_hash = config_hash;
}

/* Write @p cube of model @p m, group @p g (smoothed by @p smoother when
 * not NULL); *path is the file written. */
static int write_one(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_model_t *make, size_t m, size_t g,
                     const offbkg_cube_t *cube, const char *smoother,
                     const char *dir, bool overwrite,
                     const char *config_hash, const offbkg_table_t *def,
                     char **path)
{
    const offbkg_grouping_t *gr = make->grouping;
    size_t n_axes = gr != NULL ? gr->n_axes : def != NULL ? def->n_cols : 0;
    char creator[160];
    range_cards_t ranges = {
        .keys = calloc(GROUP_CARDS_PER_AXIS * n_axes + 1, sizeof *ranges.keys),
        .str = calloc(n_axes + 2, sizeof *ranges.str),
        .num = calloc(2 * n_axes + 1, sizeof *ranges.num),
    };
    char (*names)[FLEN_VALUE] = calloc(n_axes + 1, sizeof *names);
    size_t n_ids = 0;
    int64_t *ids = group_obs_ids(make, g, &n_ids);
    char *p = offbkg_model_write_path(rc, m, (int)cube->n_axes, g,
                                      smoother != NULL, dir);
    int st = OFFBKG_OK;
    if (ranges.keys == NULL || ranges.str == NULL || ranges.num == NULL
        || names == NULL || ids == NULL || p == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK) {
        offbkg_bkg_meta_t meta = {
            .group_id = (int)g,
            .n_runs = (long)make->runs_used[g],
            .total_time_s = group_time_s(make, g, cube->time_base),
            .obs_ids = ids,
            .n_obs_ids = n_ids,
        };
        offbkg_model_write_meta(rc, m, smoother, config_hash, creator,
                                sizeof creator, &ranges.str[ranges.n_str++],
                                &meta);
        if (gr != NULL)
            ranges_of_grouping(gr, g, &ranges);
        else if (def != NULL)
            ranges_of_table(def, g, names, &ranges);
        /* The group's ranges and its runs (the OBS_IDS HDU). */
        meta.n_cards = ranges.n_str;
        meta.cards = ranges.str;
        meta.n_num_cards = ranges.n_num;
        meta.num_cards = ranges.num;
        st = offbkg_bkg_write(ctx, cube, &meta, p, overwrite);
    }
    free(ranges.keys);
    free(ranges.str);
    free(ranges.num);
    free(names);
    free(ids);
    if (st != OFFBKG_OK) {
        free(p);
        return st;
    }
    *path = p;
    return OFFBKG_OK;
}

/* One group of one model: its file, and its smoothed file. */
typedef struct write_job {
    size_t m, g;
    offbkg_ctx_t *ctx;      /* its own error message */
    int status;
    char *paths[2];         /* raw, smoothed (NULL if none) */
    offbkg_written_file_t files[2];     /* the same, for the index */
} write_job_t;

typedef struct write_jobs {
    const offbkg_runconf_t *rc;
    const offbkg_model_t *make;
    const char *dir;
    bool overwrite;
    write_job_t *job;
    char config_hash[17];
    const offbkg_table_t *def;  /* group-def.fits, when no grouping */
} write_jobs_t;

/* offbkg_parallel_for item: write job @p i, the cube and its smoothed
 * copy (the smooth step made it: core/smooth.c). */
static void write_group(void *arg, size_t i)
{
    const write_jobs_t *w = arg;
    write_job_t *job = &w->job[i];
    const offbkg_model_result_t *res = &w->make->models[job->m];
    const offbkg_stage_conf_t *sc = &w->rc->smooths[res->conf
                                                    - w->rc->models];
    const offbkg_cube_t *smoothed =
        res->smoothed != NULL ? res->smoothed[job->g] : NULL;

    job->status = write_one(job->ctx, w->rc, w->make, job->m, job->g,
                            res->cubes[job->g], NULL, w->dir, w->overwrite,
                            w->config_hash, w->def, &job->paths[0]);
    if (job->status == OFFBKG_OK && smoothed != NULL)
        job->status = write_one(job->ctx, w->rc, w->make, job->m, job->g,
                                smoothed, sc->module->name, w->dir,
                                w->overwrite, w->config_hash, w->def,
                                &job->paths[1]);
    for (int k = 0; k < 2; k++)
        if (job->paths[k] != NULL)
            job->files[k] = (offbkg_written_file_t){
                .m = job->m, .smooth = k == 1, .id = (int64_t)job->g,
                .dims = (int)res->cubes[job->g]->n_axes,
                .size_bytes = offbkg_written_size(job->ctx, job->paths[k]) };
}

/* The paths of the jobs in order (and into @p written, when not NULL,
 * what made them), or the first job's error. */
static int collect(offbkg_ctx_t *ctx, write_job_t *job, size_t n_jobs,
                   char ***paths, size_t *n_paths, offbkg_written_t *written)
{
    int st = OFFBKG_OK;

    for (size_t i = 0; i < n_jobs; i++) {
        if (st == OFFBKG_OK && job[i].status != OFFBKG_OK)
            st = offbkg_error_set(ctx, job[i].status, "%s",
                                  offbkg_error_msg(job[i].ctx));
        for (int k = 0; k < 2; k++) {
            if (job[i].paths[k] != NULL && st == OFFBKG_OK
                && written != NULL)
                st = offbkg_written_add(ctx, written, &job[i].files[k], 1);
            if (job[i].paths[k] != NULL && st == OFFBKG_OK)
                st = add_path(ctx, paths, n_paths, job[i].paths[k]);
            else
                free(job[i].paths[k]);
            job[i].paths[k] = NULL;
        }
    }
    return st;
}

/* A RADEC 3D model written with the default longitude sign: gammapy 1.0
 * to 1.2 read such a model mirrored east-west, without a word, so say it
 * once per [model] section unless the INI chose the sign. The key is
 * model/3d's (doc/offbkg.ini.5). */
static void warn_radec_sign(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            const offbkg_model_t *make)
{
    for (size_t m = 0; m < make->n_models; m++) {
        const offbkg_cube_t *c = NULL;
        for (size_t g = 0; c == NULL && g < make->n_groups; g++)
            c = make->models[m].cubes[g];
        if (c == NULL || c->n_axes != 3
            || strcasecmp(c->fov_alignment, "RADEC") != 0
            || c->fov_lon_sign != -1)
            continue;
        offbkg_ini_section_t *sec =
            offbkg_ini_section(rc->ini, make->models[m].conf->section);
        if (sec != NULL && offbkg_ini_entry(sec, "radec_lon_sign") != NULL)
            continue;
        OFFBKG_WARN(ctx, "[%s] radec_lon_sign is not set, so the RADEC 3D "
                    "models have the GADF longitude sign (gadf): right for "
                    "gammapy 1.3 and later, mirrored east-west in gammapy "
                    "1.0 to 1.2, which need radec_lon_sign = gammapy10; "
                    "set the key to choose", make->models[m].conf->section);
    }
}

int offbkg_model_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_model_t *make, const char *dir,
                       bool overwrite, size_t threads, char ***paths,
                       size_t *n_paths, offbkg_written_t *written)
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
    write_jobs_t w = { rc, make, dir, overwrite, job, "", NULL };
    /* offbkg make knows each run's group, not the groups' ranges: those
     * are in the group-def.fits it started from. */
    offbkg_table_t def = { 0 };
    char *def_path = make->grouping == NULL
                         ? offbkg_path_join(rc->output->dir, "group-def.fits") : NULL;
    offbkg_ctx_t *quiet = def_path != NULL ? offbkg_ctx_new_child(ctx) : NULL;
    if (quiet != NULL && offbkg_group_def_read(quiet, def_path, &def)
                             == OFFBKG_OK)
        w.def = &def;
    offbkg_ctx_free(quiet);
    free(def_path);
    if (job == NULL || st != OFFBKG_OK
        || offbkg_provenance_config_hash(rc, w.config_hash) != 0) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    } else {
        offbkg_parallel_for(n_jobs, threads, write_group, &w);
        st = collect(ctx, job, n_jobs, paths, n_paths, written);
    }
    for (size_t i = 0; job != NULL && i < n_jobs; i++)
        offbkg_ctx_free(job[i].ctx);
    free(job);
    offbkg_table_free(&def);
    if (st == OFFBKG_OK)
        warn_radec_sign(ctx, rc, make);
    return st;
}
