/* SPDX-License-Identifier: BSD-3-Clause
 * Figures through PLplot's cairo drivers (core/plot-private.h; doc/plot.md
 * for the figures and their conventions).
 *
 * PLplot keeps one global state and, on a fatal error, calls its exit
 * handler and then exit(). Our handler records the message and jumps
 * back to the figure's start (setjmp), where the stream is ended and the
 * error set on the context: the process never exits and nothing is
 * printed. Non-fatal errors (plabort) are recorded through plsError and
 * the abort handler and fail the figure too. The driver writes into a
 * memory stream (fopencookie), whose bytes become the file through
 * core/output.c only once the figure is complete. */
#define _GNU_SOURCE     /* fopencookie */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot-private.h"

bool offbkg_plot_available(void)
{
#ifdef HAVE_PLPLOT
    return true;
#else
    return false;
#endif
}

int offbkg_plot_format_parse(const char *name, offbkg_plot_format_t *fmt)
{
    static const char *const names[] = { "png", "pdf", "svg" };

    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *fmt = (offbkg_plot_format_t)i;
            return 0;
        }
    return -1;
}

const char *offbkg_plot_format_ext(offbkg_plot_format_t fmt)
{
    switch (fmt) {
    case OFFBKG_PLOT_PDF: return "pdf";
    case OFFBKG_PLOT_SVG: return "svg";
    default: return "png";
    }
}

char *offbkg_plot_text(char *out, size_t size, const char *s)
{
    size_t k = 0;

    if (size == 0)
        return out;
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '#') {
            if (k + 2 >= size)
                break;
            out[k++] = '#';
            out[k++] = '#';
            continue;
        }
        if (k + 1 >= size)
            break;
        out[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[k] = '\0';
    return out;
}

#ifndef HAVE_PLPLOT

int offbkg_plot_lines(offbkg_ctx_t *ctx, const char *path,
                      offbkg_plot_format_t fmt,
                      const offbkg_plot_axes_t *axes,
                      const offbkg_plot_series_t *series, size_t n_series,
                      const char *note)
{
    (void)path, (void)fmt, (void)axes, (void)series, (void)n_series,
        (void)note;
    return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s",
                            OFFBKG_PLOT_UNAVAILABLE);
}

int offbkg_plot_histogram(offbkg_ctx_t *ctx, const char *path,
                          offbkg_plot_format_t fmt,
                          const offbkg_plot_axes_t *axes,
                          const double *edges, const double *heights,
                          size_t n_bins, const char *hist_label,
                          const offbkg_plot_series_t *curves,
                          size_t n_curves, const char *note)
{
    (void)path, (void)fmt, (void)axes, (void)edges, (void)heights,
        (void)n_bins, (void)hist_label, (void)curves, (void)n_curves,
        (void)note;
    return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s",
                            OFFBKG_PLOT_UNAVAILABLE);
}

int offbkg_plot_maps(offbkg_ctx_t *ctx, const char *path,
                     offbkg_plot_format_t fmt, const char *title,
                     const offbkg_plot_map_t *panels, size_t n_panels,
                     const char *note)
{
    (void)path, (void)fmt, (void)title, (void)panels, (void)n_panels,
        (void)note;
    return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s",
                            OFFBKG_PLOT_UNAVAILABLE);
}

#else /* HAVE_PLPLOT */

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <sys/types.h>

#include <plplot.h>

#include "output-private.h"

#define PAGE_W 800
#define PAGE_H 600
#define N_PALETTE 8             /* series colours: cmap0 2 .. 9 */
#define COL_BLACK 1
#define COL_GRID 10
#define COL_FILL 11
/* A log map's colours span at most this many decades below its largest
 * value (lower values take the lowest colour). */
#define LOG_MAP_DECADES 3.0

/* ---- the figure's bytes, in memory until complete ---- */

typedef struct membuf {
    unsigned char *buf;
    size_t size, cap;
    bool failed;                /* out of memory: the figure is lost */
    bool closed;                /* PLplot closed the stream (it does) */
} membuf_t;

static ssize_t mem_write(void *cookie, const char *data, size_t n)
{
    membuf_t *m = cookie;

    if (m->size + n > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        unsigned char *p;
        while (cap < m->size + n)
            cap *= 2;
        p = realloc(m->buf, cap);
        if (p == NULL) {
            m->failed = true;
            errno = ENOMEM;
            return -1;
        }
        m->buf = p;
        m->cap = cap;
    }
    memcpy(m->buf + m->size, data, n);
    m->size += n;
    return (ssize_t)n;
}

static int mem_close(void *cookie)
{
    ((membuf_t *)cookie)->closed = true;
    return 0;
}

/* ---- PLplot's errors, turned into ours ---- */

/* PLplot has one global state: one figure at a time in the process. */
static pthread_mutex_t drawing = PTHREAD_MUTEX_INITIALIZER;
static jmp_buf fatal_jump;
static char fatal_msg[512];
/* plabort() writes "<message>, aborting operation\n" here (unbounded:
 * PLplot's messages are short). */
static char abort_msg[2048];
static PLINT abort_code;
/* A drawing function ran out of memory: the figure fails. */
static bool draw_oom;

static int on_plexit(PLCHAR_VECTOR msg)
{
    if (fatal_msg[0] == '\0')
        snprintf(fatal_msg, sizeof fatal_msg, "%s", msg ? msg : "");
    longjmp(fatal_jump, 1);
    return 0;                   /* not reached */
}

static void on_plabort(PLCHAR_VECTOR msg)
{
    if (fatal_msg[0] == '\0')
        snprintf(fatal_msg, sizeof fatal_msg, "%s", msg ? msg : "");
}

static const char *driver_name(offbkg_plot_format_t fmt)
{
    switch (fmt) {
    case OFFBKG_PLOT_PDF: return "pdfcairo";
    case OFFBKG_PLOT_SVG: return "svgcairo";
    default: return "pngcairo";
    }
}

/* Whether PLplot has the driver (plplot-driver-cairo installed): asked
 * before plinit, which would otherwise prompt or exit. The lists are
 * static: a fatal error jumps out of plgDevs. */
static bool has_driver(const char *name)
{
    static PLCHAR_VECTOR menu[128], dev[128];
    PLCHAR_VECTOR *pm = menu, *pd = dev;
    int n = 128;

    plgDevs(&pm, &pd, &n);
    for (int i = 0; i < n; i++)
        if (dev[i] != NULL && strcmp(dev[i], name) == 0)
            return true;
    return false;
}

/* White background, black frame, 8 distinct series colours (the
 * colour-blind-safe set of doc/plot.md), light grey grid and fill. */
static void set_palette(void)
{
    static const PLINT r[] = { 255, 0, 31, 214, 44, 255, 148, 140, 227,
                               23, 225, 198 };
    static const PLINT g[] = { 255, 0, 119, 39, 160, 127, 103, 86, 119,
                               190, 225, 219 };
    static const PLINT b[] = { 255, 0, 180, 40, 44, 14, 189, 75, 194,
                               207, 225, 239 };
    plscmap0(r, g, b, 12);
}

typedef void (*draw_fn)(const void *data);

/* Draw a figure with @p draw into @p path: all or nothing. */
static int render(offbkg_ctx_t *ctx, const char *path,
                  offbkg_plot_format_t fmt, PLINT width, PLINT height,
                  draw_fn draw, const void *data)
{
    static const cookie_io_functions_t io = { .write = mem_write,
                                              .close = mem_close };
    /* Static, as the handlers' state: written by the driver between
     * setjmp and a fatal error's longjmp, so no local of this frame. */
    static membuf_t mem;
    const char *dev = driver_name(fmt);
    offbkg_output_t out;
    volatile bool no_driver = false;
    FILE *fp;
    int st;

    if (pthread_mutex_trylock(&drawing) != 0)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: another figure "
                                "is being drawn (PLplot draws one at a "
                                "time)", path);
    st = offbkg_output_text(ctx, path, true, &out);
    if (st != OFFBKG_OK) {
        pthread_mutex_unlock(&drawing);
        return st;
    }
    memset(&mem, 0, sizeof mem);
    fp = fopencookie(&mem, "w", io);
    if (fp == NULL) {
        offbkg_output_abort(&out);
        pthread_mutex_unlock(&drawing);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    fatal_msg[0] = '\0';
    abort_msg[0] = '\0';
    abort_code = 0;
    draw_oom = false;
    plsexit(on_plexit);
    plsabort(on_plabort);
    plsError(&abort_code, abort_msg);
    if (setjmp(fatal_jump) == 0) {
        /* Asked before plinit, which would prompt for a device. */
        if (!has_driver(dev)) {
            no_driver = true;
        } else {
            plsdev(dev);
            plsfile(fp);
            plspage(0, 0, width, height, 0, 0);
            set_palette();
            plinit();
            draw(data);
        }
        plend();
    } else if (setjmp(fatal_jump) == 0) {
        /* A fatal error: end the stream (PLplot would have, then exited);
         * a second fatal error while ending it is ignored. */
        plend();
    }
    plsexit(NULL);
    plsabort(NULL);
    if (!mem.closed)
        fclose(fp);
    pthread_mutex_unlock(&drawing);

    if (fatal_msg[0] != '\0' || abort_code != 0 || no_driver) {
        offbkg_output_abort(&out);
        free(mem.buf);
        if (fatal_msg[0] == '\0' && abort_code == 0)
            return offbkg_error_set(ctx, OFFBKG_EPLUGIN, "%s: PLplot has "
                                    "no %s driver (install "
                                    "plplot-driver-cairo)", path, dev);
        return offbkg_error_set(ctx, OFFBKG_EPLUGIN, "%s: PLplot: %s", path,
                                fatal_msg[0] ? fatal_msg : abort_msg);
    }
    if (mem.failed || draw_oom || mem.size == 0) {
        offbkg_output_abort(&out);
        free(mem.buf);
        return offbkg_error_set(ctx, mem.failed || draw_oom
                                         ? OFFBKG_ENOMEM : OFFBKG_EPLUGIN,
                                "%s: %s", path, mem.failed || draw_oom
                                    ? "out of memory"
                                    : "PLplot's driver wrote nothing");
    }
    fwrite(mem.buf, 1, mem.size, out.text);
    free(mem.buf);
    return offbkg_output_commit(ctx, &out);
}

/* ---- axes ---- */

static bool drawable(double v, bool log_axis)
{
    return isfinite(v) && (!log_axis || v > 0);
}

static double to_axis(double v, bool log_axis)
{
    return log_axis ? log10(v) : v;
}

/* A range in axis units (logs on a log axis): [*lo, *hi]. */
typedef struct range {
    double lo, hi;
} range_t;

static void range_add(range_t *r, double v, bool log_axis)
{
    if (!drawable(v, log_axis))
        return;
    v = to_axis(v, log_axis);
    if (v < r->lo)
        r->lo = v;
    if (v > r->hi)
        r->hi = v;
}

/* The range to draw: the one asked for, else the data's with a margin
 * (a point alone gets half a decade or half its value either side). */
static range_t range_final(range_t data, double want_min, double want_max,
                           bool log_axis)
{
    range_t r;

    if (isfinite(want_min) && isfinite(want_max) && want_min < want_max
        && drawable(want_min, log_axis)) {
        r.lo = to_axis(want_min, log_axis);
        r.hi = to_axis(want_max, log_axis);
        return r;
    }
    r = data;
    if (r.hi <= r.lo) {
        double pad = log_axis ? 0.5 : (r.lo != 0 ? fabs(r.lo) * 0.5 : 1);
        r.lo -= pad;
        r.hi += pad;
    } else {
        double pad = (r.hi - r.lo) * 0.05;
        r.lo -= pad;
        r.hi += pad;
    }
    /* PLplot labels a log axis at powers of ten only: keep one inside. */
    if (log_axis && ceil(r.lo) > floor(r.hi)) {
        r.lo = floor(r.lo);
        r.hi = ceil(r.hi);
    }
    return r;
}

/* A colour-bar label: "0.05", "120", "1.2e-5". */
static void z_tick_label(char *out, size_t size, double v)
{
    double a = fabs(v);

    if (a == 0 || (a >= 0.01 && a < 1e4)) {
        snprintf(out, size, "%.3g", v);
    } else {
        int e = (int)floor(log10(a));
        double m = v / pow(10, e);
        if (fabs(m) >= 9.95) {
            m /= 10;
            e++;
        }
        snprintf(out, size, "%.2ge%d", m, e);
    }
}

static const range_t EMPTY_RANGE = { INFINITY, -INFINITY };

/* Room at the top for the legend when the y range is the data's. */
static void legend_room(range_t *y, const offbkg_plot_axes_t *a,
                        const offbkg_plot_series_t *series, size_t n,
                        bool histogram)
{
    size_t n_labels = histogram ? 1 : 0;

    for (size_t i = 0; i < n; i++)
        n_labels += series[i].label != NULL;
    if (n_labels > 0 && !(isfinite(a->y_min) && isfinite(a->y_max)
                          && a->y_min < a->y_max))
        y->hi += (y->hi - y->lo) * (0.06 * (double)n_labels + 0.04);
}

static bool range_finite(range_t r)
{
    return isfinite(r.lo) && isfinite(r.hi) && r.lo < r.hi;
}

/* A frame whose range overflows (values near DBL_MAX) cannot be drawn. */
static int check_frame(offbkg_ctx_t *ctx, const char *path, range_t x,
                       range_t y)
{
    if (range_finite(x) && range_finite(y))
        return OFFBKG_OK;
    return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: the values' range is "
                            "too large to draw", path);
}

/* Frame, grid, tick labels, axis labels and the title. */
static void draw_frame(const offbkg_plot_axes_t *a, range_t x, range_t y)
{
    char xopt[16], yopt[16];

    plwind(x.lo, x.hi, y.lo, y.hi);
    plcol0(COL_GRID);
    pllsty(1);
    plwidth(1.0);
    plbox(a->log_x ? "gl" : "g", 0, 0, a->log_y ? "gl" : "g", 0, 0);
    plcol0(COL_BLACK);
    snprintf(xopt, sizeof xopt, "bcnst%s", a->log_x ? "l" : "");
    snprintf(yopt, sizeof yopt, "bcnstv%s", a->log_y ? "l" : "");
    plbox(xopt, 0, 0, yopt, 0, 0);
    plmtex("b", 3.0, 0.5, 0.5, a->x_label ? a->x_label : "");
    plmtex("l", 5.5, 0.5, 0.5, a->y_label ? a->y_label : "");
    plschr(0, 1.15);
    plmtex("t", 1.5, 0.5, 0.5, a->title ? a->title : "");
    plschr(0, 1.0);
}

static void draw_note(const char *note, double disp_chars)
{
    if (note == NULL || *note == '\0')
        return;
    plschr(0, 0.8);
    plcol0(COL_BLACK);
    /* From the page's left edge rather than the frame's: a long note fits. */
    plmtex("b", disp_chars, -0.12, 0.0, note);
    plschr(0, 1.0);
}

static PLINT series_color(const offbkg_plot_series_t *s, size_t i)
{
    return s->color > 0 ? s->color : (PLINT)(2 + i % N_PALETTE);
}

static const char POINT_GLYPH[] = "#(850)";    /* a small open circle */

/* One series: broken lines where a point cannot be drawn, markers, and
 * error bars (clipped to the frame by PLplot). */
static void draw_series(const offbkg_plot_series_t *s, size_t idx,
                        bool log_x, bool log_y, range_t yr)
{
    PLFLT *px = malloc((s->n + 1) * sizeof *px);
    PLFLT *py = malloc((s->n + 1) * sizeof *py);
    size_t run = 0;

    if (px == NULL || py == NULL) {
        free(px);
        free(py);
        draw_oom = true;
        return;
    }
    plcol0(series_color(s, idx));
    plwidth(2.0);
    pllsty(s->style == OFFBKG_PLOT_STYLE_DASHED ? 2 : 1);
    for (size_t i = 0; i <= s->n; i++) {
        bool ok = i < s->n && drawable(s->x[i], log_x)
                  && drawable(s->y[i], log_y);
        if (ok) {
            px[run] = to_axis(s->x[i], log_x);
            py[run] = to_axis(s->y[i], log_y);
            run++;
            continue;
        }
        if (run > 0 && s->style != OFFBKG_PLOT_STYLE_POINTS) {
            if (run > 1)
                plline((PLINT)run, px, py);
        }
        if (run > 0 && (s->style == OFFBKG_PLOT_STYLE_POINTS
                        || s->style == OFFBKG_PLOT_STYLE_LINE_POINTS
                        || run == 1))
            plstring((PLINT)run, px, py, POINT_GLYPH);
        run = 0;
    }
    pllsty(1);
    if (s->y_err != NULL) {
        plwidth(1.0);
        for (size_t i = 0; i < s->n; i++) {
            PLFLT x, lo, hi;
            double e = s->y_err[i];
            if (!drawable(s->x[i], log_x) || !drawable(s->y[i], log_y)
                || !isfinite(e) || e <= 0)
                continue;
            x = to_axis(s->x[i], log_x);
            hi = to_axis(s->y[i] + e, log_y);
            lo = drawable(s->y[i] - e, log_y) ? to_axis(s->y[i] - e, log_y)
                                              : yr.lo;
            plerry(1, &x, &lo, &hi);
        }
    }
    plwidth(1.0);
    free(px);
    free(py);
}

/* The legend, top right inside the frame: one entry per labelled series
 * (and the histogram first, when there is one). */
static void draw_legend(const char *hist_label,
                        const offbkg_plot_series_t *series, size_t n)
{
    size_t n_max = n + 1, k = 0;
    PLINT *opt = calloc(n_max, sizeof *opt);
    PLINT *colors = calloc(n_max, sizeof *colors);
    PLINT *styles = calloc(n_max, sizeof *styles);
    PLFLT *widths = calloc(n_max, sizeof *widths);
    PLFLT *scales = calloc(n_max, sizeof *scales);
    PLINT *numbers = calloc(n_max, sizeof *numbers);
    const char **text = calloc(n_max, sizeof *text);
    const char **symbols = calloc(n_max, sizeof *symbols);
    PLFLT w, h;

    if (!opt || !colors || !styles || !widths || !scales || !numbers
        || !text || !symbols) {
        draw_oom = true;
        goto out;
    }
    if (hist_label != NULL) {
        opt[k] = PL_LEGEND_LINE;
        colors[k] = 2;
        styles[k] = 1;
        widths[k] = 2.0;
        scales[k] = 1.0;
        numbers[k] = 1;
        symbols[k] = POINT_GLYPH;
        text[k++] = hist_label;
    }
    for (size_t i = 0; i < n; i++) {
        const offbkg_plot_series_t *s = &series[i];
        if (s->label == NULL)
            continue;
        opt[k] = s->style == OFFBKG_PLOT_STYLE_POINTS ? PL_LEGEND_SYMBOL
                 : s->style == OFFBKG_PLOT_STYLE_LINE_POINTS
                     ? PL_LEGEND_LINE | PL_LEGEND_SYMBOL
                     : PL_LEGEND_LINE;
        colors[k] = series_color(s, i + (hist_label != NULL));
        styles[k] = s->style == OFFBKG_PLOT_STYLE_DASHED ? 2 : 1;
        widths[k] = 2.0;
        scales[k] = 1.0;
        numbers[k] = 1;
        symbols[k] = POINT_GLYPH;
        text[k++] = s->label;
    }
    if (k > 0) {
        plschr(0, 0.85);
        pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                 PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE,
                 0.02, 0.02, 0.08, 0, COL_BLACK, 1, 0, 0, (PLINT)k, opt,
                 1.0, 1.0, 1.8, 1.0, colors, text, NULL, NULL, NULL, NULL,
                 colors, styles, widths, colors, scales, numbers, symbols);
        plschr(0, 1.0);
    }
out:
    free(opt);
    free(colors);
    free(styles);
    free(widths);
    free(scales);
    free(numbers);
    free(text);
    free(symbols);
}

/* ---- line plots and histograms ---- */

typedef struct lines_fig {
    const offbkg_plot_axes_t *axes;
    const offbkg_plot_series_t *series;
    size_t n_series;
    const double *edges, *heights;      /* the histogram, or NULL */
    size_t n_bins;
    const char *hist_label;
    const char *note;
    range_t x, y;
} lines_fig_t;

static void draw_histogram(const lines_fig_t *f)
{
    bool log_x = f->axes->log_x, log_y = f->axes->log_y;
    size_t n = f->n_bins;
    PLFLT *px = malloc(2 * n * sizeof *px), *py = malloc(2 * n * sizeof *py);
    size_t k = 0;

    if (px == NULL || py == NULL) {
        free(px);
        free(py);
        draw_oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double h = isfinite(f->heights[i]) ? f->heights[i] : 0;
        PLFLT top, x0, x1, fx[4], fy[4];
        if (!drawable(f->edges[i], log_x) || !drawable(f->edges[i + 1], log_x))
            continue;
        x0 = to_axis(f->edges[i], log_x);
        x1 = to_axis(f->edges[i + 1], log_x);
        top = drawable(h, log_y) ? to_axis(h, log_y) : f->y.lo;
        if (top > f->y.lo) {
            fx[0] = fx[1] = x0;
            fx[2] = fx[3] = x1;
            fy[0] = fy[3] = f->y.lo;
            fy[1] = fy[2] = top;
            plcol0(COL_FILL);
            plfill(4, fx, fy);
        }
        px[k] = x0;
        py[k++] = top;
        px[k] = x1;
        py[k++] = top;
    }
    plcol0(2);
    plwidth(2.0);
    if (k > 1)
        plline((PLINT)k, px, py);
    plwidth(1.0);
    free(px);
    free(py);
}

static void draw_lines_fig(const void *data)
{
    const lines_fig_t *f = data;

    pladv(0);
    plvpor(0.12, 0.95, 0.15, 0.91);
    draw_frame(f->axes, f->x, f->y);
    if (f->edges != NULL)
        draw_histogram(f);
    for (size_t i = 0; i < f->n_series; i++)
        draw_series(&f->series[i], i + (f->edges != NULL), f->axes->log_x,
                    f->axes->log_y, f->y);
    /* The frame again, over the fills. */
    plcol0(COL_BLACK);
    plbox("bc", 0, 0, "bc", 0, 0);
    draw_legend(f->edges != NULL ? f->hist_label : NULL, f->series,
                f->n_series);
    draw_note(f->note, 5.0);
}

static int check_axes(offbkg_ctx_t *ctx, const char *path,
                      const offbkg_plot_axes_t *a)
{
    if (a == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: no axes", path);
    return OFFBKG_OK;
}

/* The data ranges of the series (with their error bars). */
static int series_ranges(offbkg_ctx_t *ctx, const char *path,
                         const offbkg_plot_axes_t *a,
                         const offbkg_plot_series_t *series, size_t n,
                         range_t *x, range_t *y, size_t *n_points)
{
    for (size_t i = 0; i < n; i++) {
        const offbkg_plot_series_t *s = &series[i];
        if (s->n > 0 && (s->x == NULL || s->y == NULL))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: series %zu "
                                    "has no values", path, i);
        for (size_t j = 0; j < s->n; j++) {
            if (!drawable(s->x[j], a->log_x) || !drawable(s->y[j], a->log_y))
                continue;
            (*n_points)++;
            range_add(x, s->x[j], a->log_x);
            range_add(y, s->y[j], a->log_y);
            if (s->y_err != NULL && isfinite(s->y_err[j])) {
                range_add(y, s->y[j] + s->y_err[j], a->log_y);
                range_add(y, s->y[j] - s->y_err[j], a->log_y);
            }
        }
    }
    return OFFBKG_OK;
}

int offbkg_plot_lines(offbkg_ctx_t *ctx, const char *path,
                      offbkg_plot_format_t fmt,
                      const offbkg_plot_axes_t *axes,
                      const offbkg_plot_series_t *series, size_t n_series,
                      const char *note)
{
    lines_fig_t f = { .axes = axes, .series = series, .n_series = n_series,
                      .note = note, .x = EMPTY_RANGE, .y = EMPTY_RANGE };
    size_t n_points = 0;
    int st = check_axes(ctx, path, axes);

    if (st == OFFBKG_OK)
        st = series_ranges(ctx, path, axes, series, n_series, &f.x, &f.y,
                           &n_points);
    if (st != OFFBKG_OK)
        return st;
    if (n_points == 0)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: nothing to draw "
                                "(no finite point%s)", path,
                                axes->log_x || axes->log_y
                                    ? " > 0 on the log axes" : "");
    f.x = range_final(f.x, axes->x_min, axes->x_max, axes->log_x);
    f.y = range_final(f.y, axes->y_min, axes->y_max, axes->log_y);
    legend_room(&f.y, axes, series, n_series, false);
    st = check_frame(ctx, path, f.x, f.y);
    if (st != OFFBKG_OK)
        return st;
    return render(ctx, path, fmt, PAGE_W, PAGE_H, draw_lines_fig, &f);
}

int offbkg_plot_histogram(offbkg_ctx_t *ctx, const char *path,
                          offbkg_plot_format_t fmt,
                          const offbkg_plot_axes_t *axes,
                          const double *edges, const double *heights,
                          size_t n_bins, const char *hist_label,
                          const offbkg_plot_series_t *curves,
                          size_t n_curves, const char *note)
{
    lines_fig_t f = { .axes = axes, .series = curves, .n_series = n_curves,
                      .edges = edges, .heights = heights, .n_bins = n_bins,
                      .hist_label = hist_label, .note = note,
                      .x = EMPTY_RANGE, .y = EMPTY_RANGE };
    size_t n_points = 0;
    int st = check_axes(ctx, path, axes);

    if (st != OFFBKG_OK)
        return st;
    if (n_bins == 0 || edges == NULL || heights == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: a histogram "
                                "without bins", path);
    for (size_t i = 0; i < n_bins; i++)
        if (!(edges[i] < edges[i + 1]))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: histogram "
                                    "edges not finite and increasing at "
                                    "bin %zu", path, i);
    st = series_ranges(ctx, path, axes, curves, n_curves, &f.x, &f.y,
                       &n_points);
    if (st != OFFBKG_OK)
        return st;
    range_add(&f.x, edges[0], axes->log_x);
    range_add(&f.x, edges[n_bins], axes->log_x);
    if (!axes->log_y)
        range_add(&f.y, 0, false);
    for (size_t i = 0; i < n_bins; i++)
        if (isfinite(heights[i]))
            range_add(&f.y, heights[i], axes->log_y);
    if (!(f.x.lo <= f.x.hi) || !(f.y.lo <= f.y.hi))
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: nothing to draw",
                                path);
    f.x = range_final(f.x, axes->x_min, axes->x_max, axes->log_x);
    f.y = range_final(f.y, axes->y_min, axes->y_max, axes->log_y);
    /* Bars stand on zero, not below it. */
    if (!axes->log_y && !isfinite(axes->y_min) && f.y.lo < 0
        && f.y.lo > -INFINITY)
        f.y.lo = 0;
    legend_room(&f.y, axes, curves, n_curves, hist_label != NULL);
    st = check_frame(ctx, path, f.x, f.y);
    if (st != OFFBKG_OK)
        return st;
    return render(ctx, path, fmt, PAGE_W, PAGE_H, draw_lines_fig, &f);
}

/* ---- colour maps ---- */

typedef struct maps_fig {
    const char *title;
    const offbkg_plot_map_t *panels;
    size_t n;
    range_t *z;                 /* per panel, in colour-bar units */
    const char *note;
    size_t ncol, nrow;
    PLINT width, height;        /* the page, px */
} maps_fig_t;

/* cmap1: viridis-like for magnitudes, blue-white-red for ratios. */
static void set_colormap(offbkg_plot_zscale_t scale)
{
    static const PLFLT seq_pos[] = { 0, 0.25, 0.5, 0.75, 1 };
    static const PLFLT seq_r[] = { 0.267, 0.231, 0.129, 0.369, 0.992 };
    static const PLFLT seq_g[] = { 0.005, 0.322, 0.569, 0.788, 0.906 };
    static const PLFLT seq_b[] = { 0.329, 0.545, 0.549, 0.384, 0.145 };
    static const PLFLT div_pos[] = { 0, 0.5, 1 };
    static const PLFLT div_r[] = { 0.129, 0.969, 0.698 };
    static const PLFLT div_g[] = { 0.400, 0.969, 0.094 };
    static const PLFLT div_b[] = { 0.675, 0.969, 0.169 };

    if (scale == OFFBKG_PLOT_Z_DIVERGING)
        plscmap1l(1, 3, div_pos, div_r, div_g, div_b, NULL);
    else
        plscmap1l(1, 5, seq_pos, seq_r, seq_g, seq_b, NULL);
}

static double z_frac(const offbkg_plot_map_t *p, range_t z, double v)
{
    double t = (to_axis(v, p->zscale == OFFBKG_PLOT_Z_LOG) - z.lo)
               / (z.hi - z.lo);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

static void draw_panel(const offbkg_plot_map_t *p, range_t z, double x0,
                       double x1, double y0, double y1, double chr,
                       double page_aspect)
{
    /* Map, then its colour bar at the right. */
    double w = x1 - x0, h = y1 - y0;
    double mx0 = x0 + 0.16 * w, mx1 = x1 - 0.32 * w;
    double my0 = y0 + 0.16 * h, my1 = y1 - 0.12 * h;
    double cx0 = x1 - 0.27 * w, cx1 = x1 - 0.235 * w;
    bool zlog = p->zscale == OFFBKG_PLOT_Z_LOG;
    offbkg_plot_axes_t a = { .title = p->title, .x_label = p->x_label,
                             .y_label = p->y_label, .log_x = p->log_x,
                             .log_y = p->log_y };
    range_t xr = { to_axis(p->x_edges[0], p->log_x),
                   to_axis(p->x_edges[p->nx], p->log_x) };
    range_t yr = { to_axis(p->y_edges[0], p->log_y),
                   to_axis(p->y_edges[p->ny], p->log_y) };
    /* A field of view (the same linear range on both axes) is drawn
     * square: a degree is as long across as up. */
    if (!p->log_x && !p->log_y && xr.hi - xr.lo == yr.hi - yr.lo) {
        double wpx = (mx1 - mx0) * page_aspect, hpx = my1 - my0;
        if (wpx > hpx) {
            double shift = (mx1 - mx0) - hpx / page_aspect;
            mx1 -= shift;
            cx0 -= shift;
            cx1 -= shift;
        } else {
            double cut = (hpx - wpx) / 2;
            my0 += cut;
            my1 -= cut;
        }
    }
    plschr(0, chr);
    set_colormap(p->zscale);
    plvpor(mx0, mx1, my0, my1);
    plwind(xr.lo, xr.hi, yr.lo, yr.hi);
    for (size_t ix = 0; ix < p->nx; ix++)
        for (size_t iy = 0; iy < p->ny; iy++) {
            double v = p->z[ix * p->ny + iy];
            PLFLT fx[4], fy[4];
            if (!drawable(v, zlog))
                continue;
            fx[0] = fx[1] = to_axis(p->x_edges[ix], p->log_x);
            fx[2] = fx[3] = to_axis(p->x_edges[ix + 1], p->log_x);
            fy[0] = fy[3] = to_axis(p->y_edges[iy], p->log_y);
            fy[1] = fy[2] = to_axis(p->y_edges[iy + 1], p->log_y);
            plcol1(z_frac(p, z, v));
            plfill(4, fx, fy);
        }
    plcol0(COL_BLACK);
    plbox(p->log_x ? "bcnstl" : "bcnst", 0, 0,
          p->log_y ? "bcnstvl" : "bcnstv", 0, 0);
    plmtex("b", 3.0, 0.5, 0.5, a.x_label ? a.x_label : "");
    plmtex("l", 4.5, 0.5, 0.5, a.y_label ? a.y_label : "");
    plmtex("t", 1.2, 0.5, 0.5, a.title ? a.title : "");

    /* The colour bar: 128 steps over the colour range. */
    plvpor(cx0, cx1, my0, my1);
    plwind(0, 1, z.lo, z.hi);
    for (int k = 0; k < 128; k++) {
        PLFLT fx[4] = { 0, 0, 1, 1 }, fy[4];
        fy[0] = fy[3] = z.lo + (z.hi - z.lo) * k / 128.0;
        fy[1] = fy[2] = z.lo + (z.hi - z.lo) * (k + 1) / 128.0;
        plcol1((k + 0.5) / 128.0);
        plfill(4, fx, fy);
    }
    plcol0(COL_BLACK);
    if (zlog) {
        /* PLplot labels powers of ten only, and a map's range is often
         * less than a decade: five labels of our own. */
        plbox("bc", 0, 0, "bcstl", 0, 0);
        for (int k = 0; k <= 4; k++) {
            char lab[32];
            z_tick_label(lab, sizeof lab,
                         pow(10, z.lo + (z.hi - z.lo) * k / 4.0));
            plmtex("rv", 0.6, k / 4.0, 0.0, lab);
        }
    } else {
        plbox("bc", 0, 0, "bcmstv", 0, 0);
    }
    plmtex("r", zlog ? 6.5 : 5.0, 0.5, 0.5, p->z_label ? p->z_label : "");
    plschr(0, 1.0);
}

static void draw_maps_fig(const void *data)
{
    const maps_fig_t *f = data;
    size_t ncol = f->ncol, nrow = f->nrow;
    double top = nrow > 1 ? 0.95 : 0.93, bottom = 0.04;
    /* The driver scales text with the page: keep it the size of a
     * one-panel figure's. */
    double scale = fmin((double)PAGE_W / f->width,
                        (double)PAGE_H / f->height);
    double chr = (f->n == 1 ? 1.0 : 0.9) * scale;

    pladv(0);
    plvpor(0, 1, 0, 1);
    plwind(0, 1, 0, 1);
    plcol0(COL_BLACK);
    plschr(0, 1.15 * scale);
    plptex(0.5, 1 - 0.035 * scale, 1, 0, 0.5, f->title ? f->title : "");
    if (f->note != NULL && *f->note != '\0') {
        plschr(0, 0.8 * scale);
        plptex(0.01, 0.015 * scale, 1, 0, 0, f->note);
    }
    plschr(0, 1.0);
    for (size_t i = 0; i < f->n; i++) {
        size_t r = i / ncol, c = i % ncol;
        double h = (top - bottom) / (double)nrow;
        double y1 = top - h * (double)r;
        draw_panel(&f->panels[i], f->z[i], (double)c / (double)ncol,
                   (double)(c + 1) / (double)ncol, y1 - h, y1, chr,
                   (double)f->width / f->height);
    }
}

static bool edges_ok(const double *e, size_t n, bool log_axis)
{
    if (e == NULL || !drawable(e[0], log_axis))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(e[i] < e[i + 1]) || !isfinite(e[i + 1]))
            return false;
    return true;
}

/* The colour range of panel @p p, in colour-bar units (log10 for a log
 * map); false when it has no drawable cell. */
static bool panel_zrange(const offbkg_plot_map_t *p, range_t *out)
{
    bool zlog = p->zscale == OFFBKG_PLOT_Z_LOG;
    range_t r = EMPTY_RANGE;
    double d = 0;

    for (size_t i = 0; i < p->nx * p->ny; i++) {
        range_add(&r, p->z[i], zlog);
        if (isfinite(p->z[i]) && fabs(p->z[i] - p->z_centre) > d)
            d = fabs(p->z[i] - p->z_centre);
    }
    if (!(r.lo <= r.hi))
        return false;
    if (p->zscale == OFFBKG_PLOT_Z_DIVERGING) {
        double c = p->z_centre;
        if (isfinite(p->z_min) && isfinite(p->z_max) && p->z_min < p->z_max)
            d = fmax(fabs(p->z_min - c), fabs(p->z_max - c));
        if (!(d > 0))
            d = c != 0 ? fabs(c) * 0.01 : 1;
        out->lo = c - d;
        out->hi = c + d;
        return true;
    }
    if (isfinite(p->z_min) && isfinite(p->z_max) && p->z_min < p->z_max
        && drawable(p->z_min, zlog)) {
        r.lo = to_axis(p->z_min, zlog);
        r.hi = to_axis(p->z_max, zlog);
    } else if (r.hi <= r.lo) {
        r = range_final(r, NAN, NAN, zlog);     /* one value: padded */
    } else if (zlog && r.lo < r.hi - LOG_MAP_DECADES) {
        r.lo = r.hi - LOG_MAP_DECADES;  /* a smoother's far tails */
    }
    *out = r;
    return true;
}

int offbkg_plot_maps(offbkg_ctx_t *ctx, const char *path,
                     offbkg_plot_format_t fmt, const char *title,
                     const offbkg_plot_map_t *panels, size_t n_panels,
                     const char *note)
{
    range_t z[6];
    maps_fig_t f = { .title = title, .panels = panels, .n = n_panels,
                     .z = z, .note = note };

    if (panels == NULL || n_panels < 1 || n_panels > 6)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu panels (1 to "
                                "6 are drawn)", path, n_panels);
    for (size_t i = 0; i < n_panels; i++) {
        const offbkg_plot_map_t *p = &panels[i];
        if (p->nx == 0 || p->ny == 0 || p->z == NULL
            || !edges_ok(p->x_edges, p->nx, p->log_x)
            || !edges_ok(p->y_edges, p->ny, p->log_y))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: panel %zu: "
                                    "no cells, or edges not increasing%s",
                                    path, i + 1,
                                    p->log_x || p->log_y
                                        ? " (and > 0 on a log axis)" : "");
        if (!panel_zrange(p, &z[i]) || !range_finite(z[i]))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: panel %zu: "
                                    "nothing to draw (no finite value%s)",
                                    path, i + 1,
                                    p->zscale == OFFBKG_PLOT_Z_LOG
                                        ? " > 0" : "");
    }
    /* Several panels: about 420 x 500 px each. */
    f.ncol = n_panels == 4 ? 2 : n_panels > 3 ? 3 : n_panels;
    f.nrow = (n_panels + f.ncol - 1) / f.ncol;
    f.width = f.ncol == 1 ? PAGE_W : 420 * (PLINT)f.ncol;
    f.height = f.ncol == 1 ? PAGE_H : 500 * (PLINT)f.nrow;
    return render(ctx, path, fmt, f.width, f.height, draw_maps_fig, &f);
}

#endif /* HAVE_PLPLOT */
