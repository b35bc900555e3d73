/* SPDX-License-Identifier: BSD-3-Clause
 * select/column: observations that satisfy simple comparisons on
 * obs-index columns, all of them (AND), e.g.
 *     where = TARGET_TAG == offdata, ZEN_PNT < 60, |GLAT_PNT| > 5
 * Numeric columns compare as numbers, and a NaN satisfies nothing;
 * |COLUMN| compares the absolute value of a numeric column.
 * String columns compare as text, blanks trimmed, case-sensitive, with ==
 * and != only; when a string condition holds for no row, its reason
 * lists the values the column has (the first ten), so that a typo shows.
 * n_obs_max limits the rows looked at first, as in select/offplane. */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <offbkg/plugin.h>

#include "shared/cond.h"

typedef struct column_config {
    offbkg_string_list_t where;
    int64_t n_obs_max;
} column_config_t;

typedef struct column_state {
    const offbkg_host_t *host;
    int64_t n_obs_max;
    size_t n_conds;
    cond_t *conds;
    const offbkg_column_t **cols;   /* per condition, during select */
    char **nomatch;     /* per condition: the reason when no row has the
                           string value, naming those that exist; NULL */
} column_state_t;

static const offbkg_param_t column_params[] = {
    { .name = "where", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(column_config_t, where),
      .flags = OFFBKG_PARAM_REQUIRED, .min_items = 1,
      .help = "conditions COLUMN OP VALUE, all must hold; OP is one of "
              "== != < <= > >=" },
    { .name = "n_obs_max", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(column_config_t, n_obs_max), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "look only at the first n rows of the obs-index; 0 = all" },
    { 0 }
};

static void column_destroy(void *state)
{
    column_state_t *s = state;
    if (s == NULL)
        return;
    for (size_t k = 0; s->conds != NULL && k < s->n_conds; k++)
        cond_free(&s->conds[k]);
    for (size_t k = 0; s->nomatch != NULL && k < s->n_conds; k++)
        free(s->nomatch[k]);
    free(s->nomatch);
    free(s->conds);
    free(s->cols);
    free(s);
}

static int column_create(const offbkg_host_t *host, const void *config,
                         void **state)
{
    const column_config_t *cfg = config;
    column_state_t *s = calloc(1, sizeof *s);
    char msg[1024] = "";
    size_t len = 0;
    int st = OFFBKG_OK, bad = 0;

    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->n_obs_max = cfg->n_obs_max;
    s->n_conds = cfg->where.n;
    if (s->n_conds == 0) {
        column_destroy(s);
        return host->error(host, OFFBKG_ECONFIG, "where: no condition "
                           "given");
    }
    s->conds = calloc(s->n_conds, sizeof *s->conds);
    s->cols = calloc(s->n_conds, sizeof *s->cols);
    s->nomatch = calloc(s->n_conds, sizeof *s->nomatch);
    if (s->conds == NULL || s->cols == NULL || s->nomatch == NULL) {
        column_destroy(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    /* Check every item and report all the bad ones in one message. */
    for (size_t k = 0; k < s->n_conds; k++) {
        char why[256];
        int rc = cond_parse(cfg->where.v[k], &s->conds[k], why, sizeof why);
        if (rc == OFFBKG_ENOMEM) {
            st = OFFBKG_ENOMEM;
            break;
        }
        if (rc != OFFBKG_OK && len < sizeof msg) {
            int w = snprintf(msg + len, sizeof msg - len, "%sitem %zu '%s': "
                             "%s", bad ? "; " : "where: ", k + 1,
                             cfg->where.v[k], why);
            len += w > 0 ? (size_t)w : 0;
            bad++;
        }
    }
    if (st == OFFBKG_ENOMEM || bad > 0) {
        column_destroy(s);
        return st == OFFBKG_ENOMEM
                   ? host->error(host, OFFBKG_ENOMEM, "out of memory")
                   : host->error(host, OFFBKG_ECONFIG, "%s", msg);
    }
    *state = s;
    return OFFBKG_OK;
}

static int column_select(void *state, const offbkg_obs_table_t *obs,
                         uint8_t *keep, const char **reason)
{
    column_state_t *s = state;
    size_t n = obs->n_rows;
    int st = OFFBKG_OK;

    for (size_t k = 0; k < s->n_conds && st == OFFBKG_OK; k++)
        st = cond_resolve(s->host, "where", &s->conds[k], obs, &s->cols[k]);
    if (st != OFFBKG_OK)
        return st;
    if (s->n_obs_max > 0 && (uint64_t)s->n_obs_max < n)
        n = (size_t)s->n_obs_max;
    for (size_t k = 0; k < s->n_conds && st == OFFBKG_OK; k++) {
        free(s->nomatch[k]);
        st = cond_no_match_reason(s->host, &s->conds[k], s->cols[k], n,
                                  &s->nomatch[k]);
    }
    if (st != OFFBKG_OK)
        return st;
    for (size_t i = 0; i < obs->n_rows; i++) {
        const char *why = NULL;
        if (s->n_obs_max > 0 && (int64_t)i >= s->n_obs_max)
            why = "beyond n_obs_max";
        for (size_t k = 0; why == NULL && k < s->n_conds; k++)
            if ((why = cond_test(&s->conds[k], s->cols[k], i)) != NULL
                && s->nomatch[k] != NULL)
                why = s->nomatch[k];
        keep[i] = why == NULL;
        reason[i] = why;
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t column_ops = {
    .struct_size = sizeof(offbkg_select_ops_t),
    .select = column_select,
};

static const offbkg_plugin_t column_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "column",
    .version = "1.0.0",
    .summary = "observations satisfying comparisons on obs-index columns",
    .params = column_params,
    .config_size = sizeof(column_config_t),
    .create = column_create,
    .destroy = column_destroy,
    .ops.select = &column_ops,
};

OFFBKG_PLUGIN_DEFINE(select_column, column_plugin)
