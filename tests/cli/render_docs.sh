# casepack render with DOCX, ODT and flat ODT templates: every fixture is
# rendered with its data and read back with python-docx or odfpy; the text a
# reader sees must equal the expected text exactly. Bad documents must give
# their exact error, exit 1 and leave nothing behind.
. "$(dirname "$0")/lib.sh"
READ="$CASEPACK_ROOT/tests/office"
EXPECT="$FIX/expected-text"

# render_and_read NAME FMT: renders fixtures/NAME.FMT and compares its text.
render_and_read() {
    local name=$1 fmt=$2 reader=docx_text.py
    [ "$fmt" = odt ] || [ "$fmt" = fodt ] && reader=odt_text.py
    NAME=docs.$name.$fmt; fresh
    local src="$FIX/$name.$fmt"
    [ "$fmt" = fodt ] && src="$FIX/src/$name.fodt"
    run render "$src" -d "$FIX/$name.yaml" -o "out.$fmt"
    expect_status 0 || return
    [ -z "$ERR" ] || { fail "stderr: $ERR"; return; }
    "$READ/$reader" "out.$fmt" > got.txt 2> reader.err || { fail "$reader: $(cat reader.err)"; return; }
    local want="$EXPECT/$name.$fmt.txt"
    [ "$fmt" = fodt ] && want="$EXPECT/$name.odt.txt"
    if diff -u "$want" got.txt > diff.txt; then pass; else fail "text differs: $(head -c 600 diff.txt)"; fi
}

for name in letter claim minimal; do
    for fmt in docx odt fodt; do
        render_and_read "$name" "$fmt"
    done
done
render_and_read word-fragmented docx
render_and_read word-image-repeat docx

NAME=docs.same_input_same_bytes; fresh
run render "$FIX/letter.docx" -d "$FIX/letter.yaml" -o a.docx
run render "$FIX/letter.docx" -d "$FIX/letter.yaml" -o b.docx
cmp -s a.docx b.docx && pass || fail "two renders differ"

NAME=docs.odt_mimetype_first_and_stored; fresh
run render "$FIX/letter.odt" -d "$FIX/letter.yaml" -o out.odt
expect_status 0 && [ "$(head -c 38 out.odt | tail -c 8)" = mimetype ] \
    && [ "$(dd if=out.odt bs=1 skip=8 count=2 2>/dev/null | od -An -tu2 | tr -d ' ')" = 0 ] \
    && pass || fail "mimetype is not the first, stored entry"

NAME=docs.repeated_drawings_get_fresh_ids; fresh
run render "$FIX/word-image-repeat.docx" -d "$FIX/word-image-repeat.yaml" -o out.docx
ids=$(unzip -p out.docx word/document.xml | grep -o '<wp:docPr id="[0-9]*"' | sort | uniq -d)
expect_status 0 && [ -z "$ids" ] && [ "$(unzip -p out.docx word/document.xml | grep -o '<wp:docPr ' | wc -l)" = 3 ] \
    && pass || fail "duplicate docPr ids: $ids"

NAME=docs.default_output_keeps_format; fresh
run render "$FIX/minimal.odt" -d "$FIX/minimal.yaml"
expect_status 0 && [ -f minimal.odt ] && pass || fail "no minimal.odt"

NAME=docs.fields_text; fresh
run fields "$FIX/minimal.docx"
expect 0 "$FIX/minimal.docx:word/document.xml:p1	value	name	name" ""

NAME=docs.fields_json; fresh
run fields "$FIX/minimal.odt" --json
expect 0 "{\"template\": \"$FIX/minimal.odt\", \"tags\": [
  {\"kind\": \"value\", \"tag\": \"name\", \"path\": \"name\", \"part\": \"content.xml\", \"paragraph\": 1}
]}" ""

# Bad documents: exact message, exit 1, nothing written.
bad() {
    NAME=docs.bad.$1; fresh
    run render "$FIX/bad/$2" -d "$FIX/bad/data.yaml" -o "out.${2##*.}"
    only_files || fail "left files behind: $(ls -A)"
    expect 1 "" "$3"
}
bad dtd dtd.docx "casepack: error: $FIX/bad/dtd.docx:word/document.xml: contains a DTD (<!DOCTYPE …>), which casepack refuses for safety; open and save the document again in Word or LibreOffice"
bad no_document no-document.docx "casepack: error: $FIX/bad/no-document.docx: is not a Word document: it has no main document part (word/document.xml); save it again from Word or LibreOffice as .docx"
bad malformed malformed.odt "casepack: error: $FIX/bad/malformed.odt:content.xml: is not well-formed XML (line 2: Opening and ending tag mismatch: p line 2 and span); the file is damaged: open and save it again in Word or LibreOffice"
bad unbalanced unbalanced.docx "casepack: error: $FIX/bad/unbalanced.docx:word/document.xml:p2: {{#items}} and its closing tag {{/items}} (p4) stand in different paragraphs, so casepack cannot tell what to repeat. Put both tags in one paragraph to repeat text inside it; or put each tag alone in its own paragraph, at the same level (not one in a table or list and the other outside), to repeat the paragraphs between them; or put them in rows of one table to repeat those rows"
bad split_paragraph split-para.docx "casepack: error: $FIX/bad/split-para.docx:word/document.xml:p1: {{recipient. starts here but does not end in this paragraph: a tag must start and end in the same paragraph (is its closing }} missing?)"

# Hostile packages, made at test time by the generator script.
HOSTILE="$TMP_ROOT/hostile"
mkdir -p "$HOSTILE"
python3 "$CASEPACK_ROOT/tests/fixtures-gen/make_hostile_zips.py" "$HOSTILE" > /dev/null
hostile() {
    NAME=docs.hostile.$1; fresh
    cp "$HOSTILE/$2" .
    run render "$2" -o "out.${2##*.}"
    only_files "$2" || fail "left files behind: $(ls -A)"
    expect 1 "" "$3"
}
hostile traversal traversal.docx 'casepack: error: traversal.docx:../../x: the entry name climbs out of the package with ".."; the package is damaged or was built to attack the programs that open it; do not use it as a template'
hostile zip_bomb bomb.docx "casepack: error: bomb.docx:word/document.xml: the entry inflates to more than the 1000 bytes its header declares, so reading stopped (a zip bomb lies about sizes); the package is damaged or was built to attack the programs that open it; do not use it as a template"
hostile truncated truncated.docx "casepack: error: truncated.docx: the file is not a valid DOCX/ODT package (zip): not a zip archive; it may be truncated or damaged — open and save it again in Word or LibreOffice"
hostile symlink symlink.odt "casepack: error: symlink.odt:Pictures/link.png: the entry is a symbolic link; a package must not contain links; the package is damaged or was built to attack the programs that open it; do not use it as a template"

finish
