/* SPDX-License-Identifier: BSD-3-Clause
 * report.json (doc/design.md §5.6). Written by hand: the structure is
 * small and fixed, and a JSON library would be one more dependency. */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output-private.h"
#include "provenance-private.h"
#include "report-private.h"

/* The length of the UTF-8 sequence at @p p (1 to 4), or 0 when it is
 * not valid UTF-8 (overlong forms, surrogates and code points above
 * U+10FFFF are not). */
static size_t utf8_length(const unsigned char *p)
{
    size_t n;
    unsigned min;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = p[0] & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Whether byte @p c stands for itself in a JSON string. */
static bool json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A JSON string: valid UTF-8 as it is; a byte that is not (a Latin-1
 * path, say) as the code point of that byte, so the file stays JSON.
 * Plain ASCII goes out a stretch at a time: reports of 50 000 matches
 * hold megabytes of it. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        size_t n = 0;
        while (json_plain(p[n]))
            n++;
        if (n > 0) {
            fwrite(p, 1, n, f);
            p += n - 1;
        } else if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else if ((n = utf8_length(p)) == 0)
            fprintf(f, "\\u%04x", *p);
        else {
            fwrite(p, 1, n, f);
            p += n - 1;
        }
    }
    fputc('"', f);
}

/* JSON has no NaN: write null instead. */
static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static void plugin(FILE *f, const char *indent, const offbkg_stage_conf_t *sc,
                   const char *end)
{
    fprintf(f, "%s{\"section\": ", indent);
    json_string(f, sc->section);
    fputs(", \"plugin\": ", f);
    json_string(f, sc->module->name);
    fputs(", \"version\": ", f);
    json_string(f, sc->module->desc->version);
    fputs(", \"file\": ", f);
    json_string(f, sc->module->file);
    fprintf(f, "}%s\n", end);
}

static void dropped(FILE *f, const char *key, const offbkg_selection_t *s,
                    const char *end)
{
    fprintf(f, "  \"%s\": [", key);
    for (size_t i = 0; i < s->n_dropped; i++) {
        fprintf(f, "%s\n    {\"obs_id\": %" PRId64 ", \"reason\": ",
                i ? "," : "", s->dropped_ids[i]);
        json_string(f, s->dropped_why[i]);
        fputc('}', f);
    }
    fprintf(f, "%s]%s\n", s->n_dropped ? "\n  " : "", end);
}

/* A run's own target: where, from what, and whether it is open (in the
 * field of view, not excluded). */
static void target(FILE *f, const offbkg_run_report_t *r)
{
    fputs(", \"target\": {\"ra_deg\": ", f);
    json_number(f, r->target.ra_deg);
    fputs(", \"dec_deg\": ", f);
    json_number(f, r->target.dec_deg);
    fputs(", \"from\": ", f);
    json_string(f, offbkg_target_from_text(r->target.from));
    fprintf(f, ", \"in_field_not_excluded\": %s}",
            r->target_open ? "true" : "false");
}

/* The runs' targets together ([exclude] targets). */
static void targets(FILE *f, const offbkg_runconf_t *rc,
                    const offbkg_model_t *m)
{
    const offbkg_exclude_conf_t *x = rc->exclude;

    fprintf(f, "  \"targets\": {\"excluded\": %s, \"radius_deg\": ",
            x != NULL && x->targets ? "true" : "false");
    json_number(f, x != NULL && x->targets ? x->target_radius_deg : NAN);
    fputs(", \"field_of_view_deg\": ", f);
    json_number(f, m->fov_deg);
    fprintf(f, ", \"runs_in_field_not_excluded\": %zu, "
            "\"runs_without_target\": %zu, \"runs_target_not_read\": %zu},\n",
            m->n_target_open, m->n_target_unknown, m->n_target_unread);
}

/* Per select section: the runs it dropped, those it removed (no earlier
 * section dropped them), and the same per reason: how many runs each of
 * its cuts removed. */
static void select_sections(FILE *f, const offbkg_selection_t *s)
{
    fputs("  \"select_sections\": [", f);
    for (size_t k = 0; k < s->n_sections; k++) {
        const offbkg_select_section_t *sec = &s->sections[k];
        fprintf(f, "%s\n    {\"section\": ", k ? "," : "");
        json_string(f, sec->conf->section);
        fputs(", \"plugin\": ", f);
        json_string(f, sec->conf->module->name);
        fprintf(f, ", \"dropped\": %zu, \"removed\": %zu, \"reasons\": [",
                sec->dropped, sec->removed);
        for (size_t j = 0; j < sec->n_reasons; j++) {
            fprintf(f, "%s\n      {\"reason\": ", j ? "," : "");
            json_string(f, sec->reasons[j].text);
            fprintf(f, ", \"dropped\": %zu, \"removed\": %zu}",
                    sec->reasons[j].dropped, sec->reasons[j].removed);
        }
        fprintf(f, "%s]}", sec->n_reasons ? "\n    " : "");
    }
    fprintf(f, "%s],\n", s->n_sections ? "\n  " : "");
}

static void runs(FILE *f, const offbkg_model_t *m)
{
    fputs("  \"runs\": [", f);
    for (size_t i = 0; i < m->n_runs; i++) {
        const offbkg_run_report_t *r = &m->runs[i];
        fprintf(f, "%s\n    {\"obs_id\": %" PRId64 ", \"group_id\": %d, "
                "\"events_read\": %zu, \"events_nonfinite\": %zu, "
                "\"events_bad_energy\": %zu, \"exclusion_regions\": %zu, "
                "\"ontime_s\": ", i ? "," : "", r->obs_id, (int)r->group_id,
                r->n_events, r->n_nonfinite, r->n_bad_energy, r->n_regions);
        json_number(f, r->ontime_s);
        fputs(", \"livetime_s\": ", f);
        json_number(f, r->livetime_s);
        if (r->from_store || r->filled)
            fprintf(f, ", \"store\": \"%s\"",
                    r->from_store ? "read" : "filled");
        target(f, r);
        fputs(", \"skipped\": ", f);
        if (r->skipped != NULL)
            json_string(f, r->skipped);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fprintf(f, "%s],\n", m->n_runs ? "\n  " : "");
}

static void groups(FILE *f, const offbkg_model_t *m)
{
    fputs("  \"groups\": [", f);
    for (size_t g = 0; g < m->n_groups; g++) {
        size_t events = 0;
        double on = 0, live = 0;
        for (size_t i = 0; i < m->n_runs; i++) {
            const offbkg_run_report_t *r = &m->runs[i];
            if (r->skipped != NULL || (size_t)r->group_id != g)
                continue;
            events += r->n_events;
            on += r->ontime_s;
            live += r->livetime_s;
        }
        fprintf(f, "%s\n    {\"group_id\": %zu, \"runs\": %zu, "
                "\"events_read\": %zu, \"ontime_s\": ", g ? "," : "", g,
                m->runs_used[g], events);
        json_number(f, on);
        fputs(", \"livetime_s\": ", f);
        json_number(f, live);
        fputs(", \"models\": [", f);
        for (size_t k = 0; k < m->n_models; k++) {
            const offbkg_cube_t *c = m->models[k].cubes[g];
            double counts = 0;
            for (size_t i = 0; c != NULL && i < c->n_cells; i++)
                counts += c->counts[i];
            fprintf(f, "%s{\"section\": ", k ? ", " : "");
            json_string(f, m->models[k].conf->section);
            if (c != NULL)
                fprintf(f, ", \"counts_in_binning\": %.0f, \"no_model\": "
                        "null}", counts);
            else {
                fputs(", \"counts_in_binning\": 0, \"no_model\": ", f);
                json_string(f, m->models[k].no_model[g]);
                fputc('}', f);
            }
        }
        fputs("]}", f);
    }
    fprintf(f, "%s],\n", m->n_groups ? "\n  " : "");
}

/* What each target was matched with, or why it was skipped
 * (doc/match.md §6). */
static void match(FILE *f, const offbkg_match_t *m)
{
    fputs("  \"match\": {\"plugin\": ", f);
    json_string(f, m->plugin);
    if (m->shared_groups) {
        fputs("},\n", f);
        return;
    }
    fprintf(f, ", \"n_targets\": %zu, \"n_matched\": %zu, "
            "\"n_skipped\": %zu, \"targets\": [", m->n_targets,
            m->n_matched, m->n_skipped);
    for (size_t i = 0; i < m->n_targets; i++) {
        const offbkg_match_target_t *t = &m->targets[i];
        fprintf(f, "%s\n    {\"obs_id\": %" PRId64 ", \"matched\": [",
                i ? "," : "", t->obs_id);
        for (size_t k = 0; t->skipped == NULL && k < t->n; k++) {
            fputs(k ? ", {" : "{", f);
            if (t->kind == OFFBKG_MATCH_RUNS)
                fprintf(f, "\"obs_id\": %" PRId64 ", ", t->off_obs_id[k]);
            fprintf(f, "\"group_id\": %d, \"weight\": ",
                    (int)t->group_id[k]);
            json_number(f, t->weight[k]);
            fputs(", \"distance\": ", f);
            if (t->has_distance)
                json_number(f, t->distance[k]);
            else
                fputs("null", f);
            fputc('}', f);
        }
        fputs("], \"skipped\": ", f);
        if (t->skipped != NULL)
            json_string(f, t->skipped);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fprintf(f, "%s]},\n", m->n_targets ? "\n  " : "");
}

/* "key": number, for each pair of @p keys and @p values. */
static void numbers(FILE *f, const char *const *keys, const double *values,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\"%s\": ", i ? ", " : "", keys[i]);
        json_number(f, values[i]);
    }
}

/* [exclude] outliers: the runs left out, each with its round, and the
 * last round's systematic. */
static void left_out(FILE *f, const offbkg_outliers_t *o)
{
    static const char *const keys[] = { "n_obs", "n_pred", "ratio",
                                        "ratio_err", "pull", "mean",
                                        "sigma_sys" };

    fputs("  \"outliers\": {\"model\": ", f);
    json_string(f, o->model);
    fputs(", \"outlier_sigma\": ", f);
    json_number(f, o->sigma);
    fprintf(f, ", \"rounds\": %zu, \"judged\": %zu, \"not_judged\": %zu, "
            "\"sigma_sys\": ", o->rounds, o->n_judged, o->n_unjudged);
    json_number(f, o->sys.sigma_sys);
    fputs(", \"mean\": ", f);
    json_number(f, o->sys.mean);
    fputs(", \"removed\": [", f);
    for (size_t i = 0; i < o->n; i++) {
        const offbkg_outlier_run_t *x = &o->runs[i];
        const double values[] = { x->n_obs, x->n_pred, x->ratio,
                                  x->ratio_err, x->pull, x->mean,
                                  x->sigma_sys };
        fprintf(f, "%s\n    {\"obs_id\": %" PRId64 ", \"group_id\": %d, "
                "\"round\": %zu, ", i ? "," : "", x->obs_id,
                (int)x->group_id, x->round);
        numbers(f, keys, values, 7);
        fputc('}', f);
    }
    fprintf(f, "%s]},\n", o->n ? "\n  " : "");
}

/* Why run @p r is an outlier of @p s, in a sentence. */
static void outlier_reason(const offbkg_validate_strategy_t *s,
                           const offbkg_validate_run_t *r, char *buf,
                           size_t size)
{
    snprintf(buf, size, "ratio %.3f +- %.3f is %.1f total errors %s the "
             "mean %.3f (systematic %.1f%%)", r->ratio, r->ratio_err,
             fabs(r->pull), r->pull >= 0 ? "above" : "below", s->sys.mean,
             100 * s->sys.sigma_sys);
}

static void gauss(FILE *f, const offbkg_stats_gauss_t *g)
{
    static const char *const keys[] = { "mean", "mean_err", "width",
                                        "width_err" };
    const double values[] = { g->mean, g->mean_err, g->width, g->width_err };

    numbers(f, keys, values, 4);
}

/* The runs of @p s without a prediction, and why. */
static void skipped(FILE *f, const offbkg_validation_t *v,
                    const offbkg_validate_strategy_t *s)
{
    size_t n = 0;

    fputs("\"skipped\": [", f);
    for (size_t i = 0; i < v->n_runs; i++) {
        const offbkg_validate_run_t *r = &s->runs[i];
        if (r->skipped == NULL)
            continue;
        fprintf(f, "%s{\"obs_id\": %" PRId64 ", \"reason\": ", n++ ? ", "
                : "", r->obs_id);
        json_string(f, r->skipped);
        fputc('}', f);
    }
    fputc(']', f);
}

static void outliers(FILE *f, const offbkg_validation_t *v,
                     const offbkg_validate_strategy_t *s)
{
    static const char *const keys[] = { "ratio", "ratio_err", "pull" };
    char reason[256];
    size_t n = 0;

    fputs("\"outliers\": [", f);
    for (size_t i = 0; i < v->n_runs; i++) {
        const offbkg_validate_run_t *r = &s->runs[i];
        const double values[] = { r->ratio, r->ratio_err, r->pull };
        if (r->skipped != NULL || !r->outlier)
            continue;
        fprintf(f, "%s\n        {\"obs_id\": %" PRId64 ", ", n++ ? "," : "",
                r->obs_id);
        numbers(f, keys, values, 3);
        outlier_reason(s, r, reason, sizeof reason);
        fputs(", \"reason\": ", f);
        json_string(f, reason);
        fputc('}', f);
    }
    fprintf(f, "%s]", n ? "\n       " : "");
}

static void strategy(FILE *f, const offbkg_validation_t *v,
                     const offbkg_validate_strategy_t *s)
{
    static const char *const keys[] = {
        "ratio", "mean", "mean_err", "sigma_sys", "sigma_sys_lo",
        "sigma_sys_hi", "sigma_sys_moment", "deviance"
    };
    const double values[] = {
        s->sys.ratio, s->sys.mean, s->sys.mean_err, s->sys.sigma_sys,
        s->sys.sigma_sys_lo, s->sys.sigma_sys_hi, s->sys.sigma_sys_moment,
        s->deviance.deviance
    };
    char label[160];

    fputs("{\"name\": ", f);
    json_string(f, s->name);
    fputs(", \"match_plugin\": ", f);
    json_string(f, s->match_plugin);
    fputs(", \"model\": ", f);
    json_string(f, offbkg_validate_write_model_label(s, label, sizeof label));
    fprintf(f, ", \"smoothed\": %s, \"rank\": %zu,\n       \"runs\": %zu, "
            "\"predicted\": %zu, ", s->smoothed ? "true" : "false", s->rank,
            v->n_runs, s->n_predicted);
    skipped(f, v, s);
    fputs(",\n       ", f);
    numbers(f, keys, values, 8);
    fprintf(f, ", \"deviance_cells\": %zu, \"deviance_p_value\": ",
            s->deviance.n_cells);
    json_number(f, s->deviance.p_value);
    fprintf(f, ",\n       \"significance\": {\"cells\": %zu, ",
            s->sig_moments.n);
    gauss(f, &s->sig_moments);
    fputs(", \"fit\": ", f);
    if (s->sig_fit_ok) {
        fputc('{', f);
        gauss(f, &s->sig_fit);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs("},\n       ", f);
    outliers(f, v, s);
    fputc('}', f);
}

/* What offbkg validate found (doc/validate.md §8). */
static void validation(FILE *f, const offbkg_validation_t *v)
{
    fprintf(f, "  \"validation\": {\"folds\": %zu, \"runs\": %zu, "
            "\"min_predicted\": ", v->folds, v->n_runs);
    json_number(f, v->min_predicted);
    fputs(", \"outlier_sigma\": ", f);
    json_number(f, v->outlier_sigma);
    fputs(",\n    \"ranking\": [", f);
    for (size_t k = 0; k < v->n_strategies; k++) {
        fputs(k ? ", " : "", f);
        json_string(f, v->strategies[v->by_rank[k]].name);
    }
    fputs("],\n    \"strategies\": [", f);
    for (size_t k = 0; k < v->n_strategies; k++) {
        fputs(k ? ",\n      " : "\n      ", f);
        strategy(f, v, &v->strategies[k]);
    }
    fprintf(f, "%s]},\n", v->n_strategies ? "\n    " : "");
}

int offbkg_report_write(offbkg_ctx_t *ctx, const offbkg_report_t *r,
                        const char *path, bool overwrite)
{
    const offbkg_runconf_t *rc = r->rc;
    offbkg_output_t out;
    char *config = offbkg_runconf_format(rc);
    int st;

    if (config == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if ((st = offbkg_output_text(ctx, path, overwrite, &out)) != OFFBKG_OK) {
        free(config);
        return st;
    }
    FILE *f = out.text;
    fputs("{\n  \"creator\": \"offbkg " PACKAGE_VERSION "\",\n", f);
    fputs("  \"command\": ", f);
    json_string(f, r->command);
    fputs(",\n  \"config_file\": ", f);
    json_string(f, rc->file);
    fputs(",\n  \"config\": ", f);
    json_string(f, config);
    fprintf(f, ",\n  \"config_hash\": \"%016llx\"",
            (unsigned long long)offbkg_provenance_fnv1a64(config));
    fputs(",\n  \"data_store\": ", f);
    json_string(f, rc->datastore->path);
    if (r->store != NULL)
        fprintf(f, ",\n  \"runs_in_store\": %zu", r->store->obs.n_rows);
    fputs(",\n  \"plugins\": [\n", f);
    /* Every stage section, in order, [match] last. */
    size_t n_stages = 1 + offbkg_runconf_n_selects(rc) + rc->n_models
                      + (rc->match.module != NULL), k = 0;
    for (size_t m = 0; m < rc->n_models; m++)
        n_stages += rc->smooths[m].module != NULL;
    for (size_t s = 0; s < offbkg_runconf_n_selects(rc); s++)
        plugin(f, "    ", offbkg_runconf_select_at(rc, s),
               ++k < n_stages ? "," : "");
    plugin(f, "    ", &rc->group, ++k < n_stages ? "," : "");
    for (size_t m = 0; m < rc->n_models; m++) {
        plugin(f, "    ", &rc->models[m], ++k < n_stages ? "," : "");
        if (rc->smooths[m].module != NULL)
            plugin(f, "    ", &rc->smooths[m], ++k < n_stages ? "," : "");
    }
    if (rc->match.module != NULL)
        plugin(f, "    ", &rc->match, ++k < n_stages ? "," : "");
    fputs("  ],\n", f);
    if (r->selection != NULL) {
        fprintf(f, "  \"selected\": %zu,\n", r->selection->n);
        dropped(f, "dropped_by_select", r->selection, ",");
        select_sections(f, r->selection);
    }
    if (r->grouping != NULL) {
        fprintf(f, "  \"grouped\": %zu,\n  \"groups_defined\": %zu,\n",
                r->grouping->obs.n_rows, r->grouping->n_groups);
        dropped(f, "dropped_by_group", &r->grouping->dropped, ",");
    }
    if (r->make != NULL) {
        runs(f, r->make);
        groups(f, r->make);
        targets(f, rc, r->make);
        if (r->make->outliers.on)
            left_out(f, &r->make->outliers);
    }
    if (r->make != NULL && rc->store != NULL) {
        fputs("  \"store\": {\"dir\": ", f);
        json_string(f, rc->store->dir);
        fprintf(f, ", \"runs_from_store\": %zu, \"runs_filled\": %zu},\n",
                r->make->n_from_store, r->make->n_filled);
    }
    if (r->match != NULL)
        match(f, r->match);
    if (r->index != NULL)
        fprintf(f, "  \"index\": {\"observations\": %zu, \"linked\": %zu, "
                "\"in_no_group\": %zu, \"in_group_without_model\": %zu, "
                "\"store_bkg_rows_kept\": %zu, "
                "\"store_bkg_rows_dropped\": %zu},\n", r->index->n_obs,
                r->index->n_linked, r->index->n_no_group,
                r->index->n_no_model, r->index->n_store_bkg_kept,
                r->index->n_store_bkg_dropped);
    if (r->validation != NULL)
        validation(f, r->validation);
    fputs("  \"files\": [", f);
    for (size_t i = 0; i < r->n_files; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        json_string(f, r->files[i]);
    }
    fprintf(f, "%s]\n}\n", r->n_files ? "\n  " : "");
    free(config);
    return offbkg_output_commit(ctx, &out);
}
