/* SPDX-License-Identifier: BSD-3-Clause
 * A GADF data store: the observation index (with the fallback chain of
 * doc/domain.md §1.6 applied, so ZEN_PNT, GLAT_PNT, ONTIME, LIVETIME, ...
 * exist whenever they can be derived) and the HDU index that says where
 * each run's HDUs live. */
#ifndef OFFBKG_DATASTORE_PRIVATE_H
#define OFFBKG_DATASTORE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <fitsio.h>

#include <offbkg/astro.h>

#include "ctx-private.h"
#include "fitshdr-private.h"
#include "run_header-private.h"
#include "runconf-private.h"
#include "table-private.h"

/** A file as stat() saw it: device and inode (one file under two names is
 *  one file), size and modification time; @c err is stat's errno, 0 when
 *  it worked. */
typedef struct offbkg_file_id {
    int err;
    dev_t dev;
    ino_t ino;
    int64_t size_bytes;
    int64_t mtime_ns;               /**< since the epoch */
} offbkg_file_id_t;

typedef struct offbkg_datastore {
    char *obs_index_path;
    char *hdu_index_path;
    char *base_dir;                 /**< directory of the hdu-index */
    offbkg_table_t obs;             /**< obs-index with derived columns */
    offbkg_table_t hdu;
    size_t *obs_by_id;              /**< obs rows sorted by OBS_ID */
    size_t *hdu_by_id;              /**< hdu rows sorted by OBS_ID, row */
    /* obs-index header: time reference and site (NaN if absent) */
    double mjdref_day;
    offbkg_timesys_t timesys;
    double site_lon_deg, site_lat_deg, site_height_m;
    /* Its cards that say what the times and site are, for the tables
     * written from it: 80 characters each, n_store_cards of them. */
    char *store_cards;
    size_t n_store_cards;
    /* Every card of the obs-index header but those that describe the
     * table's structure (and its checksums), in order: HDUDOC, COMMENT,
     * ... for the obs-index written from it. */
    char *obs_cards;
    size_t n_obs_cards;
    /* Per hdu-index row, its file's identity when the preflight looked
     * (offbkg_datastore_stat_files); NULL before. */
    offbkg_file_id_t *hdu_files;
} offbkg_datastore_t;

/** Open the data store of @p conf. Missing indexes or required columns,
 *  and duplicate OBS_IDs, are OFFBKG_EDATA errors naming the file. */
int offbkg_datastore_open(offbkg_ctx_t *ctx,
                          const offbkg_datastore_conf_t *conf,
                          offbkg_datastore_t **out);
void offbkg_datastore_free(offbkg_datastore_t *store);

/** Copy the time reference and site keywords (MJDREFI, MJDREFF, MJDREF,
 *  TIMEUNIT, TIMESYS, TIMEREF, GEOLON, GEOLAT, ALTITUDE, TELESCOP,
 *  INSTRUME) of the store's obs-index to the current HDU of @p out. A
 *  keyword the obs-index lacks is not an error; *fits_status is set
 *  only by write failures. */
void offbkg_datastore_copy_keys(const offbkg_datastore_t *store,
                                fitsfile *out, int *fits_status);

/** Copy every card of the store's obs-index header but the structural
 *  ones (XTENSION, BITPIX, NAXISn, PCOUNT, GCOUNT, TFIELDS, EXTNAME, the
 *  column keywords Txxxxn, CHECKSUM, DATASUM, END) to the current HDU of
 *  @p out, in their order. *fits_status is set only by write failures. */
void offbkg_datastore_copy_header(const offbkg_datastore_t *store,
                                  fitsfile *out, int *fits_status);

/** The obs-index row of @p obs_id, or -1. */
long offbkg_datastore_row(const offbkg_datastore_t *store, int64_t obs_id);

/** The OBS_ID of obs-index row @p row. */
int64_t offbkg_datastore_obs_id(const offbkg_datastore_t *store, size_t row);

/** Where the HDU of type @p hdu_type ("events", "gti") of @p obs_id
 *  lives: a new path (FILE_DIR resolved against the hdu-index directory)
 *  and HDU name. Several rows: the first is used and *n_rows says how
 *  many there were. OFFBKG_EDATA if none. */
int offbkg_datastore_locate(offbkg_ctx_t *ctx,
                            const offbkg_datastore_t *store, int64_t obs_id,
                            const char *hdu_type, char **path,
                            char **hdu_name, size_t *n_rows);

/** The file that hdu-index row @p row names (FILE_DIR resolved against
 *  the hdu-index directory): a new string, NULL if out of memory. */
char *offbkg_datastore_hdu_path(const offbkg_datastore_t *store, size_t row);

/** The HDU_NAME of hdu-index row @p row. */
const char *offbkg_datastore_hdu_name(const offbkg_datastore_t *store,
                                      size_t row);

/** Like offbkg_datastore_locate, but *row is the first hdu-index row of
 *  type @p hdu_type of @p obs_id. */
int offbkg_datastore_locate_row(offbkg_ctx_t *ctx,
                                const offbkg_datastore_t *store,
                                int64_t obs_id, const char *hdu_type,
                                size_t *row, size_t *n_rows);

/** Whether hdu-index rows @p a and @p b name the same file (the same
 *  FILE_DIR and FILE_NAME). */
bool offbkg_datastore_same_file(const offbkg_datastore_t *store, size_t a,
                                size_t b);

/** What stat() says of @p path now. */
offbkg_file_id_t offbkg_datastore_path_id(const char *path);

/** stat() every file the hdu-index names, once (a row naming the file of
 *  the row before shares its answer), and keep the answers: the
 *  preflight, the model step's shared-events check and the contribution
 *  store's keys all need them, and an archive of thousands of runs
 *  would pay a stat() per file per step. */
int offbkg_datastore_stat_files(offbkg_ctx_t *ctx, offbkg_datastore_t *store);

/** The identity of the file @p path of hdu-index row @p row: as
 *  offbkg_datastore_stat_files saw it, or from a stat() now when it has
 *  not run. */
offbkg_file_id_t offbkg_datastore_file_id(const offbkg_datastore_t *store,
                                          size_t row, const char *path);

#endif
