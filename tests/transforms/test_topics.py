"""The topic query language."""

from __future__ import annotations

import pytest

from transforms.topics import And, Not, Or, Phrase, QuerySyntaxError, Term, matching_topics, parse_query

TEXT = (
    "Chinese internet giant Tencent said Saturday its messaging app WeChat had been blocked in Russia, "
    "adding it was in touch with Roskomnadzor, the Russian telecoms watchdog."
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wechat", True),
        ("WECHAT", True),  # case-insensitive
        ("wech", False),  # whole words only
        ("wech*", True),  # unless asked for a prefix
        ("block*", True),
        ("wechat russia", True),  # side by side = AND
        ("wechat AND facebook", False),
        ("wechat OR facebook", True),
        ("NOT facebook", True),
        ("wechat AND NOT russia", False),
        ('"messaging app WeChat"', True),
        ('"WeChat messaging app"', False),  # a phrase keeps its order
        ('"telecoms watchdog"', True),
        ('"russia adding"', True),  # punctuation between words does not break a phrase
        ("(facebook OR tencent) AND (russia OR china)", True),
        ("facebook OR tencent AND china", False),  # AND binds tighter than OR
        ("NOT wechat OR tencent", True),  # NOT binds tighter than OR
    ],
)
def test_matches(query, expected):
    assert parse_query(query).matches(None, TEXT) is expected


def test_a_query_word_is_split_into_words_like_the_text():
    query = parse_query("Roskomnadzor’s")  # the phrase: roskomnadzor s
    assert query.matches(None, "Roskomnadzor's decision")
    assert not query.matches(None, TEXT)
    assert parse_query("roskomnadzor").matches(None, "Roskomnadzor’s decision")


def test_title_and_text_are_both_searched_but_a_phrase_does_not_span_them():
    query = parse_query("wechat AND russia")
    assert query.matches("WeChat blocked", "The regulator in Russia acted.")
    assert not parse_query('"blocked the"').matches("WeChat blocked", "The regulator acted.")
    assert query.matches(None, None) is False


def test_syntax_tree():
    assert parse_query('a b OR NOT "c d"').root == Or((And((Term("a"), Term("b"))), Not(Phrase(("c", "d")))))
    assert parse_query("France-Presse").root == Phrase(("france", "presse"))
    assert parse_query("ban*").root == Term("ban", prefix=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ("wechat AND", "missing at the end"),
        ("(wechat OR russia", "not closed"),
        ("wechat)", "unexpected ')'"),
        ('"wechat', "unclosed quote"),
        ("wechat and russia", "ambiguous"),
        ("OR russia", "OR needs a word"),
        ("a AND OR b", "OR needs a word"),
        ("()", "unexpected )"),
        ("***", "no letters or digits"),
        ("we-chat*", "single word"),
    ],
)
def test_bad_syntax_is_a_clear_error(query, message):
    with pytest.raises(QuerySyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_query(query)


def test_lower_case_operators_can_be_searched_as_quoted_words():
    assert parse_query('"not" AND wechat').matches(None, "It is not WeChat.")


def test_matching_topics_names_each_topic_that_matched():
    topics = [
        ("wechat", parse_query("wechat")),
        ("sport", parse_query("football")),
        ("ru", parse_query("russia*")),
    ]
    assert matching_topics(topics, "Title", TEXT) == ("wechat", "ru")


# The first lines of the Chunichi Shimbun page of the Fundus corpus: Japanese has no spaces.
JAPANESE = "南海トラフ、一時調査　巨大地震、基準達せず"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("地震", True),  # "earthquake", inside the run 巨大地震
        ("巨大地震", True),
        ("南海トラフ 地震", True),
        ('"南海トラフ"', True),
        ("津波", False),  # "tsunami": not in the text
        ("地震 AND NOT 調査", False),
        ("トラフ*", True),
    ],
)
def test_words_match_inside_unspaced_text(query, expected):
    assert parse_query(query).matches(None, JAPANESE) is expected


def test_spaced_words_still_match_whole_words_beside_unspaced_text():
    assert parse_query("nankai").matches("Nankai 南海トラフ", JAPANESE)
    assert not parse_query("nan").matches("Nankai 南海トラフ", JAPANESE)
