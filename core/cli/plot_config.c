/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg plot CONFIG: the figures of the files in a configuration's
 * [output] dir, drawn into its [plot] dir, and index.html
 * (core/plot_outputs.c, doc/plot.md). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "../plot_outputs-private.h"
#include "../runconf-private.h"
#include "cli.h"

int cli_plot_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *config)
{
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = NULL;
    char *index = NULL;
    size_t n = 0;
    int st = offbkg_runconf_load(ctx, config, opt->sets, opt->n_sets, &diags,
                                 &rc);

    offbkg_diag_sort(&diags);
    for (size_t i = 0; i < diags.n; i++) {
        char *line = offbkg_diag_format(&diags.items[i]);
        fprintf(stderr, "%s\n", line != NULL ? line : "out of memory");
        free(line);
    }
    if (st == OFFBKG_ENOMEM) {
        cli_error("out of memory");
        offbkg_diag_clear(&diags);
        return CLI_EXIT_FAILED;
    }
    if (st != OFFBKG_OK) {
        fprintf(stderr, "offbkg: %s: %zu problem%s; nothing was done\n",
                config, diags.n, diags.n == 1 ? "" : "s");
        offbkg_diag_clear(&diags);
        return CLI_EXIT_USAGE;
    }
    offbkg_diag_clear(&diags);
    if (rc->plot == NULL) {
        cli_error("plot %s: no [plot] section: add one (format, dir, ...: "
                  "offbkg.ini(5))", config);
        offbkg_runconf_free(rc);
        return CLI_EXIT_USAGE;
    }
    if (opt->verbosity == 0)
        offbkg_ctx_set_log_level(ctx, (offbkg_log_level_t)rc->run->log_level);
    st = offbkg_plot_outputs_run(ctx, rc, &n, &index);
    if (st != OFFBKG_OK) {
        if (!offbkg_ctx_cancelled(ctx))
            cli_error("%s", offbkg_error_msg(ctx));
    } else if (opt->verbosity >= 0) {
        printf("figures: %zu in %s/%s, shown by %s\n", n, rc->output->dir,
               rc->plot->dir, index);
    }
    free(index);
    offbkg_runconf_free(rc);
    return st == OFFBKG_OK ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
