"""Language identification (langid.py), shared by the ASR gate (is this Turkish?) and the
translation guards (is this French?). Each asks among its own set of languages; the identifier for
a set is built once, at its first use (loading langid's model is not free)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def _identifier(languages: tuple[str, ...]):
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def classify(text: str, languages: tuple[str, ...]) -> tuple[str, float]:
    """(language code, probability) of ``text``, among ``languages`` only."""
    lang, prob = _identifier(languages).classify(text)
    return lang, float(prob)
