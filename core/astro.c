/* SPDX-License-Identifier: BSD-3-Clause
 * Time scales, sidereal time and alt/az (doc/domain.md §5.4). */
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

/* ---- apparent places ---------------------------------------------- */

#define ARCSEC_TO_RAD (DEG_TO_RAD / 3600.0)
#define ABERRATION_RAD (20.49552 * ARCSEC_TO_RAD)

/* r = a b for 3 x 3 matrices (r may not alias a or b). */
static void mat_mul(double r[3][3], const double a[3][3],
                    const double b[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j]
                      + a[i][2] * b[2][j];
}

/* Frame rotations about the x (axis 0) or z (axis 2) axis by @p a rad,
 * and about y (axis 1): r = R_axis(a) m. */
static void rotate(double m[3][3], int axis, double a)
{
    double c = cos(a), s = sin(a), r[3][3] = { { 0 } }, t[3][3];
    int i = (axis + 1) % 3, j = (axis + 2) % 3;

    r[axis][axis] = 1;
    r[i][i] = c;
    r[j][j] = c;
    r[i][j] = s;
    r[j][i] = -s;
    mat_mul(t, r, m);
    memcpy(m, t, sizeof t);
}

static void unit_vector(double ra_deg, double dec_deg, double v[3])
{
    double a = ra_deg * DEG_TO_RAD, d = dec_deg * DEG_TO_RAD;
    v[0] = cos(d) * cos(a);
    v[1] = cos(d) * sin(a);
    v[2] = sin(d);
}

static void vector_radec(const double v[3], double *ra_deg, double *dec_deg)
{
    double ra = atan2(v[1], v[0]) * RAD_TO_DEG;
    *ra_deg = ra < 0 ? ra + 360.0 : ra;
    *dec_deg = atan2(v[2], hypot(v[0], v[1])) * RAD_TO_DEG;
}

void offbkg_precession_nutation(double mjd_tt, double m[3][3],
                                double *eqeq_deg)
{
    double t = (mjd_tt - 51544.5) / 36525.0;  /* centuries from J2000 */
    /* IAU 1976 precession angles (Lieske) */
    double zeta = (2306.2181 + (0.30188 + 0.017998 * t) * t) * t;
    double z = (2306.2181 + (1.09468 + 0.018203 * t) * t) * t;
    double theta = (2004.3109 - (0.42665 + 0.041833 * t) * t) * t;
    /* mean obliquity and the main terms of the nutation (0.5") */
    double eps = 84381.448 - (46.8150 + (0.00059 - 0.001813 * t) * t) * t;
    double om = (125.04452 - 1934.136261 * t) * DEG_TO_RAD;
    double ls = (280.4665 + 36000.7698 * t) * DEG_TO_RAD;
    double lm = (218.3165 + 481267.8813 * t) * DEG_TO_RAD;
    double dpsi = -17.20 * sin(om) - 1.32 * sin(2 * ls) - 0.23 * sin(2 * lm)
                  + 0.21 * sin(2 * om);
    double deps = 9.20 * cos(om) + 0.57 * cos(2 * ls) + 0.10 * cos(2 * lm)
                  - 0.09 * cos(2 * om);

    memset(m, 0, 9 * sizeof m[0][0]);
    m[0][0] = m[1][1] = m[2][2] = 1;
    rotate(m, 2, -zeta * ARCSEC_TO_RAD);
    rotate(m, 1, theta * ARCSEC_TO_RAD);
    rotate(m, 2, -z * ARCSEC_TO_RAD);
    rotate(m, 0, eps * ARCSEC_TO_RAD);
    rotate(m, 2, -dpsi * ARCSEC_TO_RAD);
    rotate(m, 0, -(eps + deps) * ARCSEC_TO_RAD);
    *eqeq_deg = dpsi / 3600.0 * cos(eps * ARCSEC_TO_RAD);
}

void offbkg_icrs_to_apparent(double ra_deg, double dec_deg, double mjd_tt,
                             double *ra_app_deg, double *dec_app_deg)
{
    double t = (mjd_tt - 51544.5) / 36525.0, m[3][3], eqeq, v[3], w[3], n;
    /* the Sun's true longitude and the Earth's velocity (units of c),
     * perpendicular to it in the ecliptic */
    double g = (357.52911 + 35999.05029 * t) * DEG_TO_RAD;
    double sun = (280.46646 + 36000.76983 * t) * DEG_TO_RAD
                 + ((1.914602 - 0.004817 * t) * sin(g) + 0.019993 * sin(2 * g))
                       * DEG_TO_RAD;
    double eps = 23.4392911 * DEG_TO_RAD;
    double beta[3] = { ABERRATION_RAD * sin(sun),
                       -ABERRATION_RAD * cos(sun) * cos(eps),
                       -ABERRATION_RAD * cos(sun) * sin(eps) };

    unit_vector(ra_deg, dec_deg, v);
    for (int i = 0; i < 3; i++)
        v[i] += beta[i];
    n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    offbkg_precession_nutation(mjd_tt, m, &eqeq);
    for (int i = 0; i < 3; i++)
        w[i] = (m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2]) / n;
    vector_radec(w, ra_app_deg, dec_app_deg);
}

double offbkg_last_deg(double mjd_utc, double mjd_tt, double site_lon_deg)
{
    double m[3][3], eqeq, lst;

    offbkg_precession_nutation(mjd_tt, m, &eqeq);
    lst = fmod(offbkg_lst_deg(mjd_utc, site_lon_deg) + eqeq + 360.0, 360.0);
    return lst;
}

/* ---- the ALTAZ field of view --------------------------------------- */

#define SIDEREAL_DEG_PER_S (360.98564736629 / 86400.0)
#define SIDEREAL_RAD_PER_S (SIDEREAL_DEG_PER_S * DEG_TO_RAD)
#define RATE_PROBES 64

/* r = the rotation carrying unit vector a to unit vector b about their
 * common normal (Rodrigues). */
static void rotation_between(const double a[3], const double b[3],
                             double r[3][3])
{
    double k[3] = { a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                    a[0] * b[1] - a[1] * b[0] };
    double s = sqrt(k[0] * k[0] + k[1] * k[1] + k[2] * k[2]);
    double c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    double kx[3][3], k2[3][3];

    if (s > 0)
        for (int i = 0; i < 3; i++)
            k[i] /= s;
    kx[0][0] = kx[1][1] = kx[2][2] = 0;
    kx[0][1] = -k[2];
    kx[0][2] = k[1];
    kx[1][0] = k[2];
    kx[1][2] = -k[0];
    kx[2][0] = -k[1];
    kx[2][1] = k[0];
    mat_mul(k2, kx, kx);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i][j] = (i == j) + s * kx[i][j] + (1 - c) * k2[i][j];
}

void offbkg_altaz_fov_init(offbkg_altaz_fov_t *f, double ra_pnt_deg,
                           double dec_pnt_deg, double site_lon_deg,
                           double site_lat_deg, double mjdref_tt_day,
                           double epoch_met_s)
{
    double mjd_tt = mjdref_tt_day + epoch_met_s / 86400.0;
    double m[3][3], ab[3][3], mab[3][3], axes[3][3];
    double p[3], r[3], a[3], ra_a, dec_a, eqeq;

    offbkg_precession_nutation(mjd_tt, m, &eqeq);
    unit_vector(ra_pnt_deg, dec_pnt_deg, p);
    for (int i = 0; i < 3; i++)
        r[i] = m[i][0] * p[0] + m[i][1] * p[1] + m[i][2] * p[2];
    offbkg_icrs_to_apparent(ra_pnt_deg, dec_pnt_deg, mjd_tt, &ra_a, &dec_a);
    unit_vector(ra_a, dec_a, a);
    /* Aberration moves the field alike (to 1" across 3 deg): taken as
     * the rotation that carries the pointing of date to its apparent
     * place, so that events and pointing share one north. */
    rotation_between(r, a, ab);
    mat_mul(mab, ab, m);
    /* The offset frame of the apparent pointing: rows toward it, east
     * (+RA) and north (+Dec) of it. */
    axes[0][0] = a[0];
    axes[0][1] = a[1];
    axes[0][2] = a[2];
    axes[1][0] = -sin(ra_a * DEG_TO_RAD);
    axes[1][1] = cos(ra_a * DEG_TO_RAD);
    axes[1][2] = 0;
    axes[2][0] = -sin(dec_a * DEG_TO_RAD) * cos(ra_a * DEG_TO_RAD);
    axes[2][1] = -sin(dec_a * DEG_TO_RAD) * sin(ra_a * DEG_TO_RAD);
    axes[2][2] = cos(dec_a * DEG_TO_RAD);
    mat_mul(f->to_offset, axes, mab);
    f->sin_dec0 = sin(dec_a * DEG_TO_RAD);
    f->cos_dec0 = cos(dec_a * DEG_TO_RAD);
    f->sin_lat = sin(site_lat_deg * DEG_TO_RAD);
    f->cos_lat = cos(site_lat_deg * DEG_TO_RAD);
    f->mjdref_tt_day = mjdref_tt_day;
    f->epoch_met_s = epoch_met_s;
    f->h_epoch_rad = (offbkg_lst_deg(offbkg_altaz_fov_utc(f, epoch_met_s),
                                     site_lon_deg)
                      + eqeq - ra_a)
                     * DEG_TO_RAD;
}

double offbkg_altaz_fov_utc(const offbkg_altaz_fov_t *f, double met_s)
{
    return offbkg_mjd_to_utc(f->mjdref_tt_day + met_s / 86400.0,
                             OFFBKG_TIMESYS_TT);
}

/* Hour angle of the apparent pointing at MET @p met_s, in rad: linear
 * in time from the epoch (a leap second inside a run would be 1 s, or
 * 0.004 deg of hour angle, off). */
static double hour_angle(const offbkg_altaz_fov_t *f, double met_s)
{
    return f->h_epoch_rad + SIDEREAL_RAD_PER_S * (met_s - f->epoch_met_s);
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

/* The FoV position of (RA, Dec) for the parallactic angle q. */
static void forward_q(const offbkg_altaz_fov_t *f, double cos_q,
                      double sin_q, double ra_deg, double dec_deg,
                      double *fov_lon_deg, double *fov_lat_deg)
{
    const double (*t)[3] = f->to_offset;
    double a = ra_deg * DEG_TO_RAD, d = dec_deg * DEG_TO_RAD;
    double cd = cos(d), v0 = cd * cos(a), v1 = cd * sin(a), v2 = sin(d);
    /* offset frame of date: x toward the pointing, y east, z north */
    double x = t[0][0] * v0 + t[0][1] * v1 + t[0][2] * v2;
    double y = t[1][0] * v0 + t[1][1] * v1 + t[1][2] * v2;
    double z = t[2][0] * v0 + t[2][1] * v1 + t[2][2] * v2;
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
    forward_q(f, c, s, ra_deg, dec_deg, fov_lon_deg, fov_lat_deg);
}

void offbkg_altaz_fov_inverse(const offbkg_altaz_fov_t *f, double met_s,
                              double fov_lon_deg, double fov_lat_deg,
                              double *ra_deg, double *dec_deg)
{
    const double (*t)[3] = f->to_offset;
    double c, s, l = fov_lon_deg * DEG_TO_RAD, b = fov_lat_deg * DEG_TO_RAD;
    double w[3], v[3], yq = cos(b) * sin(l), zq = sin(b);

    offbkg_altaz_fov_rotation(f, met_s, &c, &s);
    w[0] = cos(b) * cos(l);
    w[1] = yq * c + zq * s;
    w[2] = zq * c - yq * s;
    for (int i = 0; i < 3; i++)     /* the transpose undoes the rotation */
        v[i] = t[0][i] * w[0] + t[1][i] * w[1] + t[2][i] * w[2];
    vector_radec(v, ra_deg, dec_deg);
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
