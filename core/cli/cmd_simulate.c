/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg simulate DIR [options]: a GADF data store of OFF runs drawn from
 * a known rate (core/sim-private.h has the model). Its options are a
 * parameter table, as the plugins' INI keys are: the host's parser checks
 * types and ranges, and --help is written from the table. */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../params-private.h"
#include "../sim-private.h"
#include "cli.h"

/* The options, in the units their names do not carry (the INI convention
 * of unit suffixes would rename options that scripts use). */
typedef struct sim_opts {
    int64_t runs, seed, first_obs_id, nan_rows;
    offbkg_double_list_t zenith, ontime, deadc, energy, source, source_runs;
    double r0, events, gamma, asym_lon, asym_lat, theta_max;
    int fov_alignment;
    const char *rate_column;
    offbkg_double_list_t rate_column_range;
    double rate_column_ref, rate_column_index, run_scatter;
    bool edge_zeniths, zenith_scaling, livetime, mixed_compression;
    bool plain, missing_file, overwrite;
} sim_opts_t;

/* One option: its parameter (name with '_' for the option's '-'; a bool
 * is a flag without value), the placeholder of its value in --help, and
 * the heading it starts, if any. */
typedef struct sim_option {
    offbkg_param_t p;
    const char *metavar;
    const char *heading;
} sim_option_t;

#define OFF(f) offsetof(sim_opts_t, f)
#define MIN_ OFFBKG_PARAM_HAS_MIN
#define MAX_ OFFBKG_PARAM_HAS_MAX
#define MIN_OPEN (OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN)

static const char *const alignments[] = { "radec", "altaz", NULL };

static const sim_option_t sim_options[] = {
    { { "runs", OFFBKG_PARAM_INT, OFF(runs), "10", MIN_ | MAX_, 1, 100000,
        0, 0, NULL, "", "regular runs" }, "N", "Runs:" },
    { { "seed", OFFBKG_PARAM_INT, OFF(seed), "42", MIN_, 0, 0, 0, 0, NULL,
        "", "random seed" }, "S", NULL },
    { { "zenith", OFFBKG_PARAM_DOUBLE_LIST, OFF(zenith), "10, 60",
        MIN_ | MAX_, 0, 90, 2, 2, NULL, "deg", "zenith range" },
      "MIN,MAX", NULL },
    { { "ontime", OFFBKG_PARAM_DOUBLE_LIST, OFF(ontime), "1200, 1800",
        MIN_OPEN | MAX_, 0, 86400, 2, 2, NULL, "s", "ONTIME range" },
      "MIN,MAX", NULL },
    { { "deadc", OFFBKG_PARAM_DOUBLE_LIST, OFF(deadc), "0.85, 0.97",
        MIN_OPEN | MAX_, 0, 1, 2, 2, NULL, "",
        "DEADC range (live fractions)" }, "MIN,MAX", NULL },
    { { "first_obs_id", OFFBKG_PARAM_INT, OFF(first_obs_id), "1",
        MIN_ | MAX_, 0, 999999, 0, 0, NULL, "", "OBS_ID of the first run" },
      "N", NULL },
    { { "edge_zeniths", OFFBKG_PARAM_BOOL, OFF(edge_zeniths), "false", 0,
        0, 0, 0, 0, NULL, "", "add runs at zenith 49.0 and 90.0" },
      NULL, NULL },
    { { "r0", OFFBKG_PARAM_DOUBLE, OFF(r0), "1e-4", MIN_, 0, 0, 0, 0, NULL,
        "s-1 MeV-1 sr-1", "rate at 1 TeV in the FoV centre" }, "X",
      "Truth model:" },
    { { "events", OFFBKG_PARAM_DOUBLE, OFF(events), NULL, MIN_OPEN, 0, 0,
        0, 0, NULL, "",
        "choose r0 for N events per run (mean, before rate factors)" }, "N",
      NULL },
    { { "gamma", OFFBKG_PARAM_DOUBLE, OFF(gamma), "2.7", MIN_ | MAX_, -10,
        10, 0, 0, NULL, "", "spectral index" }, "G", NULL },
    { { "asym_lon", OFFBKG_PARAM_DOUBLE, OFF(asym_lon), "0", 0, 0, 0, 0, 0,
        NULL, "", "FoV lon gradient per 2.5 deg" }, "A", NULL },
    { { "asym_lat", OFFBKG_PARAM_DOUBLE, OFF(asym_lat), "0", 0, 0, 0, 0, 0,
        NULL, "", "FoV lat gradient per 2.5 deg" }, "B", NULL },
    { { "zenith_scaling", OFFBKG_PARAM_BOOL, OFF(zenith_scaling), "false",
        0, 0, 0, 0, 0, NULL, "", "r0 grows as 1/cos(zenith)" }, NULL,
      NULL },
    { { "livetime", OFFBKG_PARAM_BOOL, OFF(livetime), "false", 0, 0, 0, 0,
        0, NULL, "", "the rate is per LIVETIME, not ONTIME" }, NULL, NULL },
    { { "fov_alignment", OFFBKG_PARAM_ENUM, OFF(fov_alignment), "radec", 0,
        0, 0, 0, 0, alignments, "",
        "the FoV frame of the truth; altaz draws each event in the camera "
        "at its time and converts it to RA/Dec" }, "A", NULL },
    { { "energy", OFFBKG_PARAM_DOUBLE_LIST, OFF(energy), "0.05, 200",
        MIN_OPEN, 0, 0, 2, 2, NULL, "TeV", "simulated energies" },
      "MIN,MAX", NULL },
    { { "theta_max", OFFBKG_PARAM_DOUBLE, OFF(theta_max), "6",
        MIN_OPEN | MAX_, 0, 30, 0, 0, NULL, "deg", "simulated offsets" },
      "DEG", NULL },
    { { "rate_column", OFFBKG_PARAM_STRING, OFF(rate_column), NULL, 0, 0, 0,
        0, 0, NULL, "",
        "add obs-index column NAME (and EVENTS key), drawn per run "
        "uniformly in --rate-column-range; the run's rate is multiplied by "
        "(value / REF)^INDEX" }, "NAME", "Per-run rate factors:" },
    { { "rate_column_range", OFFBKG_PARAM_DOUBLE_LIST,
        OFF(rate_column_range), "0.5, 1.5", MIN_OPEN, 0, 0, 2, 2, NULL, "",
        "values of NAME" }, "MIN,MAX", NULL },
    { { "rate_column_ref", OFFBKG_PARAM_DOUBLE, OFF(rate_column_ref), "1",
        MIN_OPEN, 0, 0, 0, 0, NULL, "", "REF, the value of rate factor 1" },
      "REF", NULL },
    { { "rate_column_index", OFFBKG_PARAM_DOUBLE, OFF(rate_column_index),
        "1", MIN_ | MAX_, -10, 10, 0, 0, NULL, "", "the power INDEX" },
      "INDEX",
      NULL },
    { { "run_scatter", OFFBKG_PARAM_DOUBLE, OFF(run_scatter), "0",
        MIN_ | MAX_, 0, 1, 0, 0, NULL, "",
        "relative sigma of a lognormal factor of mean 1 on each run's rate" },
      "SIGMA", NULL },
    { { "nan_rows", OFFBKG_PARAM_INT, OFF(nan_rows), "0", MIN_ | MAX_, 0,
        1000000, 0, 0, NULL, "",
        "N rows with NaN RA/ENERGY/DEC and one with ENERGY = 0, in every "
        "run" }, "N", "Contamination and broken stores:" },
    { { "source", OFFBKG_PARAM_DOUBLE_LIST, OFF(source), NULL, 0, 0, 0, 2,
        4, NULL, "",
        "N events per run in a Gaussian blob of width SIGMA deg, OFFSET deg "
        "from the pointing (default 0.5), or at a fixed RA,DEC (runs whose "
        "field holds it)" }, "N,SIGMA[,OFFSET] or RA,DEC,N,SIGMA", NULL },
    { { "source_runs", OFFBKG_PARAM_DOUBLE_LIST, OFF(source_runs), NULL,
        MIN_ | MAX_, 0, 999999, 1, 0, NULL, "",
        "only these runs carry the --source blob; default every run" },
      "OBS_ID[,OBS_ID...]", NULL },
    { { "mixed_compression", OFFBKG_PARAM_BOOL, OFF(mixed_compression),
        "false", 0, 0, 0, 0, 0, NULL, "", "every second run as plain .fits" },
      NULL, NULL },
    { { "plain", OFFBKG_PARAM_BOOL, OFF(plain), "false", 0, 0, 0, 0, 0,
        NULL, "", "every run as plain .fits" }, NULL, NULL },
    { { "missing_file", OFFBKG_PARAM_BOOL, OFF(missing_file), "false", 0,
        0, 0, 0, 0, NULL, "", "index one more run whose file is not "
        "written" }, NULL, NULL },
    { { "overwrite", OFFBKG_PARAM_BOOL, OFF(overwrite), "false", 0, 0, 0,
        0, 0, NULL, "", "write into a non-empty DIR, replacing files" },
      NULL, "Output:" },
};

#define N_OPTIONS (sizeof sim_options / sizeof sim_options[0])

/* The option name of a parameter: '-' for '_'. */
static void option_name(const offbkg_param_t *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s", p->name);
    for (char *c = buf; *c != '\0'; c++)
        if (*c == '_')
            *c = '-';
}

/* Print @p text from column 28 (the cursor is at @p col < 28), wrapped
 * at spaces before column 79. */
static void print_wrapped(FILE *fp, int col, const char *text)
{
    enum { WIDTH = 78 - 28 };
    const char *s = text;

    while (*s != '\0') {
        size_t cut = strlen(s);
        if (cut > WIDTH) {
            cut = WIDTH;
            while (cut > 0 && s[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = strcspn(s, " ");
        }
        fprintf(fp, "%*s%.*s\n", 28 - col, "", (int)cut, s);
        s += cut;
        while (*s == ' ')
            s++;
        col = 0;
    }
}

static void simulate_usage(FILE *fp)
{
    fputs("Usage: offbkg simulate DIR [OPTION]...\n"
          "Write in DIR a GADF data store of OFF runs whose events are drawn "
          "from a\nknown background rate, and the truth in DIR/truth.txt.\n",
          fp);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const sim_option_t *o = &sim_options[i];
        const offbkg_param_t *p = &o->p;
        char name[32], range[128], text[512];
        size_t used;
        int col;

        if (o->heading != NULL)
            fprintf(fp, "%s\n", o->heading);
        option_name(p, name, sizeof name);
        col = fprintf(fp, "      --%s%s%s", name, o->metavar ? " " : "",
                      o->metavar ? o->metavar : "");
        if (col >= 27) {
            fputc('\n', fp);
            col = 0;
        }
        used = (size_t)snprintf(text, sizeof text, "%s", p->help);
        if (p->type == OFFBKG_PARAM_BOOL) {
            print_wrapped(fp, col, text);
            continue;
        }
        offbkg_params_range_text(p, range, sizeof range);
        if (p->unit[0] != '\0' && used < sizeof text)
            used += (size_t)snprintf(text + used, sizeof text - used, ", %s",
                                     p->unit);
        if (p->type != OFFBKG_PARAM_ENUM && range[0] != '\0'
            && used < sizeof text)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     " (%s%s)", p->min_items == 2
                                     && p->max_items == 2 ? "each " : "",
                                     range);
        else if (p->type == OFFBKG_PARAM_ENUM && used < sizeof text)
            used += (size_t)snprintf(text + used, sizeof text - used, " (%s)",
                                     range);
        if (p->default_value != NULL && used < sizeof text)
            snprintf(text + used, sizeof text - used, "; default %s",
                     p->default_value);
        print_wrapped(fp, col, text);
    }
    fputs("  -v, --verbose             one line per run\n"
          "  -q, --quiet               no summary line\n"
          "  -h, --help                print this help and exit\n", fp);
}

/* The table as the parameter functions take it: the params in a row, the
 * name NULL at the end. Checked once: a bad entry is a bug here. */
static const offbkg_param_t *sim_table(void)
{
    static offbkg_param_t table[N_OPTIONS + 1];

    if (table[0].name == NULL)
        for (size_t i = 0; i < N_OPTIONS; i++)
            table[i] = sim_options[i].p;
    return table;
}

/* The OBS_IDs of --source-runs into @p p, in *ids (malloc'ed, the
 * caller frees it after the store is written); CLI_EXIT_OK,
 * CLI_EXIT_USAGE or CLI_EXIT_FAILED. */
static int to_source_runs(const sim_opts_t *o, offbkg_sim_params_t *p,
                          int64_t **ids)
{
    const offbkg_double_list_t *l = &o->source_runs;

    if (l->n == 0)
        return CLI_EXIT_OK;
    *ids = malloc(l->n * sizeof **ids);
    if (*ids == NULL) {
        cli_error("simulate: out of memory");
        return CLI_EXIT_FAILED;
    }
    for (size_t i = 0; i < l->n; i++) {
        /* The table checked the range 0..999999. */
        if (l->v[i] != floor(l->v[i])) {
            cli_error("simulate: --source-runs: expected whole OBS_IDs, "
                      "got %g", l->v[i]);
            return CLI_EXIT_USAGE;
        }
        (*ids)[i] = (int64_t)l->v[i];
    }
    p->src_obs_ids = *ids;
    p->n_src_obs_ids = l->n;
    return CLI_EXIT_OK;
}

/* Fill @p p from the options; CLI_EXIT_OK or CLI_EXIT_USAGE. */
static int to_params(const sim_opts_t *o, offbkg_sim_params_t *p)
{
    p->n_runs = (int)o->runs;
    p->seed = (uint64_t)o->seed;
    p->zen_min_deg = o->zenith.v[0];
    p->zen_max_deg = o->zenith.v[1];
    p->ontime_min_s = o->ontime.v[0];
    p->ontime_max_s = o->ontime.v[1];
    p->deadc_min = o->deadc.v[0];
    p->deadc_max = o->deadc.v[1];
    p->first_obs_id = o->first_obs_id;
    p->edge_zeniths = o->edge_zeniths;
    p->r0 = o->r0;
    p->gamma = o->gamma;
    p->asym_lon = o->asym_lon;
    p->asym_lat = o->asym_lat;
    p->zenith_scaling = o->zenith_scaling;
    p->livetime_base = o->livetime;
    p->altaz = o->fov_alignment == 1;
    p->e_min_tev = o->energy.v[0];
    p->e_max_tev = o->energy.v[1];
    p->theta_max_deg = o->theta_max;
    p->nan_rows = (int)o->nan_rows;
    p->mixed_compression = o->mixed_compression;
    p->plain_files = o->plain;
    p->missing_file = o->missing_file;
    if (o->rate_column != NULL && o->rate_column[0] != '\0') {
        if (strlen(o->rate_column) >= sizeof p->rate_column) {
            cli_error("simulate: --rate-column: '%s' is longer than 8 "
                      "characters (a FITS keyword)", o->rate_column);
            return CLI_EXIT_USAGE;
        }
        strcpy(p->rate_column, o->rate_column);
    }
    p->rate_col_min = o->rate_column_range.v[0];
    p->rate_col_max = o->rate_column_range.v[1];
    p->rate_col_ref = o->rate_column_ref;
    p->rate_col_index = o->rate_column_index;
    p->run_scatter = o->run_scatter;
    if (o->source.n > 0) {
        /* N,SIGMA[,OFFSET] or RA,DEC,N,SIGMA: the items mean different
         * things by their count, so N is checked here. */
        const double *v = o->source.v;
        size_t k = o->source.n;
        double cnt = k == 4 ? v[2] : v[0];
        if (cnt < 0 || cnt > 1e7 || cnt != floor(cnt)) {
            cli_error("simulate: --source: expected a whole number of "
                      "events N, got %g", cnt);
            return CLI_EXIT_USAGE;
        }
        p->src_n = (int)cnt;
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
    }
    return CLI_EXIT_OK;
}

/* Parse argv into @p o (defaults from the table first); the options
 * given are flagged in @p given. Returns CLI_EXIT_OK, CLI_EXIT_USAGE, or
 * -1 after --help. *dir is the operand. */
static int parse_args(int argc, char **argv, const offbkg_param_t *table,
                      sim_opts_t *o, bool *given, int *verbosity,
                      const char **dir)
{
    static char names[N_OPTIONS][32];
    struct option longopts[N_OPTIONS + 4];
    char why[512];
    int c;

    for (size_t i = 0; i < N_OPTIONS; i++) {
        option_name(&table[i], names[i], sizeof names[i]);
        longopts[i].name = names[i];
        longopts[i].has_arg = table[i].type == OFFBKG_PARAM_BOOL
                                  ? no_argument : required_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 256 + (int)i;
        /* No default: the zero of calloc (an empty --source). */
        if (table[i].default_value != NULL
            && offbkg_params_set(&table[i], table[i].default_value, NULL, o,
                              why, sizeof why) != OFFBKG_OK) {
            cli_error("simulate: --%s: %s", names[i], why);
            return CLI_EXIT_FAILED;
        }
    }
    longopts[N_OPTIONS] = (struct option){ "verbose", no_argument, NULL,
                                           'v' };
    longopts[N_OPTIONS + 1] = (struct option){ "quiet", no_argument, NULL,
                                               'q' };
    longopts[N_OPTIONS + 2] = (struct option){ "help", no_argument, NULL,
                                               'h' };
    longopts[N_OPTIONS + 3] = (struct option){ NULL, 0, NULL, 0 };

    /* argv[-1] is the command name: it plays getopt's argv[0]. optind 0
     * makes glibc start afresh after main's own getopt. */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc + 1, argv - 1, ":vqh", longopts, NULL))
           != -1) {
        switch (c) {
        case 'v': *verbosity = *verbosity < 0 ? 1 : *verbosity + 1; break;
        case 'q': *verbosity = -1; break;
        case 'h':
            simulate_usage(stdout);
            return -1;
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
        default: {
            size_t i = (size_t)(c - 256);
            const offbkg_param_t *p = &table[i];
            int st = offbkg_params_set(p, p->type == OFFBKG_PARAM_BOOL
                                              ? "true" : optarg,
                                       NULL, o, why, sizeof why);
            if (st == OFFBKG_ENOMEM) {
                cli_error("simulate: out of memory");
                return CLI_EXIT_FAILED;
            }
            if (st != OFFBKG_OK) {
                cli_error("simulate: --%s: %s", names[i], why);
                return CLI_EXIT_USAGE;
            }
            given[i] = true;
        }
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
    *dir = argv[optind - 1];
    if ((*dir)[0] == '\0') {
        cli_error("simulate: the directory name is empty");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Whether option @p name was given. */
static bool was_given(const offbkg_param_t *table, const bool *given,
                      const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(table[i].name, name) == 0)
            return given[i];
    return false;
}

int cli_simulate(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                 char **argv)
{
    const offbkg_param_t *table = sim_table();
    offbkg_sim_params_t p;
    offbkg_sim_summary_t sum;
    struct timespec t0, t1;
    bool given[N_OPTIONS] = { false };
    sim_opts_t *o;
    double secs;
    int verbosity = opt->verbosity, st;
    const char *dir = NULL;
    int64_t *src_ids = NULL;
    char why[256];

    if (offbkg_params_check_table(table, sizeof(sim_opts_t), why, sizeof why)
        != OFFBKG_OK) {
        cli_error("simulate: option table: %s", why);
        return CLI_EXIT_FAILED;
    }
    o = calloc(1, sizeof *o);
    if (o == NULL) {
        cli_error("simulate: out of memory");
        return CLI_EXIT_FAILED;
    }
    st = parse_args(argc, argv, table, o, given, &verbosity, &dir);
    offbkg_sim_params_default(&p);
    if (st == CLI_EXIT_OK)
        st = to_params(o, &p);
    if (st == CLI_EXIT_OK && o->source_runs.n > 0 && o->source.n == 0) {
        cli_error("simulate: --source-runs needs --source");
        st = CLI_EXIT_USAGE;
    }
    if (st == CLI_EXIT_OK)
        st = to_source_runs(o, &p, &src_ids);
    if (st == CLI_EXIT_OK && p.rate_column[0] == '\0'
        && (was_given(table, given, "rate_column_range")
            || was_given(table, given, "rate_column_ref")
            || was_given(table, given, "rate_column_index"))) {
        cli_error("simulate: --rate-column-range, --rate-column-ref and "
                  "--rate-column-index need --rate-column");
        st = CLI_EXIT_USAGE;
    }
    if (st == CLI_EXIT_OK && o->events > 0) {
        if (was_given(table, given, "r0")) {
            cli_error("simulate: give --r0 or --events, not both");
            st = CLI_EXIT_USAGE;
        } else if (offbkg_sim_params_check(ctx, &p) != OFFBKG_OK) {
            cli_error("simulate: %s", offbkg_error_msg(ctx));
            st = CLI_EXIT_USAGE;
        } else {
            p.r0 = offbkg_sim_r0_for_events(&p, o->events);
            if (!(p.r0 >= 0)) {
                cli_error("simulate: --events %g: the floor alone gives "
                          "more events per run", o->events);
                st = CLI_EXIT_USAGE;
            }
        }
    }
    if (st == CLI_EXIT_OK && offbkg_sim_params_check(ctx, &p) != OFFBKG_OK) {
        cli_error("simulate: %s", offbkg_error_msg(ctx));
        st = CLI_EXIT_USAGE;
    }
    if (st != CLI_EXIT_OK) {
        offbkg_params_free(table, o);
        free(src_ids);
        return st < 0 ? CLI_EXIT_OK : st;
    }

    /* Progress (one line per run) only with -v. */
    offbkg_ctx_set_log_level(ctx, verbosity < 0    ? OFFBKG_LOG_ERROR
                                  : verbosity == 0 ? OFFBKG_LOG_WARN
                                  : verbosity == 1 ? OFFBKG_LOG_INFO
                                                   : OFFBKG_LOG_DEBUG);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = offbkg_sim_write(ctx, &p, dir, o->overwrite, &sum);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    offbkg_params_free(table, o);
    free(src_ids);
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
