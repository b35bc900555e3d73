/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target: arbitrary bytes as a run file (offbkg.ini(5)) through the
 * whole configuration loader: INI syntax, sections and keys, plugin
 * loading and parameter checks, then the resolved configuration printed.
 * The plugins come from $OFFBKG_PLUGIN_PATH. */
#include <config.h>

#include <dlfcn.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "runconf-private.h"
#include "fuzz.h"

static char ini_path[64];

static void quiet(void *user, offbkg_log_level_t level, const char *prefix,
                  const char *msg)
{
    (void)user;
    (void)level;
    (void)prefix;
    (void)msg;
}

/* Keep every plugin loaded for the whole process: the loader opens and
 * closes them for each input, and libFuzzer cannot follow instrumented
 * modules that come and go thousands of times. */
static void pin_plugins(void)
{
    const char *path = getenv("OFFBKG_PLUGIN_PATH");
    char *dirs = path != NULL ? strdup(path) : NULL, *save = NULL;

    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        char pattern[4096];
        glob_t g;
        snprintf(pattern, sizeof pattern, "%s/.libs/*.so", d);
        if (glob(pattern, 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc; i++)
            dlopen(g.gl_pathv[i], RTLD_NOW | RTLD_NODELETE);
        globfree(&g);
    }
    free(dirs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(ini_path, sizeof ini_path, "/tmp/offbkg-fuzz-ini.%ld.ini",
             (long)getpid());
    pin_plugins();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(ini_path, "wb");
    offbkg_diags_t diags = { 0 };
    offbkg_runconf_t *rc = NULL;
    offbkg_ctx_t *ctx;

    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ctx = offbkg_ctx_new();
    if (ctx == NULL)
        return 0;
    offbkg_ctx_set_log_sink(ctx, quiet, NULL);
    if (offbkg_runconf_load(ctx, ini_path, NULL, 0, &diags, &rc)
        == OFFBKG_OK) {
        free(offbkg_runconf_format(rc));
        offbkg_runconf_free(rc);
    }
    offbkg_diag_sort(&diags);
    for (size_t i = 0; i < diags.n; i++)
        free(offbkg_diag_format(&diags.items[i]));
    offbkg_diag_clear(&diags);
    offbkg_ctx_free(ctx);
    unlink(ini_path);
    return 0;
}
