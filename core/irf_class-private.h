/* SPDX-License-Identifier: BSD-3-Clause
 * The class of a data store's IRFs (HDUCLAS3 of the effective area):
 * offbkg's background models are full-enclosure, and a store whose IRFs
 * are POINT-LIKE (made with a theta cut) is warned about. */
#ifndef OFFBKG_IRF_CLASS_PRIVATE_H
#define OFFBKG_IRF_CLASS_PRIVATE_H

#include "datastore-private.h"

/** The most distinct effective-area HDUs looked at: when the @p n runs
 *  of rows @p rows name more, only the first run's is. */
#define OFFBKG_IRF_CLASS_MAX_FILES 8

/** Warn once when an effective-area HDU of the runs @p rows of @p store
 *  says HDUCLAS3 = POINT-LIKE: its distinct aeff HDUs (hdu-index
 *  HDU_TYPE aeff) when there are at most OFFBKG_IRF_CLASS_MAX_FILES,
 *  else the first run's. A run without an aeff row, or one that cannot
 *  be read, says nothing (debug log): the IRFs are not read otherwise.
 *  @return OFFBKG_OK, or OFFBKG_ENOMEM / OFFBKG_ECANCELLED. */
int offbkg_irf_class_check(offbkg_ctx_t *ctx, const offbkg_datastore_t *store,
                           const size_t *rows, size_t n);

#endif
