/* SPDX-License-Identifier: BSD-3-Clause
 * Plugin instances of a run's stage sections. */
#include <config.h>

#include <stdlib.h>

#include "instance-private.h"

int offbkg_instance_new(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_stage_conf_t *sc,
                        offbkg_instance_t **out)
{
    offbkg_instance_t *inst = calloc(1, sizeof *inst);
    const offbkg_plugin_t *d = sc->module->desc;
    int st;

    *out = NULL;
    if (inst == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    inst->conf = sc;
    inst->host = offbkg_host_new(ctx, sc->stage, d->name, sc->section,
                                 (uint64_t)(rc->run ? rc->run->seed : 1));
    if (inst->host == NULL) {
        free(inst);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    st = d->create(inst->host, sc->config, &inst->state);
    if (st != OFFBKG_OK) {
        const char *why = offbkg_host_last_error();
        offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                         "%s:%d: [%s] %s", rc->ini->path, sc->line,
                         sc->section, why[0] ? why : offbkg_strerror(st));
        offbkg_host_free(inst->host);
        free(inst);
        return st < 0 ? st : OFFBKG_EPLUGIN;
    }
    *out = inst;
    return OFFBKG_OK;
}

void offbkg_instance_free(offbkg_instance_t *inst)
{
    if (inst == NULL)
        return;
    inst->conf->module->desc->destroy(inst->state);
    offbkg_host_free(inst->host);
    free(inst);
}

int offbkg_instance_failed(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                           const offbkg_stage_conf_t *sc, int st)
{
    const char *why = offbkg_host_last_error();
    return offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                            "%s:%d: [%s] plugin %s failed: %s", rc->ini->path,
                            sc->line, sc->section, sc->module->name,
                            why[0] != '\0' ? why : offbkg_strerror(st));
}
