"""Shared window packing (faster-whisper packed mode and Voxtral), Voxtral's packed path with the
tiny random model and tiny aligner, the token budget per batch, and the one OOM-halving helper."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import build_tiny_voxtral, build_tiny_wav2vec2

from altyazi.asr.base import SAMPLE_RATE, Piece
from altyazi.asr.packing import GAP_S, coverage, layout, pack_pieces, thin, window_audio, words_to_pieces
from altyazi.asr.voxtral import VoxtralBackend, max_new_tokens_for
from altyazi.errors import GPUMemoryError
from altyazi.gpu import BatchSizer
from altyazi.records import Word


def make_pieces(durations: list[float], seed: int = 0) -> list[Piece]:
    rng = np.random.default_rng(seed)
    out, t = [], 0.0
    for i, d in enumerate(durations):
        out.append(Piece(i, t, t + d, (0.1 * rng.standard_normal(int(d * SAMPLE_RATE))).astype(np.float32)))
        t += d + 2.0
    return out


def test_pack_pieces_groups_consecutive_pieces_within_the_limit():
    pieces = make_pieces([4.0, 5.0, 10.0, 12.0, 35.0, 3.0])
    windows = pack_pieces(pieces, 28.0)
    assert [w.members for w in windows] == [[0, 1, 2], [3], [4], [5]]
    gap = int(GAP_S * SAMPLE_RATE)
    w = windows[0]
    assert w.offsets == [0, 4 * SAMPLE_RATE + gap, 9 * SAMPLE_RATE + 2 * gap]
    assert w.samples == 19 * SAMPLE_RATE + 2 * gap and w.seconds <= 28.0
    assert windows[2].seconds == 35.0            # longer than the limit: alone, never split
    # the windows index the end-to-end layout, so faster-whisper's clips and the window audio agree
    signal = layout(pieces)
    for w in windows:
        np.testing.assert_array_equal(signal[w.start:w.start + w.samples], window_audio(pieces, w))
    assert [w.members for w in pack_pieces(pieces, 0.0)] == [[i] for i in range(6)]


def test_pieces_that_touch_in_the_episode_keep_its_continuous_audio():
    """Silero splits a short pause between two pieces (each gets half): packed, the window holds the
    episode's own samples there, with no silence the speaker never made; apart pieces get GAP_S."""
    rng = np.random.default_rng(3)
    episode = (0.1 * rng.standard_normal(20 * SAMPLE_RATE)).astype(np.float32)
    spans = [(1.0, 3.2), (3.2, 5.0), (5.0, 6.5), (9.0, 11.0)]   # three touching, then a real pause
    pieces = [Piece(i, a, b, episode[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]) for i, (a, b) in enumerate(spans)]
    [w] = pack_pieces(pieces, 28.0)
    gap = int(GAP_S * SAMPLE_RATE)
    assert w.offsets == [0, int(2.2 * SAMPLE_RATE), int(4.0 * SAMPLE_RATE), int(5.5 * SAMPLE_RATE) + gap]
    audio = window_audio(pieces, w)
    np.testing.assert_array_equal(audio[:int(5.5 * SAMPLE_RATE)], episode[SAMPLE_RATE:int(6.5 * SAMPLE_RATE)])
    assert not audio[int(5.5 * SAMPLE_RATE):int(5.5 * SAMPLE_RATE) + gap].any()
    np.testing.assert_array_equal(layout(pieces)[w.start:w.start + w.samples], audio)


def test_words_go_back_to_their_piece_in_episode_time():
    pieces = make_pieces([2.0, 3.0])
    w = pack_pieces(pieces, 30.0)[0]
    second = w.offsets[1] / SAMPLE_RATE
    words = [Word(0.2, 0.6, "bir", 0.9), Word(1.9, 2.3, "iki"),      # midpoint 2.1: in the gap, nearer piece 0
             Word(second + 0.5, second + 1.0, "üç"), Word(second + 2.8, second + 3.4, "dört")]
    out = words_to_pieces(w, pieces, words)
    assert [x.word for x in out[0]] == ["bir", "iki"] and [x.word for x in out[1]] == ["üç", "dört"]
    assert out[0][0].start == pytest.approx(pieces[0].start + 0.2) and out[0][0].score == 0.9
    assert out[1][0].start == pytest.approx(pieces[1].start + 0.5)
    for i, ws in out.items():   # clamped to the piece
        assert all(pieces[i].start <= x.start <= x.end <= pieces[i].end for x in ws)


def test_token_budget_follows_the_longest_clip():
    assert max_new_tokens_for(15.0, 256) == 136       # 8 tokens/s x 15 s + 16
    assert max_new_tokens_for(30.0, 256) == 256
    assert max_new_tokens_for(100.0, 256) == 256      # capped
    assert max_new_tokens_for(0.5, 256) == 20


def test_batch_sizer_keeps_the_halved_size_for_the_rest_of_the_stage():
    sizes = []

    def fn(chunk):
        sizes.append(len(chunk))
        if len(chunk) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [x * 10 for x in chunk]

    sizer = BatchSizer(8, "test")
    assert sizer.map(list(range(7)), fn) == [x * 10 for x in range(7)]
    assert sizes == [7, 4, 2, 2, 2, 1] and sizer.size == 2 and sizer.halvings == 2 and sizer.calls == 4
    sizes.clear()
    sizer.map(list(range(4)), fn)             # the next call starts at the smaller size
    assert sizes == [2, 2]
    assert sizer.call(lambda size: size) == 2
    with pytest.raises(GPUMemoryError, match="batch size 1"):
        BatchSizer(1, "test").map([1], lambda c: (_ for _ in ()).throw(torch.OutOfMemoryError("CUDA out of memory")))
    with pytest.raises(ValueError):           # anything but OOM goes through untouched
        BatchSizer(4, "test").map([1, 2], lambda c: (_ for _ in ()).throw(ValueError("bad")))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-pack")
    return {"voxtral": str(build_tiny_voxtral(root / "voxtral")), "aligner": str(build_tiny_wav2vec2(root / "w2v"))}


def backend(tiny, pack: float, aligner: bool = True) -> VoxtralBackend:
    b = VoxtralBackend(tiny["voxtral"], device="cpu", batch_size=4, max_new_tokens=8, pack_seconds=pack,
                       aligner_ref=tiny["aligner"] if aligner else None)
    b.load()
    return b


def test_packed_voxtral_shares_windows_and_every_piece_keeps_its_words(tiny):
    pieces = make_pieces([3.0, 4.0, 2.5, 5.0, 3.5, 4.0, 6.0, 3.0])
    alone = backend(tiny, 0.0)
    single = alone.transcribe(pieces)
    packed = backend(tiny, 30.0)
    out = packed.transcribe(pieces)
    assert len(out) == len(pieces)
    windows = pack_pieces(pieces, 30.0)
    assert len(windows) == 2
    # 375 audio tokens per 30 s window: one per piece before, one per window (+ pieces retried alone) after
    assert alone.audio_tokens == 375 * len(pieces) and alone.generate_calls == 2
    assert packed.audio_tokens == 375 * packed.windows and packed.windows < len(pieces)
    assert all(t.words == [] for t in single)
    for p, t in zip(pieces, out):
        assert t.text and t.text.split() == [w.word for w in t.words]   # no piece lost its line
        assert all(p.start <= w.start <= w.end <= p.end for w in t.words)
    packed.close()
    alone.close()


def test_a_piece_left_without_words_is_transcribed_alone(tiny, monkeypatch):
    pieces = make_pieces([3.0, 4.0, 2.5])
    b = backend(tiny, 30.0)
    real = b.aligner.align
    calls = []

    def align(audio, text, offset):
        calls.append(audio.size)
        words = real(audio, text, offset)
        # the window's words all land in its first piece (spread over it): the two others are left without words
        n = len(words)
        return [Word(0.1 + 2.8 * k / n, 0.1 + 2.8 * (k + 1) / n, w.word) for k, w in enumerate(words)] \
            if offset == 0.0 and audio.size > pieces[0].audio.size else words
    monkeypatch.setattr(b.aligner, "align", align)
    out = b.transcribe(pieces)
    assert b.generate_calls == 2 and b.windows == 1 + 2                # one window, two pieces alone
    assert all(t.text and t.words for t in out)
    assert out[0].words[0].start == pytest.approx(0.1) and out[0].words[-1].end == pytest.approx(2.9)
    for p, t in zip(pieces[1:], out[1:]):
        assert all(p.start <= w.start <= w.end <= p.end for w in t.words)
    b.close()


def test_thin_is_a_skipped_piece_not_a_short_answer():
    """The measured cases (packing.THIN_SPAN): "Bu" over the last 0.17 s of a 2.05 s piece is thin;
    "Peki." over 0.39 s of 1.31 s (the lowest answer of its own on the bench episode) is not; neither
    is a short piece, nor one without words (the callers retry those anyway)."""
    piece = Piece(45, 199.792, 201.84, np.zeros(1, np.float32))
    assert thin(piece, [Word(201.67, 201.84, "Bu")]) and coverage(piece, []) == 0.0
    peki = Piece(84, 10.0, 11.31, np.zeros(1, np.float32))
    assert not thin(peki, [Word(10.4, 10.79, "Peki.")])
    assert not thin(Piece(1, 0.0, 0.8, np.zeros(1, np.float32)), [Word(0.7, 0.78, "Evet")])
    assert not thin(piece, [])


def test_a_thin_piece_is_transcribed_alone_and_keeps_what_covers_more(tiny, monkeypatch):
    """Pieces 1 and 3 get one word on their end edge from the window: both are asked alone; piece 1
    takes its alone answer, piece 3 keeps the window's (alone it is a known hallucination)."""
    pieces = make_pieces([3.0, 4.0, 2.5, 4.2])  # (the fake below tells the pieces alone by their length)
    b = backend(tiny, 30.0)
    windows = pack_pieces(pieces, 30.0)
    assert len(windows) == 1
    ends = [off / SAMPLE_RATE + p.end - p.start for off, p in zip(windows[0].offsets, pieces)]  # window seconds
    alone_texts = {1: "Kapıyı kim açtı", 3: "Altyazı M.K."}
    run_clips = b._run_clips

    def fake_run_clips(clips, looser, what):
        texts = run_clips(clips, looser, what)
        if what != "pieces alone":
            return texts
        return [alone_texts[next(i for i, p in enumerate(pieces) if p.audio.size == c.size)] for c in clips]

    def align(audio, text, offset):
        if offset == 0.0 and audio.size > pieces[0].audio.size:   # the window: 1 and 3 get one word at their end
            return [Word(0.1, 2.9, "bir"), Word(ends[1] - 0.2, ends[1] - 0.05, "son"),
                    Word(ends[1] + 0.6, ends[1] + 2.4, "üç"), Word(ends[3] - 0.2, ends[3] - 0.05, "son")]
        n = len(text.split())                                        # alone: the text over the whole piece
        return [Word(offset + 0.2 + 3.3 * k / n, offset + 0.2 + 3.3 * (k + 1) / n, t) for k, t in enumerate(text.split())]
    monkeypatch.setattr(b, "_run_clips", fake_run_clips)
    monkeypatch.setattr(b.aligner, "align", align)
    out = b.transcribe(pieces)
    assert b.windows == 1 + 2                                          # pieces 1 and 3 alone
    assert out[1].text == "Kapıyı kim açtı" and out[1].words[0].start == pytest.approx(pieces[1].start + 0.2)
    assert out[3].text == "son"                                        # the alone answer fails the gate
    assert out[0].text == "bir" and out[2].text == "son üç"             # piece 1's window word, handed on
    assert out[2].words[0].start == pytest.approx(pieces[2].start)
    b.close()


def test_hand_over_gives_a_window_word_the_alone_answer_does_not_say_to_the_nearest_other_member():
    """The measured case: Whisper's "Bu" of the next piece's "Bu gün" timed onto the end of the
    skipped piece 45; alone, piece 45 says "Kapı yuki maçı." (no "Bu"): "Bu" goes to piece 46."""
    from altyazi.asr.packing import hand_over, take_alone_answers

    pieces = make_pieces([2.0, 1.6, 2.4])
    window = pack_pieces(pieces, 28.0)[0]
    bu = Word(pieces[0].end - 0.17, pieces[0].end, "Bu")
    got = hand_over(window, pieces, 0, [bu], "Kapı yuki maçı.")
    assert list(got) == [1] and got[1][0].word == "Bu" and got[1][0].start == pytest.approx(pieces[1].start)
    assert hand_over(window, pieces, 0, [bu], "bu kapı") == {}                      # its own word: dropped
    early = Word(pieces[2].start, pieces[2].start + 0.1, "ve")                      # on piece 2's start edge
    assert list(hand_over(window, pieces, 2, [early], "başka")) == [1]
    assert hand_over(pack_pieces(pieces[:1], 28.0)[0], pieces[:1], 0, [bu], "x") == {}  # nobody to give to
    words = [[Word(pieces[0].start + 0.1, pieces[0].start + 1.5, "Kapı")], [Word(pieces[1].start + 0.2, pieces[1].end, "gün")],
             [Word(pieces[2].start + 0.1, pieces[2].end, "bize")]]
    assert take_alone_answers({0: [bu]}, words, [window], pieces) == 1
    assert [w.word for w in words[1]] == ["Bu", "gün"]
    words = [[Word(pieces[0].start + 0.1, pieces[0].start + 1.5, "Kapı")], [Word(pieces[1].start, pieces[1].end, "yeni")], []]
    assert take_alone_answers({0: [bu], 1: []}, words, [window], pieces) == 0       # 1 took its own alone answer
    assert [w.word for w in words[1]] == ["yeni"]


def test_whisper_retries_thin_pieces_alone_and_takes_only_a_better_answer_that_passes_the_gate():
    from altyazi.asr.base import Transcript
    from altyazi.asr.whisper import FasterWhisperBackend

    pieces = make_pieces([2.0, 2.0, 2.0, 2.0])
    b = FasterWhisperBackend("unused", mode="packed")
    b.model = object()
    words = [[Word(p.start + 1.8, p.start + 1.95, "Bu")] for p in pieces[:3]]
    words.append([Word(pieces[3].start + 0.1, pieces[3].start + 1.9, "tamam")])
    alone = {0: [Word(pieces[0].start + 0.1, pieces[0].start + 1.5, "Kapı"), Word(pieces[0].start + 1.5, pieces[0].start + 1.7, "açtı")],
             1: [Word(pieces[1].start + 1.9, pieces[1].start + 1.95, "Bu")],                   # covers less
             2: [Word(pieces[2].start + 0.1, pieces[2].start + 1.9, "Altyazı M.K.")]}          # a known hallucination
    asked = []

    def batched(ps, pack=True, listen=False):
        assert not pack
        asked.extend(p.id for p in ps)
        return [Transcript(" ".join(w.word for w in alone[p.id]), alone[p.id]) for p in ps]
    b._batched = batched
    b._retry_thin(pieces, words, pack_pieces(pieces, 28.0))
    assert asked == [0, 1, 2]                                           # the fourth covers 90 % of its piece
    assert [w.word for w in words[0]] == ["Kapı", "açtı"]
    assert [w.word for w in words[2]] == ["Bu"]
    assert [w.word for w in words[1]] == ["Bu", "Bu"]                   # piece 0's window word, handed on


def test_packing_without_aligner_says_so_and_keeps_one_piece_per_window(tiny, caplog):
    b = backend(tiny, 30.0, aligner=False)
    assert "needs the aligner" in caplog.text
    out = b.transcribe(make_pieces([2.0, 2.0, 2.0]))
    assert b.windows == 3 and all(t.words == [] for t in out)
    b.close()
