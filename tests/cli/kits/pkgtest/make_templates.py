#!/usr/bin/env python3
"""tests/cli/kits/pkgtest/make_templates.py: writes letter.docx and
letter.odt, the templates of the package tests' kit, as the smallest
packages Word and LibreOffice open: a few paragraphs of tags, no styles.
Written by hand (no rendering, no office suite), with fixed timestamps, so
running it again gives the same bytes. Run it from anywhere:

    python3 tests/cli/kits/pkgtest/make_templates.py
"""
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
STAMP = (1980, 1, 1, 0, 0, 0)

# One paragraph per line; the annex list repeats its middle paragraph.
PARAGRAPHS = [
    "Letter for {{client.name}}, case {{id}}",
    "{{#annexes}}",
    "{{number}}: {{title}} ({{filename}})",
    "{{/annexes}}",
    '{{#with_citation}}Authority: {{cite "PKG-UNVERIFIED"}}{{/with_citation}}',
]


def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, data, method in entries:
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            z.writestr(info, data)


def docx():
    body = "".join(
        '<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % xml_text(p)
        for p in PARAGRAPHS
    )
    write(
        os.path.join(HERE, "letter.docx"),
        [
            (
                "[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                "</Types>",
                zipfile.ZIP_DEFLATED,
            ),
            (
                "_rels/.rels",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                "</Relationships>",
                zipfile.ZIP_DEFLATED,
            ),
            (
                "word/document.xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body>%s<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr>'
                "</w:body></w:document>" % body,
                zipfile.ZIP_DEFLATED,
            ),
        ],
    )


def odt():
    body = "".join("<text:p>%s</text:p>" % xml_text(p) for p in PARAGRAPHS)
    mime = "application/vnd.oasis.opendocument.text"
    write(
        os.path.join(HERE, "letter.odt"),
        [
            ("mimetype", mime, zipfile.ZIP_STORED),
            (
                "META-INF/manifest.xml",
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>' % mime,
                zipfile.ZIP_DEFLATED,
            ),
            (
                "content.xml",
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                'office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                'office:version="1.2"><office:body><office:text>%s</office:text></office:body>'
                "</office:document-content>" % body,
                zipfile.ZIP_DEFLATED,
            ),
        ],
    )


if __name__ == "__main__":
    docx()
    odt()
