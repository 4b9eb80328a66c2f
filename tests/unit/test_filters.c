/* Unit tests for filters.c: the filter table, every filter's exact output and
 * error text, locale handling, and use from several threads at once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "unit.h"
#include "util.h"
#include "value.h"

/* Values made by a test live until exit, so a failing CHECK leaks nothing. */
static value *pool[1024];
static size_t n_pool;

static void pool_release(void)
{
    while (n_pool > 0)
        value_free(pool[--n_pool]);
}

static value *keep(value *v)
{
    if (n_pool == 0)
        atexit(pool_release);
    if (n_pool == sizeof pool / sizeof pool[0])
        abort();
    pool[n_pool++] = v;
    return v;
}

static value *S(const char *s)
{
    return keep(value_new_string(s, strlen(s)));
}

static value *N(const char *s)
{
    return keep(value_new_number(s, strlen(s)));
}

static value *B(bool b)
{
    return keep(value_new_bool(b));
}

static value *NUL(void)
{
    return keep(value_new(VALUE_NULL, NULL, 0, 0));
}

static value *L3(const char *a, const char *b, const char *c)
{
    value *l = keep(value_new(VALUE_LIST, NULL, 0, 0));
    const char *items[] = {a, b, c};
    for (size_t i = 0; i < 3 && items[i]; i++)
        value_list_push(l, value_new_string(items[i], strlen(items[i])));
    return l;
}

static value_kind last_kind;
static char last_text[512];

/* Applies filter name and returns its text ("true"/"false" for booleans), or
 * "error: " and the message. */
static const char *run(const char *name, const value *in, const char *locale, size_t nargs,
                       const value *a0, const value *a1)
{
    const filter_def *f = filters_find(name, strlen(name));
    if (!f)
        return "no such filter";
    const value *args[2] = {a0, a1};
    char *err = NULL;
    value *r = filters_apply(f, in, args, nargs, locale, &err);
    if (!r) {
        snprintf(last_text, sizeof last_text, "error: %s", err ? err : "(no message)");
        free(err);
        return last_text;
    }
    last_kind = r->kind;
    if (r->kind == VALUE_BOOL)
        snprintf(last_text, sizeof last_text, "%s", r->boolean ? "true" : "false");
    else
        snprintf(last_text, sizeof last_text, "%s", value_text(r, NULL));
    value_free(r);
    return last_text;
}

#define RUN0(name, in, loc) run(name, in, loc, 0, NULL, NULL)
#define RUN1(name, in, loc, a) run(name, in, loc, 1, a, NULL)
#define RUN2(name, in, loc, a, b) run(name, in, loc, 2, a, b)

static void table_finds_by_exact_name(void)
{
    const filter_def *f = filters_find("join", 4);
    CHECK(f != NULL);
    CHECK_STR(f->name, "join");
    CHECK_INT(f->min_args, 1);
    CHECK_INT(f->max_args, 2);
    CHECK_STR(f->usage, "join \"SEP\" [\"LAST SEP\"]");
    CHECK_STR(filters_find("date", 4)->usage, "date \"PATTERN\"");
    CHECK_INT(filters_find("date", 4)->min_args, 1);
    CHECK_INT(filters_find("date", 4)->max_args, 1);
    CHECK_INT(filters_find("default", 7)->max_args, 1);
    CHECK_INT(filters_find("eq", 2)->min_args, 1);
    CHECK_INT(filters_find("ne", 2)->max_args, 1);
    CHECK_INT(filters_find("upper", 5)->max_args, 0);
    CHECK_INT(filters_find("count", 5)->max_args, 0);
    CHECK_INT(filters_find("capitalize", 10)->max_args, 0);
    CHECK(filters_find("lower", 5) != NULL);
    CHECK(filters_find("upperx", 5) != NULL); /* only the first n bytes count */
    CHECK(filters_find("up", 2) == NULL);
    CHECK(filters_find("Upper", 5) == NULL);
    CHECK(filters_find("uppercase", 9) == NULL);
    CHECK(filters_find("", 0) == NULL);
    CHECK_STR(filters_names(), "capitalize, count, date, default, eq, join, lower, ne, upper");
}

static void wrong_argument_count_is_refused(void)
{
    CHECK_STR(RUN0("join", L3("a", "b", NULL), "en"),
              "error: join: wrong number of arguments (0); write it as "
              "join \"SEP\" [\"LAST SEP\"]");
    CHECK_STR(RUN1("upper", S("a"), "en", S("x")),
              "error: upper: wrong number of arguments (1); write it as upper");
}

static void upper_and_lower_map_fully(void)
{
    CHECK_STR(RUN0("upper", S("straße"), "de"), "STRASSE");
    CHECK_INT(last_kind, VALUE_STRING);
    CHECK_STR(RUN0("upper", S("straße"), "en"), "STRASSE");
    CHECK_STR(RUN0("upper", S("i"), "tr"), "İ");
    CHECK_STR(RUN0("upper", S("istanbul"), "tr-TR"), "İSTANBUL");
    CHECK_STR(RUN0("upper", S("i"), "en"), "I");
    CHECK_STR(RUN0("upper", S("i"), NULL), "I");
    CHECK_STR(RUN0("upper", S("юрій шевченко"), "uk_UA"), "ЮРІЙ ШЕВЧЕНКО");
    CHECK_STR(RUN0("lower", S("I"), "tr"), "ı");
    CHECK_STR(RUN0("lower", S("I"), "en"), "i");
    CHECK_STR(RUN0("lower", S("ÖLGERD Ø"), "en"), "ölgerd ø");
    CHECK_STR(RUN0("lower", S("ΟΔΟΣ"), "el"), "οδος");
}

static void case_of_scalars_and_missing(void)
{
    CHECK_STR(RUN0("upper", NULL, "en"), "");
    CHECK_INT(last_kind, VALUE_STRING);
    CHECK_STR(RUN0("upper", NUL(), "en"), "");
    CHECK_STR(RUN0("upper", N("1.5e3"), "en"), "1.5E3");
    CHECK_STR(RUN0("upper", B(true), "en"), "TRUE");
    CHECK_STR(RUN0("lower", S(""), "en"), "");
    CHECK_STR(RUN0("upper", L3("a", NULL, NULL), "en"), "error: upper: expects text, got a list");
    value *m = keep(value_new(VALUE_MAP, NULL, 0, 0));
    CHECK_STR(RUN0("lower", m, "en"), "error: lower: expects text, got a map");
    CHECK_STR(RUN0("capitalize", m, "en"), "error: capitalize: expects text, got a map");
}

static void capitalize_changes_the_first_grapheme(void)
{
    CHECK_STR(RUN0("capitalize", S("ölgerd"), "en"), "Ölgerd");
    CHECK_STR(RUN0("capitalize", S("юрій"), "uk"), "Юрій");
    CHECK_STR(RUN0("capitalize", S("élodie de la CRUZ"), "fr"), "Élodie de la CRUZ");
    CHECK_STR(RUN0("capitalize", S("e\xCC\x81lodie"), "fr"), "E\xCC\x81lodie"); /* e + U+0301 */
    CHECK_STR(RUN0("capitalize", S("istanbul"), "tr"), "İstanbul");
    CHECK_STR(RUN0("capitalize", S("istanbul"), "en"), "Istanbul");
    CHECK_STR(RUN0("capitalize", S("ǆemal"), "bs"), "ǅemal"); /* title case, not upper */
    CHECK_STR(RUN0("capitalize", S("ﬁnal"), "en"), "Final");
    CHECK_STR(RUN0("capitalize", S("Already"), "en"), "Already");
    CHECK_STR(RUN0("capitalize", S("12 angry men"), "en"), "12 angry men");
    CHECK_STR(RUN0("capitalize", S("ß"), "de"), "Ss");
    CHECK_STR(RUN0("capitalize", S(""), "en"), "");
    CHECK_STR(RUN0("capitalize", NULL, "en"), "");
}

static void date_formats_in_the_locale(void)
{
    CHECK_STR(RUN1("date", S("2027-01-17"), "uk", S("d MMMM y")), "17 січня 2027");
    CHECK_INT(last_kind, VALUE_STRING);
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("d MMMM y")), "17 January 2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), "uk", S("d MMMM y")), "17 січня 2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), "uk_UA", S("LLLL y")), "січень 2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), "en-GB", S("dd/MM/y")), "17/01/2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), NULL, S("MMMM d, y")), "January 17, 2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), "es", S("d 'de' MMMM 'de' y")), "17 de enero de 2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("EEEE, d MMM ''yy")), "Sunday, 17 Jan '27");
    CHECK_STR(RUN1("date", S("2028-02-29"), "en", S("d MMMM y")), "29 February 2028");
    CHECK_STR(RUN1("date", S("0900-03-01"), "en", S("d MMMM y G")), "1 March 900 AD");
    CHECK_STR(RUN1("date", S(" 2027-01-17\n"), "en", S("y-MM-dd")), "2027-01-17");
}

/* A POSIX name ($LANG) lost its language to ICU's canonical form and gave
 * English; a language ICU does not know is told apart for --locale. */
static void posix_locale_names_and_unknown_languages(void)
{
    CHECK_STR(RUN1("date", S("2027-01-17"), "uk_UA.UTF-8", S("d MMMM y")), "17 січня 2027");
    CHECK_STR(RUN1("date", S("2027-01-17"), "uk_UA.utf8@euro", S("LLLL")), "січень");
    CHECK_INT(filters_locale_known("uk"), 1);
    CHECK_INT(filters_locale_known("en-GB"), 1);
    CHECK_INT(filters_locale_known("en_GB"), 1);
    CHECK_INT(filters_locale_known("uk_UA.UTF-8"), 1);
    CHECK_INT(filters_locale_known("ukr"), 1);
    CHECK_INT(filters_locale_known("nonsense"), 0);
    CHECK_INT(filters_locale_known("xx"), 0);
    CHECK_INT(filters_locale_known(""), 0);
    CHECK_INT(filters_locale_known("x!!"), 0);
}

static void date_reads_times_without_shifting(void)
{
    CHECK_STR(RUN1("date", S("2027-01-17T23:30"), "en", S("d MMMM y, HH:mm")),
              "17 January 2027, 23:30");
    CHECK_STR(RUN1("date", S("2027-01-17T09:05:07"), "en", S("HH:mm:ss")), "09:05:07");
    CHECK_STR(RUN1("date", S("2027-01-17 00:30:00.250Z"), "en", S("d MMM y HH:mm")),
              "17 Jan 2027 00:30");
    CHECK_STR(RUN1("date", S("2027-01-17T00:30:00+02:00"), "en", S("d MMM y HH:mm")),
              "17 Jan 2027 00:30");
    CHECK_STR(RUN1("date", S("2027-01-17T23:59-0500"), "en", S("d")), "17");
}

static void date_missing_is_empty(void)
{
    CHECK_STR(RUN1("date", NULL, "en", S("d MMMM y")), "");
    CHECK_INT(last_kind, VALUE_STRING);
    CHECK_STR(RUN1("date", NUL(), "en", S("d MMMM y")), "");
    CHECK_STR(RUN1("date", S(""), "en", S("d MMMM y")), "");
    CHECK_STR(RUN1("date", S("   "), "en", S("d MMMM y")), "");
}

#define ISO_ADVICE "(write it as YYYY-MM-DD, e.g. 2027-01-17)"

static void date_refuses_what_is_not_a_date(void)
{
    CHECK_STR(RUN1("date", S("2027-02-30"), "en", S("d MMMM y")),
              "error: date: \"2027-02-30\" is not a date: February 2027 has 28 days");
    CHECK_STR(RUN1("date", S("2027-02-29"), "uk", S("d MMMM y")),
              "error: date: \"2027-02-29\" is not a date: February 2027 has 28 days");
    CHECK_STR(RUN1("date", S("2027-13-01"), "en", S("d MMMM y")),
              "error: date: \"2027-13-01\" is not a date: there is no month 13; "
              "months go from 01 to 12");
    CHECK_STR(RUN1("date", S("2027-04-00"), "en", S("d MMMM y")),
              "error: date: \"2027-04-00\" is not a date: April 2027 has 30 days");
    CHECK_STR(RUN1("date", S("2027-01-17T24:00"), "en", S("d")),
              "error: date: \"2027-01-17T24:00\" is not a date: the time 24:00:00 does not exist");
    CHECK_STR(RUN1("date", S("17/01/2027"), "en", S("d MMMM y")),
              "error: date: \"17/01/2027\" is not a date " ISO_ADVICE);
    CHECK_STR(RUN1("date", S("2027-1-17"), "en", S("d MMMM y")),
              "error: date: \"2027-1-17\" is not a date " ISO_ADVICE);
    CHECK_STR(RUN1("date", S("2027-01-17x"), "en", S("d MMMM y")),
              "error: date: \"2027-01-17x\" is not a date " ISO_ADVICE);
    CHECK_STR(RUN1("date", N("20270117"), "en", S("d MMMM y")),
              "error: date: \"20270117\" is not a date " ISO_ADVICE);
    CHECK_STR(RUN1("date", B(true), "en", S("d MMMM y")),
              "error: date: \"true\" is not a date " ISO_ADVICE);
    CHECK_STR(RUN1("date", L3("2027-01-17", NULL, NULL), "en", S("d MMMM y")),
              "error: date: expects a date, got a list");
}

#define LETTERS                                                                              \
    "(use letters such as d, MMMM, y; put other words in single quotes, as in \"d 'of' MMMM\")"

static void date_refuses_bad_patterns(void)
{
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("d ppp y")),
              "error: date: \"d ppp y\" is not a date pattern: 'p' is not a pattern letter "
              LETTERS);
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("d 'of MMMM")),
              "error: date: \"d 'of MMMM\" is not a date pattern: a single quote ' is not closed "
              "(write '' for an apostrophe)");
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("jj:mm")),
              "error: date: \"jj:mm\" is not a date pattern: 'j' is not a pattern letter " LETTERS);
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("'d' d 'of' MMMM")), "d 17 of January");
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("")),
              "error: date: the pattern is empty (write one such as \"d MMMM y\")");
    CHECK_STR(RUN1("date", S("2027-01-17"), "en", NULL),
              "error: date: the pattern is empty (write one such as \"d MMMM y\")");
    /* A bad pattern shows even when the data is missing. */
    CHECK_STR(RUN1("date", NULL, "en", S("d ppp")),
              "error: date: \"d ppp\" is not a date pattern: 'p' is not a pattern letter " LETTERS);
}

static void date_cache_keeps_locales_apart(void)
{
    static const char *const patterns[] = {"d", "dd", "d M", "d MM", "d MMM", "d MMMM",
                                           "y",  "yy", "MMMM", "LLLL", "EEEE", "d MMMM y"};
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
            CHECK(strncmp(RUN1("date", S("2027-01-17"), "fr", S(patterns[i])), "error", 5) != 0);
        CHECK_STR(RUN1("date", S("2027-01-17"), "uk", S("d MMMM y")), "17 січня 2027");
        CHECK_STR(RUN1("date", S("2027-01-17"), "en", S("d MMMM y")), "17 January 2027");
        CHECK_STR(RUN1("date", S("2027-03-05"), "fr", S("d MMMM y")), "5 mars 2027");
    }
}

static void default_replaces_empty_values(void)
{
    CHECK_STR(RUN1("default", NULL, "en", S("unknown")), "unknown");
    CHECK_STR(RUN1("default", NUL(), "en", S("unknown")), "unknown");
    CHECK_STR(RUN1("default", S(""), "en", S("unknown")), "unknown");
    CHECK_STR(RUN1("default", B(false), "en", S("no")), "no");
    CHECK_STR(RUN1("default", L3(NULL, NULL, NULL), "en", S("none")), "none");
    CHECK_STR(RUN1("default", keep(value_new(VALUE_MAP, NULL, 0, 0)), "en", S("none")), "none");
    CHECK_STR(RUN1("default", S("Kyiv"), "en", S("unknown")), "Kyiv");
    CHECK_STR(RUN1("default", N("0"), "en", S("unknown")), "0");
    CHECK_INT(last_kind, VALUE_NUMBER);
    CHECK_STR(RUN1("default", NULL, "en", N("42")), "42");
    CHECK_INT(last_kind, VALUE_NUMBER);
    CHECK_STR(RUN1("default", NULL, "en", NULL), "");
    CHECK_INT(last_kind, VALUE_STRING);
    RUN1("default", L3("a", "b", NULL), "en", S("none"));
    CHECK_INT(last_kind, VALUE_LIST);
}

static void join_lists(void)
{
    CHECK_STR(RUN2("join", L3("a", "b", "c"), "en", S(", "), S(" and ")), "a, b and c");
    CHECK_STR(RUN2("join", L3("a", NULL, NULL), "en", S(", "), S(" and ")), "a");
    CHECK_STR(RUN2("join", L3("a", "b", NULL), "en", S(", "), S(" and ")), "a and b");
    CHECK_STR(RUN2("join", L3(NULL, NULL, NULL), "en", S(", "), S(" and ")), "");
    CHECK_STR(RUN1("join", L3("a", "b", "c"), "en", S(", ")), "a, b, c");
    CHECK_STR(RUN1("join", L3("Київ", "Львів", NULL), "uk", S(" / ")), "Київ / Львів");
    CHECK_STR(RUN2("join", L3("a", "b", "c"), "en", S(", "), NULL), "a, b, c");
    value *mixed = keep(value_new(VALUE_LIST, NULL, 0, 0));
    value_list_push(mixed, value_new_number("1.50", 4));
    value_list_push(mixed, value_new_bool(true));
    value_list_push(mixed, value_new(VALUE_NULL, NULL, 0, 0));
    CHECK_STR(RUN1("join", mixed, "en", S("|")), "1.50|true|");
    CHECK_INT(last_kind, VALUE_STRING);
}

static void join_scalars_and_refusals(void)
{
    CHECK_STR(RUN1("join", S("only"), "en", S(", ")), "only");
    CHECK_STR(RUN1("join", N("7"), "en", S(", ")), "7");
    CHECK_STR(RUN1("join", NULL, "en", S(", ")), "");
    CHECK_STR(RUN1("join", NUL(), "en", S(", ")), "");
    value *nested = L3("a", NULL, NULL);
    value_list_push(nested, value_new(VALUE_MAP, NULL, 0, 0));
    CHECK_STR(RUN1("join", nested, "en", S(", ")),
              "error: join: item 2 of the list is a map; join needs a list of texts");
    value *inner = L3("a", "b", NULL);
    value_list_push(inner, value_new(VALUE_LIST, NULL, 0, 0));
    CHECK_STR(RUN1("join", inner, "en", S(", ")),
              "error: join: item 3 of the list is a list; join needs a list of texts");
    CHECK_STR(RUN1("join", keep(value_new(VALUE_MAP, NULL, 0, 0)), "en", S(", ")),
              "error: join: expects a list, got a map");
}

static void count_items_keys_and_letters(void)
{
    CHECK_STR(RUN0("count", L3("a", "b", "c"), "en"), "3");
    CHECK_INT(last_kind, VALUE_NUMBER);
    value *m = keep(value_new(VALUE_MAP, NULL, 0, 0));
    value_map_add(m, "x", 1, value_new_string("1", 1));
    value_map_add(m, "y", 1, value_new_string("2", 1));
    CHECK_STR(RUN0("count", m, "en"), "2");
    CHECK_STR(RUN0("count", S("Київ"), "uk"), "4");
    CHECK_STR(RUN0("count", S("Kyiv, Україна"), "uk"), "13");
    CHECK_STR(RUN0("count", S(""), "en"), "0");
    CHECK_STR(RUN0("count", NULL, "en"), "0");
    CHECK_INT(last_kind, VALUE_NUMBER);
    CHECK_STR(RUN0("count", NUL(), "en"), "0");
    CHECK_STR(RUN0("count", L3(NULL, NULL, NULL), "en"), "0");
}

static void eq_and_ne_compare_texts(void)
{
    CHECK_STR(RUN1("eq", S("female"), "en", S("female")), "true");
    CHECK_INT(last_kind, VALUE_BOOL);
    CHECK_STR(RUN1("eq", S("Female"), "en", S("female")), "false");
    CHECK_STR(RUN1("ne", S("Female"), "en", S("female")), "true");
    CHECK_INT(last_kind, VALUE_BOOL);
    CHECK_STR(RUN1("ne", S("female"), "en", S("female")), "false");
    CHECK_STR(RUN1("eq", NULL, "en", S("")), "true");
    CHECK_STR(RUN1("eq", NULL, "en", NULL), "true");
    CHECK_STR(RUN1("eq", NUL(), "en", S("x")), "false");
    CHECK_STR(RUN1("ne", NULL, "en", S("x")), "true");
    CHECK_STR(RUN1("eq", S("x"), "en", NULL), "false");
    CHECK_STR(RUN1("eq", B(true), "en", S("true")), "true");
    CHECK_STR(RUN1("eq", B(false), "en", B(false)), "true");
    CHECK_STR(RUN1("eq", B(true), "en", B(false)), "false");
    CHECK_STR(RUN1("eq", L3("a", NULL, NULL), "en", S("a")),
              "error: eq: expects text, got a list");
}

static void eq_and_ne_with_numbers(void)
{
    CHECK_STR(RUN1("eq", N("3"), "en", S("3")), "true");
    CHECK_STR(RUN1("eq", S("3"), "en", N("3")), "true");
    CHECK_STR(RUN1("ne", N("3"), "en", S("3")), "false");
    CHECK_STR(RUN1("eq", N("3"), "en", N("4")), "false");
    CHECK_STR(RUN1("ne", N("3"), "en", N("4")), "true");
    CHECK_STR(RUN1("eq", N("1.50"), "en", N("1.5")), "true");
    CHECK_STR(RUN1("eq", S("1.50"), "en", N("1.5")), "true");
    CHECK_STR(RUN1("eq", S("1.50"), "en", S("1.5")), "false");
    CHECK_STR(RUN1("eq", S("007"), "en", N("7")), "true");
    CHECK_STR(RUN1("eq", S("007"), "en", S("7")), "false");
    CHECK_STR(RUN1("eq", N("-0"), "en", N("0.0")), "true");
    CHECK_STR(RUN1("eq", N("-2"), "en", N("2")), "false");
    CHECK_STR(RUN1("eq", N("+2"), "en", N("2")), "true");
    CHECK_STR(RUN1("eq", N(".5"), "en", N("0.5")), "true");
    CHECK_STR(RUN1("eq", N("1e3"), "en", N("1000")), "false");
    CHECK_STR(RUN1("eq", S("three"), "en", N("3")), "false");
    CHECK_STR(RUN1("eq", NULL, "en", N("0")), "false");
}

/* Worker threads each keep their own ICU objects; results must not mix. */
static void *thread_work(void *arg)
{
    const char *loc = arg;
    const char *want = strcmp(loc, "uk") == 0 ? "17 січня 2027" : "17 January 2027";
    const char *want_upper = strcmp(loc, "tr") == 0 ? "İ" : "I";
    value *d = value_new_string("2027-01-17", 10), *p = value_new_string("d MMMM y", 8);
    value *i = value_new_string("i", 1);
    const filter_def *date = filters_find("date", 4), *upper = filters_find("upper", 5);
    const value *args[1] = {p};
    intptr_t bad = 0;
    for (int k = 0; k < 300; k++) {
        char *err = NULL;
        const char *date_loc = strcmp(loc, "uk") == 0 ? "uk" : "en";
        value *r = filters_apply(date, d, args, 1, date_loc, &err);
        if (!r || strcmp(r->str, want) != 0)
            bad++;
        value_free(r);
        free(err);
        r = filters_apply(upper, i, NULL, 0, loc, &err);
        if (!r || strcmp(r->str, want_upper) != 0)
            bad++;
        value_free(r);
        free(err);
    }
    value_free(d);
    value_free(p);
    value_free(i);
    return (void *)bad;
}

static void threads_do_not_share_state(void)
{
    static const char *const locales[] = {"uk", "en", "tr", "uk", "en", "tr"};
    pthread_t t[6];
    for (size_t k = 0; k < 6; k++)
        CHECK_INT(pthread_create(&t[k], NULL, thread_work, (void *)locales[k]), 0);
    intptr_t bad = 0;
    for (size_t k = 0; k < 6; k++) {
        void *r = NULL;
        pthread_join(t[k], &r);
        bad += (intptr_t)r;
    }
    CHECK_INT(bad, 0);
}

UNIT_MAIN("filters", UNIT(table_finds_by_exact_name), UNIT(wrong_argument_count_is_refused),
          UNIT(upper_and_lower_map_fully), UNIT(case_of_scalars_and_missing),
          UNIT(capitalize_changes_the_first_grapheme), UNIT(date_formats_in_the_locale),
          UNIT(posix_locale_names_and_unknown_languages),
          UNIT(date_reads_times_without_shifting), UNIT(date_missing_is_empty),
          UNIT(date_refuses_what_is_not_a_date), UNIT(date_refuses_bad_patterns),
          UNIT(date_cache_keeps_locales_apart), UNIT(default_replaces_empty_values),
          UNIT(join_lists), UNIT(join_scalars_and_refusals), UNIT(count_items_keys_and_letters),
          UNIT(eq_and_ne_compare_texts), UNIT(eq_and_ne_with_numbers),
          UNIT(threads_do_not_share_state))
