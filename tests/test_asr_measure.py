"""The scoring functions behind the ASR measurements (pure, no model)."""

import pytest

from tools.measure_asr import score_lines, timing_errors
from tools.samples import Part


def test_timing_errors_match_by_spelling_within_a_window():
    truth = [(1.0, "kiraz"), (1.5, "okula"), (2.2, "gitmedi")]
    hyp = [(1.05, "kiras"), (1.62, "okula"), (2.9, "gitti"), (5.0, "kiraz")]
    errors = timing_errors(truth, hyp)
    assert errors == pytest.approx([0.05, 0.12, 0.7])
    assert timing_errors(truth, [(9.0, "kiraz")]) == []          # too far away to be the same word


def test_score_lines_counts_lost_lines_and_stray_words():
    parts = [Part("silence", 0, 1), Part("clip", 1, 3, "bir iki", "a"), Part("music", 3, 8),
             Part("tts", 8, 9, "üç", "b")]
    assert score_lines(parts, [(1.2, 1.5), (8.1, 8.4)]) == {"lines": 2, "lines_lost": 0, "lost": [], "stray_words": 0}
    assert score_lines(parts, [(1.2, 1.5), (5.0, 5.2)]) == {"lines": 2, "lines_lost": 1, "lost": ["b"], "stray_words": 1}
