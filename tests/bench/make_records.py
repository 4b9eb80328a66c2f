#!/usr/bin/env python3
"""make_records.py: writes a CSV of N petition recipients for the bench
template fixtures/bench/petition.docx, the same recipients bench.c makes
(Cyrillic, accented and XML-hostile names, five organisations, three
demands), so `casepack batch` and the library bench render the same letters.

    make_records.py N OUT.csv [--broken R1,R2,...]

--broken makes the given data rows (1-based) unreadable, each in another
way: a row with a cell too many, a stray quote, a cell that is not UTF-8.
An OUT ending in .json gets the same records as a JSON list, one a line.
"""
import json
import sys

FIRST = ["Olena", "Юлія", "Zoë", "Miłosz", "Ана", "Seán", "Dörte", "Tom & Jerry",
         'Ivan "Vanya"', "Agnès"]
LAST = ["Kovalenko", "Шевченко", "Müller", "Nowak", "Петренко", "O'Brien", "<Schmidt>",
        "Dupont", "Łukasik", "García"]
ORGS = ["Connection e.V.", "War Resisters' International",
        "European Bureau for Conscientious Objection", "Правозахисна група «Січ»",
        "Payday Men's Network"]
COUNTRIES = ["Germany", "United Kingdom", "Belgium", "Україна", "Italy"]
DEMANDS = [
    "Grant protection and asylum to deserters and conscientious objectors from Belarus and "
    "Russia.",
    "Urge Ukraine to guarantee a full right to conscientious objection.",
    "Open the borders to those who oppose the war at great personal risk."]


def cell(s):
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def header():
    cols = ["recipient.first_name", "recipient.last_name", "recipient.title",
            "recipient.street", "recipient.city"]
    for k in range(5):
        cols += ["orgs.%d.name" % k, "orgs.%d.country" % k]
    cols += ["demands.0", "demands.1", "demands.2", "date", "ref"]
    return ",".join(cols)


def row(i):
    cells = [FIRST[i % 10], LAST[(i // 10) % 10],
             "Member of the European Parliament" if i % 3 == 0 else "Head of Office",
             "Rue Wiertz %d" % (1 + i % 200), "1047 Brussels" if i % 2 else "67070 Strasbourg"]
    for k in range(5):
        cells += [ORGS[(i + k) % 5], COUNTRIES[(i + k) % 5]]
    cells += DEMANDS
    cells += ["2027-%02d-%02d" % (1 + i % 12, 1 + i % 28), "EP-%05d" % i]
    return ",".join(cell(c) for c in cells)


def record(i):
    """Row i as the nested record the CSV header builds."""
    rec = {"recipient": {"first_name": FIRST[i % 10], "last_name": LAST[(i // 10) % 10],
                         "title": "Member of the European Parliament" if i % 3 == 0
                         else "Head of Office",
                         "street": "Rue Wiertz %d" % (1 + i % 200),
                         "city": "1047 Brussels" if i % 2 else "67070 Strasbourg"},
           "orgs": [{"name": ORGS[(i + k) % 5], "country": COUNTRIES[(i + k) % 5]}
                    for k in range(5)],
           "demands": list(DEMANDS),
           "date": "2027-%02d-%02d" % (1 + i % 12, 1 + i % 28), "ref": "EP-%05d" % i}
    return json.dumps(rec, ensure_ascii=False)


def main():
    args = sys.argv[1:]
    broken = set()
    if "--broken" in args:
        at = args.index("--broken")
        broken = {int(x) for x in args[at + 1].split(",") if x}
        del args[at:at + 2]
    if len(args) != 2:
        sys.exit("usage: make_records.py N OUT.csv [--broken R1,R2,...]")
    n, out = int(args[0]), args[1]
    if out.endswith(".json"):
        with open(out, "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(record(i) for i in range(n)) + "\n]\n")
        return
    ways = 0
    with open(out, "wb") as f:
        f.write((header() + "\n").encode())
        for i in range(n):
            line = row(i).encode()
            if i + 1 in broken:
                way = ways % 3
                ways += 1
                if way == 0:
                    line += b",one cell too many"
                elif way == 1:
                    line = line.replace(b"Rue Wiertz", b'Rue "Wiertz', 1)
                else:
                    line = line.replace(b"Head of Office", b"Head of Of\xe9ice", 1).replace(
                        b"Member of the", b"Member of th\xe9", 1)
            f.write(line + b"\n")


main()
