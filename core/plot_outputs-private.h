/* SPDX-License-Identifier: BSD-3-Clause
 * The figures of an output directory ([plot], doc/plot.md): those of
 * every model file and of validation.fits that [output] dir holds once
 * the command's output set is committed (its own files read from the
 * staging directory), drawn into [plot] dir, and index.html, which shows
 * them and links the FITS files. `offbkg run` and `offbkg validate` draw
 * them as their last step, `offbkg plot CONFIG` on its own. PLplot is
 * not thread-safe: call from one thread at a time. */
#ifndef OFFBKG_PLOT_OUTPUTS_PRIVATE_H
#define OFFBKG_PLOT_OUTPUTS_PRIVATE_H

#include <stdbool.h>

#include "ctx-private.h"
#include "runconf-private.h"

/** Draw the figures of [output] dir and write index.html, all through
 *  the output set on @p ctx, whose figure directory is [plot] dir
 *  (offbkg_outset_figures). A file that cannot be read or drawn fails
 *  the whole, naming it, or with @p keep_going is a warning (and a line
 *  on the page), so that a figure never costs a run its models; out of
 *  memory, a write that fails and a signal always stop. @p n_figures
 *  (may be NULL): the figures on the page. */
int offbkg_plot_outputs_draw(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             bool keep_going, size_t *n_figures);

/** `offbkg plot CONFIG`: lock [output] dir as an output set that owns
 *  the figures and index.html only, draw, and commit: the other files
 *  are read, never written. Any file that cannot be drawn, or nothing to
 *  draw (no group model, no validation.fits), fails it (OFFBKG_EDATA and
 *  the like), and nothing is written. @p index_path (may be NULL): a new
 *  string, the path of index.html. */
int offbkg_plot_outputs_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            size_t *n_figures, char **index_path);

#endif
