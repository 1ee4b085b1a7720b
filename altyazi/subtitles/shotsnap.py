"""Cue times against the shot changes of the video (shots.json), after the audio timing.

Broadcast practice (Netflix timed-text timing guidelines, section "timing to the shot change";
"12 frames" there is half a second at 24 fps, here ``shot_snap_frames``): a subtitle should not
flash on just before or just after a cut, nor hang over one.

- In-time, with ``S`` = ``shot_snap_frames``: a cut up to S before the speech onset -> the cue starts
  on the cut; a cut up to 7/12 S after the onset ("red zone") -> on the cut; a cut between that and S
  after the onset -> S before the cut (so the cue is on screen half a second before the cut).
- Out-time: a cut within S of the cue's end -> the end goes 2 frames (``min_gap_frames``) before the
  cut, when the speech is over by then and the cue can still be read; otherwise (speech over the cut,
  or not enough reading time) the end goes S after the cut, when that does not run into the next cue
  nor past ``max_duration_s``.
- A cut inside the cue after its speech (the reading-time extension) -> the end goes before it when
  the cue can still be read there.

Each cue moved carries ``shot_change``; a cue still crossing a cut within S of its start or end
carries ``crosses_shot`` (the QC counts both).
"""

from __future__ import annotations

import bisect

from ..records import Cue
from .rules import SubtitleRules
from .timing import EPS, reading_time


def _cuts_in(cuts: list[float], a: float, b: float) -> list[float]:
    return cuts[bisect.bisect_left(cuts, a - EPS):bisect.bisect_right(cuts, b + EPS)]


def _snap_start(cue: Cue, prev: Cue | None, nxt: Cue | None, cuts: list[float], rules: SubtitleRules) -> None:
    snap, frame = rules.shot_snap_frames * rules.frame, rules.frame
    onset = rules.to_frame(cue.speech_start)
    before = _cuts_in(cuts, onset - snap, onset)
    after = _cuts_in(cuts, onset + frame, onset + snap - frame)
    if before:
        new = rules.to_frame(before[-1])
    elif after:
        c = rules.to_frame(after[0])
        new = c if c - onset <= snap * 7 / 12 + EPS else rules.to_frame(c - snap)
    else:
        return
    if abs(new - cue.start) < EPS:
        return
    end = cue.end
    if new > cue.start:  # starting later: the time to read it moves along, into free time after it
        need = min(cue.end - cue.start, reading_time(cue.text, rules))
        room = min(nxt.start - rules.min_gap_s if nxt is not None else float("inf"), new + rules.max_duration_s)
        end = max(cue.end, min(rules.frame_up(new + need), room))
        if end - new < need - EPS:
            return  # no free time after it: it would be too short to read
    lowest = 0.0 if prev is None else rules.frame_up(prev.speech_end) + rules.min_gap_s
    if new < lowest - EPS:
        return  # the previous cue's speech is still running: the start stays on the audio
    if prev is not None and prev.end > new - rules.min_gap_s + EPS:
        if new - rules.min_gap_s - prev.start < min(prev.end - prev.start, reading_time(prev.text, rules)) - EPS:
            return  # the previous cue could no longer be read
        prev.end = round(new - rules.min_gap_s, 3)
        prev.add_flags("shot_change")
    cue.start, cue.end = round(new, 3), round(end, 3)
    cue.add_flags("shot_change")


def _end_target(cue: Cue, c: float, nxt: Cue | None, rules: SubtitleRules) -> float | None:
    """Where the out-time goes for the cut ``c`` near it, or None when it has to stay."""
    snap, gap = rules.shot_snap_frames * rules.frame, rules.min_gap_s
    latest = (nxt.start - gap) if nxt is not None else float("inf")
    latest = min(latest, cue.start + rules.max_duration_s)
    before = rules.to_frame(c) - gap
    speech_end = rules.frame_up(cue.speech_end)
    if speech_end <= before + EPS and before - cue.start >= reading_time(cue.text, rules) - EPS and before <= latest + EPS:
        return before
    # The speech runs over the cut, or the cue cannot be read by then: it crosses, so it holds at
    # least S past the cut (no flash of the old subtitle on the new shot), never into the next cue.
    after = rules.to_frame(c) + snap
    if cue.end < after - EPS and after <= latest + EPS:
        return after
    return None


def _snap_end(cue: Cue, nxt: Cue | None, cuts: list[float], rules: SubtitleRules) -> None:
    snap = rules.shot_snap_frames * rules.frame
    near = _cuts_in(cuts, cue.end - snap, cue.end + snap)
    inside = _cuts_in(cuts, rules.frame_up(cue.speech_end), cue.end)
    for c in sorted(set(near) | set(inside), key=lambda c: abs(c - cue.end)):
        if c <= cue.start + EPS:
            continue
        target = _end_target(cue, c, nxt, rules)
        if target is not None and abs(target - cue.end) > EPS:
            cue.end = round(target, 3)
            cue.add_flags("shot_change")
        return


def near_crossings(cue: Cue, cuts: list[float], rules: SubtitleRules) -> list[float]:
    """Cuts strictly inside the cue and within ``shot_snap_frames`` of its start or end."""
    snap = rules.shot_snap_frames * rules.frame
    inside = _cuts_in(cuts, cue.start + rules.frame / 2, cue.end - rules.frame / 2)
    return [c for c in inside if c - cue.start < snap - EPS or cue.end - c < snap - EPS]


def snap_to_shots(cues: list[Cue], cuts: list[float], rules: SubtitleRules) -> list[Cue]:
    """Apply the shot-change rules (module doc) to timed cues, in place; returns the same list."""
    cuts = sorted(cuts)
    if not cuts:
        return cues
    for i, cue in enumerate(cues):
        _snap_start(cue, cues[i - 1] if i else None, cues[i + 1] if i + 1 < len(cues) else None, cuts, rules)
    for i, cue in enumerate(cues):
        _snap_end(cue, cues[i + 1] if i + 1 < len(cues) else None, cuts, rules)
    _close_gaps(cues, rules)
    for cue in cues:
        if near_crossings(cue, cuts, rules):
            cue.add_flags("crosses_shot")
    return cues


def _close_gaps(cues: list[Cue], rules: SubtitleRules) -> None:
    """A gap the moves opened within ``close_gap_frames`` is chained again (as timing.py does)."""
    for a, b in zip(cues, cues[1:]):
        gap = b.start - a.end
        if rules.min_gap_s + EPS < gap <= rules.close_gap_s + EPS and b.start - rules.min_gap_s - a.start <= rules.max_duration_s + EPS:
            if "shot_change" in a.flags or "shot_change" in b.flags:
                a.end = round(b.start - rules.min_gap_s, 3)
