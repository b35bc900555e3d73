/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzz targets: arbitrary bytes as one of the FITS files offbkg reads
 * besides event files, read the way offbkg reads it. One source, five
 * programs, by FUZZ_TABLE (set at build time):
 *   FUZZ_OBS_INDEX  obs-index.fits of a data store (with a valid
 *                   hdu-index), opened as offbkg opens the store;
 *   FUZZ_HDU_INDEX  hdu-index.fits (with a valid obs-index);
 *   FUZZ_REGIONS    an [exclude] regions FITS file;
 *   FUZZ_MODEL      a background model file, read back as offbkg reads
 *                   models (offbkg_bkg_read);
 *   FUZZ_CATALOG    an [exclude] catalog, read both as CSV (RFC 4180
 *                   records, sexagesimal angles) and as FITS.
 * Files are written in a scratch directory made once. */
#include <config.h>

#include "bkg-private.h"
#include "ctx-private.h"
#include "datastore-private.h"
#include "exclude-private.h"
#include "runconf-private.h"
#include "../unit/storegen.h"
#include "fuzz.h"

#define FUZZ_OBS_INDEX 1
#define FUZZ_HDU_INDEX 2
#define FUZZ_REGIONS 3
#define FUZZ_MODEL 4
#define FUZZ_CATALOG 5

static char dir[PATH_MAX];
static char path[PATH_MAX];
static char fits_path[PATH_MAX];   /* FUZZ_CATALOG: the same bytes as FITS */

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
    sg_remove_tree(dir);
}

/* The index table this target does not fuzz, valid: one run, OBS_ID 1. */
static int write_other_index(void)
{
    static const double id[] = { 1 }, ra[] = { 83.6 }, dec[] = { 22.0 };
    static const double ontime[] = { 1800 }, livetime[] = { 1700 };
    static const double zen[] = { 30 }, ids[] = { 1, 1 };
    static const char *const types[] = { "events", "gti" };
    static const char *const files[] = { "run.fits", "run.fits" };
    static const char *const hdus[] = { "EVENTS", "GTI" };
    const sg_col_t obs[] = {
        { "OBS_ID", "K", NULL, id, NULL },
        { "RA_PNT", "D", "deg", ra, NULL },
        { "DEC_PNT", "D", "deg", dec, NULL },
        { "ZEN_PNT", "D", "deg", zen, NULL },
        { "ONTIME", "D", "s", ontime, NULL },
        { "LIVETIME", "D", "s", livetime, NULL },
        { NULL, NULL, NULL, NULL, NULL },
    };
    const sg_col_t hdu[] = {
        { "OBS_ID", "K", NULL, ids, NULL },
        { "HDU_TYPE", "6A", NULL, NULL, types },
        { "HDU_CLASS", "6A", NULL, NULL, types },
        { "FILE_NAME", "8A", NULL, NULL, files },
        { "HDU_NAME", "6A", NULL, NULL, hdus },
        { NULL, NULL, NULL, NULL, NULL },
    };
    char other[PATH_MAX];

    if (FUZZ_TABLE == FUZZ_OBS_INDEX) {
        snprintf(other, sizeof other, "%.3000s/hdu-index.fits", dir);
        return sg_table_file(other, "HDU_INDEX", 2, hdu, NULL);
    }
    if (FUZZ_TABLE == FUZZ_HDU_INDEX) {
        snprintf(other, sizeof other, "%.3000s/obs-index.fits", dir);
        return sg_table_file(other, "OBS_INDEX", 1, obs, NULL);
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const names[] = { "", "obs-index.fits",
                                         "hdu-index.fits", "regions.fits",
                                         "model.fits", "catalog.csv" };

    (void)argc;
    (void)argv;
    if (sg_mkdtemp(dir) != 0 || write_other_index() != 0) {
        fprintf(stderr, "fuzz_tables: cannot make the scratch files\n");
        abort();
    }
    snprintf(path, sizeof path, "%.3000s/%s", dir, names[FUZZ_TABLE]);
    snprintf(fits_path, sizeof fits_path, "%.3000s/catalog.fits", dir);
    atexit(clean_up);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    offbkg_ctx_t *ctx;

    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    if (FUZZ_TABLE == FUZZ_CATALOG) {
        if ((f = fopen(fits_path, "wb")) == NULL)
            return 0;
        fwrite(data, 1, size, f);
        fclose(f);
    }
    ctx = offbkg_ctx_new();
    if (ctx == NULL)
        return 0;
    offbkg_ctx_set_log_sink(ctx, quiet, NULL);
    if (FUZZ_TABLE == FUZZ_OBS_INDEX || FUZZ_TABLE == FUZZ_HDU_INDEX) {
        offbkg_datastore_conf_t conf = { .path = dir, .obs_index = "",
                                         .hdu_index = "" };
        offbkg_datastore_t *store = NULL;
        if (offbkg_datastore_open(ctx, &conf, &store) == OFFBKG_OK)
            offbkg_datastore_free(store);
    } else if (FUZZ_TABLE == FUZZ_REGIONS) {
        offbkg_exclude_conf_t conf = { .regions = path };
        offbkg_regions_t r;
        const char *key;
        if (offbkg_exclude_load(ctx, &conf, &r, &key) == OFFBKG_OK)
            offbkg_exclude_free(&r);
    } else if (FUZZ_TABLE == FUZZ_CATALOG) {
        const char *const paths[2] = { path, fits_path };
        for (size_t i = 0; i < 2; i++) {
            offbkg_exclude_conf_t conf = { .regions = "",
                                           .catalog = { 1, &paths[i] },
                                           .extension_scale = 2,
                                           .min_radius_deg = 0.3 };
            offbkg_regions_t r;
            const char *key;
            if (offbkg_exclude_load(ctx, &conf, &r, &key) == OFFBKG_OK)
                offbkg_exclude_free(&r);
        }
    } else {
        offbkg_cube_t *cube = NULL;
        if (offbkg_bkg_read(ctx, path, &cube) == OFFBKG_OK)
            offbkg_cube_free(cube);
    }
    offbkg_ctx_free(ctx);
    return 0;
}
