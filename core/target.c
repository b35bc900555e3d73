/* SPDX-License-Identifier: BSD-3-Clause
 * Each run's own target: its position and where it came from
 * (doc/exclude.md §4). */
#include <config.h>

#include <math.h>
#include <strings.h>

#include <offbkg/geom.h>

#include "log-private.h"
#include "model-private.h"
#include "target-private.h"
#include "table-private.h"

/* A usable position: finite, |DEC| <= 90. */
static bool usable(double ra_deg, double dec_deg)
{
    return isfinite(ra_deg) && isfinite(dec_deg) && fabs(dec_deg) <= 90;
}

static offbkg_target_t found(double ra_deg, double dec_deg,
                             offbkg_target_from_t from)
{
    return (offbkg_target_t){ ra_deg, dec_deg, from };
}

offbkg_target_t offbkg_target_pick(double idx_ra_deg, double idx_dec_deg,
                                   const char *idx_object,
                                   const offbkg_run_header_t *h,
                                   const offbkg_regions_t *regions)
{
    const offbkg_target_t none = { NAN, NAN, OFFBKG_TARGET_NONE };

    if (usable(idx_ra_deg, idx_dec_deg))
        return found(idx_ra_deg, idx_dec_deg, OFFBKG_TARGET_OBS_INDEX);
    if (h == NULL)
        return (offbkg_target_t){ NAN, NAN, OFFBKG_TARGET_UNREAD };
    if (usable(h->ra_obj_deg, h->dec_obj_deg))
        return found(h->ra_obj_deg, h->dec_obj_deg, OFFBKG_TARGET_HEADER);
    /* The obs-index's name first, as for the position; a name the
     * catalogs lack falls through to the header's. */
    ptrdiff_t k = -1;
    offbkg_target_from_t from = OFFBKG_TARGET_NAME_OBS_INDEX;
    if (regions != NULL && idx_object != NULL && idx_object[0] != '\0')
        k = offbkg_exclude_find(regions, idx_object);
    if (k < 0 && regions != NULL && h->object[0] != '\0') {
        k = offbkg_exclude_find(regions, h->object);
        from = OFFBKG_TARGET_NAME_HEADER;
    }
    if (k < 0)
        return none;
    return found(regions->items[k].ra_deg, regions->items[k].dec_deg, from);
}

/* Obs-index column @p name of @p store in degrees at @p row (a unit of
 * rad converted), NaN when absent. */
static double index_deg(const offbkg_datastore_t *store, const char *name,
                        size_t row)
{
    offbkg_obs_table_t v = offbkg_table_view(&store->obs);
    const offbkg_column_t *c = offbkg_obs_table_column(&v, name);
    double x = offbkg_column_get_double(c, row);

    return c != NULL && c->unit != NULL && strcasecmp(c->unit, "rad") == 0
               ? x * (180.0 / M_PI) : x;
}

offbkg_target_t offbkg_target_of_row(const offbkg_datastore_t *store,
                                     size_t row, const offbkg_run_header_t *h,
                                     const offbkg_regions_t *regions)
{
    offbkg_obs_table_t v = offbkg_table_view(&store->obs);
    const offbkg_column_t *obj = offbkg_obs_table_column(&v, "OBJECT");
    const char *object = obj != NULL && obj->type == OFFBKG_COL_STRING
                             ? obj->str[row] : NULL;

    return offbkg_target_pick(index_deg(store, "RA_OBJ", row),
                              index_deg(store, "DEC_OBJ", row), object, h,
                              regions);
}

const char *offbkg_target_from_text(offbkg_target_from_t from)
{
    switch (from) {
    case OFFBKG_TARGET_OBS_INDEX:
        return "obs-index RA_OBJ/DEC_OBJ";
    case OFFBKG_TARGET_HEADER:
        return "events header RA_OBJ/DEC_OBJ";
    case OFFBKG_TARGET_NAME_OBS_INDEX:
        return "obs-index OBJECT in the catalogs";
    case OFFBKG_TARGET_NAME_HEADER:
        return "events header OBJECT in the catalogs";
    case OFFBKG_TARGET_UNREAD:
        return "not known: no obs-index RA_OBJ/DEC_OBJ, and the run came "
               "from the store without its header";
    case OFFBKG_TARGET_NONE:
        break;
    }
    return "none: no RA_OBJ/DEC_OBJ, and no OBJECT the catalogs name";
}

double offbkg_target_fov_deg(const offbkg_model_t *m)
{
    double fov = NAN;

    for (size_t k = 0; k < m->n_models; k++)
        for (size_t g = 0; m->models[k].cubes != NULL && g < m->n_groups;
             g++) {
            const offbkg_cube_t *c = m->models[k].cubes[g];
            double r;
            if (c == NULL || c->n_axes < 2)
                continue;
            const offbkg_axis_t *a = &c->axes[1];
            r = a->edges[a->n_bins];
            if (c->n_axes == 3) {
                const offbkg_axis_t *b = &c->axes[2];
                r = hypot(fmax(fabs(a->edges[0]), fabs(a->edges[a->n_bins])),
                          fmax(fabs(b->edges[0]), fabs(b->edges[b->n_bins])));
            }
            if (!(r <= fov))
                fov = r;
        }
    return fov;
}

void offbkg_target_check(offbkg_ctx_t *ctx,
                         const offbkg_exclude_conf_t *conf,
                         const offbkg_regions_t *regions, offbkg_model_t *m)
{
    bool own = conf != NULL && conf->targets;

    m->fov_deg = offbkg_target_fov_deg(m);
    m->n_target_open = m->n_target_unknown = m->n_target_unread = 0;
    for (size_t i = 0; i < m->n_runs; i++) {
        offbkg_run_report_t *r = &m->runs[i];
        const offbkg_target_t *t = &r->target;
        if (r->skipped != NULL)
            continue;
        /* From the store without its header: its entry was filled with
         * its target, but which one is not known here. */
        m->n_target_unread += t->from == OFFBKG_TARGET_UNREAD;
        m->n_target_unknown += t->from == OFFBKG_TARGET_NONE;
        if (t->from == OFFBKG_TARGET_NONE || t->from == OFFBKG_TARGET_UNREAD)
            continue;
        if (own || !(offbkg_sep_deg(r->ra_pnt_deg, r->dec_pnt_deg, t->ra_deg,
                                    t->dec_deg) < m->fov_deg))
            continue;
        /* Regions within 0 deg of it: those that cover it. */
        if (regions == NULL
            || offbkg_exclude_near(regions, t->ra_deg, t->dec_deg, 0, NULL)
                   == 0) {
            r->target_open = true;
            m->n_target_open++;
        }
    }
    if (m->n_target_open > 0)
        OFFBKG_WARN(ctx, "%zu run%s observed a target within %g deg of the "
                    "pointing (the models' field of view) that no exclusion "
                    "region covers: a source there biases the models "
                    "([exclude] targets = true excludes it; report.json "
                    "lists the runs)", m->n_target_open,
                    m->n_target_open == 1 ? "" : "s", m->fov_deg);
    if (own && m->n_target_unknown > 0)
        OFFBKG_WARN(ctx, "[exclude] targets: %zu run%s with no known target "
                    "position: nothing excluded for %s (report.json says "
                    "why)", m->n_target_unknown,
                    m->n_target_unknown == 1 ? "" : "s",
                    m->n_target_unknown == 1 ? "it" : "them");
}
