/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg: background models for IACTs from OFF runs (command line). */
#include <config.h>

#include <ctype.h>
#include <getopt.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <offbkg/plugin.h>
#include <offbkg/version.h>

#include "../diag-private.h"
#include "../inflate-private.h"
#include "../plot-private.h"
#include "cli.h"

/* The number of the signal received (SIGINT, SIGTERM, SIGHUP, SIGPIPE),
 * 0 if none. The library polls it and stops cleanly, removing its
 * temporary files; the outputs are then those of before. */
static volatile sig_atomic_t cancel_requested;

static void on_signal(int sig)
{
    cancel_requested = sig;
}

/* SIGINT, SIGTERM, SIGHUP (the terminal or the batch system's session
 * gone) and SIGPIPE (a reader of our output gone: `offbkg run x.ini 2>&1
 * | head -1`) ask the work to stop: the write that raised SIGPIPE fails
 * with EPIPE instead of killing the process mid-output. A file size limit
 * (ulimit -f) makes writes fail with EFBIG, reported like a full disk,
 * instead of killing the process with its temporary files left behind. */
static void install_signal_handlers(void)
{
    static const int stops[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        struct sigaction was;
        /* SIGHUP or SIGPIPE ignored by whoever started us stays ignored:
         * `nohup offbkg run ...` must outlive its terminal. */
        if ((stops[i] == SIGHUP || stops[i] == SIGPIPE)
            && sigaction(stops[i], NULL, &was) == 0
            && was.sa_handler == SIG_IGN)
            continue;
        sigaction(stops[i], &sa, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "SIGPIPE";
    }
}

/* After one of those signals, say so and die of it (its conventional
 * exit status, 128 + number), now that the temporaries are gone. The
 * outputs are the old complete set, or the new one when the signal came
 * after it was committed. */
static void exit_if_interrupted(void)
{
    int sig = cancel_requested;

    if (sig == 0)
        return;
    cli_error("interrupted by %s; no partial output is left behind",
              signal_name(sig));
    fflush(stdout);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("offbkg: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(FILE *fp)
{
    fputs("Usage: offbkg [OPTION]... COMMAND [ARG]...\n"
          "Build background models for Cherenkov telescopes from OFF runs.\n"
          "\n"
          "Commands:\n"
          "  run CONFIG          whole pipeline: select, group, make, smooth,"
          " index\n"
          "  select CONFIG       write run.lis\n"
          "  group CONFIG        write obs.fits and group-def.fits\n"
          "  make CONFIG         make models from run.lis and obs.fits\n"
          "  index CONFIG        write the index tables\n"
          "  fill CONFIG         fill the [store] with the contributions of"
          "\n"
          "                      the selected runs it lacks\n"
          "  check CONFIG        validate the configuration and its plugins;"
          "\n"
          "                      print the resolved configuration\n"
          "  plugins [CONFIG]    list the plugins found (with CONFIG: also in"
          "\n"
          "                      its [run] plugin_path)\n"
          "  describe STAGE/NAME [CONFIG]\n"
          "                      print a plugin's parameters (with CONFIG:\n"
          "                      also found in its [run] plugin_path)\n"
          "  simulate DIR        write a data store of simulated OFF runs\n"
          "  plot FILE...        figures of background model files (two"
          "\n"
          "                      files: also side by side)\n"
          "\n"
          "Options (before or after the command; -- ends them):\n"
          "  -j N                worker threads (overrides [run] threads)\n"
          "  -v                  more messages (repeat for debug)\n"
          "  -q                  only errors\n"
          "      --set S.K=V     override key K of section S (repeatable)\n"
          "      --strict        a skipped run is an error\n"
          "      --from-store    read no event file: take every run from\n"
          "                      the [store] (same as --set store.fill=never)"
          "\n"
          "      --shard I/N     fill: only the runs with OBS_ID mod N = I-1"
          "\n"
          "  -o DIR              plot: write the figures into DIR (default .)"
          "\n"
          "      --format F      plot: png (default), pdf or svg\n"
          "      --version       print the version and exit\n"
          "      --help          print this help and exit\n"
          "\n"
          "Plugins are searched in $OFFBKG_PLUGIN_PATH, [run] plugin_path,\n"
          "then $OFFBKG_PLUGINDIR if set, else " OFFBKG_PLUGINDIR ".\n"
          "Exit status: 0 ok, 1 run failed, 2 usage or configuration error.\n"
          "See offbkg(1) and offbkg.ini(5).\n", fp);
}

/* glibc gives the free memory at the top of a heap back to the kernel
 * once it passes 128 KB, and serves blocks from 128 KB up with mmap and
 * munmap: every event file closed (cfitsio frees 115 KB of buffers) then
 * shrank the heap, and the next open grew it again, a TLB flush and
 * fresh page faults per run, which virtual machines make expensive. The
 * same memory serves run after run, so keeping it costs nothing that
 * grows with the runs. */
static void keep_freed_memory(void)
{
#if defined HAVE_MALLOPT && defined M_TRIM_THRESHOLD \
    && defined M_MMAP_THRESHOLD
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

/* Everything of offbkg's is freed (valgrind checks it) and stdout and
 * stderr are flushed: end without running the destructors of the
 * shared libraries cfitsio and PLplot pull in (gnutls, krb5, p11-kit
 * and 40 more), which undo set-ups offbkg never used, 2 ms of a job
 * that takes 50 (adding 10 runs to a store). A sanitizer build ends
 * normally: its leak check runs at exit. */
static int leave(int status)
{
#if !defined(__SANITIZE_ADDRESS__)
    if (fflush(NULL) == 0)
        _exit(status);
#endif
    return status;
}

/* --shard I/N, 1 <= I <= N <= 100000. */
static bool parse_shard(const char *arg, cli_options_t *opt)
{
    char *end;
    unsigned long i = strtoul(arg, &end, 10), n = 0;

    if (end != arg && *end == '/' && isdigit((unsigned char)end[1]))
        n = strtoul(end + 1, &end, 10);
    if (*end != '\0' || i < 1 || n < i || n > 100000) {
        cli_error("--shard: expected I/N with 1 <= I <= N <= 100000 (e.g. "
                  "--shard 2/8), got '%s'", arg);
        return false;
    }
    opt->shard = (unsigned)i;
    opt->n_shards = (unsigned)n;
    return true;
}

static const char *const commands[] = {
    "run", "select", "group", "make", "index", "fill", "validate", "check",
    "plugins", "describe", "simulate", "plot", NULL
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "set", required_argument, NULL, 'S' },
        { "strict", no_argument, NULL, 's' },
        { "from-store", no_argument, NULL, 'F' },
        { "shard", required_argument, NULL, 'H' },
        { "format", required_argument, NULL, 'f' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    cli_options_t opt = { .threads = -1 };
    offbkg_ctx_t *ctx;
    const char *command = NULL;
    char **args;
    int n_args = 0, c, status;

    opt.sets = calloc((size_t)argc, sizeof *opt.sets);
    /* args[0] is the command, as getopt's argv[0] for simulate. */
    args = calloc((size_t)argc + 1, sizeof *args);
    if (opt.sets == NULL || args == NULL) {
        cli_error("out of memory");
        free(opt.sets);
        free(args);
        return CLI_EXIT_FAILED;
    }
    /* Options are taken anywhere, before or after the command, as git and
     * GNU tools do ('-': operands come back in order as code 1, whatever
     * POSIXLY_CORRECT says); '--' ends them. simulate has options of its
     * own: the words after it are left to its parser. */
    while ((command == NULL || strcmp(command, "simulate") != 0)
           && (c = getopt_long(argc, argv, "-j:vqo:", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 1:
            if (command == NULL)
                command = optarg;
            else
                args[1 + n_args++] = optarg;
            break;
        case 'j':
            opt.threads = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || opt.threads < 0
                || opt.threads > 1024) {
                cli_error("-j: expected a number of threads 0..1024, got "
                          "'%s'", optarg);
                status = CLI_EXIT_USAGE;
                goto out;
            }
            break;
        case 'v': opt.verbosity++; break;
        case 'q': opt.verbosity = -1; break;
        case 'S': opt.sets[opt.n_sets++] = optarg; break;
        case 's': opt.strict = 1; break;
        case 'F': opt.sets[opt.n_sets++] = "store.fill=never"; break;
        case 'o': opt.plot_dir = optarg; break;
        case 'f': opt.plot_format = optarg; break;
        case 'H':
            if (!parse_shard(optarg, &opt)) {
                status = CLI_EXIT_USAGE;
                goto out;
            }
            break;
        case 'V':
            printf("offbkg %s (plugin ABI %d.%d)\n"
                   "gzip inputs are inflated with %s\n"
                   "figures: %s\n", OFFBKG_VERSION,
                   OFFBKG_PLUGIN_ABI_MAJOR, OFFBKG_PLUGIN_ABI_MINOR,
                   offbkg_inflate_library(),
                   offbkg_plot_available() ? "drawn with PLplot"
                                           : "none (built without PLplot)");
            status = CLI_EXIT_OK;
            goto out;
        case 'h':
            usage(stdout);
            status = CLI_EXIT_OK;
            goto out;
        default:
            fputs("Try 'offbkg --help'.\n", stderr);
            status = CLI_EXIT_USAGE;
            goto out;
        }
    }
    /* After '--' the rest is operands; after simulate, its words. */
    if (command == NULL && optind < argc)
        command = argv[optind++];
    for (; optind < argc; optind++)
        args[1 + n_args++] = argv[optind];
    if (command == NULL) {
        usage(stderr);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    args[0] = (char *)command;
    if ((opt.plot_dir != NULL || opt.plot_format != NULL)
        && strcmp(command, "plot") != 0) {
        cli_error("%s: -o and --format are options of offbkg plot",
                  command);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    ctx = offbkg_ctx_new();
    if (ctx == NULL) {
        cli_error("out of memory");
        status = CLI_EXIT_FAILED;
        goto out;
    }
    if (opt.verbosity < 0)
        offbkg_ctx_set_log_level(ctx, OFFBKG_LOG_ERROR);
    else if (opt.verbosity > 0)
        offbkg_ctx_set_log_level(ctx, opt.verbosity > 1 ? OFFBKG_LOG_DEBUG
                                                        : OFFBKG_LOG_INFO);
    install_signal_handlers();
    keep_freed_memory();
    offbkg_ctx_set_cancel_flag(ctx, &cancel_requested);

    if (strcmp(command, "check") == 0)
        status = cli_check(ctx, &opt, n_args, args + 1);
    else if (strcmp(command, "plugins") == 0)
        status = cli_plugins(ctx, &opt, n_args, args + 1);
    else if (strcmp(command, "describe") == 0)
        status = cli_describe(ctx, &opt, n_args, args + 1);
    else if (strcmp(command, "simulate") == 0)
        status = cli_simulate(ctx, &opt, n_args, args + 1);
    else if (strcmp(command, "plot") == 0)
        status = cli_plot(ctx, &opt, n_args, args + 1);
    else if (strcmp(command, "run") == 0 || strcmp(command, "select") == 0
             || strcmp(command, "group") == 0 || strcmp(command, "make") == 0
             || strcmp(command, "index") == 0
             || strcmp(command, "fill") == 0
             || strcmp(command, "validate") == 0)
        status = cli_pipeline(ctx, &opt, command, n_args, args + 1);
    else {
        const char *hint = offbkg_diag_closest_match(command, commands,
                                                     (size_t)-1);
        if (hint != NULL)
            cli_error("unknown command '%s' (did you mean '%s'?); try "
                      "'offbkg --help'", command, hint);
        else
            cli_error("unknown command '%s'; try 'offbkg --help'", command);
        status = CLI_EXIT_USAGE;
    }
    offbkg_ctx_free(ctx);
    free(opt.sets);
    free(args);
    exit_if_interrupted();
    return leave(status);
out:
    free(opt.sets);
    free(args);
    return status;
}
