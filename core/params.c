/* SPDX-License-Identifier: BSD-3-Clause
 * Parameter tables: the host parses and checks every INI value against the
 * table a plugin (or the host itself) declares, and fills the config
 * struct the table describes. Plugins never parse strings. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params-private.h"
#include "path-private.h"

/* Message buffers: a reason, and the smaller parts a reason quotes. */
#define MSG_MAX 512
#define PART_MAX 192

/* Byte size of the config field a parameter type fills. */
static size_t field_size(offbkg_param_type_t type)
{
    switch (type) {
    case OFFBKG_PARAM_BOOL: return sizeof(bool);
    case OFFBKG_PARAM_INT: return sizeof(int64_t);
    case OFFBKG_PARAM_DOUBLE: return sizeof(double);
    case OFFBKG_PARAM_STRING:
    case OFFBKG_PARAM_PATH: return sizeof(const char *);
    case OFFBKG_PARAM_ENUM: return sizeof(int);
    case OFFBKG_PARAM_DOUBLE_LIST: return sizeof(offbkg_double_list_t);
    case OFFBKG_PARAM_STRING_LIST: return sizeof(offbkg_string_list_t);
    default: return 0;
    }
}

const char *offbkg_params_type_name(offbkg_param_type_t type)
{
    switch (type) {
    case OFFBKG_PARAM_BOOL: return "bool";
    case OFFBKG_PARAM_INT: return "int";
    case OFFBKG_PARAM_DOUBLE: return "double";
    case OFFBKG_PARAM_STRING: return "string";
    case OFFBKG_PARAM_PATH: return "path";
    case OFFBKG_PARAM_ENUM: return "enum";
    case OFFBKG_PARAM_DOUBLE_LIST: return "list of doubles";
    case OFFBKG_PARAM_STRING_LIST: return "list of strings";
    default: return "unknown";
    }
}

static bool is_list(offbkg_param_type_t type)
{
    return type == OFFBKG_PARAM_DOUBLE_LIST
           || type == OFFBKG_PARAM_STRING_LIST;
}

/* Shortest "%g" text that reads back as exactly @p v. */
static void format_double(double v, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void offbkg_params_range_text(const offbkg_param_t *p, char *buf, size_t n)
{
    char lo[32], hi[32];
    bool has_min = p->flags & OFFBKG_PARAM_HAS_MIN;
    bool has_max = p->flags & OFFBKG_PARAM_HAS_MAX;
    const char *ge = p->flags & OFFBKG_PARAM_MIN_OPEN ? ">" : ">=";
    const char *le = p->flags & OFFBKG_PARAM_MAX_OPEN ? "<" : "<=";

    buf[0] = '\0';
    if (p->type == OFFBKG_PARAM_ENUM && p->choices != NULL) {
        size_t used = (size_t)snprintf(buf, n, "one of");
        for (size_t i = 0; p->choices[i] != NULL && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, "%s %s",
                                     i ? "," : "", p->choices[i]);
        return;
    }
    format_double(p->min, lo, sizeof lo);
    format_double(p->max, hi, sizeof hi);
    if (has_min && has_max)
        snprintf(buf, n, "%s %s and %s %s", ge, lo, le, hi);
    else if (has_min)
        snprintf(buf, n, "%s %s", ge, lo);
    else if (has_max)
        snprintf(buf, n, "%s %s", le, hi);
}

/* Check a number against the parameter's range; message into why. */
static bool in_range(const offbkg_param_t *p, double v, char *why, size_t n)
{
    bool ok = true;

    if (p->flags & OFFBKG_PARAM_HAS_MIN)
        ok = p->flags & OFFBKG_PARAM_MIN_OPEN ? v > p->min : v >= p->min;
    if (ok && (p->flags & OFFBKG_PARAM_HAS_MAX))
        ok = p->flags & OFFBKG_PARAM_MAX_OPEN ? v < p->max : v <= p->max;
    if (!ok) {
        char range[96], text[32];
        offbkg_params_range_text(p, range, sizeof range);
        format_double(v, text, sizeof text);
        snprintf(why, n, "%s is out of range (must be %s)", text, range);
    }
    return ok;
}

static char *trim(char *s)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static bool parse_double(const char *text, double *out, char *why, size_t n)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    if (end == text || *end != '\0') {
        snprintf(why, n, "expected a number, got '%s'", text);
        return false;
    }
    if (!isfinite(*out) || errno == ERANGE) {
        snprintf(why, n, "'%s' is not a finite number", text);
        return false;
    }
    return true;
}

/* Split a comma-separated list into trimmed items (in a copy of text);
 * an empty text is an empty list, an empty item an error. */
static int split_list(const char *text, char **copy, char ***items,
                      size_t *n_items, char *why, size_t n)
{
    size_t cap = 1;
    char *p;

    *items = NULL;
    *n_items = 0;
    *copy = strdup(text);
    if (*copy == NULL)
        return OFFBKG_ENOMEM;
    if (trim(*copy)[0] == '\0')
        return OFFBKG_OK;
    for (const char *c = text; *c != '\0'; c++)
        cap += *c == ',';
    *items = malloc(cap * sizeof **items);
    if (*items == NULL)
        return OFFBKG_ENOMEM;
    p = *copy;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        (*items)[*n_items] = trim(p);
        if ((*items)[*n_items][0] == '\0') {
            snprintf(why, n, "empty item %zu in list '%s'", *n_items + 1,
                     text);
            return OFFBKG_ECONFIG;
        }
        (*n_items)++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return OFFBKG_OK;
}

static int parse_double_list(const offbkg_param_t *p, const char *text,
                             offbkg_double_list_t *out, char *why, size_t n)
{
    char *copy, **items;
    size_t n_items;
    double *v = NULL;
    int rc = split_list(text, &copy, &items, &n_items, why, n);

    if (rc == OFFBKG_OK && n_items > 0
        && (v = malloc(n_items * sizeof *v)) == NULL)
        rc = OFFBKG_ENOMEM;
    for (size_t i = 0; rc == OFFBKG_OK && i < n_items; i++) {
        char item_why[PART_MAX];
        if (!parse_double(items[i], &v[i], item_why, sizeof item_why)
            || !in_range(p, v[i], item_why, sizeof item_why)) {
            snprintf(why, n, "item %zu: %s", i + 1, item_why);
            rc = OFFBKG_ECONFIG;
        } else if (i > 0 && (p->flags & OFFBKG_PARAM_INCREASING)
                   && !(v[i] > v[i - 1])) {
            snprintf(why, n, "items must be strictly increasing "
                     "(item %zu, %s, follows %s)", i + 1, items[i],
                     items[i - 1]);
            rc = OFFBKG_ECONFIG;
        }
    }
    free(items);
    free(copy);
    if (rc != OFFBKG_OK) {
        free(v);
        return rc;
    }
    out->n = n_items;
    out->v = v;
    return OFFBKG_OK;
}

static int parse_string_list(const char *text, offbkg_string_list_t *out,
                             char *why, size_t n)
{
    char *copy, **items;
    size_t n_items;
    char **v = NULL;
    int rc = split_list(text, &copy, &items, &n_items, why, n);

    if (rc == OFFBKG_OK && n_items > 0
        && (v = calloc(n_items, sizeof *v)) == NULL)
        rc = OFFBKG_ENOMEM;
    for (size_t i = 0; rc == OFFBKG_OK && i < n_items; i++)
        if ((v[i] = strdup(items[i])) == NULL)
            rc = OFFBKG_ENOMEM;
    free(items);
    free(copy);
    if (rc != OFFBKG_OK) {
        for (size_t i = 0; v != NULL && i < n_items; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    out->n = n_items;
    out->v = (const char *const *)v;
    return OFFBKG_OK;
}

static void free_field(const offbkg_param_t *p, char *field)
{
    switch (p->type) {
    case OFFBKG_PARAM_STRING:
    case OFFBKG_PARAM_PATH: {
        char **s = (char **)field;
        free(*s);
        *s = NULL;
        break;
    }
    case OFFBKG_PARAM_DOUBLE_LIST: {
        offbkg_double_list_t *l = (offbkg_double_list_t *)field;
        free((double *)l->v);
        l->v = NULL;
        l->n = 0;
        break;
    }
    case OFFBKG_PARAM_STRING_LIST: {
        offbkg_string_list_t *l = (offbkg_string_list_t *)field;
        for (size_t i = 0; i < l->n; i++)
            free((char *)l->v[i]);
        free((char **)l->v);
        l->v = NULL;
        l->n = 0;
        break;
    }
    default:
        break;
    }
}

/* Parse @p text (NULL: the zero value) for @p p into @p field. Returns
 * OFFBKG_OK, OFFBKG_ECONFIG with the reason in why, or OFFBKG_ENOMEM. */
static int parse_value(const offbkg_param_t *p, const char *text,
                       const char *base_dir, char *field, char *why,
                       size_t n)
{
    switch (p->type) {
    case OFFBKG_PARAM_BOOL: {
        bool *b = (bool *)field;
        if (text == NULL || strcmp(text, "false") == 0)
            *b = false;
        else if (strcmp(text, "true") == 0)
            *b = true;
        else {
            snprintf(why, n, "expected true or false, got '%s'", text);
            return OFFBKG_ECONFIG;
        }
        return OFFBKG_OK;
    }
    case OFFBKG_PARAM_INT: {
        int64_t *i = (int64_t *)field;
        char *end;
        long long v;
        if (text == NULL) {
            *i = 0;
            return OFFBKG_OK;
        }
        errno = 0;
        v = strtoll(text, &end, 10);
        if (end == text || *end != '\0' || errno == ERANGE) {
            snprintf(why, n, "expected an integer, got '%s'", text);
            return OFFBKG_ECONFIG;
        }
        if (!in_range(p, (double)v, why, n))
            return OFFBKG_ECONFIG;
        *i = v;
        return OFFBKG_OK;
    }
    case OFFBKG_PARAM_DOUBLE: {
        double *d = (double *)field;
        double v = 0;
        if (text != NULL && (!parse_double(text, &v, why, n)
                             || !in_range(p, v, why, n)))
            return OFFBKG_ECONFIG;
        *d = v;
        return OFFBKG_OK;
    }
    case OFFBKG_PARAM_STRING:
    case OFFBKG_PARAM_PATH: {
        char **s = (char **)field;
        const char *t = text != NULL ? text : "";
        *s = p->type == OFFBKG_PARAM_PATH ? offbkg_path_resolve(base_dir, t)
                                          : strdup(t);
        return *s != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;
    }
    case OFFBKG_PARAM_ENUM: {
        int *e = (int *)field;
        char range[PART_MAX];
        if (text == NULL) {
            *e = 0;
            return OFFBKG_OK;
        }
        for (int i = 0; p->choices != NULL && p->choices[i] != NULL; i++)
            if (strcmp(text, p->choices[i]) == 0) {
                *e = i;
                return OFFBKG_OK;
            }
        offbkg_params_range_text(p, range, sizeof range);
        snprintf(why, n, "'%s' is not %s", text, range);
        return OFFBKG_ECONFIG;
    }
    case OFFBKG_PARAM_DOUBLE_LIST:
    case OFFBKG_PARAM_STRING_LIST: {
        int rc = p->type == OFFBKG_PARAM_DOUBLE_LIST
                     ? parse_double_list(p, text ? text : "",
                                         (offbkg_double_list_t *)field, why,
                                         n)
                     : parse_string_list(text ? text : "",
                                         (offbkg_string_list_t *)field, why,
                                         n);
        size_t count = p->type == OFFBKG_PARAM_DOUBLE_LIST
                           ? ((offbkg_double_list_t *)field)->n
                           : ((offbkg_string_list_t *)field)->n;
        if (rc != OFFBKG_OK)
            return rc;
        if ((p->min_items > 0 && count < p->min_items)
            || (p->max_items > 0 && count > p->max_items)) {
            if (p->max_items == p->min_items)
                snprintf(why, n, "expected %zu items, got %zu", p->min_items,
                         count);
            else if (p->max_items > 0)
                snprintf(why, n, "expected %zu to %zu items, got %zu",
                         p->min_items, p->max_items, count);
            else
                snprintf(why, n, "expected at least %zu items, got %zu",
                         p->min_items, count);
            free_field(p, field);
            return OFFBKG_ECONFIG;
        }
        return OFFBKG_OK;
    }
    default:
        snprintf(why, n, "unknown parameter type %d", (int)p->type);
        return OFFBKG_ECONFIG;
    }
}

static bool valid_key_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c)
              || *c == '_'))
            return false;
    return true;
}

int offbkg_params_check_table(const offbkg_param_t *table,
                              size_t config_size, char *why, size_t n)
{
    for (const offbkg_param_t *p = table; p != NULL && p->name != NULL; p++) {
        /* Scratch space for parsing the default, aligned for any field. */
        union {
            char bytes[64];
            max_align_t align;
        } scratch;
        char *field = scratch.bytes;
        char pwhy[MSG_MAX];
        size_t size = field_size(p->type);
        int rc;

        if (!valid_key_name(p->name)) {
            snprintf(why, n, "parameter name '%s' is not [a-z0-9_]+",
                     p->name);
            return OFFBKG_EPLUGIN;
        }
        if (strcmp(p->name, "plugin") == 0) {
            snprintf(why, n, "parameter name 'plugin' is reserved");
            return OFFBKG_EPLUGIN;
        }
        for (const offbkg_param_t *q = table; q < p; q++)
            if (strcmp(q->name, p->name) == 0) {
                snprintf(why, n, "parameter '%s' declared twice", p->name);
                return OFFBKG_EPLUGIN;
            }
        if (size == 0) {
            snprintf(why, n, "parameter '%s' has unknown type %d", p->name,
                     (int)p->type);
            return OFFBKG_EPLUGIN;
        }
        if (p->offset > config_size || size > config_size - p->offset) {
            snprintf(why, n, "parameter '%s' lies outside the config "
                     "struct (offset %zu + %zu > config_size %zu)", p->name,
                     p->offset, size, config_size);
            return OFFBKG_EPLUGIN;
        }
        if (p->type == OFFBKG_PARAM_ENUM
            && (p->choices == NULL || p->choices[0] == NULL)) {
            snprintf(why, n, "enum parameter '%s' has no choices", p->name);
            return OFFBKG_EPLUGIN;
        }
        if ((p->flags & OFFBKG_PARAM_REQUIRED) && p->default_value != NULL) {
            snprintf(why, n, "parameter '%s' is required but has a default",
                     p->name);
            return OFFBKG_EPLUGIN;
        }
        if (p->default_value == NULL)
            continue;
        memset(&scratch, 0, sizeof scratch);
        rc = parse_value(p, p->default_value, "", field, pwhy, sizeof pwhy);
        if (rc == OFFBKG_ENOMEM)
            return rc;
        free_field(p, field);
        if (rc != OFFBKG_OK) {
            snprintf(why, n, "default of parameter '%s' is invalid: %s",
                     p->name, pwhy);
            return OFFBKG_EPLUGIN;
        }
    }
    return OFFBKG_OK;
}

static bool is_scalar(offbkg_param_type_t type)
{
    return !is_list(type);
}

static bool is_host_key(const char *const *host_keys, const char *key)
{
    for (size_t i = 0; host_keys != NULL && host_keys[i] != NULL; i++)
        if (strcmp(host_keys[i], key) == 0)
            return true;
    return false;
}

/* Report a key that no table knows, with the closest known key. */
static int report_unknown_key(const offbkg_param_t *table,
                              const char *const *host_keys,
                              const offbkg_ini_entry_t *e,
                              const char *section_name, offbkg_diags_t *diags)
{
    const char *names[128];
    size_t n = 0;
    const char *hint;

    for (const offbkg_param_t *p = table; p && p->name && n < 127; p++)
        names[n++] = p->name;
    for (size_t i = 0; host_keys && host_keys[i] && n < 127; i++)
        names[n++] = host_keys[i];
    names[n] = NULL;
    hint = offbkg_diag_closest_match(e->key, names, n);
    if (hint != NULL)
        return offbkg_diag_add(diags, e->file, e->line, section_name, e->key,
                               "unknown key (did you mean '%s'?)", hint);
    return offbkg_diag_add(diags, e->file, e->line, section_name, e->key,
                           "unknown key");
}

int offbkg_params_fill(const offbkg_param_t *table, size_t config_size,
                       offbkg_ini_section_t *sec, const char *section_name,
                       const char *ini_file, int section_line,
                       const char *base_dir, const char *const *host_keys,
                       offbkg_diags_t *diags, void **config)
{
    size_t before = diags->n;
    char *cfg = calloc(1, config_size > 0 ? config_size : 1);
    int rc = OFFBKG_OK;

    *config = NULL;
    if (cfg == NULL)
        return OFFBKG_ENOMEM;

    for (const offbkg_param_t *p = table; p && p->name && rc != OFFBKG_ENOMEM;
         p++) {
        offbkg_ini_entry_t *e = sec != NULL ? offbkg_ini_entry(sec, p->name)
                                            : NULL;
        char why[MSG_MAX];
        int prc;

        if (e == NULL) {
            if (p->flags & OFFBKG_PARAM_REQUIRED)
                rc = offbkg_diag_add(diags, ini_file, section_line,
                                     section_name, p->name,
                                     "required key is missing");
            /* Even when missing, a string field gets "", never NULL. */
            prc = parse_value(p, p->default_value, base_dir,
                              cfg + p->offset, why, sizeof why);
            if (prc == OFFBKG_ENOMEM)
                rc = prc;
            continue;
        }
        e->used = 1;
        if (e->cont_line != 0 && is_scalar(p->type)) {
            rc = offbkg_diag_add(diags, e->file, e->cont_line, section_name,
                                 p->name, "a single %s cannot continue on "
                                 "an indented line",
                                 offbkg_params_type_name(p->type));
            if (rc == OFFBKG_OK
                && parse_value(p, p->default_value, base_dir,
                               cfg + p->offset, why, sizeof why)
                       == OFFBKG_ENOMEM)
                rc = OFFBKG_ENOMEM;
            continue;
        }
        prc = parse_value(p, e->value, e->base_dir, cfg + p->offset, why,
                          sizeof why);
        if (prc == OFFBKG_ENOMEM) {
            rc = prc;
        } else if (prc != OFFBKG_OK) {
            rc = offbkg_diag_add(diags, e->file, e->line, section_name,
                                 p->name, "%s", why);
            /* Go on with the default, so that what depends on this
             * section (e.g. [run] plugin_path) can still be checked. */
            if (rc == OFFBKG_OK
                && parse_value(p, p->default_value, base_dir,
                               cfg + p->offset, why, sizeof why)
                       == OFFBKG_ENOMEM)
                rc = OFFBKG_ENOMEM;
        }
    }
    for (size_t i = 0; sec != NULL && i < sec->n && rc != OFFBKG_ENOMEM;
         i++) {
        offbkg_ini_entry_t *e = &sec->entries[i];
        if (e->used || is_host_key(host_keys, e->key))
            continue;
        rc = report_unknown_key(table, host_keys, e, section_name, diags);
    }
    if (rc == OFFBKG_ENOMEM) {
        offbkg_params_free(table, cfg);
        return rc;
    }
    *config = cfg;
    return diags->n > before ? OFFBKG_ECONFIG : OFFBKG_OK;
}

int offbkg_params_set(const offbkg_param_t *p, const char *text,
                      const char *base_dir, void *config, char *why,
                      size_t n)
{
    /* Parsed aside first, so that a bad value leaves the old one. */
    union {
        char bytes[64];
        max_align_t align;
    } scratch;
    char *field = (char *)config + p->offset;
    size_t size = field_size(p->type);
    int rc;

    if (size == 0 || size > sizeof scratch.bytes) {
        snprintf(why, n, "unknown parameter type %d", (int)p->type);
        return OFFBKG_ECONFIG;
    }
    memset(&scratch, 0, sizeof scratch);
    rc = parse_value(p, text, base_dir, scratch.bytes, why, n);
    if (rc != OFFBKG_OK)
        return rc;
    free_field(p, field);
    memcpy(field, scratch.bytes, size);
    return OFFBKG_OK;
}

void offbkg_params_free(const offbkg_param_t *table, void *config)
{
    if (config == NULL)
        return;
    for (const offbkg_param_t *p = table; p != NULL && p->name != NULL; p++)
        free_field(p, (char *)config + p->offset);
    free(config);
}

/* Append @p s to the growing string *out (length *len). */
static bool append(char **out, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *grown = realloc(*out, *len + n + 1);
    if (grown == NULL)
        return false;
    memcpy(grown + *len, s, n + 1);
    *out = grown;
    *len += n;
    return true;
}

char *offbkg_params_format(const offbkg_param_t *p, const void *config)
{
    const char *field = (const char *)config + p->offset;
    char buf[64];
    char *out = NULL;
    size_t len = 0;

    switch (p->type) {
    case OFFBKG_PARAM_BOOL:
        return strdup(*(const bool *)field ? "true" : "false");
    case OFFBKG_PARAM_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)*(const int64_t *)field);
        return strdup(buf);
    case OFFBKG_PARAM_DOUBLE:
        format_double(*(const double *)field, buf, sizeof buf);
        return strdup(buf);
    case OFFBKG_PARAM_STRING:
    case OFFBKG_PARAM_PATH:
        return strdup(*(const char *const *)field);
    case OFFBKG_PARAM_ENUM:
        return strdup(p->choices[*(const int *)field]);
    case OFFBKG_PARAM_DOUBLE_LIST: {
        const offbkg_double_list_t *l = (const offbkg_double_list_t *)field;
        if (!append(&out, &len, ""))
            return NULL;
        for (size_t i = 0; i < l->n; i++) {
            format_double(l->v[i], buf, sizeof buf);
            if ((i > 0 && !append(&out, &len, ", "))
                || !append(&out, &len, buf)) {
                free(out);
                return NULL;
            }
        }
        return out;
    }
    case OFFBKG_PARAM_STRING_LIST: {
        const offbkg_string_list_t *l = (const offbkg_string_list_t *)field;
        if (!append(&out, &len, ""))
            return NULL;
        for (size_t i = 0; i < l->n; i++)
            if ((i > 0 && !append(&out, &len, ", "))
                || !append(&out, &len, l->v[i])) {
                free(out);
                return NULL;
            }
        return out;
    }
    default:
        return strdup("?");
    }
}
