"""The registry of agencies and outlets, read from `transforms/data/sources.yaml`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"
REGISTRY_FILE = DATA_DIR / "sources.yaml"
# libyaml's parser when PyYAML was built with it: ~30x faster than the pure-Python one, which
# spent ~0.1 s of every worker's start-up on the data files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_data_file(path: Path) -> object:
    """The contents of one of the YAML reference-data files."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    kind: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...] = ()
    datelines: tuple[str, ...] = ()
    ambiguous: bool = False
    # Languages whose texts may cite the source by name; empty: any. An acronym such as APA is
    # the Austrian agency in German text and a psychologists' association in English text.
    cite_languages: tuple[str, ...] = ()
    country: str = ""  # ISO 3166-1 alpha-2
    language: str = ""  # ISO 639-1
    # A photo agency: credited for pictures only, never for the text.
    photo_only: bool = False
    # Names that are ordinary words unless quoted as a title: „Spiegel“, « Libé », "Bild".
    quoted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    sources: tuple[Source, ...]

    @functools.cached_property
    def by_name(self) -> dict[str, Source]:
        return {s.name: s for s in self.sources}

    @functools.cached_property
    def by_domain(self) -> dict[str, Source]:
        return {d.lower(): s for s in self.sources for d in s.domains}

    def source_for_host(self, host: str) -> Source | None:
        """The source owning `host` or one of its parent domains (news.cnn.com -> CNN)."""
        parts = host.lower().rstrip(".").split(".")
        for i in range(len(parts) - 1):
            found = self.by_domain.get(".".join(parts[i:]))
            if found:
                return found
        return None


def parse_registry(entries: list[dict]) -> Registry:
    """Build a registry from the parsed data file, checking each entry."""
    sources = []
    seen: set[str] = set()
    alias_owner: dict[str, str] = {}
    for entry in entries:
        name = entry.get("name")
        kind = entry.get("kind")
        if not name or kind not in ("agency", "outlet"):
            raise ValueError(f"registry entry needs a name and kind agency|outlet: {entry!r}")
        if name in seen:
            raise ValueError(f"registry entry {name!r} is listed twice")
        seen.add(name)
        aliases = tuple(dict.fromkeys([name, *entry.get("aliases", [])]))
        for alias in (*aliases, *entry.get("quoted", [])):
            owner = alias_owner.setdefault(alias, name)
            if owner != name:
                raise ValueError(f"alias {alias!r} of {name!r} is already an alias of {owner!r}")
        sources.append(
            Source(
                name=name,
                kind=kind,
                aliases=aliases,
                domains=tuple(entry.get("domains", [])),
                datelines=tuple(entry.get("datelines", [])),
                ambiguous=bool(entry.get("ambiguous", False)),
                cite_languages=tuple(entry.get("cite_languages", [])),
                country=str(entry.get("country", "")),
                language=str(entry.get("language", "")),
                photo_only=bool(entry.get("photo_only", False)),
                quoted=tuple(entry.get("quoted", [])),
            )
        )
    return Registry(tuple(sources))


@functools.cache
def load_registry(path: Path = REGISTRY_FILE) -> Registry:
    return parse_registry(read_data_file(path))
