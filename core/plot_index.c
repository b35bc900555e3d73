/* SPDX-License-Identifier: BSD-3-Clause
 * index.html: a directory's figures with their captions, grouped, and
 * the FITS files they show (see plot_index-private.h). */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output-private.h"
#include "plot_index-private.h"

static const char *const section_title[OFFBKG_PLOT_INDEX_N_SECTIONS] = {
    "Models", "Comparisons", "Validation"
};
static const char *const section_id[OFFBKG_PLOT_INDEX_N_SECTIONS] = {
    "models", "comparisons", "validation"
};

/* The length of the UTF-8 sequence at @p s, or 0 if it is not one
 * (overlong forms, surrogates and code points beyond U+10FFFF
 * included). */
static size_t utf8_length(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    unsigned long cp;

    if (c < 0x80)
        return 1;
    if (n == 0 || c > 0xF4)
        return 0;
    cp = c & (0x3Fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
        || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

char *offbkg_plot_index_escape(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    /* The longest replacement is "&#xFFFD;" (8 bytes) for one byte. */
    size_t cap = 8 * strlen(text) + 1, k = 0;
    char *out = malloc(cap);

    if (out == NULL)
        return NULL;
    while (*s != '\0') {
        size_t n = utf8_length(s);
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if (*s < 0x20 || *s == 0x7F)
                rep = " ";
            else if (n == 0)
                rep = "&#xFFFD;";
        }
        if (rep != NULL) {
            size_t m = strlen(rep);
            memcpy(out + k, rep, m);
            k += m;
            s++;
        } else {
            memcpy(out + k, s, n);
            k += n;
            s += n;
        }
    }
    out[k] = '\0';
    return out;
}

char *offbkg_plot_index_url(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)path;
    char *out = malloc(3 * strlen(path) + 1), *p = out;

    if (out == NULL)
        return NULL;
    for (; *s != '\0'; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
            || (*s >= '0' && *s <= '9') || strchr("._~/-", *s) != NULL) {
            *p++ = (char)*s;
        } else {
            *p++ = '%';
            *p++ = hex[*s >> 4];
            *p++ = hex[*s & 15];
        }
    }
    *p = '\0';
    return out;
}

int offbkg_plot_index_add(offbkg_ctx_t *ctx, offbkg_plot_index_t *ix,
                          offbkg_plot_index_section_t section,
                          const char *file, const char *source,
                          const char *caption_fmt, ...)
{
    offbkg_plot_index_figure_t *bigger = realloc(ix->v, (ix->n + 1)
                                                 * sizeof *bigger);
    offbkg_plot_index_figure_t *f;
    va_list ap;
    int n;

    if (bigger == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    ix->v = bigger;
    f = &ix->v[ix->n];
    memset(f, 0, sizeof *f);
    f->section = section;
    f->file = strdup(file);
    f->source = strdup(source != NULL ? source : "");
    va_start(ap, caption_fmt);
    n = vsnprintf(NULL, 0, caption_fmt, ap);
    va_end(ap);
    if (n >= 0 && (f->caption = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, caption_fmt);
        vsnprintf(f->caption, (size_t)n + 1, caption_fmt, ap);
        va_end(ap);
    }
    if (f->file == NULL || f->source == NULL || f->caption == NULL) {
        free(f->file);
        free(f->source);
        free(f->caption);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    ix->n++;
    return OFFBKG_OK;
}

int offbkg_plot_index_add_fits(offbkg_ctx_t *ctx, offbkg_plot_index_t *ix,
                               const char *file)
{
    char **bigger = realloc(ix->fits, (ix->n_fits + 1) * sizeof *bigger);

    if (bigger == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    ix->fits = bigger;
    if ((ix->fits[ix->n_fits] = strdup(file)) == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    ix->n_fits++;
    return OFFBKG_OK;
}

void offbkg_plot_index_clear(offbkg_plot_index_t *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->v[i].file);
        free(ix->v[i].source);
        free(ix->v[i].caption);
    }
    for (size_t i = 0; i < ix->n_fits; i++)
        free(ix->fits[i]);
    free(ix->v);
    free(ix->fits);
    memset(ix, 0, sizeof *ix);
}

/* The page is written through stdio; the escaped strings are made per
 * use. A failed allocation sets *nomem and writes nothing more. */
typedef struct page {
    FILE *f;
    int nomem;
} page_t;

/* Write @p text escaped (html) or percent-encoded (url). */
static void put_escaped(page_t *pg, const char *text, bool url)
{
    char *s = url ? offbkg_plot_index_url(text)
                  : offbkg_plot_index_escape(text);

    if (s == NULL) {
        pg->nomem = 1;
        return;
    }
    fputs(s, pg->f);
    free(s);
}

/* A link to @p path showing @p path. */
static void put_link(page_t *pg, const char *path)
{
    fputs("<a href=\"", pg->f);
    put_escaped(pg, path, true);
    fputs("\"><code>", pg->f);
    put_escaped(pg, path, false);
    fputs("</code></a>", pg->f);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void put_figure(page_t *pg, const offbkg_plot_index_figure_t *f)
{
    fputs("<figure>\n", pg->f);
    /* A browser shows PNG and SVG in an <img>; a PDF is a link. */
    if (has_suffix(f->file, ".pdf")) {
        fputs("<p class=\"pdf\">", pg->f);
        put_link(pg, f->file);
        fputs(" (PDF)</p>\n", pg->f);
    } else {
        fputs("<a href=\"", pg->f);
        put_escaped(pg, f->file, true);
        fputs("\"><img src=\"", pg->f);
        put_escaped(pg, f->file, true);
        fputs("\" alt=\"", pg->f);
        put_escaped(pg, f->caption, false);
        fputs("\"></a>\n", pg->f);
    }
    fputs("<figcaption>", pg->f);
    put_escaped(pg, f->caption, false);
    fputs("</figcaption>\n</figure>\n", pg->f);
}

static void put_page(page_t *pg, const offbkg_plot_index_t *ix,
                     const char *title, const char *note)
{
    size_t count[OFFBKG_PLOT_INDEX_N_SECTIONS] = { 0 };
    FILE *f = pg->f;

    for (size_t i = 0; i < ix->n; i++)
        count[ix->v[i].section]++;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n<title>offbkg figures: ", f);
    put_escaped(pg, title, false);
    fputs("</title>\n<style>\n"
          "body { font-family: sans-serif; margin: 1.5em; }\n"
          "figure { display: inline-block; vertical-align: top; "
          "margin: 0 1em 1.5em 0; max-width: 700px; }\n"
          "img { max-width: 100%; height: auto; border: 1px solid #ccc; }\n"
          "figcaption { font-size: 90%; margin-top: 0.3em; }\n"
          "h3 { font-weight: normal; }\n"
          "</style>\n</head>\n<body>\n<h1>offbkg figures: ", f);
    put_escaped(pg, title, false);
    fputs("</h1>\n", f);
    if (note != NULL && note[0] != '\0') {
        fputs("<p>", f);
        put_escaped(pg, note, false);
        fputs("</p>\n", f);
    }
    fputs("<p>", f);
    for (int s = 0; s < OFFBKG_PLOT_INDEX_N_SECTIONS; s++)
        if (count[s] > 0)
            fprintf(f, "<a href=\"#%s\">%s</a> (%zu) &middot; ",
                    section_id[s], section_title[s], count[s]);
    fputs("<a href=\"#files\">FITS files</a></p>\n", f);
    for (int s = 0; s < OFFBKG_PLOT_INDEX_N_SECTIONS; s++) {
        const char *source = NULL;
        if (count[s] == 0)
            continue;
        fprintf(f, "<h2 id=\"%s\">%s</h2>\n", section_id[s],
                section_title[s]);
        for (size_t i = 0; i < ix->n; i++) {
            const offbkg_plot_index_figure_t *fig = &ix->v[i];
            if ((int)fig->section != s)
                continue;
            /* A heading linking the FITS file when it changes. */
            if (fig->source[0] != '\0'
                && (source == NULL || strcmp(source, fig->source) != 0)) {
                fputs("<h3>", f);
                put_link(pg, fig->source);
                fputs("</h3>\n", f);
            }
            source = fig->source;
            put_figure(pg, fig);
        }
    }
    fputs("<h2 id=\"files\">FITS files</h2>\n<ul>\n", f);
    for (size_t i = 0; i < ix->n_fits; i++) {
        fputs("<li>", f);
        put_link(pg, ix->fits[i]);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n<p><small>Made by offbkg " PACKAGE_VERSION
          ".</small></p>\n</body>\n</html>\n", f);
}

int offbkg_plot_index_write(offbkg_ctx_t *ctx, const offbkg_plot_index_t *ix,
                            const char *path, const char *title,
                            const char *note, bool overwrite)
{
    offbkg_output_t out;
    int st = offbkg_output_text(ctx, path, overwrite, &out);
    page_t pg;

    if (st != OFFBKG_OK)
        return st;
    pg = (page_t){ out.text, 0 };
    put_page(&pg, ix, title, note);
    if (pg.nomem) {
        offbkg_output_abort(&out);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    return offbkg_output_commit(ctx, &out);
}
