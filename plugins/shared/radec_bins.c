/* SPDX-License-Identifier: BSD-3-Clause
 * Pixels of the RADEC field of view in tan space (see radec_bins.h). */
#include <config.h>

#include <stdlib.h>

#include "radec_bins.h"

static int axis_init(rb_axis_t *a, const double *edges, size_t n, int *fast)
{
    a->edges = edges;
    a->n = n;
    for (size_t k = 0; k <= n; k++)
        if (!(fabs(edges[k]) < 90.0))
            *fast = 0;
    if (!*fast)
        return 0;
    a->tan_edges = malloc((n + 1) * sizeof(double));
    a->guard = malloc((n + 1) * sizeof(double));
    if (a->tan_edges == NULL || a->guard == NULL)
        return -1;
    for (size_t k = 0; k <= n; k++) {
        double t = tan(edges[k] * RB_DEG_TO_RAD);
        a->tan_edges[k] = t;
        /* d(tan)/dangle = 1 + tan^2 */
        a->guard[k] = (1.0 + t * t) * RB_GUARD_RAD;
        if (k > 0 && !(t > a->tan_edges[k - 1]))
            *fast = 0;
    }
    if (*fast && bl_table_init(&a->table, a->tan_edges, n) != 0)
        return -1;
    return 0;
}

int rb_init(rb_lookup_t *l, const double *x, size_t nx, const double *y,
            size_t ny, double lon_sign)
{
    memset(l, 0, sizeof *l);
    l->fast = 1;
    l->lon_sign = lon_sign;
    if (axis_init(&l->lon, x, nx, &l->fast) != 0
        || axis_init(&l->lat, y, ny, &l->fast) != 0)
        return -1;
    return 0;
}

static void axis_clear(rb_axis_t *a)
{
    free(a->tan_edges);
    free(a->guard);
    bl_table_clear(&a->table);
}

void rb_clear(rb_lookup_t *l)
{
    axis_clear(&l->lon);
    axis_clear(&l->lat);
    memset(l, 0, sizeof *l);
}
