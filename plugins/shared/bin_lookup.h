/* SPDX-License-Identifier: BSD-3-Clause
 * Exact bin lookup by direct arithmetic, for the event loops of
 * model/2d and model/3d. A table over a uniform grid of the value (or of
 * its bit pattern, for positive axes that span decades, which is nearly
 * uniform in log) gives a first guess in one step; comparisons with the
 * edges then settle it, so the bin is always the one
 * offbkg_binning_find returns (numpy.histogram semantics), whatever the
 * spacing of the edges. Private to the model plugins. */
#ifndef OFFBKG_PLUGINS_BIN_LOOKUP_H
#define OFFBKG_PLUGINS_BIN_LOOKUP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct bl_table {
    const double *edges;  /* n + 1, strictly increasing; not owned */
    size_t n;
    int bits;             /* key from the bit pattern (edges[0] > 0) */
    double lo;            /* linear key: (v - lo) * scale */
    double scale;
    uint64_t bits_lo;     /* bit-pattern key: (bits(v) - bits_lo) >> shift */
    unsigned shift;
    size_t n_cells;
    uint32_t *first;      /* n_cells: a bin near each cell's lower end */
} bl_table_t;

/** Build the table of @p edges (kept by pointer: they must outlive it).
 *  0, or -1 when out of memory or n is 0. */
int bl_table_init(bl_table_t *t, const double *edges, size_t n);

void bl_table_clear(bl_table_t *t);

static inline uint64_t bl_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/** The bin of @p v: k with edges[k] <= v < edges[k + 1], the last bin
 *  also holding v == edges[n]; -1 outside the edges or for NaN. */
static inline ptrdiff_t bl_find(const bl_table_t *t, double v)
{
    const double *e = t->edges;
    size_t cell, k;

    if (!(v >= e[0] && v <= e[t->n]))
        return -1;
    if (v == e[t->n])
        return (ptrdiff_t)t->n - 1;
    if (t->bits) {
        cell = (size_t)((bl_bits(v) - t->bits_lo) >> t->shift);
    } else {
        double c = (v - t->lo) * t->scale;
        cell = c > 0 ? (size_t)c : 0;
    }
    if (cell >= t->n_cells)
        cell = t->n_cells - 1;
    k = t->first[cell];
    /* The guess is within a bin or two; these settle it exactly. */
    while (v >= e[k + 1])
        k++;
    while (v < e[k])
        k--;
    return (ptrdiff_t)k;
}

/** What bl_find_guarded returns for a value too close to an edge to
 *  tell its bin in the table's coordinate. */
#define BL_UNSURE (-2)

/** The bin of @p v among edges that carry a margin @p guard (n + 1
 *  values, >= 0) each: -1 when v lies outside the edges by more than the
 *  margin (or NaN), BL_UNSURE when it lies within the margin of any edge of its
 *  bin, else the bin. For a coordinate computed in another way than the
 *  one that defines the bins (tan or sin^2 of an angle instead of the
 *  angle): the caller takes BL_UNSURE values the exact way. */
static inline ptrdiff_t bl_find_guarded(const bl_table_t *t,
                                        const double *guard, double v)
{
    const double *e = t->edges;
    ptrdiff_t k;

    if (!(v >= e[0] - guard[0] && v <= e[t->n] + guard[t->n]))
        return -1;
    k = bl_find(t, v < e[0] ? e[0] : v > e[t->n] ? e[t->n] : v);
    if (v - e[k] <= guard[k] || e[k + 1] - v <= guard[k + 1])
        return BL_UNSURE;
    return k;
}

#endif
