# casepack cite list|show, and citations in rendered text templates: the
# library is read only for templates that cite, --citations adds or
# overrides entries, authorities may stand before the citations they list.
# A small library of our own, except for one entry of the shipped one.
. "$(dirname "$0")/lib.sh"

TPL="$TMP_ROOT/templates"
mkdir -p "$TPL/citations"
cat > "$TPL/citations/lib.yaml" <<'EOF'
RC51-33:
  kind: treaty-article
  title: "Convention relating to the Status of Refugees, Art. 33"
  title_uk: "Конвенція про статус біженців"
  short: "1951 Convention, Art. 33"
  short_uk: "ст. 33 Конвенції 1951 року"
  pinpoint: "Art. 33(1)"
  date: "1951-07-28"
  source: "https://example.org/1951?a=1&b=2"
  summary: "No return to persecution."
  status: verified
NR:
  title: "Non-refoulement & friends"
  short: "NR"
  source_note: address not opened
  status: unverified
HB-195:
  title: Handbook
  short: Handbook, paras 195-205
  status: partly
EOF
export CASEPACK_TEMPLATES="$TPL"

NAME=cite.list_sorted_with_status; fresh
run cite list
expect 0 "HB-195   partly      Handbook, paras 195-205
NR       unverified  NR
RC51-33  verified    1951 Convention, Art. 33" ""

NAME=cite.list_in_ukrainian; fresh
run cite list --locale uk
expect 0 "HB-195   partly      Handbook, paras 195-205
NR       unverified  NR
RC51-33  verified    ст. 33 Конвенції 1951 року" ""

NAME=cite.list_with_user_entries; fresh
printf 'NR:\n  title: Mine\n  short: My NR\n  status: partly\nA-LONG-KEY-OF-MINE:\n  title: T\n  short: S\n  status: verified\n' > mine.yaml
run cite list --citations mine.yaml
expect 0 "A-LONG-KEY-OF-MINE  verified    S
HB-195              partly      Handbook, paras 195-205
NR                  partly      My NR
RC51-33             verified    1951 Convention, Art. 33" ""

NAME=cite.show_every_field; fresh
run cite show RC51-33
expect 0 "key:         RC51-33
kind:        treaty-article
title:       Convention relating to the Status of Refugees, Art. 33
short:       1951 Convention, Art. 33
pinpoint:    Art. 33(1)
date:        1951-07-28
source:      https://example.org/1951?a=1&b=2
summary:     No return to persecution.
status:      verified
defined in:  $TPL/citations/lib.yaml:1" ""

NAME=cite.show_in_ukrainian_with_a_note; fresh
run cite show NR --locale uk
expect 0 "key:         NR
title:       Non-refoulement & friends
short:       NR
source_note: address not opened
status:      unverified
defined in:  $TPL/citations/lib.yaml:12" ""

NAME=cite.show_unknown_key_suggests; fresh
run cite show rc51-33
expect 1 "" 'casepack: error: unknown citation "rc51-33" (did you mean "RC51-33"?); `casepack cite list` shows the keys'

NAME=cite.show_shipped_entry; fresh
CASEPACK_TEMPLATES="$CASEPACK_ROOT/templates" run cite show RC51-31
expect 0 "key:         RC51-31
kind:        treaty-article
title:       Convention relating to the Status of Refugees, 28 July 1951 (in force 22 April 1954), 189 UNTS 137
short:       1951 Convention, Art. 31
pinpoint:    Art. 31
date:        1951-07-28
source:      https://ja.scribd.com/document/340673923/Refugees
summary:     Refugees coming directly who present themselves to the authorities without delay and show good cause are not penalised for illegal entry or presence; only necessary restrictions on their movement are allowed.
status:      verified
defined in:  $CASEPACK_ROOT/templates/citations/refugee.yaml:47" ""

NAME=cite.usage_errors; fresh
run cite
expect 2 "" "casepack: error: cite needs list, or show and a KEY: casepack cite list|show KEY [--citations FILE] [--locale TAG]
Try 'casepack --help'."
run cite show
NAME=cite.usage_errors.show_without_key
expect 2 "" "casepack: error: cite show takes one KEY: casepack cite list|show KEY [--citations FILE] [--locale TAG]
Try 'casepack --help'."

NAME=cite.bad_user_file; fresh
printf 'NR:\n  title: Mine\n  status: maybe\n' > mine.yaml
run cite list --citations mine.yaml
expect 1 "" 'casepack: error: mine.yaml:1:1: entry NR has no "short" field; every entry needs title, short and status
casepack: error: mine.yaml:3:11: entry NR has status "maybe"; it must be verified, partly or unverified, as the research notes grade it (never raise a status without reading the official text)'

NAME=render.cite_and_authorities_at_the_end; fresh
cat > t.txt <<'EOF'
See {{cite "RC51-33"}}; {{cite key "para. 3"}}; {{cite "RC51-33" "Art. 33(2)"}}.
{{#authorities}}
{{@number}}. {{{title}}} ({{short}}) {{pinpoints | join ", "}} {{source}}
{{/authorities}}
EOF
printf 'key: NR\n' > d.yaml
run render t.txt -d d.yaml -o -
expect 0 "See 1951 Convention, Art. 33; NR, para. 3; 1951 Convention, Art. 33, Art. 33(2).
1. Convention relating to the Status of Refugees, Art. 33 (1951 Convention, Art. 33) Art. 33(2) https://example.org/1951?a=1&amp;b=2
2. Non-refoulement & friends (NR) para. 3 " 'casepack: warning: t.txt:1:25: citation "NR" is unverified: check it against the official text before filing'

NAME=render.authorities_before_the_citations; fresh
cat > t.txt <<'EOF'
TABLE OF AUTHORITIES
{{#authorities}}
{{@number}}. {{short}}{{#@last}}.{{/@last}}
{{/authorities}}
{{^authorities}}
(none)
{{/authorities}}
BODY {{cite "HB-195" "para. 196"}} and {{cite "RC51-33"}}.
EOF
run render t.txt -o -
expect 0 "TABLE OF AUTHORITIES
1. Handbook, paras 195-205
2. 1951 Convention, Art. 33.
BODY Handbook, paras 195-205, para. 196 and 1951 Convention, Art. 33." 'casepack: warning: t.txt:8:6: citation "HB-195" is only partly verified: check it against the official text before filing'

NAME=render.unknown_citation_is_an_error; fresh
printf '{{cite "RC51-3"}} {{#g}}{{cite k}}{{/g}}\n' > t.txt
printf 'g:\n  - k: ZZZ\n' > d.yaml
run render t.txt -d d.yaml -o out.txt
expect 1 "" 'casepack: error: t.txt:1:1: {{cite "RC51-3"}}: unknown citation "RC51-3" (did you mean "RC51-33"?); `casepack cite list` shows the keys
casepack: error: t.txt:1:25: {{cite k}}: unknown citation "ZZZ" (the value at d.yaml:2:8); `casepack cite list` shows the keys'

NAME=render.library_read_only_when_the_template_cites; fresh
printf 'Dear {{name}}all\n' > plain.txt
printf 'x {{cite "NR"}}\n' > cites.txt
CASEPACK_TEMPLATES="$WORK/none" run render plain.txt -o -
expect 0 "Dear all" ""
NAME=render.library_read_only_when_the_template_cites.cites
CASEPACK_TEMPLATES="$WORK/none" run render cites.txt -o -
expect 1 "" "casepack: error: $WORK/none/citations: cannot read the citation folder: No such file or directory"

NAME=render.citations_flag_adds_and_overrides; fresh
printf '{{cite "NR"}} {{cite "MINE"}}\n' > t.txt
printf 'NR:\n  title: T\n  short: NR-2\n  status: verified\nMINE:\n  title: Mine\n  short: M\n  status: verified\n' > mine.yaml
run render t.txt --citations mine.yaml -o -
expect 0 "NR-2 M" ""

NAME=render.citations_flag_is_checked_even_without_cites; fresh
printf 'plain\n' > t.txt
printf 'NR: [1]\n' > mine.yaml
run render t.txt --citations mine.yaml -o -
expect 1 "" "casepack: error: mine.yaml:1:5: the entry NR must be a map of fields (title, short, status, …) indented below its key, not a list"

NAME=fields.lists_citation_tags; fresh
printf '{{cite "NR"}} {{cite g.key "p"}}\n{{#authorities}}{{title}}{{/authorities}}\n' > t.txt
run fields t.txt
expect 0 "$(printf 't.txt:1:1\tvalue\tcite "NR"\t-\nt.txt:1:15\tvalue\tcite g.key "p"\tg.key\nt.txt:2:1\tsection\t#authorities\t-\nt.txt:2:17\tvalue\ttitle\ttitle\nt.txt:2:26\tclose\t/authorities\t-')" ""

finish
