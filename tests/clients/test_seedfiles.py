import os
from pathlib import Path

from clients.seedfiles import read_file, read_seed_dir
from tests.conftest import SEEDS
from transforms.records import Failure


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


def test_a_name_that_is_not_utf8_is_read_under_a_printable_stable_ref(tmp_path):
    good = (SEEDS / "002_cd3e9b45309f4b3f.txt").read_bytes()
    (tmp_path / "good.txt").write_bytes(good)
    os.makedirs(os.fsencode(tmp_path) + b"/d\xfcr")
    with open(os.fsencode(tmp_path) + b"/d\xfcr/caf\xe9.txt", "wb") as fh:
        fh.write(good)
    docs, failures = read_seed_dir(tmp_path, max_bytes=1_000_000)
    assert failures == []
    assert [d.source_ref for d in docs] == ["d\\xfcr/caf\\xe9.txt", "good.txt"]
    assert docs[0].data == good
    docs[0].source_ref.encode("utf-8")  # storable and printable: no surrogate escapes left
    again, _ = read_seed_dir(tmp_path, max_bytes=1_000_000)
    assert [d.source_ref for d in again] == [d.source_ref for d in docs]


def test_a_name_that_prints_like_another_files_name_is_a_failure_not_a_swap(tmp_path):
    (tmp_path / "caf\\xe9.txt").write_text("Title\n\nThe file whose name really has a backslash in it.")
    with open(os.fsencode(tmp_path) + b"/caf\xe9.txt", "wb") as fh:
        fh.write(b"Title\n\nThe file whose name is in Latin-1 bytes.")
    docs, failures = read_seed_dir(tmp_path, max_bytes=1_000_000)
    assert [(d.source_ref, d.data[-6:]) for d in docs] == [("caf\\xe9.txt", b"in it.")]
    assert [(f.source_ref, f.stage) for f in failures] == [("caf\\xe9.txt (name not UTF-8)", "read")]
    assert "not valid UTF-8" in failures[0].reason


def _nest(root: Path, depth: int) -> list[int]:
    """root/x/x/... depth levels, each made from its parent's fd (a path of 1000 parts is resolved
    part by part on every call), and no recursion (mkdir(parents=True) and rmtree recurse a level a frame).
    The folders' fds, the deepest last."""
    fds = [os.open(root, os.O_RDONLY)]
    for _ in range(depth):
        os.mkdir("x", dir_fd=fds[-1])
        fds.append(os.open("x", os.O_RDONLY, dir_fd=fds[-1]))
    return fds


def _unnest(fds: list[int]) -> None:
    for name in os.listdir(fds[-1]):
        os.unlink(name, dir_fd=fds[-1])
    os.close(fds.pop())
    while fds:
        os.rmdir("x", dir_fd=fds[-1])
        os.close(fds.pop())


def test_a_folder_nested_thousands_deep_is_a_failure_and_the_rest_is_read(tmp_path):
    good = (SEEDS / "002_cd3e9b45309f4b3f.txt").read_bytes()
    (tmp_path / "top.txt").write_bytes(good)
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c" / "near.txt").write_bytes(good)
    (tmp_path / "deep").mkdir()
    fds = _nest(tmp_path / "deep", 1100)  # os.walk recursed a level a frame: RecursionError
    try:
        with open(os.open("lost.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fds[-1]), "wb") as fh:
            fh.write(good)
        docs, failures = read_seed_dir(tmp_path, max_bytes=1_000_000, max_depth=4)
    finally:
        _unnest(fds)
    assert [d.source_ref for d in docs] == ["a/b/c/near.txt", "top.txt"]
    (failure,) = failures
    assert (failure.source_ref, failure.stage) == ("deep/x/x/x/x", "read")
    assert failure.reason == "folder nested deeper than 4 levels: not read (move its files up)"


def test_a_symlink_swapped_in_after_the_check_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret title\n\nThe password is swordfish.")
    swapped = tmp_path / "seed.txt"
    swapped.symlink_to(secret)  # what a swap leaves between _inside's lstat and the open
    result = read_file(swapped, "seed.txt", None, 1_000_000, checked=True)
    assert isinstance(result, Failure)
    assert result.reason == "became a symlink after it was checked: refused, not followed"
    # A file named by the user (`wiretrace tag link.txt`) is read where its link leads.
    assert read_file(swapped, "seed.txt", None, 1_000_000).data.endswith(b"swordfish.")
