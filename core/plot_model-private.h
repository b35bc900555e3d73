/* SPDX-License-Identifier: BSD-3-Clause
 * The figures of background models: of one GADF bkg_2d or bkg_3d file
 * (ours or any other that offbkg_bkg_read reads), and of two models side
 * by side. doc/plot.md §2 says what each figure shows. Drawn with
 * core/plot.c: library code, nothing printed, each figure atomic. */
#ifndef OFFBKG_PLOT_MODEL_PRIVATE_H
#define OFFBKG_PLOT_MODEL_PRIVATE_H

#include <stddef.h>

#include "plot-private.h"

/** What to draw. A zeroed struct draws PNGs at the default energies and
 *  offsets. */
typedef struct offbkg_plot_model_opts {
    offbkg_plot_format_t format;
    /** Energy slices (3D maps) and curves (rate against offset), TeV;
     *  NULL or 0: three energies spread over the model's axis (on a log
     *  scale). An energy outside the axis is left out with a warning. */
    const double *energies_tev;
    size_t n_energies;
    /** Offsets of the rate-against-energy curves (2D), deg; NULL or 0:
     *  four spread over the axis. Outside the axis: left out, warned. */
    const double *offsets_deg;
    size_t n_offsets;
} offbkg_plot_model_opts_t;

/** The paths of the figures written, in order. */
typedef struct offbkg_plot_model_list {
    char **paths;
    size_t n;
} offbkg_plot_model_list_t;

/** Free the paths (the struct itself is the caller's) and empty it. */
void offbkg_plot_model_list_free(offbkg_plot_model_list_t *list);

/** The figures of the model file @p model into directory @p dir (which
 *  must exist), named after the file: NAME_rate_energy.png, ... with NAME
 *  the file name without .fits / .fits.gz (doc/plot.md §2 lists them).
 *  Each path written is appended to @p written.
 *
 *  @return OFFBKG_OK; the reader's error for a file that is missing or
 *          not a bkg_2d / bkg_3d model (the message names it); a drawing
 *          error (core/plot.c). The figures written before a failure
 *          stay (each is complete) and are in @p written. */
int offbkg_plot_model(offbkg_ctx_t *ctx, const char *model, const char *dir,
                      const offbkg_plot_model_opts_t *opts,
                      offbkg_plot_model_list_t *written);

/** Two models side by side, @p model_b against @p model_a (e.g. smoothed
 *  against raw, or another file against ours), into @p dir as
 *  compare_NAMEA_NAMEB_*.EXT: their profiles drawn over each other, and
 *  when their binnings are the same, the ratio B / A cell by cell (with
 *  another binning the ratio maps are left out with a warning). Both must
 *  be 2D or both 3D (OFFBKG_EINVAL otherwise). Errors as
 *  offbkg_plot_model. */
int offbkg_plot_model_compare(offbkg_ctx_t *ctx, const char *model_a,
                              const char *model_b, const char *dir,
                              const offbkg_plot_model_opts_t *opts,
                              offbkg_plot_model_list_t *written);

#endif
