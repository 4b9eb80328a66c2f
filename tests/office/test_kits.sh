# tests/office/test_kits.sh: the four shipped kits render their examples to
# DOCX and ODT through `render --kit` (schema check, defaults, citations), and
# LibreOffice lays every output out: all are converted to PDF in one soffice
# run and pdftotext must show the parties, the dates in the kit's language,
# the citations' short forms, the table of authorities, and no tag left over.
# Variants over each example cover the other branches of the templates: a
# female plaintiff, one record of the petition's CSV, a House letter with a
# bill, English-only headings.
# shellcheck shell=bash disable=SC1111,SC1112,SC1091  # curly quotes are text under test; lib.sh is found at run time
# shellcheck disable=SC2034  # NAME is read by pass and fail in lib.sh
. "$(dirname "$0")/../cli/lib.sh"
OFFICE="$CASEPACK_ROOT/tests/office"
KITS="$CASEPACK_ROOT/templates"
EX="$CASEPACK_ROOT/examples"
fresh
OUT=$WORK
files=()

# render_kit NAME KIT DOC OUT DATA...: render --kit with the data files in order.
render_kit() {
    local name=$1 kit=$2 doc=$3 out=$4
    shift 4
    local d=()
    for f in "$@"; do d+=(-d "$f"); done
    NAME=kits.render.$name
    if "$CASEPACK" render --kit "$kit" "$KITS/$kit/$doc" "${d[@]}" -o "$OUT/$out" \
        2> "$OUT/$out.err"; then
        files+=("$OUT/$out")
        pass
    else
        fail "status $?: $(head -5 "$OUT/$out.err")"
    fi
}

for fmt in docx odt; do
    render_kit ua.$fmt ua-refugee-appeal claim.$fmt ua.$fmt "$EX/ua-refugee-appeal/case.yaml"
    render_kit eu.$fmt eu-petition-letter letter.$fmt eu.$fmt "$EX/eu-petition-letter/case.yaml"
    render_kit pp.$fmt political-prisoner-submission submission.$fmt pp.$fmt \
        "$EX/political-prisoner-submission/case.yaml"
    render_kit us.$fmt us-congress-letter letter.$fmt us.$fmt "$EX/us-congress-letter/case.yaml"
done

# Unverified citations warn, naming the entry, and do not stop the render.
NAME=kits.ua.warns_unverified_citation
if grep -qF 'citation "HB-80-86" is unverified' "$OUT/ua.docx.err"; then pass; else
    fail "no warning for HB-80-86 in: $(head -3 "$OUT/ua.docx.err")"; fi

# A female plaintiff: every party word agrees.
cat > ua-female.yaml <<'EOF'
plaintiff:
  gender: female
EOF
render_kit ua-female.docx ua-refugee-appeal claim.docx ua-female.docx \
    "$EX/ua-refugee-appeal/case.yaml" ua-female.yaml

# Two records of the petition's CSV, each merged over the common case: the
# row with a Belarusian (Cyrillic) organisation and the row with "&".
python3 - "$EX/eu-petition-letter/records.csv" <<'EOF'
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
for n in (5, 6):
    rec = {}
    for key, cell in rows[n - 1].items():
        head, _, tail = key.partition(".")
        rec.setdefault(head, {})[tail] = cell
    with open("row%d.json" % n, "w", encoding="utf-8") as out:
        json.dump(rec, out, ensure_ascii=False)
EOF
NAME=kits.eu.records_csv_has_a_dozen_rows
rows=$(python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))))' \
    "$EX/eu-petition-letter/records.csv")
if [ "$rows" = 12 ]; then pass; else fail "$rows rows"; fi
render_kit eu-row5.docx eu-petition-letter letter.docx eu-row5.docx "$EX/eu-petition-letter/case.yaml" row5.json
render_kit eu-row6.odt eu-petition-letter letter.odt eu-row6.odt "$EX/eu-petition-letter/case.yaml" row6.json

# The whole CSV through batch: twelve packages, one letter each; the sixth
# (the "&" row) is opened in LibreOffice with the rest.
NAME=kits.eu.batch_twelve_letters
if "$CASEPACK" batch eu-petition-letter --records "$EX/eu-petition-letter/records.csv" \
    -d "$EX/eu-petition-letter/case.yaml" -o "$OUT/batch" --name 'row-{{@number}}' -j 2 \
    > "$OUT/batch.out" 2> "$OUT/batch.err"; then
    got=$(find "$OUT/batch" -maxdepth 1 -name "row-*.zip" | wc -l)
    if [ "$got" = 12 ] && python3 - "$OUT/batch/row-6.zip" "$OUT/batch-row6.docx" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = [n for n in z.namelist() if n.endswith("/01-letter.docx")][0]
    with open(sys.argv[2], "wb") as out:
        out.write(z.read(name))
EOF
    then
        files+=("$OUT/batch-row6.docx")
        pass
    else
        fail "$got packages, or no 01-letter.docx in row-6.zip"
    fi
else
    fail "status $?: $(grep -v 'verified' "$OUT/batch.err" | head -3)"
fi

# A Representative, with a bill to cosponsor.
cat > us-house.yaml <<'EOF'
chamber: house
legislator:
  full_name: John Q. Example
  last_name: Example
  room: "1000"
  building: Longworth House Office Building
bill:
  number: H.R. 1234
  title: Persecuted Minorities Refugee Act
EOF
render_kit us-house.docx us-congress-letter letter.docx us-house.docx "$EX/us-congress-letter/case.yaml" us-house.yaml

# English headings only.
cat > pp-en.yaml <<'EOF'
headings_uk: false
EOF
render_kit pp-en.odt political-prisoner-submission submission.odt pp-en.odt \
    "$EX/political-prisoner-submission/case.yaml" pp-en.yaml

NAME=kits.libreoffice_converts_every_output
if "$OFFICE/pdf_text.sh" "${files[@]}" > "$OUT/all.txt" 2> "$OUT/pdf.err"; then pass; else
    fail "$(tail -3 "$OUT/pdf.err")"; fi

# The text of one document, on one line with runs of white space squeezed:
# justified lines and line breaks then never split a phrase under test.
pdf_flat() {
    awk -v f="==> $OUT/$1 <==" '{ sub(/^\f/, "") } $0 == f { on = 1; next } /^==> .* <==$/ { on = 0 } on' \
        "$OUT/all.txt" | tr '\n\f\t' '   ' | tr -s ' '
}

# shows NAME FILE TEXT...: every TEXT appears in FILE's PDF text.
shows() {
    NAME=$1
    local file=$2 text missing=
    shift 2
    text=$(pdf_flat "$file")
    for want in "$@"; do
        grep -qF -- "$want" <<< "$text" || missing="$missing [$want]"
    done
    if [ -n "$missing" ]; then fail "PDF text of $file lacks:$missing"; else pass; fi
}

# hides NAME FILE TEXT...: no TEXT appears in FILE's PDF text.
hides() {
    NAME=$1
    local file=$2 text shown=
    shift 2
    text=$(pdf_flat "$file")
    for bad in "$@"; do
        grep -qF -- "$bad" <<< "$text" && shown="$shown [$bad]"
    done
    if [ -n "$shown" ]; then fail "PDF text of $file shows:$shown"; else pass; fi
}

for fmt in docx odt; do
    shows kits.ua.$fmt.parties ua.$fmt "Одеський окружний адміністративний суд" \
        "Позивач: Вершинін Марк Олексійович (VERSHININ MARK)" "дата народження: 08.05.1993" \
        "РНОКПП: 3404217856" "довідка про звернення за захистом в Україні № 012345" \
        "електронний кабінет: не зареєстровано" "Представник позивача: адвокат Коваленко Олена Петрівна" \
        "Відповідач: Державна міграційна служба України код ЄДРПОУ: 12345678" \
        "Судовий збір: позивач звільнений від сплати"
    shows kits.ua.$fmt.body ua.$fmt "ПОЗОВНА ЗАЯВА" \
        "про визнання протиправним та скасування рішення, зобовʼязання вчинити дії" \
        "Рішенням ДМС України від 18 грудня 2026 р. № 45-26 позивачеві відмовлено у визнанні біженцем" \
        "Копію рішення позивач отримав 28 грудня 2026 р. (поштою). Співбесіди з позивачем проведено 14.09.2026, 22.10.2026." \
        "Відомостей про країну походження, на які спирався б відповідач, рішення не містить." \
        "У 2018–2020 роках позивача п’ять разів били на вулиці" \
        "Переслідування за ознакою належності до певної соціальної групи" \
        "Переслідування за політичні погляди" "Загроза серйозної шкоди: підстави для додаткового захисту" \
        "вимога приховувати ґендерну ідентичність, щоб уникнути переслідувань" \
        "відомості про країну походження: Громадська організація «Приклад»" \
        "30 червня 2026 р. (додаток A06)"
    shows kits.ua.$fmt.citations ua.$fmt \
        "(ст. 1A(2) Конвенції про статус біженців 1951 року; Закон України «Про біженців та осіб, які потребують додаткового або тимчасового захисту», п. 1 ч. 1 ст. 1)" \
        "Див.: UNHCR Guidelines on International Protection No. 2; UNHCR Guidelines on International Protection No. 9; CJEU, C-199/12 to C-201/12 X, Y and Z." \
        "(UNHCR Handbook, paras 195–205, зокрема пп. 203–204)" "(ст. 33 Конвенції про статус біженців 1951 року)" \
        "керуючись ст. 160 КАС України,"
    shows kits.ua.$fmt.requests ua.$fmt "ПРОШУ СУД:" "КЛОПОТАННЯ Також прошу суд:" \
        "1. Визнати протиправним та скасувати рішення ДМС України від 18.12.2026 № 45-26 про відмову у визнанні позивача біженцем" \
        "2. Зобовʼязати ДМС України повторно розглянути заяву позивача" \
        "3. Стягнути на користь позивача судові витрати" \
        "1. Залучити до участі у справі перекладача з російської мови, оскільки позивач недостатньо володіє українською мовою." \
        "2. Розглянути справу за участю позивача та його представника."
    shows kits.ua.$fmt.authorities ua.$fmt "Джерела, на які посилається позивач" \
        "1. ст. 1A(2) Конвенції про статус біженців 1951 року — Конвенція про статус біженців. https://zakon.rada.gov.ua/laws/show/995_011" \
        "12. ст. 160 КАС України — Кодекс адміністративного судочинства України."
    shows kits.ua.$fmt.annexes_and_signature ua.$fmt \
        "A01 Копія рішення ДМС України від 18.12.2026 № 45-26, на 2 арк." \
        "A07 Ордер на надання правничої допомоги, на 1 арк." \
        "12 січня 2027 р." "Представник позивача, адвокат _______________ Олена КОВАЛЕНКО" "стор. 1 з "
    # The deadline is the lawyer's planning field: never printed in the claim.
    hides kits.ua.$fmt.no_deadline_no_female_forms ua.$fmt "22 січня 2027" "22.01.2027" "2027-01-22" \
        "позивачка" "Позивачка" "позивачці"

    shows kits.eu.$fmt.letter eu.$fmt "Refusers’ Solidarity Network" "Brussels, 10 December 2025" \
        "Ursula von der Leyen, President of the European Commission" \
        "António Costa, President of the European Council" \
        "Dear President von der Leyen, dear President Costa, dear President Metsola," \
        "On behalf of the organisations listed below, we ask you to:" \
        "1. grant protection and asylum to deserters and conscientious objectors from Belarus and the Russian Federation;" \
        "3. open the borders of the Union to those who oppose the war" \
        "Maria Lindqvist Coordinator, Refusers’ Solidarity Network" "page 1 of "
    shows kits.eu.$fmt.citations eu.$fmt \
        "(Qualification Directive, Art. 9(2)(e); CJEU, C-472/13 Shepherd; CJEU, C-238/19 EZ)." \
        "(Bayatyan v. Armenia [GC], no. 23459/03; UNHCR Guidelines on International Protection No. 10; UNHCR Handbook, paras 167–174)." \
        "under Art. 227 TFEU (Petition No 0000/2025)" "in the spirit of Art. 24 TFEU,"
    shows kits.eu.$fmt.signatories_table eu.$fmt "No. Organisation Country" "1 Connection e.V. Germany" \
        "4 War Resisters’ International International" "5 Payday men’s network United Kingdom"
    shows kits.eu.$fmt.references eu.$fmt "References" \
        "Art. 227 TFEU: Treaty on the Functioning of the European Union, Art. 227." \
        "EU Charter, Art. 19: Charter of Fundamental Rights of the European Union, Art. 19"

    shows kits.pp.$fmt.person pp.$fmt "Submission on the detention of Bohdan Marchuk" \
        "Оцінка за критеріями Резолюції ПАРЄ 1900 (2012)" "Crimean Legal Aid Initiative" "12 June 2024 · CR-2024-017" \
        "1. The person / Особа" "Bohdan Marchuk (Богдан Марчук)" "Date of birth 19 April 1988" \
        "2. The detention / Позбавлення волі" "Arrest 14 March 2023, his home in Simferopol, during a search" \
        "16 Mar 2023" "5 Mar 2024" "Six years in a general-regime penal colony"
    shows kits.pp.$fmt.criteria pp.$fmt \
        "within the meaning of PACE Resolution 1900 (2012), para. 3." \
        "Under PACE Resolution 1900 (2012), para. 3, a person deprived of liberty" \
        "meets criteria (a), (c) and (e), for the reasons below." \
        "Criterion (a): a fundamental Convention guarantee is violated / Критерій (a)" \
        "Criterion (c): disproportionate length or conditions" "Criterion (e): clearly unfair proceedings" \
        "Sources: ECHR; ICCPR." "Sources: PACE Resolution 1900 (2012)." \
        "Sources: UNGA resolutions 71/205, 72/190, 73/263, 74/168 and 75/192; Rome Statute, Arts 7–8." \
        "under PACE Resolution 1900 (2012), para. 4."
    shows kits.pp.$fmt.remedies_consent_requests pp.$fmt "4. Remedies used / Використані засоби захисту" \
        "Appeal against remand in custody" "Registered; pending" \
        "Olha Marchuk (his wife, with his authority given through his lawyer) gave written consent to this submission on 2 May 2024." \
        "The consent covers publication of the name" \
        "(a) include Bohdan Marchuk in the Coalition’s list" "(c) keep the submitting organisation informed" \
        "Kyiv, 12 June 2024" "Kateryna Dovzhenko Lawyer, Crimean Legal Aid Initiative"
    shows kits.pp.$fmt.authorities pp.$fmt "7. Table of authorities / Перелік джерел" \
        "Cited as Instrument or decision Source" "PACE Resolution 1900" "Parliamentary Assembly of the" \
        "ECHR Convention for the Protection of Human" "Rome Statute, Arts 7–8"

    shows kits.us.$fmt.letter us.$fmt "Daniel Orlov 1200 Example Avenue, Apt. 4 Seattle, WA 98101" "March 3, 2025" \
        "The Honorable Jane A. Whitfield 531 Hart Senate Office Building United States Senate Washington, DC 20510" \
        "Dear Senator Whitfield:" \
        "As your constituent in Seattle, WA, I ask you to introduce and support legislation establishing a special refugee program for LGBT people persecuted in the Russian Federation, including Chechnya, modeled on the Lautenberg Amendment." \
        "Sincerely, Daniel Orlov Volunteer coordinator, Rainbow Refuge Seattle Constituent, Seattle, WA"
    shows kits.us.$fmt.citations us.$fmt "without proving each case in full (Lautenberg Amendment, Pub. L. 101-167, §599D)." \
        "before day 180 (INA §208(d)(2); 8 CFR 208.7(a))."
    hides kits.us.$fmt.senate_only us.$fmt "House of Representatives" "20515" "Please cosponsor"
done

# One page, as a letter to Congress should be, with the fonts the templates name.
if fc-list | grep -q 'Liberation Serif'; then
    shows kits.us.one_page us.docx "Page 1 of 1"
    shows kits.us.one_page_odt us.odt "Page 1 of 1"
fi

shows kits.ua.female ua-female.docx "Позивачка: Вершинін Марк Олексійович" \
    "Представник позивачки: адвокат" "позивачка звільнена від сплати" "№ 45-26 позивачці відмовлено" \
    "Копію рішення позивачка отримала 28 грудня 2026 р." "Співбесіди з позивачкою проведено" \
    "Позивачка не погоджується з цим рішенням" "у визнанні позивачки біженцем" \
    "знаходяться у позивачки та її представника" "Позивачка підтверджує, що не подавала" \
    "Джерела, на які посилається позивачка"
hides kits.ua.female.no_male_forms ua-female.docx "№ 45-26 позивачеві" "Позивач:" "позивач отримав" "не подавав"

shows kits.eu.row5 eu-row5.docx "Ініцыятыва «Мірны шлях»" "ul. Wzorcowa 9, 15-000 Białystok, Poland" \
    "António Costa President of the European Council European Council Rue de la Loi 175 1048 Brussels, Belgium" \
    "Dear President Costa," "Ініцыятыва «Мірны шлях» joins the organisations listed below in asking you to:" \
    "Алесь Карповіч Coordinator, Ініцыятыва «Мірны шлях»"
shows kits.eu.row6 eu-row6.odt "Friends & Families of Objectors" "1 Example Street, Dublin 1, Ireland" \
    "Roberta Metsola President of the European Parliament European Parliament Rue Wiertz 60 1047 Brussels, Belgium" \
    "Dear President Metsola," "Siobhán O’Neill Secretary, Friends & Families of Objectors" \
    "1 Connection e.V. Germany"
shows kits.eu.batch_row6 batch-row6.docx "Friends & Families of Objectors" "Dear President Metsola," \
    "Siobhán O’Neill Secretary, Friends & Families of Objectors"
hides kits.eu.row6.one_recipient eu-row6.odt "dear President Costa" "Ursula von der Leyen" "Refusers’ Solidarity Network"

shows kits.us.house us-house.docx \
    "The Honorable John Q. Example 1000 Longworth House Office Building U.S. House of Representatives Washington, DC 20515" \
    "Re: Please cosponsor H.R. 1234, Persecuted Minorities Refugee Act" "Dear Representative Example:" \
    "I ask you to cosponsor H.R. 1234, the Persecuted Minorities Refugee Act, which would establish a special refugee program"
hides kits.us.house.no_senate us-house.docx "United States Senate" "20510" "Senator"

shows kits.pp.english_only pp-en.odt "1. The person" "Criterion (a): a fundamental Convention guarantee is violated"
hides kits.pp.english_only.no_ukrainian pp-en.odt "Особа" "Критерій" "Перелік джерел"

# Table rows wrap in the PDF as the fonts decide; the documents' own text
# gives each row whole, cells joined by " | ".
# row NAME FILE LINE...: each LINE is a whole line of FILE's document text.
row() {
    NAME=$1
    local file=$2 tool=docx_text.py missing=
    shift 2
    [ "${file##*.}" = odt ] && tool=odt_text.py
    "$OFFICE/$tool" "$OUT/$file" > "$OUT/$file.txt" 2> "$OUT/$file.txt.err" \
        || { fail "$tool: $(head -3 "$OUT/$file.txt.err")"; return; }
    for want in "$@"; do
        grep -qxF -- "$want" "$OUT/$file.txt" || missing="$missing [$want]"
    done
    if [ -n "$missing" ]; then fail "document text of $file lacks the lines:$missing"; else pass; fi
}
for fmt in docx odt; do
    row kits.pp.$fmt.table_of_authorities pp.$fmt "Cited as | Instrument or decision | Source" \
        "PACE Resolution 1900 (2012) | Parliamentary Assembly of the Council of Europe, Resolution 1900 (2012), “The definition of political prisoner” (para. 3, para. 4) | https://pace.coe.int/en/files/19150/html" \
        "ECHR | Convention for the Protection of Human Rights and Fundamental Freedoms (ETS No. 5) | https://www.echr.coe.int/documents/d/echr/convention_ENG"
    row kits.pp.$fmt.decisions pp.$fmt \
        "20 Nov 2023 | Kyivskyi District Court of Simferopol (occupation authorities) | Convicted on both charges; six years in a general-regime penal colony" \
        "10 Apr 2024 | Ombudsman of Ukraine | Request to include him in exchange and release lists | Registered; pending"
    row kits.eu.$fmt.signatories eu.$fmt "No. | Organisation | Country" "1 | Connection e.V. | Germany" \
        "2 | International Fellowship of Reconciliation | International" "5 | Payday men’s network | United Kingdom"
done

NAME=kits.no_leftover_tags
if grep -n '{{\|}}' "$OUT/all.txt" > "$OUT/left.txt"; then fail "tags left: $(head -3 "$OUT/left.txt")"; else pass; fi

finish
