/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg simulate DIR [options]: a GADF data store of OFF runs drawn from
 * a known rate (core/simulate-private.h has the model). */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../simulate-private.h"
#include "cli.h"

static void simulate_usage(FILE *fp)
{
    fputs("Usage: offbkg simulate DIR [OPTION]...\n"
          "Write in DIR a GADF data store of OFF runs whose events are drawn "
          "from a\nknown background rate, and the truth in DIR/truth.txt.\n"
          "\n"
          "Runs:\n"
          "      --runs N            regular runs (default 10)\n"
          "      --seed S            random seed (default 42)\n"
          "      --zenith MIN,MAX    zenith range, deg (default 10,60)\n"
          "      --ontime MIN,MAX    ONTIME range, s (default 1200,1800)\n"
          "      --deadc MIN,MAX     DEADC range (default 0.85,0.97)\n"
          "      --first-obs-id N    OBS_ID of the first run (default 1)\n"
          "      --edge-zeniths      add runs at zenith 49.0 and 90.0\n"
          "Truth model:\n"
          "      --r0 X              s-1 MeV-1 sr-1 at 1 TeV (default 1e-4)"
          "\n"
          "      --events N          choose r0 for N events per run (mean)\n"
          "      --gamma G           spectral index (default 2.7)\n"
          "      --asym-lon A        FoV lon gradient per 2.5 deg (default 0)"
          "\n"
          "      --asym-lat B        FoV lat gradient per 2.5 deg (default 0)"
          "\n"
          "      --zenith-scaling    r0 grows as 1/cos(zenith)\n"
          "      --livetime          the rate is per LIVETIME, not ONTIME\n"
          "      --fov-alignment A   radec (default) or altaz: the FoV frame "
          "of the\n"
          "                          truth; altaz draws each event in the "
          "camera at\n"
          "                          its time and converts it to RA/Dec\n"
          "      --energy MIN,MAX    simulated energies, TeV (default "
          "0.05,200)\n"
          "      --theta-max DEG     simulated offsets (default 6)\n"
          "Contamination and broken stores:\n"
          "      --nan-rows N        N rows with NaN RA/ENERGY/DEC and one "
          "with\n"
          "                          ENERGY = 0, in every run\n"
          "      --source N,SIGMA[,OFFSET]\n"
          "                          N events per run in a Gaussian blob "
          "of\n"
          "                          width SIGMA deg, OFFSET deg from the "
          "pointing\n"
          "                          (default 0.5)\n"
          "      --source RA,DEC,N,SIGMA\n"
          "                          the blob at a fixed position (runs "
          "whose\n"
          "                          field holds it)\n"
          "      --mixed-compression every second run as plain .fits\n"
          "      --plain             every run as plain .fits\n"
          "      --missing-file      index one more run whose file is not "
          "written\n"
          "Output:\n"
          "      --overwrite         write into a non-empty DIR, replacing "
          "files\n"
          "  -v, --verbose           one line per run\n"
          "  -q, --quiet             no summary line\n"
          "  -h, --help              print this help and exit\n", fp);
}

/* Numbers separated by commas: exactly n_min..n_max of them. Returns the
 * count, or 0 on a syntax error. */
static int parse_list(const char *text, double *v, int n_min, int n_max)
{
    const char *s = text;
    int n = 0;

    for (;;) {
        char *end;
        if (n == n_max)
            return 0;
        errno = 0;
        v[n] = strtod(s, &end);
        if (end == s || errno != 0 || !isfinite(v[n]))
            return 0;
        n++;
        while (*end == ' ')
            end++;
        if (*end == '\0')
            break;
        if (*end != ',')
            return 0;
        s = end + 1;
    }
    return n >= n_min ? n : 0;
}

static int parse_count(const char *text, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0 || v < 0 || v > max)
        return 0;
    *out = v;
    return 1;
}

static int bad_value(const char *option, const char *what, const char *got)
{
    cli_error("simulate: %s: expected %s, got '%s'", option, what, got);
    return CLI_EXIT_USAGE;
}

enum {
    OPT_RUNS = 256, OPT_SEED, OPT_ZENITH, OPT_ONTIME, OPT_DEADC,
    OPT_FIRST, OPT_EDGE, OPT_R0, OPT_EVENTS, OPT_GAMMA, OPT_ASYM_LON,
    OPT_ASYM_LAT, OPT_ZSCALE, OPT_LIVETIME, OPT_ENERGY, OPT_THETA,
    OPT_NAN, OPT_SOURCE, OPT_MIXED, OPT_MISSING, OPT_OVERWRITE,
    OPT_ALIGN, OPT_PLAIN
};

/* Apply one option to @p p; CLI_EXIT_OK or CLI_EXIT_USAGE. */
static int apply_option(int c, const char *arg, offbkg_sim_params_t *p,
                        double *events, bool *overwrite)
{
    double v[4];
    long n;
    int k;

    switch (c) {
    case OPT_RUNS:
        if (!parse_count(arg, 100000, &n) || n == 0)
            return bad_value("--runs", "a number of runs 1..100000", arg);
        p->n_runs = (int)n;
        break;
    case OPT_SEED: {
        char *end;
        unsigned long long s;
        errno = 0;
        s = strtoull(arg, &end, 0);
        if (*arg == '\0' || *arg == '-' || *end != '\0' || errno != 0)
            return bad_value("--seed", "a non-negative integer", arg);
        p->seed = (uint64_t)s;
        break;
    }
    case OPT_ZENITH:
        if (parse_list(arg, v, 2, 2) != 2)
            return bad_value("--zenith", "MIN,MAX in degrees", arg);
        p->zen_min_deg = v[0];
        p->zen_max_deg = v[1];
        break;
    case OPT_ONTIME:
        if (parse_list(arg, v, 2, 2) != 2)
            return bad_value("--ontime", "MIN,MAX in seconds", arg);
        p->ontime_min_s = v[0];
        p->ontime_max_s = v[1];
        break;
    case OPT_DEADC:
        if (parse_list(arg, v, 2, 2) != 2)
            return bad_value("--deadc", "MIN,MAX (live fractions)", arg);
        p->deadc_min = v[0];
        p->deadc_max = v[1];
        break;
    case OPT_FIRST:
        if (!parse_count(arg, 999999, &n))
            return bad_value("--first-obs-id", "an OBS_ID 0..999999", arg);
        p->first_obs_id = n;
        break;
    case OPT_EDGE: p->edge_zeniths = true; break;
    case OPT_R0:
        if (parse_list(arg, v, 1, 1) != 1)
            return bad_value("--r0", "a rate in s-1 MeV-1 sr-1", arg);
        p->r0 = v[0];
        break;
    case OPT_EVENTS:
        if (parse_list(arg, v, 1, 1) != 1 || !(v[0] > 0))
            return bad_value("--events", "a positive mean number of "
                             "events per run", arg);
        *events = v[0];
        break;
    case OPT_GAMMA:
        if (parse_list(arg, v, 1, 1) != 1)
            return bad_value("--gamma", "a spectral index", arg);
        p->gamma = v[0];
        break;
    case OPT_ASYM_LON:
    case OPT_ASYM_LAT:
        if (parse_list(arg, v, 1, 1) != 1)
            return bad_value(c == OPT_ASYM_LON ? "--asym-lon" : "--asym-lat",
                             "a gradient per 2.5 deg", arg);
        *(c == OPT_ASYM_LON ? &p->asym_lon : &p->asym_lat) = v[0];
        break;
    case OPT_ZSCALE: p->zenith_scaling = true; break;
    case OPT_LIVETIME: p->livetime_base = true; break;
    case OPT_ALIGN:
        if (strcmp(arg, "radec") != 0 && strcmp(arg, "altaz") != 0)
            return bad_value("--fov-alignment", "radec or altaz", arg);
        p->altaz = strcmp(arg, "altaz") == 0;
        break;
    case OPT_ENERGY:
        if (parse_list(arg, v, 2, 2) != 2)
            return bad_value("--energy", "MIN,MAX in TeV", arg);
        p->e_min_tev = v[0];
        p->e_max_tev = v[1];
        break;
    case OPT_THETA:
        if (parse_list(arg, v, 1, 1) != 1)
            return bad_value("--theta-max", "an offset in degrees", arg);
        p->theta_max_deg = v[0];
        break;
    case OPT_NAN:
        if (!parse_count(arg, 1000000, &n))
            return bad_value("--nan-rows", "a number of rows 0..1000000",
                             arg);
        p->nan_rows = (int)n;
        break;
    case OPT_SOURCE:
        k = parse_list(arg, v, 2, 4);
        if (k == 0)
            return bad_value("--source", "N,SIGMA[,OFFSET] or "
                             "RA,DEC,N,SIGMA", arg);
        {
            double cnt = k == 4 ? v[2] : v[0];
            if (cnt < 0 || cnt > 1e7 || cnt != floor(cnt))
                return bad_value("--source", "a whole number of events N",
                                 arg);
            p->src_n = (int)cnt;
        }
        if (k == 4) {
            p->source_mode = OFFBKG_SIM_SOURCE_RADEC;
            p->src_ra_deg = v[0];
            p->src_dec_deg = v[1];
            p->src_sigma_deg = v[3];
        } else {
            p->source_mode = OFFBKG_SIM_SOURCE_OFFSET;
            p->src_sigma_deg = v[1];
            if (k == 3)
                p->src_offset_deg = v[2];
        }
        break;
    case OPT_MIXED: p->mixed_compression = true; break;
    case OPT_PLAIN: p->plain_files = true; break;
    case OPT_MISSING: p->missing_file = true; break;
    case OPT_OVERWRITE: *overwrite = true; break;
    default:
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_simulate(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                 char **argv)
{
    static const struct option longopts[] = {
        { "runs", required_argument, NULL, OPT_RUNS },
        { "seed", required_argument, NULL, OPT_SEED },
        { "zenith", required_argument, NULL, OPT_ZENITH },
        { "ontime", required_argument, NULL, OPT_ONTIME },
        { "deadc", required_argument, NULL, OPT_DEADC },
        { "first-obs-id", required_argument, NULL, OPT_FIRST },
        { "edge-zeniths", no_argument, NULL, OPT_EDGE },
        { "r0", required_argument, NULL, OPT_R0 },
        { "events", required_argument, NULL, OPT_EVENTS },
        { "gamma", required_argument, NULL, OPT_GAMMA },
        { "asym-lon", required_argument, NULL, OPT_ASYM_LON },
        { "fov-alignment", required_argument, NULL, OPT_ALIGN },
        { "asym-lat", required_argument, NULL, OPT_ASYM_LAT },
        { "zenith-scaling", no_argument, NULL, OPT_ZSCALE },
        { "livetime", no_argument, NULL, OPT_LIVETIME },
        { "energy", required_argument, NULL, OPT_ENERGY },
        { "theta-max", required_argument, NULL, OPT_THETA },
        { "nan-rows", required_argument, NULL, OPT_NAN },
        { "source", required_argument, NULL, OPT_SOURCE },
        { "mixed-compression", no_argument, NULL, OPT_MIXED },
        { "plain", no_argument, NULL, OPT_PLAIN },
        { "missing-file", no_argument, NULL, OPT_MISSING },
        { "overwrite", no_argument, NULL, OPT_OVERWRITE },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    offbkg_sim_params_t p;
    offbkg_sim_summary_t sum;
    struct timespec t0, t1;
    double events = 0, secs;
    bool overwrite = false, r0_given = false;
    int verbosity = opt->verbosity, c, st;
    const char *dir;

    offbkg_sim_params_default(&p);
    /* argv[-1] is the command name: it plays getopt's argv[0]. optind 0
     * makes glibc start afresh after main's own getopt. */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc + 1, argv - 1, ":vqh", longopts, NULL))
           != -1) {
        switch (c) {
        case 'v': verbosity = verbosity < 0 ? 1 : verbosity + 1; break;
        case 'q': verbosity = -1; break;
        case 'h':
            simulate_usage(stdout);
            return CLI_EXIT_OK;
        case ':':
            cli_error("simulate: option '%s' needs a value",
                      argv[optind - 2]);
            return CLI_EXIT_USAGE;
        case '?':
            if (optopt != 0)
                cli_error("simulate: unknown option '-%c'; try 'offbkg "
                          "simulate --help'", optopt);
            else
                cli_error("simulate: unknown option '%s'; try 'offbkg "
                          "simulate --help'", argv[optind - 2]);
            return CLI_EXIT_USAGE;
        default:
            if (c == OPT_R0)
                r0_given = true;
            if (apply_option(c, optarg, &p, &events, &overwrite)
                != CLI_EXIT_OK)
                return CLI_EXIT_USAGE;
        }
    }
    if (optind - 1 != argc - 1) {
        if (optind - 1 >= argc)
            cli_error("simulate: expected a directory DIR; try 'offbkg "
                      "simulate --help'");
        else
            cli_error("simulate: expected one directory, got '%s' and "
                      "'%s'", argv[optind - 1], argv[optind]);
        return CLI_EXIT_USAGE;
    }
    dir = argv[optind - 1];
    if (dir[0] == '\0') {
        cli_error("simulate: the directory name is empty");
        return CLI_EXIT_USAGE;
    }
    if (events > 0) {
        if (r0_given) {
            cli_error("simulate: give --r0 or --events, not both");
            return CLI_EXIT_USAGE;
        }
        if (offbkg_sim_params_check(ctx, &p) != OFFBKG_OK) {
            cli_error("simulate: %s", offbkg_error_msg(ctx));
            return CLI_EXIT_USAGE;
        }
        p.r0 = offbkg_sim_r0_for_events(&p, events);
        if (!(p.r0 >= 0)) {
            cli_error("simulate: --events %g: the floor alone gives more "
                      "events per run", events);
            return CLI_EXIT_USAGE;
        }
    }
    if (offbkg_sim_params_check(ctx, &p) != OFFBKG_OK) {
        cli_error("simulate: %s", offbkg_error_msg(ctx));
        return CLI_EXIT_USAGE;
    }

    /* Progress (one line per run) only with -v. */
    offbkg_ctx_set_log_level(ctx, verbosity < 0    ? OFFBKG_LOG_ERROR
                                  : verbosity == 0 ? OFFBKG_LOG_WARN
                                  : verbosity == 1 ? OFFBKG_LOG_INFO
                                                   : OFFBKG_LOG_DEBUG);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = offbkg_sim_write(ctx, &p, dir, overwrite, &sum);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != OFFBKG_OK) {
        cli_error("simulate: %s", offbkg_error_msg(ctx));
        if (st == OFFBKG_EEXIST)
            fputs("Use --overwrite to write into it anyway.\n", stderr);
        /* Refusals before any work are usage errors. */
        return st == OFFBKG_EEXIST || st == OFFBKG_EINVAL ? CLI_EXIT_USAGE
                                                          : CLI_EXIT_FAILED;
    }
    secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    if (verbosity > 0)
        fprintf(stderr, "offbkg: info: %.2f s, %.0f events/s\n", secs,
                secs > 0 ? (double)sum.n_events / secs : 0.0);
    if (verbosity >= 0)
        printf("offbkg: simulated store in %s: %zu runs (%zu files), "
               "%zu events (%zu background); truth in %s/truth.txt\n",
               dir, sum.n_runs, sum.n_files, sum.n_events, sum.n_background,
               dir);
    return CLI_EXIT_OK;
}
