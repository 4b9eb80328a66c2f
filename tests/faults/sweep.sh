# tests/faults/sweep.sh: fault injection over whole commands (`make faults`,
# `tests/run faults`). For each scenario (a text render, a DOCX render, a
# package, a batch) a clean run under the shim (build/faults/inject.so)
# counts the calls of write, read, fsync, fdatasync, rename, link, close,
# close-clean, malloc and zip_close; then every one of those calls is failed
# in turn, one run each, and every run must end as a failure should:
#
#   - exit status 3 with "casepack: error:" naming a file of the scenario
#     and the operation that failed; malloc: abort with casepack's
#     out-of-memory message (status 134); close-clean (closing a file only
#     read from, or written and already synced) may also succeed, when the
#     output is then exactly the clean one;
#   - nothing half-written in the output folder: no temporary file, and every
#     file there identical to the clean run's file of the same name.
#
# Then a full disk: a tiny tmpfs over the output folder when we may mount
# one (root), and a file size limit (ulimit -f) always.
#
# FAULT_STRIDE=K tries every Kth call only, SWEEP_ONLY=NAME one scenario
# (render_text, render_docx, package, package_encrypted, batch): quicker
# while working.
. "$(dirname "$0")/../cli/lib.sh"
SHIM=${FAULTS_SO:-$CASEPACK_ROOT/build/faults/inject.so}
STRIDE=${FAULT_STRIDE:-1}
ulimit -c 0
if [ ! -f "$SHIM" ]; then
    echo "FAIL faults: $SHIM is missing: build it with make faults"
    exit 1
fi
# A sanitizer's runtime sits inside the executable and takes malloc, write
# and close before any preloaded library: the shim cannot work there.
if grep -q __asan_init "$CASEPACK" 2> /dev/null; then
    echo "ok faults.skipped_under_sanitizers"
    exit 0
fi
trap 'umount "$WORK/out" 2> /dev/null; rm -rf "$TMP_ROOT"' EXIT
# The shipped citations, wherever the binary under test was built.
export CASEPACK_TEMPLATES=${CASEPACK_TEMPLATES:-$CASEPACK_ROOT/templates}

# The errno each call fails with: a full disk for writes, a failing disk
# for the rest.
errno_for() {
    case "$1" in
        write | zip_close) echo ENOSPC ;;
        malloc) echo ENOMEM ;;
        *) echo EIO ;;
    esac
}

# What a message must say for each failed call: the operation, in words a
# reader recognises.
op_words() {
    case "$1" in
        write) echo 'write' ;;
        read) echo 'read' ;;
        fsync | fdatasync) echo 'sync|write' ;;
        rename | link) echo 'rename|link|write' ;;
        close) echo 'close|write' ;;
        close-clean) echo 'close|read|write' ;;
        zip_close) echo 'zip|writ' ;;
    esac
}

# Lists out/ as "sha256  ./path" lines, hidden files included, state files
# (STATE_RE) left out.
snapshot() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) | grep -Ev "${STATE_RE:-^$}"
}

# check_run FUNC N: judges the last run (STATUS, ERR, $WORK/out) against the
# clean one ($WORK/.ref). Prints nothing and returns 0 when it is right.
check_run() {
    local func=$1 n=$2 why=""
    local left
    left=$(cd "$WORK" && find . \( -name '*.tmp' -o -name '.*.tmp*' \) -print | head -n 3)
    [ -z "$left" ] || why="temporary file left: $left"
    # Every output there must be complete: the same bytes as the clean run's,
    # or (VERIFY_OUTPUTS: encrypted packages, salted anew on every run) a
    # package `casepack verify` accepts.
    if [ -z "$why" ] && [ -n "${VERIFY_OUTPUTS:-}" ]; then
        local f
        for f in "$WORK"/out/*; do
            [ -e "$f" ] || continue
            "$CASEPACK" verify "$f" > /dev/null 2>&1 || { why="half-written or unexpected output: ${f#"$WORK"/out/}"; break; }
        done
    elif [ -z "$why" ]; then
        local extra
        extra=$(snapshot "$WORK/out" | grep -vxF -f "$WORK/.ref" | head -n 1)
        [ -z "$extra" ] || why="half-written or unexpected output: ${extra#*  }"
    fi
    if [ -z "$why" ]; then
        case "$func" in
            malloc)
                [ "$STATUS" = 134 ] || why="exit status $STATUS, want 134 (abort)"
                [ -n "$why" ] || printf '%s\n' "$ERR" | grep -Eq '^casepack: error: out of memory \(asked for [0-9]+ bytes\)$' ||
                    why="no out-of-memory message"
                ;;
            *)
                if [ "$func" = close-clean ] && [ "$STATUS" = 0 ]; then
                    [ -n "${VERIFY_OUTPUTS:-}" ] || [ "$(snapshot "$WORK/out")" = "$(cat "$WORK/.ref")" ] ||
                        why="succeeded with different output"
                elif [ "$STATUS" != 3 ]; then
                    why="exit status $STATUS, want 3"
                else
                    local line
                    line=$(printf '%s\n' "$ERR" | grep '^casepack: error: ' | grep -E "$FILES_RE" | grep -Ei "$(op_words "$func")" | head -n 1)
                    [ -n "$line" ] || why="no message naming the file and the operation"
                fi
                ;;
        esac
    fi
    [ -z "$why" ] && return 0
    echo "$func:$n: $why; stderr: $(printf '%s' "$ERR" | head -c 400)"
    return 1
}

# sweep SCENARIO: $WORK holds the inputs, CMD the arguments, FILES_RE the
# file names a message may name, STATE_RE the files in out/ that are state
# rather than output (batch's journal and report, which differ from run to
# run by design). Cleans out/ before each run.
sweep() {
    local scenario=$1 counts="$WORK/.counts"
    if [ -n "${SWEEP_ONLY:-}" ] && [ "$SWEEP_ONLY" != "$scenario" ]; then
        return
    fi
    rm -rf "$WORK/out" "$counts"
    mkdir "$WORK/out"
    CASEPACK_FAULT_COUNT="$counts" LD_PRELOAD="$SHIM" "$CASEPACK" "${CMD[@]}" > "$WORK/.stdout" 2> "$WORK/.stderr"
    STATUS=$?
    CLEAN_OK=0
    if [ "$STATUS" != 0 ]; then
        NAME=faults.$scenario.clean_run
        fail "the clean run failed with status $STATUS: $(head -c 400 "$WORK/.stderr")"
        return
    fi
    CLEAN_OK=1
    snapshot "$WORK/out" > "$WORK/.ref"
    local func total n problems shown
    for func in write read fsync fdatasync rename link close close-clean malloc zip_close; do
        NAME=faults.$scenario.$func
        total=$(awk -v f="$func" '$1 == f { s += $2 } END { print s + 0 }' "$counts")
        problems=0
        shown=""
        for ((n = 1; n <= total; n += STRIDE)); do
            rm -rf "$WORK/out"
            mkdir "$WORK/out"
            # In a subshell, so that the shell's "Aborted" notice lands in
            # the file (and is dropped) rather than on our output.
            (CASEPACK_FAULT="$func:$n:$(errno_for "$func")" LD_PRELOAD="$SHIM" \
                "$CASEPACK" "${CMD[@]}"; exit $?) > "$WORK/.stdout" 2> "$WORK/.stderr"
            STATUS=$?
            ERR=$(grep -v ' Aborted  ' "$WORK/.stderr")
            local verdict
            if ! verdict=$(check_run "$func" "$n"); then
                problems=$((problems + 1))
                [ "$problems" -le "${SHOW_PROBLEMS:-3}" ] && shown="$shown
    $verdict"
            fi
        done
        if [ "$problems" -eq 0 ]; then
            echo "ok $NAME ($total calls)"
        else
            fail "$problems of $total failed calls mishandled:$shown"
        fi
    done
}

# full_disk SCENARIO: the output folder on a tmpfs too small for the output
# (when we may mount), then under a file size limit of one kilobyte.
full_disk() {
    local scenario=$1
    if [ -n "${SWEEP_ONLY:-}" ] && [ "$SWEEP_ONLY" != "$scenario" ] || [ "${CLEAN_OK:-0}" != 1 ]; then
        return
    fi
    NAME=faults.$scenario.full_disk
    rm -rf "$WORK/out"
    mkdir "$WORK/out"
    if mount -t tmpfs -o size=4k casepack-faults "$WORK/out" 2> /dev/null; then
        # Fill what the one page leaves so nothing of the output fits.
        head -c 4096 /dev/zero > "$WORK/out/.filler" 2> /dev/null
        "$CASEPACK" "${CMD[@]}" > "$WORK/.stdout" 2> "$WORK/.stderr"
        STATUS=$?
        ERR=$(cat "$WORK/.stderr")
        rm -f "$WORK/out/.filler"
        local verdict
        verdict=$(check_run write full)
        umount "$WORK/out"
        [ -z "$verdict" ] && printf '%s\n' "$ERR" | grep -q 'No space left on device' && echo "ok $NAME" ||
            fail "${verdict:-no \"No space left on device\" in: $ERR}"
    else
        echo "ok $NAME (not root: tmpfs skipped, file size limit only)"
    fi
    NAME=faults.$scenario.file_size_limit
    rm -rf "$WORK/out"
    mkdir "$WORK/out"
    (ulimit -f 1; exec "$CASEPACK" "${CMD[@]}") > "$WORK/.stdout" 2> "$WORK/.stderr"
    STATUS=$?
    ERR=$(cat "$WORK/.stderr")
    local verdict
    verdict=$(check_run write limit)
    [ -z "$verdict" ] && printf '%s\n' "$ERR" | grep -q 'File too large' && echo "ok $NAME" ||
        fail "${verdict:-no \"File too large\" in: $ERR}"
}

has_command() {
    "$CASEPACK" --help 2> /dev/null | grep -Eq "^  $1 "
}

# A text render: one data file, one template, one output. The template is
# large enough that the output never fits in one block.
fresh
{
    printf 'Dear {{recipient.name}},\n\n'
    for i in $(seq 1 200); do printf "Paragraph %d of the letter, which says what it must say.\\n" "$i"; done
    printf '{{#demands}}- {{.}}\n{{/demands}}\n'
} > letter.txt
printf 'recipient:\n  name: Roberta Metsola\ndemands: [amnesty, asylum]\n' > case.yaml
CMD=(render letter.txt -d case.yaml -o out/letter.txt)
FILES_RE='letter\.txt|case\.yaml'
sweep render_text
full_disk render_text

# A DOCX render: zip read, XML parts compiled, a zip written.
fresh
cp "$FIX/letter.docx" "$FIX/letter.yaml" .
CMD=(render letter.docx -d letter.yaml -o out/letter.docx)
FILES_RE='letter\.docx|letter\.yaml'
sweep render_docx
full_disk render_docx

# A package: a kit of one's own (a DOCX letter), a case with two annexes,
# one zip with a manifest.
if has_command package; then
    fresh
    mkdir -p kits/fault-kit annexes
    cp "$FIX/minimal.docx" kits/fault-kit/letter.docx
    printf 'id: fault-kit\ntitle: Fault injection kit\ndescription: a letter and annexes\n' > kits/fault-kit/kit.yaml
    printf 'locale: en\nschema: schema.yaml\ndocuments:\n  - {id: letter, title: Letter, template: letter}\n' >> kits/fault-kit/kit.yaml
    printf 'type: object\nrequired: [kit, id, name]\n' > kits/fault-kit/schema.yaml
    printf 'properties:\n  kit: {type: string}\n  id: {type: string}\n  name: {type: string}\n  annexes: {type: array}\n' >> kits/fault-kit/schema.yaml
    printf 'kit: fault-kit\nid: fault-case\nname: Olena Petrenko\nannexes:\n' > case.yaml
    printf '  - {number: A01, file: annexes/decision.txt, title: The decision}\n' >> case.yaml
    printf '  - {number: A02, file: annexes/passport.txt, title: The passport}\n' >> case.yaml
    printf 'The decision of 18 December 2026.\n' > annexes/decision.txt
    printf 'Passport, page 1.\n' > annexes/passport.txt
    CMD=(package case.yaml --kits kits -o out --date 2027-01-17)
    FILES_RE='case\.yaml|kits/|annexes/|citations/|out/|\.zip|\.docx'
    sweep package
    full_disk package
    # Encrypted, the package goes through libzip's AES and its zip_close.
    CMD=(package case.yaml --kits kits -o out --date 2027-01-17 --encrypt)
    export CASEPACK_PASSWORD='correct horse' VERIFY_OUTPUTS=1
    sweep package_encrypted
    unset CASEPACK_PASSWORD VERIFY_OUTPUTS
else
    echo "ok faults.package.skipped (casepack has no package command yet)"
fi

# A batch: three records from CSV, one DOCX per record, one at a time.
if has_command batch; then
    fresh
    cp "$FIX/minimal.docx" letter.docx
    printf 'name,city\nOlena Petrenko,Kyiv\nBo Andersen,Oslo\nZelenyi Svit,Odesa\n' > records.csv
    CMD=(batch letter.docx --records records.csv -o out -j 1)
    FILES_RE='records\.csv|letter\.docx|out/|\.docx|report'
    STATE_RE='  \./(\.casepack-journal|report\.json)$'
    sweep batch
    full_disk batch
else
    echo "ok faults.batch.skipped (casepack has no batch command yet)"
fi

finish
