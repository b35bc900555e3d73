/* SPDX-License-Identifier: BSD-3-Clause
 * Exclusion regions from CSV, FITS and inline circles, and from source
 * catalogs (core/catalog.c; doc/exclude.md). */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fitsio.h>

#include <offbkg/geom.h>

#include "catalog-private.h"
#include "csv-private.h"
#include "exclude-private.h"
#include "input-private.h"
#include "output-private.h"
#include "table-private.h"

void offbkg_exclude_free(offbkg_regions_t *r)
{
    for (size_t i = 0; r->names != NULL && i < r->n; i++)
        free(r->names[i]);
    free(r->names);
    free(r->items);
    memset(r, 0, sizeof *r);
}

int offbkg_exclude_add(offbkg_ctx_t *ctx, offbkg_regions_t *r, double ra,
                       double dec, double radius, const char *name,
                       const char *where)
{
    if (!isfinite(ra) || !isfinite(dec) || !isfinite(radius) || radius <= 0
        || radius >= 90 || fabs(dec) > 90)
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: bad exclusion "
                                "circle RA %g, DEC %g, RADIUS %g (need finite "
                                "values, |DEC| <= 90, 0 < RADIUS < 90 deg)",
                                where, ra, dec, radius);
    offbkg_region_t *p = realloc(r->items, (r->n + 1) * sizeof *p);
    if (p != NULL)
        r->items = p;
    char **names = p != NULL ? realloc(r->names, (r->n + 1) * sizeof *names)
                             : NULL;
    if (names != NULL)
        r->names = names;
    char *copy = name != NULL && names != NULL ? strdup(name) : NULL;
    if (names == NULL || (name != NULL && copy == NULL))
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    names[r->n] = copy;
    if (ra < 0 || ra >= 360) {
        ra = fmod(ra, 360.0);
        if (ra < 0)
            ra += 360.0;
    }
    p[r->n++] = (offbkg_region_t){ ra, dec, radius };
    return OFFBKG_OK;
}

static int load_csv(offbkg_ctx_t *ctx, const char *path, offbkg_regions_t *r)
{
    offbkg_csv_t csv;
    char where[1100];
    int col[3] = { -1, -1, -1 };
    bool header = false, got;
    int st = offbkg_csv_open(ctx, path, &csv);

    while (st == OFFBKG_OK && (st = offbkg_csv_next(ctx, &csv, &got))
                                  == OFFBKG_OK && got) {
        snprintf(where, sizeof where, "%s:%ld", path, csv.line);
        if (!header) {
            static const char *const want[3] = { "RA", "DEC", "RADIUS" };
            header = true;
            for (size_t i = 0; i < csv.n; i++)
                for (int k = 0; k < 3; k++)
                    if (strcasecmp(csv.fields[i], want[k]) == 0)
                        col[k] = (int)i;
            if (col[0] < 0 || col[1] < 0 || col[2] < 0)
                st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: the header "
                                      "must name the columns RA, DEC and "
                                      "RADIUS (degrees)", where);
            continue;
        }
        double v[3];
        for (int k = 0; k < 3 && st == OFFBKG_OK; k++) {
            char *end;
            if ((size_t)col[k] >= csv.n) {
                st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: too few "
                                      "fields", where);
                break;
            }
            const char *field = csv.fields[col[k]];
            v[k] = strtod(field, &end);
            if (end == field || *end != '\0')
                st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: '%s' is not "
                                      "a number", where, field);
        }
        if (st == OFFBKG_OK)
            st = offbkg_exclude_add(ctx, r, v[0], v[1], v[2], NULL, where);
    }
    offbkg_csv_close(&csv);
    if (st == OFFBKG_OK && !header)
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: empty (expected a "
                              "header RA,DEC,RADIUS)", path);
    return st;
}

static int load_fits(offbkg_ctx_t *ctx, const char *path, offbkg_regions_t *r)
{
    static const char *const needed[] = { "RA", "DEC", NULL };
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    offbkg_table_t t = { 0 };
    int rc;

    if ((rc = offbkg_input_open(ctx, path, NULL, 0, &mem, &f))
        != OFFBKG_OK)
        return rc;
    if (!offbkg_table_find(f, needed, NULL)) {
        offbkg_input_close(f, &mem);
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: no table with RA, "
                                "DEC and RADIUS columns", path);
    }
    rc = offbkg_table_read(ctx, f, path, &t);
    offbkg_input_close(f, &mem);
    if (rc != OFFBKG_OK)
        return rc;
    offbkg_obs_table_t v = offbkg_table_view(&t);
    const offbkg_column_t *ra = offbkg_obs_table_column(&v, "RA");
    const offbkg_column_t *dec = offbkg_obs_table_column(&v, "DEC");
    const offbkg_column_t *rad = offbkg_obs_table_column(&v, "RADIUS");
    if (rad == NULL || rad->type == OFFBKG_COL_STRING)
        rc = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: no numeric RADIUS "
                              "column", path);
    for (size_t i = 0; rc == OFFBKG_OK && i < t.n_rows; i++) {
        char where[1100];
        snprintf(where, sizeof where, "%s: row %zu", path, i + 1);
        rc = offbkg_exclude_add(ctx, r, offbkg_column_get_double(ra, i),
                                offbkg_column_get_double(dec, i),
                                offbkg_column_get_double(rad, i), NULL,
                                where);
    }
    offbkg_table_free(&t);
    return rc;
}

bool offbkg_exclude_is_fits(const char *path)
{
    static const char *const suffixes[] = { ".fits", ".fits.gz", ".fit",
                                            ".fts", ".fits.fz" };
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t m = strlen(suffixes[i]);
        if (n >= m && strcasecmp(path + n - m, suffixes[i]) == 0)
            return true;
    }
    return false;
}

int offbkg_exclude_load(offbkg_ctx_t *ctx, const offbkg_exclude_conf_t *conf,
                        offbkg_regions_t *out, const char **key)
{
    int st = OFFBKG_OK;

    memset(out, 0, sizeof *out);
    *key = NULL;
    if (conf == NULL)
        return OFFBKG_OK;
    if (conf->regions != NULL && conf->regions[0] != '\0') {
        *key = "regions";
        st = offbkg_exclude_is_fits(conf->regions)
                 ? load_fits(ctx, conf->regions, out)
                 : load_csv(ctx, conf->regions, out);
    }
    const offbkg_double_list_t *c = &conf->circles_deg;
    if (st == OFFBKG_OK)
        *key = "circles_deg";
    if (st == OFFBKG_OK && c->n % 3 != 0)
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "[exclude] circles_deg: "
                              "%zu numbers is not a list of RA, DEC, RADIUS "
                              "triples", c->n);
    for (size_t i = 0; st == OFFBKG_OK && i + 2 < c->n; i += 3)
        st = offbkg_exclude_add(ctx, out, c->v[i], c->v[i + 1], c->v[i + 2],
                                NULL, "[exclude] circles_deg");
    if (st == OFFBKG_OK)
        *key = "catalog";
    for (size_t i = 0; st == OFFBKG_OK && i < conf->catalog.n; i++)
        st = offbkg_catalog_load(ctx, conf->catalog.v[i],
                                 conf->extension_scale, conf->min_radius_deg,
                                 out);
    if (st != OFFBKG_OK)
        offbkg_exclude_free(out);
    else
        *key = NULL;
    return st;
}

/* Whether @p a and @p b are the same name but for case and blanks. */
static bool same_name(const char *a, const char *b)
{
    for (;;) {
        while (isspace((unsigned char)*a))
            a++;
        while (isspace((unsigned char)*b))
            b++;
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
}

ptrdiff_t offbkg_exclude_find(const offbkg_regions_t *r, const char *name)
{
    for (size_t i = 0; r->names != NULL && name != NULL && i < r->n; i++)
        if (r->names[i] != NULL && same_name(r->names[i], name))
            return (ptrdiff_t)i;
    return -1;
}

size_t offbkg_exclude_near(const offbkg_regions_t *r, double ra_deg,
                           double dec_deg, double radius_deg,
                           offbkg_region_t *near)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const offbkg_region_t *g = &r->items[i];
        if (offbkg_sep_deg(ra_deg, dec_deg, g->ra_deg, g->dec_deg)
            < radius_deg + g->radius_deg) {
            if (near != NULL)
                near[n] = *g;
            n++;
        }
    }
    return n;
}
