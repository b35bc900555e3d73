/* SPDX-License-Identifier: BSD-3-Clause
 * Plugin instances: the plugin of a stage section created with its
 * configuration and its own host table, and how its failures are told. */
#ifndef OFFBKG_INSTANCE_PRIVATE_H
#define OFFBKG_INSTANCE_PRIVATE_H

#include "host-private.h"
#include "runconf-private.h"

/** A plugin instance: the module, its host table and its state. */
typedef struct offbkg_instance {
    const offbkg_stage_conf_t *conf;
    offbkg_host_t *host;
    void *state;
} offbkg_instance_t;

/** Create the instance of stage section @p sc (calls the plugin's
 *  create). A refusal is reported in @p ctx as
 *  "file:line: [section] message". */
int offbkg_instance_new(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                        const offbkg_stage_conf_t *sc,
                        offbkg_instance_t **out);
void offbkg_instance_free(offbkg_instance_t *inst);

/** The error of a plugin operation of section @p sc that returned @p st:
 *  "file:line: [section] plugin NAME failed: why" (the plugin's message,
 *  or offbkg_strerror(@p st)). Returns the status set. */
int offbkg_instance_failed(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                           const offbkg_stage_conf_t *sc, int st);

#endif
