"""What `wiretrace run` refuses before it starts: one line that says what to do, never a traceback."""

import pytest

from flows.preflight import StartupError, check_startup
from tests.conftest import SEEDS


def test_a_missing_seeds_folder_is_one_line_before_the_run(tmp_path):
    db = str(tmp_path / "w.sqlite")
    with pytest.raises(StartupError) as missing:
        check_startup(db, seeds_dir=str(tmp_path / "no-such-folder"))
    assert str(missing.value) == (
        f"seeds folder not found: {tmp_path / 'no-such-folder'}; "
        "pass --seeds PATH (a folder of .txt/.html files)"
    )
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StartupError, match="seeds folder is not a folder: "):
        check_startup(db, seeds_dir=str(tmp_path / "a-file"))
    check_startup(db, seeds_dir=str(SEEDS))


def test_a_feeds_file_given_that_is_missing_or_bad_is_one_line_before_the_run(tmp_path):
    db = str(tmp_path / "w.sqlite")
    with pytest.raises(StartupError) as missing:
        check_startup(db, feeds_file=str(tmp_path / "feeds.yaml"))
    assert str(missing.value) == f"--feeds {tmp_path / 'feeds.yaml'}: not found"
    broken = tmp_path / "broken.yaml"
    broken.write_text("feeds: [\n  - url: https://a.test/rss\n")
    with pytest.raises(StartupError) as bad:
        check_startup(db, feeds_file=str(broken))
    assert str(bad.value).startswith(f"--feeds {broken}: not valid YAML: ")
    assert "\n" not in str(bad.value)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("feeds:\n  - url: ftp://a.test/rss\n    outlet: A\n")
    with pytest.raises(StartupError, match=r"url must be an http\(s\) URL, got 'ftp://a.test/rss'"):
        check_startup(db, feeds_file=str(wrong))
