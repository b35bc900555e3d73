/* SPDX-License-Identifier: BSD-3-Clause
 * The drawing layer (core/plot.c): line plots, histograms and colour maps
 * in PNG, PDF and SVG (each file's signature and size, nothing else left
 * in the directory), an existing figure replaced, nothing to draw or a
 * directory that does not exist refused with no file, PLplot's fatal
 * error (no drivers) turned into an error without an exit or a word on
 * stderr; the text escaping and format names. Built without PLplot,
 * every drawing function says so. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot-private.h"

typedef struct fixture {
    offbkg_ctx_t *ctx;
    char dir[256];
    char path[PATH_MAX];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/offbkg-plot-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    f->ctx = offbkg_ctx_new();
    assert_non_null(f->ctx);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char p[PATH_MAX + 300];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(f->dir);
    offbkg_ctx_free(f->ctx);
    free(f);
    return 0;
}

static const char *in_dir(fixture_t *f, const char *name)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    return f->path;
}

/* How many entries (hidden ones too) the directory holds. */
static int n_entries(const fixture_t *f)
{
    DIR *d = opendir(f->dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* The file's first bytes and its size. */
static long head_of(const char *path, char *buf, size_t n)
{
    FILE *fp = fopen(path, "rb");
    long size;

    assert_non_null(fp);
    memset(buf, 0, n);
    assert_true(fread(buf, 1, n - 1, fp) > 0);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fclose(fp);
    return size;
}

/* A power law against energy at two offsets, one with errors. */
typedef struct lines_data {
    double x[12], y1[12], y2[12], e[12];
    offbkg_plot_series_t s[2];
    offbkg_plot_axes_t a;
} lines_data_t;

static void make_lines(lines_data_t *d)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < 12; i++) {
        d->x[i] = pow(10, -1 + 0.25 * i);
        d->y1[i] = 1e-3 * pow(d->x[i], -2.7);
        d->y2[i] = 0.5 * d->y1[i];
        d->e[i] = 0.1 * d->y2[i];
    }
    d->y1[3] = NAN;             /* a gap in the line */
    d->s[0] = (offbkg_plot_series_t){ .label = "offset 0.25 deg", .n = 12,
                                      .x = d->x, .y = d->y1 };
    d->s[1] = (offbkg_plot_series_t){
        .label = "offset 1.25 deg", .n = 12, .x = d->x, .y = d->y2,
        .y_err = d->e, .style = OFFBKG_PLOT_STYLE_LINE_POINTS };
    d->a = (offbkg_plot_axes_t){
        .title = "rate against energy", .x_label = "energy (TeV)",
        .y_label = "rate (s#u-1#d MeV#u-1#d sr#u-1#d)", .log_x = true,
        .log_y = true, .x_min = NAN, .x_max = NAN, .y_min = NAN,
        .y_max = NAN };
}

#ifdef HAVE_PLPLOT

static void test_lines_formats(void **state)
{
    static const struct {
        offbkg_plot_format_t fmt;
        const char *name, *magic;
        long min_size;
    } cases[] = {
        { OFFBKG_PLOT_PNG, "lines.png", "\x89PNG\r\n\x1a\n", 10000 },
        { OFFBKG_PLOT_PDF, "lines.pdf", "%PDF-", 3000 },
        { OFFBKG_PLOT_SVG, "lines.svg", "<?xml", 10000 },
    };
    fixture_t *f = *state;
    lines_data_t d;
    char head[256];

    make_lines(&d);
    for (size_t i = 0; i < 3; i++) {
        long size;
        assert_int_equal(offbkg_plot_lines(f->ctx, in_dir(f, cases[i].name),
                                           cases[i].fmt, &d.a, d.s, 2,
                                           "FOVALIGN=RADEC"), OFFBKG_OK);
        size = head_of(f->path, head, sizeof head);
        assert_memory_equal(head, cases[i].magic, strlen(cases[i].magic));
        assert_true(size > cases[i].min_size);
        if (cases[i].fmt == OFFBKG_PLOT_SVG)
            assert_non_null(strstr(head, "<svg"));
        /* The figure and nothing else: no temporary left. */
        assert_int_equal(n_entries(f), (int)i + 1);
    }
}

static void test_replaces_existing(void **state)
{
    fixture_t *f = *state;
    lines_data_t d;
    char head[16];
    FILE *fp;

    make_lines(&d);
    fp = fopen(in_dir(f, "old.png"), "w");
    assert_non_null(fp);
    fputs("old", fp);
    fclose(fp);
    assert_int_equal(offbkg_plot_lines(f->ctx, f->path, OFFBKG_PLOT_PNG,
                                       &d.a, d.s, 2, NULL), OFFBKG_OK);
    assert_true(head_of(f->path, head, sizeof head) > 10000);
    assert_memory_equal(head, "\x89PNG", 4);
    assert_int_equal(n_entries(f), 1);
}

static void test_nothing_to_draw(void **state)
{
    fixture_t *f = *state;
    lines_data_t d;
    double neg[12], big[2] = { -1e308, 1e308 }, bx[2] = { 0, 1 };
    offbkg_plot_series_t huge = { .n = 2, .x = bx, .y = big };

    make_lines(&d);
    for (int i = 0; i < 12; i++)
        neg[i] = -1.0;
    d.s[0].y = neg;
    d.s[1].y = neg;
    /* Nothing > 0 on a log axis. */
    assert_int_equal(offbkg_plot_lines(f->ctx, in_dir(f, "a.png"),
                                       OFFBKG_PLOT_PNG, &d.a, d.s, 2, NULL),
                     OFFBKG_EINVAL);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "a.png: nothing to "
                           "draw"));
    /* A range that overflows. */
    d.a.log_x = d.a.log_y = false;
    assert_int_equal(offbkg_plot_lines(f->ctx, in_dir(f, "b.png"),
                                       OFFBKG_PLOT_PNG, &d.a, &huge, 1, NULL),
                     OFFBKG_EINVAL);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "too large"));
    assert_int_equal(n_entries(f), 0);
}

static void test_missing_dir(void **state)
{
    fixture_t *f = *state;
    lines_data_t d;

    make_lines(&d);
    assert_int_not_equal(offbkg_plot_lines(f->ctx,
                                           in_dir(f, "no/such/dir/a.png"),
                                           OFFBKG_PLOT_PNG, &d.a, d.s, 2,
                                           NULL), OFFBKG_OK);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "no/such/dir/a.png"));
    assert_int_equal(n_entries(f), 0);
}

/* PLplot's fatal error (no drivers in PLPLOT_DRV_DIR) would print and
 * exit(): it is an error on the context, nothing printed, no file. */
static void test_plplot_fatal_error(void **state)
{
    fixture_t *f = *state;
    lines_data_t d;
    char empty[PATH_MAX];
    const char *was = getenv("PLPLOT_DRV_DIR");
    char *saved = was ? strdup(was) : NULL;
    int err_fd, st;
    FILE *err;

    make_lines(&d);
    snprintf(empty, sizeof empty, "%s/drivers", f->dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    setenv("PLPLOT_DRV_DIR", empty, 1);
    /* stderr into a file, to see that PLplot printed nothing. */
    fflush(stderr);
    err_fd = dup(2);
    err = tmpfile();
    assert_non_null(err);
    dup2(fileno(err), 2);
    st = offbkg_plot_lines(f->ctx, in_dir(f, "a.png"), OFFBKG_PLOT_PNG,
                           &d.a, d.s, 2, NULL);
    fflush(stderr);
    dup2(err_fd, 2);
    close(err_fd);
    assert_int_equal(ftell(err), 0);
    fclose(err);
    if (saved != NULL)
        setenv("PLPLOT_DRV_DIR", saved, 1);
    else
        unsetenv("PLPLOT_DRV_DIR");
    free(saved);
    rmdir(empty);
    assert_int_equal(st, OFFBKG_EPLUGIN);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "a.png: PLplot: "));
    assert_int_equal(n_entries(f), 0);
    /* And the next figure is drawn. */
    assert_int_equal(offbkg_plot_lines(f->ctx, f->path, OFFBKG_PLOT_PNG,
                                       &d.a, d.s, 2, NULL), OFFBKG_OK);
    assert_int_equal(n_entries(f), 1);
}

#else /* !HAVE_PLPLOT */

static void test_unavailable(void **state)
{
    fixture_t *f = *state;
    lines_data_t d;

    make_lines(&d);
    assert_false(offbkg_plot_available());
    assert_int_equal(offbkg_plot_lines(f->ctx, in_dir(f, "a.png"),
                                       OFFBKG_PLOT_PNG, &d.a, d.s, 2, NULL),
                     OFFBKG_EINVAL);
    assert_string_equal(offbkg_error_msg(f->ctx), OFFBKG_PLOT_UNAVAILABLE);
    assert_non_null(strstr(offbkg_error_msg(f->ctx), "without PLplot"));
    assert_int_equal(n_entries(f), 0);
}

#endif

static void test_text_and_formats(void **state)
{
    char out[16];
    offbkg_plot_format_t fmt = OFFBKG_PLOT_PNG;

    (void)state;
    assert_string_equal(offbkg_plot_text(out, sizeof out, "a#b\x01\xc3\xa9"),
                        "a##b???");
    /* Cut at a character, never inside "##". */
    assert_string_equal(offbkg_plot_text(out, 4, "ab#c"), "ab");
    assert_string_equal(offbkg_plot_text(out, sizeof out, NULL), "");
    assert_int_equal(offbkg_plot_format_parse("svg", &fmt), 0);
    assert_int_equal(fmt, OFFBKG_PLOT_SVG);
    assert_int_equal(offbkg_plot_format_parse("jpeg", &fmt), -1);
    assert_string_equal(offbkg_plot_format_ext(OFFBKG_PLOT_PDF), "pdf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifdef HAVE_PLPLOT
        cmocka_unit_test_setup_teardown(test_lines_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaces_existing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_draw, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plplot_fatal_error, setup,
                                        teardown),
#else
        cmocka_unit_test_setup_teardown(test_unavailable, setup, teardown),
#endif
        cmocka_unit_test(test_text_and_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
