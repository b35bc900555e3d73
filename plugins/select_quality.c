/* SPDX-License-Identifier: BSD-3-Clause
 * select/quality: run quality cuts on obs-index columns, e.g.
 *     max_quality = 0                  GADF QUALITY: 0 best, 1, 2 bad;
 *                                      negative (unknown) never passes
 *     min_n_tels = 3                   N_TELS, else TELLIST's count
 *     telescopes = 1, 2, 3, 4          each must be in TELLIST
 *     min_muon_efficiency = 0.7        MUONEFF
 *     where = ZEN_PNT < 60             any column, as select/column
 * A run is kept when every cut holds. A dropped run's reason is that of
 * the first cut it fails, in the order above (the host counts runs by
 * reason: how many each cut removed); the log says, per cut, how many
 * runs fail it, and for how many it is the first cut they fail. Combine it with another
 * selector through [select LABEL] sections (offbkg.ini(5)). */
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

#include "shared/cond.h"

/* In the order of max_quality's choices: "any", then levels 0, 1, 2. */
static const char *const quality_words[] = { "any", "0", "1", "2", NULL };

typedef struct quality_config {
    int max_quality;                  /* 0: any; k: QUALITY <= k - 1 */
    int64_t min_n_tels;               /* 0: no cut */
    offbkg_string_list_t telescopes;  /* each must be in TELLIST */
    double min_muon_efficiency;       /* 0: no cut */
    offbkg_string_list_t where;
} quality_config_t;

typedef enum cut_kind {
    CUT_COND,           /* a condition on a column */
    CUT_N_TELS,         /* N_TELS >= k, else TELLIST's count >= k */
    CUT_TELESCOPES      /* each of telescopes in TELLIST */
} cut_kind_t;

typedef struct cut {
    cut_kind_t kind;
    const char *key;                  /* the INI key it comes from */
    cond_t cond;                      /* CUT_COND; CUT_N_TELS on N_TELS */
    char *what;                       /* "QUALITY <= 0", for the log */
    char *reason;                     /* CUT_N_TELS on TELLIST,
                                         CUT_TELESCOPES */
    char *what_tellist;               /* CUT_N_TELS on TELLIST, for the
                                         log */
    const offbkg_column_t *col;       /* during select */
    bool on_tellist;                  /* CUT_N_TELS: counted in TELLIST */
    size_t failed, removed;           /* during select */
} cut_t;

typedef struct quality_state {
    const offbkg_host_t *host;
    size_t n_cuts;
    cut_t *cuts;
    int64_t min_n_tels;
    size_t n_telescopes;
    const char *const *telescopes;    /* the config's, valid until destroy */
} quality_state_t;

static const offbkg_param_t quality_params[] = {
    { .name = "max_quality", .type = OFFBKG_PARAM_ENUM,
      .offset = offsetof(quality_config_t, max_quality),
      .default_value = "any", .choices = quality_words,
      .help = "keep runs with 0 <= QUALITY <= this (GADF: 0 best, 1, 2 "
              "bad; negative: unknown); any: no cut" },
    { .name = "min_n_tels", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(quality_config_t, min_n_tels),
      .default_value = "0", .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "keep runs with at least this many telescopes: N_TELS, or "
              "the count of TELLIST without N_TELS; 0: no cut" },
    { .name = "telescopes", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(quality_config_t, telescopes),
      .help = "telescopes that must all be in TELLIST (e.g. 1, 2, 3, 4); "
              "none: no cut" },
    { .name = "min_muon_efficiency", .type = OFFBKG_PARAM_DOUBLE,
      .offset = offsetof(quality_config_t, min_muon_efficiency),
      .default_value = "0", .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "keep runs with MUONEFF >= this; 0: no cut" },
    { .name = "where", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(quality_config_t, where),
      .help = "more conditions COLUMN OP VALUE, as select/column's, all "
              "must hold" },
    { 0 }
};

static void quality_destroy(void *state)
{
    quality_state_t *s = state;

    if (s == NULL)
        return;
    for (size_t k = 0; s->cuts != NULL && k < s->n_cuts; k++) {
        cond_free(&s->cuts[k].cond);
        free(s->cuts[k].what);
        free(s->cuts[k].reason);
        free(s->cuts[k].what_tellist);
    }
    free(s->cuts);
    free(s);
}

/* A number as short as it reads back exactly. */
static void format_number(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
}

/* A new string from a format; NULL if out of memory. */
static char *format(const char *fmt, ...) OFFBKG_PRINTF(1, 2);
static char *format(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *out;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (out = malloc((size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* Append a condition cut from @p text (of key @p key) to @p s; an
 * unparsable one is an OFFBKG_ECONFIG error naming the key and item. */
static int add_cond(quality_state_t *s, cut_kind_t kind, const char *key,
                    const char *text, size_t item)
{
    cut_t *c = &s->cuts[s->n_cuts++];
    char why[256];
    int st;

    c->kind = kind;
    c->key = key;
    st = cond_parse(text, &c->cond, why, sizeof why);
    if (st == OFFBKG_ECONFIG)
        return s->host->error(s->host, st, "%s: item %zu '%s': %s", key,
                              item, text, why);
    if (st != OFFBKG_OK)
        return s->host->error(s->host, st, "out of memory");
    c->what = format("%s %s %s", c->cond.column, cond_op_text(c->cond.op),
                     c->cond.value);
    return c->what != NULL ? OFFBKG_OK
                           : s->host->error(s->host, OFFBKG_ENOMEM,
                                            "out of memory");
}

/* One telescope per item: no blanks or commas inside. */
static int check_telescopes(const offbkg_host_t *host,
                            const offbkg_string_list_t *t)
{
    for (size_t k = 0; k < t->n; k++)
        if (t->v[k][0] == '\0' || strpbrk(t->v[k], " \t,") != NULL)
            return host->error(host, OFFBKG_ECONFIG, "telescopes: item %zu "
                               "'%s' is not a telescope (one name or number "
                               "per item)", k + 1, t->v[k]);
    return OFFBKG_OK;
}

static int add_cuts(quality_state_t *s, const quality_config_t *cfg)
{
    char text[128], num[32];
    int st = OFFBKG_OK;

    if (cfg->max_quality > 0) {
        /* Unknown quality (negative) is no quality. */
        st = add_cond(s, CUT_COND, "max_quality", "QUALITY >= 0", 1);
        if (st == OFFBKG_OK) {
            cut_t *c = &s->cuts[s->n_cuts - 1];
            free(c->cond.false_reason);
            c->cond.false_reason = strdup("QUALITY is unknown (negative)");
            if (c->cond.false_reason == NULL)
                return s->host->error(s->host, OFFBKG_ENOMEM,
                                      "out of memory");
            snprintf(text, sizeof text, "QUALITY <= %d",
                     cfg->max_quality - 1);
            st = add_cond(s, CUT_COND, "max_quality", text, 1);
        }
    }
    if (st == OFFBKG_OK && cfg->min_n_tels > 0) {
        snprintf(text, sizeof text, "N_TELS >= %lld",
                 (long long)cfg->min_n_tels);
        st = add_cond(s, CUT_N_TELS, "min_n_tels", text, 1);
        if (st == OFFBKG_OK) {
            cut_t *c = &s->cuts[s->n_cuts - 1];
            c->reason = format("TELLIST has fewer than %lld telescopes",
                               (long long)cfg->min_n_tels);
            c->what_tellist = format("TELLIST count >= %lld",
                                     (long long)cfg->min_n_tels);
            if (c->reason == NULL || c->what_tellist == NULL)
                return s->host->error(s->host, OFFBKG_ENOMEM,
                                      "out of memory");
        }
    }
    if (st == OFFBKG_OK && cfg->telescopes.n > 0) {
        cut_t *c = &s->cuts[s->n_cuts++];
        size_t len = 0;
        c->kind = CUT_TELESCOPES;
        c->key = "telescopes";
        for (size_t k = 0; k < cfg->telescopes.n && len < sizeof text; k++) {
            int w = snprintf(text + len, sizeof text - len, "%s%s",
                             k ? "," : "", cfg->telescopes.v[k]);
            len += w > 0 ? (size_t)w : 0;
        }
        c->what = format("TELLIST has %s", text);
        c->reason = format("TELLIST lacks one of %s", text);
        if (c->what == NULL || c->reason == NULL)
            return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    }
    if (st == OFFBKG_OK && cfg->min_muon_efficiency > 0) {
        format_number(num, sizeof num, cfg->min_muon_efficiency);
        snprintf(text, sizeof text, "MUONEFF >= %s", num);
        st = add_cond(s, CUT_COND, "min_muon_efficiency", text, 1);
    }
    for (size_t k = 0; st == OFFBKG_OK && k < cfg->where.n; k++)
        st = add_cond(s, CUT_COND, "where", cfg->where.v[k], k + 1);
    return st;
}

static int quality_create(const offbkg_host_t *host, const void *config,
                          void **state)
{
    const quality_config_t *cfg = config;
    quality_state_t *s = calloc(1, sizeof *s);
    /* max_quality makes two cuts (known, and at most the level). */
    size_t most = 5 + cfg->where.n;
    int st;

    if (s == NULL || (s->cuts = calloc(most, sizeof *s->cuts)) == NULL) {
        free(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    s->host = host;
    s->min_n_tels = cfg->min_n_tels;
    s->n_telescopes = cfg->telescopes.n;
    s->telescopes = cfg->telescopes.v;
    st = check_telescopes(host, &cfg->telescopes);
    if (st == OFFBKG_OK)
        st = add_cuts(s, cfg);
    if (st == OFFBKG_OK && s->n_cuts == 0)
        st = host->error(host, OFFBKG_ECONFIG, "no cut given: set "
                         "max_quality, min_n_tels, telescopes, "
                         "min_muon_efficiency or where");
    if (st != OFFBKG_OK) {
        quality_destroy(s);
        return st;
    }
    *state = s;
    return OFFBKG_OK;
}

/* The string column TELLIST of @p obs for the cut of @p key. */
static int tellist_column(const quality_state_t *s, const char *key,
                          const offbkg_obs_table_t *obs,
                          const offbkg_column_t **col)
{
    *col = offbkg_obs_table_column(obs, "TELLIST");
    if (*col == NULL)
        return s->host->error(s->host, OFFBKG_EDATA, "%s: the observation "
                              "table has no column TELLIST%s", key,
                              strcmp(key, "min_n_tels") == 0
                                  ? " (nor N_TELS)" : "");
    if ((*col)->type != OFFBKG_COL_STRING)
        return s->host->error(s->host, OFFBKG_EDATA, "%s: TELLIST is not a "
                              "string column (expected a list such as "
                              "'1,2,3,4')", key);
    return OFFBKG_OK;
}

/* Look up each cut's column and check it suits the cut. */
static int resolve(quality_state_t *s, const offbkg_obs_table_t *obs)
{
    int st = OFFBKG_OK;

    for (size_t k = 0; k < s->n_cuts && st == OFFBKG_OK; k++) {
        cut_t *c = &s->cuts[k];
        c->failed = c->removed = 0;
        c->on_tellist = false;
        if (c->kind == CUT_N_TELS) {
            const offbkg_column_t *n = offbkg_obs_table_column(obs, "N_TELS");
            c->on_tellist = n == NULL;
        }
        if (c->kind == CUT_TELESCOPES || c->on_tellist)
            st = tellist_column(s, c->key, obs, &c->col);
        else
            st = cond_resolve(s->host, c->key, &c->cond, obs, &c->col);
    }
    return st;
}

static bool is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

/* Whether token [t, t + n) names telescope @p want: the same text, or
 * the same integer ("01" and "1"). */
static bool same_telescope(const char *t, size_t n, const char *want)
{
    char *end;
    long long a, b;

    if (strlen(want) == n && strncmp(t, want, n) == 0)
        return true;
    b = strtoll(want, &end, 10);
    if (end == want || *end != '\0')
        return false;
    a = strtoll(t, &end, 10);
    return end == t + n && a == b;
}

/* The telescopes of TELLIST @p list: how many, and whether @p want is
 * one (NULL: just count). */
static size_t tellist_scan(const char *list, const char *want, bool *found)
{
    size_t count = 0;

    for (const char *p = list != NULL ? list : ""; *p != '\0';) {
        size_t n;
        while (is_separator(*p))
            p++;
        for (n = 0; p[n] != '\0' && !is_separator(p[n]); n++)
            ;
        if (n == 0)
            break;
        count++;
        if (want != NULL && same_telescope(p, n, want))
            *found = true;
        p += n;
    }
    return count;
}

/* Cut @p c on row @p i: NULL when it holds, else the reason. */
static const char *test_cut(const quality_state_t *s, const cut_t *c,
                            size_t i)
{
    if (c->kind == CUT_TELESCOPES) {
        for (size_t k = 0; k < s->n_telescopes; k++) {
            bool found = false;
            tellist_scan(c->col->str[i], s->telescopes[k], &found);
            if (!found)
                return c->reason;
        }
        return NULL;
    }
    if (c->on_tellist)
        return tellist_scan(c->col->str[i], NULL, NULL)
                       >= (uint64_t)s->min_n_tels
                   ? NULL : c->reason;
    return cond_test(&c->cond, c->col, i);
}

static int quality_select(void *state, const offbkg_obs_table_t *obs,
                          uint8_t *keep, const char **reason)
{
    quality_state_t *s = state;
    int st = resolve(s, obs);

    if (st != OFFBKG_OK)
        return st;
    for (size_t i = 0; i < obs->n_rows; i++) {
        const char *first = NULL;
        for (size_t k = 0; k < s->n_cuts; k++) {
            const char *why = test_cut(s, &s->cuts[k], i);
            if (why == NULL)
                continue;
            s->cuts[k].failed++;
            if (first == NULL) {
                first = why;
                s->cuts[k].removed++;
            }
        }
        keep[i] = first == NULL;
        reason[i] = first;
    }
    for (size_t k = 0; k < s->n_cuts; k++) {
        const cut_t *c = &s->cuts[k];
        s->host->log(s->host, OFFBKG_LOG_INFO, "cut %s (%s): %zu of the "
                     "%zu runs fail it, %zu as the first cut they fail",
                     c->on_tellist ? c->what_tellist : c->what, c->key,
                     c->failed, obs->n_rows, c->removed);
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t quality_ops = {
    .struct_size = sizeof(offbkg_select_ops_t),
    .select = quality_select,
};

static const offbkg_plugin_t quality_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "quality",
    .version = "1.0.0",
    .summary = "run quality cuts: QUALITY, N_TELS or TELLIST, MUONEFF, any "
               "column",
    .params = quality_params,
    .config_size = sizeof(quality_config_t),
    .create = quality_create,
    .destroy = quality_destroy,
    .ops.select = &quality_ops,
};

OFFBKG_PLUGIN_DEFINE(select_quality, quality_plugin)
