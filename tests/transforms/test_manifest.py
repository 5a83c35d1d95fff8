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


def test_bad_rows_are_reported_one_by_one_and_the_good_rows_still_apply():
    from transforms.manifest import parse_manifest_rows

    text = (
        "file,url,outlet\n"
        "a.txt,https://x.test/a,X\n"
        "b.txt,http://[::1,\n"
        "../up.txt,,\n"
        "/etc/passwd,,\n"
        f"c.txt,,{'y' * 200_000}\n"  # over csv's own field limit (128 KiB) too
        "d.txt,http://x.test:99999/,\n"
        "e.txt,,E\n"
    )
    entries, problems = parse_manifest_rows(text)
    assert sorted(entries) == ["a.txt", "e.txt"]
    assert [p.line for p in problems] == [3, 4, 5, 6, 7]
    assert "not a valid http(s) URL" in problems[0].reason
    assert "leaves the manifest's folder" in problems[1].reason
    assert "absolute path" in problems[2].reason
    assert "200,000 characters" in problems[3].reason
    assert "not a valid http(s) URL" in problems[4].reason
