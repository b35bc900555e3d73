/* SPDX-License-Identifier: BSD-3-Clause
 * The contribution store (doc/store.md): per run and per [model] section,
 * the run's counts and exposure in the model's cells, kept on disk with
 * everything that says whether they still hold (the offbkg version, the
 * model's configuration, the exclusion regions, the run's obs-index row,
 * the events file's identity), so a model can be made again without
 * reading events. One FITS file per run and model configuration, written
 * atomically; a file that is missing, stale or damaged is said so, with
 * the reason, and never trusted. */
#ifndef OFFBKG_STORE_PRIVATE_H
#define OFFBKG_STORE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <offbkg/plugin.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "exclude-private.h"
#include "runconf-private.h"

/** The first line of DIR/STORE (doc/store.md §1). */
#define OFFBKG_STORE_FORMAT_LINE "offbkg contribution store, format 1"
/** STOREFMT of the run files this offbkg writes and reads. */
#define OFFBKG_STORE_FORMAT 1

/** What offbkg_store_read returns besides OFFBKG_OK (a valid entry) and
 *  the errors (< 0): the entry cannot be used, and why is the context's
 *  error message (doc/store.md §4). */
enum {
    OFFBKG_STORE_MISSING = 1,   /**< no file for the run */
    OFFBKG_STORE_STALE = 2,     /**< written for other inputs or another
                                     offbkg: which key field differs */
    OFFBKG_STORE_DAMAGED = 3    /**< unreadable or impossible contents */
};

/** The most cells (and exposure bins) a run file may declare when the
 *  caller does not say how many it expects (doc/store.md §3). */
#define OFFBKG_STORE_MAX_CELLS ((size_t)1 << 30)

typedef struct offbkg_store offbkg_store_t;

/** What identifies an events file (doc/store.md §2): its path and HDU
 *  (not owned: the caller keeps them), its size and modification time. */
typedef struct offbkg_store_identity {
    const char *path;
    const char *hdu;
    int64_t size_bytes;
    int64_t mtime_ns;           /**< since the epoch */
} offbkg_store_identity_t;

/** The key of one run's entry: the entry is valid only when every field
 *  equals the file's (doc/store.md §4). */
typedef struct offbkg_store_key {
    int64_t obs_id;
    const char *model_key;      /**< offbkg_store_model_key */
    const char *model_text;     /**< its canonical text: DIR/KEY/MODEL */
    uint64_t regions_hash;      /**< offbkg_store_regions_hash */
    uint64_t row_hash;          /**< offbkg_store_row_hash */
    offbkg_store_identity_t events;
} offbkg_store_key_t;

/** One run's entry: provenance, the run's numbers for the report, and its
 *  contribution. Read entries own their arrays (offbkg_store_entry_free);
 *  written entries are only read. */
typedef struct offbkg_store_entry {
    uint32_t events_crc;        /**< CRC-32 of the events file (zlib) */
    size_t n_rows;              /**< rows of its EVENTS table */
    size_t n_events;            /**< events handed to the model */
    size_t n_nonfinite;         /**< dropped: NaN or inf */
    size_t n_bad_energy;        /**< dropped: ENERGY <= 0 */
    size_t n_regions;           /**< exclusion regions near it */
    double ontime_s;
    double livetime_s;
    offbkg_contrib_data_t data;
} offbkg_store_entry_t;

/** Open the store in @p dir. With @p create, a missing or empty directory
 *  becomes a store (DIR/STORE written); without, it must be one already.
 *  A directory with a STORE of another format, or a non-empty one without
 *  STORE, is refused (OFFBKG_ECONFIG naming it). */
int offbkg_store_open(offbkg_ctx_t *ctx, const char *dir, bool create,
                      offbkg_store_t **out);
/** What offbkg_store_open(create) would refuse, found without writing
 *  anything (offbkg check): @p dir is missing, empty, or a store of this
 *  format; else OFFBKG_ECONFIG naming it. */
int offbkg_store_check(offbkg_ctx_t *ctx, const char *dir);

/** Free @p store (NULL: no-op). */
void offbkg_store_close(offbkg_store_t *store);

/** fsync the directories that entries and sums were written into since
 *  the last call, each once (doc/store.md §5). Until then a crash may
 *  lose their names, never leave a damaged one. */
int offbkg_store_sync(offbkg_ctx_t *ctx, const offbkg_store_t *store);

/** The store's directory, as given to offbkg_store_open. */
const char *offbkg_store_dir(const offbkg_store_t *store);

/** The model key of [model] section @p model of @p rc (one of
 *  rc->models, else OFFBKG_EINVAL): "<plugin>-<16 hex>", FNV-1a 64 of
 *  the canonical text (doc/store.md §2), in *key; the text itself in
 *  *text when @p text is not NULL. New strings to free(). */
int offbkg_store_model_key(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                           const offbkg_stage_conf_t *model, char **key,
                           char **text);

/** The hash of the exclusion regions' values (NULL: none). */
uint64_t offbkg_store_regions_hash(const offbkg_regions_t *regions);

/** @p regions_hash with [exclude] targets mixed in (its radius and the
 *  regions' names, through which an OBJECT resolves); unchanged when
 *  targets is off (or @p conf NULL), so that older entries stay valid. */
uint64_t offbkg_store_targets_hash(uint64_t regions_hash,
                                   const offbkg_exclude_conf_t *conf,
                                   const offbkg_regions_t *regions);

/** The hash of obs-index row @p row's values, every column. */
uint64_t offbkg_store_row_hash(const offbkg_datastore_t *ds, size_t row);

/** Fill @p id from @p path's identity @p file (offbkg_datastore_path_id or
 *  offbkg_datastore_file_id: size and modification time) and @p hdu. Take
 *  it before reading the events: a change while they are read then makes
 *  the entry stale. OFFBKG_EDATA naming the file when stat() failed. */
int offbkg_store_identity_of(offbkg_ctx_t *ctx, const char *path,
                             const char *hdu, const offbkg_file_id_t *file,
                             offbkg_store_identity_t *id);

/** The CRC-32 (zlib's) of the bytes of the file @p path. */
int offbkg_store_crc32(offbkg_ctx_t *ctx, const char *path, uint32_t *crc);

/** Read the entry of @p key into @p out: OFFBKG_OK for a valid entry
 *  (free it with offbkg_store_entry_free), or OFFBKG_STORE_MISSING,
 *  OFFBKG_STORE_STALE or OFFBKG_STORE_DAMAGED with the reason as the
 *  context's error message and @p out empty, or an error (< 0, out of
 *  memory). @p n_counts and @p n_exposure: the sizes the model expects
 *  (0: not checked). */
int offbkg_store_read(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                      const offbkg_store_key_t *key, size_t n_counts,
                      size_t n_exposure, offbkg_store_entry_t *out);

/** Free the arrays of an entry read; NULL or empty: no-op. */
/** offbkg_store_read with the counts as stored, the cells that are not
 *  0 (data.counts NULL, data.n_nonzero of them: plugin ABI 1.3), for a
 *  model's contrib_add. */
int offbkg_store_read_sparse(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                             const offbkg_store_key_t *key, size_t n_counts,
                             size_t n_exposure, offbkg_store_entry_t *out);

void offbkg_store_entry_free(offbkg_store_entry_t *entry);

/** Write the entry of @p key: @p entry and the obs-index row @p row of
 *  @p ds, atomically (doc/store.md §5). A valid file already there for
 *  the same key is kept (*kept true, when @p kept is not NULL); a stale
 *  or damaged one is replaced. Counts above INT64_MAX, or an exposure,
 *  ONTIME or LIVETIME that is not finite and >= 0, are OFFBKG_EINVAL. */
int offbkg_store_write(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                       const offbkg_store_key_t *key,
                       const offbkg_store_entry_t *entry,
                       const offbkg_datastore_t *ds, size_t row, bool *kept);

/** The hash of a run's entry key without its model key (OBS_ID, the
 *  regions and row hashes, the events file's identity): what a group sum
 *  records of each of its runs (doc/store.md §8). */
uint64_t offbkg_store_run_hash(const offbkg_store_key_t *key);

/** The chain of a group's runs: from OFFBKG_STORE_CHAIN0, each run's
 *  offbkg_store_run_hash in run order. A group sum is named by it. */
uint64_t offbkg_store_chain(uint64_t chain, uint64_t run_hash);
#define OFFBKG_STORE_CHAIN0 0xcbf29ce484222325u

/** One run of a group sum: OBS_ID and run hash (what it must be), and
 *  the run's numbers for the report (what it says). */
typedef struct offbkg_store_sum_run {
    int64_t obs_id;
    uint64_t run_hash;
    size_t n_rows, n_events, n_nonfinite, n_bad_energy, n_regions;
    double ontime_s, livetime_s;
} offbkg_store_sum_run_t;

/** The chains of the group sums held for @p model_key, sorted, in a new
 *  array (*chains, free(); NULL when there is none). */
int offbkg_store_sums(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                      const char *model_key, uint64_t **chains, size_t *n);

/** Read the group sum of @p chain: OFFBKG_OK when it is the sum of
 *  exactly the @p n_runs runs of @p runs (obs_id and run_hash, in order;
 *  their numbers are filled in) for @p model_key, written by this offbkg,
 *  with @p n_counts cells and @p n_exposure bins; the summed contribution
 *  in @p out (offbkg_store_entry_free; only its data is set). Else as
 *  offbkg_store_read: OFFBKG_STORE_MISSING, _STALE, _DAMAGED, or an
 *  error. */
int offbkg_store_sum_read(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                          const char *model_key, uint64_t chain,
                          size_t n_runs, offbkg_store_sum_run_t *runs,
                          size_t n_counts, size_t n_exposure,
                          offbkg_store_entry_t *out);

/** Write the group sum of @p chain, the sum @p data of the @p n_runs
 *  runs @p runs for the model of @p key (model_key and model_text),
 *  atomically; one already there is replaced (its bytes are the same). */
int offbkg_store_sum_write(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                           const offbkg_store_key_t *key, uint64_t chain,
                           size_t n_runs, const offbkg_store_sum_run_t *runs,
                           const offbkg_contrib_data_t *data);

/** The path of @p key's run file: a new string, NULL out of memory. */
char *offbkg_store_path(const offbkg_store_t *store,
                        const offbkg_store_key_t *key);

#endif
