/* bench.c: the bulk-letter benchmark. Renders N petition letters through the
 * library (compile once, render many) and, as the physical floor for the job,
 * rewrites the template's zip N times with its main part re-deflated (at
 * the level casepack uses for rendered parts) and every other entry copied. Prints documents per second and peak memory.
 *
 *   bench render TEMPLATE.docx N     letters through doc_render
 *   bench baseline TEMPLATE.docx N   the zip rewrite alone, in memory
 *   bench baseline TEMPLATE.docx N DIR   the same, each archive then written
 *                                    to a new file in DIR (the floor for a
 *                                    batch, which writes files)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "doc.h"
#include "value.h"
#include "zipio.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static value *str(const char *s)
{
    return value_new_string(s, strlen(s));
}

static void put(value *map, const char *key, value *v)
{
    value_map_set(map, key, strlen(key), v);
}

/* A deterministic recipient: some names Cyrillic, some accented, some with
 * characters XML must escape. */
static value *make_record(unsigned i)
{
    static const char *const first[] = {"Olena", "Юлія", "Zoë", "Miłosz", "Ана", "Seán",
                                        "Dörte", "Tom & Jerry", "Ivan \"Vanya\"", "Agnès"};
    static const char *const last[] = {"Kovalenko", "Шевченко", "Müller", "Nowak", "Петренко",
                                       "O'Brien", "<Schmidt>", "Dupont", "Łukasik", "García"};
    static const char *const orgs[] = {"Connection e.V.", "War Resisters' International",
                                       "European Bureau for Conscientious Objection",
                                       "Правозахисна група «Січ»", "Payday Men's Network"};
    static const char *const countries[] = {"Germany", "United Kingdom", "Belgium", "Україна",
                                            "Italy"};
    value *r = value_new(VALUE_MAP, NULL, 0, 0);
    value *rec = value_new(VALUE_MAP, NULL, 0, 0);
    put(rec, "first_name", str(first[i % 10]));
    put(rec, "last_name", str(last[(i / 10) % 10]));
    put(rec, "title", str(i % 3 == 0 ? "Member of the European Parliament" : "Head of Office"));
    char line[96];
    snprintf(line, sizeof line, "Rue Wiertz %u", 1 + i % 200);
    put(rec, "street", str(line));
    put(rec, "city", str(i % 2 ? "1047 Brussels" : "67070 Strasbourg"));
    put(r, "recipient", rec);
    value *list = value_new(VALUE_LIST, NULL, 0, 0);
    for (unsigned k = 0; k < 5; k++) {
        value *o = value_new(VALUE_MAP, NULL, 0, 0);
        put(o, "name", str(orgs[(i + k) % 5]));
        put(o, "country", str(countries[(i + k) % 5]));
        value_list_push(list, o);
    }
    put(r, "orgs", list);
    static const char *const demands[] = {
        "Grant protection and asylum to deserters and conscientious objectors from Belarus and "
        "Russia.",
        "Urge Ukraine to guarantee a full right to conscientious objection.",
        "Open the borders to those who oppose the war at great personal risk."};
    value *dl = value_new(VALUE_LIST, NULL, 0, 0);
    for (unsigned k = 0; k < 3; k++)
        value_list_push(dl, str(demands[k]));
    put(r, "demands", dl);
    snprintf(line, sizeof line, "2027-%02u-%02u", 1 + i % 12, 1 + i % 28);
    put(r, "date", str(line));
    snprintf(line, sizeof line, "EP-%05u", i);
    put(r, "ref", str(line));
    return r;
}

static int run_render(const char *path, unsigned n)
{
    diag *d = diag_new();
    doc_options opt = doc_default_options();
    int io = 0;
    double t0 = now();
    doc_template *t = doc_compile_file(path, &opt, d, &io);
    if (!t) {
        diag_print(d, stderr);
        return 1;
    }
    double t1 = now();
    render_options ro = {0};
    ro.locale = "en";
    buf out = {0};
    size_t bytes = 0;
    /* Records are made one at a time, as a stream delivers them, and only
     * the rendering is timed. */
    double rendering = 0;
    long faults = 0;
    for (unsigned i = 0; i < n; i++) {
        value *record = make_record(i);
        buf_reset(&out);
        double a = now();
        long f0 = minor_faults();
        bool ok = doc_render(t, record, &ro, &out, d);
        faults += minor_faults() - f0;
        rendering += now() - a;
        value_free(record);
        if (!ok) {
            diag_print(d, stderr);
            return 1;
        }
        bytes += out.len;
    }
    printf("render: %u documents in %.3f s: %.0f documents/s, %.1f KiB each, compile %.1f ms, "
           "peak memory %.1f MiB, %.1f page faults each\n",
           n, rendering, n / rendering, bytes / 1024.0 / n, (t1 - t0) * 1e3,
           peak_kib() / 1024.0, (double)faults / n);
    buf_free(&out);
    doc_free(t);
    diag_free(d);
    return 0;
}

/* Writes data to a new file dir/NNNNN.docx: create, write, close, no more. */
static bool write_file(const char *dir, unsigned i, const buf *data)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%05u.docx", dir, i + 1);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    const char *p = data->data;
    size_t left = data->len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            close(fd);
            return false;
        }
        p += w;
        left -= (size_t)w;
    }
    return close(fd) == 0;
}

static int run_baseline(const char *path, unsigned n, const char *dir)
{
    diag *d = diag_new();
    zipio_limits lim = zipio_default_limits();
    int io = 0;
    zipio_reader *zr = zipio_open_file(path, &lim, d, &io);
    if (!zr) {
        diag_print(d, stderr);
        return 1;
    }
    long main_part = zipio_find(zr, "word/document.xml");
    buf xml = {0};
    if (main_part < 0 || !zipio_read(zr, (size_t)main_part, &xml, d)) {
        diag_print(d, stderr);
        return 1;
    }
    buf out = {0};
    size_t bytes = 0;
    double t0 = now();
    long f0 = minor_faults();
    for (unsigned i = 0; i < n; i++) {
        zipio_writer *w = zipio_writer_new((time_t)315532800);
        for (size_t e = 0; e < zipio_count(zr); e++) {
            if ((long)e == main_part)
                zipio_add(w, "word/document.xml", xml.data, xml.len, false, DOC_DEFLATE_LEVEL);
            else
                zipio_add_copy(w, zr, e);
        }
        buf_reset(&out);
        if (!zipio_writer_finish(w, &out, d)) {
            diag_print(d, stderr);
            return 1;
        }
        zipio_writer_free(w);
        if (dir && !write_file(dir, i, &out)) {
            perror(dir);
            return 1;
        }
        bytes += out.len;
    }
    double t1 = now();
    printf("baseline%s: %u documents in %.3f s: %.0f documents/s, %.1f KiB each, peak memory %.1f "
           "MiB, %.1f page faults each\n",
           dir ? " to files" : "", n, t1 - t0, n / (t1 - t0), bytes / 1024.0 / n, peak_kib() / 1024.0,
           (double)(minor_faults() - f0) / n);
    buf_free(&out);
    buf_free(&xml);
    zipio_close(zr);
    diag_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && !strcmp(argv[1], "baseline"))) {
        fprintf(stderr, "usage: bench render|baseline TEMPLATE.docx N [DIR]\n");
        return 2;
    }
    unsigned n = (unsigned)strtoul(argv[3], NULL, 10);
    util_tune_malloc(); /* as casepack's main does */
    if (!strcmp(argv[1], "render"))
        return run_render(argv[2], n);
    if (!strcmp(argv[1], "baseline"))
        return run_baseline(argv[2], n, argc == 5 ? argv[4] : NULL);
    fprintf(stderr, "usage: bench render|baseline TEMPLATE.docx N [DIR]\n");
    return 2;
}
