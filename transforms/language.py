"""The language of an article: what the page declares, unless its text clearly says otherwise."""

from __future__ import annotations

import re
from typing import Any

_CODE = re.compile(r"^[a-z]{2,3}$")
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


def _declared_code(declared: str | None) -> str | None:
    if not declared:
        return None
    code = declared.strip().lower().replace("_", "-").split("-")[0]
    return code if _CODE.match(code) else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """An ISO 639-1 code: 'en', 'de', ... or None for text too short to tell."""
    code = _declared_code(declared)
    sample = text[:2000]  # plenty for a confident reading; the cost grows with the length
    words = len(sample.split())
    if words < 5:
        return code
    lang, prob = _identifier().classify(sample)
    if code is None:
        return lang if prob >= 0.5 else None
    if lang != code and words >= _OVERRULE_WORDS and prob >= _OVERRULE_PROBABILITY:
        return lang
    return code
