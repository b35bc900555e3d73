/* SPDX-License-Identifier: BSD-3-Clause
 * Source catalogs as exclusion circles (doc/exclude.md §2): a CSV or
 * FITS table with a name, a position in RA/Dec or GLON/GLAT, and a
 * radius or an extension. */
#ifndef OFFBKG_CATALOG_PRIVATE_H
#define OFFBKG_CATALOG_PRIVATE_H

#include "exclude-private.h"

/** Add a circle per source of the catalog @p path to @p r: of its
 *  RADIUS when given, else of max(@p min_radius_deg, @p extension_scale
 *  x EXTENSION) (a source without EXTENSION is a point). A bad value is
 *  an OFFBKG_ECONFIG error naming path:line (CSV) or the row (FITS) and
 *  the column. */
int offbkg_catalog_load(offbkg_ctx_t *ctx, const char *path,
                        double extension_scale, double min_radius_deg,
                        offbkg_regions_t *r);

/** Parse @p text as an angle in degrees: a decimal number of degrees,
 *  or sexagesimal (05:34:31.9, 05 34 31.9, 05h34m31.9s, 22d00m52s),
 *  which is hours for an RA (@p ra) unless written with d. False if
 *  @p text is neither, or its minutes or seconds are not below 60. */
bool offbkg_catalog_parse_angle(const char *text, bool ra, double *deg);

#endif
