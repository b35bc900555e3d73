/* SPDX-License-Identifier: BSD-3-Clause
 * The library context: error message, log sink and level, cancellation,
 * progress, output set. Library code never prints: it records an error
 * here (core/error.c) and logs through the sink the caller installed
 * (core/log.c). One context is used by one thread. */
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

/** The sink and its user data that log lines go to (core/log.c). */
offbkg_log_sink_fn offbkg_ctx_log_sink(const offbkg_ctx_t *ctx, void **user);

/** The buffer of the context's error message, @p *size bytes: written by
 *  core/error.c only; everyone else uses offbkg_error_msg(). */
char *offbkg_ctx_error_buffer(const offbkg_ctx_t *ctx, size_t *size);

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
void offbkg_ctx_progress(offbkg_ctx_t *ctx, size_t done, size_t total,
                         size_t events);

/* Every user of a context sets errors and logs through it. */
#include "error-private.h"
#include "log-private.h"

#endif
