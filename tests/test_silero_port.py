"""altyazi/silero.py against silero-vad's own code: the same frames, the same probabilities, the
same timestamps, and no torch import on the workflow's path."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from altyazi import silero
from altyazi.audio import load_wav
from tests.conftest import DEMO_CLIPS, ROOT

sequence_vad = pytest.importorskip("silero_vad.sequence_vad")
from silero_vad.utils_vad import get_speech_timestamps_from_probs  # noqa: E402

OPTION_GRID = [
    {},
    dict(threshold=0.5, min_speech_duration_ms=250, min_silence_duration_ms=300, speech_pad_ms=400),
    dict(threshold=0.5, min_speech_duration_ms=250, min_silence_duration_ms=300, speech_pad_ms=0,
         max_speech_duration_s=15.0 - 0.8),
    dict(threshold=0.5, min_speech_duration_ms=90, min_silence_duration_ms=100, speech_pad_ms=0),
    dict(threshold=0.6, min_speech_duration_ms=50, min_silence_duration_ms=30, speech_pad_ms=30,
         max_speech_duration_s=1.5),     # cuts at the longest pause
    dict(threshold=0.3, neg_threshold=0.25, min_silence_duration_ms=2000, speech_pad_ms=200,
         max_speech_duration_s=0.9, min_silence_at_max_speech=500),  # cuts with and without a pause
    dict(min_silence_duration_ms=2000, speech_pad_ms=100, max_speech_duration_s=6.0),  # several pauses to choose from
]


def random_probs(rng: np.random.Generator, n: int) -> list[float]:
    """Speech-like probabilities: runs of high and low values of random lengths, with noise."""
    out: list[float] = []
    high = bool(rng.integers(2))
    while len(out) < n:
        run = int(rng.integers(1, 120))
        centre = 0.85 if high else 0.1
        out.extend(np.clip(centre + rng.normal(0, 0.2, run), 0, 1).tolist())
        high = not high
    return out[:n]


def demo_audio() -> np.ndarray:
    clips = sorted(DEMO_CLIPS.glob("*.wav"))
    assert clips, f"no demo clips in {DEMO_CLIPS}"
    silence = np.zeros(16000, np.float32)
    return np.concatenate([x for c in clips for x in (load_wav(c), silence)])


@pytest.mark.parametrize("size", [0, 100, 512, 513, 512 * 512, 512 * 512 + 700, 16000 * 37 + 3])
def test_frame_blocks_are_silero_s(size):
    audio = np.random.default_rng(size).normal(0, 0.1, size).astype(np.float32)
    ours = list(silero.frame_blocks(audio, 512, 64, silero.MAX_FRAMES))
    theirs = list(sequence_vad.frame_blocks(audio, 512, 64, sequence_vad.DEFAULT_MAX_FRAMES))
    assert len(ours) == len(theirs)
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs))


def test_same_model_file_and_constants_as_silero():
    assert silero.RATE_CONFIG == sequence_vad.RATE_CONFIG
    assert silero.MAX_FRAMES == sequence_vad.DEFAULT_MAX_FRAMES
    from silero_vad import load_silero_vad

    model = load_silero_vad(sequence=True)
    assert silero.model_path().samefile(model.session._model_path)


def test_probabilities_equal_silero_s_on_real_speech():
    from silero_vad import load_silero_vad

    from altyazi.vad import speech_probabilities

    audio = demo_audio()
    theirs = load_silero_vad(sequence=True).audio_forward(audio, 16000)
    ours = speech_probabilities(audio)
    assert len(ours) == len(theirs) > 100
    assert np.array_equal(np.asarray(ours, np.float32), theirs)


@pytest.mark.parametrize("options", OPTION_GRID)
def test_timestamps_equal_silero_s(options):
    rng = np.random.default_rng(len(options))
    cases = [random_probs(rng, n) for n in (0, 1, 7, 300, 2000, 9000)]
    from silero_vad import load_silero_vad

    cases.append(load_silero_vad(sequence=True).audio_forward(demo_audio(), 16000).tolist())
    cut = 0
    for probs in cases:
        length = len(probs) * 512 - int(rng.integers(0, 512)) if probs else 0
        ours = silero.speech_timestamps(probs, audio_length_samples=length, **options)
        theirs = get_speech_timestamps_from_probs(probs, audio_length_samples=length, **options)
        assert ours == theirs
        limit = options.get("max_speech_duration_s")
        cut += bool(limit) and any(s["end"] - s["start"] >= (limit - 0.2) * 16000 for s in ours)
    if options.get("max_speech_duration_s", 99) < 2:
        assert cut, "the grid is meant to reach the length limit"


def test_the_vad_stage_path_imports_no_torch():
    code = ("import sys, numpy as np\n"
            "from altyazi.vad import VadOptions, detect, silero_version\n"
            "audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 3).astype(np.float32)\n"
            "detect(audio, VadOptions()); silero_version()\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
