"""The registry of agencies and outlets and its data file."""

from __future__ import annotations

import re

import pytest
import yaml

from transforms.credit_cues import CUES_DIR, CUES_FILE, read_cues
from transforms.registry import REGISTRY_FILE, load_registry, parse_registry

# National and international agencies the registry must know (issue #11), by canonical name.
REQUIRED_AGENCIES = [
    "AFP", "AP", "Reuters", "Xinhua", "dpa", "EFE", "ANSA", "Kyodo", "Jiji Press", "Yonhap", "TASS",
    "RIA Novosti", "Interfax", "PTI", "ANI", "IANS", "Anadolu", "Bloomberg", "UPI", "PA Media", "AAP",
    "The Canadian Press", "Belga", "APA", "KNA", "SID", "ČTK", "PAP", "JTA", "IRNA", "WAFA", "AWP", "KCNA",
    "Ukrinform", "Lusa", "ANP", "NTB", "TT Nyhetsbyrån", "STT", "Ritzau", "Keystone-SDA", "MTI", "Antara",
    "Bernama", "Europa Press", "Agência Brasil", "Prensa Latina",
]  # fmt: skip
PHOTO_AGENCIES = ["Getty Images", "EPA", "Shutterstock", "Imago", "Alamy", "picture alliance"]
CITED_OUTLETS = ["CNN", "Quartz", "BBC", "The New York Times", "The Wall Street Journal", "RT", "CTV News"]
_COUNTRY = re.compile(r"[A-Z]{2}")
_LANGUAGE = re.compile(r"[a-z]{2}")


def test_registry_covers_the_worlds_agencies() -> None:
    registry = load_registry()
    missing = [
        name for name in REQUIRED_AGENCIES + PHOTO_AGENCIES + CITED_OUTLETS if name not in registry.by_name
    ]
    assert not missing
    news_agencies = [s for s in registry.sources if s.kind == "agency" and not s.photo_only]
    assert len(news_agencies) >= 120


def test_photo_agencies_are_photo_only() -> None:
    registry = load_registry()
    for name in PHOTO_AGENCIES:
        assert registry.by_name[name].photo_only, name
    for name in ("AFP", "AP", "Reuters", "dpa"):  # they sell pictures and copy: not photo-only
        assert not registry.by_name[name].photo_only, name


def test_every_entry_has_kind_country_language_and_its_name_first() -> None:
    for source in load_registry().sources:
        assert source.kind in ("agency", "outlet"), source
        assert source.aliases[0] == source.name, source
        assert _COUNTRY.fullmatch(source.country), source
        assert _LANGUAGE.fullmatch(source.language), source


def test_canonical_names_are_unique() -> None:
    entries = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names))


def test_every_alias_maps_to_one_entry() -> None:
    owner: dict[str, str] = {}
    for source in load_registry().sources:
        for alias in source.aliases:
            assert owner.setdefault(alias, source.name) == source.name, (alias, owner[alias], source.name)
    with pytest.raises(ValueError, match="already an alias"):
        parse_registry(
            [
                {"name": "X", "kind": "agency", "aliases": ["Ex"]},
                {"name": "Y", "kind": "agency", "aliases": ["Ex"]},
            ]
        )


def test_short_abbreviations_that_are_common_acronyms_are_dateline_only() -> None:
    # "TT", "AA", "CP", "ATS" and "SDA" are ordinary acronyms in running text: they name the agency
    # only in a dateline or a signature.
    registry = load_registry()
    for name, token in (
        ("TT Nyhetsbyrån", "TT"),
        ("Anadolu", "AA"),
        ("The Canadian Press", "CP"),
        ("Keystone-SDA", "ATS"),
        ("Keystone-SDA", "SDA"),
    ):
        source = registry.by_name[name]
        assert token in source.datelines and token not in source.aliases, (name, token)


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("AFP", "Agence France-Presse"),
        ("AP", "Associated Press"),
        ("dpa", "Deutsche Presse-Agentur"),
        ("EFE", "Agencia EFE"),
        ("Reuters", "Thomson Reuters"),
        ("Reuters", "ロイター"),
        ("Xinhua", "新华社"),
        ("Kyodo", "共同通信"),
        ("Jiji Press", "時事通信"),
        ("Yonhap", "연합뉴스"),
        ("KCNA", "조선중앙통신"),
        ("TASS", "ТАСС"),
        ("Ukrinform", "Укрінформ"),
        ("Anadolu", "Anadolu Ajansı"),
        ("PTI", "Press Trust of India"),
        ("ČTK", "Česká tisková kancelář"),
        ("PAP", "Polska Agencja Prasowa"),
        ("KNA", "Katholische Nachrichten-Agentur"),
        ("NTB", "Norsk Telegrambyrå"),
        ("MTI", "Magyar Távirati Iroda"),
    ],
)
def test_aliases_in_their_own_languages(name: str, alias: str) -> None:
    assert alias in load_registry().by_name[name].aliases


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
        ("www.aa.com.tr", "Anadolu"),
        ("en.yna.co.kr", "Yonhap"),
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
    registry = parse_registry(
        [{"name": "X", "kind": "agency", "aliases": ["X", "Ex"], "datelines": ["XX"], "country": "FR"}]
    )
    source = registry.by_name["X"]
    assert source.aliases == ("X", "Ex")
    assert source.datelines == ("XX",)
    assert source.country == "FR"
    assert source.ambiguous is False and source.photo_only is False


def test_cue_files_hold_every_list_the_tagger_needs() -> None:
    neutral = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    for key in ("copyright", "photo_marks", "not_followed_by", "site_notice"):
        assert neutral[key], key
    merged = read_cues()
    for key in ("cited_before", "cited_after", "photo_before", "byline_words", "cocredit_before"):
        assert merged[key], key


def test_cue_words_for_twenty_languages() -> None:
    languages = {path.stem for path in CUES_DIR.glob("*.yaml")}
    assert len(languages) >= 20
    for language in languages:
        data = yaml.safe_load((CUES_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
        assert data.get("cited_before") or data.get("cited_after"), language
        assert data.get("photo_before"), language


def test_national_editions_belong_to_their_outlet() -> None:
    # businessinsider.de carries its US colleagues' articles: the outlet's own name, not a credit
    registry = load_registry()
    assert registry.source_for_host("www.businessinsider.de").name == "Business Insider"


def test_a_quoted_title_belongs_to_one_entry_too() -> None:
    """Titles that count only between quotation marks ("„Spiegel“") are names of their entry like
    its aliases: one owner each."""
    entries = [
        {"name": "Der Spiegel", "kind": "outlet", "quoted": ["Spiegel"]},
        {"name": "Spiegel", "kind": "outlet"},
    ]
    with pytest.raises(ValueError, match="already an alias"):
        parse_registry(entries)
    registry = parse_registry(entries[:1])
    assert registry.by_name["Der Spiegel"].quoted == ("Spiegel",)
