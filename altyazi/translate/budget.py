"""Each line's character budget: what a viewer can read in the time its cue can stay on screen.

The subtitles stage (CPU, no model) times a cue from the frame of its speech onset and keeps it on
screen until the next cue's onset minus the minimum gap, at most ``max_duration_s`` unless its
speech alone is longer (then it is split into several cues): :mod:`altyazi.subtitles.timing`. The
budget is ``max_cps`` times that time, computed here from the same :class:`SubtitleRules`, before
translating: the prompt carries it, and a line over it is condensed before fr.json is written
(:mod:`.condense`), because the subtitles stage has no model to shorten a line with.

It is an estimate: the subtitles stage may still merge a short fragment with a neighbour or split
a long segment, which changes the time per cue but not the characters per second.
"""

from __future__ import annotations

from ..records import Segment
from ..subtitles.rules import SubtitleRules


def available_seconds(seg: Segment, next_onset: float | None, rules: SubtitleRules) -> float | None:
    """Seconds the cue(s) of ``seg`` can stay on screen, or None when it has no timed words."""
    words = seg.timed_words()
    if not words:
        return None
    start = rules.to_frame(words[0].start)
    speech = max(w.end for w in words) - start
    free = (rules.to_frame(next_onset) - rules.min_gap_s - start) if next_onset is not None else float("inf")
    held = max(rules.max_duration_s, speech)  # a longer speech is split into several cues, each read in turn
    return max(min(free, held), rules.frame)  # timing never runs a cue into the next one's time


def line_budgets(segments: list[Segment], rules: SubtitleRules) -> dict[int, int]:
    """Segment id -> most characters readable at ``max_cps`` (segments with Turkish words only)."""
    timed = [(seg, seg.timed_words()) for seg in segments if seg.text.strip()]
    timed = sorted(((s, w) for s, w in timed if w), key=lambda sw: sw[1][0].start)
    out = {}
    for k, (seg, _) in enumerate(timed):
        nxt = timed[k + 1][1][0].start if k + 1 < len(timed) else None
        seconds = available_seconds(seg, nxt, rules)
        if seconds is not None:
            out[seg.id] = max(1, int(rules.max_cps * seconds + 1e-6))
    return out
