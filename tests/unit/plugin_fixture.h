/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: one instance of a shipped plugin made the way the host
 * makes it: loaded through the registry (search path
 * $OFFBKG_PLUGIN_PATH, as make check sets it), its config filled from a
 * hand-built INI section of key = value pairs, a host, create; and
 * undone again. plugin_fixture_t is a whole cmocka fixture for that; a
 * test with more state holds its own context, registry, diagnostics and
 * one plugin_inst_t. */
#ifndef OFFBKG_TESTS_PLUGIN_FIXTURE_H
#define OFFBKG_TESTS_PLUGIN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx-private.h"
#include "diag-private.h"
#include "host-private.h"
#include "ini-private.h"
#include "params-private.h"
#include "registry-private.h"
#include "inisec.h"

/* A key = value of a hand-built section; NULL key ends a list. */
typedef struct kv {
    const char *key;
    const char *value;
} kv_t;

typedef struct plugin_inst {
    const offbkg_module_t *mod;
    offbkg_ini_section_t *sec;
    void *config;
    offbkg_host_t *host;
    void *state;
} plugin_inst_t;

/* Size of a buffer that plugin_capture_warnings appends to. */
#define PLUGIN_WARNINGS_MAX 4096

/* Log sink keeping the WARN lines, "prefixmsg\n" each, in the char
 * buffer of PLUGIN_WARNINGS_MAX bytes @p user points to. */
static inline void plugin_capture_warnings(void *user,
                                           offbkg_log_level_t level,
                                           const char *prefix,
                                           const char *msg)
{
    char *buf = user;
    size_t used = strlen(buf);

    if (level != OFFBKG_LOG_WARN)
        return;
    snprintf(buf + used, PLUGIN_WARNINGS_MAX - used, "%s%s\n", prefix, msg);
}

/* A context logging to @p sink (NULL: the default) and a registry on
 * it; 0, or -1 with nothing left allocated. */
static inline int plugin_open(offbkg_ctx_t **ctx, offbkg_registry_t **reg,
                              offbkg_log_sink_fn sink, void *user)
{
    if ((*ctx = offbkg_ctx_new()) == NULL)
        return -1;
    if (sink != NULL)
        offbkg_ctx_set_log_sink(*ctx, sink, user);
    if (offbkg_registry_new(*ctx, NULL, 0, reg) != OFFBKG_OK) {
        offbkg_ctx_free(*ctx);
        *ctx = NULL;
        return -1;
    }
    return 0;
}

/* Section [@p name] holding the pairs of @p kv, keys from line 2. */
static inline offbkg_ini_section_t *plugin_section_new(const char *name,
                                                       const kv_t *kv)
{
    offbkg_ini_section_t *s;
    size_t n = 0;

    while (kv[n].key != NULL)
        n++;
    s = inisec_new(name, n);
    for (size_t i = 0; i < n; i++)
        inisec_set(s, i, kv[i].key, kv[i].value, (int)i + 2);
    return s;
}

/* Destroy the instance, its host, config and section, if any. */
static inline void plugin_inst_clear(plugin_inst_t *in)
{
    if (in->state != NULL)
        in->mod->desc->destroy(in->state);
    offbkg_host_free(in->host);
    if (in->mod != NULL && in->config != NULL)
        offbkg_params_free(in->mod->desc->params, in->config);
    inisec_free(in->sec);
    memset(in, 0, sizeof *in);
}

/* Load plugin @p stage / @p name and fill its config from @p kv (NULL:
 * defaults only) as section [stage] of t.ini; returns the fill status,
 * its problems in @p diags. */
static inline int plugin_configure(plugin_inst_t *in, offbkg_registry_t *reg,
                                   offbkg_diags_t *diags,
                                   offbkg_stage_t stage, const char *name,
                                   const kv_t *kv)
{
    const char *section = offbkg_registry_stage_name(stage);
    const offbkg_plugin_t *d;

    assert_int_equal(offbkg_registry_load(reg, stage, name, &in->mod),
                     OFFBKG_OK);
    d = in->mod->desc;
    assert_int_equal(d->stage, stage);
    assert_string_equal(d->name, name);
    if (kv != NULL)
        in->sec = plugin_section_new(section, kv);
    return offbkg_params_fill(d->params, d->config_size, in->sec, section,
                              "t.ini", 1, "/base", NULL, diags,
                              &in->config);
}

/* Create the configured instance through a host, as the host does;
 * returns create's status. */
static inline int plugin_create(plugin_inst_t *in, offbkg_ctx_t *ctx,
                                offbkg_stage_t stage, const char *name)
{
    in->host = offbkg_host_new(ctx, stage, name,
                               offbkg_registry_stage_name(stage), 1);
    assert_non_null(in->host);
    return in->mod->desc->create(in->host, in->config, &in->state);
}

/* plugin_configure, which must succeed without a problem, then
 * plugin_create; returns create's status. */
static inline int plugin_make_status(plugin_inst_t *in, offbkg_ctx_t *ctx,
                                     offbkg_registry_t *reg,
                                     offbkg_diags_t *diags,
                                     offbkg_stage_t stage, const char *name,
                                     const kv_t *kv)
{
    assert_int_equal(plugin_configure(in, reg, diags, stage, name, kv),
                     OFFBKG_OK);
    assert_int_equal(diags->n, 0);
    return plugin_create(in, ctx, stage, name);
}

/* The host's record of the plugin's last error must be @p want; reading
 * it clears it. */
static inline void plugin_assert_host_error(const char *want)
{
    char got[1024];

    snprintf(got, sizeof got, "%s", offbkg_host_last_error());
    if (strcmp(got, want) != 0)
        fail_msg("error '%s', want '%s'", got, want);
}

/* plugin_assert_host_error, and the record is empty after the read. */
static inline void plugin_assert_host_error_cleared(const char *want)
{
    plugin_assert_host_error(want);
    assert_string_equal(offbkg_host_last_error(), "");
}

/* A cmocka fixture: one instance at a time, the WARN lines it logged. */
typedef struct plugin_fixture {
    offbkg_ctx_t *ctx;
    offbkg_registry_t *reg;
    offbkg_diags_t diags;
    plugin_inst_t inst;
    char warnings[PLUGIN_WARNINGS_MAX];
} plugin_fixture_t;

static inline int plugin_fixture_setup(void **state)
{
    plugin_fixture_t *f = calloc(1, sizeof *f);

    if (f == NULL || plugin_open(&f->ctx, &f->reg, plugin_capture_warnings,
                                 f->warnings) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Drop the instance, keep the registry: a test may make several. */
static inline void plugin_fixture_unmake(plugin_fixture_t *f)
{
    plugin_inst_clear(&f->inst);
    offbkg_diag_clear(&f->diags);
    f->warnings[0] = '\0';
}

static inline int plugin_fixture_teardown(void **state)
{
    plugin_fixture_t *f = *state;

    plugin_fixture_unmake(f);
    offbkg_registry_free(f->reg);
    offbkg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* Without make check's $OFFBKG_PLUGIN_PATH no plugin loads: true, with
 * the TAP line that skips the whole program printed. */
static inline int plugin_path_unset(void)
{
    const char *path = getenv("OFFBKG_PLUGIN_PATH");

    if (path != NULL && path[0] != '\0')
        return 0;
    printf("1..0 # SKIP OFFBKG_PLUGIN_PATH is not set (make check sets "
           "it to the build tree's plugins/)\n");
    return 1;
}

#endif
