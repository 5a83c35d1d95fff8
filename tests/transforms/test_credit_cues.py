"""transforms/credit_cues.py: the alternations every credit pattern is built from, over the real cue lists."""

from __future__ import annotations

import re

from transforms.credit_cues import alternation, cue_data, word_alternation


def test_an_alternation_matches_each_cue_whole_and_the_longest_first() -> None:
    words = cue_data()["cited_after"]
    pattern = re.compile(alternation(map(re.escape, words)))
    for word in words:
        assert pattern.fullmatch(word), word
    # "berichtet" and "berichtete" are both cues: the longer wins where both fit
    assert pattern.match("berichtete gestern").group() == "berichtete"
    assert re.search(alternation([]), "anything") is None


def test_a_word_alternation_ends_at_a_word_boundary_except_in_scripts_without_spaces() -> None:
    cues = cue_data()
    spaced = re.compile(word_alternation(cues["cited_after"]))
    assert spaced.match("meldet die Agentur")
    assert not spaced.match("meldetext")  # a cue that runs on into a longer word is no cue
    unspaced = re.compile(word_alternation(cues["cited_before"]))
    assert unspaced.match("据新华社报道").group() == "据"  # Chinese: no space after the cue
    assert re.search(word_alternation([]), "anything") is None
