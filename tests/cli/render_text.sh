# casepack render with text templates: data merging, output rules, exit
# statuses and messages for every kind of bad input.
. "$(dirname "$0")/lib.sh"

NAME=render.basic_to_stdout; fresh
printf 'Dear {{recipient.name}},\n' > letter.txt
printf 'recipient:\n  name: Roberta Metsola\n' > case.yaml
run render letter.txt -d case.yaml -o -
expect 0 "Dear Roberta Metsola," ""

NAME=render.html_escaping_in_text_mode; fresh
printf '{{name}} / {{{name}}} / {{&name}}\n' > t.txt
printf 'name: "A & B <c> \\"d\\""\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 'A &amp; B &lt;c&gt; &quot;d&quot; / A & B <c> "d" / A & B <c> "d"' ""

NAME=render.default_output_name_in_cwd; fresh
mkdir tpl; printf 'Hello {{name}}\n' > tpl/greeting.txt
printf 'name: Soldado\n' > d.yaml
run render tpl/greeting.txt -d d.yaml
expect_status 0 && [ "$(cat greeting.txt)" = "Hello Soldado" ] && pass || fail "greeting.txt: $(cat greeting.txt 2>&1)"

NAME=render.output_is_private; fresh
printf 'x\n' > t.txt
run render t.txt -o out.txt
expect_status 0 && [ "$(stat -c %a out.txt)" = 600 ] && pass || fail "mode $(stat -c %a out.txt)"

NAME=render.never_overwrites_without_force; fresh
printf 'new\n' > t.txt; printf 'old\n' > out.txt
run render t.txt -o out.txt
expect 1 "" "casepack: error: out.txt: already exists; casepack does not overwrite it without --force (or choose another name with -o)"

NAME=render.force_overwrites; fresh
printf 'new\n' > t.txt; printf 'old\n' > out.txt
run render t.txt -o out.txt --force
expect_status 0 && [ "$(cat out.txt)" = new ] && only_files t.txt out.txt && pass || fail "out.txt: $(cat out.txt)"

NAME=render.data_files_merge_maps_key_by_key; fresh
printf '{{a.x}} {{a.y}} {{#l}}{{.}}{{/l}}\n' > t.txt
printf 'a: {x: 1, y: 2}\nl: [1, 2, 3]\n' > one.yaml
printf '{"a": {"y": "two"}, "l": ["only"]}\n' > two.json
run render t.txt -d one.yaml -d two.json -o -
expect 0 "1 two only" ""

NAME=render.data_from_stdin; fresh
printf '{{who}}\n' > t.txt
"$CASEPACK" render t.txt -d - -o - <<< 'who: the European Parliament' > .stdout 2> .stderr; STATUS=$?
OUT=$(cat .stdout); ERR=$(cat .stderr)
expect 0 "the European Parliament" ""

NAME=render.numbers_kept_as_written; fresh
printf '{{fee}} {{n}} {{flag}} {{country}}\n' > t.txt
printf 'fee: 1.50\nn: 007\nflag: true\ncountry: NO\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 "1.50 007 true NO" ""

NAME=render.missing_data_file_is_io_error; fresh
printf 'x\n' > t.txt
run render t.txt -d nowhere.yaml -o out.txt
expect 3 "" "casepack: error: nowhere.yaml: cannot read the data file: No such file or directory"

NAME=render.missing_template_is_io_error; fresh
run render nowhere.txt -o out.txt
expect 3 "" "casepack: error: nowhere.txt: cannot read the template: No such file or directory"

NAME=render.usage_no_template; fresh
run render
expect 2 "" "casepack: error: render needs a TEMPLATE
Try 'casepack --help'."

NAME=render.usage_unknown_option; fresh
run render t.txt --frobnicate
expect 2 "" "casepack: error: unknown option '--frobnicate'
Try 'casepack --help'."

NAME=render.usage_option_without_value; fresh
run render t.txt -d
expect 2 "" "casepack: error: option '-d' needs a value
Try 'casepack --help'."

NAME=render.usage_bad_delimiters; fresh
run render t.txt --delimiters '<%'
expect 2 "" "casepack: error: --delimiters takes two delimiters separated by a space, e.g. --delimiters '<% %>', not '<%'
Try 'casepack --help'."

NAME=render.usage_bad_limit; fresh
run render t.txt --max-depth lots
expect 2 "" "casepack: error: --max-depth takes a positive number (K, M or G may follow), not 'lots'"

NAME=render.unknown_command; fresh
run frobnicate
expect 2 "" "casepack: error: unknown command 'frobnicate'
Try 'casepack --help'."

NAME=render.version; fresh
run --version
expect 0 "casepack 0.1.0" ""

NAME=render.delimiters_flag; fresh
printf '<%% name %%> {{name}}\n' > t.txt
printf 'name: Kowalisidi\n' > d.yaml
run render t.txt -d d.yaml --delimiters '<% %>' -o -
expect 0 "Kowalisidi {{name}}" ""

NAME=render.partials_from_folder; fresh
mkdir clauses
printf '{{> signature}}\n' > t.txt
printf 'Signed: {{lawyer}}' > clauses/signature.txt
printf 'lawyer: Olena Petrenko\n' > d.yaml
run render t.txt -d d.yaml --partials clauses -o -
expect 0 "Signed: Olena Petrenko" ""

NAME=render.partials_cannot_leave_their_folder; fresh
mkdir clauses
printf 'secret\n' > secret.txt
printf '[{{> ../secret}}]\n' > t.txt
run render t.txt --partials clauses -o -
expect 0 "[]" ""

NAME=render.invalid_utf8_template; fresh
printf 'ok\nbad \xff here\n' > t.txt
run render t.txt -o out.txt
only_files t.txt || fail "left files behind"
expect 1 "" "casepack: error: t.txt:2:5: the template is not valid UTF-8 (byte 0xFF); save it as UTF-8 text"

# Template and data errors are all reported in one run, each with its place,
# and nothing is written.
NAME=render.all_errors_at_once; fresh
printf 'Dear {{name}},\n{{#claims}}\n- {{title | shout}}\n{{/claim}}\n{{d | date}}\n{{x | join "a" "b" "c"}}\n{{#open}}\n' > t.txt
printf 'a: 1\nb: [1, 2\nc: 3\n' > bad.yaml
run render t.txt -d bad.yaml -o out.txt
only_files t.txt bad.yaml || fail "left files behind"
expect 1 "" 'casepack: error: bad.yaml:4:1: this is not valid YAML or JSON: flow sequence without a closing bracket; check the indentation, quotes, brackets and colons here and on the line before
casepack: error: t.txt:3:3: {{title | shout}}: unknown filter "shout"; the filters are: capitalize, count, date, default, eq, join, lower, ne, upper
casepack: error: t.txt:4:1: {{/claim}}: this closing tag does not match section "claims" opened at 2:1: close that section with {{/claims}}
casepack: error: t.txt:5:1: {{d | date}}: filter "date" takes 1 argument, not 0: write it as date "PATTERN"
casepack: error: t.txt:6:1: {{x | join "a" "b" "c"}}: filter "join" takes 1 to 2 arguments, not 3: write it as join "SEP" ["LAST SEP"]
casepack: error: t.txt:7:1: section "open" opened at 7:1 is never closed: add {{/open}}'

NAME=render.strict_missing_values; fresh
printf '{{name}} {{#x}}{{y}}{{/x}} {{z | default "none"}}\n' > s.txt
printf 'x: {}\n' > d.yaml
run render s.txt -d d.yaml --strict -o out.txt
only_files s.txt d.yaml || fail "left files behind"
expect 1 "" 'casepack: error: s.txt:1:1: "name" is missing from the data: add it, or give the tag a fallback with | default "..."
casepack: error: s.txt:1:16: "y" is missing from the data (in the entry at d.yaml:1:4): add it, or give the tag a fallback with | default "..."'

NAME=render.without_strict_missing_is_empty; fresh
printf '[{{name}}] {{z | default "none"}}\n' > s.txt
run render s.txt -o -
expect 0 "[] none" ""

NAME=render.duplicate_key; fresh
printf '{{a}}\n' > t.txt
printf 'a: 1\nb: 2\na: 3\n' > d.yaml
run render t.txt -d d.yaml -o -
expect_status 1 && [[ "$ERR" == "casepack: error: d.yaml:3:1: "*'"a"'* ]] && pass || fail "stderr: $ERR"

NAME=render.yaml_one_one_booleans_stay_text; fresh
printf '{{#on}}on is true{{/on}} {{country}} {{#t}}t{{/t}}\n' > t.txt
printf 'on: off\ncountry: NO\nt: true\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 "on is true NO t" ""

NAME=render.ukrainian_dates; fresh
printf '{{d | date "d MMMM y"}} / {{d | date "d MMMM y"}}\n' > t.txt
printf 'd: 2027-01-17\nlocale: uk\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 "17 січня 2027 / 17 січня 2027" ""

NAME=render.locale_flag_beats_data; fresh
printf '{{d | date "d MMMM y"}}\n' > t.txt
printf 'd: 2027-01-17\nlocale: uk\n' > d.yaml
run render t.txt -d d.yaml --locale en-GB -o -
expect 0 "17 January 2027" ""

NAME=render.list_helpers; fresh
printf '{{#orgs}}{{@number}}/{{orgs | count}} {{name | upper}}{{^@last}}; {{/@last}}{{/orgs}}\n{{names | join ", " " and "}}\n' > t.txt
printf 'orgs: [{name: Connection e.V.}, {name: Зелений світ}]\nnames: [Ann, Bo, Cy]\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 "1/2 CONNECTION E.V.; 2/2 ЗЕЛЕНИЙ СВІТ
Ann, Bo and Cy" ""

NAME=render.eq_as_section_with_curly_quotes; fresh
printf '{{#applicant.gender | eq “female”}}заявниця{{/applicant.gender}}{{#applicant.gender | ne "female"}}заявник{{/applicant.gender | ne "female"}}\n' > t.txt
printf 'applicant: {gender: female}\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 "заявниця" ""

finish
