#!/usr/bin/env bash
# tests/office/test_package.sh: casepack package --pdf through LibreOffice,
# and the package of every shipped kit's example. Each PDF must hold the
# case's names (pdftotext), sit right after its document, be listed in the
# manifest, and come out byte for byte the same from a second run; every
# example must package and verify, with and without PDFs.
. "$(dirname "$0")/../cli/lib.sh"

KITS="$CASEPACK_ROOT/tests/cli/kits"
KIT="$KITS/pkgtest"
EXAMPLES="$CASEPACK_ROOT/examples"
export SOURCE_DATE_EPOCH=1800000000

zip_names() {
    python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
}

# pdf_words ZIP ENTRY: the PDF's text with every run of white space as one
# space, so a name LibreOffice wrapped over two lines is still found.
pdf_words() {
    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
        "$1" "$2" > "$WORK/.pdf"
    pdftotext -enc UTF-8 "$WORK/.pdf" - | tr -s '[:space:]' ' '
}

# case_values CASE PATH...: the values at dotted paths of a case file
# ("plaintiff.name", "recipients.0.name"), one per line.
case_values() {
    local case=$1 p
    shift
    # casepack is the YAML reader at hand: a text template of raw values.
    for p in "$@"; do printf '{{{%s}}}\n' "$p"; done > "$WORK/.paths.txt"
    "$CASEPACK" render "$WORK/.paths.txt" -d "$case" -o -
}

# holds_all ZIP ENTRY NAME...: every NAME in the PDF's text.
holds_all() {
    local zip=$1 entry=$2 words missing=""
    shift 2
    words=$(pdf_words "$zip" "$entry")
    for n in "$@"; do
        n=$(printf '%s' "$n" | tr -s '[:space:]' ' ')
        [[ "$words" == *"$n"* ]] || missing="$missing [$n]"
    done
    [ -z "$missing" ] || { echo "$entry lacks$missing" >&2; return 1; }
}

# ---- the tests' kit ----

NAME=package_pdf.documents_and_pdfs_in_order; fresh
cp -r "$KIT/case/." .
run package case.yaml --kits "$KITS" --pdf -o one
want="KOVAL-2027-01/01-letter.docx
KOVAL-2027-01/01-letter.pdf
KOVAL-2027-01/02-KOVAL-2027-01-note.docx
KOVAL-2027-01/02-KOVAL-2027-01-note.pdf
KOVAL-2027-01/annexes/A01-passport-copy.pdf
KOVAL-2027-01/annexes/A02-zaiava-svidka.txt
KOVAL-2027-01/manifest.json"
expect_status 0 && [ "$(zip_names one/KOVAL-2027-01.zip)" = "$want" ] && pass \
    || fail "$(zip_names one/KOVAL-2027-01.zip)"

NAME=package_pdf.pdfs_hold_the_case
holds_all one/KOVAL-2027-01.zip KOVAL-2027-01/01-letter.pdf "Letter for Olena Koval, case KOVAL-2027-01" \
    "A01: Passport copy (A01-passport-copy.pdf)" "A02: Заява свідка (A02-zaiava-svidka.txt)" 2> .why \
    && holds_all one/KOVAL-2027-01.zip KOVAL-2027-01/02-KOVAL-2027-01-note.pdf "Hello Note for the file!" 2>> .why \
    && pass || fail "$(cat .why)"

NAME=package_pdf.verify_accepts
run verify one/KOVAL-2027-01.zip
expect 0 "one/KOVAL-2027-01.zip: all 6 files match the manifest" ""

NAME=package_pdf.reproducible
run package case.yaml --kits "$KITS" --pdf -o two
expect_status 0 && cmp -s one/KOVAL-2027-01.zip two/KOVAL-2027-01.zip && pass \
    || fail "two runs with --pdf differ"

NAME=package_pdf.manifest_says_so
python3 -c 'import json, sys, zipfile; m = json.loads(zipfile.ZipFile(sys.argv[1]).read("KOVAL-2027-01/manifest.json")); print(m["reproducible"], m["notes"])' \
    one/KOVAL-2027-01.zip > .got
[ "$(cat .got)" = "True ['the PDFs were made by LibreOffice; their creation date is the generation date and their ID a hash of their content, so the same LibreOffice version makes the same bytes']" ] \
    && pass || fail "$(cat .got)"

NAME=package_pdf.creation_date_is_the_package_date
python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("KOVAL-2027-01/01-letter.pdf"))' \
    one/KOVAL-2027-01.zip > letter.pdf
[ "$(pdfinfo -isodates letter.pdf | sed -n 's/^CreationDate: *//p')" = "2027-01-15T08:00:00Z" ] && pass \
    || fail "$(pdfinfo -isodates letter.pdf | grep CreationDate)"

NAME=package_pdf.from_odt
run package case.yaml --kits "$KITS" --pdf --format odt -o odt
expect_status 0 && holds_all odt/KOVAL-2027-01.zip KOVAL-2027-01/01-letter.pdf "Letter for Olena Koval" 2> .why \
    && [ "$(zip_names odt/KOVAL-2027-01.zip | sed -n 1,2p)" = "KOVAL-2027-01/01-letter.odt
KOVAL-2027-01/01-letter.pdf" ] && pass || fail "$(cat .why) $(zip_names odt/KOVAL-2027-01.zip)"

NAME=package_pdf.encrypted_with_pdfs
printf 'correct horse\n' > pw
run package case.yaml --kits "$KITS" --pdf --encrypt --password-file pw -o enc
expect_status 0 && mkdir x && 7z x -p'correct horse' -ox enc/KOVAL-2027-01.zip > /dev/null 2>&1 \
    && pdftotext x/KOVAL-2027-01/01-letter.pdf - | grep -q "Olena Koval" && pass || fail "7z or pdftotext failed"

# ---- every shipped kit's example ----

# kit, then the dotted paths of the names its documents must show.
while read -r kit paths; do
    case_file="$EXAMPLES/$kit/case.yaml"
    NAME="package_example.$kit.exists"
    if [ ! -f "$case_file" ]; then
        fail "$case_file is missing: the kit has no example case"
        continue
    fi
    pass

    NAME="package_example.$kit.packages_and_verifies"; fresh
    run package "$case_file" -o plain
    zip=$(ls plain/*.zip 2> /dev/null)
    if expect_status 0 && [ -n "$zip" ]; then
        run verify "$zip"
        [ "$STATUS" = 0 ] && [[ "$OUT" == "$zip: all "*" files match the manifest" ||
            "$OUT" == "$zip: its one file matches the manifest" ]] && pass || fail "verify: $OUT $ERR"
    fi

    NAME="package_example.$kit.pdf_holds_the_names"
    run package "$case_file" -o pdf --pdf
    zip=$(ls pdf/*.zip 2> /dev/null)
    if expect_status 0 && [ -n "$zip" ]; then
        mapfile -t names < <(case_values "$case_file" $paths)
        pdfs=$(zip_names "$zip" | grep -E '^[^/]+/[0-9]+-[^/]*\.pdf$')
        docs=$(zip_names "$zip" | grep -cE '^[^/]+/[0-9]+-[^/]*\.(docx|odt)$')
        ok=1
        [ -n "$pdfs" ] && [ "$(printf '%s\n' "$pdfs" | wc -l)" = "$docs" ] || { ok=0; fail "PDFs: $pdfs"; }
        for p in $pdfs; do
            holds_all "$zip" "$p" "${names[@]}" 2> .why || { ok=0; fail "$(cat .why)"; }
        done
        [ "$ok" = 1 ] && pass
    fi

    NAME="package_example.$kit.pdf_package_verifies"
    run verify "$zip"
    [ "$STATUS" = 0 ] && pass || fail "verify: $ERR"
done <<'EOF'
ua-refugee-appeal plaintiff.name representative.name
eu-petition-letter sender.name recipients.0.name
political-prisoner-submission detainee.name
us-congress-letter legislator.full_name sender.name
EOF

finish
