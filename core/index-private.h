/* SPDX-License-Identifier: BSD-3-Clause
 * Index tables (doc/domain.md §2.7, §5.6; doc/design.md §5.5): a data store
 * in [output] dir that gammapy opens with DataStore.from_dir, linking each
 * observation of the target store to the model of its group, or to its
 * own model (doc/match.md §6). */
#ifndef OFFBKG_INDEX_PRIVATE_H
#define OFFBKG_INDEX_PRIVATE_H

#include "datastore-private.h"
#include "runconf-private.h"
#include "written-private.h"

/** What an index step did. */
typedef struct offbkg_index_result {
    size_t n_obs;          /**< observations of the target store */
    size_t n_linked;       /**< that got a bkg row */
    size_t n_no_group;     /**< in no group */
    size_t n_no_model;     /**< in a group without a model file */
    size_t n_store_bkg_kept;    /**< the store's own bkg rows kept, of
                                     runs without a model of ours */
    size_t n_store_bkg_dropped; /**< the same, left out
                                     ([index] keep_input_bkg = false) */
} offbkg_index_result_t;

/** OFFBKG_EDATA, naming it, when a FILE_DIR the index step would write
 *  for @p store (the target) with @p rc is not printable ASCII, which a
 *  FITS table cannot hold; before any work, the output directory may
 *  not exist yet. */
int offbkg_index_check_file_dirs(offbkg_ctx_t *ctx,
                                 const offbkg_runconf_t *rc,
                                 const offbkg_datastore_t *store);

/** Before any event is read and anything is written: OFFBKG_EDATA, in
 *  one message naming each such group (its id and ranges), how many
 *  observations of the index store ([index] path, or @p open_store, the
 *  open [datastore]) fall in it and what to do, when an observation of
 *  the index store falls in a group that gets no model of [index] model.
 *  With @p runs_per_group (offbkg run and check: runs of each of the
 *  @p n_groups groups, of the @p n_runs selected), a group without a
 *  run; without (offbkg index), a group whose model file is not in
 *  [output] dir. OFFBKG_OK when [index] allow_missing_models = true: the
 *  index step then warns, as it always does, and writes no row. A group
 *  no observation of the index store falls in is no error. OFFBKG_OK
 *  with per-observation models (offbkg_runconf_per_target): no group
 *  model is needed, and a target without its own is skipped by the match
 *  step. */
int offbkg_index_check_needed(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                              const offbkg_datastore_t *open_store,
                              const size_t *runs_per_group, size_t n_runs,
                              size_t n_groups);

/** Write hdu-index.fits.gz, obs-index.fits.gz and bkg-index.fits.gz in
 *  [output] dir for the target store ([target] or [index] path, or
 *  [datastore]):
 *  every original row with FILE_DIR rewritten relative to the output
 *  directory, the old bkg rows of each linked observation replaced by
 *  exactly one row for the model of its group (regrouped with the
 *  [group] plugin), or, with per-observation models
 *  (offbkg_runconf_per_target), for its own file
 *  (background_2D_obs_NNNNNN_table.fits.gz). A group, or an observation,
 *  whose model file does not exist gets no rows (with a warning), never a
 *  row pointing at nothing. @p open_store is
 *  [datastore] already open, used when it is the target (NULL: open the
 *  target here). @p written: the model files this command wrote, sorted
 *  (offbkg_written_sort), which are linked from the list, unopened; NULL
 *  (offbkg index, linking another command's files): each candidate file
 *  is opened to check that the [model] section it links made it. The
 *  three tables are written on up to @p threads threads. */
int offbkg_index_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                     const offbkg_datastore_t *open_store,
                     const offbkg_written_t *written, size_t threads,
                     offbkg_index_result_t *result);

#endif
