#!/usr/bin/env bash
# tests/fixtures-gen/build_kits.sh: turns each shipped kit's hand-written flat
# ODT sources, templates/<kit>/<doc>.fodt, into <doc>.odt and <doc>.docx
# beside them, with LibreOffice headless. The outputs are committed, so
# rendering never needs LibreOffice: run this only after editing a source.
#
#   tests/fixtures-gen/build_kits.sh                      every kit
#   tests/fixtures-gen/build_kits.sh ua-refugee-appeal    one kit (or several)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
templates="$root/templates"

kits=()
if [ $# -eq 0 ]; then
    for d in "$templates"/*/; do
        d=${d%/}
        [ -f "$d/kit.yaml" ] && kits+=("$(basename "$d")")
    done
else
    kits=("$@")
fi

sources=()
for k in "${kits[@]}"; do
    [ -f "$templates/$k/kit.yaml" ] || { echo "build_kits.sh: no kit $templates/$k" >&2; exit 2; }
    found=0
    for f in "$templates/$k"/*.fodt; do
        [ -f "$f" ] || continue
        xmllint --noout "$f"
        sources+=("$f")
        found=1
    done
    [ "$found" = 1 ] || { echo "build_kits.sh: kit $k has no .fodt source" >&2; exit 2; }
done

# A private profile: a user's running LibreOffice, or a test run, must not
# share (and lock) ours.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lo() {
    soffice --headless --norestore -env:UserInstallation="file://$tmp/profile" "$@" > "$tmp/log" 2>&1 \
        || { cat "$tmp/log" >&2; exit 1; }
}

# One soffice run per format; sources of different kits may share a stem
# (two kits with a letter.fodt), so each is copied under a unique name.
mkdir "$tmp/in"
i=0
for f in "${sources[@]}"; do
    i=$((i + 1))
    cp "$f" "$tmp/in/$i-$(basename "$f")"
done
lo --convert-to odt --outdir "$tmp/odt" "$tmp"/in/*.fodt
lo --convert-to docx:"MS Word 2007 XML" --outdir "$tmp/docx" "$tmp"/in/*.fodt

i=0
for f in "${sources[@]}"; do
    i=$((i + 1))
    stem=$(basename "$f" .fodt)
    dir=$(dirname "$f")
    for ext in odt docx; do
        made="$tmp/$ext/$i-$stem.$ext"
        if [ ! -s "$made" ]; then
            echo "build_kits.sh: LibreOffice made no $stem.$ext for $f" >&2
            cat "$tmp/log" >&2
            exit 1
        fi
        mv "$made" "$dir/$stem.$ext"
        echo "${dir#"$root"/}/$stem.$ext"
    done
done
