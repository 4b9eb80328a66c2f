# casepack package and verify with the tests' own kit (tests/cli/kits/pkgtest):
# the package's layout and manifest, annex numbering seen by the templates,
# verification of changed, missing and extra files, reproducibility, every
# kind of bad annex and case id, --max-size, and AES encryption checked with
# 7z. No LibreOffice here: --pdf is tested in tests/office/test_package.sh.
. "$(dirname "$0")/lib.sh"

KITS="$CASEPACK_ROOT/tests/cli/kits"
KIT="$KITS/pkgtest"
export SOURCE_DATE_EPOCH=1800000000 # 2027-01-15T08:00:00Z

# A fresh folder holding the kit's case and its two annexes.
case_folder() {
    fresh
    cp -r "$KIT/case/." .
}

# zip_names ZIP: the entry names, one per line, in the archive's order.
zip_names() {
    python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
}

# zip_cat ZIP ENTRY: one entry's bytes on stdout.
zip_cat() {
    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"
}

# docx_body ZIP ENTRY: the paragraphs of a DOCX inside the package, one per line.
docx_body() {
    python3 - "$1" "$2" <<'EOF'
import io, re, sys, zipfile
inner = zipfile.ZipFile(io.BytesIO(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])))
xml = inner.read("word/document.xml").decode()
for p in re.findall(r"<w:p[ >].*?</w:p>", xml):
    print("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p)))
EOF
}

# rewrite_zip IN OUT MODE ENTRY: copies a zip changing one entry: "flip"
# changes its last byte, "drop" leaves it out, "add" adds ENTRY as a new file.
rewrite_zip() {
    python3 - "$@" <<'EOF'
import sys, zipfile
src, dst, mode, name = sys.argv[1:5]
zin = zipfile.ZipFile(src)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename == name and mode == "drop":
            continue
        if info.filename == name and mode == "flip":
            data = data[:-1] + bytes([data[-1] ^ 1])
        zout.writestr(info, data)
    if mode == "add":
        zout.writestr(name, b"slipped in\n")
EOF
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- a good package ----

NAME=package.writes_the_case_zip; case_folder
run package case.yaml --kits "$KITS"
expect 0 "wrote KOVAL-2027-01.zip (7.0 KB)" ""

NAME=package.layout_in_order
want="KOVAL-2027-01/01-letter.docx
KOVAL-2027-01/02-KOVAL-2027-01-note.docx
KOVAL-2027-01/annexes/A01-passport-copy.pdf
KOVAL-2027-01/annexes/A02-zaiava-svidka.txt
KOVAL-2027-01/manifest.json"
got=$(zip_names KOVAL-2027-01.zip)
[ "$got" = "$want" ] && pass || fail "entries: $got"

NAME=package.is_private
[ "$(stat -c %a KOVAL-2027-01.zip)" = 600 ] && only_files annexes case.yaml KOVAL-2027-01.zip \
    && pass || fail "mode $(stat -c %a KOVAL-2027-01.zip), files: $(ls -A)"

NAME=package.templates_see_annex_numbers_and_names
got=$(docx_body KOVAL-2027-01.zip KOVAL-2027-01/01-letter.docx)
want="Letter for Olena Koval, case KOVAL-2027-01
A01: Passport copy (A01-passport-copy.pdf)
A02: Заява свідка (A02-zaiava-svidka.txt)"
[ "$got" = "$want" ] && pass || fail "letter: $got"

NAME=package.kit_defaults_merged_under_the_case
got=$(docx_body KOVAL-2027-01.zip KOVAL-2027-01/02-KOVAL-2027-01-note.docx)
[ "$got" = "Hello Note for the file!" ] && pass || fail "note: $got"

NAME=package.annexes_copied_unchanged
[ "$(zip_cat KOVAL-2027-01.zip KOVAL-2027-01/annexes/A01-passport-copy.pdf | sha256sum)" = \
  "$(sha256sum < annexes/passport.pdf)" ] && pass || fail "annex bytes differ"

NAME=package.manifest_lists_every_file_with_size_and_hash
python3 - KOVAL-2027-01.zip > check.txt <<'EOF'
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
m = json.loads(z.read("KOVAL-2027-01/manifest.json"))
print(list(m))
print(m["manifest"], m["tool"]["name"], m["generated"], m["reproducible"], m["notes"])
print(m["kit"]["id"], [t["file"] for t in m["kit"]["templates"]])
print(m["case"]["id"], m["case"]["file"],
      m["case"]["sha256"] == hashlib.sha256(open("case.yaml", "rb").read()).hexdigest())
for f in m["files"]:
    data = z.read(f["path"])
    print(f["path"], f["size"] == len(data), f["sha256"] == hashlib.sha256(data).hexdigest())
print([(a["number"], a["title"], a["source"]) for a in m["annexes"]], m["warnings"])
EOF
want="['manifest', 'tool', 'generated', 'reproducible', 'notes', 'kit', 'case', 'format', 'encrypted', 'annexes', 'files', 'warnings']
casepack package manifest 1 casepack 2027-01-15T08:00:00Z True []
pkgtest ['letter.docx', 'note.docx']
KOVAL-2027-01 case.yaml True
KOVAL-2027-01/01-letter.docx True True
KOVAL-2027-01/02-KOVAL-2027-01-note.docx True True
KOVAL-2027-01/annexes/A01-passport-copy.pdf True True
KOVAL-2027-01/annexes/A02-zaiava-svidka.txt True True
[('A01', 'Passport copy', 'annexes/passport.pdf'), ('A02', 'Заява свідка', 'annexes/statement.txt')] []"
[ "$(cat check.txt)" = "$want" ] && pass || fail "manifest: $(cat check.txt)"

NAME=package.template_hashes_are_the_kit_files
python3 - KOVAL-2027-01.zip "$KIT" > check.txt <<'EOF'
import hashlib, json, sys, zipfile
m = json.loads(zipfile.ZipFile(sys.argv[1]).read("KOVAL-2027-01/manifest.json"))
for t in m["kit"]["templates"]:
    print(t["sha256"] == hashlib.sha256(open(sys.argv[2] + "/" + t["file"], "rb").read()).hexdigest())
EOF
[ "$(cat check.txt)" = "True
True" ] && pass || fail "$(cat check.txt)"

NAME=verify.accepts_a_good_package
run verify KOVAL-2027-01.zip
expect 0 "KOVAL-2027-01.zip: all 4 files match the manifest" ""

NAME=verify.one_file_package_says_its_one_file
"$CASEPACK" batch eu-petition-letter --records "$CASEPACK_ROOT/examples/eu-petition-letter/records.csv" \
    -d "$CASEPACK_ROOT/examples/eu-petition-letter/case.yaml" -o eu --name one 2> /dev/null
run verify eu/one.zip
expect 0 "eu/one.zip: its one file matches the manifest" ""

NAME=verify.full_disk_is_an_error_with_a_message
"$CASEPACK" verify KOVAL-2027-01.zip > /dev/full 2> .stderr; STATUS=$?; OUT=""; ERR=$(cat .stderr)
expect 3 "" "casepack: error: cannot write to standard output: No space left on device"

NAME=verify.names_a_changed_file
cp KOVAL-2027-01.zip good.zip
rewrite_zip good.zip changed.zip flip KOVAL-2027-01/annexes/A02-zaiava-svidka.txt
changed=$(zip_cat changed.zip KOVAL-2027-01/annexes/A02-zaiava-svidka.txt | sha256sum | cut -d' ' -f1)
listed=$(sha256sum < annexes/statement.txt | cut -d' ' -f1)
run verify changed.zip
expect 1 "" "casepack: error: changed.zip:KOVAL-2027-01/annexes/A02-zaiava-svidka.txt: changed: its SHA-256 is $changed, the manifest says $listed"

NAME=verify.names_a_changed_document
rewrite_zip good.zip changed.zip flip KOVAL-2027-01/01-letter.docx
run verify changed.zip
[ "$STATUS" = 1 ] && [[ "$ERR" == "casepack: error: changed.zip:KOVAL-2027-01/01-letter.docx: changed: its SHA-256 is "* ]] \
    && [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && pass || fail "status $STATUS: $ERR"

NAME=verify.names_a_missing_file
rewrite_zip good.zip missing.zip drop KOVAL-2027-01/annexes/A01-passport-copy.pdf
run verify missing.zip
expect 1 "" "casepack: error: missing.zip:KOVAL-2027-01/annexes/A01-passport-copy.pdf: missing: the manifest lists this file but the package does not hold it"

NAME=verify.names_an_extra_file
rewrite_zip good.zip extra.zip add KOVAL-2027-01/annexes/A03-late.txt
run verify extra.zip
expect 1 "" "casepack: error: extra.zip:KOVAL-2027-01/annexes/A03-late.txt: extra: the package holds this file but the manifest does not list it"

NAME=verify.reports_every_problem_at_once
rewrite_zip good.zip step.zip drop KOVAL-2027-01/annexes/A01-passport-copy.pdf
rewrite_zip step.zip both.zip add KOVAL-2027-01/notes.txt
run verify both.zip
expect 1 "" "casepack: error: both.zip:KOVAL-2027-01/annexes/A01-passport-copy.pdf: missing: the manifest lists this file but the package does not hold it
casepack: error: both.zip:KOVAL-2027-01/notes.txt: extra: the package holds this file but the manifest does not list it"

NAME=verify.rejects_a_zip_without_manifest
rewrite_zip good.zip nomanifest.zip drop KOVAL-2027-01/manifest.json
run verify nomanifest.zip
expect 1 "" "casepack: error: nomanifest.zip: the package has no <case-id>/manifest.json: it was not made by casepack package, or its manifest was removed"

NAME=verify.missing_package_is_io_error
run verify nowhere.zip
expect 3 "" "casepack: error: nowhere.zip: cannot read the file: No such file or directory"

NAME=verify.usage_without_package
run verify
expect 2 "" "casepack: error: verify needs a PACKAGE.zip
Try 'casepack --help'."

# ---- reproducibility ----

NAME=package.reproducible_with_source_date_epoch; case_folder
mkdir one two
run package case.yaml --kits "$KITS" -o one
run package case.yaml --kits "$KITS" -o two
[ "$(sha one/KOVAL-2027-01.zip)" = "$(sha two/KOVAL-2027-01.zip)" ] && pass \
    || fail "two runs differ"

NAME=package.reproducible_with_date_flag
mkdir three four
SOURCE_DATE_EPOCH= run package case.yaml --kits "$KITS" -o three --date 2027-01-17
sleep 1
SOURCE_DATE_EPOCH= run package case.yaml --kits "$KITS" -o four --date 2027-01-17
[ "$(sha three/KOVAL-2027-01.zip)" = "$(sha four/KOVAL-2027-01.zip)" ] \
    && [ "$(zip_cat three/KOVAL-2027-01.zip KOVAL-2027-01/manifest.json | grep '"generated"')" = '  "generated": "2027-01-17T00:00:00Z",' ] \
    && pass || fail "two runs differ, or the date is not the flag's"

NAME=package.another_date_another_zip
[ "$(sha one/KOVAL-2027-01.zip)" != "$(sha three/KOVAL-2027-01.zip)" ] && pass || fail "same bytes"

NAME=package.clock_date_is_marked_not_reproducible
mkdir five
SOURCE_DATE_EPOCH= run package case.yaml --kits "$KITS" -o five
python3 -c 'import json, sys, zipfile; m = json.loads(zipfile.ZipFile(sys.argv[1]).read("KOVAL-2027-01/manifest.json")); print(m["reproducible"], m["notes"])' \
    five/KOVAL-2027-01.zip > check.txt
[ "$(cat check.txt)" = "False ['the date was taken from the clock: set SOURCE_DATE_EPOCH or --date for a package that can be rebuilt byte for byte']" ] \
    && pass || fail "$(cat check.txt)"

NAME=package.bad_date_flag
run package case.yaml --kits "$KITS" --date 17.01.2027
expect 2 "" 'casepack: error: --date takes a calendar date written YYYY-MM-DD (e.g. 2027-01-17), not 17.01.2027'

NAME=package.impossible_date
run package case.yaml --kits "$KITS" --date 2027-02-30
expect 2 "" 'casepack: error: --date takes a calendar date written YYYY-MM-DD (e.g. 2027-01-17), not 2027-02-30'

NAME=package.bad_source_date_epoch
SOURCE_DATE_EPOCH=yesterday run package case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01 UTC, not yesterday'

# ---- choosing the kit, the format, overwriting ----

NAME=package.kit_flag_overrides_nothing_missing; case_folder
sed -i '/^kit:/d' case.yaml
run package case.yaml --kits "$KITS"
expect 1 "" "casepack: error: case.yaml: the case names no kit; add a line \`kit: <kit id>\` at the top of the case file (see \`casepack kits\`), or give --kit KIT"

NAME=package.kit_flag
run package case.yaml --kits "$KITS" --kit pkgtest
expect 0 "wrote KOVAL-2027-01.zip (7.0 KB)" ""

NAME=package.never_overwrites_without_force
run package case.yaml --kits "$KITS" --kit pkgtest
expect 1 "" "casepack: error: KOVAL-2027-01.zip: already exists; casepack does not overwrite a package without --force (or choose another folder with -o)"

NAME=package.force_overwrites
run package case.yaml --kits "$KITS" --kit pkgtest --force
expect 0 "wrote KOVAL-2027-01.zip (7.0 KB)" ""

NAME=package.format_odt_from_the_case; case_folder
printf 'format: odt\n' >> case.yaml
run package case.yaml --kits "$KITS"
expect_status 0 && [ "$(zip_names KOVAL-2027-01.zip | sed -n 1,2p)" = "KOVAL-2027-01/01-letter.odt
KOVAL-2027-01/02-KOVAL-2027-01-note.odt" ] && pass || fail "$(zip_names KOVAL-2027-01.zip)"

NAME=package.format_flag_wins; case_folder
printf 'format: odt\n' >> case.yaml
run package case.yaml --kits "$KITS" --format docx -o out
expect_status 0 && [ "$(zip_names out/KOVAL-2027-01.zip | sed -n 1p)" = "KOVAL-2027-01/01-letter.docx" ] \
    && pass || fail "$(zip_names out/KOVAL-2027-01.zip)"

NAME=package.output_folder_made; case_folder
run package case.yaml --kits "$KITS" -o filed
expect 0 "wrote filed/KOVAL-2027-01.zip (7.0 KB)" ""

NAME=package.unverified_citation_listed_in_manifest; case_folder
printf 'with_citation: true\n' >> case.yaml
run package case.yaml --kits "$KITS" --citations "$KIT/citations.yaml"
python3 -c 'import json, sys, zipfile; print(json.loads(zipfile.ZipFile(sys.argv[1]).read("KOVAL-2027-01/manifest.json"))["warnings"])' \
    KOVAL-2027-01.zip > check.txt 2>&1
expect_status 0 && [ "$ERR" = "casepack: warning: $KIT/letter.docx:word/document.xml:p5: citation \"PKG-UNVERIFIED\" is unverified: check it against the official text before filing" ] \
    && [ "$(cat check.txt)" = "[{'document': 'letter', 'citation': 'PKG-UNVERIFIED', 'status': 'unverified', 'message': 'letter.docx:word/document.xml:p5: citation \"PKG-UNVERIFIED\" is unverified: check it against the official text before filing'}]" ] \
    && [ "$(docx_body KOVAL-2027-01.zip KOVAL-2027-01/01-letter.docx | tail -1)" = "Authority: Unchecked Guideline, para 1" ] \
    && pass || fail "stderr: $ERR; warnings: $(cat check.txt)"

NAME=package.strict_refuses_warnings
rm -f KOVAL-2027-01.zip
run package case.yaml --kits "$KITS" --citations "$KIT/citations.yaml" --strict
expect 1 "" "casepack: warning: $KIT/letter.docx:word/document.xml:p5: citation \"PKG-UNVERIFIED\" is unverified: check it against the official text before filing
casepack: error: --strict makes the warnings above errors: no package was written"
only_files annexes case.yaml check.txt || fail "files written: $(ls -A)"

# ---- bad input: every problem at once, at its line, nothing written ----

NAME=package.schema_errors_all_at_once; case_folder
cat > case.yaml <<'EOF'
kit: pkgtest
id: KOVAL-2027-01
annexes:
  - title: No file
  - file: annexes/passport.pdf
    pages: 3
EOF
run package case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: case.yaml:1:1: "client" is required
casepack: error: case.yaml:4:5: annexes.0: "file" is required
casepack: error: case.yaml:6:12: annexes.1.pages: unknown field "pages"; the fields allowed here are file, title
casepack: error: case.yaml:4:5: annex A01: each annex needs `file`, the path of the file to attach (relative to the case file'"'"'s folder)'
only_files annexes case.yaml || fail "files written: $(ls -A)"

NAME=package.annex_problems_each_at_its_line; case_folder
mkdir inner; printf 'inside\n' > inner/ok.txt; printf 'secret\n' > ../secret.txt
ln -s ../secret.txt escape.txt; ln -s inner/ok.txt fine.txt; mkfifo pipe
cat >> case.yaml <<'EOF'
  - file: ../secret.txt
  - file: inner/../../secret.txt
  - file: escape.txt
  - file: nowhere.pdf
  - file: inner
  - file: pipe
  - file: fine.txt
    title: Fine
EOF
run package case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: case.yaml:11:11: annex A03: file "../secret.txt" is outside the case'"'"'s folder; copy the file into the folder of the case file (or a folder inside it) and name it from there
casepack: error: case.yaml:12:11: annex A04: file "inner/../../secret.txt" is outside the case'"'"'s folder; copy the file into the folder of the case file (or a folder inside it) and name it from there
casepack: error: case.yaml:13:11: annex A05: file "escape.txt" leads outside the case'"'"'s folder through a symbolic link; copy the file itself into the case'"'"'s folder
casepack: error: case.yaml:14:11: annex A06: file "nowhere.pdf" does not exist (looked for nowhere.pdf); annex paths are relative to the folder of the case file
casepack: error: case.yaml:15:11: annex A07: file "inner" is a folder, not a regular file; name the file to attach
casepack: error: case.yaml:16:11: annex A08: file "pipe" is a special file, not a regular file; name the file to attach'
only_files annexes case.yaml inner escape.txt fine.txt pipe || fail "files written: $(ls -A)"

NAME=package.annex_paths_relative_to_the_case_file; fresh
mkdir -p cases/k/annexes; cp -r "$KIT/case/." cases/k/
printf '  - file: annexes/missing.pdf\n' >> cases/k/case.yaml
run package cases/k/case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: cases/k/case.yaml:11:11: annex A03: file "annexes/missing.pdf" does not exist (looked for cases/k/annexes/missing.pdf); annex paths are relative to the folder of the case file'

NAME=package.annex_symlink_inside_the_folder_is_fine; case_folder
ln -s annexes/statement.txt link.txt
cat > case.yaml <<'EOF'
kit: pkgtest
id: KOVAL-2027-01
client: {name: Olena Koval}
annexes:
  - file: link.txt
    title: Statement
EOF
run package case.yaml --kits "$KITS"
expect_status 0 && [ "$(zip_names KOVAL-2027-01.zip | grep annexes/)" = "KOVAL-2027-01/annexes/A01-statement.txt" ] \
    && pass || fail "$(zip_names KOVAL-2027-01.zip)"

NAME=package.same_annex_twice; case_folder
cat >> case.yaml <<'EOF'
  - file: ./annexes/passport.pdf
    title: Passport again
EOF
run package case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: case.yaml:11:11: annex A03: file "./annexes/passport.pdf" is the same file as annex A01 (line 7); list each file once'

NAME=package.two_annexes_same_name; case_folder
printf 'copy\n' > annexes/passport2.pdf
cat >> case.yaml <<'EOF'
  - file: annexes/passport2.pdf
    title: "Passport copy!"
EOF
run package case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: case.yaml:11:5: annex A03: annexes A01 and A03 would have the same name "passport-copy.pdf" after their numbers; give them different titles'
only_files annexes case.yaml || fail "files written: $(ls -A)"

NAME=package.annex_without_title_named_from_its_file; case_folder
cat > case.yaml <<'EOF'
kit: pkgtest
id: KOVAL-2027-01
client: {name: Olena Koval}
annexes:
  - file: annexes/statement.txt
EOF
run package case.yaml --kits "$KITS"
expect_status 0 && [ "$(zip_names KOVAL-2027-01.zip | grep annexes/)" = "KOVAL-2027-01/annexes/A01-statement.txt" ] \
    && pass || fail "$(zip_names KOVAL-2027-01.zip)"

for bad in '../escape' '.hidden' 'two words' 'a/b' 'Коваль' "$(printf 'x%.0s' $(seq 101))"; do
    NAME="package.unsafe_case_id:$(printf %q "${bad:0:12}")"; case_folder
    sed -i "s|^id: .*|id: \"$bad\"|" case.yaml
    shown=$bad
    [ ${#bad} -gt 80 ] && shown="${bad:0:80}…" # messages quote 80 bytes at most
    run package case.yaml --kits "$KITS"
    expect 1 "" "casepack: error: case.yaml:3:5: id: \"$shown\" cannot name the package: use only letters, digits, \"-\", \"_\" and \".\" (not first), at most 100 characters"
done

NAME=package.case_id_under_case; case_folder
sed -i 's|^id: .*|case: {id: "bad id"}|' case.yaml
sed -i '/^client:/i id: KOVAL-2027-01' case.yaml
run package case.yaml --kits "$KITS"
expect 1 "" 'casepack: error: case.yaml:3:12: case.id: "bad id" cannot name the package: use only letters, digits, "-", "_" and "." (not first), at most 100 characters'


NAME=package.case_id_of_100_bytes_is_fine; case_folder
long=$(printf 'x%.0s' $(seq 100))
sed -i "s|^id: .*|id: $long|" case.yaml
run package case.yaml --kits "$KITS"
expect_status 0 && [ -f "$long.zip" ] && pass || fail "$(ls)"

# ---- --max-size ----

NAME=package.max_size_refuses_and_names_the_largest; case_folder
head -c 20000 /dev/urandom > annexes/scan.jpg
printf '  - file: annexes/scan.jpg\n    title: Scan\n' >> case.yaml
run package case.yaml --kits "$KITS" --max-size 10K
[ "$STATUS" = 1 ] && [[ "$ERR" =~ ^"casepack: error: KOVAL-2027-01.zip: the package would be 2"[0-9.]+" KB ("[0-9]+" bytes), over the limit of 10.0 KB (10240 bytes) set with --max-size; its largest files are annexes/A03-scan.jpg (19.5 KB), 02-KOVAL-2027-01-note.docx (4.0 KB) and 01-letter.docx ("[0-9.]+" KB): leave out or shrink an annex, or raise --max-size"$ ]] \
    && only_files annexes case.yaml && pass || fail "status $STATUS: $ERR; files: $(ls -A)"

NAME=package.max_size_large_enough
run package case.yaml --kits "$KITS" --max-size 1M
expect_status 0 && pass

NAME=package.max_size_bad_value
run package case.yaml --kits "$KITS" --max-size lots
expect 2 "" "casepack: error: --max-size takes a positive size (K, M or G may follow, e.g. 10M), not 'lots'
Try 'casepack --help'."

# ---- encryption ----

NAME=package.password_flag_refused; case_folder
run package case.yaml --kits "$KITS" --encrypt --password hunter2
expect 2 "" "casepack: error: --password is not accepted: a password on the command line can be read by other users of this computer and stays in the shell's history; put it in a file and give --password-file FILE, or set the environment variable CASEPACK_PASSWORD
Try 'casepack --help'."

NAME=package.encrypt_needs_a_password
CASEPACK_PASSWORD= run package case.yaml --kits "$KITS" --encrypt
expect 1 "" "casepack: error: --encrypt needs a password: put it in a file and give --password-file FILE, or set the environment variable CASEPACK_PASSWORD"
only_files annexes case.yaml || fail "files written: $(ls -A)"

NAME=package.empty_password_file
: > pw.txt
run package case.yaml --kits "$KITS" --encrypt --password-file pw.txt
expect 1 "" "casepack: error: pw.txt: the password file holds no password on its first line"

NAME=package.encrypted_with_password_file
printf 'correct horse\nsecond line ignored\n' > pw.txt
run package case.yaml --kits "$KITS" --encrypt --password-file pw.txt
expect 0 "wrote KOVAL-2027-01.zip (7.3 KB)" ""

NAME=package.encrypted_is_private
[ "$(stat -c %a KOVAL-2027-01.zip)" = 600 ] && pass || fail "mode $(stat -c %a KOVAL-2027-01.zip)"

NAME=package.encrypted_entries_are_aes
python3 -c 'import sys, zipfile; print(sorted({(i.flag_bits & 1, i.compress_type) for i in zipfile.ZipFile(sys.argv[1]).infolist()}))' \
    KOVAL-2027-01.zip > check.txt
[ "$(cat check.txt)" = "[(1, 99)]" ] && pass || fail "$(cat check.txt)"

NAME=package.7z_opens_with_the_right_password
mkdir x
if 7z x -p'correct horse' -ox KOVAL-2027-01.zip > 7z.log 2>&1 \
    && cmp -s x/KOVAL-2027-01/annexes/A01-passport-copy.pdf annexes/passport.pdf \
    && [ -s x/KOVAL-2027-01/manifest.json ]; then pass; else fail "$(cat 7z.log)"; fi

NAME=package.7z_refuses_a_wrong_password
mkdir y
if 7z x -p'wrong horse' -oy KOVAL-2027-01.zip > 7z.log 2>&1; then
    fail "7z extracted with a wrong password"
elif grep -q "Wrong password" 7z.log && [ ! -s y/KOVAL-2027-01/manifest.json ]; then
    pass
else
    fail "$(cat 7z.log)"
fi

NAME=verify.encrypted_with_password_file
run verify KOVAL-2027-01.zip --password-file pw.txt
expect 0 "KOVAL-2027-01.zip: all 4 files match the manifest" ""

NAME=verify.encrypted_with_environment
CASEPACK_PASSWORD='correct horse' run verify KOVAL-2027-01.zip
expect 0 "KOVAL-2027-01.zip: all 4 files match the manifest" ""

NAME=verify.encrypted_without_password
CASEPACK_PASSWORD= run verify KOVAL-2027-01.zip
expect 1 "" "casepack: error: KOVAL-2027-01.zip: the package is encrypted (5 of its 5 entries); give its password in the environment variable CASEPACK_PASSWORD or with --password-file FILE"

NAME=verify.encrypted_wrong_password
CASEPACK_PASSWORD='wrong horse' run verify KOVAL-2027-01.zip
expect 1 "" "casepack: error: KOVAL-2027-01.zip: the password does not open the package; check the password given in CASEPACK_PASSWORD or --password-file"

NAME=verify.password_flag_refused
run verify KOVAL-2027-01.zip --password='correct horse'
expect 2 "" "casepack: error: --password is not accepted: a password on the command line can be read by other users of this computer and stays in the shell's history; put it in a file and give --password-file FILE, or set the environment variable CASEPACK_PASSWORD
Try 'casepack --help'."

NAME=package.encrypted_manifest_says_not_reproducible
7z x -so -p'correct horse' KOVAL-2027-01.zip KOVAL-2027-01/manifest.json 2> /dev/null \
    | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["encrypted"], m["reproducible"])' > check.txt
[ "$(cat check.txt)" = "True False" ] && pass || fail "$(cat check.txt)"

# ---- --pdf without LibreOffice ----

NAME=package.pdf_without_libreoffice_on_path; case_folder
# A PATH with only what the test itself runs.
mkdir bin; ln -s "$(command -v cat)" bin/cat
PATH="$WORK/bin" CASEPACK_SOFFICE= run package case.yaml --kits "$KITS" --pdf
expect 1 "" "casepack: error: LibreOffice is needed for --pdf: install the Debian package libreoffice-writer-nogui"
only_files annexes bin case.yaml || fail "files written: $(ls -A)"

NAME=package.pdf_with_a_missing_soffice
CASEPACK_SOFFICE=/nonexistent/soffice run package case.yaml --kits "$KITS" --pdf
expect 1 "" "casepack: error: LibreOffice is needed for --pdf: install the Debian package libreoffice-writer-nogui"

NAME=package.pdf_timeout_stops_libreoffice; case_folder
mkdir tmp
printf '#!/bin/sh\nsleep 30\n' > fake-soffice; chmod +x fake-soffice
start=$(date +%s)
TMPDIR="$WORK/tmp" CASEPACK_SOFFICE="$WORK/fake-soffice" run package case.yaml --kits "$KITS" --pdf --pdf-timeout 1
took=$(( $(date +%s) - start ))
expect 3 "" "casepack: error: LibreOffice did not finish converting the documents to PDF within 1 seconds and was stopped; try again, or allow more time with --pdf-timeout"
[ "$took" -lt 10 ] && [ -z "$(ls -A tmp)" ] && only_files annexes case.yaml fake-soffice tmp \
    || fail "took ${took}s; left: $(ls -A . tmp)"

NAME=package.pdf_failure_names_the_document
printf '#!/bin/sh\necho "Error: source file could not be loaded"\nexit 1\n' > fake-soffice
TMPDIR="$WORK/tmp" CASEPACK_SOFFICE="$WORK/fake-soffice" run package case.yaml --kits "$KITS" --pdf
expect 3 "" "casepack: error: LibreOffice made no PDF of 01-letter.docx (it exited with status 1: Error: source file could not be loaded); open the document in LibreOffice to see why, or package without --pdf"
[ -z "$(ls -A tmp)" ] && only_files annexes case.yaml fake-soffice tmp || fail "left: $(ls -A . tmp)"

NAME=package.pdf_timeout_bad_value
run package case.yaml --kits "$KITS" --pdf --pdf-timeout soon
expect 2 "" "casepack: error: --pdf-timeout takes a number of seconds (1 to 86400), not 'soon'
Try 'casepack --help'."

# ---- usage ----

NAME=package.usage_no_case; fresh
run package
expect 2 "" "casepack: error: package needs a CASE file (YAML or JSON)
Try 'casepack --help'."

NAME=package.usage_stdin_case
run package -
expect 2 "" "casepack: error: package reads its CASE from a file, not standard input: annex paths are relative to the case file's folder
Try 'casepack --help'."

NAME=package.unknown_kit; case_folder
run package case.yaml --kits "$KITS" --kit nosuchkit
[ "$STATUS" = 1 ] && [[ "$ERR" == 'casepack: error: there is no kit "nosuchkit"; the kits are: '*pkgtest* ]] \
    && pass || fail "status $STATUS: $ERR"

NAME=package.missing_case_is_io_error; fresh
run package nowhere.yaml --kits "$KITS"
expect 3 "" "casepack: error: nowhere.yaml: cannot read the data file: No such file or directory"

finish
