/* fuzz.h: what the libFuzzer targets in tests/fuzz/ share (fuzz_common.c).
 * Each target feeds one parser entry point; these helpers give them fixed
 * data to render against and keep a render's work bounded, since Mustache
 * sections nested over lists multiply (ten levels over a list of ten is ten
 * billion repetitions, which is what the template asked for, not a bug). */
#ifndef CASEPACK_FUZZ_H
#define CASEPACK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "load.h"
#include "tpl.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Case data the document targets render against: strings with the
 * characters sinks treat specially (& < > tabs, line breaks, runs of
 * spaces), lists, maps, booleans, a date. Lives until exit. */
const value *fuzz_fixed_data(void);

/* Parses YAML that must be valid (a target's own fixed input); aborts
 * otherwise. Caller frees. */
value *fuzz_yaml(const char *yaml);

/* Limits small enough that one input stays within libFuzzer's memory and
 * time limits, large enough to reach every branch of the loaders. */
load_limits fuzz_load_limits(void);

/* An upper bound on what rendering p over data costs (ops run, bytes
 * written), when every partial tag renders a program shaped like p, up to
 * partial_depth levels. Rendering is skipped above FUZZ_WORK_BUDGET. */
#define FUZZ_WORK_BUDGET 4e6
double fuzz_render_cost(const tpl_program *p, const value *data, unsigned partial_depth);

/* One XML part through an adapter's compiler (xp_compile_part), then, when
 * it compiled to a program, rendered over fuzz_fixed_data() through the
 * adapter's sink. */
struct xp_dialect;
void fuzz_xml_part(const struct xp_dialect *dl, const char *file, const char *part,
                   const uint8_t *data, size_t size);

#endif
