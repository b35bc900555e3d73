/* SPDX-License-Identifier: BSD-3-Clause
 * The data store reader on small stores written here with cfitsio, one
 * per layout of doc/domain.md §1 (H.E.S.S. DR1, CTA 1DC, MAGIC, VERITAS) with
 * its quirks, the fallback chain of §1.6, bad stores, HDU lookup, the run
 * list (§2.2), grouping edge cases (§8.4) through the real group/zenith
 * plugin, and the real DR1 store when it is there ($OFFBKG_DR1).
 *
 * Reference values marked "astropy" were computed once with astropy 5.2
 * (ICRS -> Galactic; AltAz with pressure 0, IERS-B, at the mid-run time). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "diag-private.h"
#include "runconf-private.h"
#include "group-private.h"
#include "table-private.h"
#include "simstore.h"
#include "storegen.h"
#include "logcapture.h"

#define END_COLS { NULL, NULL, NULL, NULL, NULL }
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct fixture {
    offbkg_ctx_t *ctx;
    char dir[PATH_MAX];           /* the store's root, removed afterwards */
    log_capture_t log;            /* every log line */
    offbkg_datastore_conf_t conf; /* path = dir unless a test changes it */
    offbkg_datastore_t *store;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (f == NULL || (f->ctx = offbkg_ctx_new()) == NULL
        || sg_mkdtemp(f->dir) != 0) {
        if (f != NULL)
            offbkg_ctx_free(f->ctx);
        free(f);
        return -1;
    }
    offbkg_ctx_set_log_sink(f->ctx, log_capture, &f->log);
    offbkg_ctx_set_log_level(f->ctx, OFFBKG_LOG_DEBUG);
    f->conf.path = f->dir;
    f->conf.obs_index = "";
    f->conf.hdu_index = "";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    offbkg_datastore_free(f->store);
    simstore_conf_clear(&f->rc, &f->diags);
    simstore_free(f->ctx, f->dir);
    free(f);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("'%s' lacks '%s'", text, part);
}

static void assert_lacks(const char *text, const char *part)
{
    if (strstr(text, part) != NULL)
        fail_msg("'%s' should not contain '%s'", text, part);
}

static const offbkg_column_t *column(const fixture_t *f, const char *name)
{
    offbkg_obs_table_t v = offbkg_table_view(&f->store->obs);
    const offbkg_column_t *c = offbkg_obs_table_column(&v, name);
    if (c == NULL)
        fail_msg("the observation table has no column %s", name);
    return c;
}

/* Value of column @p name at the row of @p obs_id. */
static double value(const fixture_t *f, const char *name, int64_t obs_id)
{
    long row = offbkg_datastore_row(f->store, obs_id);
    if (row < 0)
        fail_msg("OBS_ID %lld is not in the store", (long long)obs_id);
    return offbkg_column_get_double(column(f, name), (size_t)row);
}

static int open_store(fixture_t *f)
{
    return offbkg_datastore_open(f->ctx, &f->conf, &f->store);
}

/* The store must fail to open with OFFBKG_EDATA and a message holding
 * each NULL-terminated fragment. */
static void expect_open_error(fixture_t *f, ...)
{
    const char *part;
    va_list ap;

    assert_int_equal(open_store(f), OFFBKG_EDATA);
    assert_null(f->store);
    va_start(ap, f);
    while ((part = va_arg(ap, const char *)) != NULL)
        assert_contains(offbkg_error_msg(f->ctx), part);
    va_end(ap);
}

/* Header cards built printf-style. */
typedef struct cards {
    char buf[48][FLEN_CARD];
    const char *p[49];
    size_t n;
} cards_t;

static void card(cards_t *c, const char *fmt, ...) OFFBKG_PRINTF(2, 3);
static void card(cards_t *c, const char *fmt, ...)
{
    va_list ap;

    assert_true(c->n < 48);
    va_start(ap, fmt);
    vsnprintf(c->buf[c->n], FLEN_CARD, fmt, ap);
    va_end(ap);
    c->p[c->n] = c->buf[c->n];
    c->p[++c->n] = NULL;
}

/* Load run.ini (@p text) from the store's root, with the plugins of
 * $OFFBKG_PLUGIN_PATH. */
static void load_conf(fixture_t *f, const char *text)
{
    simstore_load_conf(f->ctx, f->dir, text, &f->diags, &f->rc);
}

/* ------------------------------------------------------------------ */
/* H.E.S.S. DR1 layout: float32 angles, site as strings in the obs-index
 * header, ZEN_PNT and GLAT_PNT present, FILE_DIR 'data', gzip files,
 * lower-case HDU_NAME ('events', 'gti') against upper-case EXTNAMEs. */

static const double dr1_id[] = { 20136, 23523, 33787 };

static void write_dr1_like(const fixture_t *f)
{
    static const double ra[] = { 228.6125, 83.63333, 329.71667 };
    static const double dec[] = { -58.771667, 21.514444, -29.725555 };
    static const double glon[] = { 320.56754, 184.55754, 17.73 };
    static const double glat[] = { -0.8857012, -6.0516925, -52.188046 };
    static const double zen[] = { 38.512962, 48.61021, 50.42014 };
    static const double alt[] = { 51.487038, 41.38979, 39.57986 };
    static const double az[] = { 195.73102, 179.01, 110.2 };
    static const double ontime[] = { 1682, 1687, 1689 };
    static const double live[] = { 1521.0269, 1578.6, 1580.2 };
    static const double deadc[] = { 0.9042966, 0.93575, 0.93558 };
    static const double tstart[] = { 101962602, 123890826, 175897474 };
    static const double tstop[] = { 101964284, 123892513, 175899163 };
    static const char *const tag[] = { "msh1552", "crab", "pks2155_flare" };
    static const char *const tellist[] = { "1,2,3,4", "1,2,3,4", "1,2,3" };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, dr1_id, NULL },
        { "RA_PNT", "E", "deg", ra, NULL },
        { "DEC_PNT", "E", "deg", dec, NULL },
        { "GLON_PNT", "E", "deg", glon, NULL },
        { "GLAT_PNT", "E", "deg", glat, NULL },
        { "ZEN_PNT", "E", "deg", zen, NULL },
        { "ALT_PNT", "E", "deg", alt, NULL },
        { "AZ_PNT", "E", "deg", az, NULL },
        { "ONTIME", "E", "s", ontime, NULL },
        { "LIVETIME", "E", "s", live, NULL },
        { "DEADC", "E", NULL, deadc, NULL },
        { "TSTART", "D", "s", tstart, NULL },
        { "TSTOP", "D", "s", tstop, NULL },
        { "TELLIST", "7A", NULL, NULL, tellist },
        { "TARGET_TAG", "14A", NULL, NULL, tag },
        END_COLS,
    };
    static const char *const obs_cards[] = {
        "MJDREFI = 51910", "MJDREFF = 0.000742870370370241",
        "TIMEUNIT = 's'", "TIMESYS = 'TT'", "HDUCLASS = 'GADF'",
        "HDUCLAS1 = 'INDEX'", "HDUCLAS2 = 'OBS'",
        "GEOLON = '16.5002222222222'", "GEOLAT = '-23.2717777777778'",
        "ALTITUDE = '1835.'", NULL,
    };
    /* Two rows per run (events, gti) and a bkg row. */
    double hid[7], size[7];
    const char *type[7], *cls[7], *fdir[7], *fname[7], *hname[7];
    char names[3][40];
    for (size_t i = 0; i < 3; i++) {
        snprintf(names[i], sizeof names[i], "hess_dl3_dr1_obs_id_%06.0f"
                 ".fits.gz", dr1_id[i]);
        for (size_t k = 0; k < 2; k++) {
            size_t r = 2 * i + k;
            hid[r] = dr1_id[i];
            type[r] = k == 0 ? "events" : "gti";
            cls[r] = type[r];
            fdir[r] = "data";
            fname[r] = names[i];
            hname[r] = type[r];
            size[r] = 100000;
        }
    }
    hid[6] = dr1_id[0];
    type[6] = "bkg";
    cls[6] = "bkg_3d";
    fdir[6] = "data";
    fname[6] = names[0];
    hname[6] = "bkg";
    size[6] = 207360;
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, hid, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "HDU_CLASS", "9A", NULL, NULL, cls },
        { "FILE_DIR", "4A", NULL, NULL, fdir },
        { "FILE_NAME", "34A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, hname },
        { "SIZE", "K", NULL, size, NULL },
        END_COLS,
    };
    static const char *const hdu_cards[] = {
        "HDUCLASS = 'GADF'", "HDUCLAS1 = 'INDEX'", "HDUCLAS2 = 'HDU'", NULL,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 3, obs, obs_cards), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 7, hdu, hdu_cards), 0);
    assert_int_equal(sg_mkdirs(f->dir, "data"), 0);
    for (size_t i = 0; i < 3; i++) {
        cards_t c = { 0 };
        card(&c, "OBS_ID = %.0f", dr1_id[i]);
        card(&c, "HDUCLASS = 'GADF'");
        card(&c, "HDUCLAS1 = 'EVENTS'");
        card(&c, "TSTART = %.1f", tstart[i]);
        card(&c, "TSTOP = %.1f", tstop[i]);
        card(&c, "MJDREFI = 51910");
        card(&c, "MJDREFF = 0.000742870370370241");
        card(&c, "TIMESYS = 'TT'");
        card(&c, "ONTIME = %.1f", ontime[i]);
        card(&c, "LIVETIME = %.10g", live[i] + 0.25);
        card(&c, "DEADC = %.10g", deadc[i]);
        card(&c, "RA_PNT = %.10g", ra[i]);
        card(&c, "DEC_PNT = %.10g", dec[i]);
        card(&c, "ALT_PNT = %.10g", alt[i]);
        card(&c, "AZ_PNT = %.10g", az[i]);
        card(&c, "GEOLAT = -23.2717777777778");
        card(&c, "GEOLON = 16.5002222222222");
        card(&c, "ALTITUDE = 1835.");
        assert_int_equal(sg_event_file(sg_path(p, f->dir, "data/%s",
                                               names[i]),
                                       "EVENTS", c.p, "GTI", 1, &tstart[i],
                                       &tstop[i]), 0);
    }
}

static void test_datastore_dr1_like(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX], *path = NULL, *hdu = NULL;
    size_t n = 0;

    write_dr1_like(f);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_int_equal(f->store->obs.n_rows, 3);
    /* Index values are used as they are (float32 widened), no fallback. */
    assert_int_equal(column(f, "ZEN_PNT")->type, OFFBKG_COL_DOUBLE);
    assert_true(value(f, "ZEN_PNT", 23523) == (double)48.61021f);
    assert_true(value(f, "GLAT_PNT", 23523) == (double)-6.0516925f);
    assert_true(value(f, "LIVETIME", 33787) == (double)1580.2f);
    assert_true(value(f, "ONTIME", 20136) == 1682);
    assert_true(value(f, "RA_PNT", 33787) == (double)329.71667f);
    assert_lacks(f->log.text, "taken from");
    assert_lacks(f->log.text, "missing");
    assert_int_equal(column(f, "OBS_ID")->type, OFFBKG_COL_INT);
    assert_string_equal(column(f, "TARGET_TAG")->str[1], "crab");
    assert_string_equal(column(f, "TELLIST")->str[2], "1,2,3");
    /* The site and time reference of the obs-index header, strings too. */
    assert_true(f->store->site_lon_deg == 16.5002222222222);
    assert_true(f->store->site_lat_deg == -23.2717777777778);
    assert_true(f->store->site_height_m == 1835);
    assert_true(f->store->mjdref_day == 51910 + 0.000742870370370241);
    assert_int_equal(f->store->timesys, OFFBKG_TIMESYS_TT);
    assert_int_equal(offbkg_datastore_row(f->store, 33787), 2);
    assert_int_equal(offbkg_datastore_row(f->store, 33788), -1);

    /* FILE_DIR 'data' against the hdu-index directory; gzip events file
     * read through the lower-case HDU names. */
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 23523,
                                             "events", &path, &hdu, &n),
                     OFFBKG_OK);
    assert_string_equal(path, sg_path(want, f->dir, "data/hess_dl3_dr1_"
                                      "obs_id_023523.fits.gz"));
    assert_string_equal(hdu, "events");
    assert_int_equal(n, 1);

    fitsfile *ff = NULL;
    int st = 0;
    offbkg_run_header_t h;
    assert_int_equal(fits_open_file(&ff, path, READONLY, &st), 0);
    assert_int_equal(offbkg_run_header_read(f->ctx, ff, hdu, "gti", path,
                                            &h), OFFBKG_OK);
    fits_close_file(ff, &st);
    assert_near(h.livetime_s, 1578.6 + 0.25, 1e-9);
    assert_true(h.ontime_s == 1687);
    assert_true(h.gti_sum_s == 1687);
    assert_true(h.site_lon_deg == 16.5002222222222);
    assert_true(h.mjdref_day == 51910 + 0.000742870370370241);
    free(path);
    free(hdu);
}

/* ------------------------------------------------------------------ */
/* CTA 1DC layout: index files in index/gps/, FILE_DIR '../../data/...',
 * a shared IRF under caldb/, AZ_PNT int64, ZEN_PNT 0 / ALT_PNT 90
 * placeholders, extra columns, EVENTS without HDUCLASS, DATE_OBS, site
 * altitude in km. */

static void write_cta_like(const fixture_t *f)
{
    static const double id[] = { 110380, 111140 };
    static const double ra[] = { 267.0, 266.5 };
    static const double dec[] = { -29.5, -28.5 };
    static const double glon[] = { 359.05, 359.70 };
    static const double glat[] = { -0.30, 0.34 };
    static const double zen[] = { 0, 0 };
    static const double alt[] = { 90, 90 };
    static const double az[] = { 0, 0 };
    static const double ontime[] = { 1800, 1800 };
    static const double live[] = { 1764, 1764 };
    static const double deadc[] = { 0.98, 0.98 };
    static const double tstart[] = { 664502400, 664504200 };
    static const double tstop[] = { 664504200, 664506000 };
    static const double count[] = { 106220, 105940 };
    static const char *const evfile[] = {
        "../../data/baseline/gps/gps_baseline_110380.fits",
        "../../data/baseline/gps/gps_baseline_111140.fits",
    };
    static const char *const irf[] = { "South_z20_50h", "South_z20_50h" };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "GLON_PNT", "D", "deg", glon, NULL },
        { "GLAT_PNT", "D", "deg", glat, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "ALT_PNT", "D", "deg", alt, NULL },
        { "AZ_PNT", "K", "deg", az, NULL },
        { "ONTIME", "D", "s", ontime, NULL },
        { "LIVETIME", "D", "s", live, NULL },
        { "DEADC", "D", NULL, deadc, NULL },
        { "TSTART", "D", "s", tstart, NULL },
        { "TSTOP", "D", "s", tstop, NULL },
        { "IRF", "13A", NULL, NULL, irf },
        { "EVENTS_FILENAME", "48A", NULL, NULL, evfile },
        { "EVENT_COUNT", "K", NULL, count, NULL },
        END_COLS,
    };
    static const char *const obs_cards[] = {
        "MJDREFI = 51544", "MJDREFF = 0.5", "TIMESYS = 'TT'", NULL,
    };
    static const double hid[] = { 110380, 110380, 110380, 111140, 111140,
                                  111140 };
    static const char *const type[] = { "events", "gti", "aeff",
                                        "events", "gti", "aeff" };
    static const char *const cls[] = { "events", "gti", "aeff_2d",
                                       "events", "gti", "aeff_2d" };
    static const char *const fdir[] = {
        "../../data/baseline/gps", "../../data/baseline/gps",
        "../../caldb/data/cta/1dc/bcf/South_z20_50h",
        "../../data/baseline/gps", "../../data/baseline/gps",
        "../../caldb/data/cta/1dc/bcf/South_z20_50h",
    };
    static const char *const fname[] = {
        "gps_baseline_110380.fits", "gps_baseline_110380.fits",
        "irf_file.fits", "gps_baseline_111140.fits",
        "gps_baseline_111140.fits", "irf_file.fits",
    };
    static const char *const hname[] = { "EVENTS", "GTI", "EFFECTIVE AREA",
                                         "EVENTS", "GTI", "EFFECTIVE AREA" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, hid, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "HDU_CLASS", "10A", NULL, NULL, cls },
        { "FILE_DIR", "42A", NULL, NULL, fdir },
        { "FILE_NAME", "24A", NULL, NULL, fname },
        { "HDU_NAME", "14A", NULL, NULL, hname },
        END_COLS,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_mkdirs(f->dir, "index/gps"), 0);
    assert_int_equal(sg_mkdirs(f->dir, "data/baseline/gps"), 0);
    assert_int_equal(sg_mkdirs(f->dir, "caldb/data/cta/1dc/bcf/"
                               "South_z20_50h"), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "index/gps/"
                                           "obs-index.fits.gz"),
                                   "OBS_INDEX", 2, obs, obs_cards), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "index/gps/"
                                           "hdu-index.fits.gz"),
                                   "HDU_INDEX", 6, hdu, NULL), 0);
    for (size_t i = 0; i < 2; i++) {
        cards_t c = { 0 };
        card(&c, "OBS_ID = %.0f", id[i]);
        card(&c, "DATE_OBS = '2021-01-21'");
        card(&c, "TSTART = %.1f", tstart[i]);
        card(&c, "TSTOP = %.1f", tstop[i]);
        card(&c, "MJDREFI = 51544");
        card(&c, "MJDREFF = 0.5");
        card(&c, "TIMESYS = 'TT'");
        card(&c, "ONTIME = 1800.0");
        card(&c, "LIVETIME = 1764.0");
        card(&c, "DEADC = 0.98");
        card(&c, "RA_PNT = %.10g", ra[i]);
        card(&c, "DEC_PNT = %.10g", dec[i]);
        card(&c, "ALT_PNT = 90.0");
        card(&c, "AZ_PNT = 0.0");
        card(&c, "GEOLON = 79.4041");
        card(&c, "GEOLAT = -24.6272");
        card(&c, "ALTITUDE = 2.15");
        assert_int_equal(sg_event_file(sg_path(p, f->dir, "data/baseline/gps/"
                                               "%s", fname[3 * i]),
                                       "EVENTS", c.p, "GTI", 1, &tstart[i],
                                       &tstop[i]), 0);
    }
}

static void test_datastore_cta_like(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX], real[PATH_MAX], *path = NULL, *hdu = NULL;
    size_t n = 0;

    write_cta_like(f);
    load_conf(f, "[datastore]\npath = index/gps\n"
                 "[select]\nplugin = all\n[group]\nplugin = zenith\n");
    assert_string_equal(f->rc->datastore->path,
                        sg_path(want, f->dir, "index/gps"));
    assert_int_equal(offbkg_datastore_open(f->ctx, f->rc->datastore,
                                           &f->store), OFFBKG_OK);
    assert_int_equal(f->store->obs.n_rows, 2);
    /* The placeholder ZEN_PNT is taken as it is; AZ_PNT stays int64. */
    assert_true(value(f, "ZEN_PNT", 110380) == 0);
    assert_int_equal(column(f, "AZ_PNT")->type, OFFBKG_COL_INT);
    assert_int_equal(column(f, "AZ_PNT")->i64[1], 0);
    assert_int_equal(column(f, "EVENT_COUNT")->i64[1], 105940);
    assert_string_equal(column(f, "EVENTS_FILENAME")->str[0],
                        "../../data/baseline/gps/gps_baseline_110380.fits");
    assert_true(value(f, "LIVETIME", 111140) == 1764);
    assert_lacks(f->log.text, "taken from");
    assert_true(f->store->mjdref_day == 51544.5);
    assert_true(isnan(f->store->site_lon_deg));

    /* ../../ against the hdu-index directory, not the working one. */
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 111140,
                                             "events", &path, &hdu, &n),
                     OFFBKG_OK);
    assert_non_null(realpath(path, real));
    assert_string_equal(real, sg_path(want, f->dir, "data/baseline/gps/"
                                      "gps_baseline_111140.fits"));
    assert_string_equal(hdu, "EVENTS");

    /* An EVENTS header without HDUCLASS reads fine. */
    fitsfile *ff = NULL;
    int st = 0;
    offbkg_run_header_t h;
    assert_int_equal(fits_open_file(&ff, path, READONLY, &st), 0);
    assert_int_equal(offbkg_run_header_read(f->ctx, ff, hdu, NULL, path, &h),
                     OFFBKG_OK);
    fits_close_file(ff, &st);
    assert_true(h.livetime_s == 1764);
    assert_true(h.alt_pnt_deg == 90);
    assert_true(h.site_height_m == 2.15);
    assert_true(h.gti_sum_s == 1800);
    free(path);
    free(hdu);

    /* The IRF shared by all runs, under caldb/. */
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 110380,
                                             "aeff", &path, &hdu, &n),
                     OFFBKG_OK);
    assert_string_equal(path, sg_path(want, f->dir, "index/gps/../../caldb/"
                                      "data/cta/1dc/bcf/South_z20_50h/"
                                      "irf_file.fits"));
    assert_string_equal(hdu, "EFFECTIVE AREA");
    free(path);
    free(hdu);
}

/* ------------------------------------------------------------------ */
/* MAGIC layout: a minimal obs-index, an hdu-index that calls itself
 * OBS_INDEX/OBS, FILE_DIR './', plain .fits files, ALT_PNT, LIVETIME and
 * ONTIME only in the EVENTS headers. */

static void write_magic_like(const fixture_t *f)
{
    static const double id[] = { 5029747, 5029748 };
    static const double ra[] = { 83.98333, 84.21 };
    static const double dec[] = { 22.24389, 21.99 };
    static const double tstart[] = { 333853811.0, 333855052.0 };
    static const double tstop[] = { 333855011.0, 333856252.0 };
    static const double deadc[] = { 0.982, 0.986 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "TSTART", "D", "s", tstart, NULL },
        { "TSTOP", "D", "s", tstop, NULL },
        { "DEADC", "D", NULL, deadc, NULL },
        END_COLS,
    };
    static const double hid[] = { 5029747, 5029747, 5029748, 5029748 };
    static const char *const type[] = { "events", "gti", "events", "gti" };
    static const char *const fdir[] = { "./", "./", "./", "./" };
    static const char *const fname[] = {
        "20131004_05029747_DL3_CrabNebula-W0.40+035.fits",
        "20131004_05029747_DL3_CrabNebula-W0.40+035.fits",
        "20131004_05029748_DL3_CrabNebula-W0.40+215.fits",
        "20131004_05029748_DL3_CrabNebula-W0.40+215.fits",
    };
    static const char *const hname[] = { "EVENTS", "GTI", "EVENTS", "GTI" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, hid, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "HDU_CLASS", "6A", NULL, NULL, type },
        { "FILE_DIR", "2A", NULL, NULL, fdir },
        { "FILE_NAME", "48A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, hname },
        END_COLS,
    };
    /* Wrong on purpose, as in the real file. */
    static const char *const hdu_cards[] = {
        "HDUCLASS = 'GADF'", "HDUCLAS1 = 'INDEX'", "HDUCLAS2 = 'OBS'", NULL,
    };
    static const double alt[] = { 61.3, 58.9 };
    static const double live[] = { 1178.4, 1183.9 };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 2, obs, NULL), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "OBS_INDEX", 4, hdu, hdu_cards), 0);
    for (size_t i = 0; i < 2; i++) {
        cards_t c = { 0 };
        card(&c, "HDUCLASS = 'GADF'");
        card(&c, "HDUCLAS1 = 'EVENTS'");
        card(&c, "CREATOR = 'MAGIC_DL3'");
        card(&c, "OBS_ID = %.0f", id[i]);
        card(&c, "TSTART = %.1f", tstart[i]);
        card(&c, "TSTOP = %.1f", tstop[i]);
        card(&c, "MJDREFI = 52706");
        card(&c, "MJDREFF = 0.0");
        card(&c, "TIMESYS = 'UTC'");
        card(&c, "ONTIME = 1200.0");
        card(&c, "LIVETIME = %.10g", live[i]);
        card(&c, "DEADC = %.10g", deadc[i]);
        card(&c, "RA_PNT = %.10g", ra[i]);
        card(&c, "DEC_PNT = %.10g", dec[i]);
        card(&c, "ALT_PNT = %.10g", alt[i]);
        card(&c, "AZ_PNT = 80.1");
        card(&c, "GEOLON = -17.89");
        card(&c, "GEOLAT = 28.761944");
        card(&c, "ALTITUDE = 2231.28");
        assert_int_equal(sg_event_file(sg_path(p, f->dir, "%s",
                                               fname[2 * i]),
                                       "EVENTS", c.p, "GTI", 1, &tstart[i],
                                       &tstop[i]), 0);
    }
}

static void test_datastore_magic_like(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX], *path = NULL, *hdu = NULL;
    size_t n = 0;

    write_magic_like(f);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_int_equal(f->store->obs.n_rows, 2);
    /* Zenith, livetime and ontime from the EVENTS headers. */
    assert_true(value(f, "ZEN_PNT", 5029747) == 90.0 - 61.3);
    assert_true(value(f, "ZEN_PNT", 5029748) == 90.0 - 58.9);
    assert_true(value(f, "LIVETIME", 5029747) == 1178.4);
    assert_true(value(f, "LIVETIME", 5029748) == 1183.9);
    assert_true(value(f, "ONTIME", 5029748) == 1200);
    /* Galactic coordinates computed from RA/DEC_PNT (astropy). */
    assert_near(value(f, "GLAT_PNT", 5029747), -5.387539532825715, 1e-5);
    assert_near(value(f, "GLON_PNT", 5029747), 184.5368391773576, 1e-5);
    assert_near(value(f, "GLAT_PNT", 5029748), -5.34501064551105, 1e-5);
    /* Every fallback is logged. */
    assert_contains(f->log.text, "ZEN_PNT: 2 of 2 runs taken from the EVENTS "
                            "header: 90 - ALT_PNT");
    assert_contains(f->log.text, "LIVETIME: 2 of 2 runs taken from the EVENTS "
                            "header");
    assert_contains(f->log.text, "GLAT_PNT: 2 of 2 runs computed: from RA/DEC_PNT");

    /* FILE_DIR './' */
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 5029748,
                                             "events", &path, &hdu, &n),
                     OFFBKG_OK);
    assert_string_equal(path, sg_path(want, f->dir, "./20131004_05029748_"
                                      "DL3_CrabNebula-W0.40+215.fits"));
    free(path);
    free(hdu);
}

/* ------------------------------------------------------------------ */
/* VERITAS layout: empty FILE_DIR, MJDREFI written as a float, TIMESYS
 * 'utc', numeric site keys, no GLON/GLAT, ONTIME an integer column, and
 * plain (not gzip) index files. */

static void write_veritas_like(const fixture_t *f)
{
    static const double id[] = { 64080, 64081 };
    static const double ra[] = { 83.6333, 83.6333 };
    static const double dec[] = { 22.5145, 21.5145 };
    static const double zen[] = { 21.7, 22.3 };
    static const double alt[] = { 68.3, 67.7 };
    static const double az[] = { 171.0, 185.5 };
    static const double ontime[] = { 1202, 1201 };
    static const double live[] = { 1014.2, 1013.8 };
    static const double deadc[] = { 0.8437, 0.8441 };
    static const double tstart[] = { 412210000.0, 412211500.0 };
    static const double tstop[] = { 412211202.0, 412212701.0 };
    static const double ntels[] = { 4, 4 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "ALT_PNT", "D", "deg", alt, NULL },
        { "AZ_PNT", "D", "deg", az, NULL },
        { "ONTIME", "J", "s", ontime, NULL },
        { "LIVETIME", "D", "s", live, NULL },
        { "DEADC", "D", NULL, deadc, NULL },
        { "TSTART", "D", "s", tstart, NULL },
        { "TSTOP", "D", "s", tstop, NULL },
        { "N_TELS", "J", NULL, ntels, NULL },
        END_COLS,
    };
    static const char *const obs_cards[] = {
        "HDUVERS = '0.3'", "MJDREFI = 53402.0", "MJDREFF = 0.0",
        "TIMESYS = 'utc'", "GEOLON = -110.952408", "GEOLAT = 31.674951",
        "ALTITUDE = 1277.11", NULL,
    };
    static const double hid[] = { 64080, 64080, 64081, 64081 };
    static const char *const type[] = { "events", "gti", "events", "gti" };
    static const char *const fdir[] = { "", "", "", "" };
    static const char *const fname[] = { "64080.anasum.fits.gz",
                                         "64080.anasum.fits.gz",
                                         "64081.anasum.fits.gz",
                                         "64081.anasum.fits.gz" };
    static const char *const hname[] = { "EVENTS", "GTI", "EVENTS", "GTI" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, hid, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "HDU_CLASS", "6A", NULL, NULL, type },
        { "FILE_DIR", "1A", NULL, NULL, fdir },
        { "FILE_NAME", "20A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, hname },
        END_COLS,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits"),
                                   "OBS_INDEX", 2, obs, obs_cards), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits"),
                                   "HDU_INDEX", 4, hdu, NULL), 0);
}

static void test_datastore_veritas_like(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX], *path = NULL, *hdu = NULL;
    size_t n = 0;

    write_veritas_like(f);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_string_equal(f->store->obs_index_path,
                        sg_path(want, f->dir, "obs-index.fits"));
    assert_true(f->store->mjdref_day == 53402.0);
    assert_int_equal(f->store->timesys, OFFBKG_TIMESYS_UTC);
    assert_true(f->store->site_lon_deg == -110.952408);
    assert_true(f->store->site_height_m == 1277.11);
    /* The integer ONTIME column becomes a double column, same values. */
    assert_int_equal(column(f, "ONTIME")->type, OFFBKG_COL_DOUBLE);
    assert_true(value(f, "ONTIME", 64080) == 1202);
    assert_int_equal(column(f, "N_TELS")->type, OFFBKG_COL_INT);
    /* No GLON/GLAT columns: computed (astropy). */
    assert_near(value(f, "GLAT_PNT", 64080), -5.516372688814375, 1e-5);
    assert_near(value(f, "GLON_PNT", 64080), 184.13327729314068, 1e-5);
    assert_near(value(f, "GLAT_PNT", 64081), -6.051686052504281, 1e-5);
    assert_true(value(f, "ZEN_PNT", 64081) == 22.3);

    /* Empty FILE_DIR: the file sits next to the hdu-index. */
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 64081,
                                             "events", &path, &hdu, &n),
                     OFFBKG_OK);
    assert_string_equal(path, sg_path(want, f->dir, "64081.anasum.fits.gz"));
    free(path);
    free(hdu);
}

/* ------------------------------------------------------------------ */
/* Fallbacks: zenith computed from RA/DEC, time and site; livetime from
 * the GTI. The obs-index of these stores has no ZEN_PNT, ALT_PNT,
 * LIVETIME or ONTIME, as @p cols says. */

/* A store of @p n runs whose obs-index has @p obs and whose event files
 * ev_<id>.fits carry @p cards[i] and a GTI @p start[i], @p stop[i]
 * (@p n_gti rows each, at start[i * n_gti]). */
static void write_fallback_store(const fixture_t *f, size_t n,
                                 const double *id, const sg_col_t *obs,
                                 const char *const *obs_cards,
                                 cards_t *cards, size_t n_gti,
                                 const double *start, const double *stop)
{
    double hid[8];
    const char *type[8], *fname[8], *hname[8];
    char names[4][32], p[PATH_MAX];

    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "ev_%.0f.fits", id[i]);
        for (size_t k = 0; k < 2; k++) {
            hid[2 * i + k] = id[i];
            type[2 * i + k] = k == 0 ? "events" : "gti";
            fname[2 * i + k] = names[i];
            hname[2 * i + k] = k == 0 ? "EVENTS" : "gti";
        }
    }
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, hid, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "HDU_CLASS", "6A", NULL, NULL, type },
        { "FILE_NAME", "16A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, hname },
        END_COLS,
    };

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", n, obs, obs_cards), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 2 * n, hdu, NULL), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sg_event_file(sg_path(p, f->dir, "%s", names[i]),
                                       "EVENTS", cards[i].p, "GTI", n_gti,
                                       start + i * n_gti, stop + i * n_gti),
                         0);
}

/* Runs 33787 and 23523 of DR1: pointing, times, time reference. */
static const double noalt_id[] = { 33787, 23523 };
static const double noalt_ra[] = { 329.71667, 83.63333 };
static const double noalt_dec[] = { -29.725555, 21.514444 };
static const double noalt_start[] = { 175897474.0, 123890826.0 };
static const double noalt_stop[] = { 175899163.0, 123892513.0 };
/* astropy: 90 - AltAz alt at the mid-run time, H.E.S.S. site */
static const double noalt_zen[] = { 50.32652747887368, 48.0491914209558 };

/* EVENTS headers without ALT_PNT; the second run has a single MJDREF
 * keyword and TIMESYS in lower case. */
static void noalt_cards(cards_t *c, bool with_site)
{
    for (size_t i = 0; i < 2; i++) {
        card(&c[i], "OBS_ID = %.0f", noalt_id[i]);
        if (i == 0) {
            card(&c[i], "MJDREFI = 51910");
            card(&c[i], "MJDREFF = 0.000742870370370241");
            card(&c[i], "TIMESYS = 'TT'");
        } else {
            card(&c[i], "MJDREF = 51910.000742870370370241");
            card(&c[i], "TIMESYS = 'tt'");
        }
        card(&c[i], "ONTIME = %.1f", noalt_stop[i] - noalt_start[i]);
        card(&c[i], "LIVETIME = 1500.0");
        if (with_site) {
            card(&c[i], "GEOLON = 16.5002222222222");
            card(&c[i], "GEOLAT = -23.2717777777778");
            card(&c[i], "ALTITUDE = 1835.");
        }
    }
}

static void test_datastore_zenith_computed(void **state)
{
    fixture_t *f = *state;
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, noalt_id, NULL },
        { "RA_PNT", "E", "deg", noalt_ra, NULL },
        { "DEC_PNT", "E", "deg", noalt_dec, NULL },
        { "TSTART", "D", "s", noalt_start, NULL },
        { "TSTOP", "D", "s", noalt_stop, NULL },
        END_COLS,
    };
    cards_t c[2] = { 0 };

    noalt_cards(c, true);
    write_fallback_store(f, 2, noalt_id, obs, NULL, c, 1, noalt_start,
                         noalt_stop);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_near(value(f, "ZEN_PNT", 33787), noalt_zen[0], 0.1);
    assert_near(value(f, "ZEN_PNT", 23523), noalt_zen[1], 0.1);
    assert_contains(f->log.text, "ZEN_PNT: 2 of 2 runs computed: "
                            "from RA/DEC_PNT, mid-run time and site");
}

/* The site of the obs-index header (DR1 strings) when the EVENTS headers
 * have none. */
static void test_datastore_zenith_site_from_index(void **state)
{
    fixture_t *f = *state;
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, noalt_id, NULL },
        { "RA_PNT", "E", "deg", noalt_ra, NULL },
        { "DEC_PNT", "E", "deg", noalt_dec, NULL },
        { "TSTART", "D", "s", noalt_start, NULL },
        { "TSTOP", "D", "s", noalt_stop, NULL },
        END_COLS,
    };
    static const char *const obs_cards[] = {
        "GEOLON = '16.5002222222222'", "GEOLAT = '-23.2717777777778'",
        "ALTITUDE = '1835.'", NULL,
    };
    cards_t c[2] = { 0 };

    noalt_cards(c, false);
    write_fallback_store(f, 2, noalt_id, obs, obs_cards, c, 1, noalt_start,
                         noalt_stop);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_near(value(f, "ZEN_PNT", 33787), noalt_zen[0], 0.1);
    assert_near(value(f, "ZEN_PNT", 23523), noalt_zen[1], 0.1);
}

/* Without any site the zenith cannot be had: NaN, logged as missing. */
static void test_datastore_zenith_no_site(void **state)
{
    fixture_t *f = *state;
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, noalt_id, NULL },
        { "RA_PNT", "E", "deg", noalt_ra, NULL },
        { "DEC_PNT", "E", "deg", noalt_dec, NULL },
        { "TSTART", "D", "s", noalt_start, NULL },
        { "TSTOP", "D", "s", noalt_stop, NULL },
        END_COLS,
    };
    cards_t c[2] = { 0 };

    noalt_cards(c, false);
    write_fallback_store(f, 2, noalt_id, obs, NULL, c, 1, noalt_start,
                         noalt_stop);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_true(isnan(value(f, "ZEN_PNT", 33787)));
    assert_contains(f->log.text, "ZEN_PNT: 2 of 2 runs missing");
}

/* LIVETIME nowhere: GTI sum x DEADC (obs-index DEADC, else the header's);
 * ONTIME nowhere: GTI sum. No DEADC at all: LIVETIME is missing. */
static void test_datastore_livetime_from_gti(void **state)
{
    fixture_t *f = *state;
    static const double id[] = { 1, 2, 3 };
    static const double ra[] = { 10, 20, 30 };
    static const double dec[] = { -40, -45, -50 };
    static const double zen[] = { 20, 30, 40 };
    static const double deadc[] = { 0.9, NAN, NAN };
    /* two GTI rows per run: 600 s + 800 s = 1400 s */
    static const double start[] = { 1000, 1700, 5000, 5700, 9000, 9700 };
    static const double stop[] = { 1600, 2500, 5600, 6500, 9600, 10500 };
    static const double tstart[] = { 1000, 5000, 9000 };
    static const double tstop[] = { 2500, 6500, 10500 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "TSTART", "D", "s", tstart, NULL },
        { "TSTOP", "D", "s", tstop, NULL },
        { "DEADC", "E", NULL, deadc, NULL },
        END_COLS,
    };
    cards_t c[3] = { 0 };

    card(&c[0], "DEADC = 0.5");       /* the obs-index value wins */
    card(&c[1], "DEADC = 0.8");
    card(&c[2], "TIMESYS = 'TT'");
    write_fallback_store(f, 3, id, obs, NULL, c, 2, start, stop);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_near(value(f, "LIVETIME", 1), 1400 * (double)0.9f, 1e-9);
    assert_near(value(f, "LIVETIME", 2), 1400 * 0.8, 1e-9);
    assert_true(isnan(value(f, "LIVETIME", 3)));
    assert_true(value(f, "ONTIME", 1) == 1400);
    assert_true(value(f, "ONTIME", 3) == 1400);
    assert_contains(f->log.text, "LIVETIME: 2 of 3 runs taken from the GTI: "
                            "GTI sum x DEADC");
    assert_contains(f->log.text, "LIVETIME: 1 of 3 runs missing");
    assert_contains(f->log.text, "ONTIME: 3 of 3 runs taken from the GTI: "
                            "GTI sum");
}

/* Old column names and partial columns: GLAT/GLON (old gammapy) instead
 * of GLAT_PNT/GLON_PNT; ALT_PNT instead of ZEN_PNT, and ZEN_PNT NaN in
 * one row where ALT_PNT has the value. */
static void test_datastore_alternative_columns(void **state)
{
    fixture_t *f = *state;
    static const double id[] = { 7, 8 };
    static const double ra[] = { 83.6333, 83.6333 };
    static const double dec[] = { 22.5145, 21.5145 };
    static const double glon[] = { 184.1, 185.0 };
    static const double glat[] = { -5.5, -6.0 };
    static const double alt[] = { 61.25, 70.5 };
    static const double zen[] = { 28.75, NAN };
    static const double one[] = { 1000, 1000 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "GLON", "D", "deg", glon, NULL },
        { "GLAT", "D", "deg", glat, NULL },
        { "ALT_PNT", "D", "deg", alt, NULL },
        { "ONTIME", "D", "s", one, NULL },
        { "LIVETIME", "D", "s", one, NULL },
        { "TSTART", "D", "s", one, NULL },
        { "TSTOP", "D", "s", one, NULL },
        END_COLS,
    };
    const sg_col_t with_zen[] = {
        obs[0], obs[1], obs[2], obs[3], obs[4], obs[5],
        { "ZEN_PNT", "E", "deg", zen, NULL },
        obs[6], obs[7], obs[8], obs[9], END_COLS,
    };
    static const char *const type[] = { "events" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "FILE_NAME", "6A", NULL, NULL, type },
        { "HDU_NAME", "6A", NULL, NULL, type },
        END_COLS,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 2, obs, NULL), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 1, hdu, NULL), 0);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_true(value(f, "GLAT_PNT", 8) == -6.0);
    assert_true(value(f, "GLON_PNT", 7) == 184.1);
    assert_true(value(f, "ZEN_PNT", 7) == 90 - 61.25);
    assert_true(value(f, "ZEN_PNT", 8) == 90 - 70.5);
    assert_contains(f->log.text, "GLAT_PNT: 2 of 2 runs taken from another "
                            "obs-index column: GLAT");
    assert_contains(f->log.text, "ZEN_PNT: 2 of 2 runs taken from another "
                            "obs-index column: 90 - ALT_PNT");
    offbkg_datastore_free(f->store);
    f->store = NULL;

    f->log.len = 0;
    f->log.text[0] = '\0';
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 2, with_zen, NULL), 0);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_true(value(f, "ZEN_PNT", 7) == 28.75);
    assert_true(value(f, "ZEN_PNT", 8) == 90 - 70.5);
    assert_contains(f->log.text, "ZEN_PNT: 1 of 2 runs taken from another "
                            "obs-index column: 90 - ALT_PNT");
}

/* doc/domain.md §7 item 7: an events file that is missing, or lacks the HDU
 * the hdu-index names. The store opens; what the header would have given
 * is missing, with a warning naming the file. */
static void test_datastore_events_unreadable(void **state)
{
    fixture_t *f = *state;
    static const double id[] = { 1, 2 };
    static const double ra[] = { 10, 20 };
    static const double zen[] = { 20, 30 };
    static const double start[] = { 0, 0 };
    static const double stop[] = { 100, 100 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", ra, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "TSTART", "D", "s", start, NULL },
        { "TSTOP", "D", "s", stop, NULL },
        END_COLS,
    };
    static const char *const type[] = { "events", "events" };
    static const char *const fname[] = { "gone.fits", "ev.fits" };
    static const char *const hname[] = { "EVENTS", "EVENTZ" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "FILE_NAME", "9A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, hname },
        END_COLS,
    };
    static const char *const cards[] = { "LIVETIME = 90.0", NULL };
    char p[PATH_MAX], want[PATH_MAX + 128];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 2, obs, NULL), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 2, hdu, NULL), 0);
    assert_int_equal(sg_event_file(sg_path(p, f->dir, "ev.fits"), "EVENTS",
                                   cards, "GTI", 1, start, stop), 0);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_true(isnan(value(f, "LIVETIME", 1)));
    assert_true(isnan(value(f, "LIVETIME", 2)));
    assert_contains(f->log.text, "LIVETIME: 2 of 2 runs missing");
    snprintf(want, sizeof want, "WARN: OBS_ID 1: cannot read the EVENTS "
             "header for missing obs-index values: No such file: %s/gone.fits",
             f->dir);
    assert_contains(f->log.text, want);
    assert_contains(f->log.text, "WARN: OBS_ID 2: cannot read the EVENTS header");
    assert_contains(f->log.text, "ev.fits: no HDU named EVENTZ");
}

/* Index tables without rows open as an empty store (and free all their
 * memory: run under make check-valgrind). */
static void test_datastore_empty(void **state)
{
    fixture_t *f = *state;
    static const double none[] = { 0 };
    static const char *const no_str[] = { "" };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, none, NULL },
        { "RA_PNT", "D", "deg", none, NULL },
        { "DEC_PNT", "D", "deg", none, NULL },
        { "TARGET_TAG", "8A", NULL, NULL, no_str },
        END_COLS,
    };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, none, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, no_str },
        { "FILE_DIR", "6A", NULL, NULL, no_str },
        { "FILE_NAME", "6A", NULL, NULL, no_str },
        { "HDU_NAME", "6A", NULL, NULL, no_str },
        END_COLS,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 0, obs, NULL), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 0, hdu, NULL), 0);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_int_equal(f->store->obs.n_rows, 0);
    assert_int_equal(f->store->hdu.n_rows, 0);
    assert_int_equal(offbkg_datastore_row(f->store, 1), -1);
    assert_int_equal(column(f, "TARGET_TAG")->type, OFFBKG_COL_STRING);
}

/* ------------------------------------------------------------------ */
/* Bad stores                                                          */

static const double bad_id[] = { 1, 2, 3, 2 };
static const double bad_ra[] = { 10, 20, 30, 40 };
static const double bad_zen[] = { 10, 20, 30, 40 };

/* A valid hdu-index with an events row for runs 1-3. */
static void write_hdu_index(const fixture_t *f)
{
    static const char *const type[] = { "events", "events", "events" };
    static const char *const fdir[] = { "data", "data", "data" };
    static const char *const fname[] = { "a.fits", "b.fits", "c.fits" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, bad_id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "HDU_CLASS", "6A", NULL, NULL, type },
        { "FILE_DIR", "4A", NULL, NULL, fdir },
        { "FILE_NAME", "6A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, type },
        END_COLS,
    };
    char p[PATH_MAX];
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 3, hdu, NULL), 0);
}

/* An obs-index of @p n rows whose OBS_ID column has TFORM @p id_form
 * (NULL: no OBS_ID column). */
static void write_obs_index(const fixture_t *f, size_t n, const char *id_form)
{
    const sg_col_t all[] = {
        { "OBS_ID", id_form, NULL, bad_id, NULL },
        { "RA_PNT", "D", "deg", bad_ra, NULL },
        { "DEC_PNT", "D", "deg", bad_ra, NULL },
        { "ZEN_PNT", "D", "deg", bad_zen, NULL },
        { "ONTIME", "D", "s", bad_zen, NULL },
        { "LIVETIME", "D", "s", bad_zen, NULL },
        { "TSTART", "D", "s", bad_zen, NULL },
        { "TSTOP", "D", "s", bad_zen, NULL },
        END_COLS,
    };
    char p[PATH_MAX];
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", n, id_form ? all : all + 1,
                                   NULL), 0);
}

static void test_datastore_missing_obs_index(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];

    write_hdu_index(f);
    expect_open_error(f, sg_path(p, f->dir, "obs-index.fits.gz"),
                      "no observation index", (const char *)NULL);
}

static void test_datastore_missing_hdu_index(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];

    write_obs_index(f, 3, "K");
    expect_open_error(f, sg_path(p, f->dir, "hdu-index.fits.gz"),
                      "no HDU index", (const char *)NULL);
}

static void test_datastore_obs_index_without_obs_id(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];

    write_obs_index(f, 3, NULL);
    write_hdu_index(f);
    expect_open_error(f, sg_path(p, f->dir, "obs-index.fits.gz"), "OBS_ID",
                      (const char *)NULL);
}

static void test_datastore_duplicate_obs_id(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];

    write_obs_index(f, 4, "K");
    write_hdu_index(f);
    expect_open_error(f, sg_path(p, f->dir, "obs-index.fits.gz"),
                      "OBS_ID 2 appears more than once (rows 2 and 4",
                      (const char *)NULL);
}

static void test_datastore_obs_id_not_integer(void **state)
{
    fixture_t *f = *state;
    char p[PATH_MAX];

    write_obs_index(f, 3, "D");
    write_hdu_index(f);
    expect_open_error(f, sg_path(p, f->dir, "obs-index.fits.gz"),
                      "column OBS_ID is not an integer column",
                      (const char *)NULL);
}

static void test_datastore_hdu_index_without_hdu_name(void **state)
{
    fixture_t *f = *state;
    static const char *const type[] = { "events", "events", "events" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, bad_id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "FILE_NAME", "6A", NULL, NULL, type },
        END_COLS,
    };
    char p[PATH_MAX];

    write_obs_index(f, 3, "K");
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 3, hdu, NULL), 0);
    expect_open_error(f, p, "HDU_NAME", (const char *)NULL);
}

static void test_datastore_hdu_obs_id_not_integer(void **state)
{
    fixture_t *f = *state;
    static const char *const type[] = { "events", "events", "events" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "E", NULL, bad_id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "FILE_NAME", "6A", NULL, NULL, type },
        { "HDU_NAME", "6A", NULL, NULL, type },
        END_COLS,
    };
    char p[PATH_MAX];

    write_obs_index(f, 3, "K");
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 3, hdu, NULL), 0);
    expect_open_error(f, p, "OBS_ID is not an integer", (const char *)NULL);
}

/* ------------------------------------------------------------------ */
/* HDU lookup                                                          */

static void write_locate_store(const fixture_t *f, const char *abs_dir)
{
    static const double id[] = { 1, 2, 3, 4, 5 };
    static const double one[] = { 1, 1, 1, 1, 1 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", one, NULL },
        { "DEC_PNT", "D", "deg", one, NULL },
        { "ZEN_PNT", "D", "deg", one, NULL },
        { "ONTIME", "D", "s", one, NULL },
        { "LIVETIME", "D", "s", one, NULL },
        { "TSTART", "D", "s", one, NULL },
        { "TSTOP", "D", "s", one, NULL },
        END_COLS,
    };
    /* Run 4: two events rows (and a gti row between them); run 5: only
     * a gti row. Upper-case and blank-padded HDU_TYPEs match too. */
    static const double hid[] = { 1, 2, 3, 4, 4, 4, 5 };
    static const char *const type[] = { "events", "events", " EVENTS",
                                        "events", "gti", "Events", "gti" };
    const char *fdir[] = { "data", "", "./", abs_dir, "data", "data",
                           "data" };
    static const char *const fname[] = { "run1.fits", "run2.fits.gz",
                                         "run3.fits", "first.fits",
                                         "gti.fits", "second.fits",
                                         "run5.fits" };
    static const char *const hname[] = { "EVENTS", "EVENTS", "EVENTS",
                                         "EVENTS", "GTI", "EVENTS", "GTI" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, hid, NULL },
        { "HDU_TYPE", "7A", NULL, NULL, type },
        { "FILE_DIR", "200A", NULL, NULL, fdir },
        { "FILE_NAME", "12A", NULL, NULL, fname },
        { "HDU_NAME", "6A", NULL, NULL, hname },
        END_COLS,
    };
    char p[PATH_MAX];
    /* GADF's BASE_DIR is ignored, as gammapy 1.0 does (doc/domain.md §1.3). */
    static const char *const hdu_cards[] = { "BASE_DIR = '/nowhere'", NULL };

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 5, obs, NULL), 0);
    assert_int_equal(sg_mkdirs(f->dir, "index"), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "index/hdu.fits"),
                                   "HDU_INDEX", 7, hdu, hdu_cards), 0);
}

/* Locate @p type of @p id; its path must be @p want. */
static void expect_located(fixture_t *f, int64_t id, const char *type,
                           const char *want, size_t want_rows)
{
    char *path = NULL, *hdu = NULL;
    size_t n = 0;

    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, id, type,
                                             &path, &hdu, &n), OFFBKG_OK);
    assert_string_equal(path, want);
    assert_int_equal(n, want_rows);
    free(path);
    free(hdu);
}

static void test_datastore_locate(void **state)
{
    fixture_t *f = *state;
    char abs_dir[PATH_MAX], index[PATH_MAX], want[PATH_MAX];
    char *path = NULL, *hdu = NULL;
    size_t n = 99;

    /* The hdu-index lives in index/: FILE_DIR is relative to it. */
    sg_path(abs_dir, f->dir, "elsewhere/abs");
    f->conf.hdu_index = sg_path(index, f->dir, "index/hdu.fits");
    write_locate_store(f, abs_dir);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_string_equal(f->store->base_dir, sg_path(want, f->dir, "index"));

    expect_located(f, 1, "events", sg_path(want, f->dir, "index/data/"
                                           "run1.fits"), 1);
    expect_located(f, 2, "events", sg_path(want, f->dir, "index/"
                                           "run2.fits.gz"), 1);
    expect_located(f, 3, "events", sg_path(want, f->dir, "index/./"
                                           "run3.fits"), 1);
    expect_located(f, 4, "events", sg_path(want, f->dir, "elsewhere/abs/"
                                           "first.fits"), 2);
    expect_located(f, 4, "gti", sg_path(want, f->dir, "index/data/"
                                        "gti.fits"), 1);

    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 5, "events",
                                             &path, &hdu, &n), OFFBKG_EDATA);
    assert_int_equal(n, 0);
    assert_null(path);
    assert_contains(offbkg_error_msg(f->ctx), "OBS_ID 5 has no 'events' "
                                              "row in");
    assert_contains(offbkg_error_msg(f->ctx), index);
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 42, "events",
                                             &path, &hdu, &n), OFFBKG_EDATA);
    assert_contains(offbkg_error_msg(f->ctx), "OBS_ID 42");
}

/* ------------------------------------------------------------------ */
/* run.lis                                                             */

/* A store of runs 30, 10, 20, 40 (in that order). */
static void open_runlist_store(fixture_t *f)
{
    static const double id[] = { 30, 10, 20, 40 };
    static const double one[] = { 1, 1, 1, 1 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", one, NULL },
        { "DEC_PNT", "D", "deg", one, NULL },
        { "ZEN_PNT", "D", "deg", one, NULL },
        { "ONTIME", "D", "s", one, NULL },
        { "LIVETIME", "D", "s", one, NULL },
        { "TSTART", "D", "s", one, NULL },
        { "TSTOP", "D", "s", one, NULL },
        END_COLS,
    };
    static const char *const type[] = { "events" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "FILE_NAME", "6A", NULL, NULL, type },
        { "HDU_NAME", "6A", NULL, NULL, type },
        END_COLS,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits"),
                                   "OBS_INDEX", 4, obs, NULL), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits"),
                                   "HDU_INDEX", 1, hdu, NULL), 0);
    assert_int_equal(open_store(f), OFFBKG_OK);
}

/* Read run list @p text; returns the status, rows in @p rows/@p n. */
static int read_run_list(fixture_t *f, const char *text, size_t **rows,
                         size_t *n, char *path)
{
    assert_int_equal(sg_write_text(sg_path(path, f->dir, "run.lis"), text),
                     0);
    return offbkg_select_read(f->ctx, path, f->store, rows, n);
}

static void test_run_list_read(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX];
    size_t *rows = NULL, n = 0;

    open_runlist_store(f);
    assert_int_equal(read_run_list(f, "# runs for the OFF model\n"
                                      "OBS_ID\n"
                                      "\n"
                                      "40\n"
                                      "  10  \n"
                                      "# comment\n"
                                      "10\n"
                                      "99\n"
                                      "20\n",
                                   &rows, &n, path), OFFBKG_OK);
    /* Sorted by OBS_ID, 10 once, 99 skipped: rows of 10, 20, 40. */
    assert_int_equal(n, 3);
    assert_int_equal(rows[0], 1);
    assert_int_equal(rows[1], 2);
    assert_int_equal(rows[2], 3);
    assert_contains(f->log.text, "1 OBS_ID not in the data store, skipped "
                            "(first: 99)");
    assert_contains(f->log.text, "1 duplicate OBS_ID counted once");
    free(rows);
}

static void test_run_list_bad_line(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX], want[PATH_MAX + 32];
    size_t *rows = NULL, n = 7;

    open_runlist_store(f);
    assert_int_equal(read_run_list(f, "OBS_ID\n10\n\n1x2\n20\n", &rows, &n,
                                   path), OFFBKG_EDATA);
    assert_null(rows);
    assert_int_equal(n, 0);
    snprintf(want, sizeof want, "%s:4: '1x2' is not an OBS_ID", path);
    assert_string_equal(offbkg_error_msg(f->ctx), want);
}

static void test_run_list_no_header(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX], want[PATH_MAX + 32];
    size_t *rows = NULL, n = 0;

    open_runlist_store(f);
    assert_int_equal(read_run_list(f, "# list\n10\n20\n", &rows, &n, path),
                     OFFBKG_EDATA);
    snprintf(want, sizeof want, "%s:2: ", path);
    assert_contains(offbkg_error_msg(f->ctx), want);
    assert_contains(offbkg_error_msg(f->ctx), "header OBS_ID");
}

/* An empty file, or one of comments only, has no header: not a run list
 * (old gammapy's CSV reader refused it too), rather than zero runs. */
static void test_run_list_empty(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX];
    size_t *rows = NULL, n = 0;

    open_runlist_store(f);
    assert_int_equal(read_run_list(f, "", &rows, &n, path), OFFBKG_EDATA);
    assert_contains(offbkg_error_msg(f->ctx), path);
    assert_contains(offbkg_error_msg(f->ctx), "no header OBS_ID");
    assert_int_equal(read_run_list(f, "# nothing\n\n", &rows, &n, path),
                     OFFBKG_EDATA);
    assert_null(rows);
    /* The header alone is a valid, empty list. */
    assert_int_equal(read_run_list(f, "OBS_ID\n", &rows, &n, path),
                     OFFBKG_OK);
    assert_int_equal(n, 0);
    free(rows);
}

/* Lines of any length: a long comment is one line, and the line numbers
 * of later lines stay right. */
static void test_run_list_long_comment(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX], want[PATH_MAX + 32], text[2048] = "OBS_ID\n# ";
    size_t *rows = NULL, n = 0;

    open_runlist_store(f);
    for (int i = 0; i < 100; i++)
        strcat(text, "20136 ");          /* 600 characters */
    strcat(text, "\n40\n");
    assert_int_equal(read_run_list(f, text, &rows, &n, path), OFFBKG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0], 3);
    free(rows);

    strcat(text, "4O\n");
    assert_int_equal(read_run_list(f, text, &rows, &n, path), OFFBKG_EDATA);
    snprintf(want, sizeof want, "%s:4: '4O' is not an OBS_ID", path);
    assert_string_equal(offbkg_error_msg(f->ctx), want);
}

static void test_run_list_missing_file(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX];
    size_t *rows = NULL, n = 0;

    open_runlist_store(f);
    assert_int_equal(offbkg_select_read(f->ctx, sg_path(path, f->dir,
                                                        "none.lis"),
                                        f->store, &rows, &n),
                     OFFBKG_EDATA);
    assert_null(rows);
    assert_contains(offbkg_error_msg(f->ctx), path);
}

/* Written as "OBS_ID" then one ID per line; read back the same; never
 * replaced without overwrite. */
static void test_run_list_write_read(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX], text[256] = "";
    size_t kept[] = { 0, 2, 3 }, *rows = NULL, n = 0;
    offbkg_selection_t sel = { .n = 3, .rows = kept };
    FILE *fp;

    open_runlist_store(f);
    sg_path(path, f->dir, "run.lis");
    assert_int_equal(offbkg_select_write(f->ctx, path, false, f->store,
                                         &sel), OFFBKG_OK);
    assert_non_null(fp = fopen(path, "r"));
    assert_true(fread(text, 1, sizeof text - 1, fp) > 0);
    fclose(fp);
    assert_string_equal(text, "OBS_ID\n30\n20\n40\n");
    assert_int_equal(offbkg_select_read(f->ctx, path, f->store, &rows, &n),
                     OFFBKG_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0], 2);   /* 20 */
    assert_int_equal(rows[1], 0);   /* 30 */
    assert_int_equal(rows[2], 3);   /* 40 */
    free(rows);

    sel.n = 1;
    assert_int_equal(offbkg_select_write(f->ctx, path, false, f->store,
                                         &sel), OFFBKG_EEXIST);
    assert_non_null(fp = fopen(path, "r"));
    memset(text, 0, sizeof text);
    assert_true(fread(text, 1, sizeof text - 1, fp) > 0);
    fclose(fp);
    assert_string_equal(text, "OBS_ID\n30\n20\n40\n");
}

/* ------------------------------------------------------------------ */
/* Grouping edge cases (doc/domain.md §7 item 24, §8.4) through group/zenith */

/* Runs 1-6 with ZEN_PNT 0, 48.999, 49, 89.999, 90 and none at all (no
 * ZEN_PNT, no ALT_PNT, no events row to compute it from). */
static void open_zenith_store(fixture_t *f)
{
    static const double id[] = { 1, 2, 3, 4, 5, 6 };
    static const double zen[] = { 0, 48.999, 49.0, 89.999, 90.0, NAN };
    static const double one[] = { 1, 1, 1, 1, 1, 1 };
    static const double dec[] = { -60, -50, -40, -30, -20, -10 };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", one, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "ONTIME", "D", "s", one, NULL },
        { "LIVETIME", "D", "s", one, NULL },
        { "TSTART", "D", "s", one, NULL },
        { "TSTOP", "D", "s", one, NULL },
        END_COLS,
    };
    static const char *const type[] = { "events", "events", "events",
                                        "events", "events" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, type },
        { "FILE_NAME", "6A", NULL, NULL, type },
        { "HDU_NAME", "6A", NULL, NULL, type },
        END_COLS,
    };
    char p[PATH_MAX];

    assert_int_equal(sg_table_file(sg_path(p, f->dir, "obs-index.fits.gz"),
                                   "OBS_INDEX", 6, obs, NULL), 0);
    assert_int_equal(sg_table_file(sg_path(p, f->dir, "hdu-index.fits.gz"),
                                   "HDU_INDEX", 5, hdu, NULL), 0);
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_true(isnan(value(f, "ZEN_PNT", 6)));
}

static const char zenith_ini[] =
    "[datastore]\npath = .\n[output]\ndir = out\n"
    "[select]\nplugin = all\n[group]\nplugin = zenith\n";

static void test_group_zenith_edges(void **state)
{
    fixture_t *f = *state;
    /* In reverse: the output is sorted by GROUP_ID, then OBS_ID. */
    static const size_t rows[] = { 5, 4, 3, 2, 1, 0 };
    offbkg_grouping_t g;

    open_zenith_store(f);
    load_conf(f, zenith_ini);
    assert_int_equal(offbkg_group_run(f->ctx, f->rc, f->store, rows, 6, &g),
                     OFFBKG_OK);
    assert_int_equal(g.n_groups, 2);
    assert_int_equal(g.n_axes, 1);
    assert_string_equal(g.axes[0].column, "ZEN_PNT");
    assert_int_equal(g.obs.n_rows, 4);
    static const int64_t want_gid[] = { 0, 0, 1, 1 };
    static const int64_t want_id[] = { 1, 2, 3, 4 };
    offbkg_obs_table_t v = offbkg_table_view(&g.obs);
    const offbkg_column_t *ids = offbkg_obs_table_column(&v, "OBS_ID");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(g.group_id[i], want_gid[i]);
        assert_int_equal(ids->i64[i], want_id[i]);
        assert_int_equal(g.store_rows[i], want_id[i] - 1);
    }
    assert_int_equal(g.runs_per_group[0], 2);
    assert_int_equal(g.runs_per_group[1], 2);
    /* 90 and NaN are in no group, each with its reason. */
    assert_int_equal(g.dropped.n_dropped, 2);
    for (size_t i = 0; i < 2; i++) {
        if (g.dropped.dropped_ids[i] == 5)
            assert_string_equal(g.dropped.dropped_why[i],
                                "ZEN_PNT outside every zenith bin");
        else if (g.dropped.dropped_ids[i] == 6)
            assert_string_equal(g.dropped.dropped_why[i],
                                "ZEN_PNT is missing (NaN)");
        else
            fail_msg("OBS_ID %lld dropped",
                     (long long)g.dropped.dropped_ids[i]);
    }
    offbkg_group_clear(&g);
}

/* Column names of the table HDU @p ext of @p path, comma-separated. */
static void column_names(const char *path, const char *ext, char *out,
                         size_t n)
{
    char name[PATH_MAX + 32];
    fitsfile *ff = NULL;
    int st = 0, n_cols = 0;

    snprintf(name, sizeof name, "%s[%s]", path, ext);
    assert_int_equal(fits_open_table(&ff, name, READONLY, &st), 0);
    fits_get_num_cols(ff, &n_cols, &st);
    out[0] = '\0';
    for (int c = 1; c <= n_cols; c++) {
        char key[FLEN_KEYWORD], v[FLEN_VALUE];
        snprintf(key, sizeof key, "TTYPE%d", c);
        fits_read_key(ff, TSTRING, key, v, NULL, &st);
        snprintf(out + strlen(out), n - strlen(out), "%s%s", c > 1 ? "," : "",
                 v);
    }
    fits_close_file(ff, &st);
    assert_int_equal(st, 0);
}

/* obs.fits: GROUP_ID first, then every obs-index column, rows by
 * GROUP_ID then OBS_ID. group-def.fits: the two zenith bins and the
 * axis keywords. */
static void test_group_write_files(void **state)
{
    fixture_t *f = *state;
    static const size_t rows[] = { 3, 0, 2, 1, 4, 5 };
    char obs[PATH_MAX], def[PATH_MAX], names[512], v[FLEN_VALUE];
    offbkg_grouping_t g;
    fitsfile *ff = NULL;
    int st = 0, any;

    open_zenith_store(f);
    load_conf(f, zenith_ini);
    assert_int_equal(offbkg_group_run(f->ctx, f->rc, f->store, rows, 6, &g),
                     OFFBKG_OK);
    sg_path(obs, f->dir, "obs.fits");
    sg_path(def, f->dir, "group-def.fits");
    assert_int_equal(offbkg_group_write(f->ctx, &g, f->store, obs, def, false,
                                        "zenith 1.0.0"), OFFBKG_OK);
    offbkg_group_clear(&g);

    /* The store's columns (GLON/GLAT_PNT were derived), GROUP_ID first. */
    column_names(obs, "OBS_INDEX", names, sizeof names);
    assert_string_equal(names, "GROUP_ID,OBS_ID,RA_PNT,DEC_PNT,ZEN_PNT,"
                               "ONTIME,LIVETIME,TSTART,TSTOP,GLON_PNT,"
                               "GLAT_PNT");
    int64_t gid[4], id[4];
    assert_int_equal(fits_open_table(&ff, obs, READONLY, &st), 0);
    fits_read_col(ff, TLONGLONG, 1, 1, 1, 4, NULL, gid, &any, &st);
    fits_read_col(ff, TLONGLONG, 2, 1, 1, 4, NULL, id, &any, &st);
    LONGLONG n_rows = 0;
    fits_get_num_rowsll(ff, &n_rows, &st);
    fits_close_file(ff, &st);
    assert_int_equal(st, 0);
    assert_int_equal(n_rows, 4);
    for (int64_t i = 0; i < 4; i++) {
        assert_int_equal(gid[i], i / 2);
        assert_int_equal(id[i], i + 1);
    }

    column_names(def, "GROUP_DEF", names, sizeof names);
    assert_string_equal(names, "GROUP_ID,ZEN_PNT_MIN,ZEN_PNT_MAX");
    double lo[2], hi[2];
    long nbins = 0, naxes = 0;
    assert_int_equal(fits_open_table(&ff, def, READONLY, &st), 0);
    fits_read_col(ff, TLONGLONG, 1, 1, 1, 2, NULL, gid, &any, &st);
    fits_read_col(ff, TDOUBLE, 2, 1, 1, 2, NULL, lo, &any, &st);
    fits_read_col(ff, TDOUBLE, 3, 1, 1, 2, NULL, hi, &any, &st);
    fits_read_key(ff, TLONG, "GRPNAXES", &naxes, NULL, &st);
    fits_read_key(ff, TLONG, "GRPNBN1", &nbins, NULL, &st);
    assert_int_equal(st, 0);
    assert_int_equal(gid[0], 0);
    assert_int_equal(gid[1], 1);
    assert_true(lo[0] == 0 && hi[0] == 49 && lo[1] == 49 && hi[1] == 90);
    assert_int_equal(naxes, 1);
    assert_int_equal(nbins, 2);
    fits_read_key(ff, TSTRING, "GRPCOL1", v, NULL, &st);
    assert_string_equal(v, "ZEN_PNT");
    fits_read_key(ff, TSTRING, "GRPKND1", v, NULL, &st);
    assert_string_equal(v, "EDGES");
    fits_read_key(ff, TSTRING, "GRPBND1", v, NULL, &st);
    assert_string_equal(v, "0,49,90");
    fits_close_file(ff, &st);
    assert_int_equal(st, 0);

    /* Not replaced without overwrite. */
    assert_int_equal(offbkg_group_run(f->ctx, f->rc, f->store, rows, 6, &g),
                     OFFBKG_OK);
    assert_int_equal(offbkg_group_write(f->ctx, &g, f->store, obs, def, false,
                                        "zenith 1.0.0"), OFFBKG_EEXIST);
    offbkg_group_clear(&g);
}

/* Two axes: one row per group, the last axis fastest (doc/domain.md §2.4),
 * <COL>_MIN/_MAX for edges and <COL> for values, and GRP* keywords. */
static void test_group_def_two_axes(void **state)
{
    fixture_t *f = *state;
    double zen[] = { 0, 20, 40, 60 }, tels[] = { 3, 4 };
    char zen_name[] = "ZEN_PNT", tel_name[] = "N_TELS", deg[] = "deg";
    char empty[] = "";
    offbkg_gaxis_t axes[] = {
        { zen_name, OFFBKG_GROUP_AXIS_EDGES, 3, zen, deg },
        { tel_name, OFFBKG_GROUP_AXIS_VALUES, 2, tels, empty },
    };
    int64_t no_rows = 0;
    offbkg_grouping_t g = { .n_groups = 6, .n_axes = 2, .axes = axes,
                            .group_id = &no_rows };
    char obs[PATH_MAX], def[PATH_MAX], names[256], v[FLEN_VALUE];
    double lo[6], hi[6], nt[6];
    int64_t gid[6];
    long naxes = 0;
    fitsfile *ff = NULL;
    int st = 0, any;

    sg_path(obs, f->dir, "obs.fits");
    sg_path(def, f->dir, "group-def.fits");
    assert_int_equal(offbkg_group_write(f->ctx, &g, f->store, obs, def, false,
                                        "bins 0.0.0"), OFFBKG_OK);
    column_names(def, "GROUP_DEF", names, sizeof names);
    assert_string_equal(names, "GROUP_ID,ZEN_PNT_MIN,ZEN_PNT_MAX,N_TELS");
    assert_int_equal(fits_open_table(&ff, def, READONLY, &st), 0);
    fits_read_col(ff, TLONGLONG, 1, 1, 1, 6, NULL, gid, &any, &st);
    fits_read_col(ff, TDOUBLE, 2, 1, 1, 6, NULL, lo, &any, &st);
    fits_read_col(ff, TDOUBLE, 3, 1, 1, 6, NULL, hi, &any, &st);
    fits_read_col(ff, TDOUBLE, 4, 1, 1, 6, NULL, nt, &any, &st);
    fits_read_key(ff, TLONG, "GRPNAXES", &naxes, NULL, &st);
    assert_int_equal(st, 0);
    assert_int_equal(naxes, 2);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(gid[i], i);
        assert_true(lo[i] == zen[i / 2] && hi[i] == zen[i / 2 + 1]);
        assert_true(nt[i] == tels[i % 2]);
    }
    fits_read_key(ff, TSTRING, "GRPKND2", v, NULL, &st);
    assert_string_equal(v, "VALUES");
    fits_read_key(ff, TSTRING, "GRPBND2", v, NULL, &st);
    assert_string_equal(v, "3,4");
    fits_read_key(ff, TSTRING, "GRPBND1", v, NULL, &st);
    assert_string_equal(v, "0,20,40,60");
    fits_close_file(ff, &st);
    assert_int_equal(st, 0);
}

/* ------------------------------------------------------------------ */
/* The real H.E.S.S. DR1 store, when present                           */

static const char *dr1_path(void)
{
    static char p[PATH_MAX];
    const char *dir = getenv("OFFBKG_DR1");
    if (dir == NULL || dir[0] == '\0')
        return NULL;
    snprintf(p, sizeof p, "%s/obs-index.fits.gz", dir);
    return access(p, R_OK) == 0 ? dir : NULL;
}

static void test_datastore_dr1(void **state)
{
    fixture_t *f = *state;
    const char *dir = dr1_path();
    size_t n_off = 0, n_low = 0;
    char *path = NULL, *hdu = NULL;
    size_t n = 0;

    assert_non_null(dir);   /* main() runs this test only then */
    f->conf.path = dir;
    assert_int_equal(open_store(f), OFFBKG_OK);
    assert_int_equal(f->store->obs.n_rows, 105);
    assert_int_equal(f->store->obs.n_cols, 31);
    assert_lacks(f->log.text, "taken from");
    assert_true(f->store->site_lon_deg == 16.5002222222222);
    assert_true(f->store->site_lat_deg == -23.2717777777778);
    assert_true(f->store->site_height_m == 1835);
    const offbkg_column_t *zen = column(f, "ZEN_PNT");
    const offbkg_column_t *alt = column(f, "ALT_PNT");
    const offbkg_column_t *glat = column(f, "GLAT_PNT");
    for (size_t r = 0; r < 105; r++) {
        assert_near(zen->f64[r], 90 - alt->f64[r], 1e-4);
        n_off += fabs(glat->f64[r]) > 5;
        n_low += zen->f64[r] < 49;
    }
    /* doc/domain.md §2.3 and §6.1 */
    assert_int_equal(n_off, 68);
    assert_int_equal(n_low, 99);

    /* A run's events through the hdu-index: gzip, lower-case HDU names;
     * the GTI spans exactly ONTIME (doc/domain.md §1.4). */
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->store, 23523,
                                             "events", &path, &hdu, &n),
                     OFFBKG_OK);
    assert_int_equal(n, 1);
    assert_contains(path, "/data/hess_dl3_dr1_obs_id_023523.fits.gz");
    fitsfile *ff = NULL;
    int st = 0;
    offbkg_run_header_t h;
    assert_int_equal(fits_open_file(&ff, path, READONLY, &st), 0);
    assert_int_equal(offbkg_run_header_read(f->ctx, ff, hdu, "gti", path,
                                            &h), OFFBKG_OK);
    fits_close_file(ff, &st);
    assert_true(h.gti_sum_s == h.ontime_s);
    assert_near(h.livetime_s, value(f, "LIVETIME", 23523), 1e-3);
    assert_near(90 - h.alt_pnt_deg, value(f, "ZEN_PNT", 23523), 1e-4);
    free(path);
    free(hdu);
}

/* The header read once (offbkg_header_*) gives what cfitsio's keyword
 * reads give (offbkg_fits_key_*), card by card, odd ones included. */
static void test_header_snapshot_as_cfitsio(void **state)
{
    fixture_t *f = *state;
    static const double x[] = { 1 };
    static const sg_col_t cols[] = { { "X", "D", NULL, x, NULL },
                                     { NULL, NULL, NULL, NULL, NULL } };
    static const char *const records[] = {
        "TIMESYS = 'TT      '           / padded string",
        "OBJECT  = 'O''Hara'            / quote inside",
        "BLANKS  = '   x  '",
        "EMPTY   = ''",
        "ONTIME  =                1754. / no digits after the point",
        "DEADC   =     -1.5E-3",
        "GEOLON  = '16.5002'            / a number as a string",
        "MJDREFI =                51910",
        "FLAG    =                    T",
        "UNDEF   =                      / no value",
        "NOEQUALS  some text, not a value",
        "FORTRAN =               1.5D2 / D exponent",
        "TWICE   =                    1",
        "TWICE   =                    2",
        NULL,
    };
    static const char *const keys[] = {
        "TIMESYS", "OBJECT", "BLANKS", "EMPTY", "ONTIME", "DEADC", "GEOLON",
        "MJDREFI", "FLAG", "UNDEF", "NOEQUALS", "FORTRAN", "NAXIS1", "TFORM1", "TTYPE1", "absent", "geolon", NULL,
    };
    char path[PATH_MAX];
    fitsfile *ff;
    offbkg_header_t hdr;
    int st = 0;

    sg_path(path, f->dir, "keys.fits");
    ff = sg_create(path);
    assert_non_null(ff);
    assert_int_equal(sg_table(ff, "EVENTS", 1, cols, NULL), 0);
    for (size_t i = 0; records[i] != NULL; i++)
        fits_write_record(ff, records[i], &st);
    assert_int_equal(st, 0);
    assert_int_equal(sg_close(ff), 0);

    fits_open_file(&ff, path, READONLY, &st);
    fits_movnam_hdu(ff, BINARY_TBL, "EVENTS", 0, &st);
    assert_int_equal(st, 0);
    assert_int_equal(offbkg_fitshdr_load(ff, &hdr), 0);
    for (size_t i = 0; keys[i] != NULL; i++) {
        char want[FLEN_VALUE] = "", got[FLEN_VALUE] = "";
        double dwant = 0, dgot = 0;
        bool has = offbkg_table_key_string(ff, keys[i], want);
        if (offbkg_fitshdr_string(&hdr, keys[i], got) != has
            || strcmp(got, want) != 0)
            fail_msg("%s: '%s' (%d), cfitsio '%s' (%d)", keys[i], got,
                     !has, want, has);
        has = offbkg_table_key_double(ff, keys[i], &dwant);
        assert_true(offbkg_fitshdr_double(&hdr, keys[i], &dgot) == has);
        if (has && dgot != dwant)
            fail_msg("%s: %g, cfitsio %g", keys[i], dgot, dwant);
    }
    /* A keyword given twice (which FITS forbids): the first, where
     * cfitsio's answer depends on the card it read last. */
    double v = 0;
    assert_true(offbkg_fitshdr_double(&hdr, "TWICE", &v) && v == 1);
    offbkg_fitshdr_free(&hdr);
    fits_close_file(ff, &st);
}

/* Rows by key, then row: rows already in order are left as they are
 * (the fast path), any other order is sorted, equal keys by row. */
static void test_rows_sort_by_key(void **state)
{
    (void)state;
    const int64_t key[6] = { 5, 3, 5, 9, 3, 1 };
    size_t sorted[6] = { 5, 1, 4, 0, 2, 3 };
    assert_int_equal(offbkg_table_sort_rows(key, sorted, 6), 0);
    const size_t want[6] = { 5, 1, 4, 0, 2, 3 };
    assert_memory_equal(sorted, want, sizeof want);

    size_t rows[6] = { 0, 1, 2, 3, 4, 5 };
    assert_int_equal(offbkg_table_sort_rows(key, rows, 6), 0);
    assert_memory_equal(rows, want, sizeof want);

    /* Equal keys with the rows the wrong way round: not in order. */
    size_t swapped[6] = { 5, 4, 1, 0, 2, 3 };
    assert_int_equal(offbkg_table_sort_rows(key, swapped, 6), 0);
    assert_memory_equal(swapped, want, sizeof want);

    /* A subset, and the empty list. */
    size_t some[3] = { 3, 2, 4 };
    const size_t some_want[3] = { 4, 2, 3 };
    assert_int_equal(offbkg_table_sort_rows(key, some, 3), 0);
    assert_memory_equal(some, some_want, sizeof some_want);
    assert_int_equal(offbkg_table_sort_rows(key, some, 0), 0);
}

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Every test but the one on the real DR1 store. */
#define STORE_TESTS \
    FIXTURE_TEST(test_datastore_dr1_like), \
    FIXTURE_TEST(test_datastore_cta_like), \
    FIXTURE_TEST(test_datastore_magic_like), \
    FIXTURE_TEST(test_datastore_veritas_like), \
    FIXTURE_TEST(test_datastore_zenith_computed), \
    FIXTURE_TEST(test_datastore_zenith_site_from_index), \
    FIXTURE_TEST(test_datastore_zenith_no_site), \
    FIXTURE_TEST(test_datastore_livetime_from_gti), \
    FIXTURE_TEST(test_datastore_alternative_columns), \
    FIXTURE_TEST(test_datastore_events_unreadable), \
    FIXTURE_TEST(test_datastore_empty), \
    FIXTURE_TEST(test_datastore_missing_obs_index), \
    FIXTURE_TEST(test_datastore_missing_hdu_index), \
    FIXTURE_TEST(test_datastore_obs_index_without_obs_id), \
    FIXTURE_TEST(test_datastore_duplicate_obs_id), \
    FIXTURE_TEST(test_datastore_obs_id_not_integer), \
    FIXTURE_TEST(test_datastore_hdu_index_without_hdu_name), \
    FIXTURE_TEST(test_datastore_hdu_obs_id_not_integer), \
    FIXTURE_TEST(test_datastore_locate), \
    FIXTURE_TEST(test_header_snapshot_as_cfitsio), \
    cmocka_unit_test(test_rows_sort_by_key), \
    FIXTURE_TEST(test_run_list_read), \
    FIXTURE_TEST(test_run_list_bad_line), \
    FIXTURE_TEST(test_run_list_no_header), \
    FIXTURE_TEST(test_run_list_empty), \
    FIXTURE_TEST(test_run_list_long_comment), \
    FIXTURE_TEST(test_run_list_missing_file), \
    FIXTURE_TEST(test_run_list_write_read), \
    FIXTURE_TEST(test_group_zenith_edges), \
    FIXTURE_TEST(test_group_write_files), \
    FIXTURE_TEST(test_group_def_two_axes)

int main(void)
{
    const struct CMUnitTest tests[] = { STORE_TESTS };
    const struct CMUnitTest with_dr1[] = {
        STORE_TESTS,
        FIXTURE_TEST(test_datastore_dr1),
    };
    const char *plugins = getenv("OFFBKG_PLUGIN_PATH");

    /* cmocka reports skip() as "not ok ... # SKIP", a failure for
     * automake's TAP driver: leave tests out instead, and say so. */
    if (plugins == NULL || plugins[0] == '\0') {
        printf("1..0 # SKIP OFFBKG_PLUGIN_PATH is not set (make check sets "
               "it to the build tree)\n");
        return 0;
    }
    if (dr1_path() == NULL) {
        printf("# no H.E.S.S. DR1 store at '%s' (set OFFBKG_DR1): "
               "test_datastore_dr1 not run\n",
               getenv("OFFBKG_DR1") ? getenv("OFFBKG_DR1") : "");
        return cmocka_run_group_tests(tests, NULL, NULL);
    }
    return cmocka_run_group_tests(with_dr1, NULL, NULL);
}
