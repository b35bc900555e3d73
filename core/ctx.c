/* SPDX-License-Identifier: BSD-3-Clause
 * Library context: error message, logging and cancellation. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx-private.h"

#define ERROR_MSG_MAX 2048

struct offbkg_ctx {
    char error[ERROR_MSG_MAX];
    offbkg_log_sink_fn sink;
    void *sink_user;
    offbkg_log_level_t level;
    volatile sig_atomic_t *cancel_flag;
    offbkg_progress_fn progress;
    void *progress_user;
    struct offbkg_outset *outset;
    size_t max_inflated_bytes;
};

static const char *level_word(offbkg_log_level_t level)
{
    switch (level) {
    case OFFBKG_LOG_ERROR: return "error";
    case OFFBKG_LOG_WARN: return "warning";
    case OFFBKG_LOG_INFO: return "info";
    default: return "debug";
    }
}

/* The default sink: one line on stderr, the form GNU tools use. */
static void stderr_sink(void *user, offbkg_log_level_t level,
                        const char *prefix, const char *msg)
{
    (void)user;
    fprintf(stderr, "offbkg: %s: %s%s\n", level_word(level), prefix, msg);
}

offbkg_ctx_t *offbkg_ctx_new(void)
{
    offbkg_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    ctx->sink = stderr_sink;
    ctx->level = OFFBKG_LOG_INFO;
    ctx->max_inflated_bytes = OFFBKG_MAX_INFLATED_DEFAULT;
    return ctx;
}

offbkg_ctx_t *offbkg_ctx_new_child(const offbkg_ctx_t *parent)
{
    offbkg_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    ctx->sink = parent->sink;
    ctx->sink_user = parent->sink_user;
    ctx->level = parent->level;
    ctx->cancel_flag = parent->cancel_flag;
    ctx->progress = parent->progress;
    ctx->progress_user = parent->progress_user;
    ctx->outset = parent->outset;
    ctx->max_inflated_bytes = parent->max_inflated_bytes;
    return ctx;
}

void offbkg_ctx_free(offbkg_ctx_t *ctx)
{
    free(ctx);
}

void offbkg_ctx_set_outset(offbkg_ctx_t *ctx, struct offbkg_outset *set)
{
    ctx->outset = set;
}

struct offbkg_outset *offbkg_ctx_outset(const offbkg_ctx_t *ctx)
{
    return ctx->outset;
}

void offbkg_ctx_set_log_sink(offbkg_ctx_t *ctx, offbkg_log_sink_fn sink,
                             void *user)
{
    ctx->sink = sink != NULL ? sink : stderr_sink;
    ctx->sink_user = user;
}

void offbkg_ctx_set_log_level(offbkg_ctx_t *ctx, offbkg_log_level_t level)
{
    ctx->level = level;
}

offbkg_log_level_t offbkg_ctx_log_level(const offbkg_ctx_t *ctx)
{
    return ctx->level;
}

void offbkg_ctx_set_cancel_flag(offbkg_ctx_t *ctx,
                                volatile sig_atomic_t *flag)
{
    ctx->cancel_flag = flag;
}

int offbkg_ctx_cancelled(const offbkg_ctx_t *ctx)
{
    return ctx->cancel_flag != NULL && *ctx->cancel_flag != 0;
}

void offbkg_ctx_set_max_inflated(offbkg_ctx_t *ctx, size_t bytes)
{
    ctx->max_inflated_bytes = bytes;
}

size_t offbkg_ctx_max_inflated(const offbkg_ctx_t *ctx)
{
    return ctx->max_inflated_bytes;
}

int offbkg_error_set(offbkg_ctx_t *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
    return status;
}

int offbkg_error_push(offbkg_ctx_t *ctx, int status, const char *fmt, ...)
{
    char old[ERROR_MSG_MAX];
    size_t n;
    va_list ap;

    memcpy(old, ctx->error, sizeof old);
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
    /* Append ": " and the old message, truncating the tail if needed. */
    n = strlen(ctx->error);
    if (n + 3 < sizeof ctx->error) {
        memcpy(ctx->error + n, ": ", 3);
        n += 2;
        strncat(ctx->error, old, sizeof ctx->error - n - 1);
    }
    return status;
}

const char *offbkg_error_msg(const offbkg_ctx_t *ctx)
{
    return ctx->error;
}

void offbkg_error_clear(offbkg_ctx_t *ctx)
{
    ctx->error[0] = '\0';
}

void offbkg_log_prefixed(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                         const char *prefix, const char *fmt, va_list ap)
{
    char msg[ERROR_MSG_MAX];

    if (level > ctx->level)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    ctx->sink(ctx->sink_user, level, prefix != NULL ? prefix : "", msg);
}

void offbkg_log(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    offbkg_log_prefixed(ctx, level, "", fmt, ap);
    va_end(ap);
}

void offbkg_ctx_set_progress(offbkg_ctx_t *ctx, offbkg_progress_fn fn,
                             void *user)
{
    ctx->progress = fn;
    ctx->progress_user = user;
}

void offbkg_progress(offbkg_ctx_t *ctx, size_t done, size_t total,
                     size_t events)
{
    if (ctx->progress != NULL)
        ctx->progress(ctx->progress_user, done, total, events);
}
