/* Unit tests for zipio.c: round trips, the exact bytes of written archives
 * (ODT mimetype, no extra fields, UTC timestamps, byte-identical reruns),
 * raw copies that keep compressed bytes, and every hostile package refused
 * with its exact message. The hostile packages come from
 * tests/fixtures-gen/make_hostile_zips.py, run once into a temporary folder;
 * run this binary from the repository root. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>

#include "diag.h"
#include "unit.h"
#include "util.h"
#include "zipio.h"

#define CRAFTED                                                                                    \
    "the package is damaged or was built to attack the programs that open it; do not use it as a " \
    "template"
#define MIMETYPE "application/vnd.oasis.opendocument.text"

static const time_t fixed_mtime = 1710037814; /* 2024-03-10 02:30:14 UTC */

static uint16_t get16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint16_t)(u[0] | u[1] << 8);
}

static uint32_t get32(const char *p)
{
    return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

/* ---- the hostile fixtures ---- */

static char fixture_dir[] = "/tmp/cp-zipio-XXXXXX";
static int fixtures_made; /* 0 not yet, 1 made, -1 failed */

static void remove_fixtures(void)
{
    char *cmd = xasprintf("rm -rf '%s'", fixture_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_zipio: could not remove %s\n", fixture_dir);
    free(cmd);
}

static int make_fixtures(void)
{
    if (fixtures_made)
        return fixtures_made;
    fixtures_made = -1;
    if (!mkdtemp(fixture_dir))
        return fixtures_made;
    atexit(remove_fixtures);
    char *cmd = xasprintf("python3 tests/fixtures-gen/make_hostile_zips.py '%s'", fixture_dir);
    if (system(cmd) == 0)
        fixtures_made = 1;
    else
        printf("# could not run %s (run the tests from the repository root)\n", cmd);
    free(cmd);
    return fixtures_made;
}

static char *fixture(const char *name)
{
    return xasprintf("%s/%s", fixture_dir, name);
}

/* The one error expected from opening a fixture, prefixed with its path. */
static char *expect(const char *file, const char *rest)
{
    return xasprintf("%s/%s%s", fixture_dir, file, rest);
}

/* ---- helpers over written archives ---- */

static void build_odt(zipio_writer *w)
{
    zipio_add(w, "mimetype", MIMETYPE, strlen(MIMETYPE), true, 0);
    const char *content = "<office:document-content>Hello</office:document-content>";
    zipio_add(w, "content.xml", content, strlen(content), false, 6);
    zipio_add(w, "empty.txt", "", 0, false, 6);
    zipio_add(w, "Pictures/caf\xC3\xA9.txt", "coffee", 6, false, 9);
}

/* Counts the local headers of z, checking each is followed by the next;
 * *extras gets how many local or central headers carry an extra field. */
static long walk_headers(const buf *z, long *extras)
{
    size_t at = 0;
    long count = 0;
    *extras = 0;
    while (at + 30 <= z->len && get32(z->data + at) == 0x04034b50) {
        if (get16(z->data + at + 28))
            ++*extras;
        at += 30 + get16(z->data + at + 26) + get16(z->data + at + 28) + get32(z->data + at + 18);
        count++;
    }
    while (at + 46 <= z->len && get32(z->data + at) == 0x02014b50) {
        if (get16(z->data + at + 30))
            ++*extras;
        at += 46 + get16(z->data + at + 28) + get16(z->data + at + 30) + get16(z->data + at + 32);
    }
    return at + 22 == z->len && get32(z->data + at) == 0x06054b50 ? count : -1;
}

static char *deterministic_text(size_t n)
{
    char *s = xmalloc(n + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        s[i] = "abcdefghij <w:t>{{name}}</w:t>\n"[(x >> 16) % 31];
    }
    s[n] = '\0';
    return s;
}

/* ---- writing ---- */

static void round_trip(void)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    build_odt(w);
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);

    zipio_reader *r = zipio_open_memory(z.data, z.len, "out.odt", NULL, d);
    CHECK(r);
    CHECK_INT(diag_count(d), 0);
    CHECK_INT(zipio_count(r), 4);
    CHECK_STR(zipio_name(r, 0), "mimetype");
    CHECK_STR(zipio_name(r, 1), "content.xml");
    CHECK_STR(zipio_name(r, 2), "empty.txt");
    CHECK_STR(zipio_name(r, 3), "Pictures/caf\xC3\xA9.txt");
    CHECK(zipio_name(r, 4) == NULL);
    CHECK_INT(zipio_find(r, "Pictures/caf\xC3\xA9.txt"), 3);
    CHECK_INT(zipio_find(r, "mimetype"), 0);
    CHECK_INT(zipio_find(r, "content.xml"), 1);
    CHECK_INT(zipio_find(r, "Content.xml"), -1);
    CHECK_INT(zipio_find(r, "nope"), -1);

    buf out = {0};
    buf_adds(&out, "[");
    CHECK(zipio_read(r, 1, &out, d));
    CHECK_STR(out.data, "[<office:document-content>Hello</office:document-content>");
    buf_reset(&out);
    CHECK(zipio_read(r, 2, &out, d));
    CHECK_INT(out.len, 0);
    CHECK(zipio_read(r, 3, &out, d));
    CHECK_STR(out.data, "coffee");
    CHECK(!zipio_read(r, 4, &out, d));
    CHECK_STR(diag_get(d, 0)->text, "out.odt: internal error: the package has no entry number 5");
    CHECK_STR(out.data, "coffee");
    zipio_close(r);
    buf_free(&out);
    buf_free(&z);
    diag_free(d);
}

static void mimetype_first_stored_without_extra_fields(void)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    build_odt(w);
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);

    CHECK_INT(get32(z.data), 0x04034b50);
    CHECK_INT(get16(z.data + 6) & 1, 0);           /* not encrypted */
    CHECK_INT(get16(z.data + 8), 0);               /* stored */
    CHECK_INT(get32(z.data + 18), strlen(MIMETYPE)); /* compressed size */
    CHECK_INT(get32(z.data + 22), strlen(MIMETYPE)); /* uncompressed size */
    CHECK_INT(get16(z.data + 26), 8);
    CHECK_INT(get16(z.data + 28), 0); /* no extra field */
    CHECK(memcmp(z.data + 30, "mimetype" MIMETYPE, 8 + strlen(MIMETYPE)) == 0);

    long extras = -1;
    CHECK_INT(walk_headers(&z, &extras), 4);
    CHECK_INT(extras, 0);
    /* The UTF-8 name is flagged as such (bit 11), not given an extra field. */
    size_t at = 0;
    for (int i = 0; i < 3; i++)
        at += 30 + get16(z.data + at + 26) + get16(z.data + at + 28) + get32(z.data + at + 18);
    CHECK_INT(get16(z.data + at + 6) & 0x800, 0x800);
    buf_free(&z);
    diag_free(d);
}

static void build_with_tz(const char *tz, time_t mtime, buf *z)
{
    setenv("TZ", tz, 1);
    tzset();
    zipio_writer *w = zipio_writer_new(mtime);
    build_odt(w);
    diag *d = diag_new();
    if (!zipio_writer_finish(w, z, d))
        buf_reset(z);
    zipio_writer_free(w);
    diag_free(d);
}

static void timestamps_are_utc_on_every_machine(void)
{
    const char *old = getenv("TZ");
    char *saved = old ? xstrdup(old) : NULL;
    buf utc = {0}, ny = {0}, kolkata = {0}, epoch = {0};
    build_with_tz("UTC0", fixed_mtime, &utc);
    build_with_tz("EST5EDT,M3.2.0,M11.1.0", fixed_mtime, &ny);
    build_with_tz("IST-5:30", fixed_mtime, &kolkata);
    build_with_tz("EST5EDT,M3.2.0,M11.1.0", 0, &epoch);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);

    CHECK(utc.len > 0);
    CHECK_INT(ny.len, utc.len);
    CHECK_INT(kolkata.len, utc.len);
    CHECK(memcmp(utc.data, ny.data, utc.len) == 0);
    CHECK(memcmp(utc.data, kolkata.data, utc.len) == 0);
    /* 02:30:14 → 2:30:14 in two-second steps; 2024-03-10. */
    const uint16_t want_time = (2 << 11) | (30 << 5) | 7, want_date = (44 << 9) | (3 << 5) | 10;
    CHECK_INT(get16(utc.data + 10), want_time);
    CHECK_INT(get16(utc.data + 12), want_date);
    size_t cd = get32(utc.data + utc.len - 22 + 16);
    CHECK_INT(get16(utc.data + cd + 12), want_time);
    CHECK_INT(get16(utc.data + cd + 14), want_date);
    /* Before 1980 a DOS date cannot go: 1980-01-01 00:00:00. */
    CHECK_INT(get16(epoch.data + 10), 0);
    CHECK_INT(get16(epoch.data + 12), (1 << 5) | 1);
    buf_free(&utc);
    buf_free(&ny);
    buf_free(&kolkata);
    buf_free(&epoch);
}

static void empty_archive_is_valid(void)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);
    CHECK_INT(z.len, 22);
    CHECK_INT(get32(z.data), 0x06054b50);
    zipio_reader *r = zipio_open_memory(z.data, z.len, "empty.zip", NULL, d);
    CHECK(r);
    CHECK_INT(zipio_count(r), 0);
    CHECK_INT(zipio_find(r, "x"), -1);
    zipio_close(r);
    zipio_writer_free(NULL);
    zipio_close(NULL);
    buf_free(&z);
    diag_free(d);
}

static void adding_a_name_twice_fails_at_finish(void)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    zipio_add(w, "a.xml", "1", 1, false, 0);
    zipio_add(w, "a.xml", "2", 1, false, 0);
    buf z = {0};
    diag *d = diag_new();
    CHECK(!zipio_writer_finish(w, &z, d));
    CHECK_INT(z.len, 0);
    CHECK_INT(diag_count(d), 1);
    CHECK_STR(diag_get(d, 0)->text,
              "a.xml: internal error: the entry is added twice to the same archive");
    CHECK(!zipio_writer_finish(w, &z, d));
    CHECK_STR(diag_get(d, 1)->text, "internal error: the zip archive was already finished");
    zipio_writer_free(w);
    diag_free(d);
}

/* A source package: 200 KB of text deflated at level 1 (a re-deflate at
 * any other level would give other bytes) and a stored picture. */
static void build_source(buf *z, char **text)
{
    *text = deterministic_text(200000);
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    zipio_add(w, "word/document.xml", *text, 200000, false, 1);
    zipio_add(w, "word/media/image1.png", "\x89PNG\r\n\x1a\n", 8, true, 0);
    diag *d = diag_new();
    if (!zipio_writer_finish(w, z, d))
        buf_reset(z);
    zipio_writer_free(w);
    diag_free(d);
}

static void copy_entries(zipio_reader *r, buf *z)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    zipio_add(w, "[Content_Types].xml", "<Types/>", 8, false, 6);
    zipio_add_copy(w, r, 0);
    zipio_add_copy(w, r, 1);
    diag *d = diag_new();
    if (!zipio_writer_finish(w, z, d))
        buf_reset(z);
    zipio_writer_free(w);
    diag_free(d);
}

/* The compressed bytes of entry i, read with libzip itself; st->name is
 * cleared (it dies with the archive), name gets a copy. */
static void raw_entry(const buf *z, zip_uint64_t i, zip_stat_t *st, buf *name, buf *raw)
{
    zip_source_t *src = zip_source_buffer_create(z->data, z->len, 0, NULL);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, NULL) : NULL;
    if (!za) {
        zip_source_free(src);
        return;
    }
    zip_stat_index(za, i, 0, st);
    buf_adds(name, st->name);
    st->name = NULL;
    zip_file_t *f = zip_fopen_index(za, i, ZIP_FL_COMPRESSED);
    char chunk[8192];
    zip_int64_t n;
    while (f && (n = zip_fread(f, chunk, sizeof chunk)) > 0)
        buf_add(raw, chunk, (size_t)n);
    if (f)
        zip_fclose(f);
    zip_discard(za);
}

static void copies_keep_compressed_bytes(void)
{
    buf src = {0}, out = {0};
    char *text = NULL;
    build_source(&src, &text);
    CHECK(src.len > 0);
    diag *d = diag_new();
    zipio_reader *r = zipio_open_memory(src.data, src.len, "source.docx", NULL, d);
    CHECK(r);
    copy_entries(r, &out);
    CHECK(out.len > 0);

    zip_stat_t s_doc, o_doc, s_png, o_png;
    buf s_raw = {0}, o_raw = {0}, s_praw = {0}, o_praw = {0}, names = {0};
    raw_entry(&src, 0, &s_doc, &names, &s_raw);
    raw_entry(&out, 1, &o_doc, &names, &o_raw);
    buf_addc(&names, ' ');
    raw_entry(&src, 1, &s_png, &names, &s_praw);
    raw_entry(&out, 2, &o_png, &names, &o_praw);
    CHECK_STR(names.data, "word/document.xmlword/document.xml "
                          "word/media/image1.pngword/media/image1.png");
    CHECK_INT(o_doc.comp_method, ZIP_CM_DEFLATE);
    CHECK_INT(o_doc.size, 200000);
    CHECK_INT(o_doc.comp_size, s_doc.comp_size);
    CHECK_INT(o_doc.crc, s_doc.crc);
    CHECK_INT(o_raw.len, s_doc.comp_size);
    CHECK(memcmp(o_raw.data, s_raw.data, o_raw.len) == 0);
    CHECK_INT(o_png.comp_method, ZIP_CM_STORE);
    CHECK_INT(o_png.comp_size, 8);
    CHECK_INT(o_png.crc, s_png.crc);
    CHECK(memcmp(o_praw.data, "\x89PNG\r\n\x1a\n", 8) == 0);

    long extras = -1;
    CHECK_INT(walk_headers(&out, &extras), 3);
    CHECK_INT(extras, 0);

    zipio_reader *back = zipio_open_memory(out.data, out.len, "out.docx", NULL, d);
    CHECK(back);
    buf doc = {0};
    CHECK(zipio_read(back, 1, &doc, d));
    CHECK_INT(doc.len, 200000);
    CHECK(memcmp(doc.data, text, 200000) == 0);
    zipio_close(back);
    zipio_close(r);
    free(text);
    buf_free(&doc);
    buf_free(&src);
    buf_free(&out);
    buf_free(&s_raw);
    buf_free(&o_raw);
    buf_free(&s_praw);
    buf_free(&o_praw);
    buf_free(&names);
    diag_free(d);
}

static void output_is_byte_identical_across_runs(void)
{
    buf src = {0}, a = {0}, b = {0};
    char *text = NULL;
    build_source(&src, &text);
    diag *d = diag_new();
    zipio_reader *r = zipio_open_memory(src.data, src.len, "source.docx", NULL, d);
    CHECK(r);
    copy_entries(r, &a);
    copy_entries(r, &b);
    CHECK(a.len > 0);
    CHECK_INT(b.len, a.len);
    CHECK(memcmp(a.data, b.data, a.len) == 0);
    buf src2 = {0};
    char *text2 = NULL;
    build_source(&src2, &text2);
    CHECK_INT(src2.len, src.len);
    CHECK(memcmp(src.data, src2.data, src.len) == 0);
    zipio_close(r);
    free(text);
    free(text2);
    buf_free(&src);
    buf_free(&src2);
    buf_free(&a);
    buf_free(&b);
    diag_free(d);
}

/* Over 65535 entries libzip writes zip64 end records; the UTC stamps must
 * still reach every header. */
static void many_entries_use_zip64_and_keep_stamps(void)
{
    enum { N = 70000 };
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "e/%d", i);
        zipio_add(w, name, "x", 1, true, 0);
    }
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);
    CHECK_INT(get16(z.data + z.len - 22 + 10), 0xFFFF);
    const uint16_t want_time = (2 << 11) | (30 << 5) | 7, want_date = (44 << 9) | (3 << 5) | 10;
    size_t at = 0;
    long stamped = 0;
    while (get32(z.data + at) == 0x04034b50) {
        stamped += get16(z.data + at + 10) == want_time && get16(z.data + at + 12) == want_date;
        at += 30 + get16(z.data + at + 26) + get16(z.data + at + 28) + get32(z.data + at + 18);
    }
    CHECK_INT(stamped, N);
    zipio_limits lim = zipio_default_limits();
    lim.max_entries = N;
    zipio_reader *r = zipio_open_memory(z.data, z.len, "big.zip", &lim, d);
    CHECK(r);
    CHECK_INT(zipio_count(r), N);
    CHECK_INT(zipio_find(r, "e/69999"), 69999);
    zipio_close(r);
    buf_free(&z);
    diag_free(d);
}

/* An entry declaring 5 GiB: its sizes go into zip64 extra fields, local
 * and central, which libzip reads back (and the limit then refuses). */
static void huge_entry_sizes_use_zip64_fields(void)
{
    const uint64_t huge = (uint64_t)5 << 30;
    static const unsigned char empty_deflate[] = {0x03, 0x00};
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    zipio_add(w, "a.txt", "a", 1, true, 0);
    zipio_add_deflated(w, "big.xml", empty_deflate, sizeof empty_deflate, 0, huge);
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);
    size_t local = 30 + 5 + 1; /* the second local header */
    CHECK_INT(get32(z.data + local), 0x04034b50);
    CHECK_INT(get16(z.data + local + 4), 45);
    CHECK_INT(get32(z.data + local + 18), 0xFFFFFFFF);
    CHECK_INT(get32(z.data + local + 22), 0xFFFFFFFF);
    CHECK_INT(get16(z.data + local + 28), 20);
    const char *extra = z.data + local + 30 + 7; /* after the name "big.xml" */
    CHECK_INT(get16(extra), 1);
    CHECK_INT(get16(extra + 2), 16);
    CHECK_INT(get32(extra + 4), 0x40000000); /* 5 GiB, low half */
    CHECK_INT(get32(extra + 8), 1);
    CHECK_INT(get32(extra + 12), 2); /* the compressed size */
    zipio_limits lim = zipio_default_limits();
    zipio_reader *r = zipio_open_memory(z.data, z.len, "huge.zip", &lim, d);
    CHECK(!r);
    CHECK_INT(diag_count(d), 2);
    CHECK(strstr(diag_get(d, 0)->text, "declares 5368709120 bytes") != NULL);
    buf_free(&z);
    diag_free(d);
}

/* ---- reading: limits and damage, with archives built here ---- */

static void declared_sizes_over_the_limits(void)
{
    char big[2000];
    memset(big, 'a', sizeof big);
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    zipio_add(w, "a.xml", big, sizeof big, false, 6);
    zipio_add(w, "b.xml", big, sizeof big, false, 6);
    zipio_add(w, "c.xml", big, 1000, false, 6);
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);

    zipio_limits lim = {.max_entries = 10, .max_entry_size = 1500, .max_total_size = 4500};
    CHECK(zipio_open_memory(z.data, z.len, "limits.docx", &lim, d) == NULL);
    CHECK_INT(diag_count(d), 3);
    CHECK_STR(diag_get(d, 0)->text,
              "limits.docx:a.xml: the entry declares 2000 bytes once uncompressed, over the limit "
              "of 1500 bytes; if the template is genuine, raise the limit with --max-entry-size");
    CHECK_STR(diag_get(d, 1)->text,
              "limits.docx:b.xml: the entry declares 2000 bytes once uncompressed, over the limit "
              "of 1500 bytes; if the template is genuine, raise the limit with --max-entry-size");
    CHECK_STR(diag_get(d, 2)->text,
              "limits.docx: the entries declare 5000 bytes in all once uncompressed, over the "
              "limit of 4500 bytes; if the template is genuine, raise the limit with "
              "--max-total-size");

    diag *d2 = diag_new();
    lim = (zipio_limits){.max_entries = 2, .max_entry_size = 5000, .max_total_size = 5000};
    CHECK(zipio_open_memory(z.data, z.len, "limits.docx", &lim, d2) == NULL);
    CHECK_INT(diag_count(d2), 1);
    CHECK_STR(diag_get(d2, 0)->text,
              "limits.docx: the package holds 3 entries, over the limit of 2; if the template is "
              "genuine, raise the limit with --max-entries");
    lim.max_entries = 3;
    zipio_reader *r = zipio_open_memory(z.data, z.len, "limits.docx", &lim, d2);
    CHECK(r);
    CHECK_INT(diag_count(d2), 1);
    zipio_close(r);
    buf_free(&z);
    diag_free(d);
    diag_free(d2);
}

static void damaged_entry_fails_its_checksum(void)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    zipio_add(w, "doc.xml", "hello world", 11, true, 0);
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);
    CHECK(memcmp(z.data + 30 + 7, "hello world", 11) == 0);
    z.data[30 + 7] = 'j';
    zipio_reader *r = zipio_open_memory(z.data, z.len, "damaged.docx", NULL, d);
    CHECK(r);
    buf out = {0};
    buf_adds(&out, "keep");
    CHECK(!zipio_read(r, 0, &out, d));
    CHECK_STR(out.data, "keep");
    CHECK_INT(diag_count(d), 1);
    CHECK_STR(diag_get(d, 0)->text,
              "damaged.docx:doc.xml: the entry is damaged (its checksum does not match its "
              "contents); open and save it again in Word or LibreOffice");
    zipio_close(r);
    buf_free(&out);
    buf_free(&z);
    diag_free(d);
}

static void problems_past_fifty_are_counted(void)
{
    zipio_writer *w = zipio_writer_new(fixed_mtime);
    for (int i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof name, "../e%d", i);
        zipio_add(w, name, "x", 1, true, 0);
    }
    buf z = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &z, d));
    zipio_writer_free(w);
    CHECK(zipio_open_memory(z.data, z.len, "flood.docx", NULL, d) == NULL);
    CHECK_INT(diag_count(d), 51);
    CHECK_STR(diag_get(d, 49)->text,
              "flood.docx:../e49: the entry name climbs out of the package with \"..\"; " CRAFTED);
    CHECK_STR(diag_get(d, 50)->text,
              "flood.docx: 10 more problems with entries of this package are not listed");
    buf_free(&z);
    diag_free(d);
}

static void open_file_reports_io_errors(void)
{
    diag *d = diag_new();
    int io = 0;
    CHECK(zipio_open_file("/nonexistent/claim.docx", NULL, d, &io) == NULL);
    CHECK_INT(io, ENOENT);
    CHECK_STR(diag_get(d, 0)->text,
              "/nonexistent/claim.docx: cannot read the file: No such file or directory");
    diag_free(d);
}

static void empty_file_is_not_a_zip(void)
{
    diag *d = diag_new();
    CHECK(zipio_open_memory("", 0, "blank.docx", NULL, d) == NULL);
    CHECK_STR(diag_get(d, 0)->text,
              "blank.docx: the file is not a valid DOCX/ODT package (zip): the file is empty; it "
              "may be truncated or damaged \xE2\x80\x94 open and save it again in Word or "
              "LibreOffice");
    diag_free(d);
}

/* ---- reading: the hostile fixtures ---- */

/* Opens fixture name, expecting NULL and exactly the given errors (each
 * without the "FOLDER/name" prefix). */
static int refused(const char *name, const zipio_limits *lim, int n, const char *const *want)
{
    char *path = fixture(name);
    diag *d = diag_new();
    int io = 0;
    zipio_reader *r = zipio_open_file(path, lim, d, &io);
    int ok = r == NULL && io == 0 && (int)diag_count(d) == n;
    for (int i = 0; ok && i < n; i++) {
        char *full = expect(name, want[i]);
        if (strcmp(diag_get(d, (size_t)i)->text, full) != 0) {
            printf("# got  %s\n# want %s\n", diag_get(d, (size_t)i)->text, full);
            ok = 0;
        }
        free(full);
    }
    if (!ok && diag_count(d))
        printf("# first: %s (of %zu)\n", diag_get(d, 0)->text, diag_count(d));
    zipio_close(r);
    diag_free(d);
    free(path);
    return ok;
}

static void hostile_names(void)
{
    CHECK_INT(make_fixtures(), 1);
    const char *traversal[] = {
        ":../../x: the entry name climbs out of the package with \"..\"; " CRAFTED};
    CHECK(refused("traversal.docx", NULL, 1, traversal));
    const char *absolute[] = {
        ":/etc/x: the entry name is an absolute path (it starts with \"/\"); " CRAFTED};
    CHECK(refused("absolute.docx", NULL, 1, absolute));
    const char *bad[] = {
        ":word\\evil.xml: the entry name contains a backslash; " CRAFTED,
        ":C:/evil.xml: the entry name starts with a drive letter; " CRAFTED,
        ":word/bell\\x07.xml: the entry name contains a control character; " CRAFTED,
        ":word/document.xml: the package holds 2 entries with this name; " CRAFTED,
    };
    CHECK(refused("bad-names.docx", NULL, 4, bad));
    const char *symlink[] = {
        ":Pictures/link.png: the entry is a symbolic link; a package must not contain links; "
        CRAFTED};
    CHECK(refused("symlink.odt", NULL, 1, symlink));
    const char *encrypted[] = {
        ":word/document.xml: the entry is encrypted; a template must not be protected with a "
        "password: remove the password in Word or LibreOffice and save it again"};
    CHECK(refused("encrypted.docx", NULL, 1, encrypted));
}

static void hostile_not_zips(void)
{
    CHECK_INT(make_fixtures(), 1);
    const char *not_zip[] = {
        ": the file is not a valid DOCX/ODT package (zip): not a zip archive; it may be "
        "truncated or damaged \xE2\x80\x94 open and save it again in Word or LibreOffice"};
    CHECK(refused("truncated.docx", NULL, 1, not_zip));
    CHECK(refused("not-a-zip.docx", NULL, 1, not_zip));
}

static void hostile_entry_count(void)
{
    CHECK_INT(make_fixtures(), 1);
    const char *many[] = {
        ": the package holds 20001 entries, over the limit of 10000; if the template is "
        "genuine, raise the limit with --max-entries"};
    CHECK(refused("many-entries.docx", NULL, 1, many));

    zipio_limits lim = zipio_default_limits();
    lim.max_entries = 20001;
    char *path = fixture("many-entries.docx");
    diag *d = diag_new();
    int io = 0;
    zipio_reader *r = zipio_open_file(path, &lim, d, &io);
    CHECK(r);
    CHECK_INT(zipio_count(r), 20001);
    CHECK_INT(zipio_find(r, "word/media/e19997.txt"), 20000);
    zipio_close(r);
    diag_free(d);
    free(path);
}

static void hostile_bombs(void)
{
    CHECK_INT(make_fixtures(), 1);
    /* Honest headers: refused from the directory, nothing inflated. */
    const char *honest[] = {
        ":word/document.xml: the entry declares 1610612736 bytes once uncompressed, over the "
        "limit of 268435456 bytes; if the template is genuine, raise the limit with "
        "--max-entry-size",
        ": the entries declare 1610613166 bytes in all once uncompressed, over the limit of "
        "1073741824 bytes; if the template is genuine, raise the limit with --max-total-size"};
    CHECK(refused("bomb-honest.docx", NULL, 2, honest));

    /* Lying headers: the package opens, reading stops one byte past the lie. */
    char *path = fixture("bomb.docx");
    diag *d = diag_new();
    int io = 0;
    zipio_reader *r = zipio_open_file(path, NULL, d, &io);
    CHECK(r);
    long i = zipio_find(r, "word/document.xml");
    CHECK_INT(i, 1);
    buf out = {0};
    buf_adds(&out, "keep");
    CHECK(!zipio_read(r, (size_t)i, &out, d));
    CHECK_STR(out.data, "keep");
    CHECK_INT(diag_count(d), 1);
    char *want = expect("bomb.docx",
                        ":word/document.xml: the entry inflates to more than the 1000 bytes its "
                        "header declares, so reading stopped (a zip bomb lies about sizes); "
                        CRAFTED);
    CHECK_STR(diag_get(d, 0)->text, want);
    free(want);
    /* The other entry is fine. */
    buf_reset(&out);
    CHECK(zipio_read(r, 0, &out, d));
    CHECK_INT(out.len, 430);
    zipio_close(r);
    buf_free(&out);
    diag_free(d);
    free(path);
}

UNIT_MAIN("zipio", UNIT(round_trip), UNIT(mimetype_first_stored_without_extra_fields),
          UNIT(timestamps_are_utc_on_every_machine), UNIT(empty_archive_is_valid),
          UNIT(adding_a_name_twice_fails_at_finish), UNIT(copies_keep_compressed_bytes),
          UNIT(output_is_byte_identical_across_runs),
          UNIT(many_entries_use_zip64_and_keep_stamps), UNIT(huge_entry_sizes_use_zip64_fields),
          UNIT(declared_sizes_over_the_limits),
          UNIT(damaged_entry_fails_its_checksum), UNIT(problems_past_fifty_are_counted),
          UNIT(open_file_reports_io_errors), UNIT(empty_file_is_not_a_zip), UNIT(hostile_names),
          UNIT(hostile_not_zips), UNIT(hostile_entry_count), UNIT(hostile_bombs))
