/* SPDX-License-Identifier: BSD-3-Clause
 * Configuration diagnostics and the closest-match hint. */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag-private.h"

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int offbkg_diag_add(offbkg_diags_t *d, const char *file, int line,
                    const char *section, const char *key,
                    const char *fmt, ...)
{
    offbkg_diag_t *item;
    char msg[1024];
    va_list ap;

    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        offbkg_diag_t *items = realloc(d->items, cap * sizeof *items);
        if (items == NULL)
            return OFFBKG_ENOMEM;
        d->items = items;
        d->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    item = &d->items[d->n];
    item->file = dup_or_null(file);
    item->line = line;
    item->section = dup_or_null(section);
    item->key = dup_or_null(key);
    item->message = strdup(msg);
    if ((file != NULL && item->file == NULL)
        || (section != NULL && item->section == NULL)
        || (key != NULL && item->key == NULL) || item->message == NULL) {
        free(item->file);
        free(item->section);
        free(item->key);
        free(item->message);
        return OFFBKG_ENOMEM;
    }
    d->n++;
    return OFFBKG_OK;
}

static int diag_order(const offbkg_diag_t *a, const offbkg_diag_t *b)
{
    int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
    if (c != 0)
        return c;
    return (a->line > b->line) - (a->line < b->line);
}

void offbkg_diag_sort(offbkg_diags_t *d)
{
    /* Insertion sort: stable, and the lists are short. */
    for (size_t i = 1; i < d->n; i++) {
        offbkg_diag_t tmp = d->items[i];
        size_t j = i;
        while (j > 0 && diag_order(&d->items[j - 1], &tmp) > 0) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = tmp;
    }
}

char *offbkg_diag_format(const offbkg_diag_t *diag)
{
    char where[512] = "";
    char what[512] = "";
    char *out;
    size_t n;

    if (diag->file != NULL && diag->line > 0)
        snprintf(where, sizeof where, "%s:%d: ", diag->file, diag->line);
    else if (diag->file != NULL)
        snprintf(where, sizeof where, "%s: ", diag->file);
    if (diag->section != NULL && diag->key != NULL)
        snprintf(what, sizeof what, "[%s] %s: ", diag->section, diag->key);
    else if (diag->section != NULL)
        snprintf(what, sizeof what, "[%s] ", diag->section);
    else if (diag->key != NULL)
        snprintf(what, sizeof what, "%s: ", diag->key);

    n = strlen(where) + strlen(what) + strlen(diag->message) + 1;
    out = malloc(n);
    if (out != NULL)
        snprintf(out, n, "%s%s%s", where, what, diag->message);
    return out;
}

void offbkg_diag_clear(offbkg_diags_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].file);
        free(d->items[i].section);
        free(d->items[i].key);
        free(d->items[i].message);
    }
    free(d->items);
    d->items = NULL;
    d->n = d->cap = 0;
}

/* Levenshtein distance, case-insensitive, on words of at most 63 chars. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];

    if (la > 63 || lb > 63)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1])
                          != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* @p a and @p b agree up to the end of the shorter one (case-insensitive),
 * and the shorter is at least half the longer: "min_glat" for
 * "min_glat_deg", a unit suffix left out or added. */
static int prefix_related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t shorter = la < lb ? la : lb, longer = la < lb ? lb : la;

    if (shorter == 0 || 2 * shorter < longer)
        return 0;
    for (size_t i = 0; i < shorter; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

const char *offbkg_diag_closest_match(const char *word,
                                      const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    /* A likely typo: at most a third of the word wrong, and at least 2
     * edits allowed so that short keys still get a hint; or a word that
     * only lacks (or adds) a tail, such as a unit suffix. */
    size_t limit = strlen(word) / 3 > 2 ? strlen(word) / 3 : 2;

    for (size_t i = 0; i < n && candidates[i] != NULL; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d != (size_t)-1 && d > limit
            && !prefix_related(word, candidates[i]))
            continue;
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}
