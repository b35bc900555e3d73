/* SPDX-License-Identifier: BSD-3-Clause
 * The per-observation model files of the match step, written streaming:
 * a target's cubes live only while its files are written. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host-private.h"
#include "instance-private.h"
#include "match_write-private.h"
#include "model_write-private.h"
#include "parallel-private.h"
#include "provenance-private.h"

/* What became of one target. */
typedef struct target_out {
    int status;             /* OFFBKG_EDATA: skipped, with why */
    bool fatal;             /* not the target's: its thread's */
    char *why;              /* the error's words, when status != OK */
    size_t n_files;
} target_out_t;

typedef struct writer {
    const offbkg_runconf_t *rc;
    const offbkg_model_t *make;
    const offbkg_match_t *match;
    offbkg_match_write_cube_fn cube_of;
    const char *dir;
    bool overwrite, strict;
    char config_hash[17];
    target_out_t *out;          /* one per target */
    offbkg_written_file_t *files;   /* 2 x n_models per target: its
                                       out->n_files files, in order */
    size_t next;                /* the next target to take (atomic) */
    int stop;                   /* a failure: take no more (atomic) */
    offbkg_ctx_t **ctx;         /* one per thread: its own messages */
} writer_t;

/* The header cards of target @p t's files (room for 8 numeric and 2
 * integer cards), and the MATCH rows. */
typedef struct cards {
    offbkg_bkg_card_t str[3];   /* SECTION, MATCHER, MATCHKND */
    offbkg_bkg_num_card_t num[4];
    offbkg_bkg_int_card_t ints[2];
    size_t n_num;
    offbkg_bkg_match_t rows;
} cards_t;

static void target_cards(const offbkg_match_t *match,
                         const offbkg_match_target_t *t, cards_t *c)
{
    c->str[1] = (offbkg_bkg_card_t){ "MATCHER", match->plugin,
                                     "match plugin and version" };
    c->str[2] = (offbkg_bkg_card_t){
        "MATCHKND", t->kind == OFFBKG_MATCH_GROUPS ? "GROUPS" : "RUNS",
        "made of OFF runs, or of group models" };
    c->ints[0] = (offbkg_bkg_int_card_t){ "OBS_ID", t->obs_id,
                                          "the observation of this model" };
    c->ints[1] = (offbkg_bkg_int_card_t){ "N_MATCH", (int64_t)t->n,
                                          "rows of the MATCH HDU" };
    c->n_num = 0;
    if (isfinite(t->off_livetime_s))
        c->num[c->n_num++] = (offbkg_bkg_num_card_t){
            "OFF_LIVE", t->off_livetime_s, "[s] livetime of the OFF runs" };
    if (isfinite(t->zen_pnt_deg))
        c->num[c->n_num++] = (offbkg_bkg_num_card_t){
            "ZEN_PNT", t->zen_pnt_deg, "[deg] zenith of the observation" };
    if (isfinite(t->az_pnt_deg))
        c->num[c->n_num++] = (offbkg_bkg_num_card_t){
            "AZ_PNT", t->az_pnt_deg, "[deg] azimuth of the observation" };
    if (isfinite(t->livetime_s))
        c->num[c->n_num++] = (offbkg_bkg_num_card_t){
            "LIVETIME", t->livetime_s, "[s] livetime of the observation" };
    c->rows = (offbkg_bkg_match_t){ t->n, t->off_obs_id, t->group_id,
                                    t->weight, t->distance };
}

/* The matched runs' summed time in @p time_base, weighted (runs only;
 * NaN for groups, whose files do not say it). */
static double runs_time_s(const offbkg_model_t *make,
                          const offbkg_match_target_t *t,
                          const char *time_base)
{
    bool live = strcmp(time_base, "LIVETIME") == 0;
    double sum = 0;

    if (t->kind != OFFBKG_MATCH_RUNS)
        return NAN;
    for (size_t i = 0; i < t->n; i++) {
        const offbkg_run_report_t *r = &make->runs[t->off[i]];
        sum += t->weight[i] * (live ? r->livetime_s : r->ontime_s);
    }
    return sum;
}

/* Write @p cube of [model] @p m for target @p t (smoothed by
 * @p smoother when not NULL); *done says what was written. */
static int write_file(offbkg_ctx_t *ctx, const writer_t *w,
                      const offbkg_match_target_t *t, size_t m,
                      const offbkg_cube_t *cube, const char *smoother,
                      offbkg_written_file_t *done)
{
    cards_t c;
    char creator[160];
    char *path = offbkg_model_write_obs_path(w->rc, m, (int)cube->n_axes,
                                             t->obs_id, smoother != NULL,
                                             w->dir);
    int st;

    if (path == NULL)
        return offbkg_error_set(ctx, t->obs_id < 0 ? OFFBKG_EDATA
                                                   : OFFBKG_ENOMEM,
                                "OBS_ID %" PRId64 ": %s", t->obs_id,
                                t->obs_id < 0 ? "a negative OBS_ID names "
                                "no model file" : "out of memory");
    target_cards(w->match, t, &c);
    offbkg_bkg_meta_t meta = {
        .group_id = -1,
        .n_runs = t->kind == OFFBKG_MATCH_RUNS ? (long)t->n : -1,
        .total_time_s = runs_time_s(w->make, t, cube->time_base),
        .n_cards = 3,
        .cards = c.str,
        .n_num_cards = c.n_num,
        .num_cards = c.num,
        .n_int_cards = 2,
        .int_cards = c.ints,
        .match = &c.rows,
        /* offbkg_match_cube checked the cube (not its smoothed copy). */
        .values_checked = smoother == NULL
                          && w->cube_of == offbkg_match_cube,
    };
    offbkg_model_write_meta(w->rc, m, smoother, w->config_hash, creator,
                            sizeof creator, &c.str[0], &meta);
    st = offbkg_bkg_write(ctx, cube, &meta, path, w->overwrite);
    if (st == OFFBKG_OK)
        *done = (offbkg_written_file_t){
            .m = m, .obs = true, .smooth = smoother != NULL,
            .id = t->obs_id, .dims = (int)cube->n_axes,
            .size_bytes = offbkg_written_size(ctx, path) };
    free(path);
    return st;
}

/* The smoothed copy of @p cube by model @p m's smoother @p inst, into
 * *out. */
static int smooth_copy(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       size_t m, offbkg_instance_t *inst,
                       const offbkg_match_target_t *t,
                       const offbkg_cube_t *cube, offbkg_cube_t **out)
{
    const offbkg_stage_conf_t *sc = &rc->smooths[m];
    offbkg_cube_t *copy = offbkg_cube_copy(cube);
    int st;

    *out = NULL;
    if (copy == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = sc->module->desc->ops.smooth->smooth(inst->state, copy);
    if (st != OFFBKG_OK) {
        const char *why = offbkg_host_last_error();
        offbkg_cube_free(copy);
        return offbkg_error_set(ctx, st < 0 ? st : OFFBKG_EPLUGIN,
                                "[%s] OBS_ID %" PRId64 ": %s", sc->section,
                                t->obs_id, why[0] ? why : offbkg_strerror(st));
    }
    *out = copy;
    return OFFBKG_OK;
}

/* Target @p i: every cube first (a target without one gets no file),
 * then each with its smoothed copy written; @p cubes has room for one
 * per model. */
static int write_target(offbkg_ctx_t *ctx, writer_t *w, size_t i,
                        offbkg_instance_t **smoothers, offbkg_cube_t **cubes)
{
    const offbkg_match_target_t *t = &w->match->targets[i];
    size_t n_models = w->rc->n_models;
    offbkg_written_file_t *files = &w->files[2 * n_models * i];
    int st = OFFBKG_OK;

    for (size_t m = 0; st == OFFBKG_OK && m < n_models; m++) {
        const char *section = w->rc->models[m].section;
        char named[80];
        st = w->cube_of(ctx, w->rc, w->make, t, m, &cubes[m]);
        /* The reason names the section, once. */
        snprintf(named, sizeof named, "[%s]", section);
        if (st == OFFBKG_EDATA && !strstr(offbkg_error_msg(ctx), named))
            offbkg_error_push(ctx, st, "%s", named);
    }
    for (size_t m = 0; st == OFFBKG_OK && m < n_models; m++) {
        offbkg_cube_t *smoothed = NULL;
        st = write_file(ctx, w, t, m, cubes[m], NULL,
                        &files[w->out[i].n_files]);
        if (st == OFFBKG_OK)
            w->out[i].n_files++;
        if (st == OFFBKG_OK && smoothers[m] != NULL)
            st = smooth_copy(ctx, w->rc, m, smoothers[m], t, cubes[m],
                             &smoothed);
        if (st == OFFBKG_OK && smoothed != NULL) {
            st = write_file(ctx, w, t, m, smoothed,
                            w->rc->smooths[m].module->name,
                            &files[w->out[i].n_files]);
            if (st == OFFBKG_OK)
                w->out[i].n_files++;
        }
        offbkg_cube_free(smoothed);
    }
    for (size_t m = 0; m < n_models; m++) {
        offbkg_cube_free(cubes[m]);
        cubes[m] = NULL;
    }
    return st;
}

/* offbkg_parallel_for item: thread @p k, with its own smoother instances,
 * takes targets in order until none is left or one failed. */
static void worker(void *arg, size_t k)
{
    writer_t *w = arg;
    offbkg_ctx_t *ctx = w->ctx[k];
    size_t n_models = w->rc->n_models, i;
    int st;
    offbkg_instance_t **smoothers = calloc(n_models + 1, sizeof *smoothers);
    offbkg_cube_t **cubes = calloc(n_models + 1, sizeof *cubes);
    st = smoothers != NULL && cubes != NULL
             ? OFFBKG_OK
             : offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");

    for (size_t m = 0; st == OFFBKG_OK && m < n_models; m++)
        if (w->rc->smooths[m].module != NULL)
            st = offbkg_instance_new(ctx, w->rc, &w->rc->smooths[m],
                                     &smoothers[m]);
    int init = st;
    while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED))
           < w->match->n_targets) {
        target_out_t *out = &w->out[i];
        if (__atomic_load_n(&w->stop, __ATOMIC_RELAXED))
            break;
        /* A thread that could not start stops the call at its first
         * target. */
        out->fatal = init != OFFBKG_OK;
        st = init;
        if (st == OFFBKG_OK && offbkg_ctx_cancelled(ctx))
            st = offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
        if (st == OFFBKG_OK && w->match->targets[i].skipped == NULL)
            st = write_target(ctx, w, i, smoothers, cubes);
        out->status = st;
        if (st != OFFBKG_OK
            && (out->why = strdup(offbkg_error_msg(ctx))) == NULL)
            out->status = OFFBKG_ENOMEM;
        if (st != OFFBKG_OK
            && (out->fatal || st != OFFBKG_EDATA || w->strict))
            __atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
    }
    for (size_t m = 0; smoothers != NULL && m < n_models; m++)
        offbkg_instance_free(smoothers[m]);
    free(smoothers);
    free(cubes);
}

/* Mark target @p t skipped for @p why (moved into it). */
static void mark_skipped(offbkg_ctx_t *ctx, offbkg_match_t *match,
                         offbkg_match_target_t *t, char *why)
{
    OFFBKG_WARN(ctx, "OBS_ID %" PRId64 ": no model of its own, skipped: %s",
                t->obs_id, why);
    t->skipped = why;
    match->n_matched--;
    match->n_skipped++;
}

/* The outcome of every target in order: skipped ones marked, the files
 * written into @p written (when not NULL; a skipped target's too, as
 * they are in the output set), the first failure the error. */
static int collect(offbkg_ctx_t *ctx, const writer_t *w,
                   offbkg_match_t *match, size_t *n_files,
                   offbkg_written_t *written)
{
    int st = OFFBKG_OK;

    for (size_t i = 0; i < match->n_targets; i++) {
        target_out_t *out = &w->out[i];
        offbkg_match_target_t *t = &match->targets[i];
        *n_files += out->n_files;
        if (st == OFFBKG_OK && written != NULL)
            st = offbkg_written_add(ctx, written,
                                    &w->files[2 * w->rc->n_models * i],
                                    out->n_files);
        if (st != OFFBKG_OK || out->status == OFFBKG_OK)
            continue;
        if (out->why == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        else if (out->status == OFFBKG_EDATA && !w->strict && !out->fatal) {
            mark_skipped(ctx, match, t, out->why);
            out->why = NULL;
        } else if (out->status == OFFBKG_EDATA)
            st = offbkg_error_set(ctx, OFFBKG_EDATA, "OBS_ID %" PRId64 ": no "
                                  "model of its own: %s (--strict)",
                                  t->obs_id, out->why);
        else
            st = offbkg_error_set(ctx, out->status, "%s", out->why);
    }
    return st;
}

int offbkg_match_write(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                       const offbkg_model_t *make, offbkg_match_t *match,
                       offbkg_match_write_cube_fn cube_of, const char *dir,
                       bool overwrite, bool strict, size_t threads,
                       size_t *n_files, offbkg_written_t *written)
{
    size_t n = match->n_targets;
    size_t n_threads = threads < n ? threads : n;
    writer_t w = { .rc = rc, .make = make, .match = match,
                   .cube_of = cube_of, .dir = dir, .overwrite = overwrite,
                   .strict = strict };
    int st = OFFBKG_OK;

    *n_files = 0;
    if (match->shared_groups || n == 0)
        return OFFBKG_OK;
    if (n_threads == 0)
        n_threads = 1;
    w.out = calloc(n, sizeof *w.out);
    w.ctx = calloc(n_threads, sizeof *w.ctx);
    w.files = calloc(2 * rc->n_models * n + 1, sizeof *w.files);
    if (w.out == NULL || w.ctx == NULL || w.files == NULL
        || offbkg_provenance_config_hash(rc, w.config_hash) != 0)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t k = 0; st == OFFBKG_OK && k < n_threads; k++)
        if ((w.ctx[k] = offbkg_ctx_new_child(ctx)) == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK) {
        offbkg_parallel_for(n_threads, n_threads, worker, &w);
        st = collect(ctx, &w, match, n_files, written);
    }
    for (size_t i = 0; w.out != NULL && i < n; i++)
        free(w.out[i].why);
    for (size_t k = 0; w.ctx != NULL && k < n_threads; k++)
        offbkg_ctx_free(w.ctx[k]);
    free(w.out);
    free(w.ctx);
    free(w.files);
    return st;
}
