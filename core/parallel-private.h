/* SPDX-License-Identifier: BSD-3-Clause
 * A parallel loop for the steps after the fill: models finished and
 * written a group at a time, on as many threads as the run has. */
#ifndef OFFBKG_PARALLEL_PRIVATE_H
#define OFFBKG_PARALLEL_PRIVATE_H

#include <stddef.h>

#include "ctx-private.h"

/** Call @p fn(@p arg, i) once for every i in [0, n), on up to @p threads
 *  threads (the calling one among them; fewer if a thread cannot start),
 *  taking the items in order; return when all are done. @p fn must not
 *  touch what another item touches. */
void offbkg_parallel_for(size_t n, size_t threads,
                         void (*fn)(void *arg, size_t i), void *arg);

/** offbkg_parallel_for of items that can fail: @p fn(ctx_i, @p arg, i)
 *  with a context of each item's own (a child of @p ctx, so that its
 *  message stays its own). OFFBKG_OK, or the status of the first item in
 *  item order that failed, its message set on @p ctx. */
int offbkg_parallel_try(offbkg_ctx_t *ctx, size_t n, size_t threads,
                        int (*fn)(offbkg_ctx_t *ctx, void *arg, size_t i),
                        void *arg);

#endif
