/* SPDX-License-Identifier: BSD-3-Clause
 * Time scales and horizontal coordinates (doc/domain.md §5.4): enough to get
 * a run's zenith angle when the data store lacks it (offbkg_radec_to_altaz
 * neglects precession, nutation and aberration: a few hundredths of a
 * degree), and the ALTAZ field of view (offbkg_altaz_fov, which does not:
 * within 0.01 deg of astropy near the zenith). No refraction. */
#ifndef OFFBKG_ASTRO_H
#define OFFBKG_ASTRO_H

#include <offbkg/api.h>

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
OFFBKG_API
offbkg_timesys_t offbkg_timesys_parse(const char *timesys);

/** TAI - UTC in seconds at the UTC date @p mjd_utc (leap-second table
 *  from 1972); 10 before 1972. */
OFFBKG_API
double offbkg_tai_minus_utc_s(double mjd_utc);

/** Convert an MJD in @p sys to UTC; NaN for an unknown scale. */
OFFBKG_API
double offbkg_mjd_to_utc(double mjd, offbkg_timesys_t sys);

/** Convert an MJD in @p sys to TT; NaN for an unknown scale. For a time
 *  reference (MJDREF in UTC), TT = UTC + 32.184 s + TAI-UTC of that date;
 *  elapsed seconds are then added in TT, as astropy adds a TimeDelta. */
OFFBKG_API
double offbkg_mjd_to_tt(double mjd, offbkg_timesys_t sys);

/** Local sidereal time in degrees [0, 360) at UTC @p mjd_utc (UT1 taken
 *  as UTC) for a site at east longitude @p site_lon_deg. */
OFFBKG_API
double offbkg_lst_deg(double mjd_utc, double site_lon_deg);

/** Altitude and azimuth (from north through east, [0, 360)) of (RA, Dec)
 *  at UTC @p mjd_utc for the site (east longitude, latitude). */
OFFBKG_API
void offbkg_radec_to_altaz(double ra_deg, double dec_deg, double mjd_utc,
                           double site_lon_deg, double site_lat_deg,
                           double *alt_deg, double *az_deg);

/** The inverse of offbkg_radec_to_altaz. */
OFFBKG_API
void offbkg_altaz_to_radec(double alt_deg, double az_deg, double mjd_utc,
                           double site_lon_deg, double site_lat_deg,
                           double *ra_deg, double *dec_deg);

/** The rotation from ICRS (J2000) to the true equator and equinox of TT
 *  @p mjd_tt (IAU 1976 precession, the main terms of the nutation:
 *  about 0.5"), and the equation of the equinoxes in degrees (apparent
 *  minus mean sidereal time). v_date = m v_icrs. */
OFFBKG_API
void offbkg_precession_nutation(double mjd_tt, double m[3][3],
                                double *eqeq_deg);

/** The apparent place of date of ICRS (RA, Dec) at TT @p mjd_tt: annual
 *  aberration, precession and nutation (about 1" from astropy's CIRS;
 *  light deflection neglected). */
OFFBKG_API
void offbkg_icrs_to_apparent(double ra_deg, double dec_deg, double mjd_tt,
                             double *ra_app_deg, double *dec_app_deg);

/** Local apparent sidereal time in degrees [0, 360): offbkg_lst_deg
 *  plus the equation of the equinoxes at TT @p mjd_tt. */
OFFBKG_API
double offbkg_last_deg(double mjd_utc, double mjd_tt, double site_lon_deg);

/** The ALTAZ field-of-view frame of one run (doc/domain.md §5.3-§5.4): the
 *  pointing's constants hoisted out of event loops. The frame turns with
 *  the pointing's parallactic angle q; an event's FoV position is its
 *  offset-frame vector (of date) rotated by q, which equals the route
 *  through both alt/az positions (no per-event alt/az). Positions of
 *  date: precession, nutation and aberration at the run's epoch, which
 *  near the zenith move the FoV by a tenth of a degree against J2000. */
typedef struct offbkg_altaz_fov {
    double to_offset[3][3];     /**< ICRS vector -> offset frame of date */
    double sin_dec0, cos_dec0;  /**< apparent pointing */
    double sin_lat, cos_lat;
    double mjdref_tt_day;       /**< MJD (TT) of MET 0 */
    double epoch_met_s;
    double h_epoch_rad;         /**< hour angle of the pointing then */
} offbkg_altaz_fov_t;

/** Set up @p f for the pointing (ICRS RA, Dec), the site (east
 *  longitude, latitude), the time reference, and the epoch of the run
 *  (a MET within it: precession and aberration are taken constant over
 *  a run). */
OFFBKG_API
void offbkg_altaz_fov_init(offbkg_altaz_fov_t *f, double ra_pnt_deg,
                           double dec_pnt_deg, double site_lon_deg,
                           double site_lat_deg, double mjdref_tt_day,
                           double epoch_met_s);

/** UTC MJD of mission time @p met_s. */
OFFBKG_API
double offbkg_altaz_fov_utc(const offbkg_altaz_fov_t *f, double met_s);

/** cos q and sin q of the pointing's parallactic angle q at MET
 *  @p met_s (q = 0: the zenith is toward +Dec; q > 0 west of the
 *  meridian). */
OFFBKG_API
void offbkg_altaz_fov_rotation(const offbkg_altaz_fov_t *f, double met_s,
                               double *cos_q, double *sin_q);

/** FoV coordinates of ICRS (RA, Dec) at MET @p met_s: fov_lon grows
 *  toward decreasing azimuth (GADF, gammapy), fov_lat toward higher
 *  altitude. Spherical offset-frame angles. */
OFFBKG_API
void offbkg_altaz_fov_forward(const offbkg_altaz_fov_t *f, double met_s,
                              double ra_deg, double dec_deg,
                              double *fov_lon_deg, double *fov_lat_deg);

/** The inverse: (RA, Dec) of FoV (fov_lon, fov_lat) at MET @p met_s. */
OFFBKG_API
void offbkg_altaz_fov_inverse(const offbkg_altaz_fov_t *f, double met_s,
                              double fov_lon_deg, double fov_lat_deg,
                              double *ra_deg, double *dec_deg);

/** The field rotation rate dq/dt = -omega cos(lat) cos(az) / cos(alt) of
 *  the pointing at MET @p met_s, in rad/s (omega: the Earth's sidereal
 *  rate; doc/domain.md §5.4 gives the size). Infinite at the zenith. */
OFFBKG_API
double offbkg_altaz_fov_rotation_rate(const offbkg_altaz_fov_t *f,
                                      double met_s);

/** The largest |dq/dt| (rad/s) over MET [t0_s, t1_s]: sampled, and at
 *  the meridian transits inside the interval, where it peaks. */
OFFBKG_API
double offbkg_altaz_fov_max_rotation_rate(const offbkg_altaz_fov_t *f,
                                          double t0_s, double t1_s);

#ifdef __cplusplus
}
#endif
#endif
