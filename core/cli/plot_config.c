/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg plot CONFIG: the figures of a run's outputs ([output] dir) and
 * index.html (doc/plot.md). Not built yet: the model files themselves
 * are drawn by offbkg plot FILE... */
#include <config.h>

#include "cli.h"

int cli_plot_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *config)
{
    (void)ctx;
    (void)opt;
    cli_error("plot %s: the figures of a configuration's outputs are not "
              "drawn yet; name the model files instead: offbkg plot "
              "FILE... [-o DIR]", config);
    return CLI_EXIT_USAGE;
}
