"""QC of cue times against the audio (speech.json's runs) and the shot changes (shots.json).

Each cue's in-time is compared with the speech onset in the audio: when the cue starts in silence,
the next run's onset (negative error: early); when it starts inside a run, that run's onset
(positive: late). The out-time likewise with the offsets: in silence, the previous run's offset
(positive: held after speech); inside a run, that run's offset (negative: cut before speech ends).
A boundary farther than :data:`WINDOW_S` is not this cue's (a cue split inside continuous speech,
or one over no speech) and is counted as unmeasured. Nothing here reads the ASR word times.
"""

from __future__ import annotations

import statistics
from typing import Any

from ..records import Cue
from .onsets import SpeechRuns
from .rules import SubtitleRules
from .shotsnap import _cuts_in, near_crossings

WINDOW_S = 1.0  # a speech boundary farther than this from the cue's time is not the cue's


def onset_error(t: float, speech: SpeechRuns) -> tuple[str, float | None]:
    """("early"/"late"-signed error in s, or the reason it is unmeasured) for an in-time ``t``."""
    i = speech.at(t)
    if i is None:
        j = speech.next_after(t)
        if j is not None and speech.starts[j] - t <= WINDOW_S:
            return "measured", t - speech.starts[j]
        return "no_speech_near", None
    if t - speech.runs[i][0] <= WINDOW_S:
        return "measured", t - speech.runs[i][0]
    return "inside_speech", None


def offset_error(t: float, speech: SpeechRuns) -> tuple[str, float | None]:
    """Signed error (s) of an out-time ``t`` against the audio's speech offset (mirror of :func:`onset_error`)."""
    i = speech.at(t - 1e-9)
    if i is None:
        j = speech.last_before(t)
        if j is not None and t - speech.runs[j][1] <= WINDOW_S:
            return "measured", t - speech.runs[j][1]
        return "no_speech_near", None
    if speech.runs[i][1] - t <= WINDOW_S:
        return "measured", t - speech.runs[i][1]
    return "inside_speech", None


def distribution(frames: list[float]) -> dict[str, Any]:
    """p50, p90 of |error|, min, max (frames) of a list of errors in frames."""
    if not frames:
        return {"n": 0, "p50": None, "p90_abs": None, "min": None, "max": None}
    absv = sorted(abs(x) for x in frames)
    p90 = absv[min(len(absv) - 1, int(round(0.9 * (len(absv) - 1))))]
    return {"n": len(frames), "p50": round(statistics.median(frames), 2), "p90_abs": round(p90, 2),
            "min": round(min(frames), 2), "max": round(max(frames), 2)}


def _errors(cues: list[Cue], speech: SpeechRuns, fps: float, which: str) -> tuple[list[float | None], dict[str, int]]:
    fn = onset_error if which == "start" else offset_error
    errs, unmeasured = [], {"inside_speech": 0, "no_speech_near": 0}
    for c in cues:
        kind, err = fn(c.start if which == "start" else c.end, speech)
        errs.append(None if err is None else round(err * fps, 2))
        if err is None:
            unmeasured[kind] += 1
    return errs, unmeasured


def shot_qc(cues: list[Cue], cuts: list[float] | None, rules: SubtitleRules) -> dict[str, Any]:
    """Cuts, cues crossing one (anywhere / within shot_snap_frames of an end), cues moved to one."""
    cuts = sorted(cuts or [])
    crossing = [c for c in cues if _cuts_in(cuts, c.start + rules.frame / 2, c.end - rules.frame / 2)]
    near = [c for c in cues if near_crossings(c, cuts, rules)]
    return {"cuts": len(cuts), "cues_crossing": len(crossing), "cues_crossing_near": len(near),
            "cues_crossing_near_unflagged": sum("crosses_shot" not in c.flags for c in near),
            "cues_moved_to_shot_change": sum("shot_change" in c.flags for c in cues)}


def timing_qc(cues: list[Cue], speech: SpeechRuns | None, cuts: list[float] | None, rules: SubtitleRules) -> dict[str, Any]:
    """qc.json's ``timing`` block for the French cues ``cues`` (see the module doc)."""
    out: dict[str, Any] = {"reference": speech.source if speech else "none", "shots": shot_qc(cues, cuts, rules)}
    if not speech:
        out["note"] = "no audio speech boundaries (speech.json): in/out-times not measured against the audio"
        return out
    limit = rules.max_start_offset_frames
    on, on_un = _errors(cues, speech, rules.fps, "start")
    off, off_un = _errors(cues, speech, rules.fps, "end")
    snapped = ["shot_change" in c.flags for c in cues]
    early = [i for i, e in enumerate(on) if e is not None and e < -limit - 1e-6]
    late = [i for i, e in enumerate(on) if e is not None and e > limit + 1e-6]
    chained = [i + 1 < len(cues) and cues[i + 1].start - c.end <= rules.min_gap_s + 1e-6 for i, c in enumerate(cues)]
    linger = rules.max_end_after_speech_s * rules.fps
    late_end = [i for i, e in enumerate(off) if e is not None and e > linger + 1e-6 and not chained[i]]
    cut_short = [i for i, e in enumerate(off) if e is not None and e < -limit - 1e-6]
    out.update({
        "limit_frames": limit,
        "onset_error_frames": {**distribution([e for e in on if e is not None]), "unmeasured": on_un},
        "offset_error_frames": {**distribution([e for e in off if e is not None]), "unmeasured": off_un},
        "early_starts": {"count": len(early), "at_shot_change": sum(snapped[i] for i in early)},
        "late_starts": {"count": len(late), "at_shot_change": sum(snapped[i] for i in late),
                        "flagged_late_start": sum("late_start" in cues[i].flags for i in late)},
        "late_ends": {"count": len(late_end), "flagged_extended": sum("extended" in cues[i].flags for i in late_end),
                      "at_shot_change": sum(snapped[i] for i in late_end)},
        "ends_before_speech_end": {"count": len(cut_short), "at_shot_change": sum(snapped[i] for i in cut_short)},
        "onset_errors": on,
        "offset_errors": off,
    })
    return out
