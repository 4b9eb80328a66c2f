#!/usr/bin/env python3
"""tests/fixtures-gen/make_word_fixtures.py: writes the hand-made DOCX and ODT
fixtures that reproduce what Word does to typed text, and the bad-input
documents, as raw XML (LibreOffice never writes these shapes, so they cannot
come from convert.sh). The outputs are committed; run this after editing it.

    make_word_fixtures.py [OUTDIR]      (default: fixtures/ of this tree)

Writes:
  word-fragmented.docx   tags split the way Word splits them: over five runs
                         with w:proofErr and a bookmark between and a different
                         rsid per run; curly quotes in a filter argument; inside
                         a hyperlink, a run-level and a block-level content
                         control, a text box (wps, with Word's VML fallback
                         copy), tracked changes (w:del ignored, w:ins found);
                         a field instruction holding {{not_a_tag}} (ignored);
                         a header part named word/header.xml (no number); a
                         tag in docProps/core.xml's dc:title.
  word-image-repeat.docx a paragraph section repeating a paragraph that holds
                         an inline picture (wp:docPr id 5) and a bookmark:
                         repeated ids must be made unique.
  bad/dtd.docx           word/document.xml with a DOCTYPE and an external
                         entity reading /etc/passwd
  bad/no-document.docx   no word/document.xml (the relationships still name it)
  bad/unbalanced.docx    {{#items}} alone in its paragraph, {{/items}} inside
                         another paragraph's text: a section with no reach
  bad/split-para.docx    a tag opening in one paragraph and closing in the next
  bad/malformed.odt      content.xml is not well-formed XML

Zips are written deterministically (fixed dates, fixed order), so running
this twice gives the same bytes. Standard library only.
"""
import struct
import sys
import zipfile
import zlib
from pathlib import Path

STAMP = (2024, 3, 14, 9, 30, 0)

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "wp14": "http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "w10": "urn:schemas-microsoft-com:office:word",
}
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def xmlns():
    return " ".join('xmlns:%s="%s"' % kv for kv in NS.items()) + ' mc:Ignorable="w14 wp14"'


def write_zip(path, entries, stored=()):
    """entries: (name, bytes or str) in the order Word writes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    print(path)


# ---------------------------------------------------------------- package parts

def content_types(overrides, png=False):
    parts = [DECL, '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
             '<Default Extension="xml" ContentType="application/xml"/>']
    if png:
        parts.append('<Default Extension="png" ContentType="image/png"/>')
    for name, ct in overrides:
        parts.append('<Override PartName="/%s" ContentType="%s"/>' % (name, ct))
    parts.append("</Types>")
    return "".join(parts)


CT_DOC = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
CT_SETTINGS = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
CT_HEADER = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"

BASE_OVERRIDES = [("word/document.xml", CT_DOC), ("word/styles.xml", CT_STYLES),
                  ("word/settings.xml", CT_SETTINGS), ("docProps/core.xml", CT_CORE),
                  ("docProps/app.xml", CT_APP)]


def package_rels():
    return (DECL + '<Relationships xmlns="%s">' % PKG_REL
            + '<Relationship Id="rId3" Type="%s/extended-properties" Target="docProps/app.xml"/>' % REL
            + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
              'metadata/core-properties" Target="docProps/core.xml"/>'
            + '<Relationship Id="rId1" Type="%s/officeDocument" Target="word/document.xml"/>' % REL
            + "</Relationships>")


def document_rels(extra=()):
    rels = [("rId1", "styles", "styles.xml", False), ("rId2", "settings", "settings.xml", False)]
    rels.extend(extra)
    out = [DECL, '<Relationships xmlns="%s">' % PKG_REL]
    for rid, kind, target, external in rels:
        out.append('<Relationship Id="%s" Type="%s/%s" Target="%s"%s/>'
                   % (rid, REL, kind, target, ' TargetMode="External"' if external else ""))
    out.append("</Relationships>")
    return "".join(out)


def core_xml(title, creator="Olena Hrytsenko"):
    return (DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
            'terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance">'
            "<dc:title>%s</dc:title><dc:subject></dc:subject><dc:creator>%s</dc:creator>"
            "<cp:keywords></cp:keywords><dc:description></dc:description>"
            "<cp:lastModifiedBy>%s</cp:lastModifiedBy><cp:revision>7</cp:revision>"
            '<dcterms:created xsi:type="dcterms:W3CDTF">2024-02-26T08:41:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-03-14T09:30:00Z</dcterms:modified>'
            "</cp:coreProperties>" % (title, creator, creator))


def app_xml():
    return (DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Template>Normal.dotm</Template><TotalTime>41</TotalTime><Pages>1</Pages>"
            "<Application>Microsoft Office Word</Application><DocSecurity>0</DocSecurity>"
            "<AppVersion>16.0000</AppVersion></Properties>")


def styles_xml():
    w = NS["w"]
    return (DECL + '<w:styles xmlns:w="%s">' % w
            + "<w:docDefaults><w:rPrDefault><w:rPr>"
              '<w:rFonts w:ascii="Liberation Serif" w:hAnsi="Liberation Serif" w:cs="Liberation Serif" '
              'w:eastAsia="Liberation Serif"/>'
              '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-GB" w:eastAsia="en-US" w:bidi="ar-SA"/>'
              "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
              '<w:spacing w:after="160" w:line="259" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
            + '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
              "<w:qFormat/></w:style>"
            + '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
              '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>'
              '<w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr>'
              '<w:rPr><w:b/><w:sz w:val="28"/></w:rPr></w:style>'
            + '<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/>'
              '<w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="0"/><w:jc w:val="right"/></w:pPr>'
              '<w:rPr><w:sz w:val="18"/></w:rPr></w:style>'
            + '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
              '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>'
            + '<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
              '<w:basedOn w:val="DefaultParagraphFont"/><w:rPr><w:color w:val="0563C1"/>'
              '<w:u w:val="single"/></w:rPr></w:style>'
            + '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
              '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
              '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
              '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
            + "</w:styles>")


def settings_xml(rsids, final_view=False):
    w = NS["w"]
    # Shows tracked changes as accepted ("No Markup"), as a lawyer prints a
    # clean copy: deleted text then stays out of the PDF as well.
    view = '<w:revisionView w:markup="0" w:insDel="0"/>' if final_view else ""
    return (DECL + '<w:settings xmlns:w="%s">' % w
            + '<w:zoom w:percent="100"/><w:proofState w:spelling="dirty" w:grammar="clean"/>' + view
            + '<w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/>'
              '<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/'
              'office/word" w:val="15"/></w:compat>'
            + '<w:rsids><w:rsidRoot w:val="%s"/>' % rsids[0]
            + "".join('<w:rsid w:val="%s"/>' % r for r in sorted(set(rsids)))
            + "</w:rsids>"
            + '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/></w:settings>')


SECT_PR = ('<w:sectPr w:rsidR="00A21C4F">%s<w:pgSz w:w="11906" w:h="16838"/>'
           '<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1418" w:header="709" '
           'w:footer="709" w:gutter="0"/><w:cols w:space="708"/><w:docGrid w:linePitch="360"/></w:sectPr>')


def document_xml(body, sect_extra=""):
    return (DECL + "<w:document %s><w:body>%s%s</w:body></w:document>"
            % (xmlns(), body, SECT_PR % sect_extra))


def para(runs, rsid="00A21C4F", style=None):
    ppr = '<w:pPr><w:pStyle w:val="%s"/></w:pPr>' % style if style else ""
    return ('<w:p w:rsidR="%s" w:rsidRDefault="%s" w:rsidP="%s">%s%s</w:p>'
            % (rsid, rsid, rsid, ppr, runs))


def run(text, rsid=None, rpr=""):
    attr = ' w:rsidR="%s"' % rsid if rsid else ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    rpr = "<w:rPr>%s</w:rPr>" % rpr if rpr else ""
    return "<w:r%s>%s<w:t%s>%s</w:t></w:r>" % (attr, rpr, space, text)


def simple_docx(path, paragraphs, title="Test"):
    """A small valid DOCX whose body is the given paragraph XML."""
    write_zip(path, [
        ("[Content_Types].xml", content_types(BASE_OVERRIDES)),
        ("_rels/.rels", package_rels()),
        ("word/document.xml", document_xml("".join(paragraphs))),
        ("word/_rels/document.xml.rels", document_rels()),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", settings_xml(["00A21C4F"])),
        ("docProps/core.xml", core_xml(title)),
        ("docProps/app.xml", app_xml()),
    ])


# ---------------------------------------------------------------- word-fragmented

TEXT_BOX = """<w:r w:rsidR="00C45D12"><w:rPr><w:noProof/></w:rPr><mc:AlternateContent><mc:Choice Requires="wps">\
<w:drawing><wp:anchor distT="45720" distB="45720" distL="114300" distR="114300" simplePos="0" \
relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1" \
wp14:anchorId="3C1D2A77" wp14:editId="5B6E0F12"><wp:simplePos x="0" y="0"/>\
<wp:positionH relativeFrom="margin"><wp:align>right</wp:align></wp:positionH>\
<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>\
<wp:extent cx="2340000" cy="504000"/><wp:effectExtent l="0" t="0" r="0" b="0"/>\
<wp:wrapSquare wrapText="bothSides"/><wp:docPr id="1" name="Text Box 1"/><wp:cNvGraphicFramePr/>\
<a:graphic xmlns:a="{a}"><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">\
<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2340000" cy="504000"/></a:xfrm>\
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>\
<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill><a:miter lim="800000"/></a:ln></wps:spPr>\
<wps:txbx><w:txbxContent>{box}</w:txbxContent></wps:txbx>\
<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720" anchor="t" \
anchorCtr="0"><a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>\
</mc:Choice><mc:Fallback><w:pict><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" \
path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/>\
</v:shapetype><v:shape id="Text Box 1" o:spid="_x0000_s1026" type="#_x0000_t202" style="position:absolute;\
margin-left:0;margin-top:0;width:184.25pt;height:39.7pt;z-index:251659264;visibility:visible;\
mso-wrap-style:square;mso-position-horizontal:right;mso-position-horizontal-relative:margin;\
mso-position-vertical-relative:text" strokeweight=".25pt"><v:textbox><w:txbxContent>{box}</w:txbxContent>\
</v:textbox><w10:wrap type="square" anchorx="margin"/></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"""


def word_fragmented(out):
    rs = ["00A21C4F", "00C45D12", "00E6A7B3", "00F1928C", "001B2C3D", "002C3D4E", "003D4E5F", "0047A0B1"]
    body = []
    body.append(para(run("Appeal against the refusal of refugee status"), style="Heading1"))
    # Five runs, each typed in a different session (rsid), with Word's spell
    # check marks and a bookmark it dropped on a later edit between them.
    body.append(para(
        run("The appellant, ", rs[0])
        + run("{{", rs[1])
        + '<w:proofErr w:type="spellStart"/>'
        + run("applic", rs[2])
        + '<w:bookmarkStart w:id="0" w:name="_Hlk161219032"/><w:bookmarkEnd w:id="0"/>'
        + run("ant.na", rs[3], '<w:lang w:val="en-US"/>')
        + run("m", rs[4], "<w:noProof/>")
        + '<w:proofErr w:type="spellEnd"/>'
        + run("e}}", rs[5])
        + run(", asks the court to set aside the decision refusing refugee status.", rs[0]),
        rs[0]))
    # Word's AutoFormat turns the straight quotes of a filter argument curly.
    body.append(para(
        run("The decision of ", rs[0])
        + run("{{decision.date | date ", rs[6])
        + run("\u201cd MMMM y\u201d", rs[7])
        + run("}}", rs[6])
        + run(" was served on the appellant\u2019s representative.", rs[0]),
        rs[0]))
    body.append(para(
        run("The decision is published at ", rs[0])
        + '<w:hyperlink r:id="rId10" w:history="1">'
        + run("{{decision.", rs[1], '<w:rStyle w:val="Hyperlink"/>')
        + run("url}}", rs[2], '<w:rStyle w:val="Hyperlink"/>')
        + "</w:hyperlink>"
        + run(".", rs[0]),
        rs[0]))
    body.append(para(
        run("Represented by ", rs[0])
        + '<w:sdt><w:sdtPr><w:alias w:val="Representative"/><w:tag w:val="representative"/>'
          '<w:id w:val="-1870977913"/></w:sdtPr><w:sdtContent>'
        + run("{{representative.name}}", rs[3])
        + "</w:sdtContent></w:sdt>"
        + run(", advocate.", rs[0]),
        rs[0]))
    body.append('<w:sdt><w:sdtPr><w:alias w:val="Case number"/><w:tag w:val="case"/><w:id w:val="1203456789"/>'
                "</w:sdtPr><w:sdtContent>"
                + para(run("Case no. ", rs[0]) + run("{{case.id}}", rs[4]), rs[4])
                + "</w:sdtContent></w:sdt>")
    box = para(run("Hearing: ", rs[0]) + run('{{hearing.date | date "d MMMM y"}}', rs[5]), rs[5])
    body.append(para(
        TEXT_BOX.format(a=A_NS, box=box)
        + run("The hearing is listed before the district administrative court.", rs[0]),
        rs[0]))
    # Tracked changes: the deleted tag is not text a reader sees; the inserted one is.
    body.append(para(
        run("Status of the appellant: ", rs[0])
        + '<w:del w:id="101" w:author="Olena Hrytsenko" w:date="2024-03-01T10:15:00Z">'
          '<w:r w:rsidDel="00F1928C"><w:delText>{{deleted}}</w:delText></w:r></w:del>'
        + '<w:ins w:id="102" w:author="Olena Hrytsenko" w:date="2024-03-01T10:15:00Z">'
        + run("{{status}}", rs[3])
        + "</w:ins>"
        + run(".", rs[0]),
        rs[0]))
    body.append(para(
        run("Page ", rs[0])
        + '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
          '<w:r><w:instrText xml:space="preserve"> PAGE {{not_a_tag}} </w:instrText></w:r>'
          '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + run("1", rs[0], "<w:noProof/>")
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        + run(" of the appeal.", rs[0]),
        rs[0]))
    body.append(para(
        '<w:r w:rsidR="0047A0B1"><w:lastRenderedPageBreak/><w:t xml:space="preserve">Signed: </w:t></w:r>'
        + run("{{applicant", rs[7], "<w:b/>")
        + run(".name | up", rs[6], "<w:b/><w:bCs/>")
        + run("per}}", rs[7], "<w:b/>"),
        rs[7]))

    header = (DECL + "<w:hdr %s>" % xmlns()
              + para(run("{{sender", rs[1]) + run(".org}}", rs[2]) + run(" \u00b7 ref. ", rs[0])
                     + run("{{case.id}}", rs[0]), rs[0], style="Header")
              + "</w:hdr>")
    rels = document_rels([
        ("rId8", "header", "header.xml", False),
        ("rId10", "hyperlink", "https://reyestr.court.gov.ua/", True),
    ])
    write_zip(out / "word-fragmented.docx", [
        ("[Content_Types].xml", content_types(BASE_OVERRIDES + [("word/header.xml", CT_HEADER)])),
        ("_rels/.rels", package_rels()),
        ("word/document.xml", document_xml(
            "".join(body), '<w:headerReference w:type="default" r:id="rId8"/>')),
        ("word/_rels/document.xml.rels", rels),
        ("word/header.xml", header),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", settings_xml(rs, final_view=True)),
        ("docProps/core.xml", core_xml("{{case.title}}")),
        ("docProps/app.xml", app_xml()),
    ])


# ---------------------------------------------------------------- word-image-repeat

def tiny_png():
    """A 4x3 RGB picture: enough for Word and LibreOffice to show something."""
    width, height = 4, 3
    rows = b"".join(b"\x00" + b"".join(bytes([200, 60 + 40 * x, 40 + 60 * y]) for x in range(width))
                    for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


INLINE_PICTURE = """<w:r><w:rPr><w:noProof/></w:rPr><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0" \
wp14:anchorId="1A2B3C4D" wp14:editId="5E6F7081"><wp:extent cx="1080000" cy="810000"/>\
<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="5" name="Picture 1" descr="Photograph"/>\
<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{a}" noChangeAspect="1"/></wp:cNvGraphicFramePr>\
<a:graphic xmlns:a="{a}"><a:graphicData uri="{pic}"><pic:pic xmlns:pic="{pic}">\
<pic:nvPicPr><pic:cNvPr id="0" name="Picture 1"/><pic:cNvPicPr/></pic:nvPicPr>\
<pic:blipFill><a:blip r:embed="rId9"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1080000" cy="810000"/></a:xfrm>\
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>\
</wp:inline></w:drawing></w:r>""".format(a=A_NS, pic=PIC_NS)


def word_image_repeat(out):
    body = [
        para(run("Annex 3: photographs of the injuries"), style="Heading1"),
        para(run("{{#photos}}")),
        para('<w:bookmarkStart w:id="0" w:name="Photo"/>' + INLINE_PICTURE
             + run(" Photo {{@number}}: {{caption}}") + '<w:bookmarkEnd w:id="0"/>'),
        para(run("{{/photos}}")),
        para(run("Photographs taken by {{photographer}}.")),
    ]
    write_zip(out / "word-image-repeat.docx", [
        ("[Content_Types].xml", content_types(BASE_OVERRIDES, png=True)),
        ("_rels/.rels", package_rels()),
        ("word/document.xml", document_xml("".join(body))),
        ("word/_rels/document.xml.rels", document_rels([("rId9", "image", "media/image1.png", False)])),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", settings_xml(["00A21C4F"])),
        ("word/media/image1.png", tiny_png()),
        ("docProps/core.xml", core_xml("Annex 3")),
        ("docProps/app.xml", app_xml()),
    ])


# ---------------------------------------------------------------- bad input

def bad_inputs(out):
    bad = out / "bad"
    dtd_doc = (DECL + '<!DOCTYPE w:document [\r\n  <!ENTITY x SYSTEM "file:///etc/passwd">\r\n]>\r\n'
               + "<w:document %s><w:body>" % xmlns()
               + para(run("Dear {{name}}, &x;"))
               + SECT_PR % "" + "</w:body></w:document>")
    write_zip(bad / "dtd.docx", [
        ("[Content_Types].xml", content_types(BASE_OVERRIDES)),
        ("_rels/.rels", package_rels()),
        ("word/document.xml", dtd_doc),
        ("word/_rels/document.xml.rels", document_rels()),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", settings_xml(["00A21C4F"])),
        ("docProps/core.xml", core_xml("Entity")),
        ("docProps/app.xml", app_xml()),
    ])
    write_zip(bad / "no-document.docx", [
        ("[Content_Types].xml", content_types(BASE_OVERRIDES)),
        ("_rels/.rels", package_rels()),
        ("word/_rels/document.xml.rels", document_rels()),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", settings_xml(["00A21C4F"])),
        ("docProps/core.xml", core_xml("No document")),
        ("docProps/app.xml", app_xml()),
    ])
    simple_docx(bad / "unbalanced.docx", [
        para(run("Annexes:")),
        para(run("{{#items}}")),
        para(run("{{@number}}. {{title}}")),
        para(run("That is all ") + run("{{/items}}", "00C45D12") + run(" we attach.")),
    ], "Unbalanced")
    simple_docx(bad / "split-para.docx", [
        para(run("Dear {{recipient.")),
        para(run("name}}, we write about the appeal.")),
    ], "Split")

    odt_ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
              'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"')
    write_zip(bad / "malformed.odt", [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("META-INF/manifest.xml",
         '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
         'opendocument:xmlns:manifest:1.0" manifest:version="1.3">\n'
         ' <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type='
         '"application/vnd.oasis.opendocument.text"/>\n'
         ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n'
         ' <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>\n'
         ' <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>\n'
         "</manifest:manifest>\n"),
        # The paragraph is closed by the wrong end tag: not well-formed.
        ("content.xml",
         '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content %s><office:body><office:text>'
         "<text:p>Hello {{name}}!</text:span></office:text></office:body></office:document-content>\n"
         % odt_ns),
        ("styles.xml",
         '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles %s/>\n' % odt_ns),
        ("meta.xml",
         '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta %s><office:meta/>'
         "</office:document-meta>\n" % odt_ns),
    ], stored={"mimetype"})


def main(argv):
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "fixtures"
    word_fragmented(out)
    word_image_repeat(out)
    bad_inputs(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
