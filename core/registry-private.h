/* SPDX-License-Identifier: BSD-3-Clause
 * The plugin registry: finds modules named <stage>_<name> in the plugin
 * search path only, opens them with libltdl by their path, checks their
 * descriptors and keeps them loaded until freed. */
#ifndef OFFBKG_REGISTRY_PRIVATE_H
#define OFFBKG_REGISTRY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <offbkg/plugin.h>

#include "ctx-private.h"

typedef struct offbkg_registry offbkg_registry_t;

/** A loaded, checked module. Owned by the registry; a pointer to it stays
 *  valid until offbkg_registry_free, however many modules load after. */
typedef struct offbkg_module {
    offbkg_stage_t stage;
    char *name;                     /**< the plugin name, e.g. "offplane" */
    char *module;                   /**< "select_offplane" */
    char *file;                     /**< the file it came from, or
                                         "(preloaded)" */
    const offbkg_plugin_t *desc;    /**< points into the loaded module */
} offbkg_module_t;

/** A new registry whose search path is, in order: the colon-separated
 *  directories of $OFFBKG_PLUGIN_PATH, @p extra_dirs (n_extra entries,
 *  e.g. [run] plugin_path), then the installed plugin directory
 *  ($OFFBKG_PLUGINDIR if set, none if it is empty). */
int offbkg_registry_new(offbkg_ctx_t *ctx, const char *const *extra_dirs,
                        size_t n_extra, offbkg_registry_t **out);
void offbkg_registry_free(offbkg_registry_t *reg);

/** Accept (@p allow true) world-writable plugin directories and module
 *  files, which are refused by default ([run] allow_unsafe_plugin_dir). */
void offbkg_registry_allow_unsafe(offbkg_registry_t *reg, bool allow);

/** The search path, colon-separated. */
const char *offbkg_registry_search_path(const offbkg_registry_t *reg);

/** Load (once) the @p stage plugin called @p name. Refusals, with the
 *  module file named in the message: invalid name (OFFBKG_EINVAL), not
 *  found with the search path and the known names (OFFBKG_EPLUGIN), no
 *  entry symbol (OFFBKG_EPLUGIN), ABI major different or minor newer
 *  (OFFBKG_EABI), wrong stage or name, malformed descriptor or parameter
 *  table (OFFBKG_EPLUGIN). */
int offbkg_registry_load(offbkg_registry_t *reg, offbkg_stage_t stage,
                         const char *name, const offbkg_module_t **out);

/** The model plugin @p desc can export and import run contributions (ABI
 *  1.1 contrib_view and contrib_load: its ops table is large enough to
 *  hold both and both are set), so a contribution store can be used with
 *  it. False for any other stage and for a plugin built against ABI 1.0,
 *  whose ops table ends before those members. */
bool offbkg_registry_model_has_store(const offbkg_plugin_t *desc);

/** The model plugin @p desc can make per-observation models from kept
 *  runs: ABI 1.1 contrib_view and ABI 1.2 finish_sums, both declared and
 *  set. False for any other stage. */
bool offbkg_registry_model_has_sums(const offbkg_plugin_t *desc);

/** The model plugin @p desc adds stored runs to a contribution itself
 *  (ABI 1.3 contrib_add, declared and set), so a store's runs are read
 *  with sparse counts and never loaded into contributions of their own.
 *  False for any other stage. */
bool offbkg_registry_model_has_add(const offbkg_plugin_t *desc);

/** Called for each module file found by offbkg_registry_scan: @p mod on
 *  success, else NULL and @p why says why it was refused. */
typedef void (*offbkg_scan_fn)(void *user, const char *file,
                               const offbkg_module_t *mod, const char *why);

/** Load every <stage>_<name> module in the search path (the first of each
 *  name wins, as for loading) and report each through @p fn, sorted by
 *  stage then name. */
int offbkg_registry_scan(offbkg_registry_t *reg, offbkg_scan_fn fn,
                         void *user);

/** The names of the stage's plugins found in the search path, sorted,
 *  NULL-terminated, in a new array (free with offbkg_registry_names_free). */
char **offbkg_registry_names(offbkg_registry_t *reg, offbkg_stage_t stage);
void offbkg_registry_names_free(char **v);

/** "select", "group", "model", "smooth"; NULL for anything else. */
const char *offbkg_registry_stage_name(offbkg_stage_t stage);
/** The stage called @p word, or 0. */
offbkg_stage_t offbkg_registry_stage_from_name(const char *word);

#endif
