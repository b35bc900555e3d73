/* SPDX-License-Identifier: BSD-3-Clause
 * Time scales, sidereal time and alt/az (DOMAIN.md §5.4). */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include <offbkg/astro.h>

#define DEG_TO_RAD (M_PI / 180.0)
#define RAD_TO_DEG (180.0 / M_PI)

offbkg_timesys_t offbkg_timesys_parse(const char *timesys)
{
    char word[8];
    size_t n = 0;

    if (timesys == NULL)
        return OFFBKG_TIMESYS_UNKNOWN;
    while (isspace((unsigned char)*timesys))
        timesys++;
    while (timesys[n] != '\0' && !isspace((unsigned char)timesys[n])) {
        if (n + 1 >= sizeof word)
            return OFFBKG_TIMESYS_UNKNOWN;
        word[n] = timesys[n];
        n++;
    }
    word[n] = '\0';
    if (strcasecmp(word, "TT") == 0 || strcasecmp(word, "TDT") == 0)
        return OFFBKG_TIMESYS_TT;
    if (strcasecmp(word, "UTC") == 0)
        return OFFBKG_TIMESYS_UTC;
    if (strcasecmp(word, "TAI") == 0)
        return OFFBKG_TIMESYS_TAI;
    return OFFBKG_TIMESYS_UNKNOWN;
}

double offbkg_tai_minus_utc_s(double mjd_utc)
{
    /* Leap seconds: MJD from which TAI - UTC takes the value. */
    static const struct { double mjd; double dt_s; } leap[] = {
        { 41317, 10 }, { 41499, 11 }, { 41683, 12 }, { 42048, 13 },
        { 42413, 14 }, { 42778, 15 }, { 43144, 16 }, { 43509, 17 },
        { 43874, 18 }, { 44239, 19 }, { 44786, 20 }, { 45151, 21 },
        { 45516, 22 }, { 46247, 23 }, { 47161, 24 }, { 47892, 25 },
        { 48257, 26 }, { 48804, 27 }, { 49169, 28 }, { 49534, 29 },
        { 50083, 30 }, { 50630, 31 }, { 51179, 32 }, { 53736, 33 },
        { 54832, 34 }, { 56109, 35 }, { 57204, 36 }, { 57754, 37 },
    };
    double dt = 10;

    for (size_t i = 0; i < sizeof leap / sizeof leap[0]; i++)
        if (mjd_utc >= leap[i].mjd)
            dt = leap[i].dt_s;
    return dt;
}

double offbkg_mjd_to_utc(double mjd, offbkg_timesys_t sys)
{
    double tai;

    switch (sys) {
    case OFFBKG_TIMESYS_UTC:
        return mjd;
    case OFFBKG_TIMESYS_TT:
        tai = mjd - 32.184 / 86400.0;
        break;
    case OFFBKG_TIMESYS_TAI:
        tai = mjd;
        break;
    default:
        return NAN;
    }
    /* The table is indexed by UTC; one step from TAI is exact except
     * within the leap second itself. */
    return tai - offbkg_tai_minus_utc_s(tai - 37.0 / 86400.0) / 86400.0;
}

double offbkg_lst_deg(double mjd_utc, double site_lon_deg)
{
    double d = mjd_utc - 51544.5;   /* days since J2000.0 (JD 2451545.0) */
    double t = d / 36525.0;
    double gmst = 280.46061837 + 360.98564736629 * d + 0.000387933 * t * t
                  - t * t * t / 38710000.0;
    double lst = fmod(gmst + site_lon_deg, 360.0);

    return lst < 0 ? lst + 360.0 : lst;
}

void offbkg_radec_to_altaz(double ra_deg, double dec_deg, double mjd_utc,
                           double site_lon_deg, double site_lat_deg,
                           double *alt_deg, double *az_deg)
{
    double h = (offbkg_lst_deg(mjd_utc, site_lon_deg) - ra_deg) * DEG_TO_RAD;
    double dec = dec_deg * DEG_TO_RAD, phi = site_lat_deg * DEG_TO_RAD;
    double sin_alt = sin(phi) * sin(dec) + cos(phi) * cos(dec) * cos(h);
    double az = atan2(-sin(h) * cos(dec),
                      cos(phi) * sin(dec) - sin(phi) * cos(dec) * cos(h));

    *alt_deg = asin(fmax(-1.0, fmin(1.0, sin_alt))) * RAD_TO_DEG;
    az *= RAD_TO_DEG;
    *az_deg = az < 0 ? az + 360.0 : az;
}

void offbkg_altaz_to_radec(double alt_deg, double az_deg, double mjd_utc,
                           double site_lon_deg, double site_lat_deg,
                           double *ra_deg, double *dec_deg)
{
    double alt = alt_deg * DEG_TO_RAD, az = az_deg * DEG_TO_RAD;
    double phi = site_lat_deg * DEG_TO_RAD;
    double sin_dec = sin(phi) * sin(alt) + cos(phi) * cos(alt) * cos(az);
    double h = atan2(-sin(az) * cos(alt),
                     cos(phi) * sin(alt) - sin(phi) * cos(alt) * cos(az));
    double ra = fmod(offbkg_lst_deg(mjd_utc, site_lon_deg) - h * RAD_TO_DEG,
                     360.0);

    *dec_deg = asin(fmax(-1.0, fmin(1.0, sin_dec))) * RAD_TO_DEG;
    *ra_deg = ra < 0 ? ra + 360.0 : ra;
}

double offbkg_mjd_to_tt(double mjd, offbkg_timesys_t sys)
{
    switch (sys) {
    case OFFBKG_TIMESYS_TT:
        return mjd;
    case OFFBKG_TIMESYS_TAI:
        return mjd + 32.184 / 86400.0;
    case OFFBKG_TIMESYS_UTC:
        return mjd + (offbkg_tai_minus_utc_s(mjd) + 32.184) / 86400.0;
    default:
        return NAN;
    }
}

/* ---- the ALTAZ field of view --------------------------------------- */

#define SIDEREAL_RAD_PER_S 7.2921150e-5
#define SIDEREAL_DEG_PER_S (360.98564736629 / 86400.0)
#define RATE_PROBES 64

void offbkg_altaz_fov_init(offbkg_altaz_fov_t *f, double ra_pnt_deg,
                           double dec_pnt_deg, double site_lon_deg,
                           double site_lat_deg, double mjdref_tt_day)
{
    f->ra_pnt_deg = ra_pnt_deg;
    f->sin_dec0 = sin(dec_pnt_deg * DEG_TO_RAD);
    f->cos_dec0 = cos(dec_pnt_deg * DEG_TO_RAD);
    f->sin_lat = sin(site_lat_deg * DEG_TO_RAD);
    f->cos_lat = cos(site_lat_deg * DEG_TO_RAD);
    f->site_lon_deg = site_lon_deg;
    f->mjdref_tt_day = mjdref_tt_day;
}

double offbkg_altaz_fov_utc(const offbkg_altaz_fov_t *f, double met_s)
{
    return offbkg_mjd_to_utc(f->mjdref_tt_day + met_s / 86400.0,
                             OFFBKG_TIMESYS_TT);
}

/* Hour angle of the pointing at MET @p met_s, in rad. */
static double hour_angle(const offbkg_altaz_fov_t *f, double met_s)
{
    return (offbkg_lst_deg(offbkg_altaz_fov_utc(f, met_s), f->site_lon_deg)
            - f->ra_pnt_deg)
           * DEG_TO_RAD;
}

void offbkg_altaz_fov_rotation(const offbkg_altaz_fov_t *f, double met_s,
                               double *cos_q, double *sin_q)
{
    double h = hour_angle(f, met_s);
    /* q = atan2(sin H, tan(lat) cos(dec0) - sin(dec0) cos H), both
     * arguments times cos(lat) > 0 so that no tangent is needed. */
    double s = f->cos_lat * sin(h);
    double c = f->sin_lat * f->cos_dec0 - f->cos_lat * f->sin_dec0 * cos(h);
    double r = hypot(s, c);

    if (r > 0) {
        *cos_q = c / r;
        *sin_q = s / r;
    } else {        /* pointing at the zenith: q undefined, take 0 */
        *cos_q = 1.0;
        *sin_q = 0.0;
    }
}

void offbkg_altaz_fov_forward_q(const offbkg_altaz_fov_t *f, double cos_q,
                                double sin_q, double ra_deg, double dec_deg,
                                double *fov_lon_deg, double *fov_lat_deg)
{
    double da = (ra_deg - f->ra_pnt_deg) * DEG_TO_RAD;
    double d = dec_deg * DEG_TO_RAD;
    double cd = cos(d), sd = sin(d), cc = cd * cos(da);
    /* RADEC offset-frame vector: x toward the pointing, y toward +RA,
     * z toward +Dec (DOMAIN.md §5.3) */
    double x = f->cos_dec0 * cc + f->sin_dec0 * sd;
    double y = cd * sin(da);
    double z = f->cos_dec0 * sd - f->sin_dec0 * cc;
    double zq = y * sin_q + z * cos_q;

    *fov_lon_deg = atan2(y * cos_q - z * sin_q, x) * RAD_TO_DEG;
    *fov_lat_deg = asin(fmax(-1.0, fmin(1.0, zq))) * RAD_TO_DEG;
}

void offbkg_altaz_fov_forward(const offbkg_altaz_fov_t *f, double met_s,
                              double ra_deg, double dec_deg,
                              double *fov_lon_deg, double *fov_lat_deg)
{
    double c, s;

    offbkg_altaz_fov_rotation(f, met_s, &c, &s);
    offbkg_altaz_fov_forward_q(f, c, s, ra_deg, dec_deg, fov_lon_deg,
                               fov_lat_deg);
}

void offbkg_altaz_fov_inverse(const offbkg_altaz_fov_t *f, double met_s,
                              double fov_lon_deg, double fov_lat_deg,
                              double *ra_deg, double *dec_deg)
{
    double c, s, l = fov_lon_deg * DEG_TO_RAD, b = fov_lat_deg * DEG_TO_RAD;
    double x, y, z, yq = cos(b) * sin(l), zq = sin(b), ra;

    offbkg_altaz_fov_rotation(f, met_s, &c, &s);
    x = cos(b) * cos(l);
    y = yq * c + zq * s;
    z = zq * c - yq * s;
    ra = f->ra_pnt_deg
         + atan2(y, f->cos_dec0 * x - f->sin_dec0 * z) * RAD_TO_DEG;
    ra = fmod(ra, 360.0);
    *ra_deg = ra < 0 ? ra + 360.0 : ra;
    *dec_deg = asin(fmax(-1.0, fmin(1.0, f->sin_dec0 * x
                                             + f->cos_dec0 * z)))
               * RAD_TO_DEG;
}

double offbkg_altaz_fov_rotation_rate(const offbkg_altaz_fov_t *f,
                                      double met_s)
{
    double h = hour_angle(f, met_s);
    double sin_alt = f->sin_lat * f->sin_dec0
                     + f->cos_lat * f->cos_dec0 * cos(h);
    /* cos(az) cos(alt) = cos(lat) sin(dec0) - sin(lat) cos(dec0) cos H */
    double cos_az_cos_alt = f->cos_lat * f->sin_dec0
                            - f->sin_lat * f->cos_dec0 * cos(h);
    double cos2_alt = 1.0 - sin_alt * sin_alt;

    /* The minus sign: azimuth from north through east, q growing west
     * of the meridian. */
    return -SIDEREAL_RAD_PER_S * f->cos_lat * cos_az_cos_alt / cos2_alt;
}

double offbkg_altaz_fov_max_rotation_rate(const offbkg_altaz_fov_t *f,
                                          double t0_s, double t1_s)
{
    double span = t1_s - t0_s, best = 0;
    double h0_deg = hour_angle(f, t0_s) * RAD_TO_DEG;

    for (int i = 0; i <= RATE_PROBES; i++)
        best = fmax(best, fabs(offbkg_altaz_fov_rotation_rate(
                              f, t0_s + span * i / RATE_PROBES)));
    /* |dq/dt| peaks on the meridian (H = 0 and H = 180 deg). */
    for (int k = 0; k < 2; k++) {
        double to_go = fmod(180.0 * (2 - k) - h0_deg, 360.0);
        double t;
        if (to_go < 0)
            to_go += 360.0;
        t = t0_s + to_go / SIDEREAL_DEG_PER_S;
        if (t <= t1_s)
            best = fmax(best, fabs(offbkg_altaz_fov_rotation_rate(f, t)));
    }
    return best;
}
