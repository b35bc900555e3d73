/* SPDX-License-Identifier: BSD-3-Clause
 * The error message of a context: set, extended with what was being done,
 * read and cleared; and cfitsio's failures put in words. */
#include <config.h>

#include <fitsio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctx-private.h"

int offbkg_error_set(offbkg_ctx_t *ctx, int status, const char *fmt, ...)
{
    size_t size;
    char *error = offbkg_ctx_error_buffer(ctx, &size);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    return status;
}

int offbkg_error_push(offbkg_ctx_t *ctx, int status, const char *fmt, ...)
{
    size_t size;
    char *error = offbkg_ctx_error_buffer(ctx, &size);
    char old[OFFBKG_ERROR_MSG_MAX];
    size_t n;
    va_list ap;

    memcpy(old, error, sizeof old);
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    /* Append ": " and the old message, truncating the tail if needed. */
    n = strlen(error);
    if (n + 3 < size) {
        memcpy(error + n, ": ", 3);
        n += 2;
        strncat(error, old, size - n - 1);
    }
    return status;
}

const char *offbkg_error_msg(const offbkg_ctx_t *ctx)
{
    size_t size;
    return offbkg_ctx_error_buffer(ctx, &size);
}

void offbkg_error_clear(offbkg_ctx_t *ctx)
{
    size_t size;
    offbkg_ctx_error_buffer(ctx, &size)[0] = '\0';
}

int offbkg_error_fits(offbkg_ctx_t *ctx, int fits_status, const char *fmt,
                      ...)
{
    char what[512], text[FLEN_STATUS], detail[FLEN_ERRMSG];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fits_get_errstatus(fits_status, text);
    /* The first message on cfitsio's stack says most; drop the rest. */
    if (fits_read_errmsg(detail) == 0)
        detail[0] = '\0';
    fits_clear_errmsg();
    return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: %s%s%s", what, text,
                            detail[0] != '\0' ? ": " : "", detail);
}
