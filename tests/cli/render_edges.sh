# Odd inputs a user may give render, fields and the other commands, found in
# review: partials that do not compile, limits past what their field holds,
# standard input named twice, locales ICU does not know, an output that
# would overwrite an input, a folder that is not there, a full disk.
. "$(dirname "$0")/lib.sh"

# The first pass's partial errors were dropped when a table of authorities
# before a citation made doc_render render a second time: exit 0, partial
# silently empty.
NAME=edges.broken_partial_reported_when_rendered_twice; fresh
mkdir parts; printf 'broken {{#x}}\n' > parts/bad.txt
printf '{{#authorities}}{{short}}\n{{/authorities}}{{> bad}}\n{{cite "RC51-33"}}\n' > t.txt
run render t.txt --partials parts -o -
expect 1 "" 'casepack: error: parts/bad.txt:1:8: section "x" opened at 1:8 is never closed: add {{/x}}'

# The partial cache told only the first record of a batch that its partial
# did not compile; the others were written with the partial left out.
NAME=edges.broken_partial_fails_every_batch_record; fresh
mkdir parts; printf 'broken {{#x}}\n' > parts/bad.txt
printf 'Hi {{name}} {{> bad}}\n' > t.txt
printf 'name\nA\nB\nC\n' > r.csv
run batch t.txt --records r.csv --partials parts -o out -j 2 --progress none
expect_status 1 && [ "$(ls out)" = report.json ] &&
    [ "$(grep -c 'is never closed' .stderr)" = 3 ] && pass || fail "wrote $(ls out); $ERR"

NAME=edges.partial_over_the_size_limit_is_an_error; fresh
mkdir parts; head -c 2000 /dev/zero | tr '\0' x > parts/big.txt
printf '{{> big}}\n' > t.txt
run render t.txt --partials parts --max-total-size 1K -o -
expect 1 "" "casepack: error: parts/big.txt: the partial is larger than the limit of 1024 bytes; raise it with --max-total-size"

# --max-depth 4294967296 became a limit of 0, refusing every map.
NAME=edges.limit_past_its_range_is_a_usage_error; fresh
printf 'x\n' > t.txt
run render t.txt --max-depth 4294967296 -o -
expect 2 "" "casepack: error: --max-depth is at most 4294967295, not '4294967296'"
run render t.txt --max-partial-depth=8G -o -
expect 2 "" "casepack: error: --max-partial-depth is at most 4294967295, not '8G'"

# The second -d - read an empty standard input and rendered as if given nothing.
NAME=edges.standard_input_is_read_once; fresh
printf '{{a}}\n' > t.txt
printf 'a: 1\n' | "$CASEPACK" render t.txt -d - -d - -o - > .stdout 2> .stderr
STATUS=$?; OUT=$(cat .stdout); ERR=$(cat .stderr)
expect 2 "" "casepack: error: standard input is named twice ('-'), and it can be read only once
Try 'casepack --help'."

# An unknown locale gave English dates without a word.
NAME=edges.unknown_locale_is_a_usage_error; fresh
printf '{{d | date "d MMMM y"}}\n' > t.txt; printf 'd: 2027-01-17\n' > d.yaml
run render t.txt -d d.yaml --locale nonsense -o -
expect 2 "" "casepack: error: --locale 'nonsense' is not a language casepack knows; write a language code such as uk, en or en-GB
Try 'casepack --help'."
run cite show RC51-33 --locale xx
expect 2 "" "casepack: error: --locale 'xx' is not a language casepack knows; write a language code such as uk, en or en-GB
Try 'casepack --help'."

# A POSIX locale name ($LANG) lost its language and gave English dates.
NAME=edges.posix_locale_names_keep_their_language; fresh
printf '{{d | date "d MMMM y"}}\n' > t.txt; printf 'd: 2027-01-17\n' > d.yaml
run render t.txt -d d.yaml --locale uk_UA.UTF-8 -o -
expect 0 "17 січня 2027" ""

# --force let the output overwrite the template (render t.txt in its own
# folder names the output t.txt) or a data file.
NAME=edges.output_never_overwrites_an_input; fresh
printf 'Hi {{name}}\n' > t.txt; printf 'name: A\n' > d.yaml
run render t.txt -d d.yaml
expect 1 "" "casepack: error: t.txt: this is the template, which the output would overwrite; choose another name with -o"
run render t.txt -d d.yaml --force
expect 1 "" "casepack: error: t.txt: this is the template, which the output would overwrite; choose another name with -o"
run render t.txt -d d.yaml -o d.yaml --force
expect 1 "" "casepack: error: d.yaml: this is a data file of this render, which the output would overwrite; choose another name with -o"
[ "$(cat t.txt)" = 'Hi {{name}}' ] && [ "$(cat d.yaml)" = 'name: A' ] || fail "an input changed"

NAME=edges.output_folder_missing_says_what_to_do; fresh
printf 'x\n' > t.txt
run render t.txt -o nofolder/x.txt
expect 3 "" 'casepack: error: nofolder/x.txt: cannot write: there is no folder "nofolder"; create it first, or choose another place with -o'

# Help and version went to a full disk with exit status 0.
NAME=edges.help_and_version_check_their_output; fresh
"$CASEPACK" --help > /dev/full 2> .stderr; STATUS=$?; OUT=""; ERR=$(cat .stderr)
expect 3 "" "casepack: error: cannot write to standard output: No space left on device"
"$CASEPACK" --version > /dev/full 2> .stderr; STATUS=$?; ERR=$(cat .stderr)
expect 3 "" "casepack: error: cannot write to standard output: No space left on device"
"$CASEPACK" render --help > /dev/full 2> .stderr; STATUS=$?; ERR=$(cat .stderr)
expect 3 "" "casepack: error: cannot write to standard output: No space left on device"

# A tag holding a tab or a line break (a multi-line comment) broke the
# one-tag-per-line, tab-separated listing of fields.
NAME=edges.fields_text_keeps_one_tag_per_line; fresh
printf '{{a\t| upper}} {{! two\nlines }}\n' > f.txt
run fields f.txt
expect 0 "f.txt:1:1	value	a\\t| upper	a
f.txt:1:15	comment	! two\\nlines 	-" ""

# A mistyped --partials or --kits folder was skipped without a word: the
# partials rendered empty, the kits were not there.
NAME=edges.named_folders_must_exist; fresh
printf '{{> sig}}\n' > t.txt
run render t.txt --partials nope -o -
expect 2 "" "casepack: error: --partials 'nope' is not a folder; name the folder that holds them
Try 'casepack --help'."
run kits --kits nope
expect 2 "" "casepack: error: --kits 'nope' is not a folder; name the folder that holds them
Try 'casepack --help'."
run render t.txt --kit x --kits t.txt -o -
expect 2 "" "casepack: error: --kits 't.txt' is not a folder; name the folder that holds them
Try 'casepack --help'."

# Documents take no partials yet (DESIGN: the clause library): the tag
# rendered nothing without a word, and --strict blamed a missing file.
NAME=edges.partials_in_documents_are_warned_about; fresh
sed 's/Hello {{name}}!/Hello {{name}}! {{> clause}}/' "$FIX/src/minimal.fodt" > p.fodt
mkdir cl; printf 'Clause\n' > cl/clause.fodt; printf 'name: A\n' > a.yaml
run render p.fodt -d a.yaml --partials cl -o out.fodt
expect 0 "" "casepack: warning: p.fodt:p1: {{> clause}}: partials work only in text templates for now, so in a document this tag shows nothing; write the clause into the document itself"
run render p.fodt -d a.yaml --partials cl -o strict.fodt --strict
expect 1 "" "casepack: warning: p.fodt:p1: {{> clause}}: partials work only in text templates for now, so in a document this tag shows nothing; write the clause into the document itself"

# A partial that is not UTF-8 was named without the place of the bad byte.
NAME=edges.partial_not_utf8_names_its_place; fresh
mkdir parts; printf 'one\ntwo \377\n' > parts/p.txt; printf '{{> p}}\n' > t.txt
run render t.txt --partials parts -o -
expect 1 "" "casepack: error: parts/p.txt:2:5: the partial is not valid UTF-8 (byte 0xFF); save it as UTF-8 text"

# A CSV file given as case data was read as YAML, one long text, and every
# field rendered empty without a word.
NAME=edges.csv_is_not_case_data; fresh
printf 'Hi {{name}}\n' > t.txt; printf 'name\nBob\n' > r.csv
run render t.txt -d r.csv -o -
expect 1 "" "casepack: error: r.csv: a CSV file holds records, not the data of one case (YAML or JSON); for one document per row, use casepack batch with --records r.csv"

finish
