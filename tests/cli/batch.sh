# casepack batch: records from CSV, lists and folders; bad rows reported and
# skipped; names and collisions; shards; resume after kill -9; the date
# window; JSON progress; merged documents; kits.
. "$(dirname "$0")/lib.sh"

# The runs of 2,000 records work in memory when they can: creating files is
# what they would otherwise measure (half a millisecond each on some disks).
FAST=$(mktemp -d -p /dev/shm 2> /dev/null || mktemp -d)
trap 'rm -rf "$TMP_ROOT" "$FAST"' EXIT
fresh_fast() {
    WORK=$(mktemp -d "$FAST/t.XXXXXX")
    cd "$WORK" || exit 1
}

# The summary line's time and rate change from run to run.
norm() { sed -E 's/ in [0-9]+\.[0-9]+ s \([0-9]+ (documents|packages)\/s\)/ in T/; s/"seconds": [0-9.]+/"seconds": S/; s/"per_second": [0-9]+/"per_second": R/'; }
run_norm() { run "$@"; ERR=$(printf '%s' "$ERR" | norm); }

# The sha256 of every file in a folder but the run's own (journal, report),
# sorted by name.
sums() { (cd "$1" && find . -maxdepth 1 -type f ! -name '.casepack-journal*' ! -name 'report*.json' -printf '%f\0' | sort -z | xargs -0 -r sha256sum); }

# Values from a JSON file: json FILE PYTHON-EXPRESSION-ON-r; a tuple prints
# its items separated by spaces.
json() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$1" "$2"; }

letter() { printf 'Dear {{recipient.name}},\n{{#orgs}}- {{name}}\n{{/orgs}}' > letter.txt; }

NAME=batch.csv_rows_become_documents; fresh; letter
printf 'recipient.name,orgs.0.name,orgs.1.name\n"Zoë, Dr.",Connection e.V.,EBCO\nAna,,\n' > people.csv
run_norm batch letter.txt --records people.csv -o out
expect_status 0 && [ "$(cat out/00001.txt)" = "Dear Zoë, Dr.,
- Connection e.V.
- EBCO" ] && [ "$(cat out/00002.txt)" = "Dear Ana," ] && [ "$ERR" = "casepack: batch: 2 written, 0 failed, 0 skipped in T; report: out/report.json" ] \
    && [ "$(stat -c %a out/00001.txt)" = 600 ] && pass || fail "$ERR / $(ls -A out)"

NAME=batch.three_broken_rows_are_reported_and_skipped; fresh; letter
{
    printf 'recipient.name,orgs.0.name\n'
    for i in 1 2 3 4 5 6 7 8 9 10; do
        case $i in
            3) printf 'R3,x,one too many\n' ;;
            6) printf 'R6,"a"b\n' ;;
            9) printf 'R\xe99,x\n' ;;
            *) printf 'R%d,O%d\n' "$i" "$i" ;;
        esac
    done
} > people.csv
run_norm batch letter.txt --records people.csv -o out -j 3
expect 1 "" 'casepack: error: people.csv:4:6: this row has 3 cells but the header names 2 columns; remove the extra cells, or put quotes around a cell that holds a comma (record 3)
casepack: error: people.csv:7:7: a quote in the wrong place: a cell with quotes in it must start and end with a quote, and each quote inside must be doubled (""); this row is skipped (record 6)
casepack: error: people.csv:10:2: the cell in column "recipient.name" is not valid UTF-8 (byte 0xE9); save the file as UTF-8 (in Excel: "CSV UTF-8") (record 9)
casepack: batch: 7 written, 3 failed, 0 skipped in T; report: out/report.json'
NAME=batch.report_names_the_broken_rows
got=$(json out/report.json '[(f["record"], f["row"], f["line"], f["file"], f["errors"][0]["place"]) for f in r["failures"]], r["summary"]["written"], r["summary"]["failed"]')
want="[(3, 3, 4, 'people.csv', 'people.csv:4:6'), (6, 6, 7, 'people.csv', 'people.csv:7:7'), (9, 9, 10, 'people.csv', 'people.csv:10:2')] 7 3"
[ "$got" = "$want" ] && [ "$(ls out | tr '\n' ' ')" = "00001.txt 00002.txt 00004.txt 00005.txt 00007.txt 00008.txt 00010.txt report.json " ] \
    && pass || fail "$got / $(ls out)"
NAME=batch.report_message_is_the_whole_diagnostic
got=$(json out/report.json 'r["failures"][1]["errors"][0]["message"]')
[ "$got" = 'a quote in the wrong place: a cell with quotes in it must start and end with a quote, and each quote inside must be doubled (""); this row is skipped' ] && pass || fail "$got"

NAME=batch.render_errors_are_per_record; fresh
printf '{{name}} {{#when}}{{when | date "y"}}{{/when}}\n' > t.txt
printf 'name,when\nA,2024-01-02\nB,yesterday\nC,\n' > r.csv
run_norm batch t.txt --records r.csv -o out --strict
expect_status 1 && [ "$(ls out | tr '\n' ' ')" = "00001.txt 00003.txt report.json " ] \
    && [ "$(json out/report.json '[f["record"] for f in r["failures"]]')" = "[2]" ] && pass || fail "$ERR"

NAME=batch.number_and_common_data; fresh
printf '{{campaign}} #{{@number}} ({{@index}}): {{name}}\n' > t.txt
printf 'name\nA\nB\n' > r.csv
printf 'campaign: Right to Refuse\nname: nobody\n' > common.yaml
run batch t.txt --records r.csv -d common.yaml -o out
expect_status 0 && [ "$(cat out/00002.txt)" = "Right to Refuse #2 (1): B" ] && pass || fail "$(cat out/00002.txt)"

NAME=batch.names_from_a_pattern_and_collisions; fresh
printf '{{name}}\n' > t.txt
printf 'name,last\nA,Müller\nB,müller\nC,../../etc\nD,\nE,Müller-2\nF,CON\nG,a.txt\n' > r.csv
run_norm batch t.txt --records r.csv -o out --name '{{last}}'
expect 0 "" "casepack: warning: record 2 would be named müller.txt like record 1; it is named müller-2.txt
casepack: warning: record 5 would be named Müller-2.txt like record 2; it is named Müller-2-2.txt
casepack: batch: 7 written, 0 failed, 0 skipped in T; report: out/report.json"
NAME=batch.names_are_safe
[ "$(ls out | tr '\n' ' ')" = "00004.txt CON_.txt Müller-2-2.txt Müller.txt _.._etc.txt a.txt müller-2.txt report.json " ] \
    && [ "$(json out/report.json 'r["renamed"]')" = "[{'record': 2, 'name': 'müller-2.txt', 'wanted': 'müller.txt', 'taken_by': 1}, {'record': 5, 'name': 'Müller-2-2.txt', 'wanted': 'Müller-2.txt', 'taken_by': 2}]" ] \
    && pass || fail "$(ls out)"

NAME=batch.records_from_a_yaml_list_and_a_folder; fresh
printf '{{name}}\n' > t.txt
printf -- '- name: A\n- 42\n- name: C\n' > list.yaml
mkdir cases; printf 'name: X\n' > cases/b.yaml; printf '{"name": "Y"}' > cases/a.json; printf 'x\n' > cases/skip.txt
run_norm batch t.txt --records list.yaml -o out1
first="$STATUS $ERR"
run_norm batch t.txt --records cases -o out2 --name '{{name}}'
[ "$first" = "1 casepack: error: list.yaml:2:3: this record is a number, not a map of fields (like recipient: {name: …}) (record 2)
casepack: batch: 2 written, 1 failed, 0 skipped in T; report: out1/report.json" ] && [ "$STATUS" = 0 ] \
    && [ "$(cat out1/00003.txt)" = C ] && [ "$(ls out2 | tr '\n' ' ')" = "X.txt Y.txt report.json " ] \
    && [ "$(json out2/report.json 'r["summary"]["written"]')" = 2 ] && pass || fail "$first / $STATUS $ERR"

NAME=batch.json_list_record_with_a_duplicate_key_fails_alone; fresh
printf '{{name}}\n' > t.txt
printf '[{"name": "A"}, {"name": "B"},\n {"name": "C", "name": "C2"},\n {"name": "D"}, {"name": "E"}]\n' > list.json
run_norm batch t.txt --records list.json -o out
expect 1 "" 'casepack: error: list.json:2:16: the key "name" appears twice in the same map (first at line 2, column 3); keep only one of them (record 3)
casepack: batch: 4 written, 1 failed, 0 skipped in T; report: out/report.json'
NAME=batch.json_list_record_with_a_duplicate_key_is_in_the_report
got=$(json out/report.json '[(f["record"], f["line"], f["file"], f["errors"][0]["place"]) for f in r["failures"]], r["summary"]["written"], r["summary"]["failed"]')
[ "$got" = "[(3, 2, 'list.json', 'list.json:2:16')] 4 1" ] && [ "$(ls out | tr '\n' ' ')" = "00001.txt 00002.txt 00004.txt 00005.txt report.json " ] \
    && [ "$(cat out/00005.txt)" = E ] && pass || fail "$got / $(ls out)"

# On a terminal (script(1) gives the run one) a progress line is redrawn in
# place on stderr, then cleared for the summary; piped, there is none. How
# many progress lines a run draws depends on its speed; their form does not.
NAME=batch.progress_line_on_a_terminal; fresh
printf '{{a}}\n' > t.txt; printf 'a\n1\n2\n3\n' > r.csv
script -qec "'$CASEPACK' batch t.txt --records r.csv -o out" /dev/null < /dev/null > tty.txt 2>&1
lines=$(tr '\r' '\n' < tty.txt | grep -v '^$')
progress=$(printf '%s\n' "$lines" | grep -c '^.\[Kcasepack: [1-3]/3 records, [1-3] written\(, [0-9]* documents/s\)\?$')
summary=$(printf '%s\n' "$lines" | tail -n 1 | norm)
if [ "$progress" -ge 1 ] && [ "$progress" = "$(($(printf '%s\n' "$lines" | wc -l) - 1))" ] \
    && [ "$summary" = $'\e[Kcasepack: batch: 3 written, 0 failed, 0 skipped in T; report: out/report.json' ]; then
    pass
else
    fail "$(printf %q "$lines")"
fi
NAME=batch.no_progress_line_when_piped; fresh
printf '{{a}}\n' > t.txt; printf 'a\n1\n2\n3\n' > r.csv
run_norm batch t.txt --records r.csv -o out
expect 0 "" "casepack: batch: 3 written, 0 failed, 0 skipped in T; report: out/report.json"

NAME=batch.refuses_to_run_over_an_earlier_run; fresh
printf 'x\n' > t.txt; printf 'a\n1\n' > r.csv
run batch t.txt --records r.csv -o out
run batch t.txt --records r.csv -o out
expect 1 "" "casepack: error: out: this folder holds an earlier batch run (its journal .casepack-journal); add --resume to finish that run, or choose another folder"

NAME=batch.never_replaces_a_file_it_did_not_write; fresh
printf 'new\n' > t.txt; printf 'a\n1\n2\n' > r.csv
mkdir out; printf 'mine\n' > out/00002.txt
run_norm batch t.txt --records r.csv -o out
expect 1 "" "casepack: error: out: 00002.txt already exists; batch never replaces a file it did not write: choose an empty folder, or --resume the run that wrote it (record 2, r.csv line 3)
casepack: batch: 1 written, 1 failed, 0 skipped in T; report: out/report.json"
NAME=batch.never_replaces_a_file_it_did_not_write.kept
[ "$(cat out/00002.txt)" = mine ] && pass || fail "$(cat out/00002.txt)"

NAME=batch.resume_with_a_changed_template_is_refused; fresh
printf 'x\n' > t.txt; printf 'a\n1\n' > r.csv
run batch t.txt --records r.csv -o out
printf 'changed, longer\n' > t.txt
run batch t.txt --records r.csv -o out --resume
expect 1 "" "casepack: error: out/.casepack-journal: this journal belongs to a run with another template, other records or other settings (or they changed since); resuming would mix the two: finish in a new folder, or delete the folder's contents first"

NAME=batch.resume_of_an_older_journal_names_the_version; fresh
printf 'x\n' > t.txt; printf 'a\n1\n' > r.csv
run batch t.txt --records r.csv -o out
sed -i '1s/^casepack batch journal 2\t/casepack batch journal 1\t/' out/.casepack-journal
run batch t.txt --records r.csv -o out --resume
expect 1 "" "casepack: error: out/.casepack-journal: this journal was written by another version of casepack; finish the run with that version, or start again in a new folder"

NAME=batch.journal_lines_hold_size_crc32_and_name; fresh
printf '{{a}}\n' > t.txt; printf 'a\n1\n22\n' > r.csv
run batch t.txt --records r.csv -o out
got=$(tail -n 2 out/.casepack-journal)
want=$(printf '1\t2\t%s\t00001.txt\n2\t3\t%s\t00002.txt' \
    "$(python3 -c 'import zlib; print("%08x" % zlib.crc32(b"1\n"))')" \
    "$(python3 -c 'import zlib; print("%08x" % zlib.crc32(b"22\n"))')")
[ "$got" = "$want" ] && pass || fail "$got"

# 2,000 records, -j 2: the union of three shards is the single run, byte
# for byte, with names (and their collisions) decided over all records.
python3 "$CASEPACK_ROOT/tests/bench/make_records.py" 2000 "$FAST/r2k.csv"
printf 'Dear {{recipient.first_name}} {{recipient.last_name | upper}} (no. {{@number}}),\n{{#orgs}}{{name}} ({{country}})\n{{/orgs}}{{#demands}}- {{.}}\n{{/demands}}' > "$FAST/t.txt"

NAME=batch.shards_union_equals_single_run; fresh_fast
for k in 1 2 3; do
    "$CASEPACK" batch "$FAST/t.txt" --records "$FAST/r2k.csv" -o shards --shard $k/3 --name '{{recipient.last_name}}' -j 2 2> /dev/null || fail "shard $k failed"
done
"$CASEPACK" batch "$FAST/t.txt" --records "$FAST/r2k.csv" -o single --name '{{recipient.last_name}}' -j 2 2> /dev/null || fail "single run failed"
if [ "$(ls single | wc -l)" = 2001 ] && [ "$(sums shards)" = "$(sums single)" ] \
    && [ "$(ls shards/report-*.json | wc -l)" = 3 ] \
    && [ "$(json shards/report-2-of-3.json 'r["summary"]["records"], r["shard"]')" = "667 2/3" ]; then pass; else fail "shards differ from the single run"; fi

NAME=batch.kill_9_then_resume_equals_an_uninterrupted_run; fresh_fast
"$CASEPACK" batch "$FAST/t.txt" --records "$FAST/r2k.csv" -o full -j 2 2> /dev/null
"$CASEPACK" batch "$FAST/t.txt" --records "$FAST/r2k.csv" -o part -j 2 2> /dev/null &
pid=$!
# Poll the journal (each finished document adds a line) and kill once it
# holds some entries: the run is then part-way, with writes in flight.
for _ in $(seq 1 2000); do
    [ -f part/.casepack-journal ] && [ "$(wc -l < part/.casepack-journal)" -ge 21 ] && break
    sleep 0.005
done
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
at_kill=$(wc -l < part/.casepack-journal)
# A temporary file as a kill leaves one, for resume to clear away.
printf 'half' > part/.00007.txt.AbC123.tmp
run_norm batch "$FAST/t.txt" --records "$FAST/r2k.csv" -o part -j 2 --resume
done_before=$((at_kill - 1))
if [ "$STATUS" = 0 ] && [ "$at_kill" -lt 2001 ] && [ "$(sums part)" = "$(sums full)" ] \
    && [ -z "$(ls -A part | grep '\.tmp$')" ] \
    && [ "$(json part/report.json 'r["summary"]["skipped"] >= '"$done_before"' and r["summary"]["written"] + r["summary"]["skipped"] == 2000')" = True ]; then
    pass
else
    fail "status $STATUS, journal at kill $at_kill lines, $ERR; $(ls -A part | grep tmp)"
fi

NAME=batch.resume_redoes_a_damaged_output; fresh
printf '{{a}}\n' > t.txt; printf 'a\n1\n2\n3\n' > r.csv
run batch t.txt --records r.csv -o out
printf 'X\n' > out/00002.txt; rm out/00003.txt
run_norm batch t.txt --records r.csv -o out --resume
expect 0 "" "casepack: batch: 2 written, 0 failed, 1 skipped in T; report: out/report.json"
NAME=batch.resume_redoes_a_damaged_output.content
[ "$(cat out/00002.txt)" = 2 ] && [ "$(cat out/00003.txt)" = 3 ] && pass || fail "$(cat out/00002.txt)"

NAME=batch.due_within_selects_by_date; fresh
printf 'Case {{case.id}}: hearing on {{hearing.date}}\n' > t.txt
printf 'case.id,hearing.date\nA,2025-03-01\nB,\nC,2025-02-30\nD,2025-03-15\nE,2025-03-16\nF,2025-02-28\nG,soon\nH,2025-03-10T09:30\n' > r.csv
run_norm batch t.txt --records r.csv -o out --due-within 14 --date-field hearing.date --today 2025-03-01 --name '{{case.id}}'
expect 0 "" "casepack: selection: 3 of 8 records have hearing.date from 2025-03-01 to 2025-03-15; not selected: 1 without a date, 2 with a bad date, 2 outside the window
casepack: batch: 3 written, 0 failed, 0 skipped in T; report: out/report.json"
NAME=batch.due_within_report
got=$(json out/report.json '[(s["record"], s["name"], s["date"]) for s in r["selection"]["selected"]], [(s["record"], s["reason"]) for s in r["selection"]["not_selected"]], r["selection"]["from"], r["selection"]["to"]')
[ "$got" = "[(1, 'A.txt', '2025-03-01'), (4, 'D.txt', '2025-03-15'), (8, 'H.txt', '2025-03-10')] [(2, 'no date'), (3, 'not a date (YYYY-MM-DD)'), (5, 'after the window'), (6, 'before the window'), (7, 'not a date (YYYY-MM-DD)')] 2025-03-01 2025-03-15" ] \
    && [ "$(ls out | tr '\n' ' ')" = "A.txt D.txt H.txt report.json " ] && pass || fail "$got"

NAME=batch.progress_json; fresh
printf '{{a}}\n' > t.txt; printf 'a\n1\n"2\n' > r.csv
run_norm batch t.txt --records r.csv -o out --progress=json -j 1
expect 1 "" '{"event": "start", "records": 2, "jobs": 1}
{"event": "written", "record": 1, "name": "00001.txt", "bytes": 2}
{"event": "failed", "record": 2, "row": 2, "line": 3, "file": "r.csv", "errors": [{"place": "r.csv:3:1", "message": "this quoted cell is never closed: the file ends before its closing quote; add the quote where the cell should end"}]}
{"event": "summary", "records": 2, "written": 1, "failed": 1, "skipped": 0, "not_selected": 0, "seconds": S, "per_second": R, "report": "out/report.json"}'

NAME=batch.csv_delimiter; fresh
printf '{{a}}-{{b}}\n' > t.txt; printf 'a;b,c\n1;2,3\n' > r.csv
run batch t.txt --records r.csv -o out --csv-delimiter ';'
expect_status 0 && [ "$(cat out/00001.txt)" = "1-" ] && pass || fail "$(cat out/00001.txt)"

NAME=batch.usage_errors; fresh
printf 'x\n' > t.txt
run batch t.txt -o out
a="$STATUS $ERR"
run batch t.txt --records r.csv
b="$STATUS $ERR"
run batch t.txt --records r.csv -o out --shard 4/3
c="$STATUS $ERR"
run batch t.txt --records r.csv -o out --due-within 7
d="$STATUS $ERR"
[ "$a" = "2 casepack: error: batch needs --records FILE (a CSV file, a YAML or JSON list, or a folder of case files)
Try 'casepack --help'." ] && [ "$b" = "2 casepack: error: batch needs -o DIR, the folder the documents go to (or --merge FILE)
Try 'casepack --help'." ] && [ "$c" = "2 casepack: error: --shard takes K/N with 1 <= K <= N (e.g. --shard 2/3), not '4/3'
Try 'casepack --help'." ] && [ "$d" = "2 casepack: error: --due-within needs --date-field PATH, the field holding each record's date (e.g. --date-field hearing.date)
Try 'casepack --help'." ] && pass || fail "$a / $b / $c / $d"

NAME=batch.missing_records_file_is_io_error; fresh
printf 'x\n' > t.txt
run batch t.txt --records nowhere.csv -o out
expect 3 "" "casepack: error: nowhere.csv: cannot read the records file: No such file or directory"

NAME=batch.unreadable_records_leave_no_journal; fresh
printf 'Dear {{name}}\n' > t.txt; : > r.csv
run batch t.txt --records r.csv -o out
a="$STATUS $(ls -A out 2> /dev/null | tr '\n' ' ')"
printf 'name\nAnn\n' > r.csv
run_norm batch t.txt --records r.csv -o out
[ "$a" = "1 " ] && [ "$STATUS $ERR" = "0 casepack: batch: 1 written, 0 failed, 0 skipped in T; report: out/report.json" ] \
    && pass || fail "first run: $a; second: $STATUS $ERR"

NAME=batch.records_unread_after_a_stop_are_in_the_report; fresh
printf 'Dear {{name}}\n' > t.txt
python3 -c "print('name'); print('Ann'); print('x' * 3000); print('Bob')" > r.csv
run_norm batch t.txt --records r.csv -o out --max-data-size 1000
expect 1 "" "casepack: error: r.csv:3: this row is longer than the limit of 1000 bytes (is a closing quote missing?); if it is genuine, raise the limit with --max-data-size
casepack: batch: 1 written, 0 failed, 0 skipped in T; reading the records stopped at the error above, later records were not read; report: out/report.json"
NAME=batch.records_unread_after_a_stop_are_in_the_report.json
[ "$(json out/report.json 'r["stopped"]')" = "[{'place': 'r.csv:3', 'message': 'this row is longer than the limit of 1000 bytes (is a closing quote missing?); if it is genuine, raise the limit with --max-data-size'}]" ] \
    && pass || fail "$(cat out/report.json)"

NAME=batch.resume_on_another_day_without_a_date_window; fresh
printf 'Dear {{name}}\n' > t.txt; printf 'name\nAnn\nBob\n' > r.csv
# Kiritimati (UTC+14) and Baker Island (UTC-12) are on different dates at any hour.
TZ=Etc/GMT+12 run batch t.txt --records r.csv -o out
TZ=Etc/GMT-14 run_norm batch t.txt --records r.csv -o out --resume
expect 0 "" "casepack: batch: 0 written, 0 failed, 2 skipped in T; report: out/report.json"

NAME=batch.merge_docx_one_section_per_record; fresh
mkdir cases
for i in 1 2 3; do sed "s|^  id: .*|  id: CASE-$i|" "$FIX/letter.yaml" > cases/c$i.yaml; done
run_norm batch "$FIX/letter.docx" --records cases --merge all.docx
mkdir x && (cd x && unzip -q ../all.docx)
doc=x/word/document.xml
if [ "$STATUS" = 0 ] && [ "$ERR" = "casepack: batch: 3 written, 0 failed, 0 skipped in T; merged into all.docx" ] \
    && [ "$(grep -o '<w:sectPr>' $doc | wc -l)" = 3 ] \
    && [ "$(grep -o 'r:id="cpR[23]rId[23]"' $doc | tr '\n' ' ')" = 'r:id="cpR2rId2" r:id="cpR2rId3" r:id="cpR3rId2" r:id="cpR3rId3" ' ] \
    && [ "$(grep -o 'pgNumType w:fmt="decimal" w:start="1"' $doc | wc -l)" = 2 ] \
    && [ "$(grep -o 'numId w:val="[0-9]*"' $doc | sort -u | tr '\n' ' ')" = 'numId w:val="1" numId w:val="3" numId w:val="4" ' ] \
    && grep -q '<w:num w:numId="3"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/>' x/word/numbering.xml \
    && [ "$(grep -o 'footnoteReference w:id="[0-9]*"' $doc | tr '\n' ' ')" = 'footnoteReference w:id="2" footnoteReference w:id="3" footnoteReference w:id="4" ' ] \
    && grep -q 'Case CASE-3' x/word/footer1-r3.xml && grep -q 'Case CASE-1' x/word/footer1.xml \
    && ! [ -e all.docx.report.json ]; then
    pass
else
    fail "$STATUS $ERR"
fi

NAME=batch.merge_word_made_template_ids_stay_unique; fresh
mkdir cases
for i in 1 2 3; do cp "$FIX/word-image-repeat.yaml" cases/c$i.yaml; done
run batch "$FIX/word-image-repeat.docx" --records cases --merge all.docx
doc=$(unzip -p all.docx word/document.xml)
if [ "$STATUS" = 0 ] && [ "$(grep -o 'docPr id="[0-9]*"' <<< "$doc" | wc -l)" = 9 ] \
    && [ -z "$(grep -o 'docPr id="[0-9]*"' <<< "$doc" | sort | uniq -d)" ] \
    && [ "$(grep -o '<w:type w:val="nextPage"/>' <<< "$doc" | wc -l)" = 2 ] \
    && [ "$(grep -o '<w:pgNumType w:start="1"/>' <<< "$doc" | wc -l)" = 2 ]; then
    pass
else
    fail "$STATUS $ERR"
fi

NAME=batch.merge_picture_ids_unique_across_headers_and_body; fresh
# A letterhead: a picture and a tag in the header, a picture in the body.
python3 - <<'EOF'
import zipfile
W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
     'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"')
pic = lambda i: ('<w:r><w:drawing><wp:inline><wp:extent cx="1" cy="1"/><wp:docPr id="%d" '
                 'name="P%d"/></wp:inline></w:drawing></w:r>' % (i, i))
z = zipfile.ZipFile('t.docx', 'w')
z.writestr('[Content_Types].xml', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>')
z.writestr('word/_rels/document.xml.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>')
z.writestr('word/header1.xml', '<w:hdr %s><w:p>%s<w:r><w:t>From {{sender}}</w:t></w:r></w:p></w:hdr>' % (W, pic(1)))
z.writestr('word/document.xml', '<w:document %s><w:body><w:p><w:r><w:t>Dear {{name}}</w:t></w:r>%s</w:p>'
    '<w:sectPr><w:headerReference w:type="default" r:id="rId1"/></w:sectPr></w:body></w:document>' % (W, pic(2)))
z.close()
EOF
printf 'name,sender\nAnn,S1\nBob,S2\nCy,S3\n' > r.csv
run batch t.docx --records r.csv --merge all.docx
mkdir x && (cd x && unzip -q ../all.docx)
ids=$(cat x/word/*.xml | grep -o 'docPr id="[0-9]*"')
if [ "$STATUS" = 0 ] && [ "$(wc -l <<< "$ids")" = 6 ] && [ -z "$(sort <<< "$ids" | uniq -d)" ]; then
    pass
else
    fail "$STATUS $ERR: $(tr '\n' ' ' <<< "$ids")"
fi

NAME=batch.merge_docx_notes_found_whatever_the_attribute_order; fresh
# [Content_Types].xml as XML allows it (ContentType first, single quotes):
# each letter must keep its own footnote, not the first record's.
python3 - <<'EOF'
import zipfile
W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
WML = 'application/vnd.openxmlformats-officedocument.wordprocessingml.'
z = zipfile.ZipFile('t.docx', 'w')
z.writestr('[Content_Types].xml', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    "<Override ContentType='" + WML + "document.main+xml' PartName='/word/document.xml'/>"
    "<Override ContentType='" + WML + "footnotes+xml' PartName='/word/footnotes.xml'/></Types>")
z.writestr('word/footnotes.xml', '<w:footnotes %s><w:footnote w:type="separator" w:id="-1"><w:p><w:r>'
    '<w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>Note for {{name}}</w:t>'
    '</w:r></w:p></w:footnote></w:footnotes>' % W)
z.writestr('word/document.xml', '<w:document %s><w:body><w:p><w:r><w:t>Dear {{name}}</w:t></w:r><w:r>'
    '<w:footnoteReference w:id="1"/></w:r></w:p><w:sectPr/></w:body></w:document>' % W)
z.close()
EOF
printf 'name\nAnn\nBob\n' > r.csv
run batch t.docx --records r.csv --merge all.docx
notes=$(unzip -p all.docx word/footnotes.xml | grep -o 'w:id="[-0-9]*"\|Note for [A-Za-z]*' | tr '\n' ' ')
refs=$(unzip -p all.docx word/document.xml | grep -o 'footnoteReference w:id="[0-9]*"' | tr '\n' ' ')
[ "$STATUS" = 0 ] && [ "$notes" = 'w:id="-1" w:id="1" Note for Ann w:id="2" Note for Bob ' ] \
    && [ "$refs" = 'footnoteReference w:id="1" footnoteReference w:id="2" ' ] \
    && pass || fail "$STATUS $ERR: $notes / $refs"

NAME=batch.merge_odt_one_master_page_per_record; fresh
mkdir cases
for i in 1 2 3; do sed "s|^  id: .*|  id: CASE-$i|" "$FIX/letter.yaml" > cases/c$i.yaml; done
run_norm batch "$FIX/letter.odt" --records cases --merge all.odt -o out
mkdir x && (cd x && unzip -q ../all.odt)
if [ "$STATUS" = 0 ] && [ "$ERR" = "casepack: batch: 3 written, 0 failed, 0 skipped in T; merged into all.odt; report: out/report.json" ] \
    && [ "$(unzip -Z1 all.odt | head -1)" = mimetype ] \
    && [ "$(grep -o '<text:p text:style-name="cpRecord[0-9]"/>' x/content.xml | tr '\n' ' ')" = '<text:p text:style-name="cpRecord2"/> <text:p text:style-name="cpRecord3"/> ' ] \
    && [ "$(grep -o 'style:master-page style:name="[^"]*"' x/styles.xml | tr '\n' ' ')" = 'style:master-page style:name="Standard" style:master-page style:name="cpMaster2" style:master-page style:name="cpMaster3" ' ] \
    && [ "$(grep -o '<text:sequence-decls>' x/content.xml | wc -l)" = 1 ] \
    && [ "$(grep -o 'Case CASE-[0-9]' x/styles.xml | tr '\n' ' ')" = 'Case CASE-1 Case CASE-2 Case CASE-3 ' ] \
    && [ "$(json out/report.json 'r["summary"]["written"], r["merged"]')" = "3 all.odt" ]; then
    pass
else
    fail "$STATUS $ERR"
fi

NAME=batch.merge_odt_continued_list_stays_in_its_record; fresh
# LibreOffice continues a list interrupted by a paragraph through
# text:continue-list="<xml:id of the first part>"; in a later record it must
# name that record's own list, or the numbers go on from the record before.
python3 - <<'EOF'
import zipfile
z = zipfile.ZipFile('t.odt', 'w')
z.writestr('mimetype', 'application/vnd.oasis.opendocument.text')
z.writestr('content.xml', '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:text>'
    '<text:list xml:id="L1"><text:list-item><text:p>{{name}} one</text:p></text:list-item></text:list>'
    '<text:p>between</text:p>'
    '<text:list text:continue-list="L1"><text:list-item><text:p>two</text:p></text:list-item></text:list>'
    '</office:text></office:body></office:document-content>')
z.close()
EOF
printf 'name\nAnn\nBob\n' > r.csv
run batch t.odt --records r.csv --merge all.odt
refs=$(unzip -p all.odt content.xml | grep -o 'xml:id="[^"]*"\|continue-list="[^"]*"' | tr '\n' ' ')
[ "$STATUS" = 0 ] && [ "$refs" = 'xml:id="L1" continue-list="L1" xml:id="cpR2L1" continue-list="cpR2L1" ' ] \
    && pass || fail "$STATUS $ERR: $refs"

NAME=batch.merge_needs_a_document; fresh
printf 'x\n' > t.txt; printf 'a\n1\n' > r.csv
run batch t.txt --records r.csv --merge all.txt
expect 1 "" "casepack: error: t.txt: --merge needs a .docx or .odt template: records are merged into one document (write each record to its own file with -o DIR instead)"

NAME=batch.merge_refuses_to_overwrite; fresh
printf 'x\n' > t.txt; printf 'a\n1\n' > r.csv; printf 'mine' > all.docx
run batch t.txt --records r.csv --merge all.docx
expect 1 "" "casepack: error: all.docx: already exists; casepack does not overwrite it without --force"

NAME=batch.kit_makes_a_package_per_case; fresh
mkdir cases
cp -r "$CASEPACK_ROOT/examples/ua-refugee-appeal/annexes" cases/
cp "$CASEPACK_ROOT/examples/ua-refugee-appeal/case.yaml" cases/a.yaml
sed 's/^id: .*/id: second-claim/' cases/a.yaml > cases/b.yaml
printf 'kit: ua-refugee-appeal\nid: broken\n' > cases/c.yaml
SOURCE_DATE_EPOCH=1700000000 run_norm batch ua-refugee-appeal --records cases -o out -j 2
ids=$(grep -o '^id: .*' cases/a.yaml | cut -c5-)
if [ "$STATUS" = 1 ] && [ "$(ls out | tr "\n" " ")" = "report.json second-claim.zip $ids.zip " ] \
    && "$CASEPACK" verify "out/second-claim.zip" > /dev/null \
    && [ "$(json out/report.json '[f["record"] for f in r["failures"]], r["kit"]')" = "[3] ua-refugee-appeal" ] \
    && printf '%s\n' "$ERR" | grep -q '^casepack: note: the warnings above came [0-9]* more times from later records$'; then
    pass
else
    fail "$STATUS $(ls out) $ERR"
fi

# A reading error is told after the records read before it, in order
# (found in review: the syntax error came out first).
NAME=batch.reading_error_after_the_records_before_it; fresh
printf '{{name}}\n' > t.txt
printf '[{name: x}, 1] x\n' > r.json
run_norm batch t.txt --records r.json -o out --progress none
expect 1 "" "casepack: error: r.json:1:13: this record is a number, not a map of fields (like recipient: {name: …}) (record 2)
casepack: error: r.json:1:16: this is not valid YAML or JSON: missing document start; check the indentation, quotes, brackets and colons here and on the line before
casepack: batch: 1 written, 1 failed, 0 skipped in T; reading the records stopped at the error above, later records were not read; report: out/report.json"

# Records in flight are held to --max-nodes values in all (at least one
# record), as a whole data file is: the output is the same, only later.
NAME=batch.records_in_flight_held_to_max_nodes; fresh
python3 "$CASEPACK_ROOT/tests/bench/make_records.py" 120 r.csv
"$CASEPACK" batch "$CASEPACK_ROOT/fixtures/bench/petition.docx" --records r.csv -o one -j 1 --progress none 2> /dev/null
run batch "$CASEPACK_ROOT/fixtures/bench/petition.docx" --records r.csv -o four -j 4 --max-nodes 40 --progress none
if ! expect_status 0; then :
elif [ "$(sums one)" != "$(sums four)" ] || [ "$(ls four | wc -l)" != 121 ]; then
    fail "outputs differ from a -j 1 run"
else
    pass
fi

# An empty records list, or one of only comments, says so (found in
# review: it said the file held a map).
NAME=batch.empty_records_list_says_so; fresh
printf '{{name}}\n' > t.txt
printf '# no records yet\n\n' > r.yaml
run batch t.txt --records r.yaml -o out
expect 1 "" 'casepack: error: r.yaml: the records file is empty; write a list of records in it (lines starting with "- " in YAML, or [ … ] in JSON)'

finish
