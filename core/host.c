/* SPDX-License-Identifier: BSD-3-Clause
 * The host services table a plugin instance receives: logging with the
 * plugin's prefix, per-thread error messages, a reproducible RNG stream
 * and the cancellation flag. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-private.h"
#include "registry-private.h"
#include "rng-private.h"

typedef struct host_impl {
    offbkg_host_t pub;       /* first, so a host pointer is an impl pointer */
    offbkg_ctx_t *ctx;
    char prefix[96];         /* "[select/offplane] " */
    offbkg_rng_t rng;        /* this instance's stream */
} host_impl_t;

/* Plugin errors are per thread: fill runs on worker threads. */
static _Thread_local char thread_error[1024];

const char *offbkg_host_last_error(void)
{
    /* Hand out a copy so the message can be cleared, as documented: a
     * later failure without host->error must not repeat a stale one. */
    static _Thread_local char taken[sizeof thread_error];

    memcpy(taken, thread_error, sizeof taken);
    thread_error[0] = '\0';
    return taken;
}

/* The format attributes let the compiler check the callers' formats. */
static void host_log(const offbkg_host_t *host, offbkg_log_level_t level,
                     const char *fmt, ...) OFFBKG_PRINTF(3, 4);
static int host_error(const offbkg_host_t *host, int status, const char *fmt,
                      ...) OFFBKG_PRINTF(3, 4);

static void host_log(const offbkg_host_t *host, offbkg_log_level_t level,
                     const char *fmt, ...)
{
    const host_impl_t *h = (const host_impl_t *)host;
    va_list ap;
    va_start(ap, fmt);
    offbkg_log_prefixed(h->ctx, level, h->prefix, fmt, ap);
    va_end(ap);
}

static int host_error(const offbkg_host_t *host, int status, const char *fmt,
                      ...)
{
    va_list ap;
    (void)host;
    va_start(ap, fmt);
    vsnprintf(thread_error, sizeof thread_error, fmt, ap);
    va_end(ap);
    return status < 0 ? status : OFFBKG_EPLUGIN;
}

static uint64_t host_rng_u64(const offbkg_host_t *host)
{
    return offbkg_rng_next(&((host_impl_t *)host)->rng);
}

static double host_rng_uniform(const offbkg_host_t *host)
{
    return offbkg_rng_uniform(&((host_impl_t *)host)->rng);
}

static int host_cancelled(const offbkg_host_t *host)
{
    return offbkg_ctx_cancelled(((const host_impl_t *)host)->ctx);
}

offbkg_host_t *offbkg_host_new(offbkg_ctx_t *ctx, offbkg_stage_t stage,
                               const char *plugin_name, const char *section,
                               uint64_t seed)
{
    host_impl_t *h = calloc(1, sizeof *h);
    uint64_t x = seed;

    if (h == NULL)
        return NULL;
    h->pub.abi_major = OFFBKG_PLUGIN_ABI_MAJOR;
    h->pub.abi_minor = OFFBKG_PLUGIN_ABI_MINOR;
    h->pub.struct_size = sizeof(offbkg_host_t);
    h->pub.log = host_log;
    h->pub.error = host_error;
    h->pub.rng_u64 = host_rng_u64;
    h->pub.rng_uniform = host_rng_uniform;
    h->pub.cancelled = host_cancelled;
    h->ctx = ctx;
    snprintf(h->prefix, sizeof h->prefix, "[%s/%s] ",
             offbkg_registry_stage_name(stage), plugin_name);
    /* Mix the section name into the seed (FNV-1a) so every section has
     * its own stream, the same for the same seed on every run. */
    for (const char *c = section; *c != '\0'; c++)
        x = (x ^ (unsigned char)*c) * 0x100000001B3ull;
    for (int i = 0; i < 4; i++)
        h->rng.s[i] = offbkg_rng_splitmix64(&x);
    return &h->pub;
}

void offbkg_host_free(offbkg_host_t *host)
{
    free(host);
}
