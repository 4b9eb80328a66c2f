#!/usr/bin/python3
"""tests/office/odt_text.py: prints the text a reader sees in an ODT (or
.ott, or the flat .fodt), read with Debian's python3-odf, so tests can compare
casepack's output with expected text independently of casepack's parser.

    odt_text.py FILE.odt

Output, one line per item, in this order (the same shape as docx_text.py):
    header: TEXT        each paragraph of each master page's headers
    TEXT                each body paragraph or heading (list items included)
    A | B | C           each table row, cells joined by " | " (the paragraphs
                        of one cell joined by " / ")
    textbox: TEXT       each paragraph of a frame's text box, after its anchor
    footer: TEXT        each paragraph of each master page's footers
    footnote: TEXT      each paragraph of each footnote, in body order
    endnote: TEXT       the same for endnotes
    title: TEXT         document metadata, when not empty
    subject: TEXT
Inside a line, a tab is printed as a tab and a line break as "\\n" (the two
characters). Tracked deletions, annotations and the note citation numbers
are not printed.
"""
import contextlib
import io
import os
import sys
import zipfile

try:
    from odf import teletype
    from odf.element import Element
    from odf.namespaces import DCNS, DRAWNS, OFFICENS, STYLENS, TABLENS, TEXTNS
    from odf.opendocument import load
except ImportError:
    # python3 on PATH may be a private interpreter without Debian's modules.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

P, H = (TEXTNS, "p"), (TEXTNS, "h")
NOTE = (TEXTNS, "note")
FRAME = (DRAWNS, "frame")
# Elements inside a paragraph that a reader does not see as running text.
HIDDEN = {(OFFICENS, "annotation"), (TEXTNS, "note-citation"), (TEXTNS, "tracked-changes"),
          (TEXTNS, "bookmark-start"), (TEXTNS, "bookmark-end")}
CONTAINERS = {(TEXTNS, "list"), (TEXTNS, "list-item"), (TEXTNS, "list-header"),
              (TEXTNS, "section"), (TEXTNS, "index-body"), (TEXTNS, "index-title"),
              (TEXTNS, "soft-page-break")}
ROW_GROUPS = {(TABLENS, "table-header-rows"), (TABLENS, "table-rows"),
              (TABLENS, "table-row-group")}


def elements(node):
    return [c for c in node.childNodes if isinstance(c, Element)]


def has_special(node):
    for c in elements(node):
        if c.qname in (NOTE, FRAME) or c.qname in HIDDEN or has_special(c):
            return True
    return False


class Reader:
    def __init__(self):
        self.footnotes = []
        self.endnotes = []

    def para_text(self, p, boxes):
        """Text of paragraph p; text boxes go to boxes, notes to the note lists."""
        if not has_special(p):
            return teletype.extractText(p).replace("\n", "\\n")
        out = []

        def walk(node):
            for c in node.childNodes:
                if not isinstance(c, Element):
                    if c.nodeType == c.TEXT_NODE:
                        out.append(c.data)
                    continue
                q = c.qname
                if q in HIDDEN:
                    continue
                if q == NOTE:
                    dest = self.endnotes if c.getAttribute("noteclass") == "endnote" else self.footnotes
                    for body in elements(c):
                        if body.qname == (TEXTNS, "note-body"):
                            self.blocks(body, dest)
                elif q == FRAME:
                    for box in elements(c):
                        if box.qname == (DRAWNS, "text-box"):
                            self.blocks(box, boxes)
                elif q == (TEXTNS, "s"):
                    out.append(" " * int(c.getAttribute("c") or 1))
                elif q == (TEXTNS, "tab"):
                    out.append("\t")
                elif q == (TEXTNS, "line-break"):
                    out.append("\\n")
                else:
                    walk(c)

        walk(p)
        return "".join(out)

    def cell_text(self, cell):
        lines = []
        self.blocks(cell, lines)
        return " / ".join(lines)

    def rows(self, node, lines):
        for c in elements(node):
            if c.qname == (TABLENS, "table-row"):
                cells = [x for x in elements(c) if x.qname == (TABLENS, "table-cell")]
                lines.append(" | ".join(self.cell_text(x) for x in cells))
            elif c.qname in ROW_GROUPS:
                self.rows(c, lines)

    def blocks(self, container, lines):
        """Appends one line per paragraph or table row found in container."""
        for c in elements(container):
            if c.qname in (P, H):
                boxes = []
                lines.append(self.para_text(c, boxes))
                lines.extend("textbox: " + b for b in boxes)
            elif c.qname == (TABLENS, "table"):
                self.rows(c, lines)
            elif c.qname in CONTAINERS:
                self.blocks(c, lines)


def master_parts(doc, kinds):
    parts = []
    for page in elements(doc.masterstyles):
        if page.qname != (STYLENS, "master-page"):
            continue
        for c in elements(page):
            if c.qname in kinds and c.getAttribute("display") != "false":
                parts.append(c)
    return parts


MANIFEST = b'''<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
'''


def open_document(path):
    """Loads a packaged or a flat ODT; a part that is not well-formed is an error."""
    source = path
    if not zipfile.is_zipfile(path):
        # odfpy reads only packages; a flat document holds every part in one
        # XML file, which its loader accepts in place of content.xml.
        with open(path, "rb") as f:
            flat = f.read()
        source = io.BytesIO()
        with zipfile.ZipFile(source, "w") as z:
            z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            z.writestr("META-INF/manifest.xml", MANIFEST)
            z.writestr("content.xml", flat)
        source.seek(0)
    said = io.StringIO()
    # odfpy prints a part it cannot parse and carries on with what it has.
    with contextlib.redirect_stdout(said):
        doc = load(source)
    if "SAX FAILED TO PARSE" in said.getvalue():
        raise ValueError("a part is not well-formed XML")
    return doc


def document_lines(path):
    doc = open_document(path)
    r = Reader()
    lines = []
    headers = {(STYLENS, k) for k in ("header", "header-left", "header-first")}
    footers = {(STYLENS, k) for k in ("footer", "footer-left", "footer-first")}
    for part in master_parts(doc, headers):
        body = []
        r.blocks(part, body)
        lines.extend("header: " + t for t in body)
    for text in elements(doc.body):
        # doc.text can be a whitespace node when the body is indented.
        if text.qname == (OFFICENS, "text"):
            r.blocks(text, lines)
    for part in master_parts(doc, footers):
        body = []
        r.blocks(part, body)
        lines.extend("footer: " + t for t in body)
    lines.extend("footnote: " + t for t in r.footnotes)
    lines.extend("endnote: " + t for t in r.endnotes)
    for name in ("title", "subject"):
        for el in elements(doc.meta):
            if el.qname == (DCNS, name):
                text = teletype.extractText(el)
                if text:
                    lines.append("%s: %s" % (name, text))
    return lines


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: odt_text.py FILE.odt\n")
        return 2
    try:
        lines = document_lines(argv[1])
    except Exception as e:  # a broken document is a test failure, said plainly
        sys.stderr.write("odt_text.py: %s: cannot read: %s\n" % (argv[1], e))
        return 1
    out = sys.stdout
    out.reconfigure(encoding="utf-8")
    for line in lines:
        out.write(line.replace("\n", "\\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
