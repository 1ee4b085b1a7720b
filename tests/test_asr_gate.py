"""The ASR quality gate: what it rejects and why (pure functions, no model)."""

import pytest

from altyazi.asr.gate import check_transcript, hallucination, looks_turkish, repetition


@pytest.mark.parametrize("text", [
    "Yaman Bey, Kiraz uyumuyor.", "Hava olacak hayvan mı kaldı bu kıtlıkta?", "Evet.", "Tamam", "Allah Allah",
    "Hayır hayır hayır!", "Nerede kaldı bu tapınakçılar?", "Kalk bakalım gidiyoruz artık",
])
def test_real_turkish_lines_pass(text):
    assert check_transcript(text) == []


@pytest.mark.parametrize("text,kind", [
    ("", "empty"), ("  ...  ", "empty"), ("♪ ♪", "empty"),
    ("Altyazı M.K.", "hallucination"), ("İzlediğiniz için teşekkürler!", "hallucination"),
    ("Abone olmayı unutmayın.", "hallucination"), ("Thanks for watching!", "hallucination"),
    ("www.altyazi.com", "hallucination"),
    ("evet evet evet evet evet evet", "repetition"), ("sen ben sen ben sen ben sen ben", "repetition"),
    ("The weather is really nice today in London", "not_turkish"), ("Привет как у тебя дела", "not_turkish"),
])
def test_rejections_name_their_kind(text, kind):
    reasons = check_transcript(text)
    assert reasons and any(r.split(":")[0] == kind for r in reasons), reasons


def test_repetition_describes_the_loop():
    assert "'bir iki üç'" in repetition("bir iki üç bir iki üç bir iki üç gel")
    assert repetition("bir iki üç dört beş altı yedi") is None


def test_long_compressible_text_is_degenerate():
    assert "compression" in repetition("ha" * 80 + " " + "ah" * 80)


def test_short_latin_lines_are_given_the_benefit_of_the_doubt():
    assert looks_turkish("Hello")          # two words or fewer: too short to judge
    assert not looks_turkish("1234")        # no letters at all


def test_hallucination_needs_the_whole_phrase():
    assert hallucination("Teşekkürler, abi.") is None
    assert hallucination("Bugün izlediğiniz için teşekkürler dedi") is not None


def test_gate_can_be_told_the_language():
    assert check_transcript("The weather is really nice today in London", language="en") == []
