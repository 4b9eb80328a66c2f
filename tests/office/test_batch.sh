# tests/office/test_batch.sh: casepack batch at full size and in LibreOffice.
# 10,000 petition letters from CSV with three broken rows (9,997 written, the
# three named in report.json), a sample of them, letters in ODT and the
# merged documents converted to PDF in one soffice run, their text checked.
. "$(dirname "$0")/../cli/lib.sh"
OFFICE="$CASEPACK_ROOT/tests/office"
fresh
OUT=$WORK
json() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$1" "$2"; }

python3 "$CASEPACK_ROOT/tests/bench/make_records.py" 10000 "$OUT/letters.csv" --broken 1234,5678,9999
NAME=office.batch.ten_thousand_letters_three_broken_rows
"$CASEPACK" batch "$FIX/bench/petition.docx" --records "$OUT/letters.csv" -o "$OUT/letters" 2> "$OUT/batch.err"
status=$?
count=$(find "$OUT/letters" -name '*.docx' | wc -l)
failed=$(json "$OUT/letters/report.json" '[(f["record"], f["line"]) for f in r["failures"]], r["summary"]["written"], r["summary"]["failed"]')
if [ "$status" = 1 ] && [ "$count" = 9997 ] && [ "$failed" = "[(1234, 1235), (5678, 5679), (9999, 10000)] 9997 3" ] \
    && [ ! -e "$OUT/letters/01234.docx" ] && [ "$(grep -c '^casepack: error: ' "$OUT/batch.err")" = 3 ]; then
    pass
else
    fail "status $status, $count documents, failures $failed: $(tail -3 "$OUT/batch.err")"
fi

# Letters in ODT, one per case file, and the merged documents.
mkdir "$OUT/cases"
for i in 1 2 3; do sed "s|^  id: .*|  id: CASE-$i|" "$FIX/letter.yaml" > "$OUT/cases/c$i.yaml"; done
"$CASEPACK" batch "$FIX/letter.odt" --records "$OUT/cases" -o "$OUT/odt" --name 'letter-{{case.id}}' 2> /dev/null \
    || { NAME=office.batch.odt; fail "batch to ODT failed"; }
"$CASEPACK" batch "$FIX/letter.docx" --records "$OUT/cases" --merge "$OUT/merged.docx" 2> /dev/null \
    || { NAME=office.batch.merge; fail "merge failed"; }
# The letter with its bullet list made a numbered one: each record's list
# must count from 1 again.
python3 - "$FIX/letter.docx" "$OUT/numbered.docx" <<'EOF'
import re, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "word/numbering.xml":
            xml = data.decode()
            xml = xml.replace('<w:numFmt w:val="bullet"/><w:lvlText w:val="\uf0b7"/>',
                              '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>', 1)
            xml = re.sub(r'<w:rFonts w:ascii="Symbol"[^>]*/>', "", xml, count=1)
            data = xml.encode()
        zout.writestr(item, data)
EOF
"$CASEPACK" batch "$OUT/numbered.docx" --records "$OUT/cases" --merge "$OUT/merged-numbered.docx" 2> /dev/null \
    || { NAME=office.batch.merge_numbered; fail "merge failed"; }

# A template Word saved (no explicit section types): a page per record still.
mkdir "$OUT/photos"
for i in 1 2 3; do cp "$FIX/word-image-repeat.yaml" "$OUT/photos/p$i.yaml"; done
"$CASEPACK" batch "$FIX/word-image-repeat.docx" --records "$OUT/photos" --merge "$OUT/merged-word.docx" 2> /dev/null \
    || { NAME=office.batch.merge_word; fail "merge failed"; }
"$CASEPACK" batch "$FIX/letter.odt" --records "$OUT/cases" --merge "$OUT/merged.odt" 2> /dev/null \
    || { NAME=office.batch.merge_odt; fail "merge to ODT failed"; }
# The same in ODT: the bullet list style made a numbered one.
python3 - "$FIX/letter.odt" "$OUT/numbered.odt" <<'EOF'
import re, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "styles.xml":
            xml = data.decode()
            m = re.search(r'<text:list-level-style-bullet text:level="1"[^>]*>(.*?)'
                          r'</text:list-level-style-bullet>', xml)
            inner = re.sub(r'<style:text-properties[^>]*/>', "", m.group(1))
            xml = (xml[:m.start()] + '<text:list-level-style-number text:level="1" '
                   'style:num-suffix="." style:num-format="1">' + inner +
                   "</text:list-level-style-number>" + xml[m.end():])
            data = xml.encode()
        stored = item.filename == "mimetype"
        zout.writestr(item, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
EOF
"$CASEPACK" batch "$OUT/numbered.odt" --records "$OUT/cases" --merge "$OUT/merged-numbered.odt" 2> /dev/null \
    || { NAME=office.batch.merge_numbered_odt; fail "merge failed"; }

samples=(00001 01233 01235 05000 10000)
files=()
for s in "${samples[@]}"; do files+=("$OUT/letters/$s.docx"); done
files+=("$OUT/odt/letter-CASE-1.odt" "$OUT/odt/letter-CASE-3.odt" "$OUT/merged.docx" "$OUT/merged-numbered.docx"
    "$OUT/merged.odt" "$OUT/merged-numbered.odt" "$OUT/merged-word.docx")

NAME=office.batch.libreoffice_opens_every_sample
if "$OFFICE/pdf_text.sh" "${files[@]}" > "$OUT/all.txt" 2> "$OUT/pdf.err"; then pass; else fail "$(tail -3 "$OUT/pdf.err")"; fi

# pdf_section FILE: the text of one document from the combined output, the
# page breaks (form feeds) between its pages kept.
pdf_section() {
    awk -v f="==> $1 <==" '{ line = $0; sub(/^\f/, "", line) } line == f { on = 1; next } line ~ /^==> .* <==$/ { on = 0 } on' "$OUT/all.txt"
}

shows() {
    NAME=$1; local file=$2; shift 2
    local text missing=
    text=$(pdf_section "$file")
    for want in "$@"; do
        grep -qF -- "$want" <<< "$text" || missing="$missing [$want]"
    done
    if [ -n "$missing" ]; then fail "PDF text lacks:$missing"; else pass; fi
}

# Record n of make_records.py is recipient n-1: its reference is EP-(n-1).
for s in "${samples[@]}"; do
    n=$((10#$s))
    shows "office.batch.letter_$s" "$OUT/letters/$s.docx" "$(printf 'EP-%05d' $((n - 1)))" "Yours sincerely,"
done
shows office.batch.odt_letter "$OUT/odt/letter-CASE-3.odt" "Case CASE-3" "Mark Vetrov" "Connection e.V."

NAME=office.batch.merged_one_letter_a_page_with_its_own_footer
text=$(pdf_section "$OUT/merged.docx")
pages=$(($(printf '%s' "${text%$'\f'}" | tr -cd '\f' | wc -c) + 1))
footers=$(grep -o 'Case CASE-[0-9] · page [0-9]*' <<< "$text" | tr '\n' ';')
if [ "$pages" = 3 ] && [ "$footers" = "Case CASE-1 · page 1;Case CASE-2 · page 1;Case CASE-3 · page 1;" ] \
    && [ "$(grep -c 'Right to Refuge & Safety · legal aid' <<< "$text")" = 3 ]; then
    pass
else
    fail "$pages pages, footers $footers"
fi

NAME=office.batch.merged_word_template_a_page_per_record
text=$(pdf_section "$OUT/merged-word.docx")
pages=$(($(printf '%s' "${text%$'\f'}" | tr -cd '\f' | wc -c) + 1))
if [ "$pages" = 3 ] && [ "$(grep -c 'Photo 3: Medical certificate' <<< "$text")" = 3 ]; then pass; else fail "$pages pages"; fi

# The ODT letter takes two pages: each letter's are numbered from 1.
NAME=office.batch.merged_odt_one_letter_from_a_new_page_with_its_own_footer
text=$(pdf_section "$OUT/merged.odt")
pages=$(($(printf '%s' "${text%$'\f'}" | tr -cd '\f' | wc -c) + 1))
footers=$(grep -o 'Case CASE-[0-9] · page [0-9]*' <<< "$text" | tr '\n' ';')
if [ "$pages" = 6 ] && [ "$footers" = "Case CASE-1 · page 1;Case CASE-1 · page 2;Case CASE-2 · page 1;Case CASE-2 · page 2;Case CASE-3 · page 1;Case CASE-3 · page 2;" ]; then
    pass
else
    fail "$pages pages, footers $footers"
fi

for f in merged-numbered.docx merged-numbered.odt; do
    NAME=office.batch.numbering_restarts_per_letter.${f#merged-numbered.}
    numbers=$(grep -oE '^ *[0-9]\. +(Review|Suspend|Apply)' <<< "$(pdf_section "$OUT/$f")" | sed -E 's/^ *([0-9])\. +/\1 /' | tr '\n' ';')
    want="1 Review;2 Suspend;3 Apply;1 Review;2 Suspend;3 Apply;1 Review;2 Suspend;3 Apply;"
    if [ "$numbers" = "$want" ]; then pass; else fail "list numbers: $numbers"; fi
done

finish
