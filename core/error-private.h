/* SPDX-License-Identifier: BSD-3-Clause
 * The error message of a context (core/error.c). ctx-private.h includes
 * this header. */
#ifndef OFFBKG_ERROR_PRIVATE_H
#define OFFBKG_ERROR_PRIVATE_H

#include "ctx-private.h"

/** The longest error or log message kept, with its NUL. */
#define OFFBKG_ERROR_MSG_MAX 2048

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

/** Record a cfitsio failure: "<what>: <cfitsio message>" as OFFBKG_EFITS. */
int offbkg_error_fits(offbkg_ctx_t *ctx, int fits_status, const char *fmt,
                      ...) OFFBKG_PRINTF(3, 4);

#endif
