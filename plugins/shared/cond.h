/* SPDX-License-Identifier: BSD-3-Clause
 * Conditions COLUMN OP VALUE on obs-index columns, as select/column and
 * select/quality write them: "ZEN_PNT < 60", "|GLAT_PNT| > 5",
 * "TARGET_TAG == offdata". Numeric columns compare as numbers (exactly
 * for integers), and a NaN satisfies nothing; |COLUMN| compares the
 * absolute value; string columns compare as text, blanks trimmed,
 * case-sensitive, with == and != only. Private to the select plugins:
 * compiled into each module and not exported. */
#ifndef OFFBKG_PLUGINS_COND_H
#define OFFBKG_PLUGINS_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <offbkg/plugin.h>

typedef enum cond_op {
    COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT, COND_GE
} cond_op_t;

/** One parsed condition. Free with cond_free. */
typedef struct cond {
    char *column;           /**< as written, e.g. "|GLAT_PNT|" */
    char *name;             /**< the column's name, e.g. "GLAT_PNT" */
    bool absolute;          /**< |COLUMN|: compare the absolute value */
    cond_op_t op;
    char *value;            /**< as written, quotes removed */
    bool is_number;         /**< value parses as a finite number */
    double number;
    bool is_integer;        /**< value is also a whole int64 */
    int64_t integer;
    char *false_reason;     /**< "ZEN_PNT < 60 is false" */
    char *nan_reason;       /**< "ZEN_PNT is missing (NaN)" */
} cond_t;

/** "==", "<", ... */
const char *cond_op_text(cond_op_t op);

/** Parse @p item into @p c (zeroed first). OFFBKG_OK, OFFBKG_ENOMEM, or
 *  OFFBKG_ECONFIG with what is wrong in @p why (@p n bytes). On failure
 *  @p c may hold parts: cond_free it. */
int cond_parse(const char *item, cond_t *c, char *why, size_t n);

void cond_free(cond_t *c);

/** The column of @p c in @p obs, checked against the condition (a
 *  string column takes == and != only, and no |...|; a numeric one a
 *  number). Errors (OFFBKG_EDATA, via host->error) start with
 *  "@p key: ". */
int cond_resolve(const offbkg_host_t *host, const char *key,
                 const cond_t *c, const offbkg_obs_table_t *obs,
                 const offbkg_column_t **col);

/** @p c on row @p i of @p col: NULL when it holds, else the reason. */
const char *cond_test(const cond_t *c, const offbkg_column_t *col, size_t i);

/** When string condition @p c holds for none of the first @p n rows of
 *  @p col, *out = a new reason that also lists the values the column has
 *  (the first ten; a typo shows at once); else *out = NULL. */
int cond_no_match_reason(const offbkg_host_t *host, const cond_t *c,
                         const offbkg_column_t *col, size_t n, char **out);

#endif
