"""Voxtral backend (Small 24B / Mini 3B) through transformers: the processor's transcription request
with the language given, batched, bf16 on GPU.

Packing (default): the processor pads every clip to a 30 s window (375 audio tokens, 1,500 encoder
frames), so a 3-5 s VAD piece alone pays ~8x its audio. Consecutive pieces share windows of up to
``pack_seconds`` (:mod:`.packing`, the policy faster-whisper's ``packed`` mode uses); the window's
text is aligned once with the CTC aligner and its words go back to their pieces by time; a piece
left without words is transcribed alone, so no line is lost. Packing needs the aligner (Voxtral
gives no timestamps): without one, every piece has its own window, and the load says so.

Output length: ``max_new_tokens`` of a batch follows its longest clip (:func:`max_new_tokens_for`),
so one looping piece cannot hold a batch for the configured cap. Batch size and OOM halving:
:class:`altyazi.gpu.BatchSizer` (the smaller size holds for the rest of the stage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import AltyaziError, GPUMemoryError, ModelMissingError
from ..log import EveryTenth, get_logger
from .base import SAMPLE_RATE, Piece, Transcript
from .gate import judge
from .packing import THIN_SPAN, coverage, pack_pieces, take_alone_answers, unheard, window_audio, words_to_pieces

log = get_logger("asr.voxtral")
WINDOW_S = 30.0  # the processor pads every clip to a multiple of 30 s; longer pieces would cost 2 windows
# Text tokens per second of speech: real Turkish speech needs about 110 Tekken tokens for 15 s
# (7.3/s, issue 13's measure on the production model); 8/s plus a margin of 16 covers fast speakers
# without letting a looping piece run to the cap.
TOKENS_PER_S = 8.0
TOKENS_MARGIN = 16


def max_new_tokens_for(seconds: float, cap: int) -> int:
    """Generation budget for a clip of ``seconds`` of audio (speech rate x duration + margin, <= cap)."""
    return max(1, min(int(cap), math.ceil(TOKENS_PER_S * seconds) + TOKENS_MARGIN))


@dataclass
class VoxtralBackend:
    model_ref: str
    name: str = "voxtral-mini"
    language: str = "tr"
    device: str = "cuda"          # resolved by the chain: cuda | cpu
    batch_size: int = 8           # chosen by the chain from free VRAM (or config); lowered after an OOM
    max_new_tokens: int = 256     # cap; each batch gets max_new_tokens_for(its longest clip)
    pack_seconds: float = 30.0    # 0: one piece per window
    aligner_ref: str | None = None  # the CTC aligner packing needs (profile's aligner, when asr.align)
    quality_gate: bool = True     # asr.quality_gate: a thin piece's alone answer must pass it to be taken
    gives_word_times: bool = False

    def __post_init__(self) -> None:
        self.model = None
        self.processor = None
        self.aligner = None
        self.path: str | None = None
        self.generate_calls = 0
        self.audio_tokens = 0
        self.windows = 0

    def load(self) -> None:
        """Load processor + model from a local folder or the HF cache (never downloads), and the
        aligner when packing. Raises ModelMissingError when the weights are absent, GPUMemoryError on CUDA OOM."""
        import torch
        from transformers import AutoProcessor, VoxtralForConditionalGeneration

        from ..gpu import oom_guard
        from ..models import resolve_hf_model
        from . import registry

        self.path = resolve_hf_model(self.model_ref, self.name)
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        cost = registry.BACKENDS[self.name].cost if self.name in registry.BACKENDS else None
        try:
            with oom_guard(f"loading {self.name} ({self.model_ref})", cost.need_gib(1) if cost else None):
                self.processor = AutoProcessor.from_pretrained(self.path)
                self.model = VoxtralForConditionalGeneration.from_pretrained(
                    self.path, dtype=dtype, device_map=self.device if self.device == "cuda" else None)
        except (OSError, ValueError) as err:  # a broken or partial folder
            self.close()
            raise ModelMissingError(f"{self.name}: cannot load {self.model_ref} ({type(err).__name__}: {err})") from err
        except GPUMemoryError:
            self.close()
            raise
        self.model.eval()
        self._load_aligner()
        log.info("%s loaded from %s on %s (%s), batch %d, %s", self.name, self.path, self.device,
                 str(dtype).replace("torch.", ""), self.batch_size,
                 f"pieces packed into {self.pack_seconds:.0f} s windows" if self.aligner else "one piece per window")

    def _load_aligner(self) -> None:
        if self.pack_seconds <= 0:
            return
        if not self.aligner_ref:
            log.warning("%s: packing pieces into shared windows needs the aligner (asr.align and the profile's "
                        "aligner); without it every piece pays a whole 30 s window", self.name)
            return
        import torch

        from .align import CTCAligner

        device = "cuda" if self.device == "cuda" and torch.cuda.is_available() else "cpu"
        aligner = CTCAligner(self.aligner_ref, device=device)
        try:
            aligner.load()
        except AltyaziError as err:
            log.warning("%s: %s; every piece gets its own 30 s window (no packing)", self.name, err)
            return
        self.aligner = aligner

    # ---- generation ----------------------------------------------------------------------------
    def _generate(self, clips: list[np.ndarray], looser: bool) -> list[str]:
        import torch

        audio = [c[: int(WINDOW_S * SAMPLE_RATE)] for c in clips]
        inputs = self.processor.apply_transcription_request(
            language=[self.language] * len(audio), audio=audio, model_id=self.path,
            sampling_rate=SAMPLE_RATE, format=["wav"] * len(audio))
        inputs = inputs.to(self.model.device)
        if "input_features" in inputs:
            inputs["input_features"] = inputs["input_features"].to(self.model.dtype)
        self.audio_tokens += int((inputs["input_ids"] == self.model.config.audio_token_id).sum())
        budget = max_new_tokens_for(max(a.size for a in audio) / SAMPLE_RATE, self.max_new_tokens)
        # Looser retry: discourage the loops that made the gate reject the first answer.
        extra = {"repetition_penalty": 1.2, "no_repeat_ngram_size": 4} if looser else {}
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=budget, do_sample=False, **extra)
        new = out[:, inputs["input_ids"].shape[1]:]
        return [t.strip() for t in self.processor.batch_decode(new, skip_special_tokens=True)]

    def _run_clips(self, clips: list[np.ndarray], looser: bool, what: str) -> list[str]:
        """One text per clip, in order; similar lengths batched together (less padding, and a batch's
        token budget follows its longest clip); OOM halves the batch for the rest of the stage."""
        from ..gpu import BatchSizer

        order = sorted(range(len(clips)), key=lambda i: clips[i].size)
        sizer = BatchSizer(self.batch_size, self.name)
        done, tenths = [0], EveryTenth()

        def run(idx: list[int]) -> list[str]:
            texts = self._generate([clips[i] for i in idx], looser)
            if tenths.tick(done[0] + len(idx), len(clips)) is not None:
                log.info("asr %s (%s): %d/%d", what, self.name, done[0] + len(idx), len(clips))
            done[0] += len(idx)
            return texts
        try:
            texts = sizer.map(order, run)
        finally:
            self.batch_size = sizer.size
            self.generate_calls += sizer.calls
        by_index = dict(zip(order, texts))
        return [by_index[i] for i in range(len(clips))]

    def transcribe(self, pieces: list[Piece], looser: bool = False) -> list[Transcript]:
        """One Transcript per piece, in order: text only (one piece per window), or text and aligned
        words (packed). OOM at batch 1 raises GPUMemoryError (the chain moves on)."""
        assert self.model is not None, "load() first"
        for p in pieces:
            if p.end - p.start > WINDOW_S:
                log.warning("%s: piece %d lasts %.1f s > %.0f s: only its first %.0f s are transcribed",
                            self.name, p.id, p.end - p.start, WINDOW_S, WINDOW_S)
        if looser or self.aligner is None or len(pieces) < 2:
            self.windows += len(pieces)
            texts = self._run_clips([p.audio for p in pieces], looser, "pieces")
            return [Transcript(t, [], self.language) for t in texts]
        return self._packed(pieces)

    def _packed(self, pieces: list[Piece]) -> list[Transcript]:
        windows = pack_pieces(pieces, min(self.pack_seconds, WINDOW_S))
        audios = [window_audio(pieces, w) for w in windows]
        texts = self._run_clips(audios, False, f"windows ({len(pieces)} pieces)")
        words: dict[int, list] = {}
        for w, audio, text in zip(windows, audios, texts):
            words.update(words_to_pieces(w, pieces, self.aligner.align(audio, text, 0.0)))
        # The window's text gave them no word, or words over almost none of them (packing.thin: the
        # model skipped their speech): ask again with the piece alone; a thin piece takes the alone
        # answer when it covers more of the piece and passes the gate (the aligner spreads any text,
        # a hallucination too, over the whole piece).
        alone = [i for i in range(len(pieces)) if unheard(pieces[i], words.get(i, []))]
        self.windows += len(windows) + len(alone)
        if alone:
            log.info("%s: %d of %d piece(s) got no word (or words over less than %.0f %% of them) from their "
                     "window; transcribing them alone", self.name, len(alone), len(pieces), 100 * THIN_SPAN)
            replaced = {}
            for i, text in zip(alone, self._run_clips([pieces[i].audio for i in alone], False, "pieces alone")):
                heard = self.aligner.align(pieces[i].audio, text, pieces[i].start)
                if not words.get(i):
                    words[i] = heard
                elif coverage(pieces[i], heard) > coverage(pieces[i], words[i]) and \
                        not judge(text, self.language, self.quality_gate):
                    replaced[i], words[i] = words[i], heard
            take_alone_answers(replaced, words, windows, pieces)  # their window words go to their neighbour
        log.info("%s: %d pieces in %d windows + %d alone; %d audio tokens for %.0f s of speech", self.name,
                 len(pieces), len(windows), len(alone), self.audio_tokens, sum(p.end - p.start for p in pieces))
        return [Transcript(" ".join(x.word for x in words[i]), list(words[i]), self.language)
                for i in range(len(pieces))]

    def close(self) -> None:
        from ..gpu import release_memory

        self.model = None
        self.processor = None
        if self.aligner is not None:
            self.aligner.model = None
            self.aligner = None
        release_memory()
