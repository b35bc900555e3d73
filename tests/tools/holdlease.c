/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: hold a write lease on FILE, so that any other process
 * that opens it blocks in open() (up to the kernel's lease-break-time,
 * 45 s by default) until SECONDS have passed or this process ends.
 * tests/robustness/signals.sh uses it to stop offbkg in the middle of a
 * run for certain, on a regular file.
 *
 *   holdlease FILE SECONDS
 *
 * Prints "ready" once the lease is held. Exit status 0, 1 on a bad
 * argument, 77 when leases cannot be taken here (the caller skips). */
#include <config.h>

#define _GNU_SOURCE 1
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: holdlease FILE SECONDS\n");
        return 1;
    }
    /* The kernel tells the holder with SIGIO that someone waits; the
     * point is to keep them waiting. */
    signal(SIGIO, SIG_IGN);
    fd = open(argv[1], O_RDONLY);
    if (fd < 0 || fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
        perror(argv[1]);
        return 77;
    }
    printf("ready\n");
    fflush(stdout);
    sleep((unsigned)atoi(argv[2]));
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
    return 0;
}
