/* fuzz_zip.c: a whole template file's bytes: the zip reader with its limits
 * (zipio_open_memory, every entry inflated), then the same bytes compiled as
 * a DOCX and as an ODT template (doc_compile_memory) and, when they compile,
 * rendered over fixed data into a new zip. Limits are lowered so a zip bomb
 * is stopped well inside libFuzzer's memory limit. */
#include <string.h>

#include "doc.h"
#include "fuzz.h"

static void count_sections(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                           const diag_place *where)
{
    (void)body;
    (void)path;
    (void)where;
    size_t *n = ud;
    n[0]++;
    if (kind == TPL_TAG_SECTION)
        n[1]++;
}

static void compile_and_render(const uint8_t *data, size_t size, doc_format fmt,
                               const char *name, const doc_options *opt)
{
    diag *d = diag_new();
    doc_template *t = doc_compile_memory((const char *)data, size, fmt, name, opt, d);
    if (t) {
        /* The fixed data's lists hold two items: 2^sections repetitions at most. */
        size_t n[2] = {0, 0};
        doc_each_tag(t, count_sections, n);
        if (n[1] <= 12 && n[0] <= 2000) {
            render_options ro;
            memset(&ro, 0, sizeof ro);
            buf out = {0};
            doc_render(t, fuzz_fixed_data(), &ro, &out, d);
            buf_free(&out);
        }
    }
    doc_free(t);
    diag_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    doc_options opt = doc_default_options();
    opt.zip.max_entries = 1000;
    opt.zip.max_entry_size = (uint64_t)4 << 20;
    opt.zip.max_total_size = (uint64_t)16 << 20;

    diag *d = diag_new();
    zipio_reader *r = zipio_open_memory(data, size, "fuzz.zip", &opt.zip, d);
    if (r) {
        buf b = {0};
        for (size_t i = 0; i < zipio_count(r); i++) {
            buf_reset(&b);
            (void)zipio_find(r, zipio_name(r, i));
            zipio_read(r, i, &b, d);
        }
        buf_free(&b);
        zipio_close(r);
        compile_and_render(data, size, DOC_DOCX, "fuzz.docx", &opt);
        compile_and_render(data, size, DOC_ODT, "fuzz.odt", &opt);
    }
    diag_free(d);
    return 0;
}
