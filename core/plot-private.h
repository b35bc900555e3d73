/* SPDX-License-Identifier: BSD-3-Clause
 * Figures: line plots, histograms and colour maps drawn with PLplot's
 * cairo drivers into PNG, PDF or SVG files (doc/plot.md says what each
 * figure of offbkg shows and the conventions).
 *
 * Library code: nothing here prints or exits. PLplot's error and abort
 * handlers are redirected (plsexit, plsabort), so a PLplot error becomes
 * an error on the context, never an exit. A figure is drawn into memory
 * and its bytes are written through core/output.c: a temporary file
 * beside the final one (or in the staging directory of the context's
 * output set), fsync()ed and renamed, so no partial figure is ever left.
 * An existing figure of the same name is replaced.
 *
 * PLplot is not thread-safe: draw from one thread only (the functions
 * refuse a call made while another figure is being drawn).
 *
 * Text (titles, labels, legends, notes) is PLplot text: "#u" and "#d"
 * start a superscript and a subscript ("s#u-1#d"), "##" is a '#'. Text
 * from outside (a file name, a column name) goes through
 * offbkg_plot_text() first.
 *
 * Built without PLplot (configure --without-plplot, or libplplot-dev
 * missing), every drawing function fails with OFFBKG_EINVAL and the
 * message OFFBKG_PLOT_UNAVAILABLE. */
#ifndef OFFBKG_PLOT_PRIVATE_H
#define OFFBKG_PLOT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ctx-private.h"

#define OFFBKG_PLOT_UNAVAILABLE \
    "offbkg was built without PLplot: no figures (install libplplot-dev " \
    "and plplot-driver-cairo, then configure again)"

/** Whether this build draws figures (HAVE_PLPLOT). */
bool offbkg_plot_available(void);

typedef enum offbkg_plot_format {
    OFFBKG_PLOT_PNG = 0,        /**< 800 x 600 px (the default) */
    OFFBKG_PLOT_PDF,            /**< 800 x 600 pt, vector */
    OFFBKG_PLOT_SVG             /**< 800 x 600 px, vector */
} offbkg_plot_format_t;

/** "png", "pdf" or "svg" into *fmt: 0, or -1 for any other name. */
int offbkg_plot_format_parse(const char *name, offbkg_plot_format_t *fmt);

/** The file name extension of @p fmt, without the dot ("png"). */
const char *offbkg_plot_format_ext(offbkg_plot_format_t fmt);

/** @p s made safe as PLplot text: '#' doubled, bytes that are not
 *  printable ASCII replaced by '?'. At most @p size - 1 bytes are kept
 *  (cut at a character); @p out is always terminated. Returns @p out. */
char *offbkg_plot_text(char *out, size_t size, const char *s);

/** The frame of a line plot or histogram. */
typedef struct offbkg_plot_axes {
    const char *title;          /**< top of the figure; names the model,
                                     group or observation */
    const char *x_label;        /**< with its unit: "energy (TeV)" */
    const char *y_label;
    bool log_x, log_y;          /**< log10 axis; values <= 0 are not
                                     drawn (a line is broken there) */
    /** The ranges; NaN (or min >= max): from the data, with a margin.
     *  With a log axis the range is of the values, not their logs. */
    double x_min, x_max, y_min, y_max;
} offbkg_plot_axes_t;

typedef enum offbkg_plot_style {
    OFFBKG_PLOT_STYLE_LINE = 0, /**< a polyline through the points */
    OFFBKG_PLOT_STYLE_POINTS,   /**< markers only */
    OFFBKG_PLOT_STYLE_LINE_POINTS,
    OFFBKG_PLOT_STYLE_DASHED    /**< a dashed polyline (a reference curve) */
} offbkg_plot_style_t;

/** One series of (x, y) points. Points whose x or y is not finite (or
 *  <= 0 on a log axis) are not drawn; a line is broken there. */
typedef struct offbkg_plot_series {
    const char *label;          /**< legend text; NULL: not in the legend */
    size_t n;
    const double *x;
    const double *y;
    const double *y_err;        /**< symmetric 1-sigma errors drawn as bars;
                                     NULL: none */
    offbkg_plot_style_t style;
    int color;                  /**< 0: the series' index picks one of 8
                                     distinct colours; k > 0: colour k
                                     (1 is black, 2..9 the palette) */
} offbkg_plot_series_t;

/** A line plot: @p n_series series (at least one point in all of them
 *  must be drawable) on @p axes, a legend when any series has a label,
 *  and @p note (NULL: none) as a line of small text under the plot, e.g.
 *  "FOVALIGN=RADEC, fov_lon = -lon_off". Written to @p path in @p fmt.
 *
 *  @return OFFBKG_OK; OFFBKG_EINVAL for nothing to draw or bad
 *          arguments; OFFBKG_EIO (naming @p path) when the file cannot
 *          be written; OFFBKG_EPLUGIN when PLplot or its cairo driver
 *          fails (its message). No file is left on failure. */
int offbkg_plot_lines(offbkg_ctx_t *ctx, const char *path,
                      offbkg_plot_format_t fmt,
                      const offbkg_plot_axes_t *axes,
                      const offbkg_plot_series_t *series, size_t n_series,
                      const char *note);

/** A step histogram of @p n_bins bins (@p edges: n_bins + 1, strictly
 *  increasing; @p heights: n_bins, non-finite ones drawn as 0) labelled
 *  @p hist_label in the legend, with @p n_curves curves drawn over it
 *  (e.g. N(0, 1) and the fitted Gaussian), as offbkg_plot_lines draws
 *  series. Errors as offbkg_plot_lines. */
int offbkg_plot_histogram(offbkg_ctx_t *ctx, const char *path,
                          offbkg_plot_format_t fmt,
                          const offbkg_plot_axes_t *axes,
                          const double *edges, const double *heights,
                          size_t n_bins, const char *hist_label,
                          const offbkg_plot_series_t *curves,
                          size_t n_curves, const char *note);

typedef enum offbkg_plot_zscale {
    OFFBKG_PLOT_Z_LINEAR = 0,   /**< sequential colours, linear */
    OFFBKG_PLOT_Z_LOG,          /**< sequential colours, log10; z <= 0
                                     left blank */
    OFFBKG_PLOT_Z_DIVERGING     /**< blue - white - red, white at
                                     z_centre, symmetric about it (a ratio
                                     map: z_centre = 1) */
} offbkg_plot_zscale_t;

/** One colour-map panel: cell (ix, iy) spans x_edges[ix..ix+1] x
 *  y_edges[iy..iy+1] and has the value z[ix * ny + iy] (x slowest, as a
 *  cube's cells of one energy are stored: DETX slower than DETY). A cell
 *  whose z is not finite is left blank (white). */
typedef struct offbkg_plot_map {
    const char *title;          /**< above the panel */
    const char *x_label, *y_label; /**< with units */
    const char *z_label;        /**< the colour bar's, with its unit */
    size_t nx, ny;
    const double *x_edges;      /**< nx + 1, strictly increasing */
    const double *y_edges;      /**< ny + 1, strictly increasing */
    const double *z;
    bool log_x, log_y;          /**< log10 axes (edges must be > 0) */
    offbkg_plot_zscale_t zscale;
    double z_centre;            /**< OFFBKG_PLOT_Z_DIVERGING only */
    /** The colour range; NaN (or min >= max): from the finite cells
     *  (for a log map at most 3 decades below the largest; for a
     *  diverging map, the largest distance from z_centre). Values beyond
     *  it take the end colours. */
    double z_min, z_max;
} offbkg_plot_map_t;

/** 1 to 6 colour-map panels side by side (1 x 1, 2 x 1, 3 x 1, 2 x 2,
 *  3 x 2), each with its colour bar, under @p title, with @p note (NULL:
 *  none) as small text at the bottom. Errors as offbkg_plot_lines
 *  (OFFBKG_EINVAL also for a panel without any drawable cell: a log map
 *  with no z > 0). */
int offbkg_plot_maps(offbkg_ctx_t *ctx, const char *path,
                     offbkg_plot_format_t fmt, const char *title,
                     const offbkg_plot_map_t *panels, size_t n_panels,
                     const char *note);

#endif
