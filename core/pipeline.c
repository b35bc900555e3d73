/* SPDX-License-Identifier: BSD-3-Clause
 * A run of the pipeline. Adding a step is one entry in steps[] and the
 * functions it names. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "group-private.h"
#include "irf_class-private.h"
#include "match_write-private.h"
#include "model_write-private.h"
#include "outliers-private.h"
#include "output-private.h"
#include "outset-private.h"
#include "parallel-private.h"
#include "path-private.h"
#include "pipeline-private.h"
#include "plot_outputs-private.h"
#include "report-private.h"
#include "smooth-private.h"
#include "store-private.h"

/* The most files a step names in [output] dir (the index writes 3). */
#define STEP_FILES 3

struct offbkg_pipeline {
    const offbkg_runconf_t *rc;
    offbkg_plan_t plan;
    size_t threads;
    bool strict;
    unsigned shard, n_shards;
    offbkg_preflight_t pf;          /* the store, the regions, the
                                       selection (the select plugin runs
                                       in the preflight) */
    const size_t *rows;             /* to group: sel.rows or rows_read */
    size_t n_rows;
    size_t *rows_read;              /* run.lis, for offbkg group */
    offbkg_grouping_t g;
    size_t *model_rows;             /* obs.fits, for offbkg make */
    int64_t *model_group_id;
    size_t n_model_rows, n_model_groups;
    offbkg_model_t make;
    offbkg_match_t match;
    offbkg_validation_t validation;
    offbkg_grouping_t def_axes;     /* offbkg make: group-def.fits' axes */
    offbkg_model_t fill;
    size_t *fill_rows;              /* the runs of this shard */
    char **model_files;
    size_t n_model_files;
    /* What the model and match steps wrote, each its own list (they
     * write at the same time), for the index step. */
    offbkg_written_t written_models, written_match;
    offbkg_index_result_t linked;
    size_t n_figures;
    bool drawn;                     /* index.html written (staged) */
    char *files[OFFBKG_STEP_COUNT][STEP_FILES];
    bool computed[OFFBKG_STEP_COUNT];  /* a run after a check goes on */
    offbkg_step_id_t failed;
    bool failed_writing;
    offbkg_pipeline_result_t result;
};

typedef struct step {
    offbkg_step_id_t id;
    const char *name;
    size_t plan_flag;       /* offsetof the offbkg_plan_t flag that runs it */
    bool reads_events;      /* not tried by offbkg_pipeline_check */
    unsigned owns;          /* the kinds of files it writes (OFFBKG_OWN_*) */
    const char *files[STEP_FILES]; /* in [output] dir; refused up front if
                                      they exist and overwrite is false */
    int (*compute)(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
    int (*write)(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
    int round;              /* rounds are written in order, the files of
                               one round at the same time */
} step_t;

static int compute_select(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_fill(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_group(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_index(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_model(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_match(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_smooth(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int compute_validate(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_validate(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_select(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_group(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_index(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_model(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_match(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_report(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);
static int write_plot(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl);

/* In the order they compute, which is the order of offbkg_step_id_t. The
 * index step checks, before any event is read, that every observation it
 * will link gets a model, and writes after the models (it links the
 * files they wrote, as they wrote them);
 * the report comes last, as it says what the index step did. The smooth
 * step's cubes are written with the models, a group's raw and smoothed
 * files together. The figures are drawn last, from the files written (in
 * the staging directory) and those already in [output] dir, on one
 * thread (PLplot is not thread-safe: theirs is a round of its own). */
static const step_t steps[OFFBKG_STEP_COUNT] = {
    { OFFBKG_STEP_SELECT, "select", offsetof(offbkg_plan_t, select), false,
      OFFBKG_OWN_RUN_LIST, { "run.lis" }, compute_select, write_select, 0 },
    { OFFBKG_STEP_FILL, "fill", offsetof(offbkg_plan_t, fill), true, 0,
      { NULL }, compute_fill, NULL, 0 },
    { OFFBKG_STEP_GROUP, "group", offsetof(offbkg_plan_t, group), false,
      OFFBKG_OWN_GROUPING, { "obs.fits", "group-def.fits" }, compute_group,
      write_group, 0 },
    { OFFBKG_STEP_INDEX, "index", offsetof(offbkg_plan_t, index), false,
      OFFBKG_OWN_INDEX,
      { "hdu-index.fits.gz", "obs-index.fits.gz", "bkg-index.fits.gz" },
      compute_index, write_index, 1 },
    { OFFBKG_STEP_MODEL, "model", offsetof(offbkg_plan_t, make), true,
      OFFBKG_OWN_MODELS, { NULL }, compute_model, write_model, 0 },
    { OFFBKG_STEP_MATCH, "match", offsetof(offbkg_plan_t, make), true, 0,
      { NULL }, compute_match, write_match, 0 },
    { OFFBKG_STEP_SMOOTH, "smooth", offsetof(offbkg_plan_t, make), true, 0,
      { NULL }, compute_smooth, NULL, 0 },
    { OFFBKG_STEP_VALIDATE, "validate", offsetof(offbkg_plan_t, validate),
      true, OFFBKG_OWN_VALIDATION, { "validation.fits" }, compute_validate,
      write_validate, 0 },
    { OFFBKG_STEP_REPORT, "report", offsetof(offbkg_plan_t, make), false,
      OFFBKG_OWN_REPORT, { "report.json" }, NULL, write_report, 2 },
    { OFFBKG_STEP_PLOT, "plot", offsetof(offbkg_plan_t, plot), false,
      OFFBKG_OWN_FIGURES, { "index.html" }, NULL, write_plot, 3 },
};

#define N_ROUNDS 4

const char *offbkg_pipeline_step_name(offbkg_step_id_t id)
{
    return id >= 0 && id < OFFBKG_STEP_COUNT ? steps[id].name : "none";
}

/* The step writes its files (offbkg validate: its report too). */
static bool step_on(const offbkg_pipeline_t *pl, const step_t *s)
{
    return *(const bool *)((const char *)&pl->plan + s->plan_flag)
           || (s->id == OFFBKG_STEP_REPORT && pl->plan.validate);
}

/* offbkg fill selects its runs without writing run.lis; offbkg validate
 * selects, groups and models without writing any of it. */
static bool step_computes(const offbkg_pipeline_t *pl, const step_t *s)
{
    return step_on(pl, s)
           || (s->id == OFFBKG_STEP_SELECT
               && (pl->plan.fill || pl->plan.validate))
           || ((s->id == OFFBKG_STEP_GROUP || s->id == OFFBKG_STEP_MODEL)
               && pl->plan.validate);
}

static bool computes(const offbkg_pipeline_t *pl, offbkg_step_id_t id)
{
    return step_computes(pl, &steps[id]);
}

/* The command that runs @p p's steps, for the report. */
static const char *plan_command(const offbkg_plan_t *p)
{
    if (p->validate && !p->make)
        return "validate";
    if (p->select && p->group && p->make && p->index)
        return "run";
    return p->select ? "select" : p->group ? "group" : p->make ? "make"
           : p->fill ? "fill" : "index";
}

/* ------------------------------------------------------------------ */
/* The steps                                                           */

static int compute_select(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    int st = offbkg_select_require(ctx, pl->rc, pl->pf.store, &pl->pf.sel);
    if (st != OFFBKG_OK)
        return st;
    offbkg_select_log_dropped(ctx, "select", &pl->pf.sel);
    offbkg_select_log_sections(ctx, &pl->pf.sel);
    pl->rows = pl->pf.sel.rows;
    pl->n_rows = pl->pf.sel.n;
    return OFFBKG_OK;
}

static int compute_group(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    const offbkg_runconf_t *rc = pl->rc;
    const offbkg_datastore_t *store = pl->pf.store;
    char what[1024];

    offbkg_group_clear(&pl->g);
    /* offbkg group starts from the run.lis offbkg select wrote. */
    if (!computes(pl, OFFBKG_STEP_SELECT)) {
        free(pl->rows_read);
        pl->rows_read = NULL;
        int st = offbkg_select_read(ctx, pl->files[OFFBKG_STEP_SELECT][0],
                                    store, &pl->rows_read, &pl->n_rows);
        if (st != OFFBKG_OK)
            return st;
        pl->rows = pl->rows_read;
    }
    if (pl->n_rows == 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "no run to group: the run "
                                "list names none of the runs of the data "
                                "store %s", rc->datastore->path);
    int st = offbkg_group_run(ctx, rc, store, pl->rows, pl->n_rows, &pl->g);
    if (st != OFFBKG_OK)
        return st;
    if (pl->g.obs.n_rows == 0) {
        snprintf(what, sizeof what, "put none of the %zu selected runs of "
                 "the data store %s into a group", pl->n_rows,
                 rc->datastore->path);
        return offbkg_select_none_kept(ctx, rc, &rc->group, what,
                                       &pl->g.dropped);
    }
    offbkg_select_log_dropped(ctx, "group", &pl->g.dropped);
    return OFFBKG_OK;
}

/* An observation of the index store in a group that will get no model
 * is an error, found before any event is read (core/index.c). */
static int compute_index(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    return offbkg_index_check_needed(
        ctx, pl->rc, pl->pf.store,
        pl->plan.group ? pl->g.runs_per_group : NULL, pl->n_rows,
        pl->g.n_groups);
}

/* The model step on @p n runs, with [store] if there is one: opened
 * (made when it may be filled) for this step and closed after it. */
static int make_with_store(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl,
                           size_t n_groups, const size_t *rows,
                           const int64_t *group_id, size_t n, bool fill_only,
                           offbkg_model_t *out)
{
    const offbkg_store_conf_t *sc = pl->rc->store;
    offbkg_model_opts_t opts = {
        .threads = pl->threads, .strict = pl->strict,
        .from_store = sc != NULL && sc->fill == OFFBKG_STORE_FILL_NEVER,
        .fill_only = fill_only,
        /* Per-target models are made of the runs, kept in memory, and
         * so are the models without each run that validate predicts
         * with, and outlier rejection judges by. */
        .keep_runs = !fill_only && (offbkg_runconf_per_target(pl->rc)
                                    || pl->plan.validate
                                    || offbkg_runconf_outliers(pl->rc)) };
    offbkg_store_t *store = NULL;
    int st = OFFBKG_OK;

    /* offbkg fill without a [store] it may fill: refused by the
     * preflight (core/preflight.c). */
    if (sc != NULL)
        st = offbkg_store_open(ctx, sc->dir, !opts.from_store, &store);
    opts.store = store;
    if (st == OFFBKG_OK)
        st = offbkg_model_run(ctx, pl->rc, pl->pf.store, &pl->pf.regions,
                             n_groups, rows, group_id, n, &opts, out);
    offbkg_store_close(store);
    return st;
}

/* Whether OBS_ID @p id was left out as an outlier. */
static bool left_out(const offbkg_outliers_t *o, int64_t id)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->runs[i].obs_id == id)
            return true;
    return false;
}

/* The selection and the grouping without the runs outlier rejection
 * left out (make->runs keeps them, skipped with their reason). */
static int drop_outliers(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    const offbkg_outliers_t *o = &pl->make.outliers;
    const offbkg_datastore_t *store = pl->pf.store;
    offbkg_selection_t *sel = &pl->pf.sel;
    offbkg_grouping_t *g = &pl->g;
    size_t *take = malloc((g->obs.n_rows + 1) * sizeof *take), n = 0;
    offbkg_table_t obs = { 0 };
    int st;

    if (take == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < sel->n; i++)
        if (!left_out(o, offbkg_datastore_obs_id(store, sel->rows[i])))
            sel->rows[k++] = sel->rows[i];
    sel->n = k;
    for (size_t i = 0; i < g->obs.n_rows; i++) {
        if (!left_out(o, offbkg_datastore_obs_id(store, g->store_rows[i]))) {
            take[n++] = i;
            continue;
        }
        g->runs_per_group[g->group_id[i]]--;
    }
    st = offbkg_table_take(ctx, &g->obs, take, n, &obs);
    if (st == OFFBKG_OK) {
        for (size_t j = 0; j < n; j++) {
            g->group_id[j] = g->group_id[take[j]];
            g->store_rows[j] = g->store_rows[take[j]];
        }
        offbkg_table_free(&g->obs);
        g->obs = obs;
    }
    pl->rows = sel->rows;
    pl->n_rows = sel->n;
    free(take);
    return st;
}

static int compute_model(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    const offbkg_runconf_t *rc = pl->rc;
    const size_t *rows = pl->g.store_rows;
    const int64_t *group_id = pl->g.group_id;
    size_t n = pl->g.obs.n_rows, n_groups = pl->g.n_groups;

    int st = OFFBKG_OK;

    offbkg_match_clear(&pl->match);     /* it points into make */
    offbkg_validate_clear(&pl->validation);
    offbkg_model_clear(&pl->make);
    /* offbkg make starts from the obs.fits offbkg group wrote. */
    if (!computes(pl, OFFBKG_STEP_GROUP)) {
        free(pl->model_rows);
        free(pl->model_group_id);
        pl->model_rows = NULL;
        pl->model_group_id = NULL;
        st = offbkg_group_read(ctx, pl->files[OFFBKG_STEP_GROUP][0],
                               pl->files[OFFBKG_STEP_GROUP][1],
                               pl->pf.store, &pl->model_rows,
                               &pl->model_group_id, &pl->n_model_rows,
                               &pl->n_model_groups);
        if (st != OFFBKG_OK)
            return st;
        rows = pl->model_rows;
        group_id = pl->model_group_id;
        n = pl->n_model_rows;
        n_groups = pl->n_model_groups;
    }
    if (pl->plan.make)
        st = offbkg_model_write_check(ctx, rc, n_groups, rc->output->dir,
                                      rc->output->overwrite);
    if (st == OFFBKG_OK && pl->plan.make && offbkg_runconf_per_target(rc))
        st = offbkg_model_write_check_obs(
            ctx, rc, pl->pf.target != NULL ? pl->pf.target : pl->pf.store,
            rc->output->dir, rc->output->overwrite);
    /* Point-like IRFs: a warning before the models are built. */
    if (st == OFFBKG_OK)
        st = offbkg_irf_class_check(ctx, pl->pf.store, rows, n);
    if (st == OFFBKG_OK)
        st = make_with_store(ctx, pl, n_groups, rows, group_id, n, false,
                             &pl->make);
    if (st == OFFBKG_OK)
        st = offbkg_outliers_run(ctx, rc, &pl->make, pl->threads);
    /* run.lis and obs.fits of this command without the runs left out. */
    if (st == OFFBKG_OK && pl->make.outliers.n > 0
        && computes(pl, OFFBKG_STEP_GROUP))
        st = drop_outliers(ctx, pl);
    /* The group ranges in the model headers (offbkg make has only the
     * group of each run: the writer reads them from group-def.fits). */
    if (computes(pl, OFFBKG_STEP_GROUP))
        pl->make.grouping = &pl->g;
    return st;
}

static int compare_obs_id(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

/* The selected runs of this shard: OBS_ID mod N = I - 1, so each run
 * always falls in the same shard whatever else the archive holds
 * (doc/store.md). In OBS_ID order, as the store keys them. */
static int shard_rows(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl, size_t *n)
{
    const offbkg_selection_t *sel = &pl->pf.sel;
    int64_t (*pairs)[2] = malloc((sel->n > 0 ? sel->n : 1) * sizeof *pairs);

    free(pl->fill_rows);
    pl->fill_rows = malloc((sel->n > 0 ? sel->n : 1) * sizeof *pl->fill_rows);
    if (pairs == NULL || pl->fill_rows == NULL) {
        free(pairs);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    *n = 0;
    for (size_t i = 0; i < sel->n; i++) {
        int64_t id = offbkg_datastore_obs_id(pl->pf.store, sel->rows[i]);
        int64_t r = pl->n_shards > 0 ? id % (int64_t)pl->n_shards : 0;
        if (r < 0)
            r += (int64_t)pl->n_shards;
        if (pl->n_shards == 0 || r == (int64_t)pl->shard - 1) {
            pairs[*n][0] = id;
            pairs[(*n)++][1] = (int64_t)sel->rows[i];
        }
    }
    qsort(pairs, *n, sizeof *pairs, compare_obs_id);
    for (size_t i = 0; i < *n; i++)
        pl->fill_rows[i] = (size_t)pairs[i][1];
    free(pairs);
    return OFFBKG_OK;
}

/* offbkg fill: the entries of this shard's selected runs. */
static int compute_fill(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    size_t n = 0;
    int st = shard_rows(ctx, pl, &n);
    int64_t *group_id = calloc(n > 0 ? n : 1, sizeof *group_id);

    offbkg_model_clear(&pl->fill);
    if (st == OFFBKG_OK && group_id == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK)
        st = make_with_store(ctx, pl, 1, pl->fill_rows, group_id, n, true,
                             &pl->fill);
    free(group_id);
    return st;
}

/* Each target's match (nothing to do for shared group models). The
 * targets are [target]'s (or [index]'s) store's, or [datastore]'s. */
static int compute_match(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    const offbkg_datastore_t *targets = pl->pf.target != NULL
                                            ? pl->pf.target : pl->pf.store;

    int st = OFFBKG_OK;

    offbkg_match_clear(&pl->match);
    /* offbkg make has only the group of each run: the matcher gets the
     * groups' axes from group-def.fits (for this step alone; the model
     * files take their ranges from it as they always did). */
    offbkg_group_clear(&pl->def_axes);
    if (!pl->plan.group && offbkg_runconf_per_target(pl->rc)) {
        st = offbkg_group_def_axes(ctx, pl->files[OFFBKG_STEP_GROUP][1],
                                   &pl->def_axes);
        pl->make.grouping = &pl->def_axes;
    }
    if (st == OFFBKG_OK)
        st = offbkg_match_run(ctx, pl->rc, targets, &pl->make, pl->strict,
                              &pl->match);
    if (!pl->plan.group)
        pl->make.grouping = NULL;
    return st;
}

static int compute_smooth(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    return offbkg_smooth_run(ctx, pl->rc, &pl->make, pl->threads);
}

static int compute_validate(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    offbkg_validate_clear(&pl->validation);
    return offbkg_validate_run(ctx, pl->rc, &pl->make, pl->threads,
                               pl->strict, &pl->validation);
}

static int write_validate(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    return offbkg_validate_write(ctx, &pl->validation,
                                 pl->files[OFFBKG_STEP_VALIDATE][0],
                                 pl->rc->output->overwrite);
}

static int write_select(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    return offbkg_select_write(ctx, pl->files[OFFBKG_STEP_SELECT][0],
                               pl->rc->output->overwrite, pl->pf.store,
                               &pl->pf.sel);
}

static int write_group(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    const offbkg_plugin_t *d = pl->rc->group.module->desc;
    char grouper[128];

    snprintf(grouper, sizeof grouper, "%s %s", d->name, d->version);
    return offbkg_group_write(ctx, &pl->g, pl->pf.store,
                              pl->files[OFFBKG_STEP_GROUP][0],
                              pl->files[OFFBKG_STEP_GROUP][1],
                              pl->rc->output->overwrite, grouper);
}

/* After the models: a command that wrote them links them from what it
 * wrote, without opening each again; offbkg index alone checks the
 * files another command wrote. */
static int write_index(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    offbkg_written_t all = { 0 };
    int st = OFFBKG_OK;

    if (pl->plan.make) {
        st = offbkg_written_add(ctx, &all, pl->written_models.files,
                                pl->written_models.n);
        if (st == OFFBKG_OK)
            st = offbkg_written_add(ctx, &all, pl->written_match.files,
                                    pl->written_match.n);
        offbkg_written_sort(&all);
    }
    if (st == OFFBKG_OK)
        st = offbkg_index_run(ctx, pl->rc, pl->pf.store,
                              pl->plan.make ? &all : NULL, pl->threads,
                              &pl->linked);
    offbkg_written_clear(&all);
    return st;
}

static int write_model(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    offbkg_written_clear(&pl->written_models);
    return offbkg_model_write(ctx, pl->rc, &pl->make, pl->rc->output->dir,
                              pl->rc->output->overwrite, pl->threads,
                              &pl->model_files, &pl->n_model_files,
                              &pl->written_models);
}

/* Each target's own model files, a target at a time per thread; a
 * target without a cube is marked skipped in pl->match for the index
 * and the report (core/match_write.c). */
static int write_match(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    size_t n_files = 0;

    offbkg_written_clear(&pl->written_match);
    int st = offbkg_match_write(ctx, pl->rc, &pl->make, &pl->match,
                                offbkg_match_cube, pl->rc->output->dir,
                                pl->rc->output->overwrite, pl->strict,
                                pl->threads, &n_files, &pl->written_match);

    if (st == OFFBKG_OK && !pl->match.shared_groups)
        OFFBKG_INFO(ctx, "%zu per-observation model files for %zu of %zu "
                    "targets", n_files, pl->match.n_matched,
                    pl->match.n_targets);
    return st;
}

static int write_report(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    /* The selection and grouping of this command; offbkg make's come
     * from files another command wrote. */
    offbkg_report_t report = {
        plan_command(&pl->plan), pl->rc, pl->pf.store,
        computes(pl, OFFBKG_STEP_SELECT) ? &pl->pf.sel : NULL,
        computes(pl, OFFBKG_STEP_GROUP) ? &pl->g : NULL,
        &pl->make, (const char *const *)pl->model_files, pl->n_model_files,
        pl->plan.index ? &pl->linked : NULL,
        /* With a [match] section: what each target was matched with. */
        pl->rc->match.module != NULL && pl->computed[OFFBKG_STEP_MATCH]
            ? &pl->match : NULL,
        /* offbkg validate: what it found. */
        pl->computed[OFFBKG_STEP_VALIDATE] ? &pl->validation : NULL };
    return offbkg_report_write(ctx, &report,
                               pl->files[OFFBKG_STEP_REPORT][0],
                               pl->rc->output->overwrite);
}

static int write_plot(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    /* A figure never costs the run its models, unless --strict. */
    int st = offbkg_plot_outputs_draw(ctx, pl->rc, !pl->strict,
                                      &pl->n_figures);
    pl->drawn = st == OFFBKG_OK;
    return st;
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

static size_t resolve_threads(long opt, const offbkg_runconf_t *rc)
{
    long n = opt >= 0 ? opt : (long)rc->run->threads;
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* What the caller may look at, as it stands. */
static void fill_result(offbkg_pipeline_t *pl)
{
    pl->result = (offbkg_pipeline_result_t){
        .command = plan_command(&pl->plan),
        .store = pl->pf.store,
        .regions = &pl->pf.regions,
        .selection = pl->plan.select ? &pl->pf.sel : NULL,
        .grouping = pl->plan.group ? &pl->g : NULL,
        .n_to_group = pl->n_rows,
        .models = pl->plan.make ? &pl->make : NULL,
        .filled = pl->plan.fill ? &pl->fill : NULL,
        .match = pl->plan.make && pl->computed[OFFBKG_STEP_MATCH]
                     ? &pl->match : NULL,
        .validation = pl->computed[OFFBKG_STEP_VALIDATE] ? &pl->validation
                                                         : NULL,
        .model_files = (const char *const *)pl->model_files,
        .n_model_files = pl->n_model_files,
        .index = pl->plan.index ? &pl->linked : NULL,
        .run_list = pl->files[OFFBKG_STEP_SELECT][0],
        .obs = pl->files[OFFBKG_STEP_GROUP][0],
        .group_def = pl->files[OFFBKG_STEP_GROUP][1],
        .report = pl->files[OFFBKG_STEP_REPORT][0],
        .validation_file = pl->files[OFFBKG_STEP_VALIDATE][0],
        .index_html = pl->drawn ? pl->files[OFFBKG_STEP_PLOT][0] : NULL,
        .n_figures = pl->n_figures,
    };
}

int offbkg_pipeline_new(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_plan_t *plan,
                        const offbkg_pipeline_opts_t *opts,
                        offbkg_diags_t *diags, offbkg_pipeline_t **out)
{
    offbkg_pipeline_t *pl = calloc(1, sizeof *pl);

    *out = NULL;
    if (pl == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    pl->rc = rc;
    pl->plan = *plan;
    pl->threads = resolve_threads(opts->threads, rc);
    pl->strict = opts->strict;
    pl->shard = opts->shard;
    pl->n_shards = opts->n_shards;
    pl->failed = OFFBKG_STEP_NONE;
    for (size_t s = 0; s < OFFBKG_STEP_COUNT; s++)
        for (size_t k = 0; k < STEP_FILES && steps[s].files[k] != NULL; k++)
            if ((pl->files[s][k] = offbkg_path_join(rc->output->dir,
                                                    steps[s].files[k]))
                == NULL) {
                offbkg_pipeline_free(pl);
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            }
    int st = offbkg_preflight(ctx, rc, plan, diags, &pl->pf);
    if (st != OFFBKG_OK) {
        offbkg_pipeline_free(pl);
        return st;
    }
    fill_result(pl);
    *out = pl;
    return OFFBKG_OK;
}

void offbkg_pipeline_free(offbkg_pipeline_t *pl)
{
    if (pl == NULL)
        return;
    for (size_t i = 0; i < pl->n_model_files; i++)
        free(pl->model_files[i]);
    free(pl->model_files);
    offbkg_written_clear(&pl->written_models);
    offbkg_written_clear(&pl->written_match);
    offbkg_validate_clear(&pl->validation);
    offbkg_match_clear(&pl->match);
    offbkg_model_clear(&pl->make);
    offbkg_model_clear(&pl->fill);
    free(pl->fill_rows);
    free(pl->model_rows);
    free(pl->model_group_id);
    offbkg_group_clear(&pl->g);
    offbkg_group_clear(&pl->def_axes);
    free(pl->rows_read);
    offbkg_preflight_free(&pl->pf);
    for (size_t s = 0; s < OFFBKG_STEP_COUNT; s++)
        for (size_t k = 0; k < STEP_FILES; k++)
            free(pl->files[s][k]);
    free(pl);
}

static int cancelled(offbkg_ctx_t *ctx)
{
    return offbkg_ctx_cancelled(ctx)
               ? offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted")
               : OFFBKG_OK;
}

/* Compute the steps of the plan in order (with @p events false, only
 * those that read no event), stopping at the first failure; a step a
 * check computed is not computed again. */
static int compute(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl, bool events)
{
    for (size_t s = 0; s < OFFBKG_STEP_COUNT; s++) {
        const step_t *step = &steps[s];
        if (!step_computes(pl, step) || step->compute == NULL
            || pl->computed[s] || (step->reads_events && !events))
            continue;
        int st = cancelled(ctx);
        if (st == OFFBKG_OK)
            st = step->compute(ctx, pl);
        if (st != OFFBKG_OK) {
            pl->failed = step->id;
            return st;
        }
        pl->computed[s] = true;
    }
    return OFFBKG_OK;
}

int offbkg_pipeline_check(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    int st = compute(ctx, pl, false);

    fill_result(pl);
    return st;
}

/* The writes of one round, on up to pl->threads threads, each with its
 * own context; the first failure, in step order, is the error. */
typedef struct round {
    offbkg_pipeline_t *pl;
    const step_t *step[OFFBKG_STEP_COUNT];
    offbkg_ctx_t *ctx[OFFBKG_STEP_COUNT];
    int status[OFFBKG_STEP_COUNT];
    size_t n;
} round_t;

/* offbkg_parallel_for item: one write of a round. */
static void write_one(void *arg, size_t i)
{
    round_t *r = arg;

    r->status[i] = r->step[i]->write(r->ctx[i], r->pl);
}

static int write_round(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl, int k)
{
    round_t r = { .pl = pl };
    int st = cancelled(ctx);

    for (size_t s = 0; s < OFFBKG_STEP_COUNT; s++)
        if (step_on(pl, &steps[s]) && steps[s].write != NULL
            && steps[s].round == k)
            r.step[r.n++] = &steps[s];
    for (size_t i = 0; st == OFFBKG_OK && i < r.n; i++)
        if ((r.ctx[i] = offbkg_ctx_new_child(ctx)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK)
        offbkg_parallel_for(r.n, pl->threads, write_one, &r);
    for (size_t i = 0; i < r.n; i++) {
        if (st == OFFBKG_OK && r.ctx[i] != NULL
            && r.status[i] != OFFBKG_OK) {
            st = offbkg_error_set(ctx, r.status[i], "%s",
                                  offbkg_error_msg(r.ctx[i]));
            pl->failed = r.step[i]->id;
            pl->failed_writing = true;
        }
        offbkg_ctx_free(r.ctx[i]);
    }
    return st;
}

/* Refuse up front, before any work, to replace outputs we would write. */
static int check_outputs(offbkg_ctx_t *ctx, const offbkg_pipeline_t *pl,
                         unsigned *owns)
{
    int st;

    *owns = 0;
    for (size_t s = 0; s < OFFBKG_STEP_COUNT; s++) {
        if (!step_on(pl, &steps[s]))
            continue;
        *owns |= steps[s].owns;
        for (size_t k = 0; k < STEP_FILES && pl->files[s][k] != NULL; k++)
            if ((st = offbkg_output_check(ctx, pl->files[s][k],
                                          pl->rc->output->overwrite))
                != OFFBKG_OK)
                return st;
    }
    return OFFBKG_OK;
}

/* A group of a model that got no cube, said once the run is done. */
static void warn_no_model(offbkg_ctx_t *ctx, const offbkg_model_t *make)
{
    for (size_t m = 0; m < make->n_models; m++)
        for (size_t g = 0; g < make->n_groups; g++)
            if (make->models[m].no_model[g] != NULL)
                OFFBKG_WARN(ctx, "[%s] group %zu: no model: %s",
                            make->models[m].conf->section, g,
                            make->models[m].no_model[g]);
}

int offbkg_pipeline_run(offbkg_ctx_t *ctx, offbkg_pipeline_t *pl)
{
    const offbkg_runconf_t *rc = pl->rc;
    offbkg_outset_t *set = NULL;
    unsigned owns;
    int st = check_outputs(ctx, pl, &owns);

    if (st != OFFBKG_OK)
        return st;
    if ((computes(pl, OFFBKG_STEP_MODEL) || pl->plan.fill)
        && pl->pf.regions.n > 0)
        OFFBKG_INFO(ctx, "%zu exclusion region%s", pl->pf.regions.n,
                    pl->pf.regions.n == 1 ? "" : "s");
    OFFBKG_INFO(ctx, "data store %s: %zu runs", rc->datastore->path,
                pl->pf.store->obs.n_rows);
    /* The output directory, locked until the end, writable and cleared
     * of what an interrupted command left, before any work; every file
     * goes to its staging directory (core/outset.c). offbkg fill writes
     * only to the store, whose files are each atomic: shards of it run at
     * the same time. */
    if (owns != 0
        && (st = offbkg_outset_begin(ctx, rc->output->dir, owns,
                                     rc->output->overwrite, &set))
               != OFFBKG_OK)
        return st;
    /* The figure directory: refused now if it cannot be one. */
    if (set != NULL && pl->plan.plot
        && (st = offbkg_outset_figures(ctx, set, rc->plot->dir))
               != OFFBKG_OK) {
        offbkg_outset_end(set);
        return st;
    }
    offbkg_ctx_set_outset(ctx, set);
    /* Every step first, the files only when all succeeded, so a failure
     * (or a skipped run under --strict) leaves no new outputs. */
    st = compute(ctx, pl, true);
    for (int k = 0; st == OFFBKG_OK && k < N_ROUNDS; k++)
        st = write_round(ctx, pl, k);
    if (st == OFFBKG_OK)
        st = cancelled(ctx);
    if (st == OFFBKG_OK && set != NULL)
        st = offbkg_outset_commit(ctx, set);
    offbkg_ctx_set_outset(ctx, NULL);
    offbkg_outset_end(set);
    fill_result(pl);
    if (st == OFFBKG_OK && computes(pl, OFFBKG_STEP_MODEL))
        warn_no_model(ctx, &pl->make);
    return st;
}

offbkg_step_id_t offbkg_pipeline_failed_step(const offbkg_pipeline_t *pl,
                                             bool *writing)
{
    if (writing != NULL)
        *writing = pl->failed_writing;
    return pl->failed;
}

const offbkg_pipeline_result_t *
offbkg_pipeline_result(const offbkg_pipeline_t *pl)
{
    return &pl->result;
}
