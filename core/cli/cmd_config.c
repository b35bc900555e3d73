/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg check, and the configuration step every pipeline command shares. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runconf-private.h"
#include "cli.h"

int cli_load_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *file, offbkg_runconf_t **out)
{
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = NULL;
    int st = offbkg_runconf_load(ctx, file, opt->sets, opt->n_sets, &diags,
                                 &rc);
    size_t problems = diags.n;

    offbkg_diags_sort(&diags);
    for (size_t i = 0; i < diags.n; i++) {
        char *line = offbkg_diag_format(&diags.items[i]);
        fprintf(stderr, "%s\n", line != NULL ? line : "out of memory");
        free(line);
    }
    offbkg_diags_clear(&diags);
    if (st == OFFBKG_ENOMEM) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    if (st == OFFBKG_OK) {
        /* Creating the instances runs each plugin's own checks. */
        const offbkg_stage_conf_t *all[2] = { &rc->select, &rc->group };
        for (size_t i = 0; i < 2 + 2 * rc->n_models; i++) {
            const offbkg_stage_conf_t *sc =
                i < 2 ? all[i] : (i % 2 == 0 ? &rc->models[(i - 2) / 2]
                                             : &rc->smooths[(i - 2) / 2]);
            offbkg_instance_t *inst;
            if (sc->module == NULL)
                continue;
            if (offbkg_instance_new(ctx, rc, sc, &inst) != OFFBKG_OK) {
                fprintf(stderr, "%s\n", offbkg_error_msg(ctx));
                problems++;
                continue;
            }
            offbkg_instance_free(inst);
        }
    }
    if (problems > 0) {
        fprintf(stderr, "offbkg: %s: %zu problem%s; nothing was done\n",
                file, problems, problems == 1 ? "" : "s");
        offbkg_runconf_free(rc);
        return CLI_EXIT_USAGE;
    }
    if (opt->verbosity == 0)
        offbkg_ctx_set_log_level(ctx, (offbkg_log_level_t)rc->run->log_level);
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
    offbkg_runconf_t *rc;
    char *text;
    int status;

    if (!cli_one_config_arg("check", argc))
        return CLI_EXIT_USAGE;
    status = cli_load_config(ctx, opt, argv[0], &rc);
    if (status != CLI_EXIT_OK)
        return status;
    text = offbkg_runconf_format(rc);
    offbkg_runconf_free(rc);
    if (text == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    fputs(text, stdout);
    free(text);
    return CLI_EXIT_OK;
}
