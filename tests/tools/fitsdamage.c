/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: copy a FITS file with one piece of damage, for the
 * bad-input suite (tests/robustness/).
 *
 *   fitsdamage IN OUT ACTION ARGS...
 *
 * copies every HDU of IN (compressed or not) to OUT (".gz" compresses,
 * an existing OUT is replaced), then in OUT:
 *   delete-hdu EXT            removes the HDU named EXT
 *   key EXT KEY VALUE         sets keyword KEY to the number VALUE
 *   key EXT KEY -             deletes keyword KEY
 *   value EXT COL ROW VALUE   sets row ROW (from 1) of column COL: a
 *                             number ("nan" and "inf" too) or, in a
 *                             string column, the text VALUE
 *   string-col EXT COL        replaces column COL by a string column of
 *                             the same name
 *   empty EXT                 deletes every row of table EXT
 *   comment EXT TEXT          adds a COMMENT card TEXT to EXT
 *   scale EXT COL FACTOR UNIT multiplies every value of column COL by
 *                             FACTOR ("nan" too) and sets its TUNIT to
 *                             UNIT (e.g. degrees to radians)
 *   rows EXT N                appends zero rows to table EXT up to N
 *                             rows (a gzip OUT of N large is a small
 *                             file that inflates to much)
 * Exit status 0, or 1 with cfitsio's message on stderr. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>

static void set_value(fitsfile *f, const char *col, const char *row_text,
                      const char *value, int *st)
{
    int c = 0, type = 0;
    long repeat, width;
    LONGLONG row = strtoll(row_text, NULL, 10);

    fits_get_colnum(f, CASEINSEN, (char *)col, &c, st);
    fits_get_coltype(f, c, &type, &repeat, &width, st);
    if (*st != 0)
        return;
    if (type == TSTRING) {
        char *text = (char *)value;
        fits_write_col(f, TSTRING, c, row, 1, 1, &text, st);
    } else {
        /* strtod reads "nan" and "inf"; cfitsio's own parser does not. */
        double v = strtod(value, NULL);
        fits_write_col(f, TDOUBLE, c, row, 1, 1, &v, st);
    }
}

static void string_col(fitsfile *f, const char *col, int *st)
{
    int c = 0;
    LONGLONG n = 0;

    fits_get_colnum(f, CASEINSEN, (char *)col, &c, st);
    fits_get_num_rowsll(f, &n, st);
    fits_delete_col(f, c, st);
    fits_insert_col(f, c, (char *)col, "8A", st);
    for (LONGLONG r = 1; *st == 0 && r <= n; r++) {
        char *text = "x";
        fits_write_col(f, TSTRING, c, r, 1, 1, &text, st);
    }
}

static void scale_col(fitsfile *f, const char *col, const char *factor,
                      const char *unit, int *st)
{
    int c = 0, anynul;
    LONGLONG n = 0;
    double x = strtod(factor, NULL);
    char key[FLEN_KEYWORD];

    fits_get_colnum(f, CASEINSEN, (char *)col, &c, st);
    fits_get_num_rowsll(f, &n, st);
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (v == NULL) {
        *st = *st != 0 ? *st : MEMORY_ALLOCATION;
        return;
    }
    fits_read_col(f, TDOUBLE, c, 1, 1, n, NULL, v, &anynul, st);
    for (LONGLONG i = 0; i < n; i++)
        v[i] *= x;
    fits_write_col(f, TDOUBLE, c, 1, 1, n, v, st);
    free(v);
    snprintf(key, sizeof key, "TUNIT%d", c);
    fits_update_key_str(f, key, (char *)unit, NULL, st);
}

static void damage(fitsfile *f, int argc, char **argv, int *st)
{
    const char *action = argv[0];

    if (argc < 2) {
        *st = BAD_OPTION;
        return;
    }
    fits_movnam_hdu(f, ANY_HDU, argv[1], 0, st);
    if (strcmp(action, "delete-hdu") == 0 && argc == 2)
        fits_delete_hdu(f, NULL, st);
    else if (strcmp(action, "key") == 0 && argc == 4
             && strcmp(argv[3], "-") == 0)
        fits_delete_key(f, argv[2], st);
    else if (strcmp(action, "key") == 0 && argc == 4)
        fits_update_key_dbl(f, argv[2], strtod(argv[3], NULL), -15, NULL,
                            st);
    else if (strcmp(action, "value") == 0 && argc == 5)
        set_value(f, argv[2], argv[3], argv[4], st);
    else if (strcmp(action, "string-col") == 0 && argc == 3)
        string_col(f, argv[2], st);
    else if (strcmp(action, "comment") == 0 && argc == 3)
        fits_write_comment(f, argv[2], st);
    else if (strcmp(action, "scale") == 0 && argc == 5)
        scale_col(f, argv[2], argv[3], argv[4], st);
    else if (strcmp(action, "empty") == 0 && argc == 2) {
        LONGLONG n = 0;
        fits_get_num_rowsll(f, &n, st);
        if (n > 0)
            fits_delete_rows(f, 1, n, st);
    } else if (strcmp(action, "rows") == 0 && argc == 3) {
        LONGLONG n = 0, want = strtoll(argv[2], NULL, 10);
        fits_get_num_rowsll(f, &n, st);
        if (want > n)
            fits_insert_rows(f, n, want - n, st);
    } else
        *st = *st != 0 ? *st : BAD_OPTION;
}

int main(int argc, char **argv)
{
    fitsfile *in = NULL, *out = NULL;
    char out_name[4096];
    int st = 0, cst = 0;

    if (argc < 5) {
        fputs("usage: fitsdamage IN OUT ACTION ARGS...\n", stderr);
        return 1;
    }
    snprintf(out_name, sizeof out_name, "!%s", argv[2]);
    fits_open_file(&in, argv[1], READONLY, &st);
    fits_create_file(&out, out_name, &st);
    fits_copy_file(in, out, 1, 1, 1, &st);
    damage(out, argc - 3, argv + 3, &st);
    if (st != 0)
        fits_report_error(stderr, st);
    if (out != NULL)
        fits_close_file(out, &cst);
    if (in != NULL)
        fits_close_file(in, &cst);
    return st != 0 || cst != 0;
}
