/* SPDX-License-Identifier: BSD-3-Clause
 * The library context: error message, log sink and level, cancellation.
 * Library code never prints: it records an error here and logs through
 * the sink the caller installed. One context is used by one thread. */
#ifndef OFFBKG_CTX_PRIVATE_H
#define OFFBKG_CTX_PRIVATE_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>

#include <offbkg/plugin.h>

typedef struct offbkg_ctx offbkg_ctx_t;

/** Receives every log line at or below the context's level. @p prefix is
 *  "" or e.g. "[select/offplane] ". */
typedef void (*offbkg_log_sink_fn)(void *user, offbkg_log_level_t level,
                                   const char *prefix, const char *msg);

/** A new context logging to stderr at level INFO; NULL if out of memory. */
offbkg_ctx_t *offbkg_ctx_new(void);
/** A context for a worker thread: the log sink, level and cancel flag of
 *  @p parent, its own error message. The sink must be thread-safe. */
offbkg_ctx_t *offbkg_ctx_new_child(const offbkg_ctx_t *parent);
void offbkg_ctx_free(offbkg_ctx_t *ctx);

void offbkg_ctx_set_log_sink(offbkg_ctx_t *ctx, offbkg_log_sink_fn sink,
                             void *user);
void offbkg_ctx_set_log_level(offbkg_ctx_t *ctx, offbkg_log_level_t level);
offbkg_log_level_t offbkg_ctx_log_level(const offbkg_ctx_t *ctx);

/** Point the context at a flag that a signal handler sets to stop work. */
void offbkg_ctx_set_cancel_flag(offbkg_ctx_t *ctx,
                                volatile sig_atomic_t *flag);
int offbkg_ctx_cancelled(const offbkg_ctx_t *ctx);

/** The most bytes a gzip input file may inflate to ([datastore]
 *  max_inflated_gib; 4 GiB unless set): memory is held for what is
 *  inflated, so a small file that claims gigabytes is refused as too
 *  large, not inflated. Worker contexts inherit it. */
#define OFFBKG_MAX_INFLATED_DEFAULT ((size_t)4 << 30)
void offbkg_ctx_set_max_inflated(offbkg_ctx_t *ctx, size_t bytes);
size_t offbkg_ctx_max_inflated(const offbkg_ctx_t *ctx);

/** Record @p fmt as the error message and return @p status. */
int offbkg_error_set(offbkg_ctx_t *ctx, int status, const char *fmt, ...)
    OFFBKG_PRINTF(3, 4);
/** Prepend context ("while reading obs 23523: ") to the current message
 *  and return @p status. */
int offbkg_error_push(offbkg_ctx_t *ctx, int status, const char *fmt, ...)
    OFFBKG_PRINTF(3, 4);
/** The last error message ("" if none). Valid until the next error call. */
const char *offbkg_error_msg(const offbkg_ctx_t *ctx);
void offbkg_error_clear(offbkg_ctx_t *ctx);

void offbkg_log(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                const char *fmt, ...) OFFBKG_PRINTF(3, 4);
void offbkg_log_prefixed(offbkg_ctx_t *ctx, offbkg_log_level_t level,
                         const char *prefix, const char *fmt, va_list ap)
    OFFBKG_PRINTF(4, 0);

struct offbkg_outset;

/** Write the outputs of this context (and of its children) that go to the
 *  directory of @p set into its staging directory (core/outset.c); NULL:
 *  straight to their directory, each file atomic on its own. */
void offbkg_ctx_set_outset(offbkg_ctx_t *ctx, struct offbkg_outset *set);
struct offbkg_outset *offbkg_ctx_outset(const offbkg_ctx_t *ctx);

/** Receives the progress of long work: @p done of @p total runs, with
 *  @p events events read so far. */
typedef void (*offbkg_progress_fn)(void *user, size_t done, size_t total,
                                   size_t events);

/** Install a progress receiver (NULL: none, the default). */
void offbkg_ctx_set_progress(offbkg_ctx_t *ctx, offbkg_progress_fn fn,
                             void *user);
/** Report progress to the receiver, if any. */
void offbkg_progress(offbkg_ctx_t *ctx, size_t done, size_t total,
                     size_t events);

#define OFFBKG_ERROR(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_ERROR, __VA_ARGS__)
#define OFFBKG_WARN(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_WARN, __VA_ARGS__)
#define OFFBKG_INFO(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_INFO, __VA_ARGS__)
#define OFFBKG_DEBUG(ctx, ...) offbkg_log((ctx), OFFBKG_LOG_DEBUG, __VA_ARGS__)

#endif
