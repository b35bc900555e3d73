/* SPDX-License-Identifier: BSD-3-Clause
 * The offbkg plugin ABI: everything a selector, grouper, model builder or
 * smoother needs, in one installed header. See offbkg-plugin(7).
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
#define OFFBKG_PLUGIN_ABI_MINOR 1

#if defined(__GNUC__)
#define OFFBKG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define OFFBKG_EXPORT __attribute__((visibility("default")))
#else
#define OFFBKG_PRINTF(fmt, args)
#define OFFBKG_EXPORT
#endif

/** The four stages of a run. A module named <stage>_<name> provides one. */
typedef enum offbkg_stage {
    OFFBKG_STAGE_SELECT = 1,
    OFFBKG_STAGE_GROUP = 2,
    OFFBKG_STAGE_MODEL = 3,
    OFFBKG_STAGE_SMOOTH = 4
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
} offbkg_contrib_data_t;

/** model: accumulate runs into per-group contributions, then a cube.
 *
 *  A contribution is a pure value: the counts and exposure of one or more
 *  runs in the model's bins. The host fills one contribution per run
 *  (concurrently, on different contributions) and merges them into the
 *  group's contribution in a fixed order, so results do not depend on the
 *  thread count. Only fill, contrib_view and contrib_load may run
 *  concurrently (each on its own contribution), and state is read-only
 *  after create. The plugin sets struct_size in contrib_view's @p out;
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
} offbkg_model_ops_t;

/** smooth: smooth a finished cube's rate in place (the host passes a
 *  copy; the raw cube is kept). counts and exposure are read-only. */
typedef struct offbkg_smooth_ops {
    uint32_t struct_size;
    int (*smooth)(void *state, offbkg_cube_t *cube);
} offbkg_smooth_ops_t;

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
