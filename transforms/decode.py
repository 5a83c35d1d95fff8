"""Raw bytes to text: gzip, size limits, binary sniffing and character encodings."""

from __future__ import annotations

import codecs
import re
import zlib

from charset_normalizer import from_bytes

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or Office document)",
    b"\x7fELF": "an executable",
    b"RIFF": "a RIFF media file",
    b"\x00\x00\x01\x00": "an icon",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)


# Single-byte code pages for Latin-script text, which guessers confuse with each other.
_LATIN_CODE_PAGES = {
    "cp1250", "cp1252", "cp1254", "cp1257", "cp775", "cp850", "cp437", "latin_1", "iso8859_1",
    "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14",
    "iso8859_15", "iso8859_16", "mac_latin2", "mac_roman",
}  # fmt: skip


# Bytes that plain text does not hold (tab, newlines, form feed and carriage return are text).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13))


class DecodeError(ValueError):
    """The bytes are not a text document we can read; the message says why."""


def _human(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size:,} bytes"


def too_large(size: int, limit: int) -> str:
    """The reason recorded for an input over the size limit."""
    return f"too large: {_human(size)} ({size:,} bytes), the limit is {_human(limit)}"


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip data, refusing anything that inflates past max_bytes."""
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise DecodeError(f"corrupt gzip data: {exc}") from exc
    if len(out) > max_bytes:
        raise DecodeError(f"too large: decompresses to more than {_human(max_bytes)}")
    return out


def sniff_media_type(name: str, data: bytes, declared: str | None = None) -> str:
    """'text/html' or 'text/plain', from what the caller declared, the file name, then the bytes."""
    if declared:
        declared = declared.split(";")[0].strip().lower()
        if declared in ("text/html", "application/xhtml+xml"):
            return "text/html"
        if declared == "text/plain":
            return "text/plain"
    lowered = name.lower().removesuffix(".gz")
    if lowered.endswith((".html", ".htm", ".xhtml")):
        return "text/html"
    if lowered.endswith(".txt"):
        return "text/plain"
    return "text/html" if _HTML_START.match(data[:2048].lstrip(b"\xef\xbb\xbf")) else "text/plain"


def charset_of(content_type: str | None) -> str | None:
    """'text/html; charset=ISO-8859-1' -> 'iso-8859-1'."""
    found = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.I)
    return found.group(1).lower() if found else None


def decode_bytes(data: bytes, media_type: str, charset: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with; DecodeError for binary or unreadable data.

    Order: byte-order mark, UTF-8, the charset the server declared, the page's meta charset,
    then detection.
    """
    if not data.strip():
        raise DecodeError("empty file" if not data else "empty file (whitespace only)")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DecodeError(f"binary file: looks like {what}")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    head = data[:8192]
    if b"\x00" in head or len(head) - len(head.translate(None, _CONTROL_BYTES)) > len(head) * 0.05:
        raise DecodeError("binary file: control bytes where text was expected")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = [charset] if charset else []
    if media_type == "text/html" and (meta := _META_CHARSET.search(head)):
        declared.append(meta.group(1).decode("ascii", "replace").lower())
    for name in declared:
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise DecodeError("not text in any known encoding")
    encoding = best.encoding
    # Guessers cannot tell single-byte Latin code pages apart on short texts; windows-1252
    # is what the web means by them (WHATWG maps latin-1 to it), so prefer it when it fits.
    if encoding in _LATIN_CODE_PAGES:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return data.decode(encoding, errors="replace"), encoding
