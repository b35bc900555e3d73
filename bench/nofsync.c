/* SPDX-License-Identifier: BSD-3-Clause
 * For make bench only: fsync() and fdatasync() that do nothing, loaded
 * with LD_PRELOAD, to measure what offbkg's syncing of its outputs costs
 * (bench/run.sh, "durability"). Never use it for real work. */
int fsync(int fd);
int fdatasync(int fd);

int fsync(int fd)
{
    (void)fd;
    return 0;
}

int fdatasync(int fd)
{
    (void)fd;
    return 0;
}
