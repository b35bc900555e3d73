/* SPDX-License-Identifier: BSD-3-Clause
 * The checks made before any work and any write: everything that can be
 * known wrong without reading an event. `offbkg check` and every
 * pipeline command run the same function, so check accepts exactly what
 * the commands would start. */
#ifndef OFFBKG_PREFLIGHT_PRIVATE_H
#define OFFBKG_PREFLIGHT_PRIVATE_H

#include <stdbool.h>

#include "datastore-private.h"
#include "diag-private.h"
#include "exclude-private.h"
#include "group-private.h"
#include "runconf-private.h"

/** The stages a command runs (and so the files it writes). */
typedef struct offbkg_plan {
    bool select;        /**< writes run.lis */
    bool group;         /**< writes obs.fits, group-def.fits */
    bool make;          /**< writes the models and report.json */
    bool index;         /**< writes the three index tables */
    bool fill;          /**< fills [store] (offbkg fill); writes no output */
    bool validate;      /**< offbkg validate: selects, groups and models
                             without writing them; writes validation.fits
                             and report.json */
    bool plot;          /**< [plot] in run or validate: last, the figures
                             of [output] dir and index.html */
} offbkg_plan_t;

/** What the checks opened, for the command to go on with. */
typedef struct offbkg_preflight {
    offbkg_datastore_t *store;      /**< [datastore], open */
    /** The target store of a per-target [match] ([target] or [index]
     *  path), open; NULL when the targets are [datastore]'s runs (no
     *  such path, or the same directory) or the models are shared. */
    offbkg_datastore_t *target;
    offbkg_regions_t regions;       /**< [exclude], loaded */
    offbkg_selection_t sel;         /**< what [select] keeps of the store
                                         (may be none: see
                                         offbkg_select_require) */
} offbkg_preflight_t;

/** Check @p rc for a command that runs @p plan: every plugin instance
 *  can be created; the data store and its index tables open; the select
 *  plugin selects from its obs-index (into @p out->sel, its log going
 *  to @p ctx's sink) and the group plugin accepts it (the columns they
 *  name exist, with a usable type); each smoother accepts the cubes its
 *  model makes (a trial of the model on an empty run, then of the
 *  smoother on that cube); the regions file parses; and no file the
 *  command writes is an input (the INI, the index tables, a file the
 *  hdu-index names, the regions file, a file a plugin reads), nor the
 *  output directory the data store's, whatever [output] overwrite says.
 *  Every problem goes to @p diags; nothing is written. Returns
 *  OFFBKG_OK with @p out filled, OFFBKG_ECONFIG (see @p diags) or
 *  OFFBKG_ENOMEM. */
int offbkg_preflight(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_plan_t *plan, offbkg_diags_t *diags,
                     offbkg_preflight_t *out);

void offbkg_preflight_free(offbkg_preflight_t *pf);

#endif
