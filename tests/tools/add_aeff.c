/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: give every run of a data store an effective area of IRF
 * class CLASS (HDUCLAS3), as a point-like or full-enclosure store has.
 *
 *   add_aeff STORE CLASS
 *
 * writes STORE/aeff.fits (an AEFF table with HDUCLAS1-3) and rewrites
 * STORE/hdu-index.fits.gz with one more row per run (HDU_TYPE aeff,
 * FILE_DIR empty, FILE_NAME aeff.fits, HDU_NAME AEFF). Exit status 0, or
 * 1 with cfitsio's message on stderr. */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>

static int write_aeff(const char *path, const char *cls, int *st)
{
    char *type[] = { "ENERG_LO", "ENERG_HI", "EFFAREA" };
    char *form[] = { "D", "D", "D" };
    char *unit[] = { "TeV", "TeV", "m2" };
    double lo = 0.1, hi = 100, area = 1e5;
    char name[PATH_MAX + 2];
    fitsfile *f = NULL;

    snprintf(name, sizeof name, "!%s", path);
    fits_create_file(&f, name, st);
    fits_create_img(f, BYTE_IMG, 0, NULL, st);
    fits_create_tbl(f, BINARY_TBL, 1, 3, type, form, unit, "AEFF", st);
    fits_write_key_str(f, "HDUCLASS", "GADF", NULL, st);
    fits_write_key_str(f, "HDUCLAS1", "RESPONSE", NULL, st);
    fits_write_key_str(f, "HDUCLAS2", "EFF_AREA", NULL, st);
    fits_write_key_str(f, "HDUCLAS3", cls, NULL, st);
    fits_write_key_str(f, "HDUCLAS4", "AEFF_2D", NULL, st);
    fits_write_col(f, TDOUBLE, 1, 1, 1, 1, &lo, st);
    fits_write_col(f, TDOUBLE, 2, 1, 1, 1, &hi, st);
    fits_write_col(f, TDOUBLE, 3, 1, 1, 1, &area, st);
    if (f != NULL) {
        int close_st = 0;
        fits_close_file(f, *st == 0 ? st : &close_st);
    }
    return *st;
}

/* The hdu-index @p in copied to @p out with an aeff row per events row. */
static int add_rows(const char *in, const char *out, int *st)
{
    char name[PATH_MAX + 2];
    fitsfile *fi = NULL, *fo = NULL;
    LONGLONG n = 0;
    int c_id = 0, c_type = 0, c_class = 0, c_dir = 0, c_file = 0, c_hdu = 0;

    snprintf(name, sizeof name, "!%s", out);
    fits_open_table(&fi, in, READONLY, st);
    fits_create_file(&fo, name, st);
    fits_copy_file(fi, fo, 1, 1, 1, st);
    fits_movnam_hdu(fo, BINARY_TBL, "HDU_INDEX", 0, st);
    fits_get_num_rowsll(fo, &n, st);
    fits_get_colnum(fo, CASEINSEN, "OBS_ID", &c_id, st);
    fits_get_colnum(fo, CASEINSEN, "HDU_TYPE", &c_type, st);
    fits_get_colnum(fo, CASEINSEN, "HDU_CLASS", &c_class, st);
    fits_get_colnum(fo, CASEINSEN, "FILE_DIR", &c_dir, st);
    fits_get_colnum(fo, CASEINSEN, "FILE_NAME", &c_file, st);
    fits_get_colnum(fo, CASEINSEN, "HDU_NAME", &c_hdu, st);
    LONGLONG added = 0;
    for (LONGLONG r = 1; r <= n && *st == 0; r++) {
        char type[32] = "", *p = type;
        long long id = 0;
        char *s[] = { "aeff", "aeff_2d", "", "aeff.fits", "AEFF" };
        int cols[] = { c_type, c_class, c_dir, c_file, c_hdu };
        fits_read_col_str(fo, c_type, r, 1, 1, "", &p, NULL, st);
        if (strcmp(type, "events") != 0)
            continue;
        fits_read_col(fo, TLONGLONG, c_id, r, 1, 1, NULL, &id, NULL, st);
        LONGLONG row = n + ++added;
        fits_write_col(fo, TLONGLONG, c_id, row, 1, 1, &id, st);
        for (int k = 0; k < 5; k++)
            fits_write_col(fo, TSTRING, cols[k], row, 1, 1, &s[k], st);
    }
    if (fi != NULL) {
        int close_st = 0;
        fits_close_file(fi, &close_st);
    }
    if (fo != NULL) {
        int close_st = 0;
        fits_close_file(fo, *st == 0 ? st : &close_st);
    }
    return *st;
}

int main(int argc, char **argv)
{
    char aeff[PATH_MAX], index[PATH_MAX], tmp[PATH_MAX];
    int st = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: add_aeff STORE CLASS\n");
        return 2;
    }
    snprintf(aeff, sizeof aeff, "%s/aeff.fits", argv[1]);
    snprintf(index, sizeof index, "%s/hdu-index.fits.gz", argv[1]);
    snprintf(tmp, sizeof tmp, "%s/hdu-index.new.fits.gz", argv[1]);
    if (write_aeff(aeff, argv[2], &st) != 0 || add_rows(index, tmp, &st) != 0
        || rename(tmp, index) != 0) {
        if (st != 0)
            fits_report_error(stderr, st);
        else
            perror(index);
        return 1;
    }
    return 0;
}
