/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg plot FILE... [-o DIR] [--format png|pdf|svg]: the figures of
 * background model files (doc/plot.md §2, §3); with exactly two files,
 * also the two side by side. A single argument ending in ".ini" is a
 * CONFIG: cli_plot_config (core/cli/plot_config.c) draws the figures of
 * its run's outputs. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../output-private.h"
#include "../plot_model-private.h"
#include "cli.h"

/* Whether the one argument of offbkg plot is a configuration. */
static int is_config(const char *arg)
{
    size_t n = strlen(arg);

    return n > 4 && strcasecmp(arg + n - 4, ".ini") == 0;
}

static void print_written(offbkg_plot_model_list_t *written, size_t from)
{
    for (size_t i = from; i < written->n; i++)
        printf("%s\n", written->paths[i]);
    fflush(stdout);
}

int cli_plot(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
             char **argv)
{
    offbkg_plot_model_opts_t po = { .format = OFFBKG_PLOT_PNG };
    offbkg_plot_model_list_t written = { 0 };
    const char *dir = opt->plot_dir != NULL ? opt->plot_dir : ".";
    int status = CLI_EXIT_OK;

    if (argc == 0) {
        cli_error("plot: expected model files FILE... or one CONFIG; try "
                  "'offbkg --help'");
        return CLI_EXIT_USAGE;
    }
    if (opt->plot_format != NULL
        && offbkg_plot_format_parse(opt->plot_format, &po.format) != 0) {
        cli_error("--format: expected png, pdf or svg, got '%s'",
                  opt->plot_format);
        return CLI_EXIT_USAGE;
    }
    if (argc == 1 && is_config(argv[0])) {
        if (opt->plot_dir != NULL) {
            cli_error("plot CONFIG: -o is not for a configuration (its "
                      "[plot] dir says where the figures go)");
            return CLI_EXIT_USAGE;
        }
        return cli_plot_config(ctx, opt, argv[0]);
    }
    if (!offbkg_plot_available()) {
        cli_error("%s", OFFBKG_PLOT_UNAVAILABLE);
        return CLI_EXIT_FAILED;
    }
    if (*dir == '\0') {
        cli_error("-o: the directory name is empty");
        return CLI_EXIT_USAGE;
    }
    if (offbkg_output_mkdir_p(ctx, dir) != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        return CLI_EXIT_FAILED;
    }
    /* Every file is drawn, whatever happened to the one before; any
     * failure fails the command. */
    for (int i = 0; i < argc; i++) {
        size_t from = written.n;
        int st = offbkg_plot_model(ctx, argv[i], dir, &po, &written);
        print_written(&written, from);
        if (st != OFFBKG_OK) {
            cli_error("%s", offbkg_error_msg(ctx));
            status = CLI_EXIT_FAILED;
        }
    }
    if (argc == 2 && status == CLI_EXIT_OK) {
        size_t from = written.n;
        int st = offbkg_plot_model_compare(ctx, argv[0], argv[1], dir, &po,
                                           &written);
        print_written(&written, from);
        if (st != OFFBKG_OK) {
            cli_error("%s", offbkg_error_msg(ctx));
            status = CLI_EXIT_FAILED;
        }
    }
    offbkg_plot_model_list_free(&written);
    return status;
}
