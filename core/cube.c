/* SPDX-License-Identifier: BSD-3-Clause
 * Allocation of model cubes (pure helpers, usable by plugins). */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/types.h>

void offbkg_cube_free(offbkg_cube_t *cube)
{
    if (cube == NULL)
        return;
    for (size_t k = 0; k < OFFBKG_CUBE_MAX_AXES; k++)
        free(cube->axes[k].edges);
    free(cube->counts);
    free(cube->exposure_s);
    free(cube->solid_angle_sr);
    free(cube->rate);
    free(cube->rate_err);
    free(cube);
}

offbkg_cube_t *offbkg_cube_new(size_t n_axes, const size_t *n_bins)
{
    offbkg_cube_t *c;
    size_t n_cells = 1;

    if (n_axes < 1 || n_axes > OFFBKG_CUBE_MAX_AXES || n_bins == NULL)
        return NULL;
    for (size_t k = 0; k < n_axes; k++) {
        if (n_bins[k] == 0 || n_cells > SIZE_MAX / n_bins[k])
            return NULL;
        n_cells *= n_bins[k];
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->struct_size = sizeof *c;
    c->n_axes = n_axes;
    c->n_cells = n_cells;
    for (size_t k = 0; k < n_axes; k++) {
        c->axes[k].n_bins = n_bins[k];
        c->axes[k].edges = calloc(n_bins[k] + 1, sizeof(double));
        if (c->axes[k].edges == NULL)
            goto fail;
    }
    c->counts = calloc(n_cells, sizeof(double));
    c->exposure_s = calloc(n_cells, sizeof(double));
    c->solid_angle_sr = calloc(n_cells, sizeof(double));
    c->rate = calloc(n_cells, sizeof(double));
    c->rate_err = calloc(n_cells, sizeof(double));
    if (c->counts == NULL || c->exposure_s == NULL
        || c->solid_angle_sr == NULL || c->rate == NULL
        || c->rate_err == NULL)
        goto fail;
    return c;
fail:
    offbkg_cube_free(c);
    return NULL;
}

offbkg_cube_t *offbkg_cube_copy(const offbkg_cube_t *cube)
{
    size_t n_bins[OFFBKG_CUBE_MAX_AXES];
    size_t bytes = cube->n_cells * sizeof(double);
    offbkg_cube_t *c;

    for (size_t k = 0; k < cube->n_axes; k++)
        n_bins[k] = cube->axes[k].n_bins;
    c = offbkg_cube_new(cube->n_axes, n_bins);
    if (c == NULL)
        return NULL;
    for (size_t k = 0; k < cube->n_axes; k++) {
        memcpy(c->axes[k].name, cube->axes[k].name, sizeof c->axes[k].name);
        memcpy(c->axes[k].unit, cube->axes[k].unit, sizeof c->axes[k].unit);
        memcpy(c->axes[k].edges, cube->axes[k].edges,
               (n_bins[k] + 1) * sizeof(double));
    }
    memcpy(c->counts, cube->counts, bytes);
    memcpy(c->exposure_s, cube->exposure_s, bytes);
    memcpy(c->solid_angle_sr, cube->solid_angle_sr, bytes);
    memcpy(c->rate, cube->rate, bytes);
    memcpy(c->rate_err, cube->rate_err, bytes);
    memcpy(c->fov_alignment, cube->fov_alignment, sizeof c->fov_alignment);
    memcpy(c->time_base, cube->time_base, sizeof c->time_base);
    c->fov_lon_sign = cube->fov_lon_sign;
    return c;
}
