# Every input limit (README, "Limits"): each one lowered with its flag on an
# input just past it, asserting its exact message and exit status, and the
# same input passing once the limit is raised. Nothing is written when a
# limit stops a run.
. "$(dirname "$0")/lib.sh"

# first_line: the first line of the last run's standard error (batch adds a
# summary line with timings after the errors).
first_line() { printf '%s\n' "$ERR" | head -n 1; }

# ---- data files: --max-data-size, --max-depth, --max-nodes -----------------

NAME=limits.data_size; fresh
printf 'Dear {{name}}\n' > t.txt
printf 'name: Olena Petrenko\n' > d.yaml
run render t.txt -d d.yaml --max-data-size 10 -o out.txt
only_files t.txt d.yaml || fail "left files behind"
expect 1 "" "casepack: error: d.yaml: the data file is larger than the limit of 10 bytes; if it is genuine, raise the limit with --max-data-size"
NAME=limits.data_size.raised
run render t.txt -d d.yaml --max-data-size 21 -o -
expect 0 "Dear Olena Petrenko" ""

NAME=limits.data_size_of_alias_copies; fresh
printf '{{b | count}}\n' > t.txt
printf 'a: &x "0123456789"\nb: [*x, *x, *x, *x]\n' > d.yaml
run render t.txt -d d.yaml --max-data-size 39 -o -
expect 1 "" "casepack: error: d.yaml:2:17: aliases copy more than 39 bytes of text; if it is genuine, raise the limit with --max-data-size"
NAME=limits.data_size_of_alias_copies.raised
run render t.txt -d d.yaml --max-data-size 40 -o -
expect 0 "4" ""

NAME=limits.data_depth; fresh
printf '{{a | count}}\n' > t.txt
printf 'a: [[[[1]]]]\n' > d.yaml
run render t.txt -d d.yaml --max-depth 3 -o -
expect 1 "" "casepack: error: d.yaml:1:6: the data nests lists and maps more than 3 levels deep; simplify it or raise the limit with --max-depth"
NAME=limits.data_depth.raised
run render t.txt -d d.yaml --max-depth 5 -o -
expect 0 "1" ""

NAME=limits.data_nodes; fresh
printf '{{a | count}}\n' > t.txt
printf 'a: [1, 2, 3, 4, 5]\n' > d.yaml
run render t.txt -d d.yaml --max-nodes 4 -o -
expect 1 "" "casepack: error: d.yaml:1:11: the data makes more than 4 values (every use of an alias counts again); if it is genuine, raise the limit with --max-nodes"
NAME=limits.data_nodes.raised
run render t.txt -d d.yaml --max-nodes 7 -o -
expect 0 "5" ""

# An alias bomb: each alias counts its whole copy against --max-nodes.
NAME=limits.data_nodes_alias_bomb; fresh
printf '{{b | count}}\n' > t.txt
{
    printf 'a: &a [x, x, x, x, x, x, x, x, x, x]\n'
    prev=a
    for n in b c d e f g h i; do
        printf '%s: &%s [' "$n" "$n"
        for k in 1 2 3 4 5 6 7 8 9; do printf '*%s, ' "$prev"; done
        printf '*%s]\n' "$prev"
        prev=$n
    done
} > d.yaml
run render t.txt -d d.yaml -o -
expect 1 "" "casepack: error: d.yaml:6:36: the data makes more than 1000000 values (every use of an alias counts again); if it is genuine, raise the limit with --max-nodes"

# ---- CSV records (batch): --max-data-size per row, --max-depth and
# --max-nodes for the header's column names --------------------------------

NAME=limits.csv_row_size; fresh
printf 'Dear {{name}} of {{city}}\n' > l.txt
printf 'name,city\nOlena Petrenko,Kyiv\n"Bo Andersen, who wrote a very long line",Oslo\n' > r.csv
run batch l.txt --records r.csv -o out --max-data-size 30
expect_status 1 && [ "$(first_line)" = "casepack: error: r.csv:3: this row is longer than the limit of 30 bytes (is a closing quote missing?); if it is genuine, raise the limit with --max-data-size" ] &&
    pass || fail "stderr: $ERR"

NAME=limits.csv_column_depth; fresh
printf '{{a.b.c.d}}\n' > l.txt
printf 'a.b.c.d,name\n1,x\n' > r.csv
run batch l.txt --records r.csv -o out --max-depth 2
expect_status 1 && [ "$(first_line)" = 'casepack: error: r.csv:1:1: the column name "a.b.c.d" nests deeper than the limit of 2 levels; raise it with --max-depth' ] &&
    pass || fail "stderr: $ERR"
NAME=limits.csv_column_depth.raised; rm -rf out
run batch l.txt --records r.csv -o out --max-depth 4
expect_status 0 && [ "$(cat out/00001.txt)" = 1 ] && pass || fail "out: $(ls out)"

NAME=limits.csv_columns; fresh
printf '{{e}}\n' > l.txt
printf 'a,b,c,d,e\n1,2,3,4,5\n' > r.csv
run batch l.txt --records r.csv -o out --max-nodes 3
expect_status 1 && [ "$(first_line)" = "casepack: error: r.csv:1: the header names 5 columns, more than the limit of 3 values; raise it with --max-nodes" ] &&
    pass || fail "stderr: $ERR"

# ---- template packages: --max-entries, --max-entry-size, --max-total-size

NAME=limits.zip_entries; fresh
cp "$FIX/minimal.docx" t.docx
printf 'name: Olena\n' > d.yaml
run render t.docx -d d.yaml --max-entries 3 -o out.docx
only_files t.docx d.yaml || fail "left files behind"
expect 1 "" "casepack: error: t.docx: the package holds 9 entries, over the limit of 3; if the template is genuine, raise the limit with --max-entries"
NAME=limits.zip_entries.raised
run render t.docx -d d.yaml --max-entries 9 -o out.docx
expect 0 "" ""

NAME=limits.zip_entry_size; fresh
cp "$FIX/minimal.docx" t.docx
run render t.docx --max-entry-size 2000 -o out.docx
expect 1 "" "casepack: error: t.docx:word/styles.xml: the entry declares 2281 bytes once uncompressed, over the limit of 2000 bytes; if the template is genuine, raise the limit with --max-entry-size"
NAME=limits.zip_entry_size.raised
run render t.docx --max-entry-size 2281 -o out.docx
expect 0 "" ""

NAME=limits.zip_total_size; fresh
cp "$FIX/minimal.docx" t.docx
run render t.docx --max-total-size 5000 -o out.docx
expect 1 "" "casepack: error: t.docx: the entries declare 8391 bytes in all once uncompressed, over the limit of 5000 bytes; if the template is genuine, raise the limit with --max-total-size"
NAME=limits.zip_total_size.raised
run render t.docx --max-total-size 8391 -o out.docx
expect 0 "" ""

# The template file itself is held to the same limit before it is read.
NAME=limits.template_file_size; fresh
cp "$FIX/minimal.docx" t.docx
run render t.docx --max-total-size 1000 -o out.docx
expect 1 "" "casepack: error: t.docx: the template is larger than the limit of 1000 bytes; raise it with --max-total-size"

# A zip bomb: the entry inflates past what its header declares.
NAME=limits.zip_bomb_lies_about_its_size; fresh
python3 - <<'EOF'
import struct, zlib
types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
         b'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="'
         b'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
         b'</Types>')
bomb = zlib.compress(b"\0" * (4 << 20))[2:-4]
# name, bytes as stored, method, declared size, crc
entries = [(b"[Content_Types].xml", types, 0, len(types), zlib.crc32(types)),
           (b"word/document.xml", bomb, 8, 1000, 0)]
body, cd = b"", b""
for name, data, method, size, crc in entries:
    cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc,
                      len(data), size, len(name), 0, 0, 0, 0, 0, len(body)) + name
    body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data),
                        size, len(name), 0) + name + data
end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), len(body), 0)
open("bomb.docx", "wb").write(body + cd + end)
EOF
run render bomb.docx -o out.docx
only_files bomb.docx || fail "left files behind"
expect 1 "" "casepack: error: bomb.docx:word/document.xml: the entry inflates to more than the 1000 bytes its header declares, so reading stopped (a zip bomb lies about sizes); the package is damaged or was built to attack the programs that open it; do not use it as a template"

# ---- document parts: --max-xml-depth -----------------------------------

NAME=limits.xml_depth; fresh
cp "$FIX/minimal.docx" t.docx
run render t.docx --max-xml-depth 5 -o out.docx
expect 1 "" "casepack: error: t.docx:word/document.xml: nests elements 6 deep, more than the limit of 5; raise it with --max-xml-depth if the document is genuine"
NAME=limits.xml_depth.raised
run render t.docx --max-xml-depth 6 -o out.docx
expect 0 "" ""

# Past 256 levels libxml2 stops on its own unless asked for more.
NAME=limits.xml_depth_past_libxml2s_own; fresh
python3 - "$FIX/minimal.docx" <<'EOF'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile("deep.docx", "w", zipfile.ZIP_DEFLATED) as out:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename == "word/document.xml":
            data = data.replace(b"<w:body>", b"<w:body>" + b"<w:sdt><w:sdtContent>" * 150, 1)
            data = data.replace(b"</w:body>", b"</w:sdtContent></w:sdt>" * 150 + b"</w:body>", 1)
        out.writestr(info, data)
EOF
run render deep.docx -o out.docx
expect 1 "" "casepack: error: deep.docx:word/document.xml: nests elements more than 256 deep, more than casepack allows; raise the limit with --max-xml-depth if the document is genuine"
NAME=limits.xml_depth_past_libxml2s_own.raised
run render deep.docx --max-xml-depth 1000 -o out.docx
expect 0 "" ""

# ---- partials: --max-partial-depth --------------------------------------

NAME=limits.partial_depth; fresh
mkdir parts
printf '{{> self}}\n' > t.txt
printf 'x{{> self}}' > parts/self.txt
run render t.txt --partials parts --max-partial-depth 3 -o out.txt
only_files t.txt parts || fail "left files behind"
expect 1 "" "casepack: error: parts/self.txt:1:2: {{> self}}: partials are nested more than 3 deep (does a partial include itself with no end?); if the template is right, raise the limit with --max-partial-depth"

NAME=limits.partial_depth.default; fresh
mkdir parts
printf '{{> self}}\n' > t.txt
printf 'x{{> self}}' > parts/self.txt
run render t.txt --partials parts -o -
expect 1 "" "casepack: error: parts/self.txt:1:2: {{> self}}: partials are nested more than 64 deep (does a partial include itself with no end?); if the template is right, raise the limit with --max-partial-depth"

NAME=limits.partial_depth.within; fresh
mkdir parts
printf '{{> a}}\n' > t.txt
printf '[{{> b}}]' > parts/a.txt
printf '(b)' > parts/b.txt
run render t.txt --partials parts --max-partial-depth 2 -o -
expect 0 "[(b)]" ""

# ---- sections: --max-section-depth --------------------------------------

# nested DEPTH BODY: DEPTH sections named a, one inside the other, around BODY.
nested() {
    local i
    for ((i = 0; i < $1; i++)); do printf '{{#a}}'; done
    printf '%s' "$2"
    for ((i = 0; i < $1; i++)); do printf '{{/a}}'; done
    printf '\n'
}
SECTION_ERR="sections are nested 101 deep here, more than the limit of 100; close some sections before opening others, or raise the limit with --max-section-depth"

NAME=limits.section_depth.default; fresh
nested 101 deep > t.txt
printf 'a: yes\n' > d.yaml
run render t.txt -d d.yaml -o out.txt
only_files t.txt d.yaml || fail "left files behind"
expect 1 "" "casepack: error: t.txt:1:601: {{#a}}: $SECTION_ERR"

NAME=limits.section_depth.raised; fresh
nested 101 deep > t.txt
printf 'a: yes\n' > d.yaml
run render t.txt -d d.yaml --max-section-depth 200 -o out.txt
expect_status 0 && [ "$(cat out.txt)" = deep ] && pass || fail "out.txt: $(cat out.txt 2>&1)"

NAME=limits.section_depth.lowered; fresh
nested 3 deep > t.txt
run render t.txt --max-section-depth=2 -o -
expect 1 "" "casepack: error: t.txt:1:13: {{#a}}: sections are nested 3 deep here, more than the limit of 2; close some sections before opening others, or raise the limit with --max-section-depth"

NAME=limits.section_depth.suffix; fresh
nested 1024 deep > t.txt
printf 'a: yes\n' > d.yaml
run render t.txt -d d.yaml --max-section-depth 1K -o -
expect 0 "deep" ""

# 9,999 sections and an inverted one: 10,000 deep, the most the flag takes.
NAME=limits.section_depth.deepest_renders; fresh
nested 9999 "{{^b}}deep{{/b}}" > t.txt
printf 'a: yes\n' > d.yaml
run render t.txt -d d.yaml --max-section-depth 10000 -o -
expect 0 "deep" ""

NAME=limits.section_depth.at_most; fresh
printf 'x\n' > t.txt
run render t.txt --max-section-depth 10001 -o -
expect 2 "" "casepack: error: --max-section-depth is at most 10000, not '10001'"
run render t.txt --max-section-depth=10K -o -
expect 2 "" "casepack: error: --max-section-depth is at most 10000, not '10K'"
run render t.txt --max-section-depth 0 -o -
expect 2 "" "casepack: error: --max-section-depth takes a positive number (K, M or G may follow), not '0'"

NAME=limits.section_depth.partials; fresh
mkdir parts
printf '{{> p}}\n' > t.txt
nested 3 deep > parts/p.txt
printf 'a: yes\n' > d.yaml
run render t.txt -d d.yaml --partials parts --max-section-depth 2 -o -
expect 1 "" "casepack: error: parts/p.txt:1:13: {{#a}}: sections are nested 3 deep here, more than the limit of 2; close some sections before opening others, or raise the limit with --max-section-depth"
run render t.txt -d d.yaml --partials parts --max-section-depth 3 -o -
expect 0 "deep" ""

NAME=limits.section_depth.document; fresh
cat > t.fodt <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:body>
  <office:text>
   <text:p>{{#a}}</text:p>
   <text:p>{{#a}}</text:p>
   <text:p>{{#a}}deep{{/a}}</text:p>
   <text:p>{{/a}}</text:p>
   <text:p>{{/a}}</text:p>
  </office:text>
 </office:body>
</office:document>
XML
printf 'a: yes\n' > d.yaml
run render t.fodt -d d.yaml --max-section-depth 2 -o out.fodt
only_files t.fodt d.yaml || fail "left files behind"
expect 1 "" "casepack: error: t.fodt:p3: {{#a}}: sections are nested 3 deep here, more than the limit of 2; close some sections before opening others, or raise the limit with --max-section-depth"
run render t.fodt -d d.yaml --max-section-depth 3 -o out.fodt
expect_status 0 && grep -q '<text:p>deep</text:p>' out.fodt && pass || fail "$(cat out.fodt 2>&1 | head -c 600)"

NAME=limits.section_depth.batch_name; fresh
printf '{{name}}\n' > t.txt
printf 'name\nA\n' > r.csv
run batch t.txt --records r.csv -o out --name '{{#name}}{{#name}}{{name}}{{/name}}{{/name}}' --max-section-depth 1
expect 1 "" "casepack: error: --name:1:10: {{#name}}: sections are nested 2 deep here, more than the limit of 1; close some sections before opening others, or raise the limit with --max-section-depth"
run batch t.txt --records r.csv -o out --name '{{#name}}{{#name}}{{name}}{{/name}}{{/name}}' --max-section-depth 2
expect_status 0 && [ "$(cat out/A.txt)" = A ] && pass || fail "$(ls out) $ERR"

NAME=limits.section_depth.kit_name; fresh
mkdir kits
cp -r "$CASEPACK_ROOT/tests/cli/kits/pkgtest" kits/
cp -r kits/pkgtest/case/. .
sed -i 's|name: "{{id}}-note"|name: "{{#id}}{{#id}}{{id}}{{/id}}{{/id}}-note"|' kits/pkgtest/kit.yaml
run package case.yaml --kits kits --max-section-depth 1
only_files annexes case.yaml kits || fail "left files behind"
expect 1 "" "casepack: error: kits/pkgtest/kit.yaml:1:8: {{#id}}: sections are nested 2 deep here, more than the limit of 1; close some sections before opening others, or raise the limit with --max-section-depth"
run package case.yaml --kits kits --max-section-depth 2
expect_status 0 && python3 -c 'import sys, zipfile; sys.exit(0 if "KOVAL-2027-01/02-KOVAL-2027-01-note.docx" in zipfile.ZipFile(sys.argv[1]).namelist() else 1)' KOVAL-2027-01.zip \
    && pass || fail "$OUT $ERR"

# ---- problems per run ----------------------------------------------------

# A bad value in every item of a long list asks for a message each: the
# first 200 are shown with their places, the rest counted in one line.
NAME=limits.problems_past_200_are_counted; fresh
printf '{{#items}}{{. | date "y"}}{{/items}}\n' > t.txt
python3 -c 'import json; print(json.dumps({"items": ["bad%d" % i for i in range(5000)]}))' > d.json
run render t.txt -d d.json -o out.txt
lines=$(printf '%s\n' "$ERR" | wc -l)
if [ "$STATUS" != 1 ]; then
    fail "exit status $STATUS, want 1"
elif [ "$lines" != 201 ]; then
    fail "$lines lines on stderr, want 201"
elif [ "$(printf '%s\n' "$ERR" | sed -n 200p)" != 'casepack: error: t.txt:1:11: {{. | date "y"}}: date: "bad199" is not a date (write it as YYYY-MM-DD, e.g. 2027-01-17)' ]; then
    fail "line 200: $(printf '%s\n' "$ERR" | sed -n 200p)"
elif [ "$(printf '%s\n' "$ERR" | tail -n 1)" != "casepack: error: 4800 more problems are not shown; fix these first" ]; then
    fail "last line: $(printf '%s\n' "$ERR" | tail -n 1)"
elif ! only_files t.txt d.json; then
    fail "left files behind"
else
    pass
fi

# ---- the flags themselves -------------------------------------------------

NAME=limits.flag_takes_suffixes; fresh
printf 'Dear {{name}}\n' > t.txt
printf 'name: Olena\n' > d.yaml
run render t.txt -d d.yaml --max-data-size=1K --max-depth 2 --max-nodes 1k -o -
expect 0 "Dear Olena" ""

NAME=limits.flag_refuses_zero; fresh
printf 'x\n' > t.txt
run render t.txt --max-nodes 0 -o -
expect 2 "" "casepack: error: --max-nodes takes a positive number (K, M or G may follow), not '0'"

finish
