"""Cue timing on the frame grid: onset, reading time, gaps, and flags for what cannot be met.

Rules (all from :class:`SubtitleRules`): a cue starts on the frame nearest its speech onset and
at least ``min_gap_frames`` after the previous cue; it stays at least ``min_duration_s`` and long
enough to read at ``max_cps``, taking that time from free time after the speech (never from the
next cue); a gap of ``close_gap_frames`` or less to the next cue is closed to ``min_gap_frames``
(only toward a cue that shows French: a Turkish-only cue is absent from the French file).
What still does not fit is flagged on the cue, never fixed by cutting text.
"""

from __future__ import annotations

from ..records import Cue
from .dialogue import dialogue_lines
from .linebreak import break_lines
from .rules import SubtitleRules, display_chars

EPS = 1e-6


def reading_time(text: str, rules: SubtitleRules) -> float:
    """Seconds needed on screen: at least ``min_duration_s``, and ``chars / max_cps``."""
    return max(rules.min_duration_s, display_chars(text) / rules.max_cps)


def layout_text(cue: Cue, rules: SubtitleRules) -> None:
    """Set ``cue.text`` (French, broken into lines) and ``cue.source`` (Turkish, broken likewise);
    a dialogue cue gets one dashed line per speaker (:mod:`.dialogue`)."""
    if cue.dialogue_at:
        fr, tr = dialogue_lines(cue)
        cue.text, cue.source = "\n".join(fr), "\n".join(tr)
        return
    cue.text = "\n".join(break_lines(cue.french, rules.max_line_chars, rules.max_lines, lang="fr"))
    cue.source = "\n".join(break_lines(cue.turkish, rules.max_line_chars, rules.max_lines, lang="tr"))


def time_cues(cues: list[Cue], rules: SubtitleRules) -> list[Cue]:
    """Give every cue frame-aligned ``start``/``end`` (seconds) and flags; returns the same list.

    Flags: ``late_start`` (start pushed past onset + ``max_start_offset_frames`` by the previous
    cue), ``extended`` (kept on screen more than ``max_end_after_speech_s`` after speech to be
    readable), ``short`` / ``cps`` (not enough free time to reach the minimum duration / reading
    speed), ``long`` (speech alone lasts longer than ``max_duration_s``), ``lines`` (the text
    needs more lines or longer lines than allowed), ``gap_open`` (a small gap to the next cue
    left open because closing it would make the cue too long).
    """
    frame = rules.frame  # one frame, seconds
    gap = rules.min_gap_s
    for cue in cues:
        layout_text(cue, rules)
    onsets = [rules.to_frame(c.speech_start) for c in cues]
    prev_end = None
    for i, cue in enumerate(cues):
        start = max(onsets[i], 0.0) if prev_end is None else max(onsets[i], rules.frame_up(prev_end + gap))
        if start - cue.speech_start > rules.max_start_offset_frames * frame + EPS:
            cue.flags.append("late_start")
        next_start = onsets[i + 1] if i + 1 < len(cues) else float("inf")
        free_until = next_start - gap
        speech_end = max(rules.frame_up(cue.speech_end), start + frame)
        need = reading_time(cue.text, rules)
        linger = max(rules.frame_down(cue.speech_end + rules.max_end_after_speech_s), speech_end)
        end = max(speech_end, rules.frame_up(start + need))
        if end > free_until + EPS:  # never into the next cue's time: it starts at its speech onset
            end = max(free_until, start + frame)
        if end > linger + EPS:
            cue.flags.append("extended")
        if end - start > rules.max_duration_s + EPS:
            if speech_end - start > rules.max_duration_s + EPS:
                cue.flags.append("long")  # speech alone is longer (unsplittable): keep it covered
            else:
                end = rules.to_frame(start + rules.max_duration_s)
        # Close a small gap to the next cue (chaining); the next cue starts at its onset. Not toward a
        # cue without French: it is absent from the French file, so there the end would only linger
        # past speech (after the `extended` check above, so unflagged).
        shows_next = i + 1 < len(cues) and bool(cues[i + 1].text)
        if shows_next and gap + EPS < next_start - end <= rules.close_gap_s + EPS:
            if next_start - gap - start <= rules.max_duration_s + EPS:
                end = next_start - gap
            else:
                cue.flags.append("gap_open")  # closing it would hold the cue past max_duration_s
        duration = end - start
        if duration < rules.min_duration_s - EPS:
            cue.flags.append("short")
        if display_chars(cue.text) / max(duration, EPS) > rules.max_cps + EPS:
            cue.flags.append("cps")
        lines = cue.text.split("\n") if cue.text else []
        if len(lines) > rules.max_lines or any(len(line) > rules.max_line_chars for line in lines):
            cue.flags.append("lines")
        cue.start, cue.end = round(start, 3), round(end, 3)
        prev_end = end
    return cues
