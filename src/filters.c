/* filters.c: the built-in filters of `{{name | f arg …}}`, applied by the
 * renderer to resolved values. Owns the filter table, ISO date reading, and
 * the per-thread ICU objects (case maps, break iterators, date formats) that
 * case mapping and date formatting go through. */
#include "filters.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/ucal.h>
#include <unicode/ucasemap.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>

#include "diag.h"
#include "util.h"

enum filter_id { F_CAPITALIZE, F_COUNT, F_DATE, F_DEFAULT, F_EQ, F_JOIN, F_LOWER, F_NE, F_UPPER };

static const filter_def filter_table[] = {
    [F_CAPITALIZE] = {"capitalize", 0, 0, "capitalize"},
    [F_COUNT] = {"count", 0, 0, "count"},
    [F_DATE] = {"date", 1, 1, "date \"PATTERN\""},
    [F_DEFAULT] = {"default", 1, 1, "default \"TEXT\""},
    [F_EQ] = {"eq", 1, 1, "eq \"VALUE\""},
    [F_JOIN] = {"join", 1, 2, "join \"SEP\" [\"LAST SEP\"]"},
    [F_LOWER] = {"lower", 0, 0, "lower"},
    [F_NE] = {"ne", 1, 1, "ne \"VALUE\""},
    [F_UPPER] = {"upper", 0, 0, "upper"},
};
#define N_FILTERS (sizeof filter_table / sizeof filter_table[0])

const filter_def *filters_find(const char *name, size_t n)
{
    for (size_t i = 0; i < N_FILTERS; i++)
        if (strlen(filter_table[i].name) == n && memcmp(filter_table[i].name, name, n) == 0)
            return &filter_table[i];
    return NULL;
}

const char *filters_names(void)
{
    return "capitalize, count, date, default, eq, join, lower, ne, upper";
}

/* ---- per-thread ICU objects ------------------------------------------------
 * ICU formatters and break iterators may not be shared between threads, and
 * opening them costs more than using them, so each thread keeps its own. A
 * pthread key frees them when a worker thread ends. */

#define DATE_SLOTS 8

typedef struct date_slot {
    char *locale;
    char *pattern;
    UDateFormat *fmt;
} date_slot;

typedef struct filter_cache {
    char *locale_asked;                  /* as the caller spelled it */
    char locale[ULOC_FULLNAME_CAPACITY]; /* its canonical ICU id */
    UCaseMap *casemap;                   /* for locale; opened on first use */
    UBreakIterator *graphemes;           /* for locale; opened on first use */
    UCalendar *calendar;                 /* strict Gregorian in UTC: ISO fields → UDate */
    date_slot dates[DATE_SLOTS];
    unsigned next_date;
} filter_cache;

static const UChar utc_zone[] = {'U', 'T', 'C', 0};

static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;
static _Thread_local filter_cache *thread_cache;

static void cache_drop_locale_objects(filter_cache *c)
{
    if (c->casemap)
        ucasemap_close(c->casemap);
    if (c->graphemes)
        ubrk_close(c->graphemes);
    c->casemap = NULL;
    c->graphemes = NULL;
}

static void cache_free(void *p)
{
    filter_cache *c = p;
    if (!c)
        return;
    cache_drop_locale_objects(c);
    if (c->calendar)
        ucal_close(c->calendar);
    for (size_t i = 0; i < DATE_SLOTS; i++) {
        if (c->dates[i].fmt)
            udat_close(c->dates[i].fmt);
        free(c->dates[i].locale);
        free(c->dates[i].pattern);
    }
    free(c->locale_asked);
    free(c);
    if (thread_cache == c)
        thread_cache = NULL;
}

static void cache_key_create(void)
{
    pthread_key_create(&cache_key, cache_free);
}

/* The ICU id of a locale as a user writes it: ICU's own ("en_GB"), BCP 47
 * ("en-GB"), or POSIX as $LANG has it ("uk_UA.UTF-8": ICU reads the charset
 * as a broken id and gives nothing, so it goes). False (out "") when ICU
 * cannot read it. */
static bool locale_id(const char *asked, char *out, size_t cap)
{
    char plain[ULOC_FULLNAME_CAPACITY];
    size_t n = strcspn(asked, ".");
    const char *rest = asked[n] ? asked + n + strcspn(asked + n, "@") : "";
    snprintf(plain, sizeof plain, "%.*s%s", (int)n, asked, rest);
    UErrorCode st = U_ZERO_ERROR;
    if (strchr(plain, '-')) {
        int32_t parsed = 0;
        uloc_forLanguageTag(plain, out, (int32_t)cap, &parsed, &st);
    } else {
        uloc_canonicalize(plain, out, (int32_t)cap, &st);
    }
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || out[0] == '\0') {
        out[0] = '\0';
        return false;
    }
    return true;
}

/* An id ICU cannot read falls back to "en", as a missing one does. */
static void canonical_locale(const char *asked, char *out, size_t cap)
{
    if (!locale_id(asked, out, cap))
        snprintf(out, cap, "en");
}

bool filters_locale_known(const char *locale)
{
    char id[ULOC_FULLNAME_CAPACITY], lang[ULOC_LANG_CAPACITY];
    if (!locale || !locale_id(locale, id, sizeof id))
        return false;
    UErrorCode st = U_ZERO_ERROR;
    uloc_getLanguage(id, lang, (int32_t)sizeof lang, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || lang[0] == '\0')
        return false;
    for (const char *const *known = uloc_getISOLanguages(); *known; known++)
        if (strcmp(*known, lang) == 0)
            return true;
    return false;
}

static filter_cache *cache_for(const char *locale)
{
    if (!thread_cache) {
        pthread_once(&cache_once, cache_key_create);
        thread_cache = xcalloc(1, sizeof *thread_cache);
        pthread_setspecific(cache_key, thread_cache);
    }
    filter_cache *c = thread_cache;
    if (!locale || !*locale)
        locale = "en";
    if (!c->locale_asked || strcmp(c->locale_asked, locale) != 0) {
        free(c->locale_asked);
        c->locale_asked = xstrdup(locale);
        canonical_locale(locale, c->locale, sizeof c->locale);
        cache_drop_locale_objects(c);
    }
    return c;
}

static UCaseMap *cache_casemap(filter_cache *c)
{
    if (!c->casemap) {
        UErrorCode st = U_ZERO_ERROR;
        c->casemap = ucasemap_open(c->locale, 0, &st);
        if (U_FAILURE(st))
            c->casemap = NULL;
    }
    return c->casemap;
}

static UBreakIterator *cache_graphemes(filter_cache *c)
{
    if (!c->graphemes) {
        UErrorCode st = U_ZERO_ERROR;
        c->graphemes = ubrk_open(UBRK_CHARACTER, c->locale, NULL, 0, &st);
        if (U_FAILURE(st))
            c->graphemes = NULL;
    }
    return c->graphemes;
}

static UCalendar *cache_calendar(filter_cache *c)
{
    if (!c->calendar) {
        UErrorCode st = U_ZERO_ERROR;
        c->calendar = ucal_open(utc_zone, -1, "en", UCAL_GREGORIAN, &st);
        if (U_FAILURE(st)) {
            c->calendar = NULL;
            return NULL;
        }
        ucal_setAttribute(c->calendar, UCAL_LENIENT, 0);
    }
    return c->calendar;
}

/* ---- text helpers ------------------------------------------------------- */

static bool fits_icu(size_t n)
{
    return n < (size_t)INT32_MAX / 4;
}

static const char *kind_with_article(const value *v)
{
    return v->kind == VALUE_LIST ? "a list" : v->kind == VALUE_MAP ? "a map" : "a value";
}

static bool is_container(const value *v)
{
    return v && (v->kind == VALUE_LIST || v->kind == VALUE_MAP);
}

/* The text of a scalar input; a list or map is refused in the filter's name. */
static bool input_text(const char *filter, const value *in, const char **s, size_t *n, char **err)
{
    if (is_container(in)) {
        *err = xasprintf("%s: expects text, got %s", filter, kind_with_article(in));
        return false;
    }
    *s = value_text(in, n);
    if (!fits_icu(*n)) {
        *err = xasprintf("%s: the text is too long (%zu bytes)", filter, *n);
        return false;
    }
    return true;
}

static size_t count_code_points(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

static UChar *to_utf16(const char *s, size_t n, int32_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = 0;
    u_strFromUTF8(NULL, 0, &len, s, (int32_t)n, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return NULL;
    UChar *out = xmalloc(((size_t)len + 1) * sizeof *out);
    st = U_ZERO_ERROR;
    u_strFromUTF8(out, len + 1, &len, s, (int32_t)n, &st);
    if (U_FAILURE(st)) {
        free(out);
        return NULL;
    }
    *out_len = len;
    return out;
}

static bool add_utf16(buf *out, const UChar *s, int32_t n)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = 0;
    u_strToUTF8(NULL, 0, &len, s, n, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return false;
    buf_grow(out, (size_t)len);
    st = U_ZERO_ERROR;
    u_strToUTF8(out->data + out->len, len + 1, &len, s, n, &st);
    if (U_FAILURE(st))
        return false;
    out->len += (size_t)len;
    out->data[out->len] = '\0';
    return true;
}

typedef enum case_mode { CASE_UPPER, CASE_LOWER, CASE_TITLE } case_mode;

/* Appends s[0..n) case-mapped. Full mappings change lengths (ß → SS), so the
 * first try may be short and ICU then says how much it needs. */
static bool add_case_mapped(buf *out, UCaseMap *cm, case_mode mode, const char *s, size_t n)
{
    int32_t cap = (int32_t)(n + n / 2 + 16);
    for (int attempt = 0; attempt < 2; attempt++) {
        UErrorCode st = U_ZERO_ERROR;
        buf_grow(out, (size_t)cap);
        char *dst = out->data + out->len;
        int32_t got;
        if (mode == CASE_UPPER)
            got = ucasemap_utf8ToUpper(cm, dst, cap, s, (int32_t)n, &st);
        else if (mode == CASE_LOWER)
            got = ucasemap_utf8ToLower(cm, dst, cap, s, (int32_t)n, &st);
        else
            got = ucasemap_utf8ToTitle(cm, dst, cap, s, (int32_t)n, &st);
        if (st == U_BUFFER_OVERFLOW_ERROR) {
            cap = got;
            continue;
        }
        if (U_FAILURE(st))
            return false;
        out->len += (size_t)got;
        out->data[out->len] = '\0';
        return true;
    }
    return false;
}

static value *buf_to_value(buf *b)
{
    value *v = value_new_string(b->data ? b->data : "", b->len);
    buf_free(b);
    return v;
}

/* ---- upper, lower, capitalize ------------------------------------------- */

static value *apply_case(const char *filter, case_mode mode, const value *in, const char *locale,
                         char **err)
{
    const char *s;
    size_t n;
    buf out = {0};
    if (!input_text(filter, in, &s, &n, err))
        return NULL;
    filter_cache *c = cache_for(locale);
    UCaseMap *cm = cache_casemap(c);
    if (!cm || !add_case_mapped(&out, cm, mode, s, n)) {
        buf_free(&out);
        *err = xasprintf("%s: could not change the case of \"%s\"", filter, diag_quote(s, n));
        return NULL;
    }
    return buf_to_value(&out);
}

/* Only the first grapheme changes: a combining accent stays with its letter,
 * and the rest of a name keeps the capitals its owner gave it. */
static value *apply_capitalize(const value *in, const char *locale, char **err)
{
    const char *s;
    size_t n;
    buf out = {0};
    value *result = NULL;
    UText text = UTEXT_INITIALIZER;
    UErrorCode st = U_ZERO_ERROR;
    if (!input_text("capitalize", in, &s, &n, err))
        return NULL;
    if (n == 0)
        return value_new_string("", 0);
    filter_cache *c = cache_for(locale);
    UCaseMap *cm = cache_casemap(c);
    UBreakIterator *bi = cache_graphemes(c);
    if (!cm || !bi)
        goto fail;
    utext_openUTF8(&text, s, (int64_t)n, &st);
    ubrk_setUText(bi, &text, &st);
    int32_t end = U_SUCCESS(st) ? ubrk_following(bi, 0) : UBRK_DONE;
    if (end == UBRK_DONE || end <= 0 || (size_t)end > n)
        end = (int32_t)n;
    if (!add_case_mapped(&out, cm, CASE_TITLE, s, (size_t)end))
        goto fail;
    buf_add(&out, s + end, n - (size_t)end);
    result = buf_to_value(&out);
    goto done;
fail:
    *err = xasprintf("capitalize: could not change the case of \"%s\"", diag_quote(s, n));
done:
    if (bi) {
        /* The iterator must not keep pointing into s, which the caller may free. */
        static const UChar nothing[1];
        st = U_ZERO_ERROR;
        ubrk_setText(bi, nothing, 0, &st);
    }
    utext_close(&text);
    buf_free(&out);
    return result;
}

/* ---- date ---------------------------------------------------------------- */

typedef struct iso_date {
    int year, month, day, hour, minute, second;
} iso_date;

static int read_digits(const char *s, size_t n, size_t at, size_t count)
{
    if (at + count > n)
        return -1;
    int v = 0;
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DD, optionally followed by a time (T or space, HH:MM[:SS[.fff]])
 * and a zone (Z, ±HH:MM, ±HHMM). The zone is read but not applied: the time
 * as written is the one the document should show, so nothing shifts a
 * hearing at 00:30 onto the previous day. */
static bool parse_iso(const char *s, size_t n, iso_date *d)
{
    memset(d, 0, sizeof *d);
    d->year = read_digits(s, n, 0, 4);
    d->month = read_digits(s, n, 5, 2);
    d->day = read_digits(s, n, 8, 2);
    if (d->year < 0 || d->month < 0 || d->day < 0 || s[4] != '-' || s[7] != '-')
        return false;
    size_t at = 10;
    if (at == n)
        return true;
    if (s[at] != 'T' && s[at] != 't' && s[at] != ' ')
        return false;
    d->hour = read_digits(s, n, at + 1, 2);
    d->minute = read_digits(s, n, at + 4, 2);
    if (d->hour < 0 || d->minute < 0 || s[at + 3] != ':')
        return false;
    at += 6;
    if (at < n && s[at] == ':') {
        d->second = read_digits(s, n, at + 1, 2);
        if (d->second < 0)
            return false;
        at += 3;
        if (at < n && (s[at] == '.' || s[at] == ',')) {
            at++;
            size_t first = at;
            while (at < n && s[at] >= '0' && s[at] <= '9')
                at++;
            if (at == first)
                return false;
        }
    }
    if (at == n)
        return true;
    if ((s[at] == 'Z' || s[at] == 'z') && at + 1 == n)
        return true;
    if (s[at] != '+' && s[at] != '-')
        return false;
    if (read_digits(s, n, at + 1, 2) < 0)
        return false;
    at += 3;
    if (at == n)
        return true;
    if (s[at] == ':')
        at++;
    return read_digits(s, n, at, 2) >= 0 && at + 2 == n;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Why a well-formed date does not exist, or NULL when it does. Caller frees. */
static char *iso_date_problem(const iso_date *d)
{
    static const char *const months[] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};
    if (d->year == 0)
        return xasprintf("there is no year 0000");
    if (d->month < 1 || d->month > 12)
        return xasprintf("there is no month %02d; months go from 01 to 12", d->month);
    int last = days_in_month(d->year, d->month);
    if (d->day < 1 || d->day > last)
        return xasprintf("%s %04d has %d days", months[d->month - 1], d->year, last);
    if (d->hour > 23 || d->minute > 59 || d->second > 59)
        return xasprintf("the time %02d:%02d:%02d does not exist", d->hour, d->minute, d->second);
    return NULL;
}

static const char pattern_letters[] = "GyYuUrQqMLwWdDFgEecabBhHKkmsSAzZOvVXx";

/* ICU formats unknown letters as nothing and an unclosed quote as literal
 * text, so a typo would silently vanish from a filed document. Returns the
 * reason a pattern is wrong (caller frees), or NULL. */
static char *pattern_problem(const char *p, size_t n)
{
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\'') {
            if (i + 1 < n && p[i + 1] == '\'')
                i++;
            else
                quoted = !quoted;
        } else if (!quoted && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) &&
                   !strchr(pattern_letters, ch)) {
            return xasprintf("'%c' is not a pattern letter (use letters such as d, MMMM, y; "
                             "put other words in single quotes, as in \"d 'of' MMMM\")",
                             ch);
        }
    }
    if (quoted)
        return xasprintf("a single quote ' is not closed (write '' for an apostrophe)");
    return NULL;
}

static UDateFormat *cache_date_format(filter_cache *c, const char *pattern, size_t n)
{
    for (size_t i = 0; i < DATE_SLOTS; i++) {
        date_slot *slot = &c->dates[i];
        if (slot->fmt && strcmp(slot->locale, c->locale) == 0 && strlen(slot->pattern) == n &&
            memcmp(slot->pattern, pattern, n) == 0)
            return slot->fmt;
    }
    int32_t plen = 0;
    UChar *p16 = to_utf16(pattern, n, &plen);
    if (!p16)
        return NULL;
    UErrorCode st = U_ZERO_ERROR;
    UDateFormat *fmt =
        udat_open(UDAT_PATTERN, UDAT_PATTERN, c->locale, utc_zone, -1, p16, plen, &st);
    free(p16);
    if (U_FAILURE(st))
        return NULL;
    date_slot *slot = &c->dates[c->next_date++ % DATE_SLOTS];
    if (slot->fmt)
        udat_close(slot->fmt);
    free(slot->locale);
    free(slot->pattern);
    slot->locale = xstrdup(c->locale);
    slot->pattern = xstrndup(pattern, n);
    slot->fmt = fmt;
    return fmt;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static value *apply_date(const value *in, const value *pattern_arg, const char *locale, char **err)
{
    size_t plen, n;
    const char *pattern = value_text(pattern_arg, &plen);
    char *why = NULL;
    value *result = NULL;
    UChar *out16 = NULL;
    buf out = {0};

    if (is_container(pattern_arg) || plen == 0) {
        *err = xasprintf("date: the pattern is empty (write one such as \"d MMMM y\")");
        goto done;
    }
    if (!fits_icu(plen) || (why = pattern_problem(pattern, plen))) {
        *err = xasprintf("date: \"%s\" is not a date pattern: %s", diag_quote(pattern, plen),
                         why ? why : "it is too long");
        goto done;
    }
    if (is_container(in)) {
        *err = xasprintf("date: expects a date, got %s", kind_with_article(in));
        goto done;
    }
    const char *s = value_text(in, &n);
    while (n > 0 && is_space(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n == 0) {
        result = value_new_string("", 0);
        goto done;
    }
    iso_date d;
    if (!parse_iso(s, n, &d)) {
        *err = xasprintf("date: \"%s\" is not a date (write it as YYYY-MM-DD, e.g. 2027-01-17)",
                         diag_quote(s, n));
        goto done;
    }
    if ((why = iso_date_problem(&d))) {
        *err = xasprintf("date: \"%s\" is not a date: %s", diag_quote(s, n), why);
        goto done;
    }

    filter_cache *c = cache_for(locale);
    UCalendar *cal = cache_calendar(c);
    UDateFormat *fmt = cache_date_format(c, pattern, plen);
    UErrorCode st = U_ZERO_ERROR;
    UDate when = 0;
    if (cal) {
        ucal_clear(cal);
        ucal_setDateTime(cal, d.year, d.month - 1, d.day, d.hour, d.minute, d.second, &st);
        when = ucal_getMillis(cal, &st);
    }
    if (!cal || U_FAILURE(st)) {
        *err = xasprintf("date: \"%s\" is not a date in the Gregorian calendar", diag_quote(s, n));
        goto done;
    }
    if (!fmt) {
        *err = xasprintf("date: \"%s\" is not a date pattern ICU can use",
                         diag_quote(pattern, plen));
        goto done;
    }
    /* Formatting is the costly part: once into a buffer that fits nearly
     * every date, again only for a longer one. */
    UChar small[128];
    UChar *text = small;
    int32_t len = udat_format(fmt, when, small, (int32_t)(sizeof small / sizeof *small), NULL, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR) {
        st = U_ZERO_ERROR;
        text = out16 = xmalloc(((size_t)len + 1) * sizeof *out16);
        len = udat_format(fmt, when, out16, len + 1, NULL, &st);
    }
    if (U_FAILURE(st) || !add_utf16(&out, text, len)) {
        *err = xasprintf("date: could not write \"%s\" with the pattern \"%s\"", diag_quote(s, n),
                         diag_quote(pattern, plen));
        goto done;
    }
    result = buf_to_value(&out);
done:
    free(why);
    free(out16);
    buf_free(&out);
    return result;
}

/* ---- default, join, count, eq, ne ---------------------------------------- */

static value *apply_default(const value *in, const value *fallback)
{
    bool empty_map = in && in->kind == VALUE_MAP && in->len == 0;
    if (value_truthy(in) && !empty_map)
        return value_clone(in);
    if (fallback)
        return value_clone(fallback);
    return value_new_string("", 0);
}

static value *apply_join(const value *in, const value *const *args, size_t nargs, char **err)
{
    size_t sep_n, last_n, n;
    const char *sep = value_text(nargs > 0 ? args[0] : NULL, &sep_n);
    /* A last separator from a missing data path falls back to the plain one:
     * "a, bc" would never be what the author meant. */
    const char *last = nargs > 1 && args[1] ? value_text(args[1], &last_n) : NULL;
    if (!last) {
        last = sep;
        last_n = sep_n;
    }
    if (!in || in->kind != VALUE_LIST) {
        if (in && in->kind == VALUE_MAP) {
            *err = xasprintf("join: expects a list, got a map");
            return NULL;
        }
        const char *s = value_text(in, &n);
        return value_new_string(s, n);
    }
    buf out = {0};
    for (size_t i = 0; i < in->len; i++) {
        const value *item = in->items[i];
        if (is_container(item)) {
            *err = xasprintf("join: item %zu of the list is %s; join needs a list of texts", i + 1,
                             kind_with_article(item));
            buf_free(&out);
            return NULL;
        }
        if (i > 0 && i + 1 == in->len)
            buf_add(&out, last, last_n);
        else if (i > 0)
            buf_add(&out, sep, sep_n);
        const char *s = value_text(item, &n);
        buf_add(&out, s, n);
    }
    return buf_to_value(&out);
}

static value *apply_count(const value *in)
{
    size_t count = 0, n;
    if (is_container(in)) {
        count = in->len;
    } else {
        const char *s = value_text(in, &n);
        count = count_code_points(s, n);
    }
    char text[32];
    int len = snprintf(text, sizeof text, "%zu", count);
    return value_new_number(text, (size_t)len);
}

/* A plain decimal ("-1.50", "007") in a canonical spelling ("-1.5", "7"), so
 * numbers compare by value; false for anything else (exponents, hex, text). */
static bool canonical_decimal(const char *s, size_t n, buf *out)
{
    size_t i = 0;
    bool negative = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < n && s[i] == '.') {
        frac_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
    }
    if (i != n || (int_end == int_start && frac_end == frac_start))
        return false;
    while (int_start < int_end && s[int_start] == '0')
        int_start++;
    while (frac_end > frac_start && s[frac_end - 1] == '0')
        frac_end--;
    bool zero = int_start == int_end && frac_start == frac_end;
    if (negative && !zero)
        buf_addc(out, '-');
    if (int_start == int_end)
        buf_addc(out, '0');
    else
        buf_add(out, s + int_start, int_end - int_start);
    if (frac_end > frac_start) {
        buf_addc(out, '.');
        buf_add(out, s + frac_start, frac_end - frac_start);
    }
    return true;
}

/* Texts compare exactly. When either side is a number (a YAML number, or an
 * unquoted number in the template) and both read as decimals, they compare by
 * value: a CSV's "1.50" equals `eq 1.5`. */
static value *apply_compare(const char *filter, bool want_equal, const value *in,
                            const value *other, char **err)
{
    if (is_container(in)) {
        *err = xasprintf("%s: expects text, got %s", filter, kind_with_article(in));
        return NULL;
    }
    size_t an, bn;
    const char *a = value_text(in, &an);
    const char *b = value_text(other, &bn);
    bool equal = an == bn && memcmp(a, b, an) == 0;
    bool numeric = (in && in->kind == VALUE_NUMBER) || (other && other->kind == VALUE_NUMBER);
    if (!equal && numeric) {
        buf ca = {0}, cb = {0};
        if (canonical_decimal(a, an, &ca) && canonical_decimal(b, bn, &cb))
            equal = ca.len == cb.len && memcmp(ca.data, cb.data, ca.len) == 0;
        buf_free(&ca);
        buf_free(&cb);
    }
    return value_new_bool(equal == want_equal);
}

value *filters_apply(const filter_def *f, const value *in, const value *const *args, size_t nargs,
                     const char *locale, char **err)
{
    *err = NULL;
    size_t id = N_FILTERS;
    for (size_t i = 0; i < N_FILTERS; i++)
        if (f == &filter_table[i])
            id = i;
    if (id == N_FILTERS) {
        *err = xasprintf("%s is not a filter (the filters are: %s)", f ? f->name : "(none)",
                         filters_names());
        return NULL;
    }
    if (nargs < f->min_args || nargs > f->max_args) {
        *err = xasprintf("%s: wrong number of arguments (%zu); write it as %s", f->name, nargs,
                         f->usage);
        return NULL;
    }
    const value *arg0 = nargs > 0 ? args[0] : NULL;
    switch ((enum filter_id)id) {
    case F_UPPER:
        return apply_case("upper", CASE_UPPER, in, locale, err);
    case F_LOWER:
        return apply_case("lower", CASE_LOWER, in, locale, err);
    case F_CAPITALIZE:
        return apply_capitalize(in, locale, err);
    case F_DATE:
        return apply_date(in, arg0, locale, err);
    case F_DEFAULT:
        return apply_default(in, arg0);
    case F_JOIN:
        return apply_join(in, args, nargs, err);
    case F_COUNT:
        return apply_count(in);
    case F_EQ:
        return apply_compare("eq", true, in, arg0, err);
    case F_NE:
        return apply_compare("ne", false, in, arg0, err);
    }
    return NULL;
}
