/* SPDX-License-Identifier: BSD-3-Clause
 * Runs' contributions kept compactly for the match step. */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model_keep-private.h"

/* The base exposure: the more common of the largest value (a run's
 * bins not cut by a region) and the first bin's. */
static double base_of(const double *e, size_t n)
{
    double max = 0;
    size_t n_max = 0, n_first = 0;

    for (size_t j = 0; j < n; j++)
        if (e[j] > max)
            max = e[j];
    for (size_t j = 0; j < n; j++) {
        n_max += e[j] == max;
        n_first += e[j] == e[0];
    }
    return n == 0 || n_max >= n_first ? max : e[0];
}

int offbkg_model_keep_take(offbkg_ctx_t *ctx, const offbkg_contrib_data_t *d,
                           offbkg_model_keep_t *k)
{
    size_t n_cells = 0, n_diff = 0;
    double base = base_of(d->exposure_s, d->n_exposure);
    char *block;

    memset(k, 0, sizeof *k);
    if (d->n_counts > UINT32_MAX || d->n_exposure > UINT32_MAX)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "a contribution of %zu "
                                "cells and %zu exposure bins is too large "
                                "to keep for [match]", d->n_counts,
                                d->n_exposure);
    for (size_t i = 0; i < d->n_counts; i++) {
        if (d->counts[i] > UINT32_MAX)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "a cell of %" PRIu64
                                    " events is too many to keep for "
                                    "[match]", d->counts[i]);
        n_cells += d->counts[i] > 0;
    }
    for (size_t j = 0; j < d->n_exposure; j++)
        n_diff += d->exposure_s[j] != base;
    /* One block: the doubles first, so every array is aligned. */
    block = malloc(n_diff * sizeof(double)
                   + (2 * n_cells + n_diff) * sizeof(uint32_t) + 1);
    if (block == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    k->n_cells = (uint32_t)n_cells;
    k->n_diff = (uint32_t)n_diff;
    k->exposure_base_s = base;
    k->diff_exposure_s = (double *)(void *)block;
    k->cell = (uint32_t *)(void *)(block + n_diff * sizeof(double));
    k->count = k->cell + n_cells;
    k->diff_bin = k->count + n_cells;
    n_cells = 0;
    for (size_t i = 0; i < d->n_counts; i++)
        if (d->counts[i] > 0) {
            k->cell[n_cells] = (uint32_t)i;
            k->count[n_cells++] = (uint32_t)d->counts[i];
            if (d->counts[i] > k->max_count)
                k->max_count = (uint32_t)d->counts[i];
        }
    n_diff = 0;
    for (size_t j = 0; j < d->n_exposure; j++)
        if (d->exposure_s[j] != base) {
            k->diff_bin[n_diff] = (uint32_t)j;
            k->diff_exposure_s[n_diff++] = d->exposure_s[j];
        }
    return OFFBKG_OK;
}

/* exposure_s += w e for kept run @p k. */
static void add_exposure(const offbkg_model_keep_t *k, double w,
                         double *exposure_s, size_t n_exposure)
{
    double base = w * k->exposure_base_s;
    size_t j = 0;

    /* The runs between two differing bins in one simple loop. */
    for (uint32_t d = 0; d <= k->n_diff; d++) {
        size_t end = d < k->n_diff ? k->diff_bin[d] : n_exposure;
        for (; j < end; j++)
            exposure_s[j] += base;
        if (d < k->n_diff)
            exposure_s[j++] += w * k->diff_exposure_s[d];
    }
}

void offbkg_model_keep_add(const offbkg_model_keep_t *k, double w,
                           double *counts, double *counts_w2,
                           double *exposure_s, size_t n_exposure)
{
    if (counts_w2 == NULL)
        for (uint32_t c = 0; c < k->n_cells; c++)
            counts[k->cell[c]] += w * (double)k->count[c];
    else
        for (uint32_t c = 0; c < k->n_cells; c++) {
            double n = (double)k->count[c];
            counts[k->cell[c]] += w * n;
            counts_w2[k->cell[c]] += w * w * n;
        }
    add_exposure(k, w, exposure_s, n_exposure);
}

void offbkg_model_keep_add_ones(const offbkg_model_keep_t *k,
                                uint32_t *counts, double *exposure_s,
                                size_t n_exposure)
{
    for (uint32_t c = 0; c < k->n_cells; c++)
        counts[k->cell[c]] += k->count[c];
    add_exposure(k, 1.0, exposure_s, n_exposure);
}

void offbkg_model_keep_sub(const offbkg_model_keep_t *k, double *counts,
                           double *exposure_s, size_t n_exposure)
{
    size_t d = 0;

    for (uint32_t c = 0; c < k->n_cells; c++)
        counts[k->cell[c]] -= (double)k->count[c];
    for (size_t j = 0; j < n_exposure; j++) {
        double e = d < k->n_diff && k->diff_bin[d] == j
                       ? k->diff_exposure_s[d++] : k->exposure_base_s;
        exposure_s[j] = exposure_s[j] > e ? exposure_s[j] - e : 0.0;
    }
}

size_t offbkg_model_keep_bytes(const offbkg_model_keep_t *k)
{
    return sizeof *k + k->n_diff * sizeof(double)
           + (2 * (size_t)k->n_cells + k->n_diff) * sizeof(uint32_t);
}

void offbkg_model_keep_free(offbkg_model_keep_t *k)
{
    /* The block starts at the diff exposures (model_keep_take). */
    free(k->diff_exposure_s);
    memset(k, 0, sizeof *k);
}
