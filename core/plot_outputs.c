/* SPDX-License-Identifier: BSD-3-Clause
 * The figures of an output directory and its index.html
 * (plot_outputs-private.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log-private.h"
#include "outset-private.h"
#include "path-private.h"
#include "plot-private.h"
#include "plot_index-private.h"
#include "plot_model-private.h"
#include "plot_outputs-private.h"
#include "plot_validation-private.h"

/* What the figures of one directory share. */
typedef struct outputs {
    offbkg_ctx_t *ctx;
    const offbkg_runconf_t *rc;
    const offbkg_outset_t *set;
    char *fig_dir;                  /* [output] dir/[plot] dir */
    offbkg_plot_format_t fmt;
    offbkg_plot_model_opts_t model_opts;
    offbkg_plot_index_t ix;
    bool keep_going;                /* a file not drawn: warned */
    size_t n_failed;
} outputs_t;

/* @p st of drawing the figures of @p name: with keep_going, a file that
 * cannot be read or drawn is a warning (its figures are not on the
 * page); out of memory, a write that fails, a signal stop everything. */
static int judged(outputs_t *o, const char *name, int st)
{
    if (st == OFFBKG_OK || !o->keep_going || st == OFFBKG_ENOMEM
        || st == OFFBKG_EIO || st == OFFBKG_ECANCELLED)
        return st;
    OFFBKG_WARN(o->ctx, "figures of %s not drawn: %s", name,
                offbkg_error_msg(o->ctx));
    o->n_failed++;
    return OFFBKG_OK;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Where to read [output] dir/@p name now: its staged copy when this
 * command writes it. A new string, or NULL (said on the context). */
static char *read_path(outputs_t *o, const char *name)
{
    char *path = offbkg_path_join(o->rc->output->dir, name);
    char *rp = path != NULL ? offbkg_outset_read_path(o->set, path) : NULL;

    free(path);
    if (rp == NULL)
        offbkg_error_set(o->ctx, OFFBKG_ENOMEM, "out of memory");
    return rp;
}

/* The one-line caption of a model figure, by the kind its name ends
 * with (core/plot_model.c names them). */
static const char *model_caption(const char *file, bool compare)
{
    static const struct {
        const char *kind, *model, *compare;
    } kinds[] = {
        { "_rate_energy", "background rate against energy, a line per "
                          "offset", "rates against energy" },
        { "_rate_offset", "background rate against offset, a line per "
                          "energy", "rates against offset" },
        { "_counts", "counts and relative statistical error per cell",
                     "counts" },
        { "_fov", "rate in the field of view at the chosen energies",
                  "rate in the field of view" },
        { "_profile", "radial profile of the rate", "profiles, one over "
                                                    "the other" },
        { "_ratio", "ratio", "rate ratio cell by cell (second / first)" },
    };
    const char *dot = strrchr(file, '.');
    size_t n = dot != NULL ? (size_t)(dot - file) : strlen(file);

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i].kind);
        if (n >= k && strncmp(file + n - k, kinds[i].kind, k) == 0)
            return compare ? kinds[i].compare : kinds[i].model;
    }
    return "figure";
}

/* Add the figures @p list drew to the page, as [plot] dir/NAME. */
static int add_drawn(outputs_t *o, offbkg_plot_model_list_t *list,
                     offbkg_plot_index_section_t section, const char *source,
                     const char *what)
{
    int st = OFFBKG_OK;

    for (size_t i = 0; st == OFFBKG_OK && i < list->n; i++) {
        const char *slash = strrchr(list->paths[i], '/');
        const char *base = slash != NULL ? slash + 1 : list->paths[i];
        char *rel = offbkg_path_join(o->rc->plot->dir, base);
        st = rel == NULL
                 ? offbkg_error_set(o->ctx, OFFBKG_ENOMEM, "out of memory")
                 : offbkg_plot_index_add(
                       o->ctx, &o->ix, section, rel, source, "%s: %s", what,
                       model_caption(base,
                                     section
                                         == OFFBKG_PLOT_INDEX_COMPARISONS));
        free(rel);
    }
    offbkg_plot_model_list_free(list);
    return st;
}

static int draw_model(outputs_t *o, const char *name)
{
    offbkg_plot_model_list_t list = { 0 };
    char *path = read_path(o, name);
    int st;

    if (path == NULL)
        return OFFBKG_ENOMEM;
    st = offbkg_plot_model(o->ctx, path, o->fig_dir, &o->model_opts, &list);
    /* The figures drawn before a failure are complete: on the page. */
    int st_add = add_drawn(o, &list, OFFBKG_PLOT_INDEX_MODELS, name, name);
    offbkg_plot_model_list_free(&list);
    free(path);
    return st_add != OFFBKG_OK ? st_add : judged(o, name, st);
}

/* The raw model of the smoothed model file @p name ([label_]smooth_X:
 * [label_]X), a new string; NULL if @p name is not a smoothed one. */
static char *raw_of(const char *name)
{
    const char *s = strstr(name, "smooth_background_");
    char *raw;

    if (s == NULL || (s != name && s[-1] != '_'))
        return NULL;
    raw = malloc(strlen(name) + 1);
    if (raw != NULL)
        snprintf(raw, strlen(name) + 1, "%.*s%s", (int)(s - name), name,
                 s + strlen("smooth_"));
    return raw;
}

/* A smoothed model against its raw one, when both are in @p names. */
static int draw_comparison(outputs_t *o, const char *name, char **names,
                           size_t n)
{
    char *raw = raw_of(name), *a = NULL, *b = NULL, what[512];
    bool found = false;
    offbkg_plot_model_list_t list = { 0 };
    int st = OFFBKG_OK;

    for (size_t i = 0; raw != NULL && i < n; i++)
        found |= strcmp(names[i], raw) == 0;
    if (found) {
        a = read_path(o, raw);
        b = read_path(o, name);
        st = a == NULL || b == NULL ? OFFBKG_ENOMEM : OFFBKG_OK;
    }
    if (found && st == OFFBKG_OK) {
        st = offbkg_plot_model_compare(o->ctx, a, b, o->fig_dir,
                                       &o->model_opts, &list);
        snprintf(what, sizeof what, "%s against %s", name, raw);
        int st_add = add_drawn(o, &list, OFFBKG_PLOT_INDEX_COMPARISONS, name,
                               what);
        st = st_add != OFFBKG_OK ? st_add : judged(o, what, st);
    }
    offbkg_plot_model_list_free(&list);
    free(raw);
    free(a);
    free(b);
    return st;
}

/* A model file the page shows: a group's (raw or smoothed). The models
 * of single observations ([match], background_3D_obs_...) can be
 * thousands: `offbkg plot FILE` draws any of them. */
static bool shown_model(const char *name)
{
    return offbkg_outset_is_ours(name, OFFBKG_OWN_MODELS)
           && strstr(name, "_group_") != NULL;
}

static int draw_validation(outputs_t *o, const char *name)
{
    offbkg_plot_validation_t v;
    char *path = read_path(o, name);
    int st;

    if (path == NULL)
        return OFFBKG_ENOMEM;
    st = offbkg_plot_validation_read(o->ctx, path, &v);
    if (st == OFFBKG_OK) {
        st = offbkg_plot_validation_draw(o->ctx, &v, o->fig_dir,
                                         o->rc->plot->dir, o->fmt, name,
                                         &o->ix);
        offbkg_plot_validation_clear(&v);
    }
    free(path);
    return judged(o, name, st);
}

/* The figures of every file of ours in the list @p names. */
static int draw_all(outputs_t *o, char **names, size_t n)
{
    int st = OFFBKG_OK;

    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        if (has_suffix(names[i], ".fits") || has_suffix(names[i], ".fits.gz"))
            st = offbkg_plot_index_add_fits(o->ctx, &o->ix, names[i]);
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        if (shown_model(names[i]))
            st = draw_model(o, names[i]);
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        if (shown_model(names[i])
            && o->rc->plot->compare == OFFBKG_PLOT_COMPARE_SMOOTHED)
            st = draw_comparison(o, names[i], names, n);
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        if (strcmp(names[i], "validation.fits") == 0)
            st = draw_validation(o, names[i]);
    return st;
}

int offbkg_plot_outputs_draw(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             bool keep_going, size_t *n_figures)
{
    outputs_t o = { .ctx = ctx, .rc = rc, .set = offbkg_ctx_outset(ctx),
                    .keep_going = keep_going,
                    .fmt = (offbkg_plot_format_t)rc->plot->format,
                    .model_opts = {
                        .format = (offbkg_plot_format_t)rc->plot->format,
                        .energies_tev = rc->plot->energies_tev.v,
                        .n_energies = rc->plot->energies_tev.n,
                        .offsets_deg = rc->plot->offsets_deg.v,
                        .n_offsets = rc->plot->offsets_deg.n } };
    char **names = NULL, *index = NULL, note[512];
    size_t n = 0;
    int st;

    if (n_figures != NULL)
        *n_figures = 0;
    if (o.set == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "figures: no output "
                                "set");
    o.fig_dir = offbkg_path_join(rc->output->dir, rc->plot->dir);
    index = offbkg_path_join(rc->output->dir, "index.html");
    if (o.fig_dir == NULL || index == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    else
        st = offbkg_outset_list(ctx, o.set, OFFBKG_OWN_GROUPING
                                | OFFBKG_OWN_MODELS | OFFBKG_OWN_INDEX
                                | OFFBKG_OWN_VALIDATION, &names, &n);
    if (st == OFFBKG_OK)
        st = draw_all(&o, names, n);
    if (st == OFFBKG_OK) {
        char failed[128] = "";
        if (o.n_failed > 0)
            snprintf(failed, sizeof failed, " The figures of %zu file%s "
                     "could not be drawn: see the command's warnings.",
                     o.n_failed, o.n_failed == 1 ? "" : "s");
        snprintf(note, sizeof note, "Drawn by offbkg %s from the files of "
                 "this directory; configuration %s.%s", PACKAGE_VERSION,
                 rc->file, failed);
        st = offbkg_plot_index_write(ctx, &o.ix, index, rc->output->dir,
                                     note, true);
    }
    if (st == OFFBKG_OK && n_figures != NULL)
        *n_figures = o.ix.n;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(index);
    free(o.fig_dir);
    offbkg_plot_index_clear(&o.ix);
    return st;
}

int offbkg_plot_outputs_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            size_t *n_figures, char **index_path)
{
    offbkg_outset_t *set = NULL;
    struct stat sb;
    size_t n = 0;
    int st;

    if (index_path != NULL)
        *index_path = NULL;
    if (n_figures != NULL)
        *n_figures = 0;
    /* The files to draw are there, or this is a mistake: never made. */
    if (stat(rc->output->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: %s (the [output] "
                                "dir that offbkg run or offbkg validate "
                                "writes)", rc->output->dir,
                                stat(rc->output->dir, &sb) != 0
                                    ? "no such directory"
                                    : "not a directory");
    st = offbkg_outset_begin(ctx, rc->output->dir, OFFBKG_OWN_FIGURES,
                             rc->output->overwrite, &set);
    if (st == OFFBKG_OK)
        st = offbkg_outset_figures(ctx, set, rc->plot->dir);
    offbkg_ctx_set_outset(ctx, set);
    if (st == OFFBKG_OK)
        st = offbkg_plot_outputs_draw(ctx, rc, false, &n);
    if (st == OFFBKG_OK && n == 0)
        st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no model file of a "
                              "group and no validation.fits to draw (offbkg "
                              "run or offbkg validate writes them)",
                              rc->output->dir);
    if (st == OFFBKG_OK)
        st = offbkg_outset_commit(ctx, set);
    if (n_figures != NULL)
        *n_figures = n;
    offbkg_ctx_set_outset(ctx, NULL);
    offbkg_outset_end(set);
    if (st == OFFBKG_OK && index_path != NULL
        && (*index_path = offbkg_path_join(rc->output->dir, "index.html"))
               == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return st;
}
