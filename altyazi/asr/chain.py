"""Run the ASR chain over the VAD pieces: each usable link transcribes the pieces still open, the
quality gate decides which answers stand, the last link that ran retries the rest with looser
settings, and whatever is still rejected is recorded with a flag (never dropped). Then every
segment with text gets word times: the backend's own, forced alignment, or interpolation (flagged).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .. import gpu
from ..errors import AltyaziError, GPUMemoryError, ModelMissingError
from ..log import get_logger
from ..records import Segment, interpolate_words
from .align import CTCAligner
from .base import SAMPLE_RATE, Piece, Transcript
from .gate import judge as gate_judge
from .plan import LinkPlan, plan_chain

log = get_logger("asr")


@dataclass
class Attempt:
    link: str
    transcript: Transcript
    reasons: list[str]
    looser: bool = False


@dataclass
class PieceState:
    piece: Piece
    attempts: list[Attempt] = field(default_factory=list)
    accepted: Attempt | None = None


def describe_error(err: BaseException) -> str:
    if gpu.is_oom(err) or isinstance(err, GPUMemoryError):
        return f"CUDA out of memory ({str(err).splitlines()[0][:160]})"
    text = str(err).splitlines()[0][:200] if str(err) else ""
    return f"{type(err).__name__}: {text}" if not isinstance(err, AltyaziError) else text


def cut_pieces(audio: np.ndarray, segments: list[Segment]) -> list[Piece]:
    """The 16 kHz samples of each VAD segment (times in seconds)."""
    return [Piece(s.id, s.start, s.end, audio[int(s.start * SAMPLE_RATE):int(s.end * SAMPLE_RATE)]) for s in segments]


def judge(text: str, settings) -> list[str]:
    """Gate reasons for ``text`` under the stage's settings (:func:`.gate.judge`)."""
    return gate_judge(text, settings.language, settings.quality_gate)


def run_link(backend, states: list[PieceState], looser: bool, settings) -> None:
    """Transcribe the open pieces with ``backend`` and record each answer and the gate's verdict."""
    outs = backend.transcribe([s.piece for s in states], looser=looser)
    for state, out in zip(states, outs):
        attempt = Attempt(backend.name, out, judge(out.text, settings), looser)
        state.attempts.append(attempt)
        if not attempt.reasons:
            state.accepted = attempt
        else:
            log.debug("piece %d rejected from %s%s: %s (%r)", state.piece.id, backend.name,
                      " (looser)" if looser else "", "; ".join(attempt.reasons), out.text[:80])


def transcribe_with_chain(pieces: list[Piece], settings, make_backend) -> tuple[list[PieceState], list[LinkPlan], list[dict]]:
    """The chain over ``pieces``: returns per-piece states, the plan, and the link-level fallbacks."""
    plans = plan_chain(settings)
    fallbacks = [{"link": p.name, "reason": f"skipped: {p.reason}"} for p in plans if not p.usable]
    states = [PieceState(p) for p in pieces]
    last_ok: LinkPlan | None = None
    backend = None
    for plan in (p for p in plans if p.usable):
        open_states = [s for s in states if s.accepted is None]
        if not open_states:
            break
        if backend is not None:
            backend.close()
            backend = None
        candidate = make_backend(plan, settings)
        try:
            candidate.load()
            run_link(candidate, open_states, False, settings)
        except Exception as err:  # load failure, missing weights, OOM: free the GPU, go to the next link
            reason = describe_error(err)
            log.warning("ASR link %s failed: %s; freeing the GPU and trying the next link", plan.name, reason)
            if not isinstance(err, (AltyaziError, OSError, RuntimeError, ValueError)):
                log.debug("unexpected error from %s", plan.name, exc_info=err)
            fallbacks.append({"link": plan.name, "reason": reason})
            candidate.close()
            gpu.release_memory()
            continue
        backend, last_ok = candidate, plan
        rejected = sum(1 for s in open_states if s.accepted is None)
        if rejected:
            log.info("%s: %d of %d piece(s) rejected by the gate; next link", plan.name, rejected, len(open_states))
    if last_ok is None:
        detail = "no ASR backend of the chain could run:\n  " + "\n  ".join(f"{f['link']}: {f['reason']}"
                                                                         for f in fallbacks)
        # The hint follows the cause: out of memory everywhere is not a missing-weights problem.
        if fallbacks and all(f["reason"].startswith("CUDA out of memory") for f in fallbacks):
            raise GPUMemoryError(detail)
        raise ModelMissingError(detail)
    open_states = [s for s in states if s.accepted is None]
    if open_states:
        log.info("retrying %d rejected piece(s) with %s, looser settings", len(open_states), last_ok.name)
        try:
            if backend is None:  # the last link that ran was closed before a later one failed
                backend = make_backend(last_ok, settings)
                backend.load()
            run_link(backend, open_states, True, settings)
        except Exception as err:  # the pieces keep their rejected answers and get flagged below
            reason = describe_error(err)
            log.warning("looser retry with %s failed: %s; %d piece(s) stay flagged", last_ok.name, reason,
                        len(open_states))
            fallbacks.append({"link": f"{last_ok.name} (looser)", "reason": reason})
    if backend is not None:
        backend.close()
    return states, plans, fallbacks


def decide(state: PieceState, chain_note: str | None, record: Segment) -> Segment:
    """Fill the VAD ``record`` of one piece: the accepted answer, else the best rejected one with flags."""
    p = state.piece
    rejected = [a for a in state.attempts if a.reasons and a is not state.accepted]
    notes = [chain_note] if chain_note else []
    notes += [f"{a.link}{' (looser)' if a.looser else ''} rejected: {'; '.join(a.reasons)}" for a in rejected]
    record.note = "; ".join(notes) or None
    chosen = state.accepted
    flags = ["looser"] if chosen and chosen.looser else []
    if chosen is None:  # foreign-sounding but otherwise clean text is kept (short lines fool the language check)
        chosen = next((a for a in state.attempts if a.reasons == ["not_turkish"]), None)
        flags = ["not_turkish"] if chosen else []
    if chosen is not None:
        record.text, record.words, record.backend = chosen.transcript.text, list(chosen.transcript.words), chosen.link
    else:
        kinds = sorted({r.split(":")[0] for a in state.attempts for r in a.reasons} - {"empty"})
        record.text, record.words = "", []
        record.backend = state.attempts[-1].link if state.attempts else None
        flags = ["empty", *kinds]
    assert record.id == p.id, "pieces and VAD records are in the same order"
    record.add_flags(*flags)
    return record


def time_words(segments: list[Segment], pieces: list[Piece], settings, gives_times: dict[str, bool]) -> Counter:
    """Give every word of every segment with text a time; returns counts by origin."""
    counts: Counter = Counter()
    # A backend without its own times may still bring aligned words (packed Voxtral aligns its windows).
    need = [(seg, piece) for seg, piece in zip(segments, pieces) if seg.text and
            (not seg.words or (settings.realign_whisper and gives_times.get(seg.backend or "", False)))]
    aligner = None
    ref = settings.models.get("aligner")
    if need and settings.align and ref:
        import torch

        aligner = CTCAligner(ref, device="cuda" if settings.device != "cpu" and torch.cuda.is_available() else "cpu")
        try:
            aligner.load()
        except AltyaziError as err:
            log.warning("aligner unavailable (%s): word times of %d segment(s) are interpolated and flagged",
                        describe_error(err), len(need))
            aligner = None
    elif need:
        log.warning("no aligner (%s): word times of %d segment(s) are interpolated and flagged",
                    "asr.align is false" if not settings.align else "no aligner model in the profile", len(need))
    failed = 0
    for seg, piece in need:
        if aligner is not None:
            try:
                seg.words = aligner.align(piece.audio, seg.text, piece.start)
                continue
            except Exception as err:  # one piece the aligner chokes on must not end the stage
                failed += 1
                if failed == 1:
                    log.warning("aligner failed on piece %d (%s): its words are interpolated and flagged",
                                piece.id, describe_error(err))
        seg.words = interpolate_words(seg.text.split(), piece.start, piece.end)
    if failed > 1:
        log.warning("aligner failed on %d piece(s) in all: their words are interpolated and flagged", failed)
    retimed = {id(seg) for seg, _ in need}
    for seg in segments:
        for w in seg.words:
            aligned = id(seg) in retimed or not gives_times.get(seg.backend or "", False)
            counts[w.flag or ("aligned" if aligned else "asr")] += 1
        if seg.words and all(w.flag == "interpolated" for w in seg.words):
            seg.add_flags("words_interpolated")
    if aligner is not None:
        aligner.model = None
        gpu.release_memory()
    return counts
