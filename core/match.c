/* SPDX-License-Identifier: BSD-3-Clause
 * The match step (doc/match.md): the [match] plugin names, for each
 * target observation, the OFF runs or the group models that make its
 * model; the host checks and records each answer (§2), and makes a
 * target's cube from the runs the model step kept (§3, §4). */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finite-private.h"
#include "group-private.h"
#include "host-private.h"
#include "instance-private.h"
#include "log-private.h"
#include "match-private.h"

/* What the plugin works from, owned here for prepare to match. */
typedef struct off_sample {
    offbkg_table_t off;             /* the used runs' obs-index rows */
    size_t *run;                    /* off row -> index of make->runs */
    int32_t *group_id;              /* off row -> its group */
    int64_t *sorted_id;             /* OBS_IDs of the off rows, sorted */
    size_t *sorted_row;             /* ... and their rows */
    offbkg_group_axis_t *axes;
    offbkg_group_def_t def;
    uint8_t *group_used;
    offbkg_obs_table_t view;        /* of off, for the plugin */
    offbkg_match_input_t in;
} off_sample_t;

static void sample_clear(off_sample_t *s)
{
    offbkg_table_free(&s->off);
    free(s->run);
    free(s->group_id);
    free(s->sorted_id);
    free(s->sorted_row);
    free(s->axes);
    free(s->group_used);
    memset(s, 0, sizeof *s);
}

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The OFF sample: the runs the models were made of, in model order, but
 * those @p without marks (NULL: none). */
static int sample_make(offbkg_ctx_t *ctx, const offbkg_model_t *make,
                       const uint8_t *without, off_sample_t *s)
{
    size_t n = 0, nr = make->n_runs, ng = make->n_groups;
    size_t *rows = malloc((nr + 1) * sizeof *rows);
    int64_t (*pairs)[2] = malloc((nr + 1) * sizeof *pairs);
    int st = OFFBKG_OK;

    s->run = malloc((nr + 1) * sizeof *s->run);
    s->group_id = malloc((nr + 1) * sizeof *s->group_id);
    s->sorted_id = malloc((nr + 1) * sizeof *s->sorted_id);
    s->sorted_row = malloc((nr + 1) * sizeof *s->sorted_row);
    s->group_used = calloc(ng + 1, 1);
    if (rows == NULL || pairs == NULL || s->run == NULL
        || s->group_id == NULL || s->sorted_id == NULL
        || s->sorted_row == NULL || s->group_used == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t r = 0; st == OFFBKG_OK && r < nr; r++) {
        const offbkg_run_report_t *rep = &make->runs[r];
        long row;
        if (rep->skipped != NULL || (without != NULL && without[r]))
            continue;
        row = offbkg_datastore_row(make->store, rep->obs_id);
        if (row < 0) {
            st = offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                  " is not in the data store", rep->obs_id);
            break;
        }
        rows[n] = (size_t)row;
        s->run[n] = r;
        s->group_id[n] = rep->group_id;
        pairs[n][0] = rep->obs_id;
        pairs[n][1] = (int64_t)n;
        n++;
    }
    if (st == OFFBKG_OK)
        st = offbkg_table_take(ctx, &make->store->obs, rows, n, &s->off);
    if (st == OFFBKG_OK) {
        qsort(pairs, n, sizeof *pairs, cmp_pair);
        for (size_t i = 0; i < n; i++) {
            s->sorted_id[i] = pairs[i][0];
            s->sorted_row[i] = (size_t)pairs[i][1];
        }
        for (size_t i = 0; i < n; i++)
            s->group_used[s->group_id[i]] = 1;
    }
    free(rows);
    free(pairs);
    return st;
}

/* The grouping's axes as the plugin ABI has them (offbkg make knows only
 * the group of each run: no axis). */
static int sample_groups(offbkg_ctx_t *ctx, const offbkg_model_t *make,
                         off_sample_t *s)
{
    const offbkg_grouping_t *g = make->grouping;
    size_t na = g != NULL ? g->n_axes : 0;

    s->axes = calloc(na + 1, sizeof *s->axes);
    if (s->axes == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (g != NULL)
        offbkg_group_abi_axes(g, s->axes);
    s->def = (offbkg_group_def_t){ .n_axes = na, .axes = s->axes };
    return OFFBKG_OK;
}

/* The OFF row of observation @p obs_id, or SIZE_MAX. */
static size_t self_row(const off_sample_t *s, int64_t obs_id)
{
    size_t lo = 0, hi = s->off.n_rows;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->sorted_id[mid] < obs_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->off.n_rows && s->sorted_id[lo] == obs_id
               ? s->sorted_row[lo] : SIZE_MAX;
}

static double column_value(const offbkg_obs_table_t *t, const char *name,
                           size_t row)
{
    const offbkg_column_t *c = offbkg_obs_table_column(t, name);
    double v = c != NULL ? offbkg_column_get_double(c, row) : NAN;
    return isfinite(v) ? v : NAN;
}

/* A wrong answer of the plugin: "file:line: [match] plugin NAME: ...". */
static int bad_result(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_stage_conf_t *sc, int64_t obs_id,
                      const char *fmt, ...) OFFBKG_PRINTF(5, 6);
static int bad_result(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_stage_conf_t *sc, int64_t obs_id,
                      const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return offbkg_error_set(ctx, OFFBKG_EPLUGIN, "%s:%d: [%s] plugin %s "
                            "gave a wrong match for OBS_ID %" PRId64 ": %s",
                            rc->ini->path, sc->line, sc->section,
                            sc->module->name, obs_id, why);
}

/* The answer @p r for target @p obs_id is one the host can use:
 * indices in range and each once, weights finite and > 0, distances
 * finite, never the target itself among runs, no group without runs.
 * @p seen: max(off rows, groups) entries, all 0 on entry and exit. */
static int check_result(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_stage_conf_t *sc,
                        const off_sample_t *s, int64_t obs_id, size_t self,
                        const offbkg_match_result_t *r, uint8_t *seen)
{
    bool runs = r->kind == OFFBKG_MATCH_RUNS;
    size_t limit = runs ? s->off.n_rows : s->in.n_groups;
    int st = OFFBKG_OK;

    if (r->kind != OFFBKG_MATCH_RUNS && r->kind != OFFBKG_MATCH_GROUPS)
        return bad_result(ctx, rc, sc, obs_id, "kind %d is neither runs nor "
                          "groups", (int)r->kind);
    if (!runs && r->combine != OFFBKG_COMBINE_LINEAR
        && r->combine != OFFBKG_COMBINE_LOG)
        return bad_result(ctx, rc, sc, obs_id, "combine %d is neither linear "
                          "nor log", (int)r->combine);
    if (r->index == NULL || r->weight == NULL)
        return bad_result(ctx, rc, sc, obs_id, "%zu matches without their "
                          "indices or weights", r->n);
    for (size_t k = 0; k < r->n && st == OFFBKG_OK; k++) {
        size_t i = r->index[k];
        if (i >= limit)
            st = bad_result(ctx, rc, sc, obs_id, "it names %s %zu of %zu",
                            runs ? "OFF row" : "group", i, limit);
        else if (seen[i])
            st = bad_result(ctx, rc, sc, obs_id, "it names %s %zu twice",
                            runs ? "OFF row" : "group", i);
        else if (!(r->weight[k] > 0) || !isfinite(r->weight[k]))
            st = bad_result(ctx, rc, sc, obs_id, "weight %g of %s %zu is not "
                            "finite and > 0", r->weight[k],
                            runs ? "OFF row" : "group", i);
        else if (r->distance != NULL && !isfinite(r->distance[k]))
            st = bad_result(ctx, rc, sc, obs_id, "distance %g of %s %zu is not "
                            "finite", r->distance[k],
                            runs ? "OFF row" : "group", i);
        else if (runs && i == self)
            st = bad_result(ctx, rc, sc, obs_id, "it names the target itself "
                            "(OFF row %zu): an observation is never part "
                            "of its own OFF sample", i);
        else if (!runs && !s->group_used[i])
            st = bad_result(ctx, rc, sc, obs_id, "it names group %zu, which "
                            "has no run", i);
        else
            seen[i] = 1;
    }
    for (size_t k = 0; k < r->n; k++)
        if (r->index[k] < limit)
            seen[r->index[k]] = 0;
    return st;
}

/* Record plugin answer @p r for target @p t (in range, checked). */
static int record(offbkg_ctx_t *ctx, const offbkg_model_t *make,
                  const off_sample_t *s, size_t self,
                  const offbkg_match_result_t *r, offbkg_match_target_t *t)
{
    size_t n = r->n;
    double total = 0;

    t->kind = r->kind;
    t->combine = r->kind == OFFBKG_MATCH_GROUPS ? r->combine
                                                : OFFBKG_COMBINE_LINEAR;
    t->n = n;
    t->off = calloc(n + 1, sizeof *t->off);
    t->off_obs_id = calloc(n + 1, sizeof *t->off_obs_id);
    t->group_id = calloc(n + 1, sizeof *t->group_id);
    t->weight = calloc(n + 1, sizeof *t->weight);
    t->distance = calloc(n + 1, sizeof *t->distance);
    if (t->off == NULL || t->off_obs_id == NULL || t->group_id == NULL
        || t->weight == NULL || t->distance == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    t->has_distance = r->distance != NULL;
    for (size_t k = 0; k < n; k++)
        total += r->weight[k];
    t->off_livetime_s = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = r->index[k];
        t->distance[k] = r->distance != NULL ? r->distance[k] : 0;
        if (r->kind == OFFBKG_MATCH_RUNS) {
            const offbkg_run_report_t *rep = &make->runs[s->run[i]];
            t->off[k] = s->run[i];
            t->off_obs_id[k] = rep->obs_id;
            t->group_id[k] = rep->group_id;
            t->weight[k] = r->weight[k];
            t->off_livetime_s += rep->livetime_s;
            continue;
        }
        /* A group's runs' livetime, without the target's own. */
        double live = 0;
        for (size_t j = 0; j < s->off.n_rows; j++)
            if (s->group_id[j] == (int32_t)i && j != self)
                live += make->runs[s->run[j]].livetime_s;
        t->off[k] = i;
        t->off_obs_id[k] = -1;
        t->group_id[k] = (int32_t)i;
        t->weight[k] = r->weight[k] / total;
        t->off_livetime_s += t->weight[k] * live;
    }
    return OFFBKG_OK;
}

/* Match the targets @p rows of @p targets (out->n_targets of them; NULL:
 * every row) with the plugin instance @p inst. */
static int match_all(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_instance_t *inst, const off_sample_t *s,
                     const offbkg_datastore_t *targets, const size_t *rows,
                     const offbkg_model_t *make, bool strict,
                     offbkg_match_t *out)
{
    const offbkg_match_ops_t *ops = inst->conf->module->desc->ops.match;
    offbkg_obs_table_t tv = offbkg_table_view(&targets->obs);
    size_t n_seen = s->off.n_rows > s->in.n_groups ? s->off.n_rows
                                                    : s->in.n_groups;
    uint8_t *seen = calloc(n_seen + 1, 1);
    int st = OFFBKG_OK;

    if (seen == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < out->n_targets && st == OFFBKG_OK; i++) {
        offbkg_match_target_t *t = &out->targets[i];
        offbkg_match_result_t r = { .struct_size = sizeof r };
        size_t row = rows != NULL ? rows[i] : i, self;

        if (offbkg_ctx_cancelled(ctx)) {
            st = offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
            break;
        }
        t->obs_id = offbkg_datastore_obs_id(targets, row);
        t->row = row;
        t->zen_pnt_deg = column_value(&tv, "ZEN_PNT", row);
        t->az_pnt_deg = column_value(&tv, "AZ_PNT", row);
        t->livetime_s = column_value(&tv, "LIVETIME", row);
        self = self_row(s, t->obs_id);
        st = ops->match(inst->state, &tv, row, self, &r);
        if (st != OFFBKG_OK) {
            st = offbkg_instance_failed(ctx, rc, inst->conf, st);
            break;
        }
        if (r.n == 0) {
            const char *why = r.reason != NULL && r.reason[0] != '\0'
                                  ? r.reason : "no match";
            if (strict) {
                st = offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %" PRId64
                                      ": not matched by [%s] plugin %s: %s "
                                      "(--strict)", t->obs_id,
                                      inst->conf->section,
                                      inst->conf->module->name, why);
                break;
            }
            OFFBKG_WARN(ctx, "OBS_ID %" PRId64 " skipped: not matched by "
                        "[%s] plugin %s: %s", t->obs_id, inst->conf->section,
                        inst->conf->module->name, why);
            if ((t->skipped = strdup(why)) == NULL)
                st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            out->n_skipped++;
            continue;
        }
        st = check_result(ctx, rc, inst->conf, s, t->obs_id, self, &r,
                          seen);
        if (st == OFFBKG_OK)
            st = record(ctx, make, s, self, &r, t);
        out->n_matched += st == OFFBKG_OK;
    }
    free(seen);
    return st;
}

int offbkg_match_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *target_store,
                     const offbkg_model_t *make, bool strict,
                     offbkg_match_t *out)
{
    return offbkg_match_section(ctx, rc, &rc->match, target_store, NULL,
                                target_store->obs.n_rows, make, NULL, strict,
                                out);
}

int offbkg_match_section(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                         const offbkg_stage_conf_t *sc,
                         const offbkg_datastore_t *target_store,
                         const size_t *rows, size_t n_rows,
                         const offbkg_model_t *make, const uint8_t *without,
                         bool strict, offbkg_match_t *out)
{
    off_sample_t s = { 0 };
    offbkg_instance_t *inst = NULL;
    int st;

    memset(out, 0, sizeof *out);
    out->target_store = target_store;
    if (sc->module != NULL)
        snprintf(out->plugin, sizeof out->plugin, "%s %s", sc->module->name,
                 sc->module->desc->version);
    else
        snprintf(out->plugin, sizeof out->plugin, "group");
    out->shared_groups = !offbkg_runconf_match_per_target(sc);
    if (out->shared_groups)
        return OFFBKG_OK;
    if (make->kept == NULL || make->store == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "the model step kept "
                                "no run for [%s]", sc->section);
    out->n_targets = n_rows;
    out->targets = calloc(out->n_targets + 1, sizeof *out->targets);
    if (out->targets == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < out->n_targets; i++)
        out->targets[i].zen_pnt_deg = out->targets[i].az_pnt_deg =
            out->targets[i].livetime_s = NAN;
    st = sample_make(ctx, make, without, &s);
    if (st == OFFBKG_OK)
        st = sample_groups(ctx, make, &s);
    if (st == OFFBKG_OK) {
        s.view = offbkg_table_view(&s.off);
        s.in = (offbkg_match_input_t){
            .struct_size = sizeof s.in, .off = &s.view,
            .off_group_id = s.group_id, .groups = &s.def,
            .n_groups = make->n_groups, .group_used = s.group_used };
        st = offbkg_instance_new(ctx, rc, sc, &inst);
    }
    if (st == OFFBKG_OK) {
        st = sc->module->desc->ops.match->prepare(inst->state, &s.in);
        if (st != OFFBKG_OK)
            st = offbkg_instance_failed(ctx, rc, sc, st);
    }
    if (st == OFFBKG_OK)
        st = match_all(ctx, rc, inst, &s, target_store, rows, make, strict,
                       out);
    for (size_t i = 0; st == OFFBKG_OK && i < out->n_targets; i++)
        out->targets[i].without = without;
    /* The plugin may read its input until destroy: the sample goes
     * after it. */
    offbkg_instance_free(inst);
    sample_clear(&s);
    if (st != OFFBKG_OK) {
        offbkg_match_clear(out);
        return st;
    }
    OFFBKG_INFO(ctx, "[%s] plugin %s: %zu of %zu targets matched, %zu "
                "skipped; the runs kept in %.1f MB (%.1f kB per run)",
                sc->section, sc->module->name, out->n_matched,
                out->n_targets, out->n_skipped,
                (double)make->kept_bytes / 1048576.0,
                make->n_runs > 0 ? (double)make->kept_bytes / 1024.0
                                       / (double)make->n_runs : 0.0);
    return OFFBKG_OK;
}

/* ------------------------------------------------------------------ */
/* A target's cube                                                     */

/* The sums of one cube, owned. Without weights (all 1) the variance
 * is the counts: counts_w2 is NULL then, and counts stands for it. */
typedef struct sums {
    size_t n_counts, n_exposure;
    double *counts, *counts_w2, *exposure_s;
} sums_t;

/* @p counts_set: the caller sets every count (not zeroed here). */
static int sums_new(offbkg_ctx_t *ctx, const offbkg_model_t *make, size_t m,
                    bool weighted, bool counts_set, sums_t *s)
{
    s->n_counts = make->n_counts[m];
    s->n_exposure = make->n_exposure[m];
    s->counts = counts_set ? malloc((s->n_counts + 1) * sizeof *s->counts)
                           : calloc(s->n_counts + 1, sizeof *s->counts);
    s->counts_w2 = weighted ? calloc(s->n_counts + 1, sizeof *s->counts_w2)
                            : NULL;
    s->exposure_s = calloc(s->n_exposure + 1, sizeof *s->exposure_s);
    if (s->counts == NULL || (weighted && s->counts_w2 == NULL)
        || s->exposure_s == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

static void sums_free(sums_t *s)
{
    free(s->counts);
    free(s->counts_w2);
    free(s->exposure_s);
}

int offbkg_match_finish_sums(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             const offbkg_model_t *make, size_t m,
                             const double *counts, const double *counts_w2,
                             const double *exposure_s, offbkg_cube_t **cube)
{
    const offbkg_instance_t *inst = make->instances[m];
    offbkg_contrib_sums_t cs = {
        .struct_size = sizeof cs, .n_counts = make->n_counts[m],
        .counts = counts,
        .counts_w2 = counts_w2 != NULL ? counts_w2 : counts,
        .n_exposure = make->n_exposure[m], .exposure_s = exposure_s };
    int st = inst->conf->module->desc->ops.model->finish_sums(inst->state,
                                                              &cs, cube);

    if (st != OFFBKG_OK) {
        *cube = NULL;
        return offbkg_instance_failed(ctx, rc, inst->conf, st);
    }
    return OFFBKG_OK;
}

/* finish_sums of model @p m on @p s. */
static int finish(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                  const offbkg_model_t *make, size_t m, const sums_t *s,
                  offbkg_cube_t **cube)
{
    return offbkg_match_finish_sums(ctx, rc, make, m, s->counts,
                                    s->counts_w2, s->exposure_s, cube);
}

static int cmp_size(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

/* Whether the runs of @p t, all of weight 1, can be summed in integer
 * counts of model @p m without wrapping. */
static bool ones_fit_u32(const offbkg_model_t *make,
                         const offbkg_match_target_t *t, size_t m)
{
    uint64_t max = 0;

    for (size_t k = 0; k < t->n; k++) {
        if (t->weight[k] != 1)
            return false;
        max += make->kept[t->off[k] * make->n_models + m].max_count;
    }
    return max <= UINT32_MAX;
}

/* RUNS: the pooled runs, summed in model order (so weights 1 give a
 * group's sums bit for bit). Weights 1 sum the counts as integers
 * (offbkg_model_keep_add_ones: the same sums, exact in any order, over
 * half the memory, which the scattered adds of 50 runs are bound by). */
static int runs_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_model_t *make,
                     const offbkg_match_target_t *t, size_t m,
                     offbkg_cube_t **cube)
{
    size_t (*order)[2] = malloc((t->n + 1) * sizeof *order);
    sums_t s = { 0 };
    bool ones = true, ints = ones_fit_u32(make, t, m);
    uint32_t *counts_u = NULL;

    for (size_t k = 0; k < t->n; k++)
        ones = ones && t->weight[k] == 1;
    int st = order == NULL ? offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                              "out of memory")
                           : sums_new(ctx, make, m, !ones, ints, &s);

    if (st == OFFBKG_OK && ints
        && (counts_u = calloc(s.n_counts + 1, sizeof *counts_u)) == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; st == OFFBKG_OK && k < t->n; k++) {
        order[k][0] = t->off[k];
        order[k][1] = k;
    }
    if (st == OFFBKG_OK) {
        qsort(order, t->n, sizeof *order, cmp_size);
        for (size_t k = 0; k < t->n; k++) {
            const offbkg_model_keep_t *kept =
                &make->kept[order[k][0] * make->n_models + m];
            if (ints)
                offbkg_model_keep_add_ones(kept, counts_u, s.exposure_s,
                                           s.n_exposure);
            else
                offbkg_model_keep_add(kept, t->weight[order[k][1]],
                                      s.counts, s.counts_w2, s.exposure_s,
                                      s.n_exposure);
        }
        for (size_t c = 0; ints && c < s.n_counts; c++)
            s.counts[c] = (double)counts_u[c];
        st = finish(ctx, rc, make, m, &s, cube);
    }
    free(counts_u);
    sums_free(&s);
    free(order);
    return st;
}

int offbkg_match_run_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                          const offbkg_model_t *make, size_t run, size_t m,
                          offbkg_cube_t **cube)
{
    sums_t s = { 0 };
    int st = sums_new(ctx, make, m, false, false, &s);

    *cube = NULL;
    if (st == OFFBKG_OK) {
        offbkg_model_keep_add(&make->kept[run * make->n_models + m], 1,
                              s.counts, NULL, s.exposure_s, s.n_exposure);
        st = finish(ctx, rc, make, m, &s, cube);
    }
    sums_free(&s);
    return st;
}

/* Whether make->runs[r] is left out of target @p t's groups. */
static bool left_out(const offbkg_model_t *make,
                     const offbkg_match_target_t *t, size_t r)
{
    if (make->runs[r].skipped != NULL)
        return false;
    return t->without != NULL ? t->without[r] != 0
                              : make->runs[r].obs_id == t->obs_id;
}

/* Group @p g's cube of model @p m without target @p t's own run (or the
 * runs t->without marks): the model step's own cube when none of them is
 * in the group (finish_sums of its sums would be it, bit for bit), else
 * its sums less those runs (OFFBKG_EDATA when nothing is left). *use is
 * the cube, *owned the same when it was made here (the caller frees it),
 * else NULL. */
static int group_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_model_t *make,
                      const offbkg_match_target_t *t, size_t m, size_t g,
                      const offbkg_cube_t **use, offbkg_cube_t **owned)
{
    const double *all = make->group_sums[m * make->n_groups + g];
    bool any = false;
    sums_t s = { 0 };
    int st;

    *use = NULL;
    *owned = NULL;
    if (all == NULL)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "group %zu has no run",
                                g);
    for (size_t r = 0; !any && r < make->n_runs; r++)
        any = make->runs[r].group_id == (int32_t)g && left_out(make, t, r);
    if (!any && make->models[m].cubes[g] != NULL) {
        *use = make->models[m].cubes[g];
        return OFFBKG_OK;
    }
    if ((st = sums_new(ctx, make, m, false, true, &s)) == OFFBKG_OK) {
        memcpy(s.counts, all, s.n_counts * sizeof *s.counts);
        memcpy(s.exposure_s, all + s.n_counts,
               s.n_exposure * sizeof *s.exposure_s);
        for (size_t r = 0; r < make->n_runs; r++)
            if (make->runs[r].group_id == (int32_t)g && left_out(make, t, r))
                offbkg_model_keep_sub(&make->kept[r * make->n_models + m],
                                      s.counts, s.exposure_s, s.n_exposure);
        st = finish(ctx, rc, make, m, &s, owned);
        *use = *owned;
    }
    sums_free(&s);
    return st;
}

/* Combine the node cubes @p node (weights @p w, summing to 1) into
 * @p out, cell by cell (include/offbkg/plugin.h, doc/match.md §4). */
static void combine(const offbkg_cube_t *const *node, const double *w,
                    size_t n, offbkg_match_combine_t how, offbkg_cube_t *out)
{
    bool log_rates = how == OFFBKG_COMBINE_LOG;

    for (size_t c = 0; c < out->n_cells; c++) {
        double counts = 0, expo = 0, lin = 0, var = 0, logsum = 0,
               rel2 = 0;
        bool empty = false;
        for (size_t k = 0; k < n; k++) {
            double r = node[k]->rate[c], e = node[k]->rate_err[c];
            counts += w[k] * node[k]->counts[c];
            expo += w[k] * node[k]->exposure_s[c];
            lin += w[k] * r;
            var += w[k] * w[k] * e * e;
            if (!log_rates)
                continue;
            if (r > 0) {
                logsum += w[k] * log(r);
                rel2 += w[k] * w[k] * (e / r) * (e / r);
            } else
                empty = true;
        }
        out->counts[c] = counts;
        out->exposure_s[c] = expo;
        if (log_rates && !empty) {
            out->rate[c] = exp(logsum);
            out->rate_err[c] = out->rate[c] * sqrt(rel2);
        } else {
            out->rate[c] = lin;
            out->rate_err[c] = sqrt(var);
        }
    }
}

/* GROUPS: each group's model without the target's run, combined. A node
 * left without exposure by the target's run is dropped and the others'
 * weights renormalised. */
static int groups_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_model_t *make,
                       const offbkg_match_target_t *t, size_t m,
                       offbkg_cube_t **cube)
{
    const offbkg_cube_t **node = calloc(t->n + 1, sizeof *node);
    offbkg_cube_t **owned = calloc(t->n + 1, sizeof *owned);
    double *w = calloc(t->n + 1, sizeof *w);
    size_t n = 0;
    double total = 0;
    int st = node == NULL || owned == NULL || w == NULL
                 ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
                 : OFFBKG_OK;

    for (size_t k = 0; st == OFFBKG_OK && k < t->n; k++) {
        st = group_cube(ctx, rc, make, t, m, (size_t)t->group_id[k],
                        &node[n], &owned[n]);
        if (st == OFFBKG_EDATA) {
            offbkg_error_clear(ctx);    /* only the target's run was in it */
            st = OFFBKG_OK;
            continue;
        }
        if (st == OFFBKG_OK && n > 0 && node[n]->n_cells != node[0]->n_cells)
            st = offbkg_error_set(ctx, OFFBKG_EPLUGIN, "[%s] made cubes of "
                                  "%zu and %zu cells", rc->models[m].section,
                                  node[0]->n_cells, node[n]->n_cells);
        w[n] = t->weight[k];
        total += t->weight[k];
        n += st == OFFBKG_OK;
    }
    if (st == OFFBKG_OK && n == 0)
        st = offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %" PRId64 ": no "
                              "exposure in its %zu matched group%s without "
                              "its own run", t->obs_id, t->n,
                              t->n == 1 ? "" : "s");
    if (st == OFFBKG_OK) {
        for (size_t k = 0; k < n; k++)
            w[k] /= total;
        if ((*cube = offbkg_cube_copy(node[0])) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    if (st == OFFBKG_OK)
        combine(node, w, n, t->combine, *cube);
    for (size_t k = 0; owned != NULL && k <= n && k < t->n; k++)
        offbkg_cube_free(owned[k]);
    free(node);
    free(owned);
    free(w);
    return st;
}

/* Whether every value of @p c that is used is finite and >= 0, as the
 * writer wants them (offbkg_bkg_write, which need not check them again):
 * the rates, and the counts and exposure when a smoother is given them
 * (without one they are neither written nor compared: doc/match.md §6,
 * §7). */
static bool cube_finite(const offbkg_cube_t *c, bool rates)
{
    return offbkg_finite_all_nonneg(c->rate, c->n_cells)
           && offbkg_finite_all_nonneg(c->rate_err, c->n_cells)
           && (rates || (offbkg_finite_all_nonneg(c->counts, c->n_cells)
                         && offbkg_finite_all_nonneg(c->exposure_s,
                                                     c->n_cells)));
}

int offbkg_match_cube(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_model_t *make,
                      const offbkg_match_target_t *t, size_t m,
                      offbkg_cube_t **cube)
{
    int st;

    *cube = NULL;
    if (t->skipped != NULL || t->n == 0 || make->kept == NULL
        || m >= make->n_models)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                ": no match to make a cube of", t->obs_id);
    st = t->kind == OFFBKG_MATCH_RUNS ? runs_cube(ctx, rc, make, t, m, cube)
                                      : groups_cube(ctx, rc, make, t, m,
                                                    cube);
    /* Never a NaN or an inf in a model (a plugin's cube included):
     * checked array by array without early exit, the cell at fault
     * looked for only when there is one. */
    if (st == OFFBKG_OK
        && !cube_finite(*cube, rc->smooths[m].module == NULL))
        for (size_t c = 0; st == OFFBKG_OK && c < (*cube)->n_cells; c++)
            if (!offbkg_finite_all_nonneg(&(*cube)->rate[c], 1)
                || !offbkg_finite_all_nonneg(&(*cube)->rate_err[c], 1)
                || !offbkg_finite_all_nonneg(&(*cube)->counts[c], 1)
                || !offbkg_finite_all_nonneg(&(*cube)->exposure_s[c], 1))
                st = offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %" PRId64
                                      ": [%s] cell %zu is not finite and "
                                      ">= 0", t->obs_id,
                                      rc->models[m].section, c);
    if (st != OFFBKG_OK) {
        offbkg_cube_free(*cube);
        *cube = NULL;
    }
    return st;
}

void offbkg_match_clear(offbkg_match_t *m)
{
    for (size_t i = 0; m->targets != NULL && i < m->n_targets; i++) {
        offbkg_match_target_t *t = &m->targets[i];
        free(t->skipped);
        free(t->off);
        free(t->off_obs_id);
        free(t->group_id);
        free(t->weight);
        free(t->distance);
    }
    free(m->targets);
    memset(m, 0, sizeof *m);
}
