"""Reading a seeds folder from disk: files to RawDocuments, with what manifest.csv adds.

Nothing outside the seeds folder is read: symlinks that lead out of it, devices, FIFOs and
sockets are refused, and each refusal is a recorded failure (what, where, why).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from settings import MANIFEST_NAME, MAX_MANIFEST_BYTES, MAX_SEED_DEPTH
from transforms.decode import too_large
from transforms.manifest import ManifestEntry, ManifestError, parse_manifest, parse_manifest_rows
from transforms.records import Failure, RawDocument

_NOT_FILES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def _not_a_file(mode: int) -> str | None:
    for test, what in _NOT_FILES:
        if test(mode):
            return f"not a regular file: {what}"
    return None if stat.S_ISREG(mode) else "not a regular file"


def _read_text(path: Path, checked: bool = False) -> str:
    raw = read_file(path, path.name, None, MAX_MANIFEST_BYTES, checked=checked)
    if isinstance(raw, Failure):
        raise ManifestError(f"{path}: cannot read: {raw.reason}")
    try:
        return raw.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from exc


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Entries of a manifest file; ManifestError (with the path) when it or one of its rows cannot be used."""
    text = _read_text(path)
    try:
        return parse_manifest(text)
    except ManifestError as exc:
        raise ManifestError(f"{path}: {exc}") from exc


def read_file(
    path: Path, ref: str, entry: ManifestEntry | None, max_bytes: int, *, checked: bool = False
) -> RawDocument | Failure:
    """One file as a RawDocument, or a Failure that says why it could not be read.

    Opened without blocking and checked on the open file, so a FIFO or a device named like a
    seed is refused instead of read (or waited on), and a file that reports size 0 while it
    streams (/proc) is read only up to the limit. `checked`: `path` was checked (or resolved) to be
    a file inside the seeds folder, so it is opened without following a symlink: one swapped in
    since the check is refused, not followed.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) if checked else 0
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Failure(
                ref, "seed", "read", "became a symlink after it was checked: refused, not followed"
            )
        return Failure(ref, "seed", "read", f"cannot read file: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if problem := _not_a_file(info.st_mode):
            return Failure(ref, "seed", "read", problem)
        if info.st_size > max_bytes:  # refuse before reading 50 MB into memory
            return Failure(ref, "seed", "read", too_large(info.st_size, max_bytes))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            return Failure(ref, "seed", "read", too_large(len(data), max_bytes))
    except OSError as exc:
        return Failure(ref, "seed", "read", f"cannot read file: {exc.strerror or exc}")
    finally:
        os.close(fd)
    return RawDocument(
        source_ref=ref,
        data=data,
        origin="seed",
        url=entry.url if entry else None,
        outlet=entry.outlet if entry else None,
        published=entry.published if entry else None,
    )


def _inside(path: Path, root: Path) -> tuple[Path | None, str | None]:
    """The real path of a folder entry when it may be read, else why not."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return None, f"cannot read file: {exc.strerror or exc}"
    if not stat.S_ISLNK(mode):
        return path, _not_a_file(mode)
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return None, f"dangling symlink: its target {os.readlink(path)!r} does not exist"
    except (OSError, RuntimeError) as exc:
        return None, f"unreadable symlink: {exc}"
    if not target.is_relative_to(root):
        return None, f"symlink to {target}, outside the seeds folder: refused"
    problem = _not_a_file(os.stat(target).st_mode)
    if problem == "not a regular file: a folder":
        problem = "symlink to a folder: not followed (its files are read where they are)"
    return target, problem


def _manifest(root: Path) -> tuple[dict[str, ManifestEntry], list[Failure]]:
    path = root / MANIFEST_NAME
    if not os.path.lexists(path):
        return {}, []
    real, problem = _inside(path, root)
    if problem or real is None:
        return {}, [Failure(MANIFEST_NAME, "seed", "manifest", f"{MANIFEST_NAME}: {problem}")]
    try:
        entries, problems = parse_manifest_rows(_read_text(real, checked=True))
    except ManifestError as exc:
        return {}, [Failure(MANIFEST_NAME, "seed", "manifest", str(exc))]
    return entries, [Failure(f"{MANIFEST_NAME}:{p.line}", "seed", "manifest", p.reason) for p in problems]


def printable_ref(ref: str) -> str:
    """A folder entry's name as stored and shown: a name that is not valid UTF-8 (its bytes were
    decoded with surrogate escapes) shows those bytes as \\xNN, so it can be stored, printed and keyed,
    and is the same on every run."""
    return os.fsencode(ref).decode("utf-8", "backslashreplace")


def _hidden_or_manifest(ref: str) -> bool:
    return ref == MANIFEST_NAME or any(p.startswith(".") for p in ref.split("/"))


def _walk(root: Path, max_depth: int) -> tuple[list[tuple[str, Path]], list[Failure]]:
    """(ref, path) of every entry to read as a file under root, with an explicit stack (a folder
    nested thousands deep is no recursion); failures for the folders that cannot be listed or lie
    deeper than max_depth: those are recorded, the rest of the folder is read."""
    entries: list[tuple[str, Path]] = []
    failures: list[Failure] = []
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack:
        folder, prefix, depth = stack.pop()
        if depth > max_depth:
            reason = f"folder nested deeper than {max_depth} levels: not read (move its files up)"
            failures.append(Failure(printable_ref(prefix.rstrip("/")), "seed", "read", reason))
            continue
        try:
            with os.scandir(folder) as listing:
                found = list(listing)
        except OSError as exc:
            failures.append(
                Failure(
                    printable_ref(prefix.rstrip("/") or "."),
                    "seed",
                    "read",
                    f"cannot list folder: {exc.strerror or exc}",
                )
            )
            continue
        for entry in found:
            ref = prefix + entry.name
            if _hidden_or_manifest(ref):
                continue
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:  # a symlink to a folder is not entered: it is checked as a file (_inside)
                stack.append((Path(entry.path), ref + "/", depth + 1))
            else:
                entries.append((ref, Path(entry.path)))
    return entries, failures


def read_seed_dir(
    seeds_dir: Path, max_bytes: int, max_depth: int = MAX_SEED_DEPTH
) -> tuple[list[RawDocument], list[Failure]]:
    """Every file under seeds_dir (not hidden, not the manifest), in name order; failures for the rest.

    Failures of stage 'read' are inputs that could not be read; stage 'manifest' are manifest
    rows that cannot be used (bad rows, files it names that are not there).
    """
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"seeds folder not found: {seeds_dir}")
    root = seeds_dir.resolve()
    manifest, failures = _manifest(root)
    entries, walk_failures = _walk(root, max_depth)
    failures.extend(walk_failures)
    found: dict[str, tuple[Path | None, str | None]] = {}
    clashes: list[Failure] = []
    # A name printed with a backslash escape (\\xe9) and a name of those very characters print alike:
    # the one that is valid UTF-8 keeps the name, the other is a recorded failure.
    for raw_ref, path in sorted(
        entries, key=lambda item: (printable_ref(item[0]), item[0] != printable_ref(item[0]))
    ):
        ref = printable_ref(raw_ref)
        if ref in found:  # its own ref: the other file's loading must not resolve this failure
            reason = f"its name is not valid UTF-8 and prints as {ref!r}, the name of another file: rename it"
            clashes.append(Failure(f"{ref} (name not UTF-8)", "seed", "read", reason))
        else:
            found[ref] = _inside(path, root)
    failures.extend(clashes)
    docs: list[RawDocument] = []
    for ref, (real, problem) in found.items():
        if problem or real is None:
            failures.append(Failure(ref, "seed", "read", problem or "cannot read file"))
            continue
        result = read_file(real, ref, manifest.get(ref), max_bytes, checked=True)
        (failures if isinstance(result, Failure) else docs).append(result)
    for name in sorted(set(manifest) - set(found)):
        reason = f"{MANIFEST_NAME} lists {name!r}, which is not in the seeds folder"
        failures.append(Failure(name, "seed", "manifest", reason))
    return docs, failures
