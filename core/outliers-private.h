/* SPDX-License-Identifier: BSD-3-Clause
 * Outlier rejection ([exclude] outliers, doc/validate.md §9): the OFF
 * runs whose counts outside exclusions deviate from their group's other
 * runs are left out of the models, round after round until none does. */
#ifndef OFFBKG_OUTLIERS_PRIVATE_H
#define OFFBKG_OUTLIERS_PRIVATE_H

#include "model-private.h"

/** With [exclude] outliers = true (else nothing is done): judge every
 *  used run of @p make (which must have kept them: keep_runs) by its
 *  leave-one-out prediction in the cells of [exclude] outlier_model,
 *  leave out the outliers, and make the groups' sums and cubes of every
 *  model again without them; the runs left out are marked skipped with
 *  their reason and listed in make->outliers. On @p threads threads; the
 *  result does not depend on their number. */
int offbkg_outliers_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        offbkg_model_t *make, size_t threads);

#endif
