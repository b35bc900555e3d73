/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg run, select, group, make and index: the pipeline commands. Each
 * staged command reads what the previous one wrote in [output] dir;
 * `run` does every stage in one process. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "../datastore-private.h"
#include "../exclude-private.h"
#include "../index-private.h"
#include "../make-private.h"
#include "../make_write-private.h"
#include "../output-private.h"
#include "../outset-private.h"
#include "../parallel-private.h"
#include "../path-private.h"
#include "../preflight-private.h"
#include "../report-private.h"
#include "../runconf-private.h"
#include "../selgroup-private.h"
#include "cli.h"

/* The paths of the outputs in [output] dir. */
typedef struct paths {
    char *run_list;
    char *obs;
    char *group_def;
    char *report;
    char *hdu_index;
    char *obs_index;
    char *bkg_index;
} paths_t;

static char *out_path(const offbkg_runconf_t *rc, const char *name)
{
    return offbkg_path_join(rc->output->dir, name);
}

static void paths_free(paths_t *p)
{
    free(p->run_list);
    free(p->obs);
    free(p->group_def);
    free(p->report);
    free(p->hdu_index);
    free(p->obs_index);
    free(p->bkg_index);
}

/* After a SIGINT or SIGTERM, main says so once. */
static int fail(offbkg_ctx_t *ctx, int code)
{
    if (!offbkg_ctx_cancelled(ctx))
        cli_error("%s", offbkg_error_msg(ctx));
    return code;
}

static int not_cancelled(offbkg_ctx_t *ctx)
{
    if (!offbkg_ctx_cancelled(ctx))
        return CLI_EXIT_OK;
    offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
    return fail(ctx, CLI_EXIT_FAILED);
}

/* Refuse up front, before any work, to replace outputs we would write. */
static int check_outputs(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                         const char *const *files)
{
    for (size_t i = 0; files[i] != NULL; i++)
        if (offbkg_output_check(ctx, files[i], rc->output->overwrite)
            != OFFBKG_OK)
            return fail(ctx, CLI_EXIT_FAILED);
    return CLI_EXIT_OK;
}

/* The selection preflight made: none is a failure. */
static int do_select(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store, offbkg_selection_t *sel)
{
    if (offbkg_selection_require(ctx, rc, store, sel) != OFFBKG_OK)
        return fail(ctx, CLI_EXIT_FAILED);
    offbkg_log_dropped(ctx, "select", sel);
    return CLI_EXIT_OK;
}

static int do_group(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                    const offbkg_datastore_t *store, const size_t *rows,
                    size_t n, offbkg_grouping_t *g)
{
    char what[1024];

    if (n == 0) {
        offbkg_error_set(ctx, OFFBKG_EDATA, "no run to group: the run list "
                         "names none of the runs of the data store %s",
                         rc->datastore->path);
        return fail(ctx, CLI_EXIT_FAILED);
    }
    if (offbkg_group_run(ctx, rc, store, rows, n, g) != OFFBKG_OK)
        return fail(ctx, CLI_EXIT_FAILED);
    if (g->obs.n_rows == 0) {
        snprintf(what, sizeof what, "put none of the %zu selected runs of "
                 "the data store %s into a group", n, rc->datastore->path);
        offbkg_none_kept(ctx, rc, &rc->group, what, &g->dropped);
        return fail(ctx, CLI_EXIT_FAILED);
    }
    offbkg_log_dropped(ctx, "group", &g->dropped);
    return CLI_EXIT_OK;
}

static size_t thread_count(const cli_options_t *opt,
                           const offbkg_runconf_t *rc)
{
    long n = opt->threads >= 0 ? opt->threads : (long)rc->run->threads;
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* Progress of the model step: a line that updates itself on a terminal,
 * or with -v one line per tenth of the runs in a log. */
typedef struct progress {
    struct timespec start;
    int tty;
    size_t tenths_shown;
} progress_t;

static void show_progress(void *user, size_t done, size_t total,
                          size_t events)
{
    progress_t *p = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double s = (double)(now.tv_sec - p->start.tv_sec)
               + 1e-9 * (double)(now.tv_nsec - p->start.tv_nsec);
    double rate = s > 0 ? (double)events / s : 0;
    size_t tenths = total > 0 ? 10 * done / total : 10;

    if (p->tty) {
        fprintf(stderr, "\roffbkg: runs %zu/%zu, %zu events, %.2f M events/s",
                done, total, events, rate / 1e6);
        if (done == total)
            fputc('\n', stderr);
    } else if (tenths > p->tenths_shown) {
        p->tenths_shown = tenths;
        fprintf(stderr, "offbkg: info: runs %zu/%zu, %zu events, %.2f M "
                "events/s\n", done, total, events, rate / 1e6);
    }
}

/* The models of runs @p rows in groups @p group_id; *make is the
 * caller's to clear. */
static int do_make(offbkg_ctx_t *ctx, const cli_options_t *opt,
                   const offbkg_runconf_t *rc,
                   const offbkg_datastore_t *store,
                   const offbkg_regions_t *regions, size_t n_groups,
                   const size_t *rows, const int64_t *group_id, size_t n,
                   offbkg_make_t *make)
{
    if (offbkg_models_check(ctx, rc, n_groups, rc->output->dir,
                            rc->output->overwrite) != OFFBKG_OK)
        return fail(ctx, CLI_EXIT_FAILED);
    progress_t progress = { .tty = isatty(STDERR_FILENO) };
    clock_gettime(CLOCK_MONOTONIC, &progress.start);
    if ((progress.tty && opt->verbosity >= 0) || opt->verbosity > 0)
        offbkg_ctx_set_progress(ctx, show_progress, &progress);
    int st = offbkg_make_run(ctx, rc, store, regions, n_groups, rows,
                             group_id, n, thread_count(opt, rc), opt->strict,
                             make);
    offbkg_ctx_set_progress(ctx, NULL, NULL);
    return st == OFFBKG_OK ? CLI_EXIT_OK : fail(ctx, CLI_EXIT_FAILED);
}

/* The outputs, written once every stage has succeeded: run.lis,
 * obs.fits and group-def.fits, and the models, then the index tables and
 * report.json (they read the models). The files of one round are written
 * at the same time when the run has threads for it, each step with its
 * own context; what a step says is printed after its round, in order. */
typedef struct outputs {
    const cli_options_t *opt;
    const offbkg_runconf_t *rc;
    const offbkg_datastore_t *store;
    const paths_t *p;
    const char *command;
    const offbkg_selection_t *sel;      /* NULL: not written */
    const offbkg_grouping_t *g;         /* NULL: not written */
    size_t n_rows;                      /* runs grouped */
    const offbkg_make_t *make;          /* NULL: not written */
    bool index;
    char **written;                     /* the model files */
    size_t n_written;
    offbkg_index_result_t linked;
} outputs_t;

typedef struct step {
    int (*write)(offbkg_ctx_t *ctx, outputs_t *o);
    void (*say)(offbkg_ctx_t *ctx, const outputs_t *o);
    int round;
    bool on;
    offbkg_ctx_t *ctx;
    int status;
} step_t;

static int write_selection(offbkg_ctx_t *ctx, outputs_t *o)
{
    return offbkg_run_list_write(ctx, o->p->run_list,
                                 o->rc->output->overwrite, o->store, o->sel);
}

static void say_selection(offbkg_ctx_t *ctx, const outputs_t *o)
{
    (void)ctx;
    printf("selected %zu of %zu runs (plugin %s): %s\n", o->sel->n,
           o->store->obs.n_rows, o->rc->select.module->name,
           o->p->run_list);
}

static int write_grouping(offbkg_ctx_t *ctx, outputs_t *o)
{
    const offbkg_plugin_t *d = o->rc->group.module->desc;
    char grouper[128];

    snprintf(grouper, sizeof grouper, "%s %s", d->name, d->version);
    return offbkg_grouping_write(ctx, o->g, o->store, o->p->obs,
                                 o->p->group_def, o->rc->output->overwrite,
                                 grouper);
}

static void say_grouping(offbkg_ctx_t *ctx, const outputs_t *o)
{
    const offbkg_grouping_t *g = o->g;

    (void)ctx;
    printf("grouped %zu of %zu runs into %zu group%s (plugin %s): %s, %s\n",
           g->obs.n_rows, o->n_rows, g->n_groups, g->n_groups == 1 ? "" : "s",
           o->rc->group.module->desc->name, o->p->obs, o->p->group_def);
    for (size_t i = 0; i < g->n_groups; i++)
        printf("  group %zu: %zu run%s\n", i, g->runs_per_group[i],
               g->runs_per_group[i] == 1 ? "" : "s");
}

static int write_models(offbkg_ctx_t *ctx, outputs_t *o)
{
    return offbkg_models_write(ctx, o->rc, o->make, o->rc->output->dir,
                               o->rc->output->overwrite,
                               thread_count(o->opt, o->rc), &o->written,
                               &o->n_written);
}

static void say_models(offbkg_ctx_t *ctx, const outputs_t *o)
{
    const offbkg_make_t *make = o->make;
    size_t skipped = 0, n = make->n_runs;

    for (size_t i = 0; i < make->n_runs; i++)
        skipped += make->runs[i].skipped != NULL;
    printf("made models from %zu of %zu runs%s\n", n - skipped, n,
           skipped ? " (see the warnings for the skipped ones)" : "");
    for (size_t m = 0; m < make->n_models; m++)
        for (size_t g = 0; g < make->n_groups; g++)
            if (make->models[m].no_model[g] != NULL)
                OFFBKG_WARN(ctx, "[%s] group %zu: no model: %s",
                            make->models[m].conf->section, g,
                            make->models[m].no_model[g]);
    for (size_t i = 0; i < o->n_written; i++)
        printf("  %s\n", o->written[i]);
}

static int write_index(offbkg_ctx_t *ctx, outputs_t *o)
{
    return offbkg_index_run(ctx, o->rc, o->store, &o->linked);
}

static void say_index(offbkg_ctx_t *ctx, const outputs_t *o)
{
    (void)ctx;
    printf("linked %zu of %zu observations to a model (%zu in no group, "
           "%zu in a group without a model): %s/hdu-index.fits.gz\n",
           o->linked.n_linked, o->linked.n_obs, o->linked.n_no_group,
           o->linked.n_no_model, o->rc->output->dir);
}

static int write_report(offbkg_ctx_t *ctx, outputs_t *o)
{
    bool is_run = strcmp(o->command, "run") == 0;
    offbkg_report_t report = {
        o->command, o->rc, o->store, is_run ? o->sel : NULL,
        is_run ? o->g : NULL, o->make, (const char *const *)o->written,
        o->n_written, o->index ? &o->linked : NULL };
    return offbkg_report_write(ctx, &report, o->p->report,
                               o->rc->output->overwrite);
}

static void say_report(offbkg_ctx_t *ctx, const outputs_t *o)
{
    (void)ctx;
    printf("report: %s\n", o->p->report);
}

typedef struct round {
    step_t *step[3];
    size_t n;
    outputs_t *o;
} round_t;

/* offbkg_parallel_for item: one step of a round. */
static void run_step(void *arg, size_t i)
{
    round_t *r = arg;
    step_t *s = r->step[i];

    s->status = s->write(s->ctx, r->o);
}

/* Run the steps of round @p k; the first failure is the error (the index
 * refuses a bad target as a usage error). */
static int write_round(offbkg_ctx_t *ctx, step_t *steps, size_t n_steps,
                       int k, outputs_t *o)
{
    round_t r = { .n = 0, .o = o };
    int code = not_cancelled(ctx);

    for (size_t i = 0; i < n_steps; i++)
        if (steps[i].on && steps[i].round == k)
            r.step[r.n++] = &steps[i];
    for (size_t i = 0; code == CLI_EXIT_OK && i < r.n; i++)
        if ((r.step[i]->ctx = offbkg_ctx_new_child(ctx)) == NULL) {
            offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            code = fail(ctx, CLI_EXIT_FAILED);
        }
    if (code == CLI_EXIT_OK)
        offbkg_parallel_for(r.n, thread_count(o->opt, o->rc), run_step, &r);
    for (size_t i = 0; i < r.n; i++) {
        step_t *s = r.step[i];
        if (code == CLI_EXIT_OK && s->status != OFFBKG_OK) {
            offbkg_error_set(ctx, s->status, "%s",
                             offbkg_error_msg(s->ctx));
            code = fail(ctx, s->write == write_index
                                     && (s->status == OFFBKG_ECONFIG
                                         || s->status == OFFBKG_EDATA)
                                 ? CLI_EXIT_USAGE : CLI_EXIT_FAILED);
        }
        offbkg_ctx_free(s->ctx);
        s->ctx = NULL;
    }
    return code;
}

/* The rounds into the staging directory of @p set, then the commit that
 * moves them in at once; only then is each file announced, in order. */
static int write_outputs(offbkg_ctx_t *ctx, outputs_t *o,
                         offbkg_outset_t *set)
{
    step_t steps[] = {
        { write_selection, say_selection, 0, o->sel != NULL, NULL, 0 },
        { write_grouping, say_grouping, 0, o->g != NULL, NULL, 0 },
        { write_models, say_models, 0, o->make != NULL, NULL, 0 },
        { write_index, say_index, 1, o->index, NULL, 0 },
        /* After the index: it reports what the index step did. */
        { write_report, say_report, 2, o->make != NULL, NULL, 0 },
    };
    size_t n = sizeof steps / sizeof steps[0];
    int code = write_round(ctx, steps, n, 0, o);

    if (code == CLI_EXIT_OK)
        code = write_round(ctx, steps, n, 1, o);
    if (code == CLI_EXIT_OK)
        code = write_round(ctx, steps, n, 2, o);
    if (code == CLI_EXIT_OK && offbkg_outset_commit(ctx, set) != OFFBKG_OK)
        code = fail(ctx, CLI_EXIT_FAILED);
    for (size_t i = 0; code == CLI_EXIT_OK && i < n; i++)
        if (steps[i].on && o->opt->verbosity >= 0)  /* -q: only errors */
            steps[i].say(ctx, o);
    return code;
}

static int pipeline(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const offbkg_runconf_t *rc, const char *command,
                    const paths_t *p, offbkg_preflight_t *pf)
{
    int is_run = strcmp(command, "run") == 0;
    int selects = is_run || strcmp(command, "select") == 0;
    int groups = is_run || strcmp(command, "group") == 0;
    int makes = is_run || strcmp(command, "make") == 0;
    int indexes = is_run || strcmp(command, "index") == 0;
    const char *files[8] = { NULL };
    size_t n_files = 0;
    const offbkg_datastore_t *store = pf->store;
    const offbkg_regions_t *regions = &pf->regions;
    offbkg_selection_t sel = { 0 };
    offbkg_grouping_t g = { 0 };
    offbkg_make_t make = { 0 };
    size_t *rows = NULL, n_rows = 0, *mrows = NULL, n_written = 0;
    int64_t *gid = NULL;
    char **written = NULL;
    offbkg_outset_t *set = NULL;
    unsigned kinds = 0;
    int code;

    if (selects) {
        files[n_files++] = p->run_list;
        kinds |= OFFBKG_OWN_RUN_LIST;
    }
    if (groups) {
        files[n_files++] = p->obs;
        files[n_files++] = p->group_def;
        kinds |= OFFBKG_OWN_GROUPING;
    }
    if (makes) {
        files[n_files++] = p->report;
        kinds |= OFFBKG_OWN_MODELS | OFFBKG_OWN_REPORT;
    }
    if (indexes) {
        files[n_files++] = p->hdu_index;
        files[n_files++] = p->obs_index;
        files[n_files++] = p->bkg_index;
        kinds |= OFFBKG_OWN_INDEX;
    }
    if ((code = check_outputs(ctx, rc, files)) != CLI_EXIT_OK)
        return code;
    if (makes && regions->n > 0)
        OFFBKG_INFO(ctx, "%zu exclusion region%s", regions->n,
                    regions->n == 1 ? "" : "s");
    OFFBKG_INFO(ctx, "data store %s: %zu runs", rc->datastore->path,
                store->obs.n_rows);
    /* The output directory, locked until the end, writable and cleared
     * of what an interrupted command left, before any work; every file
     * of the command goes to its staging directory (core/outset.c). */
    if (offbkg_outset_begin(ctx, rc->output->dir, kinds,
                            rc->output->overwrite, &set) != OFFBKG_OK) {
        code = fail(ctx, CLI_EXIT_FAILED);
        goto done;
    }
    offbkg_ctx_set_outset(ctx, set);
    /* Compute every stage first and write only when all succeeded, so a
     * failure (or a skipped run under --strict) leaves no new outputs. */
    if (selects) {
        sel = pf->sel;
        memset(&pf->sel, 0, sizeof pf->sel);
        if ((code = do_select(ctx, rc, store, &sel)) != CLI_EXIT_OK)
            goto done;
    }
    if (groups) {
        if (is_run) {
            rows = sel.rows;
            n_rows = sel.n;
        } else if (offbkg_run_list_read(ctx, p->run_list, store, &rows,
                                        &n_rows) != OFFBKG_OK) {
            code = fail(ctx, CLI_EXIT_FAILED);
            goto done;
        }
        if ((code = do_group(ctx, rc, store, rows, n_rows, &g))
            != CLI_EXIT_OK)
            goto done;
    }
    /* An observation of the index store in a group that will get no
     * model is an error, found before any event is read (core/index.c). */
    if (indexes && (is_run || !makes)
        && offbkg_index_check_needed(ctx, rc, store,
                                     is_run ? g.runs_per_group : NULL,
                                     n_rows, g.n_groups) != OFFBKG_OK) {
        code = fail(ctx, CLI_EXIT_FAILED);
        goto done;
    }
    if (makes && is_run) {
        code = do_make(ctx, opt, rc, store, regions, g.n_groups,
                       g.store_rows, g.group_id, g.obs.n_rows, &make);
        make.grouping = &g;     /* the group ranges in the model headers */
    } else if (makes) {
        size_t n_mrows = 0, n_groups = 0;
        if (offbkg_grouping_read(ctx, p->obs, p->group_def, store, &mrows,
                                 &gid, &n_mrows, &n_groups) != OFFBKG_OK) {
            code = fail(ctx, CLI_EXIT_FAILED);
            goto done;
        }
        code = do_make(ctx, opt, rc, store, regions, n_groups, mrows, gid,
                       n_mrows, &make);
    }
    if (code != CLI_EXIT_OK)
        goto done;
    /* A signal stops before the next round of files, or the commit. */
    outputs_t out = { .opt = opt, .rc = rc, .store = store, .p = p,
                      .command = command, .sel = selects ? &sel : NULL,
                      .g = groups ? &g : NULL, .n_rows = n_rows,
                      .make = makes ? &make : NULL, .index = indexes };
    code = write_outputs(ctx, &out, set);
    written = out.written;
    n_written = out.n_written;
done:
    offbkg_ctx_set_outset(ctx, NULL);
    offbkg_outset_end(set);
    for (size_t i = 0; i < n_written; i++)
        free(written[i]);
    free(written);
    free(mrows);
    free(gid);
    offbkg_make_clear(&make);
    if (rows != sel.rows)
        free(rows);
    offbkg_grouping_clear(&g);
    offbkg_selection_clear(&sel);
    return code;
}

int cli_pipeline(offbkg_ctx_t *ctx, const cli_options_t *opt,
                 const char *command, int argc, char **argv)
{
    int is_run = strcmp(command, "run") == 0;
    offbkg_plan_t plan = { is_run || strcmp(command, "select") == 0,
                           is_run || strcmp(command, "group") == 0,
                           is_run || strcmp(command, "make") == 0,
                           is_run || strcmp(command, "index") == 0 };
    offbkg_preflight_t pf;
    offbkg_runconf_t *rc;
    paths_t p = { 0 };
    int code;

    if (!cli_one_config_arg(command, argc))
        return CLI_EXIT_USAGE;
    code = cli_load_config(ctx, opt, argv[0], &plan, &rc, &pf);
    if (code != CLI_EXIT_OK)
        return code;
    if (rc->n_models == 0
        && (strcmp(command, "run") == 0 || strcmp(command, "make") == 0)) {
        fprintf(stderr, "%s: missing section [model] (e.g. plugin = 2d), "
                "needed by 'offbkg %s'\n", argv[0], command);
        offbkg_preflight_free(&pf);
        offbkg_runconf_free(rc);
        return CLI_EXIT_USAGE;
    }
    p.run_list = out_path(rc, "run.lis");
    p.obs = out_path(rc, "obs.fits");
    p.group_def = out_path(rc, "group-def.fits");
    p.report = out_path(rc, "report.json");
    p.hdu_index = out_path(rc, "hdu-index.fits.gz");
    p.obs_index = out_path(rc, "obs-index.fits.gz");
    p.bkg_index = out_path(rc, "bkg-index.fits.gz");
    if (p.run_list == NULL || p.obs == NULL || p.group_def == NULL
        || p.report == NULL || p.hdu_index == NULL || p.obs_index == NULL
        || p.bkg_index == NULL) {
        cli_error("out of memory");
        code = CLI_EXIT_FAILED;
    } else {
        code = pipeline(ctx, opt, rc, command, &p, &pf);
    }
    paths_free(&p);
    offbkg_preflight_free(&pf);
    offbkg_runconf_free(rc);
    return code;
}
