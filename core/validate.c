/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg validate (doc/validate.md §5): each validated run's counts
 * against a prediction from a model made without it, per strategy.
 *
 * The work is one item per (run, model): the run's own cube (its
 * counts and exposure per cell), then for each strategy of that model
 * the cube without the run (core/match.c), raw and smoothed, compared
 * cell by cell. Items run in batches on the threads; each item's sums go
 * to its own partial, and partials are added in run order, so the
 * results do not depend on the thread count, and memory holds only a
 * batch of cubes. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-private.h"
#include "instance-private.h"
#include "log-private.h"
#include "match-private.h"
#include "parallel-private.h"
#include "validate-private.h"

/* What one item adds to one strategy, besides its run's row. */
typedef struct partial {
    double *prof;           /* per axis bin (all axes in a row): N, M, V */
    uint8_t *prof_hit;      /* per axis bin: a cell of the run was used */
    double *map;            /* 3D: per (DETX, DETY) bin: N, M */
    double *sig;            /* significances of the cells >= min_predicted */
    size_t n_sig, cap_sig;
} partial_t;

/* The axes of a model's cubes, as the items need them. */
typedef struct shape {
    size_t n_axes;
    size_t n_bins[OFFBKG_CUBE_MAX_AXES];
    size_t n_prof;          /* sum of n_bins */
    size_t n_map;           /* 3D: n_bins[1] * n_bins[2]; 0 for 2D */
    const offbkg_cube_t *ref; /* a cube of the model: its axes */
} shape_t;

typedef struct item {
    size_t k;               /* validated run */
    size_t m;               /* model */
    offbkg_ctx_t *ctx;
    int status;
    partial_t *part;        /* per strategy (only those of model m used) */
} item_t;

typedef struct work {
    offbkg_ctx_t *ctx;
    const offbkg_runconf_t *rc;
    const offbkg_model_t *make;
    offbkg_validation_t *v;
    size_t *run;            /* validated run -> index of make->runs */
    size_t n_sections;
    const offbkg_stage_conf_t **section; /* NULL: the group models */
    offbkg_match_t *match;  /* per section (shared_groups for group) */
    size_t *section_of;     /* per strategy */
    size_t n_folds;         /* 0: leave one run out */
    size_t *fold_of;        /* per validated run */
    uint8_t *fold_mask;     /* n_folds x make->n_runs: the runs of each */
    shape_t *shape;         /* per model */
    double sig_min;
    item_t *items;          /* a batch */
} work_t;

static void partial_free(partial_t *p);
static int partial_new(const shape_t *sh, partial_t *p);

/* ------------------------------------------------------------------ */
/* The strategies                                                      */

static const char *section_name(const offbkg_stage_conf_t *sc)
{
    if (sc == NULL)
        return "group";
    return sc->label[0] != '\0' ? sc->label : "match";
}

/* Match sections x models x (raw, smoothed), in the order of the INI. */
static int make_strategies(offbkg_ctx_t *ctx, work_t *w)
{
    const offbkg_runconf_t *rc = w->rc;
    size_t n_sec = 1 + rc->n_match_alts, n = 0;

    w->section = calloc(n_sec, sizeof *w->section);
    w->match = calloc(n_sec, sizeof *w->match);
    w->section_of = calloc(2 * n_sec * rc->n_models + 1,
                           sizeof *w->section_of);
    w->v->strategies = calloc(2 * n_sec * rc->n_models + 1,
                              sizeof *w->v->strategies);
    if (w->section == NULL || w->match == NULL || w->section_of == NULL
        || w->v->strategies == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    /* [match] (or, with no match section at all, the group models) first,
     * then the [match LABEL] sections. */
    if (rc->match.module != NULL || rc->n_match_alts == 0)
        w->section[w->n_sections++] = rc->match.module != NULL ? &rc->match
                                                               : NULL;
    for (size_t i = 0; i < rc->n_match_alts; i++)
        w->section[w->n_sections++] = &rc->match_alts[i];
    for (size_t c = 0; c < w->n_sections; c++)
        for (size_t m = 0; m < rc->n_models; m++)
            for (int smooth = 0; smooth < 2; smooth++) {
                const offbkg_stage_conf_t *mc = &rc->models[m];
                offbkg_validate_strategy_t *s = &w->v->strategies[n];
                if (smooth && rc->smooths[m].module == NULL)
                    continue;
                snprintf(s->name, sizeof s->name, "%s/%s%s",
                         section_name(w->section[c]),
                         mc->label[0] != '\0' ? mc->label : "model",
                         smooth ? "/smooth" : "");
                s->match = w->section[c];
                s->model = m;
                s->smoothed = smooth;
                if (w->section[c] != NULL)
                    snprintf(s->match_plugin, sizeof s->match_plugin,
                             "%s %s", w->section[c]->module->name,
                             w->section[c]->module->desc->version);
                else
                    snprintf(s->match_plugin, sizeof s->match_plugin,
                             "group");
                w->section_of[n++] = c;
            }
    w->v->n_strategies = n;
    return OFFBKG_OK;
}

/* ------------------------------------------------------------------ */
/* The runs                                                            */

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The used runs of make that [validate] obs_ids names (all if none), in
 * OBS_ID order. */
static int pick_runs(offbkg_ctx_t *ctx, work_t *w)
{
    const offbkg_model_t *make = w->make;
    const offbkg_validate_conf_t *vc = w->rc->validate;
    size_t n = 0;

    w->run = malloc((make->n_runs + 1) * sizeof *w->run);
    if (w->run == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t r = 0; r < make->n_runs; r++) {
        bool named = vc == NULL || vc->obs_ids.n == 0;
        for (size_t i = 0; !named && i < vc->obs_ids.n; i++)
            named = vc->obs_ids.v[i] == (double)make->runs[r].obs_id;
        if (named && make->runs[r].skipped == NULL)
            w->run[n++] = r;
    }
    for (size_t i = 0; vc != NULL && i < vc->obs_ids.n; i++) {
        bool found = false;
        for (size_t k = 0; !found && k < n; k++)
            found = vc->obs_ids.v[i] == (double)make->runs[w->run[k]].obs_id;
        if (!found)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "[validate] obs_ids: "
                                    "OBS_ID %.0f is not among the %zu OFF "
                                    "runs the models were made of",
                                    vc->obs_ids.v[i], make->n_runs);
    }
    if (n == 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "no run to validate: "
                                "every run was skipped");
    int64_t (*pairs)[2] = malloc(n * sizeof *pairs);
    if (pairs == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        pairs[k][0] = make->runs[w->run[k]].obs_id;
        pairs[k][1] = (int64_t)w->run[k];
    }
    qsort(pairs, n, sizeof *pairs, cmp_pair);
    for (size_t k = 0; k < n; k++)
        w->run[k] = (size_t)pairs[k][1];
    free(pairs);
    w->v->n_runs = n;
    return OFFBKG_OK;
}

/* The [validate] columns' values of each validated run. */
static int read_columns(offbkg_ctx_t *ctx, work_t *w)
{
    offbkg_validation_t *v = w->v;
    const offbkg_validate_conf_t *vc = w->rc->validate;
    const offbkg_datastore_t *store = w->make->store;
    offbkg_obs_table_t view = offbkg_table_view(&store->obs);
    size_t nc = vc != NULL ? vc->columns.n : 1;

    v->columns = calloc(nc + 1, sizeof *v->columns);
    v->column_value = calloc(nc * v->n_runs + 1, sizeof *v->column_value);
    if (v->columns == NULL || v->column_value == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t c = 0; c < nc; c++) {
        const char *name = vc != NULL ? vc->columns.v[c] : "ZEN_PNT";
        const offbkg_column_t *col = offbkg_obs_table_column(&view, name);
        if ((v->columns[c] = strdup(name)) == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        v->n_columns = c + 1;
        if (col == NULL)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "[validate] columns: "
                                    "the obs-index has no column %s", name);
        for (size_t k = 0; k < v->n_runs; k++) {
            int64_t id = w->make->runs[w->run[k]].obs_id;
            long row = offbkg_datastore_row(store, id);
            double x = row >= 0 ? offbkg_column_get_double(col, (size_t)row)
                                : NAN;
            if (!isfinite(x))
                return offbkg_error_set(ctx, OFFBKG_EDATA, "[validate] "
                                        "columns: OBS_ID %" PRId64 " has no "
                                        "value of %s", id, name);
            v->column_value[k * nc + c] = x;
        }
    }
    return OFFBKG_OK;
}

/* Folds of consecutive validated runs (in OBS_ID order, so a fold is a
 * stretch of time), and each fold's runs as a mask of make->runs. */
static int make_folds(offbkg_ctx_t *ctx, work_t *w)
{
    const offbkg_validate_conf_t *vc = w->rc->validate;
    size_t n = w->v->n_runs, nr = w->make->n_runs;

    w->n_folds = vc != NULL ? (size_t)vc->folds : 0;
    if (w->n_folds == 1 || w->n_folds > n)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "[validate] folds = %zu "
                                "for %zu runs: give 0 (leave one run out) "
                                "or 2 to %zu", w->n_folds, n, n);
    w->v->folds = w->n_folds;
    w->fold_of = calloc(n + 1, sizeof *w->fold_of);
    w->fold_mask = calloc(w->n_folds * nr + 1, 1);
    if (w->fold_of == NULL || w->fold_mask == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; w->n_folds > 0 && k < n; k++) {
        w->fold_of[k] = k * w->n_folds / n;
        w->fold_mask[w->fold_of[k] * nr + w->run[k]] = 1;
    }
    return OFFBKG_OK;
}

/* The runs left out of run k's model besides itself: its fold's. */
static const uint8_t *without_of(const work_t *w, size_t k)
{
    return w->n_folds > 0 ? w->fold_mask + w->fold_of[k] * w->make->n_runs
                          : NULL;
}

/* Fold @p f's runs (all with no folds) as targets of match section @p c,
 * from the OFF sample without them, into w->match[c].targets at their
 * run's place. */
static int match_fold(offbkg_ctx_t *ctx, work_t *w, size_t c, size_t f,
                      const size_t *rows, bool strict)
{
    offbkg_match_t *all = &w->match[c], part = { 0 };
    size_t n = w->v->n_runs, *rows_f = malloc((n + 1) * sizeof *rows_f);
    size_t *k_of = malloc((n + 1) * sizeof *k_of), n_f = 0;
    int st = rows_f == NULL || k_of == NULL
                 ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
                 : OFFBKG_OK;

    for (size_t k = 0; st == OFFBKG_OK && k < n; k++)
        if (w->n_folds == 0 || w->fold_of[k] == f) {
            rows_f[n_f] = rows[k];
            k_of[n_f++] = k;
        }
    if (st == OFFBKG_OK)
        st = offbkg_match_section(ctx, w->rc, w->section[c], w->make->store,
                                  rows_f, n_f, w->make,
                                  w->n_folds > 0 ? without_of(w, k_of[0])
                                                 : NULL, strict, &part);
    /* The targets move to their places; part keeps none. */
    for (size_t i = 0; st == OFFBKG_OK && i < n_f; i++)
        all->targets[k_of[i]] = part.targets[i];
    if (st == OFFBKG_OK) {
        all->n_matched += part.n_matched;
        all->n_skipped += part.n_skipped;
        snprintf(all->plugin, sizeof all->plugin, "%s", part.plugin);
        free(part.targets);
    } else
        offbkg_match_clear(&part);
    free(rows_f);
    free(k_of);
    return st;
}

/* Each match section's answer for every validated run, as a target of
 * its own data store: the plugin never gives a run itself, nor (with
 * folds) a run of its fold. */
static int match_sections(offbkg_ctx_t *ctx, work_t *w, bool strict)
{
    size_t n = w->v->n_runs;
    size_t *rows = malloc((n + 1) * sizeof *rows);
    int st = rows == NULL ? offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                             "out of memory") : OFFBKG_OK;

    for (size_t k = 0; st == OFFBKG_OK && k < n; k++)
        rows[k] = (size_t)offbkg_datastore_row(
            w->make->store, w->make->runs[w->run[k]].obs_id);
    for (size_t c = 0; st == OFFBKG_OK && c < w->n_sections; c++) {
        offbkg_match_t *all = &w->match[c];
        if (w->section[c] == NULL
            || !offbkg_runconf_match_per_target(w->section[c])) {
            all->shared_groups = true;
            continue;
        }
        all->target_store = w->make->store;
        all->n_targets = n;
        if ((all->targets = calloc(n + 1, sizeof *all->targets)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        for (size_t f = 0; st == OFFBKG_OK && f < (w->n_folds ? w->n_folds
                                                             : 1); f++)
            st = match_fold(ctx, w, c, f, rows, strict);
    }
    free(rows);
    return st;
}

/* A cube of each model, for its axes; OFFBKG_EDATA if it has none. */
static int model_shapes(offbkg_ctx_t *ctx, work_t *w)
{
    const offbkg_model_t *make = w->make;

    w->shape = calloc(make->n_models + 1, sizeof *w->shape);
    if (w->shape == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t m = 0; m < make->n_models; m++) {
        shape_t *sh = &w->shape[m];
        for (size_t g = 0; sh->ref == NULL && g < make->n_groups; g++)
            sh->ref = make->models[m].cubes[g];
        if (sh->ref == NULL)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "[%s]: no group has "
                                    "a model", w->rc->models[m].section);
        sh->n_axes = sh->ref->n_axes;
        for (size_t a = 0; a < sh->n_axes; a++) {
            sh->n_bins[a] = sh->ref->axes[a].n_bins;
            sh->n_prof += sh->n_bins[a];
        }
        sh->n_map = sh->n_axes == 3 ? sh->n_bins[1] * sh->n_bins[2] : 0;
    }
    return OFFBKG_OK;
}

/* ------------------------------------------------------------------ */
/* One item                                                            */

static int sig_push(partial_t *p, double s)
{
    if (p->n_sig == p->cap_sig) {
        size_t cap = p->cap_sig ? 2 * p->cap_sig : 256;
        double *x = realloc(p->sig, cap * sizeof *x);
        if (x == NULL)
            return OFFBKG_ENOMEM;
        p->sig = x;
        p->cap_sig = cap;
    }
    p->sig[p->n_sig++] = s;
    return OFFBKG_OK;
}

/* The run's own cube @p own (its counts) against the prediction
 * pred->rate * f in each cell, f = the run's exposure x energy width x
 * solid angle (@p f), with the raw cube's errors (@p raw; doc/validate.md
 * §7 says why the smoothed prediction keeps them). The significances are
 * of the cells where @p sel (the run's group model, of every run)
 * predicts at least @p sig_min: chosen on the prediction itself, the
 * cells whose prediction came out high would be favoured, and their
 * significances pulled negative (§7). */
static int compare(const shape_t *sh, const offbkg_cube_t *own,
                   const double *f, const offbkg_cube_t *pred,
                   const offbkg_cube_t *raw, const offbkg_cube_t *sel,
                   double sig_min, offbkg_validate_run_t *res, partial_t *p)
{
    size_t n1 = sh->n_bins[1], n2 = sh->n_axes == 3 ? sh->n_bins[2] : 1;
    size_t off1 = sh->n_bins[0], off2 = off1 + n1;
    double dev = 0;

    for (size_t i = 0; i < own->n_cells; i++) {
        double n = own->counts[i], mu, e, var;
        size_t ie = i / (n1 * n2), i1 = (i / n2) % n1, i2 = i % n2;
        if (!(f[i] > 0))
            continue;           /* no exposure: excluded, never a zero */
        mu = pred->rate[i] * f[i];
        e = raw->rate_err[i] * f[i];
        var = mu > 0 ? e * e : 0;
        /* Counts where nothing is predicted are the model's failure, not
         * an excluded cell: they count in N (leaving them out would bias
         * the ratio of a sparse model low), but a deviance or
         * significance against 0 is infinite. */
        res->n_obs += n;
        res->n_pred += mu > 0 ? mu : 0;
        res->var_pred += var;
        if (mu > 0) {
            res->n_cells++;
            dev += offbkg_stats_deviance_cell(n, mu);
        } else
            res->n_cells_unpredicted += n > 0;
        size_t bins[3] = { ie, off1 + i1, off2 + i2 };
        for (size_t a = 0; a < sh->n_axes; a++) {
            p->prof[3 * bins[a]] += n;
            p->prof[3 * bins[a] + 1] += mu > 0 ? mu : 0;
            p->prof[3 * bins[a] + 2] += var;
            p->prof_hit[bins[a]] = 1;
        }
        if (sh->n_map > 0) {
            p->map[2 * (i1 * n2 + i2)] += n;
            p->map[2 * (i1 * n2 + i2) + 1] += mu > 0 ? mu : 0;
        }
        if (mu > 0 && sel->rate[i] * f[i] >= sig_min
            && sig_push(p, offbkg_stats_significance_var(n, mu, var))
                   != OFFBKG_OK)
            return OFFBKG_ENOMEM;
    }
    res->deviance = dev;
    res->p_value = offbkg_stats_chi2_sf(dev, (double)res->n_cells);
    res->ratio = res->n_pred > 0 ? res->n_obs / res->n_pred : 0;
    return OFFBKG_OK;
}

/* exposure x energy width (MeV) x solid angle of each cell: the
 * prediction is the rate (s-1 MeV-1 sr-1) times it. */
static double *cell_factors(const offbkg_cube_t *own)
{
    double *f = malloc((own->n_cells + 1) * sizeof *f);
    size_t per_e = own->n_cells / own->axes[0].n_bins;

    for (size_t i = 0; f != NULL && i < own->n_cells; i++) {
        const double *e = own->axes[0].edges;
        size_t ie = i / per_e;
        f[i] = own->exposure_s[i] * 1e6 * (e[ie + 1] - e[ie])
               * own->solid_angle_sr[i];
    }
    return f;
}

/* A target standing for run @p rep's group model less the runs @p without
 * marks (NULL: less the run itself): its one group, of weight 1. The
 * target's arrays point into @p gt. */
typedef struct group_target {
    size_t g;
    int32_t gid;
    double one, zero;
    int64_t none;
    offbkg_match_target_t t;
} group_target_t;

static void group_target(group_target_t *gt, const offbkg_run_report_t *rep,
                         const uint8_t *without)
{
    gt->g = (size_t)rep->group_id;
    gt->gid = rep->group_id;
    gt->one = 1;
    gt->zero = 0;
    gt->none = -1;
    gt->t = (offbkg_match_target_t){
        .obs_id = rep->obs_id, .kind = OFFBKG_MATCH_GROUPS,
        .combine = OFFBKG_COMBINE_LINEAR, .n = 1, .off = &gt->g,
        .off_obs_id = &gt->none, .group_id = &gt->gid, .weight = &gt->one,
        .distance = &gt->zero, .without = without };
}

/* Strategy @p s's cube without run k (a target of its match section, or
 * its group's model less the run), and what it was made of in @p res;
 * OFFBKG_EDATA with the reason in @p ctx when there is none. */
static int loo_cube(offbkg_ctx_t *ctx, const work_t *w, size_t s, size_t k,
                    offbkg_validate_run_t *res, offbkg_cube_t **cube)
{
    const offbkg_match_t *mt = &w->match[w->section_of[s]];
    const offbkg_run_report_t *rep = &w->make->runs[w->run[k]];
    size_t m = w->v->strategies[s].model;

    if (mt->shared_groups) {
        group_target_t gt;
        group_target(&gt, rep, without_of(w, k));
        res->n_matched = 1;
        for (size_t r = 0; r < w->make->n_runs; r++) {
            const offbkg_run_report_t *o = &w->make->runs[r];
            bool out = gt.t.without != NULL ? gt.t.without[r] != 0
                                            : o->obs_id == rep->obs_id;
            if (o->skipped == NULL && o->group_id == gt.gid && !out)
                res->off_livetime_s += o->livetime_s;
        }
        return offbkg_match_cube(ctx, w->rc, w->make, &gt.t, m, cube);
    }
    if (mt->targets[k].skipped != NULL)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s",
                                mt->targets[k].skipped);
    res->n_matched = mt->targets[k].n;
    res->off_livetime_s = mt->targets[k].off_livetime_s;
    return offbkg_match_cube(ctx, w->rc, w->make, &mt->targets[k], m, cube);
}

static int smooth_copy(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       size_t m, offbkg_instance_t **inst,
                       const offbkg_cube_t *raw, offbkg_cube_t **out)
{
    const offbkg_stage_conf_t *sc = &rc->smooths[m];
    int st = OFFBKG_OK;

    if ((*out = offbkg_cube_copy(raw)) == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (*inst == NULL)
        st = offbkg_instance_new(ctx, rc, sc, inst);
    if (st == OFFBKG_OK
        && (st = sc->module->desc->ops.smooth->smooth((*inst)->state, *out))
               != OFFBKG_OK)
        st = offbkg_instance_failed(ctx, rc, sc, st);
    return st;
}

static int set_skipped(offbkg_validate_run_t *res, const char *why)
{
    return (res->skipped = strdup(why)) != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;
}

/* offbkg_parallel_for item: run it->k, model it->m, every strategy. */
static void do_item(void *arg, size_t i)
{
    work_t *w = arg;
    item_t *it = &w->items[i];
    const shape_t *sh = &w->shape[it->m];
    offbkg_ctx_t *ctx = it->ctx;
    offbkg_cube_t *own = NULL;
    offbkg_instance_t *smoother = NULL;
    double *f = NULL;
    int st = offbkg_match_run_cube(ctx, w->rc, w->make, w->run[it->k], it->m,
                                   &own);
    const char *no_own = NULL;

    if (st == OFFBKG_EDATA) {   /* fully excluded: nothing to compare */
        no_own = offbkg_error_msg(ctx);
        st = OFFBKG_OK;
    } else if (st == OFFBKG_OK && own->n_cells != sh->ref->n_cells)
        st = offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s] made cubes of %zu "
                              "and %zu cells",
                              w->rc->models[it->m].section, own->n_cells,
                              sh->ref->n_cells);
    if (st == OFFBKG_OK && own != NULL && (f = cell_factors(own)) == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    /* The run's group model of every run, which chooses the cells whose
     * significance counts: the same cells for every strategy. */
    const offbkg_cube_t *sel = w->make->models[it->m].cubes[
        w->make->runs[w->run[it->k]].group_id];
    if (st == OFFBKG_OK && own != NULL
        && (sel == NULL || sel->n_cells != own->n_cells))
        st = offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s]: group %d has no "
                              "model of its %zu cells",
                              w->rc->models[it->m].section,
                              (int)w->make->runs[w->run[it->k]].group_id,
                              own->n_cells);
    for (size_t s = 0; st == OFFBKG_OK && s < w->v->n_strategies; s++) {
        offbkg_validate_strategy_t *vs = &w->v->strategies[s];
        offbkg_validate_run_t *res = &vs->runs[it->k];
        offbkg_cube_t *raw = NULL, *smoothed = NULL;
        if (vs->model != it->m || vs->smoothed)
            continue;   /* a smoothed strategy is done with its raw one */
        if (no_own != NULL) {
            if (set_skipped(res, no_own) != OFFBKG_OK
                || (s + 1 < w->v->n_strategies && vs[1].smoothed
                    && set_skipped(&vs[1].runs[it->k], no_own)
                           != OFFBKG_OK))
                st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            continue;
        }
        st = loo_cube(ctx, w, s, it->k, res, &raw);
        if (st == OFFBKG_EDATA) {
            char why[512];
            snprintf(why, sizeof why, "%s", offbkg_error_msg(ctx));
            offbkg_error_clear(ctx);
            st = set_skipped(res, why);
            if (st == OFFBKG_OK && s + 1 < w->v->n_strategies
                && vs[1].smoothed)
                st = set_skipped(&vs[1].runs[it->k], why);
            if (st != OFFBKG_OK)
                st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            continue;
        }
        if (st == OFFBKG_OK && raw->n_cells != own->n_cells)
            st = offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s] made cubes of "
                                  "%zu and %zu cells",
                                  w->rc->models[it->m].section, raw->n_cells,
                                  own->n_cells);
        if (st == OFFBKG_OK)
            st = compare(sh, own, f, raw, raw, sel, w->sig_min, res,
                         &it->part[s]);
        if (st == OFFBKG_OK && s + 1 < w->v->n_strategies && vs[1].smoothed) {
            vs[1].runs[it->k].n_matched = res->n_matched;
            vs[1].runs[it->k].off_livetime_s = res->off_livetime_s;
            st = smooth_copy(ctx, w->rc, it->m, &smoother, raw, &smoothed);
            if (st == OFFBKG_OK)
                st = compare(sh, own, f, smoothed, raw, sel, w->sig_min,
                             &vs[1].runs[it->k], &it->part[s + 1]);
        }
        if (st == OFFBKG_ENOMEM)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        offbkg_cube_free(raw);
        offbkg_cube_free(smoothed);
    }
    offbkg_instance_free(smoother);
    offbkg_cube_free(own);
    free(f);
    it->status = st;
}

int offbkg_validate_group_loo(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                              const offbkg_model_t *make, size_t run,
                              size_t m, const uint8_t *without,
                              offbkg_validate_run_t *res)
{
    const offbkg_run_report_t *rep = &make->runs[run];
    group_target_t gt;
    offbkg_cube_t *own = NULL, *loo = NULL;
    shape_t sh = { 0 };
    partial_t part = { 0 };
    double *f = NULL;
    int st;

    *res = (offbkg_validate_run_t){ .obs_id = rep->obs_id };
    group_target(&gt, rep, without);
    st = offbkg_match_run_cube(ctx, rc, make, run, m, &own);
    if (st == OFFBKG_OK)
        st = offbkg_match_cube(ctx, rc, make, &gt.t, m, &loo);
    if (st == OFFBKG_OK && loo->n_cells != own->n_cells)
        st = offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s] made cubes of %zu "
                              "and %zu cells", rc->models[m].section,
                              loo->n_cells, own->n_cells);
    if (st == OFFBKG_OK) {
        sh.n_axes = own->n_axes;
        for (size_t a = 0; a < sh.n_axes; a++) {
            sh.n_bins[a] = own->axes[a].n_bins;
            sh.n_prof += sh.n_bins[a];
        }
        sh.n_map = sh.n_axes == 3 ? sh.n_bins[1] * sh.n_bins[2] : 0;
        sh.ref = own;
        if ((f = cell_factors(own)) == NULL
            || partial_new(&sh, &part) != OFFBKG_OK)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    /* No significance is wanted: no cell reaches an infinite minimum. */
    if (st == OFFBKG_OK
        && compare(&sh, own, f, loo, loo, loo, INFINITY, res, &part)
               != OFFBKG_OK)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK && !(res->n_pred > 0))
        st = offbkg_error_set(ctx, OFFBKG_EDATA, "nothing predicted in its "
                              "cells");
    partial_free(&part);
    free(f);
    offbkg_cube_free(own);
    offbkg_cube_free(loo);
    return st;
}

/* ------------------------------------------------------------------ */
/* Sums over runs                                                      */

static int profiles_new(offbkg_ctx_t *ctx, offbkg_validate_strategy_t *vs,
                        const shape_t *sh, size_t n_columns)
{
    vs->n_axes = sh->n_axes;
    vs->n_profiles = sh->n_axes + n_columns;
    vs->profiles = calloc(vs->n_profiles, sizeof *vs->profiles);
    if (vs->profiles == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (sh->n_map > 0) {
        vs->map_nx = sh->n_bins[1];
        vs->map_ny = sh->n_bins[2];
        vs->map_n_obs = calloc(sh->n_map, sizeof *vs->map_n_obs);
        vs->map_n_pred = calloc(sh->n_map, sizeof *vs->map_n_pred);
        if (vs->map_n_obs == NULL || vs->map_n_pred == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    return OFFBKG_OK;
}

static int profile_alloc(offbkg_ctx_t *ctx, offbkg_validate_profile_t *p,
                         size_t n)
{
    p->n_bins = n;
    p->lo = calloc(n, sizeof *p->lo);
    p->hi = calloc(n, sizeof *p->hi);
    p->n_obs = calloc(n, sizeof *p->n_obs);
    p->n_pred = calloc(n, sizeof *p->n_pred);
    p->var_pred = calloc(n, sizeof *p->var_pred);
    p->ratio = calloc(n, sizeof *p->ratio);
    p->ratio_err = calloc(n, sizeof *p->ratio_err);
    p->n_runs = calloc(n, sizeof *p->n_runs);
    if (p->lo == NULL || p->hi == NULL || p->n_obs == NULL
        || p->n_pred == NULL || p->var_pred == NULL || p->ratio == NULL
        || p->ratio_err == NULL || p->n_runs == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

/* The axis profiles' bins, from the model's cube. */
static int axis_profiles(offbkg_ctx_t *ctx, offbkg_validate_strategy_t *vs,
                         const shape_t *sh)
{
    for (size_t a = 0; a < sh->n_axes; a++) {
        const offbkg_axis_t *ax = &sh->ref->axes[a];
        offbkg_validate_profile_t *p = &vs->profiles[a];
        int st = profile_alloc(ctx, p, ax->n_bins);
        if (st != OFFBKG_OK)
            return st;
        snprintf(p->name, sizeof p->name, "%s", ax->name);
        snprintf(p->unit, sizeof p->unit, "%s", ax->unit);
        for (size_t b = 0; b < ax->n_bins; b++) {
            p->lo[b] = ax->edges[b];
            p->hi[b] = ax->edges[b + 1];
        }
    }
    return OFFBKG_OK;
}

/* Add item @p it's partial of strategy @p s (its run's cells). */
static int reduce(offbkg_ctx_t *ctx, offbkg_validate_strategy_t *vs,
                  const shape_t *sh, const partial_t *p, double **sig,
                  size_t *n_sig, size_t *cap_sig)
{
    size_t b = 0;

    for (size_t a = 0; a < sh->n_axes; a++) {
        offbkg_validate_profile_t *pr = &vs->profiles[a];
        for (size_t j = 0; j < pr->n_bins; j++, b++) {
            pr->n_obs[j] += p->prof[3 * b];
            pr->n_pred[j] += p->prof[3 * b + 1];
            pr->var_pred[j] += p->prof[3 * b + 2];
            pr->n_runs[j] += p->prof_hit[b];
        }
    }
    for (size_t j = 0; j < sh->n_map; j++) {
        vs->map_n_obs[j] += p->map[2 * j];
        vs->map_n_pred[j] += p->map[2 * j + 1];
    }
    if (*n_sig + p->n_sig > *cap_sig) {
        size_t cap = 2 * (*n_sig + p->n_sig) + 256;
        double *x = realloc(*sig, cap * sizeof *x);
        if (x == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        *sig = x;
        *cap_sig = cap;
    }
    if (p->n_sig > 0)   /* p->sig is NULL when the run has none */
        memcpy(*sig + *n_sig, p->sig, p->n_sig * sizeof *p->sig);
    *n_sig += p->n_sig;
    return OFFBKG_OK;
}

static void partial_free(partial_t *p)
{
    free(p->prof);
    free(p->prof_hit);
    free(p->map);
    free(p->sig);
    memset(p, 0, sizeof *p);
}

static int partial_new(const shape_t *sh, partial_t *p)
{
    p->prof = calloc(3 * sh->n_prof + 1, sizeof *p->prof);
    p->prof_hit = calloc(sh->n_prof + 1, 1);
    p->map = calloc(2 * sh->n_map + 1, sizeof *p->map);
    return p->prof != NULL && p->prof_hit != NULL && p->map != NULL
               ? OFFBKG_OK : OFFBKG_ENOMEM;
}

/* The significances of every strategy, gathered in run order. */
typedef struct sigs {
    double *x;
    size_t n, cap;
} sigs_t;

/* The items of runs [k0, k1), on the threads, then their partials added
 * in run order. */
static int run_batch(offbkg_ctx_t *ctx, work_t *w, size_t k0, size_t k1,
                     size_t threads, sigs_t *sig)
{
    size_t n_models = w->make->n_models, n = (k1 - k0) * n_models;
    size_t n_str = w->v->n_strategies;
    int st = OFFBKG_OK;

    for (size_t i = 0; i < n && st == OFFBKG_OK; i++) {
        item_t *it = &w->items[i];
        it->k = k0 + i / n_models;
        it->m = i % n_models;
        it->status = OFFBKG_OK;
        if ((it->ctx = offbkg_ctx_new_child(ctx)) == NULL
            || (it->part = calloc(n_str, sizeof *it->part)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        for (size_t s = 0; st == OFFBKG_OK && s < n_str; s++)
            if (w->v->strategies[s].model == it->m
                && partial_new(&w->shape[it->m], &it->part[s]) != OFFBKG_OK)
                st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    if (st == OFFBKG_OK)
        offbkg_parallel_for(n, threads, do_item, w);
    for (size_t i = 0; i < n; i++) {
        item_t *it = &w->items[i];
        if (st == OFFBKG_OK && it->ctx != NULL && it->status != OFFBKG_OK)
            st = offbkg_error_set(ctx, it->status, "OBS_ID %" PRId64 ": %s",
                                  w->make->runs[w->run[it->k]].obs_id,
                                  offbkg_error_msg(it->ctx));
        for (size_t s = 0; it->part != NULL && s < n_str; s++) {
            offbkg_validate_strategy_t *vs = &w->v->strategies[s];
            if (st == OFFBKG_OK && vs->model == it->m)
                st = reduce(ctx, vs, &w->shape[it->m], &it->part[s],
                            &sig[s].x, &sig[s].n, &sig[s].cap);
            partial_free(&it->part[s]);
        }
        free(it->part);
        offbkg_ctx_free(it->ctx);
        memset(it, 0, sizeof *it);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* A strategy's numbers                                                */

static void profile_ratios(offbkg_validate_profile_t *p)
{
    for (size_t b = 0; b < p->n_bins; b++) {
        double r = p->n_pred[b] > 0 ? p->n_obs[b] / p->n_pred[b] : 0;
        p->ratio[b] = r;
        p->ratio_err[b] = sqrt(offbkg_stats_ratio_var(p->n_pred[b],
                                                      p->var_pred[b], r));
    }
}

/* Column profile @p c: the predicted runs in equal bins of the
 * validated runs' range of the column. */
static int column_profile(offbkg_ctx_t *ctx, const offbkg_validation_t *v,
                          offbkg_validate_strategy_t *vs, size_t c,
                          size_t n_bins)
{
    offbkg_validate_profile_t *p = &vs->profiles[vs->n_axes + c];
    double lo = INFINITY, hi = -INFINITY, width;
    int st = profile_alloc(ctx, p, n_bins);

    if (st != OFFBKG_OK)
        return st;
    snprintf(p->name, sizeof p->name, "%s", v->columns[c]);
    p->per_run = true;
    for (size_t k = 0; k < v->n_runs; k++) {
        double x = v->column_value[k * v->n_columns + c];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (!(hi > lo)) {           /* one value: a bin around it */
        lo -= 0.5;
        hi += 0.5;
    }
    width = (hi - lo) / (double)n_bins;
    for (size_t b = 0; b < n_bins; b++) {
        p->lo[b] = lo + width * (double)b;
        p->hi[b] = b + 1 < n_bins ? lo + width * (double)(b + 1) : hi;
    }
    for (size_t k = 0; k < v->n_runs; k++) {
        const offbkg_validate_run_t *r = &vs->runs[k];
        double x = v->column_value[k * v->n_columns + c];
        size_t b = (size_t)((x - lo) / width);
        if (r->skipped != NULL)
            continue;
        b = b < n_bins ? b : n_bins - 1;
        p->n_obs[b] += r->n_obs;
        p->n_pred[b] += r->n_pred;
        p->var_pred[b] += r->var_pred;
        p->n_runs[b]++;
    }
    profile_ratios(p);
    return OFFBKG_OK;
}

/* The run-wise systematic of the predicted runs of @p runs but those in
 * @p drop (NULL: none); @p nn has room for 3 n values. */
static void systematic(const offbkg_validate_run_t *runs, size_t n_runs,
                       const bool *drop, double *nn, offbkg_stats_sys_t *sys)
{
    size_t n = 0;

    for (size_t k = 0; k < n_runs; k++) {
        const offbkg_validate_run_t *r = &runs[k];
        if (r->skipped != NULL || (drop != NULL && drop[k]))
            continue;
        nn[n] = r->n_obs;
        nn[n_runs + n] = r->n_pred;
        nn[2 * n_runs + n] = r->var_pred;
        n++;
    }
    offbkg_stats_sys(nn, nn + n_runs, nn + 2 * n_runs, n, sys);
}

/* Each predicted run's ratio error, pull and outlier flag against @p sys. */
static size_t pulls(offbkg_validate_run_t *runs, size_t n_runs,
                    double outlier_sigma, const offbkg_stats_sys_t *sys)
{
    size_t n_out = 0;

    for (size_t k = 0; k < n_runs; k++) {
        offbkg_validate_run_t *r = &runs[k];
        if (r->skipped != NULL)
            continue;
        r->ratio_err = sqrt(offbkg_stats_ratio_var(r->n_pred, r->var_pred,
                                                   sys->ratio));
        r->pull = offbkg_stats_ratio_pull(r->n_obs, r->n_pred, r->var_pred,
                                          sys->mean, sys->sigma_sys);
        r->outlier = offbkg_stats_outlier(r->n_obs, r->n_pred, r->var_pred,
                                          sys->mean, sys->sigma_sys,
                                          outlier_sigma);
        n_out += r->outlier;
    }
    return n_out;
}

int offbkg_validate_judge(offbkg_ctx_t *ctx, offbkg_validate_run_t *runs,
                          size_t n_runs, double outlier_sigma,
                          const bool *first_drop, offbkg_stats_sys_t *sys,
                          size_t *n_outliers)
{
    double *nn = malloc((n_runs + 1) * 3 * sizeof *nn);
    bool *drop = calloc(n_runs + 1, sizeof *drop);

    if (nn == NULL || drop == NULL) {
        free(nn);
        free(drop);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    systematic(runs, n_runs, first_drop, nn, sys);
    if (pulls(runs, n_runs, outlier_sigma, sys) > 0) {
        for (size_t k = 0; k < n_runs; k++)
            drop[k] = runs[k].outlier;
        systematic(runs, n_runs, drop, nn, sys);
    }
    *n_outliers = pulls(runs, n_runs, outlier_sigma, sys);
    free(nn);
    free(drop);
    return OFFBKG_OK;
}

/* The deviance of all cells, then the runs judged by the run-wise
 * systematic (offbkg_validate_judge). */
static int run_numbers(offbkg_ctx_t *ctx, const offbkg_validation_t *v,
                       offbkg_validate_strategy_t *vs)
{
    double dev = 0;
    size_t cells = 0, unpred = 0;

    for (size_t k = 0; k < v->n_runs; k++) {
        const offbkg_validate_run_t *r = &vs->runs[k];
        if (r->skipped != NULL)
            continue;
        vs->n_predicted++;
        dev += r->deviance;
        cells += r->n_cells;
        unpred += r->n_cells_unpredicted;
    }
    vs->deviance = (offbkg_stats_deviance_t){
        .deviance = dev, .n_cells = cells, .n_skipped = unpred,
        .p_value = offbkg_stats_chi2_sf(dev, (double)cells) };
    return offbkg_validate_judge(ctx, vs->runs, v->n_runs, v->outlier_sigma,
                                 NULL, &vs->sys, &vs->n_outliers);
}

static int significances(offbkg_ctx_t *ctx, const offbkg_validate_conf_t *vc,
                         offbkg_validate_strategy_t *vs, const sigs_t *sig)
{
    vs->sig_n_bins = vc != NULL ? (size_t)vc->significance_bins : 50;
    vs->sig_lo = vc != NULL ? vc->significance_range.v[0] : -5;
    vs->sig_hi = vc != NULL ? vc->significance_range.v[1] : 5;
    vs->sig_counts = calloc(vs->sig_n_bins, sizeof *vs->sig_counts);
    if (vs->sig_counts == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    offbkg_stats_histogram(sig->x, sig->n, vs->sig_lo, vs->sig_hi,
                           vs->sig_n_bins, vs->sig_counts, &vs->sig_n_under,
                           &vs->sig_n_over, NULL);
    offbkg_stats_gauss_moments(sig->x, sig->n, &vs->sig_moments);
    vs->sig_fit_ok = offbkg_stats_gauss_fit(vs->sig_counts, vs->sig_n_bins,
                                            vs->sig_lo, vs->sig_hi,
                                            &vs->sig_fit);
    return OFFBKG_OK;
}

/* Whether strategy @p i ranks before @p j: the smaller systematic; a
 * strategy with fewer than two predicted runs has none and comes last;
 * ties keep the INI's order. */
static bool ranks_before(const offbkg_validate_strategy_t *s, size_t i,
                         size_t j)
{
    bool ui = s[i].n_predicted >= 2, uj = s[j].n_predicted >= 2;

    if (ui != uj)
        return ui;
    if (ui && s[i].sys.sigma_sys != s[j].sys.sigma_sys)
        return s[i].sys.sigma_sys < s[j].sys.sigma_sys;
    return i < j;
}

static int rank(offbkg_ctx_t *ctx, offbkg_validation_t *v)
{
    v->by_rank = malloc((v->n_strategies + 1) * sizeof *v->by_rank);
    if (v->by_rank == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    /* Insertion: a handful of strategies. */
    for (size_t s = 0; s < v->n_strategies; s++) {
        size_t r = s;
        for (; r > 0 && ranks_before(v->strategies, s, v->by_rank[r - 1]);
             r--)
            v->by_rank[r] = v->by_rank[r - 1];
        v->by_rank[r] = s;
    }
    for (size_t r = 0; r < v->n_strategies; r++)
        v->strategies[v->by_rank[r]].rank = r + 1;
    return OFFBKG_OK;
}

static int finish_strategy(offbkg_ctx_t *ctx, const work_t *w,
                           offbkg_validate_strategy_t *vs, const sigs_t *sig)
{
    const offbkg_validate_conf_t *vc = w->rc->validate;
    int st = run_numbers(ctx, w->v, vs);

    if (st == OFFBKG_OK)
        st = significances(ctx, vc, vs, sig);
    for (size_t a = 0; st == OFFBKG_OK && a < vs->n_axes; a++)
        profile_ratios(&vs->profiles[a]);
    for (size_t c = 0; st == OFFBKG_OK && c < w->v->n_columns; c++)
        st = column_profile(ctx, w->v, vs, c,
                            vc != NULL ? (size_t)vc->column_bins : 6);
    return st;
}

/* ------------------------------------------------------------------ */

static void work_clear(work_t *w)
{
    for (size_t c = 0; w->match != NULL && c < w->n_sections; c++)
        offbkg_match_clear(&w->match[c]);
    free(w->match);
    free(w->section);
    free(w->section_of);
    free(w->shape);
    free(w->run);
    free(w->fold_of);
    free(w->fold_mask);
    free(w->items);
}

static int validate_all(offbkg_ctx_t *ctx, work_t *w, size_t threads,
                        bool strict)
{
    offbkg_validation_t *v = w->v;
    size_t batch = 4 * threads;
    sigs_t *sig = NULL;
    int st = make_strategies(ctx, w);

    if (st == OFFBKG_OK)
        st = pick_runs(ctx, w);
    if (st == OFFBKG_OK)
        st = read_columns(ctx, w);
    if (st == OFFBKG_OK)
        st = make_folds(ctx, w);
    if (st == OFFBKG_OK)
        st = model_shapes(ctx, w);
    if (st == OFFBKG_OK)
        st = match_sections(ctx, w, strict);
    for (size_t s = 0; st == OFFBKG_OK && s < v->n_strategies; s++) {
        offbkg_validate_strategy_t *vs = &v->strategies[s];
        const shape_t *sh = &w->shape[vs->model];
        if ((vs->runs = calloc(v->n_runs, sizeof *vs->runs)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        for (size_t k = 0; st == OFFBKG_OK && k < v->n_runs; k++)
            vs->runs[k].obs_id = w->make->runs[w->run[k]].obs_id;
        if (st == OFFBKG_OK)
            st = profiles_new(ctx, vs, sh, v->n_columns);
        if (st == OFFBKG_OK)
            st = axis_profiles(ctx, vs, sh);
    }
    if (st == OFFBKG_OK
        && ((sig = calloc(v->n_strategies + 1, sizeof *sig)) == NULL
            || (w->items = calloc(batch * w->make->n_models,
                                  sizeof *w->items)) == NULL))
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; st == OFFBKG_OK && k < v->n_runs; k += batch) {
        size_t k1 = k + batch < v->n_runs ? k + batch : v->n_runs;
        st = offbkg_ctx_cancelled(ctx)
                 ? offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted")
                 : run_batch(ctx, w, k, k1, threads, sig);
    }
    for (size_t s = 0; st == OFFBKG_OK && s < v->n_strategies; s++)
        st = finish_strategy(ctx, w, &v->strategies[s], &sig[s]);
    if (st == OFFBKG_OK)
        st = rank(ctx, v);
    for (size_t s = 0; sig != NULL && s < v->n_strategies; s++)
        free(sig[s].x);
    free(sig);
    return st;
}

int offbkg_validate_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_model_t *make, size_t threads,
                        bool strict, offbkg_validation_t *out)
{
    const offbkg_validate_conf_t *vc = rc->validate;
    work_t w = { .ctx = ctx, .rc = rc, .make = make, .v = out };
    int st;

    memset(out, 0, sizeof *out);
    out->min_predicted = vc != NULL ? vc->min_predicted : 10;
    out->outlier_sigma = vc != NULL ? vc->outlier_sigma : 5;
    w.sig_min = out->min_predicted;
    if (make->kept == NULL || make->store == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "the model step kept "
                                "no run to validate");
    st = validate_all(ctx, &w, threads > 0 ? threads : 1, strict);
    work_clear(&w);
    if (st != OFFBKG_OK) {
        offbkg_validate_clear(out);
        return st;
    }
    OFFBKG_INFO(ctx, "validated %zu runs with %zu strategies", out->n_runs,
                out->n_strategies);
    return OFFBKG_OK;
}

static void profile_free(offbkg_validate_profile_t *p)
{
    free(p->lo);
    free(p->hi);
    free(p->n_obs);
    free(p->n_pred);
    free(p->var_pred);
    free(p->ratio);
    free(p->ratio_err);
    free(p->n_runs);
}

void offbkg_validate_clear(offbkg_validation_t *v)
{
    for (size_t s = 0; v->strategies != NULL && s < v->n_strategies; s++) {
        offbkg_validate_strategy_t *vs = &v->strategies[s];
        for (size_t k = 0; vs->runs != NULL && k < v->n_runs; k++)
            free(vs->runs[k].skipped);
        free(vs->runs);
        free(vs->sig_counts);
        for (size_t p = 0; vs->profiles != NULL && p < vs->n_profiles; p++)
            profile_free(&vs->profiles[p]);
        free(vs->profiles);
        free(vs->map_n_obs);
        free(vs->map_n_pred);
    }
    free(v->strategies);
    for (size_t c = 0; v->columns != NULL && c < v->n_columns; c++)
        free(v->columns[c]);
    free(v->columns);
    free(v->column_value);
    free(v->by_rank);
    memset(v, 0, sizeof *v);
}
