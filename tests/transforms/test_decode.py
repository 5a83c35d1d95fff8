import gzip

import pytest

from transforms.decode import DecodeError, charset_of, decode_bytes, gunzip, sniff_media_type


def test_windows_1252_text_is_read_not_mangled():
    original = "Déjà vu at the café — “quoted” words, naïve façade and 15 € more."
    text, encoding = decode_bytes(original.encode("cp1252"), "text/plain")
    assert text == original
    assert encoding == "cp1252"


def test_html_meta_charset_is_honoured():
    html = '<html><head><meta charset="iso-8859-1"></head><body>Müller sagte: Grüße</body></html>'
    text, encoding = decode_bytes(html.encode("latin-1"), "text/html")
    assert "Müller sagte: Grüße" in text
    assert encoding == "iso-8859-1"


def test_cyrillic_single_byte_text_is_detected():
    original = (
        "Роскомнадзор заблокировал мессенджер WeChat на территории России в пятницу. "
        "Компания Tencent заявила, что находится в контакте с российскими властями."
    )
    for encoding in ("koi8-r", "cp1251"):
        text, _ = decode_bytes(original.encode(encoding), "text/plain")
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
    assert decode_bytes(original.encode("latin-1"), "text/plain", "iso-8859-1") == (original, "iso-8859-1")
    # A wrong declaration does not win over bytes that are valid UTF-8.
    assert decode_bytes(original.encode("utf-8"), "text/plain", "iso-8859-1") == (original, "utf-8")
