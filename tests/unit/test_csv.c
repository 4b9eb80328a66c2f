/* Unit tests for load_csv.c: quoting, cells over several lines, the
 * byte-order mark, delimiters (given and guessed), dotted headers making
 * maps and lists, the place of every cell, and the exact message of every
 * bad header and bad row, with reading going on past bad rows. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "load.h"
#include "unit.h"
#include "util.h"
#include "value.h"

static csv_reader *open_text(const char *text, char delim, diag *d)
{
    load_csv_options o = {.delimiter = delim};
    return load_csv_open_memory(text, strlen(text), "people.csv", &o, NULL, d);
}

/* The value at a dotted path ("orgs.1.name"), or NULL. */
static const value *at(const value *v, const char *path)
{
    char *copy = xstrdup(path);
    char *save = NULL;
    for (char *seg = strtok_r(copy, ".", &save); seg && v; seg = strtok_r(NULL, ".", &save)) {
        if (v->kind == VALUE_LIST) {
            size_t i = strtoul(seg, NULL, 10);
            v = i < v->len ? v->items[i] : NULL;
        } else {
            v = value_map_get(v, seg, strlen(seg));
        }
    }
    free(copy);
    return v;
}

static const char *str_at(const value *v, const char *path)
{
    const value *s = at(v, path);
    return s && s->kind == VALUE_STRING ? s->str : "(not a string)";
}

/* "line:col" of the value at path. */
static const char *place_at(const value *v, const char *path)
{
    static char out[32];
    const value *s = at(v, path);
    if (!s)
        return "(missing)";
    snprintf(out, sizeof out, "%u:%u", (unsigned)s->line, (unsigned)s->col);
    return out;
}

static const char *error_text(const diag *d, size_t i)
{
    const diag_entry *e = diag_get(d, i);
    return e ? e->text : "(no error)";
}

static load_csv_status next(csv_reader *r, value **v, load_csv_row *w, diag *d)
{
    int io = 0;
    return load_csv_next(r, v, w, d, &io);
}

static void quoting_and_places(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text("name,note,city\n"
                              "\"Zoë, Dr.\",\"She said \"\"no\"\"\",Brussels\n"
                              "Ана ,\"two\nlines\", Kyiv\n",
                              0, d);
    CHECK(r);
    CHECK_INT(load_csv_delimiter(r), ',');
    value *v = NULL;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(w.row, 1);
    CHECK_INT(w.line, 2);
    CHECK_INT(v->kind, VALUE_MAP);
    CHECK_INT(v->len, 3);
    CHECK_STR(v->keys[0], "name");
    CHECK_STR(str_at(v, "name"), "Zoë, Dr.");
    CHECK_STR(str_at(v, "note"), "She said \"no\"");
    CHECK_STR(str_at(v, "city"), "Brussels");
    CHECK_STR(place_at(v, "name"), "2:1");
    CHECK_STR(place_at(v, "note"), "2:12");
    CHECK_STR(place_at(v, "city"), "2:30");
    CHECK_STR(at(v, "name")->file, "people.csv");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(w.row, 2);
    CHECK_INT(w.line, 3);
    /* Spaces are part of a cell (RFC 4180); a quoted cell keeps its line break. */
    CHECK_STR(str_at(v, "name"), "Ана ");
    CHECK_STR(str_at(v, "note"), "two\nlines");
    CHECK_STR(str_at(v, "city"), " Kyiv");
    CHECK_STR(place_at(v, "name"), "3:1");
    CHECK_STR(place_at(v, "note"), "3:6");
    CHECK_STR(place_at(v, "city"), "4:8");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_END);
    CHECK(v == NULL);
    CHECK_INT(diag_count(d), 0);
    load_csv_close(r);
    diag_free(d);
}

static void crlf_blank_lines_and_no_final_newline(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text("a,b\r\n1,\"x\r\ny\"\r\n\r\n\r\n2,\r\n3,last", 0, d);
    CHECK(r);
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_STR(str_at(v, "b"), "x\r\ny");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(w.row, 2);
    CHECK_INT(w.line, 6);
    CHECK_STR(str_at(v, "a"), "2");
    CHECK_STR(str_at(v, "b"), "");
    CHECK_STR(place_at(v, "b"), "6:3");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(w.line, 7);
    CHECK_STR(str_at(v, "b"), "last");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_END);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_END);
    CHECK_INT(diag_count(d), 0);
    load_csv_close(r);
    diag_free(d);
}

static void byte_order_mark_is_skipped(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text("\xEF\xBB\xBFname;city\nOlena;Львів\n", 0, d);
    CHECK(r);
    CHECK_INT(load_csv_delimiter(r), ';');
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_STR(v->keys[0], "name");
    CHECK_STR(str_at(v, "city"), "Львів");
    CHECK_STR(place_at(v, "city"), "2:7");
    value_free(v);
    load_csv_close(r);
    diag_free(d);
}

static void delimiters_given_and_guessed(void)
{
    diag *d = diag_new();
    value *v;
    load_csv_row w;
    /* Tab guessed from the header: it has more tabs than commas. */
    csv_reader *r = open_text("a\tb,c\td\n1\t2,3\t4\n", 0, d);
    CHECK(r);
    CHECK_INT(load_csv_delimiter(r), '\t');
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_STR(str_at(v, "b,c"), "2,3");
    CHECK_STR(str_at(v, "d"), "4");
    value_free(v);
    load_csv_close(r);
    /* A tie goes to the comma. */
    r = open_text("a\tb,c\n", 0, d);
    CHECK(r);
    CHECK_INT(load_csv_delimiter(r), ',');
    load_csv_close(r);
    /* Commas inside quotes do not count. */
    r = open_text("\"a,b,c\";d\n1;2\n", 0, d);
    CHECK(r);
    CHECK_INT(load_csv_delimiter(r), ';');
    load_csv_close(r);
    /* Given: the header's semicolons are then text. */
    r = open_text("a;b,c\n1;2,3\n", ',', d);
    CHECK(r);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_STR(str_at(v, "a;b"), "1;2");
    CHECK_STR(str_at(v, "c"), "3");
    value_free(v);
    load_csv_close(r);
    /* Nothing to go by: a comma. */
    r = open_text("name\nx\n", 0, d);
    CHECK(r);
    CHECK_INT(load_csv_delimiter(r), ',');
    load_csv_close(r);
    CHECK_INT(diag_count(d), 0);
    diag_free(d);
}

static void dotted_headers_build_maps_and_lists(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text(" recipient.name ,recipient.address.city,orgs.1.name,orgs.0.name,"
                              "orgs.0.country,demands.0,demands.1,ref\n"
                              "Metsola,Strasbourg,EBCO,Connection,DE,Asylum,,EP-1\n"
                              "Costa,Brussels,,,,,Protection,EP-2\n",
                              0, d);
    CHECK(r);
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(v->len, 4);
    CHECK_STR(v->keys[0], "recipient");
    CHECK_STR(v->keys[1], "orgs");
    CHECK_STR(v->keys[2], "demands");
    CHECK_STR(v->keys[3], "ref");
    CHECK_STR(str_at(v, "recipient.name"), "Metsola");
    CHECK_STR(str_at(v, "recipient.address.city"), "Strasbourg");
    CHECK_INT(at(v, "orgs")->kind, VALUE_LIST);
    CHECK_INT(at(v, "orgs")->len, 2);
    /* List items follow their positions, not the column order. */
    CHECK_STR(str_at(v, "orgs.0.name"), "Connection");
    CHECK_STR(str_at(v, "orgs.0.country"), "DE");
    CHECK_STR(str_at(v, "orgs.1.name"), "EBCO");
    CHECK_STR(str_at(v, "orgs.1.country"), "(not a string)");
    CHECK_INT(at(v, "demands")->len, 1);
    CHECK_STR(str_at(v, "demands.0"), "Asylum");
    /* A map stands where its first cell does. */
    CHECK_STR(place_at(v, "recipient"), "2:1");
    CHECK_STR(place_at(v, "orgs.0"), "2:25");
    CHECK_STR(place_at(v, "orgs"), "2:25");
    CHECK_STR(place_at(v, ""), "2:1");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    /* Items whose cells are all empty are left out. */
    CHECK_INT(at(v, "orgs")->len, 0);
    CHECK_INT(at(v, "demands")->len, 1);
    CHECK_STR(str_at(v, "demands.0"), "Protection");
    value_free(v);
    CHECK_INT(diag_count(d), 0);
    load_csv_close(r);
    diag_free(d);
}

static void short_rows_get_empty_cells(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text("a,b,c\nonly\n", 0, d);
    CHECK(r);
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(v->len, 3);
    CHECK_STR(str_at(v, "a"), "only");
    CHECK_STR(str_at(v, "b"), "");
    CHECK_STR(str_at(v, "c"), "");
    CHECK_STR(place_at(v, "c"), "2:0");
    value_free(v);
    CHECK_INT(diag_count(d), 0);
    load_csv_close(r);
    diag_free(d);
}

/* Columns count characters, not bytes, across whole cells taken at once. */
static void columns_count_characters_in_long_cells(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text("a,b\n"
                              "\xD0\xAE\xD0\xBB\xD1\x96\xD1\x8F \xD0\xA8\xD0\xB5\xD0\xB2\xD1\x87"
                              "\xD0\xB5\xD0\xBD\xD0\xBA\xD0\xBE,ok\n" /* Юлія Шевченко,ok */
                              "Zo\xC3\xAB \xC5\x81ukasik,x\"y\n",       /* Zoë Łukasik,x"y */
                              0, d);
    CHECK(r);
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_STR(place_at(v, "b"), "2:15");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK_STR(error_text(d, 0),
              "people.csv:3:14: a quote in the wrong place: a cell with quotes in it must start "
              "and end with a quote, and each quote inside must be doubled (\"\"); this row is "
              "skipped");
    load_csv_close(r);
    diag_free(d);
}

static void bad_rows_are_reported_and_skipped(void)
{
    diag *d = diag_new();
    csv_reader *r = open_text("a,b\n"
                              "1,x\"y\n"
                              "2,ok\n"
                              "3,\"bad\"z,more\n"
                              "4,4,4,4\n"
                              "5,\xE9t\xC3\xA9\n"
                              "6,\"one\n\xFF\"\n"
                              "7,fine\n"
                              "8,\"never closed\n",
                              0, d);
    CHECK(r);
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK(v == NULL);
    CHECK_INT(w.row, 1);
    CHECK_INT(w.line, 2);
    CHECK_INT(diag_error_count(d), 1);
    CHECK_STR(error_text(d, 0),
              "people.csv:2:4: a quote in the wrong place: a cell with quotes in it must start "
              "and end with a quote, and each quote inside must be doubled (\"\"); this row is "
              "skipped");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(w.row, 2);
    CHECK_STR(str_at(v, "b"), "ok");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK_INT(w.row, 3);
    CHECK_STR(error_text(d, 1),
              "people.csv:4:8: a quote in the wrong place: a cell with quotes in it must start "
              "and end with a quote, and each quote inside must be doubled (\"\"); this row is "
              "skipped");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK_INT(w.row, 4);
    CHECK_INT(w.line, 5);
    CHECK_STR(error_text(d, 2),
              "people.csv:5:5: this row has 4 cells but the header names 2 columns; remove the "
              "extra cells, or put quotes around a cell that holds a comma");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK_STR(error_text(d, 3),
              "people.csv:6:3: the cell in column \"b\" is not valid UTF-8 (byte 0xE9); save "
              "the file as UTF-8 (in Excel: \"CSV UTF-8\")");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK_INT(w.line, 7);
    CHECK_STR(error_text(d, 4),
              "people.csv:8:1: the cell in column \"b\" is not valid UTF-8 (byte 0xFF); save "
              "the file as UTF-8 (in Excel: \"CSV UTF-8\")");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    CHECK_INT(w.row, 7);
    CHECK_INT(w.line, 9);
    CHECK_STR(str_at(v, "b"), "fine");
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_BAD);
    CHECK_INT(w.row, 8);
    CHECK_STR(error_text(d, 5),
              "people.csv:10:3: this quoted cell is never closed: the file ends before its "
              "closing quote; add the quote where the cell should end");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_END);
    CHECK_INT(diag_error_count(d), 6);
    load_csv_close(r);
    diag_free(d);
}

/* Opens text that must fail and returns its errors joined by newlines. */
static const char *header_errors(const char *text)
{
    static char out[2048];
    diag *d = diag_new();
    csv_reader *r = open_text(text, 0, d);
    out[0] = '\0';
    if (r)
        snprintf(out, sizeof out, "(opened)");
    for (size_t i = 0; i < diag_count(d); i++) {
        if (i)
            strncat(out, "\n", sizeof out - strlen(out) - 1);
        strncat(out, error_text(d, i), sizeof out - strlen(out) - 1);
    }
    load_csv_close(r);
    diag_free(d);
    return out;
}

static void bad_headers(void)
{
    CHECK_STR(header_errors(""), "people.csv: the records file is empty; its first line must "
                                 "name the columns (e.g. recipient.name,recipient.email)");
    CHECK_STR(header_errors("\xEF\xBB\xBF\n\n"),
              "people.csv: the records file is empty; its first line must name the columns "
              "(e.g. recipient.name,recipient.email)");
    CHECK_STR(header_errors("a,a.b\n"),
              "people.csv:1:3: the column \"a.b\" puts a value inside \"a\", which another "
              "column already holds as a single value; rename one of them");
    CHECK_STR(header_errors("a.b,a\n"),
              "people.csv:1:5: the column \"a\" already has columns inside it; each column name "
              "must be unique and no column may sit inside another");
    CHECK_STR(header_errors("name,city,name\n"),
              "people.csv:1:11: the column \"name\" is already a column; each column name must "
              "be unique and no column may sit inside another");
    CHECK_STR(header_errors("x.0,x.b\n"),
              "people.csv:1:5: the column \"x.b\" uses \"x\" as a map, but other columns use it "
              "as a list; numbers after a dot are list positions (orgs.0.name), names are "
              "fields (recipient.name)");
    CHECK_STR(header_errors("a, ,b\n"),
              "people.csv:1:3: column 2 of the header has no name; name it (e.g. recipient.name) "
              "or delete the column");
    CHECK_STR(header_errors("a..b\n"),
              "people.csv:1:1: the column name \"a..b\" has an empty part between dots; write "
              "names like recipient.name or orgs.0.name");
    CHECK_STR(header_errors("orgs.0.name,orgs.2.name\n"),
              "people.csv:1: the header has columns for orgs.2 but none for orgs.1: list "
              "positions count from 0 without gaps");
    CHECK_STR(header_errors("a,\xC3(\n"),
              "people.csv:1:3: the header is not valid UTF-8 (byte 0xC3); save the file as "
              "UTF-8 (in Excel: \"CSV UTF-8\")");
    /* Every problem of the header at once. */
    CHECK_STR(header_errors("a,a,b..c\n"),
              "people.csv:1:3: the column \"a\" is already a column; each column name must be "
              "unique and no column may sit inside another\n"
              "people.csv:1:5: the column name \"b..c\" has an empty part between dots; write "
              "names like recipient.name or orgs.0.name");
}

static void limits(void)
{
    diag *d = diag_new();
    load_limits lim = load_default_limits();
    lim.max_depth = 2;
    const char *text = "a.b.c\n1\n";
    csv_reader *r = load_csv_open_memory(text, strlen(text), "people.csv", NULL, &lim, d);
    CHECK(r == NULL);
    CHECK_STR(error_text(d, 0),
              "people.csv:1:1: the column name \"a.b.c\" nests deeper than the limit of 2 "
              "levels; raise it with --max-depth");
    diag_free(d);
    d = diag_new();
    lim = load_default_limits();
    lim.max_bytes = 16;
    text = "a,b\n1,2\n\"0123456789abcdefghij\",x\n";
    r = load_csv_open_memory(text, strlen(text), "people.csv", NULL, &lim, d);
    CHECK(r);
    value *v;
    load_csv_row w;
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_RECORD);
    value_free(v);
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_FAILED);
    CHECK_STR(error_text(d, 0),
              "people.csv:3: this row is longer than the limit of 16 bytes (is a closing quote "
              "missing?); if it is genuine, raise the limit with --max-data-size");
    CHECK_INT(next(r, &v, &w, d), LOAD_CSV_FAILED);
    load_csv_close(r);
    diag_free(d);
}

/* A file larger than the read block, read from disk: places stay right
 * across blocks and the row count agrees. */
static void file_across_blocks(void)
{
    char path[] = "/tmp/casepack-csv-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    buf b = {0};
    buf_adds(&b, "\xEF\xBB\xBFn,text\n");
    for (int i = 1; i <= 3000; i++)
        buf_printf(&b, "%d,\"line one of %d\nline two, with \"\"quotes\"\"\"\n", i, i);
    CHECK_INT(write(fd, b.data, b.len), (long long)b.len);
    close(fd);
    diag *d = diag_new();
    int io = 0;
    csv_reader *r = load_csv_open(path, NULL, NULL, d, &io);
    CHECK(r);
    value *v;
    load_csv_row w;
    size_t n = 0;
    load_csv_status s;
    while ((s = next(r, &v, &w, d)) == LOAD_CSV_RECORD) {
        n++;
        char want[64];
        snprintf(want, sizeof want, "%zu", n);
        if (strcmp(str_at(v, "n"), want) != 0 || w.line != 2 * n ||
            at(v, "text")->line != 2 * n || at(v, "text")->col != (unsigned)strlen(want) + 2) {
            value_free(v);
            break;
        }
        value_free(v);
    }
    CHECK_INT(s, LOAD_CSV_END);
    CHECK_INT(n, 3000);
    size_t rows = 0;
    CHECK(load_csv_count_rows(path, &rows));
    CHECK_INT(rows, 3000);
    load_csv_close(r);
    unlink(path);
    buf_free(&b);
    CHECK_INT(diag_count(d), 0);
    diag_free(d);
    io = 0;
    d = diag_new();
    CHECK(load_csv_open("/nonexistent/people.csv", NULL, NULL, d, &io) == NULL);
    CHECK_INT(io, 2);
    CHECK_STR(error_text(d, 0),
              "/nonexistent/people.csv: cannot read the records file: No such file or directory");
    diag_free(d);
}

UNIT_MAIN("csv", UNIT(quoting_and_places), UNIT(crlf_blank_lines_and_no_final_newline),
          UNIT(byte_order_mark_is_skipped), UNIT(delimiters_given_and_guessed),
          UNIT(dotted_headers_build_maps_and_lists), UNIT(short_rows_get_empty_cells),
          UNIT(bad_rows_are_reported_and_skipped), UNIT(columns_count_characters_in_long_cells), UNIT(bad_headers), UNIT(limits),
          UNIT(file_across_blocks))
