/* SPDX-License-Identifier: BSD-3-Clause
 * report.json: what a run did, for people and for scripts: the resolved
 * configuration, the plugins and their versions, which runs were dropped
 * or skipped and why, and per group and model what went in. */
#ifndef OFFBKG_REPORT_PRIVATE_H
#define OFFBKG_REPORT_PRIVATE_H

#include "datastore-private.h"
#include "group-private.h"
#include "index-private.h"
#include "match-private.h"
#include "model-private.h"
#include "validate-private.h"

/** What a command did; any part may be NULL when that stage did not run
 *  in this command. */
typedef struct offbkg_report {
    const char *command;
    const offbkg_runconf_t *rc;
    const offbkg_datastore_t *store;
    const offbkg_selection_t *selection;
    const offbkg_grouping_t *grouping;
    const offbkg_model_t *make;
    const char *const *files;       /**< outputs written */
    size_t n_files;
    const offbkg_index_result_t *index; /**< NULL: no index written */
    const offbkg_match_t *match;    /**< NULL: no match step; shared
                                         groups: only its plugin */
    const offbkg_validation_t *validation; /**< NULL: not offbkg
                                                validate */
} offbkg_report_t;

/** Write @p r as JSON to @p path, atomically. */
int offbkg_report_write(offbkg_ctx_t *ctx, const offbkg_report_t *r,
                        const char *path, bool overwrite);

#endif
