/* SPDX-License-Identifier: BSD-3-Clause
 * Model files of a make step. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bkg_io-private.h"
#include "make_write-private.h"
#include "output-private.h"

/* Whether another [model] section makes the same kind of model as @p m,
 * going by the plugin name (2d, 3d); then the label tells them apart. */
static bool needs_prefix(const offbkg_runconf_t *rc, size_t m)
{
    for (size_t k = 0; k < rc->n_models; k++)
        if (k != m && strcmp(rc->models[k].module->name,
                             rc->models[m].module->name) == 0)
            return true;
    return false;
}

char *offbkg_model_path(const offbkg_runconf_t *rc, size_t m, int dims,
                        size_t g, bool smooth, const char *dir)
{
    char *name = offbkg_bkg_filename(dims, (int)g, smooth);
    const char *label = needs_prefix(rc, m) ? rc->models[m].label : "";
    size_t n;
    char *path;

    if (name == NULL)
        return NULL;
    n = strlen(dir) + strlen(label) + strlen(name) + 3;
    path = malloc(n);
    if (path != NULL)
        snprintf(path, n, "%s/%s%s%s", dir, label, label[0] ? "_" : "",
                 name);
    free(name);
    return path;
}

/* CREATOR of model @p m's files. */
static void model_creator(const offbkg_runconf_t *rc, size_t m, char *buf,
                          size_t n)
{
    const offbkg_module_t *mod = rc->models[m].module;
    snprintf(buf, n, "offbkg %s, model %s %s", PACKAGE_VERSION, mod->name,
             mod->desc->version);
}

/* Whether the CREATOR of @p path's BACKGROUND HDU names model @p m's
 * plugin. */
static bool creator_is(const offbkg_runconf_t *rc, size_t m,
                       const char *path)
{
    char creator[FLEN_VALUE] = "", needle[160];
    fitsfile *f = NULL;
    int st = 0;

    if (fits_open_file(&f, path, READONLY, &st) == 0) {
        fits_movnam_hdu(f, BINARY_TBL, "BACKGROUND", 0, &st);
        fits_read_key(f, TSTRING, "CREATOR", creator, NULL, &st);
    }
    if (f != NULL) {
        int st2 = 0;
        fits_close_file(f, &st2);
    }
    fits_clear_errmsg();
    snprintf(needle, sizeof needle, ", model %s ",
             rc->models[m].module->name);
    return st == 0 && strstr(creator, needle) != NULL;
}

bool offbkg_model_file_is_of(const offbkg_runconf_t *rc, size_t m, int dims,
                             size_t g, bool smooth, const char *path)
{
    bool shared = false;

    for (size_t k = 0; k < rc->n_models && !shared; k++)
        for (int d = 2; d <= 3 && k != m && !shared; d++) {
            char *other = offbkg_model_path(rc, k, d, g, smooth, "");
            char *mine = offbkg_model_path(rc, m, dims, g, smooth, "");
            shared = other == NULL || mine == NULL
                     || strcmp(other, mine) == 0;
            free(other);
            free(mine);
        }
    return !shared || creator_is(rc, m, path);
}

int offbkg_models_check(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        size_t n_groups, const char *dir, bool overwrite)
{
    for (size_t m = 0; m < rc->n_models; m++)
        for (size_t g = 0; g < n_groups; g++)
            for (int dims = 2; dims <= 3; dims++) {
                char *p = offbkg_model_path(rc, m, dims, g, false, dir);
                int st = p == NULL ? offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                                      "out of memory")
                                   : offbkg_output_check(ctx, p, overwrite);
                free(p);
                if (st != OFFBKG_OK)
                    return st;
            }
    return OFFBKG_OK;
}

/* Total time of the runs of group @p g in the cube's time base. */
static double group_time_s(const offbkg_make_t *make, size_t g,
                           const char *time_base)
{
    bool live = strcmp(time_base, "LIVETIME") == 0;
    double sum = 0;
    for (size_t i = 0; i < make->n_runs; i++) {
        const offbkg_run_report_t *r = &make->runs[i];
        if (r->skipped == NULL && (size_t)r->group_id == g)
            sum += live ? r->livetime_s : r->ontime_s;
    }
    return sum;
}

static int add_path(offbkg_ctx_t *ctx, char ***paths, size_t *n, char *p)
{
    char **bigger = realloc(*paths, (*n + 1) * sizeof *bigger);
    if (bigger == NULL) {
        free(p);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    *paths = bigger;
    bigger[(*n)++] = p;
    return OFFBKG_OK;
}

static bool in_list(char *const *paths, size_t n, const char *p)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], p) == 0)
            return true;
    return false;
}

/* The dimension of model @p m's cubes, or 0 if it made none. */
static int model_dims(const offbkg_make_t *make, size_t m)
{
    for (size_t g = 0; g < make->n_groups; g++)
        if (make->models[m].cubes[g] != NULL)
            return (int)make->models[m].cubes[g]->n_axes;
    return 0;
}

/* overwrite = true replaces the outputs: a group without a model now
 * keeps no older model file under its name, or the index step, which
 * goes by the files on disk, would link it. Files this make wrote (another
 * [model] of the other dimension) are kept. */
static int remove_stale(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_make_t *make, const char *dir,
                        char *const *paths, size_t n_paths)
{
    for (size_t m = 0; m < make->n_models; m++) {
        int known = model_dims(make, m);
        for (size_t g = 0; g < make->n_groups; g++) {
            if (make->models[m].cubes[g] != NULL)
                continue;
            for (int dims = 2; dims <= 3; dims++) {
                if (known != 0 && dims != known)
                    continue;
                char *p = offbkg_model_path(rc, m, dims, g, false, dir);
                if (p == NULL)
                    return offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                            "out of memory");
                if (!in_list(paths, n_paths, p) && access(p, F_OK) == 0) {
                    if (unlink(p) != 0) {
                        int st = offbkg_error_set(ctx, OFFBKG_EIO, "%s: "
                                                  "cannot remove the old "
                                                  "model: %s", p,
                                                  strerror(errno));
                        free(p);
                        return st;
                    }
                    OFFBKG_WARN(ctx, "[%s] group %zu has no model: removed "
                                "the old %s", make->models[m].conf->section,
                                g, p);
                }
                free(p);
            }
        }
    }
    return OFFBKG_OK;
}

int offbkg_models_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_make_t *make, const char *dir,
                        bool overwrite, char ***paths, size_t *n_paths)
{
    for (size_t m = 0; m < make->n_models; m++) {
        const offbkg_model_result_t *res = &make->models[m];
        char creator[160];
        model_creator(rc, m, creator, sizeof creator);
        for (size_t g = 0; g < make->n_groups; g++) {
            const offbkg_cube_t *cube = res->cubes[g];
            if (cube == NULL)
                continue;
            offbkg_bkg_meta_t meta = {
                .creator = creator,
                .group_id = (int)g,
                .n_runs = (long)make->runs_used[g],
                .total_time_s = group_time_s(make, g, cube->time_base),
                .config_file = rc->file,
            };
            char *p = offbkg_model_path(rc, m, (int)cube->n_axes, g, false,
                                        dir);
            if (p == NULL)
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            int st = offbkg_bkg_write(ctx, cube, &meta, p, overwrite);
            if (st != OFFBKG_OK) {
                free(p);
                return st;
            }
            if ((st = add_path(ctx, paths, n_paths, p)) != OFFBKG_OK)
                return st;
        }
    }
    return overwrite ? remove_stale(ctx, rc, make, dir, *paths, *n_paths)
                     : OFFBKG_OK;
}
