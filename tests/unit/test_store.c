/* SPDX-License-Identifier: BSD-3-Clause
 * The contribution store (core/store.c, doc/store.md): entries round-trip
 * bit for bit; every stale key field and every kind of damage is said,
 * never trusted and never a crash; a valid file is kept; concurrent
 * writers leave a valid file; a store of another format is refused. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "diag-private.h"
#include "runconf-private.h"
#include "sim-private.h"
#include "store-private.h"
#include "simstore.h"
#include "storegen.h"

/* 32 energies x 4 x 4 cells, 32 exposure bins: small, but sparse. */
#define N_CELLS 512
#define N_EXPO 32

typedef struct fixture {
    char dir[PATH_MAX];             /* simulated data store */
    char store_dir[PATH_MAX];
    offbkg_ctx_t *ctx;
    offbkg_datastore_t *ds;
    offbkg_store_t *store;
    char events[PATH_MAX];          /* an events file of the store */
    offbkg_store_key_t key;
    uint64_t counts[N_CELLS];
    double exposure[N_EXPO];
    offbkg_store_entry_t entry;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    offbkg_datastore_conf_t conf = { 0 };
    char *ev_path = NULL, *ev_hdu = NULL;
    size_t n_rows;

    assert_non_null(f);
    f->ctx = simstore_new(f->dir, 2, 1000);
    conf.path = f->dir;
    conf.obs_index = "";
    conf.hdu_index = "";
    assert_int_equal(offbkg_datastore_open(f->ctx, &conf, &f->ds), OFFBKG_OK);
    int64_t obs_id = offbkg_datastore_obs_id(f->ds, 0);
    assert_int_equal(offbkg_datastore_locate(f->ctx, f->ds, obs_id, "events",
                                             &ev_path, &ev_hdu, &n_rows),
                     OFFBKG_OK);
    snprintf(f->events, sizeof f->events, "%s", ev_path);
    free(ev_path);
    free(ev_hdu);
    sg_path(f->store_dir, f->dir, "store");
    assert_int_equal(offbkg_store_open(f->ctx, f->store_dir, true, &f->store),
                     OFFBKG_OK);

    f->key.obs_id = obs_id;
    f->key.model_key = "3d-0123456789abcdef";
    f->key.model_text = "plugin = 3d\nversion = 1\n";
    f->key.regions_hash = 0x1234;
    f->key.row_hash = offbkg_store_row_hash(f->ds, 0);
    offbkg_file_id_t file = offbkg_datastore_path_id(f->events);
    assert_int_equal(offbkg_store_identity_of(f->ctx, f->events, "EVENTS",
                                              &file, &f->key.events),
                     OFFBKG_OK);
    /* Sparse counts, exposure uniform but near a corner. */
    for (size_t i = 0; i < N_CELLS; i += 7)
        f->counts[i] = i % 3 + 1;
    f->counts[N_CELLS - 1] = (uint64_t)INT64_MAX;
    for (size_t i = 0; i < N_EXPO; i++)
        f->exposure[i] = 1687.0 / 3;
    f->exposure[3] = 0.1;
    f->exposure[4] = -0.0;
    f->exposure[N_EXPO - 1] = 5e-324;   /* subnormal */
    f->entry.events_crc = 0xdeadbeef;
    f->entry.n_rows = 230;
    f->entry.n_events = 220;
    f->entry.n_nonfinite = 7;
    f->entry.n_bad_energy = 3;
    f->entry.n_regions = 2;
    f->entry.ontime_s = 1687.0 / 3;
    f->entry.livetime_s = 1687.0 / 3 * 0.9;
    f->entry.data.struct_size = sizeof f->entry.data;
    f->entry.data.n_counts = N_CELLS;
    f->entry.data.counts = f->counts;
    f->entry.data.n_exposure = N_EXPO;
    f->entry.data.exposure_s = f->exposure;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    offbkg_store_close(f->store);
    offbkg_datastore_free(f->ds);
    simstore_free(f->ctx, f->dir);
    free(f);
    return 0;
}

static void write_ok(fixture_t *f, const offbkg_store_key_t *key,
                     const offbkg_store_entry_t *e, bool expect_kept)
{
    bool kept = !expect_kept;

    if (offbkg_store_write(f->ctx, f->store, key, e, f->ds, 0, &kept)
        != OFFBKG_OK)
        fail_msg("write: %s", offbkg_error_msg(f->ctx));
    assert_int_equal(kept, expect_kept);
}

static bool same_doubles(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Read @p key and compare it bit for bit with @p e. */
static void assert_reads_back(fixture_t *f, const offbkg_store_key_t *key,
                              const offbkg_store_entry_t *e)
{
    offbkg_store_entry_t got;
    int st = offbkg_store_read(f->ctx, f->store, key, e->data.n_counts,
                               e->data.n_exposure, &got);

    if (st != OFFBKG_OK)
        fail_msg("read: %d %s", st, offbkg_error_msg(f->ctx));
    assert_int_equal(got.events_crc, e->events_crc);
    assert_int_equal(got.n_rows, e->n_rows);
    assert_int_equal(got.n_events, e->n_events);
    assert_int_equal(got.n_nonfinite, e->n_nonfinite);
    assert_int_equal(got.n_bad_energy, e->n_bad_energy);
    assert_int_equal(got.n_regions, e->n_regions);
    assert_true(same_doubles(&got.ontime_s, &e->ontime_s, 1));
    assert_true(same_doubles(&got.livetime_s, &e->livetime_s, 1));
    assert_int_equal(got.data.n_counts, e->data.n_counts);
    assert_int_equal(got.data.n_exposure, e->data.n_exposure);
    assert_memory_equal(got.data.counts, e->data.counts,
                        e->data.n_counts * sizeof *e->data.counts);
    assert_true(same_doubles(got.data.exposure_s, e->data.exposure_s,
                             e->data.n_exposure));
    offbkg_store_entry_free(&got);
}

/* The status of reading f->key, and its message in @p why (1024). */
static int read_status(fixture_t *f, const offbkg_store_key_t *key,
                       char *why)
{
    offbkg_store_entry_t got;
    int st = offbkg_store_read(f->ctx, f->store, key, N_CELLS, N_EXPO, &got);

    snprintf(why, 1024, "%s", offbkg_error_msg(f->ctx));
    if (st != OFFBKG_OK)
        assert_null(got.data.counts);
    offbkg_store_entry_free(&got);
    return st;
}

static void assert_unusable(fixture_t *f, const offbkg_store_key_t *key,
                            int status, const char *needle)
{
    char why[1024];
    int st = read_status(f, key, why);

    if (st != status || strstr(why, needle) == NULL)
        fail_msg("expected %d with \"%s\", got %d: %s", status, needle, st,
                 why);
}

static char *run_path(fixture_t *f)
{
    char *p = offbkg_store_path(f->store, &f->key);
    assert_non_null(p);
    return p;
}

/* How many temporary files the model's directory holds. */
static int temporaries(fixture_t *f)
{
    char dir[PATH_MAX];
    struct dirent *e;
    DIR *d = opendir(sg_path(dir, f->store_dir, "%s", f->key.model_key));
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, ".tmp", 4) == 0;
    closedir(d);
    return n;
}

static void test_round_trip(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX], text[256];
    FILE *fp;

    assert_unusable(f, &f->key, OFFBKG_STORE_MISSING, "missing");
    write_ok(f, &f->key, &f->entry, false);
    assert_reads_back(f, &f->key, &f->entry);

    /* The layout: STORE, KEY/MODEL, KEY/obs_N.fits. */
    fp = fopen(sg_path(path, f->store_dir, "STORE"), "r");
    assert_non_null(fp);
    assert_non_null(fgets(text, sizeof text, fp));
    fclose(fp);
    assert_string_equal(text, OFFBKG_STORE_FORMAT_LINE "\n");
    fp = fopen(sg_path(path, f->store_dir, "%s/MODEL", f->key.model_key),
               "r");
    assert_non_null(fp);
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = '\0';
    fclose(fp);
    assert_string_equal(text, f->key.model_text);

    /* Dense counts, exposure all one value (no row in EXPOSURE). */
    offbkg_store_key_t k2 = f->key;
    k2.obs_id = offbkg_datastore_obs_id(f->ds, 1);
    for (size_t i = 0; i < N_CELLS; i++)
        f->counts[i] = i + 1;
    for (size_t i = 0; i < N_EXPO; i++)
        f->exposure[i] = 1234.5;
    write_ok(f, &k2, &f->entry, false);
    assert_reads_back(f, &k2, &f->entry);

    /* No event at all, a varied exposure. */
    memset(f->counts, 0, sizeof f->counts);
    for (size_t i = 0; i < N_EXPO; i++)
        f->exposure[i] = i * 0.3;
    k2.obs_id = 999;
    write_ok(f, &k2, &f->entry, false);
    assert_reads_back(f, &k2, &f->entry);
}

/* The run files are gzip: a test edits the FITS file inflated to
 * f->dir/plain.fits (edit_begin), then gzips it back (edit_end). */
static void gunzip_file(const char *from, const char *to)
{
    gzFile in = gzopen(from, "rb");
    FILE *out = fopen(to, "wb");
    char buf[4096];
    int n;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = gzread(in, buf, sizeof buf)) > 0)
        assert_int_equal(fwrite(buf, 1, (size_t)n, out), (size_t)n);
    assert_int_equal(n, 0);
    gzclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Gzip the first @p max_bytes of @p from into @p to. */
static void gzip_file(const char *from, const char *to, size_t max_bytes)
{
    FILE *in = fopen(from, "rb");
    gzFile out = gzopen(to, "wb");
    char buf[4096];
    size_t n, done = 0;

    assert_non_null(in);
    assert_non_null(out);
    while (done < max_bytes && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (n > max_bytes - done)
            n = max_bytes - done;
        assert_int_equal(gzwrite(out, buf, (unsigned)n), (int)n);
        done += n;
    }
    fclose(in);
    assert_int_equal(gzclose(out), Z_OK);
}

static fitsfile *edit_begin(fixture_t *f, const char *path, char *plain)
{
    fitsfile *ff = NULL;
    int st = 0;

    gunzip_file(path, sg_path(plain, f->dir, "plain.fits"));
    fits_open_file(&ff, plain, READWRITE, &st);
    assert_int_equal(st, 0);
    return ff;
}

static void edit_end(fitsfile *ff, const char *plain, const char *path)
{
    int st = 0;

    fits_close_file(ff, &st);
    assert_int_equal(st, 0);
    gzip_file(plain, path, SIZE_MAX);
}

/* Replace card @p card of HDU @p hdu (1 = primary) of the run file. */
static void edit_card(fixture_t *f, const char *path, int hdu,
                      const char *card, int type, const void *value)
{
    char plain[PATH_MAX];
    fitsfile *ff = edit_begin(f, path, plain);
    int st = 0;

    fits_movabs_hdu(ff, hdu, NULL, &st);
    fits_update_key(ff, type, card, (void *)value, NULL, &st);
    assert_int_equal(st, 0);
    edit_end(ff, plain, path);
}

/* Write @p value to row @p row of column @p col of table @p extname. */
static void edit_cell(fixture_t *f, const char *path, const char *extname,
                      const char *col, long row, int type, const void *value)
{
    char plain[PATH_MAX];
    fitsfile *ff = edit_begin(f, path, plain);
    int st = 0, c;

    fits_movnam_hdu(ff, BINARY_TBL, (char *)extname, 0, &st);
    fits_get_colnum(ff, CASEINSEN, (char *)col, &c, &st);
    fits_write_col(ff, type, c, row, 1, 1, (void *)value, &st);
    assert_int_equal(st, 0);
    edit_end(ff, plain, path);
}

static void copy_file(const char *from, const char *to, size_t max_bytes)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[4096];
    size_t n, done = 0;

    assert_non_null(in);
    assert_non_null(out);
    while (done < max_bytes && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (n > max_bytes - done)
            n = max_bytes - done;
        assert_int_equal(fwrite(buf, 1, n, out), n);
        done += n;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_stale(void **state)
{
    fixture_t *f = *state;
    offbkg_store_key_t k;
    char *path = run_path(f), moved[PATH_MAX];

    write_ok(f, &f->key, &f->entry, false);

    k = f->key;
    k.regions_hash++;
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "the exclusion regions "
                    "changed");
    k = f->key;
    k.row_hash = offbkg_store_row_hash(f->ds, 1);
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "obs-index row changed");
    k = f->key;
    k.events.size_bytes += 6;
    char want[128];
    snprintf(want, sizeof want, "the events file changed (size %lld -> "
             "%lld)", (long long)f->key.events.size_bytes,
             (long long)k.events.size_bytes);
    assert_unusable(f, &k, OFFBKG_STORE_STALE, want);
    k = f->key;
    k.events.mtime_ns += 1;
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "modification time");
    k = f->key;
    k.events.path = "/elsewhere/run.fits";
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "another events file");
    k = f->key;
    k.events.hdu = "EVENTS2";
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "another events HDU");
    assert_reads_back(f, &f->key, &f->entry);

    /* The file of another run, or of another model, in its place. */
    k = f->key;
    k.obs_id = 4242;
    char *other = offbkg_store_path(f->store, &k);
    copy_file(path, other, SIZE_MAX);
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "another run (OBS_ID");
    free(other);
    k = f->key;
    k.model_key = "3d-fedcba9876543210";
    assert_int_equal(sg_mkdirs(f->store_dir, k.model_key), 0);
    other = offbkg_store_path(f->store, &k);
    copy_file(path, other, SIZE_MAX);
    assert_unusable(f, &k, OFFBKG_STORE_STALE, "another model configuration");
    free(other);

    /* Another offbkg version, another format. */
    sg_path(moved, f->dir, "copy.fits.gz");
    copy_file(path, moved, SIZE_MAX);
    edit_card(f, path, 1, "OFFBKGV", TSTRING, "0.0.1");
    assert_unusable(f, &f->key, OFFBKG_STORE_STALE, "written by offbkg 0.0.1");
    copy_file(moved, path, SIZE_MAX);
    int fmt = 2;
    edit_card(f, path, 1, "STOREFMT", TINT, &fmt);
    assert_unusable(f, &f->key, OFFBKG_STORE_STALE, "store format 2");

    /* A stale file is replaced by the next write. */
    write_ok(f, &f->key, &f->entry, false);
    assert_reads_back(f, &f->key, &f->entry);
    free(path);
}

/* Each damaged copy is reported as damaged, and a write replaces it. */
static void assert_damaged(fixture_t *f, const char *needle)
{
    assert_unusable(f, &f->key, OFFBKG_STORE_DAMAGED, needle);
    write_ok(f, &f->key, &f->entry, false);
    assert_reads_back(f, &f->key, &f->entry);
}

static void test_damaged(void **state)
{
    fixture_t *f = *state;
    char *path = run_path(f), good[PATH_MAX], plain[PATH_MAX];
    struct stat sb;

    write_ok(f, &f->key, &f->entry, false);
    sg_path(good, f->dir, "good.fits.gz");
    copy_file(path, good, SIZE_MAX);
    /* Cut short: the gzip file, and the FITS file inside a whole gzip. */
    assert_int_equal(stat(good, &sb), 0);
    size_t size = (size_t)sb.st_size;
    const size_t gz_cuts[] = { 0, 1, 10, 100, size / 2, size - 8, size - 1 };
    for (size_t i = 0; i < sizeof gz_cuts / sizeof gz_cuts[0]; i++) {
        copy_file(good, path, gz_cuts[i]);
        assert_damaged(f, "");
    }
    gunzip_file(good, sg_path(plain, f->dir, "good.fits"));
    assert_int_equal(stat(plain, &sb), 0);
    size = (size_t)sb.st_size;
    const size_t cuts[] = { 0, 1, 100, 2880, 2880 + 80, 2 * 2880,
                            3 * 2880 + 17, size - 2880, size - 8, size - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gzip_file(plain, path, cuts[i]);
        assert_damaged(f, "");
    }

    assert_int_equal(sg_write_text(path, "SIMPLE  = garbage, not FITS at "
                                   "all\n"), 0);
    assert_damaged(f, "");
    gzip_file(sg_path(plain, f->store_dir, "STORE"), path, SIZE_MAX);
    assert_damaged(f, "");

    copy_file(good, path, SIZE_MAX);
    long long ncells = N_CELLS + 1;
    edit_card(f, path, 3, "NCELLS", TLONGLONG, &ncells);
    assert_damaged(f, "NCELLS is 513, the model has 512");

    copy_file(good, path, SIZE_MAX);
    ncells = (long long)1 << 40;
    edit_card(f, path, 3, "NCELLS", TLONGLONG, &ncells);
    assert_damaged(f, "NCELLS is missing or out of range");

    copy_file(good, path, SIZE_MAX);
    long long cell = N_CELLS;
    edit_cell(f, path, "COUNTS", "CELL", 2, TLONGLONG, &cell);
    assert_damaged(f, "CELL 512 in row 2 is out of range or out of order");

    copy_file(good, path, SIZE_MAX);
    cell = 0;
    edit_cell(f, path, "COUNTS", "CELL", 2, TLONGLONG, &cell);
    assert_damaged(f, "out of order");

    copy_file(good, path, SIZE_MAX);
    long long zero = 0;
    edit_cell(f, path, "COUNTS", "COUNT", 1, TLONGLONG, &zero);
    assert_damaged(f, "COUNT 0 in row 1");

    copy_file(good, path, SIZE_MAX);
    double nan = NAN;
    edit_cell(f, path, "EXPOSURE", "EXPOSURE", 1, TDOUBLE, &nan);
    assert_damaged(f, "EXPOSURE nan in row 1");

    copy_file(good, path, SIZE_MAX);
    double negative = -1;
    edit_card(f, path, 4, "EXPUNIF", TDOUBLE, &negative);
    assert_damaged(f, "EXPUNIF");

    const char *hdus[] = { "COUNTS", "EXPOSURE", "OBS" };
    for (size_t i = 0; i < 3; i++) {
        int st = 0;
        copy_file(good, path, SIZE_MAX);
        fitsfile *ff = edit_begin(f, path, plain);
        fits_movnam_hdu(ff, BINARY_TBL, (char *)hdus[i], 0, &st);
        fits_delete_hdu(ff, NULL, &st);
        assert_int_equal(st, 0);
        edit_end(ff, plain, path);
        char want[64];
        snprintf(want, sizeof want, "no %s table", hdus[i]);
        assert_damaged(f, want);
    }

    /* An OBS row that is not the one ROWHASH names. */
    copy_file(good, path, SIZE_MAX);
    long long id = 77;
    edit_cell(f, path, "OBS", "OBS_ID", 1, TLONGLONG, &id);
    assert_damaged(f, "OBS table");

    /* A directory in the file's place. */
    unlink(path);
    assert_int_equal(mkdir(path, 0777), 0);
    assert_unusable(f, &f->key, OFFBKG_STORE_DAMAGED, "");
    rmdir(path);
    free(path);
}

/* The TFORM of column @p col of table @p extname of the run file. */
static void column_form(const char *path, const char *extname, int col,
                        char *form)
{
    fitsfile *ff = NULL;
    char key[16];
    int st = 0;

    fits_open_file(&ff, path, READONLY, &st);
    fits_movnam_hdu(ff, BINARY_TBL, (char *)extname, 0, &st);
    snprintf(key, sizeof key, "TFORM%d", col);
    fits_read_key(ff, TSTRING, key, form, NULL, &st);
    fits_close_file(ff, &st);
    assert_int_equal(st, 0);
}

static void assert_forms(const char *path, const char *cell,
                         const char *count, const char *bin)
{
    char form[FLEN_VALUE];

    column_form(path, "COUNTS", 1, form);
    assert_string_equal(form, cell);
    column_form(path, "COUNTS", 2, form);
    assert_string_equal(form, count);
    column_form(path, "EXPOSURE", 1, form);
    assert_string_equal(form, bin);
    column_form(path, "EXPOSURE", 2, form);
    assert_string_equal(form, "D");
}

/* Column @p col of table @p extname rewritten as @p form (K, J, E...),
 * its values kept. */
static void edit_form(fixture_t *f, const char *path, const char *extname,
                      int col, const char *form)
{
    char plain[PATH_MAX], name[FLEN_VALUE], key[16];
    fitsfile *ff = edit_begin(f, path, plain);
    long long n_rows = 0;
    int st = 0;

    fits_movnam_hdu(ff, BINARY_TBL, (char *)extname, 0, &st);
    fits_get_num_rowsll(ff, &n_rows, &st);
    snprintf(key, sizeof key, "TTYPE%d", col);
    fits_read_key(ff, TSTRING, key, name, NULL, &st);
    double *v = calloc((size_t)n_rows + 1, sizeof *v);
    assert_non_null(v);
    fits_read_col(ff, TDOUBLE, col, 1, 1, n_rows, NULL, v, NULL, &st);
    fits_delete_col(ff, col, &st);
    fits_insert_col(ff, col, name, (char *)form, &st);
    fits_write_col(ff, TDOUBLE, col, 1, 1, n_rows, v, &st);
    free(v);
    assert_int_equal(st, 0);
    edit_end(ff, plain, path);
}

/* Sparse columns are written in the narrowest exact form (J when every
 * value fits 32 bits, else K) and read in either, the 64-bit files of
 * earlier versions included; scaled columns are read through cfitsio;
 * long strings with quotes and ampersands round-trip. */
static void test_column_forms(void **state)
{
    fixture_t *f = *state;
    char *path = run_path(f), good[PATH_MAX];
    char long_path[400];

    /* The fixture has a count of INT64_MAX: COUNT is K. */
    write_ok(f, &f->key, &f->entry, false);
    assert_forms(path, "J", "K", "J");
    assert_reads_back(f, &f->key, &f->entry);
    unlink(path);

    /* Every count fits 32 bits: J; the largest that does. */
    f->counts[N_CELLS - 1] = INT32_MAX;
    write_ok(f, &f->key, &f->entry, false);
    assert_forms(path, "J", "J", "J");
    assert_reads_back(f, &f->key, &f->entry);
    sg_path(good, f->dir, "good.fits.gz");
    copy_file(path, good, SIZE_MAX);
    unlink(path);

    /* One more: K. */
    f->counts[N_CELLS - 1] = (uint64_t)INT32_MAX + 1;
    write_ok(f, &f->key, &f->entry, false);
    assert_forms(path, "J", "K", "J");
    assert_reads_back(f, &f->key, &f->entry);

    /* The wide form of format 1 as first written (every index and count
     * K) reads back the same. */
    f->counts[N_CELLS - 1] = INT32_MAX;
    copy_file(good, path, SIZE_MAX);
    edit_form(f, path, "COUNTS", 1, "K");
    edit_form(f, path, "COUNTS", 2, "K");
    edit_form(f, path, "EXPOSURE", 1, "K");
    assert_forms(path, "K", "K", "K");
    assert_reads_back(f, &f->key, &f->entry);

    /* Scaling cards that change nothing: read through cfitsio, the same;
     * a scaling that changes the values: read as cfitsio scales them. */
    copy_file(good, path, SIZE_MAX);
    long long zero = 0;
    edit_card(f, path, 3, "TZERO2", TLONGLONG, &zero);
    assert_reads_back(f, &f->key, &f->entry);
    long long two = 2;
    edit_card(f, path, 3, "TSCAL2", TLONGLONG, &two);
    offbkg_store_entry_t got;
    assert_int_equal(offbkg_store_read(f->ctx, f->store, &f->key, N_CELLS,
                                       N_EXPO, &got), OFFBKG_OK);
    assert_int_equal(got.data.counts[0], 2 * f->counts[0]);
    offbkg_store_entry_free(&got);

    /* Columns of another type are damaged. */
    copy_file(good, path, SIZE_MAX);
    edit_form(f, path, "COUNTS", 2, "E");
    assert_damaged(f, "column COUNT is not of type K or J");
    copy_file(good, path, SIZE_MAX);
    edit_form(f, path, "EXPOSURE", 1, "I");
    assert_damaged(f, "column BIN is not of type K or J");
    copy_file(good, path, SIZE_MAX);
    edit_form(f, path, "EXPOSURE", 2, "K");
    assert_damaged(f, "column EXPOSURE is not of type D");

    /* An events path over several CONTINUE cards, with a quote and an
     * ampersand in it (the long-string convention's own marks). */
    size_t n = 0;
    n += (size_t)snprintf(long_path, sizeof long_path, "%s", f->dir);
    while (n < 300)
        n += (size_t)snprintf(long_path + n, sizeof long_path - n,
                              "/it's & more");
    offbkg_store_key_t k2 = f->key;
    k2.events.path = long_path;
    unlink(path);
    write_ok(f, &k2, &f->entry, false);
    assert_reads_back(f, &k2, &f->entry);
    long_path[n - 1] = 'X';
    assert_unusable(f, &k2, OFFBKG_STORE_STALE, "another events file");
    free(path);
}

static void test_valid_file_kept(void **state)
{
    fixture_t *f = *state;
    offbkg_store_entry_t other = f->entry;
    uint64_t counts[N_CELLS] = { 5 };
    char *path = run_path(f);
    struct stat before, after;

    write_ok(f, &f->key, &f->entry, false);
    assert_int_equal(stat(path, &before), 0);
    other.data.counts = counts;
    other.n_events = 5;
    write_ok(f, &f->key, &other, true);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_reads_back(f, &f->key, &f->entry);

    /* Refused: what a FITS file must not hold. */
    f->exposure[2] = INFINITY;
    assert_int_equal(offbkg_store_write(f->ctx, f->store, &f->key, &f->entry,
                                        f->ds, 0, NULL), OFFBKG_EINVAL);
    f->exposure[2] = 1;
    counts[0] = (uint64_t)INT64_MAX + 1;
    assert_int_equal(offbkg_store_write(f->ctx, f->store, &f->key, &other,
                                        f->ds, 0, NULL), OFFBKG_EINVAL);
    free(path);
}

/* Two processes writing two versions of the entry (events sizes that make
 * each stale for the other) 50 times each, reading between: no read ever
 * sees a damaged file, and a valid one is left. */
static void test_concurrent_writers(void **state)
{
    fixture_t *f = *state;
    pid_t pid[2];

    for (int w = 0; w < 2; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] > 0)
            continue;
        offbkg_store_key_t k = f->key;
        int bad = 0;
        k.events.size_bytes += w;
        for (int i = 0; i < 50 && !bad; i++) {
            offbkg_store_entry_t got;
            if (offbkg_store_write(f->ctx, f->store, &k, &f->entry, f->ds, 0,
                                   NULL) != OFFBKG_OK) {
                fprintf(stderr, "writer %d, write %d: %s\n", w, i,
                        offbkg_error_msg(f->ctx));
                bad = 1;
            }
            int st = offbkg_store_read(f->ctx, f->store, &k, N_CELLS, N_EXPO,
                                       &got);
            offbkg_store_entry_free(&got);
            if (st != OFFBKG_OK && st != OFFBKG_STORE_STALE)
                bad = 2;
        }
        _exit(bad);
    }
    for (int w = 0; w < 2; w++) {
        int status;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    offbkg_store_key_t k1 = f->key;
    k1.events.size_bytes += 1;
    offbkg_store_entry_t got;
    int a = offbkg_store_read(f->ctx, f->store, &f->key, N_CELLS, N_EXPO,
                              &got);
    offbkg_store_entry_free(&got);
    int b = offbkg_store_read(f->ctx, f->store, &k1, N_CELLS, N_EXPO, &got);
    offbkg_store_entry_free(&got);
    assert_true((a == OFFBKG_OK && b == OFFBKG_STORE_STALE)
                || (b == OFFBKG_OK && a == OFFBKG_STORE_STALE));

    /* Both writing the same entry: one file, valid. */
    for (int w = 0; w < 2; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] > 0)
            continue;
        int bad = 0;
        for (int i = 0; i < 50 && !bad; i++) {
            char *p = run_path(f);
            if (w == 0 && i % 5 == 0)
                unlink(p);
            free(p);
            bad = offbkg_store_write(f->ctx, f->store, &f->key, &f->entry,
                                     f->ds, 0, NULL) != OFFBKG_OK;
            if (bad)
                fprintf(stderr, "writer %d, write %d: %s\n", w, i,
                        offbkg_error_msg(f->ctx));
        }
        _exit(bad);
    }
    for (int w = 0; w < 2; w++) {
        int status;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_reads_back(f, &f->key, &f->entry);
    assert_int_equal(temporaries(f), 0);
}

/* The entry's name held by a dangling symbolic link: a look says the
 * entry is missing (stat follows the link), yet link() finds the name
 * taken. A write meets the same when other processes put a file in place
 * and remove it again between its link() and its look (the test above,
 * under load): it must not fail, whatever comes and goes. The link is
 * replaced, never written through. */
static void test_taken_yet_missing(void **state)
{
    fixture_t *f = *state;
    char *path = run_path(f), target[PATH_MAX];
    struct stat sb;

    write_ok(f, &f->key, &f->entry, false);     /* the model's directory */
    assert_int_equal(unlink(path), 0);
    sg_path(target, f->dir, "nowhere");
    assert_int_equal(symlink(target, path), 0);
    assert_unusable(f, &f->key, OFFBKG_STORE_MISSING, "no such file");
    write_ok(f, &f->key, &f->entry, false);
    assert_int_equal(lstat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(access(target, F_OK), -1);
    assert_reads_back(f, &f->key, &f->entry);
    assert_int_equal(temporaries(f), 0);
    free(path);
}

/* Four processes making one new store at once, each then writing an
 * entry (a model key directory appears right after STORE), 30 times:
 * every open succeeds (one process may find the store being made). */
static void test_concurrent_open(void **state)
{
    fixture_t *f = *state;
    char dir[PATH_MAX];
    pid_t pid[4];

    for (int round = 0; round < 30; round++) {
        sg_path(dir, f->dir, "new%d", round);
        for (int w = 0; w < 4; w++) {
            pid[w] = fork();
            assert_true(pid[w] >= 0);
            if (pid[w] > 0)
                continue;
            offbkg_store_t *s = NULL;
            int bad = offbkg_store_open(f->ctx, dir, true, &s) != OFFBKG_OK;
            if (!bad)
                bad = offbkg_store_write(f->ctx, s, &f->key, &f->entry, f->ds,
                                         0, NULL) != OFFBKG_OK;
            offbkg_store_close(s);
            _exit(bad);
        }
        for (int w = 0; w < 4; w++) {
            int status;
            assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
    }
}

static void test_open(void **state)
{
    fixture_t *f = *state;
    char dir[PATH_MAX], path[PATH_MAX];
    offbkg_store_t *s = NULL;

    /* Not there, and not to be made. */
    sg_path(dir, f->dir, "nostore");
    assert_int_equal(offbkg_store_open(f->ctx, dir, false, &s),
                     OFFBKG_ECONFIG);
    assert_null(s);
    /* A directory with other files in it is not made a store. */
    assert_int_equal(offbkg_store_open(f->ctx, f->dir, true, &s),
                     OFFBKG_ECONFIG);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "not empty"));
    assert_int_equal(access(sg_path(path, f->dir, "STORE"), F_OK), -1);
    /* An existing store opens without create. */
    assert_int_equal(offbkg_store_open(f->ctx, f->store_dir, false, &s),
                     OFFBKG_OK);
    assert_string_equal(offbkg_store_dir(s), f->store_dir);
    offbkg_store_close(s);
    /* Another format is refused, named. */
    assert_int_equal(sg_mkdirs(f->dir, "future"), 0);
    sg_path(dir, f->dir, "future");
    assert_int_equal(sg_write_text(sg_path(path, dir, "STORE"),
                                   "offbkg contribution store, format 2\n"),
                     0);
    s = NULL;
    assert_int_equal(offbkg_store_open(f->ctx, dir, true, &s),
                     OFFBKG_ECONFIG);
    assert_null(s);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "format 2"));
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "another format"));
}

static void test_identity_crc_hashes(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX];
    uint32_t crc;
    offbkg_store_identity_t id;
    struct stat sb;

    assert_int_equal(sg_write_text(sg_path(path, f->dir, "crc.txt"),
                                   "123456789"), 0);
    assert_int_equal(offbkg_store_crc32(f->ctx, path, &crc), OFFBKG_OK);
    assert_int_equal(crc, 0xcbf43926u);
    offbkg_file_id_t file = offbkg_datastore_path_id(path);
    assert_int_equal(offbkg_store_identity_of(f->ctx, path, "X", &file, &id),
                     OFFBKG_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(id.size_bytes, 9);
    assert_int_equal(id.mtime_ns, (int64_t)sb.st_mtim.tv_sec * 1000000000
                                      + sb.st_mtim.tv_nsec);
    assert_int_equal(offbkg_store_crc32(f->ctx, "/nonexistent/x", &crc),
                     OFFBKG_EDATA);
    file = offbkg_datastore_path_id("/nonexistent/x");
    assert_int_equal(file.err, ENOENT);
    assert_int_equal(offbkg_store_identity_of(f->ctx, "/nonexistent/x", "X",
                                              &file, &id), OFFBKG_EDATA);

    assert_int_not_equal(offbkg_store_row_hash(f->ds, 0),
                         offbkg_store_row_hash(f->ds, 1));
    offbkg_region_t items[2] = { { 83.6, 22.0, 0.5 }, { 10, -5, 1 } };
    offbkg_regions_t r = { 2, items, NULL };
    uint64_t h = offbkg_store_regions_hash(&r);
    assert_int_not_equal(h, offbkg_store_regions_hash(NULL));
    items[1].radius_deg = nextafter(1, 2);
    assert_int_not_equal(h, offbkg_store_regions_hash(&r));
}

/* The model key: the same for the same resolved section, another for a
 * changed value, default or time base. */
static void model_key(fixture_t *f, const char *body, char **key,
                      char **text)
{
    char path[PATH_MAX], ini[2048];
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = NULL;

    snprintf(ini, sizeof ini, "[datastore]\npath = .\n[select]\nplugin = "
             "all\n[group]\nplugin = zenith\nedges_deg = 0, 90\n"
             "[model x]\nplugin = 3d\n%s", body);
    assert_int_equal(sg_write_text(sg_path(path, f->dir, "k.ini"), ini), 0);
    if (offbkg_runconf_load(f->ctx, path, NULL, 0, &diags, &rc) != OFFBKG_OK)
        fail_msg("k.ini does not load");
    assert_int_equal(offbkg_store_model_key(f->ctx, rc, &rc->models[0], key,
                                            text), OFFBKG_OK);
    char *again = NULL;
    assert_int_equal(offbkg_store_model_key(f->ctx, rc, &rc->select, &again,
                                            NULL), OFFBKG_EINVAL);
    assert_null(again);
    assert_int_equal(offbkg_store_model_key(f->ctx, rc, &rc->models[0],
                                            &again, NULL), OFFBKG_OK);
    assert_string_equal(again, *key);
    free(again);
    offbkg_runconf_free(rc);
    offbkg_diag_clear(&diags);
}

static void test_model_key(void **state)
{
    fixture_t *f = *state;
    char *k1, *k2, *k3, *k4, *t1, *t2, *t3, *t4;

    model_key(f, "", &k1, &t1);
    model_key(f, "energy_n = 12\n", &k2, &t2);
    model_key(f, "time_base = livetime\n", &k3, &t3);
    model_key(f, "\n", &k4, &t4);
    assert_int_equal(strlen(k1), strlen("3d-") + 16);
    assert_memory_equal(k1, "3d-", 3);
    assert_string_equal(k1, k4);
    assert_string_equal(t1, t4);
    assert_string_not_equal(k1, k2);
    assert_string_not_equal(k1, k3);
    assert_memory_equal(t1, "plugin = 3d\nversion = ", 22);
    assert_non_null(strstr(t1, "\ntime_base = ontime\n"));
    assert_non_null(strstr(t3, "\ntime_base = livetime\n"));
    assert_non_null(strstr(t2, "\nenergy_n = 12\n"));
    free(k1);
    free(k2);
    free(k3);
    free(k4);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
}

/* Group sums (doc/store.md §8): written and read back bit for bit with
 * their runs' numbers; other runs, another run hash, another model key
 * are not it; a cut or edited file is damaged, never trusted. */
static int sum_status(fixture_t *f, const char *model_key, uint64_t chain,
                      size_t n_runs, offbkg_store_sum_run_t *runs,
                      offbkg_store_entry_t *got)
{
    int st = offbkg_store_sum_read(f->ctx, f->store, model_key, chain, n_runs,
                                   runs, N_CELLS, N_EXPO, got);
    if (st != OFFBKG_OK)
        assert_null(got->data.counts);
    return st;
}

static void test_group_sum(void **state)
{
    fixture_t *f = *state;
    offbkg_store_sum_run_t runs[3], want[3];
    offbkg_store_entry_t got;
    uint64_t chain = OFFBKG_STORE_CHAIN0, *chains;
    size_t n;
    char dir[PATH_MAX], path[PATH_MAX], good[PATH_MAX], plain[PATH_MAX];
    struct stat sb;

    for (size_t i = 0; i < 3; i++) {
        offbkg_store_key_t k = f->key;
        k.obs_id = (int64_t)i + 1;
        want[i] = (offbkg_store_sum_run_t){
            .obs_id = k.obs_id, .run_hash = offbkg_store_run_hash(&k),
            .n_rows = 100 + i, .n_events = 90 + i, .n_nonfinite = i,
            .n_bad_energy = 2 * i, .n_regions = 1, .ontime_s = 1687.0 / 3,
            .livetime_s = 1687.0 / 3 * 0.9 + (double)i };
        chain = offbkg_store_chain(chain, want[i].run_hash);
    }
    /* The hash says the whole key: each field changes it. */
    offbkg_store_key_t k = f->key;
    k.obs_id = 1;
    k.events.mtime_ns++;
    assert_true(offbkg_store_run_hash(&k) != want[0].run_hash);
    k.events.mtime_ns--;
    k.row_hash++;
    assert_true(offbkg_store_run_hash(&k) != want[0].run_hash);

    assert_int_equal(offbkg_store_sums(f->ctx, f->store, f->key.model_key,
                                       &chains, &n), OFFBKG_OK);
    assert_int_equal(n, 0);
    free(chains);
    if (offbkg_store_sum_write(f->ctx, f->store, &f->key, chain, 3, want,
                               &f->entry.data) != OFFBKG_OK)
        fail_msg("sum write: %s", offbkg_error_msg(f->ctx));
    assert_int_equal(offbkg_store_sums(f->ctx, f->store, f->key.model_key,
                                       &chains, &n), OFFBKG_OK);
    assert_int_equal(n, 1);
    assert_true(chains[0] == chain);
    free(chains);

    memcpy(runs, want, sizeof runs);
    for (size_t i = 0; i < 3; i++)
        runs[i].n_rows = runs[i].n_events = 0;
    if (sum_status(f, f->key.model_key, chain, 3, runs, &got) != OFFBKG_OK)
        fail_msg("sum read: %s", offbkg_error_msg(f->ctx));
    assert_memory_equal(runs, want, sizeof runs);
    assert_memory_equal(got.data.counts, f->counts, sizeof f->counts);
    assert_true(same_doubles(got.data.exposure_s, f->exposure, N_EXPO));
    offbkg_store_entry_free(&got);

    /* Not these runs: a run hash, the count, the chain, the model key. */
    memcpy(runs, want, sizeof runs);
    runs[2].run_hash ^= 1;
    assert_int_equal(sum_status(f, f->key.model_key, chain, 3, runs, &got),
                     OFFBKG_STORE_STALE);
    memcpy(runs, want, sizeof runs);
    assert_int_equal(sum_status(f, f->key.model_key, chain, 2, runs, &got),
                     OFFBKG_STORE_STALE);
    assert_int_equal(sum_status(f, f->key.model_key, chain + 1, 3, runs,
                                &got), OFFBKG_STORE_MISSING);
    assert_int_equal(sum_status(f, "3d-fedcba9876543210", chain, 3, runs,
                                &got), OFFBKG_STORE_MISSING);

    /* Cut short, or a value edited out of range: damaged. */
    snprintf(path, sizeof path, "%s/sums/%016" PRIx64 ".fits.gz",
             sg_path(dir, f->store_dir, "%s", f->key.model_key), chain);
    sg_path(good, f->dir, "sum.fits.gz");
    copy_file(path, good, SIZE_MAX);
    assert_int_equal(stat(good, &sb), 0);
    const size_t cuts[] = { 0, 1, 100, (size_t)sb.st_size / 2,
                            (size_t)sb.st_size - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        copy_file(good, path, cuts[i]);
        assert_int_equal(sum_status(f, f->key.model_key, chain, 3, runs,
                                    &got), OFFBKG_STORE_DAMAGED);
    }
    gunzip_file(good, sg_path(plain, f->dir, "sum.fits"));
    gzip_file(plain, path, 2880 + 100);
    assert_int_equal(sum_status(f, f->key.model_key, chain, 3, runs, &got),
                     OFFBKG_STORE_DAMAGED);
    copy_file(good, path, SIZE_MAX);
    double nan = NAN;
    edit_cell(f, path, "RUNS", "LIVETIME", 2, TDOUBLE, &nan);
    assert_int_equal(sum_status(f, f->key.model_key, chain, 3, runs, &got),
                     OFFBKG_STORE_DAMAGED);
    copy_file(good, path, SIZE_MAX);
    long long zero = 0;
    edit_cell(f, path, "COUNTS", "COUNT", 1, TLONGLONG, &zero);
    assert_int_equal(sum_status(f, f->key.model_key, chain, 3, runs, &got),
                     OFFBKG_STORE_DAMAGED);
    copy_file(good, path, SIZE_MAX);
    assert_int_equal(sum_status(f, f->key.model_key, chain, 3, runs, &got),
                     OFFBKG_OK);
    offbkg_store_entry_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_column_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid_file_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_taken_yet_missing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_crc_hashes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_model_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_sum, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
