"""Speech detection with silero-vad (weights ship in the PyPI package) -> speech pieces.

One pass of the model gives the per-window speech probabilities (32 ms windows); from them come
(1) the padded pieces the ASR hears (``start``/``end``: the padding helps the WER), (2) each
piece's unpadded boundaries (``speech_start``/``speech_end``: where speech really is), and (3) the
fine speech runs of the whole episode (pauses down to ``run_min_silence_ms``), which
:mod:`altyazi.onsets` sharpens on the waveform and the subtitles stage times cues against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE
from .log import EveryTenth, get_logger
from .records import Segment

log = get_logger("vad")


@dataclass(frozen=True)
class VadOptions:
    threshold: float = 0.5
    min_speech_ms: int = 250
    min_silence_ms: int = 300
    speech_pad_ms: int = 400  # = config.yaml vad.speech_pad_ms: the padding helps the ASR (WER)
    max_segment_s: float = 15.0
    run_min_silence_ms: int = 100  # speech runs (onset table): a pause this long separates two runs
    run_min_speech_ms: int = 90    # shorter bursts (clicks) are not a run


def silero_version() -> str:
    from importlib.metadata import version

    return f"silero-vad {version('silero-vad')}"


def speech_probabilities(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[float]:
    """Silero's speech probability of every 512-sample window, computed once so that pieces and
    runs share it.

    Silero's "sequence" ONNX build (shipped in the package) runs the same network over blocks of
    512 windows per call instead of one call per window; its probabilities equal the streaming
    model's (silero's claim; bit-exact over 719 s of the timing bench, 1.0 s against 2.9 s; pieces
    checked against ``get_speech_timestamps`` in the tests). The loop is
    ``SileroVADSequence.audio_forward``'s, run through :mod:`altyazi.silero` so that torch is
    never imported (see there).
    """
    from .silero import MAX_FRAMES, RATE_CONFIG, frame_blocks, load_session

    if sample_rate not in RATE_CONFIG:
        raise ValueError(f"silero-vad needs 8 or 16 kHz audio, not {sample_rate} Hz")
    session = load_session()
    frame_samples, context_samples = RATE_CONFIG[sample_rate]
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    hidden = np.zeros((1, 1, 128), dtype=np.float32)
    cell = np.zeros((1, 1, 128), dtype=np.float32)
    probs: list[float] = []
    tenths, total = EveryTenth(), audio.size
    for block in frame_blocks(audio, frame_samples, context_samples, MAX_FRAMES):
        values, hidden, cell = session.run(["speech_probs", "hn", "cn"], {"input": block, "h": hidden, "c": cell})
        probs.extend(np.asarray(values, dtype=np.float64).reshape(-1).tolist())
        tenth = tenths.tick(min(len(probs) * frame_samples, total), total)
        if tenth is not None:  # a log line at each 10 % of the audio
            log.info("vad: %d%% of %.0f s", tenth, total / sample_rate)
    return probs


def _stamps(probs: list[float], n_samples: int, sample_rate: int, **kw) -> list[tuple[int, int]]:
    from .silero import speech_timestamps

    out = speech_timestamps(probs, sampling_rate=sample_rate, audio_length_samples=n_samples, **kw)
    return [(int(s["start"]), int(s["end"])) for s in out]


def pieces_from_probs(probs: list[float], n_samples: int, opts: VadOptions, sample_rate: int = SAMPLE_RATE) -> list[Segment]:
    """The padded pieces with their unpadded boundaries.

    Silero subtracts ``2 * speech_pad`` from the longest piece before padding; giving the unpadded
    call that much less ``max_speech_duration_s`` makes it take exactly the same decisions, so the
    two lists pair one to one (checked).
    """
    common = dict(threshold=opts.threshold, min_speech_duration_ms=opts.min_speech_ms,
                  min_silence_duration_ms=opts.min_silence_ms)
    padded = _stamps(probs, n_samples, sample_rate, speech_pad_ms=opts.speech_pad_ms,
                     max_speech_duration_s=opts.max_segment_s, **common)
    bare = _stamps(probs, n_samples, sample_rate, speech_pad_ms=0,
                   max_speech_duration_s=opts.max_segment_s - 2 * opts.speech_pad_ms / 1000, **common)
    if len(bare) != len(padded) or any(not (ps <= bs and be <= pe) for (ps, pe), (bs, be) in zip(padded, bare)):
        raise RuntimeError(f"silero-vad {silero_version()}: unpadded pieces ({len(bare)}) do not pair with the "
                           f"padded ones ({len(padded)}); its padding logic changed: pin silero-vad in requirements.txt")
    duration = n_samples / sample_rate
    pieces = []
    for (ps, pe), (bs, be) in zip(padded, bare):
        start, end = max(0.0, ps / sample_rate), min(duration, pe / sample_rate)
        if end > start:
            pieces.append(Segment(len(pieces), round(start, 3), round(end, 3),
                                  speech_start=round(bs / sample_rate, 3), speech_end=round(min(duration, be / sample_rate), 3)))
    return pieces


def runs_from_probs(probs: list[float], n_samples: int, opts: VadOptions, sample_rate: int = SAMPLE_RATE) -> list[tuple[float, float]]:
    """Unpadded speech runs (s) separated by pauses of at least ``run_min_silence_ms``: the onset
    table the cue times are measured against (a word after a short pause has its own onset)."""
    stamps = _stamps(probs, n_samples, sample_rate, threshold=opts.threshold, speech_pad_ms=0,
                     min_speech_duration_ms=opts.run_min_speech_ms, min_silence_duration_ms=opts.run_min_silence_ms)
    return [(round(s / sample_rate, 3), round(e / sample_rate, 3)) for s, e in stamps if e > s]


def detect(audio: np.ndarray, opts: VadOptions, sample_rate: int = SAMPLE_RATE) -> tuple[list[Segment], list[tuple[float, float]]]:
    """(speech pieces, fine speech runs) from one pass of silero over ``audio``."""
    if audio.size == 0:
        return [], []
    probs = speech_probabilities(audio, sample_rate)
    return pieces_from_probs(probs, audio.size, opts, sample_rate), runs_from_probs(probs, audio.size, opts, sample_rate)


def detect_speech(audio: np.ndarray, opts: VadOptions, sample_rate: int = SAMPLE_RATE) -> list[Segment]:
    """Speech pieces (records with ``id``, ``start``, ``end`` padded and ``speech_start``/``speech_end``
    unpadded, in seconds), each at most ``max_segment_s`` long.

    Silero itself cuts a long piece at its longest internal pause (>98 ms) before the limit, and
    only hard-cuts when there is none; music and silence give no piece.
    """
    return detect(audio, opts, sample_rate)[0]
