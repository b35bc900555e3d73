/* SPDX-License-Identifier: BSD-3-Clause
 * Time scales and horizontal coordinates (DOMAIN.md §5.4): enough to get
 * a run's zenith angle when the data store lacks it, and the ALTAZ field
 * of view. Precession, nutation and aberration are neglected (a few
 * hundredths of a degree near the zenith); no refraction. */
#ifndef OFFBKG_ASTRO_H
#define OFFBKG_ASTRO_H

#ifdef __cplusplus
extern "C" {
#endif

/** Time scales of a FITS TIMESYS keyword. */
typedef enum offbkg_timesys {
    OFFBKG_TIMESYS_UNKNOWN = 0,
    OFFBKG_TIMESYS_TT = 1,
    OFFBKG_TIMESYS_UTC = 2,
    OFFBKG_TIMESYS_TAI = 3
} offbkg_timesys_t;

/** The time scale named by @p timesys ("TT", "utc", ...; case and blanks
 *  ignored); OFFBKG_TIMESYS_UNKNOWN for anything else or NULL. */
offbkg_timesys_t offbkg_timesys_parse(const char *timesys);

/** TAI - UTC in seconds at the UTC date @p mjd_utc (leap-second table
 *  from 1972); 10 before 1972. */
double offbkg_tai_minus_utc_s(double mjd_utc);

/** Convert an MJD in @p sys to UTC; NaN for an unknown scale. */
double offbkg_mjd_to_utc(double mjd, offbkg_timesys_t sys);

/** Local sidereal time in degrees [0, 360) at UTC @p mjd_utc (UT1 taken
 *  as UTC) for a site at east longitude @p site_lon_deg. */
double offbkg_lst_deg(double mjd_utc, double site_lon_deg);

/** Altitude and azimuth (from north through east, [0, 360)) of (RA, Dec)
 *  at UTC @p mjd_utc for the site (east longitude, latitude). */
void offbkg_radec_to_altaz(double ra_deg, double dec_deg, double mjd_utc,
                           double site_lon_deg, double site_lat_deg,
                           double *alt_deg, double *az_deg);

/** The inverse of offbkg_radec_to_altaz. */
void offbkg_altaz_to_radec(double alt_deg, double az_deg, double mjd_utc,
                           double site_lon_deg, double site_lat_deg,
                           double *ra_deg, double *dec_deg);

#ifdef __cplusplus
}
#endif
#endif
