/* SPDX-License-Identifier: BSD-3-Clause
 * Log lines: filtered by the context's level, handed to its sink; the
 * default sink writes them to stderr. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "ctx-private.h"

static const char *level_word(offbkg_log_level_t level)
{
    switch (level) {
    case OFFBKG_LOG_ERROR: return "error";
    case OFFBKG_LOG_WARN: return "warning";
    case OFFBKG_LOG_INFO: return "info";
    default: return "debug";
    }
}

void offbkg_log_stderr(void *user, offbkg_log_level_t level,
                       const char *prefix, const char *msg)
{
    (void)user;
    fprintf(stderr, "offbkg: %s: %s%s\n", level_word(level), prefix, msg);
}

void offbkg_log_prefixed(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                         const char *prefix, const char *fmt, va_list ap)
{
    char msg[OFFBKG_ERROR_MSG_MAX];
    void *user;
    offbkg_log_sink_fn sink;

    if (level > offbkg_ctx_log_level(ctx))
        return;
    sink = offbkg_ctx_log_sink(ctx, &user);
    vsnprintf(msg, sizeof msg, fmt, ap);
    sink(user, level, prefix != NULL ? prefix : "", msg);
}

void offbkg_log(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    offbkg_log_prefixed(ctx, level, "", fmt, ap);
    va_end(ap);
}
