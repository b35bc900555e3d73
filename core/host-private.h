/* SPDX-License-Identifier: BSD-3-Clause
 * The host services table handed to each plugin instance. */
#ifndef OFFBKG_HOST_PRIVATE_H
#define OFFBKG_HOST_PRIVATE_H

#include <stdint.h>

#include <offbkg/plugin.h>

#include "ctx-private.h"

/** A host table for one instance: logs through @p ctx with the prefix
 *  "[stage/name] ", and an RNG stream seeded from @p seed and
 *  @p section (so two sections never share a stream). NULL if out of
 *  memory. */
offbkg_host_t *offbkg_host_new(offbkg_ctx_t *ctx, offbkg_stage_t stage,
                               const char *plugin_name, const char *section,
                               uint64_t seed);
void offbkg_host_free(offbkg_host_t *host);

/** The message the calling thread's last host->error() recorded ("" if
 *  none), and clear it. Copy it before the next plugin call. */
const char *offbkg_host_last_error(void);

#endif
