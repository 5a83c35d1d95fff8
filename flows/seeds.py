"""Reading a seeds folder: files to RawDocuments, with what manifest.csv adds."""

from __future__ import annotations

from pathlib import Path

from transforms.decode import too_large
from transforms.manifest import ManifestEntry, ManifestError, parse_manifest
from transforms.records import Failure, RawDocument
from wiretrace.config import MANIFEST_NAME


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Entries of a manifest file; ManifestError (with the path) when it cannot be used."""
    try:
        return parse_manifest(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from exc
    except ManifestError as exc:
        raise ManifestError(f"{path}: {exc}") from exc


def read_file(path: Path, ref: str, entry: ManifestEntry | None, max_bytes: int) -> RawDocument | Failure:
    """One file as a RawDocument, or a Failure that says why it could not be read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading 50 MB into memory
            return Failure(ref, "seed", "read", too_large(size, max_bytes))
        data = path.read_bytes()
    except OSError as exc:
        return Failure(ref, "seed", "read", f"cannot read file: {exc.strerror or exc}")
    return RawDocument(
        source_ref=ref,
        data=data,
        origin="seed",
        url=entry.url if entry else None,
        outlet=entry.outlet if entry else None,
        published=entry.published if entry else None,
    )


def read_seed_dir(seeds_dir: Path, max_bytes: int) -> tuple[list[RawDocument], list[Failure]]:
    """Every file under seeds_dir (not hidden, not the manifest), in name order."""
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"seeds folder not found: {seeds_dir}")
    failures: list[Failure] = []
    manifest: dict[str, ManifestEntry] = {}
    if (seeds_dir / MANIFEST_NAME).is_file():
        try:
            manifest = read_manifest(seeds_dir / MANIFEST_NAME)
        except ManifestError as exc:
            failures.append(Failure(MANIFEST_NAME, "seed", "manifest", str(exc)))
    docs: list[RawDocument] = []
    for path in sorted(seeds_dir.rglob("*")):
        ref = path.relative_to(seeds_dir).as_posix()
        if not path.is_file() or ref == MANIFEST_NAME or any(p.startswith(".") for p in ref.split("/")):
            continue
        result = read_file(path, ref, manifest.get(ref), max_bytes)
        (failures if isinstance(result, Failure) else docs).append(result)
    return docs, failures
