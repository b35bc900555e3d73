/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the outputs (core/output.c, core/outset.c): a write that
 * fails names its file and leaves nothing; many FITS files in a row take
 * the memory of one; the names of ours; the lock of an output directory;
 * a set that is not committed leaves nothing; the figure directory of a
 * set, committed, recovered after a crash, refused. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <offbkg/status.h>

#include "ctx-private.h"
#include "output-private.h"
#include "outset-private.h"
#include "table-private.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

typedef struct fixture {
    offbkg_ctx_t *ctx;
    char dir[64];
} fixture_t;

static void quiet(void *user, offbkg_log_level_t level, const char *prefix,
                  const char *msg)
{
    (void)user;
    (void)level;
    (void)prefix;
    (void)msg;
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    fx->ctx = offbkg_ctx_new();
    assert_non_null(fx->ctx);
    offbkg_ctx_set_log_sink(fx->ctx, quiet, NULL);
    strcpy(fx->dir, "/tmp/offbkg-output-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    *state = fx;
    return 0;
}

/* The entries of the fixture's directory (dot files too). */
static int dir_count(const fixture_t *fx)
{
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    offbkg_ctx_free(fx->ctx);
    free(fx);
    return 0;
}

/* A table larger than cfitsio's buffers, written under a file size
 * limit smaller than it (a full disk): whichever step fails, its message
 * names the file, and no file is left. */
static void test_output_full_names_file(void **state)
{
    fixture_t *fx = *state;
    enum { ROWS = 20000 };
    double *v = calloc(ROWS, sizeof *v);
    offbkg_column_t col = { .name = "X", .type = OFFBKG_COL_DOUBLE,
                            .unit = "", .f64 = v };
    offbkg_table_t t = { ROWS, 1, &col };
    offbkg_output_t out;
    struct rlimit was, small;
    char path[PATH_MAX];
    int st;

    assert_non_null(v);
    snprintf(path, sizeof path, "%s/obs.fits", fx->dir);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    small = was;
    small.rlim_cur = 16 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    st = offbkg_output_fits(fx->ctx, path, false, &out);
    if (st == OFFBKG_OK) {
        st = offbkg_table_write(fx->ctx, out.fits, "OBS_INDEX", &t, NULL,
                                NULL);
        if (st == OFFBKG_OK)
            st = offbkg_output_commit(fx->ctx, &out);
        else
            offbkg_output_abort(&out);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    assert_int_not_equal(st, OFFBKG_OK);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), path));
    assert_int_equal(dir_count(fx), 0);
    free(v);
}

/* 150 FITS files of 160 kB written one after the other (as the
 * per-observation models are, a target at a time): each file's memory
 * starts empty, so the memory stays that of one file, and every file is
 * the same. (The memory file kept for the next one used to start each
 * file after the last, growing by a file's size every time: 24 MB here,
 * and quadratic time in the number of files.) */
static void test_output_files_in_a_row(void **state)
{
    fixture_t *fx = *state;
    enum { ROWS = 20000, FILES = 150 };
    double *v = calloc(ROWS, sizeof *v);
    offbkg_column_t col = { .name = "X", .type = OFFBKG_COL_DOUBLE,
                            .unit = "", .f64 = v };
    offbkg_table_t t = { ROWS, 1, &col };
    struct rusage before, after;
    long first_size = -1;
    char path[PATH_MAX];

    assert_non_null(v);
    for (size_t i = 0; i < ROWS; i++)
        v[i] = (double)i;
    assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
    for (int k = 0; k < FILES; k++) {
        offbkg_output_t out;
        snprintf(path, sizeof path, "%s/f%03d.fits", fx->dir, k);
        assert_int_equal(offbkg_output_fits(fx->ctx, path, false, &out),
                         OFFBKG_OK);
        assert_int_equal(offbkg_table_write(fx->ctx, out.fits, "T", &t, NULL,
                                            NULL),
                         OFFBKG_OK);
        /* Cards after the data, as the model files have: cfitsio inserts
         * header blocks, moving what follows up to the end of the file. */
        int fst = 0;
        for (int c = 0; c < 100; c++) {
            char key[16];
            snprintf(key, sizeof key, "KEY%03d", c);
            fits_write_key(out.fits, TINT, key, &c, NULL, &fst);
        }
        assert_int_equal(fst, 0);
        assert_int_equal(offbkg_output_commit(fx->ctx, &out), OFFBKG_OK);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        if (first_size < 0)
            first_size = ftell(fp);
        assert_int_equal(ftell(fp), first_size);
        fclose(fp);
        unlink(path);
    }
    assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
    free(v);
    /* Under valgrind (make check-valgrind sets OFFBKG_WRAPPER) the peak
     * is valgrind's, and AddressSanitizer keeps freed memory in
     * quarantine: the sizes alone are checked then. */
    const char *wrapper = getenv("OFFBKG_WRAPPER");
    if ((wrapper == NULL || wrapper[0] == '\0') && !UNDER_ASAN
        && after.ru_maxrss - before.ru_maxrss > 8 * 1024)
        fail_msg("%d files of %ld bytes in a row: the peak memory grew by "
                 "%ld kB", FILES, first_size,
                 after.ru_maxrss - before.ru_maxrss);
}

static void test_outset_names(void **state)
{
    (void)state;
    assert_true(offbkg_outset_is_ours("run.lis", OFFBKG_OWN_RUN_LIST));
    assert_false(offbkg_outset_is_ours("run.lis", OFFBKG_OWN_MODELS));
    assert_true(offbkg_outset_is_ours("group-def.fits", OFFBKG_OWN_GROUPING));
    assert_true(offbkg_outset_is_ours("bkg-index.fits.gz", OFFBKG_OWN_INDEX));
    assert_true(offbkg_outset_is_ours("report.json", OFFBKG_OWN_REPORT));
    /* offbkg validate's, so that a journal that moves it in is
     * completed after a crash, not thrown away */
    assert_true(offbkg_outset_is_ours("validation.fits",
                                      OFFBKG_OWN_VALIDATION));
    assert_true(offbkg_outset_is_ours("validation.fits", OFFBKG_OWN_ALL));
    assert_false(offbkg_outset_is_ours("validation.fits",
                                       OFFBKG_OWN_REPORT));
    static const char *const models[] = {
        "background_2D_group_000_table.fits.gz",
        "smooth_background_3D_group_012_table.fits.gz",
        "wide_background_2D_group_1234_table.fits.gz",
        "a_b_smooth_background_3D_group_000_table.fits.gz",
        "background_3D_obs_023523_table.fits.gz",
        "smooth_background_2D_obs_000007_table.fits.gz",
        "wide_background_2D_obs_12345678_table.fits.gz",
    };
    static const char *const not_models[] = {
        "background_2D_group_00_table.fits.gz",
        "background_4D_group_000_table.fits.gz",
        "background_2D_group_000_table.fits",
        "Big_background_2D_group_000_table.fits.gz",
        "xbackground_2D_group_000_table.fits.gz",
        "background_2D_group_000_table.fits.gz.orig",
        ".tmp1.2.background_2D_group_000_table.fits.gz",
        "background_2D_obs_00123_table.fits.gz",
        "background_2D_obs_023523_table.fits",
        "background_2D_run_023523_table.fits.gz",
        "Big_background_3D_obs_023523_table.fits.gz",
        "notes.txt",
    };
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        assert_true(offbkg_outset_is_ours(models[i], OFFBKG_OWN_MODELS));
        assert_false(offbkg_outset_is_ours(models[i], OFFBKG_OWN_REPORT));
    }
    for (size_t i = 0; i < sizeof not_models / sizeof not_models[0]; i++)
        assert_false(offbkg_outset_is_ours(not_models[i], OFFBKG_OWN_ALL));
}

/* A second set on a locked directory is refused at once, naming the
 * holder; one that is not committed leaves nothing, the lock file
 * included. */
static void test_outset_lock(void **state)
{
    fixture_t *fx = *state;
    offbkg_outset_t *a = NULL, *b = NULL;
    offbkg_output_t out;
    char path[PATH_MAX], want[64];

    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir, OFFBKG_OWN_ALL,
                                         false, &a), OFFBKG_OK);
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir, OFFBKG_OWN_ALL,
                                         false, &b), OFFBKG_EIO);
    assert_null(b);
    snprintf(want, sizeof want, "another offbkg (pid %ld)", (long)getpid());
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), want));

    offbkg_ctx_set_outset(fx->ctx, a);
    snprintf(path, sizeof path, "%s/run.lis", fx->dir);
    assert_int_equal(offbkg_output_text(fx->ctx, path, false, &out),
                     OFFBKG_OK);
    fputs("OBS_ID\n", out.text);
    assert_int_equal(offbkg_output_commit(fx->ctx, &out), OFFBKG_OK);
    assert_int_not_equal(access(path, F_OK), 0);    /* staged, not in */
    offbkg_ctx_set_outset(fx->ctx, NULL);
    offbkg_outset_end(a);
    assert_int_equal(dir_count(fx), 0);
}

/* A file @p dir/@p name holding @p text. */
static void put_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static bool exists_in(const char *dir, const char *name)
{
    char path[PATH_MAX + 256];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Write @p name (in the set's directory) through the output layer. */
static void write_through(fixture_t *fx, const char *name)
{
    offbkg_output_t out;
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    assert_int_equal(offbkg_output_text(fx->ctx, path, true, &out),
                     OFFBKG_OK);
    fputs("x\n", out.text);
    assert_int_equal(offbkg_output_commit(fx->ctx, &out), OFFBKG_OK);
    assert_false(exists_in(fx->dir, name));     /* staged, not in */
}

static void test_outset_figure_names(void **state)
{
    (void)state;
    assert_true(offbkg_outset_is_ours("index.html", OFFBKG_OWN_FIGURES));
    assert_false(offbkg_outset_is_ours("index.html", OFFBKG_OWN_REPORT));
    assert_true(offbkg_outset_is_figure("background_2D_group_000_rate.png"));
    assert_true(offbkg_outset_is_figure("a.pdf"));
    assert_true(offbkg_outset_is_figure("V-1.2_x.svg"));
    assert_false(offbkg_outset_is_figure(".x.png"));
    assert_false(offbkg_outset_is_figure("a b.png"));
    assert_false(offbkg_outset_is_figure("a.txt"));
    assert_false(offbkg_outset_is_figure(".png"));
    assert_false(offbkg_outset_is_figure("a/b.png"));
    /* Figures are ours only in the figure directory. */
    assert_false(offbkg_outset_is_ours("a.png", OFFBKG_OWN_ALL));
}

/* The figures of a set appear with its other files, in a figure
 * directory made at commit; the old figures of ours there that it did
 * not write go, any other file stays; offbkg_outset_list says what the
 * directory will hold. */
static void test_outset_figures_commit(void **state)
{
    fixture_t *fx = *state;
    offbkg_outset_t *set = NULL;
    char fig[PATH_MAX];
    char **names = NULL;
    size_t n = 0;

    snprintf(fig, sizeof fig, "%s/figs", fx->dir);
    put_file(fx->dir, "validation.fits", "v");     /* not owned: stays */
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir,
                                         OFFBKG_OWN_FIGURES
                                         | OFFBKG_OWN_REPORT, true, &set),
                     OFFBKG_OK);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "figs"), OFFBKG_OK);
    assert_false(exists_in(fx->dir, "figs"));      /* not before commit */
    offbkg_ctx_set_outset(fx->ctx, set);
    write_through(fx, "figs/a.png");
    write_through(fx, "index.html");
    write_through(fx, "report.json");
    assert_int_equal(offbkg_outset_list(fx->ctx, set, OFFBKG_OWN_FIGURES
                                        | OFFBKG_OWN_VALIDATION, &names, &n),
                     OFFBKG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "figs/a.png");
    assert_string_equal(names[1], "index.html");
    assert_string_equal(names[2], "validation.fits");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (offbkg_outset_commit(fx->ctx, set) != OFFBKG_OK)
        fail_msg("%s", offbkg_error_msg(fx->ctx));
    offbkg_ctx_set_outset(fx->ctx, NULL);
    offbkg_outset_end(set);
    assert_true(exists_in(fig, "a.png"));
    assert_true(exists_in(fx->dir, "index.html"));
    assert_true(exists_in(fx->dir, "validation.fits"));

    /* Again: a.png is not written this time and goes; notes.txt is not
     * ours and stays. */
    put_file(fig, "notes.txt", "mine");
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir,
                                         OFFBKG_OWN_FIGURES, true, &set),
                     OFFBKG_OK);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "figs"), OFFBKG_OK);
    offbkg_ctx_set_outset(fx->ctx, set);
    write_through(fx, "figs/b.svg");
    assert_int_equal(offbkg_outset_commit(fx->ctx, set), OFFBKG_OK);
    offbkg_ctx_set_outset(fx->ctx, NULL);
    offbkg_outset_end(set);
    assert_false(exists_in(fig, "a.png"));
    assert_true(exists_in(fig, "b.svg"));
    assert_true(exists_in(fig, "notes.txt"));
    assert_false(exists_in(fx->dir, "index.html"));  /* not written */
    assert_int_equal(dir_count(fx), 3); /* figs, report, validation */
}

/* Refused before any work: a figure directory that is a symbolic link or
 * a file; without overwrite, one holding a figure. A set not committed
 * leaves nothing, its staged figures included. */
static void test_outset_figures_refused(void **state)
{
    fixture_t *fx = *state;
    offbkg_outset_t *set = NULL;
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/link", fx->dir);
    assert_int_equal(symlink("/tmp", path), 0);
    put_file(fx->dir, "file", "f");
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir,
                                         OFFBKG_OWN_FIGURES, false, &set),
                     OFFBKG_OK);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "link"),
                     OFFBKG_EIO);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), "link: not a "
                                                      "directory"));
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "file"),
                     OFFBKG_EIO);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "../x"),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "report.json"),
                     OFFBKG_EINVAL);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "figs"), OFFBKG_OK);
    offbkg_ctx_set_outset(fx->ctx, set);
    write_through(fx, "figs/a.png");
    offbkg_ctx_set_outset(fx->ctx, NULL);
    offbkg_outset_end(set);                 /* not committed */
    assert_int_equal(dir_count(fx), 2);     /* link, file */

    snprintf(path, sizeof path, "%s/figs", fx->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    put_file(path, "old.pdf", "p");
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir,
                                         OFFBKG_OWN_FIGURES, false, &set),
                     OFFBKG_OK);
    assert_int_equal(offbkg_outset_figures(fx->ctx, set, "figs"),
                     OFFBKG_EEXIST);
    assert_non_null(strstr(offbkg_error_msg(fx->ctx), "figs/old.pdf exists"));
    offbkg_outset_end(set);
}

/* A commit interrupted after its journal was written is completed by
 * the next command on the directory, its figures included. */
static void test_outset_figures_recovered(void **state)
{
    fixture_t *fx = *state;
    offbkg_outset_t *set = NULL;
    char stage[PATH_MAX], sfig[PATH_MAX + 8], fig[PATH_MAX];

    snprintf(stage, sizeof stage, "%s/.tmp-offbkg-abcdef", fx->dir);
    snprintf(sfig, sizeof sfig, "%s/figs", stage);
    snprintf(fig, sizeof fig, "%s/figs", fx->dir);
    assert_int_equal(mkdir(stage, 0700), 0);
    assert_int_equal(mkdir(sfig, 0700), 0);
    assert_int_equal(mkdir(fig, 0755), 0);
    put_file(sfig, "new.png", "n");
    put_file(stage, "index.html", "i");
    put_file(fig, "old.png", "o");
    put_file(stage, "journal", "offbkg output set 1\nfig figs\n"
             "put index.html\nput figs/new.png\ndel figs/old.png\nend\n");
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir,
                                         OFFBKG_OWN_REPORT, true, &set),
                     OFFBKG_OK);
    offbkg_outset_end(set);
    assert_true(exists_in(fig, "new.png"));
    assert_false(exists_in(fig, "old.png"));
    assert_true(exists_in(fx->dir, "index.html"));
    assert_false(exists_in(fx->dir, ".tmp-offbkg-abcdef"));

    /* A journal naming a file outside the figure directory is not
     * carried out: the staging directory is removed. */
    assert_int_equal(mkdir(stage, 0700), 0);
    put_file(stage, "journal", "offbkg output set 1\nfig figs\n"
             "put figs/../x.png\nend\n");
    assert_int_equal(offbkg_outset_begin(fx->ctx, fx->dir,
                                         OFFBKG_OWN_REPORT, true, &set),
                     OFFBKG_OK);
    offbkg_outset_end(set);
    assert_false(exists_in(fx->dir, ".tmp-offbkg-abcdef"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_full_names_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_output_files_in_a_row, setup,
                                        teardown),
        cmocka_unit_test(test_outset_names),
        cmocka_unit_test_setup_teardown(test_outset_lock, setup, teardown),
        cmocka_unit_test(test_outset_figure_names),
        cmocka_unit_test_setup_teardown(test_outset_figures_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outset_figures_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outset_figures_recovered, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
