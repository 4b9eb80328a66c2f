#!/usr/bin/env bash
# tests/fixtures-gen/convert.sh: turns the hand-written flat ODT sources in
# fixtures/src/*.fodt into fixtures/NAME.odt and fixtures/NAME.docx with
# LibreOffice headless, so the tests read documents saved by real office
# software. The outputs are committed: run this only after editing a source.
#
#   tests/fixtures-gen/convert.sh            every source
#   tests/fixtures-gen/convert.sh letter     just fixtures/src/letter.fodt
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
src="$root/fixtures/src"
out="$root/fixtures"

if [ $# -eq 0 ]; then
    set -- "$src"/*.fodt
else
    names=()
    for n in "$@"; do names+=("$src/${n%.fodt}.fodt"); done
    set -- "${names[@]}"
fi
for f in "$@"; do
    [ -f "$f" ] || { echo "convert.sh: no source $f" >&2; exit 2; }
    xmllint --noout "$f"
done

# A private profile: a user's running LibreOffice, or another test run, must
# not share (and lock) ours.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lo() {
    soffice --headless --norestore -env:UserInstallation="file://$tmp/profile" "$@" > "$tmp/log" 2>&1 \
        || { cat "$tmp/log" >&2; exit 1; }
}

lo --convert-to odt --outdir "$tmp/odt" "$@"
lo --convert-to docx:"MS Word 2007 XML" --outdir "$tmp/docx" "$@"

for f in "$@"; do
    stem=$(basename "$f" .fodt)
    for ext in odt docx; do
        if [ ! -s "$tmp/$ext/$stem.$ext" ]; then
            echo "convert.sh: LibreOffice made no $stem.$ext" >&2
            cat "$tmp/log" >&2
            exit 1
        fi
        mv "$tmp/$ext/$stem.$ext" "$out/$stem.$ext"
        echo "fixtures/$stem.$ext"
    done
done
