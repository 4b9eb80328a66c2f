/* diag.c: the list of problems found so far, each already formatted with its
 * place, so the command line can print them all and batch can keep them per
 * record. */
#include "diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Past this many problems the rest are counted, not kept: the first ones are
 * what a person fixes first, and data can ask for a message per item, a
 * million of them (a bad date in every row of a long table). Above the
 * template compiler's own cap of 100, so its closing line still shows. */
#define DIAG_MAX_KEPT 200

struct diag {
    diag_entry *entries;
    size_t n, cap, errors;
    size_t dropped, dropped_errors; /* past DIAG_MAX_KEPT */
    int system_errno; /* of the first diag_system_error; 0: none */
};

diag *diag_new(void)
{
    return xcalloc(1, sizeof(diag));
}

static void diag_clear(diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->entries[i].text);
    d->n = d->errors = d->dropped = d->dropped_errors = 0;
    d->system_errno = 0;
}

void diag_free(diag *d)
{
    if (!d)
        return;
    diag_clear(d);
    free(d->entries);
    free(d);
}

static void place_format(buf *b, const diag_place *w)
{
    if (!w->file && !w->part)
        return;
    if (w->file)
        buf_adds(b, w->file);
    if (w->part) {
        if (w->file)
            buf_addc(b, ':');
        buf_adds(b, w->part);
    }
    if (w->para)
        buf_printf(b, ":p%u", w->para);
    else if (w->line) {
        buf_printf(b, ":%u", w->line);
        if (w->col)
            buf_printf(b, ":%u", w->col);
    }
    buf_adds(b, ": ");
}

static void diag_add(diag *d, diag_level level, const diag_place *w, const char *fmt, va_list ap)
{
    if (level == DIAG_ERROR)
        d->errors++;
    if (d->n >= DIAG_MAX_KEPT) {
        d->dropped++;
        d->dropped_errors += level == DIAG_ERROR;
        return;
    }
    buf b = {0};
    place_format(&b, w);
    buf_vprintf(&b, fmt, ap);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->entries = xrealloc(d->entries, d->cap * sizeof *d->entries);
    }
    d->entries[d->n].level = level;
    d->entries[d->n].text = buf_steal(&b);
    d->n++;
}

void diag_error(diag *d, diag_place where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, DIAG_ERROR, &where, fmt, ap);
    va_end(ap);
}

void diag_warning(diag *d, diag_place where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, DIAG_WARNING, &where, fmt, ap);
    va_end(ap);
}

void diag_system_error(diag *d, diag_place where, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, DIAG_ERROR, &where, fmt, ap);
    va_end(ap);
    if (!d->system_errno)
        d->system_errno = err ? err : EIO;
}

int diag_system_errno(const diag *d)
{
    return d->system_errno;
}

size_t diag_error_count(const diag *d)
{
    return d->errors;
}

size_t diag_count(const diag *d)
{
    return d->n;
}

const diag_entry *diag_get(const diag *d, size_t i)
{
    return i < d->n ? &d->entries[i] : NULL;
}

void diag_print(diag *d, FILE *to)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(to, "casepack: %s: %s\n", d->entries[i].level == DIAG_ERROR ? "error" : "warning",
                d->entries[i].text);
    if (d->dropped)
        fprintf(to, "casepack: %s: %zu more problems are not shown; fix these first\n",
                d->dropped_errors ? "error" : "warning", d->dropped);
    fflush(to);
    diag_clear(d);
}

void diag_take(diag *dst, diag *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (src->entries[i].level == DIAG_ERROR)
            dst->errors++;
        if (dst->n >= DIAG_MAX_KEPT) {
            dst->dropped++;
            dst->dropped_errors += src->entries[i].level == DIAG_ERROR;
            free(src->entries[i].text);
            continue;
        }
        if (dst->n == dst->cap) {
            dst->cap = dst->cap ? dst->cap * 2 : 8;
            dst->entries = xrealloc(dst->entries, dst->cap * sizeof *dst->entries);
        }
        dst->entries[dst->n++] = src->entries[i];
    }
    dst->errors += src->dropped_errors;
    dst->dropped += src->dropped;
    dst->dropped_errors += src->dropped_errors;
    src->n = src->errors = src->dropped = src->dropped_errors = 0;
    if (!dst->system_errno)
        dst->system_errno = src->system_errno;
    src->system_errno = 0;
}

#define QUOTE_RING 8
#define QUOTE_MAX 80

const char *diag_quote(const char *s, size_t n)
{
    static _Thread_local char ring[QUOTE_RING][QUOTE_MAX * 4 + 16];
    static _Thread_local unsigned next;
    char *out = ring[next++ % QUOTE_RING];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= QUOTE_MAX && (c & 0xC0) != 0x80) {
            memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
            o += 3;
            break;
        }
        if (c == '\n' || c == '\t' || c == '\r') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else if (c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(out + o, 6, "\\x%02X", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}
