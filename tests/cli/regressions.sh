# Regression tests for what fuzzing and fault injection found (tests/fuzz,
# tests/faults). Each test names the bug; crashing inputs are kept under
# tests/fuzz/regressions/ and replayed here through the command line.
. "$(dirname "$0")/lib.sh"
REG="$CASEPACK_ROOT/tests/fuzz/regressions"

# A file size limit (ulimit -f, a quota) raises SIGXFSZ, whose default
# action killed casepack mid-write and left its temporary file behind.
NAME=regress.file_size_limit_is_an_error_not_a_crash; fresh
head -c 10000 /dev/zero | tr '\0' x > t.txt
( ulimit -f 4; exec "$CASEPACK" render t.txt -o out.txt ) > .stdout 2> .stderr
STATUS=$?; OUT=$(cat .stdout); ERR=$(cat .stderr)
only_files t.txt || fail "left files behind: $(ls -A)"
expect 3 "" "casepack: error: out.txt: cannot write (write): File too large"

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

finish
