/* SPDX-License-Identifier: BSD-3-Clause
 * The smooth step: each cube of a [model] section that has a smoother
 * ([smooth] in the same section) is copied and smoothed by the plugin;
 * the raw cube is kept, and both are written (doc/design.md §2.5). */
#ifndef OFFBKG_SMOOTH_PRIVATE_H
#define OFFBKG_SMOOTH_PRIVATE_H

#include "model-private.h"

/** Fill models[m].smoothed[g] of @p make for every cube whose model has
 *  a smoother, a (model, group) at a time on up to @p threads threads,
 *  each with its own plugin instance (a plugin's state is not shared
 *  between threads). The first failure, in model then group order, is
 *  the error, naming the section and the group. */
int offbkg_smooth_run(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                      offbkg_model_t *make, size_t threads);

#endif
