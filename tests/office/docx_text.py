#!/usr/bin/python3
"""tests/office/docx_text.py: prints the text a reader sees in a DOCX, read
with Debian's python3-docx, so tests can compare casepack's output with
expected text independently of casepack's own parser.

    docx_text.py FILE.docx        (also .docm, .dotx, .dotm)

Output, one line per item, in this order:
    header: TEXT        each paragraph of each header part the sections use
    TEXT                each body paragraph
    A | B | C           each table row, cells joined by " | " (the paragraphs
                        of one cell joined by " / ")
    textbox: TEXT       each paragraph of a text box, after its anchor paragraph
    footer: TEXT        each paragraph of each footer part
    footnote: TEXT      each paragraph of each footnote (separators skipped)
    endnote: TEXT       the same for endnotes
    title: TEXT         core properties, when not empty
    subject: TEXT
Inside a line, a tab is printed as a tab and a line break as "\\n" (the two
characters), so one paragraph stays one line. Deleted text (w:del), field
instructions and the fallback copy of a text box (mc:Fallback) are not
printed, as a reader never sees them; inserted text (w:ins), hyperlinks,
content controls and field results are.
"""
import os
import sys

try:
    from docx.opc.part import PartFactory
    from docx.oxml.ns import qn
    from docx.package import Package
    from docx.parts.document import DocumentPart
    from lxml import etree
except ImportError:
    # python3 on PATH may be a private interpreter without Debian's modules.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

# python-docx refuses macro-enabled documents and templates, which casepack
# renders too; their main part has the same schema as a plain document.
for _ct in ("application/vnd.ms-word.document.macroEnabled.main+xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
            "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"):
    PartFactory.part_type_for[_ct] = DocumentPart

MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"

SKIP = {qn("w:del"), qn("w:moveFrom"), qn("w:delText"), qn("w:instrText"),
        qn("w:delInstrText"), qn("w:pPr"), qn("w:rPr"), qn("w:sdtPr"),
        qn("w:sdtEndPr"), qn("w:footnoteReference"), qn("w:endnoteReference"),
        qn("w:commentReference"), "{%s}Fallback" % MC_NS}


def para_text(p, boxes):
    """Text of paragraph p; paragraphs of text boxes anchored in it go to boxes."""
    out = []

    def walk(el):
        for c in el:
            tag = c.tag
            if not isinstance(tag, str) or tag in SKIP:
                continue
            if tag == qn("w:t"):
                out.append(c.text or "")
            elif tag in (qn("w:tab"), qn("w:ptab")):
                out.append("\t")
            elif tag == qn("w:br"):
                if c.get(qn("w:type")) in (None, "textWrapping"):
                    out.append("\\n")
            elif tag == qn("w:cr"):
                out.append("\\n")
            elif tag == qn("w:noBreakHyphen"):
                out.append("-")
            elif tag == qn("w:txbxContent"):
                blocks(c, boxes)
            else:
                walk(c)

    walk(p)
    return "".join(out)


def cell_text(tc):
    lines = []
    blocks(tc, lines)
    return " / ".join(lines)


def rows(tbl, lines):
    for c in tbl:
        if c.tag == qn("w:tr"):
            lines.append(" | ".join(cell_text(tc) for tc in row_cells(c)))
        elif c.tag in (qn("w:sdt"), qn("w:customXml"), qn("w:sdtContent")):
            rows(c, lines)


def row_cells(tr):
    for c in tr:
        if c.tag == qn("w:tc"):
            yield c
        elif c.tag in (qn("w:sdt"), qn("w:customXml"), qn("w:sdtContent")):
            yield from row_cells(c)


def blocks(container, lines):
    """Appends one line per paragraph or table row found in container."""
    for c in container:
        if c.tag == qn("w:p"):
            boxes = []
            lines.append(para_text(c, boxes))
            lines.extend("textbox: " + b for b in boxes)
        elif c.tag == qn("w:tbl"):
            rows(c, lines)
        elif c.tag in (qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:ins"),
                       qn("w:moveTo")):
            blocks(c, lines)
        elif c.tag == "{%s}AlternateContent" % MC_NS:
            for choice in c.findall("{%s}Choice" % MC_NS):
                blocks(choice, lines)
                break


def part_element(part):
    el = getattr(part, "element", None)
    if el is None:
        el = etree.fromstring(part.blob)
    return el


def header_footer_parts(document, kind):
    """Header or footer parts the sections reference, first use first."""
    order = {"default": 0, "first": 1, "even": 2}
    seen, parts = set(), []
    for section in document.sections:
        refs = section._sectPr.findall(qn("w:%sReference" % kind))
        refs.sort(key=lambda r: order.get(r.get(qn("w:type")), 3))
        for ref in refs:
            part = document.part.related_parts[ref.get(qn("r:id"))]
            if part.partname not in seen:
                seen.add(part.partname)
                parts.append(part)
    return parts


def notes(document, kind, lines):
    for rel in document.part.rels.values():
        if rel.is_external or not rel.reltype.endswith("/%ss" % kind):
            continue
        for note in part_element(rel.target_part).findall(qn("w:%s" % kind)):
            if note.get(qn("w:type")) in ("separator", "continuationSeparator",
                                          "continuationNotice"):
                continue
            body = []
            blocks(note, body)
            lines.extend("%s: %s" % (kind, t) for t in body)


def document_lines(path):
    document = Package.open(path).main_document_part.document
    lines = []
    for part in header_footer_parts(document, "header"):
        body = []
        blocks(part_element(part), body)
        lines.extend("header: " + t for t in body)
    blocks(document.element.body, lines)
    for part in header_footer_parts(document, "footer"):
        body = []
        blocks(part_element(part), body)
        lines.extend("footer: " + t for t in body)
    notes(document, "footnote", lines)
    notes(document, "endnote", lines)
    props = document.core_properties
    if props.title:
        lines.append("title: " + props.title)
    if props.subject:
        lines.append("subject: " + props.subject)
    return lines


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: docx_text.py FILE.docx\n")
        return 2
    try:
        lines = document_lines(argv[1])
    except Exception as e:  # a broken document is a test failure, said plainly
        sys.stderr.write("docx_text.py: %s: cannot read: %s\n" % (argv[1], e))
        return 1
    out = sys.stdout
    out.reconfigure(encoding="utf-8")
    for line in lines:
        out.write(line.replace("\n", "\\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
