/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg run, select, group, make and index: the front end of a pipeline
 * run (core/pipeline.c). Each staged command reads what the previous one
 * wrote in [output] dir; `run` does every step in one process. This file
 * only prints: the progress, then what each step wrote. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "../pipeline-private.h"
#include "cli.h"

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

static void say_selection(const offbkg_runconf_t *rc,
                          const offbkg_pipeline_result_t *r)
{
    size_t n = offbkg_runconf_n_selects(rc);

    printf("selected %zu of %zu runs (plugin%s ", r->selection->n,
           r->store->obs.n_rows, n > 1 ? "s" : "");
    for (size_t k = 0; k < n; k++)
        printf("%s%s", k ? ", " : "",
               offbkg_runconf_select_at(rc, k)->module->name);
    printf("): %s\n", r->run_list);
}

static void say_grouping(const offbkg_runconf_t *rc,
                         const offbkg_pipeline_result_t *r)
{
    const offbkg_grouping_t *g = r->grouping;

    printf("grouped %zu of %zu runs into %zu group%s (plugin %s): %s, %s\n",
           g->obs.n_rows, r->n_to_group, g->n_groups,
           g->n_groups == 1 ? "" : "s", rc->group.module->desc->name,
           r->obs, r->group_def);
    for (size_t i = 0; i < g->n_groups; i++)
        printf("  group %zu: %zu run%s\n", i, g->runs_per_group[i],
               g->runs_per_group[i] == 1 ? "" : "s");
}

static void say_models(const offbkg_runconf_t *rc,
                       const offbkg_pipeline_result_t *r)
{
    const offbkg_model_t *make = r->models;
    size_t skipped = 0, n = make->n_runs, outl = make->outliers.n;

    for (size_t i = 0; i < make->n_runs; i++)
        skipped += make->runs[i].skipped != NULL;
    printf("made models from %zu of %zu runs%s\n", n - skipped, n,
           skipped > outl ? " (see the warnings for the skipped ones)" : "");
    if (make->outliers.on)
        printf("  %zu run%s left out as outliers of [%s] in %zu round%s "
               "(report.json \"outliers\")\n", outl, outl == 1 ? "" : "s",
               make->outliers.model, make->outliers.rounds,
               make->outliers.rounds == 1 ? "" : "s");
    if (rc->store != NULL)
        printf("  %zu from the store, %zu read and put in it: %s\n",
               make->n_from_store, make->n_filled, rc->store->dir);
    for (size_t i = 0; i < r->n_model_files; i++)
        printf("  %s\n", r->model_files[i]);
}

static void say_fill(const offbkg_runconf_t *rc,
                     const offbkg_pipeline_result_t *r, unsigned shard,
                     unsigned n_shards)
{
    const offbkg_model_t *f = r->filled;
    size_t skipped = f->n_runs - f->n_filled - f->n_from_store;
    char which[64] = "";

    if (n_shards > 0)
        snprintf(which, sizeof which, " (shard %u/%u)", shard, n_shards);
    printf("filled %zu of %zu selected runs%s into the store %s: %zu were "
           "in it already, %zu skipped%s\n", f->n_filled, f->n_runs, which,
           rc->store->dir, f->n_from_store, skipped,
           skipped ? " (see the warnings)" : "");
}

static void say_index(const offbkg_runconf_t *rc,
                      const offbkg_pipeline_result_t *r)
{
    if (offbkg_runconf_per_target(rc))
        printf("linked %zu of %zu observations to their own model (%zu "
               "without one): %s/hdu-index.fits.gz\n", r->index->n_linked,
               r->index->n_obs, r->index->n_no_model, rc->output->dir);
    else
        printf("linked %zu of %zu observations to a model (%zu in no group, "
               "%zu in a group without a model): %s/hdu-index.fits.gz\n",
               r->index->n_linked, r->index->n_obs, r->index->n_no_group,
               r->index->n_no_model, rc->output->dir);
}

static void say_report(const offbkg_runconf_t *rc,
                       const offbkg_pipeline_result_t *r)
{
    (void)rc;
    printf("report: %s\n", r->report);
}

/* What a successful run says, in the order its files were written. */
static void say_all(const offbkg_runconf_t *rc, const cli_options_t *opt,
                    const offbkg_pipeline_result_t *r)
{
    if (r->filled != NULL)
        say_fill(rc, r, opt->shard, opt->n_shards);
    if (r->selection != NULL)
        say_selection(rc, r);
    if (r->grouping != NULL)
        say_grouping(rc, r);
    if (r->models != NULL)
        say_models(rc, r);
    if (r->index != NULL)
        say_index(rc, r);
    if (r->validation != NULL)
        cli_validate_summary(stdout, r->validation, r->validation_file);
    if (r->models != NULL || r->validation != NULL)
        say_report(rc, r);
    if (r->index_html != NULL)
        printf("figures: %zu in %s/%s, shown by %s\n", r->n_figures,
               rc->output->dir, rc->plot->dir, r->index_html);
}

/* The exit code of a failed run, its error printed (after a SIGINT or
 * SIGTERM, main says so once). The index step refuses a bad target as a
 * usage error. */
static int failed(offbkg_ctx_t *ctx, const offbkg_pipeline_t *pl, int st)
{
    bool writing;
    offbkg_step_id_t step = offbkg_pipeline_failed_step(pl, &writing);

    if (!offbkg_ctx_cancelled(ctx))
        cli_error("%s", offbkg_error_msg(ctx));
    return step == OFFBKG_STEP_INDEX && writing
                   && (st == OFFBKG_ECONFIG || st == OFFBKG_EDATA)
               ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
}

int cli_pipeline(offbkg_ctx_t *ctx, const cli_options_t *opt,
                 const char *command, int argc, char **argv)
{
    offbkg_pipeline_t *pl;
    offbkg_runconf_t *rc;
    int code;

    if (!cli_one_config_arg(command, argc))
        return CLI_EXIT_USAGE;
    if (opt->n_shards > 0 && strcmp(command, "fill") != 0) {
        cli_error("--shard is an option of offbkg fill, not of offbkg %s",
                  command);
        return CLI_EXIT_USAGE;
    }
    code = cli_load_config(ctx, opt, command, argv[0], &rc, &pl);
    if (code != CLI_EXIT_OK)
        return code;
    if (rc->n_models == 0
        && (strcmp(command, "run") == 0 || strcmp(command, "make") == 0
            || strcmp(command, "fill") == 0
            || strcmp(command, "validate") == 0)) {
        fprintf(stderr, "%s: missing section [model] (e.g. plugin = 2d), "
                "needed by 'offbkg %s'\n", argv[0], command);
        offbkg_pipeline_free(pl);
        offbkg_runconf_free(rc);
        return CLI_EXIT_USAGE;
    }
    progress_t progress = { .tty = isatty(STDERR_FILENO) };
    clock_gettime(CLOCK_MONOTONIC, &progress.start);
    if ((progress.tty && opt->verbosity >= 0) || opt->verbosity > 0)
        offbkg_ctx_set_progress(ctx, show_progress, &progress);
    int st = offbkg_pipeline_run(ctx, pl);
    offbkg_ctx_set_progress(ctx, NULL, NULL);
    if (st != OFFBKG_OK)
        code = failed(ctx, pl, st);
    else if (opt->verbosity >= 0)   /* -q: only errors */
        say_all(rc, opt, offbkg_pipeline_result(pl));
    offbkg_pipeline_free(pl);
    offbkg_runconf_free(rc);
    return code;
}
