/* SPDX-License-Identifier: BSD-3-Clause
 * Reading INI files: line numbers of keys and headers, comments,
 * continuation lines, every syntax problem with its line, and --set
 * overrides. Each test writes its own file in a fresh directory. */
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
#include <unistd.h>

#include "diag-private.h"
#include "ini-private.h"
#include "tmpfile.h"

typedef struct fixture {
    tmp_ini_t t;
    int have_file;
    offbkg_ini_t *ini;
    offbkg_diags_t diags;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    offbkg_ini_free(f->ini);
    offbkg_diag_clear(&f->diags);
    if (f->have_file)
        tmp_ini_remove(&f->t);
    free(f);
    return 0;
}

/* Write @p text to a new file and read it into f->ini. */
static int read_text(fixture_t *f, const char *text)
{
    assert_int_equal(tmp_ini_write(&f->t, text), 0);
    f->have_file = 1;
    return offbkg_ini_read(f->t.path, &f->ini, &f->diags);
}

/* Diagnostic @p i must be "PATH:LINE: rest" ("PATH: rest" for line 0),
 * with rest given printf-style. */
static void expect_diag(const fixture_t *f, size_t i, int line,
                        const char *fmt, ...) OFFBKG_PRINTF(4, 5);
static void expect_diag(const fixture_t *f, size_t i, int line,
                        const char *fmt, ...)
{
    char rest[512], want[PATH_MAX + 600], got[PATH_MAX + 600];
    char *text;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(want, sizeof want, "%s:%d: %s", f->t.path, line, rest);
    else
        snprintf(want, sizeof want, "%s: %s", f->t.path, rest);
    assert_true(i < f->diags.n);
    text = offbkg_diag_format(&f->diags.items[i]);
    assert_non_null(text);
    snprintf(got, sizeof got, "%s", text);
    free(text);
    assert_string_equal(got, want);
}

static offbkg_ini_section_t *section(const fixture_t *f, const char *name)
{
    offbkg_ini_section_t *s;
    assert_non_null(f->ini);
    s = offbkg_ini_section(f->ini, name);
    if (s == NULL)
        fail_msg("no section [%s]", name);
    return s;
}

static offbkg_ini_entry_t *entry(const fixture_t *f, const char *sec,
                                 const char *key)
{
    offbkg_ini_entry_t *e = offbkg_ini_entry(section(f, sec), key);
    if (e == NULL)
        fail_msg("no key %s in [%s]", key, sec);
    return e;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

static void test_ini_read_line_numbers(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "; leading comment\n"
                                  "\n"
                                  "# hash comment\n"
                                  "[select]\n"
                                  "plugin = offplane\n"
                                  "\n"
                                  "; comment = not a key\n"
                                  "min_glat_deg = 5\n"
                                  "\n"
                                  "   \n"
                                  "[group]\n"
                                  "plugin = zenith\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(f->ini->n, 2);
    assert_int_equal(section(f, "select")->line, 4);
    assert_int_equal(section(f, "select")->n, 2);
    assert_int_equal(section(f, "group")->line, 11);
    assert_int_equal(entry(f, "select", "plugin")->line, 5);
    assert_string_equal(entry(f, "select", "plugin")->value, "offplane");
    assert_int_equal(entry(f, "select", "min_glat_deg")->line, 8);
    assert_int_equal(entry(f, "select", "min_glat_deg")->cont_line, 0);
    assert_int_equal(entry(f, "group", "plugin")->line, 12);
    assert_string_equal(entry(f, "group", "plugin")->value, "zenith");
}

static void test_ini_read_records_file_and_dir(void **state)
{
    fixture_t *f = *state;
    offbkg_ini_entry_t *e;

    assert_int_equal(read_text(f, "[datastore]\npath = store\n"), OFFBKG_OK);
    assert_string_equal(f->ini->path, f->t.path);
    /* The directory is absolute, the base of relative paths. */
    assert_string_equal(f->ini->dir, f->t.real_dir);
    e = entry(f, "datastore", "path");
    assert_string_equal(e->file, f->t.path);
    assert_string_equal(e->base_dir, f->t.real_dir);
    assert_int_equal(e->used, 0);
}

static void test_ini_read_inline_comment_stripped(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select] ; the selector\n"
                                  "plugin = offplane ; the default\n"
                                  "a = x;y\n"
                                  "b = 1 # not a comment\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_string_equal(entry(f, "select", "plugin")->value, "offplane");
    /* Only " ;" starts a comment inside a line. */
    assert_string_equal(entry(f, "select", "a")->value, "x;y");
    assert_string_equal(entry(f, "select", "b")->value,
                        "1 # not a comment");
}

static void test_ini_read_colon_separator(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select]\nplugin: offplane\n"),
                     OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_string_equal(entry(f, "select", "plugin")->value, "offplane");
    assert_int_equal(entry(f, "select", "plugin")->line, 2);
}

static void test_ini_read_continuation_appends(void **state)
{
    fixture_t *f = *state;
    offbkg_ini_entry_t *e;

    assert_int_equal(read_text(f, "[group]\n"
                                  "edges_deg = 0\n"
                                  "    49\n"
                                  "; a comment in between\n"
                                  "\t90 ; last\n"
                                  "plugin = zenith\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    e = entry(f, "group", "edges_deg");
    assert_string_equal(e->value, "0, 49, 90");
    assert_int_equal(e->line, 2);
    assert_int_equal(e->cont_line, 3);
    assert_int_equal(entry(f, "group", "plugin")->line, 6);
}

static void test_ini_read_continuation_after_trailing_comma(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[group]\n"
                                  "edges_deg = 0, 30,\n"
                                  "    49, 90\n"
                                  "empty =\n"
                                  "    1\n"
                                  "    2\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_string_equal(entry(f, "group", "edges_deg")->value,
                        "0, 30, 49, 90");
    assert_string_equal(entry(f, "group", "empty")->value, "1, 2");
    assert_int_equal(entry(f, "group", "empty")->cont_line, 5);
}

static void test_ini_read_duplicate_key(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select]\n"
                                  "plugin = offplane\n"
                                  "min_glat_deg = 5\n"
                                  "\n"
                                  "min_glat_deg = 6\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 5, "[select] min_glat_deg: given twice (first at "
                "line 3)");
    /* The first one counts. */
    assert_string_equal(entry(f, "select", "min_glat_deg")->value, "5");
    assert_int_equal(entry(f, "select", "min_glat_deg")->line, 3);
}

static void test_ini_read_duplicate_section(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select]\n"
                                  "plugin = offplane\n"
                                  "[group]\n"
                                  "plugin = zenith\n"
                                  "[select]\n"
                                  "min_glat_deg = 5\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 5, "[select] section given twice (first at line 1)");
    assert_int_equal(f->ini->n, 2);
    assert_int_equal(section(f, "select")->line, 1);
    assert_int_equal(entry(f, "select", "min_glat_deg")->line, 6);
}

static void test_ini_read_key_outside_section(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "; comment\n"
                                  "plugin = offplane\n"
                                  "[select]\n"
                                  "plugin = all\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 2, "plugin: key outside any section");
    assert_string_equal(entry(f, "select", "plugin")->value, "all");
}

static void test_ini_read_missing_equals_all_reported(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select]\n"
                                  "plugin offplane\n"
                                  "min_glat_deg = 5\n"
                                  "just words\n"
                                  "[group]\n"
                                  "another bad line\n"
                                  "plugin = zenith\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 3);
    expect_diag(f, 0, 2, "expected 'key = value', got 'plugin offplane'");
    expect_diag(f, 1, 4, "expected 'key = value', got 'just words'");
    expect_diag(f, 2, 6, "expected 'key = value', got 'another bad line'");
    /* The good lines around them are still read. */
    assert_int_equal(entry(f, "select", "min_glat_deg")->line, 3);
    assert_int_equal(entry(f, "group", "plugin")->line, 7);
    assert_null(offbkg_ini_entry(section(f, "select"), "plugin"));
}

static void test_ini_read_indented_line_after_header(void **state)
{
    fixture_t *f = *state;

    /* No key before it, so it cannot be a continuation: a bad line. */
    assert_int_equal(read_text(f, "[output]\n"
                                  "  overwrite true\n"
                                  "dir = out\n"
                                  "[run]\n"
                                  "  threads = 2\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 2, "expected 'key = value', got 'overwrite true'");
    assert_int_equal(entry(f, "output", "dir")->line, 3);
    /* An indented key right after a header is an ordinary key. */
    assert_string_equal(entry(f, "run", "threads")->value, "2");
    assert_int_equal(entry(f, "run", "threads")->cont_line, 0);
}

/* "x = vvv..." with @p n characters in all, newline not counted. */
static char *line_of(const char *key, size_t n)
{
    size_t k = strlen(key) + 3;
    char *s = malloc(n + 1);

    assert_non_null(s);
    assert_true(n > k);
    snprintf(s, n + 1, "%s = ", key);
    memset(s + k, 'v', n - k);
    s[n] = '\0';
    return s;
}

/* Lines of any length: a 5000-byte path, a long key and section name. */
static void test_ini_read_long_lines(void **state)
{
    fixture_t *f = *state;
    char *line = line_of("path", 5000);
    char *text = malloc(12000);
    char name[301];

    assert_non_null(text);
    memset(name, 's', 300);
    name[300] = '\0';
    snprintf(text, 12000, "[select]\n"
             "plugin = offplane\n"
             "%s\n"
             "min_glat_deg = 7\n"
             "[%s]\n"
             "%s = 1\n", line, name, name);
    free(line);
    assert_int_equal(read_text(f, text), OFFBKG_OK);
    free(text);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(strlen(entry(f, "select", "path")->value), 5000 - 7);
    assert_int_equal(entry(f, "select", "path")->line, 3);
    assert_int_equal(entry(f, "select", "min_glat_deg")->line, 4);
    assert_int_equal(section(f, name)->line, 5);
    assert_string_equal(entry(f, name, name)->value, "1");
}

/* Write @p len bytes (NUL bytes included) and read them. */
static int read_bytes(fixture_t *f, const char *bytes, size_t len)
{
    FILE *fp;

    assert_int_equal(tmp_ini_write(&f->t, ""), 0);
    f->have_file = 1;
    fp = fopen(f->t.path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return offbkg_ini_read(f->t.path, &f->ini, &f->diags);
}

/* A NUL byte would silently cut the value ("out" of "out\0junk"). */
static void test_ini_read_nul_byte_refused(void **state)
{
    fixture_t *f = *state;
    static const char text[] = "[output]\n"
                               "dir = out\0junk\n"
                               "overwrite = true\n"
                               "[ru\0n]\n"
                               "threads = 2\n";

    assert_int_equal(read_bytes(f, text, sizeof text - 1), OFFBKG_OK);
    assert_int_equal(f->diags.n, 2);
    expect_diag(f, 0, 2, "NUL byte in the line (at byte 10): not a text "
                "file?");
    expect_diag(f, 1, 4, "NUL byte in the line (at byte 4): not a text "
                "file?");
    assert_null(offbkg_ini_entry(section(f, "output"), "dir"));
    assert_int_equal(entry(f, "output", "overwrite")->line, 3);
    /* The keys under a header cut by a NUL go nowhere. */
    assert_null(offbkg_ini_entry(section(f, "output"), "threads"));
    assert_int_equal(f->ini->n, 1);
}

/* A UTF-8 byte-order mark (as some Windows editors write) is skipped. */
static void test_ini_read_bom_accepted(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "\xef\xbb\xbf[select]\n"
                                  "plugin = offplane\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(section(f, "select")->line, 1);
    assert_string_equal(entry(f, "select", "plugin")->value, "offplane");
}

/* 160,000 sections (and a section of 20,000 keys) read through the
 * indexes: every one found, a twin still reported. Time is for the
 * bench; a quadratic scan here took about 30 s. */
static void test_ini_read_many_sections(void **state)
{
    fixture_t *f = *state;
    enum { N_SECTIONS = 160000, N_KEYS = 20000 };
    size_t cap = (size_t)N_SECTIONS * 24 + (size_t)N_KEYS * 24 + 64;
    char *text = malloc(cap);
    size_t len = 0;

    assert_non_null(text);
    for (int i = 0; i < N_SECTIONS; i++)
        len += (size_t)snprintf(text + len, cap - len, "[s%d]\nk = %d\n", i,
                                i);
    len += (size_t)snprintf(text + len, cap - len, "[big]\n");
    for (int i = 0; i < N_KEYS; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%d = %d\n", i, i);
    snprintf(text + len, cap - len, "k17 = again\n[s123]\n");
    assert_int_equal(read_text(f, text), OFFBKG_OK);
    free(text);
    assert_int_equal(f->ini->n, N_SECTIONS + 1);
    assert_string_equal(entry(f, "s0", "k")->value, "0");
    assert_string_equal(entry(f, "s159999", "k")->value, "159999");
    assert_int_equal(section(f, "s77777")->line, 2 * 77777 + 1);
    assert_string_equal(entry(f, "big", "k19999")->value, "19999");
    assert_null(offbkg_ini_entry(section(f, "big"), "k20000"));
    assert_null(offbkg_ini_section(f->ini, "s160000"));
    assert_int_equal(f->diags.n, 2);
    expect_diag(f, 0, 2 * N_SECTIONS + 1 + N_KEYS + 1,
                "[big] k17: given twice (first at line %d)",
                2 * N_SECTIONS + 1 + 18);
    expect_diag(f, 1, 2 * N_SECTIONS + 1 + N_KEYS + 2,
                "[s123] section given twice (first at line %d)",
                2 * 123 + 1);
}

static void test_ini_read_unterminated_section(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select]\n"
                                  "plugin = offplane\n"
                                  "[group\n"
                                  "plugin = zenith\n"
                                  "[model]\n"
                                  "plugin = fake\n"), OFFBKG_OK);
    /* Its keys are not slipped into [select] (no "given twice"). */
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 3, "section header without ']'");
    assert_string_equal(entry(f, "select", "plugin")->value, "offplane");
    assert_null(offbkg_ini_section(f->ini, "group"));
    assert_int_equal(entry(f, "model", "plugin")->line, 6);
}

static void test_ini_read_unterminated_first_section(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[select\n"
                                  "plugin = offplane\n"
                                  "[group]\n"
                                  "plugin = zenith\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 1, "section header without ']'");
    assert_int_equal(f->ini->n, 1);
    assert_int_equal(entry(f, "group", "plugin")->line, 4);
}

static void test_ini_read_empty_section_name(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[  ]\na = 1\n[s]\nb = 2\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 1, "empty section name");
    assert_int_equal(f->ini->n, 1);
    assert_int_equal(entry(f, "s", "b")->line, 4);
}

static void test_ini_read_missing_file(void **state)
{
    fixture_t *f = *state;
    char missing[PATH_MAX + 16];
    offbkg_ini_t *ini = (offbkg_ini_t *)1;
    char *text;

    assert_int_equal(tmp_ini_write(&f->t, "[s]\n"), 0);
    f->have_file = 1;
    snprintf(missing, sizeof missing, "%s/missing.ini", f->t.dir);
    assert_int_equal(offbkg_ini_read(missing, &ini, &f->diags), OFFBKG_EIO);
    assert_null(ini);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_true(strncmp(text, missing, strlen(missing)) == 0);
    assert_string_equal(text + strlen(missing),
                        ": cannot read: No such file or directory");
    free(text);
}

static void test_ini_read_directory_refused(void **state)
{
    fixture_t *f = *state;
    char *text;

    assert_int_equal(tmp_ini_write(&f->t, "[s]\n"), 0);
    f->have_file = 1;
    /* A directory opens for reading but is not an empty INI file. */
    assert_int_equal(offbkg_ini_read(f->t.dir, &f->ini, &f->diags),
                     OFFBKG_EIO);
    assert_null(f->ini);
    assert_int_equal(f->diags.n, 1);
    text = offbkg_diag_format(&f->diags.items[0]);
    assert_non_null(text);
    assert_true(strncmp(text, f->t.dir, strlen(f->t.dir)) == 0);
    assert_string_equal(text + strlen(f->t.dir),
                        ": cannot read: Is a directory");
    free(text);
}

static void test_ini_read_section_names_normalised(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, "[ model   3d ]\n"
                                  "plugin = 3d\n"
                                  "[\tsmooth \t 3d]\n"
                                  "plugin = k5a\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_string_equal(f->ini->sections[0].name, "model 3d");
    assert_string_equal(f->ini->sections[1].name, "smooth 3d");
    assert_string_equal(entry(f, "model 3d", "plugin")->value, "3d");
    assert_int_equal(entry(f, "smooth 3d", "plugin")->line, 4);
}

static void test_ini_read_empty_file(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, ""), OFFBKG_OK);
    assert_non_null(f->ini);
    assert_int_equal(f->ini->n, 0);
    assert_int_equal(f->diags.n, 0);
}

/* ------------------------------------------------------------------ */
/* --set overrides                                                     */

static const char base_text[] = "[select]\n"
                                "plugin = offplane\n"
                                "min_glat_deg = 5\n"
                                "edges = 1\n"
                                "    2\n";

static void assert_from_set(const offbkg_ini_entry_t *e, const char *value)
{
    char cwd[PATH_MAX];

    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_string_equal(e->value, value);
    assert_string_equal(e->file, "--set");
    assert_int_equal(e->line, 0);
    assert_int_equal(e->cont_line, 0);
    /* Relative paths given on the command line are relative to cwd. */
    assert_string_equal(e->base_dir, cwd);
}

static void test_ini_override_replaces_value(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "select.min_glat_deg=7",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "select.edges = 3",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(section(f, "select")->n, 3);
    assert_from_set(entry(f, "select", "min_glat_deg"), "7");
    assert_from_set(entry(f, "select", "edges"), "3");
    /* Others keep their file and line. */
    assert_int_equal(entry(f, "select", "plugin")->line, 2);
}

static void test_ini_override_adds_key(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "select. n_obs_max = 10 ",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(section(f, "select")->n, 4);
    assert_from_set(entry(f, "select", "n_obs_max"), "10");
}

static void test_ini_override_adds_section(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "output.dir=out",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(f->ini->n, 2);
    assert_int_equal(section(f, "output")->line, 0);
    assert_from_set(entry(f, "output", "dir"), "out");
}

static void test_ini_override_section_with_blank(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "model 3d.plugin=3d",
                                         &f->diags), OFFBKG_OK);
    /* Same section, however it is spaced. */
    assert_int_equal(offbkg_ini_override(f->ini, " model   3d .bins=4",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(f->ini->n, 2);
    assert_from_set(entry(f, "model 3d", "plugin"), "3d");
    assert_from_set(entry(f, "model 3d", "bins"), "4");
}

static void test_ini_override_value_keeps_equals_and_dots(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "select.label=a=b",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "select.table=x/y.csv",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "select.empty=",
                                         &f->diags), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_string_equal(entry(f, "select", "label")->value, "a=b");
    assert_string_equal(entry(f, "select", "table")->value, "x/y.csv");
    assert_string_equal(entry(f, "select", "empty")->value, "");
}

/* A value is kept as typed: inner runs of blanks stay (a path with two
 * spaces), only the blanks around it go. */
static void test_ini_override_value_keeps_inner_blanks(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    assert_int_equal(offbkg_ini_override(f->ini, "output.dir= /tmp/two  "
                                         "spaces\tand tab ", &f->diags),
                     OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_string_equal(entry(f, "output", "dir")->value,
                        "/tmp/two  spaces\tand tab");
}

static void test_ini_override_malformed(void **state)
{
    static const char *const bad[] = { "nodot=1", "a.b", ".key=1", "sec.=1",
                                       "=1", "", "  .  = 2", NULL };
    fixture_t *f = *state;

    assert_int_equal(read_text(f, base_text), OFFBKG_OK);
    for (size_t i = 0; bad[i] != NULL; i++) {
        char want[128], got[256];
        char *text;

        assert_int_equal(offbkg_ini_override(f->ini, bad[i], &f->diags),
                         OFFBKG_ECONFIG);
        assert_int_equal(f->diags.n, i + 1);
        snprintf(want, sizeof want,
                 "--set: '%s': expected SECTION.KEY=VALUE", bad[i]);
        text = offbkg_diag_format(&f->diags.items[i]);
        assert_non_null(text);
        snprintf(got, sizeof got, "%s", text);
        free(text);
        assert_string_equal(got, want);
    }
    /* Nothing was added. */
    assert_int_equal(f->ini->n, 1);
    assert_int_equal(section(f, "select")->n, 3);
}

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_ini_read_line_numbers),
        FIXTURE_TEST(test_ini_read_records_file_and_dir),
        FIXTURE_TEST(test_ini_read_inline_comment_stripped),
        FIXTURE_TEST(test_ini_read_colon_separator),
        FIXTURE_TEST(test_ini_read_continuation_appends),
        FIXTURE_TEST(test_ini_read_continuation_after_trailing_comma),
        FIXTURE_TEST(test_ini_read_duplicate_key),
        FIXTURE_TEST(test_ini_read_duplicate_section),
        FIXTURE_TEST(test_ini_read_key_outside_section),
        FIXTURE_TEST(test_ini_read_missing_equals_all_reported),
        FIXTURE_TEST(test_ini_read_indented_line_after_header),
        FIXTURE_TEST(test_ini_read_long_lines),
        FIXTURE_TEST(test_ini_read_nul_byte_refused),
        FIXTURE_TEST(test_ini_read_bom_accepted),
        FIXTURE_TEST(test_ini_read_many_sections),
        FIXTURE_TEST(test_ini_read_unterminated_section),
        FIXTURE_TEST(test_ini_read_unterminated_first_section),
        FIXTURE_TEST(test_ini_read_empty_section_name),
        FIXTURE_TEST(test_ini_read_missing_file),
        FIXTURE_TEST(test_ini_read_directory_refused),
        FIXTURE_TEST(test_ini_read_section_names_normalised),
        FIXTURE_TEST(test_ini_read_empty_file),
        FIXTURE_TEST(test_ini_override_replaces_value),
        FIXTURE_TEST(test_ini_override_adds_key),
        FIXTURE_TEST(test_ini_override_adds_section),
        FIXTURE_TEST(test_ini_override_section_with_blank),
        FIXTURE_TEST(test_ini_override_value_keeps_equals_and_dots),
        FIXTURE_TEST(test_ini_override_value_keeps_inner_blanks),
        FIXTURE_TEST(test_ini_override_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
