/* fuzz_yaml.c: the YAML and JSON loader (load_yaml) with its limits, then
 * what the command line does with loaded data: clone, merge over another
 * file's data, and free without recursion. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_limits lim = fuzz_load_limits();
    diag *d = diag_new();
    value *v = load_yaml((const char *)data, size, "fuzz.yaml", &lim, d);
    if (v) {
        value *base = value_clone(fuzz_fixed_data());
        value *copy = value_clone(v);
        base = value_merge(base, copy);
        (void)value_truthy(base);
        value_free(base);
        value_free(v);
    }
    diag_free(d);
    return 0;
}
