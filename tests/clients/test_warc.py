"""The WARC archive of raw inputs: records written per run, read back by byte range, by any WARC tool."""

import gzip
import hashlib
import os
from datetime import UTC, date, datetime

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main

from clients import warc
from tests.conftest import CORPUS, SEEDS

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def payloads(paths) -> list[warc.Payload]:
    found = []
    for path in paths:
        data = path.read_bytes()
        found.append(warc.Payload(hashlib.sha256(data).hexdigest(), data, "text/plain", path.name))
    return found


def seeds() -> list[warc.Payload]:
    return payloads(sorted(SEEDS.glob("*.txt")))


def archive(root, items, name="run-1"):
    return warc.append_records(root, warc.run_file(name, WHEN.date()), warc.encode_records(items, WHEN), WHEN)


def records_of(path) -> list[tuple[str, str | None, bytes]]:
    with open(path, "rb") as fh:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Payload-Digest"), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]


def test_run_files_are_dated_and_named_after_the_run():
    assert warc.run_file("5e1c-77", date(2026, 3, 9)) == "2026/03/09/5e1c-77.warc.gz"
    assert warc.run_file("../../etc/x", date(2026, 3, 9)) == "2026/03/09/.._.._etc_x.warc.gz"


def test_seeds_come_back_by_offset_and_the_whole_file_reads_in_order(tmp_path):
    items = seeds()
    placed = archive(tmp_path, items)
    for item in items:
        back = warc.read_record(tmp_path, placed[item.digest], item.digest)
        assert hashlib.sha256(back).hexdigest() == item.digest
    (path,) = {tmp_path / where.path for where in placed.values()}
    records = records_of(path)
    assert records[0][0] == "warcinfo"
    assert records[1:] == [("resource", f"sha256:{i.digest}", i.data) for i in items]
    # Each record is one gzip member: its byte range alone is a whole .warc.gz.
    where = placed[items[2].digest]
    chunk = path.read_bytes()[where.offset : where.offset + where.length]
    assert warc.payload_of(chunk, where, items[2].digest) == items[2].data


def test_warcio_check_verifies_every_digest(tmp_path, capsys):
    placed = archive(tmp_path, seeds())
    (relpath,) = {w.path for w in placed.values()}
    with pytest.raises(SystemExit) as done:
        warcio_main(["check", "-v", str(tmp_path / relpath)])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.count("digest pass") == 6 and "fail" not in out


def test_a_digest_given_twice_is_written_once_and_later_appends_follow(tmp_path):
    items = seeds()
    first = archive(tmp_path, [*items[:2], items[0]])
    assert len(first) == 2
    later = archive(tmp_path, items[2:])
    path = tmp_path / first[items[0].digest].path
    assert [r[1] for r in records_of(path)[1:]] == [f"sha256:{i.digest}" for i in items]
    assert min(w.offset for w in later.values()) == max(w.offset + w.length for w in first.values())


def test_gzip_inputs_are_stored_not_compressed_again(tmp_path):
    pages = sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))[:3]
    items = [
        warc.Payload(hashlib.sha256(p.read_bytes()).hexdigest(), p.read_bytes(), "text/html", p.name)
        for p in pages
    ]
    placed = archive(tmp_path, items)
    for item in items:
        where = placed[item.digest]
        assert where.length > len(item.data)  # stored: the record is its bytes plus headers
        assert warc.read_record(tmp_path, where, item.digest) == item.data
        assert gzip.decompress(item.data).lstrip()[:1] == b"<"  # still the page, gzip as given


def test_a_torn_tail_from_a_killed_write_is_cut_before_the_next_append(tmp_path):
    items = seeds()
    first = archive(tmp_path, items[:3])
    path = tmp_path / first[items[0].digest].path
    whole = path.stat().st_size
    torn = warc.encode_records(items[3:4], WHEN)[0].member
    with open(path, "ab") as fh:
        fh.write(torn[: len(torn) // 2])  # what a kill in the middle of a write leaves
    warc._CLEAN_ENDS.clear()  # a new process: it has not written this file yet
    later = archive(tmp_path, items[3:])
    assert min(w.offset for w in later.values()) == whole
    assert [r[1] for r in records_of(path)[1:]] == [f"sha256:{i.digest}" for i in items]
    for item in items:
        where = {**first, **later}[item.digest]
        assert warc.read_record(tmp_path, where, item.digest) == item.data


def test_missing_cut_or_damaged_records_are_archive_errors(tmp_path):
    items = seeds()
    placed = archive(tmp_path, items)
    where = placed[items[-1].digest]
    path = tmp_path / where.path
    with pytest.raises(warc.ArchiveError, match="does not hold sha256"):
        warc.read_record(tmp_path, placed[items[0].digest], items[1].digest)
    data = bytearray(path.read_bytes())
    data[where.offset + 40] ^= 0xFF  # a flipped byte inside the last record's gzip member
    path.write_bytes(bytes(data))
    with pytest.raises(warc.ArchiveError, match="is damaged"):
        warc.read_record(tmp_path, where, items[-1].digest)
    os.truncate(path, where.offset + 10)
    with pytest.raises(warc.ArchiveError, match="cut short"):
        warc.read_record(tmp_path, where, items[-1].digest)
    assert warc.read_record(tmp_path, placed[items[0].digest], items[0].digest) == items[0].data
    path.unlink()
    with pytest.raises(warc.ArchiveError, match="cannot be read"):
        warc.read_record(tmp_path, where, items[-1].digest)
