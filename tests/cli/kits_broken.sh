# A broken copy of each shipped kit's example (a missing required field, a
# bad date, a value failing its pattern, an unknown citation key) gives every
# error at once with its line and column, exit status 1 and no output, from
# `casepack check` and from `casepack render --kit`; the unbroken examples
# pass both.
. "$(dirname "$0")/lib.sh"
KITS="$CASEPACK_ROOT/templates"
EXAMPLES="$CASEPACK_ROOT/examples"

# break_copy KIT OLD NEW [OLD NEW]...: the kit's example with each OLD line
# replaced by NEW (an empty NEW removes the line), as case.yaml here.
break_copy() {
    local kit=$1
    shift
    cp -r "$EXAMPLES/$kit/." .
    python3 - "$@" <<'PY'
import sys
s = open("case.yaml", encoding="utf-8").read()
args = sys.argv[1:]
for old, new in zip(args[0::2], args[1::2]):
    assert old in s, old
    s = s.replace(old + "\n", new + "\n" if new else "", 1)
open("case.yaml", "w", encoding="utf-8").write(s)
PY
}

# both KIT DOC WANT: check and render --kit both fail with exactly WANT.
both() {
    local kit=$1 doc=$2 want=$3 base=$NAME
    NAME=$base.check
    run check "$kit" case.yaml
    expect 1 "" "$want"
    NAME=$base.render
    run render --kit "$kit" "$KITS/$kit/$doc.docx" -d case.yaml -o out.docx
    [ -e out.docx ] && fail "out.docx was written"
    expect 1 "" "$want"
}

for kit in ua-refugee-appeal eu-petition-letter political-prisoner-submission us-congress-letter; do
    NAME=kits.$kit.example_conforms; fresh
    run check "$kit" "$EXAMPLES/$kit/case.yaml"
    expect 0 "" ""
done

NAME=kits.ua-refugee-appeal.broken; fresh
break_copy ua-refugee-appeal \
    '  citizenship: Російська Федерація' '' \
    '  birth_date: 1993-05-08' '  birth_date: 1993-02-30' \
    '  rnokpp: "3404217856"' '  rnokpp: "340421785"' \
    '    citations: [HB-80-86]' '    citations: [HB-80-68]'
both ua-refugee-appeal claim 'casepack: error: case.yaml:24:3: plaintiff: "citizenship" is required (Громадянство або «особа без громадянства» (citizenship, nominative))
casepack: error: case.yaml:27:15: plaintiff.birth_date: "1993-02-30" is not a date: February 1993 has 28 days
casepack: error: case.yaml:29:11: plaintiff.rnokpp: "340421785" does not match the pattern ^[0-9]{10}$; for example: 1234567890
casepack: error: case.yaml:88:17: grounds.1.citations.0: unknown citation "HB-80-68" (did you mean "HB-80-86"?); `casepack cite list` shows the keys'

NAME=kits.eu-petition-letter.broken; fresh
break_copy eu-petition-letter \
    '  role: Coordinator' '' \
    'date: 2025-12-10' 'date: 2025-13-10' \
    '  email: coordination@example.org' '  email: coordination.example.org' \
    '    citations: [CFR-18, CFR-19]' '    citations: [CFR-18, CFR-91]'
both eu-petition-letter letter 'casepack: error: case.yaml:22:7: date: "2025-13-10" is not a date: there is no month 13; write it as YYYY-MM-DD
casepack: error: case.yaml:26:3: sender: "role" is required (That person'"'"'s role in the organisation)
casepack: error: case.yaml:28:10: sender.email: "coordination.example.org" does not match the pattern ^[^@\s]+@[^@\s]+\.[^@\s]+$; for example: coordination@example.org
casepack: error: case.yaml:73:25: arguments.2.citations.1: unknown citation "CFR-91" (did you mean "CFR-18"?); `casepack cite list` shows the keys'

NAME=kits.political-prisoner-submission.broken; fresh
break_copy political-prisoner-submission \
    '  role: Lawyer' '' \
    '  birth_date: 1988-04-19' '  birth_date: 19.04.1988' \
    '  email: cases@example.org' '  email: cases at example.org' \
    '    citations: [PACE-1900]' '    citations: [PACE-1990]'
both political-prisoner-submission submission 'casepack: error: case.yaml:27:3: submitter: "role" is required (That person'"'"'s role)
casepack: error: case.yaml:29:10: submitter.email: "cases at example.org" does not match the pattern ^[^@\s]+@[^@\s]+\.[^@\s]+$; for example: cases@example.org
casepack: error: case.yaml:36:15: detainee.birth_date: "19.04.1988" is not a date; write it as YYYY-MM-DD
casepack: error: case.yaml:80:17: criteria.1.citations.0: unknown citation "PACE-1990" (did you mean "PACE-1900"?); `casepack cite list` shows the keys'

NAME=kits.us-congress-letter.broken; fresh
break_copy us-congress-letter \
    '  email: d.orlov@example.org' '' \
    'date: 2025-03-03' 'date: 2025-02-29' \
    '  zip: "98101"' '  zip: "9810"' \
    '  precedent: US-LAUTENBERG' '  precedent: US-LAUTENBURG'
both us-congress-letter letter 'casepack: error: case.yaml:24:3: sender: "email" is required (E-mail for the reply)
casepack: error: case.yaml:28:8: sender.zip: "9810" does not match the pattern ^[0-9]{5}(-[0-9]{4})?$; for example: 98101
casepack: error: case.yaml:33:7: date: "2025-02-29" is not a date: February 2025 has 28 days
casepack: error: case.yaml:36:14: program.precedent: unknown citation "US-LAUTENBURG" (did you mean "US-LAUTENBERG"?); `casepack cite list` shows the keys'

finish
