/* Unit tests for batch.c's helpers: safe file names, collisions resolved in
 * record order, shards, the date window, and the three record sources (CSV,
 * a YAML/JSON list, a folder of case files) with their numbers and places. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "diag.h"
#include "unit.h"
#include "util.h"
#include "value.h"

static char *safe(const char *s)
{
    static char out[512];
    char *n = batch_safe_name(s, strlen(s));
    snprintf(out, sizeof out, "%s", n);
    free(n);
    return out;
}

static void safe_names(void)
{
    CHECK_STR(safe("Müller"), "Müller");
    CHECK_STR(safe("Шевченко Юлія"), "Шевченко Юлія");
    CHECK_STR(safe("../../etc/passwd"), "_.._etc_passwd");
    CHECK_STR(safe("a/b\\c"), "a_b_c");
    CHECK_STR(safe("a//\\\\b"), "a_b");
    CHECK_STR(safe("what? <yes>: \"no\" | *"), "what_ _yes_ _no_ _ _");
    CHECK_STR(safe("tab\there\nnewline"), "tab_here_newline");
    CHECK_STR(safe("c1\xC2\x85" "control"), "c1_control");
    CHECK_STR(safe("  .hidden. "), "hidden");
    CHECK_STR(safe("..."), "");
    CHECK_STR(safe(""), "");
    CHECK_STR(safe("trailing dots..."), "trailing dots");
    CHECK_STR(safe("CON"), "CON_");
    CHECK_STR(safe("nul.letter"), "nul_.letter");
    CHECK_STR(safe("com7"), "com7_");
    CHECK_STR(safe("CONSTANT"), "CONSTANT");
    CHECK_STR(safe("Tom & Jerry's 'letter'"), "Tom & Jerry's 'letter'");
}

static void long_names_are_cut_on_a_character(void)
{
    char in[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(in, "ж"); /* two bytes each */
    char *n = batch_safe_name(in, strlen(in));
    CHECK_INT(strlen(n), 120);
    free(n);
    strcpy(in, "a");
    for (int i = 0; i < 100; i++)
        strcat(in, "ж");
    n = batch_safe_name(in, strlen(in));
    /* 1 + 59 × 2 = 119: the 60th ж would cross 120. */
    CHECK_INT(strlen(n), 119);
    CHECK(strncmp(n, "aжж", 5) == 0);
    free(n);
    memset(in, 'x', 130);
    in[130] = '\0';
    in[119] = ' ';
    in[118] = '.';
    n = batch_safe_name(in, strlen(in));
    /* Cut at 120, then the dot and space before the cut are trimmed. */
    CHECK_INT(strlen(n), 118);
    free(n);
}

static void collisions_in_record_order(void)
{
    batch_names *ns = batch_names_new();
    size_t by;
    char *a = batch_names_claim(ns, "Müller", "docx", 1, &by);
    CHECK_STR(a, "Müller.docx");
    CHECK_INT(by, 0);
    char *b = batch_names_claim(ns, "müller", "docx", 2, &by);
    CHECK_STR(b, "müller-2.docx");
    CHECK_INT(by, 1);
    char *c = batch_names_claim(ns, "MÜLLER", "docx", 3, &by);
    CHECK_STR(c, "MÜLLER-3.docx");
    CHECK_INT(by, 1);
    /* A record whose own name is a suffixed one moves on. */
    char *d = batch_names_claim(ns, "Müller-2", "docx", 4, &by);
    CHECK_STR(d, "Müller-2-2.docx");
    CHECK_INT(by, 2);
    char *e = batch_names_claim(ns, "Müller", "odt", 5, &by);
    CHECK_STR(e, "Müller.odt");
    CHECK_INT(by, 0);
    char *f = batch_names_claim(ns, "README", "", 6, &by);
    CHECK_STR(f, "README");
    char *g = batch_names_claim(ns, "readme", "", 7, &by);
    CHECK_STR(g, "readme-2");
    CHECK_INT(by, 6);
    free(a), free(b), free(c), free(d), free(e), free(f), free(g);
    /* Many names: the table grows and keeps them all. */
    for (int i = 0; i < 3000; i++) {
        char stem[32];
        snprintf(stem, sizeof stem, "n%d", i % 1000);
        char *x = batch_names_claim(ns, stem, "txt", (size_t)i + 10, &by);
        char want[48];
        if (i < 1000)
            snprintf(want, sizeof want, "n%d.txt", i);
        else
            snprintf(want, sizeof want, "n%d-%d.txt", i % 1000, i / 1000 + 1);
        int same = strcmp(x, want) == 0;
        free(x);
        CHECK(same);
    }
    batch_names_free(ns);
}

static void shards(void)
{
    unsigned k, n;
    CHECK(batch_parse_shard("1/3", &k, &n));
    CHECK_INT(k, 1);
    CHECK_INT(n, 3);
    CHECK(batch_parse_shard("3/3", &k, &n));
    CHECK(!batch_parse_shard("0/3", &k, &n));
    CHECK(!batch_parse_shard("4/3", &k, &n));
    CHECK(!batch_parse_shard("1/0", &k, &n));
    CHECK(!batch_parse_shard("-1/3", &k, &n));
    CHECK(!batch_parse_shard("1/3x", &k, &n));
    CHECK(!batch_parse_shard("1", &k, &n));
    CHECK(!batch_parse_shard("/3", &k, &n));
    /* Every index in exactly one shard; 0-based i goes to shard i % N + 1. */
    for (size_t i = 0; i < 30; i++) {
        int owners = 0;
        for (unsigned s = 1; s <= 4; s++)
            owners += batch_in_shard(i, s, 4);
        CHECK_INT(owners, 1);
        CHECK(batch_in_shard(i, (unsigned)(i % 4) + 1, 4));
    }
    CHECK(batch_in_shard(7, 0, 0));
}

static void dates(void)
{
    long d;
    CHECK(batch_parse_date("1970-01-01", 10, &d));
    CHECK_INT(d, 0);
    CHECK(batch_parse_date("2024-02-29", 10, &d));
    CHECK_INT(d, 19782);
    CHECK(batch_parse_date("2000-03-01", 10, &d));
    CHECK_INT(d, 11017);
    CHECK(batch_parse_date("1969-12-31", 10, &d));
    CHECK_INT(d, -1);
    CHECK(!batch_parse_date("2023-02-29", 10, &d));
    CHECK(!batch_parse_date("1900-02-29", 10, &d));
    CHECK(!batch_parse_date("2025-13-01", 10, &d));
    CHECK(!batch_parse_date("2025-04-31", 10, &d));
    CHECK(!batch_parse_date("2025-4-1", 8, &d));
    CHECK(!batch_parse_date("2025/04/01", 10, &d));
    CHECK(!batch_parse_date("tomorrow!!", 10, &d));
    char out[11];
    batch_format_date(19782, out);
    CHECK_STR(out, "2024-02-29");
    batch_format_date(-1, out);
    CHECK_STR(out, "1969-12-31");
    for (long k = -800; k < 30000; k += 37) {
        batch_format_date(k, out);
        CHECK(batch_parse_date(out, 10, &d));
        CHECK_INT(d, k);
    }
}

static value *hearing(const char *date)
{
    value *rec = value_new(VALUE_MAP, NULL, 0, 0);
    value *h = value_new(VALUE_MAP, NULL, 0, 0);
    if (date)
        value_map_add(h, "date", 4, value_new_string(date, strlen(date)));
    value_map_add(rec, "hearing", 7, h);
    return rec;
}

static void date_window(void)
{
    long today;
    CHECK(batch_parse_date("2025-03-01", 10, &today));
    static const struct {
        const char *date;
        batch_due want;
    } cases[] = {
        {"2025-03-01", BATCH_DUE},      {"2025-03-15", BATCH_DUE},
        {"2025-03-10T09:30", BATCH_DUE}, {"2025-03-16", BATCH_AFTER},
        {"2025-02-28", BATCH_BEFORE},   {"", BATCH_NO_DATE},
        {NULL, BATCH_NO_DATE},          {"2025-02-30", BATCH_BAD_DATE},
        {"soon", BATCH_BAD_DATE},       {"2025-03-10 09:30", BATCH_BAD_DATE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        value *rec = hearing(cases[i].date);
        long date = 0;
        batch_due got = batch_check_due(rec, "hearing.date", today, 14, &date);
        value_free(rec);
        if (got != cases[i].want)
            printf("  case %zu: %s\n", i, cases[i].date ? cases[i].date : "(none)");
        CHECK_INT(got, cases[i].want);
    }
    value *rec = hearing("2025-03-05");
    long date;
    CHECK_INT(batch_check_due(rec, "hearing", today, 14, &date), BATCH_BAD_DATE);
    CHECK_INT(batch_check_due(rec, "nowhere.date", today, 14, &date), BATCH_NO_DATE);
    CHECK_INT(batch_check_due(rec, "hearing.date", today, 3, &date), BATCH_AFTER);
    CHECK_INT(batch_check_due(rec, "hearing.date", today, 4, &date), BATCH_DUE);
    CHECK_INT(date, today + 4);
    value_free(rec);
    /* Lists by position. */
    value *root = value_new(VALUE_MAP, NULL, 0, 0);
    value *list = value_new(VALUE_LIST, NULL, 0, 0);
    value_list_push(list, hearing("2025-03-02"));
    value_map_add(root, "hearings", 8, list);
    CHECK_INT(batch_check_due(root, "hearings.0.hearing.date", today, 1, &date), BATCH_DUE);
    CHECK_INT(batch_check_due(root, "hearings.1.hearing.date", today, 1, &date), BATCH_NO_DATE);
    value_free(root);
}

static char *write_temp(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *name_of(const value *v, const char *key)
{
    const value *s = value_map_get(v, key, strlen(key));
    return s && s->kind == VALUE_STRING ? s->str : "(none)";
}

static void sources(void)
{
    char dir[] = "/tmp/casepack-batch-XXXXXX";
    CHECK(mkdtemp(dir));
    char *csv = write_temp(dir, "people.csv", "name\nA\n\"B\nb\"\nC,extra\nD\n");
    char *list = write_temp(dir, "people.yaml", "- name: A\n- just text\n- name: C\n");
    char *folder = xasprintf("%s/cases", dir);
    mkdir(folder, 0700);
    char *f2 = write_temp(folder, "b.json", "{\"name\": \"B\"}");
    char *f1 = write_temp(folder, "a.yaml", "name: A\n");
    char *f3 = write_temp(folder, "c.yml", "- not a case\n");
    char *skip1 = write_temp(folder, ".hidden.yaml", "name: H\n");
    char *skip2 = write_temp(folder, "notes.txt", "x\n");
    diag *d = diag_new();
    int io = 0;
    batch_record rec;
    size_t n = 0;

    batch_source *s = batch_source_open(csv, 0, NULL, d, &io);
    CHECK(s);
    CHECK(batch_source_count(s, &n));
    CHECK_INT(n, 4);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_INT(rec.number, 1);
    CHECK_INT(rec.row, 1);
    CHECK_INT(rec.line, 2);
    CHECK_STR(name_of(rec.data, "name"), "A");
    CHECK_STR(rec.file, csv);
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_INT(rec.line, 3);
    CHECK_STR(name_of(rec.data, "name"), "B\nb");
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK(rec.data == NULL);
    CHECK_INT(rec.number, 3);
    CHECK_INT(rec.line, 5);
    CHECK_INT(diag_error_count(d), 1);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_INT(rec.number, 4);
    CHECK_STR(name_of(rec.data, "name"), "D");
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 0);
    batch_source_close(s);

    /* A list is read as a stream: its length is not known ahead. */
    s = batch_source_open(list, 0, NULL, d, &io);
    CHECK(s);
    CHECK(!batch_source_count(s, &n));
    CHECK_INT(n, 0);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_INT(rec.line, 1);
    CHECK_INT(rec.row, 0);
    CHECK_STR(name_of(rec.data, "name"), "A");
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK(rec.data == NULL);
    CHECK_INT(rec.line, 2);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_INT(rec.number, 3);
    CHECK_STR(name_of(rec.data, "name"), "C");
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 0);
    batch_source_close(s);
    CHECK_INT(diag_error_count(d), 2);
    char *want = xasprintf("%s:2:3: this record is a string, not a map of fields (like "
                           "recipient: {name: …})",
                           list);
    CHECK_STR(diag_get(d, 1)->text, want);
    free(want);

    s = batch_source_open(folder, 0, NULL, d, &io);
    CHECK(s);
    CHECK(batch_source_count(s, &n));
    CHECK_INT(n, 3);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_STR(rec.file, f1);
    CHECK_STR(name_of(rec.data, "name"), "A");
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_STR(rec.file, f2);
    CHECK_STR(name_of(rec.data, "name"), "B");
    value_free(rec.data);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 1);
    CHECK_STR(rec.file, f3);
    CHECK(rec.data == NULL);
    CHECK_INT(batch_source_next(s, &rec, d, &io), 0);
    batch_source_close(s);
    CHECK_INT(diag_error_count(d), 3);

    /* A list file that holds a map is refused at open. */
    char *map = write_temp(dir, "one.yaml", "name: A\n");
    CHECK(batch_source_open(map, 0, NULL, d, &io) == NULL);
    CHECK_INT(diag_error_count(d), 4);
    CHECK(batch_source_open("/nonexistent/records.csv", 0, NULL, d, &io) == NULL);
    CHECK_INT(io, 2);

    const char *paths[] = {csv, list, f1, f2, f3, skip1, skip2, map};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        unlink(paths[i]);
    rmdir(folder);
    rmdir(dir);
    free(csv), free(list), free(f1), free(f2), free(f3), free(skip1), free(skip2), free(map);
    free(folder);
    diag_free(d);
}

UNIT_MAIN("batch", UNIT(safe_names), UNIT(long_names_are_cut_on_a_character),
          UNIT(collisions_in_record_order), UNIT(shards), UNIT(dates), UNIT(date_window),
          UNIT(sources))
