/* SPDX-License-Identifier: BSD-3-Clause
 * The header of a run: the keywords of its EVENTS HDU (pointing, times,
 * time reference, site) and the sum of its GTI (doc/domain.md §1.4,
 * §1.5). */
#include <config.h>

#include <math.h>
#include <string.h>
#include <strings.h>

#include "error-private.h"
#include "run_header-private.h"
#include "table-private.h"

int offbkg_run_header_keys(offbkg_ctx_t *ctx, fitsfile *f,
                           const char *events_hdu, const char *what,
                           offbkg_run_header_t *h, offbkg_header_t *hdr)
{
    int st = 0;

    hdr->cards = NULL;
    hdr->n_cards = 0;
    if (fits_movnam_hdu(f, ANY_HDU, (char *)events_hdu, 0, &st) != 0)
        return offbkg_error_fits(ctx, st, "%s: no HDU named %s", what,
                                 events_hdu);
    if ((st = offbkg_fitshdr_load(f, hdr)) != 0)
        return offbkg_error_fits(ctx, st, "%s: HDU %s", what, events_hdu);
    h->ra_pnt_deg = offbkg_fitshdr_number(hdr, "RA_PNT");
    h->dec_pnt_deg = offbkg_fitshdr_number(hdr, "DEC_PNT");
    h->alt_pnt_deg = offbkg_fitshdr_number(hdr, "ALT_PNT");
    h->az_pnt_deg = offbkg_fitshdr_number(hdr, "AZ_PNT");
    h->ontime_s = offbkg_fitshdr_number(hdr, "ONTIME");
    h->livetime_s = offbkg_fitshdr_number(hdr, "LIVETIME");
    h->deadc = offbkg_fitshdr_number(hdr, "DEADC");
    h->tstart_s = offbkg_fitshdr_number(hdr, "TSTART");
    h->tstop_s = offbkg_fitshdr_number(hdr, "TSTOP");
    h->mjdref_day = offbkg_fitshdr_mjdref(hdr);
    h->timesys = offbkg_fitshdr_timesys(hdr);
    offbkg_fitshdr_site(hdr, &h->site_lon_deg, &h->site_lat_deg,
                        &h->site_height_m);
    h->ra_obj_deg = offbkg_fitshdr_number(hdr, "RA_OBJ");
    h->dec_obj_deg = offbkg_fitshdr_number(hdr, "DEC_OBJ");
    if (!offbkg_fitshdr_string(hdr, "OBJECT", h->object))
        h->object[0] = '\0';
    h->gti_sum_s = NAN;
    return OFFBKG_OK;
}

/* Move to the binary table named @p name: most often the HDU after the
 * current one (GTI after EVENTS), which saves cfitsio's walk through
 * every header from the first. */
static int move_to_table(fitsfile *f, const char *name)
{
    char extname[FLEN_VALUE];
    int st = 0, type;

    if (fits_movrel_hdu(f, 1, &type, &st) == 0 && type == BINARY_TBL
        && offbkg_table_key_string(f, "EXTNAME", extname)
        && strcasecmp(extname, name) == 0)
        return 0;
    st = 0;
    return fits_movnam_hdu(f, BINARY_TBL, (char *)name, 0, &st);
}

void offbkg_run_header_gti(fitsfile *f, const char *gti_hdu,
                           offbkg_run_header_t *h)
{
    int st = 0;

    /* The GTI, when the file has one: sum of STOP - START. */
    if (move_to_table(f, gti_hdu ? gti_hdu : "GTI") == 0) {
        int c_start, c_stop, anynul;
        LONGLONG n = 0;
        fits_get_colnum(f, CASEINSEN, "START", &c_start, &st);
        fits_get_colnum(f, CASEINSEN, "STOP", &c_stop, &st);
        fits_get_num_rowsll(f, &n, &st);
        double sum = 0;
        for (LONGLONG r = 1; st == 0 && r <= n; r++) {
            double a, b;
            fits_read_col(f, TDOUBLE, c_start, r, 1, 1, NULL, &a, &anynul,
                          &st);
            fits_read_col(f, TDOUBLE, c_stop, r, 1, 1, NULL, &b, &anynul,
                          &st);
            sum += b - a;
        }
        if (st == 0)
            h->gti_sum_s = sum;
    }
    fits_clear_errmsg();
}

int offbkg_run_header_read(offbkg_ctx_t *ctx, fitsfile *f,
                           const char *events_hdu, const char *gti_hdu,
                           const char *what, offbkg_run_header_t *h)
{
    offbkg_header_t hdr;
    int rc = offbkg_run_header_keys(ctx, f, events_hdu, what, h, &hdr);

    offbkg_fitshdr_free(&hdr);
    if (rc == OFFBKG_OK)
        offbkg_run_header_gti(f, gti_hdu, h);
    return rc;
}
