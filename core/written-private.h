/* SPDX-License-Identifier: BSD-3-Clause
 * The model files a command wrote, with what made them: the index step
 * of the same command links them from this list instead of opening
 * each file again to read its SECTION card and its size. */
#ifndef OFFBKG_WRITTEN_PRIVATE_H
#define OFFBKG_WRITTEN_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx-private.h"

/** One model file written. */
typedef struct offbkg_written_file {
    size_t m;               /**< the [model] section that made it */
    bool obs;               /**< a per-observation model: id is an OBS_ID */
    bool smooth;            /**< the smoothed copy */
    int64_t id;             /**< the group, or the OBS_ID */
    int dims;               /**< 2 or 3 */
    int64_t size_bytes;     /**< the file's size as written */
} offbkg_written_file_t;

/** A list of them; zero-initialised is empty. */
typedef struct offbkg_written {
    offbkg_written_file_t *files;
    size_t n, cap;
} offbkg_written_t;

/** The size of the file just written under the name @p path (staged in
 *  the context's output set until it commits), or 0 if it cannot be
 *  stat()ed, as the index tables have always said then. */
int64_t offbkg_written_size(offbkg_ctx_t *ctx, const char *path);

/** Append @p n files. OFFBKG_ENOMEM (set on @p ctx) if out of memory. */
int offbkg_written_add(offbkg_ctx_t *ctx, offbkg_written_t *w,
                       const offbkg_written_file_t *files, size_t n);

/** Sort @p w for offbkg_written_find. */
void offbkg_written_sort(offbkg_written_t *w);

/** The file of [model] @p m for group (or, @p obs, observation) @p id,
 *  raw or @p smooth, 2D before 3D; NULL if none was written. @p w
 *  sorted. */
const offbkg_written_file_t *offbkg_written_find(const offbkg_written_t *w,
                                                 size_t m, bool obs,
                                                 int64_t id, bool smooth);

void offbkg_written_clear(offbkg_written_t *w);

#endif
