"""Raw bytes to text: gzip, size limits, binary sniffing and character encodings."""

from __future__ import annotations

import codecs
import re
import zlib
from typing import NamedTuple

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
# Both run on user bytes, so neither may backtrack far: the meta tag's attributes are bounded,
# and each leading comment can match one way only (atomic group), or a page of many comments
# would try every way of splitting them.
_META_CHARSET = re.compile(rb"""<meta[^<>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_START = re.compile(
    rb"\s*+(?>(?><!--.*?-->)\s*+)*+<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
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
    """Decompress gzip data whole (every member), refusing anything that inflates past max_bytes.

    A stream that ends early (a truncated download, a header with no data) is an error, not a
    shorter article: a partial text loaded silently would look complete.
    """
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise DecodeError(f"corrupt gzip data: {exc}") from exc
        if len(out) > max_bytes:
            raise DecodeError(f"too large: decompresses to more than {_human(max_bytes)}")
        if inflater.unconsumed_tail:  # stopped at the cap with input left: more than max_bytes
            raise DecodeError(f"too large: decompresses to more than {_human(max_bytes)}")
        if not inflater.eof:
            read = len(rest) - len(inflater.unused_data)
            raise DecodeError(
                f"truncated gzip: the data ends before the compressed stream does "
                f"({read:,} bytes read, {len(out):,} bytes of text recovered)"
            )
        rest = inflater.unused_data
        # Another member follows (`cat a.gz b.gz`); zero padding after the last one is harmless.
        if not rest.strip(b"\x00"):
            return bytes(out)
        if rest[:2] != b"\x1f\x8b":
            raise DecodeError(
                f"corrupt gzip data: {len(rest):,} unexpected bytes after the compressed stream"
            )


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


class Decoded(NamedTuple):
    text: str
    encoding: str  # the codec it was read with
    note: str | None = None  # a caveat worth a warning row, e.g. bytes replaced


def _utf16_32_without_bom(head: bytes) -> str | None:
    """UTF-16/32 (either byte order) told by where the NUL bytes of mostly-Latin text fall."""
    usable = len(head) - len(head) % 4
    if usable < 16:
        return None
    quarter = usable // 4
    zeros = [head[i:usable:4].count(0) / quarter for i in range(4)]
    high, low = 0.9, 0.3
    if zeros[1] > high and zeros[2] > high and zeros[3] > high and zeros[0] < low:
        return "utf-32-le"
    if zeros[0] > high and zeros[1] > high and zeros[2] > high and zeros[3] < low:
        return "utf-32-be"
    odd, even = (zeros[1] + zeros[3]) / 2, (zeros[0] + zeros[2]) / 2
    if odd > 0.6 and even < 0.1:
        return "utf-16-le"
    if even > 0.6 and odd < 0.1:
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with a few invalid bytes: kept as UTF-8 with U+FFFD, rather than guessed as a code page.

    Valid multi-byte UTF-8 sequences almost never occur by chance in single-byte code pages, so
    text with many of them and few invalid bytes is UTF-8 that was damaged (cut, concatenated).
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    if good >= max(3, 2 * bad):
        plural = "sequence" if bad == 1 else "sequences"
        return Decoded(text, "utf-8", f"mostly UTF-8: {bad} invalid byte {plural} replaced with U+FFFD")
    return None


def _without_nul(decoded: Decoded) -> Decoded:
    # A stray NUL is damage, not proof of binary; the warehouse's text columns must not hold it.
    count = decoded.text.count("\x00")
    if not count:
        return decoded
    note = f"{count} NUL byte{'s' if count > 1 else ''} removed"
    return Decoded(
        decoded.text.replace("\x00", ""), decoded.encoding, "; ".join(filter(None, (decoded.note, note)))
    )


def decode_bytes(data: bytes, media_type: str, charset: str | None = None) -> Decoded:
    """The text, the encoding it was read with and any caveat; DecodeError for binary or unreadable data.

    Order: byte-order mark, UTF-16/32 told by its NUL bytes, UTF-8 (also when only a few bytes
    are invalid), the charset the server declared, the page's meta charset, then detection.
    """
    if not data.strip():
        raise DecodeError("empty file" if not data else "empty file (whitespace only)")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DecodeError(f"binary file: looks like {what}")
    return _without_nul(_decode(data, media_type, charset))


def _decode(data: bytes, media_type: str, charset: str | None) -> Decoded:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return Decoded(data.decode(encoding, errors="replace"), encoding)
    head = data[:8192]
    if wide := _utf16_32_without_bom(head):
        try:
            return Decoded(data.decode(wide), wide)
        except UnicodeDecodeError:
            pass
    if len(head) - len(head.translate(None, _CONTROL_BYTES)) > len(head) * 0.05:
        raise DecodeError("binary file: control bytes where text was expected")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if mostly := _mostly_utf8(data):
        return mostly
    declared = [charset] if charset else []
    if media_type == "text/html" and (meta := _META_CHARSET.search(head)):
        declared.append(meta.group(1).decode("ascii", "replace").lower())
    for name in declared:
        try:
            return Decoded(data.decode(name), name)
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
            return Decoded(data.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            pass
    return Decoded(data.decode(encoding, errors="replace"), encoding)
