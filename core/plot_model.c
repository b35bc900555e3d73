/* SPDX-License-Identifier: BSD-3-Clause
 * The figures of background models (core/plot_model-private.h; what each
 * shows: doc/plot.md §2). The model is read with offbkg_bkg_read, so any
 * GADF bkg_2d / bkg_3d file it reads is drawn, ours or not; its header's
 * GROUP_ID, NRUNS and SMOOTHER, when there, are named on the figures. */
#include <config.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>

#include <offbkg/types.h>

#include "bkg-private.h"
#include "input-private.h"
#include "plot_model-private.h"

#define MAX_PICKS 6             /* energies or offsets drawn, at most */
#define RATE_LABEL "rate (s#u-1#d MeV#u-1#d sr#u-1#d)"
#define ENERGY_LABEL "energy (TeV)"
#define OFFSET_LABEL "offset (deg)"
#define DETX_LABEL "DETX = FoV lon (deg)"
#define DETY_LABEL "DETY = FoV lat (deg)"

/* A model read for drawing. */
typedef struct model {
    offbkg_cube_t *cube;
    char name[128];             /* the file's name, as PLplot text */
    char stem[256];             /* the file's name without .fits[.gz] */
    char desc[160];             /* "group 0, 10 runs, smoothed (gauss1d)" */
    bool has_counts;            /* a COUNTS HDU with events */
} model_t;

void offbkg_plot_model_list_free(offbkg_plot_model_list_t *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->paths[i]);
    free(list->paths);
    list->paths = NULL;
    list->n = 0;
}

static int list_add(offbkg_ctx_t *ctx, offbkg_plot_model_list_t *list,
                    const char *path)
{
    char **p = realloc(list->paths, (list->n + 1) * sizeof *p);

    if (p == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    list->paths = p;
    p[list->n] = strdup(path);
    if (p[list->n] == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    list->n++;
    return OFFBKG_OK;
}

/* ---- reading ---- */

/* GROUP_ID, NRUNS and SMOOTHER of the model's header, as a phrase (""
 * when none is there). The file was read once already: a failure here
 * only loses the phrase. */
static void describe(offbkg_ctx_t *ctx, const char *path, model_t *m)
{
    static const char *const hdus[] = { "BACKGROUND" };
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    char smoother[FLEN_VALUE] = "", buf[160] = "";
    int st = 0, group = -1;
    long n_runs = -1;
    offbkg_ctx_t *quiet = offbkg_ctx_new_child(ctx);

    m->desc[0] = '\0';
    if (quiet == NULL)
        return;
    if (offbkg_input_open(quiet, path, hdus, 1, &mem, &f) == OFFBKG_OK
        && fits_movnam_hdu(f, BINARY_TBL, "BACKGROUND", 0, &st) == 0) {
        st = 0;
        if (fits_read_key(f, TINT, "GROUP_ID", &group, NULL, &st) != 0)
            group = -1;
        st = 0;
        if (fits_read_key(f, TLONG, "NRUNS", &n_runs, NULL, &st) != 0)
            n_runs = -1;
        st = 0;
        if (fits_read_key(f, TSTRING, "SMOOTHER", smoother, NULL, &st) != 0)
            smoother[0] = '\0';
        fits_clear_errmsg();
    }
    offbkg_input_close(f, &mem);
    offbkg_ctx_free(quiet);
    if (group >= 0)
        snprintf(buf, sizeof buf, "group %d", group);
    if (n_runs >= 0)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%ld run%s",
                 buf[0] ? ", " : "", n_runs, n_runs == 1 ? "" : "s");
    if (smoother[0] != '\0')
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
                 "%ssmoothed (%s)", buf[0] ? ", " : "", smoother);
    offbkg_plot_text(m->desc, sizeof m->desc, buf);
}

static int model_load(offbkg_ctx_t *ctx, const char *path, model_t *m)
{
    const char *base = strrchr(path, '/');
    size_t len;
    int st;

    memset(m, 0, sizeof *m);
    st = offbkg_bkg_read(ctx, path, &m->cube);
    if (st != OFFBKG_OK)
        return st;
    base = base != NULL ? base + 1 : path;
    offbkg_plot_text(m->name, sizeof m->name, base);
    snprintf(m->stem, sizeof m->stem, "%s", base);
    len = strlen(m->stem);
    if (len > 3 && strcmp(m->stem + len - 3, ".gz") == 0)
        m->stem[len -= 3] = '\0';
    if (len > 5 && strcmp(m->stem + len - 5, ".fits") == 0)
        m->stem[len - 5] = '\0';
    for (size_t i = 0; i < m->cube->n_cells && !m->has_counts; i++)
        m->has_counts = m->cube->counts[i] > 0;
    describe(ctx, path, m);
    return OFFBKG_OK;
}

static void model_free(model_t *m)
{
    offbkg_cube_free(m->cube);
    m->cube = NULL;
}

/* ---- bins ---- */

static size_t find_bin(const offbkg_axis_t *ax, double v)
{
    if (!(v >= ax->edges[0] && v <= ax->edges[ax->n_bins]))
        return SIZE_MAX;
    for (size_t i = 0; i < ax->n_bins; i++)
        if (v < ax->edges[i + 1])
            return i;
    return ax->n_bins - 1;
}

/* The bins to draw: those holding the values asked for (a value outside
 * the axis is left out with a warning), else @p n_default spread evenly
 * over the bins. *n_out is at least 1 on success. */
static int pick_bins(offbkg_ctx_t *ctx, const char *path,
                     const offbkg_axis_t *ax, const double *want,
                     size_t n_want, size_t n_default, const char *what,
                     size_t *out, size_t *n_out)
{
    *n_out = 0;
    if (want == NULL || n_want == 0) {
        size_t n = n_default < ax->n_bins ? n_default : ax->n_bins;
        for (size_t k = 0; k < n; k++) {
            size_t b = (2 * k + 1) * ax->n_bins / (2 * n);
            if (*n_out == 0 || out[*n_out - 1] != b)
                out[(*n_out)++] = b;
        }
        return OFFBKG_OK;
    }
    for (size_t k = 0; k < n_want && *n_out < MAX_PICKS; k++) {
        size_t b = find_bin(ax, want[k]);
        bool dup = false;
        if (b == SIZE_MAX) {
            offbkg_log(ctx, OFFBKG_LOG_WARN, "%s: %s %g %s is outside the "
                       "model's axis (%g to %g %s): left out", path, what,
                       want[k], ax->unit, ax->edges[0],
                       ax->edges[ax->n_bins], ax->unit);
            continue;
        }
        for (size_t j = 0; j < *n_out; j++)
            dup = dup || out[j] == b;
        if (!dup)
            out[(*n_out)++] = b;
    }
    if (*n_out == 0)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: no %s asked for is "
                                "within the model's axis (%g to %g %s)",
                                path, what, ax->edges[0],
                                ax->edges[ax->n_bins], ax->unit);
    return OFFBKG_OK;
}

static void bin_label(char *out, size_t size, const char *what,
                      const offbkg_axis_t *ax, size_t b)
{
    snprintf(out, size, "%s%s%.3g-%.3g %s", what, what[0] ? " " : "",
             ax->edges[b], ax->edges[b + 1], ax->unit);
}

static double centre(const offbkg_axis_t *ax, size_t b, bool log_axis)
{
    return log_axis ? sqrt(ax->edges[b] * ax->edges[b + 1])
                    : 0.5 * (ax->edges[b] + ax->edges[b + 1]);
}

/* ---- figures ---- */

static int figure_path(offbkg_ctx_t *ctx, char *out, size_t size,
                       const char *dir, const char *stem, const char *kind,
                       offbkg_plot_format_t fmt)
{
    int n = snprintf(out, size, "%s/%s_%s.%s", dir, stem, kind,
                     offbkg_plot_format_ext(fmt));
    if (n < 0 || (size_t)n >= size)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s/%s_%s: path too "
                                "long", dir, stem, kind);
    return OFFBKG_OK;
}

static const offbkg_plot_axes_t AUTO_AXES = {
    .x_min = NAN, .x_max = NAN, .y_min = NAN, .y_max = NAN
};

/* The note under a figure: the header's phrase, then @p extra. */
static void note_of(char *out, size_t size, const model_t *m,
                    const char *extra)
{
    snprintf(out, size, "%s%s%s", m->desc, m->desc[0] && extra[0] ? "; " : "",
             extra);
}

/* "FOVALIGN=RADEC, fov_lon = -lon_off (GADF)" for a 3D model. */
static void fov_note(char *out, size_t size, const offbkg_cube_t *c)
{
    snprintf(out, size, "FOVALIGN=%s, fov_lon = %slon_off (%s)",
             c->fov_alignment[0] ? c->fov_alignment : "RADEC",
             c->fov_lon_sign > 0 ? "+" : "-",
             c->fov_lon_sign > 0 ? "as gammapy 1.0-1.2 read RADEC"
                                 : "the GADF sign");
}

/* Curves of rate against the axis @p along (0: energy, 1: offset) of a
 * 2D model, one per picked bin of the other axis; with @p b, model B's
 * curves dashed over A's (B's bins holding A's picked centres). */
typedef struct curves {
    double x[2][MAX_PICKS][512], y[2][MAX_PICKS][512], e[2][MAX_PICKS][512];
    char label[MAX_PICKS][64];
    offbkg_plot_series_t s[2 * MAX_PICKS];
    size_t n_series;
} curves_t;

static void add_curve_2d(curves_t *cv, int which, size_t k,
                         const offbkg_cube_t *c, int along, double other)
{
    const offbkg_axis_t *ax = &c->axes[along], *ox = &c->axes[1 - along];
    size_t ob = find_bin(ox, other), n = ax->n_bins < 512 ? ax->n_bins : 512;
    offbkg_plot_series_t *s = &cv->s[cv->n_series++];

    for (size_t i = 0; i < n; i++) {
        size_t ie = along == 0 ? i : ob, it = along == 0 ? ob : i;
        size_t cell = ie * c->axes[1].n_bins + it;
        cv->x[which][k][i] = centre(ax, i, along == 0);
        cv->y[which][k][i] = ob == SIZE_MAX ? NAN : c->rate[cell];
        cv->e[which][k][i] = ob == SIZE_MAX ? NAN : c->rate_err[cell];
    }
    *s = (offbkg_plot_series_t){
        .label = which == 0 ? cv->label[k] : NULL, .n = n,
        .x = cv->x[which][k], .y = cv->y[which][k],
        .y_err = which == 0 ? cv->e[which][k] : NULL,
        .style = which == 0 ? OFFBKG_PLOT_STYLE_LINE_POINTS
                            : OFFBKG_PLOT_STYLE_DASHED,
        .color = (int)(2 + k) };
}

/* Radial profile of a 3D model at energy bin @p ie: the mean rate of the
 * cells whose centre is in each annulus of the cells' width, out to the
 * largest circle inside the FoV. */
static size_t radial_profile(const offbkg_cube_t *c, size_t ie, double *r,
                             double *mean, size_t max_n)
{
    const offbkg_axis_t *ax = &c->axes[1], *ay = &c->axes[2];
    size_t nx = ax->n_bins, ny = ay->n_bins, n;
    double dr = fmin(ax->edges[1] - ax->edges[0], ay->edges[1] - ay->edges[0]);
    double r_max = fmin(fmin(fabs(ax->edges[0]), fabs(ax->edges[nx])),
                        fmin(fabs(ay->edges[0]), fabs(ay->edges[ny])));
    double sum[512] = { 0 };
    size_t cnt[512] = { 0 };

    if (!(r_max > dr))
        r_max = fmax(fmax(fabs(ax->edges[0]), fabs(ax->edges[nx])),
                     fmax(fabs(ay->edges[0]), fabs(ay->edges[ny])));
    n = (size_t)(r_max / dr);
    if (n > max_n)
        n = max_n;
    if (n > 512)
        n = 512;
    for (size_t ix = 0; ix < nx; ix++)
        for (size_t iy = 0; iy < ny; iy++) {
            double x = centre(ax, ix, false), y = centre(ay, iy, false);
            size_t k = (size_t)(hypot(x, y) / dr);
            if (k < n) {
                sum[k] += c->rate[(ie * nx + ix) * ny + iy];
                cnt[k]++;
            }
        }
    for (size_t k = 0; k < n; k++) {
        r[k] = (k + 0.5) * dr;
        mean[k] = cnt[k] ? sum[k] / (double)cnt[k] : NAN;
    }
    return n;
}

static void add_profile_3d(curves_t *cv, int which, size_t k,
                           const offbkg_cube_t *c, double energy)
{
    size_t ie = find_bin(&c->axes[0], energy), n = 0;
    offbkg_plot_series_t *s = &cv->s[cv->n_series++];

    if (ie != SIZE_MAX)
        n = radial_profile(c, ie, cv->x[which][k], cv->y[which][k], 512);
    *s = (offbkg_plot_series_t){
        .label = which == 0 ? cv->label[k] : NULL, .n = n,
        .x = cv->x[which][k], .y = cv->y[which][k],
        .style = which == 0 ? OFFBKG_PLOT_STYLE_LINE_POINTS
                            : OFFBKG_PLOT_STYLE_DASHED,
        .color = (int)(2 + k) };
}

/* Draw the curves (@p along: 0 energy, 1 offset, 2 radial profile) of
 * model @p a (and @p b dashed) at the picked bins of the other axis. */
static int draw_curves(offbkg_ctx_t *ctx, const char *path,
                       const offbkg_plot_model_opts_t *o, const model_t *a,
                       const model_t *b, int along, const size_t *picks,
                       size_t n_picks, const char *title, const char *note)
{
    curves_t *cv = calloc(1, sizeof *cv);
    const offbkg_cube_t *c = a->cube;
    const offbkg_axis_t *other = &c->axes[along == 0 ? 1 : 0];
    offbkg_plot_axes_t axes = AUTO_AXES;
    int st;

    if (cv == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (int which = 0; which < (b != NULL ? 2 : 1); which++)
        for (size_t k = 0; k < n_picks; k++) {
            const offbkg_cube_t *m = which == 0 ? c : b->cube;
            double at = centre(other, picks[k], along != 0);
            bin_label(cv->label[k], sizeof cv->label[k],
                      along == 0 ? "offset" : "E", other, picks[k]);
            if (along == 2)
                add_profile_3d(cv, which, k, m, at);
            else
                add_curve_2d(cv, which, k, m, along, at);
        }
    axes.title = title;
    axes.x_label = along == 0 ? ENERGY_LABEL : OFFSET_LABEL;
    axes.y_label = RATE_LABEL;
    axes.log_x = along == 0;
    axes.log_y = true;
    st = offbkg_plot_lines(ctx, path, o->format, &axes, cv->s, cv->n_series,
                           note);
    free(cv);
    return st;
}

/* One rate figure of a 2D model (B's dashed over A's when @p b): the
 * rate along axis @p along (0 energy, 1 offset) for the bins of the
 * other axis picked from @p want (@p n_want of them, else @p n_default
 * spread over it). */
static int rate_figure_2d(offbkg_ctx_t *ctx, const char *dir,
                          const offbkg_plot_model_opts_t *o,
                          const model_t *a, const model_t *b,
                          const char *stem, const char *source, int along,
                          const double *want, size_t n_want,
                          size_t n_default, const char *note,
                          offbkg_plot_model_list_t *written)
{
    static const char *const what[2] = { "energy", "offset" };
    size_t picks[MAX_PICKS], n;
    char path[PATH_MAX], title[320], suffix[16];
    int st = pick_bins(ctx, source, &a->cube->axes[1 - along], want, n_want,
                       n_default, what[1 - along], picks, &n);

    snprintf(suffix, sizeof suffix, "rate_%s", what[along]);
    if (st == OFFBKG_OK)
        st = figure_path(ctx, path, sizeof path, dir, stem, suffix,
                         o->format);
    if (st != OFFBKG_OK)
        return st;
    if (b != NULL)
        snprintf(title, sizeof title,
                 "Rate against %s: A (solid) and B (dashed)", what[along]);
    else
        snprintf(title, sizeof title, "Rate against %s: %s", what[along],
                 a->name);
    st = draw_curves(ctx, path, o, a, b, along, picks, n, title, note);
    return st == OFFBKG_OK ? list_add(ctx, written, path) : st;
}

static int rate_figures_2d(offbkg_ctx_t *ctx, const char *dir,
                           const offbkg_plot_model_opts_t *o,
                           const model_t *a, const model_t *b,
                           const char *stem, const char *source,
                           offbkg_plot_model_list_t *written)
{
    char note[512];
    int st;

    if (b != NULL)
        snprintf(note, sizeof note, "A: %s; B: %s", a->name, b->name);
    else
        note_of(note, sizeof note, a, "");
    st = rate_figure_2d(ctx, dir, o, a, b, stem, source, 0, o->offsets_deg,
                        o->n_offsets, 4, note, written);
    if (st == OFFBKG_OK)
        st = rate_figure_2d(ctx, dir, o, a, b, stem, source, 1,
                            o->energies_tev, o->n_energies, 3, note,
                            written);
    return st;
}

/* Counts and relative error (rate_err / rate) per (energy, offset) cell
 * of a 2D model with counts. */
static int counts_figure_2d(offbkg_ctx_t *ctx, const char *dir,
                            const offbkg_plot_model_opts_t *o,
                            const model_t *m,
                            offbkg_plot_model_list_t *written)
{
    const offbkg_cube_t *c = m->cube;
    double *rel = malloc(c->n_cells * sizeof *rel);
    offbkg_plot_map_t p[2];
    char path[PATH_MAX], title[320];
    int st;

    if (rel == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n_cells; i++)
        rel[i] = c->rate[i] > 0 ? c->rate_err[i] / c->rate[i] : NAN;
    for (int k = 0; k < 2; k++)
        p[k] = (offbkg_plot_map_t){
            .x_label = ENERGY_LABEL, .y_label = OFFSET_LABEL,
            .nx = c->axes[0].n_bins, .ny = c->axes[1].n_bins,
            .x_edges = c->axes[0].edges, .y_edges = c->axes[1].edges,
            .log_x = true, .z_min = NAN, .z_max = NAN };
    p[0].title = "counts";
    p[0].z_label = "events per cell";
    p[0].z = c->counts;
    p[0].zscale = OFFBKG_PLOT_Z_LOG;
    p[1].title = "relative error of the rate";
    p[1].z_label = "rate error / rate";
    p[1].z = rel;
    p[1].zscale = OFFBKG_PLOT_Z_LINEAR;
    snprintf(title, sizeof title, "Counts and relative error: %s", m->name);
    st = figure_path(ctx, path, sizeof path, dir, m->stem, "counts",
                     o->format);
    if (st == OFFBKG_OK)
        st = offbkg_plot_maps(ctx, path, o->format, title, p, 2, m->desc);
    if (st == OFFBKG_OK)
        st = list_add(ctx, written, path);
    free(rel);
    return st;
}

static offbkg_plot_map_t fov_panel(const offbkg_cube_t *c, const double *z)
{
    return (offbkg_plot_map_t){
        .x_label = DETX_LABEL, .y_label = DETY_LABEL,
        .nx = c->axes[1].n_bins, .ny = c->axes[2].n_bins,
        .x_edges = c->axes[1].edges, .y_edges = c->axes[2].edges, .z = z,
        .z_min = NAN, .z_max = NAN };
}

/* Rate maps of a 3D model at the picked energies; with @p b, the ratio
 * B / A instead (same binning). */
static int fov_figure(offbkg_ctx_t *ctx, const char *path,
                      const offbkg_plot_model_opts_t *o, const model_t *a,
                      const model_t *b, const size_t *picks, size_t n,
                      const char *title)
{
    const offbkg_cube_t *c = a->cube;
    size_t slice = c->axes[1].n_bins * c->axes[2].n_bins;
    offbkg_plot_map_t p[MAX_PICKS];
    char labels[MAX_PICKS][64], fov[128], note[512];
    double *ratio = NULL;
    int st;

    if (b != NULL) {
        double dev = 0;
        ratio = malloc(c->n_cells * sizeof *ratio);
        if (ratio == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        for (size_t i = 0; i < c->n_cells; i++) {
            ratio[i] = c->rate[i] > 0 ? b->cube->rate[i] / c->rate[i] : NAN;
            if (isfinite(ratio[i]) && fabs(ratio[i] - 1) > dev)
                dev = fabs(ratio[i] - 1);
        }
        /* Beyond a factor 2 either way the end colours say enough. */
        dev = dev > 1 ? 1 : dev > 0 ? dev : 0.01;
        for (size_t k = 0; k < n; k++) {
            p[k] = fov_panel(c, ratio + picks[k] * slice);
            p[k].zscale = OFFBKG_PLOT_Z_DIVERGING;
            p[k].z_centre = 1;
            p[k].z_min = 1 - dev;
            p[k].z_max = 1 + dev;
            p[k].z_label = "rate ratio B / A";
        }
    } else {
        for (size_t k = 0; k < n; k++) {
            p[k] = fov_panel(c, c->rate + picks[k] * slice);
            p[k].zscale = OFFBKG_PLOT_Z_LOG;
            p[k].z_label = RATE_LABEL;
        }
    }
    for (size_t k = 0; k < n; k++) {
        bin_label(labels[k], sizeof labels[k], "E", &c->axes[0], picks[k]);
        p[k].title = labels[k];
    }
    fov_note(fov, sizeof fov, c);
    if (b != NULL)
        snprintf(note, sizeof note, "A: %s, B: %s; %s", a->name, b->name,
                 fov);
    else
        note_of(note, sizeof note, a, fov);
    st = offbkg_plot_maps(ctx, path, o->format, title, p, n, note);
    free(ratio);
    return st;
}

/* Counts summed over energy and the mean exposure of a 3D model. */
static int counts_figure_3d(offbkg_ctx_t *ctx, const char *dir,
                            const offbkg_plot_model_opts_t *o,
                            const model_t *m,
                            offbkg_plot_model_list_t *written)
{
    const offbkg_cube_t *c = m->cube;
    size_t ne = c->axes[0].n_bins, slice = c->axes[1].n_bins
                                           * c->axes[2].n_bins;
    double *sum = calloc(2 * slice, sizeof *sum);
    offbkg_plot_map_t p[2];
    char path[PATH_MAX], title[320], fov[128], note[512];
    int st;

    if (sum == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t ie = 0; ie < ne; ie++)
        for (size_t i = 0; i < slice; i++) {
            sum[i] += c->counts[ie * slice + i];
            sum[slice + i] += c->exposure_s[ie * slice + i] / (double)ne;
        }
    p[0] = fov_panel(c, sum);
    p[0].title = "counts, all energies";
    p[0].z_label = "events per cell";
    p[0].zscale = OFFBKG_PLOT_Z_LOG;
    p[1] = fov_panel(c, sum + slice);
    p[1].title = "exposure, mean over energy";
    p[1].z_label = "exposure (s)";
    p[1].zscale = OFFBKG_PLOT_Z_LINEAR;
    snprintf(title, sizeof title, "Counts and exposure: %s", m->name);
    fov_note(fov, sizeof fov, c);
    note_of(note, sizeof note, m, fov);
    st = figure_path(ctx, path, sizeof path, dir, m->stem, "counts",
                     o->format);
    if (st == OFFBKG_OK)
        st = offbkg_plot_maps(ctx, path, o->format, title, p, 2, note);
    if (st == OFFBKG_OK)
        st = list_add(ctx, written, path);
    free(sum);
    return st;
}

/* The FoV maps (or ratio maps) and the radial profiles of a 3D model
 * (or two). */
static int figures_3d(offbkg_ctx_t *ctx, const char *dir,
                      const offbkg_plot_model_opts_t *o, const model_t *a,
                      const model_t *b, bool ratio, const char *stem,
                      const char *source, offbkg_plot_model_list_t *written)
{
    const offbkg_cube_t *c = a->cube;
    size_t picks[MAX_PICKS], n;
    char path[PATH_MAX], title[320], note[512], fov[128];
    int st = pick_bins(ctx, source, &c->axes[0], o->energies_tev,
                       o->n_energies, 3, "energy", picks, &n);

    if (st == OFFBKG_OK && (b == NULL || ratio)) {
        st = figure_path(ctx, path, sizeof path, dir, stem,
                         b ? "ratio" : "fov", o->format);
        if (b != NULL)
            snprintf(title, sizeof title, "Rate ratio B / A in the field of "
                     "view");
        else
            snprintf(title, sizeof title, "Rate in the field of view: %s",
                     a->name);
        if (st == OFFBKG_OK)
            st = fov_figure(ctx, path, o, a, b, picks, n, title);
        if (st == OFFBKG_OK)
            st = list_add(ctx, written, path);
    }
    if (st != OFFBKG_OK)
        return st;
    st = figure_path(ctx, path, sizeof path, dir, stem, "profile",
                     o->format);
    if (st != OFFBKG_OK)
        return st;
    if (b != NULL)
        snprintf(title, sizeof title, "Radial profile: A (solid) and B (dashed)");
    else
        snprintf(title, sizeof title, "Radial profile: %s", a->name);
    fov_note(fov, sizeof fov, c);
    if (b != NULL)
        snprintf(note, sizeof note, "A: %s; B: %s", a->name, b->name);
    else
        note_of(note, sizeof note, a, "mean over annuli of the cells' width");
    st = draw_curves(ctx, path, o, a, b, 2, picks, n, title, note);
    if (st == OFFBKG_OK)
        st = list_add(ctx, written, path);
    return st;
}

static const offbkg_plot_model_opts_t DEFAULT_OPTS = { 0 };

int offbkg_plot_model(offbkg_ctx_t *ctx, const char *model, const char *dir,
                      const offbkg_plot_model_opts_t *opts,
                      offbkg_plot_model_list_t *written)
{
    const offbkg_plot_model_opts_t *o = opts ? opts : &DEFAULT_OPTS;
    model_t m;
    int st;

    if (!offbkg_plot_available())
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s",
                                OFFBKG_PLOT_UNAVAILABLE);
    st = model_load(ctx, model, &m);
    if (st != OFFBKG_OK)
        return st;
    if (m.cube->n_axes == 2) {
        st = rate_figures_2d(ctx, dir, o, &m, NULL, m.stem, model, written);
        if (st == OFFBKG_OK && m.has_counts)
            st = counts_figure_2d(ctx, dir, o, &m, written);
    } else {
        st = figures_3d(ctx, dir, o, &m, NULL, false, m.stem, model,
                        written);
        if (st == OFFBKG_OK && m.has_counts)
            st = counts_figure_3d(ctx, dir, o, &m, written);
    }
    model_free(&m);
    return st;
}

static bool same_binning(const offbkg_cube_t *a, const offbkg_cube_t *b)
{
    if (a->n_axes != b->n_axes)
        return false;
    for (size_t k = 0; k < a->n_axes; k++) {
        const offbkg_axis_t *x = &a->axes[k], *y = &b->axes[k];
        if (x->n_bins != y->n_bins)
            return false;
        for (size_t i = 0; i <= x->n_bins; i++)
            if (fabs(x->edges[i] - y->edges[i])
                > 1e-9 * fmax(1, fabs(x->edges[i])))
                return false;
    }
    return true;
}

/* The ratio B / A of two 2D models over (energy, offset). */
static int ratio_figure_2d(offbkg_ctx_t *ctx, const char *path,
                           const offbkg_plot_model_opts_t *o,
                           const model_t *a, const model_t *b)
{
    const offbkg_cube_t *c = a->cube;
    double *ratio = malloc(c->n_cells * sizeof *ratio), dev = 0;
    offbkg_plot_map_t p;
    char note[512];
    int st;

    if (ratio == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n_cells; i++) {
        ratio[i] = c->rate[i] > 0 ? b->cube->rate[i] / c->rate[i] : NAN;
        if (isfinite(ratio[i]) && fabs(ratio[i] - 1) > dev)
            dev = fabs(ratio[i] - 1);
    }
    dev = dev > 1 ? 1 : dev > 0 ? dev : 0.01;
    p = (offbkg_plot_map_t){
        .title = "rate ratio B / A", .x_label = ENERGY_LABEL,
        .y_label = OFFSET_LABEL, .z_label = "rate ratio B / A",
        .nx = c->axes[0].n_bins, .ny = c->axes[1].n_bins,
        .x_edges = c->axes[0].edges, .y_edges = c->axes[1].edges,
        .z = ratio, .log_x = true, .zscale = OFFBKG_PLOT_Z_DIVERGING,
        .z_centre = 1, .z_min = 1 - dev, .z_max = 1 + dev };
    snprintf(note, sizeof note, "A: %s, B: %s", a->name, b->name);
    st = offbkg_plot_maps(ctx, path, o->format, "Rate ratio B / A", &p, 1,
                          note);
    free(ratio);
    return st;
}

int offbkg_plot_model_compare(offbkg_ctx_t *ctx, const char *model_a,
                              const char *model_b, const char *dir,
                              const offbkg_plot_model_opts_t *opts,
                              offbkg_plot_model_list_t *written)
{
    const offbkg_plot_model_opts_t *o = opts ? opts : &DEFAULT_OPTS;
    model_t a, b;
    char stem[600], path[PATH_MAX];
    bool ratio;
    int st;

    if (!offbkg_plot_available())
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s",
                                OFFBKG_PLOT_UNAVAILABLE);
    st = model_load(ctx, model_a, &a);
    if (st != OFFBKG_OK)
        return st;
    st = model_load(ctx, model_b, &b);
    if (st != OFFBKG_OK) {
        model_free(&a);
        return st;
    }
    if (a.cube->n_axes != b.cube->n_axes) {
        st = offbkg_error_set(ctx, OFFBKG_EINVAL, "cannot compare %s (%s) "
                              "with %s (%s)", model_a,
                              a.cube->n_axes == 2 ? "bkg_2d" : "bkg_3d",
                              model_b,
                              b.cube->n_axes == 2 ? "bkg_2d" : "bkg_3d");
        goto out;
    }
    snprintf(stem, sizeof stem, "compare_%s_%s", a.stem, b.stem);
    ratio = same_binning(a.cube, b.cube);
    if (!ratio)
        offbkg_log(ctx, OFFBKG_LOG_WARN, "%s and %s are binned differently: "
                   "no ratio maps, only their profiles", model_a, model_b);
    if (a.cube->n_axes == 2) {
        st = rate_figures_2d(ctx, dir, o, &a, &b, stem, model_a, written);
        if (st == OFFBKG_OK && ratio) {
            st = figure_path(ctx, path, sizeof path, dir, stem, "ratio",
                             o->format);
            if (st == OFFBKG_OK)
                st = ratio_figure_2d(ctx, path, o, &a, &b);
            if (st == OFFBKG_OK)
                st = list_add(ctx, written, path);
        }
    } else {
        st = figures_3d(ctx, dir, o, &a, &b, ratio, stem, model_a, written);
    }
out:
    model_free(&a);
    model_free(&b);
    return st;
}
