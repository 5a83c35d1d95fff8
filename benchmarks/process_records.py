"""What `transforms.pipeline.process` makes of the corpus pages, record for record: the check that a
change made for speed changes no output.

The pages: the 181 AEB pages (with their gold URL, and again without one), Fundus's 181 pages (with the
manifest's URL) and attribution-dev's pages (with their labelled URL): each record's repr, one a line.
Run it on the code before the change and after, and compare:

    .venv/bin/python benchmarks/process_records.py OUT            # write the records
    .venv/bin/python benchmarks/process_records.py OUT --diff OLD  # and say how they differ from OLD's

Exits 1 when --diff finds a difference.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"


def corpus_documents() -> list:
    from transforms.records import RawDocument

    docs = []
    gold = json.loads((CORPUS / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for path in sorted((CORPUS / "aeb" / "html").glob("*.html.gz")):
        url = gold.get(path.name.removesuffix(".html.gz"), {}).get("url")
        docs.append(RawDocument(f"aeb/{path.name}", path.read_bytes(), url=url))
        docs.append(RawDocument(f"aeb-no-url/{path.name}", path.read_bytes()))
    with open(CORPUS / "fundus" / "manifest.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            data = (CORPUS / "fundus" / row["file"]).read_bytes()
            docs.append(RawDocument(f"fundus/{row['file']}", data, url=row["url"]))
    with open(CORPUS / "attribution-dev" / "labels.tsv", encoding="utf-8", newline="") as handle:
        urls = {row["page"]: row["url"] for row in csv.DictReader(handle, delimiter="\t")}
    for path in sorted((CORPUS / "attribution-dev" / "pages").glob("*.html.gz")):
        docs.append(RawDocument(f"attribution-dev/{path.name}", path.read_bytes(), url=urls.get(path.name)))
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="file to write the records to")
    parser.add_argument("--diff", type=Path, help="records written earlier, to compare with")
    args = parser.parse_args()
    if not (CORPUS / "aeb").is_dir():
        raise SystemExit(f"no corpus at {CORPUS}: clone wiretrace next to the shared corpus")
    from transforms.pipeline import process
    from transforms.registry import load_registry

    logging.disable(logging.CRITICAL)  # trafilatura warns on every discarded candidate
    registry = load_registry()
    lines = [repr(process(doc, registry)) for doc in corpus_documents()]
    args.out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} records written to {args.out}")
    if args.diff is None:
        return 0
    old = args.diff.read_text(encoding="utf-8").splitlines()
    changed = [i for i, (a, b) in enumerate(zip(old, lines, strict=False)) if a != b]
    if len(old) != len(lines):
        print(f"{len(old)} records in {args.diff}, {len(lines)} now")
    for i in changed[:10]:
        print(f"record {i + 1} differs:\n  was: {old[i][:300]}\n  now: {lines[i][:300]}")
    print(f"{len(changed)} of {len(lines)} records differ from {args.diff}")
    return 1 if changed or len(old) != len(lines) else 0


if __name__ == "__main__":
    sys.exit(main())
