/* SPDX-License-Identifier: BSD-3-Clause
 * Spherical geometry (doc/domain.md §5.3 and Appendix A). */
#include <config.h>

#include <math.h>
#include <stdbool.h>

#include <offbkg/geom.h>

#define DEG_TO_RAD (M_PI / 180.0)
#define RAD_TO_DEG (180.0 / M_PI)

double offbkg_sep_deg(double lon1_deg, double lat1_deg, double lon2_deg,
                      double lat2_deg)
{
    double dlon = (lon2_deg - lon1_deg) * DEG_TO_RAD;
    double s1 = sin(lat1_deg * DEG_TO_RAD), c1 = cos(lat1_deg * DEG_TO_RAD);
    double s2 = sin(lat2_deg * DEG_TO_RAD), c2 = cos(lat2_deg * DEG_TO_RAD);
    double sd = sin(dlon), cd = cos(dlon);
    double num1 = c2 * sd;
    double num2 = c1 * s2 - s1 * c2 * cd;
    double den = s1 * s2 + c1 * c2 * cd;

    return atan2(hypot(num1, num2), den) * RAD_TO_DEG;
}

double offbkg_position_angle_deg(double lon1_deg, double lat1_deg,
                                 double lon2_deg, double lat2_deg)
{
    double dlon = (lon2_deg - lon1_deg) * DEG_TO_RAD;
    double lat1 = lat1_deg * DEG_TO_RAD, lat2 = lat2_deg * DEG_TO_RAD;
    double pa = atan2(sin(dlon) * cos(lat2),
                      cos(lat1) * sin(lat2)
                          - sin(lat1) * cos(lat2) * cos(dlon));
    double deg = pa * RAD_TO_DEG;

    if (deg < 0)
        deg += 360.0;
    return deg >= 360.0 ? 0.0 : deg;
}

void offbkg_offset_frame_init(offbkg_offset_frame_t *frame, double lon0_deg,
                              double lat0_deg)
{
    frame->lon0_deg = lon0_deg;
    frame->sin_lat0 = sin(lat0_deg * DEG_TO_RAD);
    frame->cos_lat0 = cos(lat0_deg * DEG_TO_RAD);
}

void offbkg_offset_frame_forward(const offbkg_offset_frame_t *frame,
                                 double lon_deg, double lat_deg,
                                 double *lon_off_deg, double *lat_off_deg)
{
    double x, y, z;

    offbkg_offset_frame_unit(frame, lon_deg, lat_deg, &x, &y, &z);
    *lon_off_deg = atan2(y, x) * RAD_TO_DEG;
    /* atan2 of the projection keeps precision where asin(z) loses it. */
    *lat_off_deg = atan2(z, hypot(x, y)) * RAD_TO_DEG;
}

double offbkg_offset_frame_sep_deg(const offbkg_offset_frame_t *frame,
                                   double lon_deg, double lat_deg)
{
    double x, y, z;

    offbkg_offset_frame_unit(frame, lon_deg, lat_deg, &x, &y, &z);
    return atan2(hypot(y, z), x) * RAD_TO_DEG;
}

void offbkg_offset_frame_inverse(const offbkg_offset_frame_t *frame,
                                 double lon_off_deg, double lat_off_deg,
                                 double *lon_deg, double *lat_deg)
{
    double lo = lon_off_deg * DEG_TO_RAD, la = lat_off_deg * DEG_TO_RAD;
    double xp = cos(la) * cos(lo), yp = cos(la) * sin(lo), zp = sin(la);
    double x = frame->cos_lat0 * xp - frame->sin_lat0 * zp;
    double z = frame->sin_lat0 * xp + frame->cos_lat0 * zp;
    double lon = frame->lon0_deg + atan2(yp, x) * RAD_TO_DEG;

    lon = fmod(lon, 360.0);
    if (lon < 0)
        lon += 360.0;
    *lon_deg = lon >= 360.0 ? 0.0 : lon;
    *lat_deg = atan2(z, hypot(x, yp)) * RAD_TO_DEG;
}

double offbkg_solid_angle_annulus_sr(double theta_lo_deg, double theta_hi_deg)
{
    /* cos a - cos b = 2 sin((b+a)/2) sin((b-a)/2), exact for thin rings. */
    double a = theta_lo_deg * DEG_TO_RAD, b = theta_hi_deg * DEG_TO_RAD;
    return 4.0 * M_PI * sin(0.5 * (b + a)) * sin(0.5 * (b - a));
}

double offbkg_solid_angle_lonlat_sr(double lon_lo_deg, double lon_hi_deg,
                                    double lat_lo_deg, double lat_hi_deg)
{
    double a = lat_lo_deg * DEG_TO_RAD, b = lat_hi_deg * DEG_TO_RAD;
    /* sin b - sin a = 2 cos((b+a)/2) sin((b-a)/2) */
    return (lon_hi_deg - lon_lo_deg) * DEG_TO_RAD * 2.0
           * cos(0.5 * (b + a)) * sin(0.5 * (b - a));
}

/* ICRS to Galactic rotation (doc/domain.md A.4); its transpose is the
 * inverse. */
static const double icrs_to_gal[3][3] = {
    { -0.0548755604162154, -0.8734370902348850, -0.4838350155487132 },
    { 0.4941094278755837, -0.4448296299600112, 0.7469822444972189 },
    { -0.8676661490190047, -0.1980763734312015, 0.4559837761750669 },
};

/* Rotate the unit vector of (@p lon, @p lat) by @p m, or by its
 * transpose, into (*lon in [0, 360), *lat). */
static void rotate(const double m[3][3], bool transpose, double lon_deg,
                   double lat_deg, double *out_lon_deg, double *out_lat_deg)
{
    double a = lon_deg * DEG_TO_RAD, d = lat_deg * DEG_TO_RAD;
    double v[3] = { cos(d) * cos(a), cos(d) * sin(a), sin(d) };
    double g[3];

    for (int i = 0; i < 3; i++)
        g[i] = transpose ? m[0][i] * v[0] + m[1][i] * v[1] + m[2][i] * v[2]
                         : m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2];
    double l = atan2(g[1], g[0]) * RAD_TO_DEG;
    if (l < 0)
        l += 360.0;
    *out_lon_deg = l >= 360.0 ? 0.0 : l;
    *out_lat_deg = atan2(g[2], hypot(g[0], g[1])) * RAD_TO_DEG;
}

void offbkg_icrs_to_galactic(double ra_deg, double dec_deg, double *l_deg,
                             double *b_deg)
{
    rotate(icrs_to_gal, false, ra_deg, dec_deg, l_deg, b_deg);
}

void offbkg_galactic_to_icrs(double l_deg, double b_deg, double *ra_deg,
                             double *dec_deg)
{
    rotate(icrs_to_gal, true, l_deg, b_deg, ra_deg, dec_deg);
}
