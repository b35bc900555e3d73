/* SPDX-License-Identifier: BSD-3-Clause
 * Log lines through a context's sink (core/log.c). ctx-private.h
 * includes this header. */
#ifndef OFFBKG_LOG_PRIVATE_H
#define OFFBKG_LOG_PRIVATE_H

#include <stdarg.h>

#include "ctx-private.h"

/** Log @p fmt at @p level, if the context's level lets it through. */
void offbkg_log(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                const char *fmt, ...) OFFBKG_PRINTF(3, 4);
void offbkg_log_prefixed(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                         const char *prefix, const char *fmt, va_list ap)
    OFFBKG_PRINTF(4, 0);

/** The default sink: "offbkg: LEVEL: PREFIXMSG" on a line of stderr, the
 *  form GNU tools use. */
void offbkg_log_stderr(void *user, offbkg_log_level_t level,
                       const char *prefix, const char *msg);

#define OFFBKG_ERROR(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_ERROR, __VA_ARGS__)
#define OFFBKG_WARN(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_WARN, __VA_ARGS__)
#define OFFBKG_INFO(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_INFO, __VA_ARGS__)
#define OFFBKG_DEBUG(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_DEBUG, __VA_ARGS__)

#endif
