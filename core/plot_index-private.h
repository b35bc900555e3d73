/* SPDX-License-Identifier: BSD-3-Clause
 * index.html: the page that shows a directory's figures, each with a
 * one-line caption, grouped (models, comparisons, validation), and links
 * the FITS files they were drawn from. It opens offline: no script, no
 * external address, every link relative. Every text is HTML-escaped and
 * every link percent-encoded; the file is written atomically through the
 * output layer (core/output.c), staged with the context's output set. */
#ifndef OFFBKG_PLOT_INDEX_PRIVATE_H
#define OFFBKG_PLOT_INDEX_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ctx-private.h"

/** The sections of the page, in their order. */
typedef enum offbkg_plot_index_section {
    OFFBKG_PLOT_INDEX_MODELS,
    OFFBKG_PLOT_INDEX_COMPARISONS,
    OFFBKG_PLOT_INDEX_VALIDATION,
    OFFBKG_PLOT_INDEX_N_SECTIONS
} offbkg_plot_index_section_t;

/** One figure: its file and the FITS file it shows, both relative to
 *  index.html's directory ("figures/x.png", "validation.fits"). */
typedef struct offbkg_plot_index_figure {
    char *file;
    char *source;                   /**< "" when none */
    char *caption;                  /**< one line */
    offbkg_plot_index_section_t section;
} offbkg_plot_index_figure_t;

/** The figures of a page, in the order they were added, and the FITS
 *  files it links. */
typedef struct offbkg_plot_index {
    offbkg_plot_index_figure_t *v;
    size_t n;
    char **fits;
    size_t n_fits;
} offbkg_plot_index_t;

/** Add a figure; the caption is printf-style. OFFBKG_ENOMEM on failure
 *  (said on @p ctx). */
int offbkg_plot_index_add(offbkg_ctx_t *ctx, offbkg_plot_index_t *ix,
                          offbkg_plot_index_section_t section,
                          const char *file, const char *source,
                          const char *caption_fmt, ...)
    OFFBKG_PRINTF(6, 7);

/** Add a FITS file to the page's list of files (relative path). */
int offbkg_plot_index_add_fits(offbkg_ctx_t *ctx, offbkg_plot_index_t *ix,
                               const char *file);

/** Write the page to @p path (atomically; staged when the context has an
 *  output set for its directory), titled @p title (e.g. the output
 *  directory); @p note, when not NULL, is a line under the title. */
int offbkg_plot_index_write(offbkg_ctx_t *ctx, const offbkg_plot_index_t *ix,
                            const char *path, const char *title,
                            const char *note, bool overwrite);

/** @p text HTML-escaped into a new string (&, <, >, ", ' as entities;
 *  control bytes as blanks; a byte that is not UTF-8 as U+FFFD); NULL if
 *  out of memory. */
char *offbkg_plot_index_escape(const char *text);

/** @p path percent-encoded for an href or src (every byte but
 *  [A-Za-z0-9._~/-]); a new string, NULL if out of memory. */
char *offbkg_plot_index_url(const char *path);

void offbkg_plot_index_clear(offbkg_plot_index_t *ix);

#endif
