"""Raw inputs in WARC files: written per run, content-addressed, read back by byte range.

Every input's bytes are kept so that articles can be re-tagged without reading the sources again.
They live outside the warehouse's tables, in standard web-archive files any WARC tool can open:

- one file per run and day, ``ROOT/YYYY/MM/DD/<run_id>.warc.gz``, opened by a ``warcinfo`` record;
- one ``resource`` record per distinct payload (the fetch client keeps no HTTP headers, and a
  ``response`` record with made-up headers would say more than we know), with
  ``WARC-Payload-Digest: sha256:<hex>`` and ``WARC-Record-ID: <urn:sha256:<hex>>``, so a payload
  already archived is never written again;
- each record its own gzip member, so one record is one byte range ``(path, offset, length)`` that
  a plain read (or an object store's range GET) returns and decompresses alone.

The work is split so the heavy part runs where there are cores to spare: `encode_records` (WARC
headers and gzip) is pure CPU and runs in worker processes; `append_records` only appends finished
bytes to the run's file and makes them durable, before the warehouse rows that point at them commit.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

SUFFIX = ".warc.gz"
# zlib level 6: warcio's own gzip=True is level 9, about 1.7x the CPU for 0.6% smaller files.
GZIP_LEVEL = 6
_SOFTWARE = "wiretrace (https://example.org/wiretrace)"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ArchiveError(Exception):
    """A record that cannot be read back whole: missing file, short read, bad gzip or wrong digest."""


@dataclass(frozen=True, slots=True)
class Payload:
    """One input's bytes, to be archived."""

    digest: str  # sha256 of data, hex (raw_documents.content_hash)
    data: bytes
    media_type: str | None
    target_uri: str  # the URL fetched, or the seed's URL or file name


@dataclass(frozen=True, slots=True)
class EncodedRecord:
    digest: str
    member: bytes  # one gzip member holding one whole WARC record


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # relative to the archive root, with '/' separators, so the root can move
    offset: int
    length: int


def run_file(run_id: str, day: date) -> str:
    """The archive file of one run on one (UTC) day, relative to the archive root."""
    return f"{day:%Y/%m/%d}/{_UNSAFE.sub('_', run_id)}{SUFFIX}"


def _member(record_bytes: bytes, level: int = GZIP_LEVEL) -> bytes:
    return gzip.compress(record_bytes, compresslevel=level, mtime=0)


def _serialise(writer_buffer: io.BytesIO, record: object) -> bytes:
    writer_buffer.seek(0)
    writer_buffer.truncate()
    WARCWriter(writer_buffer, gzip=False).write_record(record)
    return writer_buffer.getvalue()


def encode_record(payload: Payload, when: datetime, buffer: io.BytesIO | None = None) -> EncodedRecord:
    """One `resource` record, gzipped alone. Pure CPU: meant for a worker process."""
    digest = f"sha256:{payload.digest}"
    headers = {
        "WARC-Record-ID": f"<urn:sha256:{payload.digest}>",
        "WARC-Date": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        # Block and payload are the same bytes in a resource record; given here, warcio skips its sha1.
        "WARC-Block-Digest": digest,
        "WARC-Payload-Digest": digest,
    }
    writer = WARCWriter(io.BytesIO(), gzip=False)
    record = writer.create_warc_record(
        payload.target_uri,
        "resource",
        payload=io.BytesIO(payload.data),
        length=len(payload.data),
        warc_content_type=payload.media_type or "application/octet-stream",
        warc_headers_dict=headers,
    )
    # A payload that is gzip already (a .gz seed) would not shrink: stored, which costs a checksum.
    level = 0 if payload.data[:2] == b"\x1f\x8b" else GZIP_LEVEL
    return EncodedRecord(payload.digest, _member(_serialise(buffer or io.BytesIO(), record), level))


def encode_records(payloads: Sequence[Payload], when: datetime) -> list[EncodedRecord]:
    """encode_record() over a batch: the unit of work sent to one worker."""
    buffer = io.BytesIO()
    return [encode_record(p, when, buffer) for p in payloads]


def _warcinfo(name: str, when: datetime) -> bytes:
    writer = WARCWriter(io.BytesIO(), gzip=False)
    record = writer.create_warcinfo_record(
        name, {"software": _SOFTWARE, "format": "WARC File Format 1.0", "description": "raw inputs"}
    )
    record.rec_headers.replace_header("WARC-Date", when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _member(_serialise(io.BytesIO(), record))


def check_writable(root: Path) -> None:
    """OSError, saying which folder, unless records can be written under `root` (made if missing)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"its archive folder {root} cannot be made: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"its archive folder {root} is not writable", str(root))


# Files this process has appended to, so known to end on a record boundary.
_CLEAN_ENDS: set[Path] = set()


def _whole_records_end(path: Path) -> int:
    """Where the last whole gzip member of `path` ends (a killed write can leave half a member behind).

    Members are checked, not records: this writer only ever writes whole records as whole members.
    """
    end = base = 0  # end of the last whole member; file position of `chunk`
    member = zlib.decompressobj(wbits=31)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            while chunk:
                try:
                    member.decompress(chunk)
                except zlib.error:
                    return end
                if not member.eof:
                    base += len(chunk)
                    break
                end = base = base + len(chunk) - len(member.unused_data)
                chunk = member.unused_data
                member = zlib.decompressobj(wbits=31)
    return end


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append_records(
    root: Path, relpath: str, records: Iterable[EncodedRecord], when: datetime
) -> dict[str, Location]:
    """Append records to ROOT/relpath, durably (fsync); return digest -> where each one lies.

    A digest given twice is written once. A file this process did not write before (a run retried
    after a crash) is first cut back to its last whole record, so the file stays readable end to end.
    """
    path = root / relpath
    todo: dict[str, bytes] = {}
    for record in records:
        todo.setdefault(record.digest, record.member)
    if not todo:
        return {}
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not created and path not in _CLEAN_ENDS:
        end = _whole_records_end(path)
        if end < path.stat().st_size:
            os.truncate(path, end)
    placed: dict[str, Location] = {}
    with open(path, "ab") as fh:
        start = fh.seek(0, os.SEEK_END)
        try:
            if start == 0:
                fh.write(_warcinfo(path.name, when))
            for digest, member in todo.items():
                offset = fh.tell()
                fh.write(member)
                placed[digest] = Location(relpath, offset, len(member))
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                fh.truncate(start)  # no torn record left for the next append to follow
            raise
    if created:
        _sync_dir(path.parent)
    _CLEAN_ENDS.add(path)
    return placed


def read_record(root: Path, where: Location, digest: str | None = None) -> bytes:
    """The payload of the record at `where`; checked against `digest` (sha256 hex) when given."""
    try:
        with open(root / where.path, "rb") as fh:
            fh.seek(where.offset)
            chunk = fh.read(where.length)
    except OSError as exc:
        raise ArchiveError(f"archive file {where.path} cannot be read: {exc.strerror or exc}") from exc
    if len(chunk) != where.length:
        raise ArchiveError(
            f"archive file {where.path} is cut short: {where.length} bytes expected at {where.offset}, "
            f"{len(chunk)} found"
        )
    return payload_of(chunk, where, digest)


def payload_of(chunk: bytes, where: Location, digest: str | None = None) -> bytes:
    """The payload of one record's bytes (one gzip member), as read from any byte-range store."""
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
        data = record.content_stream().read()
    except Exception as exc:  # warcio and zlib raise many kinds for damaged bytes
        raise ArchiveError(f"record at {where.path}:{where.offset} is damaged: {exc}") from exc
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise ArchiveError(f"record at {where.path}:{where.offset} does not hold sha256 {digest}")
    return data
