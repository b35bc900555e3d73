/* SPDX-License-Identifier: BSD-3-Clause
 * The cards of one FITS header, read in one pass for many keyword
 * lookups. Each fits_read_key walks the header card by card through
 * cfitsio's buffers from where the last one stopped, a keyword that is
 * absent (TSCALn, TZEROn, MJDREF...) all of it: some 20 lookups per run
 * file were 4% of the CPU time of a DR1 run. */
#ifndef OFFBKG_FITSHDR_PRIVATE_H
#define OFFBKG_FITSHDR_PRIVATE_H

#include <stdbool.h>

#include <fitsio.h>

#include <offbkg/astro.h>

typedef struct offbkg_header {
    char *cards;   /**< 80 characters per card, from fits_hdr2str */
    int n_cards;
    bool borrowed; /**< cards are a view of the file's bytes, not ours */
} offbkg_header_t;

/** The header of the current HDU of @p f into @p h (free it with
 *  offbkg_fitshdr_free). @return 0, or a cfitsio status. */
int offbkg_fitshdr_load(fitsfile *f, offbkg_header_t *h);

/** The header that starts at @p bytes (@p n_bytes: its blocks, as the
 *  file holds them) as a view, nothing copied: its cards up to END. The
 *  bytes must outlive @p h. */
void offbkg_fitshdr_view(offbkg_header_t *h, const char *bytes,
                         size_t n_bytes);

void offbkg_fitshdr_free(offbkg_header_t *h);

/** The card named @p key (any case; the first if several): 80
 *  characters, not NUL-terminated, or NULL. */
const char *offbkg_fitshdr_card(const offbkg_header_t *h, const char *key);

/** What offbkg_table_key_string reads from the HDU the header is of: the
 *  value of the first card named @p key, unquoted and trimmed, into
 *  @p buf (FLEN_VALUE); false if there is none or it is undefined. */
bool offbkg_fitshdr_string(const offbkg_header_t *h, const char *key,
                           char *buf);

/** What offbkg_table_key_double reads: the value as a number, quoted or
 *  not; false if absent or not a finite number. */
bool offbkg_fitshdr_double(const offbkg_header_t *h, const char *key,
                           double *value);

/** What fits_read_key_longstr reads: the string value of the first card
 *  named @p key, continued over the CONTINUE cards that follow it while
 *  it ends in '&', as a new string (free it); NULL if absent, malformed
 *  or out of memory. */
char *offbkg_fitshdr_longstr(const offbkg_header_t *h, const char *key);

/** What fits_read_key reads as TLONGLONG: an integer (a number written
 *  with a fraction is truncated), quoted or not; false if absent or out
 *  of range. */
bool offbkg_fitshdr_ll(const offbkg_header_t *h, const char *key,
                       long long *value);

/** Strip the blanks around the value in @p buf, in place. */
void offbkg_fitshdr_value_trim(char *buf);

/** @p buf (trimmed) as a finite number: true and *value, else false. */
bool offbkg_fitshdr_value_number(const char *buf, double *value);

/** The value of @p key as a number, NaN if absent or not a number. */
double offbkg_fitshdr_number(const offbkg_header_t *h, const char *key);

/** The time reference in days: MJDREFI + MJDREFF (either may be written
 *  as a float), or MJDREF; NaN if absent. */
double offbkg_fitshdr_mjdref(const offbkg_header_t *h);

/** TIMESYS parsed, OFFBKG_TIMESYS_UNKNOWN if absent. */
offbkg_timesys_t offbkg_fitshdr_timesys(const offbkg_header_t *h);

/** The site: GEOLON, GEOLAT (deg) and ALTITUDE, else GEOALT (m); NaN
 *  each if absent. */
void offbkg_fitshdr_site(const offbkg_header_t *h, double *lon_deg,
                         double *lat_deg, double *height_m);

#endif
