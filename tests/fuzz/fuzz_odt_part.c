/* fuzz_odt_part.c: one OpenDocument part (content.xml) through the ODT
 * adapter: parsed, tags found across spans, reaches resolved, cut into a
 * program, then rendered through the ODT sink. */
#include "fuzz.h"
#include "xmlpart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_xml_part(&odt_dialect, "fuzz.odt", "content.xml", data, size);
    return 0;
}
