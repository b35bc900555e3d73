/* SPDX-License-Identifier: BSD-3-Clause
 * The library context: where errors are kept and log lines go, the log
 * level, cancellation, progress and the output set (core/error.c and
 * core/log.c write the errors and the log lines). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ctx-private.h"

struct offbkg_ctx {
    char error[OFFBKG_ERROR_MSG_MAX];
    offbkg_log_sink_fn sink;
    void *sink_user;
    offbkg_log_level_t level;
    volatile sig_atomic_t *cancel_flag;
    offbkg_progress_fn progress;
    void *progress_user;
    struct offbkg_outset *outset;
    size_t max_inflated_bytes;
};

offbkg_ctx_t *offbkg_ctx_new(void)
{
    offbkg_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    ctx->sink = offbkg_log_stderr;
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
    ctx->sink = sink != NULL ? sink : offbkg_log_stderr;
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

offbkg_log_sink_fn offbkg_ctx_log_sink(const offbkg_ctx_t *ctx, void **user)
{
    *user = ctx->sink_user;
    return ctx->sink;
}

char *offbkg_ctx_error_buffer(const offbkg_ctx_t *ctx, size_t *size)
{
    *size = sizeof ctx->error;
    /* Like strchr: a const context, its buffer writable by core/error.c. */
    return (char *)ctx->error;
}

void offbkg_ctx_set_progress(offbkg_ctx_t *ctx, offbkg_progress_fn fn,
                             void *user)
{
    ctx->progress = fn;
    ctx->progress_user = user;
}

void offbkg_ctx_progress(offbkg_ctx_t *ctx, size_t done, size_t total,
                         size_t events)
{
    if (ctx->progress != NULL)
        ctx->progress(ctx->progress_user, done, total, events);
}
