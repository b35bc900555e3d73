/* SPDX-License-Identifier: BSD-3-Clause
 * CSV records as RFC 4180 defines them (doc/exclude.md §1): a field may
 * be quoted, and then holds commas, line breaks and "" for a quote.
 * Besides the RFC: blanks around a field (outside its quotes) are
 * dropped, blank lines and lines whose first non-blank character is #
 * are skipped, CRLF or LF ends a record, a UTF-8 byte-order mark at the
 * start is skipped, and lines may be of any length. */
#ifndef OFFBKG_CSV_PRIVATE_H
#define OFFBKG_CSV_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctx-private.h"

typedef struct offbkg_csv {
    const char *path;   /**< as given to offbkg_csv_open, for messages */
    long line;          /**< line of the first character of the record */
    size_t n;           /**< fields of the record */
    char **fields;      /**< n fields, valid until the next read */
    /* private */
    FILE *f;
    long next_line;
    char *text;
    size_t len, cap;
    size_t *starts;
    size_t cap_fields;
} offbkg_csv_t;

/** Open @p path (kept as a pointer: it must outlive @p csv). */
int offbkg_csv_open(offbkg_ctx_t *ctx, const char *path, offbkg_csv_t *csv);

/** Read the next record: *@p got is false at the end of the file. A
 *  malformed record (a quote left open at the end of the file, text
 *  after a closing quote, a quote inside an unquoted field, a NUL byte)
 *  is an OFFBKG_ECONFIG error naming path:line and the field. */
int offbkg_csv_next(offbkg_ctx_t *ctx, offbkg_csv_t *csv, bool *got);

void offbkg_csv_close(offbkg_csv_t *csv);

#endif
