"""silero-vad pieces: none on silence, real speech found, no piece longer than max_segment_s."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from altyazi.audio import load_wav
from altyazi.vad import VadOptions, detect_speech, silero_version


def test_silence_and_empty_audio_give_no_piece():
    assert detect_speech(np.zeros(16000 * 5, np.float32), VadOptions()) == []
    assert detect_speech(np.zeros(0, np.float32), VadOptions()) == []


def test_real_speech_between_silences(shared_clips, caplog):
    caplog.set_level(logging.INFO, logger="altyazi")
    clip = load_wav(shared_clips / "1-0100-2.wav")                 # 11.4 s of Turkish
    pad = np.zeros(16000 * 3, np.float32)
    audio = np.concatenate([pad, clip, pad])
    pieces = detect_speech(audio, VadOptions())
    assert pieces and [p.id for p in pieces] == list(range(len(pieces)))
    assert pieces[0].start >= 2.5 and pieces[-1].end <= 3 + clip.size / 16000 + 0.5
    assert all(p.end > p.start for p in pieces)
    assert all(a.end <= b.start for a, b in zip(pieces, pieces[1:]))
    assert sum(p.end - p.start for p in pieces) > 0.6 * clip.size / 16000
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("vad: ")]
    # one line per tenth reached (silero's sequence model runs 16 s blocks: 17 s of audio give 90 %, 100 %)
    tenths = [int(m.split("%")[0].split()[-1]) for m in progress]
    assert progress[-1].startswith("vad: 100% of 17 s") and tenths == sorted(set(tenths))


@pytest.mark.parametrize("max_s", [2.0, 3.0])
def test_no_piece_longer_than_max(shared_clips, max_s):
    audio = load_wav(shared_clips / "1-0500-3.wav")                # 30.5 s, natural pieces up to ~6 s
    pieces = detect_speech(audio, VadOptions(max_segment_s=max_s))
    assert len(pieces) >= 10
    assert max(p.end - p.start for p in pieces) <= max_s + 1e-3


def test_version_string():
    assert silero_version().startswith("silero-vad ")
