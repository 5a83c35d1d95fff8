"""The language of an article: what the page declares, unless its text clearly says otherwise."""

from __future__ import annotations

import re
from typing import Any

from transforms.textunits import count_words

# A language tag (BCP 47 shape: "de", "pt-BR", "zh-Hant-TW"). A header or attribute holding anything
# else ("utf-8", "iso-8859-1", "windows-1252") is no declaration: the text decides.
_TAG = re.compile(r"^([a-z]{2,3})(?:-[a-z0-9]{2,8})*$")
# Templates often declare the site's default language on every page (lang="en" on a German
# article): a confident reading of enough text overrules the declaration.
_OVERRULE_WORDS = 40
_OVERRULE_PROBABILITY = 0.99


_model: Any = None  # py3langid's LanguageIdentifier, once loaded


def read_model() -> Any:
    """py3langid's language identifier from its model file: ~0.5 s, mostly LZMA decompression."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def use_model(model: Any) -> None:
    """Use this identifier (e.g. one read from a faster cache) instead of reading the model file."""
    global _model
    _model = model


def model_loaded() -> bool:
    return _model is not None


def _identifier() -> Any:
    if _model is None:  # only when first needed
        use_model(read_model())
    return _model


def declared_code(declared: str | None) -> str | None:
    """The ISO 639 code of a declared language tag ("pt-BR" -> "pt"); None when it is no tag."""
    if not declared:
        return None
    match = _TAG.match(declared.strip().lower().replace("_", "-"))
    return match.group(1) if match else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """An ISO 639-1 code: 'en', 'de', ... or None for text too short to tell."""
    code = declared_code(declared)
    sample = text[:2000]  # plenty for a confident reading; the cost grows with the length
    words = count_words(sample)
    if words < 5:
        return code
    lang, prob = _identifier().classify(sample)
    if code is None:
        return lang if prob >= 0.5 else None
    if lang != code and words >= _OVERRULE_WORDS and prob >= _OVERRULE_PROBABILITY:
        return lang
    return code
