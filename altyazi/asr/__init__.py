"""Turkish ASR stage: transcribe every VAD piece with the configured backend chain -> tr.json.

The chain (config order, default Voxtral Small > Voxtral Mini > faster-whisper) is planned from free
VRAM (:mod:`.plan`), run with the quality gate and fallbacks (:mod:`.chain`), and every segment with
text ends with word times (backend, forced alignment, or interpolated + flagged).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ModelMissingError
from ..log import get_logger
from ..records import Segment
from . import registry
from .base import SAMPLE_RATE, ASRBackend, Piece, Transcript
from .chain import cut_pieces, decide, time_words, transcribe_with_chain
from .plan import LinkPlan, plan_chain

log = get_logger("asr")
__all__ = ["ASRSettings", "transcribe_segments", "make_backend", "cut_pieces", "plan_chain", "Piece", "Transcript"]


@dataclass
class ASRSettings:
    chain: list[str]
    models: dict[str, str | None]
    language: str = "tr"
    device: str = "auto"
    faster_whisper: dict = field(default_factory=dict)
    voxtral: dict = field(default_factory=dict)
    quality_gate: bool = True
    align: bool = True
    realign_whisper: bool = False   # also re-time faster-whisper's words with the aligner
    chain_note: str | None = None   # asr.chain auto: where the order came from (calibration)


def make_backend(plan: LinkPlan, settings: ASRSettings) -> ASRBackend:
    """The backend object of one planned link (nothing loaded yet), built by its registry factory."""
    spec = registry.get(plan.name)
    ref = settings.models.get(spec.model_role)
    if not ref:
        raise ModelMissingError(f"no model configured for ASR backend {plan.name!r} in this profile "
                                f"(profiles.<profile>.models.{spec.model_role})")
    return spec.factory(ref, plan, settings)


def _make_backend_checked(plan: LinkPlan, settings: ASRSettings):
    try:
        return make_backend(plan, settings)
    except ModelMissingError as err:  # no model in the profile: a load failure of that link
        return _Unavailable(plan.name, err)


@dataclass
class _Unavailable:
    name: str
    error: Exception
    gives_word_times: bool = False

    def load(self) -> None:
        raise self.error

    def close(self) -> None:
        pass


def transcribe_segments(audio: np.ndarray, vad_segments: list[Segment],
                        settings: ASRSettings) -> tuple[list[Segment], dict]:
    """The VAD records, in order, filled with text, words, backend, note and flags, plus a summary
    for tr.json and the log. ``audio``: 16 kHz mono float32."""
    t0 = time.perf_counter()
    vad_segments = [replace(v, flags=list(v.flags)) for v in vad_segments]  # the caller's records stay as they were
    if settings.chain_note:
        log.info("%s", settings.chain_note)
    pieces = cut_pieces(audio, vad_segments)
    states, plans, fallbacks = (transcribe_with_chain(pieces, settings, _make_backend_checked)
                                if pieces else ([], plan_chain(settings), []))
    chain_note = "; ".join(f"{f['link']}: {f['reason']}" for f in fallbacks) or None
    segments = [decide(s, chain_note, v) for s, v in zip(states, vad_segments, strict=True)]
    gives = {name: spec.gives_word_times for name, spec in registry.BACKENDS.items()}
    words = time_words(segments, pieces, settings, gives)
    audio_s = audio.size / SAMPLE_RATE
    elapsed = time.perf_counter() - t0
    flags = Counter(f for s in segments for f in s.flags)
    summary = {
        "chain": [p.to_dict() for p in plans],
        "backends": dict(Counter(s.backend for s in segments if s.text)),
        "fallbacks": fallbacks,
        "gate": {"rejected": dict(Counter(a.link + (" (looser)" if a.looser else "") for s in states
                                          for a in s.attempts if a.reasons)),
                 "flags": dict(flags)},
        "pieces": len(segments),
        "empty": flags.get("empty", 0),
        "words": dict(words),
        "audio_seconds": round(audio_s, 2),
        "speech_seconds": round(sum(p.end - p.start for p in pieces), 2),
        "seconds": round(elapsed, 2),
        "rtf": round(elapsed / audio_s, 4) if audio_s else None,
    }
    log_summary(summary)
    return segments, summary


def log_summary(summary: dict) -> None:
    """The summary block that ends the rule's log."""
    log.info("ASR summary: %d pieces; text by backend %s; %d empty (flagged)", summary["pieces"],
             summary["backends"] or "{}", summary["empty"])
    for f in summary["fallbacks"]:
        log.info("  fallback: %s %s", f["link"], f["reason"])
    if summary["gate"]["rejected"]:
        log.info("  quality gate rejections by link: %s; flags: %s", summary["gate"]["rejected"],
                 summary["gate"]["flags"])
    log.info("  word times: %s", summary["words"] or "{}")
    log.info("  %.1f s of audio (%.1f s of speech) in %.1f s: RTF %s", summary["audio_seconds"],
             summary["speech_seconds"], summary["seconds"], summary["rtf"])
    foreign = summary["gate"]["flags"].get("not_turkish", 0)
    if foreign:
        texts = summary["pieces"] - summary["empty"]
        log.warning("%d of %d transcribed piece(s) do not look like Turkish (flagged not_turkish): if this "
                    "episode is not in Turkish, set asr.language; its subtitles will be poor", foreign, texts)
