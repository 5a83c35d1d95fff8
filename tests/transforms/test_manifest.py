import pytest

from transforms.manifest import ManifestEntry, ManifestError, parse_manifest


def test_manifest_gives_what_files_lack():
    text = "file,url,outlet,published\nsub/a.txt,https://x.test/a,X News,2020-01-02\n./b.html,,,\n"
    entries = parse_manifest(text)
    assert entries["sub/a.txt"] == ManifestEntry("sub/a.txt", "https://x.test/a", "X News", "2020-01-02")
    assert entries["b.html"] == ManifestEntry("b.html")


def test_only_file_column_is_required_and_header_case_is_free():
    assert parse_manifest("\ufeffFILE\na.txt\n") == {"a.txt": ManifestEntry("a.txt")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("url,outlet\nhttp://x,Y\n", "'file' column"),
        ("file,colour\na.txt,red\n", "unknown columns"),
        ("file\na.txt\na.txt\n", "listed twice"),
        ("file,url\n,http://x\n", "line 2: empty 'file'"),
    ],
)
def test_bad_manifest_says_what_is_wrong(text, message):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(text)
