/* SPDX-License-Identifier: BSD-3-Clause
 * Shared parts of match/nearest and match/zenith (see match_common.h). */
#include <config.h>

#include <math.h>
#include <stdio.h>

#include <offbkg/plugin.h>

#include "match_common.h"

const offbkg_column_t *mc_numeric_column(const offbkg_obs_table_t *t,
                                         const char *name)
{
    const offbkg_column_t *c = offbkg_obs_table_column(t, name);

    if (c == NULL || c->type == OFFBKG_COL_STRING)
        return NULL;
    return c;
}

const offbkg_column_t *mc_time_column(const offbkg_obs_table_t *t)
{
    const offbkg_column_t *c = mc_numeric_column(t, "LIVETIME");

    return c != NULL ? c : mc_numeric_column(t, "ONTIME");
}

double mc_angle_diff_deg(double a_deg, double b_deg)
{
    double d;

    if (!isfinite(a_deg) || !isfinite(b_deg))
        return NAN;
    d = fmod(fabs(a_deg - b_deg), 360.0);
    return d > 180.0 ? 360.0 - d : d;
}

int mc_unmatched(offbkg_match_result_t *out, offbkg_match_kind_t kind,
                 char *reason, size_t size, const char *fmt, va_list ap)
{
    vsnprintf(reason, size, fmt, ap);
    out->kind = kind;
    out->n = 0;
    out->index = NULL;
    out->weight = NULL;
    out->distance = NULL;
    out->reason = reason;
    return OFFBKG_OK;
}
