/* SPDX-License-Identifier: BSD-3-Clause
 * Select and group stages, run.lis, obs.fits and group-def.fits. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "host-private.h"
#include "input-private.h"
#include "output-private.h"
#include "selgroup-private.h"

static const offbkg_column_t *obs_id_column(const offbkg_table_t *t)
{
    offbkg_obs_table_t v = offbkg_table_view(t);
    return offbkg_obs_table_column(&v, "OBS_ID");
}

void offbkg_selection_clear(offbkg_selection_t *sel)
{
    for (size_t i = 0; i < sel->n_dropped; i++)
        free(sel->dropped_why[i]);
    free(sel->rows);
    free(sel->dropped_ids);
    free(sel->dropped_why);
    memset(sel, 0, sizeof *sel);
}

static int add_dropped(offbkg_ctx_t *ctx, offbkg_selection_t *sel,
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

/* "[select] plugin offplane failed: why" */
static int plugin_failed(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                         const offbkg_stage_conf_t *sc, int st)
{
    const char *why = offbkg_host_last_error();
    return offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                            "%s:%d: [%s] plugin %s failed: %s", rc->ini->path,
                            sc->line, sc->section, sc->module->name,
                            why[0] != '\0' ? why : offbkg_strerror(st));
}

int offbkg_select_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_datastore_t *store,
                      offbkg_selection_t *sel)
{
    size_t n = store->obs.n_rows;
    offbkg_obs_table_t view = offbkg_table_view(&store->obs);
    uint8_t *keep = calloc(n > 0 ? n : 1, 1);
    const char **reason = calloc(n > 0 ? n : 1, sizeof *reason);
    offbkg_instance_t *inst = NULL;
    int st;

    memset(sel, 0, sizeof *sel);
    sel->rows = malloc((n > 0 ? n : 1) * sizeof *sel->rows);
    if (keep == NULL || reason == NULL || sel->rows == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    st = offbkg_instance_new(ctx, rc, &rc->select, &inst);
    if (st != OFFBKG_OK)
        goto done;
    st = rc->select.module->desc->ops.select->select(inst->state, &view, keep,
                                                     reason);
    if (st != OFFBKG_OK) {
        st = plugin_failed(ctx, rc, &rc->select, st);
        goto done;
    }
    for (size_t r = 0; r < n && st == OFFBKG_OK; r++) {
        if (keep[r])
            sel->rows[sel->n++] = r;
        else
            st = add_dropped(ctx, sel, offbkg_datastore_obs_id(store, r),
                             reason[r]);
    }
done:
    offbkg_instance_free(inst);
    free(keep);
    free(reason);
    if (st != OFFBKG_OK)
        offbkg_selection_clear(sel);
    return st;
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

void offbkg_log_dropped(offbkg_ctx_t *ctx, const char *stage,
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

int offbkg_none_kept(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
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

int offbkg_selection_require(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                             const offbkg_datastore_t *store,
                             const offbkg_selection_t *sel)
{
    char what[1024];

    if (sel->n > 0)
        return OFFBKG_OK;
    snprintf(what, sizeof what, "selected none of the %zu runs of the data "
             "store %s (%s)", store->obs.n_rows, rc->datastore->path,
             store->obs_index_path);
    return offbkg_none_kept(ctx, rc, &rc->select, what, sel);
}

/* ------------------------------------------------------------------ */
/* run.lis                                                             */

int offbkg_run_list_write(offbkg_ctx_t *ctx, const char *path,
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

int offbkg_run_list_read(offbkg_ctx_t *ctx, const char *path,
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
    if (offbkg_rows_sort_by_key(obs_id_column(&store->obs)->i64, r, *n)
        != 0) {
        free(r);
        *n = 0;
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    *rows = r;
    return OFFBKG_OK;
}

/* ------------------------------------------------------------------ */
/* Grouping                                                            */

void offbkg_grouping_clear(offbkg_grouping_t *g)
{
    for (size_t k = 0; k < g->n_axes; k++) {
        free(g->axes[k].column);
        free(g->axes[k].bounds);
        free(g->axes[k].unit);
    }
    free(g->axes);
    offbkg_table_free(&g->obs);
    free(g->group_id);
    free(g->store_rows);
    free(g->runs_per_group);
    offbkg_selection_clear(&g->dropped);
    memset(g, 0, sizeof *g);
}

static int copy_def(offbkg_ctx_t *ctx, const offbkg_group_def_t *def,
                    offbkg_grouping_t *g)
{
    size_t n_groups = 1;

    g->axes = calloc(def->n_axes > 0 ? def->n_axes : 1, sizeof *g->axes);
    if (g->axes == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; k < def->n_axes; k++) {
        const offbkg_group_axis_t *a = &def->axes[k];
        offbkg_gaxis_t *c = &g->axes[k];
        size_t n_bounds = a->n_bins + (a->kind == OFFBKG_GROUP_AXIS_EDGES);
        g->n_axes++;
        c->kind = a->kind;
        c->n_bins = a->n_bins;
        c->column = strdup(a->column != NULL ? a->column : "");
        c->unit = strdup(a->unit != NULL ? a->unit : "");
        c->bounds = malloc(n_bounds * sizeof(double));
        if (c->column == NULL || c->unit == NULL || c->bounds == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        memcpy(c->bounds, a->bounds, n_bounds * sizeof(double));
        if (a->n_bins == 0 || n_groups > OFFBKG_MAX_GROUPS / a->n_bins)
            return offbkg_error_set(ctx, OFFBKG_EPLUGIN, "the grouper "
                                    "defines more than %d groups (the most "
                                    "offbkg allows)", OFFBKG_MAX_GROUPS);
        n_groups *= a->n_bins;
    }
    g->n_groups = def->n_axes > 0 ? n_groups : 0;
    return OFFBKG_OK;
}

typedef struct grouped_row {
    int32_t group_id;
    int64_t obs_id;
    size_t sub_row;
} grouped_row_t;

static int cmp_grouped(const void *a, const void *b)
{
    const grouped_row_t *x = a, *y = b;
    if (x->group_id != y->group_id)
        return x->group_id < y->group_id ? -1 : 1;
    return (x->obs_id > y->obs_id) - (x->obs_id < y->obs_id);
}

/* Keep the rows with a group, sorted by GROUP_ID then OBS_ID. */
static int build_grouped(offbkg_ctx_t *ctx, const offbkg_table_t *sub,
                         const size_t *rows, const int32_t *gid,
                         const char **reason, offbkg_grouping_t *g)
{
    const int64_t *ids = obs_id_column(sub)->i64;
    grouped_row_t *gr = malloc((sub->n_rows > 0 ? sub->n_rows : 1)
                               * sizeof *gr);
    size_t *take = malloc((sub->n_rows > 0 ? sub->n_rows : 1) * sizeof *take);
    size_t n = 0;
    int st = OFFBKG_OK;

    g->runs_per_group = calloc(g->n_groups > 0 ? g->n_groups : 1,
                               sizeof *g->runs_per_group);
    if (gr == NULL || take == NULL || g->runs_per_group == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < sub->n_rows && st == OFFBKG_OK; i++) {
        if (gid[i] >= 0 && (size_t)gid[i] < g->n_groups) {
            gr[n++] = (grouped_row_t){ gid[i], ids[i], i };
            g->runs_per_group[gid[i]]++;
        } else if (gid[i] >= 0) {
            st = offbkg_error_set(ctx, OFFBKG_EPLUGIN, "the grouper put OBS_ID "
                                  "%" PRId64 " into group %d, but it defines "
                                  "only %zu", ids[i], (int)gid[i],
                                  g->n_groups);
        } else {
            st = add_dropped(ctx, &g->dropped, ids[i], reason[i]);
        }
    }
    if (st != OFFBKG_OK)
        goto done;
    qsort(gr, n, sizeof *gr, cmp_grouped);
    g->group_id = malloc((n > 0 ? n : 1) * sizeof *g->group_id);
    g->store_rows = malloc((n > 0 ? n : 1) * sizeof *g->store_rows);
    if (g->group_id == NULL || g->store_rows == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        take[i] = gr[i].sub_row;
        g->group_id[i] = gr[i].group_id;
        g->store_rows[i] = rows[gr[i].sub_row];
    }
    st = offbkg_table_take(ctx, sub, take, n, &g->obs);
done:
    free(gr);
    free(take);
    return st;
}

int offbkg_group_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *store, const size_t *rows,
                     size_t n, offbkg_grouping_t *g)
{
    const offbkg_group_ops_t *ops = rc->group.module->desc->ops.group;
    offbkg_table_t sub = { 0 };
    offbkg_instance_t *inst = NULL;
    const offbkg_group_def_t *def = NULL;
    int32_t *gid = malloc((n > 0 ? n : 1) * sizeof *gid);
    const char **reason = calloc(n > 0 ? n : 1, sizeof *reason);
    int st;

    memset(g, 0, sizeof *g);
    if (gid == NULL || reason == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = offbkg_table_take(ctx, &store->obs, rows, n, &sub))
            != OFFBKG_OK
        || (st = offbkg_instance_new(ctx, rc, &rc->group, &inst))
               != OFFBKG_OK)
        goto done;
    if ((st = ops->define(inst->state, &def)) != OFFBKG_OK) {
        st = plugin_failed(ctx, rc, &rc->group, st);
        goto done;
    }
    if ((st = copy_def(ctx, def, g)) != OFFBKG_OK)
        goto done;
    offbkg_obs_table_t view = offbkg_table_view(&sub);
    if ((st = ops->assign(inst->state, &view, gid, reason)) != OFFBKG_OK) {
        st = plugin_failed(ctx, rc, &rc->group, st);
        goto done;
    }
    st = build_grouped(ctx, &sub, rows, gid, reason, g);
done:
    offbkg_instance_free(inst);
    offbkg_table_free(&sub);
    free(gid);
    free(reason);
    if (st != OFFBKG_OK)
        offbkg_grouping_clear(g);
    return st;
}

/* ------------------------------------------------------------------ */
/* obs.fits and group-def.fits                                         */

/* The group table: GROUP_ID, then <COL>_MIN/<COL>_MAX per edges axis or
 * <COL> per values axis, one row per group, last axis fastest. */
static int write_group_table(offbkg_ctx_t *ctx, fitsfile *f,
                             const offbkg_grouping_t *g)
{
    size_t n_cols = 1;
    for (size_t k = 0; k < g->n_axes; k++)
        n_cols += g->axes[k].kind == OFFBKG_GROUP_AXIS_EDGES ? 2 : 1;
    char (*names)[FLEN_VALUE] = calloc(n_cols, sizeof *names);
    char **ttype = calloc(n_cols, sizeof *ttype);
    char **tform = calloc(n_cols, sizeof *tform);
    char **tunit = calloc(n_cols, sizeof *tunit);
    double *v = malloc((g->n_groups > 0 ? g->n_groups : 1) * sizeof *v);
    int st = 0;

    if (names == NULL || ttype == NULL || tform == NULL || tunit == NULL
        || v == NULL) {
        st = -1;
        goto done;
    }
    size_t c = 0;
    ttype[c] = "GROUP_ID";
    tform[c] = "K";
    tunit[c++] = "";
    for (size_t k = 0; k < g->n_axes; k++) {
        const offbkg_gaxis_t *a = &g->axes[k];
        for (int m = 0; m < (a->kind == OFFBKG_GROUP_AXIS_EDGES ? 2 : 1);
             m++) {
            snprintf(names[c], sizeof names[c], "%s%s", a->column,
                     a->kind == OFFBKG_GROUP_AXIS_VALUES ? ""
                     : m == 0                            ? "_MIN"
                                                         : "_MAX");
            ttype[c] = names[c];
            tform[c] = "D";
            tunit[c++] = a->unit;
        }
    }
    fits_create_tbl(f, BINARY_TBL, (LONGLONG)g->n_groups, (int)n_cols, ttype,
                    tform, tunit, "GROUP_DEF", &st);
    for (size_t i = 0; i < g->n_groups && st == 0; i++) {
        LONGLONG id = (LONGLONG)i;
        fits_write_col(f, TLONGLONG, 1, id + 1, 1, 1, &id, &st);
    }
    /* Per axis: the bin index of group i is (i / stride) % n_bins. */
    c = 1;
    for (size_t k = 0; k < g->n_axes && st == 0; k++) {
        const offbkg_gaxis_t *a = &g->axes[k];
        size_t stride = 1;
        for (size_t j = k + 1; j < g->n_axes; j++)
            stride *= g->axes[j].n_bins;
        for (int m = 0; m < (a->kind == OFFBKG_GROUP_AXIS_EDGES ? 2 : 1);
             m++, c++) {
            for (size_t i = 0; i < g->n_groups; i++)
                v[i] = a->bounds[(i / stride) % a->n_bins + (size_t)m];
            if (g->n_groups > 0)
                fits_write_col(f, TDOUBLE, (int)c + 1, 1, 1,
                               (LONGLONG)g->n_groups, v, &st);
        }
    }
    /* The axis definitions, explicit, so they never have to be guessed
     * back from the rows (doc/domain.md §2.4). */
    long n_axes = (long)g->n_axes;
    fits_write_key(f, TLONG, "GRPNAXES", &n_axes, "number of grouping axes",
                   &st);
    for (size_t k = 0; k < g->n_axes && st == 0; k++) {
        const offbkg_gaxis_t *a = &g->axes[k];
        char key[FLEN_KEYWORD], *list;
        size_t n_b = a->n_bins + (a->kind == OFFBKG_GROUP_AXIS_EDGES);
        long n_bins = (long)a->n_bins;
        snprintf(key, sizeof key, "GRPCOL%zu", k + 1);
        fits_write_key(f, TSTRING, key, a->column, "axis column", &st);
        snprintf(key, sizeof key, "GRPKND%zu", k + 1);
        fits_write_key(f, TSTRING, key,
                       a->kind == OFFBKG_GROUP_AXIS_EDGES ? "EDGES" : "VALUES",
                       "EDGES: min <= v < max; VALUES: v == value", &st);
        snprintf(key, sizeof key, "GRPNBN%zu", k + 1);
        fits_write_key(f, TLONG, key, &n_bins, "bins on this axis", &st);
        list = malloc(n_b * 26 + 1);
        if (list == NULL) {
            st = -1;
            break;
        }
        list[0] = '\0';
        for (size_t b = 0; b < n_b; b++)
            sprintf(list + strlen(list), "%s%.17g", b ? "," : "",
                    a->bounds[b]);
        snprintf(key, sizeof key, "GRPBND%zu", k + 1);
        fits_write_key_longstr(f, key, list, "edges or values", &st);
        free(list);
    }
    if (st == 0)
        fits_write_key_longwarn(f, &st);
done:
    free(names);
    free(ttype);
    free(tform);
    free(tunit);
    free(v);
    if (st == -1)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st != 0)
        return offbkg_fits_error(ctx, st, "writing the group table");
    return OFFBKG_OK;
}

static int write_provenance(offbkg_ctx_t *ctx, fitsfile *f,
                            const char *grouper)
{
    int st = 0;
    fits_write_key(f, TSTRING, "CREATOR", "offbkg " PACKAGE_VERSION,
                   "program that wrote this file", &st);
    fits_write_key(f, TSTRING, "GROUPER", (char *)grouper,
                   "group plugin and version", &st);
    fits_write_date(f, &st);
    return st != 0 ? offbkg_fits_error(ctx, st, "writing header") : OFFBKG_OK;
}

int offbkg_grouping_write(offbkg_ctx_t *ctx, const offbkg_grouping_t *g,
                          const offbkg_datastore_t *store,
                          const char *obs_path, const char *def_path,
                          bool overwrite, const char *grouper)
{
    offbkg_output_t obs, def;
    int st;

    if ((st = offbkg_output_check(ctx, obs_path, overwrite)) != OFFBKG_OK
        || (st = offbkg_output_check(ctx, def_path, overwrite)) != OFFBKG_OK)
        return st;
    st = offbkg_output_fits(ctx, obs_path, overwrite, &obs);
    if (st != OFFBKG_OK)
        return st;
    st = offbkg_table_write(ctx, obs.fits, "OBS_INDEX", &g->obs, "GROUP_ID",
                            g->group_id);
    if (st == OFFBKG_OK)
        st = write_provenance(ctx, obs.fits, grouper);
    if (st == OFFBKG_OK && store != NULL) {
        int fst = 0;
        offbkg_datastore_copy_keys(store, obs.fits, &fst);
        if (fst != 0)
            st = offbkg_fits_error(ctx, fst, "%s", obs_path);
    }
    if (st != OFFBKG_OK) {
        offbkg_output_abort(&obs);
        return st;
    }
    st = offbkg_output_fits(ctx, def_path, overwrite, &def);
    if (st == OFFBKG_OK) {
        st = write_group_table(ctx, def.fits, g);
        if (st == OFFBKG_OK)
            st = write_provenance(ctx, def.fits, grouper);
        if (st != OFFBKG_OK)
            offbkg_output_abort(&def);
    }
    if (st != OFFBKG_OK) {
        offbkg_output_abort(&obs);
        return st;
    }
    /* Both written: move them into place together. */
    st = offbkg_output_commit(ctx, &obs);
    if (st != OFFBKG_OK) {
        offbkg_output_abort(&def);
        return st;
    }
    return offbkg_output_commit(ctx, &def);
}

static int read_fits_table(offbkg_ctx_t *ctx, const char *path,
                           const char *const *needed, offbkg_table_t *t)
{
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    int rc;

    if ((rc = offbkg_fits_open_input(ctx, path, NULL, 0, &mem, &f))
        != OFFBKG_OK)
        return offbkg_error_push(ctx, rc, "run 'offbkg group' first");
    if (!offbkg_fits_find_table(f, needed, NULL)) {
        offbkg_fits_close_input(f, &mem);
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no table with a %s "
                                "column", path, needed[0]);
    }
    rc = offbkg_table_read(ctx, f, path, t);
    offbkg_fits_close_input(f, &mem);
    return rc;
}

int offbkg_group_def_read(offbkg_ctx_t *ctx, const char *def_path,
                          offbkg_table_t *def)
{
    static const char *const needed[] = { "GROUP_ID", NULL };

    return read_fits_table(ctx, def_path, needed, def);
}

int offbkg_grouping_read(offbkg_ctx_t *ctx, const char *obs_path,
                         const char *def_path,
                         const offbkg_datastore_t *store, size_t **rows,
                         int64_t **group_id, size_t *n, size_t *n_groups)
{
    static const char *const obs_needed[] = { "GROUP_ID", "OBS_ID", NULL };
    static const char *const def_needed[] = { "GROUP_ID", NULL };
    offbkg_table_t obs = { 0 }, def = { 0 };
    int rc;

    *rows = NULL;
    *group_id = NULL;
    *n = *n_groups = 0;
    if ((rc = read_fits_table(ctx, obs_path, obs_needed, &obs)) != OFFBKG_OK
        || (rc = read_fits_table(ctx, def_path, def_needed, &def))
               != OFFBKG_OK)
        goto done;
    offbkg_obs_table_t v = offbkg_table_view(&obs);
    const offbkg_column_t *ids = offbkg_obs_table_column(&v, "OBS_ID");
    const offbkg_column_t *gid = offbkg_obs_table_column(&v, "GROUP_ID");
    if (ids->type != OFFBKG_COL_INT || gid->type != OFFBKG_COL_INT) {
        rc = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: OBS_ID and GROUP_ID "
                              "must be integer columns", obs_path);
        goto done;
    }
    *rows = malloc((obs.n_rows > 0 ? obs.n_rows : 1) * sizeof **rows);
    *group_id = malloc((obs.n_rows > 0 ? obs.n_rows : 1) * sizeof **group_id);
    if (*rows == NULL || *group_id == NULL) {
        rc = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < obs.n_rows; i++) {
        long row = offbkg_datastore_row(store, ids->i64[i]);
        if (row < 0) {
            rc = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: OBS_ID %" PRId64
                                  " is not in the data store (did the store "
                                  "change since 'offbkg group'?)", obs_path,
                                  ids->i64[i]);
            goto done;
        }
        if (gid->i64[i] < 0 || (size_t)gid->i64[i] >= def.n_rows) {
            rc = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: OBS_ID %" PRId64
                                  " has GROUP_ID %" PRId64 ", but %s defines "
                                  "%zu groups", obs_path, ids->i64[i],
                                  gid->i64[i], def_path, def.n_rows);
            goto done;
        }
        (*rows)[i] = (size_t)row;
        (*group_id)[i] = gid->i64[i];
    }
    *n = obs.n_rows;
    *n_groups = def.n_rows;
done:
    if (rc != OFFBKG_OK) {
        free(*rows);
        free(*group_id);
        *rows = NULL;
        *group_id = NULL;
    }
    offbkg_table_free(&obs);
    offbkg_table_free(&def);
    return rc;
}
