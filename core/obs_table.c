/* SPDX-License-Identifier: BSD-3-Clause
 * Pure helpers on observation tables, for plugins and the host. */
#include <config.h>

#include <math.h>
#include <strings.h>

#include <offbkg/types.h>

const offbkg_column_t *offbkg_obs_table_column(const offbkg_obs_table_t *t,
                                               const char *name)
{
    for (size_t i = 0; t != NULL && i < t->n_cols; i++)
        if (strcasecmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

double offbkg_column_get_double(const offbkg_column_t *c, size_t row)
{
    if (c == NULL)
        return NAN;
    if (c->type == OFFBKG_COL_DOUBLE)
        return c->f64[row];
    if (c->type == OFFBKG_COL_INT)
        return (double)c->i64[row];
    return NAN;
}
