/* SPDX-License-Identifier: BSD-3-Clause
 * Owned in-memory tables read from FITS binary tables, with the column
 * types normalised (every integer to int64, every float to double,
 * strings trimmed). Observation tables handed to plugins are views of
 * these. */
#ifndef OFFBKG_TABLE_PRIVATE_H
#define OFFBKG_TABLE_PRIVATE_H

#include <stdbool.h>

#include <fitsio.h>

#include <offbkg/types.h>

#include "ctx-private.h"
#include "fitshdr-private.h"

typedef struct offbkg_table {
    size_t n_rows;
    size_t n_cols;
    offbkg_column_t *cols;  /**< every name, unit and array owned here */
} offbkg_table_t;

/** The table as plugins see it (no copy). */
offbkg_obs_table_t offbkg_table_view(const offbkg_table_t *t);

/** Read the binary table of the current HDU of @p f. Scalar columns of
 *  every FITS type are read; vector columns are skipped. @p what names
 *  the table in messages. */
int offbkg_table_read(offbkg_ctx_t *ctx, fitsfile *f, const char *what,
                      offbkg_table_t *t);

/** The same, with the cards of the current HDU's header in @p hdr. */
int offbkg_table_read_hdr(offbkg_ctx_t *ctx, fitsfile *f,
                          const offbkg_header_t *hdr, const char *what,
                          offbkg_table_t *t);

/** The rows the header of the current binary table of @p f claims
 *  (NAXIS1 x NAXIS2 bytes, overflow-checked) are in the file; else
 *  OFFBKG_EDATA naming @p what. Every column read from the table is then
 *  bounded by the file's size: check before allocating for one. */
int offbkg_table_check_rows(offbkg_ctx_t *ctx, fitsfile *f, const char *what);

/** Append a double column that takes ownership of @p values (n_rows). */
int offbkg_table_add_double(offbkg_ctx_t *ctx, offbkg_table_t *t,
                            const char *name, const char *unit,
                            double *values);

/** A new table with rows @p rows[0..n) of @p src, in that order. */
int offbkg_table_take(offbkg_ctx_t *ctx, const offbkg_table_t *src,
                      const size_t *rows, size_t n, offbkg_table_t *out);

/** Write @p t as a binary table HDU named @p extname to @p f, with
 *  @p first (may be NULL) as an extra first int64 column. */
int offbkg_table_write(offbkg_ctx_t *ctx, fitsfile *f, const char *extname,
                       const offbkg_table_t *t, const char *first_name,
                       const int64_t *first);

void offbkg_table_free(offbkg_table_t *t);

/** Header value @p key of the current HDU as a number, parsing string
 *  values too ("16.5002"); false if absent or unparsable. */
bool offbkg_table_key_double(fitsfile *f, const char *key, double *value);

/** Header string value @p key, trimmed, into @p buf (FLEN_VALUE); false
 *  if absent. */
bool offbkg_table_key_string(fitsfile *f, const char *key, char *buf);

/** Move @p f to the first binary table that has every column in the
 *  NULL-terminated @p needed and none in @p absent (may be NULL). */
bool offbkg_table_find(fitsfile *f, const char *const *needed,
                       const char *const *absent);

/** Sort the row numbers @p rows[0..n) by key[row], then by row, in
 *  place; -1 if out of memory. */
int offbkg_table_sort_rows(const int64_t *key, size_t *rows, size_t n);

#endif
