/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of index.html (core/plot_index.c): every figure is on the
 * page with its caption, in its section, and every FITS file is linked;
 * text from outside is escaped, links are percent-encoded; the page
 * needs nothing from the network; a write that fails names the file and
 * leaves nothing. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <offbkg/status.h>

#include "ctx-private.h"
#include "plot_index-private.h"

typedef struct fixture {
    offbkg_ctx_t *ctx;
    char dir[64];
    char path[128];
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    fx->ctx = offbkg_ctx_new();
    assert_non_null(fx->ctx);
    strcpy(fx->dir, "/tmp/offbkg-plot-index-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/index.html", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    char cmd[256];

    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", fx->dir,
             fx->dir);
    assert_int_equal(system(cmd), 0);
    offbkg_ctx_free(fx->ctx);
    free(fx);
    return 0;
}

/* The file @p path, whole, as a new string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    text = calloc((size_t)n + 1, 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = strstr(text, what); p != NULL;
         p = strstr(p + 1, what))
        n++;
    return n;
}

static void test_escape(void **state)
{
    char *s;

    (void)state;
    s = offbkg_plot_index_escape("a<b>&\"c\"'d'\tx\xff\xc3\xa9 \xed\xa0\x80");
    assert_non_null(s);
    assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39; x"
                           "&#xFFFD;\xc3\xa9 &#xFFFD;&#xFFFD;&#xFFFD;");
    free(s);
    s = offbkg_plot_index_url("figures/a b#?&\"<.png");
    assert_non_null(s);
    assert_string_equal(s, "figures/a%20b%23%3F%26%22%3C.png");
    free(s);
}

static void test_page(void **state)
{
    fixture_t *fx = *state;
    offbkg_plot_index_t ix = { 0 };
    char *text;

    assert_int_equal(offbkg_plot_index_add(
                         fx->ctx, &ix, OFFBKG_PLOT_INDEX_VALIDATION,
                         "figures/validation_ratio_01_grp_2d.png",
                         "validation.fits", "grp/2d: %d runs", 12),
                     OFFBKG_OK);
    assert_int_equal(offbkg_plot_index_add(
                         fx->ctx, &ix, OFFBKG_PLOT_INDEX_MODELS,
                         "figures/m_rate.png",
                         "background_2D_group_000_table.fits.gz",
                         "group 0 <script>alert(1)</script>"), OFFBKG_OK);
    assert_int_equal(offbkg_plot_index_add(
                         fx->ctx, &ix, OFFBKG_PLOT_INDEX_MODELS,
                         "figures/m_offset.pdf",
                         "background_2D_group_000_table.fits.gz",
                         "rate & offset"), OFFBKG_OK);
    assert_int_equal(offbkg_plot_index_add_fits(
                         fx->ctx, &ix,
                         "background_2D_group_000_table.fits.gz"),
                     OFFBKG_OK);
    assert_int_equal(offbkg_plot_index_add_fits(fx->ctx, &ix,
                                                "validation.fits"),
                     OFFBKG_OK);
    assert_int_equal(offbkg_plot_index_write(fx->ctx, &ix, fx->path,
                                             "out \"x\"", "a note", false),
                     OFFBKG_OK);
    text = slurp(fx->path);
    /* Each figure once: an <img> for PNG, a link for PDF. */
    assert_int_equal(count(text, "<img src=\"figures/m_rate.png\""), 1);
    assert_int_equal(count(text, "<img src=\"figures/validation_ratio_01_"
                                 "grp_2d.png\""), 1);
    assert_int_equal(count(text, "<img "), 2);
    assert_int_equal(count(text, "href=\"figures/m_offset.pdf\""), 1);
    assert_int_equal(count(text, "<figure>"), 3);
    assert_int_equal(count(text, "<figcaption>"), 3);
    assert_non_null(strstr(text, "<figcaption>grp/2d: 12 runs</figcaption>"));
    assert_non_null(strstr(text, "<figcaption>rate &amp; offset"
                                 "</figcaption>"));
    /* Models before validation, whatever the order they were added. */
    assert_true(strstr(text, "id=\"models\"") < strstr(text,
                                                       "id=\"validation\""));
    assert_null(strstr(text, "id=\"comparisons\""));
    /* The FITS files, linked: in the list and as the figures' heading. */
    assert_int_equal(count(text, "href=\"validation.fits\""), 2);
    assert_int_equal(count(text, "href=\"background_2D_group_000_table."
                                 "fits.gz\""), 2);
    /* Nothing from outside is markup; nothing from the network. */
    assert_null(strstr(text, "<script"));
    assert_non_null(strstr(text, "&lt;script&gt;"));
    assert_non_null(strstr(text, "out &quot;x&quot;"));
    assert_null(strstr(text, "http:"));
    assert_null(strstr(text, "https:"));
    assert_null(strstr(text, "//"));
    free(text);

    /* Without overwrite an existing page is refused; with it, replaced. */
    assert_int_equal(offbkg_plot_index_write(fx->ctx, &ix, fx->path, "t",
                                             NULL, false), OFFBKG_EEXIST);
    assert_int_equal(offbkg_plot_index_write(fx->ctx, &ix, fx->path, "t2",
                                             NULL, true), OFFBKG_OK);
    text = slurp(fx->path);
    assert_non_null(strstr(text, "<h1>offbkg figures: t2</h1>"));
    free(text);
    offbkg_plot_index_clear(&ix);
}

/* A directory that cannot be written in (here a file in the way, which
 * stops root too): a message naming the page, no file left. */
static void test_unwritable(void **state)
{
    fixture_t *fx = *state;
    offbkg_plot_index_t ix = { 0 };
    char path[160];
    FILE *f;

    snprintf(path, sizeof path, "%s/file", fx->dir);
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    snprintf(path, sizeof path, "%s/file/index.html", fx->dir);
    assert_int_equal(offbkg_plot_index_write(fx->ctx, &ix, path, "t", NULL,
                                             true), OFFBKG_EIO);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), path));
    assert_int_not_equal(access(path, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test_setup_teardown(test_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
