import gzip

import pytest

from tests.conftest import SEEDS
from transforms.decode import DecodeError, charset_of, decode_bytes, gunzip, sniff_media_type


def test_windows_1252_text_is_read_not_mangled():
    original = "Déjà vu at the café — “quoted” words, naïve façade and 15 € more."
    text, encoding, _ = decode_bytes(original.encode("cp1252"), "text/plain")
    assert text == original
    assert encoding == "cp1252"


def test_html_meta_charset_is_honoured():
    html = '<html><head><meta charset="iso-8859-1"></head><body>Müller sagte: Grüße</body></html>'
    text, encoding, _ = decode_bytes(html.encode("latin-1"), "text/html")
    assert "Müller sagte: Grüße" in text
    assert encoding == "iso-8859-1"


def test_cyrillic_single_byte_text_is_detected():
    original = (
        "Роскомнадзор заблокировал мессенджер WeChat на территории России в пятницу. "
        "Компания Tencent заявила, что находится в контакте с российскими властями."
    )
    for encoding in ("koi8-r", "cp1251"):
        text = decode_bytes(original.encode(encoding), "text/plain").text
        assert text == original, encoding


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\t ", "empty file (whitespace only)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "binary file: looks like a PNG image"),
        (b"%PDF-1.7\n", "binary file: looks like a PDF document"),
        (bytes(range(256)) * 4, "binary file: control bytes where text was expected"),
    ],
)
def test_unreadable_input_says_why(data, reason):
    with pytest.raises(DecodeError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        decode_bytes(data, "text/plain")


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"a" * 5_000_000)
    with pytest.raises(DecodeError, match="too large"):
        gunzip(bomb, max_bytes=1_000_000)
    assert gunzip(bomb, max_bytes=6_000_000) == b"a" * 5_000_000


def test_media_type_from_declaration_name_then_bytes():
    assert sniff_media_type("a.txt", b"<html>", "text/html; charset=utf-8") == "text/html"
    assert sniff_media_type("page.HTM.gz", b"plain") == "text/html"
    assert sniff_media_type("notes.txt", b"<html>") == "text/plain"
    assert sniff_media_type("noext", b"\xef\xbb\xbf<!DOCTYPE html><html>") == "text/html"
    assert sniff_media_type("noext", b"Just words.") == "text/plain"


def test_the_servers_declared_charset_comes_before_detection():
    original = "Zürich: Müller grüßt"
    assert charset_of('text/html; charset="ISO-8859-1"') == "iso-8859-1"
    assert charset_of("text/html") is None
    assert decode_bytes(original.encode("latin-1"), "text/plain", "iso-8859-1")[:2] == (
        original,
        "iso-8859-1",
    )
    # A wrong declaration does not win over bytes that are valid UTF-8.
    assert decode_bytes(original.encode("utf-8"), "text/plain", "iso-8859-1")[:2] == (original, "utf-8")


SEED = (SEEDS / "003_c203a4481660e9bf.txt").read_bytes()


def test_truncated_and_header_only_gzip_fail_with_a_reason():
    packed = gzip.compress(SEED)
    with pytest.raises(DecodeError, match="truncated gzip"):
        gunzip(packed[: len(packed) // 2], max_bytes=10_000_000)
    header_only = packed[:10]
    with pytest.raises(DecodeError, match="truncated gzip"):
        gunzip(header_only, max_bytes=10_000_000)


def test_every_member_of_a_multi_member_gzip_is_read():
    half = len(SEED) // 2
    joined = gzip.compress(SEED[:half]) + gzip.compress(SEED[half:])
    assert gunzip(joined, max_bytes=10_000_000) == SEED
    assert gunzip(joined + bytes(16), max_bytes=10_000_000) == SEED  # zero padding after the last member
    with pytest.raises(DecodeError, match="unexpected bytes after"):
        gunzip(joined + b"garbage", max_bytes=10_000_000)
    with pytest.raises(DecodeError, match="too large"):
        gunzip(joined, max_bytes=len(SEED) - 1)


def test_mostly_utf8_text_stays_utf8_with_replacement_characters():
    text = SEED.decode("utf-8")
    assert any(ord(c) > 127 for c in text)
    damaged = bytearray(SEED)
    for position in range(100, 700, 100):  # six invalid bytes
        damaged[position] = 0xFF
    decoded = decode_bytes(bytes(damaged), "text/plain")
    assert decoded.encoding == "utf-8"
    assert decoded.text.count("\ufffd") == 6
    assert decoded.note == "mostly UTF-8: 6 invalid byte sequences replaced with U+FFFD"
    # every other character is read as written: no code page mojibake
    assert decoded.text.replace("\ufffd", "") == "".join(
        c for i, c in enumerate(bytes(damaged).decode("utf-8", "replace")) if c != "\ufffd"
    )
    assert "—" in decoded.text or "’" in decoded.text or "é" in decoded.text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_byte_order_mark_are_read(encoding):
    text = SEED.decode("utf-8")
    decoded = decode_bytes(text.encode(encoding), "text/plain")
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_a_lone_nul_byte_is_not_proof_of_binary():
    data = SEED[:500] + b"\x00" + SEED[500:]
    decoded = decode_bytes(data, "text/plain")
    assert decoded.text == SEED.decode("utf-8")
    assert decoded.note == "1 NUL byte removed"


def test_html_sniffing_is_linear_on_many_comments():
    # Each comment could once match in several ways: 22 comments took 0.6 s, 256 would take years.
    assert sniff_media_type("noext", b"<!--a-->" * 256 + b"x") == "text/plain"
    assert sniff_media_type("noext", b"<!-- a --> " * 100 + b"<html>") == "text/html"
