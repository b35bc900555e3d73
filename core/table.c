/* SPDX-License-Identifier: BSD-3-Clause
 * FITS binary tables to owned in-memory tables and back. */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fitshdr-private.h"
#include "input-private.h"
#include "output-private.h"
#include "table-private.h"

offbkg_obs_table_t offbkg_table_view(const offbkg_table_t *t)
{
    offbkg_obs_table_t v = { t->n_rows, t->n_cols, t->cols };
    return v;
}

static void column_free(offbkg_column_t *c)
{
    free((char *)c->name);
    free((char *)c->unit);
    free((int64_t *)c->i64);
    free((double *)c->f64);
    if (c->str != NULL)
        free((char *)c->str[0]);   /* one block holds every string */
    free((char **)c->str);
}

void offbkg_table_free(offbkg_table_t *t)
{
    for (size_t i = 0; i < t->n_cols; i++)
        column_free(&t->cols[i]);
    free(t->cols);
    memset(t, 0, sizeof *t);
}

static void trim_right(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

bool offbkg_table_key_string(fitsfile *f, const char *key, char *buf)
{
    int st = 0;

    if (fits_read_key(f, TSTRING, key, buf, NULL, &st) != 0) {
        fits_clear_errmsg();
        return false;
    }
    offbkg_fitshdr_value_trim(buf);
    return true;
}

bool offbkg_table_key_double(fitsfile *f, const char *key, double *value)
{
    char buf[FLEN_VALUE];

    /* Reading as a string accepts numbers and quoted numbers alike. */
    return offbkg_table_key_string(f, key, buf)
           && offbkg_fitshdr_value_number(buf, value);
}

static bool has_column(fitsfile *f, const char *name)
{
    int st = 0, col;
    bool ok = fits_get_colnum(f, CASEINSEN, (char *)name, &col, &st) == 0;
    fits_clear_errmsg();
    return ok;
}

bool offbkg_table_find(fitsfile *f, const char *const *needed,
                       const char *const *absent)
{
    int n_hdus = 0, st = 0, type;

    fits_get_num_hdus(f, &n_hdus, &st);
    for (int h = 2; st == 0 && h <= n_hdus; h++) {
        bool ok = true;
        if (fits_movabs_hdu(f, h, &type, &st) != 0 || type != BINARY_TBL)
            continue;
        for (size_t i = 0; ok && needed[i] != NULL; i++)
            ok = has_column(f, needed[i]);
        for (size_t i = 0; ok && absent != NULL && absent[i] != NULL; i++)
            ok = !has_column(f, absent[i]);
        if (ok)
            return true;
    }
    fits_clear_errmsg();
    return false;
}

static int read_strings(offbkg_ctx_t *ctx, fitsfile *f, int col, long width,
                        offbkg_column_t *c, size_t n_rows, const char *what)
{
    /* width is at most a row's bytes and n_rows x row bytes are in the
     * file (see rows_in_file): calloc checks the products anyway. */
    size_t w = (size_t)width + 1;
    char *block = calloc(n_rows > 0 ? n_rows : 1, w);
    char **ptrs = calloc(n_rows > 0 ? n_rows : 1, sizeof *ptrs);
    int st = 0, anynul;

    if (block == NULL || ptrs == NULL) {
        free(block);
        free(ptrs);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    ptrs[0] = block;    /* str[0] owns the block, even without rows */
    for (size_t r = 0; r < n_rows; r++)
        ptrs[r] = block + r * w;
    c->str = (const char *const *)ptrs;
    if (n_rows > 0 && fits_read_col_str(f, col, 1, 1, (LONGLONG)n_rows, "",
                                        ptrs, &anynul, &st) != 0)
        return offbkg_error_fits(ctx, st, "%s: column %s", what, c->name);
    for (size_t r = 0; r < n_rows; r++)
        trim_right(ptrs[r]);
    return OFFBKG_OK;
}

static int read_column(offbkg_ctx_t *ctx, fitsfile *f,
                       const offbkg_header_t *hdr, int col,
                       offbkg_column_t *c, size_t n_rows, const char *what)
{
    int st = 0, type, anynul;
    long repeat, width;
    double scale = 1, zero = 0;
    char key[FLEN_KEYWORD];
    size_t n = n_rows > 0 ? n_rows : 1;

    fits_get_eqcoltype(f, col, &type, &repeat, &width, &st);
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s: column %s", what, c->name);
    if (type == TSTRING) {
        c->type = OFFBKG_COL_STRING;
        return read_strings(ctx, f, col, repeat, c, n_rows, what);
    }
    snprintf(key, sizeof key, "TSCAL%d", col);
    offbkg_fitshdr_double(hdr, key, &scale);
    snprintf(key, sizeof key, "TZERO%d", col);
    offbkg_fitshdr_double(hdr, key, &zero);
    bool integer = type == TBIT || type == TBYTE || type == TSBYTE
                   || type == TLOGICAL || type == TSHORT || type == TUSHORT
                   || type == TINT || type == TUINT || type == TLONG
                   || type == TULONG || type == TLONGLONG;
    if (integer && scale == 1 && zero == floor(zero)) {
        int64_t *v = calloc(n, sizeof *v);
        if (v == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        c->type = OFFBKG_COL_INT;
        c->i64 = v;
        if (type == TLOGICAL) {
            char *b = calloc(n, 1);
            if (b == NULL)
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            if (n_rows > 0)
                fits_read_col(f, TLOGICAL, col, 1, 1, (LONGLONG)n_rows, NULL,
                              b, &anynul, &st);
            for (size_t r = 0; r < n_rows; r++)
                v[r] = b[r] != 0;
            free(b);
        } else if (n_rows > 0) {
            fits_read_col(f, TLONGLONG, col, 1, 1, (LONGLONG)n_rows, NULL, v,
                          &anynul, &st);
        }
    } else {
        double *v = calloc(n, sizeof *v), nan = NAN;
        if (v == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        c->type = OFFBKG_COL_DOUBLE;
        c->f64 = v;
        if (n_rows > 0)
            fits_read_col(f, TDOUBLE, col, 1, 1, (LONGLONG)n_rows, &nan, v,
                          &anynul, &st);
    }
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s: column %s", what, c->name);
    return OFFBKG_OK;
}

/* The @p n_rows rows of @p row_bytes that the header of the current
 * table claims are in the file: the product does not overflow and the
 * table's last byte can be read. Everything allocated for a table is
 * bounded by this, never by NAXIS2 alone (a few kilobytes can claim
 * 2^61 rows). */
static int rows_in_file(offbkg_ctx_t *ctx, fitsfile *f, const char *what,
                        LONGLONG n_rows, LONGLONG row_bytes)
{
    LONGLONG head, start, end, bytes;
    unsigned char last;
    int st = 0;

    if (n_rows == 0)
        return OFFBKG_OK;
    if (n_rows < 0 || row_bytes <= 0
        || __builtin_mul_overflow(n_rows, row_bytes, &bytes)
        || fits_get_hduaddrll(f, &head, &start, &end, &st) != 0
        || __builtin_add_overflow(start, bytes, &end)
        || fits_read_tblbytes(f, n_rows, row_bytes, 1, &last, &st) != 0) {
        fits_clear_errmsg();
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: damaged table: its "
                                "header claims %lld rows of %lld bytes, more "
                                "than the file holds", what,
                                (long long)n_rows, (long long)row_bytes);
    }
    return OFFBKG_OK;
}

int offbkg_table_check_rows(offbkg_ctx_t *ctx, fitsfile *f, const char *what)
{
    LONGLONG n_rows = 0, row_bytes = 0;
    int st = 0;

    fits_get_num_rowsll(f, &n_rows, &st);
    fits_read_key(f, TLONGLONG, "NAXIS1", &row_bytes, NULL, &st);
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s", what);
    return rows_in_file(ctx, f, what, n_rows, row_bytes);
}

int offbkg_table_read(offbkg_ctx_t *ctx, fitsfile *f, const char *what,
                      offbkg_table_t *t)
{
    offbkg_header_t hdr;
    int st, rc;

    memset(t, 0, sizeof *t);
    /* Every card read once, not walked by cfitsio for each of 4 keys
     * per column (core/fitshdr-private.h). */
    if ((st = offbkg_fitshdr_load(f, &hdr)) != 0)
        return offbkg_error_fits(ctx, st, "%s", what);
    rc = offbkg_table_read_hdr(ctx, f, &hdr, what, t);
    offbkg_fitshdr_free(&hdr);
    return rc;
}

int offbkg_table_read_hdr(offbkg_ctx_t *ctx, fitsfile *f,
                          const offbkg_header_t *hdr, const char *what,
                          offbkg_table_t *t)
{
    int st = 0, n_cols = 0, rc;
    LONGLONG n_rows = 0;

    memset(t, 0, sizeof *t);
    if ((rc = offbkg_table_check_rows(ctx, f, what)) != OFFBKG_OK)
        return rc;
    fits_get_num_rowsll(f, &n_rows, &st);
    fits_get_num_cols(f, &n_cols, &st);
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s", what);
    t->n_rows = (size_t)n_rows;
    t->cols = calloc(n_cols > 0 ? (size_t)n_cols : 1, sizeof *t->cols);
    if (t->cols == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (int col = 1; col <= n_cols; col++) {
        char key[FLEN_KEYWORD], name[FLEN_VALUE], unit[FLEN_VALUE] = "";
        int type;
        long repeat, width;
        offbkg_column_t *c = &t->cols[t->n_cols];

        snprintf(key, sizeof key, "TTYPE%d", col);
        if (!offbkg_fitshdr_string(hdr, key, name) || name[0] == '\0')
            continue;
        fits_get_eqcoltype(f, col, &type, &repeat, &width, &st);
        if (st != 0)
            break;
        if (type != TSTRING && repeat != 1)
            continue;   /* vector cells (e.g. TELLIST as numbers): unused */
        snprintf(key, sizeof key, "TUNIT%d", col);
        offbkg_fitshdr_string(hdr, key, unit);
        c->name = strdup(name);
        c->unit = strdup(unit);
        t->n_cols++;
        if (c->name == NULL || c->unit == NULL) {
            offbkg_table_free(t);
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        }
        rc = read_column(ctx, f, hdr, col, c, t->n_rows, what);
        if (rc != OFFBKG_OK) {
            offbkg_table_free(t);
            return rc;
        }
    }
    if (st != 0) {
        offbkg_table_free(t);
        return offbkg_error_fits(ctx, st, "%s", what);
    }
    return OFFBKG_OK;
}

int offbkg_table_add_double(offbkg_ctx_t *ctx, offbkg_table_t *t,
                            const char *name, const char *unit,
                            double *values)
{
    offbkg_column_t *cols = realloc(t->cols, (t->n_cols + 1) * sizeof *cols);

    if (cols == NULL) {
        free(values);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    t->cols = cols;
    offbkg_column_t *c = &cols[t->n_cols];
    memset(c, 0, sizeof *c);
    c->type = OFFBKG_COL_DOUBLE;
    c->f64 = values;
    c->name = strdup(name);
    c->unit = strdup(unit);
    t->n_cols++;
    if (c->name == NULL || c->unit == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

static int take_column(const offbkg_column_t *src, const size_t *rows,
                       size_t n, offbkg_column_t *c)
{
    size_t m = n > 0 ? n : 1;

    c->type = src->type;
    c->name = strdup(src->name);
    c->unit = strdup(src->unit);
    if (c->name == NULL || c->unit == NULL)
        return -1;
    if (src->type == OFFBKG_COL_INT) {
        int64_t *v = malloc(m * sizeof *v);
        if ((c->i64 = v) == NULL)
            return -1;
        for (size_t r = 0; r < n; r++)
            v[r] = src->i64[rows[r]];
    } else if (src->type == OFFBKG_COL_DOUBLE) {
        double *v = malloc(m * sizeof *v);
        if ((c->f64 = v) == NULL)
            return -1;
        for (size_t r = 0; r < n; r++)
            v[r] = src->f64[rows[r]];
    } else {
        size_t bytes = 1;
        for (size_t r = 0; r < n; r++)
            bytes += strlen(src->str[rows[r]]) + 1;
        char **ptrs = malloc(m * sizeof *ptrs);
        char *block = malloc(bytes);
        if (ptrs == NULL || block == NULL) {
            free(ptrs);
            free(block);
            return -1;
        }
        block[0] = '\0';
        ptrs[0] = block;
        for (size_t r = 0, off = 0; r < n; r++) {
            size_t len = strlen(src->str[rows[r]]) + 1;
            ptrs[r] = block + off;
            memcpy(ptrs[r], src->str[rows[r]], len);
            off += len;
        }
        c->str = (const char *const *)ptrs;
    }
    return 0;
}

int offbkg_table_take(offbkg_ctx_t *ctx, const offbkg_table_t *src,
                      const size_t *rows, size_t n, offbkg_table_t *out)
{
    memset(out, 0, sizeof *out);
    out->cols = calloc(src->n_cols > 0 ? src->n_cols : 1, sizeof *out->cols);
    if (out->cols == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    out->n_rows = n;
    for (size_t i = 0; i < src->n_cols; i++) {
        out->n_cols++;
        if (take_column(&src->cols[i], rows, n, &out->cols[i]) != 0) {
            offbkg_table_free(out);
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        }
    }
    return OFFBKG_OK;
}

static size_t max_strlen(const offbkg_column_t *c, size_t n_rows)
{
    size_t w = 1;
    for (size_t r = 0; r < n_rows; r++) {
        size_t len = strlen(c->str[r]);
        if (len > w)
            w = len;
    }
    return w;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int b = 7; b >= 0; b--, v >>= 8)
        p[b] = (unsigned char)(v & 0xff);
}

/* Row @p r packed as cfitsio writes it: big-endian, strings blank-padded to
 * their column's width @p str_width[i]. */
static unsigned char *pack_row(unsigned char *p, const offbkg_table_t *t,
                               const int64_t *first, const size_t *str_width,
                               size_t r)
{
    if (first != NULL) {
        put_be64(p, (uint64_t)first[r]);
        p += 8;
    }
    for (size_t i = 0; i < t->n_cols; i++) {
        const offbkg_column_t *c = &t->cols[i];
        if (c->type == OFFBKG_COL_INT) {
            put_be64(p, (uint64_t)c->i64[r]);
            p += 8;
        } else if (c->type == OFFBKG_COL_DOUBLE) {
            uint64_t bits;
            memcpy(&bits, &c->f64[r], sizeof bits);
            put_be64(p, bits);
            p += 8;
        } else {
            size_t len = strlen(c->str[r]);
            memcpy(p, c->str[r], len);
            memset(p + len, ' ', str_width[i] - len);
            p += str_width[i];
        }
    }
    return p;
}

/* The rows, packed a chunk at a time and written as bytes: cfitsio's
 * column-at-a-time writes revisit every block of the table once per
 * column, which for a table larger than its 40-block cache means a read
 * and a write of each block per column. */
static int write_rows(fitsfile *f, const offbkg_table_t *t,
                      const int64_t *first, const size_t *str_width)
{
    enum { CHUNK_BYTES = 1 << 18 };
    long row_bytes = 0;
    int st = 0;

    fits_read_key(f, TLONG, "NAXIS1", &row_bytes, NULL, &st);
    if (st != 0 || row_bytes <= 0 || t->n_rows == 0)
        return st;
    size_t per_chunk = CHUNK_BYTES / (size_t)row_bytes + 1;
    unsigned char *buf = malloc(per_chunk * (size_t)row_bytes);
    if (buf == NULL)
        return -1;
    for (size_t r0 = 0; r0 < t->n_rows && st == 0; r0 += per_chunk) {
        size_t n = t->n_rows - r0 < per_chunk ? t->n_rows - r0 : per_chunk;
        unsigned char *p = buf;
        for (size_t r = r0; r < r0 + n; r++)
            p = pack_row(p, t, first, str_width, r);
        fits_write_tblbytes(f, (LONGLONG)r0 + 1, 1,
                            (LONGLONG)(n * (size_t)row_bytes), buf, &st);
    }
    free(buf);
    return st;
}

int offbkg_table_write(offbkg_ctx_t *ctx, fitsfile *f, const char *extname,
                       const offbkg_table_t *t, const char *first_name,
                       const int64_t *first)
{
    size_t n_cols = t->n_cols + (first != NULL);
    char **ttype = calloc(n_cols, sizeof *ttype);
    char **tform = calloc(n_cols, sizeof *tform);
    char **tunit = calloc(n_cols, sizeof *tunit);
    char (*forms)[24] = calloc(n_cols, sizeof *forms);
    size_t *str_width = calloc(t->n_cols + 1, sizeof *str_width);
    int st = 0, k = 0;

    if (ttype == NULL || tform == NULL || tunit == NULL || forms == NULL
        || str_width == NULL) {
        st = -1;
        goto done;
    }
    if (first != NULL) {
        ttype[k] = (char *)first_name;
        tform[k] = "K";
        tunit[k] = "";
        k++;
    }
    for (size_t i = 0; i < t->n_cols; i++, k++) {
        const offbkg_column_t *c = &t->cols[i];
        ttype[k] = (char *)c->name;
        tunit[k] = (char *)c->unit;
        if (c->type == OFFBKG_COL_STRING) {
            str_width[i] = max_strlen(c, t->n_rows);
            snprintf(forms[k], sizeof forms[k], "%zuA", str_width[i]);
        } else
            snprintf(forms[k], sizeof forms[k], "%s",
                     c->type == OFFBKG_COL_INT ? "K" : "D");
        tform[k] = forms[k];
    }
    fits_create_tbl(f, BINARY_TBL, (LONGLONG)t->n_rows, (int)n_cols, ttype,
                    tform, tunit, extname, &st);
    if (st == 0)
        st = write_rows(f, t, first, str_width);
done:
    free(ttype);
    free(tform);
    free(tunit);
    free(forms);
    free(str_width);
    if (st == -1)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st != 0)
        return offbkg_error_fits(ctx, st, "writing table %s", extname);
    return OFFBKG_OK;
}

typedef struct key_row {
    int64_t key;
    size_t row;
} key_row_t;

static int cmp_key_row(const void *a, const void *b)
{
    const key_row_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

int offbkg_table_sort_rows(const int64_t *key, size_t *rows, size_t n)
{
    key_row_t *p = malloc((n > 0 ? n : 1) * sizeof *p);
    size_t in_order = 1;

    if (p == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        p[i] = (key_row_t){ key[rows[i]], rows[i] };
    /* Index tables usually come sorted already: a pass, not a sort. */
    while (in_order < n && cmp_key_row(&p[in_order - 1], &p[in_order]) < 0)
        in_order++;
    if (in_order < n) {
        qsort(p, n, sizeof *p, cmp_key_row);
        for (size_t i = 0; i < n; i++)
            rows[i] = p[i].row;
    }
    free(p);
    return 0;
}
