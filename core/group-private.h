/* SPDX-License-Identifier: BSD-3-Clause
 * The group stage of a run and its outputs, obs.fits and group-def.fits
 * (doc/domain.md §2.4). */
#ifndef OFFBKG_GROUP_PRIVATE_H
#define OFFBKG_GROUP_PRIVATE_H

#include <stdint.h>

#include "datastore-private.h"
#include "runconf-private.h"
#include "select-private.h"

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

void offbkg_group_clear(offbkg_grouping_t *g);

/** Run the [group] plugin on obs-index rows @p rows[0..n). */
int offbkg_group_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store, const size_t *rows,
                     size_t n, offbkg_grouping_t *g);

/** obs.fits and group-def.fits of a grouping (obs.fits carries the time
 *  reference and site keywords of @p store's obs-index, if not NULL). */
int offbkg_group_write(offbkg_ctx_t *ctx, const offbkg_grouping_t *g,
                       const offbkg_datastore_t *store,
                       const char *obs_path, const char *def_path,
                       bool overwrite, const char *grouper);

/** Read obs.fits and group-def.fits back (what `offbkg make` starts
 *  from): the obs-index rows of @p store with their GROUP_ID, in file
 *  order, and the number of groups defined. Runs the store lacks are an
 *  OFFBKG_EDATA error: the store changed since `offbkg group`. */
int offbkg_group_read(offbkg_ctx_t *ctx, const char *obs_path,
                      const char *def_path,
                      const offbkg_datastore_t *store, size_t **rows,
                      int64_t **group_id, size_t *n, size_t *n_groups);

/** @p g's axes as the plugin ABI has them, in @p axes (g->n_axes
 *  entries); their strings and bounds stay @p g's. */
void offbkg_group_abi_axes(const offbkg_grouping_t *g,
                           offbkg_group_axis_t *axes);

/** The grouping axes group-def.fits describes (its GRP* cards), in
 *  @p g (n_groups, n_axes, axes; no run): what `offbkg make` knows of
 *  the groups' definition. */
int offbkg_group_def_axes(offbkg_ctx_t *ctx, const char *def_path,
                          offbkg_grouping_t *g);

/** The table of group-def.fits: GROUP_ID, then per axis COL_MIN and
 *  COL_MAX (edges) or COL (values), a row per group. */
int offbkg_group_def_read(offbkg_ctx_t *ctx, const char *def_path,
                          offbkg_table_t *def);

#endif
