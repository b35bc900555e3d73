/* SPDX-License-Identifier: BSD-3-Clause
 * Each run's own target ([exclude] targets, doc/exclude.md §4): where
 * it is and where that came from, the circle that excludes it, and the
 * runs whose target is in the field of view with nothing excluding it.
 * (Not the [target] section: that names the ON runs [match] models.) */
#ifndef OFFBKG_TARGET_PRIVATE_H
#define OFFBKG_TARGET_PRIVATE_H

#include <stdbool.h>

#include "datastore-private.h"
#include "exclude-private.h"
#include "run_header-private.h"

/** Where a run's target position came from, in the order tried. */
typedef enum offbkg_target_from {
    OFFBKG_TARGET_NONE = 0,         /**< nowhere: no position, no name
                                         found in the catalogs */
    OFFBKG_TARGET_OBS_INDEX,        /**< obs-index RA_OBJ, DEC_OBJ */
    OFFBKG_TARGET_HEADER,           /**< EVENTS header RA_OBJ, DEC_OBJ */
    OFFBKG_TARGET_NAME_OBS_INDEX,   /**< obs-index OBJECT, in the regions */
    OFFBKG_TARGET_NAME_HEADER,      /**< header OBJECT, in the regions */
    OFFBKG_TARGET_UNREAD            /**< the obs-index has none and the
                                         header was not read (the run came
                                         from the store) */
} offbkg_target_from_t;

typedef struct offbkg_target {
    double ra_deg, dec_deg;         /**< NaN unless found */
    offbkg_target_from_t from;
} offbkg_target_t;

/** The target of a run from its obs-index RA_OBJ/DEC_OBJ (@p idx_ra_deg,
 *  @p idx_dec_deg, NaN: none), else its header's @p h (NULL: not read:
 *  OFFBKG_TARGET_UNREAD), else its OBJECT (obs-index @p idx_object, else
 *  the header's; NULL or "": none) resolved in @p regions by name. */
offbkg_target_t offbkg_target_pick(double idx_ra_deg, double idx_dec_deg,
                                   const char *idx_object,
                                   const offbkg_run_header_t *h,
                                   const offbkg_regions_t *regions);

/** offbkg_target_pick for obs-index row @p row of @p store. */
offbkg_target_t offbkg_target_of_row(const offbkg_datastore_t *store,
                                     size_t row, const offbkg_run_header_t *h,
                                     const offbkg_regions_t *regions);

/** Words for report.json and the log ("obs-index RA_OBJ/DEC_OBJ", ...). */
const char *offbkg_target_from_text(offbkg_target_from_t from);

struct offbkg_model;

/** The field of view of @p m's models: the largest offset any of their
 *  cubes bins (2D: the last THETA edge; 3D: the farthest corner), NaN
 *  when there is no cube. */
double offbkg_target_fov_deg(const struct offbkg_model *m);

/** Count into @p m the used runs whose target is known and within the
 *  field of view of their pointing with no region of @p regions (nor
 *  their own circle, with [exclude] targets) covering it, and those whose
 *  target is not known; warn once with each count. */
void offbkg_target_check(offbkg_ctx_t *ctx,
                         const offbkg_exclude_conf_t *conf,
                         const offbkg_regions_t *regions,
                         struct offbkg_model *m);

#endif
