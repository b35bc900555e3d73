/* SPDX-License-Identifier: BSD-3-Clause
 * For tests only, loaded with LD_PRELOAD: records which directories a
 * process renames or links files into and which it fsync()s, and at exit
 * appends to $FSYNC_AUDIT one line per directory:
 *     dir PATH moves N syncs M unsynced U
 * (U: 1 when a file was moved in after the directory's last fsync),
 * "files K" for the fsync()s of other files, and "unsynced_moves X" for
 * the regular files moved into place that had not been fsync()ed. A
 * process that moved and synced nothing writes nothing (the shell of
 * libtool's wrapper). offbkg ends with _exit (core/cli/main.c), which
 * runs no destructor: the report is written there too, once. Used by
 * tests/run/store_sync.sh: a file is synced before it is moved, a name is
 * never left unsynced, and the store syncs each directory once per step,
 * not once per file. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIRS 256

typedef struct dir_use {
    char path[PATH_MAX];
    unsigned long moves, syncs;
    int unsynced;
} dir_use_t;

#define MAX_FILES 65536

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static dir_use_t dirs[MAX_DIRS];
static size_t n_dirs;
static unsigned long file_syncs;
/* The files fsync()ed (device, inode), and the regular files moved into
 * place without having been. */
static struct { dev_t dev; ino_t ino; } synced_files[MAX_FILES];
static size_t n_synced_files;
static unsigned long unsynced_moves;

static dir_use_t *dir_use(const char *path)
{
    for (size_t i = 0; i < n_dirs; i++)
        if (strcmp(dirs[i].path, path) == 0)
            return &dirs[i];
    if (n_dirs == MAX_DIRS)
        return NULL;
    snprintf(dirs[n_dirs].path, sizeof dirs[n_dirs].path, "%s", path);
    return &dirs[n_dirs++];
}

/* The directory a new name @p path is in, resolved, noted as moved into. */
static void moved_into(const char *path)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + (slash == path)),
                 path);
    if (realpath(dir, real) == NULL)
        return;
    pthread_mutex_lock(&mu);
    dir_use_t *d = dir_use(real);
    if (d != NULL) {
        d->moves++;
        d->unsynced = 1;
    }
    pthread_mutex_unlock(&mu);
}

static void synced(int fd)
{
    struct stat sb;
    char link[64], real[PATH_MAX];
    ssize_t n;

    if (fstat(fd, &sb) != 0)
        return;
    pthread_mutex_lock(&mu);
    if (!S_ISDIR(sb.st_mode)) {
        file_syncs++;
        if (n_synced_files < MAX_FILES)
            synced_files[n_synced_files++].dev = sb.st_dev,
                synced_files[n_synced_files - 1].ino = sb.st_ino;
    } else {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, real, sizeof real - 1);
        if (n > 0) {
            real[n] = '\0';
            dir_use_t *d = dir_use(real);
            if (d != NULL) {
                d->syncs++;
                d->unsynced = 0;
            }
        }
    }
    pthread_mutex_unlock(&mu);
}

/* Whether the regular file @p sb (about to be moved into place) was
 * fsync()ed; a count of those that were not. */
static void check_synced(const struct stat *sb)
{
    int found = 0;

    if (!S_ISREG(sb->st_mode))
        return;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n_synced_files && !found; i++)
        found = synced_files[i].dev == sb->st_dev
                && synced_files[i].ino == sb->st_ino;
    unsynced_moves += !found;
    pthread_mutex_unlock(&mu);
}

int rename(const char *from, const char *to)
{
    int (*real_rename)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    struct stat sb;
    int known = lstat(from, &sb) == 0;
    int r = real_rename(from, to);
    if (r == 0) {
        moved_into(to);
        if (known)
            check_synced(&sb);
    }
    return r;
}

int link(const char *from, const char *to)
{
    int (*real_link)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
    struct stat sb;
    int known = lstat(from, &sb) == 0;
    int r = real_link(from, to);
    if (r == 0) {
        moved_into(to);
        if (known)
            check_synced(&sb);
    }
    return r;
}

/* @p path relative to the directory @p dirfd, made absolute. */
static void moved_into_at(int dirfd, const char *path)
{
    char link[64], dir[PATH_MAX], full[2 * PATH_MAX];
    ssize_t n;

    if (path[0] == '/' || dirfd == AT_FDCWD) {
        moved_into(path);
        return;
    }
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    if ((n = readlink(link, dir, sizeof dir - 1)) <= 0)
        return;
    dir[n] = '\0';
    snprintf(full, sizeof full, "%s/%s", dir, path);
    moved_into(full);
}

int renameat(int from_dir, const char *from, int to_dir, const char *to)
{
    int (*real_renameat)(int, const char *, int, const char *) =
        (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT,
                                                             "renameat");
    struct stat sb;
    int known = fstatat(from_dir, from, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    int r = real_renameat(from_dir, from, to_dir, to);
    if (r == 0) {
        moved_into_at(to_dir, to);
        if (known)
            check_synced(&sb);
    }
    return r;
}

int linkat(int from_dir, const char *from, int to_dir, const char *to,
           int flags)
{
    int (*real_linkat)(int, const char *, int, const char *, int) =
        (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT,
                                                                  "linkat");
    struct stat sb;
    int known = fstatat(from_dir, from, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    int r = real_linkat(from_dir, from, to_dir, to, flags);
    if (r == 0) {
        moved_into_at(to_dir, to);
        if (known)
            check_synced(&sb);
    }
    return r;
}

int fsync(int fd)
{
    int (*real_fsync)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int r = real_fsync(fd);
    if (r == 0)
        synced(fd);
    return r;
}

__attribute__((destructor)) static void report(void)
{
    static int done;
    const char *path = getenv("FSYNC_AUDIT");
    FILE *f;

    if (done++ || path == NULL || (n_dirs == 0 && file_syncs == 0))
        return;
    if ((f = fopen(path, "a")) == NULL)
        return;
    for (size_t i = 0; i < n_dirs; i++)
        fprintf(f, "dir %s moves %lu syncs %lu unsynced %d\n", dirs[i].path,
                dirs[i].moves, dirs[i].syncs, dirs[i].unsynced);
    fprintf(f, "files %lu\n", file_syncs);
    fprintf(f, "unsynced_moves %lu\n", unsynced_moves);
    fclose(f);
}

void _exit(int status)
{
    void (*real_exit)(int) = (void (*)(int))dlsym(RTLD_NEXT, "_exit");

    report();
    real_exit(status);
    abort();    /* _exit does not return */
}
