"""Passage-level reuse on the seeds (real copies, rewrites, independent reports) and on edits."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest

from tests.conftest import SEEDS
from transforms import plaintext, reuse
from transforms.reuse import (
    FingerprintIndex,
    ReuseDoc,
    ReuseEdge,
    align,
    batch_candidates,
    detect_reuse,
    fingerprints,
    linked_urls,
    orient,
    reuse_tags,
    stock_test,
    words,
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
    directed = {(e.article_id, e.copied_from_id) for e in edges if e.direction_basis != "undecided"}
    assert directed == {(BLOG, AFP), (BLOG, DROID)}
    # the raw files still hold a blog comment form, which two of them share; nothing dates
    # either, so it is shared text without a direction (cleaning removes it)
    shared = [e for e in edges if e.direction_basis == "undecided"]
    assert [(e.article_id, e.copied_from_id) for e in shared] == ([] if clean else [(BLOG, REWRITE)])
    assert all(p.text.startswith("Leave a Reply") for e in shared for p in e.passages)
    texts = _texts(clean)
    edges = [e for e in edges if e.direction_basis != "undecided"]
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


JAN, FEB = date(2019, 1, 1), date(2019, 2, 1)
SEEN, LATER = datetime(2026, 11, 23, 12, tzinfo=UTC), datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_dates_a_day_apart_decide_even_against_credit_agency_and_first_seen() -> None:
    # the case: a later article carrying AP copy pasted an earlier one without any credit;
    # it also credits the other's outlet for something else and was loaded first
    source = ReuseDoc("src", "x", JAN, outlet="Daily A", credited=frozenset({"Daily B"}), first_seen=LATER)
    copy = ReuseDoc("copy", "x", FEB, frozenset({"AP"}), outlet="Daily B", first_seen=SEEN)
    assert orient(source, copy) == (copy, source, "published")
    assert orient(copy, source) == (copy, source, "published")
    # the rule below would have got it wrong
    undated = ReuseDoc("src", "x", None, outlet="Daily A", credited=frozenset({"Daily B"}), first_seen=LATER)
    assert orient(undated, copy)[:2] == (undated, copy)


def test_date_only_values_count_at_their_precision() -> None:
    day = ReuseDoc("a", "x", date(2019, 1, 1), first_seen=SEEN)
    next_day = ReuseDoc("b", "x", date(2019, 1, 2), first_seen=SEEN)
    assert orient(day, next_day) == (next_day, day, "published")
    # an instant and a date: the instant may fall on any date from UTC-12 to UTC+14
    evening = ReuseDoc("c", "x", datetime(2019, 1, 1, 23, 30, tzinfo=UTC), first_seen=SEEN)
    assert orient(evening, next_day)[2] == "undecided"
    week_later = ReuseDoc("d", "x", date(2019, 1, 8), first_seen=SEEN)
    assert orient(evening, week_later) == (week_later, evening, "published")
    # two instants under a day apart decide nothing by date
    morning = ReuseDoc("e", "x", datetime(2019, 1, 1, 6, tzinfo=UTC), first_seen=SEEN)
    assert orient(morning, evening)[2] == "undecided"


def test_a_credit_decides_against_agency_origin_and_first_seen() -> None:
    # the copy runs AP copy and pastes a blog it credits by a via link; it was loaded first
    blog = ReuseDoc(
        "blog", "x", outlet="Some Blog", url="https://www.someblog.example/p/1/", first_seen=LATER
    )
    copy = ReuseDoc(
        "copy",
        "x",
        None,
        frozenset({"AP"}),
        links=linked_urls("(Via: http://someblog.example/p/1)"),
        first_seen=SEEN,
    )
    assert orient(blog, copy) == (copy, blog, "credit")
    named = ReuseDoc("copy", "x", None, frozenset({"AP"}), frozenset({"Some Blog"}), first_seen=SEEN)
    assert orient(named, blog) == (named, blog, "credit")
    # without the credit, agency origin says the opposite
    plain = ReuseDoc("copy", "x", None, frozenset({"AP"}), first_seen=SEEN)
    assert orient(plain, blog) == (blog, plain, "agency")


def test_agency_origin_decides_against_first_seen() -> None:
    wire = ReuseDoc("wire", "x", None, frozenset({"AFP"}), first_seen=LATER)
    copy = ReuseDoc("copy", "x", first_seen=SEEN)
    assert orient(copy, wire) == (copy, wire, "agency")
    # two articles running the same wire copy copied neither the other; nor did two of one outlet
    assert orient(wire, ReuseDoc("other", "x", None, frozenset({"AFP"}))) is None
    assert orient(ReuseDoc("a", "x", outlet="my6sense"), ReuseDoc("b", "x", outlet="my6sense")) is None


def test_first_seen_decides_only_between_runs_and_nothing_else_is_a_guess() -> None:
    earlier = ReuseDoc("b", "x", first_seen=SEEN)
    later = ReuseDoc("a", "x", first_seen=LATER)
    assert orient(earlier, later) == (later, earlier, "first_seen")
    same_run = ReuseDoc("a", "x", first_seen=SEEN)
    # one run loads both: nothing says which came first, and the order stored is by id only
    assert orient(earlier, same_run) == (earlier, same_run, "undecided")
    assert orient(same_run, earlier) == (earlier, same_run, "undecided")


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
    # an outlet missing from the registry is credited by the name the article has (site name, domain)
    tags = reuse_tags(edges, {}, {DROID: "some-blog.example"})
    assert {(t.source, t.kind) for _, t in tags} == {("some-blog.example", "outlet")}
    # text shared without a direction credits nobody
    undecided = [
        ReuseEdge(e.article_id, e.copied_from_id, e.shared_chars, e.share, e.passages) for e in edges
    ]
    assert reuse_tags(undecided, {AFP: {"AFP"}}, {DROID: "Droid Report"}) == []


def test_fingerprints_are_stable_across_processes() -> None:
    # stored in the warehouse: must not depend on Python's salted hash()
    fp = fingerprints("one two three four five six seven eight nine ten eleven twelve")
    assert fp.hashes.dtype.name == "int64"
    same = fingerprints("One, two; three: four — five six seven eight nine ten eleven twelve!")
    assert fp.hashes.tolist() == same.hashes.tolist()
    assert fp.hashes.tolist() == [926583046353283976, 4314726084641149834, 531808899300637496]


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
    assert _directed(detect_reuse(pairs, docs)) == {(BLOG, AFP), (BLOG, DROID)}


def _directed(edges: list[ReuseEdge]) -> set[tuple[str, str]]:
    return {(e.article_id, e.copied_from_id) for e in edges if e.direction_basis != "undecided"}


def test_181_real_articles_and_the_seeds_give_only_the_seed_edges(corpus_dir) -> None:
    gold = json.loads((corpus_dir / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    docs = {k: ReuseDoc(k, v["articleBody"], outlet=urlsplit(v["url"]).hostname) for k, v in gold.items()}
    docs.update(_docs(_texts(False)))
    index = FingerprintIndex()
    pairs = batch_candidates(index, [(k, fingerprints(d.text)) for k, d in docs.items()])
    # without outlets, three same-site pairs share footers ("About my6sense ..."): those are
    # found as candidates, and dropped as one outlet's furniture; independent reports sharing
    # an official's title or a press release's half-sentence are candidates too, and no passage
    assert len(pairs) > 5
    edges = detect_reuse(pairs, docs)
    assert _directed(edges) == {(BLOG, AFP), (BLOG, DROID)}
    # and the raw seeds' shared comment form, without a direction
    assert {(e.article_id, e.copied_from_id) for e in edges if e.direction_basis == "undecided"} == {
        (BLOG, REWRITE)
    }


# A lede of 19 words, a quotation of 20 words, and prose of the pages they go into.
LEDE = (
    "Flooding along the Danube forced thousands of residents from their homes in three Hungarian towns "
    "on Sunday."
)
QUOTE = (
    "“We have never seen the river rise this fast, and we are asking everyone near the banks to leave "
    "tonight,” said mayor Anna Kovacs."
)
PAGE_A = "Officials met in Budapest to plan the response.\n\n{}\n\nTrains were cancelled across the region."
PAGE_B = "Local radio stayed on air all night.\n\n{}\n\nThe army sent boats and sandbags to flooded villages."


def test_a_pasted_lede_of_12_to_24_words_counts() -> None:
    copy, src = PAGE_A.format(LEDE), PAGE_B.format(LEDE)
    passages = align(copy, src)
    assert [p.text for p in passages] == [LEDE]
    # part of a sentence is no lede: two reports sharing a title or a name share no passage
    fragment = "the regional water authority of the upper Danube basin in northern Hungary"
    assert len(words(fragment)) >= 12
    assert (
        align(f"Experts from {fragment} warned of more rain.", f"Data from {fragment} was published.") == []
    )


def test_a_quote_shared_by_two_outlets_is_not_a_copy() -> None:
    a = PAGE_A.format(QUOTE)
    b = PAGE_B.format(QUOTE.replace("said mayor Anna Kovacs", "mayor Anna Kovacs told reporters"))
    assert 12 <= len(words(QUOTE)) <= 24
    assert align(a, b) == []
    # with straight quote marks on one side and curly on the other, still a quote
    assert align(a, b.replace("“", '"').replace("”", '"')) == []
    docs = {"a": ReuseDoc("a", a, date(2019, 1, 1)), "b": ReuseDoc("b", b, date(2019, 2, 1))}
    assert detect_reuse([("a", "b")], docs) == []


def test_a_short_run_many_outlets_hold_is_a_stock_phrase() -> None:
    stock = "Sign up for our free newsletter to get the most important stories of the day in your inbox."
    own = [
        ("Officials met in Budapest.", "Trains were cancelled."),
        ("Local radio stayed on air.", "The army sent boats."),
        ("Markets closed early on Friday.", "Shares fell sharply in Asia."),
        ("The festival opened with a parade.", "Tickets sold out within hours."),
        ("Scientists found a new species of frog.", "It lives only on one mountain."),
    ]
    pages = {f"p{i}": f"{a}\n\n{stock}\n\n{b}" for i, (a, b) in enumerate(own)}
    index = FingerprintIndex()
    batch_candidates(index, [(k, fingerprints(v)) for k, v in pages.items()])
    recurrence = index.document_frequency(fingerprints(stock).hashes)
    assert align(pages["p0"], pages["p1"], stock=stock_test(recurrence)) == []
    # the same run in two outlets only is no stock phrase
    two = {k: v for k, v in pages.items() if k in ("p0", "p1")}
    index = FingerprintIndex()
    batch_candidates(index, [(k, fingerprints(v)) for k, v in two.items()])
    recurrence = index.document_frequency(fingerprints(stock).hashes)
    assert [p.text for p in align(pages["p0"], pages["p1"], stock=stock_test(recurrence))] == [stock]


def test_text_without_spaces_is_tokenized_by_character() -> None:
    zh = "中国科技公司腾讯表示其通讯应用微信在俄罗斯被封锁。"
    assert words(zh)[:4] == ["中", "国", "科", "技"]
    assert words("東京で会議 held in Tokyo") == ["東", "京", "で", "会", "議", "held", "in", "tokyo"]
    assert words("ข่าววันนี้")[0] == "ข"
    # a Chinese passage pasted into another page is found, measured in characters
    copy = f"这是另一篇文章的开头。\n\n{zh * 2}\n\n结尾部分。"
    src = f"原文的第一段。\n\n{zh * 2}\n\n原文的最后一段。"
    assert [p.text for p in align(copy, src)] == [zh * 2]
