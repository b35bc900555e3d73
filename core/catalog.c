/* SPDX-License-Identifier: BSD-3-Clause
 * Source catalogs (CSV or FITS tables) as exclusion circles: the columns
 * are recognised by name, and every form of a row (decimal or
 * sexagesimal, equatorial or galactic, radius or extension) comes down
 * to one circle in RA/Dec (doc/exclude.md §2). */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fitsio.h>

#include <offbkg/geom.h>

#include "catalog-private.h"
#include "csv-private.h"
#include "input-private.h"
#include "table-private.h"

enum role { NAME, RA, DEC, GLON, GLAT, RADIUS, EXTENSION, N_ROLES };

/* The column names of each role, case-insensitive, the first present
 * taken (doc/offbkg.ini.5 lists them). */
static const char *const role_columns[N_ROLES][6] = {
    [NAME] = { "NAME", "SOURCE_NAME", "SRC_NAME", "SOURCE" },
    [RA] = { "RA", "RAJ2000", "RA_J2000", "RA_DEG" },
    [DEC] = { "DEC", "DEJ2000", "DECJ2000", "DEC_J2000", "DEC_DEG" },
    [GLON] = { "GLON", "GLON_DEG" },
    [GLAT] = { "GLAT", "GLAT_DEG" },
    [RADIUS] = { "RADIUS", "RADIUS_DEG" },
    [EXTENSION] = { "EXTENSION", "EXTENSION_DEG", "SIZE", "SIZE_DEG",
                    "MORPH_SIGMA" },
};

/* The columns a catalog's rows are read from: -1 for a role it lacks. */
typedef struct layout {
    ptrdiff_t col[N_ROLES];
    const char *name[N_ROLES];  /* the column's name as the file spells it */
    bool galactic;              /* GLON/GLAT, not RA/DEC */
} layout_t;

/* One source as read, in degrees; NAN where not given. */
typedef struct source {
    const char *name;           /* NULL: none */
    double lon_deg, lat_deg;    /* RA/DEC or GLON/GLAT */
    double radius_deg, extension_deg;
} source_t;

/* A row for messages: "path:line" (CSV) or "path: row N" (FITS). */
typedef struct row_at {
    char text[1100];
    bool fits;
} row_at_t;

static int bad(offbkg_ctx_t *ctx, const row_at_t *at, const char *column,
               const char *fmt, ...) OFFBKG_PRINTF(4, 5);
static int bad(offbkg_ctx_t *ctx, const row_at_t *at, const char *column,
               const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s%scolumn %s: %s",
                            at->text, at->fits ? ", " : ": ", column, msg);
}

/* The layout of a table with the columns @p names[0..n); false if it has
 * no position (RA and DEC, or GLON and GLAT). */
static bool find_layout(const char *const *names, size_t n, layout_t *l)
{
    for (int k = 0; k < N_ROLES; k++) {
        l->col[k] = -1;
        l->name[k] = NULL;
        for (size_t j = 0; l->col[k] < 0 && j < 6
                           && role_columns[k][j] != NULL; j++)
            for (size_t i = 0; i < n; i++)
                if (strcasecmp(names[i], role_columns[k][j]) == 0) {
                    l->col[k] = (ptrdiff_t)i;
                    l->name[k] = names[i];
                    break;
                }
    }
    l->galactic = !(l->col[RA] >= 0 && l->col[DEC] >= 0);
    return !l->galactic || (l->col[GLON] >= 0 && l->col[GLAT] >= 0);
}

static int no_position(offbkg_ctx_t *ctx, const char *path)
{
    return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: no position columns: "
                            "a catalog needs RA and DEC (or RAJ2000 and "
                            "DEJ2000, ...) or GLON and GLAT", path);
}

/* Add the circle of @p s, checked, to @p r. */
static int add_source(offbkg_ctx_t *ctx, const row_at_t *at,
                      const layout_t *l, const source_t *s, double scale,
                      double min_radius_deg, offbkg_regions_t *r)
{
    const char *lon = l->name[l->galactic ? GLON : RA];
    const char *lat = l->name[l->galactic ? GLAT : DEC];
    double radius_deg;

    if (!isfinite(s->lon_deg))
        return bad(ctx, at, lon, "%g is not a finite angle", s->lon_deg);
    if (!(fabs(s->lat_deg) <= 90))
        return bad(ctx, at, lat, "%g is not within [-90, 90] deg",
                   s->lat_deg);
    if (!isnan(s->radius_deg)) {
        radius_deg = s->radius_deg;
        if (!(radius_deg > 0 && radius_deg < 90))
            return bad(ctx, at, l->name[RADIUS], "%g deg is not within "
                       "(0, 90)", radius_deg);
    } else {
        /* A source without an extension is a point. */
        double ext = isnan(s->extension_deg) ? 0 : s->extension_deg;
        if (!(ext >= 0) || isinf(ext))
            return bad(ctx, at, l->name[EXTENSION], "%g deg is not a finite "
                       "extension >= 0", ext);
        radius_deg = fmax(min_radius_deg, scale * ext);
        if (radius_deg >= 90)
            return bad(ctx, at, l->name[EXTENSION], "%g deg x extension_scale "
                       "%g is not below 90 deg", ext, scale);
    }
    double ra = s->lon_deg, dec = s->lat_deg;
    if (l->galactic)
        offbkg_galactic_to_icrs(s->lon_deg, s->lat_deg, &ra, &dec);
    return offbkg_exclude_add(ctx, r, ra, dec, radius_deg, s->name,
                              at->text);
}

/* ------------------------------------------------------------------ */
/* Angles                                                              */

/* A part of a sexagesimal angle: digits with at most one '.' (no sign,
 * no exponent); the text after it, or NULL. */
static const char *part(const char *s, double *v, bool *whole)
{
    char buf[32];
    size_t n = 0;
    bool dot = false, digit = false;

    for (; isdigit((unsigned char)*s) || (*s == '.' && !dot); s++) {
        if (n + 1 >= sizeof buf)
            return NULL;
        dot = dot || *s == '.';
        digit = digit || *s != '.';
        buf[n++] = *s;
    }
    if (!digit)
        return NULL;
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    *whole = !dot;
    return s;
}

/* 05:34:31.9, 05 34 31.9, 05h34m31.9s or 22d00m52s (and shorter:
 * 05:34.5, 5h): hours for an RA unless written with d, degrees for a
 * Dec. */
static bool sexagesimal(const char *s, bool ra, double *deg)
{
    enum { COLONS, BLANKS, LETTERS } style = COLONS;
    double sign = 1, v[3] = { 0, 0, 0 };
    bool whole[3] = { true, true, true }, hours = ra;
    int n = 0;

    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    while (n < 3) {
        if ((s = part(s, &v[n], &whole[n])) == NULL)
            return false;
        n++;
        if (*s == '\0')
            break;
        int c = tolower((unsigned char)*s++);
        bool blank = c == ' ' || c == '\t';
        if (n == 1) {
            style = c == ':' ? COLONS : blank ? BLANKS : LETTERS;
            if (style == LETTERS && c != 'h' && c != 'd')
                return false;
            hours = style == LETTERS ? c == 'h' : ra;
        } else if (style == COLONS ? c != ':' || n == 3
                   : style == BLANKS ? !blank || n == 3
                   : c != (n == 2 ? 'm' : 's')) {
            return false;
        }
        while (style == BLANKS && (*s == ' ' || *s == '\t'))
            s++;
        if (style == LETTERS && *s == '\0')
            break;
    }
    if (*s != '\0' || (n > 1 && !whole[0]) || (n > 2 && !whole[1])
        || v[1] >= 60 || v[2] >= 60 || (hours && (!ra || sign < 0)))
        return false;
    double value = v[0] + v[1] / 60 + v[2] / 3600;
    if (hours && value >= 24)
        return false;
    *deg = sign * (hours ? 15 * value : value);
    return true;
}

bool offbkg_catalog_parse_angle(const char *text, bool ra, double *deg)
{
    char *end;
    double v = strtod(text, &end);

    if (end != text && *end == '\0') {
        *deg = v;
        return isfinite(v);
    }
    return sexagesimal(text, ra, deg);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

/* Cell @p text of role @p k into @p s. */
static int csv_cell(offbkg_ctx_t *ctx, const row_at_t *at, const layout_t *l,
                    int k, const char *text, source_t *s)
{
    static const char *const sexa = "decimal degrees, or sexagesimal as "
                                    "05:34:31.9, 05 34 31.9, 05h34m31.9s "
                                    "(RA: hours) or +22:00:52, 22d00m52s";
    double v = NAN;
    char *end;

    if (k == NAME) {
        s->name = text[0] != '\0' ? text : NULL;
        return OFFBKG_OK;
    }
    if (text[0] == '\0') {
        if (k == RADIUS || k == EXTENSION)
            return OFFBKG_OK;   /* not given */
        return bad(ctx, at, l->name[k], "empty");
    }
    if (k == RA || k == DEC) {
        if (!offbkg_catalog_parse_angle(text, k == RA, &v))
            return bad(ctx, at, l->name[k], "'%s' is not an angle (%s)",
                       text, sexa);
    } else {
        v = strtod(text, &end);
        if (*end != '\0' || isnan(v))
            return bad(ctx, at, l->name[k], "'%s' is not a number (deg)",
                       text);
    }
    if (k == RA || k == GLON)
        s->lon_deg = v;
    else if (k == DEC || k == GLAT)
        s->lat_deg = v;
    else if (k == RADIUS)
        s->radius_deg = v;
    else
        s->extension_deg = v;
    return OFFBKG_OK;
}

/* Whether role @p k is read in layout @p l. */
static bool used(const layout_t *l, int k)
{
    if (l->col[k] < 0)
        return false;
    if (k == RA || k == DEC)
        return !l->galactic;
    if (k == GLON || k == GLAT)
        return l->galactic;
    return true;
}

static int load_csv(offbkg_ctx_t *ctx, const char *path, double scale,
                    double min_radius_deg, offbkg_regions_t *r)
{
    offbkg_csv_t csv;
    char **head = NULL;
    size_t n_head = 0;
    layout_t l;
    bool got = false;
    int st = offbkg_csv_open(ctx, path, &csv);

    if (st == OFFBKG_OK)
        st = offbkg_csv_next(ctx, &csv, &got);
    if (st == OFFBKG_OK && !got)
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: empty (expected a "
                              "header line naming the columns)", path);
    /* The header's names outlive the next record read. */
    if (st == OFFBKG_OK && (head = calloc(csv.n, sizeof *head)) == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (; st == OFFBKG_OK && n_head < csv.n; n_head++)
        if ((head[n_head] = strdup(csv.fields[n_head])) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK && !find_layout((const char *const *)head, n_head,
                                        &l))
        st = no_position(ctx, path);
    while (st == OFFBKG_OK && (st = offbkg_csv_next(ctx, &csv, &got))
                                  == OFFBKG_OK && got) {
        source_t s = { NULL, NAN, NAN, NAN, NAN };
        row_at_t at = { .fits = false };
        snprintf(at.text, sizeof at.text, "%s:%ld", path, csv.line);
        for (int k = 0; st == OFFBKG_OK && k < N_ROLES; k++) {
            if (!used(&l, k))
                continue;
            if ((size_t)l.col[k] >= csv.n)
                st = bad(ctx, &at, l.name[k], "missing (the row has %zu "
                         "fields, the header %zu)", csv.n, n_head);
            else
                st = csv_cell(ctx, &at, &l, k, csv.fields[l.col[k]], &s);
        }
        if (st == OFFBKG_OK)
            st = add_source(ctx, &at, &l, &s, scale, min_radius_deg, r);
    }
    for (size_t i = 0; i < n_head; i++)
        free(head[i]);
    free(head);
    offbkg_csv_close(&csv);
    return st;
}

/* ------------------------------------------------------------------ */
/* FITS                                                                */

/* An angle unit's factor to degrees ("" is deg); 0 if unknown. */
static double deg_per(const char *unit)
{
    static const struct { const char *name; double deg; } units[] = {
        { "", 1 }, { "deg", 1 }, { "degree", 1 }, { "degrees", 1 },
        { "rad", 180 / M_PI }, { "radian", 180 / M_PI },
        { "radians", 180 / M_PI }, { "arcmin", 1.0 / 60 },
        { "arcsec", 1.0 / 3600 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(unit, units[i].name) == 0)
            return units[i].deg;
    return 0;
}

/* Whether the current table of @p f has a column of role @p k. */
static bool has_role(fitsfile *f, int k)
{
    for (size_t j = 0; j < 6 && role_columns[k][j] != NULL; j++) {
        int col, st = 0;
        fits_get_colnum(f, CASEINSEN, (char *)role_columns[k][j], &col, &st);
        if (st == 0 || st == COL_NOT_UNIQUE)
            return true;
    }
    return false;
}

/* Move @p f to the first binary table with a position (RA and DEC, or
 * GLON and GLAT); false if there is none. */
static bool find_table(fitsfile *f)
{
    int n_hdus = 0, st = 0, type;

    fits_get_num_hdus(f, &n_hdus, &st);
    for (int h = 2; st == 0 && h <= n_hdus; h++) {
        if (fits_movabs_hdu(f, h, &type, &st) != 0 || type != BINARY_TBL)
            continue;
        if ((has_role(f, RA) && has_role(f, DEC))
            || (has_role(f, GLON) && has_role(f, GLAT)))
            return true;
    }
    fits_clear_errmsg();
    return false;
}

static int load_fits(offbkg_ctx_t *ctx, const char *path, double scale,
                     double min_radius_deg, offbkg_regions_t *r)
{
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    offbkg_table_t t = { 0 };
    layout_t l;
    int rc;

    if ((rc = offbkg_input_open(ctx, path, NULL, 0, &mem, &f)) != OFFBKG_OK)
        return rc;
    if (!find_table(f)) {
        offbkg_input_close(f, &mem);
        return no_position(ctx, path);
    }
    rc = offbkg_table_read(ctx, f, path, &t);
    offbkg_input_close(f, &mem);
    if (rc != OFFBKG_OK)
        return rc;

    const char **names = calloc(t.n_cols > 0 ? t.n_cols : 1, sizeof *names);
    if (names == NULL)
        rc = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; rc == OFFBKG_OK && i < t.n_cols; i++)
        names[i] = t.cols[i].name;
    /* A vector RA (skipped by the reader) leaves no position. */
    if (rc == OFFBKG_OK && !find_layout(names, t.n_cols, &l))
        rc = no_position(ctx, path);
    free(names);
    double factor[N_ROLES] = { 0 };
    const offbkg_column_t *col[N_ROLES] = { NULL };
    for (int k = 0; rc == OFFBKG_OK && k < N_ROLES; k++) {
        if (!used(&l, k))
            continue;
        col[k] = &t.cols[l.col[k]];
        bool text = col[k]->type == OFFBKG_COL_STRING;
        if (k == NAME ? !text : text)
            rc = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: column %s is "
                                  "%s", path, col[k]->name, text
                                  ? "text, not a number" : "not text");
        else if (k != NAME && (factor[k] = deg_per(col[k]->unit)) == 0)
            rc = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: column %s is in "
                                  "'%s' (offbkg reads deg, rad, arcmin or "
                                  "arcsec)", path, col[k]->name,
                                  col[k]->unit);
    }
    for (size_t i = 0; rc == OFFBKG_OK && i < t.n_rows; i++) {
        source_t s = { NULL, NAN, NAN, NAN, NAN };
        double *v[N_ROLES] = { [RA] = &s.lon_deg, [DEC] = &s.lat_deg,
                               [GLON] = &s.lon_deg, [GLAT] = &s.lat_deg,
                               [RADIUS] = &s.radius_deg,
                               [EXTENSION] = &s.extension_deg };
        row_at_t at = { .fits = true };
        snprintf(at.text, sizeof at.text, "%s: row %zu", path, i + 1);
        if (col[NAME] != NULL && col[NAME]->str[i][0] != '\0')
            s.name = col[NAME]->str[i];
        /* An undefined (NaN) RADIUS or EXTENSION is not given. */
        for (int k = RA; k < N_ROLES; k++)
            if (col[k] != NULL)
                *v[k] = offbkg_column_get_double(col[k], i) * factor[k];
        rc = add_source(ctx, &at, &l, &s, scale, min_radius_deg, r);
    }
    offbkg_table_free(&t);
    return rc;
}

int offbkg_catalog_load(offbkg_ctx_t *ctx, const char *path,
                        double extension_scale, double min_radius_deg,
                        offbkg_regions_t *r)
{
    return offbkg_exclude_is_fits(path)
               ? load_fits(ctx, path, extension_scale, min_radius_deg, r)
               : load_csv(ctx, path, extension_scale, min_radius_deg, r);
}
