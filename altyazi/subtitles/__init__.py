"""Subtitle stage: fr.json's segments (Turkish words with times, French translation, flags) ->
timed cues -> .srt/.vtt + QC.

``build_subtitles`` is what ``scripts/subtitles.py`` calls. Modules: :mod:`.rules` (config),
:mod:`.linebreak` (French line breaks), :mod:`.cues` (split/merge into readable pieces),
:mod:`.timing` (frames, gaps, reading speed, flags), :mod:`.qc` (figures), :mod:`.writers`
(SubRip/WebVTT), :mod:`.plots` (report figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..log import get_logger
from ..records import Cue, Segment
from .cues import build_pieces
from .qc import qc_report, speech_intervals
from .rules import SubtitleRules
from .timing import time_cues
from .verdict import verdict_line
from .writers import compose_srt, compose_vtt, to_subtitles

log = get_logger("subtitles")

__all__ = ["Cue", "SubtitleRules", "Subtitles", "build_cues", "build_subtitles"]


@dataclass
class Subtitles:
    """Everything the stage writes: cues, file texts (by name: fr.srt, tr.srt, fr.vtt, tr.vtt) and QC."""
    cues: list[Cue]
    files: dict[str, str]
    qc: dict[str, Any]
    rules: SubtitleRules
    speech: list[tuple[float, float]]   # speech intervals (s) the QC measured against


def build_cues(segments: list[Segment], rules: SubtitleRules) -> list[Cue]:
    """Timed, flagged cues from translated segments, in time order."""
    return time_cues(build_pieces(segments, rules), rules)


def build_subtitles(segments: list[Segment], options: dict[str, Any] | None) -> Subtitles:
    """Cues, SubRip (and WebVTT when ``options['formats']`` has vtt) texts and the QC figures."""
    rules = SubtitleRules.from_config(options)
    cues = build_cues(segments, rules)
    files = {}
    for lang in ("fr", "tr"):
        subs = to_subtitles(cues, lang)
        files[f"{lang}.srt"] = compose_srt(subs)
        if "vtt" in rules.formats:
            files[f"{lang}.vtt"] = compose_vtt(subs)
    qc = qc_report(cues, segments, rules)
    flagged = {f: sum(f in c.flags for c in cues) for f in sorted({f for c in cues for f in c.flags})}
    log.info("%d cues from %d segments; flags: %s; unflagged violations: %d; %s",
             len(cues), len(segments), flagged or "none", qc["unflagged_violations"], verdict_line(qc))
    return Subtitles(cues, files, qc, rules, speech_intervals(segments, rules.speech_merge_gap_s))
