/* fuzz_docx_part.c: one WordprocessingML part (word/document.xml) through
 * the DOCX adapter: parsed, tags found across runs, reaches resolved, cut
 * into a program, then rendered through the DOCX sink. */
#include "fuzz.h"
#include "xmlpart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_xml_part(&docx_dialect, "fuzz.docx", "word/document.xml", data, size);
    return 0;
}
