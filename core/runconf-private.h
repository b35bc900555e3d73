/* SPDX-License-Identifier: BSD-3-Clause
 * A run's composition: the INI file read, every section validated against
 * the host's tables and the plugins' tables, plugins loaded and ready to
 * instantiate. This is what `offbkg check` prints. */
#ifndef OFFBKG_RUNCONF_PRIVATE_H
#define OFFBKG_RUNCONF_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <offbkg/plugin.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "ini-private.h"
#include "registry-private.h"

typedef struct offbkg_datastore_conf {
    const char *path;               /**< directory of the data store */
    const char *obs_index;          /**< "" = path/obs-index.fits[.gz] */
    const char *hdu_index;          /**< "" = path/hdu-index.fits[.gz] */
    double max_inflated_gib;        /**< bound on a gzip input, inflated;
                                         0 = the default */
} offbkg_datastore_conf_t;

typedef struct offbkg_output_conf {
    const char *dir;
    bool overwrite;
} offbkg_output_conf_t;

typedef struct offbkg_run_conf {
    int64_t threads;                 /**< 0 = all cores */
    offbkg_string_list_t plugin_path;/**< resolved against the INI's dir */
    int log_level;                   /**< offbkg_log_level_t */
    int64_t seed;
    bool allow_unsafe_plugin_dir;    /**< load from world-writable dirs */
} offbkg_run_conf_t;

typedef struct offbkg_exclude_conf {
    const char *regions;             /**< CSV or FITS table, "" if none */
    offbkg_double_list_t circles_deg;/**< RA, DEC, RADIUS triples */
    offbkg_string_list_t catalog;    /**< source catalogs (CSV or FITS),
                                          resolved against the INI's dir */
    double extension_scale;          /**< catalog radius: extension x this */
    double min_radius_deg;           /**< ... but at least this */
    bool targets;                    /**< exclude each run's own target */
    double target_radius_deg;        /**< the radius of its circle */
    bool outliers;                   /**< reject outlier runs
                                          (core/outliers.c) */
    double outlier_sigma;            /**< beyond this many total errors */
    const char *outlier_model;       /**< [model LABEL] judged; "" = first */
} offbkg_exclude_conf_t;

typedef struct offbkg_index_conf {
    const char *path;                /**< target data store; "" = datastore */
    bool smooth;
    const char *model;               /**< [model LABEL] to link; "" = first */
    bool keep_input_bkg;             /**< keep the store's own bkg rows of
                                          runs without a model of ours */
    bool allow_missing_models;       /**< an index-store observation in a
                                          group without a model: a warning,
                                          not an error */
    int file_dir;                    /**< OFFBKG_FILE_DIR_* */
} offbkg_index_conf_t;

/** [store]: the contribution store (doc/store.md). */
typedef struct offbkg_store_conf {
    const char *dir;                 /**< "" if unset (an error) */
    int fill;                        /**< OFFBKG_STORE_FILL_* */
} offbkg_store_conf_t;

enum {
    OFFBKG_STORE_FILL_AUTO = 0,      /**< missing or stale: from events */
    OFFBKG_STORE_FILL_NEVER = 1      /**< read no event file */
};

/** [target]: the data store whose observations get a model each
 *  (doc/match.md); the same store as [index] path. */
typedef struct offbkg_target_conf {
    const char *path;                /**< its directory */
} offbkg_target_conf_t;

/** [validate]: what offbkg validate checks (doc/validate.md §5). */
typedef struct offbkg_validate_conf {
    offbkg_double_list_t obs_ids;    /**< runs validated; none: every OFF
                                          run modelled */
    int64_t folds;                   /**< 0: leave one run out; K >= 2:
                                          K folds of consecutive runs */
    double min_predicted;            /**< significances of cells whose
                                          prediction is at least this */
    double outlier_sigma;            /**< |pull| beyond: an outlier */
    offbkg_string_list_t columns;    /**< obs-index columns profiled */
    int64_t column_bins;
    offbkg_double_list_t significance_range; /**< lo, hi */
    int64_t significance_bins;
} offbkg_validate_conf_t;

/** [plot]: the figures `offbkg run` and `offbkg validate` draw at their
 *  end, and `offbkg plot CONFIG` draws (doc/plot.md). */
typedef struct offbkg_plot_conf {
    int format;                      /**< offbkg_plot_format_t */
    const char *dir;                 /**< a directory name in [output] dir */
    offbkg_double_list_t energies_tev; /**< energy slices and curves */
    offbkg_double_list_t offsets_deg;  /**< offset curves */
    int compare;                     /**< OFFBKG_PLOT_COMPARE_* */
} offbkg_plot_conf_t;

/** [plot] compare: the smoothed models against the raw ones, or none. */
enum { OFFBKG_PLOT_COMPARE_SMOOTHED, OFFBKG_PLOT_COMPARE_NONE };

/** Whether @p dir can be [plot] dir: one plain name (letters, digits,
 *  '_', '-', '.', not starting with '.'), none of offbkg's file names. */
bool offbkg_runconf_plot_dir_valid(const char *dir);

/** [index] file_dir: FILE_DIR relative to the output directory (the
 *  output and the data store move together) or absolute (the output
 *  store can be moved alone). */
enum { OFFBKG_FILE_DIR_RELATIVE, OFFBKG_FILE_DIR_ABSOLUTE };

/** One stage section with its plugin. */
typedef struct offbkg_stage_conf {
    offbkg_stage_t stage;
    char *section;                   /**< "select", "model 3d", ... */
    char *label;                     /**< "" or the word after the stage */
    int line;                        /**< line of the section header */
    const offbkg_module_t *module;   /**< owned by the registry */
    void *config;                    /**< filled from the plugin's table */
} offbkg_stage_conf_t;

typedef struct offbkg_runconf {
    char *file;
    offbkg_ini_t *ini;
    offbkg_registry_t *registry;
    offbkg_datastore_conf_t *datastore;
    offbkg_output_conf_t *output;
    offbkg_run_conf_t *run;
    offbkg_exclude_conf_t *exclude;  /**< NULL if no [exclude] */
    offbkg_index_conf_t *index;      /**< NULL if no [index] */
    offbkg_store_conf_t *store;      /**< NULL if no [store] */
    offbkg_target_conf_t *target;    /**< NULL if no [target] */
    offbkg_validate_conf_t *validate;/**< NULL if no [validate] */
    offbkg_plot_conf_t *plot;        /**< NULL if no [plot] */
    offbkg_stage_conf_t select;      /**< [select] */
    size_t n_select_more;            /**< [select LABEL] sections: more
                                          selectors, each of which must
                                          keep a run too, in file order */
    offbkg_stage_conf_t *select_more;
    offbkg_stage_conf_t group;
    size_t n_models;                 /**< 0 is valid here; the commands
                                          that make models require one */
    offbkg_stage_conf_t *models;     /**< [model] or [model LABEL] */
    offbkg_stage_conf_t *smooths;    /**< n_models entries; module NULL
                                          when that model has none */
    offbkg_stage_conf_t match;       /**< module NULL: no [match], which
                                          is match/group (shared groups) */
    size_t n_match_alts;             /**< [match LABEL] sections: the
                                          strategies offbkg validate
                                          compares with [match]; no other
                                          command uses them */
    offbkg_stage_conf_t *match_alts;
} offbkg_runconf_t;

/** Read and validate @p file with the @p n_overrides "section.key=value"
 *  overrides, loading every plugin it names. All problems go to @p diags;
 *  the return is OFFBKG_OK, OFFBKG_ECONFIG (diagnostics say why) or
 *  OFFBKG_ENOMEM. On OFFBKG_OK *out is a complete composition. */
int offbkg_runconf_load(offbkg_ctx_t *ctx, const char *file,
                        const char *const *overrides, size_t n_overrides,
                        offbkg_diags_t *diags, offbkg_runconf_t **out);
void offbkg_runconf_free(offbkg_runconf_t *rc);

/** How many select sections there are: [select] and the
 *  [select LABEL] sections. */
size_t offbkg_runconf_n_selects(const offbkg_runconf_t *rc);

/** Select section @p i: 0 is [select], then the [select LABEL] sections
 *  in file order. */
const offbkg_stage_conf_t *offbkg_runconf_select_at(const offbkg_runconf_t *rc,
                                                    size_t i);

/** The [match] plugin makes a model per target observation (it is not
 *  OFFBKG_MATCH_SHARED_GROUPS); false without [match]. */
bool offbkg_runconf_per_target(const offbkg_runconf_t *rc);

/** [exclude] outliers = true. */
bool offbkg_runconf_outliers(const offbkg_runconf_t *rc);

/** The index of the [model] that [exclude] outlier_model names (0 when
 *  it names none), or (size_t)-1 when there is no such section. */
size_t offbkg_runconf_outlier_model(const offbkg_runconf_t *rc);

/** Whether the match section @p sc makes a model per target (false for
 *  none, module NULL, and match/group). */
bool offbkg_runconf_match_per_target(const offbkg_stage_conf_t *sc);

/** The directory of the target data store: [target] path, else [index]
 *  path, else "" (the targets are [datastore]'s observations). */
const char *offbkg_runconf_target_path(const offbkg_runconf_t *rc);

/** The resolved configuration as INI text with every value, defaults
 *  included, each followed by a comment saying where it came from
 *  (file:line, --set or default), and the plugins' versions and files.
 *  A new string; NULL if out of memory. */
char *offbkg_runconf_format(const offbkg_runconf_t *rc);

#endif
