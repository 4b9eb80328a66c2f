# tests/office/test_render_docs.sh: every rendered fixture opens in
# LibreOffice. All outputs are converted to PDF in one soffice run; the PDF
# text must hold the expected names and dates, and no tag may be left.
. "$(dirname "$0")/../cli/lib.sh"
OFFICE="$CASEPACK_ROOT/tests/office"
fresh
OUT=$WORK
files=()
for name in letter claim minimal; do
    for fmt in docx odt; do
        "$CASEPACK" render "$FIX/$name.$fmt" -d "$FIX/$name.yaml" -o "$OUT/$name.$fmt" 2> "$OUT/$name.$fmt.err" \
            && files+=("$OUT/$name.$fmt") \
            || { NAME=office.render.$name.$fmt; fail "render failed: $(cat "$OUT/$name.$fmt.err")"; }
    done
done
# A flat ODT output is a plain XML file; LibreOffice opens it as .fodt.
"$CASEPACK" render "$FIX/src/letter.fodt" -d "$FIX/letter.yaml" -o "$OUT/letter-flat.fodt" && files+=("$OUT/letter-flat.fodt")
for name in word-fragmented word-image-repeat; do
    "$CASEPACK" render "$FIX/$name.docx" -d "$FIX/$name.yaml" -o "$OUT/$name.docx" && files+=("$OUT/$name.docx")
done

NAME=office.libreoffice_converts_every_output
if "$OFFICE/pdf_text.sh" "${files[@]}" > "$OUT/all.txt" 2> "$OUT/pdf.err"; then pass; else fail "$(tail -3 "$OUT/pdf.err")"; fi

# pdf_section FILE: the text of one document from the combined output.
pdf_section() {
    awk -v f="==> $1 <==" '{ sub(/^\f/, "") } $0 == f { on = 1; next } /^==> .* <==$/ { on = 0 } on' "$OUT/all.txt"
}

# shows NAME FILE TEXT...: every TEXT appears in FILE's PDF text.
shows() {
    NAME=$1; local file=$2; shift 2
    local text missing=
    text=$(pdf_section "$file")
    for want in "$@"; do
        grep -qF -- "$want" <<< "$text" || missing="$missing [$want]"
    done
    if [ -n "$missing" ]; then fail "PDF text lacks:$missing"; else pass; fi
}

for fmt in docx odt; do
    shows office.letter.$fmt "$OUT/letter.$fmt" "Dear Iryna Melnyk," "Kyiv, 14 March 2024" \
        "Right to Refuge & Safety" "Rights & Refuge <Network> \"Svoboda\" 'Libertas'" "Правозахисна ініціатива «Веселка»" \
        "Suspend any removal to the Russian Federation" "Case 826/1187/24"
    shows office.claim.$fmt "$OUT/claim.$fmt" "20 листопада 2023"
    shows office.minimal.$fmt "$OUT/minimal.$fmt" "Hello"
done
shows office.letter.fodt "$OUT/letter-flat.fodt" "Dear Iryna Melnyk," "Kyiv, 14 March 2024"
shows office.word_fragmented "$OUT/word-fragmented.docx" "The appellant, Mark Vetrov, asks the court" "The decision of 20 November 2023" "Олена Гриценко"

NAME=office.no_leftover_tags
if grep -n '{{\|}}' "$OUT/all.txt" > "$OUT/left.txt"; then fail "tags left: $(head -3 "$OUT/left.txt")"; else pass; fi

NAME=office.deleted_text_and_field_codes_stay_hidden
if grep -q "MUST NOT APPEAR" "$OUT/all.txt"; then fail "hidden text shown"; else pass; fi

finish
