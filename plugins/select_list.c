/* SPDX-License-Identifier: BSD-3-Clause
 * select/list: the observations whose OBS_ID is in a run-list file, the
 * CSV old gammapy wrote as run.lis (a header line OBS_ID, then one integer
 * per line). Unlike old gammapy's inner join, a duplicated ID counts once
 * and IDs missing from the observation table are reported, not lost.
 * n_obs_max limits the rows looked at first, as in select/offplane. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/plugin.h>

/* How many IDs a warning lists before it just gives the count. */
#define LIST_SHOWN 10

typedef struct list_config {
    const char *path;
    int64_t n_obs_max;
} list_config_t;

typedef struct list_state {
    const offbkg_host_t *host;
    int64_t n_obs_max;
    char *path;             /* the run list, for messages */
    int64_t *ids;           /* sorted, each once */
    size_t n_ids;
    uint8_t *seen;          /* per ID: found in the table (scratch) */
} list_state_t;

static const offbkg_param_t list_params[] = {
    { .name = "path", .type = OFFBKG_PARAM_PATH,
      .offset = offsetof(list_config_t, path),
      .flags = OFFBKG_PARAM_REQUIRED,
      .help = "run list: a line OBS_ID, then one OBS_ID per line" },
    { .name = "n_obs_max", .type = OFFBKG_PARAM_INT,
      .offset = offsetof(list_config_t, n_obs_max), .default_value = "0",
      .flags = OFFBKG_PARAM_HAS_MIN, .min = 0,
      .help = "look only at the first n rows of the obs-index; 0 = all" },
    { 0 }
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Strip a line's end of line (LF or CRLF) and surrounding blanks, in
 * place. */
static char *trim(char *s)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
                       || end[-1] == '\n'))
        *--end = '\0';
    return s;
}

/* @p text as a whole base-10 integer. */
static int parse_id(const char *text, int64_t *id)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return 0;
    *id = v;
    return 1;
}

/* Append "a, b, c" (at most LIST_SHOWN of @p n IDs, then ", ...") to
 * @p buf of size @p size. */
static void format_ids(char *buf, size_t size, const int64_t *ids, size_t n)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && i < LIST_SHOWN && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%" PRId64,
                         i > 0 ? ", " : "", ids[i]);
        if (w < 0)
            return;
        len += (size_t)w;
    }
    if (n > LIST_SHOWN && len < size)
        snprintf(buf + len, size - len, ", ...");
}

/* Read the run list into s->ids (unsorted, duplicates kept). */
static int read_list(list_state_t *s, FILE *fp)
{
    const offbkg_host_t *host = s->host;
    char *line = NULL;
    size_t cap = 0, n_alloc = 0;
    int lineno = 0, header = 0, st = OFFBKG_OK;

    while (getline(&line, &cap, fp) != -1) {
        char *text = line;
        lineno++;
        /* A spreadsheet may have put a UTF-8 byte order mark first. */
        if (lineno == 1 && strncmp(text, "\xef\xbb\xbf", 3) == 0)
            text += 3;
        text = trim(text);
        if (text[0] == '\0' || text[0] == '#')
            continue;
        if (!header) {
            if (strcmp(text, "OBS_ID") != 0) {
                st = host->error(host, OFFBKG_ECONFIG, "%s:%d: expected the "
                                 "header line OBS_ID, got '%s'", s->path,
                                 lineno, text);
                break;
            }
            header = 1;
            continue;
        }
        if (s->n_ids == n_alloc) {
            size_t grown = n_alloc > 0 ? 2 * n_alloc : 256;
            int64_t *ids = realloc(s->ids, grown * sizeof *ids);
            if (ids == NULL) {
                st = host->error(host, OFFBKG_ENOMEM, "out of memory");
                break;
            }
            s->ids = ids;
            n_alloc = grown;
        }
        if (!parse_id(text, &s->ids[s->n_ids])) {
            st = host->error(host, OFFBKG_ECONFIG, "%s:%d: expected an "
                             "integer OBS_ID, got '%s'", s->path, lineno,
                             text);
            break;
        }
        s->n_ids++;
    }
    if (st == OFFBKG_OK && ferror(fp))
        st = host->error(host, OFFBKG_ECONFIG, "%s: read error: %s", s->path,
                         strerror(errno));
    else if (st == OFFBKG_OK && !header)
        st = host->error(host, OFFBKG_ECONFIG, "%s: empty run list: expected "
                         "the header line OBS_ID", s->path);
    else if (st == OFFBKG_OK && s->n_ids == 0)
        st = host->error(host, OFFBKG_ECONFIG, "%s: the run list has no "
                         "OBS_ID after its header", s->path);
    free(line);
    return st;
}

/* Sort the IDs and remove duplicates, warning once with their list. */
static void dedup(list_state_t *s)
{
    size_t n_dup = 0, n_out = 0, i = 0;
    int64_t dups[LIST_SHOWN + 1];
    char shown[256];

    qsort(s->ids, s->n_ids, sizeof *s->ids, cmp_i64);
    while (i < s->n_ids) {
        size_t j = i + 1;
        while (j < s->n_ids && s->ids[j] == s->ids[i])
            j++;
        if (j - i > 1) {
            if (n_dup <= LIST_SHOWN)
                dups[n_dup] = s->ids[i];
            n_dup++;
        }
        s->ids[n_out++] = s->ids[i];
        i = j;
    }
    if (n_dup > 0) {
        format_ids(shown, sizeof shown, dups,
                   n_dup < LIST_SHOWN + 1 ? n_dup : LIST_SHOWN + 1);
        s->host->log(s->host, OFFBKG_LOG_WARN, "%s: %zu OBS_ID%s listed more "
                     "than once, counted once: %s", s->path, n_dup,
                     n_dup == 1 ? " is" : "s are", shown);
    }
    s->n_ids = n_out;
}

static void list_destroy(void *state)
{
    list_state_t *s = state;
    if (s == NULL)
        return;
    free(s->path);
    free(s->ids);
    free(s->seen);
    free(s);
}

static int list_create(const offbkg_host_t *host, const void *config,
                       void **state)
{
    const list_config_t *cfg = config;
    list_state_t *s = calloc(1, sizeof *s);
    FILE *fp;
    int st;

    if (s == NULL || (s->path = strdup(cfg->path)) == NULL) {
        free(s);
        return host->error(host, OFFBKG_ENOMEM, "out of memory");
    }
    s->host = host;
    s->n_obs_max = cfg->n_obs_max;
    if (s->path[0] == '\0') {
        list_destroy(s);
        return host->error(host, OFFBKG_ECONFIG, "path: no run list file "
                           "given");
    }
    fp = fopen(s->path, "r");
    if (fp == NULL) {
        st = host->error(host, OFFBKG_ECONFIG, "path: cannot open the run "
                         "list %s: %s", s->path, strerror(errno));
        list_destroy(s);
        return st;
    }
    st = read_list(s, fp);
    fclose(fp);
    if (st == OFFBKG_OK)
        dedup(s);
    if (st == OFFBKG_OK && (s->seen = malloc(s->n_ids)) == NULL)
        st = host->error(host, OFFBKG_ENOMEM, "out of memory");
    if (st != OFFBKG_OK) {
        list_destroy(s);
        return st;
    }
    host->log(host, OFFBKG_LOG_DEBUG, "%s: %zu OBS_IDs", s->path, s->n_ids);
    *state = s;
    return OFFBKG_OK;
}

/* Warn about the listed IDs that no row of the table has. */
static void warn_missing(const list_state_t *s)
{
    int64_t missing[LIST_SHOWN + 1];
    size_t n_missing = 0;
    char shown[256];

    for (size_t k = 0; k < s->n_ids; k++)
        if (!s->seen[k]) {
            if (n_missing <= LIST_SHOWN)
                missing[n_missing] = s->ids[k];
            n_missing++;
        }
    if (n_missing == 0)
        return;
    format_ids(shown, sizeof shown, missing,
               n_missing < LIST_SHOWN + 1 ? n_missing : LIST_SHOWN + 1);
    s->host->log(s->host, OFFBKG_LOG_WARN, "%s: %zu of %zu OBS_IDs are not "
                 "in the observation table and are skipped: %s", s->path,
                 n_missing, s->n_ids, shown);
}

static int list_select(void *state, const offbkg_obs_table_t *obs,
                       uint8_t *keep, const char **reason)
{
    list_state_t *s = state;
    const offbkg_column_t *id = offbkg_obs_table_column(obs, "OBS_ID");

    if (id == NULL || id->type != OFFBKG_COL_INT)
        return s->host->error(s->host, OFFBKG_EDATA,
                              "the observation table has no integer OBS_ID "
                              "column");
    memset(s->seen, 0, s->n_ids);
    for (size_t i = 0; i < obs->n_rows; i++) {
        const int64_t *hit = bsearch(&id->i64[i], s->ids, s->n_ids,
                                     sizeof *s->ids, cmp_i64);
        /* A listed run beyond n_obs_max is in the table, so it is dropped
         * for that reason and not reported as missing. */
        if (hit != NULL)
            s->seen[hit - s->ids] = 1;
        if (s->n_obs_max > 0 && (int64_t)i >= s->n_obs_max) {
            keep[i] = 0;
            reason[i] = "beyond n_obs_max";
        } else {
            keep[i] = hit != NULL;
            reason[i] = keep[i] ? NULL : "not in the run list";
        }
    }
    warn_missing(s);
    return OFFBKG_OK;
}

static const offbkg_select_ops_t list_ops = {
    .struct_size = sizeof(offbkg_select_ops_t),
    .select = list_select,
};

static const offbkg_plugin_t list_plugin = {
    OFFBKG_PLUGIN_HEADER,
    .stage = OFFBKG_STAGE_SELECT,
    .name = "list",
    .version = "1.0.0",
    .summary = "observations whose OBS_ID is in a run-list file",
    .params = list_params,
    .config_size = sizeof(list_config_t),
    .create = list_create,
    .destroy = list_destroy,
    .ops.select = &list_ops,
};

OFFBKG_PLUGIN_DEFINE(select_list, list_plugin)
