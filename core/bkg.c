/* SPDX-License-Identifier: BSD-3-Clause
 * Background model files: write a cube as GADF bkg_2d / bkg_3d plus our
 * COUNTS, EXPOSURE and BKG_ERR HDUs, and read such files back. */
#include <config.h>

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fitsio.h>

#include <offbkg/geom.h>
#include <offbkg/status.h>
#include <offbkg/types.h>
#include <offbkg/version.h>

#include "bkg-private.h"
#include "ctx-private.h"
#include "finite-private.h"
#include "fitssum-private.h"
#include "input-private.h"
#include "output-private.h"
#include "provenance-private.h"
#include "table-private.h"

#define BKG_UNIT "s-1 MeV-1 sr-1"
#define GADF_DOC \
    "https://github.com/open-gamma-ray-astro/gamma-astro-data-formats"

/* The GADF column prefixes and units of each axis, by cube dimension. */
static const char *const axis_name[2][OFFBKG_CUBE_MAX_AXES] = {
    { "ENERG", "THETA", NULL },
    { "ENERG", "DETX", "DETY" },
};
static const char *const axis_unit[OFFBKG_CUBE_MAX_AXES] = {
    "TeV", "deg", "deg"
};

/* The data HDUs after BACKGROUND: EXTNAME = column name, unit, what. */
typedef struct aux_hdu {
    const char *name;
    const char *unit;
    const char *what;
} aux_hdu_t;

static const aux_hdu_t aux_hdus[] = {
    { "COUNTS", "", "events per cell" },
    { "EXPOSURE", "s", "time x non-excluded fraction per cell" },
    { "BKG_ERR", BKG_UNIT, "statistical error of BKG" },
};

/* Keywords the writer sets; extra cards may not use them. */
static const char *const reserved_keys[] = {
    "SIMPLE", "EXTEND", "XTENSION", "BITPIX", "PCOUNT", "GCOUNT", "TFIELDS",
    "EXTNAME", "HDUCLASS", "HDUDOC", "HDUVERS", "FOVALIGN", "FOVLONSG",
    "BKGTIME", "CREATOR", "DATE", "GROUP_ID", "NRUNS", "TOTTIME", "CONFIG",
    "SMOOTHER", "OFFBKGV", "DATASTOR", "CONFHASH", "CHECKSUM", "DATASUM", "LONGSTRN", "CONTINUE", "COMMENT",
    "HISTORY", "END", NULL
};
static const char *const reserved_prefixes[] = {
    "NAXIS", "TTYPE", "TFORM", "TUNIT", "TDIM", "TNULL", "TSCAL", "TZERO",
    "TDISP", "HDUCLAS", NULL
};

/* Bins per axis, with a 2D cube's missing third axis as 1 bin. */
static void cube_shape(const offbkg_cube_t *c, size_t n[3])
{
    for (size_t k = 0; k < 3; k++)
        n[k] = k < c->n_axes ? c->axes[k].n_bins : 1;
}

/* Cube order (energy slowest) to layout A (energy fastest):
 * ((i2 * n1) + i1) * n0 + ie, i.e. TDIM (n_E, n_1[, n_2]). */
/* The FITS checksum of what it writes comes with it: summed here, where
 * each value passes anyway, it costs no pass over the cells of its own
 * (a 3D model's cells outgrow the cache). */
static uint32_t cube_to_layout_a(const offbkg_cube_t *c, const double *src,
                                 double scale, double *dst)
{
    size_t n[3];
    uint32_t sum = 0;

    cube_shape(c, n);
    for (size_t ie = 0; ie < n[0]; ie++)
        for (size_t i1 = 0; i1 < n[1]; i1++) {
            uint64_t acc = 0;
            for (size_t i2 = 0; i2 < n[2]; i2++) {
                double v = scale * src[(ie * n[1] + i1) * n[2] + i2];
                dst[(i2 * n[1] + i1) * n[0] + ie] = v;
                acc = offbkg_fitssum_add_double(acc, v);
            }
            sum = offbkg_fitssum_fold(sum, acc);
        }
    return sum;
}

static void layout_a_to_cube(const offbkg_cube_t *c, const double *src,
                             double scale, double *dst)
{
    size_t n[3];

    cube_shape(c, n);
    for (size_t ie = 0; ie < n[0]; ie++)
        for (size_t i1 = 0; i1 < n[1]; i1++)
            for (size_t i2 = 0; i2 < n[2]; i2++)
                dst[(ie * n[1] + i1) * n[2] + i2] =
                    scale * src[(i2 * n[1] + i1) * n[0] + ie];
}

/* "[ie=3, ix=2, iy=1]" for a cube cell, for messages. */
static void cell_label(const offbkg_cube_t *c, size_t cell, char *buf,
                       size_t size)
{
    size_t n[3];

    cube_shape(c, n);
    if (c->n_axes == 2)
        snprintf(buf, size, "[ie=%zu, itheta=%zu]", cell / n[1],
                 cell % n[1]);
    else
        snprintf(buf, size, "[ie=%zu, ix=%zu, iy=%zu]",
                 cell / (n[1] * n[2]), cell / n[2] % n[1], cell % n[2]);
}

/* OFFBKG_EDATA naming the first cell of @p v that is not finite and >= 0. */
static int check_values(offbkg_ctx_t *ctx, const offbkg_cube_t *c,
                        const double *v, const char *what, const char *where)
{
    char label[96];

    if (v == NULL)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: the cube has no %s",
                                where, what);
    if (offbkg_finite_all_nonneg(v, c->n_cells))
        return OFFBKG_OK;
    for (size_t i = 0; i < c->n_cells; i++) {
        if (isfinite(v[i]) && v[i] >= 0)
            continue;
        cell_label(c, i, label, sizeof label);
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: %s%s is %g; a "
                                "model must be finite and >= 0", where,
                                what, label, v[i]);
    }
    return OFFBKG_OK;
}

/* OFFBKG_EDATA unless @p e holds n + 1 finite, strictly increasing edges,
 * > 0 for energy and >= 0 for offset. */
static int check_edges(offbkg_ctx_t *ctx, const char *where,
                       const char *name, const double *e, size_t n)
{
    if (e == NULL || n == 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis %s has no "
                                "bins", where, name);
    for (size_t k = 0; k <= n; k++) {
        if (!isfinite(e[k]))
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis %s: edge "
                                    "%zu is %g", where, name, k, e[k]);
        if (k > 0 && !(e[k] > e[k - 1]))
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis %s: edges "
                                    "not strictly increasing (%g then %g)",
                                    where, name, e[k - 1], e[k]);
    }
    if (strcmp(name, "ENERG") == 0 && !(e[0] > 0))
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis ENERG starts "
                                "at %g TeV; energies must be > 0", where,
                                e[0]);
    if (strcmp(name, "THETA") == 0 && e[0] < 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis THETA starts "
                                "at %g deg; offsets must be >= 0", where,
                                e[0]);
    return OFFBKG_OK;
}

static bool key_is_reserved(const char *key)
{
    for (size_t i = 0; reserved_keys[i] != NULL; i++)
        if (strcasecmp(key, reserved_keys[i]) == 0)
            return true;
    for (size_t i = 0; reserved_prefixes[i] != NULL; i++)
        if (strncasecmp(key, reserved_prefixes[i],
                        strlen(reserved_prefixes[i])) == 0)
            return true;
    return false;
}

/* An extra card's key: 1 to 8 of A-Z 0-9 - _, not one the writer sets. */
static bool key_ok(const char *key)
{
    size_t len = key != NULL ? strlen(key) : 0;
    bool ok = len >= 1 && len <= 8 && !key_is_reserved(key);

    for (size_t j = 0; ok && j < len; j++)
        ok = isupper((unsigned char)key[j]) || isdigit((unsigned char)key[j])
             || key[j] == '-' || key[j] == '_';
    return ok;
}

/* The MATCH rows: arrays given, weights and distances finite. */
static int check_match(offbkg_ctx_t *ctx, const offbkg_bkg_match_t *m,
                       const char *where)
{
    if (m->n > 0 && (m->obs_id == NULL || m->group_id == NULL
                     || m->weight == NULL || m->distance == NULL))
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu MATCH rows but "
                                "a column without an array", where, m->n);
    for (size_t i = 0; i < m->n; i++)
        if (!isfinite(m->weight[i]) || !isfinite(m->distance[i]))
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: MATCH row %zu: "
                                    "weight %g, distance %g: not finite",
                                    where, i, m->weight[i], m->distance[i]);
    return OFFBKG_OK;
}

static int check_meta(offbkg_ctx_t *ctx, const offbkg_bkg_meta_t *meta,
                      const char *where)
{
    if (meta == NULL)
        return OFFBKG_OK;
    if (meta->n_cards > 0 && meta->cards == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu extra cards "
                                "but no array", where, meta->n_cards);
    if (meta->n_history > 0 && meta->history == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu HISTORY lines "
                                "but no array", where, meta->n_history);
    for (size_t i = 0; i < meta->n_cards; i++) {
        const char *key = meta->cards[i].key;
        if (!key_ok(key) || meta->cards[i].value == NULL)
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: extra card "
                                    "%zu: key '%s' is not 1-8 characters "
                                    "of A-Z 0-9 - _, is one the writer sets "
                                    "itself, or it has no value", where, i,
                                    key != NULL ? key : "");
    }
    if (meta->n_num_cards > 0 && meta->num_cards == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu numeric cards "
                                "but no array", where, meta->n_num_cards);
    for (size_t i = 0; i < meta->n_num_cards; i++) {
        const char *key = meta->num_cards[i].key;
        if (!key_ok(key) || !isfinite(meta->num_cards[i].value))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: numeric card "
                                    "%zu: key '%s' is not 1-8 characters of "
                                    "A-Z 0-9 - _, is reserved, or its value "
                                    "is not finite", where, i,
                                    key != NULL ? key : "");
    }
    if (meta->n_int_cards > 0 && meta->int_cards == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu integer cards "
                                "but no array", where, meta->n_int_cards);
    for (size_t i = 0; i < meta->n_int_cards; i++)
        if (!key_ok(meta->int_cards[i].key))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: integer card "
                                    "%zu: key '%s' is not 1-8 characters of "
                                    "A-Z 0-9 - _, or is reserved", where, i,
                                    meta->int_cards[i].key != NULL
                                        ? meta->int_cards[i].key : "");
    if (meta->n_obs_ids > 0 && meta->obs_ids == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: %zu OBS_IDs but no "
                                "array", where, meta->n_obs_ids);
    for (size_t i = 0; i < meta->n_history; i++)
        if (meta->history[i] == NULL)
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: HISTORY line "
                                    "%zu is NULL", where, i);
    return meta->match != NULL ? check_match(ctx, meta->match, where)
                               : OFFBKG_OK;
}

/* Everything the writer refuses, checked before any file is created. */
static int check_cube(offbkg_ctx_t *ctx, const offbkg_cube_t *c,
                      const char *where, bool values_checked)
{
    size_t n_cells = 1;
    int st;

    if (c == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s: no cube", where);
    if (c->n_axes != 2 && c->n_axes != 3)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: a model cube has 2 "
                                "or 3 axes, not %zu", where, c->n_axes);
    for (size_t k = 0; k < c->n_axes; k++) {
        const offbkg_axis_t *a = &c->axes[k];
        const char *name = axis_name[c->n_axes - 2][k];

        if (a->name[0] != '\0' && strcasecmp(a->name, name) != 0)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis %zu is "
                                    "'%s'; a %zuD model has %s here", where,
                                    k, a->name, c->n_axes, name);
        if (a->unit[0] != '\0' && strcasecmp(a->unit, axis_unit[k]) != 0)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: axis %s is in "
                                    "'%s'; the writer needs %s", where, name,
                                    a->unit, axis_unit[k]);
        st = check_edges(ctx, where, name, a->edges, a->n_bins);
        if (st != OFFBKG_OK)
            return st;
        n_cells *= a->n_bins;
    }
    if (n_cells != c->n_cells)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: the cube has %zu "
                                "cells but its axes make %zu", where,
                                c->n_cells, n_cells);
    /* Unless the caller checked them, as these do (offbkg_bkg_meta_t). */
    if (!values_checked
        && ((st = check_values(ctx, c, c->rate, "rate", where)) != OFFBKG_OK
            || (st = check_values(ctx, c, c->rate_err, "rate_err", where))
                   != OFFBKG_OK
            || (st = check_values(ctx, c, c->exposure_s, "exposure", where))
                   != OFFBKG_OK
            || (st = check_values(ctx, c, c->counts, "counts", where))
                   != OFFBKG_OK))
        return st;
    if (strcasecmp(c->time_base, "ONTIME") != 0
        && strcasecmp(c->time_base, "LIVETIME") != 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: time base '%s' is "
                                "neither ONTIME nor LIVETIME", where,
                                c->time_base);
    if (c->n_axes == 3) {
        if (strcasecmp(c->fov_alignment, "RADEC") != 0
            && strcasecmp(c->fov_alignment, "ALTAZ") != 0)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: FoV alignment "
                                    "'%s' is neither RADEC nor ALTAZ",
                                    where, c->fov_alignment);
        if (c->fov_lon_sign != -1 && c->fov_lon_sign != 1)
            return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: FoV longitude "
                                    "sign %d is neither -1 nor +1", where,
                                    c->fov_lon_sign);
    }
    return OFFBKG_OK;
}

static void upper_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;

    for (; src[i] != '\0' && i + 1 < size; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = '\0';
}

/* A string card; bytes a FITS header cannot hold are escaped. */
static void write_str(fitsfile *f, const char *key, const char *value,
                      const char *comment, int *st)
{
    char *text = offbkg_provenance_fits_text(value);

    if (text == NULL) {
        *st = *st != 0 ? *st : MEMORY_ALLOCATION;
        return;
    }
    fits_write_key(f, TSTRING, key, text, comment, st);
    free(text);
}

/* A string card that may be longer than one card (LONGSTRN convention). */
static void write_long_str(fitsfile *f, const char *key, const char *value,
                           const char *comment, int *st)
{
    char *text = offbkg_provenance_fits_text(value);

    if (text == NULL) {
        *st = *st != 0 ? *st : MEMORY_ALLOCATION;
        return;
    }
    if (strlen(text) > 68)
        fits_write_key_longwarn(f, st);
    fits_write_key_longstr(f, (char *)key, text, comment, st);
    free(text);
}

/* The keywords that say how to read the cube, in every data HDU. */
static void write_convention_keys(fitsfile *f, const offbkg_cube_t *c,
                                  int *st)
{
    char value[16];

    if (c->n_axes == 3) {
        const bool altaz = strcasecmp(c->fov_alignment, "ALTAZ") == 0;
        int sign = c->fov_lon_sign;

        upper_copy(value, sizeof value, c->fov_alignment);
        write_str(f, "FOVALIGN", value, "FoV axes aligned with RA/Dec or "
                  "Alt/Az", st);
        fits_write_key(f, TINT, "FOVLONSG", &sign,
                       sign < 0 ? (altaz ? "DETX grows to decreasing az (GADF)"
                                         : "DETX grows to decreasing RA (GADF)")
                                : (altaz ? "DETX grows to increasing az"
                                         : "DETX grows to increasing RA"),
                       st);
        /* COMMENT cards hold 72 characters: one line each. */
        fits_write_comment(f, sign < 0
            ? "FOVLONSG = -1: DETX = fov_lon = -lon_off (lon_off: longitude in"
            : "FOVLONSG = +1: DETX = fov_lon = +lon_off (lon_off: longitude in",
            st);
        fits_write_comment(f, sign < 0
            ? "the pointing's offset frame), the GADF sign: gammapy >= 1.3 for"
            : "the pointing's offset frame), the sign gammapy 1.0-1.2 uses for",
            st);
        fits_write_comment(f, sign < 0 ? "RADEC, every version for ALTAZ."
                                       : "RADEC models; not the GADF sign.",
                           st);
    }
    upper_copy(value, sizeof value, c->time_base);
    write_str(f, "BKGTIME", value, "rates are per this time (offbkg)", st);
}

static void write_creator(fitsfile *f, const char *creator, int *st)
{
    write_str(f, "CREATOR", creator, "program that wrote this file", st);
    fits_write_date(f, st);
}

static void write_provenance(fitsfile *f, const offbkg_cube_t *c,
                             const offbkg_bkg_meta_t *meta, int *st)
{
    if (meta == NULL)
        return;
    if (meta->group_id >= 0) {
        int g = meta->group_id;
        fits_write_key(f, TINT, "GROUP_ID", &g, "observation group of the "
                       "model", st);
    }
    if (meta->n_runs >= 0) {
        long n = meta->n_runs;
        fits_write_key(f, TLONG, "NRUNS", &n, "runs merged into the model",
                       st);
    }
    if (isfinite(meta->total_time_s) && meta->total_time_s >= 0) {
        char comment[FLEN_COMMENT], base[sizeof c->time_base];
        double t = meta->total_time_s;
        upper_copy(base, sizeof base, c->time_base);
        snprintf(comment, sizeof comment, "[s] summed %s of the runs", base);
        fits_write_key(f, TDOUBLE, "TOTTIME", &t, comment, st);
    }
    if (meta->config_file != NULL)
        write_long_str(f, "CONFIG", meta->config_file,
                       "configuration file of the run", st);
    if (meta->config_hash != NULL)
        write_str(f, "CONFHASH", meta->config_hash, "FNV-1a 64 of the "
                  "configuration as offbkg check prints it", st);
    if (meta->datastore != NULL)
        write_long_str(f, "DATASTOR", meta->datastore, "data store of the "
                       "runs", st);
    if (meta->smoother != NULL)
        write_str(f, "SMOOTHER", meta->smoother, "smoothing applied to BKG",
                  st);
    for (size_t i = 0; i < meta->n_cards; i++) {
        const char *comment = meta->cards[i].comment;
        write_str(f, meta->cards[i].key, meta->cards[i].value,
                  comment != NULL && comment[0] != '\0' ? comment : NULL, st);
    }
    for (size_t i = 0; i < meta->n_num_cards; i++) {
        const offbkg_bkg_num_card_t *nc = &meta->num_cards[i];
        double v = nc->value;
        fits_write_key(f, TDOUBLE, nc->key, &v,
                       nc->comment != NULL && nc->comment[0] != '\0'
                           ? nc->comment : NULL, st);
    }
    for (size_t i = 0; i < meta->n_int_cards; i++) {
        const offbkg_bkg_int_card_t *ic = &meta->int_cards[i];
        LONGLONG v = (LONGLONG)ic->value;
        fits_write_key(f, TLONGLONG, ic->key, &v,
                       ic->comment != NULL && ic->comment[0] != '\0'
                           ? ic->comment : NULL, st);
    }
    if (meta->obs_ids != NULL)
        fits_write_comment(f, "OBS_IDS: the runs merged into this model",
                           st);
    if (meta->match != NULL)
        fits_write_comment(f, "MATCH: the OFF runs or group models that "
                           "made this model, with weights", st);
    for (size_t i = 0; i < meta->n_history; i++)
        fits_write_history(f, meta->history[i], st);
}

/* The OBS_IDS HDU: one row per run merged into the model. */
static void write_obs_ids(fitsfile *f, const offbkg_memfile_t *mem,
                          const offbkg_bkg_meta_t *meta, const char *creator,
                          int *st)
{
    char *ttype[] = { "OBS_ID" }, *tform[] = { "K" }, *tunit[] = { "" };

    fits_create_tbl(f, BINARY_TBL, (LONGLONG)meta->n_obs_ids, 1, ttype,
                    tform, tunit, "OBS_IDS", st);
    if (meta->n_obs_ids > 0)
        fits_write_col(f, TLONGLONG, 1, 1, 1, (LONGLONG)meta->n_obs_ids,
                       (void *)meta->obs_ids, st);
    write_creator(f, creator, st);
    fits_write_comment(f, "The runs merged into the model in BACKGROUND",
                       st);
    offbkg_fitssum_write(f, mem, st);
}

/* The MATCH HDU: one row per OFF run or group model of a
 * per-observation model. */
static void write_match(fitsfile *f, const offbkg_memfile_t *mem,
                        const offbkg_bkg_match_t *m, const char *creator,
                        int *st)
{
    char *ttype[] = { "OBS_ID", "GROUP_ID", "WEIGHT", "DISTANCE" };
    char *tform[] = { "K", "J", "D", "D" }, *tunit[] = { "", "", "", "" };
    LONGLONG n = (LONGLONG)m->n;

    fits_create_tbl(f, BINARY_TBL, n, 4, ttype, tform, tunit, "MATCH", st);
    if (n > 0) {
        fits_write_col(f, TLONGLONG, 1, 1, 1, n, (void *)m->obs_id, st);
        fits_write_col(f, TINT, 2, 1, 1, n, (void *)m->group_id, st);
        fits_write_col(f, TDOUBLE, 3, 1, 1, n, (void *)m->weight, st);
        fits_write_col(f, TDOUBLE, 4, 1, 1, n, (void *)m->distance, st);
    }
    write_creator(f, creator, st);
    fits_write_comment(f, "The OFF runs (OBS_ID) or group models (OBS_ID "
                       "-1) that made the model in BACKGROUND", st);
    offbkg_fitssum_write(f, mem, st);
}

/* One-row table @p extname: the axis columns (LO/HI) then @p colname with
 * @p values (cube order) laid out as layout A. @p buf holds n_cells.
 * The sum of its data unit (its doubles: one row, no heap, zero fill),
 * taken from the doubles as they are written. */
static uint32_t write_table(fitsfile *f, const offbkg_cube_t *c,
                            const char *extname, const char *colname,
                            const char *unit, const double *values,
                            double *buf, int *st)
{
    char names[2 * OFFBKG_CUBE_MAX_AXES + 1][FLEN_VALUE];
    char forms[2 * OFFBKG_CUBE_MAX_AXES + 1][FLEN_VALUE];
    char units[2 * OFFBKG_CUBE_MAX_AXES + 1][FLEN_VALUE];
    char *ttype[2 * OFFBKG_CUBE_MAX_AXES + 1];
    char *tform[2 * OFFBKG_CUBE_MAX_AXES + 1];
    char *tunit[2 * OFFBKG_CUBE_MAX_AXES + 1];
    long tdim[OFFBKG_CUBE_MAX_AXES];
    int n_cols = 0;
    uint32_t sum = 0;

    for (size_t k = 0; k < c->n_axes; k++) {
        const char *name = axis_name[c->n_axes - 2][k];
        for (int hi = 0; hi < 2; hi++) {
            snprintf(names[n_cols], FLEN_VALUE, "%s_%s", name,
                     hi ? "HI" : "LO");
            snprintf(forms[n_cols], FLEN_VALUE, "%zuD", c->axes[k].n_bins);
            snprintf(units[n_cols], FLEN_VALUE, "%s", axis_unit[k]);
            n_cols++;
        }
        tdim[k] = (long)c->axes[k].n_bins;
    }
    snprintf(names[n_cols], FLEN_VALUE, "%s", colname);
    snprintf(forms[n_cols], FLEN_VALUE, "%zuD", c->n_cells);
    snprintf(units[n_cols], FLEN_VALUE, "%s", unit);
    n_cols++;
    for (int i = 0; i < n_cols; i++) {
        ttype[i] = names[i];
        tform[i] = forms[i];
        tunit[i] = units[i];
    }

    fits_create_tbl(f, BINARY_TBL, 1, n_cols, ttype, tform, tunit, extname,
                    st);
    fits_write_tdim(f, n_cols, (int)c->n_axes, tdim, st);
    for (size_t k = 0; k < c->n_axes; k++) {
        const offbkg_axis_t *a = &c->axes[k];
        fits_write_col(f, TDOUBLE, (int)(2 * k + 1), 1, 1, (LONGLONG)a->n_bins,
                       a->edges, st);
        fits_write_col(f, TDOUBLE, (int)(2 * k + 2), 1, 1, (LONGLONG)a->n_bins,
                       a->edges + 1, st);
        sum = offbkg_fitssum_doubles(sum, a->edges, a->n_bins);
        sum = offbkg_fitssum_doubles(sum, a->edges + 1, a->n_bins);
    }
    sum = offbkg_fitssum_fold(sum, cube_to_layout_a(c, values, 1.0, buf));
    fits_write_col(f, TDOUBLE, n_cols, 1, 1, (LONGLONG)c->n_cells, buf, st);
    return sum;
}

static void write_model_hdu(fitsfile *f, const offbkg_memfile_t *mem,
                            const offbkg_cube_t *c,
                            const offbkg_bkg_meta_t *meta,
                            const char *creator, double *buf, int *st)
{
    const bool is3d = c->n_axes == 3;
    uint32_t data_sum = write_table(f, c, "BACKGROUND", "BKG", BKG_UNIT,
                                    c->rate, buf, st);

    write_str(f, "HDUCLASS", "GADF", "FITS file following the GADF format",
              st);
    write_str(f, "HDUDOC", GADF_DOC, NULL, st);
    write_str(f, "HDUVERS", "0.2", "GADF version", st);
    write_str(f, "HDUCLAS1", "RESPONSE", "instrument response", st);
    write_str(f, "HDUCLAS2", "BKG", "background model", st);
    write_str(f, "HDUCLAS3", "FULL-ENCLOSURE", NULL, st);
    write_str(f, "HDUCLAS4", is3d ? "BKG_3D" : "BKG_2D",
              is3d ? "(energy, DETX, DETY)" : "(energy, offset)", st);
    write_convention_keys(f, c, st);
    write_creator(f, creator, st);
    write_str(f, "OFFBKGV", offbkg_version(), "offbkg version", st);
    write_provenance(f, c, meta, st);
    fits_write_comment(f, is3d ? "BKG cell: energy fastest, TDIM = "
                                 "(n_ENERG, n_DETX, n_DETY)"
                               : "BKG cell: energy fastest, TDIM = "
                                 "(n_ENERG, n_THETA)", st);
    if (is3d)
        fits_write_comment(f, "DETX = FoV longitude (gammapy fov_lon), DETY "
                           "= FoV latitude", st);
    if (meta != NULL && meta->match != NULL)
        fits_write_comment(f, "BKG_ERR follows as an HDU of the same layout; "
                           "the counts and exposure are the runs' of MATCH",
                           st);
    else
        fits_write_comment(f, "COUNTS, EXPOSURE and BKG_ERR follow as HDUs "
                           "of the same layout", st);
    offbkg_fitssum_write_known(f, mem, data_sum, st);
}

static void write_aux_hdu(fitsfile *f, const offbkg_memfile_t *mem,
                          const offbkg_cube_t *c,
                          const aux_hdu_t *aux, const double *values,
                          const char *creator, double *buf, int *st)
{
    char comment[FLEN_COMMENT];
    uint32_t data_sum = write_table(f, c, aux->name, aux->name, aux->unit,
                                    values, buf, st);

    write_convention_keys(f, c, st);
    write_creator(f, creator, st);
    snprintf(comment, sizeof comment, "%s: %s, cells as in BACKGROUND",
             aux->name, aux->what);
    fits_write_comment(f, comment, st);
    offbkg_fitssum_write_known(f, mem, data_sum, st);
}

int offbkg_bkg_write(offbkg_ctx_t *ctx, const offbkg_cube_t *cube,
                     const offbkg_bkg_meta_t *meta, const char *path,
                     bool overwrite)
{
    const double *aux_values[3];
    char creator[FLEN_VALUE];
    offbkg_output_t out;
    double *buf;
    int st, fst = 0;

    if (path == NULL || path[0] == '\0')
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "background model: no "
                                "file name");
    if ((st = check_cube(ctx, cube, path,
                         meta != NULL && meta->values_checked)) != OFFBKG_OK
        || (st = check_meta(ctx, meta, path)) != OFFBKG_OK)
        return st;
    if (meta != NULL && meta->creator != NULL)
        snprintf(creator, sizeof creator, "%s", meta->creator);
    else
        snprintf(creator, sizeof creator, "offbkg %s", offbkg_version());

    /* gammapy logs "Ambiguous axes order" when the axes shape equals its
     * reverse; layout A still reads correctly, so this only warns. */
    if (cube->axes[0].n_bins == cube->axes[cube->n_axes - 1].n_bins)
        OFFBKG_WARN(ctx, "%s: n_ENERG = n_%s = %zu: gammapy will log "
                    "'Ambiguous axes order' (the file is still read "
                    "correctly)", path, axis_name[cube->n_axes - 2]
                    [cube->n_axes - 1], cube->axes[0].n_bins);

    buf = malloc(cube->n_cells * sizeof *buf);
    if (buf == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = offbkg_output_fits(ctx, path, overwrite, &out);
    if (st != OFFBKG_OK) {
        free(buf);
        return st;
    }

    fits_create_img(out.fits, BYTE_IMG, 0, NULL, &fst);
    write_creator(out.fits, creator, &fst);
    offbkg_fitssum_write(out.fits, out.mem, &fst);
    write_model_hdu(out.fits, out.mem, cube, meta, creator, buf, &fst);
    aux_values[0] = cube->counts;
    aux_values[1] = cube->exposure_s;
    aux_values[2] = cube->rate_err;
    /* A per-observation model keeps BKG_ERR only: its counts and
     * exposure are sums over the runs its MATCH HDU lists (doc/match.md
     * §6), and (BKG / BKG_ERR)^2 is its effective number of counts. Two
     * fewer dense HDUs halve the cost of writing a model per run. */
    for (size_t i = meta != NULL && meta->match != NULL ? 2 : 0; i < 3; i++)
        write_aux_hdu(out.fits, out.mem, cube, &aux_hdus[i], aux_values[i],
                      creator, buf, &fst);
    if (meta != NULL && meta->obs_ids != NULL)
        write_obs_ids(out.fits, out.mem, meta, creator, &fst);
    if (meta != NULL && meta->match != NULL)
        write_match(out.fits, out.mem, meta->match, creator, &fst);
    free(buf);
    if (fst != 0) {
        st = offbkg_error_fits(ctx, fst, "%s: cannot write the background "
                               "model", path);
        offbkg_output_abort(&out);
        return st;
    }
    return offbkg_output_commit(ctx, &out);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/* A unit's factor to TeV (energy) or deg (angle); 0 if unknown. */
static double unit_factor(const char *unit, bool energy)
{
    static const struct { const char *name; double f; } e[] = {
        { "TeV", 1.0 }, { "GeV", 1e-3 }, { "MeV", 1e-6 }, { "keV", 1e-9 },
    };
    static const struct { const char *name; double f; } a[] = {
        { "deg", 1.0 }, { "rad", 180.0 / M_PI }, { "arcmin", 1.0 / 60 },
    };

    if (energy) {
        for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
            if (strcmp(unit, e[i].name) == 0)
                return e[i].f;
    } else {
        for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
            if (strcmp(unit, a[i].name) == 0)
                return a[i].f;
    }
    return 0;
}

/* The factor from @p unit to s-1 MeV-1 sr-1: 1 with *assumed set when the
 * unit is empty or not in our small grammar (gammapy then assumes
 * s-1 MeV-1 sr-1 too); 0 when it parses but is not a rate per energy,
 * time and solid angle. Grammar: tokens NAME[^|**]EXP separated by
 * blanks, '.' or '*'. */
static double rate_unit_factor(const char *unit, bool *assumed)
{
    static const struct { const char *name; int dim; double mev; } known[] = {
        { "s", 0, 1 }, { "sr", 1, 1 }, { "TeV", 2, 1e6 }, { "GeV", 2, 1e3 },
        { "MeV", 2, 1 }, { "keV", 2, 1e-3 }, { "eV", 2, 1e-6 },
        { "min", 3, 1 }, { "h", 3, 1 }, { "deg", 3, 1 }, { "cm", 3, 1 },
        { "m", 3, 1 }, { "erg", 3, 1 }, { "ct", 3, 1 }, { "count", 3, 1 },
    };
    int power[4] = { 0, 0, 0, 0 };
    double factor = 1;
    const char *p = unit;
    bool any = false;

    *assumed = false;
    for (;;) {
        char name[16];
        size_t len = 0;
        long exp = 1;
        size_t i;

        while (*p == ' ' || *p == '.' || *p == '*')
            p++;
        if (*p == '\0')
            break;
        while (isalpha((unsigned char)*p) && len + 1 < sizeof name)
            name[len++] = *p++;
        name[len] = '\0';
        if (p[0] == '^')
            p++;
        else if (p[0] == '*' && p[1] == '*')
            p += 2;
        if (*p == '-' || *p == '+' || isdigit((unsigned char)*p)) {
            char *end;
            exp = strtol(p, &end, 10);
            if (end == p)
                break;
            p = end;
        }
        if (len == 0 || (*p != '\0' && *p != ' ' && *p != '.' && *p != '*'))
            break;
        for (i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strcmp(name, known[i].name) == 0)
                break;
        if (i == sizeof known / sizeof known[0])
            break;
        power[known[i].dim] += (int)exp;
        if (known[i].dim == 2)
            factor *= pow(known[i].mev, (double)exp);
        any = true;
    }
    if (!any || *p != '\0') {
        *assumed = true;
        return 1;
    }
    if (power[0] != -1 || power[1] != -1 || power[2] != -1 || power[3] != 0)
        return 0;
    return factor;
}

static bool has_column(fitsfile *f, const char *name, int *col)
{
    int st = 0;

    if (fits_get_colnum(f, CASEINSEN, (char *)name, col, &st) == 0)
        return true;
    fits_clear_errmsg();
    return false;
}

/* Move to the model HDU: EXTNAME BACKGROUND, else the first binary table
 * with a BKG or BGD column. */
static int find_model_hdu(offbkg_ctx_t *ctx, fitsfile *f, const char *path)
{
    int st = 0, n_hdus = 0, col;

    if (fits_movnam_hdu(f, BINARY_TBL, "BACKGROUND", 0, &st) == 0)
        return OFFBKG_OK;
    st = 0;
    fits_clear_errmsg();
    fits_get_num_hdus(f, &n_hdus, &st);
    for (int i = 2; st == 0 && i <= n_hdus; i++) {
        int type;
        if (fits_movabs_hdu(f, i, &type, &st) == 0 && type == BINARY_TBL
            && (has_column(f, "BKG", &col) || has_column(f, "BGD", &col)))
            return OFFBKG_OK;
    }
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s: cannot read", path);
    return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: no BACKGROUND HDU and "
                            "no table with a BKG column", path);
}

static void read_unit(fitsfile *f, int col, char *unit, int *st)
{
    char key[FLEN_KEYWORD];
    int kst = 0;

    unit[0] = '\0';
    fits_make_keyn("TUNIT", col, key, st);
    if (fits_read_key(f, TSTRING, key, unit, NULL, &kst) != 0) {
        unit[0] = '\0';
        fits_clear_errmsg();
    }
}

/* Read axis @p name (its _LO and _HI columns, row 1) of the current HDU
 * into *edges (n + 1, malloc'd), converted to TeV or deg. */
static int read_axis(offbkg_ctx_t *ctx, fitsfile *f, const char *where,
                     const char *name, bool energy, size_t *n_bins,
                     double **edges)
{
    char col_name[FLEN_VALUE], unit[FLEN_VALUE];
    int col_lo, col_hi, type, st = 0;
    long rep_lo = 0, rep_hi = 0, width;
    double *lo = NULL, *hi = NULL, *e = NULL, factor;
    int status = OFFBKG_OK;

    snprintf(col_name, sizeof col_name, "%s_LO", name);
    if (!has_column(f, col_name, &col_lo))
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: no column %s",
                                where, col_name);
    snprintf(col_name, sizeof col_name, "%s_HI", name);
    if (!has_column(f, col_name, &col_hi))
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: no column %s",
                                where, col_name);
    fits_get_coltype(f, col_lo, &type, &rep_lo, &width, &st);
    fits_get_coltype(f, col_hi, &type, &rep_hi, &width, &st);
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s: axis %s", where, name);
    if (rep_lo < 1 || rep_lo != rep_hi)
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: %s_LO and %s_HI "
                                "have %ld and %ld values", where, name, name,
                                rep_lo, rep_hi);
    lo = malloc((size_t)rep_lo * sizeof *lo);
    hi = malloc((size_t)rep_lo * sizeof *hi);
    e = malloc(((size_t)rep_lo + 1) * sizeof *e);
    if (lo == NULL || hi == NULL || e == NULL) {
        status = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    fits_read_col(f, TDOUBLE, col_lo, 1, 1, rep_lo, NULL, lo, NULL, &st);
    fits_read_col(f, TDOUBLE, col_hi, 1, 1, rep_lo, NULL, hi, NULL, &st);
    read_unit(f, col_lo, unit, &st);
    if (st != 0) {
        status = offbkg_error_fits(ctx, st, "%s: axis %s", where, name);
        goto done;
    }
    if (unit[0] == '\0') {
        OFFBKG_WARN(ctx, "%s: axis %s has no unit; assuming %s", where, name,
                    energy ? "TeV" : "deg");
        factor = 1;
    } else if ((factor = unit_factor(unit, energy)) == 0) {
        status = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: axis %s: unit "
                                  "'%s' is not %s", where, name, unit,
                                  energy ? "TeV, GeV, MeV or keV"
                                         : "deg, rad or arcmin");
        goto done;
    }
    /* gammapy reads LO == HI as nodes, not edges: not a binned model. */
    bool nodes = true;
    for (long k = 0; k < rep_lo && nodes; k++)
        nodes = fabs(hi[k] - lo[k]) <= 1e-10 * fabs(hi[k]);
    if (nodes) {
        status = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: axis %s is given "
                                  "as nodes (LO == HI), not bins; not "
                                  "supported", where, name);
        goto done;
    }
    for (long k = 0; k + 1 < rep_lo; k++) {
        double tol = 1e-6 * (fabs(hi[k] - lo[k]) + fabs(hi[k]));
        if (!(fabs(hi[k] - lo[k + 1]) <= tol)) {
            status = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: axis %s: bins "
                                      "not contiguous (%s_HI[%ld] = %g, "
                                      "%s_LO[%ld] = %g)", where, name, name,
                                      k, hi[k], name, k + 1, lo[k + 1]);
            goto done;
        }
    }
    for (long k = 0; k < rep_lo; k++)
        e[k] = lo[k] * factor;
    e[rep_lo] = hi[rep_lo - 1] * factor;
    status = check_edges(ctx, where, name, e, (size_t)rep_lo);
    if (status != OFFBKG_OK)
        goto done;
    *n_bins = (size_t)rep_lo;
    *edges = e;
    e = NULL;
done:
    free(lo);
    free(hi);
    free(e);
    return status;
}

/* Read the cell of column @p colname (row 1) into @p dst in cube order,
 * times @p scale, choosing the layout as gammapy does (doc/domain.md §5.2). */
static int read_cell(offbkg_ctx_t *ctx, fitsfile *f, const char *where,
                     const char *colname, const offbkg_cube_t *c,
                     double scale, double *dst)
{
    long tdim[8], rep, width;
    int col, type, naxes = 0, st = 0;
    bool layout_a = true, layout_c = true;
    double *buf;

    if (!has_column(f, colname, &col))
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: no column %s", where,
                                colname);
    fits_get_coltype(f, col, &type, &rep, &width, &st);
    fits_read_tdim(f, col, 8, &naxes, tdim, &st);
    if (st != 0)
        return offbkg_error_fits(ctx, st, "%s: column %s", where, colname);
    if (rep < 0 || (size_t)rep != c->n_cells)
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: column %s has %ld "
                                "values; the axes make %zu", where, colname,
                                rep, c->n_cells);
    /* gammapy compares the shape, fastest axis first as TDIM lists it,
     * with (n_E, n_1[, n_2]) and, failing that, with its reverse. */
    if (naxes != (int)c->n_axes) {
        layout_a = layout_c = false;
    } else {
        for (size_t k = 0; k < c->n_axes; k++) {
            layout_a = layout_a && (size_t)tdim[k] == c->axes[k].n_bins;
            layout_c = layout_c && (size_t)tdim[k]
                                       == c->axes[c->n_axes - 1 - k].n_bins;
        }
    }
    if (!layout_a && !layout_c) {
        char dims[96], want[64];
        size_t len = 0;

        dims[0] = '\0';
        for (int k = 0; k < naxes && len < sizeof dims - 24; k++)
            len += (size_t)snprintf(dims + len, sizeof dims - len, "%s%ld",
                                    k > 0 ? "," : "", tdim[k]);
        if (c->n_axes == 2)
            snprintf(want, sizeof want, "(%zu,%zu)", c->axes[0].n_bins,
                     c->axes[1].n_bins);
        else
            snprintf(want, sizeof want, "(%zu,%zu,%zu)", c->axes[0].n_bins,
                     c->axes[1].n_bins, c->axes[2].n_bins);
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: column %s has TDIM "
                                "(%s), which is neither %s (energy fastest) "
                                "nor its reverse", where, colname, dims,
                                want);
    }
    buf = malloc(c->n_cells * sizeof *buf);
    if (buf == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    fits_read_col(f, TDOUBLE, col, 1, 1, rep, NULL, buf, NULL, &st);
    if (st != 0) {
        free(buf);
        return offbkg_error_fits(ctx, st, "%s: column %s", where, colname);
    }
    if (layout_a) {
        if (layout_c && c->n_cells > 1)
            OFFBKG_DEBUG(ctx, "%s: axes shape equals its reverse; reading "
                         "energy fastest, as gammapy does", where);
        layout_a_to_cube(c, buf, scale, dst);
    } else {
        /* energy slowest: the cube's own order */
        for (size_t i = 0; i < c->n_cells; i++)
            dst[i] = scale * buf[i];
    }
    free(buf);
    return OFFBKG_OK;
}

/* A string keyword, upper-cased, or @p dflt when absent. */
static void read_key_upper(fitsfile *f, const char *key, const char *dflt,
                           char *dst, size_t size)
{
    char value[FLEN_VALUE];
    int st = 0;

    if (fits_read_key(f, TSTRING, key, value, NULL, &st) != 0) {
        fits_clear_errmsg();
        snprintf(value, sizeof value, "%s", dflt);
    }
    upper_copy(dst, size, value);
}

static int read_conventions(offbkg_ctx_t *ctx, fitsfile *f, const char *where,
                            offbkg_cube_t *c)
{
    int st = 0, sign = -1;

    read_key_upper(f, "BKGTIME", "ONTIME", c->time_base,
                   sizeof c->time_base);
    if (strcmp(c->time_base, "ONTIME") != 0
        && strcmp(c->time_base, "LIVETIME") != 0)
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: BKGTIME '%s' is "
                                "neither ONTIME nor LIVETIME", where,
                                c->time_base);
    if (c->n_axes == 2)
        return OFFBKG_OK;
    read_key_upper(f, "FOVALIGN", "RADEC", c->fov_alignment,
                   sizeof c->fov_alignment);
    if (strcmp(c->fov_alignment, "RADEC") != 0
        && strcmp(c->fov_alignment, "ALTAZ") != 0)
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: FOVALIGN '%s' is "
                                "neither RADEC nor ALTAZ", where,
                                c->fov_alignment);
    if (fits_read_key(f, TINT, "FOVLONSG", &sign, NULL, &st) != 0) {
        if (st != KEY_NO_EXIST)
            return offbkg_error_fits(ctx, st, "%s: FOVLONSG", where);
        fits_clear_errmsg();
        sign = -1;
    }
    if (sign != -1 && sign != 1)
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: FOVLONSG = %d is "
                                "neither -1 nor +1", where, sign);
    c->fov_lon_sign = sign;
    return OFFBKG_OK;
}

/* The axes of the current HDU into a new cube with names and units. */
static int read_axes(offbkg_ctx_t *ctx, fitsfile *f, const char *where,
                     offbkg_cube_t **out)
{
    double *edges[OFFBKG_CUBE_MAX_AXES] = { NULL, NULL, NULL };
    size_t n_bins[OFFBKG_CUBE_MAX_AXES] = { 0, 0, 0 };
    size_t n_axes;
    int col, status = OFFBKG_OK;
    offbkg_cube_t *c = NULL;

    if (has_column(f, "THETA_LO", &col))
        n_axes = 2;
    else if (has_column(f, "DETX_LO", &col) && has_column(f, "DETY_LO", &col))
        n_axes = 3;
    else
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: neither THETA_LO "
                                "nor DETX_LO and DETY_LO columns", where);
    for (size_t k = 0; k < n_axes && status == OFFBKG_OK; k++)
        status = read_axis(ctx, f, where, axis_name[n_axes - 2][k], k == 0,
                           &n_bins[k], &edges[k]);
    if (status == OFFBKG_OK) {
        c = offbkg_cube_new(n_axes, n_bins);
        if (c == NULL)
            status = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n_axes; k++) {
        if (c != NULL) {
            snprintf(c->axes[k].name, sizeof c->axes[k].name, "%s",
                     axis_name[n_axes - 2][k]);
            snprintf(c->axes[k].unit, sizeof c->axes[k].unit, "%s",
                     axis_unit[k]);
            memcpy(c->axes[k].edges, edges[k],
                   (n_bins[k] + 1) * sizeof(double));
        }
        free(edges[k]);
    }
    *out = c;
    return status;
}

/* OFFBKG_EFITS unless the current HDU's axes equal the model's. */
static int check_same_axes(offbkg_ctx_t *ctx, fitsfile *f, const char *where,
                           const offbkg_cube_t *model)
{
    offbkg_cube_t *c = NULL;
    int status = read_axes(ctx, f, where, &c);

    if (status != OFFBKG_OK)
        return status;
    if (c->n_axes != model->n_axes)
        status = OFFBKG_EFITS;
    for (size_t k = 0; status == OFFBKG_OK && k < c->n_axes; k++) {
        const offbkg_axis_t *a = &c->axes[k], *b = &model->axes[k];
        if (a->n_bins != b->n_bins) {
            status = OFFBKG_EFITS;
            break;
        }
        for (size_t j = 0; j <= a->n_bins; j++)
            if (!(fabs(a->edges[j] - b->edges[j])
                  <= 1e-9 * (fabs(a->edges[j]) + fabs(b->edges[j]))))
                status = OFFBKG_EFITS;
    }
    offbkg_cube_free(c);
    if (status != OFFBKG_OK)
        return offbkg_error_set(ctx, status, "%s: axes differ from those of "
                                "the background model", where);
    return OFFBKG_OK;
}

static void fill_solid_angle(offbkg_cube_t *c)
{
    size_t n[3];

    cube_shape(c, n);
    for (size_t i1 = 0; i1 < n[1]; i1++) {
        const double *e1 = c->axes[1].edges;
        for (size_t i2 = 0; i2 < n[2]; i2++) {
            double sr;
            if (c->n_axes == 2) {
                sr = offbkg_solid_angle_annulus_sr(e1[i1], e1[i1 + 1]);
            } else {
                const double *e2 = c->axes[2].edges;
                sr = offbkg_solid_angle_lonlat_sr(e1[i1], e1[i1 + 1],
                                                  e2[i2], e2[i2 + 1]);
            }
            for (size_t ie = 0; ie < n[0]; ie++)
                c->solid_angle_sr[(ie * n[1] + i1) * n[2] + i2] = sr;
        }
    }
}

static int read_model(offbkg_ctx_t *ctx, fitsfile *f, const char *path,
                      offbkg_cube_t **out)
{
    char where[FLEN_FILENAME + FLEN_VALUE + 8], extname[FLEN_VALUE];
    char unit[FLEN_VALUE];
    const char *bkg_col;
    offbkg_cube_t *c = NULL;
    int col, st = 0, status;
    bool assumed;
    double scale;

    if (fits_read_key(f, TSTRING, "EXTNAME", extname, NULL, &st) != 0) {
        fits_clear_errmsg();
        snprintf(extname, sizeof extname, "(no EXTNAME)");
    }
    snprintf(where, sizeof where, "%s[%s]", path, extname);
    status = read_axes(ctx, f, where, &c);
    if (status != OFFBKG_OK)
        return status;
    /* CTA 1DC names the column BGD; gammapy accepts both. */
    bkg_col = has_column(f, "BKG", &col) ? "BKG" : "BGD";
    if (!has_column(f, bkg_col, &col)) {
        offbkg_cube_free(c);
        return offbkg_error_set(ctx, OFFBKG_EFITS, "%s: no BKG or BGD "
                                "column", where);
    }
    st = 0;
    read_unit(f, col, unit, &st);
    scale = rate_unit_factor(unit, &assumed);
    if (assumed)
        OFFBKG_WARN(ctx, "%s: unit '%s' of %s not understood; assuming "
                    BKG_UNIT, where, unit, bkg_col);
    if (scale == 0)
        status = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: unit '%s' of %s "
                                  "is not a rate per energy, time and solid "
                                  "angle", where, unit, bkg_col);
    if (status == OFFBKG_OK)
        status = read_cell(ctx, f, where, bkg_col, c, scale, c->rate);
    if (status == OFFBKG_OK)
        status = read_conventions(ctx, f, where, c);
    if (status == OFFBKG_OK)
        status = check_values(ctx, c, c->rate, bkg_col, where);
    if (status != OFFBKG_OK) {
        offbkg_cube_free(c);
        return status;
    }
    *out = c;
    return OFFBKG_OK;
}

int offbkg_bkg_read(offbkg_ctx_t *ctx, const char *path, offbkg_cube_t **out)
{
    double *aux_values[3];
    char where[FLEN_FILENAME + 16];
    offbkg_cube_t *c = NULL;
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    int st = 0, status;

    if (path == NULL || out == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "background model: no "
                                "file name or no output");
    if ((status = offbkg_input_open(ctx, path, NULL, 0, &mem, &f))
        != OFFBKG_OK)
        return offbkg_error_push(ctx, status, "cannot open the model");
    status = find_model_hdu(ctx, f, path);
    /* Every axis and cell read is then within the file's bytes. */
    if (status == OFFBKG_OK)
        status = offbkg_table_check_rows(ctx, f, path);
    if (status == OFFBKG_OK)
        status = read_model(ctx, f, path, &c);

    aux_values[0] = c != NULL ? c->counts : NULL;
    aux_values[1] = c != NULL ? c->exposure_s : NULL;
    aux_values[2] = c != NULL ? c->rate_err : NULL;
    for (size_t i = 0; i < 3 && status == OFFBKG_OK; i++) {
        const aux_hdu_t *aux = &aux_hdus[i];
        char unit[FLEN_VALUE];
        int col;

        st = 0;
        if (fits_movnam_hdu(f, BINARY_TBL, (char *)aux->name, 0, &st) != 0) {
            fits_clear_errmsg();
            continue;
        }
        snprintf(where, sizeof where, "%s[%s]", path, aux->name);
        status = offbkg_table_check_rows(ctx, f, where);
        if (status == OFFBKG_OK)
            status = check_same_axes(ctx, f, where, c);
        if (status == OFFBKG_OK && has_column(f, aux->name, &col)) {
            read_unit(f, col, unit, &st);
            if (strcmp(unit, aux->unit) != 0)
                status = offbkg_error_set(ctx, OFFBKG_EFITS, "%s: unit '%s'"
                                          ", expected '%s'", where, unit,
                                          aux->unit);
        }
        if (status == OFFBKG_OK)
            status = read_cell(ctx, f, where, aux->name, c, 1.0,
                               aux_values[i]);
        if (status == OFFBKG_OK)
            status = check_values(ctx, c, aux_values[i], aux->name, where);
    }
    offbkg_input_close(f, &mem);
    if (status != OFFBKG_OK) {
        offbkg_cube_free(c);
        return status;
    }
    fill_solid_angle(c);
    *out = c;
    return OFFBKG_OK;
}

char *offbkg_bkg_filename(int dims, int group_id, bool smooth)
{
    char name[64];
    int n;

    if ((dims != 2 && dims != 3) || group_id < 0)
        return NULL;
    n = snprintf(name, sizeof name, "%sbackground_%dD_group_%03d_table"
                 ".fits.gz", smooth ? "smooth_" : "", dims, group_id);
    if (n < 0 || (size_t)n >= sizeof name)
        return NULL;
    return strdup(name);
}

char *offbkg_bkg_obs_filename(int dims, int64_t obs_id, bool smooth)
{
    char name[80];
    int n;

    if ((dims != 2 && dims != 3) || obs_id < 0)
        return NULL;
    n = snprintf(name, sizeof name, "%sbackground_%dD_obs_%06" PRId64
                 "_table.fits.gz", smooth ? "smooth_" : "", dims, obs_id);
    if (n < 0 || (size_t)n >= sizeof name)
        return NULL;
    return strdup(name);
}
