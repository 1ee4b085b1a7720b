"""Turkish ASR stage: transcribe every VAD piece with the configured backend chain -> tr.json."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import AltyaziError, ModelMissingError
from ..log import get_logger
from ..segments import Segment
from .base import SAMPLE_RATE, Piece

log = get_logger("asr")


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


def make_backend(name: str, settings: ASRSettings):
    ref = settings.models.get(name)
    if not ref:
        raise ModelMissingError(f"no model configured for ASR backend {name!r}")
    if name == "faster-whisper":
        from .whisper import FasterWhisperBackend

        fw = settings.faster_whisper
        return FasterWhisperBackend(ref, language=settings.language, device=settings.device,
                                    compute_type=fw.get("compute_type", "auto"),
                                    beam_size=int(fw.get("beam_size", 5)), batch_size=int(fw.get("batch_size", 8)),
                                    cpu_threads=int(fw.get("cpu_threads", 0)))
    raise ModelMissingError(f"ASR backend {name!r} is not available in this build")


def cut_pieces(audio: np.ndarray, segments: list[dict]) -> list[Piece]:
    return [Piece(s["id"], s["start"], s["end"],
                  audio[int(s["start"] * SAMPLE_RATE):int(s["end"] * SAMPLE_RATE)]) for s in segments]


def transcribe_segments(audio: np.ndarray, vad_segments: list[dict], settings: ASRSettings) -> tuple[list[Segment], dict]:
    """One Segment per VAD piece (same id/start/end), text from the first chain link that loads."""
    t0 = time.perf_counter()
    pieces = cut_pieces(audio, vad_segments)
    errors = []
    for name in settings.chain:
        backend = make_backend(name, settings)
        try:
            backend.load()
        except AltyaziError as err:
            errors.append(f"{name}: {err}")
            log.warning("ASR backend %s unavailable: %s; trying the next one", name, err)
            continue
        try:
            results = backend.transcribe(pieces) if pieces else []
        finally:
            backend.close()
        segments = [Segment(p.id, p.start, p.end, r.text, r.words, backend=name,
                            note="; ".join(errors) or None, flags=[] if r.text else ["empty"])
                    for p, r in zip(pieces, results)]
        audio_s = audio.size / SAMPLE_RATE
        elapsed = time.perf_counter() - t0
        summary = {"backends": {name: len(segments)}, "fallbacks": errors, "audio_seconds": round(audio_s, 2),
                   "seconds": round(elapsed, 2), "rtf": round(elapsed / audio_s, 4) if audio_s else None}
        return segments, summary
    raise ModelMissingError("no ASR backend of the chain could be loaded:\n  " + "\n  ".join(errors))
