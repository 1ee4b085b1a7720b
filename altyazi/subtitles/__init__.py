"""Subtitle stage: fr.json's segments (Turkish words with times, French translation, flags) ->
timed cues -> .srt/.vtt + QC.

``build_subtitles`` is what ``scripts/subtitles.py`` calls. Modules: :mod:`.rules` (config),
:mod:`.linebreak` (French line breaks), :mod:`.cues` (split/merge into readable pieces),
:mod:`.rebalance` (French words moved between chained cues for reading speed),
:mod:`.timing` (frames, gaps, reading speed, flags), :mod:`.qc` (figures), :mod:`.writers`
(SubRip/WebVTT), :mod:`.plots` (report figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..log import get_logger
from ..records import Cue, Segment
from .cues import build_pieces
from .onsets import SpeechRuns, align_to_audio
from .qc import qc_report, speech_intervals
from .rebalance import time_rebalanced
from .rules import SubtitleRules
from .shotsnap import snap_to_shots
from .timingqc import timing_qc
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
    audio_speech: SpeechRuns | None = None  # speech found in the audio (speech.json), cue times set on it
    cuts: list[float] | None = None     # shot changes (s) the cues were snapped to


def build_cues(segments: list[Segment], rules: SubtitleRules, speech: SpeechRuns | None = None,
               cuts: list[float] | None = None) -> list[Cue]:
    """Timed, flagged cues from translated segments, in time order.

    With ``speech`` (and ``rules.timing_reference == "audio"``) word starts/ends after a pause are
    first moved onto the audio's speech boundaries (:mod:`.onsets`); with ``cuts`` the timed cues
    then follow the shot-change rules (:mod:`.shotsnap`).
    """
    if speech and rules.timing_reference == "audio":
        segments, stats = align_to_audio(segments, speech)
        log.info("word times on the audio (%s): %d starts and %d ends moved, %d and %d without an audio boundary near",
                 speech.source, stats["starts_moved"], stats["ends_moved"], stats["starts_kept"], stats["ends_kept"])
    cues = time_rebalanced(build_pieces(segments, rules), rules)
    if cuts and rules.shot_snap_frames > 0:
        snap_to_shots(cues, cuts, rules)
    return cues


def build_subtitles(segments: list[Segment], options: dict[str, Any] | None, speech: SpeechRuns | None = None,
                    cuts: list[float] | None = None) -> Subtitles:
    """Cues, SubRip (and WebVTT when ``options['formats']`` has vtt) texts and the QC figures.

    ``speech``: the audio's speech runs (speech.json, :func:`.onsets.load_speech_runs`); ``cuts``:
    shot changes in seconds (shots.json).
    """
    rules = SubtitleRules.from_config(options)
    cues = build_cues(segments, rules, speech, cuts)
    files = {}
    for lang in ("fr", "tr"):
        subs = to_subtitles(cues, lang)
        files[f"{lang}.srt"] = compose_srt(subs)
        if "vtt" in rules.formats:
            files[f"{lang}.vtt"] = compose_vtt(subs)
    qc = qc_report(cues, segments, rules)
    qc["timing"] = timing_qc([c for c in cues if c.text], speech, cuts, rules)
    flagged = {f: sum(f in c.flags for c in cues) for f in sorted({f for c in cues for f in c.flags})}
    log.info("%d cues from %d segments; flags: %s; unflagged violations: %d; %s",
             len(cues), len(segments), flagged or "none", qc["unflagged_violations"], verdict_line(qc))
    return Subtitles(cues, files, qc, rules, speech_intervals(segments, rules.speech_merge_gap_s), speech, cuts)
