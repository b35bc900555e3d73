/* SPDX-License-Identifier: BSD-3-Clause
 * GADF data stores (doc/domain.md §1): the two index tables found by their
 * columns, FILE_DIR resolved against the hdu-index directory, and the
 * fallback chain of §1.6 applied to the observation table. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <offbkg/geom.h>

#include "datastore-private.h"
#include "fitsmem-private.h"
#include "input-private.h"
#include "output-private.h"
#include "path-private.h"

/* ------------------------------------------------------------------ */
/* Paths                                                               */

/* @p given if set, else DIR/BASE.fits.gz or DIR/BASE.fits, whichever
 * exists (the .gz name when neither does, for the message). */
static char *index_path(const char *given, const char *dir, const char *base)
{
    char name[64];
    char *p;

    if (given != NULL && given[0] != '\0')
        return strdup(given);
    snprintf(name, sizeof name, "%s.fits.gz", base);
    p = offbkg_path_join(dir, name);
    if (p == NULL || access(p, F_OK) == 0)
        return p;
    snprintf(name, sizeof name, "%s.fits", base);
    char *plain = offbkg_path_join(dir, name);
    if (plain != NULL && access(plain, F_OK) == 0) {
        free(p);
        return plain;
    }
    free(plain);
    return p;
}

/* ------------------------------------------------------------------ */
/* Index lookups                                                       */

static const offbkg_column_t *col(const offbkg_table_t *t, const char *name)
{
    offbkg_obs_table_t v = offbkg_table_view(t);
    return offbkg_obs_table_column(&v, name);
}

/* Row numbers of @p t sorted by OBS_ID, then row (stable lookups). */
static size_t *sorted_rows(const offbkg_table_t *t)
{
    size_t n = t->n_rows;
    size_t *rows = malloc((n > 0 ? n : 1) * sizeof *rows);

    if (rows == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    if (offbkg_table_sort_rows(col(t, "OBS_ID")->i64, rows, n) != 0) {
        free(rows);
        return NULL;
    }
    return rows;
}

/* First index in @p rows (sorted by id) whose id is >= @p obs_id. */
static size_t lower_bound(const int64_t *id, const size_t *rows, size_t n,
                          int64_t obs_id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (id[rows[mid]] < obs_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long offbkg_datastore_row(const offbkg_datastore_t *store, int64_t obs_id)
{
    const int64_t *id = col(&store->obs, "OBS_ID")->i64;
    size_t k = lower_bound(id, store->obs_by_id, store->obs.n_rows, obs_id);
    if (k < store->obs.n_rows && id[store->obs_by_id[k]] == obs_id)
        return (long)store->obs_by_id[k];
    return -1;
}

int64_t offbkg_datastore_obs_id(const offbkg_datastore_t *store, size_t row)
{
    return col(&store->obs, "OBS_ID")->i64[row];
}

char *offbkg_datastore_hdu_path(const offbkg_datastore_t *store, size_t row)
{
    const offbkg_column_t *dir = col(&store->hdu, "FILE_DIR");
    const offbkg_column_t *file = col(&store->hdu, "FILE_NAME");
    const char *d = dir != NULL ? dir->str[row] : "";
    char *full_dir, *path;

    while (*d == ' ')
        d++;
    full_dir = d[0] == '/' ? strdup(d)
               : d[0] == '\0' ? strdup(store->base_dir)
                              : offbkg_path_join(store->base_dir, d);
    path = full_dir != NULL ? offbkg_path_join(full_dir, file->str[row]) : NULL;
    free(full_dir);
    return path;
}

const char *offbkg_datastore_hdu_name(const offbkg_datastore_t *store,
                                      size_t row)
{
    return col(&store->hdu, "HDU_NAME")->str[row];
}

int offbkg_datastore_locate_row(offbkg_ctx_t *ctx,
                                const offbkg_datastore_t *store,
                                int64_t obs_id, const char *hdu_type,
                                size_t *row, size_t *n_rows)
{
    const int64_t *id = col(&store->hdu, "OBS_ID")->i64;
    const offbkg_column_t *type = col(&store->hdu, "HDU_TYPE");
    size_t n = store->hdu.n_rows, count = 0;

    *row = SIZE_MAX;
    for (size_t k = lower_bound(id, store->hdu_by_id, n, obs_id);
         k < n && id[store->hdu_by_id[k]] == obs_id; k++) {
        size_t r = store->hdu_by_id[k];
        const char *t = type->str[r];
        while (*t == ' ')
            t++;
        if (strcasecmp(t, hdu_type) != 0)
            continue;
        if (count++ == 0)
            *row = r;
    }
    *n_rows = count;
    if (count == 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %lld has no '%s' "
                                "row in %s", (long long)obs_id, hdu_type,
                                store->hdu_index_path);
    return OFFBKG_OK;
}

int offbkg_datastore_locate(offbkg_ctx_t *ctx,
                            const offbkg_datastore_t *store, int64_t obs_id,
                            const char *hdu_type, char **path,
                            char **hdu_name, size_t *n_rows)
{
    size_t row;
    int st = offbkg_datastore_locate_row(ctx, store, obs_id, hdu_type, &row,
                                         n_rows);

    if (st != OFFBKG_OK)
        return st;
    *path = offbkg_datastore_hdu_path(store, row);
    *hdu_name = strdup(offbkg_datastore_hdu_name(store, row));
    if (*path == NULL || *hdu_name == NULL) {
        free(*path);
        free(*hdu_name);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    return OFFBKG_OK;
}

offbkg_file_id_t offbkg_datastore_path_id(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        return (offbkg_file_id_t){ .err = errno };
    return (offbkg_file_id_t){
        .dev = sb.st_dev,
        .ino = sb.st_ino,
        .size_bytes = (int64_t)sb.st_size,
        .mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000
                    + (int64_t)sb.st_mtim.tv_nsec,
    };
}

bool offbkg_datastore_same_file(const offbkg_datastore_t *store, size_t a,
                                size_t b)
{
    const offbkg_column_t *dir = col(&store->hdu, "FILE_DIR");
    const offbkg_column_t *file = col(&store->hdu, "FILE_NAME");

    return strcmp(file->str[a], file->str[b]) == 0
           && (dir == NULL || strcmp(dir->str[a], dir->str[b]) == 0);
}

int offbkg_datastore_stat_files(offbkg_ctx_t *ctx, offbkg_datastore_t *store)
{
    size_t n = store->hdu.n_rows;
    offbkg_file_id_t *ids = malloc((n + 1) * sizeof *ids);

    if (ids == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t r = 0; r < n; r++) {
        if (r > 0 && offbkg_datastore_same_file(store, r, r - 1)) {
            ids[r] = ids[r - 1];
            continue;
        }
        char *p = offbkg_datastore_hdu_path(store, r);
        if (p == NULL) {
            free(ids);
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        }
        ids[r] = offbkg_datastore_path_id(p);
        free(p);
    }
    free(store->hdu_files);
    store->hdu_files = ids;
    return OFFBKG_OK;
}

offbkg_file_id_t offbkg_datastore_file_id(const offbkg_datastore_t *store,
                                          size_t row, const char *path)
{
    return store->hdu_files != NULL ? store->hdu_files[row]
                                    : offbkg_datastore_path_id(path);
}

/* ------------------------------------------------------------------ */
/* Fallback chain (doc/domain.md §1.6)                                */

enum quantity {
    Q_RA, Q_DEC, Q_TSTART, Q_TSTOP, Q_ONTIME, Q_LIVETIME, Q_ZEN, Q_GLON,
    Q_GLAT, N_QUANTITIES
};

static const struct {
    const char *name;
    const char *unit;
} quantity_info[N_QUANTITIES] = {
    { "RA_PNT", "deg" }, { "DEC_PNT", "deg" }, { "TSTART", "s" },
    { "TSTOP", "s" }, { "ONTIME", "s" }, { "LIVETIME", "s" },
    { "ZEN_PNT", "deg" }, { "GLON_PNT", "deg" }, { "GLAT_PNT", "deg" },
};

/* Where a value came from, for the log. */
enum source {
    S_INDEX, S_INDEX_ALT, S_EVENTS, S_GTI, S_COMPUTED, S_MISSING, N_SOURCES
};

static const char *const source_text[N_SOURCES] = {
    "the obs-index", "another obs-index column", "the EVENTS header",
    "the GTI", "computed", "missing",
};

/* The obs-index columns read besides the quantities' own. */
enum other_column { C_DEADC, C_ALT, C_GLON, C_GLAT, N_OTHER_COLUMNS };

static const char *const other_column_name[N_OTHER_COLUMNS] = {
    "DEADC", "ALT_PNT", "GLON", "GLAT",
};
static const char *const other_column_unit[N_OTHER_COLUMNS] = {
    "", "deg", "deg", "deg",
};

typedef struct resolver {
    offbkg_ctx_t *ctx;
    offbkg_datastore_t *store;
    double *v[N_QUANTITIES];
    /* Looked up once, not per row (NULL: no such column). */
    const offbkg_column_t *column[N_QUANTITIES];
    const offbkg_column_t *other[N_OTHER_COLUMNS];
    double factor[N_QUANTITIES];                /* from the column's unit */
    double other_factor[N_OTHER_COLUMNS];
    size_t count[N_QUANTITIES][N_SOURCES];
    const char *how[N_QUANTITIES][N_SOURCES];  /* detail for the log */
} resolver_t;

/* The obs-index value of quantity @p q in row @p r (NaN when absent). */
static double value(const resolver_t *rs, enum quantity q, size_t r)
{
    return rs->factor[q] * offbkg_column_get_double(rs->column[q], r);
}

static double other_value(const resolver_t *rs, enum other_column c,
                          size_t r)
{
    return rs->other_factor[c] * offbkg_column_get_double(rs->other[c], r);
}

/* The factor from the unit of obs-index column @p c to @p want ("deg",
 * "s" or "" for none): a missing unit is taken as @p want, rad is
 * converted to deg; anything else is refused, as reading it as @p want
 * would give wrong groups and selections without a word. */
static int unit_factor(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                       const offbkg_column_t *c, const char *want,
                       double *factor)
{
    const char *u = c != NULL && c->unit != NULL ? c->unit : "";

    *factor = 1;
    if (c == NULL || c->type == OFFBKG_COL_STRING || u[0] == '\0'
        || strcasecmp(u, want) == 0)
        return OFFBKG_OK;
    if (strcmp(want, "deg") == 0 && strcasecmp(u, "rad") == 0) {
        *factor = 180.0 / M_PI;
        return OFFBKG_OK;
    }
    return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: column %s is in '%s'; "
                            "offbkg reads it in %s", store->obs_index_path,
                            c->name, u, want[0] != '\0' ? want : "no unit");
}

/* The EVENTS header of row @p r, read on first need. */
static int header_of(resolver_t *rs, size_t r, offbkg_run_header_t *h,
                     int *state)
{
    char *path = NULL, *hdu = NULL, *gti_path = NULL, *gti_hdu = NULL;
    size_t n;
    int64_t obs_id = offbkg_datastore_obs_id(rs->store, r);
    fitsfile *f = NULL;
    int rc;

    if (*state != 0)
        return *state > 0 ? OFFBKG_OK : OFFBKG_EDATA;
    *state = -1;
    rc = offbkg_datastore_locate(rs->ctx, rs->store, obs_id, "events", &path,
                                 &hdu, &n);
    if (rc == OFFBKG_OK) {
        if (offbkg_datastore_locate(rs->ctx, rs->store, obs_id, "gti",
                                    &gti_path, &gti_hdu, &n) != OFFBKG_OK
            || strcmp(gti_path, path) != 0) {
            free(gti_hdu);
            gti_hdu = NULL;
        }
        const char *need[2] = { hdu, gti_hdu != NULL ? gti_hdu : "GTI" };
        offbkg_fitsmem_t mem = { 0 };
        rc = offbkg_input_open(rs->ctx, path, need, 2, &mem, &f);
        if (rc == OFFBKG_OK)
            rc = offbkg_run_header_read(rs->ctx, f, hdu, gti_hdu, path, h);
        offbkg_input_close(f, &mem);
    }
    if (rc == OFFBKG_OK)
        *state = 1;
    else
        OFFBKG_WARN(rs->ctx, "OBS_ID %lld: cannot read the EVENTS header "
                    "for missing obs-index values: %s", (long long)obs_id,
                    offbkg_error_msg(rs->ctx));
    free(path);
    free(hdu);
    free(gti_path);
    free(gti_hdu);
    return rc;
}

static void put(resolver_t *rs, enum quantity q, size_t r, double v,
                enum source s, const char *how)
{
    if (!isfinite(v)) {
        v = NAN;
        s = S_MISSING;
        how = NULL;
    }
    rs->v[q][r] = v;
    rs->count[q][s]++;
    if (how != NULL)
        rs->how[q][s] = how;
}

/* One row: take each quantity from the index, else down the chain. */
static void resolve_row(resolver_t *rs, size_t r)
{
    offbkg_run_header_t h;
    int hstate = 0;
    double x;

#define FROM_HEADER(field) \
    (header_of(rs, r, &h, &hstate) == OFFBKG_OK ? h.field : NAN)

    static const enum quantity direct[] = { Q_RA, Q_DEC, Q_TSTART, Q_TSTOP };
    for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++) {
        enum quantity q = direct[i];
        x = value(rs, q, r);
        if (isfinite(x)) {
            put(rs, q, r, x, S_INDEX, NULL);
            continue;
        }
        x = q == Q_RA       ? FROM_HEADER(ra_pnt_deg)
            : q == Q_DEC    ? FROM_HEADER(dec_pnt_deg)
            : q == Q_TSTART ? FROM_HEADER(tstart_s)
                            : FROM_HEADER(tstop_s);
        put(rs, q, r, x, S_EVENTS, NULL);
    }

    x = value(rs, Q_ONTIME, r);
    if (isfinite(x))
        put(rs, Q_ONTIME, r, x, S_INDEX, NULL);
    else if (isfinite(x = FROM_HEADER(ontime_s)))
        put(rs, Q_ONTIME, r, x, S_EVENTS, NULL);
    else
        put(rs, Q_ONTIME, r, FROM_HEADER(gti_sum_s), S_GTI, "GTI sum");

    x = value(rs, Q_LIVETIME, r);
    if (isfinite(x)) {
        put(rs, Q_LIVETIME, r, x, S_INDEX, NULL);
    } else if (isfinite(x = FROM_HEADER(livetime_s))) {
        put(rs, Q_LIVETIME, r, x, S_EVENTS, NULL);
    } else {
        double deadc = other_value(rs, C_DEADC, r);
        if (!isfinite(deadc))
            deadc = FROM_HEADER(deadc);
        put(rs, Q_LIVETIME, r, FROM_HEADER(gti_sum_s) * deadc, S_GTI,
            "GTI sum x DEADC");
    }

    x = value(rs, Q_ZEN, r);
    if (isfinite(x)) {
        put(rs, Q_ZEN, r, x, S_INDEX, NULL);
    } else if (isfinite(x = other_value(rs, C_ALT, r))) {
        put(rs, Q_ZEN, r, 90.0 - x, S_INDEX_ALT, "90 - ALT_PNT");
    } else if (isfinite(x = FROM_HEADER(alt_pnt_deg))) {
        put(rs, Q_ZEN, r, 90.0 - x, S_EVENTS, "90 - ALT_PNT");
    } else {
        /* Alt/az of the pointing at mid-run (doc/domain.md §5.4). */
        int ok = header_of(rs, r, &h, &hstate) == OFFBKG_OK;
        double mjdref = rs->store->mjdref_day;
        offbkg_timesys_t sys = rs->store->timesys;
        double lon = ok ? h.site_lon_deg : NAN, lat = ok ? h.site_lat_deg : NAN;
        double alt = NAN, az;
        if (ok && isfinite(h.mjdref_day)) {
            mjdref = h.mjdref_day;
            sys = h.timesys;
        }
        if (!isfinite(lon) || !isfinite(lat)) {
            lon = rs->store->site_lon_deg;
            lat = rs->store->site_lat_deg;
        }
        double mid = 0.5 * (rs->v[Q_TSTART][r] + rs->v[Q_TSTOP][r]);
        double utc = offbkg_mjd_to_utc(mjdref + mid / 86400.0, sys);
        if (isfinite(utc) && isfinite(lon) && isfinite(lat)
            && isfinite(rs->v[Q_RA][r]) && isfinite(rs->v[Q_DEC][r]))
            offbkg_radec_to_altaz(rs->v[Q_RA][r], rs->v[Q_DEC][r], utc, lon,
                                  lat, &alt, &az);
        put(rs, Q_ZEN, r, 90.0 - alt, S_COMPUTED,
            "from RA/DEC_PNT, mid-run time and site");
    }

    /* Galactic coordinates: GLON/GLAT_PNT, then GLON/GLAT, then computed. */
    double l = value(rs, Q_GLON, r), b = value(rs, Q_GLAT, r);
    enum source sl = S_INDEX, sb = S_INDEX;
    if (!isfinite(l) && isfinite(other_value(rs, C_GLON, r))) {
        l = other_value(rs, C_GLON, r);
        sl = S_INDEX_ALT;
    }
    if (!isfinite(b) && isfinite(other_value(rs, C_GLAT, r))) {
        b = other_value(rs, C_GLAT, r);
        sb = S_INDEX_ALT;
    }
    if ((!isfinite(l) || !isfinite(b)) && isfinite(rs->v[Q_RA][r])
        && isfinite(rs->v[Q_DEC][r])) {
        double cl, cb;
        offbkg_icrs_to_galactic(rs->v[Q_RA][r], rs->v[Q_DEC][r], &cl, &cb);
        if (!isfinite(l)) {
            l = cl;
            sl = S_COMPUTED;
        }
        if (!isfinite(b)) {
            b = cb;
            sb = S_COMPUTED;
        }
    }
    put(rs, Q_GLON, r, l, sl, sl == S_INDEX_ALT ? "GLON" : "from RA/DEC_PNT");
    put(rs, Q_GLAT, r, b, sb, sb == S_INDEX_ALT ? "GLAT" : "from RA/DEC_PNT");
#undef FROM_HEADER
}

/* Replace (or append) the column of each quantity with the resolved
 * values, and log every fallback used. */
static int install_resolved(resolver_t *rs)
{
    offbkg_table_t *t = &rs->store->obs;

    for (int q = 0; q < N_QUANTITIES; q++) {
        offbkg_column_t *c = (offbkg_column_t *)col(t, quantity_info[q].name);
        size_t n = t->n_rows;
        for (int s = S_INDEX_ALT; s < N_SOURCES; s++) {
            if (rs->count[q][s] == 0)
                continue;
            OFFBKG_INFO(rs->ctx, "%s: %zu of %zu run%s %s%s%s%s",
                        quantity_info[q].name, rs->count[q][s], n,
                        n == 1 ? "" : "s",
                        s == S_MISSING || s == S_COMPUTED ? "" : "taken from ",
                        source_text[s], rs->how[q][s] ? ": " : "",
                        rs->how[q][s] ? rs->how[q][s] : "");
        }
        if (c != NULL) {
            free((int64_t *)c->i64);
            free((double *)c->f64);
            if (c->str != NULL)
                free((char *)c->str[0]);
            free((char **)c->str);
            c->i64 = NULL;
            c->str = NULL;
            c->type = OFFBKG_COL_DOUBLE;
            c->f64 = rs->v[q];
            rs->v[q] = NULL;
            /* The values are now in the quantity's unit. */
            if (rs->factor[q] != 1) {
                char *unit = strdup(quantity_info[q].unit);
                if (unit == NULL)
                    return OFFBKG_ENOMEM;
                free((char *)c->unit);
                c->unit = unit;
            }
        } else if (offbkg_table_add_double(rs->ctx, t, quantity_info[q].name,
                                           quantity_info[q].unit, rs->v[q])
                   != OFFBKG_OK) {
            rs->v[q] = NULL;
            return OFFBKG_ENOMEM;
        }
        rs->v[q] = NULL;
    }
    return OFFBKG_OK;
}

static int apply_fallbacks(offbkg_ctx_t *ctx, offbkg_datastore_t *store)
{
    resolver_t rs = { .ctx = ctx, .store = store };
    size_t n = store->obs.n_rows;
    int rc = OFFBKG_OK;

    for (int q = 0; q < N_QUANTITIES; q++) {
        rs.column[q] = col(&store->obs, quantity_info[q].name);
        if ((rs.v[q] = malloc((n > 0 ? n : 1) * sizeof(double))) == NULL)
            rc = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        if (rc == OFFBKG_OK)
            rc = unit_factor(ctx, store, rs.column[q], quantity_info[q].unit,
                             &rs.factor[q]);
    }
    for (int c = 0; c < N_OTHER_COLUMNS; c++) {
        rs.other[c] = col(&store->obs, other_column_name[c]);
        if (rc == OFFBKG_OK)
            rc = unit_factor(ctx, store, rs.other[c], other_column_unit[c],
                             &rs.other_factor[c]);
    }
    for (size_t r = 0; rc == OFFBKG_OK && r < n; r++)
        resolve_row(&rs, r);
    if (rc == OFFBKG_OK)
        rc = install_resolved(&rs);
    for (int q = 0; q < N_QUANTITIES; q++)
        free(rs.v[q]);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */

/* The obs-index keywords copied to the tables written from a store. */
static const char *const store_keys[] = {
    "MJDREFI", "MJDREFF", "MJDREF", "TIMEUNIT", "TIMESYS", "TIMEREF",
    "GEOLON", "GEOLAT", "ALTITUDE", "TELESCOP", "INSTRUME",
};
#define N_STORE_KEYS (sizeof store_keys / sizeof store_keys[0])
#define CARD_CHARS (FLEN_CARD - 1)

/* Keep the cards of the store keys in @p hdr; 0, or -1 out of memory. */
static int keep_store_cards(offbkg_datastore_t *s, const offbkg_header_t *hdr)
{
    s->store_cards = malloc(N_STORE_KEYS * CARD_CHARS);
    if (s->store_cards == NULL)
        return -1;
    for (size_t k = 0; k < N_STORE_KEYS; k++) {
        const char *card = offbkg_fitshdr_card(hdr, store_keys[k]);
        if (card != NULL)
            memcpy(s->store_cards + CARD_CHARS * s->n_store_cards++, card,
                   CARD_CHARS);
    }
    return 0;
}

/* Whether @p card (80 characters) describes the table's structure, so
 * that a table written from the store sets it itself. */
static bool structural_card(const char *card)
{
    static const char *const keys[] = {
        "XTENSION", "BITPIX", "PCOUNT", "GCOUNT", "TFIELDS", "EXTNAME",
        "CHECKSUM", "DATASUM", "END", "SIMPLE", "EXTEND", NULL,
    };
    char key[9];
    size_t n = 0;

    while (n < 8 && card[n] != ' ' && card[n] != '=')
        n++;
    memcpy(key, card, n);
    key[n] = '\0';
    for (size_t k = 0; keys[k] != NULL; k++)
        if (strcmp(key, keys[k]) == 0)
            return true;
    if (strncmp(key, "NAXIS", 5) == 0)
        return true;
    /* Column keywords: T, letters, then the column number (TTYPE3). */
    size_t letters = 1;
    while (letters < n && key[letters] >= 'A' && key[letters] <= 'Z')
        letters++;
    return key[0] == 'T' && letters >= 4 && letters < n
           && strspn(key + letters, "0123456789") == n - letters;
}

/* Keep the non-structural cards of @p hdr; 0, or -1 out of memory. */
static int keep_obs_cards(offbkg_datastore_t *s, const offbkg_header_t *hdr)
{
    s->obs_cards = malloc((hdr->n_cards > 0 ? (size_t)hdr->n_cards : 1)
                          * CARD_CHARS);
    if (s->obs_cards == NULL)
        return -1;
    for (int k = 0; k < hdr->n_cards; k++) {
        const char *card = hdr->cards + (size_t)k * CARD_CHARS;
        if (!structural_card(card))
            memcpy(s->obs_cards + CARD_CHARS * s->n_obs_cards++, card,
                   CARD_CHARS);
    }
    return 0;
}

void offbkg_datastore_copy_header(const offbkg_datastore_t *store,
                                  fitsfile *out, int *fits_status)
{
    for (size_t k = 0; k < store->n_obs_cards && *fits_status == 0; k++) {
        char card[CARD_CHARS + 1];
        memcpy(card, store->obs_cards + CARD_CHARS * k, CARD_CHARS);
        card[CARD_CHARS] = '\0';
        fits_write_record(out, card, fits_status);
    }
}

void offbkg_datastore_copy_keys(const offbkg_datastore_t *store,
                                fitsfile *out, int *fits_status)
{
    for (size_t k = 0; k < store->n_store_cards && *fits_status == 0; k++) {
        char card[CARD_CHARS + 1];
        memcpy(card, store->store_cards + CARD_CHARS * k, CARD_CHARS);
        card[CARD_CHARS] = '\0';
        fits_write_record(out, card, fits_status);
    }
}

/* Read the index table of @p path into @p t; with @p keep, leave the
 * file open at it (its bytes are in @p mem, when read from memory). An
 * index is read whole, and once: from memory, inflated with the fast
 * inflater; cfitsio opens what the in-memory reader does not handle. */
static int read_index(offbkg_ctx_t *ctx, const char *path,
                      const char *const *needed, const char *const *absent,
                      const char *what, offbkg_fitsmem_t *mem,
                      offbkg_table_t *t, fitsfile **keep)
{
    fitsfile *f = NULL;
    int st = 0, rc;

    if (access(path, F_OK) != 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no %s (file not "
                                "found)", path, what);
    if (offbkg_input_open(ctx, path, NULL, 0, mem, &f) != OFFBKG_OK)
        return offbkg_error_push(ctx, OFFBKG_EDATA, "cannot open the %s",
                                 what);
    if (!offbkg_table_find(f, needed, absent)) {
        fits_close_file(f, &st);
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no %s in it (a binary "
                                "table with columns %s%s%s%s%s)", path, what,
                                needed[0], needed[1] ? ", " : "",
                                needed[1] ? needed[1] : "",
                                needed[1] && needed[2] ? ", " : "",
                                needed[1] && needed[2] ? needed[2] : "");
    }
    rc = offbkg_table_read(ctx, f, path, t);
    if (rc == OFFBKG_OK && keep != NULL) {
        *keep = f;
        return rc;
    }
    fits_close_file(f, &st);
    return rc;
}

static int check_int_column(offbkg_ctx_t *ctx, const offbkg_table_t *t,
                            const char *name, const char *path)
{
    const offbkg_column_t *c = col(t, name);
    if (c == NULL)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no %s column", path,
                                name);
    if (c->type != OFFBKG_COL_INT)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: column %s is not an "
                                "integer column", path, name);
    return OFFBKG_OK;
}

static int check_string_column(offbkg_ctx_t *ctx, const offbkg_table_t *t,
                               const char *name, const char *path)
{
    const offbkg_column_t *c = col(t, name);
    if (c == NULL || c->type != OFFBKG_COL_STRING)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: no string column %s",
                                path, name);
    return OFFBKG_OK;
}

static int check_unique_ids(offbkg_ctx_t *ctx, const offbkg_datastore_t *s)
{
    const int64_t *id = col(&s->obs, "OBS_ID")->i64;
    size_t dups = 0, first = SIZE_MAX;

    for (size_t k = 1; k < s->obs.n_rows; k++)
        if (id[s->obs_by_id[k]] == id[s->obs_by_id[k - 1]]) {
            if (dups++ == 0)
                first = k;
        }
    if (dups == 0)
        return OFFBKG_OK;
    return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: OBS_ID %lld appears more "
                            "than once (rows %zu and %zu; %zu duplicate "
                            "row%s in all): a run must not be counted twice",
                            s->obs_index_path, (long long)id[s->obs_by_id[first]],
                            s->obs_by_id[first - 1] + 1,
                            s->obs_by_id[first] + 1, dups,
                            dups == 1 ? "" : "s");
}

static int open_store(offbkg_ctx_t *ctx, const offbkg_datastore_conf_t *conf,
                      offbkg_datastore_t *s)
{
    static const char *const obs_needed[] = { "OBS_ID", NULL };
    static const char *const obs_absent[] = { "HDU_TYPE", NULL };
    static const char *const hdu_needed[] = { "OBS_ID", "HDU_TYPE",
                                              "FILE_NAME", NULL };
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    int st = 0, rc;

    s->obs_index_path = index_path(conf->obs_index, conf->path, "obs-index");
    s->hdu_index_path = index_path(conf->hdu_index, conf->path, "hdu-index");
    if (s->obs_index_path == NULL || s->hdu_index_path == NULL
        || (s->base_dir = offbkg_path_dir(s->hdu_index_path)) == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");

    rc = read_index(ctx, s->obs_index_path, obs_needed, obs_absent,
                    "observation index", &mem, &s->obs, &f);
    if (rc == OFFBKG_OK) {
        offbkg_header_t hdr;
        offbkg_fitshdr_load(f, &hdr);
        s->mjdref_day = offbkg_fitshdr_mjdref(&hdr);
        s->timesys = offbkg_fitshdr_timesys(&hdr);
        offbkg_fitshdr_site(&hdr, &s->site_lon_deg, &s->site_lat_deg,
                            &s->site_height_m);
        if (keep_store_cards(s, &hdr) != 0 || keep_obs_cards(s, &hdr) != 0)
            rc = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        offbkg_fitshdr_free(&hdr);
        fits_close_file(f, &st);
        fits_clear_errmsg();
        if (rc == OFFBKG_OK)
            rc = check_int_column(ctx, &s->obs, "OBS_ID",
                                  s->obs_index_path);
    }
    if (rc == OFFBKG_OK)
        rc = read_index(ctx, s->hdu_index_path, hdu_needed, NULL,
                        "HDU index", &mem, &s->hdu, NULL);
    offbkg_fitsmem_free(&mem);
    if (rc != OFFBKG_OK)
        return rc;
    if ((rc = check_int_column(ctx, &s->hdu, "OBS_ID", s->hdu_index_path))
            != OFFBKG_OK
        || (rc = check_string_column(ctx, &s->hdu, "HDU_TYPE",
                                     s->hdu_index_path)) != OFFBKG_OK
        || (rc = check_string_column(ctx, &s->hdu, "FILE_NAME",
                                     s->hdu_index_path)) != OFFBKG_OK
        || (rc = check_string_column(ctx, &s->hdu, "HDU_NAME",
                                     s->hdu_index_path)) != OFFBKG_OK)
        return rc;
    const offbkg_column_t *dir = col(&s->hdu, "FILE_DIR");
    if (dir != NULL && dir->type != OFFBKG_COL_STRING)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: FILE_DIR is not a "
                                "string column", s->hdu_index_path);

    s->obs_by_id = sorted_rows(&s->obs);
    s->hdu_by_id = sorted_rows(&s->hdu);
    if (s->obs_by_id == NULL || s->hdu_by_id == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if ((rc = check_unique_ids(ctx, s)) != OFFBKG_OK)
        return rc;
    return apply_fallbacks(ctx, s);
}

int offbkg_datastore_open(offbkg_ctx_t *ctx,
                          const offbkg_datastore_conf_t *conf,
                          offbkg_datastore_t **out)
{
    offbkg_datastore_t *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (s == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    rc = open_store(ctx, conf, s);
    if (rc != OFFBKG_OK) {
        offbkg_datastore_free(s);
        return rc;
    }
    *out = s;
    return OFFBKG_OK;
}

void offbkg_datastore_free(offbkg_datastore_t *store)
{
    if (store == NULL)
        return;
    free(store->obs_index_path);
    free(store->hdu_index_path);
    free(store->base_dir);
    free(store->store_cards);
    free(store->obs_cards);
    offbkg_table_free(&store->obs);
    offbkg_table_free(&store->hdu);
    free(store->obs_by_id);
    free(store->hdu_by_id);
    free(store->hdu_files);
    free(store);
}
