/* fuzz_schema.c: a kit's schema file: loaded (load_yaml), compiled with its
 * PCRE2 patterns (schema_compile), used to check fixed case data and its own
 * skeleton (schema_check, schema_skeleton: a filled-in skeleton is data the
 * schema wrote itself, so it reaches every keyword's checking code). */
#include <stdlib.h>

#include "fuzz.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_limits lim = fuzz_load_limits();
    diag *d = diag_new();
    value *sv = load_yaml((const char *)data, size, "schema.yaml", &lim, d);
    schema *s = sv ? schema_compile(sv, d) : NULL;
    if (s) {
        schema_check(s, fuzz_fixed_data(), d);
        buf skel = {0};
        schema_skeleton(s, &skel);
        value *filled = load_yaml(skel.data ? skel.data : "", skel.len, "skeleton.yaml", &lim, d);
        if (filled)
            schema_check(s, filled, d);
        value_free(filled);
        buf_free(&skel);
    }
    schema_free(s);
    value_free(sv);
    diag_free(d);
    return 0;
}
