/* SPDX-License-Identifier: BSD-3-Clause
 * The output set of a pipeline command: a lock, a staging directory and a
 * journal, so that its files appear at once (see outset-private.h). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deflate-private.h"
#include "output-private.h"
#include "outset-private.h"
#include "path-private.h"

#define LOCK_NAME ".offbkg.lock"
/* ".tmp" first: the names any leftover check looks for. */
#define STAGE_PREFIX ".tmp-offbkg-"
#define JOURNAL_NAME "journal"
#define JOURNAL_HEAD "offbkg output set 1\n"
#define JOURNAL_END "end\n"
/* Far more than any journal (a line per file of ours). */
#define JOURNAL_MAX_BYTES ((size_t)64 << 20)

struct offbkg_outset {
    char *dir;          /* as given: the outputs' paths start with it */
    char *stage;        /* dir/.tmp-offbkg-XXXXXX */
    int dir_fd, stage_fd, lock_fd;
    unsigned kinds;
    bool overwrite;
    bool made_dir;      /* its parent is synced at commit; removed again
                           if nothing was committed */
    bool journaled;     /* the next command completes it if we cannot */
    bool committed;
    char *fig;          /* the figure directory's name in dir, or NULL */
};

/* A model file: [label_][smooth_]background_{2,3}D_group_NNN_table.fits.gz
 * or a per-observation one, background_{2,3}D_obs_NNNNNN_table.fits.gz
 * (labels are [a-z0-9_]+). */
static bool is_model_name(const char *s)
{
    static const char tail[] = "_table.fits.gz";
    static const struct {
        const char *head;       /* the 2 stands for 2 or 3 */
        size_t min_digits;
    } kinds[] = { { "background_2D_group_", 3 }, { "background_2D_obs_", 6 } };
    size_t n = strlen(s), k = sizeof tail - 1;

    if (n <= k || strcmp(s + n - k, tail) != 0)
        return false;
    size_t end = n - k, b = end;
    while (b > 0 && s[b - 1] >= '0' && s[b - 1] <= '9')
        b--;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *head = kinds[i].head;
        size_t m = strlen(head);
        if (end - b < kinds[i].min_digits || b < m)
            continue;
        const char *p = s + b - m;
        if (strncmp(p, head, 11) != 0 || (p[11] != '2' && p[11] != '3')
            || strncmp(p + 12, head + 12, m - 12) != 0)
            continue;
        size_t prefix = b - m;
        for (size_t j = 0; j < prefix; j++)
            if (!((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9')
                  || s[j] == '_'))
                return false;
        return prefix == 0 || s[prefix - 1] == '_';
    }
    return false;
}

bool offbkg_outset_is_ours(const char *name, unsigned kinds)
{
    static const struct {
        const char *name;
        unsigned kind;
    } fixed[] = {
        { "run.lis", OFFBKG_OWN_RUN_LIST },
        { "obs.fits", OFFBKG_OWN_GROUPING },
        { "group-def.fits", OFFBKG_OWN_GROUPING },
        { "report.json", OFFBKG_OWN_REPORT },
        { "hdu-index.fits.gz", OFFBKG_OWN_INDEX },
        { "obs-index.fits.gz", OFFBKG_OWN_INDEX },
        { "bkg-index.fits.gz", OFFBKG_OWN_INDEX },
        { "validation.fits", OFFBKG_OWN_VALIDATION },
        { "index.html", OFFBKG_OWN_FIGURES },
    };

    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(name, fixed[i].name) == 0)
            return (kinds & fixed[i].kind) != 0;
    return (kinds & OFFBKG_OWN_MODELS) != 0 && is_model_name(name);
}

bool offbkg_outset_is_figure(const char *name)
{
    static const char *const suffixes[] = { ".png", ".pdf", ".svg" };
    size_t n = strlen(name);

    /* Short enough that "FIGDIR/NAME" fits a journal line's name. */
    if (n <= 4 || n > 180 || name[0] == '.')
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'
              || *c == '.'))
            return false;
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name + n - 4, suffixes[i]) == 0)
            return true;
    return false;
}

/* A figure directory's name: one plain name of at most 64 bytes, not
 * hidden, not a name of ours. */
static bool figdir_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 64 || name[0] == '.'
        || offbkg_outset_is_ours(name, OFFBKG_OWN_ALL))
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'
              || *c == '.'))
            return false;
    return true;
}

/* Whether @p rel, a name in the directory or "FIG/NAME" with @p fig the
 * figure directory (NULL: none), is a file of ours of @p kinds. */
static bool rel_is_ours(const char *fig, const char *rel, unsigned kinds)
{
    const char *slash = strchr(rel, '/');
    size_t k = fig != NULL ? strlen(fig) : 0;

    if (slash == NULL)
        return offbkg_outset_is_ours(rel, kinds);
    return fig != NULL && (kinds & OFFBKG_OWN_FIGURES) != 0
           && (size_t)(slash - rel) == k && strncmp(rel, fig, k) == 0
           && offbkg_outset_is_figure(slash + 1);
}

/* ------------------------------------------------------------------ */
/* Directory listings                                                  */

typedef struct names {
    char **name;
    size_t n;
} names_t;

static void names_free(names_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->name[i]);
    free(l->name);
    memset(l, 0, sizeof *l);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool names_has(const names_t *l, const char *name)
{
    return l->n > 0 && bsearch(&name, l->name, l->n, sizeof *l->name,
                               cmp_names) != NULL;
}

/* The entries of directory @p fd (not "." and ".."), sorted; -1 with
 * errno on failure. */
static int list_dir(int fd, names_t *l)
{
    int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = own >= 0 ? fdopendir(own) : NULL;
    struct dirent *e;
    int err = 0;

    memset(l, 0, sizeof *l);
    if (d == NULL) {
        err = errno;
        if (own >= 0)
            close(own);
        errno = err;
        return -1;
    }
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char **bigger = realloc(l->name, (l->n + 1) * sizeof *bigger);
        char *copy = strdup(e->d_name);
        if (bigger != NULL)
            l->name = bigger;
        if (bigger == NULL || copy == NULL) {
            free(copy);
            err = ENOMEM;
            break;
        }
        l->name[l->n++] = copy;
        errno = 0;
    }
    if (err == 0)
        err = errno;
    closedir(d);
    if (err != 0) {
        names_free(l);
        errno = err;
        return -1;
    }
    if (l->n > 0)
        qsort(l->name, l->n, sizeof *l->name, cmp_names);
    return 0;
}

/* Remove the entries of staging directory @p fd: its files, and with
 * @p depth 1 the files of its directories (the figure directory) and
 * them; deeper ones are never walked into. */
static void clear_dir(int fd, int depth)
{
    names_t l;

    if (list_dir(fd, &l) != 0)
        return;
    for (size_t i = 0; i < l.n; i++) {
        if (unlinkat(fd, l.name[i], 0) == 0 || errno != EISDIR || depth < 1)
            continue;
        int sub = openat(fd, l.name[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                         | O_CLOEXEC);
        if (sub >= 0) {
            clear_dir(sub, depth - 1);
            close(sub);
            unlinkat(fd, l.name[i], AT_REMOVEDIR);
        }
    }
    names_free(&l);
}

/* ------------------------------------------------------------------ */
/* The journal                                                         */

/* Whether @p text is a complete journal whose every name is a file name
 * of ours: the head line, optionally "fig FIGDIR" (the figure
 * directory), "put NAME" and "del NAME" lines (NAME plain, or
 * FIGDIR/NAME for a figure), and the end line. */
static bool journal_valid(const char *text)
{
    size_t head = strlen(JOURNAL_HEAD), n = strlen(text);
    char fig[256] = "";

    if (strncmp(text, JOURNAL_HEAD, head) != 0 || n < head + 4
        || strcmp(text + n - 4, JOURNAL_END) != 0)
        return false;
    for (const char *p = text + head; p < text + n - 4;) {
        const char *eol = strchr(p, '\n');
        char name[256];
        size_t len = (size_t)(eol - p);
        bool is_fig = strncmp(p, "fig ", 4) == 0;
        if ((strncmp(p, "put ", 4) != 0 && strncmp(p, "del ", 4) != 0
             && !is_fig)
            || len <= 4 || len - 4 >= sizeof name)
            return false;
        memcpy(name, p + 4, len - 4);
        name[len - 4] = '\0';
        if (is_fig) {
            /* Once, before any name. */
            if (fig[0] != '\0' || p != text + head || !figdir_valid(name))
                return false;
            strcpy(fig, name);
        } else if (!rel_is_ours(fig[0] ? fig : NULL, name, OFFBKG_OWN_ALL)) {
            return false;
        }
        p = eol + 1;
    }
    return true;
}

/* The figure directory of journal_apply: made if needed, never through
 * a symbolic link. */
static int open_figdir(int dir_fd, const char *fig)
{
    if (mkdirat(dir_fd, fig, 0777) != 0 && errno != EEXIST)
        return -1;
    return openat(dir_fd, fig, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                  | O_CLOEXEC);
}

/* Carry out a valid journal: rename each "put" from @p stage_fd into
 * @p dir_fd (one gone already was moved before a crash), remove each
 * "del", then sync @p dir_fd. Doing it twice does no harm. On failure the
 * name in @p name ("." for the directory) and errno. */
static int journal_apply(const char *text, int stage_fd, int dir_fd,
                         char name[256])
{
    /* The figure directory, and its staged copy (gone: moved already). */
    int fig_fd = -1, stage_fig_fd = -1, rc = 0;

    for (const char *p = text + strlen(JOURNAL_HEAD);
         rc == 0 && strcmp(p, JOURNAL_END) != 0;) {
        const char *line = p, *eol = strchr(p, '\n');
        size_t len = (size_t)(eol - p) - 4;
        memcpy(name, p + 4, len);
        name[len] = '\0';
        p = eol + 1;
        if (line[0] == 'f') {
            fig_fd = open_figdir(dir_fd, name);
            stage_fig_fd = openat(stage_fd, name, O_RDONLY | O_DIRECTORY
                                  | O_NOFOLLOW | O_CLOEXEC);
            rc = fig_fd < 0 ? -1 : 0;
            continue;
        }
        const char *slash = strchr(name, '/');
        int from = slash ? stage_fig_fd : stage_fd;
        int to = slash ? fig_fd : dir_fd;
        const char *base = slash ? slash + 1 : name;
        if (line[0] == 'p' && from < 0)
            continue;           /* moved in before an interruption */
        rc = line[0] == 'p' ? renameat(from, base, to, base)
                            : unlinkat(to, base, 0);
        if (rc != 0 && errno == ENOENT)
            rc = 0;
    }
    if (rc == 0 && fig_fd >= 0 && fsync(fig_fd) != 0 && errno != EINVAL)
        rc = -1;
    if (rc == 0 && fsync(dir_fd) != 0 && errno != EINVAL) {
        strcpy(name, ".");
        rc = -1;
    }
    int err = errno;
    if (fig_fd >= 0)
        close(fig_fd);
    if (stage_fig_fd >= 0)
        close(stage_fig_fd);
    errno = err;
    return rc;
}

/* The journal of staging directory @p fd, or NULL (none, too large or
 * unreadable). */
static char *journal_read(int fd)
{
    int jfd = openat(fd, JOURNAL_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    char *text = NULL;

    if (jfd < 0)
        return NULL;
    if (fstat(jfd, &st) == 0 && S_ISREG(st.st_mode)
        && (size_t)st.st_size < JOURNAL_MAX_BYTES
        && (text = malloc((size_t)st.st_size + 1)) != NULL) {
        ssize_t got = pread(jfd, text, (size_t)st.st_size, 0);
        if (got != (ssize_t)st.st_size || memchr(text, '\0', (size_t)got)) {
            free(text);
            text = NULL;
        } else {
            text[got] = '\0';
        }
    }
    close(jfd);
    return text;
}

/* ------------------------------------------------------------------ */
/* Opening: the lock, and what an interrupted command left             */

/* The pid written in the lock file @p fd, or 0. */
static long lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* flock() DIR/.offbkg.lock, never waiting. The holder removes the file at
 * its end while it still holds it, so a lock taken on a file no longer
 * under that name is dropped and taken again on the new one. */
static int take_lock(offbkg_ctx_t *ctx, offbkg_outset_t *s)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = openat(s->dir_fd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW
                        | O_NONBLOCK | O_CLOEXEC, 0644);
        struct stat a, b;

        if (fd < 0 && errno == ELOOP)
            return offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: a symbolic "
                                    "link, not offbkg's lock file; remove "
                                    "it", s->dir, LOCK_NAME);
        if (fd < 0)
            return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write in "
                                    "the output directory: %s", s->dir,
                                    strerror(errno));
        if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            close(fd);
            return offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: not offbkg's "
                                    "lock file (not a regular file); remove "
                                    "it", s->dir, LOCK_NAME);
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            long pid = err == EWOULDBLOCK ? lock_holder(fd) : 0;
            char who[48] = "";
            close(fd);
            if (err != EWOULDBLOCK)
                return offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot "
                                        "lock: %s", s->dir, LOCK_NAME,
                                        strerror(err));
            if (pid > 0)
                snprintf(who, sizeof who, " (pid %ld)", pid);
            return offbkg_error_set(ctx, OFFBKG_EIO, "%s: another offbkg%s "
                                    "is writing in this output directory; "
                                    "wait for it to end, or choose another "
                                    "[output] dir", s->dir, who);
        }
        if (fstatat(s->dir_fd, LOCK_NAME, &b, AT_SYMLINK_NOFOLLOW) == 0
            && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            char line[32];
            int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
            /* The pid is for the message of a second command only: a
             * failure to write it is not an error. */
            if (ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)n, 0) < 0)
                errno = 0;
            s->lock_fd = fd;
            return OFFBKG_OK;
        }
        close(fd);
    }
    return offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot lock: the file "
                            "keeps changing", s->dir, LOCK_NAME);
}

/* Complete (journal complete) or remove (not) the staging directory
 * @p name that an interrupted command left. A directory that is not
 * this user's is left alone. */
static int recover_stage(offbkg_ctx_t *ctx, offbkg_outset_t *s,
                         const char *name)
{
    struct stat st;
    int fd;
    char *text, failed[256];

    if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return OFFBKG_OK;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        OFFBKG_WARN(ctx, "%s/%s: not a staging directory of this user's "
                    "offbkg; left alone", s->dir, name);
        return OFFBKG_OK;
    }
    fd = openat(s->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                | O_CLOEXEC);
    if (fd < 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot open the "
                                "outputs an interrupted offbkg left: %s",
                                s->dir, name, strerror(errno));
    text = journal_read(fd);
    if (text != NULL && journal_valid(text)) {
        if (journal_apply(text, fd, s->dir_fd, failed) != 0) {
            int st_err = offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot "
                                          "complete the outputs of an "
                                          "interrupted offbkg: %s: %s",
                                          s->dir, name, failed,
                                          strerror(errno));
            free(text);
            close(fd);
            return st_err;
        }
        OFFBKG_WARN(ctx, "%s: completed the outputs of an offbkg command "
                    "interrupted while it moved them into place", s->dir);
    } else {
        OFFBKG_WARN(ctx, "%s: removed the unfinished outputs of an "
                    "interrupted offbkg command (%s)", s->dir, name);
    }
    free(text);
    clear_dir(fd, 1);
    close(fd);
    unlinkat(s->dir_fd, name, AT_REMOVEDIR);
    return OFFBKG_OK;
}

/* A temporary file of an earlier offbkg (".tmp<anything>.<a name of
 * ours>"), written in place before output sets. */
static bool is_old_tmp(const char *name)
{
    if (strncmp(name, ".tmp", 4) != 0)
        return false;
    for (const char *p = strchr(name + 4, '.'); p != NULL;
         p = strchr(p + 1, '.'))
        if (offbkg_outset_is_ours(p + 1, OFFBKG_OWN_ALL))
            return true;
    return false;
}

/* What interrupted commands left in the directory. */
static int recover(offbkg_ctx_t *ctx, offbkg_outset_t *s)
{
    names_t l;
    int st = OFFBKG_OK;

    if (list_dir(s->dir_fd, &l) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot list: %s",
                                s->dir, strerror(errno));
    for (size_t i = 0; st == OFFBKG_OK && i < l.n; i++) {
        const char *name = l.name[i];
        struct stat sb;
        if (strncmp(name, STAGE_PREFIX, strlen(STAGE_PREFIX)) == 0)
            st = recover_stage(ctx, s, name);
        else if (is_old_tmp(name)
                 && fstatat(s->dir_fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0
                 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid()
                 && unlinkat(s->dir_fd, name, 0) == 0)
            OFFBKG_WARN(ctx, "%s: removed %s, a temporary file an "
                        "interrupted offbkg left", s->dir, name);
    }
    names_free(&l);
    return st;
}

/* Without overwrite: refuse a directory holding files of our kinds. */
static int refuse_ours(offbkg_ctx_t *ctx, const offbkg_outset_t *s)
{
    names_t l;
    int st = OFFBKG_OK;

    if (list_dir(s->dir_fd, &l) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot list: %s",
                                s->dir, strerror(errno));
    for (size_t i = 0; st == OFFBKG_OK && i < l.n; i++)
        if (offbkg_outset_is_ours(l.name[i], s->kinds))
            st = offbkg_error_set(ctx, OFFBKG_EEXIST, "%s/%s exists; remove "
                                  "it or set [output] overwrite = true",
                                  s->dir, l.name[i]);
    names_free(&l);
    return st;
}

int offbkg_outset_begin(offbkg_ctx_t *ctx, const char *dir, unsigned kinds,
                        bool overwrite, offbkg_outset_t **set)
{
    offbkg_outset_t *s = calloc(1, sizeof *s);
    struct stat st;
    int rc;

    *set = NULL;
    if (s == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    s->dir_fd = s->stage_fd = s->lock_fd = -1;
    s->kinds = kinds;
    s->overwrite = overwrite;
    s->made_dir = stat(dir, &st) != 0;
    s->dir = strdup(dir);
    s->stage = offbkg_path_join(dir, STAGE_PREFIX "XXXXXX");
    if (s->dir == NULL || s->stage == NULL) {
        rc = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = offbkg_output_mkdir_p(ctx, dir)) != OFFBKG_OK)
        goto fail;
    s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        rc = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot open the output "
                              "directory: %s", dir, strerror(errno));
        goto fail;
    }
    if ((rc = take_lock(ctx, s)) != OFFBKG_OK
        || (rc = recover(ctx, s)) != OFFBKG_OK
        || (!overwrite && (rc = refuse_ours(ctx, s)) != OFFBKG_OK))
        goto fail;
    /* mkdtemp: mode 0700 and a new name, so nothing can be planted in it;
     * in the output directory, so a rename moves a file in. */
    if (mkdtemp(s->stage) == NULL
        || (s->stage_fd = open(s->stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                               | O_CLOEXEC)) < 0) {
        rc = offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write in the "
                              "output directory: %s", dir, strerror(errno));
        goto fail;
    }
    *set = s;
    return OFFBKG_OK;
fail:
    offbkg_outset_end(s);
    return rc;
}

/* The name of @p path in the set's directory ("FIGDIR/NAME" in its
 * figure directory), or NULL if it is not there. */
static const char *name_in_dir(const offbkg_outset_t *s, const char *path)
{
    size_t n = strlen(s->dir);
    const char *base = path + n + 1, *slash;

    if (strncmp(path, s->dir, n) != 0 || path[n] != '/' || base[0] == '\0')
        return NULL;
    if ((slash = strchr(base, '/')) == NULL)
        return base;
    if (s->fig == NULL || (size_t)(slash - base) != strlen(s->fig)
        || strncmp(base, s->fig, strlen(s->fig)) != 0 || slash[1] == '\0'
        || strchr(slash + 1, '/') != NULL)
        return NULL;
    return base;
}

int offbkg_outset_figures(offbkg_ctx_t *ctx, offbkg_outset_t *s,
                          const char *figdir)
{
    struct stat sb;
    int st = OFFBKG_OK;

    if (!figdir_valid(figdir) || s->fig != NULL
        || (s->kinds & OFFBKG_OWN_FIGURES) == 0)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s/%s: not a figure "
                                "directory offbkg can write", s->dir, figdir);
    if (fstatat(s->dir_fd, figdir, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        int fd;
        names_t l;
        if (!S_ISDIR(sb.st_mode))
            return offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: not a "
                                    "directory; remove it or choose another "
                                    "[plot] dir", s->dir, figdir);
        fd = openat(s->dir_fd, figdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                    | O_CLOEXEC);
        if (fd < 0 || list_dir(fd, &l) != 0) {
            st = offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot list: %s",
                                  s->dir, figdir, strerror(errno));
            if (fd >= 0)
                close(fd);
            return st;
        }
        close(fd);
        for (size_t i = 0; !s->overwrite && st == OFFBKG_OK && i < l.n; i++)
            if (offbkg_outset_is_figure(l.name[i]))
                st = offbkg_error_set(ctx, OFFBKG_EEXIST, "%s/%s/%s exists; "
                                      "remove it or set [output] overwrite "
                                      "= true", s->dir, figdir, l.name[i]);
        names_free(&l);
        if (st != OFFBKG_OK)
            return st;
    }
    if (mkdirat(s->stage_fd, figdir, 0700) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write in the "
                                "output directory: %s", s->dir,
                                strerror(errno));
    if ((s->fig = strdup(figdir)) == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    return OFFBKG_OK;
}

int offbkg_outset_stage_path(const offbkg_outset_t *set, const char *path,
                             char **staged)
{
    const char *name = name_in_dir(set, path);

    *staged = NULL;
    if (name == NULL)
        return 0;
    *staged = offbkg_path_join(set->stage, name);
    return *staged != NULL ? 1 : -1;
}

char *offbkg_outset_read_path(const offbkg_outset_t *set, const char *path)
{
    const char *name = name_in_dir(set, path);

    if (name != NULL && rel_is_ours(set->fig, name, set->kinds))
        return offbkg_path_join(set->stage, name);
    return strdup(path);
}

/* ------------------------------------------------------------------ */
/* Commit                                                              */

/* Append "@p op NAME\n" to the growing string *text. */
static int text_add(char **text, size_t *len, size_t *cap, const char *op,
                    const char *name)
{
    size_t need = *len + strlen(op) + strlen(name) + 3;

    if (need > *cap) {
        size_t bigger = 2 * need;
        char *p = realloc(*text, bigger);
        if (p == NULL)
            return -1;
        *text = p;
        *cap = bigger;
    }
    *len += (size_t)sprintf(*text + *len, "%s%s%s", op, op[0] ? " " : "",
                            name);
    return 0;
}

/* The entries of directory @p name in @p fd, sorted; an absent one is
 * empty. -1 with errno on failure. */
static int list_sub(int fd, const char *name, names_t *l)
{
    int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                     | O_CLOEXEC);
    int rc;

    memset(l, 0, sizeof *l);
    if (sub < 0)
        return errno == ENOENT ? 0 : -1;
    rc = list_dir(sub, l);
    close(sub);
    return rc;
}

/* Journal lines for the staged files @p put of directory @p at_fd
 * (names prefixed "@p prefix/" when not NULL) and for the files of ours
 * there that this command did not write (@p old). */
static int journal_names(offbkg_ctx_t *ctx, const offbkg_outset_t *s,
                         const char *prefix, int at_fd, const names_t *put,
                         const names_t *old, char **text, size_t *len,
                         size_t *cap, int *bad)
{
    char rel[256];

    for (size_t i = 0; i < put->n; i++) {
        struct stat sb;
        const char *name = put->name[i];
        bool there;
        if (prefix == NULL && s->fig != NULL && strcmp(name, s->fig) == 0)
            continue;           /* the staged figure directory */
        snprintf(rel, sizeof rel, "%s%s%s", prefix ? prefix : "",
                 prefix ? "/" : "", name);
        /* The recovery of a journal accepts only names of ours. */
        if (!rel_is_ours(s->fig, rel, s->kinds))
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "%s/%s: not a file "
                                    "this offbkg command writes", s->dir,
                                    rel);
        there = at_fd >= 0 && fstatat(at_fd, name, &sb,
                                      AT_SYMLINK_NOFOLLOW) == 0;
        if (there && (S_ISDIR(sb.st_mode) || !s->overwrite))
            return offbkg_error_set(ctx, OFFBKG_EEXIST, "%s/%s exists%s",
                                    s->dir, rel, S_ISDIR(sb.st_mode)
                                        ? " and is a directory"
                                        : "; remove it or set [output] "
                                          "overwrite = true");
        *bad |= text_add(text, len, cap, "put", rel);
        *bad |= text_add(text, len, cap, "", "\n");
    }
    for (size_t i = 0; i < old->n; i++) {
        struct stat sb;
        snprintf(rel, sizeof rel, "%s%s%s", prefix ? prefix : "",
                 prefix ? "/" : "", old->name[i]);
        if (!rel_is_ours(s->fig, rel, s->kinds)
            || names_has(put, old->name[i])
            || fstatat(at_fd, old->name[i], &sb, AT_SYMLINK_NOFOLLOW) != 0
            || S_ISDIR(sb.st_mode))
            continue;
        *bad |= text_add(text, len, cap, "del", rel);
        *bad |= text_add(text, len, cap, "", "\n");
    }
    return OFFBKG_OK;
}

/* fsync each staged file @p l of the directory @p fd: their writers
 * leave it to the commit, so that a set of 1000 files costs one journal
 * commit of the file system (the first fsync commits them all) rather
 * than one each. A subdirectory (the figure directory) is synced with
 * its files. -1 with errno on failure. */
static int sync_staged(int fd, const names_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        int f = openat(fd, l->name[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat sb;
        names_t sub = { 0 };
        int rc = f < 0 || fstat(f, &sb) != 0 ? -1 : 0;
        if (rc == 0 && S_ISDIR(sb.st_mode))
            rc = list_dir(f, &sub) != 0 || sync_staged(f, &sub) != 0 ? -1 : 0;
        if (rc == 0 && fsync(f) != 0 && !(S_ISDIR(sb.st_mode)
                                          && errno == EINVAL))
            rc = -1;
        int err = errno;
        names_free(&sub);
        if (f >= 0)
            close(f);
        if (rc != 0) {
            errno = err;
            return -1;
        }
    }
    return 0;
}

/* The journal of the commit: the staged files to move in, and the files
 * of our kinds in the directory (and its figure directory) that this
 * command did not write. */
static int journal_build(offbkg_ctx_t *ctx, const offbkg_outset_t *s,
                         char **text)
{
    names_t put, old, put_fig = { 0 }, old_fig = { 0 };
    size_t len = 0, cap = 0;
    int st = OFFBKG_OK, bad = 0, fig_fd = -1;

    *text = NULL;
    if (list_dir(s->stage_fd, &put) != 0)
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot list: %s",
                                s->stage, strerror(errno));
    if (sync_staged(s->stage_fd, &put) != 0) {
        int err = errno;
        names_free(&put);
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot sync the new "
                                "outputs: %s", s->stage, strerror(err));
    }
    if (list_dir(s->dir_fd, &old) != 0) {
        names_free(&put);
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot list: %s",
                                s->dir, strerror(errno));
    }
    if (s->fig != NULL) {
        fig_fd = openat(s->dir_fd, s->fig, O_RDONLY | O_DIRECTORY
                        | O_NOFOLLOW | O_CLOEXEC);
        bool absent = fig_fd < 0 && errno == ENOENT;
        if ((fig_fd < 0 && !absent)
            || list_sub(s->stage_fd, s->fig, &put_fig) != 0
            || (fig_fd >= 0 && list_dir(fig_fd, &old_fig) != 0))
            st = offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot list: %s",
                                  s->dir, s->fig, strerror(errno));
    }
    bad |= text_add(text, &len, &cap, "", JOURNAL_HEAD);
    if (st == OFFBKG_OK && s->fig != NULL) {
        bad |= text_add(text, &len, &cap, "fig", s->fig);
        bad |= text_add(text, &len, &cap, "", "\n");
    }
    if (st == OFFBKG_OK)
        st = journal_names(ctx, s, NULL, s->dir_fd, &put, &old, text, &len,
                           &cap, &bad);
    if (st == OFFBKG_OK && s->fig != NULL)
        st = journal_names(ctx, s, s->fig, fig_fd, &put_fig, &old_fig, text,
                           &len, &cap, &bad);
    bad |= text_add(text, &len, &cap, "", JOURNAL_END);
    if (fig_fd >= 0)
        close(fig_fd);
    names_free(&put);
    names_free(&old);
    names_free(&put_fig);
    names_free(&old_fig);
    if (st == OFFBKG_OK && bad)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    if (st != OFFBKG_OK) {
        free(*text);
        *text = NULL;
    }
    return st;
}

/* Add the names of @p l that @p keep accepts, prefixed "@p prefix/" when
 * not NULL, to *out. */
static int list_add(names_t *out, const names_t *l, const char *prefix,
                    const offbkg_outset_t *s, unsigned kinds)
{
    char rel[256];

    for (size_t i = 0; i < l->n; i++) {
        snprintf(rel, sizeof rel, "%s%s%s", prefix ? prefix : "",
                 prefix ? "/" : "", l->name[i]);
        if (!rel_is_ours(s->fig, rel, kinds))
            continue;
        char **bigger = realloc(out->name, (out->n + 1) * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        out->name = bigger;
        if ((out->name[out->n] = strdup(rel)) == NULL)
            return -1;
        out->n++;
    }
    return 0;
}

int offbkg_outset_list(offbkg_ctx_t *ctx, const offbkg_outset_t *s,
                       unsigned kinds, char ***names, size_t *n)
{
    names_t out = { 0 }, staged = { 0 }, there = { 0 }, fig = { 0 };
    int bad = 0;

    *names = NULL;
    *n = 0;
    if (list_dir(s->stage_fd, &staged) != 0
        || list_dir(s->dir_fd, &there) != 0
        || (s->fig != NULL && list_sub(s->stage_fd, s->fig, &fig) != 0)) {
        int err = errno;
        names_free(&staged);
        names_free(&there);
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot list: %s",
                                s->dir, strerror(err));
    }
    bad |= list_add(&out, &staged, NULL, s, kinds);
    if (s->fig != NULL)
        bad |= list_add(&out, &fig, s->fig, s, kinds);
    /* Files of kinds this command does not own stay as they are. */
    bad |= list_add(&out, &there, NULL, s, kinds & ~s->kinds);
    names_free(&staged);
    names_free(&there);
    names_free(&fig);
    if (bad) {
        names_free(&out);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    }
    if (out.n > 1)
        qsort(out.name, out.n, sizeof *out.name, cmp_names);
    *names = out.name;
    *n = out.n;
    return OFFBKG_OK;
}

/* Write @p text as the journal and make it and the staged files' names
 * durable: from here on the commit happens, now or by the next command. */
static int journal_write(offbkg_ctx_t *ctx, offbkg_outset_t *s,
                         const char *text)
{
    int fd = openat(s->stage_fd, JOURNAL_NAME, O_WRONLY | O_CREAT | O_EXCL
                    | O_NOFOLLOW | O_CLOEXEC, 0600);
    int bad = fd < 0 || offbkg_output_write_all(fd, text, strlen(text)) != 0
              || fsync(fd) != 0;
    int err = errno;

    if (fd >= 0 && close(fd) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (!bad && fsync(s->stage_fd) != 0 && errno != EINVAL) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        unlinkat(s->stage_fd, JOURNAL_NAME, 0);
        return offbkg_error_set(ctx, OFFBKG_EIO, "%s: cannot write the list "
                                "of the new outputs: %s%s", s->dir,
                                strerror(err), err == ENOSPC || err == EFBIG
                                    ? " (disk full or file size limit?)"
                                    : "");
    }
    s->journaled = true;
    return OFFBKG_OK;
}

/* The directory that holds a new output directory: its entry is synced
 * too. */
static void sync_parent(const char *dir)
{
    char *parent = offbkg_path_join(dir, "..");
    int fd = parent != NULL ? open(parent, O_RDONLY | O_DIRECTORY
                                   | O_CLOEXEC) : -1;

    if (fd >= 0) {
        if (fsync(fd) != 0)
            errno = 0;
        close(fd);
    }
    free(parent);
}

int offbkg_outset_commit(offbkg_ctx_t *ctx, offbkg_outset_t *s)
{
    char *text = NULL, failed[256];
    int st;

    /* The last moment a signal can stop the commit: after it the journal
     * makes the new set the one, whatever happens. */
    if (offbkg_ctx_cancelled(ctx))
        return offbkg_error_set(ctx, OFFBKG_ECANCELLED, "interrupted");
    if ((st = journal_build(ctx, s, &text)) != OFFBKG_OK
        || (st = journal_write(ctx, s, text)) != OFFBKG_OK) {
        free(text);
        return st;
    }
    if (journal_apply(text, s->stage_fd, s->dir_fd, failed) != 0) {
        st = offbkg_error_set(ctx, OFFBKG_EIO, "%s/%s: cannot move into "
                              "place: %s; the next offbkg command on %s "
                              "completes the outputs", s->dir, failed,
                              strerror(errno), s->dir);
        free(text);
        return st;
    }
    if (s->made_dir)
        sync_parent(s->dir);
    /* The stale files are gone: say which. */
    for (const char *p = text + strlen(JOURNAL_HEAD);
         strcmp(p, JOURNAL_END) != 0; p = strchr(p, '\n') + 1)
        if (p[0] == 'd')
            OFFBKG_WARN(ctx, "removed the old %s/%.*s: an output of an "
                        "earlier command that this one does not write",
                        s->dir, (int)(strchr(p, '\n') - p - 4), p + 4);
    free(text);
    s->committed = true;
    return OFFBKG_OK;
}

void offbkg_outset_end(offbkg_outset_t *s)
{
    if (s == NULL)
        return;
    /* A journaled set that could not be moved in stays for the next
     * command to complete; any other is removed. */
    if (s->stage_fd >= 0 && (s->committed || !s->journaled)) {
        const char *name = strrchr(s->stage, '/') + 1;
        clear_dir(s->stage_fd, 1);
        unlinkat(s->dir_fd, name, AT_REMOVEDIR);
    }
    if (s->stage_fd >= 0)
        close(s->stage_fd);
    if (s->lock_fd >= 0) {
        /* Removed while held: see take_lock. */
        unlinkat(s->dir_fd, LOCK_NAME, 0);
        close(s->lock_fd);
    }
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    /* A directory this command made and filled with nothing goes again
     * (rmdir leaves one that holds anything). */
    if (s->made_dir && !s->committed)
        rmdir(s->dir);
    free(s->dir);
    free(s->stage);
    free(s->fig);
    free(s);
}
