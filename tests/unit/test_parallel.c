/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg_parallel_for: every item exactly once, whatever the thread
 * count, and nothing for no items. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
