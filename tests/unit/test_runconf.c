/* SPDX-License-Identifier: BSD-3-Clause
 * Composition of a run from an INI file, end to end: plugins loaded from
 * the build tree (plugins/ and tests/plugins/), configs filled with
 * defaults, every mistake reported once with its file:line, --set
 * overrides, the resolved-config printout, and instance creation. */
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

#include "ctx-private.h"
#include "diag-private.h"
#include "instance-private.h"
#include "params-private.h"
#include "plot-private.h"
#include "runconf-private.h"
#include "tmpfile.h"

/* OFFBKG_PLUGIN_PATH as the tests set it, and the test plugins' dir. */
static char search_env[2 * PATH_MAX + 2];
static const char *test_plugin_dir;

typedef struct fixture {
    offbkg_ctx_t *ctx;
    tmp_ini_t t;
    int have_file;
    offbkg_diags_t diags;
    offbkg_runconf_t *rc;
    offbkg_instance_t *inst[3];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (f == NULL || (f->ctx = offbkg_ctx_new()) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    /* Instances before the composition that owns their modules. */
    for (size_t i = 0; i < 3; i++)
        offbkg_instance_free(f->inst[i]);
    offbkg_runconf_free(f->rc);
    offbkg_diag_clear(&f->diags);
    offbkg_ctx_free(f->ctx);
    if (f->have_file)
        tmp_ini_remove(&f->t);
    free(f);
    return 0;
}

/* Write @p text and load it with the overrides (NULL-terminated). */
static int load_with(fixture_t *f, const char *text,
                     const char *const *overrides)
{
    size_t n = 0;

    while (overrides != NULL && overrides[n] != NULL)
        n++;
    assert_int_equal(tmp_ini_write_named(&f->t, "run.ini", text), 0);
    f->have_file = 1;
    return offbkg_runconf_load(f->ctx, f->t.path, overrides, n, &f->diags,
                               &f->rc);
}

static int load(fixture_t *f, const char *text)
{
    return load_with(f, text, NULL);
}

/* Diagnostic @p i, formatted, into @p buf. */
static void diag_text(const fixture_t *f, size_t i, char *buf, size_t n)
{
    char *text;

    assert_true(i < f->diags.n);
    text = offbkg_diag_format(&f->diags.items[i]);
    assert_non_null(text);
    snprintf(buf, n, "%s", text);
    free(text);
}

/* Diagnostic @p i must be "run.ini:LINE: rest" ("run.ini: rest" for line
 * 0), with the full path and rest given printf-style. */
static void expect_diag(const fixture_t *f, size_t i, int line,
                        const char *fmt, ...) OFFBKG_PRINTF(4, 5);
static void expect_diag(const fixture_t *f, size_t i, int line,
                        const char *fmt, ...)
{
    char rest[1024], want[PATH_MAX + 1100], got[PATH_MAX + 1100];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(want, sizeof want, "%s:%d: %s", f->t.path, line, rest);
    else
        snprintf(want, sizeof want, "%s: %s", f->t.path, rest);
    diag_text(f, i, got, sizeof got);
    assert_string_equal(got, want);
}

/* The load must have failed with exactly one diagnostic, @p line: rest. */
static void expect_only_diag(const fixture_t *f, int status, int line,
                             const char *rest)
{
    assert_int_equal(status, OFFBKG_ECONFIG);
    assert_null(f->rc);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, line, "%s", rest);
}

/* Diagnostic @p i must start with "run.ini:LINE: prefix" and contain each
 * further NULL-terminated fragment. */
static void expect_diag_parts(const fixture_t *f, size_t i, int line,
                              const char *prefix, ...)
{
    char want[PATH_MAX + 512], got[4096];
    const char *part;
    va_list ap;

    snprintf(want, sizeof want, "%s:%d: %s", f->t.path, line, prefix);
    diag_text(f, i, got, sizeof got);
    if (strncmp(got, want, strlen(want)) != 0)
        fail_msg("'%s' does not start with '%s'", got, want);
    va_start(ap, prefix);
    while ((part = va_arg(ap, const char *)) != NULL)
        if (strstr(got, part) == NULL) {
            va_end(ap);
            fail_msg("'%s' lacks '%s'", got, part);
        }
    va_end(ap);
}

/* The value of plugin parameter @p name of stage section @p sc, as INI
 * text, must be @p want. */
static void assert_value(const offbkg_stage_conf_t *sc, const char *name,
                         const char *want)
{
    const offbkg_param_t *p;
    char got[256];
    char *text;

    assert_non_null(sc->module);
    assert_non_null(sc->config);
    for (p = sc->module->desc->params; p->name != NULL; p++)
        if (strcmp(p->name, name) == 0)
            break;
    assert_non_null(p->name);
    text = offbkg_params_format(p, sc->config);
    assert_non_null(text);
    snprintf(got, sizeof got, "%s", text);
    free(text);
    assert_string_equal(got, want);
}

/* Pieces of configs; line numbers are given where each test uses them. */
#define HEAD "[datastore]\npath = store\n"        /* 2 lines */
#define SELECT "[select]\nplugin = offplane\n"    /* 2 lines */
#define GROUP "[group]\nplugin = zenith\n"        /* 2 lines */
#define MODEL "[model]\nplugin = fake\n"          /* 2 lines */
#define GOOD HEAD SELECT GROUP MODEL              /* lines 1-8 */
#define NO_SELECT HEAD GROUP MODEL                /* lines 1-6 */
#define NO_MODEL HEAD SELECT GROUP                /* lines 1-6 */

/* ------------------------------------------------------------------ */
/* A good configuration                                                */

static void test_runconf_load_good_config(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX + 16];
    offbkg_runconf_t *rc;

    assert_int_equal(load(f, "; a complete run\n"
                             "[datastore]\n"
                             "path = store          ; relative to here\n"
                             "\n"
                             "[run]\n"
                             "plugin_path = extra\n"
                             "\n"
                             "[select]\n"
                             "plugin = offplane\n"
                             "\n"
                             "[group]\n"
                             "plugin = zenith\n"
                             "\n"
                             "[model]\n"
                             "plugin = fake\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    rc = f->rc;
    assert_non_null(rc);
    /* Host sections: relative paths against the INI file's directory. */
    snprintf(want, sizeof want, "%s/store", f->t.real_dir);
    assert_string_equal(rc->datastore->path, want);
    snprintf(want, sizeof want, "%s/out", f->t.real_dir);
    assert_string_equal(rc->output->dir, want);
    assert_false(rc->output->overwrite);
    assert_int_equal(rc->run->threads, 0);
    assert_int_equal(rc->run->seed, 1);
    assert_int_equal(rc->run->log_level, OFFBKG_LOG_INFO);
    assert_int_equal(rc->run->plugin_path.n, 1);
    snprintf(want, sizeof want, "%s/extra", f->t.real_dir);
    assert_string_equal(rc->run->plugin_path.v[0], want);
    assert_non_null(strstr(offbkg_registry_search_path(rc->registry), want));
    assert_null(rc->exclude);
    assert_null(rc->index);
    /* Stages, with their header lines and defaults. */
    assert_string_equal(rc->select.module->name, "offplane");
    assert_int_equal(rc->select.stage, OFFBKG_STAGE_SELECT);
    assert_int_equal(rc->select.line, 8);
    assert_string_equal(rc->select.section, "select");
    assert_string_equal(rc->select.label, "");
    assert_value(&rc->select, "min_glat_deg", "5");
    assert_value(&rc->select, "n_obs_max", "0");
    assert_string_equal(rc->group.module->name, "zenith");
    assert_int_equal(rc->group.line, 11);
    assert_value(&rc->group, "edges_deg", "0, 49, 90");
    assert_int_equal(rc->n_models, 1);
    assert_string_equal(rc->models[0].module->name, "fake");
    assert_int_equal(rc->models[0].line, 14);
    assert_value(&rc->models[0], "count", "3");
    assert_value(&rc->models[0], "shape", "gauss");
    assert_value(&rc->models[0], "reject", "false");
    assert_value(&rc->models[0], "table", "");
    assert_null(rc->smooths[0].module);
}

static void test_runconf_load_model_optional(void **state)
{
    fixture_t *f = *state;

    /* select and group can be checked alone; make and run need a model. */
    assert_int_equal(load(f, NO_MODEL), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(f->rc->n_models, 0);
}

static void test_runconf_load_two_models(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, NO_MODEL
                             "[model a]\n"            /* line 7 */
                             "plugin = fake\n"
                             "[model  b]\n"           /* line 9 */
                             "plugin = fake\n"
                             "count = 5\n"), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_int_equal(f->rc->n_models, 2);
    assert_string_equal(f->rc->models[0].section, "model a");
    assert_string_equal(f->rc->models[0].label, "a");
    assert_int_equal(f->rc->models[0].line, 7);
    assert_string_equal(f->rc->models[1].section, "model b");
    assert_string_equal(f->rc->models[1].label, "b");
    assert_int_equal(f->rc->models[1].line, 9);
    assert_value(&f->rc->models[0], "count", "3");
    assert_value(&f->rc->models[1], "count", "5");
    /* One module, loaded once; two configs. */
    assert_ptr_equal(f->rc->models[0].module, f->rc->models[1].module);
    assert_ptr_not_equal(f->rc->models[0].config, f->rc->models[1].config);
    assert_null(f->rc->smooths[0].module);
    assert_null(f->rc->smooths[1].module);
}

/* [index] model names a [model LABEL] that exists, or the load fails
 * at its line, listing the labels there are. */
static void test_runconf_load_index_model_reference(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, NO_MODEL
                             "[model 2d]\n"           /* line 7 */
                             "plugin = fake\n"
                             "[model 3d]\n"
                             "plugin = fake\n"
                             "[index]\n"              /* line 11 */
                             "model = 4d\n"), OFFBKG_ECONFIG);
    assert_null(f->rc);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 12, "[index] model: there is no [model 4d] section "
                "(the models are: 2d, 3d)");
}

static void test_runconf_load_exclude_circles(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, GOOD
                             "[exclude]\n"
                             "circles_deg = 83.6, 22.0, 0.5,\n"
                             "    10, 20, 1\n"), OFFBKG_OK);
    assert_non_null(f->rc->exclude);
    assert_int_equal(f->rc->exclude->circles_deg.n, 6);
    assert_true(f->rc->exclude->circles_deg.v[3] == 10);
}

/* [plot]: its defaults; a dir that is not a plain name in [output] dir,
 * at its line; a build without PLplot refuses the section at its
 * header. */
static void test_runconf_load_plot(void **state)
{
    fixture_t *f = *state;

    if (!offbkg_plot_available()) {
        expect_only_diag(f, load(f, GOOD "[plot]\n"), 9,
                         "[plot] offbkg was built without PLplot: no "
                         "figures (install libplplot-dev and "
                         "plplot-driver-cairo, then configure again)");
        return;
    }
    assert_int_equal(load(f, GOOD "[plot]\n"), OFFBKG_OK);
    assert_non_null(f->rc->plot);
    assert_int_equal(f->rc->plot->format, OFFBKG_PLOT_PNG);
    assert_string_equal(f->rc->plot->dir, "figures");
    assert_int_equal(f->rc->plot->energies_tev.n, 3);
    assert_int_equal(f->rc->plot->offsets_deg.n, 3);
    assert_int_equal(f->rc->plot->compare, OFFBKG_PLOT_COMPARE_SMOOTHED);
    offbkg_runconf_free(f->rc);
    f->rc = NULL;
    static const char *const bad[] = { "../x", ".hidden", "a/b",
                                       "report.json", "index.html", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], want[256];
        offbkg_diag_clear(&f->diags);
        snprintf(text, sizeof text, GOOD "[plot]\nformat = svg\ndir = %s\n",
                 bad[i]);
        snprintf(want, sizeof want, "[plot] dir: \"%s\": expected a "
                 "directory name in [output] dir (letters, digits, '_', "
                 "'-', '.', not starting with '.')", bad[i]);
        expect_only_diag(f, load(f, text), 11, want);
    }
}

/* ------------------------------------------------------------------ */
/* One mistake at a time: exactly one message, at the right line       */

static void test_runconf_load_unknown_section_hint(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD
                                "[modle]\n"           /* line 9 */
                                "plugin = fake\n"),
                     9, "[modle] unknown section (did you mean [model]?)");
}

static void test_runconf_load_unknown_section_no_hint(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD "[frobnicate]\nx = 1\n"), 9,
                     "[frobnicate] unknown section (known: datastore, "
                     "output, run, select, group, model, smooth, match, "
                     "exclude, index, store, target)");
}

static void test_runconf_load_unknown_key_hint(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, NO_SELECT
                                "[select]\n"          /* line 7 */
                                "plugin = offplane\n"
                                "min_glat_dg = 4\n"), /* line 9 */
                     9, "[select] min_glat_dg: unknown key (did you mean "
                     "'min_glat_deg'?)");
}

static void test_runconf_load_unknown_host_key_hint(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD
                                "[output]\n"          /* line 9 */
                                "overwrit = true\n"), /* line 10 */
                     10, "[output] overwrit: unknown key (did you mean "
                     "'overwrite'?)");
}

/* Every misspelling gets the same kind of hint: a section kind with its
 * label, a key without its unit suffix, a plugin name. */
static void test_runconf_load_hint_section_kind_with_label(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD
                                "[smoth 2d]\n"        /* line 9 */
                                "plugin = gauss1d\n"),
                     9, "[smoth 2d] unknown section (did you mean "
                     "[smooth 2d]?)");
}

static void test_runconf_load_hint_host_section_with_label(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD "[output 2d]\ndir = x\n"), 9,
                     "[output 2d] only [model], [smooth], [match] and "
                     "[select] sections take a label");
}

static void test_runconf_load_hint_key_without_unit(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, NO_SELECT
                                "[select]\n"          /* line 7 */
                                "plugin = offplane\n"
                                "min_glat = 4\n"),    /* line 9 */
                     9, "[select] min_glat: unknown key (did you mean "
                     "'min_glat_deg'?)");
}

static void test_runconf_load_hint_plugin(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, NO_SELECT
                             "[select]\n"             /* line 7 */
                             "plugin = offplan\n"), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    expect_diag_parts(f, 0, 8, "[select] plugin: no select plugin "
                      "'offplan'", "did you mean 'offplane'?", NULL);
}

/* A composition of 160,000 [model LABEL] sections reads (in linear time:
 * the bench measures it) and the one unknown key among them is reported
 * at its line. */
static void test_runconf_load_many_sections_unknown_key(void **state)
{
    fixture_t *f = *state;
    enum { N = 160000, BAD = 123456 };
    size_t cap = (size_t)N * 40 + 256;
    char *text = malloc(cap);
    size_t len;

    assert_non_null(text);
    len = (size_t)snprintf(text, cap, "%s", HEAD SELECT GROUP);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "[model m%d]\nplugin = fake\n%s", i,
                                i == BAD ? "widht_deg = 1\n" : "");
    assert_int_equal(load(f, text), OFFBKG_ECONFIG);
    free(text);
    assert_int_equal(f->diags.n, 1);
    expect_diag(f, 0, 6 + 2 * BAD + 3, "[model m%d] widht_deg: unknown key "
                "(did you mean 'width_deg'?)", BAD);
}

static void test_runconf_load_out_of_range(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, NO_SELECT
                                "[select]\n"
                                "plugin = offplane\n"
                                "min_glat_deg = 95\n"), /* line 9 */
                     9, "[select] min_glat_deg: 95 is out of range (must "
                     "be >= 0 and < 90)");
}

static void test_runconf_load_duplicate_key(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, NO_SELECT
                                "[select]\n"
                                "plugin = offplane\n" /* line 8 */
                                "plugin = all\n"),    /* line 9 */
                     9, "[select] plugin: given twice (first at line 8)");
}

static void test_runconf_load_missing_plugin_key(void **state)
{
    fixture_t *f = *state;

    /* At the section header, where the key should be. */
    expect_only_diag(f, load(f, NO_SELECT
                                "[select]\n"          /* line 7 */
                                "min_glat_deg = 10\n"),
                     7, "[select] plugin: required key is missing");
}

static void test_runconf_load_unknown_plugin(void **state)
{
    fixture_t *f = *state;
    int st = load(f, NO_SELECT
                     "[select]\n"
                     "plugin = nosuch\n"              /* line 8 */
                     "whatever = 1\n");

    /* One message: the keys of a plugin that is not there are not
     * reported as unknown too. */
    assert_int_equal(st, OFFBKG_ECONFIG);
    assert_null(f->rc);
    assert_int_equal(f->diags.n, 1);
    expect_diag_parts(f, 0, 8, "[select] plugin: no select plugin 'nosuch'",
                      "module select_nosuch not found in ", search_env,
                      (const char *)NULL);
}

static void test_runconf_load_plugin_refused_by_loader(void **state)
{
    fixture_t *f = *state;
    char theirs[64], ours[64];
    int st = load(f, NO_SELECT
                     "[select]\n"
                     "plugin = abimajor\n");          /* line 8 */

    snprintf(theirs, sizeof theirs, "built for plugin ABI %d.0",
             OFFBKG_PLUGIN_ABI_MAJOR + 1);
    snprintf(ours, sizeof ours, "this offbkg has ABI %d.%d",
             OFFBKG_PLUGIN_ABI_MAJOR, OFFBKG_PLUGIN_ABI_MINOR);
    assert_int_equal(st, OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    /* Both versions and the module file are named. */
    expect_diag_parts(f, 0, 8, "[select] plugin: refusing select plugin "
                      "'abimajor': ", test_plugin_dir, "select_abimajor",
                      theirs, ours, (const char *)NULL);
}

static void test_runconf_load_missing_stage_sections(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, HEAD), OFFBKG_ECONFIG);
    assert_null(f->rc);
    assert_int_equal(f->diags.n, 2);
    expect_diag(f, 0, 0, "missing section [select] (e.g. plugin = "
                "offplane)");
    expect_diag(f, 1, 0, "missing section [group] (e.g. plugin = zenith)");
}

static void test_runconf_load_missing_datastore(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, SELECT GROUP MODEL), 0,
                     "[datastore] path: required key is missing");
}

static void test_runconf_load_smooth_without_model(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD
                                "[smooth x]\n"        /* line 9 */
                                "plugin = gauss1d\n"),
                     9, "[smooth x] no [model x] section to smooth");
}

static void test_runconf_load_smooth_unknown_plugin(void **state)
{
    fixture_t *f = *state;
    int st = load(f, NO_MODEL
                     "[model a]\n"
                     "plugin = fake\n"
                     "[model b]\n"
                     "plugin = fake\n"
                     "[smooth a]\n"                   /* line 11 */
                     "plugin = gauss3d\n");           /* line 12 */

    /* A smoother that does not exist is reported as unknown. */
    assert_int_equal(st, OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    expect_diag_parts(f, 0, 12, "[smooth a] plugin: no smooth plugin "
                      "'gauss3d'", search_env, (const char *)NULL);
}

/* [select LABEL] sections are more selectors, in file order after
 * [select]; their keys are checked at their own lines; a label on
 * [group] is refused. */
static void test_runconf_load_select_labels(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(load(f, GOOD
                             "[select quality]\n"   /* line 9 */
                             "plugin = quality\n"
                             "max_quality = 0\n"
                             "[select b]\n"         /* line 12 */
                             "plugin = all\n"), OFFBKG_OK);
    assert_int_equal(offbkg_runconf_n_selects(f->rc), 3);
    assert_ptr_equal(offbkg_runconf_select_at(f->rc, 0), &f->rc->select);
    assert_string_equal(offbkg_runconf_select_at(f->rc, 1)->section,
                        "select quality");
    assert_string_equal(offbkg_runconf_select_at(f->rc, 1)->label, "quality");
    assert_int_equal(offbkg_runconf_select_at(f->rc, 1)->line, 9);
    assert_string_equal(offbkg_runconf_select_at(f->rc, 1)->module->name,
                        "quality");
    assert_value(offbkg_runconf_select_at(f->rc, 1), "max_quality", "0");
    assert_int_equal(offbkg_runconf_select_at(f->rc, 2)->line, 12);
    assert_string_equal(offbkg_runconf_select_at(f->rc, 2)->module->name,
                        "all");
    offbkg_runconf_free(f->rc);
    f->rc = NULL;

    expect_only_diag(f, load(f, GOOD
                                "[select quality]\n"    /* line 9 */
                                "plugin = quality\n"
                                "max_qualty = 0\n"),   /* line 11 */
                     11, "[select quality] max_qualty: unknown key (did you "
                     "mean 'max_quality'?)");
    offbkg_diag_clear(&f->diags);
    expect_only_diag(f, load(f, GOOD
                                "[select quality]\n"    /* line 9 */
                                "plugin = quality\n"
                                "max_quality = 3\n"),  /* line 11 */
                     11, "[select quality] max_quality: '3' is not one of "
                     "any, 0, 1, 2");
    offbkg_diag_clear(&f->diags);
    expect_only_diag(f, load(f, GOOD
                                "[group extra]\n"    /* line 9 */
                                "plugin = zenith\n"),
                     9, "[group extra] only [model], [smooth], [match] and "
                     "[select] sections take a label");
}

static void test_runconf_load_bad_label_refused(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD
                                "[model Big]\n"       /* line 9 */
                                "plugin = fake\n"),
                     9, "[model Big] label 'Big' is not [a-z0-9_]+");
}

static void test_runconf_load_exclude_circles_not_triples(void **state)
{
    fixture_t *f = *state;

    expect_only_diag(f, load(f, GOOD
                                "[exclude]\n"
                                "circles_deg = 83.6, 22.0, 0.5, 10\n"),
                     10, "[exclude] circles_deg: expected RA, DEC, RADIUS "
                     "triples, got 4 numbers");
}

static void test_runconf_load_missing_file(void **state)
{
    fixture_t *f = *state;
    char missing[PATH_MAX + 16], got[PATH_MAX + 64], want[PATH_MAX + 64];

    assert_int_equal(tmp_ini_write(&f->t, ""), 0);
    f->have_file = 1;
    snprintf(missing, sizeof missing, "%s/none.ini", f->t.dir);
    assert_int_equal(offbkg_runconf_load(f->ctx, missing, NULL, 0,
                                         &f->diags, &f->rc),
                     OFFBKG_ECONFIG);
    assert_null(f->rc);
    assert_int_equal(f->diags.n, 1);
    diag_text(f, 0, got, sizeof got);
    snprintf(want, sizeof want, "%s: cannot read: No such file or "
             "directory", missing);
    assert_string_equal(got, want);
}

/* ------------------------------------------------------------------ */
/* Several mistakes                                                    */

static void test_runconf_load_five_mistakes(void **state)
{
    fixture_t *f = *state;
    static const int lines[] = { 4, 7, 10, 13, 14 };

    assert_int_equal(load(f, "[datastore]\n"
                             "path = store\n"
                             "[run]\n"
                             "threads = -1\n"              /* 4 */
                             "[select]\n"
                             "plugin = offplane\n"
                             "n_obs_mx = 3\n"              /* 7 */
                             "[group]\n"
                             "plugin = zenith\n"
                             "edges_deg = 0, 49, 49\n"     /* 10 */
                             "[model]\n"
                             "plugin = fake\n"
                             "shape = box   ; not a shape\n" /* 13 */
                             "[indx]\n"                    /* 14 */
                             "path = x\n"), OFFBKG_ECONFIG);
    assert_null(f->rc);
    assert_int_equal(f->diags.n, 5);
    offbkg_diag_sort(&f->diags);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(f->diags.items[i].line, lines[i]);
    expect_diag(f, 0, 4, "[run] threads: -1 is out of range (must be >= 0 "
                "and <= 1024)");
    expect_diag(f, 1, 7, "[select] n_obs_mx: unknown key (did you mean "
                "'n_obs_max'?)");
    expect_diag(f, 2, 10, "[group] edges_deg: items must be strictly "
                "increasing (item 3, 49, follows 49)");
    expect_diag(f, 3, 13, "[model] shape: 'box' is not one of flat, gauss, "
                "power");
    expect_diag(f, 4, 14, "[indx] unknown section (did you mean [index]?)");
}

/* ------------------------------------------------------------------ */
/* --set                                                               */

static void test_runconf_set_fixes_value(void **state)
{
    static const char *const set[] = { "select.min_glat_deg=10",
                                       "model.count = 7", NULL };
    fixture_t *f = *state;

    assert_int_equal(load_with(f, NO_SELECT
                                  "[select]\n"
                                  "plugin = offplane\n"
                                  "min_glat_deg = 95\n", set), OFFBKG_OK);
    assert_int_equal(f->diags.n, 0);
    assert_value(&f->rc->select, "min_glat_deg", "10");
    assert_value(&f->rc->models[0], "count", "7");
}

static void test_runconf_set_introduces_error(void **state)
{
    static const char *const set[] = { "group.edges_deg=0, 90, 49", NULL };
    fixture_t *f = *state;
    char got[512];

    assert_int_equal(load_with(f, GOOD, set), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    diag_text(f, 0, got, sizeof got);
    assert_string_equal(got, "--set: [group] edges_deg: items must be "
                        "strictly increasing (item 3, 49, follows 90)");
}

static void test_runconf_set_malformed(void **state)
{
    static const char *const set[] = { "nodot=1", NULL };
    fixture_t *f = *state;
    char got[512];

    assert_int_equal(load_with(f, GOOD, set), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    diag_text(f, 0, got, sizeof got);
    assert_string_equal(got, "--set: 'nodot=1': expected SECTION.KEY=VALUE");
}

static void test_runconf_set_unknown_section(void **state)
{
    static const char *const set[] = { "modle.plugin=fake", NULL };
    fixture_t *f = *state;
    char got[512];

    /* The section exists only on the command line: blame --set. */
    assert_int_equal(load_with(f, GOOD, set), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    diag_text(f, 0, got, sizeof got);
    assert_string_equal(got, "--set: [modle] unknown section (did you mean "
                        "[model]?)");
}

static void test_runconf_set_unknown_plugin(void **state)
{
    static const char *const set[] = { "select.plugin=nosuch", NULL };
    fixture_t *f = *state;
    char got[2048];

    assert_int_equal(load_with(f, GOOD, set), OFFBKG_ECONFIG);
    assert_int_equal(f->diags.n, 1);
    diag_text(f, 0, got, sizeof got);
    assert_true(strncmp(got, "--set: [select] plugin: no select plugin "
                        "'nosuch'", 48) == 0);
}

/* ------------------------------------------------------------------ */
/* The resolved configuration                                          */

/* The line of @p text that starts with @p start, into @p buf. */
static void find_line(const char *text, const char *start, char *buf,
                      size_t n)
{
    size_t len = strlen(start);

    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t line_len = nl ? (size_t)(nl - p) : strlen(p);
        if (line_len >= len && strncmp(p, start, len) == 0) {
            snprintf(buf, n, "%.*s", (int)line_len, p);
            return;
        }
        p = nl ? nl + 1 : NULL;
    }
    fail_msg("no line starting with '%s' in:\n%s", start, text);
}

static int ends_with(const char *s, const char *end)
{
    size_t a = strlen(s), b = strlen(end);
    return a >= b && strcmp(s + a - b, end) == 0;
}

static void test_runconf_format_shows_origins(void **state)
{
    static const char *const set[] = { "model.count=4", NULL };
    fixture_t *f = *state;
    char line[1024], want[PATH_MAX + 64];
    char *text;

    assert_int_equal(load_with(f, GOOD, set), OFFBKG_OK);
    text = offbkg_runconf_format(f->rc);
    assert_non_null(text);
    /* A default value... */
    find_line(text, "min_glat_deg = 5 ", line, sizeof line);
    assert_true(ends_with(line, "; default"));
    /* ...a value from the file... */
    snprintf(want, sizeof want, "path = %s/store ", f->t.real_dir);
    find_line(text, want, line, sizeof line);
    snprintf(want, sizeof want, "; %s:2", f->t.path);
    assert_true(ends_with(line, want));
    /* ...one from --set... */
    find_line(text, "count = 4 ", line, sizeof line);
    assert_true(ends_with(line, "; --set"));
    /* ...and the plugin with where it was declared and loaded from. */
    find_line(text, "plugin = offplane ", line, sizeof line);
    snprintf(want, sizeof want, "; %s:4 (select_offplane 1.0.0 from ",
             f->t.path);
    if (strstr(line, want) == NULL || strstr(line, "select_offplane") == NULL
        || !ends_with(line, ")"))
        fail_msg("plugin line '%s' lacks '%s'", line, want);
    find_line(text, "plugin = fake ", line, sizeof line);
    snprintf(want, sizeof want, "; %s:8 (model_fake 0.0.1 from ", f->t.path);
    assert_non_null(strstr(line, want));
    free(text);
}

/* ------------------------------------------------------------------ */
/* Instances                                                           */

static void test_runconf_instance_refused_by_create(void **state)
{
    fixture_t *f = *state;
    char want[PATH_MAX + 128];

    assert_int_equal(load(f, NO_MODEL
                             "[model]\n"              /* line 7 */
                             "plugin = fake\n"
                             "reject = true\n"), OFFBKG_OK);
    f->inst[0] = (offbkg_instance_t *)NULL;
    assert_int_equal(offbkg_instance_new(f->ctx, f->rc, &f->rc->models[0],
                                         &f->inst[0]), OFFBKG_EINVAL);
    assert_null(f->inst[0]);
    snprintf(want, sizeof want, "%s:7: [model] reject = true: refused on "
             "request (label none)", f->t.path);
    assert_string_equal(offbkg_error_msg(f->ctx), want);
}

static void test_runconf_instance_new_and_free(void **state)
{
    fixture_t *f = *state;
    const offbkg_group_def_t *def;

    assert_int_equal(load(f, GOOD), OFFBKG_OK);
    assert_int_equal(offbkg_instance_new(f->ctx, f->rc, &f->rc->select,
                                         &f->inst[0]), OFFBKG_OK);
    assert_int_equal(offbkg_instance_new(f->ctx, f->rc, &f->rc->group,
                                         &f->inst[1]), OFFBKG_OK);
    assert_int_equal(offbkg_instance_new(f->ctx, f->rc, &f->rc->models[0],
                                         &f->inst[2]), OFFBKG_OK);
    assert_ptr_equal(f->inst[0]->conf, &f->rc->select);
    assert_non_null(f->inst[0]->host);
    assert_non_null(f->inst[2]->state);
    /* The group instance was made from its filled config. */
    assert_int_equal(f->rc->group.module->desc->ops.group->define(
                         f->inst[1]->state, &def), OFFBKG_OK);
    assert_int_equal(def->n_axes, 1);
    assert_int_equal(def->axes[0].n_bins, 2);
    assert_true(def->axes[0].bounds[1] == 49);
    /* Freed by teardown, before the composition. */
}

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_runconf_load_good_config),
        FIXTURE_TEST(test_runconf_load_model_optional),
        FIXTURE_TEST(test_runconf_load_two_models),
        FIXTURE_TEST(test_runconf_load_index_model_reference),
        FIXTURE_TEST(test_runconf_load_exclude_circles),
        FIXTURE_TEST(test_runconf_load_unknown_section_hint),
        FIXTURE_TEST(test_runconf_load_plot),
        FIXTURE_TEST(test_runconf_load_unknown_section_no_hint),
        FIXTURE_TEST(test_runconf_load_unknown_key_hint),
        FIXTURE_TEST(test_runconf_load_unknown_host_key_hint),
        FIXTURE_TEST(test_runconf_load_hint_section_kind_with_label),
        FIXTURE_TEST(test_runconf_load_hint_host_section_with_label),
        FIXTURE_TEST(test_runconf_load_hint_key_without_unit),
        FIXTURE_TEST(test_runconf_load_hint_plugin),
        FIXTURE_TEST(test_runconf_load_many_sections_unknown_key),
        FIXTURE_TEST(test_runconf_load_out_of_range),
        FIXTURE_TEST(test_runconf_load_duplicate_key),
        FIXTURE_TEST(test_runconf_load_missing_plugin_key),
        FIXTURE_TEST(test_runconf_load_unknown_plugin),
        FIXTURE_TEST(test_runconf_load_plugin_refused_by_loader),
        FIXTURE_TEST(test_runconf_load_missing_stage_sections),
        FIXTURE_TEST(test_runconf_load_missing_datastore),
        FIXTURE_TEST(test_runconf_load_smooth_without_model),
        FIXTURE_TEST(test_runconf_load_smooth_unknown_plugin),
        FIXTURE_TEST(test_runconf_load_select_labels),
        FIXTURE_TEST(test_runconf_load_bad_label_refused),
        FIXTURE_TEST(test_runconf_load_exclude_circles_not_triples),
        FIXTURE_TEST(test_runconf_load_missing_file),
        FIXTURE_TEST(test_runconf_load_five_mistakes),
        FIXTURE_TEST(test_runconf_set_fixes_value),
        FIXTURE_TEST(test_runconf_set_introduces_error),
        FIXTURE_TEST(test_runconf_set_malformed),
        FIXTURE_TEST(test_runconf_set_unknown_section),
        FIXTURE_TEST(test_runconf_set_unknown_plugin),
        FIXTURE_TEST(test_runconf_format_shows_origins),
        FIXTURE_TEST(test_runconf_instance_refused_by_create),
        FIXTURE_TEST(test_runconf_instance_new_and_free),
    };
    const char *plugins = getenv("OFFBKG_PLUGIN_PATH");

    test_plugin_dir = getenv("OFFBKG_TEST_PLUGINS");
    if (plugins == NULL || plugins[0] == '\0' || test_plugin_dir == NULL
        || test_plugin_dir[0] == '\0') {
        printf("1..0 # SKIP OFFBKG_PLUGIN_PATH and OFFBKG_TEST_PLUGINS are "
               "not set (make check sets them to the build tree)\n");
        return 0;
    }
    /* The shipped plugins and the test-only ones (fake, abimajor). */
    snprintf(search_env, sizeof search_env, "%s:%s", plugins,
             test_plugin_dir);
    if (setenv("OFFBKG_PLUGIN_PATH", search_env, 1) != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
