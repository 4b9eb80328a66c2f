# tests/cli/lib.sh: helpers for command-line tests. Each test runs casepack
# in a fresh folder and compares exit status, standard output and standard
# error exactly; it prints "ok NAME" or "FAIL NAME: why".
set -u
: "${CASEPACK:?CASEPACK must name the casepack binary}"
: "${CASEPACK_ROOT:?CASEPACK_ROOT must name the source tree}"
FIX="$CASEPACK_ROOT/fixtures"
T_FAILED=0
TMP_ROOT=$(mktemp -d)
trap 'rm -rf "$TMP_ROOT"' EXIT

# A fresh, empty working folder for each test; the test runs inside it.
fresh() {
    WORK=$(mktemp -d "$TMP_ROOT/t.XXXXXX")
    cd "$WORK" || exit 1
}

# run CMD...: runs casepack with the arguments, keeping status, stdout, stderr.
run() {
    "$CASEPACK" "$@" > "$WORK/.stdout" 2> "$WORK/.stderr"
    STATUS=$?
    OUT=$(cat "$WORK/.stdout")
    ERR=$(cat "$WORK/.stderr")
}

fail() {
    echo "FAIL $NAME: $*"
    T_FAILED=1
}

# expect STATUS OUT ERR: exact comparison of the last run.
expect() {
    local ok=1
    [ "$STATUS" = "$1" ] || { fail "exit status $STATUS, want $1 (stderr: $ERR)"; ok=0; }
    [ "$ok" = 1 ] && [ "$OUT" != "$2" ] && { fail "stdout $(printf %q "$OUT"), want $(printf %q "$2")"; ok=0; }
    [ "$ok" = 1 ] && [ "$ERR" != "$3" ] && { fail "stderr $(printf %q "$ERR"), want $(printf %q "$3")"; ok=0; }
    [ "$ok" = 1 ] && echo "ok $NAME"
}

# expect_status STATUS: only the exit status (for tests that then look at files).
expect_status() {
    if [ "$STATUS" = "$1" ]; then return 0; fi
    fail "exit status $STATUS, want $1 (stderr: $ERR)"
    return 1
}

pass() { echo "ok $NAME"; }

# The folder holds exactly these names (hidden ones included), nothing else.
only_files() {
    local got want
    got=$(cd "$WORK" && ls -A | grep -v '^\.std\(out\|err\)$' | sort | tr '\n' ' ')
    want=""
    [ $# -gt 0 ] && want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$got" = "$want" ]
}

finish() { exit "$T_FAILED"; }
