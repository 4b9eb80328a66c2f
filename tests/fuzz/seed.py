#!/usr/bin/env python3
"""Rebuilds the seed corpora in tests/fuzz/corpus/<target>/ from the
project's own fixtures, plus a few hand-written inputs per target that reach
what the fixtures do not (set-delimiter tags, partials, anchors, patterns).

    tests/fuzz/seed.py          (from the source tree's root)

Seeds are named after where they came from, so a rebuild gives the same
files. The fuzzers add what they find to build/fuzz/corpus/, never here.
Standard library only.
"""
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
FIX = ROOT / "fixtures"

# fuzz_tpl reads its first byte as options: a space is "{{ }}", no indent.
TEMPLATES = {
    "sections": "{{#items}}- {{name}} ({{@number}}/{{items | count}}){{^@last}},{{/@last}}\n"
                "{{/items}}{{^items}}none{{/items}}\n",
    "standalone": "Begin\n  {{#flag}}\n  yes\n  {{/flag}}\n  {{> part}}\n{{! a comment\n}}\nEnd\n",
    "delimiters": "{{=<% %>=}}<% name %> <%={{ }}=%>{{{name}}} {{&name}}\n",
    "filters": "{{date | date \"d MMMM y\"}} {{name | upper | lower | capitalize}} "
               "{{missing | default \"none\"}} {{list | join \", \" \" and \"}}\n"
               "{{#gender | eq \"female\"}}she{{/gender}}{{#gender | ne “female”}}he{{/gender}}\n",
    "dotted": "{{case.id}} {{map.b.c}} {{#map}}{{a}}{{b.c}}{{/map}} {{.}} {{#list}}{{.}}{{/list}}\n",
    "errors": "{{#open}}{{/close}}{{x | nofilter}}{{y | join \"a\" \"b\" \"c\"}}{{unclosed\n",
    "cite": "{{cite \"refugee-convention\"}} {{cite case.law \"para 3\"}}\n"
            "{{#authorities}}{{short_form}}{{/authorities}}\n",
}

DATA = {
    "case.yaml": "name: Olena\nlist: [a, b]\nitems:\n  - {name: x}\n  - {name: y}\n"
                 "map: {a: 1, b: {c: deep}}\ndate: 2027-01-17\nlocale: uk\n",
    "anchors.yaml": "base: &b {x: 1, y: [1, 2]}\ncopy: *b\nmerged: {<<: *b, z: 3}\n"
                    "list: &l [*b, *b]\nmore: [*l, *l]\n",
    "scalars.yaml": "a: true\nb: off\nc: ~\nd: 0x1F\ne: 1.50\nf: \"\\u00e9\\x41\\t\"\n"
                    "g: 'single ''quoted'''\nh: |\n  literal\n  block\ni: >-\n  folded\n  text\n"
                    "j: !!str 12\nk: !custom x\n",
    "doc.json": '{"a": [1, 2.5e3, "x\\u0041\\n"], "b": {"c": null, "d": false}, "e": ""}\n',
    "multi.yaml": "---\na: 1\n...\n---\nb: 2\n",
    "bad.yaml": "a: 1\nb: [1, 2\nc: {d\n\t- tab\n? complex\n: key\na: dup\n",
}

SCHEMAS = {
    "object.yaml": "type: object\nrequired: [name, date]\nadditionalProperties: false\n"
                   "properties:\n  name: {type: string, minLength: 2, maxLength: 80,\n"
                   "         description: the applicant's full name, examples: [Olena Petrenko]}\n"
                   "  date: {type: string, format: date}\n"
                   "  gender: {enum: [female, male, other]}\n"
                   "  list:\n    type: array\n    minItems: 1\n    maxItems: 3\n"
                   "    items: {type: string, pattern: '^[a-z]+$'}\n",
    "nested.yaml": "type: object\nproperties:\n  case:\n    type: object\n    required: [id]\n"
                   "    properties:\n      id: {type: string, pattern: '^[A-Z]{2}-\\d{4}-\\d+$'}\n"
                   "  items:\n    type: array\n    items:\n      type: object\n"
                   "      properties: {name: {type: [string, 'null']}, n: {type: number}}\n"
                   "  flag: {type: boolean}\n  map: {type: object, additionalProperties: true}\n",
    "bad.yaml": "type: objct\nrequird: [a]\nproperties:\n  a: {pattern: '([a-z', format: email,\n"
                "      minLength: -1, minItems: 3, maxItems: 2}\n  b: [1]\n  c: {enum: x}\n",
    "unicode.yaml": "type: string\npattern: '^\\p{Lu}\\p{Ll}+(?:[ -]\\p{L}+)*$'\nminLength: 1\n",
}

# The start of a docx/odt part document, for hand-written parts.
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCX_PARTS = {
    "table-row.xml": f'<w:document {W}><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:t>{{{{#items}}}}'
                     f'{{{{name}}}}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{{{{/items}}}}</w:t>'
                     f'</w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t xml:space="preserve">'
                     f'{{{{text}}}} </w:t></w:r><w:r><w:tab/><w:t>{{{{=<% %>=}}}}<% name %></w:t>'
                     f'</w:r></w:p></w:body></w:document>',
    "split.xml": f'<w:document {W}><w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>{{{{#li</w:t></w:r>'
                 f'<w:bookmarkStart w:id="1" w:name="b"/><w:r><w:t>st}}}}{{{{.}}}}</w:t></w:r>'
                 f'<w:bookmarkEnd w:id="1"/><w:del><w:r><w:delText>{{{{x}}}}</w:delText></w:r></w:del>'
                 f'</w:p><w:p><w:r><w:t>{{{{/list}}}}</w:t></w:r></w:p></w:body></w:document>',
}
T = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
     'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
     'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')
ODT_PARTS = {
    "list.xml": f'<office:document-content {T}><office:body><office:text><text:list><text:list-item>'
                f'<text:p>{{{{#items}}}}<text:span>{{{{na</text:span>me}}}}<text:s text:c="3"/>'
                f'{{{{/items}}}}</text:p></text:list-item></text:list><table:table><table:table-row>'
                f'<table:table-cell><text:p>{{{{#list}}}}{{{{.}}}}<text:tab/>{{{{/list}}}}</text:p>'
                f'</table:table-cell></table:table-row></table:table><text:p>{{{{text}}}}</text:p>'
                f'</office:text></office:body></office:document-content>',
}

CSV = {
    "plain.csv": "name,email,city\nOlena,olena@example.org,Kyiv\nBo,bo@example.org,Oslo\n",
    "quoted.csv": 'name,"note, with comma","multi\nline"\n"A ""quoted"" name","x",y\n,,\n',
    "crlf-bom.csv": "\ufeffa;b;c\r\n1;2;3\r\n4;5\r\n",
    "dotted.csv": "case.id,applicant.name,items.0,items.1\nUA-1,Olena,a,b\n",
}


def package(files, tamper=None):
    """A package as casepack writes it: files under a case folder and a
    manifest listing each with its size and SHA-256."""
    import hashlib, io, json
    listed = [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
              for p, d in files]
    manifest = {"manifest": "casepack package manifest 1",
                "tool": {"name": "casepack", "version": "0.1.0"},
                "generated": "2027-01-17T00:00:00Z", "reproducible": True, "notes": [],
                "case": {"id": "seed-case", "file": "case.yaml", "sha256": "0" * 64},
                "format": "docx", "encrypted": False, "files": listed, "warnings": []}
    if tamper:
        tamper(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files:
            z.writestr(zipfile.ZipInfo(p, date_time=(2027, 1, 17, 0, 0, 0)), d)
        z.writestr(zipfile.ZipInfo("seed-case/manifest.json", date_time=(2027, 1, 17, 0, 0, 0)),
                   json.dumps(manifest, indent=2))
    return out.getvalue()


def packages():
    letter = (FIX / "minimal.docx").read_bytes()
    files = [("seed-case/01-letter.docx", letter),
             ("seed-case/annexes/A01-decision.txt", b"The decision of 18 December 2026.\n")]
    return {
        "good.zip": package(files),
        "bad-hash.zip": package(files, lambda m: m["files"][0].update(sha256="1" * 64)),
        "missing-file.zip": package(files, lambda m: m["files"].append(
            {"path": "seed-case/gone.pdf", "size": 3, "sha256": "2" * 64})),
        "wrong-format.zip": package(files, lambda m: m.update(manifest="something else")),
    }


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for name, text in TEMPLATES.items():
        put("fuzz_tpl", name, " " + text)
        put("fuzz_render", name, text + "\0" + DATA["case.yaml"])
    letter = (ROOT / "examples" / "petition-text" / "letter.txt").read_text()
    case = (ROOT / "examples" / "petition-text" / "case.yaml").read_text()
    put("fuzz_tpl", "petition-letter", " " + letter)
    put("fuzz_render", "petition-letter", letter + "\0" + case)
    put("fuzz_render", "fixed-data", TEMPLATES["filters"])

    for name, text in DATA.items():
        put("fuzz_yaml", name, text)
    for f in sorted(FIX.glob("*.yaml")) + [FIX / "bad" / "data.yaml",
                                          ROOT / "examples" / "petition-text" / "case.yaml"]:
        put("fuzz_yaml", f.parent.name + "-" + f.name, f.read_bytes())
    put("fuzz_yaml", "citations-us.yaml", (ROOT / "templates" / "citations" / "us.yaml").read_bytes())

    for name, text in SCHEMAS.items():
        put("fuzz_schema", name, text)
    for f in sorted(ROOT.glob("templates/*/schema.yaml")):
        put("fuzz_schema", f.parent.name + ".yaml", f.read_bytes())

    for name, text in CSV.items():
        put("fuzz_csv", name, text)
    for f in sorted(ROOT.glob("examples/*/records.csv")):
        put("fuzz_csv", f.parent.name + ".csv", f.read_bytes())
    for f in sorted(ROOT.glob("templates/*/kit.yaml")):
        put("fuzz_yaml", "kit-" + f.parent.name + ".yaml", f.read_bytes())
    # The shipped kits' DOCX templates (their ODT twins are larger and add
    # little the fixtures do not): whole files for the zip reader, and the
    # main part for the DOCX adapter.
    for f in sorted(ROOT.glob("templates/*/*.docx")):
        put("fuzz_zip", "kit-" + f.parent.name + "-" + f.name, f.read_bytes())
        with zipfile.ZipFile(f) as z:
            put("fuzz_docx_part", "kit-" + f.parent.name + "-document.xml", z.read("word/document.xml"))

    for name, text in DOCX_PARTS.items():
        put("fuzz_docx_part", name, text)
    for name, text in ODT_PARTS.items():
        put("fuzz_odt_part", name, text)
    for f in sorted(FIX.glob("*.docx")) + sorted((FIX / "bad").glob("*.docx")):
        with zipfile.ZipFile(f) as z:
            for part in z.namelist():
                if part.startswith("word/") and part.endswith(".xml") and not part.endswith(
                        ("styles.xml", "fontTable.xml", "numbering.xml", "settings.xml")) \
                        or part == "docProps/core.xml":
                    put("fuzz_docx_part", f.stem + "-" + part.replace("/", "-"), z.read(part))
    for f in sorted(FIX.glob("*.odt")):
        with zipfile.ZipFile(f) as z:
            for part in ("content.xml", "styles.xml", "meta.xml"):
                put("fuzz_odt_part", f.stem + "-" + part, z.read(part))
    for f in sorted((FIX / "src").glob("*.fodt")):
        put("fuzz_odt_part", f.name, f.read_bytes())

    for f in sorted(FIX.glob("*.docx")) + sorted(FIX.glob("*.odt")) + \
            sorted((FIX / "bad").glob("*.*")):
        if f.suffix in (".docx", ".odt"):
            put("fuzz_zip", f.parent.name + "-" + f.name, f.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "tests" / "fixtures-gen" / "make_hostile_zips.py"),
                        tmp], check=True)
        for f in sorted(Path(tmp).iterdir()):
            if f.stat().st_size < 64 * 1024:
                put("fuzz_zip", "hostile-" + f.name, f.read_bytes())

    for name, data in packages().items():
        put("fuzz_verify", name, data)

    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    print(f"{sum(1 for f in CORPUS.rglob('*') if f.is_file())} seeds, {total} bytes in {CORPUS}")


if __name__ == "__main__":
    main()
