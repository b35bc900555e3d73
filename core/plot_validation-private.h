/* SPDX-License-Identifier: BSD-3-Clause
 * The validation figures: validation.fits (doc/validate.md §8) read back
 * and drawn (doc/plot.md): per strategy the runs' observed/predicted
 * ratios with the Gaussian of their mean and sigma_sys, and the cells'
 * significances with N(0, 1) and the fitted Gaussian; the residual
 * profiles against each model axis and each [validate] column, one line
 * per strategy; the runs' ratios against zenith, one colour per
 * strategy. */
#ifndef OFFBKG_PLOT_VALIDATION_PRIVATE_H
#define OFFBKG_PLOT_VALIDATION_PRIVATE_H

#include <offbkg/types.h>

#include "ctx-private.h"
#include "plot-private.h"
#include "plot_index-private.h"
#include "table-private.h"

/** validation.fits in memory: its four tables, every column the figures
 *  use checked present, of its type, and (numbers) finite. */
typedef struct offbkg_plot_validation {
    offbkg_table_t strategies, runs, significance, profiles;
} offbkg_plot_validation_t;

/** Read @p path. Errors name the file and, for a missing or bad column
 *  or value, its HDU, column and row: OFFBKG_EDATA (and what
 *  offbkg_input_open says: "No such file: PATH", ...). */
int offbkg_plot_validation_read(offbkg_ctx_t *ctx, const char *path,
                                offbkg_plot_validation_t *v);

void offbkg_plot_validation_clear(offbkg_plot_validation_t *v);

/** Draw the validation figures of @p v into the directory @p fig_dir (as
 *  @p fmt files; through the context's output set when it has one) and
 *  add each to @p ix with its caption, as @p fig_rel/NAME (the directory
 *  as index.html links it), from @p source (validation.fits as
 *  index.html links it). A figure with nothing to show (a strategy
 *  without predicted runs, no ZEN_PNT column) is left out. */
int offbkg_plot_validation_draw(offbkg_ctx_t *ctx,
                                const offbkg_plot_validation_t *v,
                                const char *fig_dir, const char *fig_rel,
                                offbkg_plot_format_t fmt, const char *source,
                                offbkg_plot_index_t *ix);

/** Column @p name of @p t (checked present by the reader). */
const offbkg_column_t *offbkg_plot_validation_col(const offbkg_table_t *t,
                                                  const char *name);

#endif
