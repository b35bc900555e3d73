/* SPDX-License-Identifier: BSD-3-Clause
 * The header of a run's event file: the keywords of its EVENTS HDU and
 * the sum of its GTI (core/run_header.c). */
#ifndef OFFBKG_RUN_HEADER_PRIVATE_H
#define OFFBKG_RUN_HEADER_PRIVATE_H

#include <fitsio.h>

#include <offbkg/astro.h>

#include "ctx-private.h"
#include "fitshdr-private.h"

/** Header values of a run's EVENTS HDU (NaN when absent), and the GTI. */
typedef struct offbkg_run_header {
    double ra_pnt_deg, dec_pnt_deg;
    double alt_pnt_deg, az_pnt_deg;
    double ontime_s, livetime_s, deadc;
    double tstart_s, tstop_s;
    double mjdref_day;              /**< in timesys */
    offbkg_timesys_t timesys;
    double site_lon_deg, site_lat_deg, site_height_m;
    double gti_sum_s;               /**< NaN without a GTI */
    double ra_obj_deg, dec_obj_deg; /**< the observed target */
    char object[FLEN_VALUE];        /**< OBJECT, "" when absent */
} offbkg_run_header_t;

/** Move @p f to HDU @p events_hdu and read its keywords into @p h (all
 *  but gti_sum_s, set to NaN), leaving @p f there and its header in
 *  @p hdr for more lookups (free it with offbkg_fitshdr_free, whatever
 *  this returns). */
int offbkg_run_header_keys(offbkg_ctx_t *ctx, fitsfile *f,
                           const char *events_hdu, const char *what,
                           offbkg_run_header_t *h, offbkg_header_t *hdr);

/** h->gti_sum_s: the sum of STOP - START of the GTI HDU @p gti_hdu
 *  (NULL: "GTI") of @p f, if the file has one. Moves @p f there. */
void offbkg_run_header_gti(fitsfile *f, const char *gti_hdu,
                           offbkg_run_header_t *h);

/** Read the header of HDU @p events_hdu of the open file @p f, and the
 *  sum of the GTI HDU @p gti_hdu (NULL: "GTI") if the file has one. */
int offbkg_run_header_read(offbkg_ctx_t *ctx, fitsfile *f,
                           const char *events_hdu, const char *gti_hdu,
                           const char *what, offbkg_run_header_t *h);

#endif
