/* Unit tests for zpart.c: a part written through precompressed chunks must
 * inflate to exactly the bytes a plain render gives, with the right CRC. */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "tpl.h"
#include "unit.h"
#include "zpart.h"

/* Renders src over yaml both ways; returns the zpart entry inflated (caller
 * frees) and the plain render in *plain. */
static char *both_ways(const char *src, const char *yaml, buf *plain)
{
    diag *d = diag_new();
    tpl_delims delims = tpl_default_delims();
    tpl_program *p = tpl_compile_text(src, strlen(src), "t.txt", "", &delims, 0, d);
    load_limits lim = load_default_limits();
    value *data = load_yaml(yaml, strlen(yaml), "d.yaml", &lim, d);
    render_options ro = {0};
    render_program(p, data, &ro, plain, d);

    zpart *z = zpart_new(p);
    zipio_writer *w = zipio_writer_new(315532800);
    zpart_render(z, data, &ro, w, "part.xml", d);
    buf zip = {0};
    zipio_writer_finish(w, &zip, d);
    zipio_writer_free(w);
    zipio_limits zl = zipio_default_limits();
    zipio_reader *r = zipio_open_memory(zip.data, zip.len, "out.zip", &zl, d);
    buf got = {0};
    if (r)
        zipio_read(r, 0, &got, d); /* zipio_read checks the CRC */
    char *result = diag_error_count(d) ? xstrdup("(errors)") : buf_steal(&got);
    buf_free(&got);
    zipio_close(r);
    buf_free(&zip);
    zpart_free(z);
    value_free(data);
    tpl_free(p);
    diag_free(d);
    return result;
}

static void matches_plain_render(void)
{
    buf plain = {0};
    char *got = both_ways("<p>{{#items}}<i>{{.}}</i>{{/items}}</p>{{a}}{{b}}<end/>",
                          "items: [one, two, three]\na: x\nb: y\n", &plain);
    CHECK_STR(got, "<p><i>one</i><i>two</i><i>three</i></p>xy<end/>");
    CHECK_STR(got, plain.data);
    free(got);
    buf_free(&plain);
}

static void values_longer_than_a_stored_block(void)
{
    size_t n = 200000;
    char *yaml = xmalloc(n + 16);
    memcpy(yaml, "big: ", 5);
    for (size_t i = 0; i < n; i++)
        yaml[5 + i] = (char)('a' + i % 26);
    yaml[5 + n] = '\n';
    yaml[6 + n] = '\0';
    buf plain = {0};
    char *got = both_ways("[{{big}}]", yaml, &plain);
    CHECK_INT(strlen(got), n + 2);
    CHECK_STR(got, plain.data);
    free(got);
    free(yaml);
    buf_free(&plain);
}

static void no_static_bytes_at_all(void)
{
    buf plain = {0};
    char *got = both_ways("{{a}}", "a: only a value\n", &plain);
    CHECK_STR(got, "only a value");
    free(got);
    buf_free(&plain);
    got = both_ways("", "a: 1\n", &plain);
    CHECK_STR(got, "");
    free(got);
    buf_free(&plain);
}

UNIT_MAIN("zpart", UNIT(matches_plain_render), UNIT(values_longer_than_a_stored_block),
          UNIT(no_static_bytes_at_all))
