from clients.seedfiles import read_seed_dir
from tests.conftest import SEEDS


def test_reads_every_file_but_hidden_ones_and_the_manifest(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_bytes((SEEDS / "002_cd3e9b45309f4b3f.txt").read_bytes())
    (tmp_path / ".hidden.txt").write_text("secret")
    (tmp_path / "manifest.csv").write_text("file,url,outlet\nsub/a.txt,https://x.test/a,X Daily\n")
    docs, failures = read_seed_dir(tmp_path, max_bytes=1_000_000)
    assert failures == []
    (doc,) = docs
    assert (doc.source_ref, doc.url, doc.outlet, doc.origin) == (
        "sub/a.txt",
        "https://x.test/a",
        "X Daily",
        "seed",
    )


def test_a_broken_manifest_is_a_failure_not_a_crash(tmp_path):
    (tmp_path / "a.txt").write_text("Title\n\nSome text of an article that is long enough to count here.")
    (tmp_path / "manifest.csv").write_text("url\nhttp://x\n")
    docs, failures = read_seed_dir(tmp_path, max_bytes=1_000_000)
    assert [d.source_ref for d in docs] == ["a.txt"]
    assert [(f.source_ref, f.stage) for f in failures] == [("manifest.csv", "manifest")]
    assert "'file' column" in failures[0].reason


def test_oversized_files_are_refused_before_reading(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"x" * 2_000_001)
    docs, failures = read_seed_dir(tmp_path, max_bytes=2_000_000)
    assert docs == []
    assert failures[0].reason == "too large: 2.0 MB (2,000,001 bytes), the limit is 2.0 MB"
