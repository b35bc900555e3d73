/* SPDX-License-Identifier: BSD-3-Clause
 * The offbkg plugin ABI: everything a selector, grouper, model builder,
 * smoother or matcher needs, in one installed header. See offbkg-plugin(7).
 *
 * ABI policy: fields are only ever appended (to the descriptor, the host
 * table and the ops tables), which bumps OFFBKG_PLUGIN_ABI_MINOR. Changing,
 * removing or reordering anything bumps OFFBKG_PLUGIN_ABI_MAJOR. The host
 * loads a plugin whose major equals its own and whose minor is not newer.
 * Never changed: the first three descriptor fields, the entry symbol and
 * the <stage>_<name> module names. Guide: doc/plugin-guide.md. */
#ifndef OFFBKG_PLUGIN_H
#define OFFBKG_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <offbkg/status.h>
#include <offbkg/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OFFBKG_PLUGIN_ABI_MAJOR 1
#define OFFBKG_PLUGIN_ABI_MINOR 3

#if defined(__GNUC__)
#define OFFBKG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define OFFBKG_EXPORT __attribute__((visibility("default")))
#else
#define OFFBKG_PRINTF(fmt, args)
#define OFFBKG_EXPORT
#endif

/** The stages of a run. A module named <stage>_<name> provides one. */
typedef enum offbkg_stage {
    OFFBKG_STAGE_SELECT = 1,
    OFFBKG_STAGE_GROUP = 2,
    OFFBKG_STAGE_MODEL = 3,
    OFFBKG_STAGE_SMOOTH = 4,
    OFFBKG_STAGE_MATCH = 5      /**< ABI 1.2 */
} offbkg_stage_t;

/* ------------------------------------------------------------------ */
/* Parameters: the plugin declares them, the host parses the INI values,
 * checks them and fills the plugin's config struct.                    */

/** Parameter types and the C type of the config field they fill. */
typedef enum offbkg_param_type {
    OFFBKG_PARAM_BOOL = 1,    /**< bool; INI "true" or "false" */
    OFFBKG_PARAM_INT = 2,     /**< int64_t */
    OFFBKG_PARAM_DOUBLE = 3,  /**< double, finite */
    OFFBKG_PARAM_STRING = 4,  /**< const char * (never NULL; "" if unset) */
    OFFBKG_PARAM_PATH = 5,    /**< const char *, relative paths resolved
                                   against the config file's directory;
                                   "" if unset */
    OFFBKG_PARAM_ENUM = 6,    /**< int, index into @c choices */
    OFFBKG_PARAM_DOUBLE_LIST = 7, /**< offbkg_double_list_t, comma-separated */
    OFFBKG_PARAM_STRING_LIST = 8  /**< offbkg_string_list_t, comma-separated */
} offbkg_param_type_t;

/** Flags of a parameter. */
#define OFFBKG_PARAM_REQUIRED   (1u << 0) /**< must be given in the INI */
#define OFFBKG_PARAM_HAS_MIN    (1u << 1) /**< value (each item) >= min */
#define OFFBKG_PARAM_HAS_MAX    (1u << 2) /**< value (each item) <= max */
#define OFFBKG_PARAM_MIN_OPEN   (1u << 3) /**< with HAS_MIN: value > min */
#define OFFBKG_PARAM_MAX_OPEN   (1u << 4) /**< with HAS_MAX: value < max */
#define OFFBKG_PARAM_INCREASING (1u << 5) /**< list items strictly increasing */

/** A list of doubles in a config struct; items owned by the host. */
typedef struct offbkg_double_list {
    size_t n;
    const double *v;
} offbkg_double_list_t;

/** A list of strings in a config struct; items owned by the host. */
typedef struct offbkg_string_list {
    size_t n;
    const char *const *v;
} offbkg_string_list_t;

/** One parameter of a plugin: one INI key of its section. A table of these
 *  ends with an entry whose @c name is NULL. */
typedef struct offbkg_param {
    const char *name;           /**< INI key, [a-z0-9_]+, unit suffix (_deg) */
    offbkg_param_type_t type;
    size_t offset;              /**< offsetof(config struct, field) */
    const char *default_value;  /**< INI text used when the key is absent;
                                     NULL: zero / "" / empty list */
    uint32_t flags;             /**< OFFBKG_PARAM_* */
    double min;                 /**< with OFFBKG_PARAM_HAS_MIN */
    double max;                 /**< with OFFBKG_PARAM_HAS_MAX */
    size_t min_items;           /**< lists: fewest items (0: any) */
    size_t max_items;           /**< lists: most items (0: any) */
    const char *const *choices; /**< ENUM: NULL-terminated list of words */
    const char *unit;           /**< e.g. "deg", "TeV"; "" or NULL if none */
    const char *help;           /**< one line */
} offbkg_param_t;

/* ------------------------------------------------------------------ */
/* Host services                                                       */

typedef enum offbkg_log_level {
    OFFBKG_LOG_ERROR = 0,
    OFFBKG_LOG_WARN = 1,
    OFFBKG_LOG_INFO = 2,
    OFFBKG_LOG_DEBUG = 3
} offbkg_log_level_t;

typedef struct offbkg_host offbkg_host_t;

/** What the host offers a plugin instance. The host passes one table per
 *  instance to create(); the plugin keeps the pointer in its state. It
 *  stays valid until destroy() returns.
 *
 *  Threading: log, error and cancelled may be called from any thread.
 *  The rng calls give one reproducible stream per instance (seeded from
 *  [run] seed and the section name) and must not be called concurrently;
 *  use them from create, select, group, finish and smooth only. */
struct offbkg_host {
    uint32_t abi_major;   /**< the host's OFFBKG_PLUGIN_ABI_MAJOR */
    uint32_t abi_minor;   /**< the host's OFFBKG_PLUGIN_ABI_MINOR */
    uint32_t struct_size; /**< sizeof(offbkg_host_t) of the host */

    /** Log a message; the host prefixes it with "[stage/name]". */
    void (*log)(const offbkg_host_t *host, offbkg_log_level_t level,
                const char *fmt, ...) OFFBKG_PRINTF(3, 4);

    /** Record why the current operation fails and return @p status, so a
     *  plugin can write `return host->error(host, OFFBKG_EINVAL, ...)`.
     *  The message is per thread; the host reports it with its context. */
    int (*error)(const offbkg_host_t *host, int status, const char *fmt, ...)
        OFFBKG_PRINTF(3, 4);

    /** The next 64 random bits of this instance's stream. */
    uint64_t (*rng_u64)(const offbkg_host_t *host);

    /** A uniform double in [0, 1) from this instance's stream. */
    double (*rng_uniform)(const offbkg_host_t *host);

    /** Non-zero once the user asked to stop (SIGINT/SIGTERM); long loops
     *  should return OFFBKG_ECANCELLED. */
    int (*cancelled)(const offbkg_host_t *host);

    void *host_data;      /**< private to the host */
};

/* ------------------------------------------------------------------ */
/* Stage operations. Each table starts with its own struct_size so it can
 * grow by appending. All return OFFBKG_OK or a negative status after
 * host->error().                                                      */

/** select: decide for each observation whether it is used. */
typedef struct offbkg_select_ops {
    uint32_t struct_size;
    /** Fill keep[i] (1 keep, 0 drop) for each of obs->n_rows rows and, for
     *  each dropped row, reason[i] = a short text ("|GLAT_PNT| <= 5 deg")
     *  owned by the plugin and valid until the next call or destroy. */
    int (*select)(void *state, const offbkg_obs_table_t *obs, uint8_t *keep,
                  const char **reason);
} offbkg_select_ops_t;

/** The most groups a grouping may define: each group is a model file
 *  (or several), and the host loops over them; more is a mistake. */
#define OFFBKG_MAX_GROUPS 100000

/** group: put each selected observation into a group. */
typedef struct offbkg_group_ops {
    uint32_t struct_size;
    /** The group definitions (axes and bins), owned by the state. The
     *  number of groups is the product of the axes' n_bins, at most
     *  OFFBKG_MAX_GROUPS. */
    int (*define)(void *state, const offbkg_group_def_t **def);
    /** group_id[i] for each row: 0 .. n_groups-1, or -1 for no group with
     *  reason[i] set as for select. Must depend on the row alone, so the
     *  index step can apply it to any data store. */
    int (*assign)(void *state, const offbkg_obs_table_t *obs,
                  int32_t *group_id, const char **reason);
} offbkg_group_ops_t;

/** A run contribution as plain data, for the contribution store
 *  (ABI 1.1): the counts of each cell and the exposure of each
 *  exposure bin, in the model's own order. */
typedef struct offbkg_contrib_data {
    uint32_t struct_size;     /* sizeof at build time */
    size_t n_counts;          /* cells */
    const uint64_t *counts;   /* n_counts: events per cell */
    size_t n_exposure;        /* exposure bins (the model's choice: e.g.
                                 spatial bins, or cells) */
    const double *exposure_s; /* n_exposure: time x non-excluded
                                 fraction, s; finite, >= 0 */
    /* (ABI 1.3) The counts as the cells that are not 0, for contrib_add
     * only: with counts NULL, cell nonzero_cell[k] (increasing, below
     * n_counts) holds nonzero_count[k] for k < n_nonzero, every other
     * cell 0. A run's counts are sparse (a few thousand events in tens
     * of thousands of 3D cells): a store reads and adds only those. */
    size_t n_nonzero;
    const uint64_t *nonzero_cell;
    const uint64_t *nonzero_count;
} offbkg_contrib_data_t;

/** Weighted sums of run contributions' data (ABI 1.2), in the layout of
 *  offbkg_contrib_data_t: with weights w_r > 0 over runs r,
 *  counts[i] = sum w_r counts_r[i], counts_w2[i] = sum w_r^2 counts_r[i]
 *  (the variance of counts[i]; equal to counts when every w_r is 1) and
 *  exposure_s[j] = sum w_r exposure_r[j]. All finite and >= 0. */
typedef struct offbkg_contrib_sums {
    uint32_t struct_size;     /* sizeof at build time of the host */
    size_t n_counts;
    const double *counts;
    const double *counts_w2;
    size_t n_exposure;
    const double *exposure_s;
} offbkg_contrib_sums_t;

/** model: accumulate runs into per-group contributions, then a cube.
 *
 *  A contribution is a pure value: the counts and exposure of one or more
 *  runs in the model's bins. The host fills one contribution per run
 *  (concurrently, on different contributions) and merges them into the
 *  group's contribution in a fixed order, so results do not depend on the
 *  thread count. Only fill, contrib_view and contrib_load may run
 *  concurrently (each on its own contribution), and state is read-only
 *  after create; for a plugin built against ABI 1.3 or later, finish
 *  and contrib_free too (the host finishes groups in parallel). The plugin sets struct_size in contrib_view's @p out;
 *  the host sets it in contrib_load's @p in. */
typedef struct offbkg_model_ops {
    uint32_t struct_size;
    /** A new, empty contribution, owned by the host (freed with free). */
    int (*contrib_new)(void *state, void **contrib);
    /** Empty @p contrib again, keeping its memory. */
    void (*contrib_reset)(void *state, void *contrib);
    /** Free a contribution; NULL is a no-op. */
    void (*contrib_free)(void *state, void *contrib);
    /** Add one run's events and exposure to @p contrib. */
    int (*fill)(void *state, const offbkg_run_t *run, void *contrib);
    /** into += from. */
    int (*merge)(void *state, void *into, const void *from);
    /** The rate cube of a group's contribution; *cube is owned by the host
     *  on success (free with offbkg_cube_free). A contribution with no
     *  exposure is an OFFBKG_EDATA error, never a NaN cube. */
    int (*finish)(void *state, const void *contrib, offbkg_cube_t **cube);
    /** (ABI 1.1; NULL: this model cannot use a contribution store.) The
     *  data of @p contrib as read-only views into it, valid until
     *  @p contrib is changed or freed. */
    int (*contrib_view)(void *state, const void *contrib,
                        offbkg_contrib_data_t *out);
    /** (ABI 1.1) Make @p contrib (from contrib_new) equal to @p in,
     *  copying the arrays; OFFBKG_EDATA (with host->error) when the sizes
     *  are not this model's or a value is negative or not finite. A run
     *  loaded back must merge and finish bit for bit as the run filled
     *  from events. */
    int (*contrib_load)(void *state, const offbkg_contrib_data_t *in,
                        void *contrib);
    /** (ABI 1.2; NULL: this model cannot make per-observation models
     *  from runs.) The rate cube of weighted sums of run contributions,
     *  as finish makes it of a contribution: rate = counts / (exposure x
     *  energy width x solid angle), rate_err = sqrt(counts_w2) / the
     *  same; OFFBKG_EDATA when the sizes are not this model's or there is
     *  no exposure. With every weight 1 the cube equals finish's of the
     *  merged runs bit for bit. May run concurrently (state is
     *  read-only). */
    int (*finish_sums)(void *state, const offbkg_contrib_sums_t *sums,
                       offbkg_cube_t **cube);
    /** (ABI 1.3; NULL: the host loads a stored run with contrib_load and
     *  merges it.) Add the run @p in to @p contrib (a group's, from
     *  contrib_new) as contrib_load of @p in into an empty contribution
     *  and merge would, bit for bit. @p in's counts are dense (counts) or
     *  sparse (counts NULL: n_nonzero, nonzero_cell, nonzero_count; the
     *  host sets struct_size to include them). Refusals as contrib_load's,
     *  and @p contrib is then unchanged. Called as merge is: one at a
     *  time, in run order. */
    int (*contrib_add)(void *state, const offbkg_contrib_data_t *in,
                       void *contrib);
} offbkg_model_ops_t;

/** smooth: smooth a finished cube's rate in place (the host passes a
 *  copy; the raw cube is kept). counts and exposure are read-only. */
typedef struct offbkg_smooth_ops {
    uint32_t struct_size;
    int (*smooth)(void *state, offbkg_cube_t *cube);
} offbkg_smooth_ops_t;

/** What a match names for a target (ABI 1.2). */
typedef enum offbkg_match_kind {
    /** OFF runs: the model is the pooled estimate of the runs' model
     *  contributions, sum w*counts / sum w*exposure, cell by cell
     *  (model finish_sums). */
    OFFBKG_MATCH_RUNS = 1,
    /** Groups: each group's model is made without the target's own run
     *  (an observation is never part of its own OFF sample) and the
     *  rates combined with the weights, normalised to sum 1. */
    OFFBKG_MATCH_GROUPS = 2
} offbkg_match_kind_t;

/** How group rates are combined (OFFBKG_MATCH_GROUPS). */
typedef enum offbkg_match_combine {
    /** rate = sum w_k rate_k; rate_err = sqrt(sum w_k^2 rate_err_k^2). */
    OFFBKG_COMBINE_LINEAR = 1,
    /** rate = exp(sum w_k ln rate_k); a cell whose rate is 0 in any group
     *  with w_k > 0 is combined linearly instead, so an empty cell never
     *  becomes NaN, inf or a spike; relative errors add in quadrature. */
    OFFBKG_COMBINE_LOG = 2
} offbkg_match_combine_t;

/** What the match stage works from, valid from prepare until destroy. */
typedef struct offbkg_match_input {
    uint32_t struct_size;           /**< sizeof at build time of the host */
    /** The OFF runs: the runs the models were made of (selected, in a
     *  group, not skipped), one row each, with the obs-index columns. */
    const offbkg_obs_table_t *off;
    const int32_t *off_group_id;    /**< off->n_rows: the group of each */
    const offbkg_group_def_t *groups;
    size_t n_groups;
    /** n_groups: 1 when the group has at least one OFF run. */
    const uint8_t *group_used;
} offbkg_match_input_t;

/** One target's match, filled by the plugin. The arrays are the
 *  plugin's and stay valid until its next match call or destroy. */
typedef struct offbkg_match_result {
    uint32_t struct_size;           /**< set by the host */
    offbkg_match_kind_t kind;
    offbkg_match_combine_t combine; /**< OFFBKG_MATCH_GROUPS only */
    size_t n;                       /**< 0: no match, and reason says why */
    const size_t *index;            /**< n: rows of off, or group ids;
                                         each at most once */
    const double *weight;           /**< n: finite, > 0 */
    const double *distance;         /**< n, for the report; NULL: none */
    const char *reason;             /**< when n == 0: one line */
} offbkg_match_result_t;

/** The match plugin makes all group models shared: each observation
 *  uses its group's model file, as without a [match] section. The host
 *  calls neither prepare nor match. */
#define OFFBKG_MATCH_SHARED_GROUPS (1u << 0)

/** match: which OFF runs, or which group models, make each target
 *  observation's model, and with which weights (ABI 1.2). The host calls
 *  prepare once, then match target by target, from one thread; state
 *  may change in both. */
typedef struct offbkg_match_ops {
    uint32_t struct_size;
    uint32_t flags;                 /**< OFFBKG_MATCH_* */
    int (*prepare)(void *state, const offbkg_match_input_t *in);
    /** Match row @p row of @p targets (the target data store's obs-index
     *  table, with the fallbacks applied). @p self is the row of @p off
     *  that is the same observation, or SIZE_MAX: it must not be in a
     *  runs result (the host refuses it). A target that cannot be matched
     *  is n = 0 with a reason, not an error; errors are for failures. */
    int (*match)(void *state, const offbkg_obs_table_t *targets, size_t row,
                 size_t self, offbkg_match_result_t *out);
} offbkg_match_ops_t;

/* ------------------------------------------------------------------ */
/* The descriptor                                                      */

/** What a module exports. Static, const, and never modified. Field order
 *  is fixed forever; new fields are appended (minor bump). */
typedef struct offbkg_plugin {
    uint32_t abi_major;     /**< OFFBKG_PLUGIN_ABI_MAJOR at build time */
    uint32_t abi_minor;     /**< OFFBKG_PLUGIN_ABI_MINOR at build time */
    uint32_t struct_size;   /**< sizeof(offbkg_plugin_t) at build time */
    offbkg_stage_t stage;
    const char *name;       /**< [a-z0-9_]+, the INI "plugin =" value */
    const char *version;    /**< the plugin's own version, e.g. "1.0.0" */
    const char *summary;    /**< one line */
    const offbkg_param_t *params; /**< terminated by {0}; may be NULL */
    size_t config_size;     /**< bytes of the config struct params fill */

    /** Make an instance from a filled config (owned by the host, valid
     *  until destroy). May reject combinations the table cannot express,
     *  via host->error. On failure nothing stays allocated. */
    int (*create)(const offbkg_host_t *host, const void *config,
                  void **state);
    /** Free an instance; called once, only after a successful create. */
    void (*destroy)(void *state);

    /** The operations of @c stage; the matching member is non-NULL. */
    union {
        const offbkg_select_ops_t *select;
        const offbkg_group_ops_t *group;
        const offbkg_model_ops_t *model;
        const offbkg_smooth_ops_t *smooth;
        const offbkg_match_ops_t *match;    /**< ABI 1.2 */
    } ops;
} offbkg_plugin_t;

/** The first three descriptor fields, for designated initialisers. */
#define OFFBKG_PLUGIN_HEADER                                                \
    .abi_major = OFFBKG_PLUGIN_ABI_MAJOR,                                   \
    .abi_minor = OFFBKG_PLUGIN_ABI_MINOR,                                   \
    .struct_size = sizeof(offbkg_plugin_t)

/** The entry point the host looks up (libltdl strips the module prefix). */
#define OFFBKG_PLUGIN_ENTRY_SYMBOL "offbkg_plugin_entry"
typedef const offbkg_plugin_t *(*offbkg_plugin_entry_fn)(void);

/** Define the one exported symbol of module @p module (its file name
 *  without suffix, e.g. select_offplane), returning @p descriptor.
 *  @p module may itself be a macro: it is expanded before pasting. */
#define OFFBKG_PLUGIN_DEFINE(module, descriptor)                            \
    OFFBKG_PLUGIN_DEFINE_EXPANDED(module, descriptor)
#define OFFBKG_PLUGIN_DEFINE_EXPANDED(module, descriptor)                   \
    OFFBKG_EXPORT const offbkg_plugin_t                                     \
        *module##_LTX_offbkg_plugin_entry(void);                            \
    OFFBKG_EXPORT const offbkg_plugin_t                                     \
        *module##_LTX_offbkg_plugin_entry(void)                             \
    {                                                                       \
        return &(descriptor);                                               \
    }

#ifdef __cplusplus
}
#endif
#endif
