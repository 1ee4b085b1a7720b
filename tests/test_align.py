"""Forced alignment: a tiny random wav2vec2 CTC model loaded through the production path
(AutoProcessor + Wav2Vec2ForCTC.from_pretrained) and ctc_forced_aligner's Viterbi, plus the
interpolation of words that cannot be aligned. Random weights: we check structure, not accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_models import build_tiny_wav2vec2

from altyazi.asr.align import AlignerUnavailable, CTCAligner, fill_gaps, interpolate_words, token_spans


@pytest.fixture(scope="module")
def aligner(tmp_path_factory):
    folder = build_tiny_wav2vec2(tmp_path_factory.mktemp("w2v"))
    al = CTCAligner(str(folder))
    al.load()
    return al


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.2 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + rng.normal(0, 0.02, t.size)).astype(np.float32)


def test_every_word_gets_ordered_times_inside_the_piece(aligner):
    text = "Yaman Bey, Kiraz uyumuyor. İstanbul'a gidiyoruz!"
    words = aligner.align(speechlike(3.0), text, offset=12.0)
    assert [w.word for w in words] == text.split()
    assert all(12.0 <= w.start <= w.end <= 15.0 + 1e-6 for w in words)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))
    assert all(w.flag is None and 0 < w.score <= 1 for w in words)


def test_digits_and_symbols_are_aligned_through_the_wildcard(aligner):
    """WhisperX's rule: a character the CTC vocabulary lacks is a wildcard target, so "10", "%50",
    "5'te" and "1990" get aligned times (not interpolated ones); punctuation is skipped."""
    text = "Saat 10 buçukta %50 gel, 5'te 1990 yılında!"
    assert aligner.char_ids("1990") == [aligner.wildcard] * 4
    assert aligner.char_ids("5'te") == [aligner.wildcard, aligner.vocab["'"], aligner.vocab["t"], aligner.vocab["e"]]
    assert aligner.char_ids("gel,") == [aligner.vocab[c] for c in "gel"]
    words = aligner.align(speechlike(4.0, 1), text, offset=0.0)
    assert [w.word for w in words] == text.split()
    assert all(w.flag is None and w.score is not None for w in words)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))
    assert all(w.end > w.start for w in words if w.word in ("10", "%50", "5'te", "1990"))


def test_a_word_of_punctuation_only_is_interpolated_between_neighbours(aligner):
    words = aligner.align(speechlike(3.0, 1), "Saat on - gel", offset=0.0)
    dash = words[2]
    assert dash.flag == "interpolated" and words[1].end <= dash.start <= dash.end <= words[3].start + 1e-6


def test_piece_too_short_for_the_text_is_interpolated(aligner):
    words = aligner.align(speechlike(0.1), "çok uzun bir cümle burada söyleniyor", offset=5.0)
    assert len(words) == 6 and all(w.flag == "interpolated" for w in words)
    assert words[0].start == pytest.approx(5.0) and words[-1].end == pytest.approx(5.1)


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(AlignerUnavailable, match="nope"):
        CTCAligner(str(tmp_path / "nope")).load()


def test_interpolation_spreads_by_length():
    words = interpolate_words(["a", "bbb"], 1.0, 2.0)
    assert (words[0].start, words[0].end, words[1].end) == (1.0, 1.25, 2.0)
    assert all(w.flag == "interpolated" for w in words)


def test_fill_gaps_keeps_timed_words():
    out = fill_gaps([(1.0, 1.2), None, None, (2.0, 2.5)], ["a", "b", "c", "d"], 0.0, 3.0, [0.9, None, None, 0.8])
    assert (out[0].start, out[3].start) == (1.0, 2.0)
    assert out[1].start == pytest.approx(1.2) and out[2].end == pytest.approx(2.0)
    assert [w.flag for w in out] == [None, "interpolated", "interpolated", None]


def test_token_spans_split_repeats_on_blanks():
    assert token_spans(np.array([0, 5, 5, 0, 5, 7, 7, 0]), blank=0) == [(1, 2), (4, 4), (5, 6)]
