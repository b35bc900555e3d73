/* SPDX-License-Identifier: BSD-3-Clause
 * A parallel loop over independent items, and one of items that can
 * fail. */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>

#include "error-private.h"
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

typedef struct tries {
    int (*fn)(offbkg_ctx_t *ctx, void *arg, size_t i);
    void *arg;
    offbkg_ctx_t **ctx;     /* per item */
    int *st;                /* per item */
} tries_t;

static void try_item(void *p, size_t i)
{
    tries_t *t = p;

    t->st[i] = t->fn(t->ctx[i], t->arg, i);
}

int offbkg_parallel_try(offbkg_ctx_t *ctx, size_t n, size_t threads,
                        int (*fn)(offbkg_ctx_t *ctx, void *arg, size_t i),
                        void *arg)
{
    tries_t t = { fn, arg, calloc(n + 1, sizeof *t.ctx),
                  calloc(n + 1, sizeof *t.st) };
    int st = t.ctx != NULL && t.st != NULL ? OFFBKG_OK : OFFBKG_ENOMEM;

    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        if ((t.ctx[i] = offbkg_ctx_new_child(ctx)) == NULL)
            st = OFFBKG_ENOMEM;
    if (st != OFFBKG_OK)
        st = offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    else
        offbkg_parallel_for(n, threads, try_item, &t);
    for (size_t i = 0; st == OFFBKG_OK && i < n; i++)
        if (t.st[i] != OFFBKG_OK)
            st = offbkg_error_set(ctx, t.st[i], "%s",
                                  offbkg_error_msg(t.ctx[i]));
    for (size_t i = 0; t.ctx != NULL && i < n; i++)
        offbkg_ctx_free(t.ctx[i]);
    free(t.ctx);
    free(t.st);
    return st;
}
