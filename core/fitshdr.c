/* SPDX-License-Identifier: BSD-3-Clause
 * The cards of one FITS header, read once (see fitshdr-private.h). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fitshdr-private.h"

#define CARD 80

int offbkg_fitshdr_load(fitsfile *f, offbkg_header_t *h)
{
    int st = 0;

    h->cards = NULL;
    h->n_cards = 0;
    h->borrowed = false;
    if (fits_hdr2str(f, 0, NULL, 0, &h->cards, &h->n_cards, &st) != 0) {
        h->cards = NULL;
        h->n_cards = 0;
        fits_clear_errmsg();
    }
    return st;
}

void offbkg_fitshdr_view(offbkg_header_t *h, const char *bytes,
                         size_t n_bytes)
{
    size_t n = 0;

    while (n < n_bytes / CARD
           && memcmp(bytes + n * CARD, "END     ", 8) != 0)
        n++;
    h->cards = (char *)bytes;
    h->n_cards = n < INT_MAX ? (int)n : INT_MAX;
    h->borrowed = true;
}

void offbkg_fitshdr_free(offbkg_header_t *h)
{
    int st = 0;

    if (h->cards != NULL && !h->borrowed)
        fits_free_memory(h->cards, &st);
    h->cards = NULL;
    h->n_cards = 0;
    h->borrowed = false;
}

void offbkg_fitshdr_value_trim(char *buf)
{
    char *s = buf;
    size_t n;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    memmove(buf, s, n);
    buf[n] = '\0';
}

bool offbkg_fitshdr_value_number(const char *buf, double *value)
{
    char *end;
    double v;

    if (buf[0] == '\0')
        return false;
    v = strtod(buf, &end);
    if (end == buf || *end != '\0' || !isfinite(v))
        return false;
    *value = v;
    return true;
}

const char *offbkg_fitshdr_card(const offbkg_header_t *h, const char *key)
{
    char name[9];
    size_t n = strlen(key);

    if (n > 8)
        return NULL;
    memset(name, ' ', 8);
    for (size_t i = 0; i < n; i++)
        name[i] = (char)toupper((unsigned char)key[i]);
    for (int i = 0; i < h->n_cards; i++)
        if (memcmp(h->cards + (size_t)i * CARD, name, 8) == 0)
            return h->cards + (size_t)i * CARD;
    return NULL;
}

bool offbkg_fitshdr_string(const offbkg_header_t *h, const char *key,
                           char *buf)
{
    const char *card = offbkg_fitshdr_card(h, key);
    char text[CARD + 1], value[FLEN_VALUE];
    int st = 0;

    if (card == NULL)
        return false;
    memcpy(text, card, CARD);
    text[CARD] = '\0';
    if (fits_parse_value(text, value, NULL, &st) != 0 || value[0] == '\0') {
        fits_clear_errmsg();
        return false;
    }
    if (value[0] != '\'') {
        strcpy(buf, value);
    } else {
        /* A FITS string: up to the closing quote, '' for a quote. */
        size_t o = 0;
        for (size_t i = 1; value[i] != '\0'; i++) {
            if (value[i] == '\'') {
                if (value[i + 1] != '\'')
                    break;
                i++;
            }
            buf[o++] = value[i];
        }
        buf[o] = '\0';
    }
    offbkg_fitshdr_value_trim(buf);
    return true;
}

bool offbkg_fitshdr_double(const offbkg_header_t *h, const char *key,
                           double *value)
{
    char buf[FLEN_VALUE];

    return offbkg_fitshdr_string(h, key, buf)
           && offbkg_fitshdr_value_number(buf, value);
}

/* The value of @p card (80 characters) as a string: unquoted ('' is a
 * quote, trailing blanks dropped) when quoted, else as written; false if
 * it cannot be parsed or a quote is not closed. */
static bool card_string(const char *card, char value[FLEN_VALUE])
{
    char text[CARD + 1], raw[FLEN_VALUE];
    size_t o = 0, i;
    int st = 0;

    memcpy(text, card, CARD);
    text[CARD] = '\0';
    if (fits_parse_value(text, raw, NULL, &st) != 0) {
        fits_clear_errmsg();
        return false;
    }
    if (raw[0] != '\'') {
        strcpy(value, raw);
        return true;
    }
    for (i = 1; raw[i] != '\0'; i++) {
        if (raw[i] == '\'') {
            if (raw[i + 1] != '\'')
                break;
            i++;
        }
        value[o++] = raw[i];
    }
    if (raw[i] != '\'')
        return false;
    while (o > 0 && value[o - 1] == ' ')
        o--;
    value[o] = '\0';
    return true;
}

char *offbkg_fitshdr_longstr(const offbkg_header_t *h, const char *key)
{
    const char *card = offbkg_fitshdr_card(h, key);
    const char *end = h->cards + (size_t)h->n_cards * CARD;
    char part[FLEN_VALUE], *value, *grown;
    size_t len;

    if (card == NULL || !card_string(card, part)
        || (value = strdup(part)) == NULL)
        return NULL;
    len = strlen(value);
    for (card += CARD; len > 0 && value[len - 1] == '&' && card < end;
         card += CARD) {
        char cont[CARD];
        /* A CONTINUE card's value read as a keyword's (cfitsio's way). */
        if (memcmp(card, "CONTINUE  ", 10) != 0)
            break;
        memcpy(cont, "D2345678= ", 10);
        memcpy(cont + 10, card + 10, CARD - 10);
        if (!card_string(cont, part) || part[0] == '\0')
            break;
        if ((grown = realloc(value, len + strlen(part))) == NULL) {
            free(value);
            return NULL;
        }
        value = grown;
        strcpy(value + len - 1, part);
        len = strlen(value);
    }
    return value;
}

bool offbkg_fitshdr_ll(const offbkg_header_t *h, const char *key,
                       long long *value)
{
    char buf[FLEN_VALUE], *end;
    double d;
    long long v;

    if (!offbkg_fitshdr_string(h, key, buf) || buf[0] == '\0')
        return false;
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (*end == '\0' && errno == 0) {
        *value = v;
        return true;
    }
    if (*end == '\0')
        return false;
    if (!offbkg_fitshdr_value_number(buf, &d) || d >= 0x1p63 || d < -0x1p63)
        return false;
    *value = (long long)d;
    return true;
}

double offbkg_fitshdr_mjdref(const offbkg_header_t *hdr)
{
    double i, fr = 0, whole;
    if (offbkg_fitshdr_double(hdr, "MJDREFI", &i)) {
        offbkg_fitshdr_double(hdr, "MJDREFF", &fr);
        return i + fr;
    }
    return offbkg_fitshdr_double(hdr, "MJDREF", &whole) ? whole : NAN;
}

offbkg_timesys_t offbkg_fitshdr_timesys(const offbkg_header_t *hdr)
{
    char buf[FLEN_VALUE];
    return offbkg_fitshdr_string(hdr, "TIMESYS", buf)
               ? offbkg_timesys_parse(buf)
               : OFFBKG_TIMESYS_UNKNOWN;
}

double offbkg_fitshdr_number(const offbkg_header_t *hdr, const char *key)
{
    double v;
    return offbkg_fitshdr_double(hdr, key, &v) ? v : NAN;
}

void offbkg_fitshdr_site(const offbkg_header_t *hdr, double *lon, double *lat,
                         double *height)
{
    *lon = offbkg_fitshdr_number(hdr, "GEOLON");
    *lat = offbkg_fitshdr_number(hdr, "GEOLAT");
    *height = offbkg_fitshdr_number(hdr, "ALTITUDE");
    if (isnan(*height))
        *height = offbkg_fitshdr_number(hdr, "GEOALT");
}
