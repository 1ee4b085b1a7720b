"""Speech boundaries sharpened on the waveform: silero's runs (32 ms windows, and a model that needs
a little context before it is sure) -> onsets and offsets at 10 ms.

For each run, a short-time energy detector looks in a window around silero's boundary for the
first (last) 10 ms frame that rises ``rise_db`` above the local noise floor, the floor being taken
from the quiet just before the onset (just after the offset). When the window holds no clear rise
(speech straight out of music, a fade), silero's boundary is kept and the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE

HOP = 0.010      # s, energy frame hop
FRAME = 0.020    # s, energy frame length


@dataclass(frozen=True)
class OnsetOptions:
    search_before_s: float = 0.12   # how far before silero's boundary the rise may be
    search_after_s: float = 0.10    # and after it
    offset_back_s: float = 0.20     # silero's offsets trail the speech more (hangover): look back further
    floor_s: float = 0.30           # quiet stretch the noise floor is measured on
    rise_db: float = 9.0            # a frame this far above the floor is speech (9 and 2: measured best, see bench)
    hold_frames: int = 2            # ... for this many frames in a row


def frame_db(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Energy (dBFS) of 20 ms frames every 10 ms; frame k covers [k*HOP, k*HOP + FRAME)."""
    hop, size = int(HOP * sample_rate), int(FRAME * sample_rate)
    n = max(0, 1 + (audio.size - size) // hop)
    if n == 0:
        return np.zeros(0)
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    power = np.mean(np.square(audio[idx].astype(np.float64)), axis=1)
    return 10 * np.log10(power + 1e-10)


def _first_hold(mask: np.ndarray, hold: int) -> int | None:
    run = 0
    for i, m in enumerate(mask):
        run = run + 1 if m else 0
        if run >= hold:
            return i - hold + 1
    return None


def refine_onset(db: np.ndarray, t: float, lower: float, opts: OnsetOptions) -> float | None:
    """The energy onset near ``t`` (s), not before ``lower`` (end of the previous run), or None."""
    lo = max(lower, t - opts.search_before_s)
    a, b = int(round(lo / HOP)), int(round((t + opts.search_after_s) / HOP))
    fa = max(int(round(max(lower, lo - opts.floor_s) / HOP)), 0)
    if b <= a or a - fa < 3 or b > db.size:
        return None
    floor = float(np.percentile(db[fa:a], 50))
    k = _first_hold(db[a:b] > floor + opts.rise_db, opts.hold_frames)
    return None if k is None else (a + k) * HOP + (FRAME - HOP) / 2


def refine_offset(db: np.ndarray, t: float, upper: float, opts: OnsetOptions) -> float | None:
    """The energy offset near ``t`` (s), not after ``upper`` (start of the next run), or None."""
    hi = min(upper, t + opts.search_before_s)
    a, b = int(round((t - opts.offset_back_s) / HOP)), int(round(hi / HOP))
    fb = min(int(round(min(upper, hi + opts.floor_s) / HOP)), db.size)
    if b <= a or fb - b < 3 or a < 0:
        return None
    floor = float(np.percentile(db[b:fb], 50))
    k = _first_hold((db[a:b] > floor + opts.rise_db)[::-1], opts.hold_frames)
    return None if k is None else (b - k) * HOP + (FRAME - HOP) / 2


def sharpen_runs(audio: np.ndarray, runs: list[tuple[float, float]], opts: OnsetOptions | None = None,
                 sample_rate: int = SAMPLE_RATE) -> list[dict]:
    """Each run as ``{"start", "end", "vad_start", "vad_end", "refined": "start"|"end"|"both"|None}``."""
    opts = opts or OnsetOptions()
    db = frame_db(audio, sample_rate)
    out = []
    for i, (s, e) in enumerate(runs):
        prev_end = runs[i - 1][1] if i else 0.0
        next_start = runs[i + 1][0] if i + 1 < len(runs) else audio.size / sample_rate
        on = refine_onset(db, s, prev_end, opts)
        off = refine_offset(db, e, next_start, opts)
        start = s if on is None else on
        end = e if off is None else off
        if end <= start:
            start, end, on, off = s, e, None, None
        refined = {(True, True): "both", (True, False): "start", (False, True): "end"}.get((on is not None, off is not None))
        out.append({"start": round(start, 3), "end": round(end, 3), "vad_start": s, "vad_end": e, "refined": refined})
    return out
