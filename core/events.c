/* SPDX-License-Identifier: BSD-3-Clause
 * Reading a run's EVENTS HDU (doc/domain.md §1.4, §7 items 10, 17, 18). */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events-private.h"
#include "input-private.h"
#include "output-private.h"

double offbkg_events_energy_unit_to_tev(const char *unit)
{
    static const struct { const char *name; double to_tev; } units[] = {
        { "", 1 }, { "TeV", 1 }, { "GeV", 1e-3 }, { "MeV", 1e-6 },
        { "keV", 1e-9 }, { "eV", 1e-12 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(unit, units[i].name) == 0)
            return units[i].to_tev;
    return 0;
}

void offbkg_events_free(offbkg_events_t *ev)
{
    free(ev->energy_tev);
    free(ev->ra_deg);
    free(ev->dec_deg);
    free(ev->time_s);
    free(ev->path);
    offbkg_fitsmem_free(&ev->mem);
    memset(ev, 0, sizeof *ev);
}

static int reserve(offbkg_ctx_t *ctx, offbkg_events_t *ev, size_t n)
{
    if (n <= ev->cap)
        return OFFBKG_OK;
    if (n < 2 * ev->cap)
        n = 2 * ev->cap;
    double **arrays[] = { &ev->energy_tev, &ev->ra_deg, &ev->dec_deg,
                          &ev->time_s };
    for (size_t i = 0; i < 4; i++) {
        double *p = realloc(*arrays[i], n * sizeof(double));
        if (p == NULL)
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory for "
                                    "%zu events", n);
        *arrays[i] = p;
    }
    ev->cap = n;
    return OFFBKG_OK;
}

/* The EVENTS HDU of a run file as it is read. */
typedef struct events_hdu {
    fitsfile *f;                  /* open at the HDU */
    offbkg_header_t hdr;          /* its cards */
    const char *path;
    const offbkg_fitsmem_t *mem;  /* the file's bytes; NULL: not in memory */
    int cols[4];                  /* ENERGY, RA, DEC, TIME */
    double to_tev;                /* from the ENERGY unit */
    double ra_to_deg, dec_to_deg; /* from the RA and DEC units */
} events_hdu_t;

/* The factor from angle unit @p unit to degrees ("" is deg, as GADF
 * says); 0 if it is not an angle we read. */
static double angle_unit_to_deg(const char *unit)
{
    if (unit[0] == '\0' || strcasecmp(unit, "deg") == 0
        || strcasecmp(unit, "degree") == 0 || strcasecmp(unit, "degrees") == 0)
        return 1;
    if (strcasecmp(unit, "rad") == 0 || strcasecmp(unit, "radian") == 0
        || strcasecmp(unit, "radians") == 0)
        return 180.0 / M_PI;
    return 0;
}

/* The TUNIT of column @p col ("" when there is none). */
static void column_unit(const events_hdu_t *eh, int col, char *unit)
{
    char key[FLEN_KEYWORD];

    unit[0] = '\0';
    snprintf(key, sizeof key, "TUNIT%d", col);
    offbkg_fitshdr_string(&eh->hdr, key, unit);
}

/* Column numbers of ENERGY, RA, DEC, TIME and the energy unit factor. */
static int find_columns(offbkg_ctx_t *ctx, events_hdu_t *eh)
{
    static const char *const names[4] = { "ENERGY", "RA", "DEC", "TIME" };
    char unit[FLEN_VALUE] = "";
    fitsfile *f = eh->f;
    const char *path = eh->path;
    int *cols = eh->cols;

    for (int i = 0; i < 4; i++) {
        int st = 0;
        if (fits_get_colnum(f, CASEINSEN, (char *)names[i], &cols[i], &st)
            != 0) {
            fits_clear_errmsg();
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: the EVENTS table "
                                    "has no %s column", path, names[i]);
        }
        /* cfitsio's own message for a text column is about ASCII tables. */
        int type = 0;
        long repeat, width;
        if (fits_get_coltype(f, cols[i], &type, &repeat, &width, &st) == 0
            && (type == TSTRING || type == TLOGICAL || type == TBIT))
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: the EVENTS "
                                    "column %s is not numeric", path,
                                    names[i]);
        fits_clear_errmsg();
    }
    /* Units are checked once per file: a column in other units than we
     * bin would give a wrong model without a word. */
    column_unit(eh, cols[0], unit);
    eh->to_tev = offbkg_events_energy_unit_to_tev(unit);
    if (eh->to_tev == 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: unknown ENERGY unit "
                                "'%s' (expected TeV, GeV, MeV, keV or eV)",
                                path, unit);
    double *to_deg[2] = { &eh->ra_to_deg, &eh->dec_to_deg };
    for (int i = 1; i <= 2; i++) {
        column_unit(eh, cols[i], unit);
        *to_deg[i - 1] = angle_unit_to_deg(unit);
        if (*to_deg[i - 1] == 0)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: unknown %s unit "
                                    "'%s' (expected deg or rad)", path,
                                    names[i], unit);
    }
    column_unit(eh, cols[3], unit);
    if (unit[0] != '\0' && strcmp(unit, "s") != 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: unknown TIME unit "
                                "'%s' (expected s)", path, unit);
    return OFFBKG_OK;
}

/* Where a column sits in each row of the table. */
typedef struct raw_col {
    size_t offset;   /* bytes from the start of the row */
    int is_double;   /* float64; else float32 */
} raw_col_t;

/* Bytes of one field of binary-table format @p tform; 0 when its values
 * are not in the row (variable-length arrays) or the format is unknown. */
static size_t field_bytes(const char *tform)
{
    int type, st = 0;
    long repeat, width;

    if (fits_binary_tform((char *)tform, &type, &repeat, &width, &st) != 0
        || type < 0 || repeat < 0)
        return 0;
    if (type == TBIT)
        return ((size_t)repeat + 7) / 8;
    if (type == TSTRING)
        return (size_t)repeat;
    return (size_t)repeat * (size_t)width;
}

/* Keyword @p key of @p hdr is absent, or the number @p want. A value
 * that is no number is left to cfitsio to judge. */
static bool absent_or(const offbkg_header_t *hdr, const char *key,
                      double want)
{
    char value[FLEN_VALUE];
    double v;

    return !offbkg_fitshdr_string(hdr, key, value)
           || (offbkg_fitshdr_value_number(value, &v) && v == want);
}

/* The layout of the four columns in the rows of the current table when
 * they can be decoded straight from memory: float32 or float64, one
 * value per row, no TSCAL or TZERO. -1 otherwise (cfitsio reads them). */
static int raw_layout(const events_hdu_t *eh, raw_col_t raw[4],
                      size_t *row_bytes)
{
    const offbkg_header_t *hdr = &eh->hdr;
    const int *cols = eh->cols;
    double naxis1 = 0;
    size_t offset = 0;
    int n_cols = 0, st = 0;

    fits_get_num_cols(eh->f, &n_cols, &st);
    if (st != 0 || n_cols < 1 || !offbkg_fitshdr_double(hdr, "NAXIS1", &naxis1)
        || !(naxis1 >= 1) || naxis1 != floor(naxis1))
        return -1;
    for (int c = 1; c <= n_cols; c++) {
        char key[FLEN_KEYWORD], tform[FLEN_VALUE];
        size_t bytes;
        snprintf(key, sizeof key, "TFORM%d", c);
        if (!offbkg_fitshdr_string(hdr, key, tform)
            || (bytes = field_bytes(tform)) == 0)
            return -1;
        for (int k = 0; k < 4; k++) {
            int type;
            long repeat, width;
            if (cols[k] != c)
                continue;
            fits_binary_tform(tform, &type, &repeat, &width, &st);
            if (st != 0 || repeat != 1 || (type != TFLOAT && type != TDOUBLE))
                return -1;
            snprintf(key, sizeof key, "TSCAL%d", c);
            if (!absent_or(hdr, key, 1))
                return -1;
            snprintf(key, sizeof key, "TZERO%d", c);
            if (!absent_or(hdr, key, 0))
                return -1;
            raw[k].offset = offset;
            raw[k].is_double = type == TDOUBLE;
        }
        offset += bytes;
    }
    fits_clear_errmsg();
    *row_bytes = offset;
    return offset == (size_t)naxis1 ? 0 : -1;
}

/* A big-endian float32 or float64 as a double (as cfitsio converts it). */
static inline double be_value(const unsigned char *p, int is_double)
{
    if (is_double) {
        uint64_t u;
        double d;
        memcpy(&u, p, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        u = __builtin_bswap64(u);
#endif
        memcpy(&d, &u, sizeof d);
        return d;
    }
    uint32_t u;
    float x;
    memcpy(&u, p, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    u = __builtin_bswap32(u);
#endif
    memcpy(&x, &u, sizeof x);
    return (double)x;
}

/* Decode the rows straight from the file's bytes in memory, keeping the
 * good: one pass, no copy through cfitsio's buffers. -1 when the table
 * is not laid out for it (nothing read). */
static int read_raw(offbkg_ctx_t *ctx, const events_hdu_t *eh,
                    offbkg_events_t *ev)
{
    const offbkg_fitsmem_t *mem = eh->mem;
    const double to_tev = eh->to_tev;
    LONGLONG head, start, end;
    raw_col_t raw[4];
    size_t row_bytes, n = ev->n_rows, k = 0;
    int st = 0;

    if (fits_get_hduaddrll(eh->f, &head, &start, &end, &st) != 0
        || raw_layout(eh, raw, &row_bytes) != 0 || start < 0
        || (size_t)start > mem->size
        || (n > 0 && (mem->size - (size_t)start) / n < row_bytes)) {
        fits_clear_errmsg();
        return -1;
    }
    /* n rows are in memory (checked above), so n is no damaged claim. */
    if (reserve(ctx, ev, n) != OFFBKG_OK)
        return -1;
    const unsigned char *row = (const unsigned char *)mem->buf + start;
    for (size_t i = 0; i < n; i++, row += row_bytes) {
        double e = be_value(row + raw[0].offset, raw[0].is_double);
        double ra = be_value(row + raw[1].offset, raw[1].is_double);
        double dec = be_value(row + raw[2].offset, raw[2].is_double);
        double t = be_value(row + raw[3].offset, raw[3].is_double);
        if (!isfinite(e) || !isfinite(ra) || !isfinite(dec)
            || !isfinite(t)) {
            ev->n_nonfinite++;
            continue;
        }
        if (e <= 0) {
            ev->n_bad_energy++;
            continue;
        }
        ev->energy_tev[k] = e * to_tev;
        ev->ra_deg[k] = ra;
        ev->dec_deg[k] = dec;
        ev->time_s[k] = t;
        k++;
    }
    ev->n = k;
    return 0;
}

/* RA and DEC of the kept events to degrees: a pass of its own, only for
 * files in other units, so the usual file costs nothing per event. */
static void angles_to_deg(const events_hdu_t *eh, offbkg_events_t *ev)
{
    if (eh->ra_to_deg != 1)
        for (size_t i = 0; i < ev->n; i++)
            ev->ra_deg[i] *= eh->ra_to_deg;
    if (eh->dec_to_deg != 1)
        for (size_t i = 0; i < ev->n; i++)
            ev->dec_deg[i] *= eh->dec_to_deg;
}

/* Read all rows in chunks of cfitsio's optimal size, keeping the good. */
static int read_rows(offbkg_ctx_t *ctx, const events_hdu_t *eh,
                     offbkg_events_t *ev)
{
    fitsfile *f = eh->f;
    const char *path = eh->path;
    const int *cols = eh->cols;
    const double to_tev = eh->to_tev;
    LONGLONG n_rows = 0;
    long chunk = 0;
    int st = 0, anynul;
    double nan = NAN;

    fits_get_num_rowsll(f, &n_rows, &st);
    fits_get_rowsize(f, &chunk, &st);
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s: EVENTS", path);
    ev->n_rows = (size_t)n_rows;
    int rc = reserve(ctx, ev, 1);   /* arrays never NULL, even when empty */
    if (rc != OFFBKG_OK)
        return rc;
    if (eh->mem != NULL && read_raw(ctx, eh, ev) == 0)
        return OFFBKG_OK;
    if (chunk < 1024)
        chunk = 1024;
    for (LONGLONG first = 1; first <= n_rows; first += chunk) {
        LONGLONG n = n_rows - first + 1 < chunk ? n_rows - first + 1 : chunk;
        /* Grown chunk by chunk, not from NAXIS2: a damaged header that
         * claims billions of rows fails at the end of the data instead of
         * asking for all that memory up front. */
        rc = reserve(ctx, ev, ev->n + (size_t)n);
        if (rc != OFFBKG_OK)
            return rc;
        /* Read straight into the tails of the arrays, then compact. */
        double *e = ev->energy_tev + ev->n, *ra = ev->ra_deg + ev->n;
        double *dec = ev->dec_deg + ev->n, *t = ev->time_s + ev->n;
        fits_read_col(f, TDOUBLE, cols[0], first, 1, n, &nan, e, &anynul, &st);
        fits_read_col(f, TDOUBLE, cols[1], first, 1, n, &nan, ra, &anynul, &st);
        fits_read_col(f, TDOUBLE, cols[2], first, 1, n, &nan, dec, &anynul,
                      &st);
        fits_read_col(f, TDOUBLE, cols[3], first, 1, n, &nan, t, &anynul, &st);
        if (st != 0)
            return offbkg_error_fits(ctx, st, "%s: reading events", path);
        size_t k = 0;
        for (LONGLONG i = 0; i < n; i++) {
            if (!isfinite(e[i]) || !isfinite(ra[i]) || !isfinite(dec[i])
                || !isfinite(t[i])) {
                ev->n_nonfinite++;
                continue;
            }
            if (e[i] <= 0) {
                ev->n_bad_energy++;
                continue;
            }
            e[k] = e[i] * to_tev;
            ra[k] = ra[i];
            dec[k] = dec[i];
            t[k] = t[i];
            k++;
        }
        ev->n += k;
    }
    return OFFBKG_OK;
}

int offbkg_events_read(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                       int64_t obs_id, offbkg_events_t *ev)
{
    char *hdu = NULL, *gti_path = NULL, *gti_hdu = NULL;
    size_t n_rows, n_gti;
    int st = 0, rc, type;

    ev->n = ev->n_rows = ev->n_nonfinite = ev->n_bad_energy = 0;
    ev->crc_known = false;
    free(ev->path);
    ev->path = NULL;
    rc = offbkg_datastore_locate(ctx, store, obs_id, "events", &ev->path, &hdu,
                                 &n_rows);
    if (rc != OFFBKG_OK)
        return rc;
    if (n_rows > 1)
        OFFBKG_WARN(ctx, "OBS_ID %" PRId64 ": %zu 'events' rows in the "
                    "hdu-index; using the first (%s)", obs_id, n_rows,
                    ev->path);
    /* The GTI named by the index, if it lives in the same file. */
    if (offbkg_datastore_locate(ctx, store, obs_id, "gti", &gti_path, &gti_hdu,
                                &n_gti) != OFFBKG_OK
        || strcmp(gti_path, ev->path) != 0) {
        free(gti_hdu);
        gti_hdu = NULL;
    }
    offbkg_error_clear(ctx);
    /* Only the EVENTS and GTI HDUs, from memory; cfitsio opens whatever
     * the in-memory reader does not handle. */
    const char *need[2] = { hdu, gti_hdu != NULL ? gti_hdu : "GTI" };
    events_hdu_t eh = { .path = ev->path };
    ev->mem.want_crc = ev->want_crc;
    rc = offbkg_input_open(ctx, ev->path, need, 2, &ev->mem, &eh.f);
    /* Unknown when cfitsio reads the file from disk. */
    ev->crc_known = rc == OFFBKG_OK && ev->mem.crc_known;
    ev->crc = ev->mem.crc;
    if (rc != OFFBKG_OK)
        goto done;
    eh.mem = ev->mem.size > 0 ? &ev->mem : NULL;
    /* Everything from the EVENTS HDU, then the GTI: cfitsio parses a
     * header again at each move. */
    rc = offbkg_run_header_keys(ctx, eh.f, hdu, ev->path, &ev->header,
                                &eh.hdr);
    if (rc == OFFBKG_OK && fits_get_hdu_type(eh.f, &type, &st) == 0
        && type != BINARY_TBL) {
        /* Named like it, but not a table: a later table of that name? */
        offbkg_fitshdr_free(&eh.hdr);
        if (fits_movnam_hdu(eh.f, BINARY_TBL, hdu, 0, &st) != 0)
            rc = offbkg_error_fits(ctx, st, "%s: no HDU %s", ev->path, hdu);
        else
            offbkg_fitshdr_load(eh.f, &eh.hdr);
    }
    if (rc == OFFBKG_OK)
        rc = find_columns(ctx, &eh);
    if (rc == OFFBKG_OK)
        rc = read_rows(ctx, &eh, ev);
    if (rc == OFFBKG_OK)
        angles_to_deg(&eh, ev);
    if (rc == OFFBKG_OK)
        offbkg_run_header_gti(eh.f, gti_hdu, &ev->header);
done:
    offbkg_fitshdr_free(&eh.hdr);
    if (eh.f != NULL) {
        st = 0;
        fits_close_file(eh.f, &st);
    }
    fits_clear_errmsg();
    free(hdu);
    free(gti_path);
    free(gti_hdu);
    return rc;
}
