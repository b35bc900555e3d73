/* SPDX-License-Identifier: BSD-3-Clause
 * RFC 4180 CSV records, read a character at a time (the files are
 * catalogs and region lists, never large). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv-private.h"

int offbkg_csv_open(offbkg_ctx_t *ctx, const char *path, offbkg_csv_t *csv)
{
    memset(csv, 0, sizeof *csv);
    csv->path = path;
    csv->next_line = 1;
    csv->f = fopen(path, "r");
    if (csv->f == NULL)
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: cannot read: %s",
                                path, strerror(errno));
    /* A UTF-8 byte-order mark, as spreadsheets write it, is not data. */
    int c0 = getc(csv->f), c1 = c0 == 0xEF ? getc(csv->f) : EOF,
        c2 = c1 == 0xBB ? getc(csv->f) : EOF;
    if (!(c0 == 0xEF && c1 == 0xBB && c2 == 0xBF))
        rewind(csv->f);
    return OFFBKG_OK;
}

void offbkg_csv_close(offbkg_csv_t *csv)
{
    if (csv->f != NULL)
        fclose(csv->f);
    free(csv->text);
    free(csv->starts);
    free(csv->fields);
    memset(csv, 0, sizeof *csv);
}

static bool put(offbkg_csv_t *c, char ch)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        char *t = realloc(c->text, cap);
        if (t == NULL)
            return false;
        c->text = t;
        c->cap = cap;
    }
    c->text[c->len++] = ch;
    return true;
}

/* Start field number c->n at the current end of the text. */
static bool start_field(offbkg_csv_t *c)
{
    if (c->n == c->cap_fields) {
        size_t cap = c->cap_fields ? 2 * c->cap_fields : 16;
        size_t *s = realloc(c->starts, cap * sizeof *s);
        if (s == NULL)
            return false;
        c->starts = s;
        char **f = realloc(c->fields, cap * sizeof *f);
        if (f == NULL)
            return false;
        c->fields = f;
        c->cap_fields = cap;
    }
    c->starts[c->n++] = c->len;
    return true;
}

/* End the current field: an unquoted one loses its trailing blanks. */
static bool end_field(offbkg_csv_t *c, bool quoted)
{
    size_t start = c->starts[c->n - 1];
    while (!quoted && c->len > start
           && (c->text[c->len - 1] == ' ' || c->text[c->len - 1] == '\t'))
        c->len--;
    return put(c, '\0');
}

enum state { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_QUOTE,
             COMMENT };

/* Read one record (or a comment or blank line) into c->text; *any is
 * false when the file had no character left. */
static int read_record(offbkg_ctx_t *ctx, offbkg_csv_t *c, bool *any)
{
    enum state s = FIELD_START;
    bool quoted = false;

    *any = false;
    c->n = 0;
    c->len = 0;
    c->line = c->next_line;
    if (!start_field(c))
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (;;) {
        int ch = getc(c->f);
        if (ch == EOF) {
            if (ferror(c->f))
                return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot read: "
                                        "%s", c->path, strerror(errno));
            if (s == QUOTED)
                return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s:%ld: field "
                                        "%zu: its quote is not closed before "
                                        "the end of the file", c->path,
                                        c->line, c->n);
            if (*any && !end_field(c, quoted))
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            return OFFBKG_OK;
        }
        *any = true;
        if (ch == '\0')
            return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s:%ld: a NUL byte",
                                    c->path, c->next_line);
        if (s == QUOTED) {
            if (ch == '"') {
                s = QUOTE_IN_QUOTED;
                continue;
            }
            if (ch == '\n')
                c->next_line++;
            if (!put(c, (char)ch))
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            continue;
        }
        if (s == QUOTE_IN_QUOTED) {
            if (ch == '"') {
                if (!put(c, '"'))
                    return offbkg_error_set(ctx, OFFBKG_ENOMEM,
                                            "out of memory");
                s = QUOTED;
                continue;
            }
            s = AFTER_QUOTE;
        }
        if (ch == '\r') {
            int next = getc(c->f);
            if (next != '\n' && next != EOF)
                ungetc(next, c->f);
            ch = '\n';
        }
        if (ch == '\n') {
            c->next_line++;
            if (!end_field(c, quoted))
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            return OFFBKG_OK;
        }
        if (s == COMMENT)
            continue;
        if (ch == ',') {
            if (!end_field(c, quoted) || !start_field(c))
                return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
            s = FIELD_START;
            quoted = false;
            continue;
        }
        bool blank = ch == ' ' || ch == '\t';
        if (s == FIELD_START) {
            if (blank)
                continue;
            if (ch == '#' && c->n == 1) {
                s = COMMENT;
                continue;
            }
            if (ch == '"') {
                s = QUOTED;
                quoted = true;
                continue;
            }
            s = UNQUOTED;
        }
        if (s == AFTER_QUOTE) {
            if (blank)
                continue;
            return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s:%ld: field %zu: "
                                    "text after its closing quote (a quote "
                                    "inside a quoted field is written \"\")",
                                    c->path, c->line, c->n);
        }
        if (ch == '"')
            return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s:%ld: field %zu: "
                                    "a quote inside an unquoted field (quote "
                                    "the field and write the quote as \"\")",
                                    c->path, c->line, c->n);
        if (!put(c, (char)ch))
            return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
}

int offbkg_csv_next(offbkg_ctx_t *ctx, offbkg_csv_t *c, bool *got)
{
    *got = false;
    for (;;) {
        bool any;
        int st = read_record(ctx, c, &any);
        if (st != OFFBKG_OK || !any)
            return st;
        /* A comment line or a blank one: a single empty field. */
        if (c->n == 1 && c->text[0] == '\0')
            continue;
        for (size_t i = 0; i < c->n; i++)
            c->fields[i] = c->text + c->starts[i];
        *got = true;
        return OFFBKG_OK;
    }
}
