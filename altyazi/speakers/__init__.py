"""Speaker turns: who speaks in each VAD piece, as anonymous speakers S1, S2, ... per episode.

:func:`diarize` runs a backend over the speech pieces of ``segments.json`` (the default,
:mod:`.cluster`, uses resemblyzer's pretrained voice encoder on CPU, offline; :mod:`.pyannote_backend`
is optional) and returns the ``speakers.json`` document: the turns (a piece is cut where the speaker
changes inside it), each segment's main speaker and change points, and a confidence per turn.
:func:`apply_speakers` puts them on the records: ``Segment.speaker`` and, where a change falls inside
a piece, ``Word.speaker`` per word, so that a cue can be cut at the change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..audio import SAMPLE_RATE
from ..config_check import check_block
from ..log import get_logger
from ..records import Segment
from .cluster import Part

log = get_logger("speakers")

__all__ = ["SpeakerOptions", "apply_speakers", "diarize", "speaker_label"]


@dataclass(frozen=True)
class SpeakerOptions:
    """The ``speakers:`` block of config.yaml (documented in schemas/config.schema.yaml)."""
    backend: str = "resemblyzer"           # resemblyzer (default, offline) | pyannote (optional)
    hop_s: float = 0.4                     # window step inside a piece
    cluster_threshold: float = 0.3         # average-linkage cosine distance between windows of two voices
    switch_penalty: float = 0.3            # cost of a change of speaker between two windows (in cosine similarity)
    min_turn_s: float = 0.8                # a turn inside a piece lasts at least this long
    min_speaker_s: float = 2.0             # a voice holds at least this much of the episode's windows
    max_cluster_windows: int = 3000        # windows clustered (every n-th beyond that): linkage is quadratic
    max_speakers: int | None = None        # cap on speakers per episode (None: the threshold decides)
    batch_size: int = 64
    device: str = "cpu"                    # the pyannote backend may use cuda
    pyannote_pipeline: str = "pyannote/speaker-diarization-community-1"

    @classmethod
    def from_config(cls, opts: dict[str, Any] | None) -> SpeakerOptions:
        """Build from the ``speakers:`` config block, validated against its schema (a :class:`ConfigError` if bad)."""
        opts = dict(opts or {})
        check_block("speakers", opts)
        return cls(**opts)


def speaker_label(index: int) -> str:
    return f"S{index + 1}"


def _pieces(segments: list[Segment], duration: float) -> list[tuple[int, float, float]]:
    """(id, start, end) of each piece as the ASR hears it (the padded VAD piece).

    Padded, not the unpadded speech boundaries: with the unpadded ones the real-clips dialogue of the
    speaker bench collapsed from 3 voices (DER 0.263 with a 0.25 s collar) to 1 (DER 0.575), while
    the espeak pair went from 0.071 to 0.023; the real voices decide."""
    out = []
    for s in segments:
        a, b = max(0.0, s.start), min(duration, s.end) if duration else s.end
        if b > a:
            out.append((s.id, a, b))
    return out


def document(parts: list[Part], segments: list[Segment], backend: str, model: str, opts: SpeakerOptions) -> dict[str, Any]:
    """The speakers.json content: labels renamed S1, S2, ... in order of first appearance."""
    parts = sorted(parts, key=lambda p: (p.start, p.end))
    names: dict[int, str] = {}
    for p in parts:
        names.setdefault(p.label, speaker_label(len(names)))
    turns = [{"start": p.start, "end": p.end, "speaker": names[p.label], "confidence": p.confidence, "segment": p.segment}
             for p in parts]
    by_seg: dict[int, list[dict]] = {}
    for t in turns:
        by_seg.setdefault(t["segment"], []).append(t)
    seg_rows = []
    for s in segments:
        ts = by_seg.get(s.id)
        if not ts:
            continue
        talk: dict[str, float] = {}
        for t in ts:
            talk[t["speaker"]] = talk.get(t["speaker"], 0.0) + t["end"] - t["start"]
        main = max(talk, key=lambda k: talk[k])
        conf = sum(t["confidence"] * (t["end"] - t["start"]) for t in ts) / max(sum(t["end"] - t["start"] for t in ts), 1e-9)
        seg_rows.append({"id": s.id, "speaker": main, "confidence": round(conf, 3),
                         "changes": [t["start"] for t in ts[1:]]})
    speakers = [{"id": n, "seconds": round(sum(t["end"] - t["start"] for t in turns if t["speaker"] == n), 2),
                 "turns": sum(t["speaker"] == n for t in turns)} for n in names.values()]
    return {"backend": backend, "model": model, "options": asdict(opts), "speakers": speakers,
            "segments": seg_rows, "turns": turns}


def diarize(audio: np.ndarray, segments: list[Segment], opts: SpeakerOptions) -> dict[str, Any]:
    """Speaker turns over the speech pieces of ``segments`` -> the speakers.json document."""
    pieces = _pieces(segments, audio.size / SAMPLE_RATE)
    if opts.backend == "pyannote":
        from .pyannote_backend import pyannote_parts

        parts, model = pyannote_parts(audio, pieces, opts), opts.pyannote_pipeline
    else:
        from .cluster import resemblyzer_parts
        from .embed import resemblyzer_version

        parts = resemblyzer_parts(audio, pieces, opts) if pieces else []
        model = f"{resemblyzer_version()} VoiceEncoder (GE2E, pretrained.pt)"
    doc = document(parts, segments, opts.backend, model, opts)
    changes = sum(len(s["changes"]) for s in doc["segments"])
    log.info("%d speaker(s) over %d pieces: %s; %d change(s) inside a piece", len(doc["speakers"]), len(pieces),
             ", ".join(f"{s['id']} {s['seconds']:.0f} s" for s in doc["speakers"]) or "none", changes)
    return doc


def _distance(t: float, turn: dict) -> float:
    """0 inside the turn, else how far ``t`` is from it (s)."""
    return 0.0 if turn["start"] <= t < turn["end"] else min(abs(t - turn["start"]), abs(t - turn["end"]))


def apply_speakers(segments: list[Segment], doc: dict[str, Any]) -> int:
    """Set ``speaker`` on the segments (their main speaker) and on their words (the turn under the
    word's middle; the nearest turn of the piece when the word falls between turns). Returns how
    many segments have a change of speaker inside. Segments missing from ``doc`` keep ``None``."""
    rows = {r["id"]: r for r in doc.get("segments", [])}
    turns: dict[int, list[dict]] = {}
    for t in doc.get("turns", []):
        turns.setdefault(t["segment"], []).append(t)
    split = 0
    for seg in segments:
        row = rows.get(seg.id)
        if row is None:
            continue
        seg.speaker = row["speaker"]
        ts = turns.get(seg.id) or []
        multi = len({t["speaker"] for t in ts}) > 1
        split += multi
        for w in seg.words:
            if not multi:
                w.speaker = seg.speaker
                continue
            mid = (w.start + w.end) / 2
            w.speaker = min(ts, key=lambda t: _distance(mid, t))["speaker"]
    return split
