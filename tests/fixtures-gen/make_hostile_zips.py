#!/usr/bin/env python3
"""Writes hostile zip packages into the folder given as the only argument.

The zipio unit tests run this at test time into a temporary folder, so no
binary fixture is kept in the repository. Each file attacks one check of the
zip reader (src/zipio.c):

  traversal.docx      an entry named ../../x
  absolute.docx       an entry named /etc/x
  bomb.docx           ~2 GiB of zeros whose headers declare 1000 bytes
  bomb-honest.docx    1.5 GiB of zeros, declared honestly
  truncated.docx      a valid small docx cut in half
  not-a-zip.docx      plain text
  symlink.odt         an entry with the Unix symbolic-link mode
  many-entries.docx   20,001 tiny entries
  bad-names.docx      a backslash, a drive letter, a control character and
                      a duplicate name, to see every problem reported at once
  encrypted.docx      an entry flagged as encrypted (traditional PKWARE)

Standard library only.
"""
import io
import struct
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

DOCUMENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Hello {{name}}</w:t></w:r></w:p></w:body></w:document>"
)
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
    b'document.main+xml"/>'
    b"</Types>"
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="word/document.xml"/></Relationships>'
)
FIXED_DATE = (2024, 1, 2, 3, 4, 6)
MIB = 1 << 20


def info(name, **fields):
    zi = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    zi.compress_type = zipfile.ZIP_DEFLATED
    for key, value in fields.items():
        setattr(zi, key, value)
    return zi


def write_zip(path, entries):
    """entries: (ZipInfo or name, bytes) pairs, written as they are."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point
        with zipfile.ZipFile(path, "w") as z:
            for zi, data in entries:
                z.writestr(zi if isinstance(zi, zipfile.ZipInfo) else info(zi), data)


def minimal_docx(extra=()):
    return [
        (info("[Content_Types].xml"), CONTENT_TYPES),
        (info("_rels/.rels"), RELS),
        (info("word/document.xml"), DOCUMENT_XML),
        *extra,
    ]


def zeros_deflated(mib):
    """A raw deflate stream of mib MiB of zeros, built without compressing
    them all: one MiB compressed and ended with a full flush (byte-aligned,
    no back-references across it) gives the same bytes every time, so the
    stream is that block repeated, then an empty final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * mib + b"\x03\x00"


def zeros_crc(mib):
    crc, chunk = 0, bytes(MIB)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return crc


def raw_zip(entries):
    """A zip built by hand, so its headers can say anything. entries:
    dicts with name, data (already compressed), method, crc, size."""
    out, central = io.BytesIO(), io.BytesIO()
    dos_time = (FIXED_DATE[3] << 11) | (FIXED_DATE[4] << 5) | (FIXED_DATE[5] // 2)
    dos_date = ((FIXED_DATE[0] - 1980) << 9) | (FIXED_DATE[1] << 5) | FIXED_DATE[2]
    for e in entries:
        name = e["name"].encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, e["method"], dos_time,
                              dos_date, e["crc"], len(e["data"]), e["size"], len(name), 0))
        out.write(name)
        out.write(e["data"])
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, e["method"],
                                  dos_time, dos_date, e["crc"], len(e["data"]), e["size"],
                                  len(name), 0, 0, 0, 0, 0, offset))
        central.write(name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd),
                          start, 0))
    return out.getvalue()


def deflated(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def small_entry(name, data):
    return {"name": name, "data": deflated(data), "method": 8, "crc": zlib.crc32(data),
            "size": len(data)}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_hostile_zips.py FOLDER")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)

    write_zip(out / "traversal.docx", minimal_docx([(info("../../x"), b"escaped")]))
    write_zip(out / "absolute.docx", minimal_docx([(info("/etc/x"), b"absolute")]))

    # The lie: 2048 MiB of zeros, declared as 1000 bytes in the local header
    # and the central directory alike.
    (out / "bomb.docx").write_bytes(raw_zip([
        small_entry("[Content_Types].xml", CONTENT_TYPES),
        {"name": "word/document.xml", "data": zeros_deflated(2048), "method": 8,
         "crc": 0x12345678, "size": 1000},
    ]))
    (out / "bomb-honest.docx").write_bytes(raw_zip([
        small_entry("[Content_Types].xml", CONTENT_TYPES),
        {"name": "word/document.xml", "data": zeros_deflated(1536), "method": 8,
         "crc": zeros_crc(1536), "size": 1536 * MIB},
    ]))

    whole = io.BytesIO()
    write_zip(whole, minimal_docx())
    data = whole.getvalue()
    (out / "truncated.docx").write_bytes(data[: len(data) // 2])

    (out / "not-a-zip.docx").write_bytes(b"This is a plain text file, not a Word document.\n")

    mimetype = info("mimetype", compress_type=zipfile.ZIP_STORED)
    link = info("Pictures/link.png", create_system=3, external_attr=0o120777 << 16)
    write_zip(out / "symlink.odt", [
        (mimetype, b"application/vnd.oasis.opendocument.text"),
        (info("content.xml"), b"<office:document-content/>"),
        (link, b"/etc/passwd"),
    ])

    write_zip(out / "many-entries.docx",
              minimal_docx([(info(f"word/media/e{i}.txt", compress_type=zipfile.ZIP_STORED), b"x")
                            for i in range(20001 - 3)]))

    write_zip(out / "bad-names.docx", minimal_docx([
        (info("word\\evil.xml"), b"backslash"),
        (info("C:/evil.xml"), b"drive"),
        (info("word/bell\x07.xml"), b"control"),
        (info("word/document.xml"), b"duplicate"),
    ]))

    enc = raw_zip([small_entry("[Content_Types].xml", CONTENT_TYPES),
                   small_entry("word/document.xml", DOCUMENT_XML)])
    # Set bit 0 (encrypted) of the general purpose flags of the second entry
    # in both its local header and its central directory record.
    enc = bytearray(enc)
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = enc.find(sig, enc.find(sig) + 1)
        enc[at + flag_at] |= 1
    (out / "encrypted.docx").write_bytes(bytes(enc))


if __name__ == "__main__":
    main()
