/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz target: arbitrary bytes as the FITS file of a run, read the way
 * offbkg make reads it: the data store (a valid obs-index and hdu-index
 * written once, in a scratch directory) locates the run's EVENTS and GTI
 * HDUs in that file, then the header, the GTI and the event columns are
 * read. */
#include <config.h>

#include <math.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "events-private.h"
#include "runconf-private.h"
#include "../unit/storegen.h"
#include "fuzz.h"

static char dir[PATH_MAX];
static char run_path[PATH_MAX];
static offbkg_datastore_t *store;

static void quiet(void *user, offbkg_log_level_t level, const char *prefix,
                  const char *msg)
{
    (void)user;
    (void)level;
    (void)prefix;
    (void)msg;
}

static void clean_up(void)
{
    offbkg_datastore_free(store);
    sg_remove_tree(dir);
}

/* One run, OBS_ID 1, whose EVENTS and GTI HDUs are in run.fits. */
static int write_store(void)
{
    static const double id[] = { 1 }, ra[] = { 83.6 }, dec[] = { 22.0 };
    static const double ontime[] = { 1800 }, livetime[] = { 1700 };
    static const double tstart[] = { 1e8 }, tstop[] = { 1e8 + 1800 };
    static const double zen[] = { 30 }, ids[] = { 1, 1 };
    static const char *const types[] = { "events", "gti" };
    static const char *const dirs[] = { ".", "." };
    static const char *const files[] = { "run.fits", "run.fits" };
    static const char *const hdus[] = { "EVENTS", "GTI" };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "ONTIME", "D", "s", ontime, NULL },
        { "LIVETIME", "D", "s", livetime, NULL },
        { "TSTART", "D", "s", tstart, NULL },
        { "TSTOP", "D", "s", tstop, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, ids, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, types },
        { "HDU_CLASS", "6A", NULL, NULL, types },
        { "FILE_DIR", "1A", NULL, NULL, dirs },
        { "FILE_NAME", "8A", NULL, NULL, files },
        { "HDU_NAME", "6A", NULL, NULL, hdus },
        { NULL, NULL, NULL, NULL, NULL },
    };
    static const char *const cards[] = { "MJDREFI = 51910",
                                         "MJDREFF = 7.428703703703703e-4",
                                         "TIMESYS = 'TT'", NULL };
    char obs_path[PATH_MAX], hdu_path[PATH_MAX];

    if (sg_mkdtemp(dir) != 0)
        return -1;
    snprintf(obs_path, sizeof obs_path, "%.3000s/obs-index.fits", dir);
    snprintf(hdu_path, sizeof hdu_path, "%.3000s/hdu-index.fits", dir);
    snprintf(run_path, sizeof run_path, "%.3000s/run.fits", dir);
    return sg_table_file(obs_path, "OBS_INDEX", 1, obs, cards) != 0
           || sg_table_file(hdu_path, "HDU_INDEX", 2, hdu, NULL) != 0
           ? -1 : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    offbkg_datastore_conf_t conf = { .path = dir, .obs_index = "",
                                      .hdu_index = "" };
    offbkg_ctx_t *ctx = offbkg_ctx_new();

    (void)argc;
    (void)argv;
    if (ctx != NULL)
        offbkg_ctx_set_log_sink(ctx, quiet, NULL);
    if (ctx == NULL || write_store() != 0
        || offbkg_datastore_open(ctx, &conf, &store) != OFFBKG_OK) {
        fprintf(stderr, "fuzz_events: cannot make the data store: %s\n",
                ctx != NULL ? offbkg_error_msg(ctx) : "out of memory");
        abort();
    }
    offbkg_ctx_free(ctx);
    atexit(clean_up);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(run_path, "wb");
    offbkg_events_t ev = { 0 };
    offbkg_ctx_t *ctx;

    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ctx = offbkg_ctx_new();
    if (ctx == NULL)
        return 0;
    offbkg_ctx_set_log_sink(ctx, quiet, NULL);
    if (offbkg_events_read(ctx, store, 1, &ev) == OFFBKG_OK) {
        /* What make does next: every kept event is finite. */
        for (size_t i = 0; i < ev.n; i++)
            if (!isfinite(ev.energy_tev[i]) || !(ev.energy_tev[i] > 0)
                || !isfinite(ev.ra_deg[i]) || !isfinite(ev.dec_deg[i]))
                abort();
    }
    offbkg_events_free(&ev);
    offbkg_ctx_free(ctx);
    return 0;
}
