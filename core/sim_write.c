/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg simulate: the GADF data store of simulated OFF runs (index
 * tables as in H.E.S.S. DR1, doc/domain.md §1), and truth.txt. Every file
 * goes through the atomic output API. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fitsio.h>

#include <offbkg/version.h>

#include "output-private.h"
#include "sim-private.h"
#include "path-private.h"

#define SIM_MJDREFI 51910
#define SIM_MJDREFF 0.000742870370370241
/* OBJECT of the runs that carry the --source blob. */
#define SIM_SOURCE_NAME "SIM SOURCE"
#define HDUDOC "https://github.com/open-gamma-ray-astro/gamma-astro-data-formats"

/* What one run left behind, for the index tables and truth.txt. */
typedef struct run_stats {
    size_t n_events, n_background, n_in_2d, n_in_3d;
    size_t n_bad, n_src, n_src_in_2d;
    double src_ra_deg, src_dec_deg;
    double mu_in_2d, mu_in_3d;
    long long size_events, size_gti;    /* HDU sizes in bytes */
} run_stats_t;

static char *join(offbkg_ctx_t *ctx, const char *a, const char *b)
{
    char *s = offbkg_path_join(a, b);

    if (s == NULL)
        offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return s;
}

/* OFFBKG_EEXIST if @p dir holds anything and !overwrite; an error if it
 * is not a directory. */
static int check_dir(offbkg_ctx_t *ctx, const char *dir, bool overwrite)
{
    struct stat sb;
    struct dirent *de;
    DIR *d;
    int used = 0;

    if (stat(dir, &sb) != 0)
        return errno == ENOENT
                   ? OFFBKG_OK
                   : offbkg_error_set(ctx, OFFBKG_EIO, "%s: %s", dir,
                                      strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s exists and is not a "
                                "directory", dir);
    if (overwrite)
        return OFFBKG_OK;
    d = opendir(dir);
    if (d == NULL)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: %s", dir,
                                strerror(errno));
    while (!used && (de = readdir(d)) != NULL)
        used = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    if (used)
        return offbkg_error_set(ctx, OFFBKG_EEXIST, "%s exists and is not "
                                "empty; nothing was written (overwrite is "
                                "off)", dir);
    return OFFBKG_OK;
}

/* The time reference keywords shared by every table (DR1 values). */
static void write_time_keys(fitsfile *f, int *st)
{
    long mjdrefi = SIM_MJDREFI;

    fits_write_key_lng(f, "MJDREFI", mjdrefi,
                       "int part of reference MJD for times", st);
    fits_write_key_dbl(f, "MJDREFF", SIM_MJDREFF, -15,
                       "fractional part of MJDREF (2001-01-01 UTC in TT)",
                       st);
    fits_write_key_str(f, "TIMEUNIT", "s", "time unit", st);
    fits_write_key_str(f, "TIMESYS", "TT", "time system", st);
    fits_write_key_str(f, "TIMEREF", "LOCAL", "time reference", st);
}

static void write_gadf_keys(fitsfile *f, const char *clas1,
                            const char *clas2, int *st)
{
    fits_write_key_str(f, "HDUCLASS", "GADF", "format family", st);
    fits_write_key_str(f, "HDUDOC", HDUDOC, NULL, st);
    fits_write_key_str(f, "HDUVERS", "0.2", "format version", st);
    fits_write_key_str(f, "HDUCLAS1", clas1, NULL, st);
    if (clas2 != NULL)
        fits_write_key_str(f, "HDUCLAS2", clas2, NULL, st);
}

static void write_dbl(fitsfile *f, const char *key, double v,
                      const char *comment, int *st)
{
    fits_write_key_dbl(f, key, v, -17, comment, st);
}

/* Size of HDU @p hdu (1-based) in bytes, padded to FITS blocks. */
static long long hdu_size(fitsfile *f, int hdu, int *st)
{
    LONGLONG head = 0, data = 0, end = 0;

    fits_movabs_hdu(f, hdu, NULL, st);
    fits_get_hduaddrll(f, &head, &data, &end, st);
    return (data - head) + (end - data + 2879) / 2880 * 2880;
}

/* @p v big-endian at @p b. */
static void put_be64(unsigned char *b, uint64_t v)
{
    for (int k = 7; k >= 0; k--, v >>= 8)
        b[k] = (unsigned char)(v & 0xff);
}

static void put_be_double(unsigned char *b, double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    put_be64(b, u);
}

/* The EVENTS HDU (chunks of rows) and the one-row GTI of one run. */
static int write_run_file(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                          const char *path, bool overwrite,
                          const offbkg_sim_run_t *r,
                          const offbkg_sim_events_t *ev, run_stats_t *rs)
{
    enum { CHUNK = 4096, ROW_BYTES = 40 };
    char *ev_type[] = { "EVENT_ID", "TIME", "RA", "DEC", "ENERGY" };
    char *ev_form[] = { "K", "D", "D", "D", "D" };
    char *ev_unit[] = { "", "s", "deg", "deg", "TeV" };
    char *gti_type[] = { "START", "STOP" };
    char *gti_form[] = { "D", "D" };
    char *gti_unit[] = { "s", "s" };
    offbkg_output_t out;
    unsigned char *rows;
    int fst = 0;
    int st = offbkg_output_fits(ctx, path, overwrite, &out);

    if (st != OFFBKG_OK)
        return st;
    rows = malloc(CHUNK * ROW_BYTES);
    if (rows == NULL) {
        offbkg_output_abort(&out);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    /* Every table is created with its row count: rows appended to the
     * last HDU make cfitsio insert blocks, rereading and rewriting the
     * rest of the memory file (which a .gz output reuses, old size and
     * all). */
    fits_create_tbl(out.fits, BINARY_TBL, (LONGLONG)ev->n, 5, ev_type,
                    ev_form, ev_unit, "EVENTS", &fst);
    fits_write_key_str(out.fits, "CREATOR", "offbkg",
                       "offbkg " OFFBKG_VERSION " simulate", &fst);
    write_gadf_keys(out.fits, "EVENTS", NULL, &fst);
    fits_write_key_lng(out.fits, "OBS_ID", (long)r->obs_id,
                       "observation number", &fst);
    write_dbl(out.fits, "TSTART", r->tstart_s, "MET of observation start",
              &fst);
    write_dbl(out.fits, "TSTOP", r->tstop_s, "MET of observation stop",
              &fst);
    write_time_keys(out.fits, &fst);
    write_dbl(out.fits, "ONTIME", r->ontime_s, "total good time (s)", &fst);
    write_dbl(out.fits, "LIVETIME", r->livetime_s, "live time (s)", &fst);
    write_dbl(out.fits, "DEADC", r->deadc, "LIVETIME/ONTIME", &fst);
    fits_write_key_str(out.fits, "OBJECT", "OFF field", "observed object",
                       &fst);
    write_dbl(out.fits, "RA_PNT", r->ra_pnt_deg, "pointing RA (deg)", &fst);
    write_dbl(out.fits, "DEC_PNT", r->dec_pnt_deg, "pointing Dec (deg)",
              &fst);
    write_dbl(out.fits, "GLON_PNT", r->glon_pnt_deg,
              "pointing Galactic longitude (deg)", &fst);
    write_dbl(out.fits, "GLAT_PNT", r->glat_pnt_deg,
              "pointing Galactic latitude (deg)", &fst);
    write_dbl(out.fits, "ALT_PNT", r->alt_deg, "altitude at mid-run (deg)",
              &fst);
    write_dbl(out.fits, "AZ_PNT", r->az_deg, "azimuth at mid-run (deg)",
              &fst);
    fits_write_key_str(out.fits, "RADECSYS", "ICRS", "equatorial system",
                       &fst);
    write_dbl(out.fits, "EQUINOX", 2000.0, "base equinox", &fst);
    fits_write_key_str(out.fits, "OBS_MODE", "OFF", "observation mode",
                       &fst);
    fits_write_key_lng(out.fits, "N_TELS", 4, "number of telescopes",
                       &fst);
    fits_write_key_dbl(out.fits, "GEOLON", p->site_lon_deg, -15,
                       "longitude of observatory (deg)", &fst);
    fits_write_key_dbl(out.fits, "GEOLAT", p->site_lat_deg, -15,
                       "latitude of observatory (deg)", &fst);
    fits_write_key_dbl(out.fits, "ALTITUDE", p->site_alt_m, -15,
                       "altitude of observatory (m)", &fst);
    fits_write_key_str(out.fits, "EUNIT", "TeV", "energy unit", &fst);
    if (p->rate_column[0] != '\0')
        write_dbl(out.fits, p->rate_column, r->col_value,
                  "sets the run's rate, see truth.txt", &fst);
    fits_write_comment(out.fits, "Simulated OFF run: background drawn from "
                       "a known rate, see truth.txt", &fst);
    /* The rows packed as FITS stores them (big-endian, 40 bytes) and
     * handed over a chunk at a time: one copy, where a column at a time
     * went through cfitsio's strided per-value writes. */
    for (size_t i0 = 0; fst == 0 && i0 < ev->n; i0 += CHUNK) {
        size_t m = ev->n - i0 < CHUNK ? ev->n - i0 : CHUNK;
        for (size_t i = 0; i < m; i++) {
            const offbkg_sim_event_t *e = &ev->ev[i0 + i];
            unsigned char *b = rows + i * ROW_BYTES;
            put_be64(b, (uint64_t)(i0 + i + 1));
            put_be_double(b + 8, e->time_s);
            put_be_double(b + 16, e->ra_deg);
            put_be_double(b + 24, e->dec_deg);
            put_be_double(b + 32, e->energy_tev);
        }
        fits_write_tblbytes(out.fits, (LONGLONG)i0 + 1, 1,
                            (LONGLONG)(m * ROW_BYTES), rows, &fst);
    }
    free(rows);

    fits_create_tbl(out.fits, BINARY_TBL, 1, 2, gti_type, gti_form,
                    gti_unit, "GTI", &fst);
    write_gadf_keys(out.fits, "GTI", NULL, &fst);
    write_time_keys(out.fits, &fst);
    write_dbl(out.fits, "TSTART", r->tstart_s, "start of the GTIs", &fst);
    write_dbl(out.fits, "TSTOP", r->tstop_s, "stop of the GTIs", &fst);
    fits_write_col(out.fits, TDOUBLE, 1, 1, 1, 1, (void *)&r->tstart_s,
                   &fst);
    fits_write_col(out.fits, TDOUBLE, 2, 1, 1, 1, (void *)&r->tstop_s,
                   &fst);
    rs->size_events = hdu_size(out.fits, 2, &fst);
    rs->size_gti = hdu_size(out.fits, 3, &fst);
    if (fst != 0) {
        st = offbkg_error_fits(ctx, fst, "%s: cannot write", path);
        offbkg_output_abort(&out);
        return st;
    }
    return offbkg_output_commit(ctx, &out);
}

/* GADF hdu-index: an events and a gti row per run, DR1 style. */
static int write_hdu_index(offbkg_ctx_t *ctx, const char *path,
                           bool overwrite, const offbkg_sim_run_t *runs,
                           const run_stats_t *rs, size_t n)
{
    char *type[] = { "OBS_ID", "HDU_TYPE", "HDU_CLASS", "FILE_DIR",
                     "FILE_NAME", "HDU_NAME", "SIZE" };
    char *form[] = { "K", "6A", "9A", "4A", "24A", "6A", "K" };
    offbkg_output_t out;
    int fst = 0;
    int st = offbkg_output_fits(ctx, path, overwrite, &out);

    if (st != OFFBKG_OK)
        return st;
    fits_create_tbl(out.fits, BINARY_TBL, 2 * (LONGLONG)n, 7, type, form,
                    NULL, "HDU_INDEX", &fst);
    write_gadf_keys(out.fits, "INDEX", "HDU", &fst);
    fits_write_key_str(out.fits, "CREATOR", "offbkg",
                       "offbkg " OFFBKG_VERSION " simulate", &fst);
    for (size_t i = 0; fst == 0 && i < n; i++) {
        for (int k = 0; k < 2; k++) {
            LONGLONG row = (LONGLONG)(2 * i + (size_t)k + 1);
            long long obs = runs[i].obs_id;
            long long size = k == 0 ? rs[i].size_events : rs[i].size_gti;
            char *s[5] = { k == 0 ? "events" : "gti",
                           k == 0 ? "events" : "gti", "data",
                           (char *)runs[i].file_name,
                           k == 0 ? "events" : "gti" };
            fits_write_col(out.fits, TLONGLONG, 1, row, 1, 1, &obs, &fst);
            for (int c = 0; c < 5; c++)
                fits_write_col(out.fits, TSTRING, c + 2, row, 1, 1, &s[c],
                               &fst);
            fits_write_col(out.fits, TLONGLONG, 7, row, 1, 1, &size, &fst);
        }
    }
    if (fst != 0) {
        st = offbkg_error_fits(ctx, fst, "%s: cannot write", path);
        offbkg_output_abort(&out);
        return st;
    }
    return offbkg_output_commit(ctx, &out);
}

/* GADF obs-index, DR1 style (site keywords as strings, as DR1 has them),
 * with float64 columns. */
static int write_obs_index(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                           const char *path, bool overwrite,
                           const offbkg_sim_run_t *runs,
                           const run_stats_t *rs, size_t n)
{
    /* With --source-runs, the source's position RA_OBJ/DEC_OBJ (NaN in
     * the runs without it: only then, so that a store without it stays
     * byte for byte the same); the rate column, when there is one, last. */
    enum { NBASE = 17, NCOL = 20 };
    char *type[NCOL] = { "OBS_ID", "RA_PNT", "DEC_PNT", "GLON_PNT",
                         "GLAT_PNT", "ZEN_PNT", "ALT_PNT", "AZ_PNT",
                         "OBJECT", "ONTIME", "LIVETIME", "DEADC", "TSTART",
                         "TSTOP", "N_TELS", "EVENT_COUNT", "TARGET_TAG",
                         "RA_OBJ", "DEC_OBJ", (char *)p->rate_column };
    char *form[NCOL] = { "K", "D", "D", "D", "D", "D", "D", "D", "16A", "D",
                         "D", "D", "D", "D", "K", "K", "8A", "D", "D", "D" };
    char *unit[NCOL] = { "", "deg", "deg", "deg", "deg", "deg", "deg", "deg",
                         "", "s", "s", "", "s", "s", "", "", "", "deg", "deg",
                         "" };
    bool obj = p->n_src_obs_ids > 0;
    int ncol = NBASE + (obj ? 2 : 0), rate_col = ncol + 1;
    if (!obj) {
        type[NBASE] = type[NCOL - 1];
        form[NBASE] = form[NCOL - 1];
        unit[NBASE] = unit[NCOL - 1];
    }
    ncol += p->rate_column[0] != '\0';
    char buf[32];
    offbkg_output_t out;
    int fst = 0;
    int st = offbkg_output_fits(ctx, path, overwrite, &out);

    if (st != OFFBKG_OK)
        return st;
    fits_create_tbl(out.fits, BINARY_TBL, (LONGLONG)n, ncol, type, form,
                    unit, "OBS_INDEX", &fst);
    write_time_keys(out.fits, &fst);
    write_gadf_keys(out.fits, "INDEX", "OBS", &fst);
    snprintf(buf, sizeof buf, "%.15g", p->site_lon_deg);
    fits_write_key_str(out.fits, "GEOLON", buf,
                       "longitude of observatory (deg)", &fst);
    snprintf(buf, sizeof buf, "%.15g", p->site_lat_deg);
    fits_write_key_str(out.fits, "GEOLAT", buf,
                       "latitude of observatory (deg)", &fst);
    snprintf(buf, sizeof buf, "%.15g", p->site_alt_m);
    fits_write_key_str(out.fits, "ALTITUDE", buf,
                       "altitude of observatory (m)", &fst);
    fits_write_key_str(out.fits, "CREATOR", "offbkg",
                       "offbkg " OFFBKG_VERSION " simulate", &fst);
    for (size_t i = 0; fst == 0 && i < n; i++) {
        const offbkg_sim_run_t *r = &runs[i];
        LONGLONG row = (LONGLONG)i + 1;
        long long obs = r->obs_id, ntel = 4;
        long long count = (long long)rs[i].n_events;
        double d[] = { r->ra_pnt_deg, r->dec_pnt_deg, r->glon_pnt_deg,
                       r->glat_pnt_deg, r->zen_deg, r->alt_deg, r->az_deg };
        double t[] = { r->ontime_s, r->livetime_s, r->deadc, r->tstart_s,
                       r->tstop_s };
        /* A run that carries the source observed it. */
        bool src = obj && isfinite(rs[i].src_ra_deg);
        char *object = src ? SIM_SOURCE_NAME : "OFF field", *tag = "offdata";

        fits_write_col(out.fits, TLONGLONG, 1, row, 1, 1, &obs, &fst);
        for (int c = 0; c < 7; c++)
            fits_write_col(out.fits, TDOUBLE, 2 + c, row, 1, 1, &d[c], &fst);
        fits_write_col(out.fits, TSTRING, 9, row, 1, 1, &object, &fst);
        for (int c = 0; c < 5; c++)
            fits_write_col(out.fits, TDOUBLE, 10 + c, row, 1, 1, &t[c],
                           &fst);
        fits_write_col(out.fits, TLONGLONG, 15, row, 1, 1, &ntel, &fst);
        fits_write_col(out.fits, TLONGLONG, 16, row, 1, 1, &count, &fst);
        fits_write_col(out.fits, TSTRING, 17, row, 1, 1, &tag, &fst);
        if (obj) {
            double pos[2] = { src ? rs[i].src_ra_deg : NAN,
                              src ? rs[i].src_dec_deg : NAN };
            fits_write_col(out.fits, TDOUBLE, NBASE + 1, row, 1, 1, &pos[0],
                           &fst);
            fits_write_col(out.fits, TDOUBLE, NBASE + 2, row, 1, 1, &pos[1],
                           &fst);
        }
        if (rate_col <= ncol)
            fits_write_col(out.fits, TDOUBLE, rate_col, row, 1, 1,
                           (void *)&r->col_value, &fst);
    }
    if (fst != 0) {
        st = offbkg_error_fits(ctx, fst, "%s: cannot write", path);
        offbkg_output_abort(&out);
        return st;
    }
    return offbkg_output_commit(ctx, &out);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as @p v. */
static const char *num(char buf[32], double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || isnan(v))
            break;
    }
    return buf;
}

static const char *yes_no(bool b)
{
    return b ? "true" : "false";
}

/* truth.txt: every parameter as "key = value", then one "run = ..." line
 * per run with the columns named by run_columns. */
static int write_truth(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                       const char *path, bool overwrite,
                       const offbkg_sim_run_t *runs, const run_stats_t *rs,
                       size_t n)
{
    static const char *mode[] = { "none", "offset", "radec" };
    /* Without factors, the file of the stores written before them. */
    bool factors = p->rate_column[0] != '\0' || p->run_scatter > 0;
    char b[32], c[13][32];
    offbkg_output_t out;
    FILE *f;
    int st = offbkg_output_text(ctx, path, overwrite, &out);

    if (st != OFFBKG_OK)
        return st;
    f = out.text;
    fprintf(f,
            "# offbkg simulate: the truth behind this data store\n"
            "# R(E, fov_lon, fov_lat, zen) [s-1 MeV-1 sr-1] =\n"
            "#   A * (E/1TeV)^-gamma * (r0 * Z(zen) * exp(-theta^2 / "
            "(2 sigma(E)^2)) + floor)\n"
            "# sigma(E) = sigma0_deg * (E/1TeV)^sigma_index\n"
            "# A = (1 + asym_lon * fov_lon / asym_scale_deg)"
            " * (1 + asym_lat * fov_lat / asym_scale_deg)\n"
            "# fov_lon = -lon_off of the fov_alignment offset frame "
            "(GADF: grows toward\n#   decreasing RA, or azimuth for altaz, "
            "at each event's time)\n"
            "# Z = 1/cos(zen) if zenith_scaling, else 1; R = 0 for zen >= "
            "90\n"
            "# events: N ~ Poisson(time * integral of R over E in "
            "[e_min, e_max], theta <= theta_max)\n"
            "format = 1\n"
            "creator = offbkg %s\n", OFFBKG_VERSION);
    fprintf(f, "seed = %llu\n", (unsigned long long)p->seed);
    fprintf(f, "n_runs = %d\n", p->n_runs);
    fprintf(f, "first_obs_id = %lld\n", (long long)p->first_obs_id);
    fprintf(f, "r0 = %s\n", num(b, p->r0));
    fprintf(f, "gamma = %s\n", num(b, p->gamma));
    fprintf(f, "sigma0_deg = %s\n", num(b, p->sigma0_deg));
    fprintf(f, "sigma_index = %s\n", num(b, p->sigma_index));
    fprintf(f, "floor = %s\n", num(b, p->floor_norm));
    fprintf(f, "asym_lon = %s\n", num(b, p->asym_lon));
    fprintf(f, "asym_lat = %s\n", num(b, p->asym_lat));
    fprintf(f, "asym_scale_deg = %s\n", num(b, p->asym_scale_deg));
    fprintf(f, "fov_lon_sign = gadf\n");
    fprintf(f, "fov_alignment = %s\n", p->altaz ? "altaz" : "radec");
    fprintf(f, "zenith_scaling = %s\n", yes_no(p->zenith_scaling));
    fprintf(f, "time_base = %s\n", p->livetime_base ? "livetime" : "ontime");
    fprintf(f, "e_min_tev = %s\n", num(b, p->e_min_tev));
    fprintf(f, "e_max_tev = %s\n", num(b, p->e_max_tev));
    fprintf(f, "theta_max_deg = %s\n", num(b, p->theta_max_deg));
    fprintf(f, "zen_min_deg = %s\n", num(b, p->zen_min_deg));
    fprintf(f, "zen_max_deg = %s\n", num(b, p->zen_max_deg));
    fprintf(f, "ontime_min_s = %s\n", num(b, p->ontime_min_s));
    fprintf(f, "ontime_max_s = %s\n", num(b, p->ontime_max_s));
    fprintf(f, "deadc_min = %s\n", num(b, p->deadc_min));
    fprintf(f, "deadc_max = %s\n", num(b, p->deadc_max));
    fprintf(f, "min_abs_glat_deg = %s\n", num(b, p->min_abs_glat_deg));
    fprintf(f, "mjd_first_utc = %s\n", num(b, p->mjd_first_utc));
    fprintf(f, "site_lon_deg = %s\n", num(b, p->site_lon_deg));
    fprintf(f, "site_lat_deg = %s\n", num(b, p->site_lat_deg));
    fprintf(f, "site_alt_m = %s\n", num(b, p->site_alt_m));
    fprintf(f, "mjdrefi = %d\n", SIM_MJDREFI);
    fprintf(f, "mjdreff = %s\n", num(b, SIM_MJDREFF));
    fprintf(f, "timesys = TT\n");
    fprintf(f, "book_e_lo_tev = %s\n", num(b, p->book_e_lo_tev));
    fprintf(f, "book_e_hi_tev = %s\n", num(b, p->book_e_hi_tev));
    fprintf(f, "book_theta_deg = %s\n", num(b, p->book_theta_deg));
    fprintf(f, "book_box_deg = %s\n", num(b, p->book_box_deg));
    fprintf(f, "nan_rows = %d\n", p->nan_rows);
    fprintf(f, "source = %s\n", mode[p->source_mode]);
    fprintf(f, "src_n = %d\n", p->src_n);
    fprintf(f, "src_sigma_deg = %s\n", num(b, p->src_sigma_deg));
    fprintf(f, "src_offset_deg = %s\n", num(b, p->src_offset_deg));
    fprintf(f, "src_ra_deg = %s\n", num(b, p->src_ra_deg));
    fprintf(f, "src_dec_deg = %s\n", num(b, p->src_dec_deg));
    fprintf(f, "src_gamma = %s\n", num(b, p->src_gamma));
    /* Only when given: a store without it stays byte for byte the same. */
    if (p->n_src_obs_ids > 0) {
        fputs("source_runs =", f);
        for (size_t i = 0; i < p->n_src_obs_ids; i++)
            fprintf(f, "%s %lld", i > 0 ? "," : "",
                    (long long)p->src_obs_ids[i]);
        fputc('\n', f);
    }
    fprintf(f, "edge_zeniths = %s\n", yes_no(p->edge_zeniths));
    fprintf(f, "mixed_compression = %s\n", yes_no(p->mixed_compression));
    fprintf(f, "plain_files = %s\n", yes_no(p->plain_files));
    fprintf(f, "missing_file = %s\n", yes_no(p->missing_file));
    if (factors) {
        fprintf(f,
                "# per-run rate factor F = C * S on all of R (its shape "
                "unchanged):\n"
                "#   C = (v / rate_column_ref)^rate_column_index, v the "
                "run's value of the\n"
                "#   obs-index column rate_column (and EVENTS key), uniform "
                "in [rate_column_min,\n"
                "#   rate_column_max]; S lognormal, mean 1, relative sigma "
                "run_scatter.\n"
                "# A run's expected counts in any bin are F * time_s * the "
                "integral of R.\n");
        fprintf(f, "rate_column = %s\n", p->rate_column[0] != '\0'
                                             ? p->rate_column : "none");
        fprintf(f, "rate_column_min = %s\n", num(b, p->rate_col_min));
        fprintf(f, "rate_column_max = %s\n", num(b, p->rate_col_max));
        fprintf(f, "rate_column_ref = %s\n", num(b, p->rate_col_ref));
        fprintf(f, "rate_column_index = %s\n", num(b, p->rate_col_index));
        fprintf(f, "run_scatter = %s\n", num(b, p->run_scatter));
    }
    fprintf(f,
            "# n_in_2d: background events with book_e_lo_tev <= E <= "
            "book_e_hi_tev and offset < book_theta_deg;\n"
            "# n_in_3d: the same E range and |fov_lon|, |fov_lat| < "
            "book_box_deg; both from the written RA/DEC.\n"
            "# mu: expected background events of the run; mu_in_2d, "
            "mu_in_3d: in the 2D and 3D regions.\n"
            "# n_bad: NaN / ENERGY <= 0 rows; n_src: source rows.\n"
            "# written = 0: the run is in the indexes but its file is "
            "missing (on purpose).\n");
    if (factors)
        fprintf(f, "# column_value: v (nan without rate_column); "
                "column_factor: C; scatter_factor: S;\n"
                "# rate_factor: F = C * S, included in mu, mu_in_2d and "
                "mu_in_3d.\n");
    fprintf(f, "run_columns = obs_id zen_deg ra_pnt_deg dec_pnt_deg "
            "tstart_s tstop_s ontime_s livetime_s time_s mu n_events "
            "n_background n_in_2d mu_in_2d n_in_3d mu_in_3d n_bad n_src "
            "n_src_in_2d "
            "src_ra_deg src_dec_deg written file%s\n",
            factors ? " column_value column_factor scatter_factor "
                      "rate_factor" : "");
    for (size_t i = 0; i < n; i++) {
        const offbkg_sim_run_t *r = &runs[i];
        const run_stats_t *s = &rs[i];
        fprintf(f, "run = %lld %s %s %s %s %s %s %s %s %s %zu %zu %zu %s "
                "%zu %s %zu %zu %zu %s %s %d data/%s",
                (long long)r->obs_id, num(c[0], r->zen_deg),
                num(c[1], r->ra_pnt_deg), num(c[2], r->dec_pnt_deg),
                num(c[3], r->tstart_s), num(c[4], r->tstop_s),
                num(c[5], r->ontime_s), num(c[6], r->livetime_s),
                num(c[7], r->time_s), num(c[8], r->mu), s->n_events,
                s->n_background, s->n_in_2d, num(c[9], s->mu_in_2d),
                s->n_in_3d, num(c[10], s->mu_in_3d), s->n_bad, s->n_src,
                s->n_src_in_2d, num(c[11], s->src_ra_deg),
                num(c[12], s->src_dec_deg),
                !r->missing, r->file_name);
        if (factors)
            fprintf(f, " %s %s %s %s", num(c[0], r->col_value),
                    num(c[1], r->col_factor), num(c[2], r->scatter_factor),
                    num(c[3], r->rate_factor));
        fputc('\n', f);
    }
    return offbkg_output_commit(ctx, &out);
}

/* The expected counts of the bookkeeping regions per unit time, the r0
 * part at Z = 1 and the floor part apart: a run's are time * (Z * r0 part
 * + floor part). Four integrals per store instead of two per run (the 3D
 * one took longer than drawing and writing 20,000 events). */
typedef struct book {
    double r0_2d, floor_2d, r0_3d, floor_3d;
} book_t;

static void book_init(const offbkg_sim_params_t *p, book_t *b)
{
    offbkg_sim_params_t q = *p;
    double e_lo = p->book_e_lo_tev, e_hi = p->book_e_hi_tev;
    double box = p->book_box_deg;

    q.floor_norm = 0.0;
    q.zenith_scaling = false;
    b->r0_2d = offbkg_sim_expected_2d(&q, 0.0, 1.0, e_lo, e_hi, 0.0,
                                      p->book_theta_deg);
    b->r0_3d = offbkg_sim_expected_3d(&q, 0.0, 1.0, e_lo, e_hi, -box, box,
                                      -box, box);
    q = *p;
    q.r0 = 0.0;
    b->floor_2d = offbkg_sim_expected_2d(&q, 0.0, 1.0, e_lo, e_hi, 0.0,
                                         p->book_theta_deg);
    b->floor_3d = offbkg_sim_expected_3d(&q, 0.0, 1.0, e_lo, e_hi, -box,
                                         box, -box, box);
}

int offbkg_sim_write(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                     const char *dir, bool overwrite,
                     offbkg_sim_summary_t *summary)
{
    offbkg_sim_run_t *runs = NULL;
    run_stats_t *rs = NULL;
    char *data_dir = NULL, *path = NULL;
    offbkg_sim_summary_t sum = { 0 };
    book_t book;
    size_t n = 0;
    int st;

    if (summary != NULL)
        memset(summary, 0, sizeof *summary);
    st = offbkg_sim_params_check(ctx, p);
    if (st == OFFBKG_OK)
        st = check_dir(ctx, dir, overwrite);
    if (st == OFFBKG_OK)
        st = offbkg_sim_plan(ctx, p, &runs, &n);
    if (st != OFFBKG_OK)
        return st;
    rs = calloc(n, sizeof *rs);
    data_dir = join(ctx, dir, "data");
    if (rs == NULL || data_dir == NULL) {
        st = rs == NULL ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of "
                                           "memory")
                        : OFFBKG_ENOMEM;
        goto done;
    }
    st = offbkg_output_mkdir_p(ctx, data_dir);
    if (st != OFFBKG_OK)
        goto done;
    book_init(p, &book);

    for (size_t i = 0; i < n; i++) {
        const offbkg_sim_run_t *r = &runs[i];
        offbkg_sim_events_t ev;

        if (offbkg_ctx_cancelled(ctx)) {
            st = offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted "
                                  "after %zu of %zu runs; %s is incomplete "
                                  "(no index tables)", i, n, dir);
            goto done;
        }
        rs[i].src_ra_deg = rs[i].src_dec_deg = NAN;
        {
            /* Z = 0 (below the horizon): no rate at all, floor included */
            double z = offbkg_sim_zenith_factor(p, r->zen_deg);
            double t = z > 0 ? r->time_s : 0.0;
            double f = r->rate_factor;
            rs[i].mu_in_2d = f * (t * (z * book.r0_2d + book.floor_2d));
            rs[i].mu_in_3d = f * (t * (z * book.r0_3d + book.floor_3d));
        }
        if (r->missing) {
            OFFBKG_INFO(ctx, "run %zu/%zu: OBS_ID %lld is indexed but its "
                        "file is not written (--missing-file)", i + 1, n,
                        (long long)r->obs_id);
            continue;
        }
        st = offbkg_sim_draw_run(ctx, p, r, &ev);
        if (st != OFFBKG_OK)
            goto done;
        free(path);
        path = join(ctx, data_dir, r->file_name);
        st = path == NULL ? OFFBKG_ENOMEM
                          : write_run_file(ctx, p, path, overwrite, r, &ev,
                                           &rs[i]);
        rs[i].n_events = ev.n;
        rs[i].n_background = ev.n_background;
        rs[i].n_in_2d = ev.n_in_2d;
        rs[i].n_in_3d = ev.n_in_3d;
        rs[i].n_bad = ev.n_bad;
        rs[i].n_src = ev.n_src;
        rs[i].n_src_in_2d = ev.n_src_in_2d;
        rs[i].src_ra_deg = ev.src_ra_deg;
        rs[i].src_dec_deg = ev.src_dec_deg;
        offbkg_sim_events_clear(&ev);
        if (st != OFFBKG_OK)
            goto done;
        sum.n_files++;
        sum.mu += r->mu;
        sum.n_events += rs[i].n_events;
        sum.n_background += rs[i].n_background;
        OFFBKG_INFO(ctx, "run %zu/%zu: OBS_ID %lld, zenith %.2f deg, "
                    "%zu events (%.1f expected background), %s", i + 1, n,
                    (long long)r->obs_id, r->zen_deg, rs[i].n_events, r->mu,
                    r->file_name);
    }

    /* The indexes last: a store with index tables is complete. */
    free(path);
    path = join(ctx, dir, "truth.txt");
    st = path == NULL ? OFFBKG_ENOMEM
                      : write_truth(ctx, p, path, overwrite, runs, rs, n);
    if (st != OFFBKG_OK)
        goto done;
    free(path);
    path = join(ctx, dir, "hdu-index.fits.gz");
    st = path == NULL ? OFFBKG_ENOMEM
                      : write_hdu_index(ctx, path, overwrite, runs, rs, n);
    if (st != OFFBKG_OK)
        goto done;
    free(path);
    path = join(ctx, dir, "obs-index.fits.gz");
    st = path == NULL ? OFFBKG_ENOMEM
                      : write_obs_index(ctx, p, path, overwrite, runs, rs,
                                        n);
    if (st != OFFBKG_OK)
        goto done;
    sum.n_runs = n;
    if (summary != NULL)
        *summary = sum;
done:
    free(path);
    free(data_dir);
    free(rs);
    free(runs);
    return st;
}
