/* SPDX-License-Identifier: BSD-3-Clause
 * The offset-frame unit vector of an event (offbkg_offset_frame_unit)
 * without a sine or cosine call when the event is near the pointing, as
 * almost all are: with d = lat - lat0 and dlon both within NU_MAX_DEG,
 * sin and cos of each come from their Taylor series (truncated beyond
 * 1e-20 there), and cos(lat), sin(lat) from those of lat0 and d. The
 * vector differs from the one libm gives by a few units in the last
 * place, far inside the guard bands (1e-9 rad) within which the model
 * plugins bin an event from its angles instead; farther events take the
 * libm path. Private to the model plugins. */
#ifndef OFFBKG_PLUGINS_NEAR_UNIT_H
#define OFFBKG_PLUGINS_NEAR_UNIT_H

#include <math.h>

#include <offbkg/geom.h>

#define NU_MAX_DEG 20.0

typedef struct nu_frame {
    offbkg_offset_frame_t frame;  /* what the libm path and the exact
                                     binning use */
    double lat0_deg;
} nu_frame_t;

static inline void nu_frame_init(nu_frame_t *f, double lon0_deg,
                                 double lat0_deg)
{
    offbkg_offset_frame_init(&f->frame, lon0_deg, lat0_deg);
    f->lat0_deg = lat0_deg;
}

/* sin and cos of |t| <= NU_MAX_DEG (in rad) to degrees 15 and 16. */
static inline void nu_sincos(double t, double *s, double *c)
{
    double u = t * t;

    *s = t * (1.0 + u * (-1.0 / 6 + u * (1.0 / 120 + u * (-1.0 / 5040
         + u * (1.0 / 362880 + u * (-1.0 / 39916800
         + u * (1.0 / 6227020800.0 + u * (-1.0 / 1307674368000.0))))))));
    *c = 1.0 + u * (-0.5 + u * (1.0 / 24 + u * (-1.0 / 720
         + u * (1.0 / 40320 + u * (-1.0 / 3628800
         + u * (1.0 / 479001600 + u * (-1.0 / 87178291200.0
         + u * (1.0 / 20922789888000.0))))))));
}

static inline void nu_unit(const nu_frame_t *f, double lon_deg,
                           double lat_deg, double *x, double *y, double *z)
{
    const double deg_to_rad = 3.14159265358979323846 / 180.0;
    const offbkg_offset_frame_t *o = &f->frame;
    double dlon_deg = lon_deg - o->lon0_deg, dlat_deg = lat_deg - f->lat0_deg;
    double sd, cd, so, co, cl, sl;

    /* Across RA 0 / 360 from the pointing. */
    if (dlon_deg > 180.0)
        dlon_deg -= 360.0;
    else if (dlon_deg < -180.0)
        dlon_deg += 360.0;
    if (!(fabs(dlon_deg) <= NU_MAX_DEG && fabs(dlat_deg) <= NU_MAX_DEG)) {
        offbkg_offset_frame_unit(o, lon_deg, lat_deg, x, y, z);
        return;
    }
    nu_sincos(dlat_deg * deg_to_rad, &sd, &cd);
    nu_sincos(dlon_deg * deg_to_rad, &so, &co);
    cl = o->cos_lat0 * cd - o->sin_lat0 * sd;
    sl = o->sin_lat0 * cd + o->cos_lat0 * sd;
    *x = o->cos_lat0 * cl * co + o->sin_lat0 * sl;
    *y = cl * so;
    *z = -o->sin_lat0 * cl * co + o->cos_lat0 * sl;
}

#endif
