"""Length of a text in words, for scripts written with spaces and without (Chinese, Japanese, Thai...).

Splitting on spaces counts a whole Japanese paragraph as one or two words, so every length
threshold (the shortest article, the shortest text to identify a language) would refuse such
pages. Han characters and kana count one word each (a Chinese or Japanese word is one to two
characters; Chinese word counts are counted in characters too); Thai, Lao, Khmer, Myanmar and
Tibetan, whose words average four to five letters, count one word per four letters. Pure.
"""

from __future__ import annotations

import re

# Han (incl. extension A and compatibility ideographs), hiragana, katakana, half-width katakana.
_HAN_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
# Thai, Lao, Tibetan, Myanmar, Khmer.
_SOUTHEAST_ASIAN = re.compile(r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff]")
_LETTERS_PER_WORD = 4
_LETTER = re.compile(r"\w")


def count_words(text: str) -> int:
    """Words of a text: space-separated words, plus unspaced-script words counted as above."""
    if text.isascii():
        return len(text.split())
    han_kana = len(_HAN_KANA.findall(text))
    southeast = len(_SOUTHEAST_ASIAN.findall(text))
    if not han_kana and not southeast:
        return len(text.split())
    rest = _SOUTHEAST_ASIAN.sub(" ", _HAN_KANA.sub(" ", text))
    spaced = sum(1 for token in rest.split() if _LETTER.search(token))  # "、" alone is no word
    return han_kana + -(-southeast // _LETTERS_PER_WORD) + spaced


def is_unspaced(word: str) -> bool:
    """Whether a word holds letters of a script written without spaces between words."""
    return bool(_HAN_KANA.search(word) or _SOUTHEAST_ASIAN.search(word))
