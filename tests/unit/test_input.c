/* SPDX-License-Identifier: BSD-3-Clause
 * The guarded open of input files (core/input.c) and the table reader's
 * bounds (core/table.c): what cfitsio would block on, crash on or fill
 * memory with is refused with a plain message naming the file. */
#include <config.h>

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "exclude-private.h"
#include "input-private.h"
#include "runconf-private.h"
#include "table-private.h"
#include "storegen.h"

/* 2^61 + 1: times 8 bytes it wraps to 8. */
#define HUGE_ROWS 2305843009213693953LL

typedef struct fixture {
    char dir[PATH_MAX];
    offbkg_ctx_t *ctx;
} fixture_t;

static void quiet(void *user, offbkg_log_level_t level, const char *prefix,
                  const char *msg)
{
    (void)user;
    (void)level;
    (void)prefix;
    (void)msg;
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);

    if (fx == NULL || sg_mkdtemp(fx->dir) != 0
        || (fx->ctx = offbkg_ctx_new()) == NULL)
        return -1;
    offbkg_ctx_set_log_sink(fx->ctx, quiet, NULL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;

    offbkg_ctx_free(fx->ctx);
    sg_remove_tree(fx->dir);
    free(fx);
    return 0;
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("'%s' lacks '%s'", text, part);
}

/* The whole of file @p path into a new buffer (*n bytes). */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long size;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *n = (size_t)size;
    return buf;
}

/* @p n bytes to @p path: plain, or gzip in members split at the offsets
 * @p cuts[0..n_cuts) (each member written by its own gzopen). */
static void spill(const char *path, const unsigned char *buf, size_t n,
                  int gzip, const size_t *cuts, size_t n_cuts)
{
    if (!gzip) {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(buf, 1, n, fp), n);
        fclose(fp);
        return;
    }
    size_t from = 0;
    for (size_t k = 0; k <= n_cuts; k++) {
        size_t to = k < n_cuts ? cuts[k] : n;
        gzFile gz = gzopen(path, k == 0 ? "wb" : "ab");
        assert_non_null(gz);
        assert_int_equal(gzwrite(gz, buf + from, (unsigned)(to - from)),
                         (int)(to - from));
        gzclose(gz);
        from = to;
    }
}

/* Rewrite the NAXIS2 card of the first table of the FITS bytes @p buf as
 * @p rows. */
static void set_naxis2(unsigned char *buf, size_t n, long long rows)
{
    char card[81];

    for (size_t c = 2880; c + 80 <= n; c += 80)
        if (memcmp(buf + c, "NAXIS2  =", 9) == 0) {
            snprintf(card, sizeof card, "NAXIS2  = %20lld / patched%-40s",
                     rows, "");
            memcpy(buf + c, card, 80);
            return;
        }
    fail_msg("no NAXIS2 card");
}

/* A table file @p name in the fixture's directory, rewritten with
 * NAXIS2 = @p rows, plain or gzip; its path in @p path. */
static void craft(const fixture_t *fx, const char *name, const char *extname,
                  size_t n_rows, const sg_col_t *cols, long long rows,
                  int gzip, char *path)
{
    char plain[PATH_MAX];
    unsigned char *buf;
    size_t n;

    sg_path(plain, fx->dir, "plain-%s.fits", name);
    assert_int_equal(sg_table_file(plain, extname, n_rows, cols, NULL), 0);
    buf = slurp(plain, &n);
    set_naxis2(buf, n, rows);
    sg_path(path, fx->dir, "%s", name);
    spill(path, buf, n, gzip, NULL, 0);
    free(buf);
}

/* A data store whose obs-index is @p obs_name (already in the fixture's
 * directory), with a valid hdu-index; the result of opening it. */
static int open_store_with(fixture_t *fx, const char *obs_name)
{
    static const double ids[] = { 1 };
    static const char *const types[] = { "events" };
    static const char *const files[] = { "run.fits" };
    static const char *const hdus[] = { "EVENTS" };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, ids, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, types },
        { "FILE_NAME", "8A", NULL, NULL, files },
        { "HDU_NAME", "6A", NULL, NULL, hdus },
        { NULL, NULL, NULL, NULL, NULL },
    };
    char obs[PATH_MAX], hdu_path[PATH_MAX];
    offbkg_datastore_t *store = NULL;
    int st;

    sg_path(obs, fx->dir, "%s", obs_name);
    sg_path(hdu_path, fx->dir, "hdu-index.fits");
    assert_int_equal(sg_table_file(hdu_path, "HDU_INDEX", 1, hdu, NULL), 0);
    offbkg_datastore_conf_t conf = { .path = fx->dir, .obs_index = obs,
                                     .hdu_index = hdu_path };
    st = offbkg_datastore_open(fx->ctx, &conf, &store);
    offbkg_datastore_free(store);
    return st;
}

/* The plain messages: a missing file, a named pipe (at once, not a
 * blocked open), a directory, a file that is not FITS. */
static void test_input_plain_messages(void **state)
{
    fixture_t *fx = *state;
    offbkg_fitsmem_t mem = { 0 };
    char path[PATH_MAX], want[PATH_MAX + 64];
    fitsfile *f = NULL;

    sg_path(path, fx->dir, "nope.fits");
    assert_int_equal(offbkg_input_open(fx->ctx, path, NULL, 0, &mem, &f),
                     OFFBKG_EDATA);
    snprintf(want, sizeof want, "No such file: %s", path);
    assert_string_equal(offbkg_error_msg(fx->ctx), want);
    assert_null(f);

    sg_path(path, fx->dir, "pipe.fits");
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20);   /* a blocked open fails the test instead of hanging */
    assert_int_equal(offbkg_input_open(fx->ctx, path, NULL, 0, &mem, &f),
                     OFFBKG_EDATA);
    alarm(0);
    snprintf(want, sizeof want, "%s: not a regular file (a named pipe)",
             path);
    assert_string_equal(offbkg_error_msg(fx->ctx), want);

    assert_int_equal(offbkg_input_open(fx->ctx, fx->dir, NULL, 0, &mem,
                                       &f),
                     OFFBKG_EDATA);
    assert_contains(offbkg_error_msg(fx->ctx), "(a directory)");

    sg_path(path, fx->dir, "text.fits");
    assert_int_equal(sg_write_text(path, "hello\n"), 0);
    assert_int_equal(offbkg_input_open(fx->ctx, path, NULL, 0, &mem, &f),
                     OFFBKG_EDATA);
    snprintf(want, sizeof want, "%s: not a FITS file", path);
    assert_string_equal(offbkg_error_msg(fx->ctx), want);

    sg_path(path, fx->dir, "text.fits.gz");
    spill(path, (const unsigned char *)"hello\n", 6, 1, NULL, 0);
    assert_int_equal(offbkg_input_open(fx->ctx, path, NULL, 0, &mem, &f),
                     OFFBKG_EDATA);
    snprintf(want, sizeof want, "%s: not a FITS file (once inflated)", path);
    assert_string_equal(offbkg_error_msg(fx->ctx), want);
    offbkg_input_close(f, &mem);
}

/* An obs-index of 1-byte rows whose NAXIS2 is 2^61 + 1 (rows x 8 bytes
 * wrap to 8): refused before anything is allocated, plain and gzip. */
static void test_input_obs_index_huge_rows(void **state)
{
    fixture_t *fx = *state;
    static const double ids[] = { 1, 2, 3 };
    const sg_col_t obs[] = {
        { "OBS_ID", "B", NULL, ids, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    char path[PATH_MAX];

    for (int gzip = 0; gzip <= 1; gzip++) {
        const char *name = gzip ? "obs-huge.fits.gz" : "obs-huge.fits";
        craft(fx, name, "OBS_INDEX", 3, obs, HUGE_ROWS, gzip, path);
        assert_int_not_equal(open_store_with(fx, name), OFFBKG_OK);
        /* Plain: cfitsio moves to the table, whose rows are checked; in
         * memory (gzip), the HDU is refused as it is loaded. */
        assert_contains(offbkg_error_msg(fx->ctx),
                        gzip ? "the header of HDU 2 claims more data than "
                               "the file holds"
                             : "claims 2305843009213693953 rows of 1 bytes, "
                               "more than the file holds");
        assert_contains(offbkg_error_msg(fx->ctx), name);
    }
}

/* The same in a regions FITS table. */
static void test_input_regions_huge_rows(void **state)
{
    fixture_t *fx = *state;
    static const double v[] = { 10, 20 };
    const sg_col_t cols[] = {
        { "RA", "B", NULL, v, NULL },
        { "DEC", "B", NULL, v, NULL },
        { "RADIUS", "B", NULL, v, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    char path[PATH_MAX];

    for (int gzip = 0; gzip <= 1; gzip++) {
        offbkg_regions_t r;
        craft(fx, gzip ? "regions.fits.gz" : "regions.fits", "REGIONS", 2,
              cols, HUGE_ROWS, gzip, path);
        offbkg_exclude_conf_t conf = { .regions = path };
        const char *key;
        assert_int_not_equal(offbkg_exclude_load(fx->ctx, &conf, &r, &key),
                             OFFBKG_OK);
        assert_contains(offbkg_error_msg(fx->ctx),
                        gzip ? "the header of HDU 2 claims more data than "
                               "the file holds"
                             : "claims 2305843009213693953 rows of 3 bytes");
    }
}

/* An obs-index of a few kilobytes that claims 10^8 rows, a string column
 * first: refused from the file's size, not after allocating row pointers
 * for 10^8 rows (0.8 GB). */
static void test_input_obs_index_claims_1e8_rows(void **state)
{
    fixture_t *fx = *state;
    static double ids[100];
    static const char *names[100];
    const sg_col_t obs[] = {
        { "OBJECT", "16A", NULL, NULL, names },
        { "OBS_ID", "K", NULL, ids, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    char path[PATH_MAX];
    struct stat sb;

    for (int i = 0; i < 100; i++) {
        ids[i] = i + 1;
        names[i] = "Crab";
    }
    craft(fx, "obs-1e8.fits", "OBS_INDEX", 100, obs, 100000000, 0, path);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size < 10000);
    assert_int_not_equal(open_store_with(fx, "obs-1e8.fits"), OFFBKG_OK);
    assert_contains(offbkg_error_msg(fx->ctx),
                    "claims 100000000 rows of 24 bytes, more than the file "
                    "holds");
}

/* Write a small event-like FITS file (one table of @p n_rows rows) and
 * return its bytes. */
static unsigned char *table_bytes(const fixture_t *fx, size_t n_rows,
                                  size_t *n)
{
    static double v[4000];
    const sg_col_t cols[] = {
        { "ENERGY", "D", "TeV", v, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    char path[PATH_MAX];

    for (size_t i = 0; i < n_rows; i++)
        v[i] = 0.5 + (double)i;
    sg_path(path, fx->dir, "table.fits");
    assert_int_equal(sg_table_file(path, "EVENTS", n_rows, cols, NULL), 0);
    return slurp(path, n);
}

/* Rows of ENERGY read through the guarded open from @p path. */
static double energy_sum(fixture_t *fx, const char *path, int *status)
{
    offbkg_fitsmem_t mem = { 0 };
    offbkg_table_t t = { 0 };
    fitsfile *f = NULL;
    double sum = 0;
    int st = 0;

    *status = offbkg_input_open(fx->ctx, path, NULL, 0, &mem, &f);
    if (*status != OFFBKG_OK)
        return 0;
    fits_movabs_hdu(f, 2, NULL, &st);
    assert_int_equal(st, 0);
    *status = offbkg_table_read(fx->ctx, f, path, &t);
    for (size_t i = 0; *status == OFFBKG_OK && i < t.n_rows; i++)
        sum += t.cols[0].f64[i];
    offbkg_table_free(&t);
    offbkg_input_close(f, &mem);
    return sum;
}

/* A gzip file of several members, the last a single small block (its
 * trailer's size is far below the file's), reads as its one-member form:
 * gzip -t and astropy read it. */
static void test_input_gzip_members(void **state)
{
    fixture_t *fx = *state;
    char one[PATH_MAX], three[PATH_MAX];
    size_t n;
    unsigned char *buf = table_bytes(fx, 4000, &n);
    const size_t cuts[2] = { 2880, n - 2880 };
    int st1, st3;

    sg_path(one, fx->dir, "one.fits.gz");
    sg_path(three, fx->dir, "three.fits.gz");
    spill(one, buf, n, 1, NULL, 0);
    spill(three, buf, n, 1, cuts, 2);
    free(buf);
    double sum1 = energy_sum(fx, one, &st1);
    double sum3 = energy_sum(fx, three, &st3);
    if (st3 != OFFBKG_OK)
        fail_msg("%s", offbkg_error_msg(fx->ctx));
    assert_int_equal(st1, OFFBKG_OK);
    assert_true(sum1 > 0);
    assert_true(sum1 == sum3);
}

/* A gzip file that inflates beyond the bound is refused as too large
 * (named, with the key that sets the bound); within it, it reads. */
static void test_input_gzip_bound(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_MAX];
    size_t n;
    unsigned char *buf = table_bytes(fx, 4000, &n);
    int st;

    sg_path(path, fx->dir, "big.fits.gz");
    spill(path, buf, n, 1, NULL, 0);
    free(buf);
    offbkg_ctx_set_max_inflated(fx->ctx, 8 * 2880);
    energy_sum(fx, path, &st);
    assert_int_equal(st, OFFBKG_EDATA);
    assert_contains(offbkg_error_msg(fx->ctx), "big.fits.gz: too large");
    assert_contains(offbkg_error_msg(fx->ctx), "max_inflated_gib");
    offbkg_ctx_set_max_inflated(fx->ctx, OFFBKG_MAX_INFLATED_DEFAULT);
    energy_sum(fx, path, &st);
    assert_int_equal(st, OFFBKG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_input_plain_messages, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_input_obs_index_huge_rows,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_regions_huge_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_input_obs_index_claims_1e8_rows,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_gzip_members, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_input_gzip_bound, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
