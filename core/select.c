/* SPDX-License-Identifier: BSD-3-Clause
 * The select stage: the [select] plugin run on the obs-index, the runs it
 * drops and why, and run.lis (doc/domain.md §2.2). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "instance-private.h"
#include "input-private.h"
#include "output-private.h"
#include "select-private.h"

static const offbkg_column_t *obs_id_column(const offbkg_table_t *t)
{
    offbkg_obs_table_t v = offbkg_table_view(t);
    return offbkg_obs_table_column(&v, "OBS_ID");
}

void offbkg_select_clear(offbkg_selection_t *sel)
{
    for (size_t k = 0; k < sel->n_sections; k++) {
        for (size_t j = 0; j < sel->sections[k].n_reasons; j++)
            free(sel->sections[k].reasons[j].text);
        free(sel->sections[k].reasons);
    }
    free(sel->sections);
    for (size_t i = 0; i < sel->n_dropped; i++)
        free(sel->dropped_why[i]);
    free(sel->rows);
    free(sel->dropped_ids);
    free(sel->dropped_why);
    memset(sel, 0, sizeof *sel);
}

int offbkg_select_drop(offbkg_ctx_t *ctx, offbkg_selection_t *sel,
                       int64_t obs_id, const char *why)
{
    size_t n = sel->n_dropped + 1;
    int64_t *ids = realloc(sel->dropped_ids, n * sizeof *ids);
    if (ids != NULL)
        sel->dropped_ids = ids;
    char **whys = realloc(sel->dropped_why, n * sizeof *whys);
    if (whys != NULL)
        sel->dropped_why = whys;
    char *copy = strdup(why != NULL && why[0] != '\0' ? why : "no reason given");
    if (ids == NULL || whys == NULL || copy == NULL) {
        free(copy);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    ids[sel->n_dropped] = obs_id;
    whys[sel->n_dropped] = copy;
    sel->n_dropped = n;
    return OFFBKG_OK;
}

/* The entry of reason @p why in @p sec, added if new (or the entry of
 * OFFBKG_SELECT_OTHER_REASONS once there are too many); NULL out of
 * memory. The plugin may give the same text through one pointer or many:
 * the last one matched is tried first. */
static offbkg_select_reason_t *reason_entry(offbkg_select_section_t *sec,
                                            const char *why, size_t *last)
{
    offbkg_select_reason_t *r;

    if (why == NULL || why[0] == '\0')
        why = "no reason given";
    if (*last < sec->n_reasons && strcmp(sec->reasons[*last].text, why) == 0)
        return &sec->reasons[*last];
    for (size_t j = 0; j < sec->n_reasons; j++)
        if (strcmp(sec->reasons[j].text, why) == 0) {
            *last = j;
            return &sec->reasons[j];
        }
    if (sec->n_reasons == OFFBKG_SELECT_MAX_REASONS) {
        *last = OFFBKG_SELECT_MAX_REASONS;
        return &sec->reasons[OFFBKG_SELECT_MAX_REASONS];
    }
    r = &sec->reasons[sec->n_reasons];
    if ((r->text = strdup(why)) == NULL)
        return NULL;
    *last = sec->n_reasons++;
    return r;
}

/* Count what section @p sec's plugin answered (@p keep, @p reason over
 * @p n rows) into @p sec, and drop from @p kept (with @p why, a new
 * string each) the runs no earlier section dropped. */
static int count_section(offbkg_select_section_t *sec, const uint8_t *keep,
                         const char **reason, size_t n, uint8_t *kept,
                         char **why)
{
    const char *label = sec->conf->label;
    size_t last = 0;

    for (size_t r = 0; r < n; r++) {
        if (keep[r])
            continue;
        offbkg_select_reason_t *e = reason_entry(sec, reason[r], &last);
        if (e == NULL)
            return OFFBKG_ENOMEM;
        sec->dropped++;
        e->dropped++;
        if (!kept[r])
            continue;
        kept[r] = 0;
        sec->removed++;
        e->removed++;
        size_t len = strlen(label) + strlen(e->text) + 16;
        if ((why[r] = malloc(len)) == NULL)
            return OFFBKG_ENOMEM;
        if (label[0] != '\0')
            snprintf(why[r], len, "[select %s] %s", label, e->text);
        else
            snprintf(why[r], len, "%s", e->text);
    }
    /* The lumped entry was allocated with the others: name it once
     * used. */
    offbkg_select_reason_t *other = &sec->reasons[OFFBKG_SELECT_MAX_REASONS];
    if (other->dropped > 0 && other->text == NULL) {
        if ((other->text = strdup(OFFBKG_SELECT_OTHER_REASONS)) == NULL)
            return OFFBKG_ENOMEM;
        sec->n_reasons++;
    }
    return OFFBKG_OK;
}

int offbkg_select_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_datastore_t *store,
                      offbkg_selection_t *sel,
                      const offbkg_stage_conf_t **failed)
{
    size_t n = store->obs.n_rows, n_sections = offbkg_runconf_n_selects(rc);
    offbkg_obs_table_t view = offbkg_table_view(&store->obs);
    uint8_t *keep = calloc(n > 0 ? n : 1, 1);
    uint8_t *kept = malloc(n > 0 ? n : 1);
    const char **reason = calloc(n > 0 ? n : 1, sizeof *reason);
    char **why = calloc(n > 0 ? n : 1, sizeof *why);
    offbkg_instance_t *inst = NULL;
    int st = OFFBKG_OK;

    memset(sel, 0, sizeof *sel);
    if (failed != NULL)
        *failed = NULL;
    sel->rows = malloc((n > 0 ? n : 1) * sizeof *sel->rows);
    sel->sections = calloc(n_sections, sizeof *sel->sections);
    if (keep == NULL || kept == NULL || reason == NULL || why == NULL
        || sel->rows == NULL || sel->sections == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    sel->n_sections = n_sections;
    memset(kept, 1, n);
    for (size_t k = 0; k < n_sections && st == OFFBKG_OK; k++) {
        const offbkg_stage_conf_t *sc = offbkg_runconf_select_at(rc, k);
        offbkg_select_section_t *sec = &sel->sections[k];
        sec->conf = sc;
        /* One more entry for the lumped reasons. */
        sec->reasons = calloc(OFFBKG_SELECT_MAX_REASONS + 1,
                              sizeof *sec->reasons);
        if (sec->reasons == NULL) {
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            break;
        }
        st = offbkg_instance_new(ctx, rc, sc, &inst);
        if (st == OFFBKG_OK) {
            st = sc->module->desc->ops.select->select(inst->state, &view,
                                                      keep, reason);
            if (st != OFFBKG_OK)
                st = offbkg_instance_failed(ctx, rc, sc, st);
        }
        if (st == OFFBKG_OK
            && count_section(sec, keep, reason, n, kept, why) != OFFBKG_OK)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        if (st != OFFBKG_OK && st != OFFBKG_ENOMEM && failed != NULL)
            *failed = sc;
        offbkg_instance_free(inst);
        inst = NULL;
    }
    for (size_t r = 0; r < n && st == OFFBKG_OK; r++) {
        if (kept[r])
            sel->rows[sel->n++] = r;
        else
            st = offbkg_select_drop(ctx, sel, offbkg_datastore_obs_id(store, r),
                                    why[r]);
    }
done:
    for (size_t r = 0; why != NULL && r < n; r++)
        free(why[r]);
    free(why);
    free(keep);
    free(kept);
    free(reason);
    if (st != OFFBKG_OK)
        offbkg_select_clear(sel);
    return st;
}

void offbkg_select_log_sections(offbkg_ctx_t *ctx,
                                const offbkg_selection_t *sel)
{
    if (sel->n_sections < 2)
        return;
    for (size_t k = 0; k < sel->n_sections; k++) {
        const offbkg_select_section_t *sec = &sel->sections[k];
        OFFBKG_INFO(ctx, "select: [%s] plugin %s dropped %zu run%s, and "
                    "removed %zu that no earlier section dropped",
                    sec->conf->section, sec->conf->module->name,
                    sec->dropped, sec->dropped == 1 ? "" : "s",
                    sec->removed);
    }
}

/* For each dropped run of @p sel that is the first with its reason, the
 * number of runs dropped for that reason; 0 for the others (so the
 * distinct reasons come in order of first appearance). NULL out of
 * memory. */
static size_t *reason_counts(const offbkg_selection_t *sel)
{
    size_t *count = calloc(sel->n_dropped > 0 ? sel->n_dropped : 1,
                           sizeof *count);
    uint8_t *told = calloc(sel->n_dropped > 0 ? sel->n_dropped : 1, 1);

    if (count == NULL || told == NULL) {
        free(count);
        free(told);
        return NULL;
    }
    for (size_t i = 0; i < sel->n_dropped; i++) {
        if (told[i])
            continue;
        for (size_t j = i; j < sel->n_dropped; j++)
            if (!told[j] && strcmp(sel->dropped_why[j],
                                   sel->dropped_why[i]) == 0) {
                told[j] = 1;
                count[i]++;
            }
    }
    free(told);
    return count;
}

void offbkg_select_log_dropped(offbkg_ctx_t *ctx, const char *stage,
                               const offbkg_selection_t *sel)
{
    size_t *count = reason_counts(sel);

    for (size_t i = 0; i < sel->n_dropped; i++)
        OFFBKG_DEBUG(ctx, "%s: OBS_ID %" PRId64 " dropped: %s", stage,
                     sel->dropped_ids[i], sel->dropped_why[i]);
    if (count == NULL)
        return;
    /* One line per distinct reason. */
    for (size_t i = 0; i < sel->n_dropped; i++)
        if (count[i] > 0)
            OFFBKG_INFO(ctx, "%s: %zu run%s dropped: %s (e.g. OBS_ID %"
                        PRId64 ")", stage, count[i], count[i] == 1 ? "" : "s",
                        sel->dropped_why[i], sel->dropped_ids[i]);
    free(count);
}

/* "N runs: why; M runs: why" for the distinct reasons of @p sel, in order
 * of first appearance, the first three of them. */
static int reasons_text(offbkg_ctx_t *ctx, const offbkg_selection_t *sel,
                        char *buf, size_t n)
{
    size_t *count = reason_counts(sel);
    size_t len = 0, shown = 0, distinct = 0;

    buf[0] = '\0';
    if (count == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < sel->n_dropped; i++) {
        if (count[i] == 0 || distinct++ >= 3 || len >= n)
            continue;
        int w = snprintf(buf + len, n - len, "%s%zu run%s: %s",
                         shown++ ? "; " : "", count[i],
                         count[i] == 1 ? "" : "s", sel->dropped_why[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    free(count);
    if (distinct > shown && len < n)
        snprintf(buf + len, n - len, "; and %zu other reason%s",
                 distinct - shown, distinct - shown == 1 ? "" : "s");
    return OFFBKG_OK;
}

int offbkg_select_none_kept(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            const offbkg_stage_conf_t *sc, const char *what,
                            const offbkg_selection_t *dropped)
{
    char why[2048];

    if (reasons_text(ctx, dropped, why, sizeof why) != OFFBKG_OK)
        return OFFBKG_ENOMEM;
    return offbkg_error_set(ctx, OFFBKG_EDATA, "%s:%d: [%s] plugin %s %s%s%s",
                            rc->ini->path, sc->line, sc->section,
                            sc->module->name, what, why[0] ? ": " : "", why);
}

int offbkg_select_require(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                          const offbkg_datastore_t *store,
                          const offbkg_selection_t *sel)
{
    char what[1024];

    if (sel->n > 0)
        return OFFBKG_OK;
    snprintf(what, sizeof what, "selected none of the %zu runs of the data "
             "store %s (%s)", store->obs.n_rows, rc->datastore->path,
             store->obs_index_path);
    return offbkg_select_none_kept(ctx, rc, &rc->select, what, sel);
}

/* ------------------------------------------------------------------ */
/* run.lis                                                             */

int offbkg_select_write(offbkg_ctx_t *ctx, const char *path,
                        bool overwrite, const offbkg_datastore_t *store,
                        const offbkg_selection_t *sel)
{
    offbkg_output_t out;
    int st = offbkg_output_text(ctx, path, overwrite, &out);

    if (st != OFFBKG_OK)
        return st;
    fputs("OBS_ID\n", out.text);
    for (size_t i = 0; i < sel->n; i++)
        fprintf(out.text, "%" PRId64 "\n",
                offbkg_datastore_obs_id(store, sel->rows[i]));
    return offbkg_output_commit(ctx, &out);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static char *trim(char *s)
{
    char *end = s + strlen(s);
    while (isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

int offbkg_select_read(offbkg_ctx_t *ctx, const char *path,
                       const offbkg_datastore_t *store, size_t **rows,
                       size_t *n)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t line_cap = 0;
    int lineno = 0, st = OFFBKG_OK;
    size_t cap = 64, missing = 0, dups = 0;
    int64_t first_missing = 0;

    *rows = NULL;
    *n = 0;
    if (f == NULL)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: cannot read the run "
                                "list: %s (run 'offbkg select' first)", path,
                                strerror(errno));
    size_t *r = malloc(cap * sizeof *r);
    bool header = false;
    /* getline: a line of any length is one line (long comments). */
    while (r != NULL && st == OFFBKG_OK
           && getline(&line, &line_cap, f) >= 0) {
        char *s = trim(line), *end;
        lineno++;
        if (s[0] == '\0' || s[0] == '#')
            continue;
        if (!header) {
            header = true;
            if (strcmp(s, "OBS_ID") != 0)
                st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s:%d: the first "
                                      "line must be the header OBS_ID",
                                      path, lineno);
            continue;
        }
        errno = 0;
        long long id = strtoll(s, &end, 10);
        if (end == s || *end != '\0' || errno != 0) {
            st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s:%d: '%s' is not an "
                                  "OBS_ID", path, lineno, s);
            break;
        }
        long row = offbkg_datastore_row(store, id);
        if (row < 0) {
            if (missing++ == 0)
                first_missing = id;
            continue;
        }
        if (*n == cap) {
            size_t *bigger = realloc(r, 2 * cap * sizeof *r);
            if (bigger == NULL) {
                free(r);
                r = NULL;
                break;
            }
            r = bigger;
            cap *= 2;
        }
        r[(*n)++] = (size_t)row;
    }
    free(line);
    fclose(f);
    if (r == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK && !header)
        st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: not a run list (no "
                              "header OBS_ID; the file is empty or all "
                              "comments)", path);
    if (st != OFFBKG_OK) {
        free(r);
        *n = 0;
        return st;
    }
    if (missing > 0)
        OFFBKG_WARN(ctx, "%s: %zu OBS_ID%s not in the data store, skipped "
                    "(first: %" PRId64 ")", path, missing,
                    missing == 1 ? "" : "s", first_missing);
    /* Rows ascend with OBS_ID only by accident: sort by row to find
     * duplicates, then by OBS_ID as the old join did. */
    qsort(r, *n, sizeof *r, cmp_size);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (k > 0 && r[k - 1] == r[i]) {
            dups++;
            continue;
        }
        r[k++] = r[i];
    }
    if (dups > 0)
        OFFBKG_WARN(ctx, "%s: %zu duplicate OBS_ID%s counted once", path,
                    dups, dups == 1 ? "" : "s");
    *n = k;
    if (offbkg_table_sort_rows(obs_id_column(&store->obs)->i64, r, *n)
        != 0) {
        free(r);
        *n = 0;
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    *rows = r;
    return OFFBKG_OK;
}
