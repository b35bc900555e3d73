/* SPDX-License-Identifier: BSD-3-Clause
 * The select and group stages of a run and their outputs: run.lis,
 * obs.fits and group-def.fits (doc/domain.md §2.2-§2.4). */
#ifndef OFFBKG_SELGROUP_PRIVATE_H
#define OFFBKG_SELGROUP_PRIVATE_H

#include <stdint.h>

#include "datastore-private.h"
#include "runconf-private.h"

/** Runs of a store that a stage keeps, and why the others were dropped. */
typedef struct offbkg_selection {
    size_t n;                /**< rows kept */
    size_t *rows;            /**< obs-index rows kept, ascending */
    size_t n_dropped;
    int64_t *dropped_ids;    /**< OBS_ID of each dropped run */
    char **dropped_why;      /**< and why */
} offbkg_selection_t;

void offbkg_selection_clear(offbkg_selection_t *sel);

/** Run the [select] plugin on the whole observation table. */
int offbkg_select_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_datastore_t *store,
                      offbkg_selection_t *sel);

/** An owned copy of one grouping axis. */
typedef struct offbkg_gaxis {
    char *column;
    offbkg_group_axis_kind_t kind;
    size_t n_bins;
    double *bounds;            /**< n_bins + 1 edges or n_bins values */
    char *unit;
} offbkg_gaxis_t;

/** The groups of a selection. */
typedef struct offbkg_grouping {
    size_t n_groups;           /**< in the definition (product of bins) */
    size_t n_axes;
    offbkg_gaxis_t *axes;
    offbkg_table_t obs;        /**< grouped rows, sorted by GROUP_ID, OBS_ID */
    int64_t *group_id;         /**< per row of obs */
    size_t *store_rows;        /**< per row of obs: its obs-index row */
    size_t *runs_per_group;    /**< n_groups entries */
    offbkg_selection_t dropped;/**< runs in no group (n/rows unused) */
} offbkg_grouping_t;

void offbkg_grouping_clear(offbkg_grouping_t *g);

/** Run the [group] plugin on obs-index rows @p rows[0..n). */
int offbkg_group_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store, const size_t *rows,
                     size_t n, offbkg_grouping_t *g);

/** Log how many runs were dropped, by reason (INFO), each one at DEBUG. */
void offbkg_log_dropped(offbkg_ctx_t *ctx, const char *stage,
                        const offbkg_selection_t *sel);

/** An OFFBKG_EDATA error for a stage that kept no run: "file:line:
 *  [section] plugin NAME <what>: N runs: why; ..." with the distinct
 *  reasons of @p dropped (the first three, and how many more). */
int offbkg_none_kept(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_stage_conf_t *sc, const char *what,
                     const offbkg_selection_t *dropped);

/** OFFBKG_OK when @p sel keeps a run of @p store; else the
 *  offbkg_none_kept error saying what was selected from and why each
 *  run was dropped: a selection of none is no success. */
int offbkg_selection_require(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             const offbkg_datastore_t *store,
                             const offbkg_selection_t *sel);

/** run.lis: CSV, header OBS_ID, one kept run per line (store order). */
int offbkg_run_list_write(offbkg_ctx_t *ctx, const char *path,
                          bool overwrite, const offbkg_datastore_t *store,
                          const offbkg_selection_t *sel);

/** Read run.lis back as obs-index rows (sorted by OBS_ID, as old
 *  gammapy's join did). IDs the store lacks are warned about and
 *  skipped; duplicates are warned about and counted once. A bad line is
 *  an OFFBKG_EDATA error naming path:line; so is a file without the
 *  header (empty, or comments only). */
int offbkg_run_list_read(offbkg_ctx_t *ctx, const char *path,
                         const offbkg_datastore_t *store, size_t **rows,
                         size_t *n);

/** obs.fits and group-def.fits of a grouping (obs.fits carries the time
 *  reference and site keywords of @p store's obs-index, if not NULL). */
int offbkg_grouping_write(offbkg_ctx_t *ctx, const offbkg_grouping_t *g,
                          const offbkg_datastore_t *store,
                          const char *obs_path, const char *def_path,
                          bool overwrite, const char *grouper);

/** Read obs.fits and group-def.fits back (what `offbkg make` starts
 *  from): the obs-index rows of @p store with their GROUP_ID, in file
 *  order, and the number of groups defined. Runs the store lacks are an
 *  OFFBKG_EDATA error: the store changed since `offbkg group`. */
int offbkg_grouping_read(offbkg_ctx_t *ctx, const char *obs_path,
                         const char *def_path,
                         const offbkg_datastore_t *store, size_t **rows,
                         int64_t **group_id, size_t *n, size_t *n_groups);

/** The table of group-def.fits: GROUP_ID, then per axis COL_MIN and
 *  COL_MAX (edges) or COL (values), a row per group. */
int offbkg_group_def_read(offbkg_ctx_t *ctx, const char *def_path,
                          offbkg_table_t *def);

#endif
