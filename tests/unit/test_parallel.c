/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg_parallel_for: every item exactly once, whatever the thread
 * count, and nothing for no items; offbkg_parallel_try: the status and
 * message of the first item that failed, in item order. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "error-private.h"
#include "parallel-private.h"

static void count_visit(void *arg, size_t i)
{
    unsigned *visits = arg;
    __atomic_add_fetch(&visits[i], 1, __ATOMIC_RELAXED);
}

static void test_every_item_once(void **state)
{
    (void)state;
    const size_t counts[] = { 0, 1, 2, 3, 7, 1000 };
    const size_t threads[] = { 0, 1, 2, 3, 8, 64 };

    for (size_t a = 0; a < sizeof counts / sizeof counts[0]; a++)
        for (size_t b = 0; b < sizeof threads / sizeof threads[0]; b++) {
            size_t n = counts[a];
            unsigned *visits = calloc(n + 1, sizeof *visits);
            assert_non_null(visits);
            offbkg_parallel_for(n, threads[b], count_visit, visits);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(visits[i], 1);
            assert_int_equal(visits[n], 0);
            free(visits);
        }
}

/* Items 3 and 5 of 8 fail (each with a message of its own), every item
 * counts its visit. */
static int fail_some(offbkg_ctx_t *ctx, void *arg, size_t i)
{
    unsigned *visits = arg;
    __atomic_add_fetch(&visits[i], 1, __ATOMIC_RELAXED);
    if (i == 3 || i == 5)
        return offbkg_error_set(ctx, i == 3 ? OFFBKG_EDATA : OFFBKG_EIO,
                                "item %zu failed", i);
    return OFFBKG_OK;
}

static void test_try_first_failure(void **state)
{
    (void)state;
    offbkg_ctx_t *ctx = offbkg_ctx_new();

    assert_non_null(ctx);
    for (size_t threads = 1; threads <= 4; threads++) {
        unsigned visits[8] = { 0 };
        offbkg_error_clear(ctx);
        assert_int_equal(offbkg_parallel_try(ctx, 8, threads, fail_some,
                                             visits), OFFBKG_EDATA);
        assert_string_equal(offbkg_error_msg(ctx), "item 3 failed");
        for (size_t i = 0; i < 8; i++)
            assert_int_equal(visits[i], 1);
        /* None failing: OK, and no message. */
        offbkg_error_clear(ctx);
        assert_int_equal(offbkg_parallel_try(ctx, 3, threads, fail_some,
                                             visits), OFFBKG_OK);
        assert_string_equal(offbkg_error_msg(ctx), "");
        assert_int_equal(offbkg_parallel_try(ctx, 0, threads, fail_some,
                                             visits), OFFBKG_OK);
    }
    offbkg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_once),
        cmocka_unit_test(test_try_first_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
