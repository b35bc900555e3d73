/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper (not a test): write background model files with known
 * values per bin into DIR, for tests/gammapy/check_bkg.py.
 *
 *   bkg_2d.fits.gz           15 energy x 7 offset bins
 *   bkg_3d_radec_m.fits.gz   5 energy x 4 DETX x 3 DETY, RADEC, FOVLONSG -1
 *   bkg_3d_radec_p.fits.gz   the same with FOVLONSG +1
 *   bkg_3d_altaz.fits.gz     the same, ALTAZ, FOVLONSG -1
 *
 * Energy edges: 10^(-1 + 3 k / n_E) TeV (0.1 to 100 TeV, log). Offset
 * edges 0.4 k deg; DETX edges -2 + k deg; DETY edges -1.5 + k deg, so the
 * DETY centres are -1, 0, +1. The BKG value of each bin encodes its
 * indices (distinct everywhere, asymmetric in every axis):
 *   2D: 1e-6 * (100 (ie + 1) + (it + 1))
 *   3D: 1e-6 * (10000 (ie + 1) + 100 (ix + 1) + (iy + 1))
 * in s-1 MeV-1 sr-1. The python check uses the same formulas. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/types.h>

#include "bkg-private.h"
#include "ctx-private.h"

static offbkg_cube_t *make_cube(size_t n_axes, const size_t *n_bins)
{
    offbkg_cube_t *c = offbkg_cube_new(n_axes, n_bins);
    size_t n1 = n_bins[1], n2 = n_axes == 3 ? n_bins[2] : 1;

    if (c == NULL)
        return NULL;
    for (size_t k = 0; k <= n_bins[0]; k++)
        c->axes[0].edges[k] = pow(10.0, -1.0 + 3.0 * (double)k
                                                 / (double)n_bins[0]);
    for (size_t k = 0; k <= n1; k++)
        c->axes[1].edges[k] = n_axes == 2 ? 0.4 * (double)k
                                          : -2.0 + (double)k;
    if (n_axes == 3)
        for (size_t k = 0; k <= n2; k++)
            c->axes[2].edges[k] = -1.5 + (double)k;
    for (size_t ie = 0; ie < n_bins[0]; ie++)
        for (size_t i1 = 0; i1 < n1; i1++)
            for (size_t i2 = 0; i2 < n2; i2++) {
                size_t cell = (ie * n1 + i1) * n2 + i2;
                double code = n_axes == 2
                    ? 100.0 * (double)(ie + 1) + (double)(i1 + 1)
                    : 1e4 * (double)(ie + 1) + 100.0 * (double)(i1 + 1)
                          + (double)(i2 + 1);
                c->rate[cell] = 1e-6 * code;
                c->rate_err[cell] = 1e-7 * code;
                c->counts[cell] = code;
                c->exposure_s[cell] = 3600.0;
            }
    snprintf(c->time_base, sizeof c->time_base, "ONTIME");
    return c;
}

static int write_one(offbkg_ctx_t *ctx, const offbkg_cube_t *c,
                     const char *dir, const char *name)
{
    char path[4096];
    offbkg_bkg_meta_t meta = { .creator = "offbkg write_test_cubes",
                               .group_id = 0, .n_runs = 1,
                               .total_time_s = 3600.0 };

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (offbkg_bkg_write(ctx, c, &meta, path, true) != 0) {
        fprintf(stderr, "write_test_cubes: %s\n", offbkg_error_msg(ctx));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const size_t n2d[2] = { 15, 7 }, n3d[3] = { 5, 4, 3 };
    static const struct { const char *name, *align; int sign; } files[] = {
        { "bkg_3d_radec_m.fits.gz", "RADEC", -1 },
        { "bkg_3d_radec_p.fits.gz", "RADEC", +1 },
        { "bkg_3d_altaz.fits.gz", "ALTAZ", -1 },
    };
    offbkg_ctx_t *ctx;
    offbkg_cube_t *c;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: write_test_cubes DIR\n");
        return 2;
    }
    ctx = offbkg_ctx_new();
    if (ctx == NULL)
        return 1;
    c = make_cube(2, n2d);
    bad |= c == NULL || write_one(ctx, c, argv[1], "bkg_2d.fits.gz");
    offbkg_cube_free(c);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        c = make_cube(3, n3d);
        if (c == NULL) {
            bad = 1;
            break;
        }
        snprintf(c->fov_alignment, sizeof c->fov_alignment, "%s",
                 files[i].align);
        c->fov_lon_sign = files[i].sign;
        bad |= write_one(ctx, c, argv[1], files[i].name);
        offbkg_cube_free(c);
    }
    offbkg_ctx_free(ctx);
    return bad ? 1 : 0;
}
