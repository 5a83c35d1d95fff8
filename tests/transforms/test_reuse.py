"""Passage-level reuse on the seeds (real copies, rewrites, independent reports) and on edits."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from tests.conftest import CORPUS, SEEDS, require_corpus
from transforms import reuse
from transforms.reuse import (
    FingerprintIndex,
    ReuseDoc,
    ReuseEdge,
    align,
    batch_candidates,
    detect_reuse,
    fingerprints,
    orient,
    reuse_tags,
)

# file names by content (the gold file numbers 001/004 the other way round)
BLOG = "004_966d6d37cf684c64.txt"  # "Humans are social animals." pastes AFP and Droid Report text
REWRITE = "001_88a8be11f5cd4cc1.txt"  # same facts in its own words
INDEPENDENT = "002_cd3e9b45309f4b3f.txt"  # own report of the event
AFP = "003_c203a4481660e9bf.txt"  # the AFP story
DROID = "000_81fad63d1977c299.txt"  # Droid Report, one long line


def _texts(clean: bool) -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    if clean:
        plaintext = pytest.importorskip("transforms.plaintext")
        texts = {k: plaintext.clean_plaintext(v).text for k, v in texts.items()}
    return texts


def _docs(texts: dict[str, str]) -> dict[str, ReuseDoc]:
    return {
        k: ReuseDoc(
            k,
            v,
            datetime(2017, 5, 10, 17, 41, tzinfo=UTC) if k == DROID else None,
            frozenset({"AFP"}) if k == AFP else frozenset(),
            frozenset({"Droid Report", "CNN", "Inquirer"}) if k == BLOG else frozenset(),
            "Droid Report" if k == DROID else None,
        )
        for k, v in texts.items()
    }


def _seed_edges(clean: bool) -> list[ReuseEdge]:
    texts = _texts(clean)
    index = FingerprintIndex()
    pairs = batch_candidates(index, [(k, fingerprints(v)) for k, v in texts.items()])
    return detect_reuse(pairs, _docs(texts))


@pytest.mark.parametrize("clean", [False, True], ids=["raw", "cleaned"])
def test_seeds_have_exactly_the_two_gold_edges(clean: bool) -> None:
    edges = _seed_edges(clean)
    assert {(e.article_id, e.copied_from_id) for e in edges} == {(BLOG, AFP), (BLOG, DROID)}
    texts = _texts(clean)
    by_source = {e.copied_from_id: e for e in edges}
    afp = by_source[AFP]
    assert afp.passages[0].text.startswith("Chinese internet giant Tencent said Saturday")
    assert "register of information distribution organisations" in afp.passages[-1].text
    assert "(AFP)" not in afp.passages[0].text  # the dropped dateline is not part of the copy
    droid = by_source[DROID]
    assert droid.passages[0].text.startswith("The reason behind the ban is that WeChat")
    assert droid.passages[-1].text.endswith("CTV News reported.")
    for e in edges:
        copy, src = texts[e.article_id], texts[e.copied_from_id]
        assert e.shared_chars == sum(p.end - p.start for p in e.passages)
        assert e.share == pytest.approx(e.shared_chars / len(copy), abs=1e-4)
        for p in e.passages:
            assert copy[p.start : p.end] == p.text
            assert reuse.words(src[p.src_start : p.src_end]) == reuse.words(p.text)


def test_rewrite_and_independent_reports_share_no_passage() -> None:
    texts = _texts(False)
    # a rewrite shares at most a few words in a row ("a law passed in 2014")
    assert all(len(reuse.words(p.text)) < 10 for p in align(texts[REWRITE], texts[DROID], min_words=1))
    # both quote Roskomnadzor's spokesman, in different words: not even 5 words in a row
    assert align(texts[INDEPENDENT], texts[AFP], min_words=1) == []
    assert align(texts[REWRITE], texts[DROID]) == []


def _afp_block() -> str:
    text = _texts(False)[AFP]
    start = text.index("Chinese internet giant")
    return text[start : text.index("Earlier in the week")]


def test_copy_with_small_edits_is_found_as_one_passage() -> None:
    block = _afp_block()
    edited = (
        block.replace("“", '"')
        .replace("”", '"')
        .replace("’", "'")
        .replace("world’s most popular", "world's most widely used")  # a changed word
        .replace(", adding it", " - adding it")  # punctuation
        .replace("\n\n", "\n")
    )
    copy = "An opinion piece starts with its own words about apps and privacy for a while.\n" + edited
    passages = align(copy, _texts(False)[AFP])
    assert len(passages) == 1
    assert passages[0].text.startswith("Chinese internet giant")
    assert passages[0].text.endswith("told state-run RIA Novosti Friday.")
    assert passages[0].end - passages[0].start > 0.95 * len(edited.rstrip())


def test_a_shared_quote_is_not_reuse() -> None:
    quote = (
        "“We are sending letters to iTunes and Google Play to block the app. We await a reaction. If it "
        "does not follow, access to the messenger will be limited through telecom providers,”"
    )
    a = f"Moscow blocked the app this week. {quote} Vadim Ampelonsky told RIA Novosti on Friday."
    b = f"The regulator spoke on Friday. {quote} the spokesman said, according to state media."
    assert len(reuse.words(quote)) >= 25
    assert align(a, b) == []
    # the same words outside quotation marks are copied prose
    plain = quote.strip("“”,")
    assert align(f"First. {plain} Then more.", f"Other start here. {plain} And the end.") != []


def test_direction_by_date_by_credit_and_by_agency_origin() -> None:
    early = ReuseDoc("a", "x", datetime(2017, 5, 6, tzinfo=UTC))
    late = ReuseDoc("b", "x", datetime(2017, 5, 9, tzinfo=UTC))
    undated = ReuseDoc("c", "x")
    assert orient(early, late) == (late, early)
    assert orient(late, early) == (late, early)
    assert orient(undated, early) == (undated, early)
    # the agency original is the source even when it is dated later
    agency = ReuseDoc("d", "x", datetime(2017, 5, 20, tzinfo=UTC), origins=frozenset({"AFP"}))
    assert orient(early, agency) == (early, agency)
    # two articles running the same wire copy copied neither the other
    other_agency = ReuseDoc("e", "x", None, origins=frozenset({"AFP"}))
    assert orient(agency, other_agency) is None
    # crediting the other's outlet (a via link) marks the copy, whatever the dates
    outlet = ReuseDoc("f", "x", datetime(2017, 5, 30, tzinfo=UTC), outlet="Droid Report")
    credits = ReuseDoc("g", "x", datetime(2017, 5, 1, tzinfo=UTC), credited=frozenset({"Droid Report"}))
    assert orient(outlet, credits) == (credits, outlet)


def test_each_copied_region_goes_to_the_best_source_only() -> None:
    texts = _texts(False)
    block = _afp_block()
    second = "Another site ran it too, with an intro of its own.\n" + block  # a copy of the copy
    third = "A third site copied the second site.\n" + block
    docs = {
        AFP: ReuseDoc(AFP, texts[AFP], None, frozenset({"AFP"})),
        "second": ReuseDoc("second", second, datetime(2017, 5, 7, tzinfo=UTC)),
        "third": ReuseDoc("third", third, datetime(2017, 5, 8, tzinfo=UTC)),
    }
    edges = detect_reuse(itertools.combinations(docs, 2), docs)
    assert {(e.article_id, e.copied_from_id) for e in edges} == {("second", AFP), ("third", AFP)}


def test_reuse_tags_give_agency_and_outlet_reuse_with_offsets() -> None:
    edges = _seed_edges(False)
    texts = _texts(False)
    tags = reuse_tags(edges, {AFP: {"AFP"}}, {DROID: "Droid Report", AFP: "Inquirer", BLOG: None})
    got = {(a, t.source, t.kind, t.role) for a, t in tags}
    # Inquirer only republished AFP's text: the reuse is AFP's, not Inquirer's
    assert got == {(BLOG, "AFP", "agency", "reuse"), (BLOG, "Droid Report", "outlet", "reuse")}
    for article_id, tag in tags:
        assert texts[article_id][tag.start : tag.end] == tag.evidence
    # an outlet missing from the registry gets no tag
    tags = reuse_tags(edges, {}, {DROID: "Some Blog Nobody Knows"})
    assert tags == []


def test_fingerprints_are_stable_across_processes() -> None:
    # stored in the warehouse: must not depend on Python's salted hash()
    fp = fingerprints("one two three four five six seven eight nine ten eleven twelve")
    assert fp.hashes.dtype.name == "int64"
    same = fingerprints("One, two; three: four — five six seven eight nine ten eleven twelve!")
    assert fp.hashes.tolist() == same.hashes.tolist()
    assert fp.hashes.tolist() == [926583046353283976, 531808899300637496]


def test_index_finds_candidates_without_comparing_unrelated_articles() -> None:
    texts = _texts(False)
    index = FingerprintIndex()
    first = [(k, fingerprints(texts[k])) for k in (AFP, DROID, INDEPENDENT)]
    assert batch_candidates(index, first) == []
    later = [(k, fingerprints(texts[k])) for k in (BLOG, REWRITE)]
    pairs = {tuple(sorted(p)) for p in batch_candidates(index, later)}
    # the rewrite shares the blog's comment-form footer: a candidate, later rejected as too short
    assert pairs == {tuple(sorted(p)) for p in [(BLOG, AFP), (BLOG, DROID), (BLOG, REWRITE)]}
    assert len(index) == 5
    docs = _docs(texts)
    assert {(e.article_id, e.copied_from_id) for e in detect_reuse(pairs, docs)} == {
        (BLOG, AFP),
        (BLOG, DROID),
    }


def test_same_outlet_shares_boilerplate_not_copy() -> None:
    a = ReuseDoc("a", "x", datetime(2017, 5, 6, tzinfo=UTC), outlet="my6sense")
    b = ReuseDoc("b", "x", datetime(2017, 5, 9, tzinfo=UTC), outlet="my6sense")
    assert orient(a, b) is None


AEB = require_corpus(CORPUS / "aeb" / "ground-truth.json")


def test_181_real_articles_and_the_seeds_give_only_the_seed_edges() -> None:
    gold = json.loads(AEB.read_text(encoding="utf-8"))
    docs = {k: ReuseDoc(k, v["articleBody"], outlet=urlsplit(v["url"]).hostname) for k, v in gold.items()}
    docs.update(_docs(_texts(False)))
    index = FingerprintIndex()
    pairs = batch_candidates(index, [(k, fingerprints(d.text)) for k, d in docs.items()])
    # without outlets, three same-site pairs share footers ("About my6sense ..."): those are
    # found as candidates, and dropped as one outlet's furniture
    assert len(pairs) > 5
    edges = detect_reuse(pairs, docs)
    assert {(e.article_id, e.copied_from_id) for e in edges} == {(BLOG, AFP), (BLOG, DROID)}
