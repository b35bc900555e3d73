/* SPDX-License-Identifier: BSD-3-Clause
 * select/column: observations that satisfy simple comparisons on
 * obs-index columns, all of them (AND), e.g.
 *     where = TARGET_TAG == offdata, ZEN_PNT < 60, |GLAT_PNT| > 5
 * Numeric columns compare as numbers, and a NaN satisfies nothing;
 * |COLUMN| compares the absolute value of a numeric column.
 * String columns compare as text, blanks trimmed, case-sensitive, with ==
 * and != only; when a string condition holds for no row, its reason
 * lists the values the column has (the first ten), so that a typo shows.
 * n_obs_max limits the rows looked at first, as in select/offplane. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

typedef struct column_config {
    offbkg_string_list_t where;
    int64_t n_obs_max;
} column_config_t;

typedef enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } op_t;

static const char *const op_text[] = { "==", "!=", "<", "<=", ">", ">=" };

/* One parsed condition COLUMN OP VALUE. */
typedef struct cond {
    char *column;           /* as written, e.g. "|GLAT_PNT|" */
    char *name;             /* the column's name, e.g. "GLAT_PNT" */
    bool absolute;          /* |COLUMN|: compare the absolute value */
    op_t op;
    char *value;            /* as written, quotes removed */
    bool is_number;         /* value parses as a finite number */
    double number;
    bool is_integer;        /* value is also a whole int64 */
    int64_t integer;
    char *false_reason;     /* "ZEN_PNT < 60 is false" */
    char *nan_reason;       /* "ZEN_PNT is missing (NaN)" */
} cond_t;

typedef struct column_state {
    const offbkg_host_t *host;
    int64_t n_obs_max;
    size_t n_conds;
    cond_t *conds;
    const offbkg_column_t **cols;   /* per condition, during select */
    char **nomatch;     /* per condition: the reason when no row has the
                           string value, naming those that exist; NULL */
} column_state_t;

static const offbkg_param_t column_params[] = {
    { .name = "where", .type = OFFBKG_PARAM_STRING_LIST,
      .offset = offsetof(column_config_t, where),
      .flags = OFFBKG_PARAM_REQUIRED, .min_items = 1,
      .help = "conditions COLUMN OP VALUE, all must hold; OP is one of "
              "== != < <= > >=" },
    { .name = "n_obs_max", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(column_config_t, n_obs_max), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "look only at the first n rows of the obs-index; 0 = all" },
    { 0 }
};

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

/* Parse @p item into @p c. Returns OFFBKG_OK, OFFBKG_ENOMEM, or
 * OFFBKG_ECONFIG with what is wrong in @p why. */
static int parse_cond(const char *item, cond_t *c, char *why, size_t n)
{
    const char *op = item, *value;
    size_t op_len = 0, len;
    bool found = false;

    while (*op != '\0' && !is_op_char(*op))
        op++;
    if (*op == '\0') {
        snprintf(why, n, "no operator; expected COLUMN OP VALUE with OP one "
                 "of == != < <= > >=");
        return OFFBKG_ECONFIG;
    }
    while (is_op_char(op[op_len]))
        op_len++;
    for (size_t k = 0; k < sizeof op_text / sizeof op_text[0]; k++)
        if (strlen(op_text[k]) == op_len
            && strncmp(op, op_text[k], op_len) == 0) {
            c->op = (op_t)k;
            found = true;
        }
    if (!found) {
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
    return OFFBKG_OK;
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

/* Build the reason strings of a parsed condition. */
static int make_reasons(cond_t *c)
{
    c->false_reason = concat(c->column, " ", op_text[c->op], " ", c->value,
                             " is false", (char *)NULL);
    c->nan_reason = concat(c->name, " is missing (NaN)", (char *)NULL);
    return c->false_reason != NULL && c->nan_reason != NULL ? OFFBKG_OK
                                                            : OFFBKG_ENOMEM;
}

static void column_destroy(void *state)
{
    column_state_t *s = state;
    if (s == NULL)
        return;
    for (size_t k = 0; s->conds != NULL && k < s->n_conds; k++) {
        free(s->conds[k].column);
        free(s->conds[k].name);
        free(s->conds[k].value);
        free(s->conds[k].false_reason);
        free(s->conds[k].nan_reason);
    }
    for (size_t k = 0; s->nomatch != NULL && k < s->n_conds; k++)
        free(s->nomatch[k]);
    free(s->nomatch);
    free(s->conds);
    free(s->cols);
    free(s);
}

static int column_create(const offbkg_host_t *host, const void *config,
                         void **state)
{
    const column_config_t *cfg = config;
    column_state_t *s = calloc(1, sizeof *s);
    char msg[1024] = "";
    size_t len = 0;
    int st = OFFBKG_OK, bad = 0;

    if (s == NULL)
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    s->host = host;
    s->n_obs_max = cfg->n_obs_max;
    s->n_conds = cfg->where.n;
    if (s->n_conds == 0) {
        column_destroy(s);
        return host->error(host, OFFBKG_ECONFIG, "where: no condition "
                           "given");
    }
    s->conds = calloc(s->n_conds, sizeof *s->conds);
    s->cols = calloc(s->n_conds, sizeof *s->cols);
    s->nomatch = calloc(s->n_conds, sizeof *s->nomatch);
    if (s->conds == NULL || s->cols == NULL || s->nomatch == NULL) {
        column_destroy(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    /* Check every item and report all the bad ones in one message. */
    for (size_t k = 0; k < s->n_conds; k++) {
        char why[256];
        int rc = parse_cond(cfg->where.v[k], &s->conds[k], why, sizeof why);
        if (rc == OFFBKG_OK)
            rc = make_reasons(&s->conds[k]);
        if (rc == OFFBKG_ENOMEM) {
            st = OFFBKG_ENOMEM;
            break;
        }
        if (rc != OFFBKG_OK && len < sizeof msg) {
            int w = snprintf(msg + len, sizeof msg - len, "%sitem %zu '%s': "
                             "%s", bad ? "; " : "where: ", k + 1,
                             cfg->where.v[k], why);
            len += w > 0 ? (size_t)w : 0;
            bad++;
        }
    }
    if (st == OFFBKG_ENOMEM || bad > 0) {
        column_destroy(s);
        return st == OFFBKG_ENOMEM
                   ? host->error(host, OFFBKG_ENOMEM, "out of memory")
                   : host->error(host, OFFBKG_ECONFIG, "%s", msg);
    }
    *state = s;
    return OFFBKG_OK;
}

/* Whether a comparison result (-1, 0, 1) satisfies @p op. */
static bool holds(op_t op, int cmp)
{
    switch (op) {
    case OP_EQ: return cmp == 0;
    case OP_NE: return cmp != 0;
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    case OP_GT: return cmp > 0;
    case OP_GE: return cmp >= 0;
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

/* Look up the columns and check that each condition suits its column's
 * type; fills s->cols. */
static int resolve(column_state_t *s, const offbkg_obs_table_t *obs)
{
    for (size_t k = 0; k < s->n_conds; k++) {
        const cond_t *c = &s->conds[k];
        const offbkg_column_t *col = offbkg_obs_table_column(obs, c->name);

        if (col == NULL)
            return s->host->error(s->host, OFFBKG_EDATA, "where: the "
                                  "observation table has no column %s "
                                  "(in '%s %s %s')", c->name, c->column,
                                  op_text[c->op], c->value);
        if (col->type == OFFBKG_COL_STRING && c->absolute)
            return s->host->error(s->host, OFFBKG_EDATA, "where: '%s %s "
                                  "%s': %s is a string column; |...| needs "
                                  "a number", c->column, op_text[c->op],
                                  c->value, col->name);
        if (col->type == OFFBKG_COL_STRING && c->op != OP_EQ
            && c->op != OP_NE)
            return s->host->error(s->host, OFFBKG_EDATA, "where: '%s %s "
                                  "%s': %s is a string column, which "
                                  "allows only == and !=", c->column,
                                  op_text[c->op], c->value, col->name);
        if (col->type != OFFBKG_COL_STRING && !c->is_number)
            return s->host->error(s->host, OFFBKG_EDATA, "where: '%s %s "
                                  "%s': %s is a numeric column but '%s' is "
                                  "not a number", c->column, op_text[c->op],
                                  c->value, col->name, c->value);
        s->cols[k] = col;
    }
    return OFFBKG_OK;
}

/* Condition @p c on row @p i of @p col; NULL if it holds, else the
 * reason. */
static const char *test_row(const cond_t *c, const offbkg_column_t *col,
                            size_t i)
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

/* When string condition @p k holds for none of the first @p n rows, the
 * reason that says which values the column has (a typo in a value then
 * shows at once); NULL when some row passes it. */
static int no_match_reason(column_state_t *s, size_t k, size_t n)
{
    const cond_t *c = &s->conds[k];
    const offbkg_column_t *col = s->cols[k];
    size_t first[VALUES_SHOWN], n_shown = 0, cap, len = 0;
    bool more = false;
    char *out;

    free(s->nomatch[k]);
    s->nomatch[k] = NULL;
    if (col->type != OFFBKG_COL_STRING)
        return OFFBKG_OK;
    for (size_t i = 0; i < n; i++)
        if (test_row(c, col, i) == NULL)
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
    if ((out = malloc(cap)) == NULL)
        return s->host->error(s->host, OFFBKG_ENOMEM, "out of memory");
    len = (size_t)snprintf(out, cap, "%s; %s has %s", c->false_reason,
                           c->name, n_shown ? "" : "no value");
    for (size_t j = 0; j < n_shown; j++) {
        size_t lv;
        const char *v = trimmed(col, first[j], &lv);
        len += (size_t)snprintf(out + len, cap - len, "%s'%.*s'",
                                j ? ", " : "", (int)lv, v);
    }
    if (more)
        snprintf(out + len, cap - len, " and more");
    s->nomatch[k] = out;
    return OFFBKG_OK;
}

static int column_select(void *state, const offbkg_obs_table_t *obs,
                         uint8_t *keep, const char **reason)
{
    column_state_t *s = state;
    int st = resolve(s, obs);
    size_t n = obs->n_rows;

    if (st != OFFBKG_OK)
        return st;
    if (s->n_obs_max > 0 && (uint64_t)s->n_obs_max < n)
        n = (size_t)s->n_obs_max;
    for (size_t k = 0; k < s->n_conds && st == OFFBKG_OK; k++)
        st = no_match_reason(s, k, n);
    if (st != OFFBKG_OK)
        return st;
    for (size_t i = 0; i < obs->n_rows; i++) {
        const char *why = NULL;
        if (s->n_obs_max > 0 && (int64_t)i >= s->n_obs_max)
            why = "beyond n_obs_max";
        for (size_t k = 0; why == NULL && k < s->n_conds; k++)
            if ((why = test_row(&s->conds[k], s->cols[k], i)) != NULL
                && s->nomatch[k] != NULL)
                why = s->nomatch[k];
        keep[i] = why == NULL;
        reason[i] = why;
    }
    return OFFBKG_OK;
}

static const offbkg_select_ops_t column_ops = {
    .struct_size = sizeof(offbkg_select_ops_t),
    .select = column_select,
};

static const offbkg_plugin_t column_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "column",
    .version = "1.0.0",
    .summary = "observations satisfying comparisons on obs-index columns",
    .params = column_params,
    .config_size = sizeof(column_config_t),
    .create = column_create,
    .destroy = column_destroy,
    .ops.select = &column_ops,
};

OFFBKG_PLUGIN_DEFINE(select_column, column_plugin)
