/* SPDX-License-Identifier: BSD-3-Clause
 * Reading a run's EVENTS HDU (DOMAIN.md §1.4, §7 items 10, 17, 18). */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events-private.h"
#include "input-private.h"
#include "output-private.h"

double offbkg_energy_unit_to_tev(const char *unit)
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

/* Column numbers of ENERGY, RA, DEC, TIME and the energy unit factor. */
static int find_columns(offbkg_ctx_t *ctx, fitsfile *f, const char *path,
                        int cols[4], double *to_tev)
{
    static const char *const names[4] = { "ENERGY", "RA", "DEC", "TIME" };
    char key[FLEN_KEYWORD], unit[FLEN_VALUE] = "";

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
    snprintf(key, sizeof key, "TUNIT%d", cols[0]);
    offbkg_fits_key_string(f, key, unit);
    *to_tev = offbkg_energy_unit_to_tev(unit);
    if (*to_tev == 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: unknown ENERGY unit "
                                "'%s' (expected TeV, GeV, MeV, keV or eV)",
                                path, unit);
    return OFFBKG_OK;
}

/* Read all rows in chunks of cfitsio's optimal size, keeping the good. */
static int read_rows(offbkg_ctx_t *ctx, fitsfile *f, const char *path,
                     const int cols[4], double to_tev, offbkg_events_t *ev)
{
    LONGLONG n_rows = 0;
    long chunk = 0;
    int st = 0, anynul;
    double nan = NAN;

    fits_get_num_rowsll(f, &n_rows, &st);
    fits_get_rowsize(f, &chunk, &st);
    if (st != 0)
        return offbkg_fits_error(ctx, st, "%s: EVENTS", path);
    ev->n_rows = (size_t)n_rows;
    int rc = reserve(ctx, ev, 1);   /* arrays never NULL, even when empty */
    if (rc != OFFBKG_OK)
        return rc;
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
            return offbkg_fits_error(ctx, st, "%s: reading events", path);
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
    fitsfile *f = NULL;
    int st = 0, cols[4], rc;
    double to_tev = 1;

    ev->n = ev->n_rows = ev->n_nonfinite = ev->n_bad_energy = 0;
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
    rc = offbkg_fits_open_input(ctx, ev->path, &f);
    if (rc != OFFBKG_OK)
        goto done;
    rc = offbkg_run_header_read(ctx, f, hdu, gti_hdu, ev->path, &ev->header);
    if (rc != OFFBKG_OK)
        goto done;
    if (fits_movnam_hdu(f, BINARY_TBL, hdu, 0, &st) != 0) {
        rc = offbkg_fits_error(ctx, st, "%s: no HDU %s", ev->path, hdu);
        goto done;
    }
    rc = find_columns(ctx, f, ev->path, cols, &to_tev);
    if (rc == OFFBKG_OK)
        rc = read_rows(ctx, f, ev->path, cols, to_tev, ev);
done:
    if (f != NULL) {
        st = 0;
        fits_close_file(f, &st);
    }
    fits_clear_errmsg();
    free(hdu);
    free(gti_path);
    free(gti_hdu);
    return rc;
}
