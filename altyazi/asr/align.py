"""Word timing by CTC forced alignment: a transformers ``Wav2Vec2ForCTC`` gives per-frame character
log-probabilities, ``ctc_forced_aligner.forced_align`` (a compiled Viterbi with torchaudio's contract)
finds the best path of the transcript's characters, and each word takes the span of its characters.

Characters the CTC vocabulary lacks (digits, symbols: "1990", "5'te", "%50") become a wildcard token,
as WhisperX does: an extra emission column holding, per frame, the best non-blank log-probability, so
"1990" spans the frames where something was said and gets real times. Punctuation is not spoken and
is skipped. :func:`interpolate_words` times a piece (flagged) when alignment cannot run at all.

The processor is loaded explicitly as feature extractor + CTC tokenizer (WhisperX loads this model
with ``Wav2Vec2Processor``): the production repo's ``preprocessor_config.json`` names
``Wav2Vec2ProcessorWithLM``, which ``AutoProcessor`` would build and which needs pyctcdecode/kenlm for
a beam-search LM we never use. Any load failure is an :class:`AlignerUnavailable` (the chain then
interpolates and flags, and says why).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from ..errors import AltyaziError
from ..log import get_logger
from ..records import Word, interpolate_words
from ..turkish import turkish_lower
from .base import SAMPLE_RATE

log = get_logger("asr.align")


class AlignerUnavailable(AltyaziError):
    hint = ("Word times are interpolated and flagged meanwhile; check the aligner model "
            "(`altyazi doctor`), or set asr.align: false to silence this.")




def fill_gaps(times: list[tuple[float, float] | None], words: list[str], start: float, end: float,
              scores: list[float | None]) -> list[Word]:
    """Words with times keep them; each run of untimed words is interpolated (and flagged) between
    the end of the previous timed word (or ``start``) and the start of the next (or ``end``)."""
    out: list[Word] = []
    i = 0
    while i < len(words):
        if times[i] is not None:
            out.append(Word(times[i][0], times[i][1], words[i], scores[i]))
            i += 1
            continue
        j = i
        while j < len(words) and times[j] is None:
            j += 1
        left = out[-1].end if out else start
        right = times[j][0] if j < len(words) else end
        out.extend(interpolate_words(words[i:j], left, max(left, right)))
        i = j
    return out


@dataclass
class CTCAligner:
    """Forced aligner over a wav2vec2 CTC checkpoint (local folder or Hugging Face cache)."""

    model_ref: str
    device: str = "cpu"

    def __post_init__(self) -> None:
        self.model = None
        self.processor = None

    def load(self) -> None:
        """Load the CTC model, its feature extractor and CTC tokenizer; AlignerUnavailable on any failure."""
        from ..models import resolve_hf_model

        try:
            path = resolve_hf_model(self.model_ref, "aligner")
            self._load(path)
        except Exception as err:  # optional step: whatever broke, the chain goes on without it
            self.model = self.processor = None
            reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            raise AlignerUnavailable(f"aligner {self.model_ref} cannot be loaded ({type(err).__name__}: {reason})") from err
        log.info("aligner %s loaded on %s (%d characters, wildcard for the others)", self.model_ref, self.device,
                 len(self.vocab))

    def _load(self, path: str) -> None:
        import torch
        from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC, Wav2Vec2Processor

        extractor = Wav2Vec2FeatureExtractor.from_pretrained(path)
        tokenizer = Wav2Vec2CTCTokenizer.from_pretrained(path)
        self.processor = Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer)
        self.model = Wav2Vec2ForCTC.from_pretrained(path, dtype=torch.float32).to(self.device).eval()
        vocab = tokenizer.get_vocab()
        n_out = self.model.config.vocab_size
        self.vocab = {turkish_lower(k): v for k, v in vocab.items() if v < n_out and len(k) == 1}
        self.blank = int(tokenizer.pad_token_id)
        self.separator = vocab.get(getattr(tokenizer, "word_delimiter_token", "|") or "|")
        self.wildcard = n_out   # the extra emission column (see emissions)

    def emissions(self, audio: np.ndarray) -> np.ndarray:
        """Per-frame log-probabilities, float32 array (frames, classes); 1 frame = 20 ms for wav2vec2."""
        import torch

        inputs = self.processor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        with torch.inference_mode():
            logits = self.model(inputs.input_values.to(self.device)).logits[0]
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        # wildcard column: the best non-blank class of each frame (WhisperX's "*" token)
        others = torch.cat([log_probs[:, :self.blank], log_probs[:, self.blank + 1:]], dim=1)
        return torch.cat([log_probs, others.max(dim=1, keepdim=True).values], dim=1).cpu().numpy()

    def char_ids(self, word: str) -> list[int]:
        """CTC targets of one word: its letters, a wildcard for each unknown character, no punctuation."""
        ids = []
        for c in turkish_lower(word):
            if c in self.vocab and self.vocab[c] != self.separator:
                ids.append(self.vocab[c])
            elif not (unicodedata.category(c).startswith("P") or c.isspace()):
                ids.append(self.wildcard)
        return ids

    def align(self, audio: np.ndarray, text: str, offset: float) -> list[Word]:
        """Times (absolute s = ``offset`` + position in ``audio``) for every whitespace word of ``text``.

        Words with no target at all (pure punctuation), or all words when the piece is too short for
        the characters, are interpolated and flagged."""
        assert self.model is not None, "load() first"
        words = text.split()
        if not words:
            return []
        end = offset + audio.size / SAMPLE_RATE
        chars = [self.char_ids(w) for w in words]
        targets, owner = [], []
        for i, ids in enumerate(chars):
            if not ids:
                continue
            if targets and self.separator is not None:
                targets.append(self.separator)
                owner.append(-1)
            targets.extend(ids)
            owner.extend([i] * len(ids))
        if not targets:
            return interpolate_words(words, offset, end)
        log_probs = self.emissions(audio)
        frames = log_probs.shape[0]
        try:
            path, scores = ctc_path(log_probs, targets, self.blank)
        except TooFewFrames:
            log.debug("piece at %.2f s: %d frames for %d characters, interpolating", offset, frames, len(targets))
            return interpolate_words(words, offset, end)
        spans = token_spans(path, self.blank)
        if len(spans) != len(targets):  # cannot happen with a valid CTC path; be safe
            log.warning("aligner returned %d spans for %d characters; interpolating", len(spans), len(targets))
            return interpolate_words(words, offset, end)
        sec = audio.size / SAMPLE_RATE / frames
        times: list[tuple[float, float] | None] = [None] * len(words)
        word_scores: list[list[float]] = [[] for _ in words]
        for (f0, f1), who in zip(spans, owner):
            if who < 0:
                continue
            t0, t1 = offset + f0 * sec, offset + (f1 + 1) * sec
            times[who] = (t0, t1) if times[who] is None else (times[who][0], t1)
            word_scores[who].append(float(np.exp(np.mean(scores[f0:f1 + 1]))))
        probs = [float(np.mean(s)) if s else None for s in word_scores]
        return fill_gaps(times, words, offset, end, probs)


class TooFewFrames(ValueError):
    """Fewer frames than a CTC path of the targets needs (targets + repeated neighbours)."""


PADDED_LOG_PROB = -1e4  # a target in a padding frame: never on the best path while real frames can hold it


def ctc_path(log_probs: np.ndarray, targets: list[int], blank: int) -> tuple[np.ndarray, np.ndarray]:
    """The best CTC path (class per frame) of ``targets`` through ``log_probs`` (frames, classes), and
    each frame's log-probability on it; needs frames >= len(targets) + repeats.

    ``ctc_forced_aligner``'s kernel sizes its back-pointer table (2L + 2) x (T - L) and writes past
    it when the frames T are fewer than about twice the targets L (found by a port of its loop;
    heap corruption that crashed the bench process at exit on a dense window). So frames of blank
    (log 1; every other class :data:`PADDED_LOG_PROB`) are appended up to 2 (L + R) + 2, and the
    path is cut back to the real frames: a target placed in a padding frame would cost 1e4, so the
    best path through the real frames is unchanged (tested against a plain Viterbi).
    """
    from ctc_forced_aligner import forced_align

    frames = log_probs.shape[0]
    repeats = sum(a == b for a, b in zip(targets, targets[1:]))
    if frames < len(targets) + repeats:
        raise TooFewFrames(f"{frames} frames cannot hold {len(targets)} CTC targets with {repeats} repeats")
    need = 2 * (len(targets) + repeats) + 2
    padded = np.ascontiguousarray(log_probs, dtype=np.float32)
    if frames < need:
        pad = np.full((need - frames, padded.shape[1]), PADDED_LOG_PROB, np.float32)
        pad[:, blank] = 0.0
        padded = np.concatenate([padded, pad])
    path, scores = forced_align(padded[None], np.array([targets], dtype=np.int64), blank=blank)
    return np.asarray(path).reshape(-1)[:frames], np.asarray(scores).reshape(-1)[:frames]


def token_spans(path: np.ndarray, blank: int) -> list[tuple[int, int]]:
    """[first, last] frame of each emitted token of a CTC frame path (blank frames separate repeats)."""
    spans: list[tuple[int, int]] = []
    prev = blank
    for t, label in enumerate(path.tolist()):
        if label != blank and label != prev:
            spans.append((t, t))
        elif label != blank and label == prev:
            spans[-1] = (spans[-1][0], t)
        prev = label
    return spans
