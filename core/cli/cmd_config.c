/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg check, and the configuration step every pipeline command shares. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../index-private.h"
#include "../preflight-private.h"
#include "../runconf-private.h"
#include "cli.h"

int cli_load_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *file, const offbkg_plan_t *plan,
                    offbkg_runconf_t **out, offbkg_preflight_t *pf)
{
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = NULL;
    int st = offbkg_runconf_load(ctx, file, opt->sets, opt->n_sets, &diags,
                                 &rc);

    /* Only a configuration that composes can be tried. */
    if (st == OFFBKG_OK)
        st = offbkg_preflight(ctx, rc, plan, &diags, pf);
    offbkg_diags_sort(&diags);
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
    offbkg_diags_clear(&diags);
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

/* The check of offbkg run before it reads an event: the groups of the
 * selected runs against the observations of the index store. */
static int need_models(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_preflight_t *pf)
{
    offbkg_grouping_t g = { 0 };
    int st = offbkg_group_run(ctx, rc, pf->store, pf->sel.rows, pf->sel.n,
                              &g);

    if (st == OFFBKG_OK)
        st = offbkg_index_check_needed(ctx, rc, pf->store, g.runs_per_group,
                                       pf->sel.n, g.n_groups);
    offbkg_grouping_clear(&g);
    return st;
}

int cli_check(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
              char **argv)
{
    /* What `offbkg run` would do with it (with no [model], what
     * select and group would). */
    offbkg_plan_t plan = { true, true, true, true };
    offbkg_preflight_t pf;
    offbkg_runconf_t *rc;
    char *text;
    int status;

    if (!cli_one_config_arg("check", argc))
        return CLI_EXIT_USAGE;
    status = cli_load_config(ctx, opt, argv[0], &plan, &rc, &pf);
    if (status != CLI_EXIT_OK)
        return status;
    /* A selection of none fails a run: say so now. */
    if (offbkg_selection_require(ctx, rc, pf.store, &pf.sel) != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        offbkg_preflight_free(&pf);
        offbkg_runconf_free(rc);
        return CLI_EXIT_FAILED;
    }
    /* So does a group without a run that the index step needs. */
    if (rc->n_models > 0 && need_models(ctx, rc, &pf) != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        offbkg_preflight_free(&pf);
        offbkg_runconf_free(rc);
        return CLI_EXIT_FAILED;
    }
    text = offbkg_runconf_format(rc);
    offbkg_preflight_free(&pf);
    offbkg_runconf_free(rc);
    if (text == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    fputs(text, stdout);
    free(text);
    return CLI_EXIT_OK;
}
