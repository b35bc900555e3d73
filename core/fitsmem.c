/* SPDX-License-Identifier: BSD-3-Clause
 * A FITS file's leading HDUs in memory (see fitsmem-private.h). FITS
 * facts used: a header is 80-byte cards in 2880-byte blocks up to the
 * END card; the data that follow are |BITPIX|/8 x GCOUNT x (PCOUNT +
 * NAXIS1 x ... x NAXISn) bytes (NAXIS1 left out of the product for the
 * random groups of a primary HDU whose NAXIS1 is 0), padded to whole
 * blocks; NAXIS = 0 means no data. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx-private.h"
#include "fitsmem-private.h"
#include "inflate-private.h"
#include "input-private.h"

#define BLOCK 2880
#define CARD 80
/* Compressed bytes read at a time, and the first allocation. The file
 * itself is read or inflated up to the next header to look at, never
 * beyond the last HDU needed. */
#define STEP ((size_t)1 << 17)
#define LOAD_CHUNK ((size_t)1 << 23)
/* A header longer than this is not an event file's; let cfitsio judge. */
#define MAX_HEADER_BYTES ((size_t)BLOCK * 4096)
#define MAX_NAME 72

typedef struct scan {
    size_t hdu;      /* offset of the next HDU to parse */
    int primary;     /* it is the primary HDU */
    unsigned found;  /* bit i: hdus[i] has been seen */
    size_t end;      /* end of the last HDU needed; 0 until known */
    size_t need;     /* bytes needed to go on, when scan asks for more */
    long hdu_num;    /* of the next HDU (1: the primary) */
    size_t data_end; /* end of the last HDU parsed, unpadded */
    char key[9];     /* the keyword of an unsafe card found */
} scan_t;

/* The integer value of @p card; 0 when it has none. As cfitsio reads
 * it: a blank after the number ends it, whatever follows ("40 junk" is
 * 40), so that the headers are followed as far as cfitsio follows them. */
static int card_int(const unsigned char *card, long long *v)
{
    char text[CARD - 9];
    char *end;

    if (card[8] != '=' || card[9] != ' ')
        return 0;
    memcpy(text, card + 10, sizeof text - 1);
    text[sizeof text - 1] = '\0';
    errno = 0;
    *v = strtoll(text, &end, 10);
    if (end == text || errno != 0)
        return 0;
    return *end == '\0' || *end == ' ' || *end == '/';
}

/* The string value of @p card, without quotes and trailing blanks. */
static int card_string(const unsigned char *card, char out[MAX_NAME])
{
    size_t i = 10, n = 0;

    if (card[8] != '=' || card[9] != ' ')
        return 0;
    while (i < CARD && card[i] == ' ')
        i++;
    if (i == CARD || card[i] != '\'')
        return 0;
    for (i++; i < CARD && n < MAX_NAME - 1; i++) {
        if (card[i] == '\'') {
            if (i + 1 < CARD && card[i + 1] == '\'') {
                out[n++] = '\'';
                i++;
                continue;
            }
            break;
        }
        out[n++] = (char)card[i];
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return 1;
}

/* @p name equals @p want, case and surrounding blanks aside. */
static int same_name(const char *name, const char *want)
{
    size_t n;

    while (*want == ' ')
        want++;
    n = strlen(want);
    while (n > 0 && want[n - 1] == ' ')
        n--;
    return strlen(name) == n && strncasecmp(name, want, n) == 0;
}

/* The keyword of @p card is @p key (blank-padded to 8). */
static int is_key(const unsigned char *card, const char *key)
{
    size_t n = strlen(key);

    if (memcmp(card, key, n) != 0)
        return 0;
    for (; n < 8; n++)
        if (card[n] != ' ')
            return 0;
    return 1;
}

/* A TTYPEn card whose value is not a quoted string, as FITS requires:
 * cfitsio (4.2) copies such a value unchecked into its 70-byte column
 * name, and a 70-character one overflows it. */
static int card_unsafe(const unsigned char *card)
{
    size_t i = 10;

    if (memcmp(card, "TTYPE", 5) != 0 || card[8] != '=')
        return 0;
    while (i < CARD && card[i] == ' ')
        i++;
    return i < CARD && card[i] != '\'';
}

/* The first unsafe card among the whole cards of @p buf (@p n bytes,
 * from a card boundary): 1 with its keyword in @p key, or 0. */
static int unsafe_in(const unsigned char *buf, size_t n, char key[9])
{
    for (size_t c = 0; c + CARD <= n; c += CARD)
        if (card_unsafe(buf + c)) {
            memcpy(key, buf + c, 8);
            key[8] = '\0';
            key[strcspn(key, " ")] = '\0';
            return 1;
        }
    return 0;
}

typedef struct hdu_info {
    long long naxis, bitpix, pcount, gcount;
    unsigned long long product;  /* of the NAXISn that count */
    int matched;                 /* bit i: named hdus[i] */
} hdu_info_t;

/* One card of a header into @p h; -1 when it is not a header we can
 * follow. */
static int take_card(const unsigned char *card, int primary, hdu_info_t *h,
                     const char *const *hdus, size_t n_hdus)
{
    char name[MAX_NAME];
    long long v;

    if (is_key(card, "BITPIX"))
        return card_int(card, &h->bitpix) ? 0 : -1;
    if (is_key(card, "NAXIS"))
        return card_int(card, &h->naxis) && h->naxis >= 0 && h->naxis <= 999
                   ? 0
                   : -1;
    if (is_key(card, "PCOUNT"))
        return card_int(card, &h->pcount) && h->pcount >= 0 ? 0 : -1;
    if (is_key(card, "GCOUNT"))
        return card_int(card, &h->gcount) && h->gcount >= 0 ? 0 : -1;
    if (memcmp(card, "NAXIS", 5) == 0 && isdigit(card[5])) {
        if (!card_int(card, &v) || v < 0)
            return -1;
        /* Random groups: NAXIS1 = 0 in a primary HDU is no axis. */
        if (primary && v == 0 && memcmp(card, "NAXIS1  ", 8) == 0)
            return 0;
        if (__builtin_mul_overflow(h->product, (unsigned long long)v,
                                   &h->product))
            return -1;
        return 0;
    }
    if ((is_key(card, "EXTNAME") || is_key(card, "HDUNAME"))
        && card_string(card, name))
        for (size_t i = 0; i < n_hdus; i++)
            if (same_name(name, hdus[i]))
                h->matched |= 1u << i;
    return 0;
}

/* The data bytes the header @p h describes, unpadded; -1 when they
 * cannot be worked out. */
static int hdu_data_bytes(const hdu_info_t *h, unsigned long long *bytes)
{
    unsigned long long width;

    if (h->naxis < 0
        || (h->bitpix != 8 && h->bitpix != 16 && h->bitpix != 32
            && h->bitpix != 64 && h->bitpix != -32 && h->bitpix != -64))
        return -1;
    *bytes = 0;
    if (h->naxis == 0)
        return 0;
    width = (unsigned long long)(h->bitpix < 0 ? -h->bitpix : h->bitpix) / 8;
    if (__builtin_add_overflow(h->product, (unsigned long long)h->pcount,
                               bytes)
        || __builtin_mul_overflow(*bytes,
                                  (unsigned long long)h->gcount * width,
                                  bytes)
        || *bytes > SIZE_MAX / 2)
        return -1;
    return 0;
}

/* Follow the headers in buf[0, have): 1 once the end of the last HDU
 * needed is known (s->end), 0 when more bytes are needed, -1 for a
 * header this reader does not follow, -2 at a card cfitsio cannot parse
 * safely (s->hdu_num, s->key). A header that cannot be followed is still
 * read to its END for such cards: cfitsio reads it up to there. */
static int scan(scan_t *s, const unsigned char *buf, size_t have,
                const char *const *hdus, size_t n_hdus)
{
    const unsigned all = (1u << n_hdus) - 1;

    for (;;) {
        hdu_info_t h = { -1, 0, 0, 1, 1, 0 };
        size_t p = s->hdu, c = p;
        unsigned long long bytes;
        int followed = 1;

        s->need = p + BLOCK;
        if (have < p + CARD)
            return 0;
        if (memcmp(buf + p, s->primary ? "SIMPLE  =" : "XTENSION=", 9) != 0)
            return -1;
        for (;; c += CARD) {
            if (c + CARD > have) {
                s->need = c + BLOCK;
                return 0;
            }
            if (c - p >= MAX_HEADER_BYTES)
                return -1;
            if (is_key(buf + c, "END"))
                break;
            if (unsafe_in(buf + c, CARD, s->key))
                return -2;
            if (followed
                && take_card(buf + c, s->primary, &h, hdus, n_hdus) != 0)
                followed = 0;
        }
        if (!followed || hdu_data_bytes(&h, &bytes) != 0)
            return -1;
        c += CARD;
        s->data_end = p + (c - p + BLOCK - 1) / BLOCK * BLOCK
                      + (size_t)bytes;
        s->hdu = p + (c - p + BLOCK - 1) / BLOCK * BLOCK
                 + ((size_t)bytes + BLOCK - 1) / BLOCK * BLOCK;
        s->primary = 0;
        s->hdu_num++;
        s->found |= (unsigned)h.matched;
        if (n_hdus > 0 && (s->found & all) == all) {
            s->end = s->hdu;
            return 1;
        }
    }
}

/* cfitsio "truncates" a memory file to the end of each HDU it moves to,
 * even one opened read-only: without a realloc function it just takes
 * the new size, so a header that claims more data than was loaded would
 * have it read past the bytes loaded, into memory never written or not
 * ours. The buffer is handed out LEAD bytes into its allocation, with
 * the bytes loaded stored in front, so that the realloc function given
 * to cfitsio can refuse to grow it without global state. */
#define LEAD ((size_t)16)   /* keeps the buffer 16-byte aligned */

static size_t *loaded_bytes(void *buf)
{
    return (size_t *)(void *)((char *)buf - LEAD);
}

static void *within_loaded(void *buf, size_t n)
{
    return n <= *loaded_bytes(buf) ? buf : NULL;
}

/* Room for @p n bytes in @p m->buf. */
static int reserve(offbkg_fitsmem_t *m, size_t n)
{
    size_t cap = m->cap > 0 ? m->cap : STEP;
    char *p;

    if (n <= m->cap)
        return 0;
    while (cap < n)
        cap *= 2;
    p = realloc(m->buf != NULL ? (char *)m->buf - LEAD : NULL, LEAD + cap);
    if (p == NULL)
        return -1;
    m->buf = p + LEAD;
    m->cap = cap;
    return 0;
}

typedef struct source {
    int fd;
    int gzip;
    int eof;            /* the file is read to its end */
    int stream_end;     /* gzip: the last member is inflated */
    offbkg_inflate_t *z;
    unsigned char *in;  /* gzip: compressed bytes read */
    bool crc_on;        /* crc: of every byte read from the file */
    uint32_t crc;
} source_t;

/* @p n bytes of @p buf read from @p src's file. */
static void read_bytes(source_t *src, const unsigned char *buf, size_t n)
{
    if (src->crc_on)
        src->crc = offbkg_inflate_crc32(src->crc, buf, n);
}

/* More compressed bytes for @p src when it has used up what it read,
 * unless its file is read to the end; 0, or -1 on a read error. */
static int refill(source_t *src)
{
    ssize_t n;

    if (offbkg_inflate_avail_in(src->z) > 0 || src->eof)
        return 0;
    do
        n = read(src->fd, src->in, STEP);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    src->eof = n == 0;
    read_bytes(src, src->in, (size_t)n);
    offbkg_inflate_input(src->z, src->in, (size_t)n);
    return 0;
}

/* Up to @p want more bytes of the (inflated) file into @p out, adding
 * the count to *have; 0, or -1 on a read or inflate error or a
 * truncated gzip stream. */
static int pull(source_t *src, unsigned char *out, size_t want,
                size_t *have)
{
    if (!src->gzip) {
        while (want > 0 && !src->eof) {
            ssize_t n = read(src->fd, out, want);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return -1;
            src->eof = n == 0;
            read_bytes(src, out, (size_t)n);
            out += n;
            *have += (size_t)n;
            want -= (size_t)n;
        }
        return 0;
    }
    while (want > 0 && !src->stream_end) {
        if (refill(src) != 0)
            return -1;
        size_t before = offbkg_inflate_avail_in(src->z), got = 0;
        offbkg_inflate_status_t st = offbkg_inflate_step(src->z, out, want,
                                                         &got);
        out += got;
        *have += got;
        want -= got;
        if (st == OFFBKG_INFLATE_ERROR)
            return -1;
        if (st == OFFBKG_INFLATE_MEMBER_END) {
            /* Another gzip member may follow. */
            if (refill(src) != 0)
                return -1;
            if (offbkg_inflate_avail_in(src->z) == 0)
                src->stream_end = 1;
            else if (offbkg_inflate_next_member(src->z) != 0)
                return -1;
        } else if (got == 0 && offbkg_inflate_avail_in(src->z) == before) {
            /* No progress: input is refilled before a step unless the
             * file is at its end, so the file ends inside a member. */
            return -1;
        }
    }
    return 0;
}

/* Read or inflate the file of @p src up to the end of the HDUs needed
 * (or all of it) into @p m, at most @p max_bytes of it. */
static offbkg_fitsmem_result_t load(offbkg_fitsmem_t *m, source_t *src,
                                    size_t max_bytes,
                                    const char *const *hdus, size_t n_hdus,
                                    scan_t *s)
{
    size_t have = 0;
    int known = 0, whole = 0;

    m->size = m->file_size = 0;
    for (;;) {
        int at_end = src->gzip ? src->stream_end : src->eof;
        /* Up to the next header (or the end), not beyond. */
        size_t to = known            ? s->end
                    : whole          ? have + LOAD_CHUNK
                    : s->need > have + BLOCK ? s->need
                                             : have + BLOCK;
        /* A chunk at a time, so that memory grows with the bytes that
         * arrive, not with what a header claims. */
        size_t want = to - have < LOAD_CHUNK ? to - have : LOAD_CHUNK;
        if (known && have >= s->end) {
            m->size = s->end;
            return OFFBKG_FITSMEM_LOADED;
        }
        if (at_end) {
            /* The whole file: cfitsio finds what is there, or says
             * what is not (never reading past the bytes loaded: see
             * within_loaded). A plain file that cuts an HDU short is
             * left to cfitsio on disk, which says where; in memory,
             * cfitsio could not even move to that HDU. */
            if (!whole && s->data_end > have)
                return src->gzip ? OFFBKG_FITSMEM_CUT_SHORT
                                 : OFFBKG_FITSMEM_NOT_HANDLED;
            /* Loaded whole for headers we could not follow: cfitsio may
             * read on past where we stopped, so every card is looked at. */
            if (whole && unsafe_in(m->buf, have, s->key))
                return OFFBKG_FITSMEM_UNSAFE;
            m->size = m->file_size = have;
            return OFFBKG_FITSMEM_LOADED;
        }
        if (have + want > max_bytes)
            return src->gzip ? OFFBKG_FITSMEM_TOO_LARGE
                             : OFFBKG_FITSMEM_NOT_HANDLED;
        if (reserve(m, have + want) != 0)
            return OFFBKG_FITSMEM_NO_MEMORY;
        if (pull(src, (unsigned char *)m->buf + have, want, &have) != 0)
            return src->gzip ? OFFBKG_FITSMEM_BAD_GZIP
                             : OFFBKG_FITSMEM_NOT_HANDLED;
        if (!known && !whole) {
            int r = scan(s, m->buf, have, hdus, n_hdus);
            if (r == -2)
                return OFFBKG_FITSMEM_UNSAFE;
            /* A header this reader cannot follow: a plain file is left
             * to cfitsio on disk; a gzip one is inflated whole (never by
             * cfitsio, which inflates without a bound), for cfitsio to
             * judge from memory. */
            if (r == -1 && !src->gzip)
                return OFFBKG_FITSMEM_NOT_HANDLED;
            whole = r == -1;
            known = r == 1;
        }
    }
}

/* @p src reads the open file @p fd, inflating it when @p gzip (*in: the
 * compressed-bytes buffer, allocated on first use). 0 or -1. */
static int source_start(source_t *src, int fd, int gzip, unsigned char **in)
{
    memset(src, 0, sizeof *src);
    src->fd = fd;
    if (!gzip)
        return 0;
    src->gzip = 1;
    if (*in == NULL)
        *in = malloc(STEP);
    src->in = *in;
    src->z = offbkg_inflate_new();
    if (src->in == NULL || src->z == NULL) {
        offbkg_inflate_free(src->z);
        src->z = NULL;
        src->gzip = 0;
        return -1;
    }
    return 0;
}

/* The bytes of @p src's file after those read, through *in (STEP
 * bytes, allocated on first use), for its CRC. 0, or -1 on an error. */
static int read_rest(source_t *src, unsigned char **in)
{
    ssize_t n;

    if (*in == NULL && (*in = malloc(STEP)) == NULL)
        return -1;
    while (!src->eof) {
        n = read(src->fd, *in, STEP);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        src->eof = n == 0;
        read_bytes(src, *in, (size_t)n);
    }
    return 0;
}

/* Ends @p src, leaving its file open. */
static void source_end(source_t *src)
{
    offbkg_inflate_free(src->z);
    src->z = NULL;
}

offbkg_fitsmem_result_t offbkg_fitsmem_load(offbkg_fitsmem_t *m, int fd,
                                            int gzip, size_t max_bytes,
                                            const char *const *hdus,
                                            size_t n_hdus, long *hdu_num,
                                            char key[9])
{
    scan_t s = { 0, 1, 0, 0, 4 * BLOCK, 1, 0, "" };
    source_t src;
    offbkg_fitsmem_result_t r;

    if (n_hdus > 16)
        return OFFBKG_FITSMEM_NOT_HANDLED;
    if (source_start(&src, fd, gzip, &m->in) != 0)
        return OFFBKG_FITSMEM_NO_MEMORY;
    src.crc_on = m->want_crc;
    m->crc_known = false;
    r = load(m, &src, max_bytes, hdus, n_hdus, &s);
    if (r == OFFBKG_FITSMEM_LOADED && src.crc_on) {
        m->crc_known = read_rest(&src, &m->in) == 0;
        m->crc = src.crc;
    }
    source_end(&src);
    if (r == OFFBKG_FITSMEM_LOADED)
        *loaded_bytes(m->buf) = m->size;
    else
        m->size = m->file_size = 0;
    if (r == OFFBKG_FITSMEM_UNSAFE) {
        *hdu_num = s.hdu_num;
        memcpy(key, s.key, sizeof s.key);
    }
    if (r == OFFBKG_FITSMEM_CUT_SHORT)
        *hdu_num = s.hdu_num - 1;
    return r;
}

int offbkg_fitsmem_open_loaded(offbkg_fitsmem_t *m, fitsfile **f,
                               int *status)
{
    *f = NULL;
    if (m->size < BLOCK) {
        /* cfitsio's own word for it. */
        *status = FILE_NOT_OPENED;
        return *status;
    }
    if (fits_open_memfile(f, "offbkg-prefix.fits", READONLY, &m->buf,
                          &m->size, 0, within_loaded, status) != 0)
        *f = NULL;
    return *status;
}

int offbkg_fitsmem_open(offbkg_fitsmem_t *m, const char *path,
                        const char *const *hdus, size_t n_hdus,
                        fitsfile **f)
{
    unsigned char magic[2];
    struct stat sb;
    long hdu_num;
    char key[9];
    int fd = open(path, O_RDONLY | O_CLOEXEC), gzip, st = 0, rc = -1;

    *f = NULL;
    if (fd < 0)
        return -1;
    gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f
           && magic[1] == 0x8b;
    /* As the guarded open: a gzip trailer no file of its size can have,
     * or a plain file that is not whole 2880-byte blocks (cut short,
     * maybe inside an HDU we read), are not loaded. */
    if (fstat(fd, &sb) == 0
        && (gzip ? offbkg_input_gzip_implausible_size(fd, (long long)sb.st_size)
                       == 0
                 : sb.st_size % BLOCK == 0)
        && offbkg_fitsmem_load(m, fd, gzip, OFFBKG_MAX_INFLATED_DEFAULT,
                               hdus, n_hdus, &hdu_num, key)
               == OFFBKG_FITSMEM_LOADED
        && offbkg_fitsmem_open_loaded(m, f, &st) == 0)
        rc = 0;
    fits_clear_errmsg();
    close(fd);
    return rc;
}

/* Skip @p bytes of @p src, reading through @p buf (STEP bytes); 0 or
 * -1 when the file ends first. */
static int skip(source_t *src, unsigned char *buf, unsigned long long bytes)
{
    if (!src->gzip && !src->crc_on)
        return lseek(src->fd, (off_t)bytes, SEEK_CUR) < 0 ? -1 : 0;
    while (bytes > 0) {
        size_t have = 0, want = bytes < STEP ? (size_t)bytes : STEP;
        if (pull(src, buf, want, &have) != 0 || have < want)
            return -1;
        bytes -= want;
    }
    return 0;
}

/* The next header of @p src into @p h, through @p buf: 0 at its END
 * card, 1 at an unsafe card (its keyword in @p key), -1 where it cannot
 * be followed. */
static int walk_header(source_t *src, unsigned char *buf, int primary,
                       hdu_info_t *h, char key[9])
{
    /* A card we cannot follow ends the walk after this header, not at
     * that card: cfitsio may read the header on, up to an unsafe card. */
    int followed = 1;

    for (size_t header_bytes = 0; header_bytes < MAX_HEADER_BYTES;
         header_bytes += BLOCK) {
        size_t have = 0;
        if (pull(src, buf, BLOCK, &have) != 0 || have < BLOCK
            || (header_bytes == 0
                && memcmp(buf, primary ? "SIMPLE  =" : "XTENSION=", 9) != 0))
            return -1;
        for (size_t c = 0; c < BLOCK; c += CARD) {
            if (is_key(buf + c, "END"))
                return followed ? 0 : -1;
            if (unsafe_in(buf + c, CARD, key))
                return 1;
            if (followed && take_card(buf + c, primary, h, NULL, 0) != 0)
                followed = 0;
        }
    }
    return -1;
}

/* Every card of @p src from where it stands, block by block (the last
 * block may be short): 1 at an unsafe one (its keyword in @p key). For
 * a file whose headers cannot be followed: cfitsio may still read them,
 * its own way. */
static int scan_cards(source_t *src, unsigned char *buf, char key[9])
{
    for (;;) {
        size_t have = 0;
        if (pull(src, buf, STEP, &have) != 0 || have == 0)
            return 0;
        if (unsafe_in(buf, have, key))
            return 1;
        if (have < STEP)
            return 0;
    }
}

int offbkg_fitsmem_find_unsafe_card(int fd, long *hdu_num, char key[9])
{
    source_t src;
    unsigned char *in = NULL, *buf = malloc(STEP);
    int found = 0;

    if (buf == NULL || source_start(&src, fd, 0, &in) != 0) {
        free(buf);
        return 0;
    }
    /* Header after header, to the end of the file; from the first
     * header that cannot be followed on, every card of the rest of the
     * file (cfitsio may read on where we cannot follow: a fuzzed file
     * made it parse an unsafe card we had not looked at). */
    for (long hdu = 1; !found; hdu++) {
        hdu_info_t h = { -1, 0, 0, 1, 1, 0 };
        unsigned long long bytes;
        int r = walk_header(&src, buf, hdu == 1, &h, key);

        if (r == 1) {
            *hdu_num = hdu;
            found = 1;
        } else if (r < 0 || hdu_data_bytes(&h, &bytes) != 0
                   || skip(&src, buf, (bytes + BLOCK - 1) / BLOCK * BLOCK)
                          != 0) {
            source_end(&src);
            if (lseek(fd, 0, SEEK_SET) == 0
                && source_start(&src, fd, 0, &in) == 0
                && scan_cards(&src, buf, key)) {
                *hdu_num = hdu;
                found = 1;
            }
            break;
        }
    }
    source_end(&src);
    free(buf);
    free(in);
    return found;
}

void offbkg_fitsmem_free(offbkg_fitsmem_t *m)
{
    free(m->buf != NULL ? (char *)m->buf - LEAD : NULL);
    free(m->in);
    memset(m, 0, sizeof *m);
}
