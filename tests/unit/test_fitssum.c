/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the FITS checksums (core/fitssum.c): the sum is the
 * ones'-complement sum of the big-endian words, and a file whose HDUs
 * offbkg_fitssum_write closes is byte for byte the file cfitsio's
 * fits_write_chksum makes (empty data, odd sizes, headers that grow a
 * block, a 3D model's table, its data's sum taken from the doubles),
 * which fits_verify_chksum accepts. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>

#include "fitssum-private.h"

/* The sum as the FITS standard states it, 16 bits at a time: the high
 * and low halves of the words summed apart, their carries crossed. */
static uint32_t reference_sum(uint32_t sum, const unsigned char *p, size_t n)
{
    uint64_t hi = sum >> 16, lo = sum & 0xffff;

    for (size_t i = 0; i + 4 <= n; i += 4) {
        hi += (uint32_t)p[i] << 8 | p[i + 1];
        lo += (uint32_t)p[i + 2] << 8 | p[i + 3];
    }
    while ((hi >> 16) != 0 || (lo >> 16) != 0) {
        uint64_t hc = hi >> 16, lc = lo >> 16;
        hi = (hi & 0xffff) + lc;
        lo = (lo & 0xffff) + hc;
    }
    return (uint32_t)(hi << 16 | lo);
}

static void test_fitssum_add(void **state)
{
    unsigned char buf[4 * 1000];
    uint32_t seed = 12345;

    (void)state;
    memset(buf, 0, sizeof buf);
    assert_int_equal(offbkg_fitssum_add(0, buf, sizeof buf), 0);
    assert_int_equal(offbkg_fitssum_add(0, buf, 0), 0);
    memset(buf, 0xff, sizeof buf);      /* a multiple of 2^32 - 1: not 0 */
    assert_int_equal(offbkg_fitssum_add(0, buf, sizeof buf), 0xffffffffu);
    assert_int_equal(offbkg_fitssum_add(0, buf, 4), 0xffffffffu);
    memcpy(buf, "\x00\x00\x00\x01\xff\xff\xff\xff", 8);  /* 1 + (2^32-1) */
    assert_int_equal(offbkg_fitssum_add(0, buf, 8), 1);
    assert_int_equal(offbkg_fitssum_add(0xfffffffeu, buf, 4), 0xffffffffu);
    for (int round = 0; round < 50; round++) {
        size_t n = 4 * (size_t)(seed % 1000);
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 1664525u + 1013904223u;
            buf[i] = (unsigned char)(round % 3 == 0 ? 0xf0 | seed >> 28
                                                    : seed >> 24);
        }
        assert_int_equal(offbkg_fitssum_add(seed, buf, n),
                         reference_sum(seed, buf, n));
    }
}

/* The sum of doubles is that of their big-endian bytes. */
static void test_fitssum_doubles(void **state)
{
    double v[1001];
    unsigned char be[sizeof v];
    uint32_t seed = 777;

    (void)state;
    for (size_t i = 0; i < 1001; i++) {
        uint64_t bits = 0;
        for (int k = 0; k < 4; k++) {
            seed = seed * 1664525u + 1013904223u;
            bits = bits << 16 | seed >> 16;
        }
        memcpy(&v[i], &bits, 8);
        for (int k = 0; k < 8; k++)
            be[8 * i + (size_t)k] = (unsigned char)(bits >> (56 - 8 * k));
    }
    v[3] = -0.0;
    memcpy(be + 24, "\x80\0\0\0\0\0\0\0", 8);
    for (size_t n = 0; n <= 1001; n += 77)
        assert_int_equal(offbkg_fitssum_doubles(5, v, n),
                         offbkg_fitssum_add(5, be, 8 * n));
    assert_int_equal(offbkg_fitssum_doubles(0, v, 1001),
                     offbkg_fitssum_add(0, be, sizeof be));
}

/* realloc for the memory files: what a file grows into is zeroed, as in
 * core/output.c (cfitsio reads a block before it writes it). */
static void *zeroed_realloc(void *p, size_t n)
{
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    unsigned char *q = realloc(p, n);

    if (q != NULL && malloc_usable_size(q) > old)
        memset(q + old, 0, malloc_usable_size(q) - old);
    return q;
}

static void close_hdu(fitsfile *f, const offbkg_memfile_t *m, int ours,
                      int *st)
{
    if (ours)
        offbkg_fitssum_write(f, m, st);
    else
        fits_write_chksum(f, st);
}

/* A primary HDU with @p n_keys keys and no data. */
static void write_empty(fitsfile *f, int n_keys, int *st)
{
    fits_create_img(f, BYTE_IMG, 0, NULL, st);
    for (int i = 0; i < n_keys; i++) {
        char key[FLEN_KEYWORD];
        snprintf(key, sizeof key, "KEY%d", i);
        fits_write_key_lng(f, key, i, "a key", st);
    }
}

/* Every kind of HDU of the model files and a few more, each closed by
 * fits_write_chksum or (@p ours) offbkg_fitssum_write. The file's size. */
static size_t write_file(offbkg_memfile_t *m, int ours)
{
    static double model[72000];
    char *ttype[] = { "OBS_ID", "FLAG", "WEIGHT" };
    char *tform[] = { "K", "B", "D" }, *tunit[] = { "", "", "" };
    char *mtype[] = { "ENERG_LO", "BKG" }, *mform[] = { "20D", "72000D" };
    char *munit[] = { "TeV", "s-1 MeV-1 sr-1" };
    long long obs_id[7] = { 1, 2, 3, 4, 5, 6, 7 };
    unsigned char flag[7] = { 1, 0, 1, 0, 1, 0, 1 }, ones[2880];
    short img[15];
    long tdim[3] = { 20, 60, 60 }, naxes[2] = { 3, 5 }, n_ones = 2880;
    LONGLONG head, data, end;
    fitsfile *f;
    int st = 0;

    for (size_t i = 0; i < 72000; i++)
        model[i] = i % 7 == 0 ? 0.0 : 1e-6 * (double)(i * 2654435761u % 997);
    for (int i = 0; i < 15; i++)
        img[i] = (short)(i * 1111 - 7000);
    memset(ones, 0xff, sizeof ones);
    m->buf = NULL;
    m->size = 0;
    fits_create_memfile(&f, &m->buf, &m->size, 2880, zeroed_realloc, &st);
    assert_int_equal(st, 0);

    write_empty(f, 1, &st);                     /* no data */
    close_hdu(f, m, ours, &st);
    fits_create_tbl(f, BINARY_TBL, 0, 3, ttype, tform, tunit, "EMPTY", &st);
    close_hdu(f, m, ours, &st);                 /* a table without rows */
    fits_create_tbl(f, BINARY_TBL, 7, 3, ttype, tform, tunit, "ODD", &st);
    fits_write_col(f, TLONGLONG, 1, 1, 1, 7, obs_id, &st);
    fits_write_col(f, TBYTE, 2, 1, 1, 7, flag, &st);
    fits_write_col(f, TDOUBLE, 3, 1, 1, 7, model + 1, &st);
    close_hdu(f, m, ours, &st);                 /* rows of 17 bytes */
    fits_create_img(f, SHORT_IMG, 2, naxes, &st);
    fits_write_img(f, TSHORT, 1, 15, img, &st);
    close_hdu(f, m, ours, &st);                 /* 30 bytes */
    fits_create_img(f, BYTE_IMG, 1, &n_ones, &st);
    fits_write_img(f, TBYTE, 1, 2880, ones, &st);
    close_hdu(f, m, ours, &st);                 /* a sum of 2^32 - 1 */
    for (int n_keys = 28; n_keys <= 32; n_keys++) {
        fits_create_hdu(f, &st);                /* the cards fill a block */
        write_empty(f, n_keys, &st);
        close_hdu(f, m, ours, &st);
    }
    fits_create_tbl(f, BINARY_TBL, 1, 2, mtype, mform, munit, "BACKGROUND",
                    &st);                       /* a 3D model */
    fits_write_tdim(f, 2, 3, tdim, &st);
    fits_write_col(f, TDOUBLE, 1, 1, 1, 20, model, &st);
    fits_write_col(f, TDOUBLE, 2, 1, 1, 72000, model, &st);
    if (ours)
        offbkg_fitssum_write_known(f, m,
                                   offbkg_fitssum_doubles(
                                       offbkg_fitssum_doubles(0, model, 20),
                                       model, 72000), &st);
    else
        fits_write_chksum(f, &st);
    fits_get_hduaddrll(f, &head, &data, &end, &st);
    fits_close_file(f, &st);
    assert_int_equal(st, 0);
    assert_true((size_t)end <= m->size);
    return (size_t)end;
}

static void test_fitssum_as_cfitsio(void **state)
{
    offbkg_memfile_t theirs, ours;
    size_t n_theirs = 0, n_ours = 0;
    int same = 0;

    (void)state;
    /* The comments carry the time to the second: a file written across
     * a second's change differs in them, so three tries. */
    for (int tries = 0; tries < 3 && !same; tries++) {
        if (tries > 0) {
            free(theirs.buf);
            free(ours.buf);
        }
        n_theirs = write_file(&theirs, 0);
        n_ours = write_file(&ours, 1);
        same = n_theirs == n_ours
               && memcmp(theirs.buf, ours.buf, n_ours) == 0;
    }
    assert_int_equal(n_ours, n_theirs);
    assert_memory_equal(ours.buf, theirs.buf, n_ours);
    free(theirs.buf);
    free(ours.buf);
}

static void test_fitssum_verified(void **state)
{
    offbkg_memfile_t m;
    size_t n = write_file(&m, 1);
    fitsfile *f;
    int st = 0, n_hdus = 0, type;

    (void)state;
    fits_open_memfile(&f, "fitssum.fits", READONLY, &m.buf, &n, 0, NULL,
                      &st);
    fits_get_num_hdus(f, &n_hdus, &st);
    assert_int_equal(n_hdus, 11);
    for (int i = 1; i <= n_hdus; i++) {
        int data_ok = 0, hdu_ok = 0;
        fits_movabs_hdu(f, i, &type, &st);
        fits_verify_chksum(f, &data_ok, &hdu_ok, &st);
        assert_int_equal(st, 0);
        assert_int_equal(data_ok, 1);
        assert_int_equal(hdu_ok, 1);
    }
    fits_close_file(f, &st);
    free(m.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fitssum_add),
        cmocka_unit_test(test_fitssum_doubles),
        cmocka_unit_test(test_fitssum_as_cfitsio),
        cmocka_unit_test(test_fitssum_verified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
