/* SPDX-License-Identifier: BSD-3-Clause
 * group/azimuth: an out-of-tree example grouper. It groups runs by the
 * azimuth of their pointing, AZ_PNT, in sectors that may wrap through
 * north, optionally crossed with zenith bins (ZEN_PNT).
 *
 * Why a plugin: the shipped groupers bin a column with monotonic edges,
 * so "north" (270 <= az < 360 or 0 <= az < 90) would be two groups. Here
 * the azimuth is first wrapped into [first edge, first edge + 360): with
 * the default edges -90, 90, 270 an azimuth of 350 deg becomes -10 deg,
 * and the sectors are north [-90, 90) and south [90, 270), as in old
 * gammapy's background-cube command. Group definitions written to
 * group-def.fits are those edges, on the wrapped azimuth.
 *
 * Builds against the installed headers alone: see Makefile and README. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

/* The config struct the host fills from the parameter table. */
typedef struct azimuth_config {
    offbkg_double_list_t az_edges_deg;
    offbkg_double_list_t zenith_edges_deg;
} azimuth_config_t;

/* Everything an instance needs; no static mutable state, so two
 * [group] sections (or the index step's second instance) never mix. */
typedef struct azimuth_state {
    const offbkg_host_t *host;
    double *bounds;               /* zenith edges, then azimuth edges */
    size_t n_axes;                /* 1 (azimuth) or 2 (zenith, azimuth) */
    offbkg_group_axis_t axes[2];  /* the last one is always AZ_PNT */
    offbkg_group_def_t def;
} azimuth_state_t;

static const offbkg_param_t azimuth_params[] = {
    { .name = "az_edges_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(azimuth_config_t, az_edges_deg),
      .default_value = "-90, 90, 270", .unit = "deg",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX
               | OFFBKG_PARAM_INCREASING,
      .min = -360, .max = 720, .min_items = 2,
      .help = "azimuth sector edges, spanning at most 360 deg; AZ_PNT is "
              "wrapped into [first, first + 360)" },
    { .name = "zenith_edges_deg", .type = OFFBKG_PARAM_DOUBLE_LIST,
      .offset = offsetof(azimuth_config_t, zenith_edges_deg),
      .unit = "deg",
      .flags = OFFBKG_PARAM_HAS_MIN | OFFBKG_PARAM_HAS_MAX
               | OFFBKG_PARAM_INCREASING,
      .min = 0, .max = 180, .min_items = 2,
      .help = "optional zenith bin edges (min <= ZEN_PNT < max), crossed "
              "with the azimuth sectors" },
    { 0 }
};

static void azimuth_destroy(void *state)
{
    azimuth_state_t *s = state;
    free(s->bounds);
    free(s);
}

/* An EDGES axis on @p column, its @p edges copied to @p bounds. */
static void set_axis(offbkg_group_axis_t *axis, const char *column,
                     double *bounds, const offbkg_double_list_t *edges)
{
    memcpy(bounds, edges->v, edges->n * sizeof *bounds);
    axis->column = column;
    axis->kind = OFFBKG_GROUP_AXIS_EDGES;
    axis->n_bins = edges->n - 1;
    axis->bounds = bounds;
    axis->unit = "deg";
}

static int azimuth_create(const offbkg_host_t *host, const void *config,
                          void **state)
{
    const azimuth_config_t *cfg = config;
    const offbkg_double_list_t *az = &cfg->az_edges_deg;
    const offbkg_double_list_t *zen = &cfg->zenith_edges_deg;
    azimuth_state_t *s;
    double span_deg = az->v[az->n - 1] - az->v[0];

    /* The table checks each edge; only create sees them together. Over
     * 360 deg, one azimuth would be in two sectors. */
    if (span_deg > 360)
        return host->error(host, OFFBKG_ECONFIG, "az_edges_deg span %g "
                           "deg (%g to %g); at most 360 deg", span_deg,
                           az->v[0], az->v[az->n - 1]);
    s = calloc(1, sizeof *s);
    if (s == NULL
        || (s->bounds = malloc((az->n + zen->n) * sizeof(double))) == NULL) {
        free(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    s->host = host;
    if (zen->n > 0)
        set_axis(&s->axes[s->n_axes++], "ZEN_PNT", s->bounds, zen);
    set_axis(&s->axes[s->n_axes++], "AZ_PNT", s->bounds + zen->n, az);
    s->def.n_axes = s->n_axes;
    s->def.axes = s->axes;
    *state = s;
    return OFFBKG_OK;
}

static int azimuth_define(void *state, const offbkg_group_def_t **def)
{
    *def = &((azimuth_state_t *)state)->def;
    return OFFBKG_OK;
}

/* The bin of @p v among the edges of @p axis measured from @p origin
 * (edge - origin <= v < next edge - origin), or -1. */
static long find_bin(const offbkg_group_axis_t *axis, double v,
                     double origin)
{
    for (size_t b = 0; b < axis->n_bins; b++)
        if (v >= axis->bounds[b] - origin && v < axis->bounds[b + 1] - origin)
            return (long)b;
    return -1;
}

/* How far @p az_deg lies past @p first_deg going east, in [0, 360).
 * Binning this offset rather than first + offset keeps an azimuth just
 * below the first edge from rounding onto the last edge. */
static double offset_from(double az_deg, double first_deg)
{
    double d = fmod(az_deg - first_deg, 360.0);
    if (d < 0)
        d += 360.0;
    /* A tiny negative d rounds to 360 here: it belongs just below. */
    return d < 360.0 ? d : nextafter(360.0, 0.0);
}

/* The group of one row, or -1 with *reason set. */
static int32_t group_of(const azimuth_state_t *s, const offbkg_column_t *zen,
                        const offbkg_column_t *az, size_t row,
                        const char **reason)
{
    const offbkg_group_axis_t *az_axis = &s->axes[s->n_axes - 1];
    double az_deg = offbkg_column_get_double(az, row);
    long zen_bin = 0, az_bin;

    if (zen != NULL) {
        double zen_deg = offbkg_column_get_double(zen, row);
        if (isnan(zen_deg)) {
            *reason = "ZEN_PNT is missing (NaN)";
            return -1;
        }
        if ((zen_bin = find_bin(&s->axes[0], zen_deg, 0)) < 0) {
            *reason = "ZEN_PNT outside every zenith bin";
            return -1;
        }
    }
    if (!isfinite(az_deg)) {
        *reason = "AZ_PNT is missing (NaN) or infinite";
        return -1;
    }
    az_bin = find_bin(az_axis, offset_from(az_deg, az_axis->bounds[0]),
                      az_axis->bounds[0]);
    if (az_bin < 0) {
        *reason = "AZ_PNT outside every azimuth sector";
        return -1;
    }
    /* The last axis varies fastest. */
    return (int32_t)(zen_bin * (long)az_axis->n_bins + az_bin);
}

static int azimuth_assign(void *state, const offbkg_obs_table_t *obs,
                          int32_t *group_id, const char **reason)
{
    const azimuth_state_t *s = state;
    const offbkg_column_t *az = offbkg_obs_table_column(obs, "AZ_PNT");
    const offbkg_column_t *zen = NULL;

    if (az == NULL || az->type == OFFBKG_COL_STRING)
        return s->host->error(s->host, OFFBKG_EDATA, "the observation "
                              "table has no numeric AZ_PNT column");
    if (s->n_axes == 2) {
        zen = offbkg_obs_table_column(obs, "ZEN_PNT");
        if (zen == NULL || zen->type == OFFBKG_COL_STRING)
            return s->host->error(s->host, OFFBKG_EDATA, "the observation "
                                  "table has no numeric ZEN_PNT column");
    }
    for (size_t i = 0; i < obs->n_rows; i++) {
        reason[i] = NULL;
        group_id[i] = group_of(s, zen, az, i, &reason[i]);
    }
    return OFFBKG_OK;
}

static const offbkg_group_ops_t azimuth_ops = {
    .struct_size = sizeof(offbkg_group_ops_t),
    .define = azimuth_define,
    .assign = azimuth_assign,
};

static const offbkg_plugin_t azimuth_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_GROUP,
    .name = "azimuth",
    .version = "1.0.0",
    .summary = "groups by azimuth sectors (north/south by default), "
               "optionally by zenith too",
    .params = azimuth_params,
    .config_size = sizeof(azimuth_config_t),
    .create = azimuth_create,
    .destroy = azimuth_destroy,
    .ops.group = &azimuth_ops,
};

OFFBKG_PLUGIN_DEFINE(group_azimuth, azimuth_plugin)
