/* SPDX-License-Identifier: BSD-3-Clause
 * Reading INI files, keeping the file and line of every key.
 *
 * offbkg used to feed inih through a line-counting reader. It now parses
 * the lines itself: Debian's libinih has a 200-byte line buffer, so long
 * paths could only be given with --set, and lifting that meant splitting
 * every line here anyway (to hand inih a short stand-in and keep the real
 * text), leaving inih nothing to do. The rules are inih's, as documented
 * in offbkg.ini(5): [section], key = value or key: value, ';' or '#'
 * comment lines, an inline comment after " ;", indented continuation
 * lines. Lines may be of any length; a UTF-8 byte-order mark at the start
 * is skipped; a NUL byte is refused (C strings would silently cut the
 * value there). Sections and keys are found through hash indexes, so a
 * file of many sections reads in linear time. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini-private.h"

typedef struct reader_state {
    offbkg_ini_t *ini;
    offbkg_diags_t *diags;
    int line;
    offbkg_ini_section_t *sec;  /* current section; NULL before the first
                                   or after a malformed header */
    int bad_header;      /* the last header was malformed: its keys must
                            not go to the section before it */
    char *last_key;      /* key of the last key line since the header,
                            which an indented line continues; NULL if none */
    int nomem;
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

/* ------------------------------------------------------------------ */
/* Hash indexes of names: open addressing, slots hold position + 1.    */

/* Sections with fewer keys are scanned: an index would cost more. */
#define ENTRY_INDEX_MIN 16

static size_t hash_name(const char *s)
{
    uint64_t h = 14695981039346656037u;     /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* The name of item @p i of an array of structs whose name pointer is at
 * byte @p off of each @p stride-byte item. */
static const char *name_at(const void *base, size_t stride, size_t off,
                           size_t i)
{
    return *(char *const *)((const char *)base + i * stride + off);
}

static size_t index_find(const offbkg_ini_index_t *x, const void *base,
                         size_t stride, size_t off, const char *name)
{
    size_t mask = x->cap - 1;

    for (size_t k = hash_name(name) & mask; x->slots[k] != 0;
         k = (k + 1) & mask)
        if (strcmp(name_at(base, stride, off, x->slots[k] - 1), name) == 0)
            return x->slots[k] - 1;
    return (size_t)-1;
}

static void index_put(offbkg_ini_index_t *x, const void *base, size_t stride,
                      size_t off, size_t i)
{
    size_t mask = x->cap - 1;
    size_t k = hash_name(name_at(base, stride, off, i)) & mask;

    while (x->slots[k] != 0)
        k = (k + 1) & mask;
    x->slots[k] = i + 1;
}

/* Index item @p n - 1 of the @p n items, growing (and rebuilding) the
 * table to keep it at most half full. */
static int index_add(offbkg_ini_index_t *x, const void *base, size_t stride,
                     size_t off, size_t n)
{
    if (2 * n > x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 32;
        size_t *slots;
        while (2 * n > cap)
            cap *= 2;
        slots = calloc(cap, sizeof *slots);
        if (slots == NULL)
            return OFFBKG_ENOMEM;
        free(x->slots);
        x->slots = slots;
        x->cap = cap;
        for (size_t i = 0; i + 1 < n; i++)
            index_put(x, base, stride, off, i);
    }
    index_put(x, base, stride, off, n - 1);
    return OFFBKG_OK;
}

offbkg_ini_section_t *offbkg_ini_section(offbkg_ini_t *ini, const char *name)
{
    size_t i;

    if (ini->index.cap == 0)
        return NULL;
    i = index_find(&ini->index, ini->sections, sizeof *ini->sections,
                   offsetof(offbkg_ini_section_t, name), name);
    return i != (size_t)-1 ? &ini->sections[i] : NULL;
}

offbkg_ini_entry_t *offbkg_ini_entry(offbkg_ini_section_t *s, const char *key)
{
    size_t i;

    /* Sections built by hand (tests) or small ones have no index. */
    if (s->index.cap == 0) {
        for (i = 0; i < s->n; i++)
            if (strcmp(s->entries[i].key, key) == 0)
                return &s->entries[i];
        return NULL;
    }
    i = index_find(&s->index, s->entries, sizeof *s->entries,
                   offsetof(offbkg_ini_entry_t, key), key);
    return i != (size_t)-1 ? &s->entries[i] : NULL;
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
    if (index_add(&ini->index, ini->sections, sizeof *ini->sections,
                  offsetof(offbkg_ini_section_t, name), ini->n)
        != OFFBKG_OK) {
        ini->n--;
        free(s->name);
        return NULL;
    }
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
        || e->base_dir == NULL)
        goto fail;
    s->n++;
    if (s->n >= ENTRY_INDEX_MIN
        && index_add(&s->index, s->entries, sizeof *s->entries,
                     offsetof(offbkg_ini_entry_t, key), s->n) != OFFBKG_OK) {
        s->n--;
        goto fail;
    }
    return e;
fail:
    free(e->key);
    free(e->value);
    free(e->file);
    free(e->base_dir);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The line parser                                                     */

/* The end of @p s, or its first inline comment: a ';' after a blank. */
static char *comment_start(char *s)
{
    for (char *c = s; *c != '\0'; c++)
        if (*c == ';' && c > s && isspace((unsigned char)c[-1]))
            return c;
    return s + strlen(s);
}

/* Cut @p s at @p end and drop the blanks before it. */
static void cut_rstrip(char *s, char *end)
{
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
}

static void on_header(reader_state_t *st, char *p)
{
    const char *file = st->ini->path;
    char *end = strchr(p, ']');
    char *name;

    free(st->last_key);
    st->last_key = NULL;
    st->sec = NULL;
    st->bad_header = 1;
    if (end == NULL) {
        offbkg_diag_add(st->diags, file, st->line, NULL, NULL,
                        "section header without ']'");
        return;
    }
    *end = '\0';
    if ((name = normalise_name(p + 1)) == NULL) {
        st->nomem = 1;
        return;
    }
    if (name[0] == '\0') {
        offbkg_diag_add(st->diags, file, st->line, NULL, NULL,
                        "empty section name");
    } else {
        offbkg_ini_section_t *old = offbkg_ini_section(st->ini, name);
        st->bad_header = 0;
        if (old != NULL) {
            /* Its keys still go to the first one, to report twins. */
            offbkg_diag_add(st->diags, file, st->line, name, NULL,
                            "section given twice (first at line %d)",
                            old->line);
            st->sec = old;
        } else if ((st->sec = add_section(st->ini, name, st->line))
                   == NULL) {
            st->nomem = 1;
        }
    }
    free(name);
}

/* An indented line after a key: one more list item of that key. */
static void on_continuation(reader_state_t *st, char *text)
{
    offbkg_ini_entry_t *e = offbkg_ini_entry(st->sec, st->last_key);
    size_t len, n;
    char *joined;
    const char *sep;

    cut_rstrip(text, comment_start(text));
    if (e == NULL || text[0] == '\0')
        return;
    len = strlen(e->value);
    n = len + strlen(text) + 3;
    /* "0, 30," + "49" and "0, 30" + "49" both give "0, 30, 49". */
    sep = len == 0 ? "" : e->value[len - 1] == ',' ? " " : ", ";
    if ((joined = malloc(n)) == NULL) {
        st->nomem = 1;
        return;
    }
    snprintf(joined, n, "%s%s%s", e->value, sep, text);
    free(e->value);
    e->value = joined;
    if (e->cont_line == 0)
        e->cont_line = st->line;
}

static void on_pair(reader_state_t *st, char *p)
{
    const char *file = st->ini->path;
    char *cmt = comment_start(p);
    char *eq = strpbrk(p, "=:");
    char *key, *value;
    offbkg_ini_entry_t *e;

    if (eq == NULL || eq > cmt) {
        cut_rstrip(p, cmt);
        offbkg_diag_add(st->diags, file, st->line, NULL, NULL,
                        "expected 'key = value', got '%s'", p);
        return;
    }
    *eq = '\0';
    cut_rstrip(p, eq);
    key = p;
    value = eq + 1;
    while (isspace((unsigned char)*value))
        value++;
    cut_rstrip(value, comment_start(value));
    if (st->bad_header)
        return;     /* already reported; keep them out of other sections */
    if (st->sec == NULL) {
        offbkg_diag_add(st->diags, file, st->line, NULL, key,
                        "key outside any section");
        return;
    }
    free(st->last_key);
    if ((st->last_key = strdup(key)) == NULL) {
        st->nomem = 1;
        return;
    }
    e = offbkg_ini_entry(st->sec, key);
    if (e != NULL)
        offbkg_diag_add(st->diags, file, st->line, st->sec->name, key,
                        "given twice (first at line %d)", e->line);
    else if (add_entry(st->sec, key, value, file, st->ini->dir, st->line)
             == NULL)
        st->nomem = 1;
}

/* One line, without its line end. */
static void parse_line(reader_state_t *st, char *line)
{
    char *p = line;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == ';' || *p == '#')
        return;
    if (p > line && st->last_key != NULL) {
        /* An indented line after a key continues its value. */
        if (!st->bad_header && st->sec != NULL)
            on_continuation(st, p);
        return;
    }
    if (*p == '[')
        on_header(st, p);
    else
        on_pair(st, p);
}

static const char utf8_bom[] = "\xef\xbb\xbf";

/* Read every line of @p fp; problems go to diags. Returns 0 or errno. */
static int parse_stream(reader_state_t *st, FILE *fp)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int err = 0;

    while (!st->nomem && (len = getline(&buf, &cap, fp)) >= 0) {
        char *line = buf;
        st->line++;
        if ((size_t)len != strlen(buf)) {
            offbkg_diag_add(st->diags, st->ini->path, st->line, NULL, NULL,
                            "NUL byte in the line (at byte %zu): not a "
                            "text file?", strlen(buf) + 1);
            /* What follows must not go to the key or section before. */
            free(st->last_key);
            st->last_key = NULL;
            if (buf[strspn(buf, " \t")] == '[') {
                st->sec = NULL;
                st->bad_header = 1;
            }
            continue;
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (st->line == 1 && strncmp(line, utf8_bom, 3) == 0)
            line += 3;
        parse_line(st, line);
    }
    /* A directory opens but does not read: not an empty file. */
    if (!st->nomem && ferror(fp))
        err = errno != 0 ? errno : EIO;
    free(buf);
    free(st->last_key);
    st->last_key = NULL;
    return err;
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
    FILE *fp;
    int err;

    *out = NULL;
    ini = calloc(1, sizeof *ini);
    if (ini == NULL)
        return OFFBKG_ENOMEM;
    ini->path = strdup(path);
    ini->dir = absolute_dir_of(path);
    fp = fopen(path, "r");
    if (fp == NULL || ini->path == NULL || ini->dir == NULL) {
        err = errno;
        if (fp != NULL)
            fclose(fp);
        offbkg_ini_free(ini);
        if (err == ENOMEM)
            return OFFBKG_ENOMEM;
        offbkg_diag_add(diags, path, 0, NULL, NULL, "cannot read: %s",
                        strerror(err));
        return OFFBKG_EIO;
    }
    st.ini = ini;
    st.diags = diags;
    errno = 0;
    err = parse_stream(&st, fp);
    fclose(fp);
    if (st.nomem) {
        offbkg_ini_free(ini);
        return OFFBKG_ENOMEM;
    }
    if (err != 0) {
        offbkg_ini_free(ini);
        offbkg_diag_add(diags, path, 0, NULL, NULL, "cannot read: %s",
                        strerror(err));
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
        return offbkg_diag_add(diags, "--set", 0, NULL, NULL,
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
        rc = offbkg_diag_add(diags, "--set", 0, NULL, NULL,
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
    free(s->index.slots);
    free(s->name);
}

void offbkg_ini_free(offbkg_ini_t *ini)
{
    if (ini == NULL)
        return;
    for (size_t i = 0; i < ini->n; i++)
        offbkg_ini_section_clear(&ini->sections[i]);
    free(ini->sections);
    free(ini->index.slots);
    free(ini->path);
    free(ini->dir);
    free(ini);
}
