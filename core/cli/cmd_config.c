/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg check, and the configuration step every pipeline command shares. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pipeline-private.h"
#include "../runconf-private.h"
#include "cli.h"

/* The steps of @p command; check tries those of run (with no [model],
 * those of select and group), and validate's checks with [validate]. */
static offbkg_plan_t command_plan(const char *command,
                                  const offbkg_runconf_t *rc)
{
    bool all = strcmp(command, "run") == 0;
    bool models = strcmp(command, "check") == 0 ? rc->n_models > 0 : all;
    /* [plot]: run and validate draw at their end. */
    bool plot = rc->plot != NULL;

    if (strcmp(command, "check") == 0)
        return (offbkg_plan_t){ .select = true, .group = true,
                                .make = models, .index = models,
                                .validate = models && rc->validate != NULL,
                                .plot = models && plot };
    if (strcmp(command, "fill") == 0)
        return (offbkg_plan_t){ .fill = true };
    if (strcmp(command, "validate") == 0)
        return (offbkg_plan_t){ .validate = true, .plot = plot };
    return (offbkg_plan_t){ .select = all || strcmp(command, "select") == 0,
                            .group = all || strcmp(command, "group") == 0,
                            .make = all || strcmp(command, "make") == 0,
                            .index = all || strcmp(command, "index") == 0,
                            .plot = all && plot };
}

int cli_load_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *command, const char *file,
                    offbkg_runconf_t **out, offbkg_pipeline_t **pl)
{
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = NULL;
    offbkg_pipeline_opts_t opts = { opt->threads, opt->strict, opt->shard,
                                    opt->n_shards };
    int st = offbkg_runconf_load(ctx, file, opt->sets, opt->n_sets, &diags,
                                 &rc);

    /* Only a configuration that composes can be tried. */
    if (st == OFFBKG_OK) {
        offbkg_plan_t plan = command_plan(command, rc);
        st = offbkg_pipeline_new(ctx, rc, &plan, &opts, &diags, pl);
    }
    offbkg_diag_sort(&diags);
    for (size_t i = 0; i < diags.n; i++) {
        char *line = offbkg_diag_format(&diags.items[i]);
        fprintf(stderr, "%s\n", line != NULL ? line : "out of memory");
        free(line);
    }
    if (st == OFFBKG_ENOMEM) {
        cli_error("out of memory");
        st = CLI_EXIT_FAILED;
    } else if (st != OFFBKG_OK) {
        fprintf(stderr, "offbkg: %s: %zu problem%s; nothing was done\n",
                file, diags.n, diags.n == 1 ? "" : "s");
        st = CLI_EXIT_USAGE;
    }
    offbkg_diag_clear(&diags);
    if (st != OFFBKG_OK) {
        offbkg_runconf_free(rc);
        return st;
    }
    if (opt->verbosity == 0)
        offbkg_ctx_set_log_level(ctx, (offbkg_log_level_t)rc->run->log_level);
    if (rc->datastore != NULL && rc->datastore->max_inflated_gib > 0)
        offbkg_ctx_set_max_inflated(
            ctx, (size_t)(rc->datastore->max_inflated_gib * (1 << 30)));
    *out = rc;
    return CLI_EXIT_OK;
}

int cli_one_config_arg(const char *command, int argc)
{
    if (argc == 1)
        return 1;
    cli_error("%s: expected one argument, CONFIG (got %d)", command, argc);
    return 0;
}

int cli_check(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
              char **argv)
{
    offbkg_pipeline_t *pl;
    offbkg_runconf_t *rc;
    char *text;
    int status;

    if (!cli_one_config_arg("check", argc))
        return CLI_EXIT_USAGE;
    status = cli_load_config(ctx, opt, "check", argv[0], &rc, &pl);
    if (status != CLI_EXIT_OK)
        return status;
    /* What fails a run before it reads an event fails the check: a
     * selection or a grouping of none, an observation to index that no
     * model will cover. */
    if (offbkg_pipeline_check(ctx, pl) != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        offbkg_pipeline_free(pl);
        offbkg_runconf_free(rc);
        return CLI_EXIT_FAILED;
    }
    text = offbkg_runconf_format(rc);
    offbkg_pipeline_free(pl);
    offbkg_runconf_free(rc);
    if (text == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    fputs(text, stdout);
    free(text);
    return CLI_EXIT_OK;
}
