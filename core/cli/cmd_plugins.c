/* SPDX-License-Identifier: BSD-3-Clause
 * offbkg plugins and offbkg describe. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../diag-private.h"
#include "../params-private.h"
#include "../registry-private.h"
#include "../runconf-private.h"
#include "cli.h"

typedef struct listing {
    size_t n_ok;
    size_t n_refused;
} listing_t;

static void print_module(void *user, const char *file,
                         const offbkg_module_t *mod, const char *why)
{
    listing_t *l = user;
    if (mod == NULL) {
        fprintf(stderr, "offbkg: refused %s: %s\n", file, why);
        l->n_refused++;
        return;
    }
    printf("%-7s %-12s %-8s %s\n        %s\n",
           offbkg_registry_stage_name(mod->stage), mod->name,
           mod->desc->version, mod->desc->summary, mod->file);
    l->n_ok++;
}

/* A registry for the optional CONFIG argument's [run] plugin_path. */
static int open_registry(offbkg_ctx_t *ctx, const cli_options_t *opt,
                         int argc, char **argv, offbkg_runconf_t **rc,
                         offbkg_registry_t **reg)
{
    *rc = NULL;
    *reg = NULL;
    if (argc == 1) {
        offbkg_diags_t diags = { 0 };
        /* Only the search path matters here; other problems are for
         * 'offbkg check', so a config with errors still lists. */
        int st = offbkg_runconf_load(ctx, argv[0], opt->sets, opt->n_sets,
                                     &diags, rc);
        offbkg_diag_clear(&diags);
        if (st == OFFBKG_OK) {
            *reg = (*rc)->registry;
            return OFFBKG_OK;
        }
    }
    return offbkg_registry_new(ctx, NULL, 0, reg);
}

static void close_registry(offbkg_runconf_t *rc, offbkg_registry_t *reg)
{
    if (rc != NULL)
        offbkg_runconf_free(rc);
    else
        offbkg_registry_free(reg);
}

int cli_plugins(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                char **argv)
{
    offbkg_runconf_t *rc;
    offbkg_registry_t *reg;
    listing_t l = { 0 };

    if (argc > 1) {
        cli_error("plugins: expected at most one argument, CONFIG");
        return CLI_EXIT_USAGE;
    }
    if (open_registry(ctx, opt, argc, argv, &rc, &reg) != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        return CLI_EXIT_FAILED;
    }
    printf("# search path: %s\n", offbkg_registry_search_path(reg));
    if (offbkg_registry_scan(reg, print_module, &l) != OFFBKG_OK)
        cli_error("%s", offbkg_error_msg(ctx));
    if (l.n_ok == 0)
        printf("# no plugins found\n");
    close_registry(rc, reg);
    return CLI_EXIT_OK;
}

static void describe_param(const offbkg_param_t *p)
{
    char range[256];

    offbkg_params_range_text(p, range, sizeof range);
    printf("  %s (%s", p->name, offbkg_params_type_name(p->type));
    if (p->unit != NULL && p->unit[0] != '\0')
        printf(", %s", p->unit);
    printf(")\n      %s\n", p->help != NULL ? p->help : "");
    if (p->flags & OFFBKG_PARAM_REQUIRED)
        printf("      required\n");
    else
        printf("      default: %s\n",
               p->default_value != NULL && p->default_value[0] != '\0'
                   ? p->default_value : "(none)");
    if (range[0] != '\0')
        printf("      range: %s\n", range);
    if (p->flags & OFFBKG_PARAM_INCREASING)
        printf("      items strictly increasing\n");
    if (p->min_items > 0 || p->max_items > 0) {
        if (p->max_items == 0)
            printf("      at least %zu items\n", p->min_items);
        else
            printf("      %zu to %zu items\n", p->min_items, p->max_items);
    }
}

int cli_describe(offbkg_ctx_t *ctx, const cli_options_t *opt, int argc,
                 char **argv)
{
    offbkg_runconf_t *rc;
    offbkg_registry_t *reg;
    const offbkg_module_t *mod;
    const char *slash;
    char stage_word[16];
    offbkg_stage_t stage;
    int status = CLI_EXIT_OK;

    if (argc < 1 || argc > 2 || (slash = strchr(argv[0], '/')) == NULL
        || (size_t)(slash - argv[0]) >= sizeof stage_word) {
        cli_error("describe: expected STAGE/NAME [CONFIG], e.g. "
                  "select/offplane");
        return CLI_EXIT_USAGE;
    }
    memcpy(stage_word, argv[0], (size_t)(slash - argv[0]));
    stage_word[slash - argv[0]] = '\0';
    stage = offbkg_registry_stage_from_name(stage_word);
    if (stage == 0) {
        static const char *const stages[] = { "select", "group", "model",
                                              "smooth", "match", NULL };
        const char *hint = offbkg_diag_closest_match(stage_word, stages,
                                                     (size_t)-1);
        if (hint != NULL)
            cli_error("describe: unknown stage '%s' (did you mean '%s'?)",
                      stage_word, hint);
        else
            cli_error("describe: unknown stage '%s' (select, group, model, "
                      "smooth or match)", stage_word);
        return CLI_EXIT_USAGE;
    }
    /* With CONFIG, its [run] plugin_path is searched too. */
    if (open_registry(ctx, opt, argc - 1, argv + 1, &rc, &reg)
        != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        return CLI_EXIT_FAILED;
    }
    if (offbkg_registry_load(reg, stage, slash + 1, &mod) != OFFBKG_OK) {
        cli_error("%s", offbkg_error_msg(ctx));
        close_registry(rc, reg);
        return CLI_EXIT_USAGE;
    }
    printf("%s/%s %s: %s\n  module %s, plugin ABI %u.%u, from %s\n\n"
           "Keys of [%s] (besides plugin = %s):\n", stage_word,
           mod->name, mod->desc->version, mod->desc->summary, mod->module,
           mod->desc->abi_major, mod->desc->abi_minor, mod->file,
           stage_word, mod->name);
    if (stage == OFFBKG_STAGE_MODEL)
        printf("  [store]: %s\n",
               !offbkg_registry_model_has_store(mod->desc)
                   ? "not supported: no contrib_view, contrib_load "
                     "(plugin ABI 1.1)"
               : offbkg_registry_model_has_add(mod->desc)
                   ? "supported (contrib_view, contrib_load; contrib_add: "
                     "stored runs added as stored)"
                   : "supported (contrib_view, contrib_load; no "
                     "contrib_add, plugin ABI 1.3: stored runs loaded, "
                     "then merged)");
    if (stage == OFFBKG_STAGE_MODEL)
        printf("  [match] per observation: %s\n\n",
               offbkg_registry_model_has_sums(mod->desc)
                   ? "supported (finish_sums)"
                   : "not supported: no finish_sums (plugin ABI 1.2)");
    if (stage == OFFBKG_STAGE_MATCH)
        printf("  models: %s\n\n",
               mod->desc->ops.match->flags & OFFBKG_MATCH_SHARED_GROUPS
                   ? "one per group, shared by its observations"
                   : "one per target observation");
    if (mod->desc->params == NULL || mod->desc->params[0].name == NULL)
        printf("  (none)\n");
    for (const offbkg_param_t *p = mod->desc->params; p && p->name; p++)
        describe_param(p);
    close_registry(rc, reg);
    return status;
}
