/* SPDX-License-Identifier: BSD-3-Clause
 * Exclusion regions: circles on the sky (RA, DEC, RADIUS in degrees) from
 * a CSV or FITS table, from inline [exclude] circles_deg and from source
 * catalogs (doc/exclude.md). */
#ifndef OFFBKG_EXCLUDE_PRIVATE_H
#define OFFBKG_EXCLUDE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <offbkg/types.h>

#include "ctx-private.h"
#include "runconf-private.h"

typedef struct offbkg_regions {
    size_t n;
    offbkg_region_t *items;
    char **names;               /**< n: each region's source name, or NULL
                                     (circles and tables without names) */
} offbkg_regions_t;

/** Load the regions of @p conf (NULL: none): the regions file, the
 *  circles, then each catalog, in that order. A regions CSV file (RFC
 *  4180) has a header line naming RA, DEC and RADIUS (any order,
 *  case-insensitive; extra columns ignored); a FITS file has a binary
 *  table with those columns (RADIUS may be called Radius, as old gammapy
 *  wrote it). Bad values (non-finite, radius <= 0 or >= 90, |DEC| > 90)
 *  are errors naming file:line or the row; *@p key is then the
 *  [exclude] key whose value failed (NULL on success). */
int offbkg_exclude_load(offbkg_ctx_t *ctx, const offbkg_exclude_conf_t *conf,
                        offbkg_regions_t *out, const char **key);

/** Add a circle, with its source name (NULL: none), to @p r; a circle
 *  that is not finite, with |@p dec| > 90 or a radius not in (0, 90) is
 *  an error naming @p where. RA is wrapped into [0, 360). */
int offbkg_exclude_add(offbkg_ctx_t *ctx, offbkg_regions_t *r, double ra,
                       double dec, double radius, const char *name,
                       const char *where);

/** Whether @p path names a FITS file (.fits, .fits.gz, .fit, .fts,
 *  .fits.fz); anything else is read as CSV. */
bool offbkg_exclude_is_fits(const char *path);

/** The regions whose circle comes within @p radius_deg of (ra, dec):
 *  written to @p near (room for all; NULL: only counted), their count
 *  returned. */
size_t offbkg_exclude_near(const offbkg_regions_t *r, double ra_deg,
                           double dec_deg, double radius_deg,
                           offbkg_region_t *near);

/** The index of the first region named @p name, or -1. Names compare
 *  ignoring case and blanks ("Crab Nebula" is "crabnebula"), so that an
 *  OBJECT written with other spacing still resolves. */
ptrdiff_t offbkg_exclude_find(const offbkg_regions_t *r, const char *name);

void offbkg_exclude_free(offbkg_regions_t *r);

#endif
