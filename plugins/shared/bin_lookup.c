/* SPDX-License-Identifier: BSD-3-Clause
 * Exact bin lookup by direct arithmetic (see bin_lookup.h). */
#include <config.h>

#include <stdlib.h>

#include <offbkg/binning.h>

#include "bin_lookup.h"

/* Cells per bin: with bins of similar width in the key, the guess is
 * the bin itself for all but about 1/32 of the values (fewer
 * mispredicted branches), in a table that stays in the L1 cache. */
#define CELLS_PER_BIN 32
#define MAX_CELLS ((size_t)1 << 16)

static double from_bits(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

int bl_table_init(bl_table_t *t, const double *edges, size_t n)
{
    size_t cells = n * CELLS_PER_BIN;

    memset(t, 0, sizeof *t);
    if (n == 0)
        return -1;
    if (cells > MAX_CELLS)
        cells = MAX_CELLS;
    t->edges = edges;
    t->n = n;
    /* Positive edges over more than a factor 8: the bit pattern of a
     * double grows nearly as its logarithm. */
    t->bits = edges[0] > 0 && edges[n] / edges[0] > 8;
    if (t->bits) {
        uint64_t span;
        t->bits_lo = bl_bits(edges[0]);
        span = bl_bits(edges[n]) - t->bits_lo;
        while ((span >> t->shift) >= cells)
            t->shift++;
        t->n_cells = (size_t)(span >> t->shift) + 1;
    } else {
        t->lo = edges[0];
        t->scale = (double)cells / (edges[n] - edges[0]);
        t->n_cells = cells;
    }
    t->first = malloc(t->n_cells * sizeof *t->first);
    if (t->first == NULL)
        return -1;
    for (size_t c = 0; c < t->n_cells; c++) {
        double v = t->bits ? from_bits(t->bits_lo + ((uint64_t)c << t->shift))
                           : t->lo + (double)c / t->scale;
        ptrdiff_t k = offbkg_binning_find(edges, n, v);
        /* Rounding may put a cell's lower end just outside the edges. */
        t->first[c] = k < 0 ? (v < edges[0] ? 0 : (uint32_t)(n - 1))
                            : (uint32_t)k;
    }
    return 0;
}

void bl_table_clear(bl_table_t *t)
{
    free(t->first);
    memset(t, 0, sizeof *t);
}
