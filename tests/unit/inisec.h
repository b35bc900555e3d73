/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: hand-built INI sections (as the parser would make them)
 * of file t.ini in /base, header on line 1, so that no file is read. */
#ifndef OFFBKG_TESTS_INISEC_H
#define OFFBKG_TESTS_INISEC_H

#include <stdlib.h>
#include <string.h>

#include "ini-private.h"

/* Section [@p name] with room for @p n entries, all to be set with
 * inisec_set; a failed allocation fails the test. */
static inline offbkg_ini_section_t *inisec_new(const char *name, size_t n)
{
    offbkg_ini_section_t *s = calloc(1, sizeof *s);

    assert_non_null(s);
    s->name = strdup(name);
    s->line = 1;
    s->n = s->cap = n;
    s->entries = calloc(n > 0 ? n : 1, sizeof *s->entries);
    assert_non_null(s->name);
    assert_non_null(s->entries);
    return s;
}

/* Entry @p i of @p s: @p key = @p value on line @p line of t.ini. */
static inline offbkg_ini_entry_t *inisec_set(offbkg_ini_section_t *s,
                                             size_t i, const char *key,
                                             const char *value, int line)
{
    offbkg_ini_entry_t *e = &s->entries[i];

    e->key = strdup(key);
    e->value = strdup(value);
    e->file = strdup("t.ini");
    e->base_dir = strdup("/base");
    e->line = line;
    assert_true(e->key && e->value && e->file && e->base_dir);
    return e;
}

static inline void inisec_free(offbkg_ini_section_t *s)
{
    if (s == NULL)
        return;
    offbkg_ini_section_clear(s);
    free(s);
}

#endif
