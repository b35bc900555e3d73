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
