/* SPDX-License-Identifier: BSD-3-Clause
 * The offbkg command-line front end: shared options and command entry
 * points. Only the front end prints and chooses exit codes. */
#ifndef OFFBKG_CLI_H
#define OFFBKG_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "../ctx-private.h"
#include "../validate-private.h"

/** Exit codes, mapped in one place. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,   /* the run failed */
    CLI_EXIT_USAGE = 2     /* usage or configuration error */
};

typedef struct cli_options {
    int verbosity;              /* -v count minus -q count; 0 = default */
    long threads;               /* -j; -1 if not given */
    int strict;
    size_t n_sets;
    const char **sets;          /* --set values, in order */
    unsigned shard, n_shards;   /* --shard I/N (fill); 0/0 if not given */
    const char *plot_dir;       /* plot: -o DIR; NULL if not given */
    const char *plot_format;    /* plot: --format F; NULL if not given */
} cli_options_t;

struct offbkg_runconf;
struct offbkg_pipeline;

/** Load CONFIG with the --set overrides and start a run of the steps of
 *  @p command ("run", "select", ..., or "check"): every check that needs
 *  no event (offbkg_preflight), printing every problem. Returns
 *  CLI_EXIT_OK with *out and *pl set, or CLI_EXIT_USAGE. */
int cli_load_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *command, const char *file,
                    struct offbkg_runconf **out, struct offbkg_pipeline **pl);

/** True when @p argc is 1; otherwise prints a usage error. */
int cli_one_config_arg(const char *command, int argc);

int cli_check(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
              char **argv);
int cli_pipeline(offbkg_ctx_t *ctx, const cli_options_t *opt,
                 const char *command, int argc, char **argv);
int cli_simulate(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                 char **argv);
int cli_plugins(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                char **argv);
int cli_describe(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                 char **argv);
/** offbkg plot FILE... (core/cli/cmd_plot.c); one argument ending in
 *  ".ini" goes to cli_plot_config. */
int cli_plot(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
             char **argv);
/** offbkg plot CONFIG: the figures of the configuration's outputs
 *  (core/cli/plot_config.c). */
int cli_plot_config(offbkg_ctx_t *ctx, const cli_options_t *opt,
                    const char *config);

/** The summary of offbkg validate on @p fp: the strategies, best first
 *  (the smallest run-wise systematic), then the outlier runs; @p path is
 *  validation.fits. */
void cli_validate_summary(FILE *fp, const offbkg_validation_t *v,
                          const char *path);

/** Print "offbkg: error: <msg>" on stderr. */
void cli_error(const char *fmt, ...) OFFBKG_PRINTF(1, 2);

#endif
