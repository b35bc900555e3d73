/* SPDX-License-Identifier: BSD-3-Clause
 * The summary offbkg validate prints: one line per strategy, the best
 * (smallest run-wise systematic) first, then one per outlier run. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The strategy column: as wide as the longest name, 16 at least. */
static int name_width(const offbkg_validation_t *v)
{
    size_t w = 16;

    for (size_t k = 0; k < v->n_strategies; k++)
        if (strlen(v->strategies[k].name) > w)
            w = strlen(v->strategies[k].name);
    return (int)w;
}

/* "2.1% [1.6%, 2.7%]", or "-" without 2 predicted runs (no estimate). */
static void sys_text(const offbkg_validate_strategy_t *s, char *buf,
                     size_t size)
{
    if (s->sys.n_runs < 2)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%% [%.1f%%, %.1f%%]",
                 100 * s->sys.sigma_sys, 100 * s->sys.sigma_sys_lo,
                 100 * s->sys.sigma_sys_hi);
}

/* The significances' mean and width: the fit's (values beyond the
 * histogram do not pull it), else the moments' marked '*', else "-".
 * Returns whether the moments were used. */
static bool sig_text(const offbkg_validate_strategy_t *s, char *mean,
                     char *width, size_t size)
{
    const offbkg_stats_gauss_t *g = s->sig_fit_ok ? &s->sig_fit
                                                  : &s->sig_moments;
    const char *mark = s->sig_fit_ok ? "" : "*";

    if (!s->sig_fit_ok && s->sig_moments.n < 2) {
        snprintf(mean, size, "-");
        snprintf(width, size, "-");
        return false;
    }
    snprintf(mean, size, "%.2f%s", g->mean, mark);
    snprintf(width, size, "%.2f%s", g->width, mark);
    return !s->sig_fit_ok;
}

static void outlier_lines(FILE *fp, const offbkg_validation_t *v)
{
    for (size_t k = 0; k < v->n_strategies; k++) {
        const offbkg_validate_strategy_t *s = &v->strategies[v->by_rank[k]];
        for (size_t i = 0; i < v->n_runs; i++) {
            const offbkg_validate_run_t *r = &s->runs[i];
            if (r->skipped == NULL && r->outlier)
                fprintf(fp, "  outlier: %s OBS_ID %" PRId64 ": ratio %.3f "
                        "+- %.3f (%.1f sigma)\n", s->name, r->obs_id,
                        r->ratio, r->ratio_err, r->pull);
        }
    }
}

void cli_validate_summary(FILE *fp, const offbkg_validation_t *v,
                          const char *path)
{
    int w = name_width(v);
    char how[32], sys[64], mean[32], width[32];
    bool moments = false;

    if (v->folds == 0)
        snprintf(how, sizeof how, "leave one run out");
    else
        snprintf(how, sizeof how, "%zu folds", v->folds);
    fprintf(fp, "validated %zu run%s (%s), %zu strateg%s: %s\n", v->n_runs,
            v->n_runs == 1 ? "" : "s", how, v->n_strategies,
            v->n_strategies == 1 ? "y" : "ies", path);
    fprintf(fp, "  %-5s %-*s %5s  %-6s %-21s %-9s %-6s %s\n", "rank", w,
            "strategy", "runs", "ratio", "sys [68%]", "sig mean", "width",
            "outliers");
    for (size_t k = 0; k < v->n_strategies; k++) {
        const offbkg_validate_strategy_t *s = &v->strategies[v->by_rank[k]];
        sys_text(s, sys, sizeof sys);
        moments |= sig_text(s, mean, width, sizeof mean);
        fprintf(fp, "  %-5zu %-*s %5zu  %-6.3f %-21s %-9s %-6s %zu\n",
                s->rank, w, s->name, s->n_predicted, s->sys.ratio, sys, mean,
                width, s->n_outliers);
    }
    if (moments)
        fputs("  *: the significances' moments (the Gaussian fit did not "
              "converge)\n", fp);
    outlier_lines(fp, v);
}
