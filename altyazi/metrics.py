"""Accuracy measures shared by tests, the ASR measurements and the benchmark."""

from __future__ import annotations

import re
import unicodedata

from .turkish import turkish_lower


def normalize_turkish(text: str) -> str:
    """Lowercase with Turkish casing (I->ı, İ->i), drop punctuation, squeeze spaces."""
    text = turkish_lower(unicodedata.normalize("NFC", text))
    text = re.sub(r"[’'`]", "", text)  # Anadolu'dan -> anadoludan, as subtitles vary on apostrophes
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _corpus_rate(measure: str, references: list[str], hypotheses: list[str]) -> float:
    """jiwer's corpus ``wer`` or ``cer`` after :func:`normalize_turkish`; empty references are skipped."""
    import jiwer

    pairs = [(normalize_turkish(r), normalize_turkish(h)) for r, h in zip(references, hypotheses)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    return float(getattr(jiwer, measure)([r for r, _ in pairs], [h for _, h in pairs]))


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER (jiwer) after :func:`normalize_turkish`; empty references are skipped."""
    return _corpus_rate("wer", references, hypotheses)


def char_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus CER (jiwer) after :func:`normalize_turkish`; empty references are skipped."""
    return _corpus_rate("cer", references, hypotheses)


def text_in_span(segments: list[dict], start: float, end: float) -> str:
    """Text of the segments whose midpoint lies in [start, end] (seconds)."""
    return " ".join(s.get("text", "") for s in segments
                    if start <= (s["start"] + s["end"]) / 2 <= end and s.get("text"))
