/* SPDX-License-Identifier: BSD-3-Clause
 * A parallel loop over independent items. */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>

#include "parallel-private.h"

typedef struct loop {
    size_t next;            /* the next item to take (atomic) */
    size_t n;
    void (*fn)(void *arg, size_t i);
    void *arg;
} loop_t;

static void *take_items(void *p)
{
    loop_t *l = p;
    size_t i;

    while ((i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED)) < l->n)
        l->fn(l->arg, i);
    return NULL;
}

void offbkg_parallel_for(size_t n, size_t threads,
                         void (*fn)(void *arg, size_t i), void *arg)
{
    loop_t l = { 0, n, fn, arg };
    size_t extra = threads > 1 && n > 1 ? (threads < n ? threads : n) - 1
                                        : 0;
    pthread_t *tid = extra > 0 ? malloc(extra * sizeof *tid) : NULL;
    size_t started = 0;

    while (tid != NULL && started < extra
           && pthread_create(&tid[started], NULL, take_items, &l) == 0)
        started++;
    take_items(&l);
    for (size_t k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    free(tid);
}
