/* SPDX-License-Identifier: BSD-3-Clause
 * Checks before any work and any write (preflight-private.h). The plugins
 * are tried rather than asked: a select and a group plugin on the store's
 * obs-index, a model on an empty run and its smoother on the cube the
 * model made of it. The ABI has no field saying which columns a plugin reads or which
 * cubes a smoother takes, and a trial answers for any plugin, ours or
 * not, without a new descriptor field. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>

#include "host-private.h"
#include "index-private.h"
#include "instance-private.h"
#include "model_write-private.h"
#include "preflight-private.h"
#include "store-private.h"
#include "group-private.h"
#include "path-private.h"

/* A file that is read, by its identity: a hard link or a symlink to it
 * has the same (st_dev, st_ino). */
typedef struct input {
    dev_t dev;
    ino_t ino;
    char *path;
    char *what;         /* "the data store's hdu-index", ... */
} input_t;

typedef struct check {
    offbkg_ctx_t *quiet;            /* plugins' trials log nowhere */
    offbkg_ctx_t *loud;             /* logs where the caller's context does */
    const offbkg_runconf_t *rc;
    const offbkg_plan_t *plan;
    offbkg_diags_t *diags;
    int st;                         /* OFFBKG_ENOMEM once out of memory */
    size_t n_groups;                /* from the trial grouping; 0 unknown */
    offbkg_grouping_t trial;        /* of every run, when it worked */
    input_t *in;
    size_t n_in, cap_in;
} check_t;

static void discard(void *user, offbkg_log_level_t level, const char *prefix,
                    const char *msg)
{
    (void)user;
    (void)level;
    (void)prefix;
    (void)msg;
}

/* One problem, "file:line: [section] key: message", at the line of
 * @p key when it was given (key NULL: of the section). */
static void problem(check_t *c, const char *section, const char *key,
                    const char *fmt, ...) OFFBKG_PRINTF(4, 5);
static void problem(check_t *c, const char *section, const char *key,
                    const char *fmt, ...)
{
    offbkg_ini_section_t *sec = offbkg_ini_section(c->rc->ini, section);
    offbkg_ini_entry_t *e = sec && key ? offbkg_ini_entry(sec, key) : NULL;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (offbkg_diag_add(c->diags, e ? e->file : c->rc->ini->path,
                        e ? e->line : sec ? sec->line : 0, section,
                        e ? key : NULL, "%s", msg) != OFFBKG_OK)
        c->st = OFFBKG_ENOMEM;
}

/* A problem of section @p sc whose message @p msg starts with
 * "INI:line: " already (an instance's refusal, a plugin's failure): kept
 * as a diagnostic at that line, so that all are printed in line order. */
static void problem_said(check_t *c, const offbkg_stage_conf_t *sc,
                         const char *msg, const char *where)
{
    const char *ini = c->rc->ini->path;
    size_t n = strlen(ini);

    if (strncmp(msg, ini, n) == 0 && msg[n] == ':') {
        const char *rest = msg + n + 1;
        while (*rest >= '0' && *rest <= '9')
            rest++;
        if (rest[0] == ':' && rest[1] == ' ')
            msg = rest + 2;
    }
    if (offbkg_diag_add(c->diags, ini, sc->line, NULL, NULL, "%s%s%s", msg,
                        where ? " in " : "", where ? where : "")
        != OFFBKG_OK)
        c->st = OFFBKG_ENOMEM;
}

/* Two spellings of one directory (both exist and are the same file). */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev
           && sa.st_ino == sb.st_ino;
}

/* ------------------------------------------------------------------ */
/* Plugins                                                             */

static offbkg_instance_t *instance(check_t *c, const offbkg_stage_conf_t *sc)
{
    offbkg_instance_t *inst = NULL;

    if (sc->module == NULL)
        return NULL;
    if (offbkg_instance_new(c->quiet, c->rc, sc, &inst) != OFFBKG_OK)
        problem_said(c, sc, offbkg_error_msg(c->quiet), NULL);
    return inst;
}

/* The selection itself: it needs the obs-index alone, and a plugin that
 * cannot read it (a column it names is missing) is found here. The
 * command goes on with it rather than select a second time. */
static void try_select(check_t *c, const offbkg_datastore_t *store,
                       offbkg_selection_t *sel)
{
    const offbkg_stage_conf_t *failed = NULL;
    bool created = true;
    int st;

    for (size_t k = 0; k < offbkg_runconf_n_selects(c->rc); k++) {
        offbkg_instance_t *inst = instance(c,
                                           offbkg_runconf_select_at(c->rc, k));
        created = created && inst != NULL;
        offbkg_instance_free(inst);
    }
    if (!created || store == NULL || c->st != OFFBKG_OK)
        return;
    /* A command that does not select need not hear the plugin. */
    offbkg_ctx_t *ctx = c->plan->select || c->plan->fill ? c->loud : c->quiet;
    st = offbkg_select_run(ctx, c->rc, store, sel, &failed);
    if (st == OFFBKG_ENOMEM)
        c->st = st;
    else if (st != OFFBKG_OK)
        problem_said(c, failed != NULL ? failed : &c->rc->select,
                     offbkg_error_msg(ctx), store->obs_index_path);
}

/* The grouping of every run of the store: the group plugin's columns,
 * and how many groups there are (for the names of the model files). */
static void try_group(check_t *c, const offbkg_datastore_t *store)
{
    const offbkg_runconf_t *rc = c->rc;
    offbkg_instance_t *inst = instance(c, &rc->group);
    size_t n = store != NULL ? store->obs.n_rows : 0;
    size_t *every = malloc((n > 0 ? n : 1) * sizeof *every);
    offbkg_grouping_t g = { 0 };
    bool created = inst != NULL;

    offbkg_instance_free(inst);
    if (every == NULL) {
        c->st = OFFBKG_ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++)
        every[i] = i;
    if (created && store != NULL) {
        int st = offbkg_group_run(c->quiet, rc, store, every, n, &g);
        if (st == OFFBKG_ENOMEM)
            c->st = st;
        else if (st != OFFBKG_OK)
            problem_said(c, &rc->group, offbkg_error_msg(c->quiet),
                         store->obs_index_path);
        else {
            c->n_groups = g.n_groups;
            c->trial = g;       /* for try_match */
            memset(&g, 0, sizeof g);
        }
    }
    offbkg_group_clear(&g);
    free(every);
}

/* The cube model @p inst makes of one empty half-hour run (pointing,
 * site and time reference set, so that every model can place it); NULL
 * when the model refuses it, which says nothing about the configuration. */
static offbkg_cube_t *trial_cube(const offbkg_instance_t *inst)
{
    const offbkg_model_ops_t *ops = inst->conf->module->desc->ops.model;
    offbkg_run_t run = {
        .struct_size = sizeof run, .obs_id = 0, .group_id = 0,
        .ra_pnt_deg = 83.63, .dec_pnt_deg = 22.01,
        .ontime_s = 1800, .livetime_s = 1700,
        .tstart_s = 0, .tstop_s = 1800, .mjdref_tt_day = 51910.00074287,
        .site_lon_deg = 16.50, .site_lat_deg = -23.27, .site_height_m = 1800,
    };
    void *contrib = NULL;
    offbkg_cube_t *cube = NULL;

    if (ops->contrib_new(inst->state, &contrib) == OFFBKG_OK
        && ops->fill(inst->state, &run, contrib) == OFFBKG_OK
        && ops->finish(inst->state, contrib, &cube) != OFFBKG_OK)
        cube = NULL;
    if (contrib != NULL)
        ops->contrib_free(inst->state, contrib);
    offbkg_host_last_error();   /* a refusal is not ours to report */
    /* Its first energy bin alone: the smoothers work slice by slice, so
     * one slice tells as much, for a fraction of the time. */
    if (cube != NULL && cube->n_axes >= 2 && cube->axes[0].n_bins > 1) {
        cube->n_cells /= cube->axes[0].n_bins;
        cube->axes[0].n_bins = 1;
    }
    return cube;
}

/* Each [model] and its [smooth]: the instances, and the smoother tried
 * on a copy of the model's trial cube. */
static void try_models(check_t *c)
{
    const offbkg_runconf_t *rc = c->rc;

    for (size_t m = 0; m < rc->n_models && c->st == OFFBKG_OK; m++) {
        const offbkg_stage_conf_t *sm = &rc->smooths[m];
        offbkg_instance_t *model = instance(c, &rc->models[m]);
        offbkg_instance_t *smoother = instance(c, sm);
        offbkg_cube_t *cube = model != NULL && smoother != NULL
                                  ? trial_cube(model) : NULL;

        if (cube != NULL) {
            int st = sm->module->desc->ops.smooth->smooth(smoother->state,
                                                          cube);
            const char *why = offbkg_host_last_error();
            if (st == OFFBKG_ENOMEM)
                c->st = st;
            else if (st != OFFBKG_OK)
                problem(c, sm->section, NULL, "plugin %s cannot smooth the "
                        "%zuD cubes of [%s] (plugin %s): %s", sm->module->name,
                        cube->n_axes, rc->models[m].section,
                        rc->models[m].module->name,
                        why[0] ? why : offbkg_strerror(st));
        }
        offbkg_cube_free(cube);
        offbkg_instance_free(smoother);
        offbkg_instance_free(model);
    }
}

/* ------------------------------------------------------------------ */
/* Inputs and outputs                                                  */

/* Input @p path, the file @p dev/@p ino, described by @p fmt. */
static void add_input_v(check_t *c, const char *path, dev_t dev, ino_t ino,
                        const char *fmt, va_list ap)
{
    char what[256];

    if (c->n_in == c->cap_in) {
        size_t cap = c->cap_in ? 2 * c->cap_in : 64;
        input_t *v = realloc(c->in, cap * sizeof *v);
        if (v == NULL) {
            c->st = OFFBKG_ENOMEM;
            return;
        }
        c->in = v;
        c->cap_in = cap;
    }
    vsnprintf(what, sizeof what, fmt, ap);
    input_t *in = &c->in[c->n_in];
    in->dev = dev;
    in->ino = ino;
    in->path = strdup(path);
    in->what = strdup(what);
    if (in->path == NULL || in->what == NULL) {
        free(in->path);
        free(in->what);
        c->st = OFFBKG_ENOMEM;
        return;
    }
    c->n_in++;
}

/* Input @p path, if it exists. */
static void add_input(check_t *c, const char *path, const char *fmt, ...)
    OFFBKG_PRINTF(3, 4);
static void add_input(check_t *c, const char *path, const char *fmt, ...)
{
    struct stat sb;
    va_list ap;

    if (path == NULL || path[0] == '\0' || stat(path, &sb) != 0)
        return;
    va_start(ap, fmt);
    add_input_v(c, path, sb.st_dev, sb.st_ino, fmt, ap);
    va_end(ap);
}

/* Input @p path, file @p id of a data store, if it exists. */
static void add_store_file(check_t *c, const char *path,
                           const offbkg_file_id_t *id, const char *fmt, ...)
    OFFBKG_PRINTF(4, 5);
static void add_store_file(check_t *c, const char *path,
                           const offbkg_file_id_t *id, const char *fmt, ...)
{
    va_list ap;

    if (id->err != 0)
        return;
    va_start(ap, fmt);
    add_input_v(c, path, id->dev, id->ino, fmt, ap);
    va_end(ap);
}

/* The index tables of @p store and every file its hdu-index names, each
 * stat()ed once for all the steps (offbkg_datastore_stat_files). */
static void add_store(check_t *c, offbkg_datastore_t *store,
                      const char *which)
{
    offbkg_obs_table_t view = offbkg_table_view(&store->hdu);
    const offbkg_column_t *id = offbkg_obs_table_column(&view, "OBS_ID");

    add_input(c, store->obs_index_path, "%s's obs-index", which);
    add_input(c, store->hdu_index_path, "%s's hdu-index", which);
    if (offbkg_datastore_stat_files(c->quiet, store) != OFFBKG_OK) {
        c->st = OFFBKG_ENOMEM;
        return;
    }
    /* A run's rows usually name one file: it is listed once. */
    for (size_t r = 0; r < store->hdu.n_rows && c->st == OFFBKG_OK; r++) {
        if (r > 0 && offbkg_datastore_same_file(store, r, r - 1))
            continue;
        char *p = offbkg_datastore_hdu_path(store, r);
        if (p == NULL) {
            c->st = OFFBKG_ENOMEM;
            break;
        }
        add_store_file(c, p, &store->hdu_files[r],
                       "a file of %s (OBS_ID %lld)", which,
                       id != NULL ? (long long)id->i64[r] : -1LL);
        free(p);
    }
}

/* Every PATH key of a plugin's section names a file it reads. */
static void add_plugin_paths(check_t *c, const offbkg_stage_conf_t *sc)
{
    if (sc->module == NULL || sc->config == NULL)
        return;
    for (const offbkg_param_t *p = sc->module->desc->params; p && p->name;
         p++)
        if (p->type == OFFBKG_PARAM_PATH)
            add_input(c, *(const char *const *)((const char *)sc->config
                                                + p->offset),
                      "[%s] %s", sc->section, p->name);
}

static void collect_inputs(check_t *c, offbkg_datastore_t *store,
                           offbkg_datastore_t *target)
{
    const offbkg_runconf_t *rc = c->rc;

    add_input(c, rc->file, "the configuration file");
    if (rc->exclude != NULL) {
        add_input(c, rc->exclude->regions, "the [exclude] regions file");
        for (size_t i = 0; i < rc->exclude->catalog.n; i++)
            add_input(c, rc->exclude->catalog.v[i],
                      "the [exclude] catalog");
    }
    for (size_t k = 0; k < offbkg_runconf_n_selects(rc); k++)
        add_plugin_paths(c, offbkg_runconf_select_at(rc, k));
    add_plugin_paths(c, &rc->group);
    add_plugin_paths(c, &rc->match);
    for (size_t m = 0; m < rc->n_models; m++) {
        add_plugin_paths(c, &rc->models[m]);
        add_plugin_paths(c, &rc->smooths[m]);
    }
    if (store != NULL)
        add_store(c, store, "the data store");
    if (target != NULL)
        add_store(c, target, rc->target != NULL ? "the [target] data store"
                                                : "the [index] data store");
}

static const input_t *input_of(const check_t *c, const struct stat *sb)
{
    for (size_t i = 0; i < c->n_in; i++)
        if (c->in[i].dev == sb->st_dev && c->in[i].ino == sb->st_ino)
            return &c->in[i];
    return NULL;
}

/* A directory offbkg writes in: [output] dir (section "output") or
 * [store] dir ("store"), @p dir, with stat @p out; @p writes says what
 * goes there ("outputs are", ...). */
typedef struct written_dir {
    const char *section;
    const char *dir;
    const struct stat *out;
    const char *writes;
} written_dir_t;

/* Refuse @p w when it is the directory @p store_dir of @p which store. */
static void check_out_dir(check_t *c, const written_dir_t *w,
                          const char *store_dir, const char *which)
{
    struct stat sb;

    if (store_dir != NULL && stat(store_dir, &sb) == 0
        && sb.st_dev == w->out->st_dev && sb.st_ino == w->out->st_ino)
        problem(c, w->section, "dir", "%s is %s directory %s: %s never "
                "written into a data store", w->dir, which, store_dir,
                w->writes);
}

/* Refuse @p w when it is one of @p store's directories: @p path, and
 * those of its index tables. */
static void check_store_dirs(check_t *c, const written_dir_t *w,
                             const char *path,
                             const offbkg_datastore_t *store,
                             const char *which)
{
    char *d1, *d2;

    check_out_dir(c, w, path, which);
    if (store == NULL)
        return;
    d1 = offbkg_path_dir(store->obs_index_path);
    d2 = offbkg_path_dir(store->hdu_index_path);
    if (d1 == NULL || d2 == NULL)
        c->st = OFFBKG_ENOMEM;
    else {
        if (strcmp(d1, path) != 0)
            check_out_dir(c, w, d1, which);
        if (strcmp(d2, d1) != 0 && strcmp(d2, path) != 0)
            check_out_dir(c, w, d2, which);
    }
    free(d1);
    free(d2);
}

/* [store] dir, when it exists, is none of the data store's directories
 * (inputs are never modified) nor [output] dir (whose files appear as a
 * set, doc/design.md §4.2, while the store's appear one by one), and is a
 * store or empty. */
static void check_contrib_store(check_t *c, const offbkg_datastore_t *store)
{
    const offbkg_runconf_t *rc = c->rc;
    const char *dir = rc->store != NULL ? rc->store->dir : "";
    struct stat sb, other;
    size_t before = c->diags->n;

    if (dir[0] == '\0' || stat(dir, &sb) != 0)
        return;     /* made when it is first used */
    written_dir_t w = { "store", dir, &sb, "the contribution store is" };
    check_store_dirs(c, &w, rc->datastore->path, store, "the data store's");
    if (stat(rc->output->dir, &other) == 0 && other.st_dev == sb.st_dev
        && other.st_ino == sb.st_ino)
        problem(c, "store", "dir", "%s is [output] dir: give the "
                "contribution store a directory of its own", dir);
    /* What opening it would refuse, said without writing anything. */
    if (c->diags->n == before
        && offbkg_store_check(c->quiet, dir) != OFFBKG_OK)
        problem(c, "store", "dir", "%s", offbkg_error_msg(c->quiet));
}

/* offbkg fill fills [store]: without one, or with one it may not fill,
 * it would do nothing. */
static void check_fill(check_t *c)
{
    const offbkg_store_conf_t *sc = c->rc->store;

    if (!c->plan->fill)
        return;
    if (sc == NULL) {
        if (offbkg_diag_add(c->diags, c->rc->ini->path, 0, NULL, NULL,
                            "missing section [store] (dir = ...): the "
                            "contribution store offbkg fill fills")
            != OFFBKG_OK)
            c->st = OFFBKG_ENOMEM;
    }
    else if (sc->fill == OFFBKG_STORE_FILL_NEVER)
        problem(c, "store", "fill", "offbkg fill with [store] fill = never "
                "(or --from-store) would read nothing");
}

/* Whether the command writes a file called @p name in [output] dir. */
static bool written_name(check_t *c, const char *name)
{
    static const char *const by_stage[6][3] = {
        { "run.lis" }, { "obs.fits", "group-def.fits" }, { "report.json" },
        { "hdu-index.fits.gz", "obs-index.fits.gz", "bkg-index.fits.gz" },
        { "validation.fits", "report.json" }, { "index.html" },
    };
    const offbkg_plan_t *plan = c->plan;
    const bool on[6] = { plan->select, plan->group, plan->make, plan->index,
                         plan->validate, plan->plot };
    const char *digits = strstr(name, "group_");
    char *end;
    unsigned long g;

    for (int s = 0; s < 6; s++)
        for (int k = 0; on[s] && k < 3 && by_stage[s][k] != NULL; k++)
            if (strcmp(name, by_stage[s][k]) == 0)
                return true;
    if (!plan->make || digits == NULL)
        return false;
    /* A model file: only the group its name holds can be it. */
    g = strtoul(digits + 6, &end, 10);
    if (end == digits + 6 || g >= c->n_groups)
        return false;
    for (size_t m = 0; m < c->rc->n_models; m++)
        for (int k = 0; k < 4; k++) {
            char *p = offbkg_model_write_path(c->rc, m, 2 + k % 2, g,
                                              k >= 2, ".");
            bool same = p != NULL && strcmp(p + 2, name) == 0;
            if (p == NULL)
                c->st = OFFBKG_ENOMEM;
            free(p);
            if (same)
                return true;
        }
    return false;
}

/* Every entry of [output] dir the command would replace must not be an
 * input: not the same file, by a hard link or a symlink either. The
 * directory is read rather than each name tried, as a grouping may
 * define very many groups. */
static void check_outputs(check_t *c, const offbkg_datastore_t *store,
                          const offbkg_datastore_t *target)
{
    const offbkg_runconf_t *rc = c->rc;
    const char *dir = rc->output->dir;
    struct stat sb;
    size_t before = c->diags->n;
    DIR *d;
    struct dirent *e;

    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return;     /* made later, empty; or refused when it is made */
    written_dir_t w = { "output", dir, &sb, "outputs are" };
    check_store_dirs(c, &w, rc->datastore->path, store, "the data store's");
    if (offbkg_runconf_target_path(rc)[0] != '\0')
        check_store_dirs(c, &w, offbkg_runconf_target_path(rc), target,
                         rc->target != NULL ? "the [target] data store's"
                                            : "the [index] data store's");
    if (c->diags->n > before || (d = opendir(dir)) == NULL)
        return;     /* every file in it would be said again */
    while ((e = readdir(d)) != NULL && c->st == OFFBKG_OK) {
        const input_t *in;
        char *path;
        if (!written_name(c, e->d_name))
            continue;
        if ((path = offbkg_path_join(dir, e->d_name)) == NULL) {
            c->st = OFFBKG_ENOMEM;
            break;
        }
        if (stat(path, &sb) == 0 && (in = input_of(c, &sb)) != NULL)
            problem(c, "output", "dir", "%s would replace %s, %s (the same "
                    "file): an output never replaces an input, whatever "
                    "overwrite says", path, in->what, in->path);
        free(path);
    }
    closedir(d);
}

/* The FILE_DIRs the index tables will hold can be written in FITS. */
static void check_file_dirs(check_t *c, const offbkg_datastore_t *target)
{
    int st;

    if (target == NULL)
        return;     /* it did not open: said already */
    st = offbkg_index_check_file_dirs(c->quiet, c->rc, target);
    if (st == OFFBKG_ENOMEM)
        c->st = st;
    else if (st != OFFBKG_OK)
        problem(c, "output", "dir", "%s", offbkg_error_msg(c->quiet));
}

/* The instance of match section @p sc can be created and, when it makes
 * a model per target, prepared with the trial grouping of every run
 * (try_group): a grouping it cannot work with (match/zenith without a
 * zenith axis) is a problem of its section, found before any work. */
static void try_match(check_t *c, const offbkg_stage_conf_t *sc)
{
    const offbkg_runconf_t *rc = c->rc;
    const offbkg_grouping_t *g = &c->trial;
    offbkg_instance_t *inst = instance(c, sc);
    size_t n = g->obs.n_rows, n_groups = g->n_groups;
    int32_t *group_id = NULL;
    uint8_t *used = NULL;
    offbkg_group_axis_t *axes = NULL;

    if (inst == NULL || !offbkg_runconf_match_per_target(sc)
        || n_groups == 0) {
        offbkg_instance_free(inst);
        return;
    }
    group_id = malloc((n + 1) * sizeof *group_id);
    used = malloc(n_groups);
    axes = malloc((g->n_axes + 1) * sizeof *axes);
    if (group_id == NULL || used == NULL || axes == NULL)
        c->st = OFFBKG_ENOMEM;
    else {
        offbkg_obs_table_t off = offbkg_table_view(&g->obs);
        offbkg_group_def_t def = { .n_axes = g->n_axes, .axes = axes };
        offbkg_match_input_t in = {
            .struct_size = sizeof in, .off = &off, .off_group_id = group_id,
            .groups = &def, .n_groups = n_groups, .group_used = used };
        for (size_t i = 0; i < n; i++)
            group_id[i] = (int32_t)g->group_id[i];
        for (size_t k = 0; k < n_groups; k++)
            used[k] = g->runs_per_group[k] > 0;
        offbkg_group_abi_axes(g, axes);
        int st = sc->module->desc->ops.match->prepare(inst->state, &in);
        if (st != OFFBKG_OK) {
            st = offbkg_instance_failed(c->quiet, rc, sc, st);
            if (st == OFFBKG_ENOMEM)
                c->st = st;
            else
                problem_said(c, sc, offbkg_error_msg(c->quiet), NULL);
        }
    }
    /* The plugin may read its input until destroy. */
    offbkg_instance_free(inst);
    free(group_id);
    free(used);
    free(axes);
}

/* offbkg validate: the [validate] columns are in the obs-index. */
static void check_validate(check_t *c, const offbkg_datastore_t *store)
{
    const offbkg_validate_conf_t *vc = c->rc->validate;
    offbkg_obs_table_t view;

    if (!c->plan->validate || vc == NULL || store == NULL)
        return;
    view = offbkg_table_view(&store->obs);
    for (size_t i = 0; i < vc->columns.n; i++)
        if (offbkg_obs_table_column(&view, vc->columns.v[i]) == NULL)
            problem(c, "validate", "columns", "the obs-index %s has no "
                    "column %s", store->obs_index_path, vc->columns.v[i]);
}

/* ------------------------------------------------------------------ */

/* A data store that does not open is a problem of its section. */
static offbkg_datastore_t *open_store(check_t *c,
                                      const offbkg_datastore_conf_t *conf,
                                      const char *section)
{
    offbkg_datastore_t *store = NULL;
    int st = offbkg_datastore_open(c->quiet, conf, &store);

    if (st == OFFBKG_ENOMEM)
        c->st = st;
    else if (st != OFFBKG_OK)
        problem(c, section, "path", "%s", offbkg_error_msg(c->quiet));
    return st == OFFBKG_OK ? store : NULL;
}

int offbkg_preflight(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_plan_t *plan, offbkg_diags_t *diags,
                     offbkg_preflight_t *out)
{
    check_t c = { .rc = rc, .plan = plan, .diags = diags,
                  .st = OFFBKG_OK };
    size_t before = diags->n;
    offbkg_datastore_t *target = NULL;

    memset(out, 0, sizeof *out);
    if ((c.quiet = offbkg_ctx_new_child(ctx)) == NULL
        || (c.loud = offbkg_ctx_new_child(ctx)) == NULL) {
        offbkg_ctx_free(c.quiet);
        return OFFBKG_ENOMEM;
    }
    offbkg_ctx_set_log_sink(c.quiet, discard, NULL);
    out->store = open_store(&c, rc->datastore, "datastore");
    /* The store of the targets: [target] path, or [index] path (the same
     * store, runconf checks), kept open for a per-target match step. */
    const char *tpath = offbkg_runconf_target_path(rc);
    bool targets = plan->make && offbkg_runconf_per_target(rc)
                   && tpath[0] != '\0' && !same_dir(tpath,
                                                    rc->datastore->path);
    if (tpath[0] != '\0' && (plan->index || targets)) {
        offbkg_datastore_conf_t tc = { .path = tpath, .obs_index = "",
                                       .hdu_index = "" };
        target = open_store(&c, &tc, rc->target != NULL ? "target"
                                                        : "index");
    }
    if (rc->exclude != NULL) {
        const char *key;
        int st = offbkg_exclude_load(c.quiet, rc->exclude, &out->regions,
                                     &key);
        if (st == OFFBKG_ENOMEM)
            c.st = st;
        else if (st != OFFBKG_OK)
            problem(&c, "exclude", key, "%s", offbkg_error_msg(c.quiet));
    }
    try_select(&c, out->store, &out->sel);
    try_group(&c, out->store);
    try_models(&c);
    try_match(&c, &rc->match);
    for (size_t i = 0; c.st == OFFBKG_OK && i < rc->n_match_alts; i++)
        try_match(&c, &rc->match_alts[i]);
    check_validate(&c, out->store);
    if (c.st == OFFBKG_OK)
        collect_inputs(&c, out->store, target);
    if (c.st == OFFBKG_OK)
        check_outputs(&c, out->store, target);
    if (c.st == OFFBKG_OK)
        check_contrib_store(&c, out->store);
    check_fill(&c);
    if (c.st == OFFBKG_OK && plan->index)
        check_file_dirs(&c, target != NULL ? target : out->store);

    for (size_t i = 0; i < c.n_in; i++) {
        free(c.in[i].path);
        free(c.in[i].what);
    }
    free(c.in);
    if (targets && c.st == OFFBKG_OK && diags->n == before)
        out->target = target;
    else
        offbkg_datastore_free(target);
    offbkg_group_clear(&c.trial);
    offbkg_ctx_free(c.quiet);
    offbkg_ctx_free(c.loud);
    if (c.st == OFFBKG_OK && diags->n > before)
        c.st = OFFBKG_ECONFIG;
    if (c.st != OFFBKG_OK)
        offbkg_preflight_free(out);
    return c.st;
}

void offbkg_preflight_free(offbkg_preflight_t *pf)
{
    offbkg_datastore_free(pf->store);
    offbkg_datastore_free(pf->target);
    offbkg_exclude_free(&pf->regions);
    offbkg_select_clear(&pf->sel);
    memset(pf, 0, sizeof *pf);
}
