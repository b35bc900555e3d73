/* SPDX-License-Identifier: BSD-3-Clause
 * A plugin linked into the program with -dlpreopen (the path for static
 * builds) is found by name without any search path. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <ltdl.h>

#include "ctx-private.h"
#include "registry-private.h"

static void test_preload_select_all_found_without_path(void **state)
{
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    offbkg_registry_t *reg;
    const offbkg_module_t *mod;

    (void)state;
    /* No directory holds the plugin: only the preloaded copy can match.
     * (libtool's wrapper puts plugins/.libs in LD_LIBRARY_PATH, which
     * libltdl would search too; an installed offbkg has its plugins in
     * the installed directory.) */
    assert_int_equal(setenv("OFFBKG_PLUGIN_PATH", "/nonexistent", 1), 0);
    assert_int_equal(setenv("OFFBKG_PLUGINDIR", "", 1), 0);
    assert_int_equal(unsetenv("LD_LIBRARY_PATH"), 0);
    assert_int_equal(offbkg_registry_new(ctx, NULL, 0, &reg), OFFBKG_OK);
    assert_int_equal(offbkg_registry_load(reg, OFFBKG_STAGE_SELECT, "all",
                                          &mod), OFFBKG_OK);
    assert_string_equal(mod->name, "all");
    /* A static build reports "(preloaded)"; a shared build links the
     * module's .so into the program, and libltdl names that file. */
    assert_true(strcmp(mod->file, "(preloaded)") == 0
                || strstr(mod->file, "select_all") != NULL);
    assert_int_equal(mod->desc->stage, OFFBKG_STAGE_SELECT);
    /* A module that was not preloaded is still refused as not found. */
    assert_int_not_equal(offbkg_registry_load(reg, OFFBKG_STAGE_SELECT,
                                              "offplane", &mod), OFFBKG_OK);
    assert_non_null(strstr(offbkg_error_msg(ctx), "not found"));
    offbkg_registry_free(reg);
    offbkg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preload_select_all_found_without_path),
    };
    LTDL_SET_PRELOADED_SYMBOLS();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
