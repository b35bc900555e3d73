/* SPDX-License-Identifier: BSD-3-Clause
 * Each run's own target ([exclude] targets): the order in which its
 * position is looked for, and the store key that changes with it. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "store-private.h"
#include "target-private.h"

/* Two catalog sources with names, and a circle without one. */
static offbkg_region_t items[3] = {
    { 83.633, 22.0145, 0.3 }, { 329.717, -30.2256, 0.2 }, { 10, 10, 1 },
};
static char crab[] = "Crab Nebula", pks[] = "PKS 2155-304";
static char *names[3] = { crab, pks, NULL };
static const offbkg_regions_t regions = { 3, items, names };

/* A header with RA_OBJ/DEC_OBJ (NaN: none) and OBJECT. */
static offbkg_run_header_t header(double ra, double dec, const char *object)
{
    offbkg_run_header_t h;

    memset(&h, 0, sizeof h);
    h.ra_obj_deg = ra;
    h.dec_obj_deg = dec;
    strcpy(h.object, object);
    return h;
}

static void assert_target(offbkg_target_t t, offbkg_target_from_t from,
                          double ra, double dec)
{
    assert_int_equal(t.from, from);
    assert_true(t.ra_deg == ra && t.dec_deg == dec);
}

static void test_order(void **unused)
{
    (void)unused;
    offbkg_run_header_t h = header(1, 2, "crab nebula");
    offbkg_run_header_t bare = header(NAN, NAN, "");

    /* The obs-index's position first, the header not even needed. */
    assert_target(offbkg_target_pick(5, 6, "PKS 2155-304", &h, &regions),
                  OFFBKG_TARGET_OBS_INDEX, 5, 6);
    assert_target(offbkg_target_pick(5, 6, NULL, NULL, &regions),
                  OFFBKG_TARGET_OBS_INDEX, 5, 6);
    /* Then the header's position, before any name. */
    assert_target(offbkg_target_pick(NAN, 6, "PKS 2155-304", &h, &regions),
                  OFFBKG_TARGET_HEADER, 1, 2);
    /* Then the obs-index's OBJECT, then the header's, in the catalogs
     * (case and blanks ignored). */
    h = header(NAN, NAN, "crab nebula");
    assert_target(offbkg_target_pick(NAN, NAN, "pks2155-304", &h, &regions),
                  OFFBKG_TARGET_NAME_OBS_INDEX, 329.717, -30.2256);
    assert_target(offbkg_target_pick(NAN, NAN, "OFF field", &h, &regions),
                  OFFBKG_TARGET_NAME_HEADER, 83.633, 22.0145);
    assert_target(offbkg_target_pick(NAN, NAN, "", &h, &regions),
                  OFFBKG_TARGET_NAME_HEADER, 83.633, 22.0145);
    /* Nothing: no position, no name the catalogs have. */
    offbkg_target_t t = offbkg_target_pick(NAN, NAN, "Vela", &bare,
                                           &regions);
    assert_int_equal(t.from, OFFBKG_TARGET_NONE);
    assert_true(isnan(t.ra_deg) && isnan(t.dec_deg));
    assert_int_equal(offbkg_target_pick(NAN, NAN, "Crab Nebula", &bare,
                                        NULL).from, OFFBKG_TARGET_NONE);
    /* Without the header, a run the obs-index has no position of is not
     * known (its OBJECT could be wrong where the header has RA_OBJ). */
    assert_int_equal(offbkg_target_pick(NAN, NAN, "Crab Nebula", NULL,
                                        &regions).from,
                     OFFBKG_TARGET_UNREAD);
    /* A position that is no position (|DEC| > 90, inf) is passed over. */
    assert_target(offbkg_target_pick(5, 95, NULL, &h, &regions),
                  OFFBKG_TARGET_NAME_HEADER, 83.633, 22.0145);
    assert_target(offbkg_target_pick(INFINITY, 5, NULL, &h, &regions),
                  OFFBKG_TARGET_NAME_HEADER, 83.633, 22.0145);
    assert_string_equal(offbkg_target_from_text(OFFBKG_TARGET_OBS_INDEX),
                        "obs-index RA_OBJ/DEC_OBJ");
}

/* The store key's regions hash: unchanged without targets (entries of
 * before stay valid), another with them, another for another radius or
 * another source name. */
static void test_store_key(void **unused)
{
    (void)unused;
    offbkg_exclude_conf_t off = { .targets = false,
                                  .target_radius_deg = 0.3 };
    offbkg_exclude_conf_t on = { .targets = true, .target_radius_deg = 0.3 };
    offbkg_exclude_conf_t wider = { .targets = true,
                                    .target_radius_deg = 0.5 };
    uint64_t h = offbkg_store_regions_hash(&regions);
    uint64_t h_on = offbkg_store_targets_hash(h, &on, &regions);

    assert_true(offbkg_store_targets_hash(h, &off, &regions) == h);
    assert_true(offbkg_store_targets_hash(h, NULL, &regions) == h);
    assert_true(h_on != h);
    assert_true(offbkg_store_targets_hash(h, &on, &regions) == h_on);
    assert_true(offbkg_store_targets_hash(h, &wider, &regions) != h_on);
    char other[] = "Crab";
    char *names2[3] = { other, pks, NULL };
    offbkg_regions_t renamed = { 3, items, names2 };
    assert_true(offbkg_store_targets_hash(h, &on, &renamed) != h_on);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_store_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
