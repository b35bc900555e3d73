/* SPDX-License-Identifier: BSD-3-Clause
 * Spherical geometry for plugins: great-circle offsets, the offset frame
 * that carries a pointing to (0, 0), exact solid angles, ICRS to Galactic.
 * Angles are degrees unless a name says otherwise. Pure functions, safe
 * from any thread. */
#ifndef OFFBKG_GEOM_H
#define OFFBKG_GEOM_H

#include <offbkg/api.h>

#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Great-circle separation of two points (Vincenty's formula, stable at
 *  small and large angles), in degrees. */
OFFBKG_API
double offbkg_sep_deg(double lon1_deg, double lat1_deg, double lon2_deg,
                      double lat2_deg);

/** Position angle of point 2 seen from point 1, east of north, in
 *  [0, 360) degrees. */
OFFBKG_API
double offbkg_position_angle_deg(double lon1_deg, double lat1_deg,
                                 double lon2_deg, double lat2_deg);

/** A rotation of the sphere carrying the origin (lon0, lat0) to (0, 0),
 *  as astropy's SkyOffsetFrame. Initialise once per pointing; the sines
 *  and cosines are hoisted out of event loops. */
typedef struct offbkg_offset_frame {
    double lon0_deg;
    double sin_lat0;
    double cos_lat0;
} offbkg_offset_frame_t;

OFFBKG_API
void offbkg_offset_frame_init(offbkg_offset_frame_t *frame, double lon0_deg,
                              double lat0_deg);

/** The unit vector of (lon, lat) in the offset frame: *x toward the
 *  origin, *y toward increasing lon, *z toward increasing lat. Inline,
 *  for event loops; the offset-frame functions below are built on it. */
static inline void offbkg_offset_frame_unit(const offbkg_offset_frame_t *frame,
                                            double lon_deg, double lat_deg,
                                            double *x, double *y, double *z)
{
    const double deg_to_rad = 3.14159265358979323846 / 180.0;
    double dlon = (lon_deg - frame->lon0_deg) * deg_to_rad;
    double lat = lat_deg * deg_to_rad;
    double cl = cos(lat), sl = sin(lat), cd = cos(dlon);

    *x = frame->cos_lat0 * cl * cd + frame->sin_lat0 * sl;
    *y = cl * sin(dlon);
    *z = -frame->sin_lat0 * cl * cd + frame->cos_lat0 * sl;
}

/** Spherical offset-frame coordinates of (lon, lat). lon_off grows toward
 *  increasing lon (east for RA/Dec). The GADF FoV longitude is -lon_off
 *  (it grows toward decreasing RA or azimuth); fov_lat = lat_off. */
OFFBKG_API
void offbkg_offset_frame_forward(const offbkg_offset_frame_t *frame,
                                 double lon_deg, double lat_deg,
                                 double *lon_off_deg, double *lat_off_deg);

/** Great-circle offset of (lon, lat) from the frame's origin, in
 *  degrees: atan2(hypot(y', z'), x') of the offset-frame unit vector,
 *  with the origin's sine and cosine taken from @p frame. Equal to
 *  offbkg_sep_deg(origin, point) (the same Vincenty form), for event
 *  loops around one pointing. */
OFFBKG_API
double offbkg_offset_frame_sep_deg(const offbkg_offset_frame_t *frame,
                                   double lon_deg, double lat_deg);

/** The inverse of offbkg_offset_frame_forward; lon in [0, 360). */
OFFBKG_API
void offbkg_offset_frame_inverse(const offbkg_offset_frame_t *frame,
                                 double lon_off_deg, double lat_off_deg,
                                 double *lon_deg, double *lat_deg);

/** Exact solid angle of the annulus lo <= theta < hi around any point,
 *  2 pi (cos lo - cos hi), in sr. */
OFFBKG_API
double offbkg_solid_angle_annulus_sr(double theta_lo_deg, double theta_hi_deg);

/** Exact solid angle of the lon/lat rectangle, dlon (sin lat_hi -
 *  sin lat_lo), in sr (offset-frame pixels of a 3D model). */
OFFBKG_API
double offbkg_solid_angle_lonlat_sr(double lon_lo_deg, double lon_hi_deg,
                                    double lat_lo_deg, double lat_hi_deg);

/** ICRS (RA, Dec) to Galactic (l in [0, 360), b). */
OFFBKG_API
void offbkg_icrs_to_galactic(double ra_deg, double dec_deg, double *l_deg,
                             double *b_deg);

/** Galactic (l, b) to ICRS (RA in [0, 360), Dec): the inverse of
 *  offbkg_icrs_to_galactic. */
OFFBKG_API
void offbkg_galactic_to_icrs(double l_deg, double b_deg, double *ra_deg,
                             double *dec_deg);

#ifdef __cplusplus
}
#endif
#endif
