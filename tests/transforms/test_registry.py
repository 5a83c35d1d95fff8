"""The registry of agencies and outlets and its data file."""

from __future__ import annotations

import pytest
import yaml

from transforms.registry import REGISTRY_FILE, load_registry, parse_registry
from transforms.tag_sources import CUES_FILE

REQUIRED = [
    "AFP", "AP", "Reuters", "Xinhua", "dpa", "EFE", "ANSA", "Kyodo", "Yonhap", "TASS", "RIA Novosti",
    "Interfax", "PTI", "ANI", "IANS", "Anadolu", "Bloomberg", "UPI", "PA Media", "AAP", "The Canadian Press",
    "Belga", "APA", "KNA", "SID", "ČTK", "PAP", "JTA", "CNN", "Quartz", "BBC", "The New York Times",
    "The Wall Street Journal", "The Washington Post", "The Guardian", "Financial Times", "Al Jazeera", "RT",
    "CTV News",
]  # fmt: skip


def test_registry_covers_the_required_sources() -> None:
    registry = load_registry()
    missing = [name for name in REQUIRED if name not in registry.by_name]
    assert not missing


def test_every_entry_has_kind_aliases_and_domains() -> None:
    for source in load_registry().sources:
        assert source.kind in ("agency", "outlet"), source
        assert source.aliases[0] == source.name, source
        assert source.domains, f"{source.name} has no domain"


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("AFP", "Agence France-Presse"),
        ("AP", "Associated Press"),
        ("dpa", "Deutsche Presse-Agentur"),
        ("EFE", "Agencia EFE"),
        ("Reuters", "Thomson Reuters"),
        ("Xinhua", "Xinhua News Agency"),
        ("PTI", "Press Trust of India"),
        ("ČTK", "Česká tisková kancelář"),
        ("PAP", "Polska Agencja Prasowa"),
        ("KNA", "Katholische Nachrichten-Agentur"),
    ],
)
def test_aliases_in_their_own_languages(name: str, alias: str) -> None:
    assert alias in load_registry().by_name[name].aliases


def test_dateline_only_tokens() -> None:
    registry = load_registry()
    assert "CP" in registry.by_name["The Canadian Press"].datelines
    assert "AA" in registry.by_name["Anadolu"].datelines
    assert "CP" not in registry.by_name["The Canadian Press"].aliases


def test_ambiguous_names_are_flagged() -> None:
    registry = load_registry()
    for name in ("AFP", "AP", "Bloomberg", "Quartz", "CNN", "RT"):
        assert registry.by_name[name].ambiguous, name
    assert not registry.by_name["Xinhua"].ambiguous


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("money.cnn.com", "CNN"),
        ("edition.cnn.com", "CNN"),
        ("WWW.REUTERS.COM.", "Reuters"),
        ("qz.com", "Quartz"),
        ("www.bbc.co.uk", "BBC"),
    ],
)
def test_source_for_host(host: str, name: str) -> None:
    found = load_registry().source_for_host(host)
    assert found is not None and found.name == name


def test_unknown_host_and_bare_suffix() -> None:
    registry = load_registry()
    assert registry.source_for_host("example.org") is None
    assert registry.source_for_host("com") is None


def test_each_domain_belongs_to_one_source() -> None:
    seen: dict[str, str] = {}
    for source in load_registry().sources:
        for domain in source.domains:
            assert domain not in seen, f"{domain} is listed for {seen[domain]} and {source.name}"
            seen[domain] = source.name


def test_parse_registry_rejects_bad_entries() -> None:
    with pytest.raises(ValueError, match="kind"):
        parse_registry([{"name": "X", "kind": "blog"}])
    with pytest.raises(ValueError, match="twice"):
        parse_registry([{"name": "X", "kind": "agency"}, {"name": "X", "kind": "outlet"}])


def test_parse_registry_keeps_name_first_and_drops_repeats() -> None:
    registry = parse_registry([{"name": "X", "kind": "agency", "aliases": ["X", "Ex"], "datelines": ["XX"]}])
    source = registry.by_name["X"]
    assert source.aliases == ("X", "Ex")
    assert source.datelines == ("XX",)
    assert source.ambiguous is False


def test_registry_file_is_plain_yaml_list() -> None:
    entries = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    assert isinstance(entries, list) and len(entries) >= len(REQUIRED)


def test_cue_file_has_every_list_the_tagger_needs() -> None:
    cues = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    for key in (
        "cited_before",
        "cited_after",
        "photo_before",
        "byline_words",
        "cocredit_before",
        "copyright",
    ):
        assert cues[key], key
    for lang in ("en", "de", "es", "fr"):
        assert cues["cited_before"][lang] and cues["cited_after"][lang], lang
