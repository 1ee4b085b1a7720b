"""The real faster-whisper backend (offline Whisper base) on real clips and a small mixed episode:
batched and sequential modes give one transcript per VAD piece with word times inside it, and the
pipeline loses no line where bare faster-whisper is known to (slow: loads a real model)."""

from __future__ import annotations

import numpy as np
import pytest

from altyazi.asr import transcribe_segments
from altyazi.asr.base import SAMPLE_RATE, Piece
from altyazi.asr.whisper import FasterWhisperBackend
from altyazi.audio import load_wav
from tools.measure_asr import offline_settings, score_lines, vad_pieces
from tools.samples import build_episode

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def whisper(offline_models):
    return str(offline_models["faster-whisper"])


@pytest.fixture(scope="module")
def clip_pieces(shared_clips):
    out = []
    for name in ("1-0100-2", "2-0050-2"):
        audio = load_wav(shared_clips / f"{name}.wav")
        offset = 100.0 * len(out)  # pretend the clips sit far apart in one episode
        out += [Piece(len(out), offset + s.start, offset + s.end,
                      audio[int(s.start * SAMPLE_RATE):int(s.end * SAMPLE_RATE)]) for s in vad_pieces(audio)]
    return out


def test_batched_and_sequential_give_one_transcript_per_piece(whisper, clip_pieces):
    results = {}
    for mode in ("packed", "batched", "sequential"):
        backend = FasterWhisperBackend(whisper, device="cpu", compute_type="int8", batch_size=4, mode=mode)
        backend.load()
        results[mode] = backend.transcribe(clip_pieces)
        backend.close()
    for mode, res in results.items():
        assert len(res) == len(clip_pieces), mode
        for piece, tr in zip(clip_pieces, res):
            assert tr.text, (mode, piece.id)
            assert tr.words and all(piece.start <= w.start <= w.end <= piece.end for w in tr.words), (mode, piece.id)
            assert all(isinstance(w.start, float) for w in tr.words)
    # Same model, same greedy/beam settings, same piece: the two modes agree on most words.
    same = sum(a.text == b.text for a, b in zip(results["batched"], results["sequential"]))
    assert same >= len(clip_pieces) // 2


def test_looser_retry_batches_pieces_alone_and_leaves_only_the_rest_to_the_ladder(whisper, clip_pieces, caplog, monkeypatch):
    """Speech pieces are answered alone in a batch; a silent piece goes on to the sequential
    temperature ladder, as every retried piece did before."""
    import logging

    caplog.set_level(logging.INFO, logger="altyazi")
    silent = Piece(99, 500.0, 502.0, np.zeros(2 * SAMPLE_RATE, np.float32))
    pieces = clip_pieces[:3] + [silent]
    backend = FasterWhisperBackend(whisper, device="cpu", compute_type="int8", batch_size=4, mode="packed")
    backend.load()
    ladder = []
    one = backend._one
    monkeypatch.setattr(backend, "_one", lambda p, looser: ladder.append(p.id) or one(p, looser))
    res = backend.transcribe(pieces, looser=True)
    backend.close()
    assert len(res) == 4 and all(r.text for r in res[:3])
    assert all(p.start <= w.start <= w.end <= p.end for p, r in zip(pieces, res) for w in r.words)
    assert ladder == [99]  # (the ladder answers "Altyazı" to this silence, which the gate rejects as a known hallucination)
    assert any("3 answered alone in a batch, 1 by the sequential temperature ladder" in r.getMessage() for r in caplog.records)


def test_mixed_episode_loses_no_line(whisper, shared_clips, tmp_path):
    layout = [("silence", 1.0), ("clip", "1-0013"), ("silence", 0.6), ("tts", "Hemen buraya gel"),
              ("music", 5.0), ("tts", "Evet"), ("silence", 0.6), ("clip", "2-0050-2"), ("noise", 2.0),
              ("clip", "3-0500-2"), ("silence", 1.0)]
    parts = build_episode(layout, shared_clips, tmp_path / "mixed.wav")
    audio = load_wav(tmp_path / "mixed.wav")
    vad = vad_pieces(audio)
    segs, summary = transcribe_segments(audio, vad, offline_settings(whisper))
    assert [s.id for s in segs] == [v.id for v in vad]
    score = score_lines(parts, [(w.start, w.end) for s in segs for w in s.words])
    assert score["lines_lost"] == 0, score
    for s in segs:
        assert s.backend == "faster-whisper"
        assert bool(s.text) == bool(s.words)                     # every text has word times
        assert s.text or "empty" in s.flags                      # nothing silently blank
    assert summary["audio_seconds"] == pytest.approx(audio.size / SAMPLE_RATE, abs=0.01)
    assert np.isfinite(summary["rtf"])


def test_spoken_language_comes_with_the_decoding(whisper, clip_pieces, caplog, monkeypatch):
    """Packed mode reads Whisper's language scores off the windows it decodes: Turkish clips pass
    the check, English speech (espeak-ng) is warned about, and no separate 30 s pass is made."""
    import logging

    from tools.samples import espeak

    caplog.set_level(logging.INFO, logger="altyazi")
    backend = FasterWhisperBackend(whisper, device="cpu", compute_type="int8", batch_size=4, mode="packed")
    backend.load()
    monkeypatch.setattr(backend.model, "detect_language", lambda *a, **k: pytest.fail("a separate language pass"))
    assert backend.transcribe(clip_pieces)[0].text
    lang, prob = backend.spoken
    assert lang == "tr" and prob > 0.5
    assert not [r for r in caplog.records if "sounds like" in r.getMessage()]

    english = ["The weather is very nice today, and we are going to the beach.",
               "I do not know where my brother has gone, but he will come back tonight."]
    pieces, t = [], 0.0
    for i, text in enumerate(english):
        audio = espeak(text, voice="en")
        pieces.append(Piece(i, t, t + audio.size / SAMPLE_RATE, audio))
        t += audio.size / SAMPLE_RATE + 2.0
    backend.spoken = None
    backend.transcribe(pieces)
    backend.close()
    assert backend.spoken[0] == "en"
    [warning] = [r.getMessage() for r in caplog.records if "sounds like" in r.getMessage()]
    assert "'en'" in warning and "not 'tr'" in warning


def test_a_window_that_skips_speech_without_timestamp_tokens_is_decoded_again_with_them(whisper, clip_pieces,
                                                                                        monkeypatch, caplog):
    """The first pass decodes packed windows without timestamp tokens; when a window comes back
    with a piece of speech unheard (Whisper ended the window early: simulated here by dropping the
    first window's answer in that pass), that window is decoded again with them and its pieces read
    as in `always` mode; the other windows keep their first answer."""
    import logging

    from faster_whisper import BatchedInferencePipeline

    from altyazi.asr.packing import pack_pieces

    def run(timestamp_tokens):
        backend = FasterWhisperBackend(whisper, device="cpu", compute_type="int8", batch_size=4, mode="packed",
                                       pack_seconds=10.0, timestamp_tokens=timestamp_tokens)
        backend.load()
        try:
            return backend.transcribe(clip_pieces)
        finally:
            backend.close()

    always = run("always")
    calls = []
    transcribe = BatchedInferencePipeline.transcribe

    def early_end(self, audio, clip_timestamps, without_timestamps, **kw):
        calls.append((len(clip_timestamps), without_timestamps))
        segments, info = transcribe(self, audio, clip_timestamps=clip_timestamps,
                                    without_timestamps=without_timestamps, **kw)
        first = int(clip_timestamps[0]["start"] * 100)
        return [s for s in segments if not (without_timestamps and s.seek == first)], info

    monkeypatch.setattr(BatchedInferencePipeline, "transcribe", early_end)
    caplog.set_level(logging.INFO, logger="altyazi")
    fast = run("on_failure")
    windows = pack_pieces(clip_pieces, 10.0)
    assert len(windows) > 1
    assert calls[0] == (len(windows), True) and calls[1] == (1, False)   # one pass, then the one window again
    first = set(windows[0].members)
    for i, (a, b) in enumerate(zip(always, fast)):
        assert b.text, i
        if i in first:
            assert b.text == a.text and [w.start for w in b.words] == [w.start for w in a.words]
    assert any("1 of %d window(s) left a piece without words" % len(windows) in r.getMessage() for r in caplog.records)
