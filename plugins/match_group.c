/* SPDX-License-Identifier: BSD-3-Clause
 * match/group: each observation uses its group's model, shared by the
 * group, as without a [match] section (doc/match.md §5). The host calls
 * neither prepare nor match: the flag says it all. */
#include <config.h>

#include <stddef.h>

#include <offbkg/plugin.h>

static int group_create(const offbkg_host_t *host, const void *config,
                        void **state)
{
    (void)host;
    (void)config;
    /* Nothing to keep: a token, so the instance is not NULL. */
    static char token;
    *state = &token;
    return OFFBKG_OK;
}

static void group_destroy(void *state)
{
    (void)state;
}

static const offbkg_match_ops_t group_ops = {
    .struct_size = sizeof(offbkg_match_ops_t),
    .flags = OFFBKG_MATCH_SHARED_GROUPS,
};

static const offbkg_plugin_t group_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_MATCH,
    .name = "group",
    .version = "1.0.0",
    .summary = "one model per group, shared by its observations (the "
               "default)",
    .params = NULL,
    .config_size = 0,
    .create = group_create,
    .destroy = group_destroy,
    .ops.match = &group_ops,
};

OFFBKG_PLUGIN_DEFINE(match_group, group_plugin)
