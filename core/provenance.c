/* SPDX-License-Identifier: BSD-3-Clause
 * Provenance of the output files. The configuration hash is FNV-1a 64:
 * it tells which configuration made a file, nothing in it is secret or
 * adversarial, and it is a few lines with no library (a SHA-256 would
 * add code or a dependency for no gain here). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "provenance-private.h"

uint64_t offbkg_provenance_fnv1a64(const char *text)
{
    uint64_t h = 0xcbf29ce484222325u;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return h;
}

int offbkg_provenance_config_hash(const offbkg_runconf_t *rc, char hex[17])
{
    char *text = offbkg_runconf_format(rc);

    if (text == NULL)
        return -1;
    snprintf(hex, 17, "%016llx",
             (unsigned long long)offbkg_provenance_fnv1a64(text));
    free(text);
    return 0;
}

char *offbkg_provenance_fits_text(const char *text)
{
    size_t n = 1;
    const unsigned char *p;

    for (p = (const unsigned char *)text; *p; p++)
        n += *p == '\\' ? 2 : *p >= 0x20 && *p < 0x7f ? 1 : 4;
    char *out = malloc(n), *q = out;
    if (out == NULL)
        return NULL;
    for (p = (const unsigned char *)text; *p; p++) {
        if (*p == '\\') {
            *q++ = '\\';
            *q++ = '\\';
        } else if (*p >= 0x20 && *p < 0x7f) {
            *q++ = (char)*p;
        } else {
            snprintf(q, 5, "\\x%02X", *p);
            q += 4;
        }
    }
    *q = '\0';
    return out;
}
