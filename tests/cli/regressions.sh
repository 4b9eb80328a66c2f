# Regression tests for what fault injection and fuzzing found (tests/faults,
# tests/fuzz). Each test names the bug it keeps fixed; an input that crashed
# a fuzz target goes under tests/fuzz/regressions/ and is replayed here
# through the command line.
. "$(dirname "$0")/lib.sh"

# A file size limit (ulimit -f, a quota) raises SIGXFSZ, whose default
# action killed casepack mid-write and left its temporary file behind.
NAME=regress.file_size_limit_is_an_error_not_a_crash; fresh
head -c 10000 /dev/zero | tr '\0' x > t.txt
( ulimit -f 4; exec "$CASEPACK" render t.txt -o out.txt ) > .stdout 2> .stderr
STATUS=$?; OUT=$(cat .stdout); ERR=$(cat .stderr)
only_files t.txt || fail "left files behind: $(ls -A)"
expect 3 "" "casepack: error: out.txt: cannot write (write): File too large"

# A kit or citation file the disk fails to give back was reported as the
# input's fault (exit status 1); it is a system error (3). Reading
# /proc/self/mem from its start fails with EIO, no fault injection needed.
NAME=regress.unreadable_citation_file_is_an_io_error; fresh
printf '{{cite "X"}}\n' > t.txt
run render t.txt --citations /proc/self/mem -o out.txt
only_files t.txt || fail "left files behind"
expect 3 "" "casepack: error: /proc/self/mem: cannot read this citation file: Input/output error"

NAME=regress.unreadable_kit_file_is_an_io_error; fresh
printf 'x\n' > t.txt
mkdir -p kits/k
ln -s /proc/self/mem kits/k/kit.yaml
run render t.txt --kits kits --kit k -o out.txt
expect 3 "" "casepack: error: kits/k/kit.yaml: cannot read the kit: Input/output error"

# A part in an encoding libxml2 converts through iconv (ISO-2022-JP here),
# holding bytes that encoding cannot have, made libxml2 print its own lines
# ("encoding error : input conversion failed…", "I/O error : encoder
# error") on standard error, outside casepack's messages (found by
# fuzz_docx_part and fuzz_odt_part).
NAME=regress.libxml2_encoding_errors_are_casepacks_messages; fresh
python3 - "$FIX/minimal.docx" <<'EOF'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile("enc.docx", "w", zipfile.ZIP_DEFLATED) as out:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename == "word/document.xml":
            data = data.replace(b'encoding="UTF-8"', b'encoding="ISO-2022-JP"', 1)
            data = data.replace(b"Hello", b"He\x84\x84\x84\x84llo", 1)
        out.writestr(info, data)
EOF
run render enc.docx -o out.docx
only_files enc.docx || fail "left files behind"
expect 1 "" "casepack: error: enc.docx:word/document.xml: is not well-formed XML (input conversion failed due to input error, bytes 0x84 0x84 0x84 0x84); the file is damaged: open and save it again in Word or LibreOffice"

# Killed mid-run (Ctrl-C, a scheduler's time limit), casepack left the
# temporary file of the document it was writing; now a handler removes it.
NAME=regress.interrupted_batch_leaves_no_temporary_file; fresh
cp "$FIX/minimal.docx" letter.docx
{ echo name; seq -f 'Person %g' 1 50000; } > r.csv
"$CASEPACK" batch letter.docx --records r.csv -o out -j 2 > .stdout 2> .stderr &
pid=$!
sleep 0.5
kill -TERM "$pid" 2> /dev/null
wait "$pid"
STATUS=$?
left=$(find out -name '*.tmp' 2> /dev/null | head -n 3)
if [ -n "$left" ]; then
    fail "left behind: $left"
elif [ "$STATUS" != 143 ] && [ "$STATUS" != 0 ]; then
    fail "exit status $STATUS, want 143 (killed) or 0"
else
    pass
fi

# An out-of-memory abort in one thread left another thread's temporary
# file behind (found by the fault sweep's malloc runs over batch).
NAME=regress.out_of_memory_leaves_no_temporary_file; fresh
if [ -f "$CASEPACK_ROOT/build/faults/inject.so" ] && ! grep -q __asan_init "$CASEPACK"; then
    cp "$FIX/minimal.docx" letter.docx
    { echo name; seq -f 'Person %g' 1 300; } > r.csv
    for n in 150 400 700 1000 1300; do
        rm -rf out
        (CASEPACK_FAULT="malloc:$n" LD_PRELOAD="$CASEPACK_ROOT/build/faults/inject.so" \
            "$CASEPACK" batch letter.docx --records r.csv -o out -j 2; exit $?) > .stdout 2> .stderr
        left=$(find out -name '*.tmp' 2> /dev/null | head -n 3)
        [ -z "$left" ] || { fail "malloc:$n left behind: $left"; break; }
    done
    [ -z "$left" ] && pass
else
    pass # needs build/faults/inject.so (make faults) and a build without sanitizers
fi

# fuzz_yaml: libfyaml 0.7 crashed (SIGSEGV) freeing its parser after a
# tab stood between ':' and another indicator inside a '?' key. casepack
# refuses that shape with its place before libfyaml reads the file: as data,
# and as a batch's list of records.
NAME=regress.tab_in_a_question_key_is_refused_not_a_crash; fresh
printf 'x\n' > t.txt
cp "$CASEPACK_ROOT/tests/fuzz/regressions/yaml-tab-in-question-key.yaml" crash.yaml
run render t.txt -d crash.yaml -o out.txt
only_files t.txt crash.yaml || fail "left files behind: $(ls -A)"
expect 1 "" "casepack: error: crash.yaml:16:20: a tab stands before a YAML indicator here, in a file with '?' keys, which casepack's YAML reader cannot take safely; put spaces in place of the tab"
NAME=regress.tab_in_a_question_key_of_a_records_list; fresh
printf 'x\n' > t.txt
printf -- '- name: A\n- ? g:\t:\n' > r.yaml
run batch t.txt --records r.yaml -o out
expect 1 "" "casepack: error: r.yaml:2:7: a tab stands before a YAML indicator here, in a file with '?' keys, which casepack's YAML reader cannot take safely; put spaces in place of the tab"

NAME=regress.carriage_return_before_a_question_key; fresh
printf 'x\n' > t.txt
cp "$CASEPACK_ROOT/tests/fuzz/regressions/records-cr-before-question-key.yaml" r.yaml
run batch t.txt --records r.yaml -o out
expect 1 "" "casepack: error: r.yaml:1:7: a tab stands before a YAML indicator here, in a file with '?' keys, which casepack's YAML reader cannot take safely; put spaces in place of the tab"

finish
