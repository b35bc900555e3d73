/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: print a FITS binary table as tab-separated text, so shell
 * tests can check outputs with grep and awk and without python.
 *
 *   fitstab FILE[EXT]
 *
 * opens the first table of FILE (or the HDU named in cfitsio's extended
 * syntax; one that is not a table, FILE[0] say, has its keywords
 * printed alone) and prints, one record per line, fields separated by
 * tabs:
 *   K  NAME  VALUE     each keyword of the header (strings unquoted)
 *   C  NAME  TFORM     each column
 *   R  V1  V2 ...      each row: integers as integers, floats with %.9g,
 *                      strings trimmed, logicals as T or F; vector cells
 *                      as "[vector]"
 * Exit status 0, or 1 with cfitsio's message on stderr. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>

/* A keyword value as text: quotes removed ('' -> '), blanks trimmed. */
static void unquote(const char *raw, char *out)
{
    size_t n = 0;

    if (raw[0] != '\'') {
        snprintf(out, FLEN_VALUE, "%s", raw);
        return;
    }
    for (const char *s = raw + 1; *s != '\0'; s++) {
        if (*s == '\'') {
            if (s[1] != '\'')
                break;
            s++;
        }
        out[n++] = *s;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static int print_header(fitsfile *f, int *st)
{
    int n_keys = 0;

    fits_get_hdrspace(f, &n_keys, NULL, st);
    for (int k = 1; k <= n_keys && *st == 0; k++) {
        char name[FLEN_KEYWORD], raw[FLEN_VALUE], value[FLEN_VALUE];
        fits_read_keyn(f, k, name, raw, NULL, st);
        if (*st != 0 || name[0] == '\0' || strcmp(name, "COMMENT") == 0
            || strcmp(name, "HISTORY") == 0)
            continue;
        unquote(raw, value);
        printf("K\t%s\t%s\n", name, value);
    }
    return *st;
}

static int print_rows(fitsfile *f, int n_cols, int *st)
{
    LONGLONG n_rows = 0;

    fits_get_num_rowsll(f, &n_rows, st);
    for (LONGLONG r = 1; r <= n_rows && *st == 0; r++) {
        putchar('R');
        for (int c = 1; c <= n_cols && *st == 0; c++) {
            int type, any;
            long repeat, width;
            fits_get_eqcoltype(f, c, &type, &repeat, &width, st);
            putchar('\t');
            if (type == TSTRING) {
                char *buf = malloc((size_t)repeat + 1), *p = buf;
                if (buf == NULL)
                    return *st = MEMORY_ALLOCATION;
                fits_read_col_str(f, c, r, 1, 1, "", &p, &any, st);
                size_t n = strlen(buf);
                while (n > 0 && buf[n - 1] == ' ')
                    buf[--n] = '\0';
                fputs(buf, stdout);
                free(buf);
            } else if (repeat != 1) {
                fputs("[vector]", stdout);
            } else if (type == TLOGICAL) {
                char v = 0;
                fits_read_col(f, TLOGICAL, c, r, 1, 1, NULL, &v, &any, st);
                putchar(v ? 'T' : 'F');
            } else if (type == TFLOAT || type == TDOUBLE) {
                double v = 0;
                fits_read_col(f, TDOUBLE, c, r, 1, 1, NULL, &v, &any, st);
                printf("%.9g", v);
            } else {
                LONGLONG v = 0;
                fits_read_col(f, TLONGLONG, c, r, 1, 1, NULL, &v, &any, st);
                printf("%lld", (long long)v);
            }
        }
        putchar('\n');
    }
    return *st;
}

int main(int argc, char **argv)
{
    fitsfile *f = NULL;
    int st = 0, n_cols = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: fitstab FILE[EXT]\n");
        return 2;
    }
    /* An HDU named in the path is opened as it is (a header alone when it
     * is not a table); else the first table. */
    int named = strchr(argv[1], '[') != NULL, type = BINARY_TBL;
    if ((named ? fits_open_file(&f, argv[1], READONLY, &st)
               : fits_open_table(&f, argv[1], READONLY, &st)) == 0
        && fits_get_hdu_type(f, &type, &st) == 0) {
        print_header(f, &st);
    }
    if (st == 0 && type != IMAGE_HDU) {
        fits_get_num_cols(f, &n_cols, &st);
        for (int c = 1; c <= n_cols && st == 0; c++) {
            char key[FLEN_KEYWORD], name[FLEN_VALUE], form[FLEN_VALUE];
            snprintf(key, sizeof key, "TTYPE%d", c);
            fits_read_key(f, TSTRING, key, name, NULL, &st);
            snprintf(key, sizeof key, "TFORM%d", c);
            fits_read_key(f, TSTRING, key, form, NULL, &st);
            printf("C\t%s\t%s\n", name, form);
        }
        print_rows(f, n_cols, &st);
    }
    if (f != NULL) {
        int st2 = 0;
        fits_close_file(f, &st2);
    }
    if (st != 0) {
        fits_report_error(stderr, st);
        return 1;
    }
    return 0;
}
