#!/usr/bin/env python3
"""Runs the official Mustache spec through casepack's command line.

usage: tests/spec.py SPEC_DIR

For every test of the required modules, the template, the data (as JSON) and
the partials (one file per key) are written to a fresh folder and rendered
with `casepack render T -d DATA.json --partials DIR -o -`; the output must
equal the expected text exactly. Prints "ok NAME" or "FAIL NAME: why".
"""
import json
import os
import subprocess
import sys
import tempfile

MODULES = ["comments", "delimiters", "interpolation", "inverted", "partials", "sections"]


def main():
    spec_dir = sys.argv[1]
    casepack = os.environ.get("CASEPACK", "build/casepack")
    failed = 0
    for module in MODULES:
        with open(os.path.join(spec_dir, module + ".json"), encoding="utf-8") as f:
            spec = json.load(f)
        for test in spec["tests"]:
            name = "spec.%s.%s" % (module, test["name"].replace(" ", "_"))
            with tempfile.TemporaryDirectory() as tmp:
                tpl = os.path.join(tmp, "template")
                data = os.path.join(tmp, "data.json")
                partials = os.path.join(tmp, "partials")
                os.mkdir(partials)
                with open(tpl, "w", encoding="utf-8", newline="") as f:
                    f.write(test["template"])
                with open(data, "w", encoding="utf-8") as f:
                    json.dump(test["data"], f, ensure_ascii=False)
                for key, text in test.get("partials", {}).items():
                    with open(os.path.join(partials, key), "w", encoding="utf-8", newline="") as f:
                        f.write(text)
                run = subprocess.run(
                    [casepack, "render", tpl, "-d", data, "--partials", partials, "-o", "-"],
                    capture_output=True, timeout=30)
                got = run.stdout.decode("utf-8", "replace")
                if run.returncode != 0:
                    failed += 1
                    print("FAIL %s: exit %d: %s" % (name, run.returncode,
                                                  run.stderr.decode("utf-8", "replace").strip()))
                elif got != test["expected"]:
                    failed += 1
                    print("FAIL %s: got %r, want %r" % (name, got, test["expected"]))
                else:
                    print("ok " + name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
