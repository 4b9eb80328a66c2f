# casepack kits, new, check and render --kit, over the small test kits in
# tests/cli/kits/ (mini, notes) and a citation library of our own: nothing
# here depends on the shipped kits or library.
. "$(dirname "$0")/lib.sh"

KITS="$CASEPACK_ROOT/tests/cli/kits"
TPL="$TMP_ROOT/templates"
mkdir -p "$TPL/citations"
cat > "$TPL/citations/lib.yaml" <<'EOF'
RC51-33:
  kind: treaty-article
  title: "Convention relating to the Status of Refugees, Art. 33"
  title_uk: "Конвенція про статус біженців"
  short: "1951 Convention, Art. 33"
  short_uk: "ст. 33 Конвенції 1951 року"
  status: verified
NR:
  title: "Non-refoulement & friends"
  short: "NR"
  status: unverified
HB-195:
  title: Handbook
  short: Handbook, paras 195-205
  status: partly
EOF
export CASEPACK_TEMPLATES="$TPL"

# The test kits, copied in, and a case for mini that conforms.
kit_folder() {
    cp -r "$KITS/mini" "$KITS/notes" .
    cat > case.yaml <<'EOF'
kit: mini
applicant:
  name: Olena Koval
decision:
  date: "2026-11-20"
grounds:
  - text: Persecution for her political opinion
    cite: RC51-33
  - text: Credibility
    cite: HB-195
EOF
}

# The same case with a problem of each kind.
bad_case() {
    cat > bad.yaml <<'EOF'
kit: mini
applicant:
  nmae: Olena Koval
decision:
  date: "20/11/2026"
grounds:
  - text: Persecution
    cite: RC51-3
  - text: Credibility
    cite: NOPE
EOF
}

BAD_ERRORS='casepack: error: bad.yaml:3:3: applicant: "name" is required (Full name)
casepack: error: bad.yaml:5:9: decision.date: "20/11/2026" is not a date; write it as YYYY-MM-DD
casepack: error: bad.yaml:8:11: grounds.0.cite: unknown citation "RC51-3" (did you mean "RC51-33"?); `casepack cite list` shows the keys
casepack: error: bad.yaml:10:11: grounds.1.cite: unknown citation "NOPE"; `casepack cite list` shows the keys'

NAME=kits.lists_id_title_documents_aligned; fresh; kit_folder
run kits --kits .
expect 0 "mini   Mini appeal       letter
notes  Notes for a file  cover, index" ""

NAME=kits.shipped_folder_too_and_first_match_wins; fresh; kit_folder
mkdir -p "$TPL/shipped"
printf 'id: shipped\ntitle: Shipped one\ndocuments:\n  - {id: a, template: a.txt}\n' > "$TPL/shipped/kit.yaml"
printf 'a\n' > "$TPL/shipped/a.txt"
mkdir -p mine/notes; printf 'id: notes\ntitle: My notes\ndocuments:\n  - {id: n, template: n.txt}\n' > mine/notes/kit.yaml
printf 'n\n' > mine/notes/n.txt
run kits --kits mine --kits .
rm -rf "$TPL/shipped"
expect 0 "mini     Mini appeal  letter
notes    My notes     n
shipped  Shipped one  a" ""

NAME=kits.broken_kit_is_reported_others_listed; fresh; kit_folder
mkdir broken; printf 'id: broken\ntitel: x\ndocuments: []\n' > broken/kit.yaml
run kits --kits .
expect 1 "mini   Mini appeal       letter
notes  Notes for a file  cover, index" 'casepack: error: ./broken/kit.yaml:2:1: unknown field "titel" in the kit; the fields are id, title, description, locale, schema, defaults and documents
casepack: error: ./broken/kit.yaml:1:1: the kit has no "title"; add it
casepack: error: ./broken/kit.yaml:3:1: "documents" must be a list of the kit'"'"'s documents, each with an id and a template (- id: claim / template: claim)'

NAME=kits.takes_no_arguments; fresh
run kits mini
expect 2 "" "casepack: error: kits takes no arguments, not 'mini' (to add a folder of kits: --kits DIR)
Try 'casepack --help'."

NAME=new.prints_header_and_skeleton; fresh; kit_folder
run new mini --kits .
expect 0 '# A case for the kit mini: Mini appeal.
# Fill in every field (the comment above each says what goes there), then check
# the file and render the documents:
#   casepack check --kits . mini case.yaml
#   casepack render ./mini/letter.txt --kits . --kit mini -d case.yaml

# Mini appeal

# the kit this case is for: keep it as it is
# one of: mini
kit: mini

# The person appealing (required)
applicant:
  # Full name (required)
  # e.g. Olena Koval
  name: Olena Koval

# (required)
decision:
  # Date of the refusal (required)
  # e.g. 2026-11-20
  date: "2026-11-20"

# The grounds of appeal (required)
grounds:
  # (required)
  # e.g. Persecution for political opinion
  - text: Persecution for political opinion
    # A citation key (required)
    # e.g. RC51-33
    cite: RC51-33

# The court (the kit gives one)
court: ""' ""

NAME=new.skeleton_passes_check; fresh; kit_folder
"$CASEPACK" new mini --kits . > skeleton.yaml
run check mini skeleton.yaml --kits .
expect 0 "" ""

NAME=new.kit_by_path_without_schema; fresh; kit_folder
run new ./notes
expect 0 '# A case for the kit notes: Notes for a file.
# Fill in every field (the comment above each says what goes there), then check
# the file and render the documents:
#   casepack check ./notes case.yaml
#   casepack render ./notes/cover.txt --kit ./notes -d case.yaml
#   casepack render ./notes/index.txt --kit ./notes -d case.yaml

kit: notes' ""

NAME=new.unknown_kit_lists_the_kits; fresh; kit_folder
run new mnii --kits .
expect 1 "" 'casepack: error: there is no kit "mnii"; the kits are: mini, notes (`casepack kits` lists them; --kits DIR adds a folder of your own)'

NAME=new.needs_one_kit; fresh
run new
expect 2 "" "casepack: error: new needs a KIT: casepack new KIT [--kits DIR]
Try 'casepack --help'."

NAME=check.conforming_case_is_silent; fresh; kit_folder
run check mini case.yaml --kits .
expect 0 "" ""

NAME=check.verbose_says_which_conform; fresh; kit_folder
run check --kits . -v mini case.yaml
expect 0 "case.yaml: conforms to mini" ""

NAME=check.every_problem_at_once; fresh; kit_folder; bad_case
run check mini bad.yaml --kits .
expect 1 "" "$BAD_ERRORS"

NAME=check.each_file_on_its_own; fresh; kit_folder; bad_case
printf 'kit: notes\napplicant: {name: A}\ndecision: {date: "2026-01-02"}\ngrounds: []\n' > other.yaml
run check mini case.yaml other.yaml --kits . --verbose
expect 1 "case.yaml: conforms to mini" 'casepack: error: other.yaml:1:6: kit: "notes" is not one of the allowed values: "mini"
casepack: error: other.yaml:4:10: grounds: the list has 0 items; at least 1 is needed'

NAME=check.defaults_fill_missing_fields; fresh; kit_folder
printf 'properties:\n  court: {type: string, pattern: "^District"}\nrequired: [court]\n' > court.yaml
run check court.yaml case.yaml
expect 1 "" 'casepack: error: case.yaml:1:1: "court" is required'
NAME=check.defaults_fill_missing_fields.with_the_kit
run check mini case.yaml --kits .
expect 0 "" ""

NAME=check.schema_file_instead_of_a_kit; fresh; kit_folder
printf 'type: object\nrequired: [who]\nproperties:\n  who: {type: string}\n' > s.yaml
printf 'who: [a]\n' > d.yaml
run check s.yaml d.yaml
expect 1 "" "casepack: error: d.yaml:1:6: who: expected text, got a list"

NAME=check.keys_read_from_nested_sections_and_dot; fresh; kit_folder
mkdir deep; cat > deep/kit.yaml <<'EOF'
id: deep
title: Deep
documents:
  - {id: t, template: t.txt}
EOF
cat > deep/t.txt <<'EOF'
{{#parts}}{{#claims}}{{cite key}}{{/claims}}{{#refs}}{{cite .}}{{/refs}}{{/parts}}
{{#extra | count}}{{cite extra.key}}{{/extra}}{{^none}}{{cite top}}{{/none}}
EOF
cat > d.yaml <<'EOF'
top: TOPX
extra: {key: NR}
parts:
  - claims: [{key: NR}, {key: BADKEY}]
    refs: [RC51-33, nr]
  - refs: [HB-195]
EOF
run check deep d.yaml --kits .
expect 1 "" 'casepack: error: d.yaml:1:6: top: unknown citation "TOPX"; `casepack cite list` shows the keys
casepack: error: d.yaml:4:31: parts.0.claims.1.key: unknown citation "BADKEY"; `casepack cite list` shows the keys
casepack: error: d.yaml:5:21: parts.0.refs.1: unknown citation "nr" (did you mean "NR"?); `casepack cite list` shows the keys'

NAME=check.missing_data_file_is_io_error; fresh; kit_folder
run check mini nowhere.yaml --kits .
expect 3 "" "casepack: error: nowhere.yaml: cannot read the data file: No such file or directory"

NAME=check.needs_kit_and_data; fresh
run check mini
expect 2 "" "casepack: error: check needs a kit (or a schema file) and at least one data file: casepack check KIT|SCHEMA DATA... [--kits DIR] [--citations FILE] [--verbose]
Try 'casepack --help'."

NAME=check.user_citations_count; fresh; kit_folder; bad_case
printf 'NOPE:\n  title: Mine\n  short: Mine\n  status: verified\n' > mine.yaml
run check mini bad.yaml --kits . --citations mine.yaml
expect 1 "" "$(printf '%s\n' "$BAD_ERRORS" | head -3)"

NAME=render_kit.defaults_locale_and_citations; fresh; kit_folder
run render mini/letter.txt --kit mini --kits . -d case.yaml -o -
expect 0 "To the District Administrative Court
Appeal by Olena Koval against the decision of 20 листопада 2026.
1. Persecution for her political opinion (ст. 33 Конвенції 1951 року).
2. Credibility (Handbook, paras 195-205).
Non-refoulement: NR, Art. 33(1).
Authorities:
- Конвенція про статус біженців [] verified
- Handbook [] partly
- Non-refoulement &amp; friends [Art. 33(1)] unverified" 'casepack: warning: mini/letter.txt:4:24: citation "HB-195" is only partly verified: check it against the official text before filing
casepack: warning: mini/letter.txt:6:18: citation "NR" is unverified: check it against the official text before filing'

NAME=render_kit.locale_flag_and_data_locale_come_first; fresh; kit_folder
run render mini/letter.txt --kit mini --kits . -d case.yaml -o - --locale en
[ "$(printf '%s\n' "$OUT" | sed -n 2,3p)" = "Appeal by Olena Koval against the decision of 20 November 2026.
1. Persecution for her political opinion (1951 Convention, Art. 33)." ] && pass || fail "$OUT"
NAME=render_kit.data_locale; printf 'locale: en\n' > en.yaml
run render mini/letter.txt --kit mini --kits . -d case.yaml -d en.yaml -o -
[ "$(printf '%s\n' "$OUT" | sed -n 2p)" = "Appeal by Olena Koval against the decision of 20 November 2026." ] && pass || fail "$OUT"

NAME=render_kit.bad_data_writes_nothing; fresh; kit_folder; bad_case
run render mini/letter.txt --kit mini --kits . -d bad.yaml -o out.txt
expect 1 "" "$BAD_ERRORS"
only_files mini notes case.yaml bad.yaml || fail "files left: $(ls)"

NAME=render_kit.user_citations_override; fresh; kit_folder
printf 'NR:\n  title: My own NR\n  short: "NR (mine)"\n  status: verified\nHB-195:\n  title: Handbook\n  short: HB\n  status: verified\n' > mine.yaml
run render mini/letter.txt --kit mini --kits . -d case.yaml --citations mine.yaml -o -
expect 0 "To the District Administrative Court
Appeal by Olena Koval against the decision of 20 листопада 2026.
1. Persecution for her political opinion (ст. 33 Конвенції 1951 року).
2. Credibility (HB).
Non-refoulement: NR (mine), Art. 33(1).
Authorities:
- Конвенція про статус біженців [] verified
- Handbook [] verified
- My own NR [Art. 33(1)] verified" ""

NAME=render_kit.strict_makes_warnings_fail; fresh; kit_folder
run render mini/letter.txt --kit mini --kits . -d case.yaml -o out.txt --strict
expect_status 1 && only_files mini notes case.yaml && pass || fail "$(ls)"

NAME=render_kit.unknown_kit; fresh; kit_folder
run render mini/letter.txt --kit nope --kits . -d case.yaml -o out.txt
expect 1 "" 'casepack: error: there is no kit "nope"; the kits are: mini, notes (`casepack kits` lists them; --kits DIR adds a folder of your own)'

finish
