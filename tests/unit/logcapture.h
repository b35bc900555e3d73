/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: a log sink that keeps every line a context logs, as
 * "LEVEL: prefix message\n", so that a test can look for a message. */
#ifndef OFFBKG_TESTS_LOGCAPTURE_H
#define OFFBKG_TESTS_LOGCAPTURE_H

#include <stdio.h>

#include "ctx-private.h"

typedef struct log_capture {
    char text[65536];       /* the lines so far, NUL-terminated */
    size_t len;             /* set to 0 (and text[0] to NUL) to start anew */
} log_capture_t;

/** An offbkg_ctx_set_log_sink sink; @p user is a log_capture_t. A line
 *  that does not fit is left out. */
static inline void log_capture(void *user, offbkg_log_level_t level,
                               const char *prefix, const char *msg)
{
    static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
    log_capture_t *c = user;
    int n = snprintf(c->text + c->len, sizeof c->text - c->len, "%s: %s%s\n",
                     names[level], prefix, msg);

    if (n > 0 && (size_t)n < sizeof c->text - c->len)
        c->len += (size_t)n;
}

#endif
