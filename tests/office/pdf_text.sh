#!/usr/bin/env bash
# tests/office/pdf_text.sh: opens documents in LibreOffice headless, converts
# them to PDF in one soffice run, and prints `pdftotext -layout` of each: the
# proof that LibreOffice can open and lay out what casepack wrote.
#
#   pdf_text.sh FILE...
#
# With more than one file, each text is preceded by a line "==> FILE <==".
# Exit status 1 when any file produced no PDF (LibreOffice could not open it),
# naming it on stderr; 2 on usage errors. PDF_TEXT_TIMEOUT (seconds, default
# 300) bounds the soffice run, so a hung LibreOffice fails the test instead of
# stalling it.
set -u
if [ $# -eq 0 ]; then
    echo "usage: pdf_text.sh FILE..." >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in" "$tmp/out"

# Copies named by position: two inputs with the same name in different
# folders would otherwise write the same PDF.
i=0
for f in "$@"; do
    if [ ! -f "$f" ]; then
        echo "pdf_text.sh: $f: no such file" >&2
        exit 2
    fi
    i=$((i + 1))
    cp -- "$f" "$tmp/in/$i-$(basename -- "$f")"
done

# A private profile: a running LibreOffice or a parallel test must not share it.
timeout "${PDF_TEXT_TIMEOUT:-300}" soffice --headless --norestore \
    -env:UserInstallation="file://$tmp/profile" \
    --convert-to pdf --outdir "$tmp/out" "$tmp"/in/* > "$tmp/log" 2>&1
soffice_rc=$?

rc=0
i=0
for f in "$@"; do
    i=$((i + 1))
    base=$(basename -- "$f")
    pdf="$tmp/out/$i-${base%.*}.pdf"
    [ $# -gt 1 ] && echo "==> $f <=="
    if [ ! -s "$pdf" ]; then
        echo "pdf_text.sh: $f: LibreOffice produced no PDF (soffice status $soffice_rc)" >&2
        rc=1
        continue
    fi
    pdftotext -layout -enc UTF-8 "$pdf" - || rc=1
done
[ "$rc" -ne 0 ] && sed 's/^/pdf_text.sh: soffice: /' "$tmp/log" >&2
exit "$rc"
