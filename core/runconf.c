/* SPDX-License-Identifier: BSD-3-Clause
 * Composition of a run from an INI file: the host's own sections are
 * declared with parameter tables exactly like a plugin's, every stage
 * section loads its plugin and is checked against the plugin's table, and
 * every problem is collected before anything runs. */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <offbkg/version.h>

#include "params-private.h"
#include "runconf-private.h"
#include "outset-private.h"
#include "path-private.h"
#include "plot-private.h"

static const char *const log_level_words[] = { "error", "warn", "info",
                                               "debug", NULL };

/* In the order of OFFBKG_FILE_DIR_*. */
static const char *const file_dir_words[] = { "relative", "absolute", NULL };
static const char *const store_fill_words[] = { "auto", "never", NULL };
/* In the order of offbkg_plot_format_t and OFFBKG_PLOT_COMPARE_*. */
static const char *const plot_format_words[] = { "png", "pdf", "svg", NULL };
_Static_assert(OFFBKG_PLOT_PNG == 0 && OFFBKG_PLOT_PDF == 1
               && OFFBKG_PLOT_SVG == 2, "[plot] format words");
static const char *const plot_compare_words[] = { "smoothed", "none", NULL };

static const offbkg_param_t datastore_params[] = {
    { .name = "path", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_datastore_conf_t, path),
      .flags = OFFBKG_PARAM_REQUIRED,
      .help = "directory holding obs-index.fits.gz and hdu-index.fits.gz" },
    { .name = "obs_index", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_datastore_conf_t, obs_index),
      .help = "the obs-index file, if not path/obs-index.fits[.gz]" },
    { .name = "hdu_index", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_datastore_conf_t, hdu_index),
      .help = "the hdu-index file, if not path/hdu-index.fits[.gz]; "
              "FILE_DIR is relative to its directory" },
    { .name = "max_inflated_gib", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_datastore_conf_t, max_inflated_gib),
      .default_value = "4",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX,
      .min = 0, .max = 1024,
      .help = "the most a gzip input file may inflate to, in GiB (that "
              "much memory per thread); a larger one is skipped as too "
              "large" },
    { 0 }
};

static const offbkg_param_t output_params[] = {
    { .name = "dir", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_output_conf_t, dir), .default_value = "out",
      .help = "directory for models, index tables and the report" },
    { .name = "overwrite", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_output_conf_t, overwrite),
      .default_value = "false",
      .help = "replace existing outputs (otherwise refuse)" },
    { 0 }
};

static const offbkg_param_t run_params[] = {
    { .name = "threads", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(offbkg_run_conf_t, threads), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX, .min = 0,
      .max = 1024, .help = "worker threads; 0 = all cores" },
    { .name = "plugin_path", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(offbkg_run_conf_t, plugin_path),
      .help = "extra plugin directories, searched before the installed one" },
    { .name = "log_level", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(offbkg_run_conf_t, log_level),
      .default_value = "info", .choices = log_level_words,
      .help = "messages shown: error, warn, info or debug" },
    { .name = "seed", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(offbkg_run_conf_t, seed), .default_value = "1",
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "seed of the plugins' random streams" },
    { .name = "allow_unsafe_plugin_dir", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_run_conf_t, allow_unsafe_plugin_dir),
      .default_value = "false",
      .help = "load plugins from a world-writable directory or file "
              "(refused otherwise: anyone could put code there)" },
    { 0 }
};

static const offbkg_param_t exclude_params[] = {
    { .name = "regions", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_exclude_conf_t, regions),
      .help = "CSV or FITS table with RA, DEC, RADIUS columns (deg)" },
    { .name = "circles_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(offbkg_exclude_conf_t, circles_deg), .unit = "deg",
      .help = "inline circles as RA, DEC, RADIUS triples" },
    { .name = "catalog", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(offbkg_exclude_conf_t, catalog),
      .help = "source catalogs (CSV or FITS): name, RA/DEC or GLON/GLAT, "
              "RADIUS or an extension (doc/exclude.md)" },
    { .name = "extension_scale", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_exclude_conf_t, extension_scale),
      .default_value = "2",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "a catalog source without RADIUS is excluded out to this "
              "times its extension, but at least min_radius_deg" },
    { .name = "min_radius_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_exclude_conf_t, min_radius_deg),
      .default_value = "0.3", .unit = "deg",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX | OFFBKG_PARAM_MAX_OPEN,
      .min = 0, .max = 90,
      .help = "the least radius of a catalog source without RADIUS (a "
              "point source's)" },
    { .name = "targets", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_exclude_conf_t, targets),
      .default_value = "false",
      .help = "exclude each run's own target (RA_OBJ/DEC_OBJ of the "
              "obs-index or the events header, or OBJECT in the catalogs)" },
    { .name = "target_radius_deg", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_exclude_conf_t, target_radius_deg),
      .unit = "deg", .default_value = "0.3",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_HAS_MAX | OFFBKG_PARAM_MAX_OPEN,
      .min = 0, .max = 90,
      .help = "the radius of the circle around each run's target" },
    { .name = "outliers", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_exclude_conf_t, outliers),
      .default_value = "false",
      .help = "leave out the runs whose counts outside exclusions deviate "
              "from their group's other runs (iterated until none does)" },
    { .name = "outlier_sigma", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_exclude_conf_t, outlier_sigma),
      .default_value = "5", .flags = OFFBKG_PARAM_HAS_MIN
                                     | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "an outlier is beyond this many total errors (the run-wise "
              "systematic included) from the mean ratio" },
    { .name = "outlier_model", .type = OFFBKG_PARAM_STRING,
      .offset = offsetof(offbkg_exclude_conf_t, outlier_model),
      .help = "label of the [model LABEL] whose cells judge the runs "
              "(default: the first)" },
    { 0 }
};

static const offbkg_param_t index_params[] = {
    { .name = "path", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_index_conf_t, path),
      .help = "data store whose runs get linked (default: [datastore])" },
    { .name = "smooth", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_index_conf_t, smooth),
      .default_value = "true",
      .help = "link the smooth_ models when a [smooth] section exists" },
    { .name = "model", .type = OFFBKG_PARAM_STRING,
      .offset = offsetof(offbkg_index_conf_t, model),
      .help = "label of the [model LABEL] to link when there are several "
              "(default: the first)" },
    { .name = "keep_input_bkg", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_index_conf_t, keep_input_bkg),
      .default_value = "true",
      .help = "keep the data store's own bkg rows of the runs that get no "
              "model of ours" },
    { .name = "allow_missing_models", .type = OFFBKG_PARAM_BOOL,
      .offset = offsetof(offbkg_index_conf_t, allow_missing_models),
      .default_value = "false",
      .help = "let an observation of the index store fall in a group "
              "without a model (a warning); false: an error before any "
              "work" },
    { .name = "file_dir", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(offbkg_index_conf_t, file_dir),
      .default_value = "relative", .choices = file_dir_words,
      .help = "FILE_DIR of the index tables: relative to the output "
              "directory, or absolute (the output can then be moved)" },
    { 0 }
};

static const offbkg_param_t store_params[] = {
    { .name = "dir", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_store_conf_t, dir),
      .help = "contribution store: each run's counts and exposure per "
              "model, reused by later runs (doc/store.md)" },
    { .name = "fill", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(offbkg_store_conf_t, fill),
      .default_value = "auto", .choices = store_fill_words,
      .help = "auto: fill from the events what is missing or stale; "
              "never: read no event file (a run not in the store is an "
              "error)" },
    { 0 }
};

static const offbkg_param_t target_params[] = {
    { .name = "path", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(offbkg_target_conf_t, path),
      .flags = OFFBKG_PARAM_REQUIRED,
      .help = "data store whose observations get a model each with a "
              "per-observation [match] (default: [datastore]); the same "
              "store as [index] path" },
    { 0 }
};

static const offbkg_param_t validate_params[] = {
    { .name = "obs_ids", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(offbkg_validate_conf_t, obs_ids),
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "OBS_IDs of the runs to validate (default: every OFF run "
              "modelled)" },
    { .name = "folds", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(offbkg_validate_conf_t, folds),
      .default_value = "0", .flags = OFFBKG_PARAM_HAS_MIN
                                     | OFFBKG_PARAM_HAS_MAX, .min = 0,
      .max = 1000000,
      .help = "0: each run predicted by a model without it (leave one "
              "out); K >= 2: the runs in OBS_ID order cut in K folds of "
              "consecutive runs, each predicted without its whole fold" },
    { .name = "min_predicted", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_validate_conf_t, min_predicted),
      .default_value = "10", .flags = OFFBKG_PARAM_HAS_MIN
                                      | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "cells in the significance distribution: predicted counts "
              "at least this" },
    { .name = "outlier_sigma", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(offbkg_validate_conf_t, outlier_sigma),
      .default_value = "5", .flags = OFFBKG_PARAM_HAS_MIN
                                     | OFFBKG_PARAM_MIN_OPEN, .min = 0,
      .help = "a run whose ratio is beyond this many total errors from the "
              "mean is an outlier" },
    { .name = "columns", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(offbkg_validate_conf_t, columns),
      .default_value = "ZEN_PNT",
      .help = "obs-index columns the residuals are profiled against" },
    { .name = "column_bins", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(offbkg_validate_conf_t, column_bins),
      .default_value = "6", .flags = OFFBKG_PARAM_HAS_MIN
                                     | OFFBKG_PARAM_HAS_MAX, .min = 1,
      .max = 1000, .help = "equal bins over the validated runs' values" },
    { .name = "significance_range", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(offbkg_validate_conf_t, significance_range),
      .default_value = "-5, 5", .flags = OFFBKG_PARAM_INCREASING,
      .min_items = 2, .max_items = 2,
      .help = "histogram of the significances (and the Gaussian fit's "
              "range)" },
    { .name = "significance_bins", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(offbkg_validate_conf_t, significance_bins),
      .default_value = "50", .flags = OFFBKG_PARAM_HAS_MIN
                                      | OFFBKG_PARAM_HAS_MAX, .min = 3,
      .max = 100000, .help = "bins of that histogram" },
    { 0 }
};

static const offbkg_param_t plot_params[] = {
    { .name = "format", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(offbkg_plot_conf_t, format),
      .default_value = "png", .choices = plot_format_words,
      .help = "the figures' format: png, pdf or svg" },
    { .name = "dir", .type = OFFBKG_PARAM_STRING,
      .offset = offsetof(offbkg_plot_conf_t, dir),
      .default_value = "figures",
      .help = "the figures' directory, a name in [output] dir (index.html "
              "is in [output] dir)" },
    { .name = "energies_tev", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(offbkg_plot_conf_t, energies_tev), .unit = "TeV",
      .default_value = "0.5, 1, 5",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_MIN_OPEN
               | OFFBKG_PARAM_INCREASING, .min = 0, .min_items = 1,
      .max_items = 12,
      .help = "energies of the rate-against-offset curves and of the "
              "field-of-view map slices" },
    { .name = "offsets_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(offbkg_plot_conf_t, offsets_deg), .unit = "deg",
      .default_value = "0.5, 1, 1.5",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_INCREASING, .min = 0,
      .min_items = 1, .max_items = 12,
      .help = "offsets of the rate-against-energy curves" },
    { .name = "compare", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(offbkg_plot_conf_t, compare),
      .default_value = "smoothed", .choices = plot_compare_words,
      .help = "smoothed: each smoothed model against its raw model "
              "(ratio maps and profiles); none: no comparison" },
    { 0 }
};

static const char *const stage_keys[] = { "plugin", NULL };

static const char *const known_sections[] = {
    "datastore", "output", "run", "select", "group", "model", "smooth",
    "exclude", "index", "store", "match", "target", "validate", "plot",
    NULL
};

/* Host sections in the order they are printed. */
typedef struct host_section {
    const char *name;
    const offbkg_param_t *params;
    size_t size;
    size_t slot;        /* offsetof(offbkg_runconf_t, <pointer>) */
    int optional;       /* left NULL when the section is absent */
} host_section_t;

static const host_section_t host_sections[] = {
    { "datastore", datastore_params, sizeof(offbkg_datastore_conf_t),
      offsetof(offbkg_runconf_t, datastore), 0 },
    { "output", output_params, sizeof(offbkg_output_conf_t),
      offsetof(offbkg_runconf_t, output), 0 },
    { "run", run_params, sizeof(offbkg_run_conf_t),
      offsetof(offbkg_runconf_t, run), 0 },
    { "exclude", exclude_params, sizeof(offbkg_exclude_conf_t),
      offsetof(offbkg_runconf_t, exclude), 1 },
    { "index", index_params, sizeof(offbkg_index_conf_t),
      offsetof(offbkg_runconf_t, index), 1 },
    { "store", store_params, sizeof(offbkg_store_conf_t),
      offsetof(offbkg_runconf_t, store), 1 },
    { "target", target_params, sizeof(offbkg_target_conf_t),
      offsetof(offbkg_runconf_t, target), 1 },
    { "validate", validate_params, sizeof(offbkg_validate_conf_t),
      offsetof(offbkg_runconf_t, validate), 1 },
    { "plot", plot_params, sizeof(offbkg_plot_conf_t),
      offsetof(offbkg_runconf_t, plot), 1 },
};
#define N_HOST_SECTIONS (sizeof host_sections / sizeof host_sections[0])

static void **host_slot(offbkg_runconf_t *rc, const host_section_t *hs)
{
    return (void **)((char *)rc + hs->slot);
}

static int fill_host_section(offbkg_runconf_t *rc, const host_section_t *hs,
                             offbkg_diags_t *diags)
{
    offbkg_ini_section_t *sec = offbkg_ini_section(rc->ini, hs->name);
    int rc_fill;

    if (sec == NULL && hs->optional)
        return OFFBKG_OK;
    rc_fill = offbkg_params_fill(hs->params, hs->size, sec, hs->name,
                                 rc->ini->path, sec ? sec->line : 0,
                                 rc->ini->dir, NULL, diags,
                                 host_slot(rc, hs));
    return rc_fill == OFFBKG_ENOMEM ? rc_fill : OFFBKG_OK;
}

/* Split "model 3d" into stage and label; 0 if not a stage section. */
static offbkg_stage_t stage_of_section(const char *name, const char **label)
{
    const char *blank = strchr(name, ' ');
    char word[16];
    size_t len = blank ? (size_t)(blank - name) : strlen(name);

    *label = blank ? blank + 1 : "";
    if (len >= sizeof word)
        return 0;
    memcpy(word, name, len);
    word[len] = '\0';
    return offbkg_registry_stage_from_name(word);
}

/* [model LABEL], [smooth LABEL], [match LABEL] (validate's strategies),
 * [select LABEL] (more selectors, all of which must keep a run). */
static bool takes_label(offbkg_stage_t stage)
{
    return stage == OFFBKG_STAGE_MODEL || stage == OFFBKG_STAGE_SMOOTH
           || stage == OFFBKG_STAGE_MATCH || stage == OFFBKG_STAGE_SELECT;
}

static int valid_label(const char *label)
{
    for (const char *c = label; *c != '\0'; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c)
              || *c == '_'))
            return 0;
    return 1;
}

/* Load the plugin of one stage section and fill its config. Problems go
 * to diags; sc->module stays NULL if the plugin could not be loaded. */
static int compose_stage(offbkg_ctx_t *ctx, offbkg_runconf_t *rc,
                         offbkg_ini_section_t *sec, offbkg_stage_t stage,
                         const char *label, offbkg_stage_conf_t *sc,
                         offbkg_diags_t *diags)
{
    const char *file = rc->ini->path;
    offbkg_ini_entry_t *plugin = offbkg_ini_entry(sec, "plugin");
    const offbkg_plugin_t *d;
    int status;

    sc->stage = stage;
    sc->line = sec->line;
    sc->section = strdup(sec->name);
    sc->label = strdup(label);
    if (sc->section == NULL || sc->label == NULL)
        return OFFBKG_ENOMEM;
    if (plugin == NULL)
        return offbkg_diag_add(diags, file, sec->line, sec->name, "plugin",
                               "required key is missing");
    plugin->used = 1;
    status = offbkg_registry_load(rc->registry, stage, plugin->value,
                                  &sc->module);
    if (status == OFFBKG_ENOMEM)
        return status;
    if (status != OFFBKG_OK) {
        /* Without the plugin its keys cannot be checked: skip them. */
        for (size_t i = 0; i < sec->n; i++)
            sec->entries[i].used = 1;
        return offbkg_diag_add(diags, plugin->file, plugin->line, sec->name,
                               "plugin", "%s", offbkg_error_msg(ctx));
    }
    d = sc->module->desc;
    status = offbkg_params_fill(d->params, d->config_size, sec, sec->name,
                                file, sec->line, rc->ini->dir, stage_keys,
                                diags, &sc->config);
    return status == OFFBKG_ENOMEM ? status : OFFBKG_OK;
}

/* The composition's model and smooth slots, one per [model] section,
 * allocated once (a file may hold very many), and for each INI section
 * the model slot it filled, to pair [smooth LABEL] with [model LABEL]
 * through the INI's index rather than a scan. */
static int alloc_models(offbkg_runconf_t *rc, size_t **model_of_section)
{
    size_t n = 0, n_alts = 0, n_selects = 0;

    for (size_t i = 0; i < rc->ini->n; i++) {
        const char *label;
        offbkg_stage_t stage = stage_of_section(rc->ini->sections[i].name,
                                                &label);
        n += stage == OFFBKG_STAGE_MODEL;
        n_alts += stage == OFFBKG_STAGE_MATCH && label[0] != '\0';
        n_selects += stage == OFFBKG_STAGE_SELECT && label[0] != '\0';
    }
    rc->models = calloc(n > 0 ? n : 1, sizeof *rc->models);
    rc->smooths = calloc(n > 0 ? n : 1, sizeof *rc->smooths);
    rc->match_alts = calloc(n_alts + 1, sizeof *rc->match_alts);
    rc->select_more = calloc(n_selects + 1, sizeof *rc->select_more);
    *model_of_section = malloc((rc->ini->n > 0 ? rc->ini->n : 1)
                               * sizeof **model_of_section);
    if (rc->models == NULL || rc->smooths == NULL || rc->match_alts == NULL
        || rc->select_more == NULL || *model_of_section == NULL)
        return OFFBKG_ENOMEM;
    for (size_t i = 0; i < rc->ini->n; i++)
        (*model_of_section)[i] = (size_t)-1;
    return OFFBKG_OK;
}

/* The model whose label is @p label, or (size_t)-1 (a scan: for one
 * look-up after composing). */
static size_t model_index(const offbkg_runconf_t *rc, const char *label)
{
    for (size_t i = 0; i < rc->n_models; i++)
        if (strcmp(rc->models[i].label, label) == 0)
            return i;
    return (size_t)-1;
}

/* While composing: the model slot of [model LABEL] ([model] for ""), or
 * (size_t)-1, through the INI's index. */
static size_t paired_model(const offbkg_runconf_t *rc,
                           const size_t *model_of_section, const char *label)
{
    size_t n = strlen(label) + 7;
    char *name = malloc(n);
    const offbkg_ini_section_t *sec;

    if (name == NULL)
        return (size_t)-1;
    snprintf(name, n, "model%s%s", label[0] ? " " : "", label);
    sec = offbkg_ini_section(rc->ini, name);
    free(name);
    return sec != NULL ? model_of_section[sec - rc->ini->sections]
                       : (size_t)-1;
}

/* An unknown section, with a hint on its first word: "[smoth 2d]" gets
 * "[smooth 2d]", "[indx]" gets "[index]". */
static int unknown_section(const offbkg_ini_section_t *sec, const char *file,
                           offbkg_diags_t *diags)
{
    const char *blank = strchr(sec->name, ' ');
    size_t len = blank ? (size_t)(blank - sec->name) : strlen(sec->name);
    char *word = strndup(sec->name, len);
    const char *hint;
    int st;

    if (word == NULL)
        return OFFBKG_ENOMEM;
    hint = offbkg_diag_closest_match(word, known_sections, (size_t)-1);
    if (hint != NULL && blank != NULL && strcmp(hint, word) == 0)
        st = offbkg_diag_add(diags, file, sec->line, sec->name, NULL,
                             "only [model], [smooth], [match] and [select] "
                             "sections take a label");
    else if (hint != NULL)
        st = offbkg_diag_add(diags, file, sec->line, sec->name, NULL,
                             "unknown section (did you mean [%s%s]?)", hint,
                             blank ? blank : "");
    else
        st = offbkg_diag_add(diags, file, sec->line, sec->name, NULL,
                             "unknown section (known: datastore, output, "
                             "run, select, group, model, smooth, match, "
                             "exclude, index, store, target)");
    free(word);
    return st;
}

static int check_section_name(offbkg_runconf_t *rc, offbkg_ini_section_t *sec,
                              offbkg_diags_t *diags)
{
    /* Line 0: the section name was typed in a --set, not in the file. */
    const char *file = sec->line > 0 ? rc->ini->path : "--set";
    const char *label;
    offbkg_stage_t stage = stage_of_section(sec->name, &label);

    if (stage != 0) {
        if (label[0] == '\0')
            return OFFBKG_OK;
        if (!takes_label(stage))
            return offbkg_diag_add(diags, file, sec->line, sec->name, NULL,
                                   "only [model], [smooth], [match] and "
                                   "[select] sections take a label");
        if (!valid_label(label))
            return offbkg_diag_add(diags, file, sec->line, sec->name, NULL,
                                   "label '%s' is not [a-z0-9_]+", label);
        return OFFBKG_OK;
    }
    for (size_t i = 0; known_sections[i] != NULL; i++)
        if (strcmp(sec->name, known_sections[i]) == 0)
            return OFFBKG_OK;
    for (size_t i = 0; i < sec->n; i++)
        sec->entries[i].used = 1;
    return unknown_section(sec, file, diags);
}

static int compose_stages(offbkg_ctx_t *ctx, offbkg_runconf_t *rc,
                          offbkg_diags_t *diags)
{
    const char *file = rc->ini->path;
    size_t *model_of_section = NULL;
    int st = alloc_models(rc, &model_of_section);

    /* Models first, so that smooth sections can be paired with them. */
    for (int pass = 0; pass < 2 && st != OFFBKG_ENOMEM; pass++) {
        for (size_t i = 0; i < rc->ini->n && st != OFFBKG_ENOMEM; i++) {
            offbkg_ini_section_t *sec = &rc->ini->sections[i];
            const char *label;
            offbkg_stage_t stage = stage_of_section(sec->name, &label);
            offbkg_stage_conf_t *sc = NULL;

            if (stage == 0 || (label[0] != '\0'
                               && (!takes_label(stage)
                                   || !valid_label(label))))
                continue;   /* reported by check_section_name */
            if ((pass == 0) != (stage == OFFBKG_STAGE_MODEL))
                continue;
            if (stage == OFFBKG_STAGE_SELECT && label[0] == '\0')
                sc = &rc->select;
            else if (stage == OFFBKG_STAGE_SELECT)
                sc = &rc->select_more[rc->n_select_more++];
            else if (stage == OFFBKG_STAGE_GROUP)
                sc = &rc->group;
            else if (stage == OFFBKG_STAGE_MATCH && label[0] == '\0')
                sc = &rc->match;
            else if (stage == OFFBKG_STAGE_MATCH)
                sc = &rc->match_alts[rc->n_match_alts++];
            else if (stage == OFFBKG_STAGE_MODEL) {
                model_of_section[i] = rc->n_models;
                sc = &rc->models[rc->n_models++];
            } else {
                size_t m = paired_model(rc, model_of_section, label);
                if (m == (size_t)-1) {
                    for (size_t k = 0; k < sec->n; k++)
                        sec->entries[k].used = 1;
                    st = offbkg_diag_add(diags, file, sec->line, sec->name,
                                         NULL, "no [model%s%s] section to "
                                         "smooth", label[0] ? " " : "",
                                         label);
                    continue;
                }
                sc = &rc->smooths[m];
            }
            st = compose_stage(ctx, rc, sec, stage, label, sc, diags);
        }
    }
    free(model_of_section);
    if (st == OFFBKG_ENOMEM)
        return st;
    if (offbkg_ini_section(rc->ini, "select") == NULL)
        st = offbkg_diag_add(diags, file, 0, NULL, NULL,
                             "missing section [select] (e.g. plugin = "
                             "offplane)");
    if (st == OFFBKG_OK && offbkg_ini_section(rc->ini, "group") == NULL)
        st = offbkg_diag_add(diags, file, 0, NULL, NULL,
                             "missing section [group] (e.g. plugin = "
                             "zenith)");
    return st;
}

/* [store] needs its directory, and model plugins that can hand their
 * contributions to it (plugin ABI 1.1: contrib_view, contrib_load). */
static int check_store(const offbkg_runconf_t *rc, offbkg_diags_t *diags)
{
    offbkg_ini_section_t *sec;
    int st = OFFBKG_OK;

    if (rc->store == NULL)
        return OFFBKG_OK;
    sec = offbkg_ini_section(rc->ini, "store");
    if (rc->store->dir[0] == '\0')
        st = offbkg_diag_add(diags, rc->ini->path, sec->line, "store",
                              "dir", "missing key dir: the directory of "
                              "the contribution store");
    for (size_t m = 0; st == OFFBKG_OK && m < rc->n_models; m++) {
        const offbkg_stage_conf_t *sc = &rc->models[m];
        if (sc->module != NULL
            && !offbkg_registry_model_has_store(sc->module->desc))
            st = offbkg_diag_add(diags, rc->ini->path, sc->line,
                                  sc->section, "plugin", "plugin %s %s "
                                  "cannot use [store] (it predates plugin "
                                  "ABI 1.1: no contrib_view, contrib_load)",
                                  sc->module->name, sc->module->desc->version);
    }
    return st;
}

/* [plot] dir is one plain name in [output] dir: the output set moves the
 * figures in with the rest (core/outset.c), which it can only do in a
 * directory of its own making. Without PLplot there are no figures. */
static int check_plot(const offbkg_runconf_t *rc, offbkg_diags_t *diags)
{
    const offbkg_ini_section_t *sec;
    const offbkg_ini_entry_t *e;
    const char *d;

    if (rc->plot == NULL)
        return OFFBKG_OK;
    sec = offbkg_ini_section(rc->ini, "plot");
    if (!offbkg_plot_available())
        return offbkg_diag_add(diags, rc->ini->path, sec->line, "plot", NULL,
                               "%s", OFFBKG_PLOT_UNAVAILABLE);
    d = rc->plot->dir;
    e = offbkg_ini_entry((offbkg_ini_section_t *)sec, "dir");
    if (!offbkg_runconf_plot_dir_valid(d))
        return offbkg_diag_add(diags, e != NULL ? e->file : rc->ini->path,
                               e != NULL ? e->line : sec->line, "plot",
                               "dir", "\"%s\": expected a directory name "
                               "in [output] dir (letters, digits, '_', "
                               "'-', '.', not starting with '.')", d);
    return OFFBKG_OK;
}

bool offbkg_runconf_plot_dir_valid(const char *d)
{
    if (d[0] == '\0' || d[0] == '.' || strlen(d) > 64
        || strcmp(d, "index.html") == 0
        || offbkg_outset_is_ours(d, OFFBKG_OWN_ALL))
        return false;
    for (const char *c = d; *c != '\0'; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-'
              || *c == '.'))
            return false;
    return true;
}

/* Two spellings of one directory: the same file when both exist, the
 * same resolved text otherwise. */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;

    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

/* [target] path and [index] path name one store; a per-target [match]
 * needs models that can make a cube of weighted runs (ABI 1.2
 * finish_sums). */
static int check_match(const offbkg_runconf_t *rc, offbkg_diags_t *diags)
{
    int st = OFFBKG_OK;

    if (rc->target != NULL && rc->index != NULL
        && rc->target->path[0] != '\0' && rc->index->path[0] != '\0'
        && !same_dir(rc->target->path, rc->index->path)) {
        offbkg_ini_entry_t *t = offbkg_ini_entry(
            offbkg_ini_section(rc->ini, "target"), "path");
        offbkg_ini_entry_t *i = offbkg_ini_entry(
            offbkg_ini_section(rc->ini, "index"), "path");
        st = offbkg_diag_add(diags, t->file, t->line, "target", "path",
                             "%s is not [index] path %s (%s:%d): both name "
                             "the store whose observations get the models; "
                             "give one, or the same directory",
                             rc->target->path, rc->index->path, i->file,
                             i->line);
    }
    /* The first match section that makes per-target models, if any. */
    const offbkg_stage_conf_t *per = offbkg_runconf_per_target(rc)
                                         ? &rc->match : NULL;
    for (size_t i = 0; per == NULL && i < rc->n_match_alts; i++)
        if (offbkg_runconf_match_per_target(&rc->match_alts[i]))
            per = &rc->match_alts[i];
    for (size_t m = 0; st == OFFBKG_OK && per != NULL
                       && m < rc->n_models; m++) {
        const offbkg_stage_conf_t *sc = &rc->models[m];
        if (sc->module != NULL
            && !offbkg_registry_model_has_sums(sc->module->desc))
            st = offbkg_diag_add(diags, rc->ini->path, sc->line,
                                 sc->section, "plugin", "plugin %s %s "
                                 "cannot make per-observation models for "
                                 "[%s] plugin %s (no finish_sums: it "
                                 "predates plugin ABI 1.2)",
                                 sc->module->name, sc->module->desc->version,
                                 per->section, per->module->name);
    }
    return st;
}

size_t offbkg_runconf_n_selects(const offbkg_runconf_t *rc)
{
    return 1 + rc->n_select_more;
}

const offbkg_stage_conf_t *offbkg_runconf_select_at(const offbkg_runconf_t *rc,
                                                    size_t i)
{
    return i == 0 ? &rc->select : &rc->select_more[i - 1];
}

bool offbkg_runconf_match_per_target(const offbkg_stage_conf_t *sc)
{
    return sc->module != NULL
           && !(sc->module->desc->ops.match->flags
                & OFFBKG_MATCH_SHARED_GROUPS);
}

bool offbkg_runconf_per_target(const offbkg_runconf_t *rc)
{
    return offbkg_runconf_match_per_target(&rc->match);
}

const char *offbkg_runconf_target_path(const offbkg_runconf_t *rc)
{
    if (rc->target != NULL && rc->target->path[0] != '\0')
        return rc->target->path;
    if (rc->index != NULL && rc->index->path[0] != '\0')
        return rc->index->path;
    return "";
}

/* [index] model names a [model LABEL] section that exists. */
static int check_index_model(offbkg_runconf_t *rc, offbkg_diags_t *diags)
{
    const char *want = rc->index != NULL ? rc->index->model : "";
    offbkg_ini_section_t *sec;
    offbkg_ini_entry_t *e;
    char labels[256] = "";
    size_t len = 0;

    if (want == NULL || want[0] == '\0' || model_index(rc, want) != (size_t)-1)
        return OFFBKG_OK;
    for (size_t i = 0; i < rc->n_models && len < sizeof labels; i++) {
        int w = snprintf(labels + len, sizeof labels - len, "%s%s",
                         i ? ", " : "", rc->models[i].label[0]
                                            ? rc->models[i].label : "''");
        len += w > 0 ? (size_t)w : 0;
    }
    sec = offbkg_ini_section(rc->ini, "index");
    e = sec != NULL ? offbkg_ini_entry(sec, "model") : NULL;
    return offbkg_diag_add(diags, e != NULL ? e->file : rc->ini->path,
                           e != NULL ? e->line : 0, "index", "model",
                           "there is no [model %s] section (%s%s)", want,
                           rc->n_models ? "the models are: " : "no [model] "
                           "section at all", labels);
}

bool offbkg_runconf_outliers(const offbkg_runconf_t *rc)
{
    return rc->exclude != NULL && rc->exclude->outliers;
}

size_t offbkg_runconf_outlier_model(const offbkg_runconf_t *rc)
{
    const char *want = rc->exclude != NULL ? rc->exclude->outlier_model : "";

    if (want == NULL || want[0] == '\0')
        return 0;
    return model_index(rc, want);
}

/* [exclude] outliers: outlier_model names a [model LABEL], and every
 * model can make a cube of summed runs (ABI 1.2 finish_sums): the
 * groups' models are made again without the runs left out. */
static int check_outliers(const offbkg_runconf_t *rc, offbkg_diags_t *diags)
{
    const offbkg_exclude_conf_t *ec = rc->exclude;
    offbkg_ini_section_t *sec = offbkg_ini_section(rc->ini, "exclude");
    offbkg_ini_entry_t *e;
    int st = OFFBKG_OK;

    if (ec == NULL || !ec->outliers)
        return OFFBKG_OK;
    if (offbkg_runconf_outlier_model(rc) == (size_t)-1) {
        e = offbkg_ini_entry(sec, "outlier_model");
        return offbkg_diag_add(diags, e->file, e->line, "exclude",
                               "outlier_model", "there is no [model %s] "
                               "section", ec->outlier_model);
    }
    e = offbkg_ini_entry(sec, "outliers");
    for (size_t m = 0; st == OFFBKG_OK && m < rc->n_models; m++) {
        const offbkg_stage_conf_t *sc = &rc->models[m];
        if (sc->module != NULL
            && !offbkg_registry_model_has_sums(sc->module->desc))
            st = offbkg_diag_add(diags, e->file, e->line, "exclude",
                                 "outliers", "[%s] plugin %s %s cannot "
                                 "make its models again without the runs "
                                 "left out (no finish_sums: it predates "
                                 "plugin ABI 1.2)", sc->section,
                                 sc->module->name,
                                 sc->module->desc->version);
    }
    return st;
}

/* Resolve the paths of list @p l against the INI file's directory. */
static int resolve_paths(offbkg_runconf_t *rc, offbkg_string_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *abs = offbkg_path_resolve(rc->ini->dir, l->v[i]);
        if (abs == NULL)
            return OFFBKG_ENOMEM;
        free((char *)l->v[i]);
        ((const char **)l->v)[i] = abs;
    }
    return OFFBKG_OK;
}

int offbkg_runconf_load(offbkg_ctx_t *ctx, const char *file,
                        const char *const *overrides, size_t n_overrides,
                        offbkg_diags_t *diags, offbkg_runconf_t **out)
{
    offbkg_runconf_t *rc = calloc(1, sizeof *rc);
    size_t before = diags->n;
    int st;

    *out = NULL;
    if (rc == NULL || (rc->file = strdup(file)) == NULL) {
        free(rc);
        return OFFBKG_ENOMEM;
    }
    st = offbkg_ini_read(file, &rc->ini, diags);
    if (st != OFFBKG_OK) {
        offbkg_runconf_free(rc);
        return st == OFFBKG_ENOMEM ? st : OFFBKG_ECONFIG;
    }
    for (size_t i = 0; i < n_overrides && st != OFFBKG_ENOMEM; i++)
        st = offbkg_ini_override(rc->ini, overrides[i], diags);
    for (size_t i = 0; i < rc->ini->n && st != OFFBKG_ENOMEM; i++)
        st = check_section_name(rc, &rc->ini->sections[i], diags);
    for (size_t i = 0; i < N_HOST_SECTIONS && st != OFFBKG_ENOMEM; i++)
        st = fill_host_section(rc, &host_sections[i], diags);
    if (st == OFFBKG_ENOMEM)
        goto fail;
    /* plugin_path entries and catalogs are relative to the INI file. */
    if ((rc->run != NULL
         && (st = resolve_paths(rc, &rc->run->plugin_path)) != OFFBKG_OK)
        || (rc->exclude != NULL
            && (st = resolve_paths(rc, &rc->exclude->catalog))
                   != OFFBKG_OK))
        goto fail;
    /* Without a valid [run] the default search path still lets every
     * other section be checked. */
    st = offbkg_registry_new(ctx,
                             rc->run ? rc->run->plugin_path.v : NULL,
                             rc->run ? rc->run->plugin_path.n : 0,
                             &rc->registry);
    if (st == OFFBKG_OK && rc->run != NULL)
        offbkg_registry_allow_unsafe(rc->registry,
                                     rc->run->allow_unsafe_plugin_dir);
    if (st != OFFBKG_OK) {
        if (st != OFFBKG_ENOMEM)
            st = offbkg_diag_add(diags, file, 0, NULL, NULL, "%s",
                                 offbkg_error_msg(ctx));
        goto fail;
    }
    st = compose_stages(ctx, rc, diags);
    if (st == OFFBKG_ENOMEM)
        goto fail;
    if (rc->exclude != NULL && rc->exclude->circles_deg.n % 3 != 0) {
        offbkg_ini_section_t *sec = offbkg_ini_section(rc->ini, "exclude");
        offbkg_ini_entry_t *e = offbkg_ini_entry(sec, "circles_deg");
        st = offbkg_diag_add(diags, e->file, e->line, "exclude",
                             "circles_deg", "expected RA, DEC, RADIUS "
                             "triples, got %zu numbers",
                             rc->exclude->circles_deg.n);
        if (st == OFFBKG_ENOMEM)
            goto fail;
    }
    if ((st = check_index_model(rc, diags)) == OFFBKG_ENOMEM)
        goto fail;
    if ((st = check_store(rc, diags)) == OFFBKG_ENOMEM)
        goto fail;
    if ((st = check_match(rc, diags)) == OFFBKG_ENOMEM)
        goto fail;
    if ((st = check_outliers(rc, diags)) == OFFBKG_ENOMEM)
        goto fail;
    if ((st = check_plot(rc, diags)) == OFFBKG_ENOMEM)
        goto fail;
    if (diags->n > before) {
        offbkg_runconf_free(rc);
        return OFFBKG_ECONFIG;
    }
    *out = rc;
    return OFFBKG_OK;
fail:
    offbkg_runconf_free(rc);
    return st == OFFBKG_ENOMEM ? st : OFFBKG_ECONFIG;
}

static void free_stage(offbkg_stage_conf_t *sc)
{
    if (sc->module != NULL)
        offbkg_params_free(sc->module->desc->params, sc->config);
    free(sc->section);
    free(sc->label);
}

void offbkg_runconf_free(offbkg_runconf_t *rc)
{
    if (rc == NULL)
        return;
    for (size_t i = 0; i < N_HOST_SECTIONS; i++)
        offbkg_params_free(host_sections[i].params,
                           *host_slot(rc, &host_sections[i]));
    free_stage(&rc->select);
    for (size_t i = 0; i < rc->n_select_more; i++)
        free_stage(&rc->select_more[i]);
    free(rc->select_more);
    free_stage(&rc->group);
    free_stage(&rc->match);
    for (size_t i = 0; i < rc->n_match_alts; i++)
        free_stage(&rc->match_alts[i]);
    free(rc->match_alts);
    for (size_t i = 0; i < rc->n_models; i++) {
        free_stage(&rc->models[i]);
        free_stage(&rc->smooths[i]);
    }
    free(rc->models);
    free(rc->smooths);
    /* Configs point into nothing the registry owns, but the descriptors
     * used above do: free the registry last. */
    offbkg_registry_free(rc->registry);
    offbkg_ini_free(rc->ini);
    free(rc->file);
    free(rc);
}

/* A growing text buffer for the formatter. */
typedef struct text {
    char *s;
    size_t len;
    size_t cap;
    int nomem;
} text_t;

static void put(text_t *t, const char *fmt, ...) OFFBKG_PRINTF(2, 3);
static void put(text_t *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->nomem)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = 2 * (t->len + (size_t)n + 1);
        char *s = realloc(t->s, cap);
        if (s == NULL) {
            t->nomem = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* "file:line", "--set" or "default" for key @p key of section @p name. */
static void origin(offbkg_ini_t *ini, const char *name, const char *key,
                   char *buf, size_t n)
{
    offbkg_ini_section_t *sec = offbkg_ini_section(ini, name);
    offbkg_ini_entry_t *e = sec ? offbkg_ini_entry(sec, key) : NULL;

    if (e == NULL)
        snprintf(buf, n, "default");
    else if (e->line == 0)
        snprintf(buf, n, "%s", e->file);
    else
        snprintf(buf, n, "%s:%d", e->file, e->line);
}

static void put_params(text_t *t, offbkg_ini_t *ini, const char *section,
                       const offbkg_param_t *params, const void *config)
{
    for (const offbkg_param_t *p = params; p && p->name; p++) {
        char *value = offbkg_params_format(p, config);
        char from[512];
        if (value == NULL) {
            t->nomem = 1;
            return;
        }
        origin(ini, section, p->name, from, sizeof from);
        put(t, "%s = %s", p->name, value);
        put(t, "%*s; %s\n",
            (int)(strlen(p->name) + strlen(value) < 40
                      ? 40 - strlen(p->name) - strlen(value) : 1),
            "", from);
        free(value);
    }
}

static void put_stage(text_t *t, offbkg_ini_t *ini,
                      const offbkg_stage_conf_t *sc)
{
    const offbkg_plugin_t *d;
    char from[512];

    if (sc->module == NULL)
        return;
    d = sc->module->desc;
    origin(ini, sc->section, "plugin", from, sizeof from);
    put(t, "\n[%s]\n", sc->section);
    put(t, "plugin = %s%*s; %s (%s %s from %s)\n", d->name,
        (int)(strlen(d->name) < 34 ? 34 - strlen(d->name) : 1), "", from,
        sc->module->module, d->version, sc->module->file);
    put_params(t, ini, sc->section, d->params, sc->config);
}

char *offbkg_runconf_format(const offbkg_runconf_t *rc)
{
    text_t t = { 0 };

    put(&t, "; offbkg %s: resolved configuration of %s\n", OFFBKG_VERSION,
        rc->file);
    put(&t, "; plugin search path: %s\n",
        offbkg_registry_search_path(rc->registry));
    for (size_t i = 0; i < N_HOST_SECTIONS; i++) {
        const host_section_t *hs = &host_sections[i];
        const void *cfg = *(void *const *)((const char *)rc + hs->slot);
        if (cfg == NULL)
            continue;
        put(&t, "%s[%s]\n", i ? "\n" : "", hs->name);
        put_params(&t, rc->ini, hs->name, hs->params, cfg);
    }
    put_stage(&t, rc->ini, &rc->select);
    for (size_t i = 0; i < rc->n_select_more; i++)
        put_stage(&t, rc->ini, &rc->select_more[i]);
    put_stage(&t, rc->ini, &rc->group);
    for (size_t i = 0; i < rc->n_models; i++) {
        put_stage(&t, rc->ini, &rc->models[i]);
        put_stage(&t, rc->ini, &rc->smooths[i]);
    }
    put_stage(&t, rc->ini, &rc->match);
    for (size_t i = 0; i < rc->n_match_alts; i++)
        put_stage(&t, rc->ini, &rc->match_alts[i]);
    if (t.nomem) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
