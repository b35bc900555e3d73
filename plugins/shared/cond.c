/* SPDX-License-Identifier: BSD-3-Clause
 * Conditions on obs-index columns (cond.h). */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"

static const char *const op_text[] = { "==", "!=", "<", "<=", ">", ">=" };

const char *cond_op_text(cond_op_t op)
{
    return op_text[op];
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_op_char(char c)
{
    return c == '=' || c == '!' || c == '<' || c == '>';
}

/* A copy of [b, e) without surrounding blanks; NULL if out of memory. */
static char *copy_trimmed(const char *b, const char *e)
{
    char *out;

    while (b < e && is_blank(*b))
        b++;
    while (e > b && is_blank(e[-1]))
        e--;
    out = malloc((size_t)(e - b) + 1);
    if (out != NULL) {
        memcpy(out, b, (size_t)(e - b));
        out[e - b] = '\0';
    }
    return out;
}

/* Fill c->is_number, number, is_integer and integer from c->value. */
static void classify_value(cond_t *c)
{
    char *end;
    long long i;

    errno = 0;
    c->number = strtod(c->value, &end);
    c->is_number = end != c->value && *end == '\0' && errno != ERANGE
                   && isfinite(c->number);
    errno = 0;
    i = strtoll(c->value, &end, 10);
    c->is_integer = c->is_number && end != c->value && *end == '\0'
                    && errno != ERANGE;
    c->integer = i;
}

/* A new string: the concatenation of the arguments up to a NULL. NULL
 * if out of memory. */
static char *concat(const char *first, ...)
{
    va_list ap;
    size_t len = 0;
    char *out;

    va_start(ap, first);
    for (const char *p = first; p != NULL; p = va_arg(ap, const char *))
        len += strlen(p);
    va_end(ap);
    if ((out = malloc(len + 1)) == NULL)
        return NULL;
    out[0] = '\0';
    va_start(ap, first);
    for (const char *p = first; p != NULL; p = va_arg(ap, const char *))
        strcat(out, p);
    va_end(ap);
    return out;
}

/* The operator at @p op (op_len characters) into c->op; false if none. */
static bool find_op(const char *op, size_t op_len, cond_t *c)
{
    for (size_t k = 0; k < sizeof op_text / sizeof op_text[0]; k++)
        if (strlen(op_text[k]) == op_len
            && strncmp(op, op_text[k], op_len) == 0) {
            c->op = (cond_op_t)k;
            return true;
        }
    return false;
}

int cond_parse(const char *item, cond_t *c, char *why, size_t n)
{
    const char *op = item, *value;
    size_t op_len = 0, len;

    memset(c, 0, sizeof *c);
    while (*op != '\0' && !is_op_char(*op))
        op++;
    if (*op == '\0') {
        snprintf(why, n, "no operator; expected COLUMN OP VALUE with OP one "
                 "of == != < <= > >=");
        return OFFBKG_ECONFIG;
    }
    while (is_op_char(op[op_len]))
        op_len++;
    if (!find_op(op, op_len, c)) {
        snprintf(why, n, "unknown operator '%.*s'%s; use one of == != < <= "
                 "> >=", (int)op_len, op,
                 op_len == 1 && op[0] == '=' ? " (did you mean '==')" : "");
        return OFFBKG_ECONFIG;
    }
    value = op + op_len;
    if ((c->column = copy_trimmed(item, op)) == NULL
        || (c->value = copy_trimmed(value, value + strlen(value))) == NULL)
        return OFFBKG_ENOMEM;
    if (c->column[0] == '\0') {
        snprintf(why, n, "no column before '%s'", op_text[c->op]);
        return OFFBKG_ECONFIG;
    }
    len = strlen(c->column);
    c->absolute = len > 2 && c->column[0] == '|' && c->column[len - 1] == '|';
    c->name = c->absolute ? copy_trimmed(c->column + 1, c->column + len - 1)
                          : strdup(c->column);
    if (c->name == NULL)
        return OFFBKG_ENOMEM;
    if (c->name[0] == '\0' || strpbrk(c->name, " \t|") != NULL) {
        snprintf(why, n, "'%s' is not a column name (no blanks allowed; "
                 "|COLUMN| for an absolute value)", c->column);
        return OFFBKG_ECONFIG;
    }
    /* One pair of matching quotes may enclose the value. */
    len = strlen(c->value);
    if (len >= 2 && (c->value[0] == '\'' || c->value[0] == '"')
        && c->value[len - 1] == c->value[0]) {
        char *inner = copy_trimmed(c->value + 1, c->value + len - 1);
        if (inner == NULL)
            return OFFBKG_ENOMEM;
        free(c->value);
        c->value = inner;
    }
    if (c->value[0] == '\0') {
        snprintf(why, n, "no value after '%s'", op_text[c->op]);
        return OFFBKG_ECONFIG;
    }
    classify_value(c);
    c->false_reason = concat(c->column, " ", op_text[c->op], " ", c->value,
                             " is false", (char *)NULL);
    c->nan_reason = concat(c->name, " is missing (NaN)", (char *)NULL);
    return c->false_reason != NULL && c->nan_reason != NULL ? OFFBKG_OK
                                                            : OFFBKG_ENOMEM;
}

void cond_free(cond_t *c)
{
    free(c->column);
    free(c->name);
    free(c->value);
    free(c->false_reason);
    free(c->nan_reason);
    memset(c, 0, sizeof *c);
}

/* Whether a comparison result (-1, 0, 1) satisfies @p op. */
static bool holds(cond_op_t op, int cmp)
{
    switch (op) {
    case COND_EQ: return cmp == 0;
    case COND_NE: return cmp != 0;
    case COND_LT: return cmp < 0;
    case COND_LE: return cmp <= 0;
    case COND_GT: return cmp > 0;
    case COND_GE: return cmp >= 0;
    }
    return false;
}

/* String @p a, blanks trimmed, against @p b (already trimmed): 0 when
 * equal. */
static int compare_trimmed(const char *a, const char *b)
{
    size_t len, blen = strlen(b);

    if (a == NULL)
        a = "";
    while (is_blank(*a))
        a++;
    len = strlen(a);
    while (len > 0 && is_blank(a[len - 1]))
        len--;
    return len != blen || strncmp(a, b, len) != 0;
}

int cond_resolve(const offbkg_host_t *host, const char *key,
                 const cond_t *c, const offbkg_obs_table_t *obs,
                 const offbkg_column_t **out)
{
    const offbkg_column_t *col = offbkg_obs_table_column(obs, c->name);
    const char *op = op_text[c->op];

    *out = NULL;
    if (col == NULL)
        return host->error(host, OFFBKG_EDATA, "%s: the observation table "
                           "has no column %s (in '%s %s %s')", key, c->name,
                           c->column, op, c->value);
    if (col->type == OFFBKG_COL_STRING && c->absolute)
        return host->error(host, OFFBKG_EDATA, "%s: '%s %s %s': %s is a "
                           "string column; |...| needs a number", key,
                           c->column, op, c->value, col->name);
    if (col->type == OFFBKG_COL_STRING && c->op != COND_EQ
        && c->op != COND_NE)
        return host->error(host, OFFBKG_EDATA, "%s: '%s %s %s': %s is a "
                           "string column, which allows only == and !=",
                           key, c->column, op, c->value, col->name);
    if (col->type != OFFBKG_COL_STRING && !c->is_number)
        return host->error(host, OFFBKG_EDATA, "%s: '%s %s %s': %s is a "
                           "numeric column but '%s' is not a number", key,
                           c->column, op, c->value, col->name, c->value);
    *out = col;
    return OFFBKG_OK;
}

const char *cond_test(const cond_t *c, const offbkg_column_t *col, size_t i)
{
    int cmp;

    if (col->type == OFFBKG_COL_STRING)
        return holds(c->op, compare_trimmed(col->str[i], c->value))
                   ? NULL : c->false_reason;
    if (col->type == OFFBKG_COL_INT && c->is_integer && !c->absolute) {
        /* Exact, whatever the size of the integers. */
        int64_t v = col->i64[i];
        cmp = (v > c->integer) - (v < c->integer);
    } else {
        double v = offbkg_column_get_double(col, i);
        if (isnan(v))
            return c->nan_reason;
        if (c->absolute)
            v = fabs(v);
        cmp = (v > c->number) - (v < c->number);
    }
    return holds(c->op, cmp) ? NULL : c->false_reason;
}

/* Row @p i of string column @p col without its surrounding blanks:
 * *len bytes from the return. */
static const char *trimmed(const offbkg_column_t *col, size_t i, size_t *len)
{
    const char *v = col->str[i] != NULL ? col->str[i] : "";

    while (is_blank(*v))
        v++;
    *len = strlen(v);
    while (*len > 0 && is_blank(v[*len - 1]))
        (*len)--;
    return v;
}

#define VALUES_SHOWN 10

int cond_no_match_reason(const offbkg_host_t *host, const cond_t *c,
                         const offbkg_column_t *col, size_t n, char **out)
{
    size_t first[VALUES_SHOWN], n_shown = 0, cap, len = 0;
    bool more = false;
    char *text;

    *out = NULL;
    if (col->type != OFFBKG_COL_STRING)
        return OFFBKG_OK;
    for (size_t i = 0; i < n; i++)
        if (cond_test(c, col, i) == NULL)
            return OFFBKG_OK;
    /* The first VALUES_SHOWN distinct values, in row order (compared
     * with those alone, so that a long table costs n x VALUES_SHOWN). */
    for (size_t i = 0; i < n && !more; i++) {
        size_t li, lj;
        const char *vi = trimmed(col, i, &li);
        bool seen = false;
        for (size_t j = 0; j < n_shown && !seen; j++) {
            const char *vj = trimmed(col, first[j], &lj);
            seen = li == lj && strncmp(vi, vj, li) == 0;
        }
        if (!seen && n_shown < VALUES_SHOWN)
            first[n_shown++] = i;
        else if (!seen)
            more = true;
    }
    cap = strlen(c->false_reason) + strlen(c->name) + 64;
    for (size_t j = 0; j < n_shown; j++)
        cap += strlen(col->str[first[j]] ? col->str[first[j]] : "") + 4;
    if ((text = malloc(cap)) == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    len = (size_t)snprintf(text, cap, "%s; %s has %s", c->false_reason,
                           c->name, n_shown ? "" : "no value");
    for (size_t j = 0; j < n_shown; j++) {
        size_t lv;
        const char *v = trimmed(col, first[j], &lv);
        len += (size_t)snprintf(text + len, cap - len, "%s'%.*s'",
                                j ? ", " : "", (int)lv, v);
    }
    if (more)
        snprintf(text + len, cap - len, " and more");
    *out = text;
    return OFFBKG_OK;
}
