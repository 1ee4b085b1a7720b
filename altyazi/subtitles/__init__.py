"""Subtitle stage: translated segments + Turkish word times -> timed cues -> .srt/.vtt + QC.

``build_subtitles`` is what ``scripts/subtitles.py`` calls. Modules: :mod:`.rules` (config),
:mod:`.linebreak` (French line breaks), :mod:`.cues` (split/merge into readable pieces),
:mod:`.timing` (frames, gaps, reading speed, flags), :mod:`.qc` (figures), :mod:`.writers`
(SubRip/WebVTT), :mod:`.plots` (report figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..log import get_logger
from .cues import Cue, build_pieces
from .qc import qc_report, speech_intervals
from .rules import SubtitleRules
from .timing import time_cues
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


def build_cues(tr_segments: list[dict], fr_segments: list[dict], rules: SubtitleRules) -> list[Cue]:
    """Timed, flagged cues from tr.json and fr.json segments (same ids), in time order."""
    return time_cues(build_pieces(tr_segments, fr_segments, rules), rules)


def build_subtitles(tr_segments: list[dict], fr_segments: list[dict], options: dict[str, Any] | None) -> Subtitles:
    """Cues, SubRip (and WebVTT when ``options['formats']`` has vtt) texts and the QC figures."""
    rules = SubtitleRules.from_config(options)
    cues = build_cues(tr_segments, fr_segments, rules)
    files = {}
    for lang in ("fr", "tr"):
        subs = to_subtitles(cues, lang)
        files[f"{lang}.srt"] = compose_srt(subs)
        if "vtt" in rules.formats:
            files[f"{lang}.vtt"] = compose_vtt(subs)
    qc = qc_report(cues, tr_segments, rules)
    flagged = {f: sum(f in c.flags for c in cues) for f in sorted({f for c in cues for f in c.flags})}
    log.info("%d cues from %d segments; flags: %s; unflagged violations: %d",
             len(cues), len(tr_segments), flagged or "none", qc["unflagged_violations"])
    return Subtitles(cues, files, qc, rules, speech_intervals(tr_segments, rules.speech_merge_gap_s))
