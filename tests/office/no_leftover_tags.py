#!/usr/bin/python3
"""tests/office/no_leftover_tags.py: fails when text extracted from a
rendered document still holds a tag delimiter, i.e. a tag casepack did not
find or did not replace.

    no_leftover_tags.py TEXTFILE      ("-" reads standard input)

Exit status 0 when no line holds "{{" or "}}"; 1 otherwise, printing each
offending line as "TEXTFILE:LINE: text"; 2 on usage or read errors.
"""
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: no_leftover_tags.py TEXTFILE\n")
        return 2
    name = argv[1]
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as f:
                data = f.read()
    except OSError as e:
        sys.stderr.write("no_leftover_tags.py: %s\n" % e)
        return 2
    text = data.decode("utf-8", errors="replace")
    sys.stdout.reconfigure(encoding="utf-8")
    bad = 0
    for n, line in enumerate(text.splitlines(), 1):
        if "{{" in line or "}}" in line:
            print("%s:%d: %s" % (name, n, line))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
