/* SPDX-License-Identifier: BSD-3-Clause
 * The in-memory reader of an event file's leading HDUs (core/fitsmem.c)
 * and the events read through it (core/events.c): only the HDUs asked
 * for are inflated, what is read equals what cfitsio reads from the
 * file, and anything odd (truncated or damaged gzip, headers it cannot
 * follow, missing files) is left to cfitsio. */
#include <config.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "events-private.h"
#include "fitsmem-private.h"
#include "runconf-private.h"
#include "sim-private.h"
#include "storegen.h"

#define N_EVENTS 20000
#define N_IRF 100000

static const char *const need[] = { "EVENTS", "GTI" };

typedef struct fixture {
    char dir[PATH_MAX];
    char plain[PATH_MAX];
    char gz[PATH_MAX];
    size_t full_size;   /* bytes of the whole (inflated) file */
    size_t events_end;  /* end of the GTI HDU */
} fixture_t;

/* End of the current HDU's data, in bytes. */
static size_t hdu_end(fitsfile *f)
{
    LONGLONG head, start, end;
    int st = 0;

    fits_get_hduaddrll(f, &head, &start, &end, &st);
    assert_int_equal(st, 0);
    return (size_t)end;
}

/* EVENTS, GTI, then a large IRF-like table, as in the H.E.S.S. files. */
static int write_file(const char *path)
{
    static double energy[N_EVENTS], ra[N_EVENTS], dec[N_EVENTS],
        time_s[N_EVENTS], id[N_EVENTS], irf[N_IRF];
    static const double start[] = { 100 }, stop[] = { 1900 };
    const sg_col_t ev[] = {
        { "EVENT_ID", "K", NULL, id, NULL },
        { "TIME", "D", "s", time_s, NULL },
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
    const sg_col_t aeff[] = {
        { "VALUE", "D", NULL, irf, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    fitsfile *f;

    for (size_t i = 0; i < N_EVENTS; i++) {
        id[i] = (double)i;
        time_s[i] = 100.0 + 0.09 * (double)i;
        ra[i] = 83.6 + 2.0 * sin(0.37 * (double)i);
        dec[i] = 22.0 + 2.0 * cos(0.61 * (double)i);
        energy[i] = 0.1 * exp(0.0004 * (double)i);
    }
    for (size_t i = 0; i < N_IRF; i++)
        irf[i] = sin(1e-3 * (double)i * (double)i);
    f = sg_create(path);
    if (f == NULL || sg_table(f, "EVENTS", N_EVENTS, ev, NULL) != 0
        || sg_table(f, "GTI", 1, gti, NULL) != 0
        || sg_table(f, "AEFF", N_IRF, aeff, NULL) != 0)
        return -1;
    return sg_close(f);
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    fitsfile *f = NULL;
    int st = 0, n_hdus = 0;

    if (fx == NULL || sg_mkdtemp(fx->dir) != 0)
        return -1;
    sg_path(fx->plain, fx->dir, "events.fits");
    sg_path(fx->gz, fx->dir, "events.fits.gz");
    if (write_file(fx->plain) != 0 || write_file(fx->gz) != 0)
        return -1;
    fits_open_file(&f, fx->plain, READONLY, &st);
    fits_get_num_hdus(f, &n_hdus, &st);
    fits_movnam_hdu(f, BINARY_TBL, "GTI", 0, &st);
    fx->events_end = hdu_end(f);
    fits_movabs_hdu(f, n_hdus, NULL, &st);
    fx->full_size = hdu_end(f);
    fits_close_file(f, &st);
    *state = fx;
    return st;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;

    sg_remove_tree(fx->dir);
    free(fx);
    return 0;
}

/* The float column @p name of the current HDU of @p f. */
static void read_col(fitsfile *f, const char *name, double *v, size_t n)
{
    int st = 0, col, anynul;

    fits_get_colnum(f, CASEINSEN, (char *)name, &col, &st);
    fits_read_col(f, TDOUBLE, col, 1, 1, (LONGLONG)n, NULL, v, &anynul, &st);
    assert_int_equal(st, 0);
}

/* The prefix of @p path holds EVENTS and GTI with the file's values, and
 * ends there. */
static void check_prefix(const fixture_t *fx, const char *path)
{
    static double a[N_EVENTS], b[N_EVENTS];
    offbkg_fitsmem_t m = { 0 };
    fitsfile *mf, *f = NULL;
    int st = 0;

    assert_int_equal(offbkg_fitsmem_open(&m, path, need, 2, &mf), 0);
    assert_int_equal(m.size, fx->events_end);
    assert_int_equal(m.file_size, 0);
    assert_true(m.size < fx->full_size / 2);
    fits_open_file(&f, path, READONLY, &st);
    fits_movnam_hdu(f, BINARY_TBL, "EVENTS", 0, &st);
    fits_movnam_hdu(mf, BINARY_TBL, "EVENTS", 0, &st);
    assert_int_equal(st, 0);
    read_col(mf, "ENERGY", a, N_EVENTS);
    read_col(f, "ENERGY", b, N_EVENTS);
    assert_memory_equal(a, b, sizeof a);
    fits_movnam_hdu(mf, BINARY_TBL, "GTI", 0, &st);
    assert_int_equal(st, 0);
    /* What was not asked for is not there. */
    assert_int_not_equal(fits_movnam_hdu(mf, BINARY_TBL, "AEFF", 0, &st), 0);
    st = 0;
    fits_close_file(mf, &st);
    fits_close_file(f, &st);
    fits_clear_errmsg();
    offbkg_fitsmem_free(&m);
}

static void test_fitsmem_gzip_prefix(void **state)
{
    check_prefix(*state, ((fixture_t *)*state)->gz);
}

static void test_fitsmem_plain_prefix(void **state)
{
    check_prefix(*state, ((fixture_t *)*state)->plain);
}

/* An HDU that is not in the file: all of it is read, and the buffer is
 * reused from file to file. */
static void test_fitsmem_missing_hdu_reads_all(void **state)
{
    const fixture_t *fx = *state;
    static const char *const other[] = { "EVENTS", "NOSUCH" };
    offbkg_fitsmem_t m = { 0 };
    fitsfile *mf;
    int st = 0;

    assert_int_equal(offbkg_fitsmem_open(&m, fx->gz, other, 2, &mf), 0);
    assert_int_equal(m.size, fx->full_size);
    assert_int_equal(m.file_size, fx->full_size);
    fits_movnam_hdu(mf, BINARY_TBL, "AEFF", 0, &st);
    assert_int_equal(st, 0);
    fits_close_file(mf, &st);
    assert_int_equal(offbkg_fitsmem_open(&m, fx->plain, need, 2, &mf), 0);
    assert_int_equal(m.size, fx->events_end);
    assert_true(m.cap >= fx->full_size);
    fits_close_file(mf, &st);
    offbkg_fitsmem_free(&m);
}

/* No HDU named (as for the index tables): the whole file, gzip or
 * plain, every HDU readable. */
static void test_fitsmem_whole_file(void **state)
{
    const fixture_t *fx = *state;
    const char *const paths[2] = { fx->gz, fx->plain };
    offbkg_fitsmem_t m = { 0 };

    for (int k = 0; k < 2; k++) {
        fitsfile *mf;
        int st = 0, n_hdus = 0;
        assert_int_equal(offbkg_fitsmem_open(&m, paths[k], NULL, 0, &mf), 0);
        assert_int_equal(m.size, fx->full_size);
        assert_int_equal(m.file_size, fx->full_size);
        fits_get_num_hdus(mf, &n_hdus, &st);
        fits_movnam_hdu(mf, BINARY_TBL, "AEFF", 0, &st);
        assert_int_equal(st, 0);
        assert_int_equal(n_hdus, 4);
        fits_close_file(mf, &st);
    }
    offbkg_fitsmem_free(&m);
}

/* zlib's CRC-32 of the bytes of @p path. */
static uint32_t file_crc(const char *path)
{
    unsigned char buf[4096];
    uLong c = crc32(0L, Z_NULL, 0);
    size_t n;
    FILE *fp = fopen(path, "rb");

    assert_non_null(fp);
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        c = crc32(c, buf, (uInt)n);
    fclose(fp);
    return (uint32_t)c;
}

/* With want_crc, a load gives the CRC of every byte of the file, gzip
 * or plain, whether it reads all of it, stops after the HDUs asked for
 * (the rest is read for the CRC) or skips HDUs before them; without,
 * none. */
static void test_fitsmem_crc(void **state)
{
    const fixture_t *fx = *state;
    const char *const paths[2] = { fx->gz, fx->plain };
    static const char *const aeff[] = { "AEFF" };
    const char *const *hdus[3] = { NULL, need, aeff };
    const size_t n_hdus[3] = { 0, 2, 1 };
    offbkg_fitsmem_t m = { 0 };

    for (int k = 0; k < 2; k++) {
        uint32_t want = file_crc(paths[k]);
        for (int h = 0; h < 3; h++) {
            fitsfile *mf;
            int st = 0;
            m.want_crc = true;
            assert_int_equal(offbkg_fitsmem_open(&m, paths[k], hdus[h],
                                                 n_hdus[h], &mf), 0);
            assert_true(m.crc_known);
            assert_int_equal(m.crc, want);
            fits_close_file(mf, &st);
            offbkg_fitsmem_free(&m);
        }
        fitsfile *mf;
        int st = 0;
        assert_int_equal(offbkg_fitsmem_open(&m, paths[k], need, 2, &mf), 0);
        assert_false(m.crc_known);
        fits_close_file(mf, &st);
        offbkg_fitsmem_free(&m);
    }
}

/* Copy the first @p n bytes of @p from to @p to. */
static void copy_head(const char *from, const char *to, long n)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int c;

    assert_non_null(in);
    assert_non_null(out);
    while (n-- > 0 && (c = fgetc(in)) != EOF)
        fputc(c, out);
    fclose(in);
    fclose(out);
}

static long file_size(const char *path)
{
    FILE *fp = fopen(path, "rb");
    long n;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fclose(fp);
    return n;
}

/* A gzip stream cut inside the EVENTS HDU, or damaged, or with a
 * trailer no file of its size can have, is left to the ordinary open
 * (which refuses it); so are files that are not FITS. */
static void test_fitsmem_odd_files_fall_back(void **state)
{
    const fixture_t *fx = *state;
    offbkg_fitsmem_t m = { 0 };
    char cut[PATH_MAX], bad[PATH_MAX], text[PATH_MAX];
    fitsfile *mf = NULL;
    unsigned char block[2880];
    FILE *fp;
    int st = 0;

    /* Cut at a twentieth: inside the EVENTS HDU. */
    sg_path(cut, fx->dir, "cut.fits.gz");
    copy_head(fx->gz, cut, file_size(fx->gz) / 20);
    assert_int_equal(offbkg_fitsmem_open(&m, cut, need, 2, &mf), -1);
    assert_null(mf);
    /* cfitsio opens what it can inflate, and fails to read the rest. */
    if (fits_open_file(&mf, cut, READONLY, &st) == 0) {
        double e;
        int col, anynul;
        fits_movnam_hdu(mf, BINARY_TBL, "EVENTS", 0, &st);
        fits_get_colnum(mf, CASEINSEN, "ENERGY", &col, &st);
        fits_read_col(mf, TDOUBLE, col, N_EVENTS, 1, 1, NULL, &e, &anynul,
                      &st);
        assert_int_not_equal(st, 0);
        st = 0;
        fits_close_file(mf, &st);
    }
    fits_clear_errmsg();
    mf = NULL;

    /* The same length of garbage after a gzip header. */
    sg_path(bad, fx->dir, "bad.fits.gz");
    fp = fopen(bad, "wb");
    assert_non_null(fp);
    fputc(0x1f, fp);
    fputc(0x8b, fp);
    for (int i = 0; i < 5000; i++)
        fputc((i * 7919) & 0xff, fp);
    fclose(fp);
    assert_int_equal(offbkg_fitsmem_open(&m, bad, need, 2, &mf), -1);

    /* A gzip trailer that claims 2 GiB from a small file. */
    sg_path(bad, fx->dir, "trailer.fits.gz");
    copy_head(fx->gz, bad, file_size(fx->gz));
    fp = fopen(bad, "r+b");
    assert_non_null(fp);
    fseek(fp, -4, SEEK_END);
    fwrite("\377\377\377\177", 1, 4, fp);
    fclose(fp);
    assert_int_equal(offbkg_fitsmem_open(&m, bad, need, 2, &mf), -1);

    /* Not FITS; a header with an impossible BITPIX; no file. */
    sg_path(text, fx->dir, "text.fits");
    assert_int_equal(sg_write_text(text, "not a FITS file\n"), 0);
    assert_int_equal(offbkg_fitsmem_open(&m, text, need, 2, &mf), -1);
    memset(block, ' ', sizeof block);
    memcpy(block, "SIMPLE  =                    T", 30);
    memcpy(block + 80, "BITPIX  =                    7", 30);
    memcpy(block + 160, "NAXIS   =                    0", 30);
    memcpy(block + 240, "END", 3);
    fp = fopen(text, "wb");
    assert_non_null(fp);
    fwrite(block, 1, sizeof block, fp);
    fclose(fp);
    assert_int_equal(offbkg_fitsmem_open(&m, text, need, 2, &mf), -1);
    sg_path(text, fx->dir, "nothing-here.fits.gz");
    assert_int_equal(offbkg_fitsmem_open(&m, text, need, 2, &mf), -1);
    offbkg_fitsmem_free(&m);
}

/* Nothing past the bytes loaded is ever read: a plain file cut (at a
 * block boundary) inside the EVENTS data is left to the ordinary open;
 * and where cfitsio sizes an HDU larger than the reader did (here an
 * NAXIS3 = 0 card that cfitsio ignores in a table with NAXIS = 2), it
 * fails instead of reading whatever the rest of the buffer holds. */
static void test_fitsmem_never_reads_past_loaded(void **state)
{
    const fixture_t *fx = *state;
    static const char *const events[] = { "EVENTS" };
    offbkg_fitsmem_t m = { 0 };
    char path[PATH_MAX];
    fitsfile *mf = NULL, *f = NULL;
    double e;
    int st = 0, col, anynul;

    sg_path(path, fx->dir, "cut.fits");
    copy_head(fx->plain, path, 2880 * 10);
    assert_int_equal(offbkg_fitsmem_open(&m, path, need, 2, &mf), -1);
    assert_null(mf);

    sg_path(path, fx->dir, "naxis3.fits");
    copy_head(fx->plain, path, file_size(fx->plain));
    fits_open_file(&f, path, READWRITE, &st);
    fits_movnam_hdu(f, BINARY_TBL, "EVENTS", 0, &st);
    fits_update_key_lng(f, "NAXIS3", 0, NULL, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
    assert_int_equal(offbkg_fitsmem_open(&m, path, events, 1, &mf), 0);
    assert_true(m.size < fx->events_end / 2);
    /* cfitsio 4.2 already fails to move to the HDU; a version that
     * moves there must fail to read its last row. */
    fits_movnam_hdu(mf, BINARY_TBL, "EVENTS", 0, &st);
    fits_get_colnum(mf, CASEINSEN, "ENERGY", &col, &st);
    fits_read_col(mf, TDOUBLE, col, N_EVENTS, 1, 1, NULL, &e, &anynul, &st);
    assert_int_not_equal(st, 0);
    st = 0;
    fits_close_file(mf, &st);
    fits_clear_errmsg();
    offbkg_fitsmem_free(&m);
}

/* A gzip file of two members (as `cat a.gz b.gz` makes) reads as one. */
static void test_fitsmem_gzip_members(void **state)
{
    const fixture_t *fx = *state;
    static unsigned char bytes[2880 * 8];
    offbkg_fitsmem_t m = { 0 };
    char two[PATH_MAX];
    FILE *fp = fopen(fx->plain, "rb");
    gzFile gz;
    size_t n, split = 2880 * 3;
    fitsfile *mf;
    int st = 0;

    assert_non_null(fp);
    sg_path(two, fx->dir, "two.fits.gz");
    for (int member = 0; member < 2; member++) {
        gz = gzopen(two, member == 0 ? "wb" : "ab");
        assert_non_null(gz);
        if (member == 0) {
            n = fread(bytes, 1, split, fp);
            assert_int_equal(n, split);
            gzwrite(gz, bytes, (unsigned)n);
        } else {
            while ((n = fread(bytes, 1, sizeof bytes, fp)) > 0)
                gzwrite(gz, bytes, (unsigned)n);
        }
        gzclose(gz);
    }
    fclose(fp);
    assert_int_equal(offbkg_fitsmem_open(&m, two, need, 2, &mf), 0);
    assert_int_equal(m.size, fx->events_end);
    fits_movnam_hdu(mf, BINARY_TBL, "GTI", 0, &st);
    assert_int_equal(st, 0);
    fits_close_file(mf, &st);
    offbkg_fitsmem_free(&m);
}

/* offbkg_events_read of simulated runs (plain and gzip, float64 columns,
 * NaN rows) keeps exactly the rows and values cfitsio reads. */
static void test_events_read_equals_cfitsio(void **state)
{
    const fixture_t *fx = *state;
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    offbkg_sim_params_t p;
    char dir[PATH_MAX];

    assert_non_null(ctx);
    offbkg_ctx_set_log_level(ctx, OFFBKG_LOG_ERROR);
    offbkg_sim_params_default(&p);
    p.n_runs = 2;
    p.nan_rows = 3;
    p.r0 = 2e-6;
    p.mixed_compression = true;   /* run 1 gzip, run 2 plain */
    sg_path(dir, fx->dir, "store");
    assert_int_equal(offbkg_sim_write(ctx, &p, dir, false, NULL), OFFBKG_OK);
    offbkg_datastore_conf_t conf = { .path = dir, .obs_index = "",
                                      .hdu_index = "" };
    offbkg_datastore_t *store = NULL;
    assert_int_equal(offbkg_datastore_open(ctx, &conf, &store), OFFBKG_OK);

    offbkg_events_t ev = { 0 };
    for (int64_t obs_id = 1; obs_id <= 2; obs_id++) {
        fitsfile *f = NULL;
        LONGLONG n = 0;
        int st = 0;
        size_t k = 0, nonfinite = 0;
        assert_int_equal(offbkg_events_read(ctx, store, obs_id, &ev),
                         OFFBKG_OK);
        assert_non_null(strstr(ev.path, obs_id == 1 ? ".fits.gz" : ".fits"));
        fits_open_file(&f, ev.path, READONLY, &st);
        fits_movnam_hdu(f, BINARY_TBL, "EVENTS", 0, &st);
        fits_get_num_rowsll(f, &n, &st);
        assert_int_equal(st, 0);
        assert_true(n > 100);
        double *v = malloc(4 * (size_t)n * sizeof *v);
        assert_non_null(v);
        read_col(f, "ENERGY", v, (size_t)n);
        read_col(f, "RA", v + n, (size_t)n);
        read_col(f, "DEC", v + 2 * n, (size_t)n);
        read_col(f, "TIME", v + 3 * n, (size_t)n);
        for (LONGLONG i = 0; i < n; i++) {
            double e = v[i], ra = v[n + i], dec = v[2 * n + i];
            double t = v[3 * n + i];
            if (!isfinite(e) || !isfinite(ra) || !isfinite(dec)
                || !isfinite(t)) {
                nonfinite++;
                continue;
            }
            if (e <= 0)
                continue;
            assert_true(k < ev.n);
            assert_true(ev.energy_tev[k] == e && ev.ra_deg[k] == ra
                        && ev.dec_deg[k] == dec && ev.time_s[k] == t);
            k++;
        }
        assert_int_equal(k, ev.n);
        assert_int_equal(ev.n_rows, (size_t)n);
        assert_int_equal(ev.n_nonfinite, nonfinite);
        assert_true(nonfinite > 0 && ev.n_bad_energy == 1);
        free(v);
        fits_close_file(f, &st);
    }
    offbkg_events_free(&ev);
    offbkg_datastore_free(store);
    offbkg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fitsmem_gzip_prefix),
        cmocka_unit_test(test_fitsmem_plain_prefix),
        cmocka_unit_test(test_fitsmem_missing_hdu_reads_all),
        cmocka_unit_test(test_fitsmem_whole_file),
        cmocka_unit_test(test_fitsmem_crc),
        cmocka_unit_test(test_fitsmem_odd_files_fall_back),
        cmocka_unit_test(test_fitsmem_never_reads_past_loaded),
        cmocka_unit_test(test_fitsmem_gzip_members),
        cmocka_unit_test(test_events_read_equals_cfitsio),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
