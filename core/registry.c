/* SPDX-License-Identifier: BSD-3-Clause
 * The plugin registry: modules <stage>_<name> found in the search path
 * ($OFFBKG_PLUGIN_PATH, [run] plugin_path, the installed plugin
 * directory or $OFFBKG_PLUGINDIR), each checked before it is used.
 *
 * Opening a module runs its code (its constructors) before any check can
 * look at it, so the registry finds the file itself, only in those
 * directories, and hands libltdl an absolute path: libltdl would
 * otherwise also search LTDL_LIBRARY_PATH, LD_LIBRARY_PATH and the
 * system directories. A .la file is read here for the name of its shared
 * object, which is opened beside it (or in its .libs in a build tree),
 * never where the .la says. A world-writable directory or module file is
 * refused unless [run] allow_unsafe_plugin_dir says otherwise: anyone
 * could put code there that offbkg would run. Modules linked into the
 * program (libtool -dlpreopen) are found first, by name. */
#define _GNU_SOURCE     /* RTLD_NOLOAD, dlinfo */
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ltdl.h>

#include "params-private.h"
#include "registry-private.h"

/* Internal results of open_checked besides the public status codes. */
#define NOT_FOUND 1
#define LOAD_FAILED 2

struct offbkg_registry {
    offbkg_ctx_t *ctx;
    char *search_path;
    size_t n;
    size_t cap;
    /* One allocation per module, so that the pointers handed out stay
     * valid when the arrays grow. */
    offbkg_module_t **mods;
    lt_dlhandle *handles;
    bool allow_unsafe;     /* [run] allow_unsafe_plugin_dir */
};

static const char *const stage_words[] = { NULL, "select", "group", "model",
                                           "smooth", "match" };

const char *offbkg_registry_stage_name(offbkg_stage_t stage)
{
    return stage >= OFFBKG_STAGE_SELECT && stage <= OFFBKG_STAGE_MATCH
               ? stage_words[stage] : NULL;
}

offbkg_stage_t offbkg_registry_stage_from_name(const char *word)
{
    for (int s = OFFBKG_STAGE_SELECT; s <= OFFBKG_STAGE_MATCH; s++)
        if (strcmp(word, stage_words[s]) == 0)
            return (offbkg_stage_t)s;
    return 0;
}

void offbkg_registry_names_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* The installed plugin directory: $OFFBKG_PLUGINDIR when set (empty: none,
 * so that a test suite searches only its build tree), else the configured
 * one. */
static const char *installed_dir(void)
{
    const char *env = getenv("OFFBKG_PLUGINDIR");
    return env != NULL ? env : OFFBKG_PLUGINDIR;
}

/* Append @p dir to the colon-separated path @p p unless it is empty. */
static void append_dir(char *p, const char *dir)
{
    if (dir == NULL || dir[0] == '\0')
        return;
    if (p[0] != '\0')
        strcat(p, ":");
    strcat(p, dir);
}

static int join_path(offbkg_registry_t *reg, const char *const *extra,
                     size_t n_extra)
{
    const char *env = getenv("OFFBKG_PLUGIN_PATH");
    const char *installed = installed_dir();
    size_t len = strlen(installed) + 1;
    char *p;

    if (env != NULL)
        len += strlen(env) + 1;
    for (size_t i = 0; i < n_extra; i++)
        len += strlen(extra[i]) + 1;
    p = reg->search_path = malloc(len);
    if (p == NULL)
        return OFFBKG_ENOMEM;
    p[0] = '\0';
    append_dir(p, env);
    for (size_t i = 0; i < n_extra; i++)
        append_dir(p, extra[i]);
    append_dir(p, installed);
    return OFFBKG_OK;
}

int offbkg_registry_new(offbkg_ctx_t *ctx, const char *const *extra_dirs,
                        size_t n_extra, offbkg_registry_t **out)
{
    offbkg_registry_t *reg = calloc(1, sizeof *reg);

    *out = NULL;
    if (reg == NULL)
        return OFFBKG_ENOMEM;
    reg->ctx = ctx;
    if (join_path(reg, extra_dirs, n_extra) != OFFBKG_OK) {
        free(reg);
        return OFFBKG_ENOMEM;
    }
    if (lt_dlinit() != 0) {
        free(reg->search_path);
        free(reg);
        return offbkg_error_set(ctx, OFFBKG_EPLUGIN,
                                "cannot initialise libltdl: %s",
                                lt_dlerror());
    }
    *out = reg;
    return OFFBKG_OK;
}

void offbkg_registry_free(offbkg_registry_t *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n; i++) {
        lt_dlclose(reg->handles[i]);
        free(reg->mods[i]->name);
        free(reg->mods[i]->module);
        free(reg->mods[i]->file);
        free(reg->mods[i]);
    }
    free(reg->mods);
    free(reg->handles);
    free(reg->search_path);
    free(reg);
    lt_dlexit();
}

const char *offbkg_registry_search_path(const offbkg_registry_t *reg)
{
    return reg->search_path;
}

void offbkg_registry_allow_unsafe(offbkg_registry_t *reg, bool allow)
{
    reg->allow_unsafe = allow;
}

/* Refuse @p path (a plugin directory, a module file) if anyone may write
 * it. Group-writable is accepted: a group is a deliberate grant. */
static bool unsafe_path(const offbkg_registry_t *reg, const char *path,
                        char *why, size_t n)
{
    struct stat sb;

    if (reg->allow_unsafe || stat(path, &sb) != 0
        || (sb.st_mode & S_IWOTH) == 0)
        return false;
    snprintf(why, n, "%.500s is world-writable: anyone could put code there "
             "that offbkg would run (chmod o-w it, or set [run] "
             "allow_unsafe_plugin_dir = true)", path);
    return true;
}

/* The value of "key='value'" in libtool archive line @p line, or NULL. */
static char *la_value(char *line, const char *key)
{
    size_t k = strlen(key);
    char *end;

    if (strncmp(line, key, k) != 0 || line[k] != '=' || line[k + 1] != '\'')
        return NULL;
    line += k + 2;
    if ((end = strchr(line, '\'')) == NULL)
        return NULL;
    *end = '\0';
    return line;
}

/* The shared object to open for module file @p file (DIR/NAME.la or
 * DIR/NAME.so) into @p so; refusals (no shared object, unsafe modes) in
 * @p why. */
static int module_object(const offbkg_registry_t *reg, const char *file,
                         char *so, size_t n, char *why, size_t wn)
{
    const char *slash = strrchr(file, '/');
    size_t dir_len = slash != NULL ? (size_t)(slash - file) : 0;
    char *line = NULL, dlname[256] = "", dir[PATH_MAX];
    size_t cap = 0;
    bool installed = true;
    FILE *fp;

    if (slash == NULL || dir_len == 0 || dir_len >= sizeof dir)
        return OFFBKG_EINVAL;
    memcpy(dir, file, dir_len);
    dir[dir_len] = '\0';
    if (unsafe_path(reg, dir, why, wn))
        return OFFBKG_EPLUGIN;
    if (strcmp(strrchr(file, '.'), ".la") != 0) {
        snprintf(so, n, "%s", file);
        return unsafe_path(reg, file, why, wn) ? OFFBKG_EPLUGIN : OFFBKG_OK;
    }
    if (unsafe_path(reg, file, why, wn))
        return OFFBKG_EPLUGIN;
    if ((fp = fopen(file, "r")) == NULL) {
        snprintf(why, wn, "%.500s: cannot read", file);
        return OFFBKG_EPLUGIN;
    }
    while (getline(&line, &cap, fp) > 0) {
        char *v;
        line[strcspn(line, "\r\n")] = '\0';
        if ((v = la_value(line, "dlname")) != NULL)
            snprintf(dlname, sizeof dlname, "%s", v);
        else if (strcmp(line, "installed=no") == 0)
            installed = false;
    }
    free(line);
    fclose(fp);
    if (dlname[0] == '\0' || strchr(dlname, '/') != NULL) {
        snprintf(why, wn, "%.500s names no shared object beside it (dlname)",
                 file);
        return OFFBKG_EPLUGIN;
    }
    /* Not installed (a build tree): libtool keeps the object in .libs. */
    snprintf(so, n, "%.*s%s/%s", (int)dir_len, file,
             installed ? "" : "/.libs", dlname);
    if (!installed) {
        char libs[PATH_MAX];
        snprintf(libs, sizeof libs, "%.*s/.libs", (int)dir_len, file);
        if (unsafe_path(reg, libs, why, wn))
            return OFFBKG_EPLUGIN;
    }
    return unsafe_path(reg, so, why, wn) ? OFFBKG_EPLUGIN : OFFBKG_OK;
}

/* @p path names an existing regular file (after symlinks). */
static bool is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The first file DIR/MODULE.la or DIR/MODULE.so in the search path into
 * @p file; false if there is none. */
static bool find_module_file(const offbkg_registry_t *reg,
                             const char *module, char *file, size_t n)
{
    const char *dir = reg->search_path;

    while (*dir != '\0') {
        size_t len = strcspn(dir, ":");
        if (len > 0)
            for (int k = 0; k < 2; k++) {
                snprintf(file, n, "%.*s/%s%s", (int)len, dir, module,
                         k == 0 ? ".la" : ".so");
                if (is_file(file))
                    return true;
            }
        dir += len + (dir[len] == ':');
    }
    return false;
}

/* A module linked into the program, by name: no file is searched for.
 * libtool -dlpreopen gives a static build the module's symbols, and
 * links a shared build with the module's shared object, which is then
 * already in memory (RTLD_NOLOAD only finds it there). */
static lt_dlhandle open_preloaded(const char *module)
{
    lt_dladvise advise;
    lt_dlhandle h = NULL;
    struct link_map *lm;
    char name[128];
    void *linked;

    if (lt_dladvise_init(&advise) != 0)
        return NULL;
    if (lt_dladvise_preload(&advise) == 0)
        h = lt_dlopenadvise(module, advise);
    lt_dladvise_destroy(&advise);
    if (h != NULL)
        return h;
    snprintf(name, sizeof name, "%s.so", module);
    if ((linked = dlopen(name, RTLD_LAZY | RTLD_NOLOAD)) == NULL)
        return NULL;
    if (dlinfo(linked, RTLD_DI_LINKMAP, &lm) == 0 && lm->l_name != NULL
        && strchr(lm->l_name, '/') != NULL)
        h = lt_dlopen(lm->l_name);
    dlclose(linked);
    return h;
}

static int valid_plugin_name(const char *name)
{
    if (name[0] == '\0' || strlen(name) > 64)
        return 0;
    for (const char *c = name; *c != '\0'; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c)
              || *c == '_'))
            return 0;
    return 1;
}

/* The size of the model ops table of ABI 1.0, which ended with finish:
 * the smallest a model plugin may declare. Members past a table's
 * struct_size are not the plugin's and are never read. */
#define MODEL_OPS_1_0_SIZE offsetof(offbkg_model_ops_t, contrib_view)

/* The model ops table @p m declares member @p member (by its struct_size)
 * and sets it. */
#define MODEL_HAS(m, member)                                                \
    ((m)->struct_size >= offsetof(offbkg_model_ops_t, member)               \
                             + sizeof (m)->member                           \
     && (m)->member != NULL)

bool offbkg_registry_model_has_store(const offbkg_plugin_t *desc)
{
    const offbkg_model_ops_t *m;

    if (desc == NULL || desc->stage != OFFBKG_STAGE_MODEL
        || (m = desc->ops.model) == NULL)
        return false;
    return MODEL_HAS(m, contrib_view) && MODEL_HAS(m, contrib_load);
}

bool offbkg_registry_model_has_sums(const offbkg_plugin_t *desc)
{
    const offbkg_model_ops_t *m;

    if (desc == NULL || desc->stage != OFFBKG_STAGE_MODEL
        || (m = desc->ops.model) == NULL)
        return false;
    return MODEL_HAS(m, contrib_view) && MODEL_HAS(m, finish_sums);
}

bool offbkg_registry_model_has_add(const offbkg_plugin_t *desc)
{
    const offbkg_model_ops_t *m;

    if (desc == NULL || desc->stage != OFFBKG_STAGE_MODEL
        || (m = desc->ops.model) == NULL)
        return false;
    return MODEL_HAS(m, contrib_add);
}

/* The ops table of a descriptor is complete for its stage. */
static const char *missing_op(const offbkg_plugin_t *d)
{
    switch (d->stage) {
    case OFFBKG_STAGE_SELECT:
        if (d->ops.select == NULL || d->ops.select->select == NULL)
            return "select";
        return NULL;
    case OFFBKG_STAGE_GROUP:
        if (d->ops.group == NULL || d->ops.group->define == NULL)
            return "define";
        if (d->ops.group->assign == NULL)
            return "assign";
        return NULL;
    case OFFBKG_STAGE_MODEL: {
        const offbkg_model_ops_t *m = d->ops.model;
        if (m == NULL || m->contrib_new == NULL)
            return "contrib_new";
        if (m->contrib_reset == NULL)
            return "contrib_reset";
        if (m->contrib_free == NULL)
            return "contrib_free";
        if (m->fill == NULL)
            return "fill";
        if (m->merge == NULL)
            return "merge";
        if (m->finish == NULL)
            return "finish";
        return NULL;
    }
    case OFFBKG_STAGE_SMOOTH:
        if (d->ops.smooth == NULL || d->ops.smooth->smooth == NULL)
            return "smooth";
        return NULL;
    case OFFBKG_STAGE_MATCH:
        if (d->ops.match == NULL)
            return "match";
        /* A plugin that shares the group models is never called. */
        if (!(d->ops.match->flags & OFFBKG_MATCH_SHARED_GROUPS)
            && (d->ops.match->prepare == NULL || d->ops.match->match == NULL))
            return d->ops.match->prepare == NULL ? "prepare" : "match";
        return NULL;
    }
    return "stage";
}

/* The struct_size of the descriptor's ops table into @p have, and the
 * least the host reads into @p need: the table as of ABI 1.0 (later
 * members are read only when struct_size covers them). False when the
 * table is missing, which missing_op reports. */
static bool ops_sizes(const offbkg_plugin_t *d, uint32_t *have, size_t *need)
{
    switch (d->stage) {
    case OFFBKG_STAGE_SELECT:
        if (d->ops.select == NULL)
            return false;
        *have = d->ops.select->struct_size;
        *need = sizeof(offbkg_select_ops_t);
        return true;
    case OFFBKG_STAGE_GROUP:
        if (d->ops.group == NULL)
            return false;
        *have = d->ops.group->struct_size;
        *need = sizeof(offbkg_group_ops_t);
        return true;
    case OFFBKG_STAGE_MODEL:
        if (d->ops.model == NULL)
            return false;
        *have = d->ops.model->struct_size;
        *need = MODEL_OPS_1_0_SIZE;
        return true;
    case OFFBKG_STAGE_SMOOTH:
        if (d->ops.smooth == NULL)
            return false;
        *have = d->ops.smooth->struct_size;
        *need = sizeof(offbkg_smooth_ops_t);
        return true;
    case OFFBKG_STAGE_MATCH:
        if (d->ops.match == NULL)
            return false;
        *have = d->ops.match->struct_size;
        *need = sizeof(offbkg_match_ops_t);
        return true;
    }
    return false;
}

/* Check a descriptor against the module it came from. On refusal writes
 * the reason (without the file name) to why. */
static int check_descriptor(const offbkg_plugin_t *d, offbkg_stage_t stage,
                            const char *name, char *why, size_t n)
{
    const char *op;
    uint32_t ops_have;
    size_t ops_need;

    if (d == NULL) {
        snprintf(why, n, "its entry point returned no descriptor");
        return OFFBKG_EPLUGIN;
    }
    if (d->abi_major != OFFBKG_PLUGIN_ABI_MAJOR) {
        snprintf(why, n, "built for plugin ABI %u.%u, but this offbkg has "
                 "ABI %u.%u (the major version must match): rebuild the "
                 "plugin against this offbkg", d->abi_major, d->abi_minor,
                 OFFBKG_PLUGIN_ABI_MAJOR, OFFBKG_PLUGIN_ABI_MINOR);
        return OFFBKG_EABI;
    }
    if (d->abi_minor > OFFBKG_PLUGIN_ABI_MINOR) {
        snprintf(why, n, "built for plugin ABI %u.%u, newer than this "
                 "offbkg's ABI %u.%u: update offbkg or rebuild the plugin",
                 d->abi_major, d->abi_minor, OFFBKG_PLUGIN_ABI_MAJOR,
                 OFFBKG_PLUGIN_ABI_MINOR);
        return OFFBKG_EABI;
    }
    if (d->struct_size < sizeof(offbkg_plugin_t)) {
        snprintf(why, n, "descriptor is %u bytes, ABI %u.%u needs %zu",
                 d->struct_size, d->abi_major, d->abi_minor,
                 sizeof(offbkg_plugin_t));
        return OFFBKG_EABI;
    }
    if (d->stage != stage) {
        const char *declared = offbkg_registry_stage_name(d->stage);
        snprintf(why, n, "declares stage '%s', but its module name says "
                 "'%s'", declared != NULL ? declared : "invalid",
                 offbkg_registry_stage_name(stage));
        return OFFBKG_EPLUGIN;
    }
    if (d->name == NULL || strcmp(d->name, name) != 0) {
        snprintf(why, n, "declares name '%s', but its module name says '%s'",
                 d->name != NULL ? d->name : "(null)", name);
        return OFFBKG_EPLUGIN;
    }
    if (d->version == NULL || d->summary == NULL || d->create == NULL
        || d->destroy == NULL) {
        snprintf(why, n, "descriptor lacks version, summary, create or "
                 "destroy");
        return OFFBKG_EPLUGIN;
    }
    if (ops_sizes(d, &ops_have, &ops_need) && ops_have < ops_need) {
        snprintf(why, n, "%s operations table is %u bytes, ABI %u.0 needs "
                 "at least %zu", offbkg_registry_stage_name(d->stage), ops_have,
                 OFFBKG_PLUGIN_ABI_MAJOR, ops_need);
        return OFFBKG_EABI;
    }
    if ((op = missing_op(d)) != NULL) {
        snprintf(why, n, "descriptor lacks the %s operation", op);
        return OFFBKG_EPLUGIN;
    }
    return offbkg_params_check_table(d->params, d->config_size, why, n);
}

static const char *handle_file(lt_dlhandle h)
{
    const lt_dlinfo *info = lt_dlgetinfo(h);
    if (info == NULL || info->filename == NULL
        || strchr(info->filename, '/') == NULL)
        return "(preloaded)";
    return info->filename;
}

static int remember(offbkg_registry_t *reg, lt_dlhandle h,
                    const offbkg_plugin_t *d, const char *module,
                    const offbkg_module_t **out)
{
    offbkg_module_t *m;

    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? 2 * reg->cap : 8;
        offbkg_module_t **mods = realloc(reg->mods, cap * sizeof *mods);
        lt_dlhandle *hs;
        if (mods == NULL)
            return OFFBKG_ENOMEM;
        reg->mods = mods;
        hs = realloc(reg->handles, cap * sizeof *hs);
        if (hs == NULL)
            return OFFBKG_ENOMEM;
        reg->handles = hs;
        reg->cap = cap;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return OFFBKG_ENOMEM;
    m->stage = d->stage;
    m->desc = d;
    m->name = strdup(d->name);
    m->module = strdup(module);
    m->file = strdup(handle_file(h));
    if (m->name == NULL || m->module == NULL || m->file == NULL) {
        free(m->name);
        free(m->module);
        free(m->file);
        free(m);
        return OFFBKG_ENOMEM;
    }
    reg->mods[reg->n] = m;
    reg->handles[reg->n++] = h;
    *out = m;
    return OFFBKG_OK;
}

/* Open @p what (a module name, found in the search path, or a module
 * file of it), check it and remember it. Returns OFFBKG_OK, NOT_FOUND,
 * LOAD_FAILED or a status with the reason in @p why, which starts with
 * the module's file when @p name_file (a scan's caller knows the file
 * already). */
static int open_checked(offbkg_registry_t *reg, const char *what,
                        const char *module, offbkg_stage_t stage,
                        const char *name, bool name_file, char *why,
                        size_t n, const offbkg_module_t **out)
{
    lt_dlhandle h = NULL;
    offbkg_plugin_entry_fn entry;
    const offbkg_plugin_t *d = NULL;
    char file[PATH_MAX], so[PATH_MAX];
    int rc;

    if (strchr(what, '/') == NULL) {
        h = open_preloaded(what);
        if (h == NULL && !find_module_file(reg, what, file, sizeof file)) {
            snprintf(why, n, "file not found");
            return NOT_FOUND;
        }
    } else {
        snprintf(file, sizeof file, "%s", what);
    }
    if (h == NULL) {
        rc = module_object(reg, file, so, sizeof so, why, n);
        if (rc != OFFBKG_OK)
            return rc;
        if (!is_file(so)) {
            snprintf(why, n, "%.500s: no such file", so);
            return LOAD_FAILED;
        }
        /* An absolute path: libltdl searches no directory for it. */
        h = lt_dlopen(so);
    }
    if (h == NULL) {
        const char *err = lt_dlerror();
        snprintf(why, n, "%s", err != NULL ? err : "unknown libltdl error");
        return LOAD_FAILED;
    }
    /* A module already loaded under another handle (same file) is the
     * same module: reuse it. */
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->mods[i]->module, module) == 0
            && strcmp(reg->mods[i]->file, handle_file(h)) == 0) {
            lt_dlclose(h);
            *out = reg->mods[i];
            return OFFBKG_OK;
        }
    *(void **)&entry = lt_dlsym(h, OFFBKG_PLUGIN_ENTRY_SYMBOL);
    if (entry == NULL) {
        snprintf(why, n, "no symbol %s_LTX_%s (not an offbkg plugin, or "
                 "built without OFFBKG_PLUGIN_DEFINE(%s, ...))", module,
                 OFFBKG_PLUGIN_ENTRY_SYMBOL, module);
        rc = OFFBKG_EPLUGIN;
    } else {
        d = entry();
        rc = check_descriptor(d, stage, name, why, n);
    }
    if (rc != OFFBKG_OK) {
        if (name_file) {
            char detail[512];
            snprintf(detail, sizeof detail, "%s", why);
            snprintf(why, n, "%s: %s", handle_file(h), detail);
        }
        lt_dlclose(h);
        return rc;
    }
    rc = remember(reg, h, d, module, out);
    if (rc != OFFBKG_OK)
        lt_dlclose(h);
    return rc;
}

int offbkg_registry_load(offbkg_registry_t *reg, offbkg_stage_t stage,
                         const char *name, const offbkg_module_t **out)
{
    const char *sname = offbkg_registry_stage_name(stage);
    char module[96], why[768];
    int rc;

    *out = NULL;
    if (sname == NULL)
        return offbkg_error_set(reg->ctx, OFFBKG_EINVAL, "invalid stage %d",
                                (int)stage);
    if (!valid_plugin_name(name))
        return offbkg_error_set(reg->ctx, OFFBKG_EINVAL,
                                "invalid plugin name '%s': names are "
                                "[a-z0-9_]+ (not paths)", name);
    for (size_t i = 0; i < reg->n; i++)
        if (reg->mods[i]->stage == stage
            && strcmp(reg->mods[i]->name, name) == 0) {
            *out = reg->mods[i];
            return OFFBKG_OK;
        }
    snprintf(module, sizeof module, "%s_%s", sname, name);
    rc = open_checked(reg, module, module, stage, name, true, why,
                      sizeof why, out);
    if (rc == OFFBKG_OK)
        return rc;
    if (rc == NOT_FOUND) {
        char **names = offbkg_registry_names(reg, stage);
        char known[512] = "";
        const char *hint = NULL;
        for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s",
                     i ? ", " : "", names[i]);
        }
        if (names != NULL)
            hint = offbkg_diag_closest_match(name, (const char *const *)names,
                                             (size_t)-1);
        rc = offbkg_error_set(reg->ctx, OFFBKG_EPLUGIN,
                              "no %s plugin '%s': module %s not found in "
                              "%s%s%s%s%s%s%s%s", sname, name, module,
                              reg->search_path,
                              known[0] ? "; known " : "",
                              known[0] ? sname : "",
                              known[0] ? " plugins: " : "", known,
                              hint ? "; did you mean '" : "",
                              hint ? hint : "", hint ? "'?" : "");
        offbkg_registry_names_free(names);
        return rc;
    }
    if (rc == OFFBKG_ENOMEM)
        return offbkg_error_set(reg->ctx, rc, "out of memory");
    if (rc == LOAD_FAILED)
        /* The file is there but does not load: usually a missing
         * dependency or an undefined symbol. */
        return offbkg_error_set(reg->ctx, rc, "cannot load %s plugin '%s' "
                                "(module %s from %s): %s; check its "
                                "dependencies with ldd", sname, name, module,
                                reg->search_path, why);
    return offbkg_error_set(reg->ctx, rc, "refusing %s plugin '%s': %s",
                            sname, name, why);
}

/* A directory entry "<stage>_<name>.la" or ".so": its module name into
 * @p module and stage, or 0. */
static offbkg_stage_t module_of_file(const char *file, char *module,
                                     size_t n)
{
    const char *dot = strrchr(file, '.');
    const char *us = strchr(file, '_');
    offbkg_stage_t stage;
    char word[16];
    size_t len;

    if (dot == NULL || us == NULL || us > dot
        || (strcmp(dot, ".la") != 0 && strcmp(dot, ".so") != 0))
        return 0;
    len = (size_t)(us - file);
    if (len >= sizeof word)
        return 0;
    memcpy(word, file, len);
    word[len] = '\0';
    stage = offbkg_registry_stage_from_name(word);
    len = (size_t)(dot - file);
    if (stage == 0 || len >= n)
        return 0;
    memcpy(module, file, len);
    module[len] = '\0';
    return valid_plugin_name(module + strlen(word) + 1) ? stage : 0;
}

typedef struct found {
    offbkg_stage_t stage;
    char *module;
    char *file;
} found_t;

static int found_order(const void *a, const void *b)
{
    const found_t *x = a, *y = b;
    if (x->stage != y->stage)
        return (int)x->stage - (int)y->stage;
    return strcmp(x->module, y->module);
}

/* Every distinct module file in the search path, first directory first;
 * a .la is preferred to a .so of the same name in one directory. */
static int list_modules(const offbkg_registry_t *reg, found_t **out,
                        size_t *n_out)
{
    char *path = strdup(reg->search_path), *save = NULL;
    found_t *f = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *n_out = 0;
    if (path == NULL)
        return OFFBKG_ENOMEM;
    for (char *dir = strtok_r(path, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save)) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t first_here = n;
        if (d == NULL)
            continue;
        while ((de = readdir(d)) != NULL) {
            char module[96];
            offbkg_stage_t stage = module_of_file(de->d_name, module,
                                                  sizeof module);
            size_t i;
            int is_la = strcmp(strrchr(de->d_name, '.') ? strrchr(de->d_name,
                               '.') : "", ".la") == 0;
            if (stage == 0)
                continue;
            for (i = 0; i < n && strcmp(f[i].module, module) != 0; i++)
                ;
            if (i < n) {
                /* Same directory: prefer the .la; earlier one: keep it. */
                if (i >= first_here && is_la) {
                    size_t len = strlen(dir) + strlen(de->d_name) + 2;
                    char *file = malloc(len);
                    if (file == NULL)
                        break;
                    snprintf(file, len, "%s/%s", dir, de->d_name);
                    free(f[i].file);
                    f[i].file = file;
                }
                continue;
            }
            if (n == cap) {
                size_t c = cap ? 2 * cap : 16;
                found_t *g = realloc(f, c * sizeof *g);
                if (g == NULL)
                    break;
                f = g;
                cap = c;
            }
            f[n].stage = stage;
            f[n].module = strdup(module);
            f[n].file = malloc(strlen(dir) + strlen(de->d_name) + 2);
            if (f[n].module == NULL || f[n].file == NULL) {
                free(f[n].module);
                free(f[n].file);
                break;
            }
            sprintf(f[n].file, "%s/%s", dir, de->d_name);
            n++;
        }
        closedir(d);
    }
    free(path);
    if (n > 0)
        qsort(f, n, sizeof *f, found_order);
    *out = f;
    *n_out = n;
    return OFFBKG_OK;
}

static void free_found(found_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].module);
        free(f[i].file);
    }
    free(f);
}

char **offbkg_registry_names(offbkg_registry_t *reg, offbkg_stage_t stage)
{
    found_t *f;
    size_t n, k = 0;
    char **names;
    size_t prefix = strlen(offbkg_registry_stage_name(stage)) + 1;

    if (list_modules(reg, &f, &n) != OFFBKG_OK)
        return NULL;
    names = calloc(n + 1, sizeof *names);
    for (size_t i = 0; names != NULL && i < n; i++)
        if (f[i].stage == stage
            && (names[k++] = strdup(f[i].module + prefix)) == NULL) {
            offbkg_registry_names_free(names);
            names = NULL;
        }
    free_found(f, n);
    return names;
}

int offbkg_registry_scan(offbkg_registry_t *reg, offbkg_scan_fn fn,
                         void *user)
{
    found_t *f;
    size_t n;
    int rc = list_modules(reg, &f, &n);

    if (rc != OFFBKG_OK)
        return offbkg_error_set(reg->ctx, rc, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const offbkg_module_t *mod = NULL;
        const char *name = f[i].module + strlen(offbkg_registry_stage_name(
                                             f[i].stage)) + 1;
        char why[768];
        rc = open_checked(reg, f[i].file, f[i].module, f[i].stage, name,
                          false, why, sizeof why, &mod);
        if (rc == OFFBKG_ENOMEM)
            break;
        if (rc == NOT_FOUND)
            snprintf(why, sizeof why, "file vanished while scanning");
        fn(user, f[i].file, rc == OFFBKG_OK ? mod : NULL, why);
        rc = OFFBKG_OK;
    }
    free_found(f, n);
    if (rc != OFFBKG_OK)
        return offbkg_error_set(reg->ctx, rc, "out of memory");
    return OFFBKG_OK;
}
