from altyazi.metrics import normalize_turkish, text_in_span, word_error_rate


def test_turkish_casing_and_punctuation():
    assert normalize_turkish("İSTANBUL'da IŞIK, değil mi?") == "istanbulda ışık değil mi"


def test_wer_counts_errors():
    assert word_error_rate(["bir iki üç dört"], ["bir iki üç dört"]) == 0.0
    assert word_error_rate(["bir iki üç dört"], ["bir iki beş dört"]) == 0.25
    assert word_error_rate(["", "a b"], ["x", "a b"]) == 0.0  # empty reference skipped


def test_text_in_span_uses_midpoints():
    segs = [{"start": 0, "end": 2, "text": "a"}, {"start": 1.5, "end": 5, "text": "b"}, {"start": 9, "end": 10, "text": "c"}]
    assert text_in_span(segs, 0, 4) == "a b"
