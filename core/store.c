/* SPDX-License-Identifier: BSD-3-Clause
 * The contribution store: one FITS file per run and model configuration
 * (doc/store.md). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fitshdr-private.h"
#include "inflate-private.h"
#include "input-private.h"
#include "output-private.h"
#include "params-private.h"
#include "path-private.h"
#include "provenance-private.h"
#include "store-private.h"
#include "table-private.h"

/* Run files are gzip-compressed: a fifth of the size, and no slower to
 * write or read (doc/store.md §3 gives the measurement). */
#define RUN_FILE_SUFFIX ".fits.gz"

/* The directories a store's writes renamed files into since the last
 * offbkg_store_sync: an entry is synced when it is written, its name
 * once per directory for all of them (doc/store.md §5). Workers write
 * concurrently. */
typedef struct unsynced {
    pthread_mutex_t mu;
    char **dirs;
    size_t n;
} unsynced_t;

struct offbkg_store {
    char *dir;
    unsynced_t *unsynced;
};

/* ------------------------------------------------------------------ */
/* Opening (doc/store.md §1)                                           */

/* The first line of the file open as @p fd into @p line (n bytes). */
static void first_line(int fd, char *line, size_t n)
{
    ssize_t got = read(fd, line, n - 1);

    line[got > 0 ? (size_t)got : 0] = '\0';
    line[strcspn(line, "\n")] = '\0';
}

/* 1: @p path is a STORE of our format; 0: it does not exist; else the
 * error (set on @p ctx). */
static int check_store_file(offbkg_ctx_t *ctx, const char *path)
{
    /* Never blocks on a named pipe planted there: not a regular file is
     * refused before anything is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    char line[256];

    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: cannot read: %s",
                                path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: not a regular "
                                "file", path);
    }
    first_line(fd, line, sizeof line);
    close(fd);
    if (strcmp(line, OFFBKG_STORE_FORMAT_LINE) == 0)
        return 1;
    char *shown = offbkg_provenance_fits_text(line);
    int st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: a store of another "
                              "format (\"%.80s\"); this offbkg reads \"%s\"",
                              path, shown != NULL ? shown : "?",
                              OFFBKG_STORE_FORMAT_LINE);
    free(shown);
    return st;
}

/* Whether @p dir holds nothing but hidden names (a store being made by
 * another process has only its temporary .tmp* file in it). */
static bool holds_nothing(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool empty = true;

    if (d == NULL)
        return false;
    while (empty && (e = readdir(d)) != NULL)
        empty = e->d_name[0] == '.';
    closedir(d);
    return empty;
}

/* Write DIR/STORE, unless another process did first. */
static int make_store_file(offbkg_ctx_t *ctx, const char *dir,
                           const char *path)
{
    offbkg_output_t out;
    int st;

    if (!holds_nothing(dir)) {
        /* Another process may have made the store since we looked: its
         * STORE comes before anything else it writes. */
        st = check_store_file(ctx, path);
        if (st != 0)
            return st == 1 ? OFFBKG_OK : st;
        return offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: not a contribution "
                                "store (no STORE file) and not empty: "
                                "refusing to write in it", dir);
    }
    st = offbkg_output_text(ctx, path, false, &out);
    if (st == OFFBKG_OK) {
        fprintf(out.text, "%s\n", OFFBKG_STORE_FORMAT_LINE);
        st = offbkg_output_commit(ctx, &out);
    }
    if (st == OFFBKG_EEXIST) {
        offbkg_error_clear(ctx);
        st = check_store_file(ctx, path);
        return st == 1 ? OFFBKG_OK
               : st == 0 ? offbkg_error_set(ctx, OFFBKG_EIO, "%s: vanished "
                                            "while being made", path)
                         : st;
    }
    return st;
}

int offbkg_store_open(offbkg_ctx_t *ctx, const char *dir, bool create,
                      offbkg_store_t **out)
{
    offbkg_store_t *s = calloc(1, sizeof *s);
    char *path = offbkg_path_join(dir, "STORE");
    struct stat sb;
    int st = OFFBKG_OK;

    *out = NULL;
    if (s == NULL || path == NULL || (s->dir = strdup(dir)) == NULL
        || (s->unsynced = calloc(1, sizeof *s->unsynced)) == NULL) {
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto done;
    }
    pthread_mutex_init(&s->unsynced->mu, NULL);
    if (stat(dir, &sb) != 0 && !create) {
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: no contribution "
                              "store: %s", dir, strerror(errno));
        goto done;
    }
    if (create && (st = offbkg_output_mkdir_p(ctx, dir)) != OFFBKG_OK)
        goto done;
    st = check_store_file(ctx, path);
    if (st == 0 && !create)
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: not a contribution "
                              "store (no STORE file)", dir);
    else if (st == 0)
        st = make_store_file(ctx, dir, path);
    else if (st == 1)
        st = OFFBKG_OK;
done:
    free(path);
    if (st != OFFBKG_OK) {
        offbkg_store_close(s);
        return st;
    }
    *out = s;
    return OFFBKG_OK;
}

int offbkg_store_check(offbkg_ctx_t *ctx, const char *dir)
{
    char *path = offbkg_path_join(dir, "STORE");
    struct stat sb;
    int st = OFFBKG_OK;

    if (path == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (stat(dir, &sb) != 0)
        ;   /* made when it is first used */
    else if (!S_ISDIR(sb.st_mode))
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: not a directory",
                              dir);
    else if ((st = check_store_file(ctx, path)) == 1)
        st = OFFBKG_OK;
    /* Another process may make the store meanwhile: its STORE comes
     * before anything else it writes, so STORE is looked for again once
     * the directory is seen not empty. */
    else if (st == 0 && !holds_nothing(dir)
             && (st = check_store_file(ctx, path)) == 0)
        st = offbkg_error_set(ctx, OFFBKG_ECONFIG, "%s: not a "
                              "contribution store (no STORE file) and "
                              "not empty", dir);
    else if (st == 0 || st == 1)
        st = OFFBKG_OK;
    free(path);
    return st;
}

void offbkg_store_close(offbkg_store_t *store)
{
    if (store == NULL)
        return;
    if (store->unsynced != NULL) {
        for (size_t i = 0; i < store->unsynced->n; i++)
            free(store->unsynced->dirs[i]);
        free(store->unsynced->dirs);
        pthread_mutex_destroy(&store->unsynced->mu);
        free(store->unsynced);
    }
    free(store->dir);
    free(store);
}

/* Note that @p dir has a name renamed into it and not yet synced. */
static int note_unsynced(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                         const char *dir)
{
    unsynced_t *u = store->unsynced;
    int st = OFFBKG_OK;
    bool known = false;

    pthread_mutex_lock(&u->mu);
    for (size_t i = 0; i < u->n && !known; i++)
        known = strcmp(u->dirs[i], dir) == 0;
    if (!known) {
        char **dirs = realloc(u->dirs, (u->n + 1) * sizeof *dirs);
        char *copy = dirs != NULL ? strdup(dir) : NULL;
        if (dirs != NULL)
            u->dirs = dirs;
        if (copy != NULL)
            u->dirs[u->n++] = copy;
        else
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&u->mu);
    return st;
}

int offbkg_store_sync(offbkg_ctx_t *ctx, const offbkg_store_t *store)
{
    unsynced_t *u = store->unsynced;
    int st = OFFBKG_OK;

    pthread_mutex_lock(&u->mu);
    /* The deepest first: a new directory's name is in its parent. */
    for (size_t i = u->n; i-- > 0;) {
        if (st == OFFBKG_OK)
            st = offbkg_output_sync_dir(ctx, u->dirs[i]);
        free(u->dirs[i]);
    }
    u->n = 0;
    pthread_mutex_unlock(&u->mu);
    return st;
}

const char *offbkg_store_dir(const offbkg_store_t *store)
{
    return store->dir;
}

/* ------------------------------------------------------------------ */
/* Keys and hashes (doc/store.md §2)                                   */

/* "plugin = NAME\nversion = V\n" and "key = value\n" per parameter, in
 * the plugin's table order, each value as `offbkg check` prints it. */
static char *model_text(const offbkg_stage_conf_t *model)
{
    const offbkg_plugin_t *d = model->module->desc;
    size_t len = strlen(d->name) + strlen(d->version) + 32;
    char *text = malloc(len), *value = NULL;

    if (text == NULL)
        return NULL;
    len = (size_t)snprintf(text, len, "plugin = %s\nversion = %s\n",
                           d->name, d->version);
    for (const offbkg_param_t *p = d->params; p != NULL && p->name != NULL;
         p++) {
        value = offbkg_params_format(p, model->config);
        size_t more = value != NULL ? strlen(p->name) + strlen(value) + 5 : 0;
        char *grown = value != NULL ? realloc(text, len + more) : NULL;
        if (grown == NULL) {
            free(value);
            free(text);
            return NULL;
        }
        text = grown;
        len += (size_t)snprintf(text + len, more, "%s = %s\n", p->name,
                                value);
        free(value);
    }
    return text;
}

int offbkg_store_model_key(offbkg_ctx_t *ctx, const offbkg_runconf_t *rc,
                           const offbkg_stage_conf_t *model, char **key,
                           char **text)
{
    bool ours = false;
    char *t;

    *key = NULL;
    if (text != NULL)
        *text = NULL;
    for (size_t i = 0; i < rc->n_models; i++)
        ours |= model == &rc->models[i];
    if (!ours || model->module == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "not a [model] section "
                                "of %s", rc->file);
    t = model_text(model);
    size_t n = strlen(model->module->desc->name) + 18;
    *key = t != NULL ? malloc(n) : NULL;
    if (*key == NULL) {
        free(t);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    snprintf(*key, n, "%s-%016" PRIx64, model->module->desc->name,
             offbkg_provenance_fnv1a64(t));
    if (text != NULL)
        *text = t;
    else
        free(t);
    return OFFBKG_OK;
}

/* FNV-1a 64 (as offbkg_provenance_fnv1a64) continued from @p h over @p n
 * bytes. */
static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    for (const unsigned char *b = p; n > 0; n--, b++) {
        h ^= *b;
        h *= 0x100000001b3u;
    }
    return h;
}

#define FNV_BASIS 0xcbf29ce484222325u

/* ... over the 8 bytes of @p v, least significant first (the same hash
 * on every machine). */
static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++, v >>= 8)
        b[i] = (unsigned char)(v & 0xff);
    return fnv_bytes(h, b, sizeof b);
}

/* ... over the bits of @p v; every NaN hashes alike (a NaN's payload
 * need not survive a FITS round trip). */
static uint64_t fnv_double(uint64_t h, double v)
{
    uint64_t bits;

    if (isnan(v))
        v = NAN;
    memcpy(&bits, &v, sizeof bits);
    return fnv_u64(h, bits);
}

static uint64_t fnv_string(uint64_t h, const char *s)
{
    return fnv_bytes(h, s, strlen(s) + 1);
}

uint64_t offbkg_store_regions_hash(const offbkg_regions_t *regions)
{
    size_t n = regions != NULL ? regions->n : 0;
    uint64_t h = fnv_u64(FNV_BASIS, n);

    for (size_t i = 0; i < n; i++) {
        h = fnv_double(h, regions->items[i].ra_deg);
        h = fnv_double(h, regions->items[i].dec_deg);
        h = fnv_double(h, regions->items[i].radius_deg);
    }
    return h;
}

uint64_t offbkg_store_targets_hash(uint64_t regions_hash,
                                   const offbkg_exclude_conf_t *conf,
                                   const offbkg_regions_t *regions)
{
    if (conf == NULL || !conf->targets)
        return regions_hash;
    /* The names too: an OBJECT resolves through them. */
    uint64_t h = fnv_string(regions_hash, "targets");
    h = fnv_double(h, conf->target_radius_deg);
    for (size_t i = 0; regions != NULL && regions->names != NULL
                       && i < regions->n; i++)
        h = fnv_string(h, regions->names[i] != NULL ? regions->names[i] : "");
    return h;
}

/* The hash of row @p row of @p t: every column's name, unit, type and
 * value. */
static uint64_t table_row_hash(const offbkg_table_t *t, size_t row)
{
    uint64_t h = fnv_u64(FNV_BASIS, t->n_cols);

    for (size_t i = 0; i < t->n_cols; i++) {
        const offbkg_column_t *c = &t->cols[i];
        h = fnv_string(h, c->name);
        h = fnv_string(h, c->unit);
        h = fnv_u64(h, (uint64_t)c->type);
        if (c->type == OFFBKG_COL_INT)
            h = fnv_u64(h, (uint64_t)c->i64[row]);
        else if (c->type == OFFBKG_COL_DOUBLE)
            h = fnv_double(h, c->f64[row]);
        else
            h = fnv_string(h, c->str[row]);
    }
    return h;
}

uint64_t offbkg_store_row_hash(const offbkg_datastore_t *ds, size_t row)
{
    return table_row_hash(&ds->obs, row);
}

uint64_t offbkg_store_run_hash(const offbkg_store_key_t *key)
{
    uint64_t h = fnv_u64(FNV_BASIS, (uint64_t)key->obs_id);

    h = fnv_u64(h, key->regions_hash);
    h = fnv_u64(h, key->row_hash);
    h = fnv_string(h, key->events.path);
    h = fnv_string(h, key->events.hdu);
    h = fnv_u64(h, (uint64_t)key->events.size_bytes);
    return fnv_u64(h, (uint64_t)key->events.mtime_ns);
}

uint64_t offbkg_store_chain(uint64_t chain, uint64_t run_hash)
{
    return fnv_u64(chain, run_hash);
}

int offbkg_store_identity_of(offbkg_ctx_t *ctx, const char *path,
                             const char *hdu, const offbkg_file_id_t *file,
                             offbkg_store_identity_t *id)
{
    memset(id, 0, sizeof *id);
    if (file->err != 0)
        return offbkg_error_set(ctx, OFFBKG_EDATA, "%s: %s", path,
                                strerror(file->err));
    id->path = path;
    id->hdu = hdu;
    id->size_bytes = file->size_bytes;
    id->mtime_ns = file->mtime_ns;
    return OFFBKG_OK;
}

int offbkg_store_crc32(offbkg_ctx_t *ctx, const char *path, uint32_t *crc)
{
    enum { CHUNK_BYTES = 1 << 20 };
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    unsigned char *buf = malloc(CHUNK_BYTES);
    uint32_t c = 0;
    ssize_t got;
    int st = OFFBKG_OK;

    *crc = 0;
    if (buf == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    else if (fd < 0)
        st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: %s", path,
                              strerror(errno));
    while (st == OFFBKG_OK && (got = read(fd, buf, CHUNK_BYTES)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            st = offbkg_error_set(ctx, OFFBKG_EDATA, "%s: cannot read: %s",
                                  path, strerror(errno));
        else
            c = offbkg_inflate_crc32(c, buf, (size_t)got);
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    if (st == OFFBKG_OK)
        *crc = c;
    return st;
}

char *offbkg_store_path(const offbkg_store_t *store,
                        const offbkg_store_key_t *key)
{
    size_t n = strlen(store->dir) + strlen(key->model_key) + 64;
    char *path = malloc(n);

    if (path != NULL)
        snprintf(path, n, "%s/%s/obs_%" PRId64 RUN_FILE_SUFFIX, store->dir,
                 key->model_key, key->obs_id);
    return path;
}

/* ------------------------------------------------------------------ */
/* Reading (doc/store.md §4)                                           */

void offbkg_store_entry_free(offbkg_store_entry_t *entry)
{
    if (entry == NULL)
        return;
    free((uint64_t *)entry->data.counts);
    free((uint64_t *)entry->data.nonzero_cell);
    free((uint64_t *)entry->data.nonzero_count);
    free((double *)entry->data.exposure_s);
    memset(entry, 0, sizeof *entry);
}

/* "@p path: @p kind: <fmt>" as the context's message; returns @p status. */
static int unusable(offbkg_ctx_t *ctx, int status, const char *path,
                    const char *fmt, ...) OFFBKG_PRINTF(4, 5);
static int unusable(offbkg_ctx_t *ctx, int status, const char *path,
                    const char *fmt, ...)
{
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return offbkg_error_set(ctx, status, "%s: %s: %s", path,
                            status == OFFBKG_STORE_STALE ? "stale"
                            : status == OFFBKG_STORE_MISSING ? "missing"
                                                              : "damaged",
                            why);
}

/* cfitsio's text for @p fst, its message stack cleared. */
static const char *fits_text(int fst, char buf[FLEN_STATUS])
{
    fits_get_errstatus(fst, buf);
    fits_clear_errmsg();
    return buf;
}

static bool read_ll(const offbkg_header_t *h, const char *key, long long *v)
{
    return offbkg_fitshdr_ll(h, key, v);
}

static bool read_hex(const offbkg_header_t *h, const char *key, int digits,
                     uint64_t *v)
{
    char buf[FLEN_VALUE], *end;

    if (!offbkg_fitshdr_string(h, key, buf))
        return false;
    errno = 0;
    *v = strtoull(buf, &end, 16);
    return errno == 0 && (int)strlen(buf) == digits && *end == '\0';
}

static bool read_time(const offbkg_header_t *h, const char *key, double *v)
{
    return offbkg_fitshdr_double(h, key, v) && *v >= 0;
}

/* The string cards of the primary header against the key: OFFBKG_OK,
 * stale or damaged. */
static int check_strings(offbkg_ctx_t *ctx, const offbkg_header_t *h,
                         const char *path, const offbkg_store_key_t *key)
{
    static const char *const names[] = { "OFFBKGV", "MODKEY", "EVPATH",
                                         "EVHDU" };
    char *got[4] = { NULL }, *want[4] = { NULL };
    int st = OFFBKG_OK;

    want[0] = strdup(PACKAGE_VERSION);
    want[1] = strdup(key->model_key);
    want[2] = offbkg_provenance_fits_text(key->events.path);
    want[3] = offbkg_provenance_fits_text(key->events.hdu);
    for (int i = 0; i < 4; i++)
        got[i] = offbkg_fitshdr_longstr(h, names[i]);
    for (int i = 0; i < 4 && st == OFFBKG_OK; i++)
        if (want[i] == NULL)
            st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (int i = 0; i < 4 && st == OFFBKG_OK; i++)
        if (got[i] == NULL)
            st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "no %s card",
                          names[i]);
    if (st == OFFBKG_OK && strcmp(got[0], want[0]) != 0)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "written by offbkg %s "
                      "(this is %s)", got[0], want[0]);
    else if (st == OFFBKG_OK && strcmp(got[1], want[1]) != 0)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "another model "
                      "configuration (%s, expected %s)", got[1], want[1]);
    else if (st == OFFBKG_OK && strcmp(got[2], want[2]) != 0)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "another events file "
                      "(%s -> %s)", got[2], want[2]);
    else if (st == OFFBKG_OK && strcmp(got[3], want[3]) != 0)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "another events HDU "
                      "(%s -> %s)", got[3], want[3]);
    for (int i = 0; i < 4; i++) {
        free(got[i]);
        free(want[i]);
    }
    return st;
}

/* The primary header: format and version, the key, the run's numbers. */
static int check_primary(offbkg_ctx_t *ctx, const offbkg_header_t *h,
                         const char *path, const offbkg_store_key_t *key,
                         offbkg_store_entry_t *out)
{
    long long fmt, obs_id, size, mtime, n[5];
    static const char *const n_names[] = { "NROWS", "NEVENTS", "NNONFIN",
                                           "NBADEN", "NREGIONS" };
    uint64_t reg, row, crc;
    int st;

    if (!read_ll(h, "STOREFMT", &fmt))
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "no STOREFMT card");
    if (fmt != OFFBKG_STORE_FORMAT)
        return unusable(ctx, OFFBKG_STORE_STALE, path, "store format %lld "
                        "(this offbkg reads %d)", fmt, OFFBKG_STORE_FORMAT);
    if ((st = check_strings(ctx, h, path, key)) != OFFBKG_OK)
        return st;
    if (!read_ll(h, "OBS_ID", &obs_id) || !read_hex(h, "REGHASH", 16, &reg)
        || !read_hex(h, "ROWHASH", 16, &row) || !read_ll(h, "EVSIZE", &size)
        || !read_ll(h, "EVMTIME", &mtime) || !read_hex(h, "EVCRC", 8, &crc))
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "a key card "
                        "(OBS_ID, REGHASH, ROWHASH, EVSIZE, EVMTIME, EVCRC) "
                        "is missing or malformed");
    if (obs_id != key->obs_id)
        return unusable(ctx, OFFBKG_STORE_STALE, path, "another run (OBS_ID "
                        "%lld, expected %" PRId64 ")", obs_id, key->obs_id);
    if (reg != key->regions_hash)
        return unusable(ctx, OFFBKG_STORE_STALE, path, "the exclusion regions "
                        "changed");
    if (row != key->row_hash)
        return unusable(ctx, OFFBKG_STORE_STALE, path, "the run's obs-index "
                        "row changed");
    if (size != key->events.size_bytes)
        return unusable(ctx, OFFBKG_STORE_STALE, path, "the events file "
                        "changed (size %lld -> %" PRId64 ")", size,
                        key->events.size_bytes);
    if (mtime != key->events.mtime_ns)
        return unusable(ctx, OFFBKG_STORE_STALE, path, "the events file "
                        "changed (modification time %lld -> %" PRId64
                        " ns)", mtime, key->events.mtime_ns);
    for (int i = 0; i < 5; i++)
        if (!read_ll(h, n_names[i], &n[i]) || n[i] < 0)
            return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s is missing "
                            "or negative", n_names[i]);
    if (!read_time(h, "ONTIME", &out->ontime_s)
        || !read_time(h, "LIVETIME", &out->livetime_s))
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "ONTIME or LIVETIME "
                        "is missing, not finite or negative");
    out->events_crc = (uint32_t)crc;
    out->n_rows = (size_t)n[0];
    out->n_events = (size_t)n[1];
    out->n_nonfinite = (size_t)n[2];
    out->n_bad_energy = (size_t)n[3];
    out->n_regions = (size_t)n[4];
    return OFFBKG_OK;
}

/* The header of the current HDU into @p h: a view of the file's bytes
 * when they are in memory (nothing copied), else read by cfitsio. 0 or
 * a cfitsio status. */
static int load_header(fitsfile *f, const offbkg_fitsmem_t *mem,
                       offbkg_header_t *h)
{
    LONGLONG head, data, end;
    int fst = 0;

    if (mem->buf != NULL
        && fits_get_hduaddrll(f, &head, &data, &end, &fst) == 0
        && head >= 0 && head <= data && (size_t)data <= mem->size) {
        offbkg_fitshdr_view(h, (const char *)mem->buf + head,
                            (size_t)(data - head));
        return 0;
    }
    fits_clear_errmsg();
    return offbkg_fitshdr_load(f, h);
}

/* The primary header, its cards read once (core/fitshdr-private.h). */
static int read_primary(offbkg_ctx_t *ctx, fitsfile *f,
                        const offbkg_fitsmem_t *mem, const char *path,
                        const offbkg_store_key_t *key,
                        offbkg_store_entry_t *out)
{
    offbkg_header_t h;
    char text[FLEN_STATUS];
    int fst = load_header(f, mem, &h), st;

    if (fst != 0)
        return fst == MEMORY_ALLOCATION
                   ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
                   : unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s",
                              fits_text(fst, text));
    st = check_primary(ctx, &h, path, key, out);
    offbkg_fitshdr_free(&h);
    return st;
}

/* Whether the next HDU is the binary table @p extname: if so, f is on
 * it and its header in @p h. Tables are written in order (doc/store.md
 * §3), so this is the common case; fits_movnam_hdu would parse every
 * header from the first again. */
static bool next_is(fitsfile *f, const offbkg_fitsmem_t *mem,
                    const char *extname, offbkg_header_t *h)
{
    char name[FLEN_VALUE];
    int fst = 0, type;

    if (fits_movrel_hdu(f, 1, &type, &fst) != 0 || type != BINARY_TBL
        || load_header(f, mem, h) != 0) {
        fits_clear_errmsg();
        return false;
    }
    if (offbkg_fitshdr_string(h, "EXTNAME", name)
        && strcasecmp(name, extname) == 0)
        return true;
    offbkg_fitshdr_free(h);
    return false;
}

/* Move to table @p extname, check its rows are in the file, and its
 * header into @p h (free it with offbkg_fitshdr_free, whatever the
 * outcome). */
static int goto_table(offbkg_ctx_t *ctx, fitsfile *f,
                      const offbkg_fitsmem_t *mem, const char *path,
                      const char *extname, long long *n_rows,
                      offbkg_header_t *h)
{
    char text[FLEN_STATUS];
    int fst = 0;

    memset(h, 0, sizeof *h);
    if (!next_is(f, mem, extname, h)) {
        if (fits_movnam_hdu(f, BINARY_TBL, (char *)extname, 0, &fst) != 0)
            return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "no %s table "
                            "(%s)", extname, fits_text(fst, text));
        if ((fst = load_header(f, mem, h)) != 0)
            return fst == MEMORY_ALLOCATION
                       ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
                       : unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s: %s",
                                  extname, fits_text(fst, text));
    }
    if (offbkg_table_check_rows(ctx, f, extname) != OFFBKG_OK)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s",
                        offbkg_error_msg(ctx));
    if (fits_get_num_rowsll(f, n_rows, &fst) != 0)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s: %s", extname,
                        fits_text(fst, text));
    return OFFBKG_OK;
}

/* The OBS table: one row, whose hash is ROWHASH (already checked equal
 * to the key's). */
static int read_obs(offbkg_ctx_t *ctx, fitsfile *f,
                    const offbkg_fitsmem_t *mem, const char *path,
                    const offbkg_store_key_t *key)
{
    offbkg_table_t t;
    offbkg_header_t h;
    long long n_rows;
    int st = goto_table(ctx, f, mem, path, "OBS", &n_rows, &h);

    if (st == OFFBKG_OK) {
        st = offbkg_table_read_hdr(ctx, f, &h, "OBS", &t);
        if (st != OFFBKG_OK && st != OFFBKG_ENOMEM)
            st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s",
                          offbkg_error_msg(ctx));
    }
    offbkg_fitshdr_free(&h);
    if (st != OFFBKG_OK)
        return st;
    if (t.n_rows != 1 || table_row_hash(&t, 0) != key->row_hash)
        st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "its OBS table is not "
                      "the one row ROWHASH says");
    offbkg_table_free(&t);
    return st;
}

/* The size card @p card (NCELLS, NEXPO): > 0, at most the bound, and
 * @p expected when that is not 0. */
static int read_size(offbkg_ctx_t *ctx, const offbkg_header_t *h,
                     const char *path,
                     const char *card, size_t expected, size_t *n)
{
    long long v;

    if (!read_ll(h, card, &v) || v <= 0
        || (unsigned long long)v > OFFBKG_STORE_MAX_CELLS)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s is missing or "
                        "out of range", card);
    if (expected != 0 && (size_t)v != expected)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s is %lld, the "
                        "model has %zu", card, v, expected);
    *n = (size_t)v;
    return OFFBKG_OK;
}

/* Column @p name of the current table, scalar: a D column for
 * @p type TDOUBLE, a K or J column (64 or 32 bits, doc/store.md §3) for
 * TLONGLONG. Its number into *col, its bytes per row into *bytes. */
static int find_col(offbkg_ctx_t *ctx, fitsfile *f, const char *path,
                    const char *name, int type, int *col, int *bytes)
{
    char text[FLEN_STATUS];
    int fst = 0, got_type;
    long repeat, width;

    if (fits_get_colnum(f, CASESEN, (char *)name, col, &fst) != 0
        || fits_get_coltype(f, *col, &got_type, &repeat, &width, &fst) != 0)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "no column %s (%s)",
                        name, fits_text(fst, text));
    bool integer = got_type == TLONGLONG || got_type == TLONG;
    if ((type == TDOUBLE ? got_type != TDOUBLE : !integer) || repeat != 1)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "column %s is not "
                        "of type %s", name, type == TDOUBLE ? "D" : "K or J");
    *bytes = got_type == TLONG ? 4 : 8;
    return OFFBKG_OK;
}

/* The rows of the current table as the file holds them, when it is the
 * table offbkg writes: columns 1 and 2 only, of @p bytes1 and @p bytes2,
 * without scaling (no TSCALn, TZEROn), all in @p mem. Else NULL, and the
 * columns are read through cfitsio. */
static const unsigned char *plain_rows(fitsfile *f,
                                       const offbkg_fitsmem_t *mem,
                                       const offbkg_header_t *h,
                                       long long n_rows, int bytes1,
                                       int bytes2)
{
    static const char *const scaling[] = { "TSCAL1", "TZERO1", "TSCAL2",
                                           "TZERO2" };
    long long row_bytes, n_fields;
    LONGLONG head, data, end;
    int fst = 0;

    if (mem->buf == NULL || !offbkg_fitshdr_ll(h, "TFIELDS", &n_fields)
        || n_fields != 2 || !offbkg_fitshdr_ll(h, "NAXIS1", &row_bytes)
        || row_bytes != bytes1 + bytes2
        || fits_get_hduaddrll(f, &head, &data, &end, &fst) != 0
        || data < 0 || (size_t)data > mem->size
        || (unsigned long long)n_rows > (mem->size - (size_t)data)
                                            / (unsigned long long)row_bytes) {
        fits_clear_errmsg();
        return NULL;
    }
    for (size_t i = 0; i < 4; i++)
        if (offbkg_fitshdr_card(h, scaling[i]) != NULL)
            return NULL;
    return (const unsigned char *)mem->buf + data;
}

/* A big-endian integer of @p bytes (4 or 8), signed. */
static inline int64_t get_be(const unsigned char *p, int bytes)
{
    if (bytes == 4) {
        uint32_t u;
        memcpy(&u, p, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        u = __builtin_bswap32(u);
#endif
        return (int32_t)u;
    }
    uint64_t u;
    memcpy(&u, p, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    u = __builtin_bswap64(u);
#endif
    return (int64_t)u;
}

static inline double get_be_double(const unsigned char *p)
{
    uint64_t bits = (uint64_t)get_be(p, 8);
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Read the index column @p index_name and the value column of a sparse
 * table into *index and *values (new arrays of n_rows; the values as
 * @p type, 8 bytes each). Indexes strictly increase and are below @p n. */
static int read_sparse(offbkg_ctx_t *ctx, fitsfile *f,
                       const offbkg_fitsmem_t *mem, const offbkg_header_t *h,
                       const char *path, const char *index_name,
                       const char *value_name, int type, long long n_rows,
                       size_t n, int64_t **index, void **values)
{
    char text[FLEN_STATUS];
    const unsigned char *rows;
    int st, col1, col2, bytes1, bytes2, fst = 0;

    if ((unsigned long long)n_rows > n)
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%lld rows for %zu "
                        "cells", n_rows, n);
    *index = malloc(n_rows > 0 ? (size_t)n_rows * 8 : 1);
    *values = malloc(n_rows > 0 ? (size_t)n_rows * 8 : 1);
    if (*index == NULL || *values == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = find_col(ctx, f, path, index_name, TLONGLONG, &col1, &bytes1);
    if (st == OFFBKG_OK)
        st = find_col(ctx, f, path, value_name, type, &col2, &bytes2);
    if (st != OFFBKG_OK || n_rows == 0)
        return st;
    rows = col1 == 1 && col2 == 2
               ? plain_rows(f, mem, h, n_rows, bytes1, bytes2)
               : NULL;
    if (rows != NULL) {
        /* Decoded from the file's bytes in one pass: no copy through
         * cfitsio's buffers, column by column, value by value. */
        int64_t *iv = *index, *vv = *values;
        double *dv = *values;
        for (long long r = 0; r < n_rows; r++, rows += bytes1 + bytes2) {
            iv[r] = get_be(rows, bytes1);
            if (type == TDOUBLE)
                dv[r] = get_be_double(rows + bytes1);
            else
                vv[r] = get_be(rows + bytes1, bytes2);
        }
    } else if (fits_read_col(f, TLONGLONG, col1, 1, 1, n_rows, NULL, *index,
                             NULL, &fst) != 0) {
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "column %s: %s",
                        index_name, fits_text(fst, text));
    } else if (fits_read_col(f, type, col2, 1, 1, n_rows, NULL, *values,
                             NULL, &fst) != 0) {
        return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "column %s: %s",
                        value_name, fits_text(fst, text));
    }
    for (long long r = 0; r < n_rows; r++)
        if ((*index)[r] < 0 || (uint64_t)(*index)[r] >= n
            || (r > 0 && (*index)[r] <= (*index)[r - 1]))
            return unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s %" PRId64
                            " in row %lld is out of range or out of order",
                            index_name, (*index)[r], r + 1);
    return OFFBKG_OK;
}

/* The COUNTS table into out->data: dense counts, or with @p sparse the
 * nonzero cells as they are stored (counts NULL). */
static int read_counts(offbkg_ctx_t *ctx, fitsfile *f,
                       const offbkg_fitsmem_t *mem, const char *path,
                       size_t expected, bool sparse,
                       offbkg_store_entry_t *out)
{
    long long n_rows;
    size_t n = 0;
    int64_t *cell = NULL, *count = NULL;
    uint64_t *dense;
    offbkg_header_t h;
    int st = goto_table(ctx, f, mem, path, "COUNTS", &n_rows, &h);

    if (st == OFFBKG_OK)
        st = read_size(ctx, &h, path, "NCELLS", expected, &n);
    if (st == OFFBKG_OK)
        st = read_sparse(ctx, f, mem, &h, path, "CELL", "COUNT", TLONGLONG,
                         n_rows, n, &cell, (void **)&count);
    offbkg_fitshdr_free(&h);
    for (long long r = 0; st == OFFBKG_OK && r < n_rows; r++)
        if (count[r] <= 0)
            st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "COUNT %" PRId64
                          " in row %lld", count[r], r + 1);
    if (st == OFFBKG_OK && sparse) {
        /* Both >= 0 (checked): the same values as uint64_t. */
        out->data.n_counts = n;
        out->data.n_nonzero = (size_t)n_rows;
        out->data.nonzero_cell = (const uint64_t *)cell;
        out->data.nonzero_count = (const uint64_t *)count;
        return OFFBKG_OK;
    }
    if (st == OFFBKG_OK && (dense = calloc(n, sizeof *dense)) == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK) {
        for (long long r = 0; r < n_rows; r++)
            dense[cell[r]] = (uint64_t)count[r];
        out->data.n_counts = n;
        out->data.counts = dense;
    }
    free(cell);
    free(count);
    return st;
}

static int read_exposure(offbkg_ctx_t *ctx, fitsfile *f,
                         const offbkg_fitsmem_t *mem, const char *path,
                         size_t expected, offbkg_store_entry_t *out)
{
    long long n_rows;
    size_t n = 0;
    int64_t *bin = NULL;
    double *value = NULL, uniform, *dense;
    offbkg_header_t h;
    int st = goto_table(ctx, f, mem, path, "EXPOSURE", &n_rows, &h);

    if (st == OFFBKG_OK)
        st = read_size(ctx, &h, path, "NEXPO", expected, &n);
    if (st == OFFBKG_OK && !read_time(&h, "EXPUNIF", &uniform))
        st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "EXPUNIF is missing, "
                      "not finite or negative");
    if (st == OFFBKG_OK)
        st = read_sparse(ctx, f, mem, &h, path, "BIN", "EXPOSURE", TDOUBLE,
                         n_rows, n, &bin, (void **)&value);
    offbkg_fitshdr_free(&h);
    for (long long r = 0; st == OFFBKG_OK && r < n_rows; r++)
        if (!isfinite(value[r]) || value[r] < 0)
            st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "EXPOSURE %g in "
                          "row %lld", value[r], r + 1);
    if (st == OFFBKG_OK && (dense = malloc(n * sizeof *dense)) == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK) {
        for (size_t i = 0; i < n; i++)
            dense[i] = uniform;
        for (long long r = 0; r < n_rows; r++)
            dense[bin[r]] = value[r];
        out->data.n_exposure = n;
        out->data.exposure_s = dense;
    }
    free(bin);
    free(value);
    return st;
}

/* Whether an open of an entry failed on the entry (not for lack of
 * memory, nor by a cancel). */
static bool open_failed(int st)
{
    return st != OFFBKG_OK && st != OFFBKG_ENOMEM && st != OFFBKG_ECANCELLED;
}

/* Open the store file @p path as every input is (core/input.c):
 * OFFBKG_OK, OFFBKG_STORE_MISSING or _DAMAGED with the reason, or an
 * error. */
static int open_file(offbkg_ctx_t *ctx, const char *path,
                     offbkg_fitsmem_t *mem, fitsfile **f)
{
    struct stat sb;
    int st = offbkg_input_open(ctx, path, NULL, 0, mem, f);

    /* Missing or not: asked only when the open fails (a stat() per
     * entry was a few percent of reading a complete store). A file that
     * is there now may have been put in place by another fill between
     * the open and the stat: it is opened once more before it is called
     * damaged. */
    if (open_failed(st) && stat(path, &sb) != 0) {
        st = errno == ENOENT || errno == ENOTDIR
                 ? unusable(ctx, OFFBKG_STORE_MISSING, path, "no such file")
                 : unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s",
                            strerror(errno));
    } else if (open_failed(st)) {
        offbkg_error_clear(ctx);
        st = offbkg_input_open(ctx, path, NULL, 0, mem, f);
        if (open_failed(st)) {
            /* Its message names the path already. */
            char why[1024];
            snprintf(why, sizeof why, "%s", offbkg_error_msg(ctx));
            st = offbkg_error_set(ctx, OFFBKG_STORE_DAMAGED, "%s (damaged)",
                                  why);
        }
    }
    return st;
}

static int read_entry(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                      const offbkg_store_key_t *key, size_t n_counts,
                      size_t n_exposure, bool sparse,
                      offbkg_store_entry_t *out)
{
    char *path = offbkg_store_path(store, key);
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    int st;

    memset(out, 0, sizeof *out);
    if (path == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = open_file(ctx, path, &mem, &f);
    if (st == OFFBKG_OK)
        st = read_primary(ctx, f, &mem, path, key, out);
    if (st == OFFBKG_OK)
        st = read_obs(ctx, f, &mem, path, key);
    if (st == OFFBKG_OK)
        st = read_counts(ctx, f, &mem, path, n_counts, sparse, out);
    if (st == OFFBKG_OK)
        st = read_exposure(ctx, f, &mem, path, n_exposure, out);
    offbkg_input_close(f, &mem);
    if (st != OFFBKG_OK)
        offbkg_store_entry_free(out);
    else
        out->data.struct_size = sizeof out->data;
    free(path);
    return st;
}

int offbkg_store_read(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                      const offbkg_store_key_t *key, size_t n_counts,
                      size_t n_exposure, offbkg_store_entry_t *out)
{
    return read_entry(ctx, store, key, n_counts, n_exposure, false, out);
}

int offbkg_store_read_sparse(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                             const offbkg_store_key_t *key, size_t n_counts,
                             size_t n_exposure, offbkg_store_entry_t *out)
{
    return read_entry(ctx, store, key, n_counts, n_exposure, true, out);
}

/* ------------------------------------------------------------------ */
/* Writing (doc/store.md §3, §5)                                       */

/* The value of most of @p v (more than half, when one is: Boyer-Moore's
 * vote), compared bitwise. Any value is correct, only the file is larger
 * when it is not the most common one. */
static double majority(const double *v, size_t n)
{
    uint64_t cand = 0, bits;
    size_t votes = 0;
    double out;

    for (size_t i = 0; i < n; i++) {
        memcpy(&bits, &v[i], sizeof bits);
        if (votes == 0)
            cand = bits;
        votes += bits == cand ? 1 : (size_t)-1;
    }
    memcpy(&out, &cand, sizeof out);
    return out;
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int check_entry(offbkg_ctx_t *ctx, const offbkg_store_key_t *key,
                       const offbkg_store_entry_t *e)
{
    const offbkg_contrib_data_t *d = &e->data;

    if (key->model_key == NULL || key->model_text == NULL
        || key->events.path == NULL || key->events.hdu == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64 ": an "
                                "incomplete store key", key->obs_id);
    if (d->n_counts == 0 || d->n_counts > OFFBKG_STORE_MAX_CELLS
        || d->n_exposure == 0 || d->n_exposure > OFFBKG_STORE_MAX_CELLS
        || d->counts == NULL || d->exposure_s == NULL)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64 ": a "
                                "contribution of %zu cells and %zu exposure "
                                "bins cannot be stored", key->obs_id,
                                d->n_counts, d->n_exposure);
    for (size_t i = 0; i < d->n_counts; i++)
        if (d->counts[i] > (uint64_t)INT64_MAX)
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                    ": count %" PRIu64 " in cell %zu is too "
                                    "large to store", key->obs_id,
                                    d->counts[i], i);
    for (size_t i = 0; i < d->n_exposure; i++)
        if (!isfinite(d->exposure_s[i]) || d->exposure_s[i] < 0)
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                    ": exposure %g s in bin %zu",
                                    key->obs_id, d->exposure_s[i], i);
    if (!isfinite(e->ontime_s) || e->ontime_s < 0
        || !isfinite(e->livetime_s) || e->livetime_s < 0)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                ": ONTIME %g s, LIVETIME %g s",
                                key->obs_id, e->ontime_s, e->livetime_s);
    return OFFBKG_OK;
}

static void write_string(fitsfile *f, const char *card, const char *value,
                         const char *comment, int *fst)
{
    char *text = offbkg_provenance_fits_text(value);

    if (text == NULL) {
        *fst = MEMORY_ALLOCATION;
        return;
    }
    fits_write_key_longstr(f, (char *)card, text, (char *)comment, fst);
    free(text);
}

static void write_ll(fitsfile *f, const char *card, long long v,
                     const char *comment, int *fst)
{
    fits_write_key(f, TLONGLONG, card, &v, comment, fst);
}

static void write_hex(fitsfile *f, const char *card, int digits, uint64_t v,
                      const char *comment, int *fst)
{
    char hex[17];

    snprintf(hex, sizeof hex, "%0*" PRIx64, digits, v);
    fits_write_key(f, TSTRING, card, hex, comment, fst);
}

static void write_primary(fitsfile *f, const offbkg_store_key_t *key,
                          const offbkg_store_entry_t *e, int *fst)
{
    int fmt = OFFBKG_STORE_FORMAT;

    fits_create_img(f, BYTE_IMG, 0, NULL, fst);
    fits_write_key_longwarn(f, fst);
    fits_write_key(f, TSTRING, "OFFBKGV", PACKAGE_VERSION,
                   "offbkg version that wrote this file", fst);
    fits_write_key(f, TINT, "STOREFMT", &fmt, "contribution store format",
                   fst);
    write_ll(f, "OBS_ID", key->obs_id, "the run", fst);
    write_string(f, "MODKEY", key->model_key, "model configuration key", fst);
    write_hex(f, "REGHASH", 16, key->regions_hash, "exclusion regions hash",
              fst);
    write_hex(f, "ROWHASH", 16, key->row_hash, "obs-index row hash", fst);
    write_string(f, "EVPATH", key->events.path, "events file", fst);
    write_string(f, "EVHDU", key->events.hdu, "events HDU", fst);
    write_ll(f, "EVSIZE", key->events.size_bytes, "[byte] events file size",
             fst);
    write_ll(f, "EVMTIME", key->events.mtime_ns,
             "[ns] events file modification time", fst);
    write_hex(f, "EVCRC", 8, e->events_crc, "CRC-32 of the events file",
              fst);
    write_ll(f, "NROWS", (long long)e->n_rows, "rows of the EVENTS table",
             fst);
    write_ll(f, "NEVENTS", (long long)e->n_events, "events counted", fst);
    write_ll(f, "NNONFIN", (long long)e->n_nonfinite,
             "rows dropped: NaN or inf", fst);
    write_ll(f, "NBADEN", (long long)e->n_bad_energy,
             "rows dropped: ENERGY <= 0", fst);
    write_ll(f, "NREGIONS", (long long)e->n_regions,
             "exclusion regions near the run", fst);
    /* 17 significant digits: the double read back is the one written. */
    fits_write_key_dbl(f, "ONTIME", e->ontime_s, -17, "[s]", fst);
    fits_write_key_dbl(f, "LIVETIME", e->livetime_s, -17, "[s]", fst);
}

/* The narrowest exact integer form: J (32 bits) when every one of the
 * @p n values is at most @p max, else K. J columns make the run file
 * smaller to store and to inflate (doc/store.md §3). */
static const char *int_form(const int64_t *v, size_t n, int64_t max)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] > INT32_MAX)
            return "K";
    return max <= INT32_MAX ? "J" : "K";
}

/* A two-column sparse table: a J or K index column (indexes below
 * @p n_index) and a J, K or D value column. */
static void write_sparse(fitsfile *f, const char *extname,
                         const char *index_name, const char *value_name,
                         const char *value_form, const char *value_unit,
                         size_t n_rows, size_t n_index, const int64_t *index,
                         const void *values, int *fst)
{
    char *ttype[] = { (char *)index_name, (char *)value_name };
    char *tform[] = { (char *)int_form(NULL, 0, (int64_t)n_index - 1),
                      (char *)value_form };
    char *tunit[] = { "", (char *)value_unit };

    fits_create_tbl(f, BINARY_TBL, (LONGLONG)n_rows, 2, ttype, tform, tunit,
                    extname, fst);
    if (n_rows == 0)
        return;
    /* cfitsio converts the 64-bit values to the column's form. */
    fits_write_col(f, TLONGLONG, 1, 1, 1, (LONGLONG)n_rows, (void *)index,
                   fst);
    fits_write_col(f, value_form[0] == 'D' ? TDOUBLE : TLONGLONG, 2, 1, 1,
                   (LONGLONG)n_rows, (void *)values, fst);
}

static int write_data(offbkg_ctx_t *ctx, fitsfile *f,
                      const offbkg_contrib_data_t *d, int *fst)
{
    size_t nnz = 0, n_diff = 0;
    size_t n = d->n_counts > d->n_exposure ? d->n_counts : d->n_exposure;
    int64_t *index = malloc(n * sizeof *index);
    void *values = malloc(n * 8);
    double uniform = majority(d->exposure_s, d->n_exposure);

    if (index == NULL || values == NULL) {
        free(index);
        free(values);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    int64_t *count = values;
    for (size_t i = 0; i < d->n_counts; i++)
        if (d->counts[i] != 0) {
            index[nnz] = (int64_t)i;
            count[nnz++] = (int64_t)d->counts[i];
        }
    write_sparse(f, "COUNTS", "CELL", "COUNT", int_form(count, nnz, 0), "",
                 nnz, d->n_counts, index, count, fst);
    write_ll(f, "NCELLS", (long long)d->n_counts, "cells of the model", fst);
    double *exposure = values;
    for (size_t i = 0; i < d->n_exposure; i++)
        if (!same_bits(d->exposure_s[i], uniform)) {
            index[n_diff] = (int64_t)i;
            exposure[n_diff++] = d->exposure_s[i];
        }
    write_sparse(f, "EXPOSURE", "BIN", "EXPOSURE", "D", "s", n_diff,
                 d->n_exposure, index, exposure, fst);
    write_ll(f, "NEXPO", (long long)d->n_exposure, "exposure bins", fst);
    fits_write_key_dbl(f, "EXPUNIF", uniform, -17,
                       "[s] exposure of the bins not listed", fst);
    free(index);
    free(values);
    return OFFBKG_OK;
}

/* Build the run file in out->fits. */
static int build(offbkg_ctx_t *ctx, offbkg_output_t *out,
                 const offbkg_store_key_t *key,
                 const offbkg_store_entry_t *e, const offbkg_datastore_t *ds,
                 size_t row)
{
    offbkg_table_t obs;
    int fst = 0, st;

    write_primary(out->fits, key, e, &fst);
    if (fst != 0)
        return offbkg_error_fits(ctx, fst, "%s", out->final_path);
    if ((st = offbkg_table_take(ctx, &ds->obs, &row, 1, &obs)) != OFFBKG_OK)
        return st;
    st = offbkg_table_write(ctx, out->fits, "OBS", &obs, NULL, NULL);
    offbkg_table_free(&obs);
    if (st == OFFBKG_OK)
        st = write_data(ctx, out->fits, &e->data, &fst);
    if (st == OFFBKG_OK && fst != 0)
        st = offbkg_error_fits(ctx, fst, "%s", out->final_path);
    return st;
}

/* mkdir @p dir in @p parent, unless it exists. */
static int make_dir(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                    const char *parent, const char *dir)
{
    if (mkdir(dir, 0777) == 0)
        return note_unsynced(ctx, store, parent);
    if (errno == EEXIST)
        return OFFBKG_OK;
    return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot create directory: "
                            "%s", dir, strerror(errno));
}

/* DIR/KEY/ and its MODEL, written once (another process may be first). */
static int model_dir(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                     const offbkg_store_key_t *key)
{
    char *dir = offbkg_path_join(store->dir, key->model_key);
    char *path = dir != NULL ? offbkg_path_join(dir, "MODEL") : NULL;
    offbkg_output_t out;
    int st = OFFBKG_OK;

    if (path == NULL)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    else
        st = make_dir(ctx, store, store->dir, dir);
    if (st == OFFBKG_OK && access(path, F_OK) != 0
        && (st = offbkg_output_text(ctx, path, false, &out)) == OFFBKG_OK) {
        fputs(key->model_text, out.text);
        out.sync_dir_later = true;
        st = offbkg_output_commit(ctx, &out);
        if (st == OFFBKG_OK)
            st = note_unsynced(ctx, store, dir);
    }
    if (st == OFFBKG_EEXIST) {
        offbkg_error_clear(ctx);
        st = OFFBKG_OK;
    }
    free(path);
    free(dir);
    return st;
}

/* Look at the entry there: OFFBKG_OK (*kept set) when it is valid, an
 * error (< 0), else OFFBKG_STORE_MISSING, _STALE or _DAMAGED with the
 * context's message cleared. */
static int look(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                const offbkg_store_key_t *key,
                const offbkg_store_entry_t *entry, bool *kept)
{
    offbkg_store_entry_t old;
    int there = offbkg_store_read(ctx, store, key, entry->data.n_counts,
                                  entry->data.n_exposure, &old);

    if (there == OFFBKG_OK) {
        offbkg_store_entry_free(&old);
        if (kept != NULL)
            *kept = true;
    } else if (there > 0) {
        offbkg_error_clear(ctx);
    }
    return there;
}

/* DIR/KEY: an entry was renamed into it. */
static int note_entry_dir(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                          const offbkg_store_key_t *key)
{
    char *dir = offbkg_path_join(store->dir, key->model_key);
    int st = dir != NULL ? note_unsynced(ctx, store, dir)
                         : offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of "
                                            "memory");
    free(dir);
    return st;
}

int offbkg_store_write(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                       const offbkg_store_key_t *key,
                       const offbkg_store_entry_t *entry,
                       const offbkg_datastore_t *ds, size_t row, bool *kept)
{
    offbkg_output_t out;
    char *path = NULL;
    int st, there;

    if (kept != NULL)
        *kept = false;
    if ((st = check_entry(ctx, key, entry)) != OFFBKG_OK
        || (st = model_dir(ctx, store, key)) != OFFBKG_OK)
        return st;
    if ((there = look(ctx, store, key, entry, kept)) <= OFFBKG_OK)
        return there;
    if ((path = offbkg_store_path(store, key)) == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    /* Begun as a replacement (no check that the name is free: link()
     * says it), committed as one only when the look found a file. */
    st = offbkg_output_fits(ctx, path, true, &out);
    if (st == OFFBKG_OK && (st = build(ctx, &out, key, entry, ds, row))
                               != OFFBKG_OK)
        offbkg_output_abort(&out);
    free(path);
    if (st != OFFBKG_OK)
        return st;
    /* Missing: link() into place, which fails if another process put a
     * file there since the look; that file is then looked at and kept
     * if valid. Stale or damaged, or gone again by then: rename() over
     * it. Never link() twice: other processes may put a file there and
     * remove it again as often as they like (under load, a whole write
     * done again each time fell into step with theirs and gave up). */
    out.overwrite = there != OFFBKG_STORE_MISSING;
    out.sync_dir_later = true;
    st = offbkg_output_commit_or_keep(ctx, &out);
    if (st == OFFBKG_EEXIST) {
        there = look(ctx, store, key, entry, kept);
        if (there <= OFFBKG_OK) {
            offbkg_output_abort(&out);
            return there;
        }
        out.overwrite = true;
        out.sync_dir_later = true;
        st = offbkg_output_commit(ctx, &out);
    }
    return st == OFFBKG_OK ? note_entry_dir(ctx, store, key) : st;
}

/* ------------------------------------------------------------------ */
/* Group sums (doc/store.md §8)                                        */

/* DIR/KEY/sums, or DIR/KEY/sums/<chain>.fits.gz when @p name: a new
 * string, NULL out of memory. */
static char *sum_path(const offbkg_store_t *store, const char *model_key,
                      bool name, uint64_t chain)
{
    size_t n = strlen(store->dir) + strlen(model_key) + 64;
    char *path = malloc(n);

    if (path != NULL && name)
        snprintf(path, n, "%s/%s/sums/%016" PRIx64 RUN_FILE_SUFFIX,
                 store->dir, model_key, chain);
    else if (path != NULL)
        snprintf(path, n, "%s/%s/sums", store->dir, model_key);
    return path;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int offbkg_store_sums(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                      const char *model_key, uint64_t **chains, size_t *n)
{
    char *dir = sum_path(store, model_key, false, 0);
    DIR *d = dir != NULL ? opendir(dir) : NULL;
    size_t cap = 0;
    struct dirent *e;
    int st = dir != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;

    *chains = NULL;
    *n = 0;
    while (st == OFFBKG_OK && d != NULL && (e = readdir(d)) != NULL) {
        char *end;
        uint64_t chain = strtoull(e->d_name, &end, 16);
        if (end != e->d_name + 16 || strcmp(end, RUN_FILE_SUFFIX) != 0)
            continue;   /* ".", "..", temporaries */
        if (*n == cap) {
            uint64_t *grown = realloc(*chains, (cap = 2 * cap + 16)
                                                   * sizeof *grown);
            if (grown == NULL) {
                st = OFFBKG_ENOMEM;
                break;
            }
            *chains = grown;
        }
        (*chains)[(*n)++] = chain;
    }
    if (d != NULL)
        closedir(d);
    free(dir);
    if (st != OFFBKG_OK) {
        free(*chains);
        *chains = NULL;
        *n = 0;
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    if (*n > 0)
        qsort(*chains, *n, sizeof **chains, cmp_u64);
    return OFFBKG_OK;
}

/* The primary header of a group sum against what is expected. */
static int check_sum_primary(offbkg_ctx_t *ctx, const offbkg_header_t *h,
                             const char *path, const char *model_key,
                             uint64_t chain, size_t n_runs)
{
    char *version = offbkg_fitshdr_longstr(h, "OFFBKGV");
    char *key = offbkg_fitshdr_longstr(h, "MODKEY");
    long long fmt, n;
    uint64_t got_chain;
    int st = OFFBKG_OK;

    if (version == NULL || key == NULL || !read_ll(h, "STOREFMT", &fmt)
        || !read_hex(h, "CHAIN", 16, &got_chain) || !read_ll(h, "NRUNS", &n))
        st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "a key card "
                      "(OFFBKGV, STOREFMT, MODKEY, CHAIN, NRUNS) is missing "
                      "or malformed");
    else if (fmt != OFFBKG_STORE_FORMAT)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "store format %lld "
                      "(this offbkg reads %d)", fmt, OFFBKG_STORE_FORMAT);
    else if (strcmp(version, PACKAGE_VERSION) != 0)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "written by offbkg %s "
                      "(this is %s)", version, PACKAGE_VERSION);
    else if (strcmp(key, model_key) != 0)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "another model "
                      "configuration (%s, expected %s)", key, model_key);
    else if (got_chain != chain || n < 0 || (unsigned long long)n != n_runs)
        st = unusable(ctx, OFFBKG_STORE_STALE, path, "other runs");
    free(version);
    free(key);
    return st;
}

/* The RUNS table: the runs @p runs expect (OBS_ID and RUNHASH, in order)
 * and their numbers read into @p runs. */
static int read_sum_runs(offbkg_ctx_t *ctx, fitsfile *f,
                         const offbkg_fitsmem_t *mem, const char *path,
                         size_t n_runs, offbkg_store_sum_run_t *runs)
{
    static const char *const ll_names[] = { "OBS_ID", "RUNHASH", "NROWS",
                                            "NEVENTS", "NNONFIN", "NBADEN",
                                            "NREGIONS" };
    static const char *const d_names[] = { "ONTIME", "LIVETIME" };
    long long n_rows, *ll = malloc((n_runs + 1) * 7 * sizeof *ll);
    double *d = malloc((n_runs + 1) * 2 * sizeof *d);
    char text[FLEN_STATUS];
    offbkg_header_t h;
    int st = goto_table(ctx, f, mem, path, "RUNS", &n_rows, &h), col, bytes;
    int fst = 0;

    offbkg_fitshdr_free(&h);
    if (st == OFFBKG_OK && (ll == NULL || d == NULL))
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st == OFFBKG_OK && (n_rows < 0 || (unsigned long long)n_rows != n_runs))
        st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "RUNS has %lld rows, "
                      "NRUNS %zu", n_rows, n_runs);
    for (int k = 0; st == OFFBKG_OK && k < 7; k++) {
        st = find_col(ctx, f, path, ll_names[k], TLONGLONG, &col, &bytes);
        if (st == OFFBKG_OK && n_runs > 0
            && fits_read_col(f, TLONGLONG, col, 1, 1, (LONGLONG)n_runs, NULL,
                             ll + k * n_runs, NULL, &fst) != 0)
            st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "column %s: %s",
                          ll_names[k], fits_text(fst, text));
    }
    for (int k = 0; st == OFFBKG_OK && k < 2; k++) {
        st = find_col(ctx, f, path, d_names[k], TDOUBLE, &col, &bytes);
        if (st == OFFBKG_OK && n_runs > 0
            && fits_read_col(f, TDOUBLE, col, 1, 1, (LONGLONG)n_runs, NULL,
                             d + k * n_runs, NULL, &fst) != 0)
            st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "column %s: %s",
                          d_names[k], fits_text(fst, text));
    }
    for (size_t i = 0; st == OFFBKG_OK && i < n_runs; i++) {
        offbkg_store_sum_run_t *r = &runs[i];
        if (ll[i] != r->obs_id || (uint64_t)ll[n_runs + i] != r->run_hash) {
            st = unusable(ctx, OFFBKG_STORE_STALE, path, "run %zu is not "
                          "OBS_ID %" PRId64 " as it is now", i + 1,
                          r->obs_id);
            break;
        }
        for (int k = 2; k < 7; k++)
            if (ll[k * n_runs + i] < 0)
                st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s is "
                              "negative in row %zu", ll_names[k], i + 1);
        for (int k = 0; k < 2; k++)
            if (!isfinite(d[k * n_runs + i]) || d[k * n_runs + i] < 0)
                st = unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s is not "
                              "finite and >= 0 in row %zu", d_names[k],
                              i + 1);
        r->n_rows = (size_t)ll[2 * n_runs + i];
        r->n_events = (size_t)ll[3 * n_runs + i];
        r->n_nonfinite = (size_t)ll[4 * n_runs + i];
        r->n_bad_energy = (size_t)ll[5 * n_runs + i];
        r->n_regions = (size_t)ll[6 * n_runs + i];
        r->ontime_s = d[i];
        r->livetime_s = d[n_runs + i];
    }
    free(ll);
    free(d);
    return st;
}

int offbkg_store_sum_read(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                          const char *model_key, uint64_t chain,
                          size_t n_runs, offbkg_store_sum_run_t *runs,
                          size_t n_counts, size_t n_exposure,
                          offbkg_store_entry_t *out)
{
    char *path = sum_path(store, model_key, true, chain);
    offbkg_fitsmem_t mem = { 0 };
    fitsfile *f = NULL;
    offbkg_header_t h;
    char text[FLEN_STATUS];
    int st, fst;

    memset(out, 0, sizeof *out);
    if (path == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    st = open_file(ctx, path, &mem, &f);
    if (st == OFFBKG_OK && (fst = load_header(f, &mem, &h)) != 0)
        st = fst == MEMORY_ALLOCATION
                 ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
                 : unusable(ctx, OFFBKG_STORE_DAMAGED, path, "%s",
                            fits_text(fst, text));
    else if (st == OFFBKG_OK) {
        st = check_sum_primary(ctx, &h, path, model_key, chain, n_runs);
        offbkg_fitshdr_free(&h);
    }
    if (st == OFFBKG_OK)
        st = read_sum_runs(ctx, f, &mem, path, n_runs, runs);
    if (st == OFFBKG_OK)
        st = read_counts(ctx, f, &mem, path, n_counts, false, out);
    if (st == OFFBKG_OK)
        st = read_exposure(ctx, f, &mem, path, n_exposure, out);
    offbkg_input_close(f, &mem);
    if (st != OFFBKG_OK)
        offbkg_store_entry_free(out);
    else
        out->data.struct_size = sizeof out->data;
    free(path);
    return st;
}

/* The RUNS table of a group sum. */
static void write_sum_runs(fitsfile *f, size_t n_runs,
                           const offbkg_store_sum_run_t *runs, int *fst)
{
    char *ttype[] = { "OBS_ID", "RUNHASH", "NROWS", "NEVENTS", "NNONFIN",
                      "NBADEN", "NREGIONS", "ONTIME", "LIVETIME" };
    char *tform[] = { "K", "K", "K", "K", "K", "K", "K", "D", "D" };
    char *tunit[] = { "", "", "", "", "", "", "", "s", "s" };
    long long *ll = malloc((n_runs + 1) * sizeof *ll);
    double *d = malloc((n_runs + 1) * sizeof *d);

    if (ll == NULL || d == NULL) {
        *fst = MEMORY_ALLOCATION;
        free(ll);
        free(d);
        return;
    }
    fits_create_tbl(f, BINARY_TBL, (LONGLONG)n_runs, 9, ttype, tform, tunit,
                    "RUNS", fst);
    for (int k = 0; k < 9 && n_runs > 0; k++) {
        for (size_t i = 0; i < n_runs; i++) {
            const offbkg_store_sum_run_t *r = &runs[i];
            const size_t v[] = { 0, 0, r->n_rows, r->n_events,
                                 r->n_nonfinite, r->n_bad_energy,
                                 r->n_regions };
            if (k == 0)
                ll[i] = r->obs_id;
            else if (k == 1)
                ll[i] = (long long)r->run_hash;
            else if (k < 7)
                ll[i] = (long long)v[k];
            else
                d[i] = k == 7 ? r->ontime_s : r->livetime_s;
        }
        if (k < 7)
            fits_write_col(f, TLONGLONG, k + 1, 1, 1, (LONGLONG)n_runs, ll,
                           fst);
        else
            fits_write_col(f, TDOUBLE, k + 1, 1, 1, (LONGLONG)n_runs, d, fst);
    }
    free(ll);
    free(d);
}

int offbkg_store_sum_write(offbkg_ctx_t *ctx, const offbkg_store_t *store,
                           const offbkg_store_key_t *key, uint64_t chain,
                           size_t n_runs, const offbkg_store_sum_run_t *runs,
                           const offbkg_contrib_data_t *data)
{
    offbkg_store_entry_t e = { .data = *data };
    offbkg_store_key_t check = *key;
    char *dir = sum_path(store, key->model_key, false, 0);
    char *path = sum_path(store, key->model_key, true, chain);
    offbkg_output_t out;
    int fmt = OFFBKG_STORE_FORMAT, fst = 0, st;

    /* The entry's checks of the values (the key's events are not used). */
    check.events.path = check.events.hdu = "";
    st = dir == NULL || path == NULL
             ? offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory")
             : check_entry(ctx, &check, &e);
    for (size_t i = 0; st == OFFBKG_OK && i < n_runs; i++)
        if (!isfinite(runs[i].ontime_s) || runs[i].ontime_s < 0
            || !isfinite(runs[i].livetime_s) || runs[i].livetime_s < 0)
            st = offbkg_error_set(ctx, OFFBKG_EINVAL, "OBS_ID %" PRId64
                                  ": ONTIME %g s, LIVETIME %g s",
                                  runs[i].obs_id, runs[i].ontime_s,
                                  runs[i].livetime_s);
    if (st == OFFBKG_OK)
        st = model_dir(ctx, store, key);
    if (st == OFFBKG_OK) {
        char *parent = offbkg_path_join(store->dir, key->model_key);
        st = parent != NULL ? make_dir(ctx, store, parent, dir)
                            : offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of "
                                               "memory");
        free(parent);
    }
    /* Another process may write the same sum: its bytes are the same, and
     * either file in place is whole. */
    if (st == OFFBKG_OK)
        st = offbkg_output_fits(ctx, path, true, &out);
    if (st == OFFBKG_OK) {
        fits_create_img(out.fits, BYTE_IMG, 0, NULL, &fst);
        fits_write_key_longwarn(out.fits, &fst);
        fits_write_key(out.fits, TSTRING, "OFFBKGV", PACKAGE_VERSION,
                       "offbkg version that wrote this file", &fst);
        fits_write_key(out.fits, TINT, "STOREFMT", &fmt,
                       "contribution store format", &fst);
        write_string(out.fits, "MODKEY", key->model_key,
                     "model configuration key", &fst);
        write_hex(out.fits, "CHAIN", 16, chain, "hash of the runs' keys",
                  &fst);
        write_ll(out.fits, "NRUNS", (long long)n_runs, "runs summed", &fst);
        write_sum_runs(out.fits, n_runs, runs, &fst);
        if (fst == 0)
            st = write_data(ctx, out.fits, data, &fst);
        if (st == OFFBKG_OK && fst != 0)
            st = offbkg_error_fits(ctx, fst, "%s", path);
        out.sync_dir_later = true;
        if (st == OFFBKG_OK)
            st = offbkg_output_commit(ctx, &out);
        else
            offbkg_output_abort(&out);
        if (st == OFFBKG_OK)
            st = note_unsynced(ctx, store, dir);
    }
    free(dir);
    free(path);
    return st;
}
