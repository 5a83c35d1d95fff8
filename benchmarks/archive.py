"""What keeping raw pages in the WARC archive costs, on the 181 AEB pages (decompressed, as fetched).

    .venv/bin/python benchmarks/archive.py [--rounds 5]

Per page, medians of the rounds (CPU seconds of this process, so a busy machine counts less):
- ``data_gzip``: what loads did before 011, gzip level 6 of the bytes into the table;
- ``warcio gzip=True``: warcio's own writer, which compresses at level 9;
- ``encode``: clients/warc.encode_records, a record's headers and its own gzip member at level 6
  (the part that runs in the worker processes);
- ``append``: clients/warc.append_records, what the flow process does: append the finished bytes
  to the run's file and fsync it (wall time: it waits for the disk);
- ``read``: one record back by (path, offset, length), checked against its sha256, as re-tagging does.
And the bytes: raw, in the table as data_gzip, in the archive (per page and against raw).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from warcio.warcwriter import WARCWriter

    from clients import warc

    pages = [p.read_bytes() for p in sorted(AEB.glob("*.html*"))]
    pages = [gzip.decompress(d) if d[:2] == b"\x1f\x8b" else d for d in pages]
    items = [
        warc.Payload(hashlib.sha256(d).hexdigest(), d, "text/html", f"https://example.org/{i}")
        for i, d in enumerate(pages)
    ]
    when = datetime.now(UTC)
    times: dict[str, list[float]] = {
        k: [] for k in ("data_gzip", "warcio gzip=True", "encode", "append", "read")
    }
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):
        start = time.process_time()
        sizes["data_gzip"] = sum(len(gzip.compress(d, compresslevel=6, mtime=0)) for d in pages)
        times["data_gzip"].append(time.process_time() - start)

        out = io.BytesIO()
        writer = WARCWriter(out, gzip=True)
        start = time.process_time()
        for item in items:
            writer.write_record(
                writer.create_warc_record(
                    item.target_uri, "resource", payload=io.BytesIO(item.data), length=len(item.data)
                )
            )
        times["warcio gzip=True"].append(time.process_time() - start)
        sizes["warcio gzip=True"] = out.tell()

        start = time.process_time()
        records = warc.encode_records(items, when)
        times["encode"].append(time.process_time() - start)

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            start = time.perf_counter()
            placed = warc.append_records(root, warc.run_file("bench", when.date()), records, when)
            times["append"].append(time.perf_counter() - start)
            sizes["archive"] = sum(f.stat().st_size for f in root.rglob("*.warc.gz"))
            start = time.process_time()
            for item in items:
                warc.read_record(root, placed[item.digest], item.digest)
            times["read"].append(time.process_time() - start)

    raw = sum(map(len, pages))
    n = len(pages)
    print(
        f"{n} AEB pages, {raw / 1e6:.1f} MB raw ({raw / n / 1024:.1f} KiB a page); "
        f"medians of {args.rounds} rounds"
    )
    for name, values in times.items():
        per = statistics.median(values) / n * 1000
        print(f"  {name:<18} {per:6.2f} ms a page  ({statistics.median(values):.2f} s in all)")
    for name, size in (
        ("data_gzip", sizes["data_gzip"]),
        ("warcio gzip=True", sizes["warcio gzip=True"]),
        ("archive", sizes["archive"]),
    ):
        print(f"  {name:<18} {size / n / 1024:6.1f} KiB a page  ({100 * size / raw:.1f}% of raw)")
    encode, old = statistics.median(times["encode"]), statistics.median(times["data_gzip"])
    print(f"encode / data_gzip: {encode / old:.2f}x the CPU; warcio's level 9 / encode: "
          f"{statistics.median(times['warcio gzip=True']) / encode:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
