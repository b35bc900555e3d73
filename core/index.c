/* SPDX-License-Identifier: BSD-3-Clause
 * Index tables: hdu-index, obs-index and bkg-index of a data store in the
 * output directory that links each observation to its group's model. */
#include <config.h>

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>

#include "fitsmem-private.h"
#include "group-private.h"
#include "index-private.h"
#include "input-private.h"
#include "model_write-private.h"
#include "output-private.h"
#include "parallel-private.h"
#include "path-private.h"

/* hdu-index rows being built; strings owned. */
typedef struct rows {
    size_t n, cap;
    int64_t *obs_id;
    char **type, **hclass, **dir, **file, **name;
    int64_t *size;
} rows_t;

static void rows_free(rows_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->type[i]);
        free(r->hclass[i]);
        free(r->dir[i]);
        free(r->file[i]);
        free(r->name[i]);
    }
    free(r->obs_id);
    free(r->type);
    free(r->hclass);
    free(r->dir);
    free(r->file);
    free(r->name);
    free(r->size);
    memset(r, 0, sizeof *r);
}

static int rows_add(offbkg_ctx_t *ctx, rows_t *r, int64_t obs_id,
                    const char *type, const char *hclass, const char *dir,
                    const char *file, const char *name, int64_t size)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        void *p[8] = {
            realloc(r->obs_id, cap * sizeof *r->obs_id),
            realloc(r->type, cap * sizeof *r->type),
            realloc(r->hclass, cap * sizeof *r->hclass),
            realloc(r->dir, cap * sizeof *r->dir),
            realloc(r->file, cap * sizeof *r->file),
            realloc(r->name, cap * sizeof *r->name),
            realloc(r->size, cap * sizeof *r->size), NULL };
        /* Keep whatever moved, so rows_free stays valid on failure. */
        if (p[0]) r->obs_id = p[0];
        if (p[1]) r->type = p[1];
        if (p[2]) r->hclass = p[2];
        if (p[3]) r->dir = p[3];
        if (p[4]) r->file = p[4];
        if (p[5]) r->name = p[5];
        if (p[6]) r->size = p[6];
        for (int i = 0; i < 7; i++)
            if (p[i] == NULL)
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        r->cap = cap;
    }
    size_t i = r->n;
    r->obs_id[i] = obs_id;
    r->type[i] = strdup(type);
    r->hclass[i] = strdup(hclass);
    r->dir[i] = strdup(dir);
    r->file[i] = strdup(file);
    r->name[i] = strdup(name);
    r->size[i] = size;
    r->n++;
    if (!r->type[i] || !r->hclass[i] || !r->dir[i] || !r->file[i]
        || !r->name[i])
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

/* A row's sort key: (OBS_ID, HDU_TYPE), then the row for stability. */
typedef struct row_key {
    int64_t obs_id;
    const char *type;
    size_t row;
} row_key_t;

static int cmp_row_keys(const void *a, const void *b)
{
    const row_key_t *x = a, *y = b;
    if (x->obs_id != y->obs_id)
        return x->obs_id < y->obs_id ? -1 : 1;
    int c = strcmp(x->type, y->type);
    return c != 0 ? c : (x->row > y->row) - (x->row < y->row);
}

/* Write @p r (rows in (OBS_ID, HDU_TYPE) order) as an HDU_INDEX. */
static int write_hdu_index(offbkg_ctx_t *ctx, const rows_t *r,
                           const char *path, bool overwrite, bool with_size)
{
    row_key_t *order = malloc((r->n > 0 ? r->n : 1) * sizeof *order);
    int64_t *ids = malloc((r->n > 0 ? r->n : 1) * sizeof *ids);
    int64_t *sizes = malloc((r->n > 0 ? r->n : 1) * sizeof *sizes);
    const char **s[5];
    char **const src[5] = { r->type, r->hclass, r->dir, r->file, r->name };
    static const char *const names[5] = { "HDU_TYPE", "HDU_CLASS", "FILE_DIR",
                                          "FILE_NAME", "HDU_NAME" };
    offbkg_column_t cols[7];
    offbkg_output_t out;
    int st = OFFBKG_OK;

    for (int k = 0; k < 5; k++)
        s[k] = malloc((r->n > 0 ? r->n : 1) * sizeof(char *));
    if (!order || !ids || !sizes || !s[0] || !s[1] || !s[2] || !s[3]
        || !s[4]) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r->n; i++)
        order[i] = (row_key_t){ r->obs_id[i], r->type[i], i };
    qsort(order, r->n, sizeof *order, cmp_row_keys);
    for (size_t i = 0; i < r->n; i++) {
        size_t row = order[i].row;
        ids[i] = r->obs_id[row];
        sizes[i] = r->size[row];
        for (int k = 0; k < 5; k++)
            s[k][i] = src[k][row];
    }
    cols[0] = (offbkg_column_t){ .name = "OBS_ID", .type = OFFBKG_COL_INT,
                                 .unit = "", .i64 = ids };
    for (int k = 0; k < 5; k++)
        cols[k + 1] = (offbkg_column_t){ .name = names[k],
                                         .type = OFFBKG_COL_STRING,
                                         .unit = "", .str = s[k] };
    cols[6] = (offbkg_column_t){ .name = "SIZE", .type = OFFBKG_COL_INT,
                                 .unit = "byte", .i64 = sizes };
    offbkg_table_t t = { r->n, with_size ? 7 : 6, cols };
    if ((st = offbkg_output_fits(ctx, path, overwrite, &out)) != OFFBKG_OK)
        goto done;
    st = offbkg_table_write(ctx, out.fits, "HDU_INDEX", &t, NULL, NULL);
    if (st == OFFBKG_OK) {
        int fst = 0;
        fits_write_key(out.fits, TSTRING, "HDUCLASS", "GADF", NULL, &fst);
        fits_write_key(out.fits, TSTRING, "HDUDOC", "https://github.com/"
                       "open-gamma-ray-astro/gamma-astro-data-formats", NULL,
                       &fst);
        fits_write_key(out.fits, TSTRING, "HDUVERS", "0.2", NULL, &fst);
        fits_write_key(out.fits, TSTRING, "HDUCLAS1", "INDEX", NULL, &fst);
        fits_write_key(out.fits, TSTRING, "HDUCLAS2", "HDU", NULL, &fst);
        fits_write_key(out.fits, TSTRING, "CREATOR", "offbkg " PACKAGE_VERSION,
                       NULL, &fst);
        if (fst != 0)
            st = offbkg_error_fits(ctx, fst, "%s", path);
    }
    st = st == OFFBKG_OK ? offbkg_output_commit(ctx, &out)
                         : (offbkg_output_abort(&out), st);
done:
    free(order);
    free(ids);
    free(sizes);
    for (int k = 0; k < 5; k++)
        free(s[k]);
    return st;
}

/* Write @p key = @p value unless the HDU has the key already. */
static void default_key(fitsfile *f, const char *key, const char *value,
                        int *st)
{
    char v[FLEN_VALUE], c[FLEN_COMMENT];
    int rst = 0;

    if (*st != 0)
        return;
    if (fits_read_keyword(f, key, v, c, &rst) == 0)
        return;
    fits_clear_errmsg();
    fits_write_key(f, TSTRING, key, (void *)value, NULL, st);
}

/* The obs-index of the target store, with the cards of the store's own
 * obs-index header (HDUDOC, COMMENT, the time and site keywords, ...);
 * the GADF class keywords are added when it has none. */
static int write_obs_index(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                           const char *path, bool overwrite)
{
    offbkg_output_t out;
    int st, fst = 0;

    if ((st = offbkg_output_fits(ctx, path, overwrite, &out)) != OFFBKG_OK)
        return st;
    st = offbkg_table_write(ctx, out.fits, "OBS_INDEX", &store->obs, NULL,
                            NULL);
    if (st == OFFBKG_OK)
        offbkg_datastore_copy_header(store, out.fits, &fst);
    default_key(out.fits, "HDUCLASS", "GADF", &fst);
    default_key(out.fits, "HDUDOC", "https://github.com/"
                "open-gamma-ray-astro/gamma-astro-data-formats", &fst);
    default_key(out.fits, "HDUVERS", "0.2", &fst);
    default_key(out.fits, "HDUCLAS1", "INDEX", &fst);
    default_key(out.fits, "HDUCLAS2", "OBS", &fst);
    fits_clear_errmsg();
    if (st == OFFBKG_OK && fst != 0)
        st = offbkg_error_fits(ctx, fst, "%s", path);
    if (st != OFFBKG_OK) {
        offbkg_output_abort(&out);
        return st;
    }
    return offbkg_output_commit(ctx, &out);
}

/* The index of the [model] to link. */
static int model_to_link(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                         size_t *m)
{
    const char *want = rc->index != NULL ? rc->index->model : "";

    if (rc->n_models == 0)
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: the index step "
                                "needs the [model] section whose files it "
                                "links", rc->file);
    *m = 0;
    if (want == NULL || want[0] == '\0')
        return OFFBKG_OK;
    for (size_t k = 0; k < rc->n_models; k++)
        if (strcmp(rc->models[k].label, want) == 0) {
            *m = k;
            return OFFBKG_OK;
        }
    return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: [index] model = %s: "
                            "there is no [model %s] section", rc->file, want,
                            want);
}

/* Whether the model file @p path was made by section @p section (its
 * SECTION card), into *yes. Only the BACKGROUND HDU is read (inflated):
 * a 3D model has three more cubes after it. A file under a model's name
 * that cannot be opened is an error, not someone else's file. */
static int made_by(offbkg_ctx_t *ctx, const char *path, const char *section,
                   bool *yes)
{
    static const char *const hdus[] = { "BACKGROUND" };
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    char value[FLEN_VALUE] = "";
    int st = 0, rc;

    *yes = false;
    rc = offbkg_input_open(ctx, path, hdus, 1, &mem, &f);
    if (rc != OFFBKG_OK)
        return offbkg_error_push(ctx, rc, "cannot read the model file back");
    if (fits_movnam_hdu(f, BINARY_TBL, "BACKGROUND", 0, &st) == 0
        && offbkg_table_key_string(f, "SECTION", value))
        *yes = strcmp(value, section) == 0;
    offbkg_input_close(f, &mem);
    return OFFBKG_OK;
}

/* The file of @p id written by this command (@p written), as
 * model_file says it. */
static int written_file(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        size_t m, bool obs, int64_t id, bool smooth,
                        const offbkg_written_t *written, char **file,
                        int *dims, int64_t *size_bytes)
{
    const offbkg_written_file_t *w = offbkg_written_find(written, m, obs,
                                                         id, smooth);
    if (w == NULL)
        return OFFBKG_OK;
    *dims = w->dims;
    *size_bytes = w->size_bytes;
    *file = obs ? offbkg_model_write_obs_path(rc, m, w->dims, id, smooth,
                                              rc->output->dir)
                : offbkg_model_write_path(rc, m, w->dims, (size_t)id, smooth,
                                          rc->output->dir);
    return *file != NULL ? OFFBKG_OK
                         : offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                            "out of memory");
}

/* The model file of group @p id (or of observation @p id when @p obs: a
 * per-observation model) made by model @p m (either dimension) into
 * *file, or NULL when there is none, its size into *size_bytes. With
 * @p written (the command wrote the models), from that list: `offbkg
 * run` links the models it is writing, never older files in [output]
 * dir, and need not open them again. Without (offbkg index), each file
 * is opened to check that @p m made it. */
static int model_file(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      size_t m, bool obs, int64_t id, bool smooth,
                      const offbkg_written_t *written, char **file,
                      int *dims, int64_t *size_bytes)
{
    *file = NULL;
    *size_bytes = 0;
    if (written != NULL)
        return written_file(ctx, rc, m, obs, id, smooth, written, file, dims,
                            size_bytes);
    for (*dims = 2; *dims <= 3; (*dims)++) {
        char *p = obs ? offbkg_model_write_obs_path(rc, m, *dims, id, smooth,
                                                    rc->output->dir)
                      : offbkg_model_write_path(rc, m, *dims, (size_t)id,
                                                smooth, rc->output->dir);
        char *r = p != NULL ? offbkg_output_read_path(ctx, p) : NULL;
        bool yes = false;
        int st = OFFBKG_OK;
        if (r == NULL) {
            free(p);
            /* A negative OBS_ID names no file: that observation has
             * none. */
            return obs && id < 0 ? OFFBKG_OK
                                 : offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                                    "out of memory");
        }
        if (access(r, F_OK) == 0)
            st = made_by(ctx, r, rc->models[m].section, &yes);
        if (st == OFFBKG_OK && yes)
            *size_bytes = offbkg_written_size(ctx, p);
        free(r);
        if (st != OFFBKG_OK || yes) {
            if (st == OFFBKG_OK)
                *file = p;
            else
                free(p);
            return st;
        }
        free(p);
    }
    return OFFBKG_OK;
}

/* The bkg row of observation @p obs_id for model file @p file (@p dims
 * 2 or 3, @p size_bytes) in directory @p own_dir, added to @p bkg. */
static int link_row(offbkg_ctx_t *ctx, rows_t *bkg, int64_t obs_id,
                    const char *file, int dims, int64_t size_bytes,
                    const char *own_dir)
{
    const char *base = strrchr(file, '/') + 1;
    const char *hclass = dims == 2 ? "bkg_2d" : "bkg_3d";

    return rows_add(ctx, bkg, obs_id, "bkg", hclass, own_dir, base,
                    "BACKGROUND", size_bytes);
}

/* Per-observation models: each observation of @p store linked to its
 * own file; one without (unmatched or skipped by the match step) gets
 * no row. */
static int link_own(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc, size_t m,
                    bool smooth, const offbkg_datastore_t *store,
                    const offbkg_written_t *written, const char *own_dir,
                    uint8_t *linked, rows_t *bkg,
                    offbkg_index_result_t *result)
{
    int st = OFFBKG_OK;

    for (size_t i = 0; st == OFFBKG_OK && i < store->obs.n_rows; i++) {
        int64_t obs_id = offbkg_datastore_obs_id(store, i);
        char *file = NULL;
        int dims = 0;
        int64_t size_bytes = 0;
        if (offbkg_ctx_cancelled(ctx))
            return offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
        st = model_file(ctx, rc, m, true, obs_id, smooth, written, &file,
                        &dims, &size_bytes);
        if (st == OFFBKG_OK && file == NULL) {
            result->n_no_model++;
            OFFBKG_WARN(ctx, "OBS_ID %" PRId64 ": no model file of its own "
                        "(not matched); no bkg row written", obs_id);
        } else if (st == OFFBKG_OK) {
            linked[i] = 1;
            result->n_linked++;
            st = link_row(ctx, bkg, obs_id, file, dims, size_bytes, own_dir);
        }
        free(file);
    }
    return st;
}

/* Whether @p text is printable ASCII, all a FITS string may hold. */
static bool fits_safe(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

/* FILE_DIR of the rows of directory @p abs: relative to @p out_dir, or
 * absolute; a new string (@p abs itself when it cannot be resolved), or
 * NULL out of memory. */
static char *file_dir(const char *out_dir, const char *abs, bool absolute)
{
    char *d = absolute ? offbkg_path_absolute(abs)
                       : offbkg_path_relative(out_dir, abs);
    return d != NULL ? d : strdup(abs);
}

/* The directory of hdu-index row @p i of @p store, as a path (new
 * string, or NULL out of memory). */
static char *row_dir(const offbkg_datastore_t *store,
                     const offbkg_column_t *dir, size_t i)
{
    const char *d = dir != NULL ? dir->str[i] : "";
    while (*d == ' ')
        d++;
    size_t n = strlen(store->base_dir) + strlen(d) + 2;
    char *abs = malloc(n);
    if (abs != NULL)
        snprintf(abs, n, "%s%s%s", d[0] == '/' ? "" : store->base_dir,
                 d[0] == '/' || d[0] == '\0' ? "" : "/", d);
    return abs;
}

/* OFFBKG_EDATA unless FILE_DIR @p dir can be written into a FITS table:
 * escaping it would make a path that leads nowhere. */
static int check_file_dir(offbkg_ctx_t *ctx, const char *dir,
                          const char *path)
{
    if (fits_safe(dir))
        return OFFBKG_OK;
    return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: FILE_DIR '%s' has bytes "
                            "that are not printable ASCII, which a FITS "
                            "table cannot hold: give the data store and the "
                            "output directory ASCII paths", path, dir);
}

/* The store's bkg rows, as they were copied. */
typedef struct store_bkg {
    size_t kept;            /* rows of runs without a model of ours */
    size_t dropped;         /* the same, left out (keep_input_bkg = false) */
} store_bkg_t;

/* Copy the target's rows, FILE_DIR made relative to the output directory
 * (or absolute), leaving out the bkg rows of the observations in
 * @p linked, and every bkg row unless @p keep_bkg. */
static int copy_rows(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                     const char *out_dir, const uint8_t *linked,
                     bool keep_bkg, bool absolute, const char *index_path,
                     rows_t *r, store_bkg_t *bkg)
{
    offbkg_obs_table_t v = offbkg_table_view(&store->hdu);
    const offbkg_column_t *id = offbkg_obs_table_column(&v, "OBS_ID");
    const offbkg_column_t *type = offbkg_obs_table_column(&v, "HDU_TYPE");
    const offbkg_column_t *hclass = offbkg_obs_table_column(&v, "HDU_CLASS");
    const offbkg_column_t *dir = offbkg_obs_table_column(&v, "FILE_DIR");
    const offbkg_column_t *file = offbkg_obs_table_column(&v, "FILE_NAME");
    const offbkg_column_t *name = offbkg_obs_table_column(&v, "HDU_NAME");
    const offbkg_column_t *size = offbkg_obs_table_column(&v, "SIZE");
    char *prev_abs = NULL, *rel = NULL;
    int st = OFFBKG_OK;

    for (size_t i = 0; st == OFFBKG_OK && i < store->hdu.n_rows; i++) {
        const char *t = type->str[i];
        while (*t == ' ')
            t++;
        long row = offbkg_datastore_row(store, id->i64[i]);
        if (strcasecmp(t, "bkg") == 0) {
            if (row >= 0 && linked[row])
                continue;
            if (!keep_bkg) {
                bkg->dropped++;
                continue;
            }
            bkg->kept++;
        }
        char *abs = row_dir(store, dir, i);
        if (abs == NULL) {
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            break;
        }
        /* Rows of one directory come together; realpath() costs a
         * readlink per path component, so resolve each directory once. */
        if (prev_abs == NULL || strcmp(abs, prev_abs) != 0) {
            free(rel);
            free(prev_abs);
            prev_abs = abs;
            if ((rel = file_dir(out_dir, abs, absolute)) == NULL) {
                st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
                break;
            }
            if ((st = check_file_dir(ctx, rel, index_path)) != OFFBKG_OK)
                break;
        } else {
            free(abs);
        }
        st = rows_add(ctx, r, id->i64[i], t,
                      hclass != NULL && hclass->type == OFFBKG_COL_STRING
                          ? hclass->str[i] : "",
                      rel, file->str[i], name->str[i],
                      size != NULL && size->type == OFFBKG_COL_INT
                          ? size->i64[i] : 0);
    }
    free(rel);
    free(prev_abs);
    return st;
}

int offbkg_index_check_file_dirs(offbkg_ctx_t *ctx,
                                 const offbkg_runconf_t *rc,
                                 const offbkg_datastore_t *store)
{
    const offbkg_index_conf_t *ic = rc->index;
    bool keep_bkg = ic == NULL || ic->keep_input_bkg;
    bool absolute = ic != NULL && ic->file_dir == OFFBKG_FILE_DIR_ABSOLUTE;
    offbkg_obs_table_t v = offbkg_table_view(&store->hdu);
    const offbkg_column_t *type = offbkg_obs_table_column(&v, "HDU_TYPE");
    const offbkg_column_t *dir = offbkg_obs_table_column(&v, "FILE_DIR");
    char *index_path = offbkg_path_join(rc->output->dir, "hdu-index.fits.gz");
    char *prev = NULL, *d = absolute ? file_dir(NULL, rc->output->dir, true)
                                      : NULL;
    int st = index_path == NULL || (absolute && d == NULL)
                 ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
             : d != NULL ? check_file_dir(ctx, d, index_path)
                         : OFFBKG_OK;

    free(d);
    /* Rows of one directory come together: each is checked once. */
    for (size_t i = 0; st == OFFBKG_OK && i < store->hdu.n_rows; i++) {
        const char *t = type->str[i];
        while (*t == ' ')
            t++;
        if (!keep_bkg && strcasecmp(t, "bkg") == 0)
            continue;
        char *abs = row_dir(store, dir, i);
        if (abs == NULL) {
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            break;
        }
        if (prev != NULL && strcmp(abs, prev) == 0) {
            free(abs);
            continue;
        }
        free(prev);
        prev = abs;
        if ((d = file_dir(rc->output->dir, abs, absolute)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        else
            st = check_file_dir(ctx, d, index_path);
        free(d);
    }
    free(prev);
    free(index_path);
    return st;
}

/* Shared group models: each observation of @p store (rows @p every)
 * linked to its group's file (regrouped with the [group] plugin); one
 * in no group, or in a group without a file, gets no row. */
static int link_groups(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       size_t m, bool smooth, const offbkg_datastore_t *store,
                       const size_t *every, const offbkg_written_t *written,
                       const char *own_dir, uint8_t *linked, rows_t *bkg,
                       offbkg_index_result_t *result)
{
    offbkg_grouping_t g = { 0 };
    char **files = NULL;
    int *dims_of = NULL, st;
    int64_t *size_of = NULL;
    uint8_t *looked = NULL;
    size_t n = store->obs.n_rows;

    /* The grouping is a pure function of a row: apply it to the target. */
    if ((st = offbkg_group_run(ctx, rc, store, every, n, &g)) != OFFBKG_OK)
        goto done;
    result->n_no_group = g.dropped.n_dropped;
    /* Each group's model file is looked up once, not once per run. */
    files = calloc(g.n_groups > 0 ? g.n_groups : 1, sizeof *files);
    dims_of = calloc(g.n_groups > 0 ? g.n_groups : 1, sizeof *dims_of);
    size_of = calloc(g.n_groups > 0 ? g.n_groups : 1, sizeof *size_of);
    looked = calloc(g.n_groups > 0 ? g.n_groups : 1, 1);
    if (files == NULL || dims_of == NULL || size_of == NULL
        || looked == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; st == OFFBKG_OK && i < g.obs.n_rows; i++) {
        size_t gi = (size_t)g.group_id[i];
        int64_t obs_id = offbkg_datastore_obs_id(store, g.store_rows[i]);
        if (offbkg_ctx_cancelled(ctx)) {
            st = offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
            break;
        }
        if (!looked[gi]) {
            st = model_file(ctx, rc, m, false, (int64_t)gi, smooth,
                            written, &files[gi], &dims_of[gi],
                            &size_of[gi]);
            looked[gi] = 1;
            if (st != OFFBKG_OK)
                break;
        }
        if (files[gi] == NULL) {
            result->n_no_model++;
            OFFBKG_WARN(ctx, "OBS_ID %" PRId64 ": group %" PRId64 " has no "
                        "model file; no bkg row written", obs_id,
                        g.group_id[i]);
            continue;
        }
        linked[g.store_rows[i]] = 1;
        result->n_linked++;
        st = link_row(ctx, bkg, obs_id, files[gi], dims_of[gi], size_of[gi],
                      own_dir);
    }
done:
    for (size_t k = 0; files != NULL && k < g.n_groups; k++)
        free(files[k]);
    free(files);
    free(dims_of);
    free(size_of);
    free(looked);
    offbkg_group_clear(&g);
    return st;
}

/* The three tables, an item of a parallel loop each. */
typedef struct tables {
    const rows_t *all, *bkg;
    const offbkg_datastore_t *store;
    char *const *paths;             /* hdu-index, obs-index, bkg-index */
    bool overwrite, with_size;
} tables_t;

static int write_table_item(offbkg_ctx_t *ctx, void *arg, size_t i)
{
    const tables_t *t = arg;

    return i == 0 ? write_hdu_index(ctx, t->all, t->paths[0], t->overwrite,
                                    t->with_size)
           : i == 1 ? write_obs_index(ctx, t->store, t->paths[1],
                                      t->overwrite)
                    : write_hdu_index(ctx, t->bkg, t->paths[2],
                                      t->overwrite, false);
}

int offbkg_index_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *open_store,
                     const offbkg_written_t *written, size_t threads,
                     offbkg_index_result_t *result)
{
    const offbkg_index_conf_t *ic = rc->index;
    offbkg_datastore_conf_t target_conf = *rc->datastore;
    offbkg_datastore_t *owned = NULL;
    const offbkg_datastore_t *store = open_store;
    rows_t all = { 0 }, bkg = { 0 };
    size_t *every = NULL, m = 0;
    uint8_t *linked = NULL;
    char *paths[3] = { NULL, NULL, NULL }, *own_dir = NULL;
    int st;

    memset(result, 0, sizeof *result);
    if (offbkg_runconf_target_path(rc)[0] != '\0') {
        target_conf = (offbkg_datastore_conf_t){
            .path = offbkg_runconf_target_path(rc),
                                                .obs_index = "",
                                                .hdu_index = "" };
        store = NULL;
    }
    bool smooth = (ic == NULL || ic->smooth);
    bool keep_bkg = ic == NULL || ic->keep_input_bkg;
    bool absolute = ic != NULL && ic->file_dir == OFFBKG_FILE_DIR_ABSOLUTE;
    if ((st = model_to_link(ctx, rc, &m)) != OFFBKG_OK)
        return st;
    smooth = smooth && rc->smooths[m].module != NULL;
    paths[0] = offbkg_path_join(rc->output->dir, "hdu-index.fits.gz");
    paths[1] = offbkg_path_join(rc->output->dir, "obs-index.fits.gz");
    paths[2] = offbkg_path_join(rc->output->dir, "bkg-index.fits.gz");
    if (!paths[0] || !paths[1] || !paths[2]) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < 3 && st == OFFBKG_OK; k++)
        st = offbkg_output_check(ctx, paths[k], rc->output->overwrite);
    if (st != OFFBKG_OK
        || (store == NULL
            && (st = offbkg_datastore_open(ctx, &target_conf, &owned))
                   != OFFBKG_OK))
        goto done;
    if (store == NULL)
        store = owned;
    /* FILE_DIR of the models, which are in the output directory. */
    if ((own_dir = absolute ? file_dir(NULL, rc->output->dir, true)
                            : strdup(".")) == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = check_file_dir(ctx, own_dir, paths[0])) != OFFBKG_OK)
        goto done;
    size_t n = store->obs.n_rows;
    every = malloc((n > 0 ? n : 1) * sizeof *every);
    linked = calloc(n > 0 ? n : 1, 1);
    if (every == NULL || linked == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        every[i] = i;
    result->n_obs = n;
    if (offbkg_runconf_per_target(rc))
        st = link_own(ctx, rc, m, smooth, store, written, own_dir, linked,
                      &bkg, result);
    else
        st = link_groups(ctx, rc, m, smooth, store, every, written, own_dir,
                         linked, &bkg, result);
    store_bkg_t store_bkg = { 0, 0 };
    if (st == OFFBKG_OK)
        st = copy_rows(ctx, store, rc->output->dir, linked, keep_bkg,
                       absolute, paths[0], &all, &store_bkg);
    for (size_t i = 0; st == OFFBKG_OK && i < bkg.n; i++)
        st = rows_add(ctx, &all, bkg.obs_id[i], bkg.type[i], bkg.hclass[i],
                      bkg.dir[i], bkg.file[i], bkg.name[i], bkg.size[i]);
    result->n_store_bkg_kept = store_bkg.kept;
    result->n_store_bkg_dropped = store_bkg.dropped;
    /* A model of the store's own (CTA 1DC ships one) would be used for
     * these runs without a word. */
    if (st == OFFBKG_OK && store_bkg.kept > 0)
        OFFBKG_WARN(ctx, "%zu observation%s got no model of ours and keep "
                    "the data store's own bkg row%s in %s ([index] "
                    "keep_input_bkg = false leaves them out)",
                    store_bkg.kept, store_bkg.kept == 1 ? "" : "s",
                    store_bkg.kept == 1 ? "" : "s", paths[0]);
    if (st == OFFBKG_OK && store_bkg.dropped > 0)
        OFFBKG_INFO(ctx, "left out %zu bkg row%s of the data store "
                    "(keep_input_bkg = false)", store_bkg.dropped,
                    store_bkg.dropped == 1 ? "" : "s");
    offbkg_obs_table_t hv = offbkg_table_view(&store->hdu);
    tables_t t = { .all = &all, .bkg = &bkg, .store = store,
                   .paths = paths, .overwrite = rc->output->overwrite,
                   .with_size = offbkg_obs_table_column(&hv, "SIZE") != NULL };
    if (st == OFFBKG_OK)
        st = offbkg_parallel_try(ctx, 3, threads, write_table_item, &t);
done:
    rows_free(&all);
    rows_free(&bkg);
    offbkg_datastore_free(owned);
    free(every);
    free(linked);
    for (int k = 0; k < 3; k++)
        free(paths[k]);
    free(own_dir);
    return st;
}

/* "ZEN_PNT 49 to 90 deg": the ranges of group @p gi, an axis at a time,
 * as group-def.fits gives them (last axis fastest). */
static void group_ranges(const offbkg_grouping_t *g, size_t gi, char *buf,
                         size_t n)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t k = 0; k < g->n_axes && len < n; k++) {
        const offbkg_gaxis_t *a = &g->axes[k];
        size_t stride = 1, bin;
        for (size_t j = k + 1; j < g->n_axes; j++)
            stride *= g->axes[j].n_bins;
        bin = (gi / stride) % a->n_bins;
        const char *sp = a->unit[0] != '\0' ? " " : "";
        int w = a->kind == OFFBKG_GROUP_AXIS_EDGES
                    ? snprintf(buf + len, n - len, "%s%s %g to %g%s%s",
                               k ? ", " : "", a->column, a->bounds[bin],
                               a->bounds[bin + 1], sp, a->unit)
                    : snprintf(buf + len, n - len, "%s%s = %g%s%s",
                               k ? ", " : "", a->column, a->bounds[bin], sp,
                               a->unit);
        len += w > 0 ? (size_t)w : 0;
    }
}

/* Whether group @p gi will have no model, into *none: no run in it
 * (@p runs_per_group), or no model file of [model m] in [output] dir. */
static int without_model(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                         size_t m, size_t gi, const size_t *runs_per_group,
                         size_t n_groups, bool *none)
{
    bool smooth = (rc->index == NULL || rc->index->smooth)
                  && rc->smooths[m].module != NULL;
    char *file = NULL;
    int dims, st;
    int64_t size_bytes;

    if (runs_per_group != NULL) {
        *none = gi >= n_groups || runs_per_group[gi] == 0;
        return OFFBKG_OK;
    }
    st = model_file(ctx, rc, m, false, (int64_t)gi, smooth, NULL, &file,
                    &dims, &size_bytes);
    *none = file == NULL;
    free(file);
    return st;
}

int offbkg_index_check_needed(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                              const offbkg_datastore_t *open_store,
                              const size_t *runs_per_group, size_t n_runs,
                              size_t n_groups)
{
    const offbkg_index_conf_t *ic = rc->index;
    bool own_target = offbkg_runconf_target_path(rc)[0] != '\0';
    const char *target_path = own_target ? offbkg_runconf_target_path(rc)
                                         : rc->datastore->path;
    offbkg_datastore_conf_t target_conf = { .path = target_path,
                                            .obs_index = "",
                                            .hdu_index = "" };
    offbkg_datastore_t *owned = NULL;
    const offbkg_datastore_t *store = own_target ? NULL : open_store;
    offbkg_grouping_t g = { 0 };
    size_t *every = NULL, *need = NULL, m = 0, n_missing = 0, len = 0;
    int64_t *first = NULL;
    char msg[4096], ranges[512], why[1024];
    int st;

    /* Per-observation models are made for every target the match step
     * can match; the others are skipped with their reason there. */
    if ((ic != NULL && ic->allow_missing_models)
        || offbkg_runconf_per_target(rc))
        return OFFBKG_OK;
    if ((st = model_to_link(ctx, rc, &m)) != OFFBKG_OK)
        return st;
    if (store == NULL
        && (st = offbkg_datastore_open(ctx, &target_conf, &owned))
               != OFFBKG_OK)
        return st;
    if (store == NULL)
        store = owned;
    size_t n = store->obs.n_rows;
    every = malloc((n > 0 ? n : 1) * sizeof *every);
    if (every == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        every[i] = i;
    /* The grouping is a pure function of a row: which groups the index
     * store's observations fall in is known before any event is read. */
    if ((st = offbkg_group_run(ctx, rc, store, every, n, &g)) != OFFBKG_OK)
        goto done;
    need = calloc(g.n_groups > 0 ? g.n_groups : 1, sizeof *need);
    first = calloc(g.n_groups > 0 ? g.n_groups : 1, sizeof *first);
    if (need == NULL || first == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < g.obs.n_rows; i++) {
        size_t gi = (size_t)g.group_id[i];
        if (need[gi]++ == 0)
            first[gi] = offbkg_datastore_obs_id(store, g.store_rows[i]);
    }
    len = (size_t)snprintf(msg, sizeof msg, "%s:%d: [group] plugin %s: ",
                           rc->ini->path, rc->group.line,
                           rc->group.module->name);
    for (size_t gi = 0; gi < g.n_groups; gi++) {
        bool none = false;
        if (need[gi] == 0)
            continue;
        if (offbkg_ctx_cancelled(ctx)) {
            st = offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
            goto done;
        }
        if ((st = without_model(ctx, rc, m, gi, runs_per_group, n_groups,
                                &none)) != OFFBKG_OK)
            goto done;
        if (!none)
            continue;
        if (n_missing++ >= 3 || len >= sizeof msg)
            continue;
        group_ranges(&g, gi, ranges, sizeof ranges);
        if (runs_per_group != NULL)
            snprintf(why, sizeof why, "has none of the %zu runs selected "
                     "from the data store %s", n_runs, rc->datastore->path);
        else
            snprintf(why, sizeof why, "has no model file of [%s] in %s (no "
                     "run, or no 'offbkg make')", rc->models[m].section,
                     rc->output->dir);
        int w = snprintf(msg + len, sizeof msg - len, "%sgroup %zu (%s) %s, "
                         "but %zu observation%s of the index store %s "
                         "fall%s in it (%sOBS_ID %" PRId64 ")",
                         n_missing > 1 ? "; " : "", gi, ranges, why,
                         need[gi], need[gi] == 1 ? "" : "s", target_path,
                         need[gi] == 1 ? "s" : "",
                         need[gi] == 1 ? "" : "e.g. ", first[gi]);
        len += w > 0 ? (size_t)w : 0;
    }
    if (n_missing == 0)
        goto done;
    if (n_missing > 3 && len < sizeof msg)
        len += (size_t)snprintf(msg + len, sizeof msg - len,
                                "; and %zu other group%s like them",
                                n_missing - 3, n_missing == 4 ? "" : "s");
    st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s; the index tables would "
                          "link no model of [%s] to such observations: widen "
                          "the select, change the group edges, or set [index] "
                          "allow_missing_models = true to accept that (a "
                          "warning)", msg, rc->models[m].section);
done:
    offbkg_group_clear(&g);
    offbkg_datastore_free(owned);
    free(every);
    free(need);
    free(first);
    return st;
}
