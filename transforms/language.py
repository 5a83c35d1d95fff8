"""The language of an article: the page's own declaration when it has one, else py3langid."""

from __future__ import annotations

import functools
import re

_CODE = re.compile(r"^[a-z]{2,3}$")


@functools.cache
def _identifier():  # the model takes ~0.3 s to load: only when first needed
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, declared: str | None = None) -> str | None:
    """An ISO 639-1 code: 'en', 'de', ... or None for text too short to tell."""
    if declared:
        code = declared.strip().lower().replace("_", "-").split("-")[0]
        if _CODE.match(code):
            return code
    sample = text[:5000]
    if len(sample.split()) < 5:
        return None
    lang, prob = _identifier().classify(sample)
    return lang if prob >= 0.5 else None
