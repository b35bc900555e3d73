/* SPDX-License-Identifier: BSD-3-Clause
 * Outlier rejection (doc/validate.md §9). Each round compares every run
 * still in the models with its group's model made without it (core/
 * validate.c, from the kept runs: no event is read again), judges the
 * ratios by the run-wise systematic as offbkg validate does, and leaves
 * out, in each group, the one run with the largest |pull| beyond
 * outlier_sigma: a bright run raises its group's predictions of the
 * others, so only the worst of a group is sure to be an outlier. The
 * rounds end when no run is flagged; then the groups that lost runs are
 * summed again from their kept runs in run order, which is the model
 * step's merge bit for bit. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log-private.h"
#include "match-private.h"
#include "outliers-private.h"
#include "parallel-private.h"
#include "validate-private.h"

/* A group needs this many runs for its runs to be judged: of two, each
 * predicted by the other, neither can be told to be the odd one. */
#define MIN_GROUP_RUNS 3

typedef struct round {
    offbkg_ctx_t *ctx;
    const offbkg_runconf_t *rc;
    const offbkg_model_t *make;
    size_t m;                       /* the judging model */
    const uint8_t *removed;         /* per run: left out already */
    const size_t *todo;             /* the runs compared this round */
    offbkg_validate_run_t *cmp;     /* per run: its last comparison */
    int *st;                        /* per run compared */
} round_t;

/* offbkg_parallel_for item: judged run @p i against its group without
 * it and without the runs left out. */
static void compare_run(void *arg, size_t i)
{
    round_t *w = arg;
    size_t run = w->todo[i], n = w->make->n_runs;
    uint8_t *without = malloc(n + 1);
    offbkg_ctx_t *ctx = offbkg_ctx_new_child(w->ctx);
    offbkg_validate_run_t *res = &w->cmp[run];
    int st = without != NULL && ctx != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;

    free(res->skipped);
    *res = (offbkg_validate_run_t){ .obs_id = w->make->runs[run].obs_id };
    if (st == OFFBKG_OK) {
        memcpy(without, w->removed, n);
        without[run] = 1;
        st = offbkg_validate_group_loo(ctx, w->rc, w->make, run, w->m,
                                       without, res);
    }
    /* Nothing to compare (fully excluded, nothing predicted): not
     * judged, and kept. */
    if (st == OFFBKG_EDATA) {
        *res = (offbkg_validate_run_t){ .obs_id = res->obs_id };
        res->skipped = strdup(offbkg_error_msg(ctx));
        st = res->skipped != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;
    } else if (st != OFFBKG_OK && st != OFFBKG_ENOMEM)
        st = offbkg_error_set(w->ctx, st, "OBS_ID %" PRId64 ": %s",
                              w->make->runs[run].obs_id,
                              offbkg_error_msg(ctx));
    w->st[i] = st;
    free(without);
    offbkg_ctx_free(ctx);
}

/* Group @p g's sums and cubes of every model again, of its runs still
 * used, added in run order from zero: the model step's merge, bit for
 * bit. */
static int remake_group(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        offbkg_model_t *make, size_t g)
{
    for (size_t m = 0; m < make->n_models; m++) {
        double *sums = make->group_sums[m * make->n_groups + g];
        size_t n_counts = make->n_counts[m], n_exp = make->n_exposure[m];
        offbkg_cube_t *cube = NULL;
        if (sums == NULL)
            continue;
        memset(sums, 0, (n_counts + n_exp) * sizeof *sums);
        for (size_t r = 0; r < make->n_runs; r++)
            if ((size_t)make->runs[r].group_id == g
                && make->runs[r].skipped == NULL)
                offbkg_model_keep_add(&make->kept[r * make->n_models + m], 1,
                                      sums, NULL, sums + n_counts, n_exp);
        int st = offbkg_match_finish_sums(ctx, rc, make, m, sums, NULL,
                                          sums + n_counts, &cube);
        if (st != OFFBKG_OK)
            return st;
        offbkg_cube_free(make->models[m].cubes[g]);
        make->models[m].cubes[g] = cube;
    }
    return OFFBKG_OK;
}

/* Run @p r is left out: skipped with @p why, in no group's count, its
 * kept contributions freed. */
static int leave_out(offbkg_ctx_t *ctx, offbkg_model_t *make, size_t r,
                     const char *why)
{
    offbkg_run_report_t *rep = &make->runs[r];

    if ((rep->skipped = strdup(why)) == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    make->runs_used[rep->group_id]--;
    for (size_t m = 0; m < make->n_models; m++) {
        offbkg_model_keep_t *k = &make->kept[r * make->n_models + m];
        make->kept_bytes -= offbkg_model_keep_bytes(k);
        offbkg_model_keep_free(k);
        memset(k, 0, sizeof *k);
    }
    return OFFBKG_OK;
}

static int cmp_double(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

static double median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Mark in @p drop the compared runs whose ratio is more than @p k robust
 * standard deviations from the median ratio: 1.4826 times the median
 * absolute deviation (a Normal's sigma), at least the median run's own
 * error. The run-wise systematic is then estimated without them: of
 * all runs, a few bright ones widen it until none of them stands out
 * (doc/validate.md §9). */
static int prescreen(offbkg_ctx_t *ctx, const offbkg_validate_run_t *res,
                     size_t n, double k, bool *drop)
{
    double *x = malloc((n + 1) * sizeof *x), *e = malloc((n + 1) * sizeof *e);
    double r0, mad, err, spread, sum_n = 0, sum_m = 0;
    size_t u = 0;

    if (x == NULL || e == NULL) {
        free(x);
        free(e);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (res[i].skipped == NULL) {
            sum_n += res[i].n_obs;
            sum_m += res[i].n_pred;
        }
    for (size_t i = 0; i < n; i++)
        if (res[i].skipped == NULL) {
            x[u] = res[i].ratio;
            e[u++] = sqrt(offbkg_stats_ratio_var(
                res[i].n_pred, res[i].var_pred,
                sum_m > 0 ? sum_n / sum_m : 1));
        }
    if (u > 0) {
        r0 = median(x, u);
        err = median(e, u);
        for (size_t i = 0, j = 0; i < n; i++)
            if (res[i].skipped == NULL)
                x[j++] = fabs(res[i].ratio - r0);
        mad = median(x, u);
        spread = 1.4826 * mad > err ? 1.4826 * mad : err;
        for (size_t i = 0; i < n; i++)
            drop[i] = res[i].skipped == NULL
                      && fabs(res[i].ratio - r0) > k * spread;
    }
    free(x);
    free(e);
    return OFFBKG_OK;
}

/* What the rounds share. A run's comparison depends only on its group's
 * runs left out, so a round compares again only the runs of the groups
 * that lost one in the round before. */
typedef struct rounds {
    uint8_t *removed;               /* per run: left out */
    size_t *left;                   /* per group: runs still used */
    uint8_t *stale;                 /* per group: compare its runs again */
    offbkg_validate_run_t *cmp;     /* per run: its last comparison */
} rounds_t;

/* One round: compare the runs of groups that still have enough, judge
 * them together, and mark the worst outlier of each group left out
 * (recorded in make->outliers). *n_removed: how many. */
static int one_round(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     offbkg_model_t *make, size_t m, size_t threads,
                     rounds_t *rs, size_t *n_removed)
{
    offbkg_outliers_t *o = &make->outliers;
    size_t n = make->n_runs, n_judged = 0, n_todo = 0;
    size_t *judged = malloc((n + 1) * sizeof *judged);
    size_t *todo = malloc((n + 1) * sizeof *todo);
    size_t *worst = malloc((make->n_groups + 1) * sizeof *worst);
    offbkg_validate_run_t *res = calloc(n + 1, sizeof *res);
    int *sts = calloc(n + 1, sizeof *sts);
    bool *drop = calloc(n + 1, sizeof *drop);
    offbkg_stats_sys_t sys;
    size_t n_out = 0;
    int st = OFFBKG_OK;

    *n_removed = 0;
    if (judged == NULL || todo == NULL || worst == NULL || res == NULL
        || sts == NULL || drop == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t r = 0; st == OFFBKG_OK && r < n; r++) {
        size_t g = (size_t)make->runs[r].group_id;
        if (make->runs[r].skipped != NULL || rs->removed[r]
            || rs->left[g] < MIN_GROUP_RUNS)
            continue;
        judged[n_judged++] = r;
        if (rs->stale[g])
            todo[n_todo++] = r;
    }
    round_t w = { ctx, rc, make, m, rs->removed, todo, rs->cmp, sts };
    if (st == OFFBKG_OK)
        offbkg_parallel_for(n_todo, threads, compare_run, &w);
    for (size_t i = 0; st == OFFBKG_OK && i < n_todo; i++)
        st = sts[i] == OFFBKG_ENOMEM
                 ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
                 : sts[i];
    /* The judged runs' comparisons side by side (their reasons are
     * rs->cmp's). */
    for (size_t i = 0; st == OFFBKG_OK && i < n_judged; i++)
        res[i] = rs->cmp[judged[i]];
    if (st == OFFBKG_OK)
        st = prescreen(ctx, res, n_judged, o->sigma, drop);
    if (st == OFFBKG_OK)
        st = offbkg_validate_judge(ctx, res, n_judged, o->sigma, drop, &sys,
                                   &n_out);
    if (st == OFFBKG_OK) {
        o->rounds++;
        o->sys = sys;
        o->n_judged = 0;
        for (size_t i = 0; i < n_judged; i++)
            o->n_judged += res[i].skipped == NULL;
        o->n_unjudged = n - o->n_judged;
        for (size_t r = 0; r < n; r++)
            o->n_unjudged -= make->runs[r].skipped != NULL || rs->removed[r];
    }
    for (size_t g = 0; worst != NULL && g < make->n_groups; g++) {
        worst[g] = (size_t)-1;
        rs->stale[g] = 0;
    }
    for (size_t i = 0; st == OFFBKG_OK && n_out > 0 && i < n_judged; i++) {
        size_t g = (size_t)make->runs[judged[i]].group_id;
        if (res[i].skipped == NULL && res[i].outlier
            && (worst[g] == (size_t)-1
                || fabs(res[i].pull) > fabs(res[worst[g]].pull)))
            worst[g] = i;
    }
    for (size_t g = 0; st == OFFBKG_OK && n_out > 0 && g < make->n_groups;
         g++) {
        const offbkg_validate_run_t *x;
        offbkg_outlier_run_t *rec;
        if (worst[g] == (size_t)-1)
            continue;
        x = &res[worst[g]];
        rec = realloc(o->runs, (o->n + 1) * sizeof *o->runs);
        if (rec == NULL) {
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            break;
        }
        o->runs = rec;
        o->runs[o->n++] = (offbkg_outlier_run_t){
            .obs_id = x->obs_id, .group_id = (int32_t)g, .round = o->rounds,
            .n_obs = x->n_obs, .n_pred = x->n_pred, .ratio = x->ratio,
            .ratio_err = x->ratio_err, .pull = x->pull, .mean = sys.mean,
            .sigma_sys = sys.sigma_sys };
        rs->removed[judged[worst[g]]] = 1;
        rs->left[g]--;
        rs->stale[g] = 1;
        (*n_removed)++;
    }
    free(res);
    free(sts);
    free(drop);
    free(judged);
    free(todo);
    free(worst);
    return st;
}

int offbkg_outliers_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        offbkg_model_t *make, size_t threads)
{
    const offbkg_exclude_conf_t *ec = rc->exclude;
    offbkg_outliers_t *o = &make->outliers;
    size_t m = offbkg_runconf_outlier_model(rc), n = make->n_runs;
    size_t n_groups = make->n_groups, n_removed = 1;
    rounds_t rs = { 0 };
    int st = OFFBKG_OK;

    if (ec == NULL || !ec->outliers)
        return OFFBKG_OK;
    if (make->kept == NULL || m >= make->n_models)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "outlier rejection: "
                                "the model step kept no run");
    o->on = true;
    o->model = rc->models[m].section;
    o->sigma = ec->outlier_sigma;
    rs.removed = calloc(n + 1, 1);
    rs.left = calloc(n_groups + 1, sizeof *rs.left);
    rs.stale = calloc(n_groups + 1, 1);
    rs.cmp = calloc(n + 1, sizeof *rs.cmp);
    if (rs.removed == NULL || rs.left == NULL || rs.stale == NULL
        || rs.cmp == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t g = 0; st == OFFBKG_OK && g < n_groups; g++) {
        rs.left[g] = make->runs_used[g];
        rs.stale[g] = 1;
    }
    /* Each round leaves out at least one run, or is the last. */
    while (st == OFFBKG_OK && n_removed > 0) {
        if (offbkg_ctx_cancelled(ctx))
            st = offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
        else
            st = one_round(ctx, rc, make, m, threads, &rs, &n_removed);
    }
    for (size_t i = 0; st == OFFBKG_OK && i < o->n; i++) {
        const offbkg_outlier_run_t *x = &o->runs[i];
        char why[320];
        size_t r = 0;
        while (make->runs[r].obs_id != x->obs_id || !rs.removed[r])
            r++;
        snprintf(why, sizeof why, "an outlier of [%s] (round %zu): ratio "
                 "%.3f +- %.3f is %.1f total errors %s the mean %.3f "
                 "(systematic %.1f%%)", o->model, x->round, x->ratio,
                 x->ratio_err, fabs(x->pull),
                 x->pull >= 0 ? "above" : "below", x->mean,
                 100 * x->sigma_sys);
        OFFBKG_INFO(ctx, "OBS_ID %" PRId64 " left out: %s", x->obs_id, why);
        st = leave_out(ctx, make, r, why);
        rs.stale[x->group_id] = 1;
    }
    /* The groups that lost runs (stale now marks them), made again. */
    for (size_t g = 0; st == OFFBKG_OK && g < n_groups; g++)
        if (rs.stale[g])
            st = remake_group(ctx, rc, make, g);
    if (st == OFFBKG_OK)
        OFFBKG_INFO(ctx, "outlier rejection ([%s], %g sigma): %zu run%s left "
                    "out in %zu round%s; %zu runs judged, run-wise "
                    "systematic %.1f%%", o->model, o->sigma, o->n,
                    o->n == 1 ? "" : "s", o->rounds,
                    o->rounds == 1 ? "" : "s", o->n_judged,
                    100 * o->sys.sigma_sys);
    for (size_t r = 0; rs.cmp != NULL && r < n; r++)
        free(rs.cmp[r].skipped);
    free(rs.cmp);
    free(rs.removed);
    free(rs.left);
    free(rs.stale);
    return st;
}
