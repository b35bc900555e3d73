/* SPDX-License-Identifier: BSD-3-Clause
 * The group stage: the [group] plugin's groups of the selected runs, and
 * obs.fits and group-def.fits (doc/domain.md §2.3-§2.4). */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "group-private.h"
#include "input-private.h"
#include "instance-private.h"
#include "output-private.h"

static const offbkg_column_t *obs_id_column(const offbkg_table_t *t)
{
    offbkg_obs_table_t v = offbkg_table_view(t);
    return offbkg_obs_table_column(&v, "OBS_ID");
}

void offbkg_group_clear(offbkg_grouping_t *g)
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
    offbkg_select_clear(&g->dropped);
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
            st = offbkg_select_drop(ctx, &g->dropped, ids[i], reason[i]);
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
        st = offbkg_instance_failed(ctx, rc, &rc->group, st);
        goto done;
    }
    if ((st = copy_def(ctx, def, g)) != OFFBKG_OK)
        goto done;
    offbkg_obs_table_t view = offbkg_table_view(&sub);
    if ((st = ops->assign(inst->state, &view, gid, reason)) != OFFBKG_OK) {
        st = offbkg_instance_failed(ctx, rc, &rc->group, st);
        goto done;
    }
    st = build_grouped(ctx, &sub, rows, gid, reason, g);
done:
    offbkg_instance_free(inst);
    offbkg_table_free(&sub);
    free(gid);
    free(reason);
    if (st != OFFBKG_OK)
        offbkg_group_clear(g);
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
        return offbkg_error_fits(ctx, st, "writing the group table");
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
    return st != 0 ? offbkg_error_fits(ctx, st, "writing header") : OFFBKG_OK;
}

int offbkg_group_write(offbkg_ctx_t *ctx, const offbkg_grouping_t *g,
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
            st = offbkg_error_fits(ctx, fst, "%s", obs_path);
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

    if ((rc = offbkg_input_open(ctx, path, NULL, 0, &mem, &f))
        != OFFBKG_OK)
        return offbkg_error_push(ctx, rc, "run 'offbkg group' first");
    if (!offbkg_table_find(f, needed, NULL)) {
        offbkg_input_close(f, &mem);
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no table with a %s "
                                "column", path, needed[0]);
    }
    rc = offbkg_table_read(ctx, f, path, t);
    offbkg_input_close(f, &mem);
    return rc;
}

int offbkg_group_def_read(offbkg_ctx_t *ctx, const char *def_path,
                          offbkg_table_t *def)
{
    static const char *const needed[] = { "GROUP_ID", NULL };

    return read_fits_table(ctx, def_path, needed, def);
}

/* Axis @p k (from 1) of the GRP* cards of the current HDU of @p f. */
static int def_axis(offbkg_ctx_t *ctx, fitsfile *f, const char *path,
                    size_t k, offbkg_gaxis_t *a)
{
    char key[FLEN_KEYWORD], col[FLEN_VALUE], kind[FLEN_VALUE];
    char *list = NULL, *p, *end;
    long n_bins = 0;
    size_t n_b, i = 0;
    int st = 0;

    snprintf(key, sizeof key, "GRPCOL%zu", k);
    fits_read_key(f, TSTRING, key, col, NULL, &st);
    snprintf(key, sizeof key, "GRPKND%zu", k);
    fits_read_key(f, TSTRING, key, kind, NULL, &st);
    snprintf(key, sizeof key, "GRPNBN%zu", k);
    fits_read_key(f, TLONG, key, &n_bins, NULL, &st);
    snprintf(key, sizeof key, "GRPBND%zu", k);
    fits_read_key_longstr(f, key, &list, NULL, &st);
    if (st != 0 || n_bins < 1 || n_bins > OFFBKG_MAX_GROUPS
        || (strcmp(kind, "EDGES") != 0 && strcmp(kind, "VALUES") != 0)) {
        if (list != NULL)
            fits_free_memory(list, &st);
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: grouping axis %zu "
                                "is not described (GRPCOL, GRPKND, GRPNBN, "
                                "GRPBND cards)", path, k);
    }
    a->kind = strcmp(kind, "EDGES") == 0 ? OFFBKG_GROUP_AXIS_EDGES
                                         : OFFBKG_GROUP_AXIS_VALUES;
    a->n_bins = (size_t)n_bins;
    n_b = a->n_bins + (a->kind == OFFBKG_GROUP_AXIS_EDGES);
    a->column = strdup(col);
    a->unit = strdup("");
    a->bounds = malloc(n_b * sizeof *a->bounds);
    if (a->column == NULL || a->unit == NULL || a->bounds == NULL) {
        fits_free_memory(list, &st);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    for (p = list; i < n_b; i++, p = end + (*end == ',')) {
        a->bounds[i] = strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\0'))
            break;
    }
    bool whole = i == n_b && *end == '\0';
    st = 0;
    fits_free_memory(list, &st);
    if (!whole)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: GRPBND%zu does not "
                                "hold %zu numbers", path, k, n_b);
    return OFFBKG_OK;
}

int offbkg_group_def_axes(offbkg_ctx_t *ctx, const char *def_path,
                          offbkg_grouping_t *g)
{
    static const char *const needed[] = { "GROUP_ID", NULL };
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    long n_axes = 0;
    int st = 0, rc;

    memset(g, 0, sizeof *g);
    if ((rc = offbkg_input_open(ctx, def_path, NULL, 0, &mem, &f))
        != OFFBKG_OK)
        return rc;
    if (!offbkg_table_find(f, needed, NULL)
        || fits_read_key(f, TLONG, "GRPNAXES", &n_axes, NULL, &st) != 0
        || n_axes < 0 || n_axes > 64)
        rc = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no GRPNAXES card in "
                              "its GROUP_ID table", def_path);
    else if ((g->axes = calloc((size_t)n_axes + 1, sizeof *g->axes))
             == NULL)
        rc = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    g->n_groups = 1;
    for (size_t k = 0; rc == OFFBKG_OK && k < (size_t)n_axes; k++) {
        g->n_axes = k + 1;
        rc = def_axis(ctx, f, def_path, k + 1, &g->axes[k]);
        g->n_groups *= g->axes[k].n_bins;
    }
    offbkg_input_close(f, &mem);
    if (rc != OFFBKG_OK)
        offbkg_group_clear(g);
    return rc;
}

int offbkg_group_read(offbkg_ctx_t *ctx, const char *obs_path,
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

void offbkg_group_abi_axes(const offbkg_grouping_t *g,
                           offbkg_group_axis_t *axes)
{
    for (size_t a = 0; a < g->n_axes; a++)
        axes[a] = (offbkg_group_axis_t){
            .column = g->axes[a].column, .kind = g->axes[a].kind,
            .n_bins = g->axes[a].n_bins, .bounds = g->axes[a].bounds,
            .unit = g->axes[a].unit };
}
