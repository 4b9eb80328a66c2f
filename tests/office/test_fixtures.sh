#!/usr/bin/env bash
# tests/office/test_fixtures.sh: checks the document fixtures and the
# checking tools together, before casepack touches anything: every fixture
# opens in python-docx/odfpy and in LibreOffice, shows its tags where a
# reader sees them (joined across Word's runs), hides the tags a reader
# never sees, and the bad documents are refused. Prints "ok NAME" or
# "FAIL NAME: why" per check; exit status 1 if any failed.
# shellcheck disable=SC1112  # curly quotes are the text under test
set -u
cd "$(dirname "$0")/../.." || exit 1
OFFICE=tests/office
FIX=fixtures
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

# has NAME FILE TEXT: the file holds TEXT as a whole line.
has_line() {
    if grep -qxF -- "$3" "$2"; then ok "$1"; else fail "$1" "no line '$3' in $(basename "$2")"; fi
}
lacks() {
    if grep -qF -- "$3" "$2"; then fail "$1" "'$3' shown"; else ok "$1"; fi
}

for f in letter claim minimal; do
    $OFFICE/docx_text.py $FIX/$f.docx > "$tmp/$f.docx.txt" || fail "fixtures $f.docx readable" "docx_text.py failed"
    $OFFICE/odt_text.py $FIX/$f.odt > "$tmp/$f.odt.txt" || fail "fixtures $f.odt readable" "odt_text.py failed"
    $OFFICE/odt_text.py $FIX/src/$f.fodt > "$tmp/$f.fodt.txt" || fail "fixtures $f.fodt readable" "odt_text.py failed"
    # LibreOffice's DOCX puts a tab before a footnote's text; nothing else differs.
    if diff <(sed 's/^footnote: \t/footnote: /' "$tmp/$f.docx.txt") "$tmp/$f.odt.txt" > /dev/null \
        && diff "$tmp/$f.odt.txt" "$tmp/$f.fodt.txt" > /dev/null; then
        ok "fixtures $f: docx, odt and fodt read the same"
    else
        fail "fixtures $f: docx, odt and fodt read the same" "$(diff "$tmp/$f.docx.txt" "$tmp/$f.odt.txt" | head -5)"
    fi
done
has_line "fixtures letter: tag split over spans" "$tmp/letter.odt.txt" \
    'We write on behalf of {{applicant.name}}, a citizen of {{applicant.citizenship}}, who asked for protection in Ukraine. On {{decision.date | date "d MMMM y"}} the State Migration Service refused the application, although {{#applicant.female}}she{{/applicant.female}}{{^applicant.female}}he{{/applicant.female}} faces a real risk of persecution if returned.'
has_line "fixtures letter: row section" "$tmp/letter.docx.txt" '{{#orgs}}{{@number}}. {{name}} | {{country}}{{/orgs}}'
has_line "fixtures letter: header" "$tmp/letter.docx.txt" 'header: {{sender.org}} · legal aid for asylum seekers'
has_line "fixtures letter: footer" "$tmp/letter.docx.txt" 'footer: Case {{case.id}} · page 1'
has_line "fixtures letter: title" "$tmp/letter.odt.txt" 'title: Letter in support of appeal {{case.id}}'
has_line "fixtures claim: two-row section" "$tmp/claim.docx.txt" ' | {{note | default "без примітки"}} | {{/annexes}}'
has_line "fixtures minimal" "$tmp/minimal.docx.txt" 'Hello {{name}}!'

W=$tmp/word-fragmented.txt
if $OFFICE/docx_text.py $FIX/word-fragmented.docx > "$W"; then
    has_line "word-fragmented: five runs, proofErr, bookmark" "$W" \
        'The appellant, {{applicant.name}}, asks the court to set aside the decision refusing refugee status.'
    has_line "word-fragmented: curly quotes" "$W" \
        'The decision of {{decision.date | date “d MMMM y”}} was served on the appellant’s representative.'
    has_line "word-fragmented: hyperlink" "$W" 'The decision is published at {{decision.url}}.'
    has_line "word-fragmented: content control" "$W" 'Represented by {{representative.name}}, advocate.'
    has_line "word-fragmented: block content control" "$W" 'Case no. {{case.id}}'
    has_line "word-fragmented: text box" "$W" 'textbox: Hearing: {{hearing.date | date "d MMMM y"}}'
    has_line "word-fragmented: header.xml" "$W" 'header: {{sender.org}} · ref. {{case.id}}'
    has_line "word-fragmented: core title" "$W" 'title: {{case.title}}'
    has_line "word-fragmented: inserted text" "$W" 'Status of the appellant: {{status}}.'
    lacks "word-fragmented: deleted text hidden" "$W" '{{deleted}}'
    lacks "word-fragmented: field instruction hidden" "$W" '{{not_a_tag}}'
else
    fail "word-fragmented readable" "docx_text.py failed"
fi
I=$tmp/word-image-repeat.txt
if $OFFICE/docx_text.py $FIX/word-image-repeat.docx > "$I"; then
    has_line "word-image-repeat: picture paragraph" "$I" ' Photo {{@number}}: {{caption}}'
else
    fail "word-image-repeat readable" "docx_text.py failed"
fi

# The checker itself: tags in the fixture text, none in the expected text.
if $OFFICE/no_leftover_tags.py "$tmp/letter.docx.txt" > /dev/null; then
    fail "no_leftover_tags finds tags" "exit 0 on an unrendered fixture"
else
    ok "no_leftover_tags finds tags"
fi
clean=1
for e in "$FIX"/expected-text/*.txt; do
    $OFFICE/no_leftover_tags.py "$e" > /dev/null || clean=0
done
if [ "$clean" = 1 ]; then
    ok "no_leftover_tags passes expected text"
else
    fail "no_leftover_tags passes expected text" "a tag in fixtures/expected-text"
fi

# LibreOffice opens every good fixture (one soffice run) and shows its tags.
good=("$FIX"/letter.docx "$FIX"/letter.odt "$FIX"/claim.docx "$FIX"/claim.odt "$FIX"/minimal.docx
      "$FIX"/minimal.odt "$FIX"/word-fragmented.docx "$FIX"/word-image-repeat.docx "$FIX"/src/letter.fodt)
if $OFFICE/pdf_text.sh "${good[@]}" > "$tmp/pdf.txt" 2> "$tmp/pdf.err"; then
    ok "LibreOffice opens the fixtures"
    P=$tmp/pdf.txt
    for t in '{{applicant.name}}' '{{decision.date | date “d MMMM y”}}' '{{decision.url}}' \
             '{{representative.name}}' '{{status}}' '{{caption}}' 'Hello {{name}}!' 'ПОЗОВНА ЗАЯВА'; do
        if grep -qF -- "$t" "$P"; then ok "pdf shows $t"; else fail "pdf shows $t" "not in pdftotext output"; fi
    done
    lacks "pdf hides deleted text" "$P" '{{deleted}}'
    lacks "pdf hides field instruction" "$P" '{{not_a_tag}}'
else
    fail "LibreOffice opens the fixtures" "$(head -3 "$tmp/pdf.err")"
fi

# Bad documents: the tools and LibreOffice refuse them.
for b in dtd.docx no-document.docx malformed.odt; do
    if $OFFICE/pdf_text.sh "$FIX/bad/$b" > /dev/null 2>&1; then
        fail "LibreOffice refuses bad/$b" "it converted"
    else
        ok "LibreOffice refuses bad/$b"
    fi
done
if $OFFICE/odt_text.py $FIX/bad/malformed.odt > /dev/null 2>&1; then
    fail "odt_text.py refuses bad/malformed.odt" "exit 0"
else
    ok "odt_text.py refuses bad/malformed.odt"
fi
exit "$failed"
