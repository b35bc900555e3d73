/* SPDX-License-Identifier: BSD-3-Clause
 * The (DETX, DETY) pixel of an event in the RADEC-aligned field of view
 * of model/3d without atan2 or hypot per event: FoV longitude and
 * latitude grow with tan(lon) = y / x and tan(lat) = z / sqrt(x^2 +
 * y^2) of the offset-frame vector, so their bins are looked up in tan
 * space; an event within RB_GUARD_RAD of an edge, or 90 deg or more from
 * the pointing, is binned from the angles themselves
 * (offbkg_offset_frame_forward), so the pixel is always the one that
 * gives. Private to the model plugins. */
#ifndef OFFBKG_PLUGINS_RADEC_BINS_H
#define OFFBKG_PLUGINS_RADEC_BINS_H

#include <math.h>
#include <stddef.h>

#include <offbkg/binning.h>
#include <offbkg/geom.h>

#include "bin_lookup.h"
#include "near_unit.h"

#define RB_DEG_TO_RAD (M_PI / 180.0)
/* Far beyond the rounding of either way of computing the angles. */
#define RB_GUARD_RAD 1e-9

typedef struct rb_axis {
    const double *edges;  /* degrees; not owned */
    size_t n;
    double *tan_edges;    /* tan of the edges */
    double *guard;        /* RB_GUARD_RAD at each edge, in tan */
    bl_table_t table;
} rb_axis_t;

typedef struct rb_lookup {
    int fast;             /* every edge within +-90 deg */
    double lon_sign;      /* DETX = lon_sign x offset-frame longitude */
    rb_axis_t lon, lat;
} rb_lookup_t;

/** Set up the lookup of the DETX edges @p x and DETY edges @p y.
 *  0, or -1 when out of memory. */
int rb_init(rb_lookup_t *l, const double *x, size_t nx, const double *y,
            size_t ny, double lon_sign);

void rb_clear(rb_lookup_t *l);

/** The pixel (ix, iy) of (ra, dec) around the pointing of @p f: 1, or 0
 *  outside the grid. *cos_offset is the cosine of its offset from the
 *  pointing, or NAN when it was not computed. */
static inline int rb_pixel(const rb_lookup_t *l, const nu_frame_t *f,
                           double ra, double dec, size_t *ix, size_t *iy,
                           double *cos_offset)
{
    double lon, lat;
    ptrdiff_t jx, jy;

    *cos_offset = NAN;
    if (l->fast) {
        double x, y, z;
        nu_unit(f, ra, dec, &x, &y, &z);
        *cos_offset = x;
        if (x > 0) {
            jx = bl_find_guarded(&l->lon.table, l->lon.guard,
                                 l->lon_sign * y / x);
            if (jx == -1)
                return 0;
            jy = jx < 0 ? BL_UNSURE
                        : bl_find_guarded(&l->lat.table, l->lat.guard,
                                          z / sqrt(x * x + y * y));
            if (jy == -1)
                return 0;
            if (jx >= 0 && jy >= 0) {
                *ix = (size_t)jx;
                *iy = (size_t)jy;
                return 1;
            }
        }
    }
    offbkg_offset_frame_forward(&f->frame, ra, dec, &lon, &lat);
    jx = offbkg_binning_find(l->lon.edges, l->lon.n, l->lon_sign * lon);
    jy = jx < 0 ? -1 : offbkg_binning_find(l->lat.edges, l->lat.n, lat);
    if (jy < 0)
        return 0;
    *ix = (size_t)jx;
    *iy = (size_t)jy;
    return 1;
}

#endif
