/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper (cmocka): a simulated data store in a fresh scratch
 * directory, and the run.ini at its root loaded; any failure fails the
 * test. */
#ifndef OFFBKG_TESTS_SIMSTORE_H
#define OFFBKG_TESTS_SIMSTORE_H

#include <limits.h>
#include <stdbool.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "runconf-private.h"
#include "sim-private.h"
#include "storegen.h"

/* A context logging errors only, and in a new scratch directory @p dir
 * (PATH_MAX bytes; sg_remove_tree removes it) a store of @p n_runs
 * simulated runs of about @p n_events events each. */
static inline offbkg_ctx_t *simstore_new(char *dir, int n_runs,
                                         double n_events)
{
    offbkg_sim_params_t p;
    offbkg_ctx_t *ctx;

    offbkg_sim_params_default(&p);
    p.n_runs = n_runs;
    p.r0 = offbkg_sim_r0_for_events(&p, n_events);
    ctx = offbkg_ctx_new();
    assert_non_null(ctx);
    offbkg_ctx_set_log_level(ctx, OFFBKG_LOG_ERROR);
    assert_int_equal(sg_mkdtemp(dir), 0);
    if (offbkg_sim_write(ctx, &p, dir, true, NULL) != OFFBKG_OK)
        fail_msg("simulate: %s", offbkg_error_msg(ctx));
    return ctx;
}

/* Undo simstore_new: free @p ctx, remove @p dir and all it holds. */
static inline void simstore_free(offbkg_ctx_t *ctx, const char *dir)
{
    offbkg_ctx_free(ctx);
    sg_remove_tree(dir);
}

/* Write @p text as @p dir/run.ini and load it into @p rc, its problems
 * in @p diags. */
static inline void simstore_load_conf(offbkg_ctx_t *ctx, const char *dir,
                                      const char *text, offbkg_diags_t *diags,
                                      offbkg_runconf_t **rc)
{
    char path[PATH_MAX];

    assert_int_equal(sg_write_text(sg_path(path, dir, "run.ini"), text), 0);
    if (offbkg_runconf_load(ctx, path, NULL, 0, diags, rc) != OFFBKG_OK) {
        char *d = diags->n > 0 ? offbkg_diag_format(&diags->items[0])
                               : NULL;
        fail_msg("run.ini does not load: %s", d != NULL ? d : "?");
    }
}

/* Undo simstore_load_conf: free *@p rc (NULL after), clear @p diags. */
static inline void simstore_conf_clear(offbkg_runconf_t **rc,
                                       offbkg_diags_t *diags)
{
    offbkg_runconf_free(*rc);
    *rc = NULL;
    offbkg_diag_clear(diags);
}

#endif
