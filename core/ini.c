/* SPDX-License-Identifier: BSD-3-Clause
 * Reading INI files with inih, keeping the line of every key.
 *
 * Debian's libinih is built without INI_HANDLER_LINENO, so the handler is
 * not told the line. We feed inih through our own reader, which counts
 * lines; inih calls the handler while it processes the line just read, so
 * the reader's count is the handler's line. The reader also sees the raw
 * text, which lets us report every syntax error (inih returns only the
 * first) and lines longer than inih's 200-byte buffer, which it would
 * otherwise split into garbage. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "ini-private.h"

typedef struct reader_state {
    FILE *fp;
    offbkg_ini_t *ini;
    offbkg_diags_t *diags;
    int line;
    int indented;        /* the current line starts with a blank */
    int after_key;       /* a key came since the last header, so inih
                            takes an indented line as its continuation */
    int bad_header;      /* the last header was malformed: its keys must
                            not go to the section before it */
    int read_errno;      /* errno of a failed read, 0 at end of file */
    int nomem;
    char *buf;           /* getline buffer */
    size_t buf_cap;
} reader_state_t;

/* Trim and collapse inner runs of blanks: " model   3d " -> "model 3d". */
static char *normalise_name(const char *raw)
{
    char *out = malloc(strlen(raw) + 1);
    size_t n = 0;

    if (out == NULL)
        return NULL;
    for (const char *p = raw; *p != '\0'; p++) {
        if (isspace((unsigned char)*p)) {
            if (n > 0 && out[n - 1] != ' ')
                out[n++] = ' ';
        } else {
            out[n++] = *p;
        }
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return out;
}

/* A copy of @p raw without the blanks at either end. */
static char *trimmed_copy(const char *raw)
{
    const char *end;

    while (isspace((unsigned char)*raw))
        raw++;
    end = raw + strlen(raw);
    while (end > raw && isspace((unsigned char)end[-1]))
        end--;
    return strndup(raw, (size_t)(end - raw));
}

offbkg_ini_section_t *offbkg_ini_section(offbkg_ini_t *ini, const char *name)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    return NULL;
}

offbkg_ini_entry_t *offbkg_ini_entry(offbkg_ini_section_t *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

static offbkg_ini_section_t *add_section(offbkg_ini_t *ini, const char *name,
                                         int line)
{
    offbkg_ini_section_t *s;

    if (ini->n == ini->cap) {
        size_t cap = ini->cap ? 2 * ini->cap : 8;
        offbkg_ini_section_t *v = realloc(ini->sections, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        ini->sections = v;
        ini->cap = cap;
    }
    s = &ini->sections[ini->n];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    if (s->name == NULL)
        return NULL;
    s->line = line;
    ini->n++;
    return s;
}

static offbkg_ini_entry_t *add_entry(offbkg_ini_section_t *s, const char *key,
                                     const char *value, const char *file,
                                     const char *base_dir, int line)
{
    offbkg_ini_entry_t *e;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        offbkg_ini_entry_t *v = realloc(s->entries, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        s->entries = v;
        s->cap = cap;
    }
    e = &s->entries[s->n];
    memset(e, 0, sizeof *e);
    e->key = strdup(key);
    e->value = strdup(value);
    e->file = strdup(file);
    e->base_dir = strdup(base_dir);
    e->line = line;
    if (e->key == NULL || e->value == NULL || e->file == NULL
        || e->base_dir == NULL) {
        free(e->key);
        free(e->value);
        free(e->file);
        free(e->base_dir);
        return NULL;
    }
    s->n++;
    return e;
}

/* Check one raw line for what inih would reject or mangle, and note
 * section headers (inih does not report them to the handler). */
static void inspect_line(reader_state_t *st, const char *raw)
{
    const char *p = raw;
    const char *file = st->ini->path;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n' || *p == '\r' || *p == ';' || *p == '#')
        return;
    if (st->indented && st->after_key)
        return;     /* a continuation line: its value is free text */
    if (*p == '[') {
        const char *end = strchr(p, ']');
        char *inner, *name;
        if (end == NULL) {
            offbkg_diags_add(st->diags, file, st->line, NULL, NULL,
                             "section header without ']'");
            st->bad_header = 1;
            return;
        }
        st->after_key = 0;
        st->bad_header = 0;
        inner = strndup(p + 1, (size_t)(end - p - 1));
        name = inner != NULL ? normalise_name(inner) : NULL;
        free(inner);
        if (name == NULL) {
            st->nomem = 1;
            return;
        }
        if (name[0] == '\0') {
            offbkg_diags_add(st->diags, file, st->line, NULL, NULL,
                             "empty section name");
            st->bad_header = 1;
        } else {
            offbkg_ini_section_t *old = offbkg_ini_section(st->ini, name);
            if (old != NULL)
                offbkg_diags_add(st->diags, file, st->line, name, NULL,
                                 "section given twice (first at line %d)",
                                 old->line);
            else if (add_section(st->ini, name, st->line) == NULL)
                st->nomem = 1;
        }
        free(name);
        return;
    }
    if (strpbrk(p, "=:") == NULL)
        offbkg_diags_add(st->diags, file, st->line, NULL, NULL,
                         "expected 'key = value', got '%.*s'",
                         (int)strcspn(p, "\r\n"), p);
    else
        st->after_key = 1;
}

static char *counting_reader(char *str, int num, void *stream)
{
    reader_state_t *st = stream;
    ssize_t len = getline(&st->buf, &st->buf_cap, st->fp);

    if (len < 0) {
        /* A directory opens but does not read: not an empty file. */
        if (ferror(st->fp))
            st->read_errno = errno != 0 ? errno : EIO;
        return NULL;
    }
    st->line++;
    st->indented = st->buf[0] == ' ' || st->buf[0] == '\t';
    /* inih's buffer holds num - 1 bytes; a longer line would come back in
     * pieces that inih reads as separate lines. Report it and skip it. */
    if (len > num - 1) {
        offbkg_diags_add(st->diags, st->ini->path, st->line, NULL, NULL,
                         "line too long (%zd bytes; at most %d)", len,
                         num - 2);
        strcpy(str, "\n");
        return str;
    }
    inspect_line(st, st->buf);
    memcpy(str, st->buf, (size_t)len + 1);
    return str;
}

/* Length of a continuation value without its " ; comment": inih 55
 * strips inline comments from key lines but not from continuations. */
static int uncommented_len(const char *value)
{
    const char *end = value + strlen(value);

    for (const char *c = value; *c != '\0'; c++)
        if (*c == ';' && c > value && isspace((unsigned char)c[-1])) {
            end = c;
            break;
        }
    while (end > value && isspace((unsigned char)end[-1]))
        end--;
    return (int)(end - value);
}

static int on_pair(void *user, const char *section, const char *name,
                   const char *value)
{
    reader_state_t *st = user;
    const char *file = st->ini->path;
    offbkg_ini_section_t *sec;
    offbkg_ini_entry_t *e;
    char *sname;

    if (st->bad_header)
        return 1;   /* already reported; keep them out of other sections */
    sname = normalise_name(section);
    if (sname == NULL) {
        st->nomem = 1;
        return 1;
    }
    sec = offbkg_ini_section(st->ini, sname);
    if (sec == NULL) {
        offbkg_diags_add(st->diags, file, st->line, NULL, name,
                         "key outside any section");
        free(sname);
        return 1;
    }
    e = offbkg_ini_entry(sec, name);
    if (e != NULL && st->indented) {
        /* inih calls again with the same key for an indented line:
         * a continuation, joined as one more list item. */
        size_t len = strlen(e->value);
        size_t n = len + strlen(value) + 3;
        char *joined = malloc(n);
        /* "0, 30," + "49" and "0, 30" + "49" both give "0, 30, 49". */
        const char *sep = len == 0 ? ""
                          : e->value[len - 1] == ',' ? " " : ", ";
        if (joined == NULL) {
            st->nomem = 1;
        } else {
            snprintf(joined, n, "%s%s%.*s", e->value, sep,
                     uncommented_len(value), value);
            free(e->value);
            e->value = joined;
            if (e->cont_line == 0)
                e->cont_line = st->line;
        }
    } else if (e != NULL) {
        offbkg_diags_add(st->diags, file, st->line, sname, name,
                         "given twice (first at line %d)", e->line);
    } else if (add_entry(sec, name, value, file, st->ini->dir, st->line)
               == NULL) {
        st->nomem = 1;
    }
    free(sname);
    return 1;
}

static char *absolute_dir_of(const char *path)
{
    char *copy = strdup(path);
    char *dir, *abs = NULL;

    if (copy == NULL)
        return NULL;
    dir = dirname(copy);
    abs = realpath(dir, NULL);
    free(copy);
    return abs;
}

int offbkg_ini_read(const char *path, offbkg_ini_t **out,
                    offbkg_diags_t *diags)
{
    reader_state_t st = { 0 };
    offbkg_ini_t *ini;

    *out = NULL;
    ini = calloc(1, sizeof *ini);
    if (ini == NULL)
        return OFFBKG_ENOMEM;
    ini->path = strdup(path);
    ini->dir = absolute_dir_of(path);
    st.fp = fopen(path, "r");
    if (st.fp == NULL || ini->path == NULL || ini->dir == NULL) {
        int err = errno;
        if (st.fp != NULL)
            fclose(st.fp);
        offbkg_ini_free(ini);
        if (err == ENOMEM)
            return OFFBKG_ENOMEM;
        offbkg_diags_add(diags, path, 0, NULL, NULL, "cannot read: %s",
                         strerror(err));
        return OFFBKG_EIO;
    }
    st.ini = ini;
    st.diags = diags;
    /* Syntax errors are collected by the reader; inih's return value only
     * repeats the first of them, so it is not needed. */
    ini_parse_stream(counting_reader, &st, on_pair, &st);
    fclose(st.fp);
    free(st.buf);
    if (st.nomem) {
        offbkg_ini_free(ini);
        return OFFBKG_ENOMEM;
    }
    if (st.read_errno != 0) {
        offbkg_ini_free(ini);
        offbkg_diags_add(diags, path, 0, NULL, NULL, "cannot read: %s",
                         strerror(st.read_errno));
        return OFFBKG_EIO;
    }
    *out = ini;
    return OFFBKG_OK;
}

int offbkg_ini_override(offbkg_ini_t *ini, const char *assignment,
                        offbkg_diags_t *diags)
{
    const char *eq = strchr(assignment, '=');
    char *lhs = NULL, *dot, *sname = NULL, *key = NULL, *value = NULL;
    char cwd[PATH_MAX];
    offbkg_ini_section_t *sec;
    offbkg_ini_entry_t *e;
    int rc = OFFBKG_OK;

    if (eq == NULL || (lhs = strndup(assignment, (size_t)(eq - assignment)))
                          == NULL
        || (dot = strrchr(lhs, '.')) == NULL) {
        free(lhs);
        if (eq != NULL && lhs == NULL)
            return OFFBKG_ENOMEM;
        return offbkg_diags_add(diags, "--set", 0, NULL, NULL,
                                "'%s': expected SECTION.KEY=VALUE",
                                assignment) == OFFBKG_OK
                   ? OFFBKG_ECONFIG : OFFBKG_ENOMEM;
    }
    *dot = '\0';
    sname = normalise_name(lhs);
    key = normalise_name(dot + 1);
    /* A value is kept as typed, inner blanks included ("two  spaces" in
     * a path); only the blanks around it go, as in the file. */
    value = trimmed_copy(eq + 1);
    if (sname == NULL || key == NULL || value == NULL
        || getcwd(cwd, sizeof cwd) == NULL) {
        rc = OFFBKG_ENOMEM;
        goto done;
    }
    if (sname[0] == '\0' || key[0] == '\0') {
        rc = offbkg_diags_add(diags, "--set", 0, NULL, NULL,
                              "'%s': expected SECTION.KEY=VALUE", assignment)
                     == OFFBKG_OK ? OFFBKG_ECONFIG : OFFBKG_ENOMEM;
        goto done;
    }
    sec = offbkg_ini_section(ini, sname);
    if (sec == NULL && (sec = add_section(ini, sname, 0)) == NULL) {
        rc = OFFBKG_ENOMEM;
        goto done;
    }
    e = offbkg_ini_entry(sec, key);
    if (e != NULL) {
        char *v = strdup(value), *f = strdup("--set"), *b = strdup(cwd);
        if (v == NULL || f == NULL || b == NULL) {
            free(v);
            free(f);
            free(b);
            rc = OFFBKG_ENOMEM;
            goto done;
        }
        free(e->value);
        free(e->file);
        free(e->base_dir);
        e->value = v;
        e->file = f;
        e->base_dir = b;
        e->line = 0;
        e->cont_line = 0;
    } else if (add_entry(sec, key, value, "--set", cwd, 0) == NULL) {
        rc = OFFBKG_ENOMEM;
    }
done:
    free(lhs);
    free(sname);
    free(key);
    free(value);
    return rc;
}

void offbkg_ini_section_clear(offbkg_ini_section_t *s)
{
    for (size_t j = 0; j < s->n; j++) {
        free(s->entries[j].key);
        free(s->entries[j].value);
        free(s->entries[j].file);
        free(s->entries[j].base_dir);
    }
    free(s->entries);
    free(s->name);
}

void offbkg_ini_free(offbkg_ini_t *ini)
{
    if (ini == NULL)
        return;
    for (size_t i = 0; i < ini->n; i++)
        offbkg_ini_section_clear(&ini->sections[i]);
    free(ini->sections);
    free(ini->path);
    free(ini->dir);
    free(ini);
}
