/* SPDX-License-Identifier: BSD-3-Clause
 * The select stage of a run and its output, run.lis (doc/domain.md §2.2,
 * §2.3); the runs a stage keeps and why it dropped the others. */
#ifndef OFFBKG_SELECT_PRIVATE_H
#define OFFBKG_SELECT_PRIVATE_H

#include <stdint.h>

#include "datastore-private.h"
#include "runconf-private.h"

/** One distinct reason a select section gave, with its counts. */
typedef struct offbkg_select_reason {
    char *text;
    size_t dropped;          /**< runs the section dropped for it */
    size_t removed;          /**< of those, runs no earlier section
                                  dropped */
} offbkg_select_reason_t;

/** The most distinct reasons counted per select section; the runs of
 *  any further reason are counted under OFFBKG_SELECT_OTHER_REASONS. */
#define OFFBKG_SELECT_MAX_REASONS 32
#define OFFBKG_SELECT_OTHER_REASONS "(other reasons)"

/** What one select section did: each section sees every run; a run is
 *  kept when every section keeps it, and a dropped run is "removed" by
 *  the first section (in offbkg_runconf_select_at order) that drops it,
 *  so the sections' removed counts add up to the runs dropped. */
typedef struct offbkg_select_section {
    const offbkg_stage_conf_t *conf;
    size_t dropped;
    size_t removed;
    size_t n_reasons;
    offbkg_select_reason_t *reasons; /**< in order of first appearance */
} offbkg_select_section_t;

/** Runs of a store that a stage keeps, and why the others were dropped. */
typedef struct offbkg_selection {
    size_t n;                /**< rows kept */
    size_t *rows;            /**< obs-index rows kept, ascending */
    size_t n_dropped;
    int64_t *dropped_ids;    /**< OBS_ID of each dropped run */
    char **dropped_why;      /**< and why */
    size_t n_sections;       /**< the select stage: per select section; 0
                                  for other stages */
    offbkg_select_section_t *sections;
} offbkg_selection_t;

void offbkg_select_clear(offbkg_selection_t *sel);

/** Run the plugin of every select section ([select], then each
 *  [select LABEL]) on the whole observation table; keep the runs that
 *  all keep. A dropped run's reason is that of the first section that
 *  dropped it, prefixed with "[select LABEL] " for a labelled one. On
 *  a plugin's failure *@p failed (when not NULL) is its section. */
int offbkg_select_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      const offbkg_datastore_t *store,
                      offbkg_selection_t *sel,
                      const offbkg_stage_conf_t **failed);

/** When there are several select sections, log (INFO) how many runs
 *  each dropped and removed. */
void offbkg_select_log_sections(offbkg_ctx_t *ctx,
                                const offbkg_selection_t *sel);

/** Record that run @p obs_id of the store was dropped, and @p why (NULL
 *  or "": "no reason given"). */
int offbkg_select_drop(offbkg_ctx_t *ctx, offbkg_selection_t *sel,
                       int64_t obs_id, const char *why);

/** Log how many runs were dropped, by reason (INFO), each one at DEBUG. */
void offbkg_select_log_dropped(offbkg_ctx_t *ctx, const char *stage,
                               const offbkg_selection_t *sel);

/** An OFFBKG_EDATA error for a stage that kept no run: "file:line:
 *  [section] plugin NAME <what>: N runs: why; ..." with the distinct
 *  reasons of @p dropped (the first three, and how many more). */
int offbkg_select_none_kept(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                            const offbkg_stage_conf_t *sc, const char *what,
                            const offbkg_selection_t *dropped);

/** OFFBKG_OK when @p sel keeps a run of @p store; else the
 *  offbkg_select_none_kept error saying what was selected from and why each
 *  run was dropped: a selection of none is no success. */
int offbkg_select_require(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                          const offbkg_datastore_t *store,
                          const offbkg_selection_t *sel);

/** run.lis: CSV, header OBS_ID, one kept run per line (store order). */
int offbkg_select_write(offbkg_ctx_t *ctx, const char *path,
                        bool overwrite, const offbkg_datastore_t *store,
                        const offbkg_selection_t *sel);

/** Read run.lis back as obs-index rows (sorted by OBS_ID, as old
 *  gammapy's join did). IDs the store lacks are warned about and
 *  skipped; duplicates are warned about and counted once. A bad line is
 *  an OFFBKG_EDATA error naming path:line; so is a file without the
 *  header (empty, or comments only). */
int offbkg_select_read(offbkg_ctx_t *ctx, const char *path,
                       const offbkg_datastore_t *store, size_t **rows,
                       size_t *n);

#endif
