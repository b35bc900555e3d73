/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: write small GADF-like data stores with cfitsio (index
 * tables and event files, with whatever column types and header cards a
 * test wants, quirks included) in a scratch directory, and remove it. */
#ifndef OFFBKG_TESTS_STOREGEN_H
#define OFFBKG_TESTS_STOREGEN_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fitsio.h>

#include <offbkg/plugin.h>

/** One column: name, TFORM ("K", "J", "E", "D", "14A", ...), unit (may
 *  be NULL), and n_rows values: numbers as doubles (converted by cfitsio
 *  to the column type; NaN stays NaN in E and D) or strings. */
typedef struct sg_col {
    const char *name;
    const char *tform;
    const char *unit;
    const double *num;
    const char *const *str;
} sg_col_t;

/** A new FITS file at @p path (replacing any; a .gz name is written
 *  compressed) with an empty primary HDU; NULL on failure. */
static inline fitsfile *sg_create(const char *path)
{
    char name[PATH_MAX + 2];
    fitsfile *f = NULL;
    int st = 0;

    snprintf(name, sizeof name, "!%s", path);
    if (fits_create_file(&f, name, &st) != 0
        || fits_create_img(f, BYTE_IMG, 0, NULL, &st) != 0) {
        fits_report_error(stderr, st);
        if (f != NULL)
            fits_close_file(f, &st);
        return NULL;
    }
    return f;
}

/** Append a binary table named @p extname (NULL: no EXTNAME) with the
 *  columns @p cols (ended by a NULL name) and header cards @p cards
 *  (NULL-terminated templates such as "GEOLON = '16.5'" or
 *  "MJDREFI = 53402.0", written as given). Returns 0 or -1. */
static inline int sg_table(fitsfile *f, const char *extname, size_t n_rows,
                           const sg_col_t *cols, const char *const *cards)
{
    char *ttype[64], *tform[64], *tunit[64];
    int n = 0, st = 0;

    while (cols[n].name != NULL && n < 64) {
        ttype[n] = (char *)cols[n].name;
        tform[n] = (char *)cols[n].tform;
        tunit[n] = (char *)(cols[n].unit != NULL ? cols[n].unit : "");
        n++;
    }
    fits_create_tbl(f, BINARY_TBL, (LONGLONG)n_rows, n, ttype, tform, tunit,
                    (char *)extname, &st);
    for (int c = 0; c < n && st == 0 && n_rows > 0; c++) {
        if (cols[c].str != NULL)
            fits_write_col_str(f, c + 1, 1, 1, (LONGLONG)n_rows,
                               (char **)cols[c].str, &st);
        else
            fits_write_col(f, TDOUBLE, c + 1, 1, 1, (LONGLONG)n_rows,
                           (void *)cols[c].num, &st);
    }
    for (size_t i = 0; cards != NULL && cards[i] != NULL && st == 0; i++) {
        char card[FLEN_CARD];
        int type;
        fits_parse_template((char *)cards[i], card, &type, &st);
        fits_write_record(f, card, &st);
    }
    if (st != 0) {
        fits_report_error(stderr, st);
        return -1;
    }
    return 0;
}

/** Close a file from sg_create. Returns 0 or -1. */
static inline int sg_close(fitsfile *f)
{
    int st = 0;
    if (fits_close_file(f, &st) != 0) {
        fits_report_error(stderr, st);
        return -1;
    }
    return 0;
}

/** A file with one table: sg_create + sg_table + sg_close. */
static inline int sg_table_file(const char *path, const char *extname,
                                size_t n_rows, const sg_col_t *cols,
                                const char *const *cards)
{
    fitsfile *f = sg_create(path);
    if (f == NULL)
        return -1;
    if (sg_table(f, extname, n_rows, cols, cards) != 0) {
        sg_close(f);
        return -1;
    }
    return sg_close(f);
}

/** An event file: an EVENTS table (three events, header @p cards) named
 *  @p events_name, then, unless @p n_gti is 0, a GTI table named
 *  @p gti_name with rows [start[i], stop[i]). Returns 0 or -1. */
static inline int sg_event_file(const char *path, const char *events_name,
                                const char *const *cards,
                                const char *gti_name, size_t n_gti,
                                const double *start, const double *stop)
{
    static const double id[] = { 1, 2, 3 };
    static const double ra[] = { 83.1, 83.6, 84.0 };
    static const double dec[] = { 22.0, 22.5, 21.9 };
    static const double energy[] = { 0.5, 1.2, 7.5 };
    double t0 = n_gti > 0 ? start[0] : 0;
    double time[] = { t0 + 1, t0 + 2, t0 + 3 };
    const sg_col_t ev[] = {
        { "EVENT_ID", "K", NULL, id, NULL },
        { "TIME", "D", "s", time, NULL },
        { "RA", "E", "deg", ra, NULL },
        { "DEC", "E", "deg", dec, NULL },
        { "ENERGY", "E", "TeV", energy, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    const sg_col_t gti[] = {
        { "START", "D", "s", start, NULL },
        { "STOP", "D", "s", stop, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    fitsfile *f = sg_create(path);

    if (f == NULL)
        return -1;
    if (sg_table(f, events_name, 3, ev, cards) != 0
        || (n_gti > 0 && sg_table(f, gti_name, n_gti, gti, NULL) != 0)) {
        sg_close(f);
        return -1;
    }
    return sg_close(f);
}

/** "@p dir/@p fmt..." into @p buf (PATH_MAX); returns buf. */
static inline char *sg_path(char *buf, const char *dir, const char *fmt, ...)
    OFFBKG_PRINTF(3, 4);
static inline char *sg_path(char *buf, const char *dir, const char *fmt, ...)
{
    char rel[PATH_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(buf, PATH_MAX, "%s/%.*s", dir, PATH_MAX / 2, rel);
    return buf;
}

/** mkdir -p of @p dir/@p rel. Returns 0 or -1. */
static inline int sg_mkdirs(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof p, "%s/%s", dir, rel);

    if (n < 0 || (size_t)n >= sizeof p)
        return -1;
    for (char *s = p + strlen(dir) + 1; *s != '\0'; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/** Write @p text to the file @p path. Returns 0 or -1. */
static inline int sg_write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    size_t n = strlen(text);

    if (fp == NULL)
        return -1;
    if (fwrite(text, 1, n, fp) != n) {
        fclose(fp);
        return -1;
    }
    return fclose(fp) == 0 ? 0 : -1;
}

/** A fresh scratch directory (under $TMPDIR or /tmp) in @p dir
 *  (PATH_MAX), its real path. Returns 0 or -1. */
static inline int sg_mkdtemp(char *dir)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(tmpl, sizeof tmpl, "%s/offbkg-store-XXXXXX", base);
    if (mkdtemp(tmpl) == NULL)
        return -1;
    return realpath(tmpl, dir) != NULL ? 0 : -1;
}

/** rm -r @p path (never follows symbolic links). */
static inline void sg_remove_tree(const char *path)
{
    struct stat sb;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        unlink(path);
        return;
    }
    if ((d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            char child[PATH_MAX];
            int n;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            n = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            if (n > 0 && (size_t)n < sizeof child)
                sg_remove_tree(child);
        }
        closedir(d);
    }
    rmdir(path);
}

#endif
