"""Voxtral backend (Small 24B / Mini 3B) through transformers: the processor's transcription request
with the language given, batched over VAD pieces, bf16 on GPU. Voxtral gives no timestamps: the
chain times its words with the aligner (or interpolates and flags them)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..errors import GPUMemoryError, ModelMissingError
from ..log import get_logger
from .base import SAMPLE_RATE, Piece, Transcript

log = get_logger("asr.voxtral")
WINDOW_S = 30.0  # the processor pads every clip to a multiple of 30 s; longer pieces would cost 2 windows


@dataclass
class VoxtralBackend:
    model_ref: str
    name: str = "voxtral-mini"
    language: str = "tr"
    device: str = "cuda"          # resolved by the chain: cuda | cpu
    batch_size: int = 8           # chosen by the chain from free VRAM (or config)
    max_new_tokens: int = 256
    gives_word_times: bool = False

    def __post_init__(self) -> None:
        self.model = None
        self.processor = None
        self.path: str | None = None

    def load(self) -> None:
        """Load processor + model from a local folder or the HF cache (never downloads).

        Raises ModelMissingError when the weights are absent, GPUMemoryError on CUDA OOM."""
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
        log.info("%s loaded from %s on %s (%s), batch %d", self.name, self.path, self.device,
                 str(dtype).replace("torch.", ""), self.batch_size)

    def _generate(self, batch: list[Piece], looser: bool) -> list[str]:
        import torch

        audio = [p.audio[: int(WINDOW_S * SAMPLE_RATE)] for p in batch]
        inputs = self.processor.apply_transcription_request(
            language=[self.language] * len(batch), audio=audio, model_id=self.path,
            sampling_rate=SAMPLE_RATE, format=["wav"] * len(batch))
        inputs = inputs.to(self.model.device)
        if "input_features" in inputs:
            inputs["input_features"] = inputs["input_features"].to(self.model.dtype)
        # Looser retry: discourage the loops that made the gate reject the first answer.
        extra = {"repetition_penalty": 1.2, "no_repeat_ngram_size": 4} if looser else {}
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False, **extra)
        new = out[:, inputs["input_ids"].shape[1]:]
        return [t.strip() for t in self.processor.batch_decode(new, skip_special_tokens=True)]

    def transcribe(self, pieces: list[Piece], looser: bool = False) -> list[Transcript]:
        """One Transcript per piece (text only), in batches of ``batch_size``; a CUDA OOM halves the
        batch and retries; OOM at batch 1 raises GPUMemoryError (the chain moves on)."""
        from ..gpu import is_oom, release_memory

        assert self.model is not None, "load() first"
        for p in pieces:
            if p.end - p.start > WINDOW_S:
                log.warning("%s: piece %d lasts %.1f s > %.0f s: only its first %.0f s are transcribed",
                            self.name, p.id, p.end - p.start, WINDOW_S, WINDOW_S)
        # Similar lengths together: less padding inside a batch (order restored below).
        order = sorted(range(len(pieces)), key=lambda i: pieces[i].audio.size)
        queue = deque(order[i:i + max(1, self.batch_size)] for i in range(0, len(order), max(1, self.batch_size)))
        by_index: dict[int, str] = {}
        step = max(1, len(pieces) // 10)
        while queue:
            idx = queue.popleft()
            try:
                for i, text in zip(idx, self._generate([pieces[i] for i in idx], looser)):
                    by_index[i] = text
            except Exception as err:
                if not is_oom(err):
                    raise
                release_memory()
                if len(idx) == 1:
                    raise GPUMemoryError(f"{self.name}: CUDA out of memory on piece {pieces[idx[0]].id} "
                                         "even at batch size 1") from err
                half = len(idx) // 2
                log.warning("%s: CUDA out of memory at batch %d; retrying at %d", self.name, len(idx), half)
                self.batch_size = half
                queue.appendleft(idx[half:])
                queue.appendleft(idx[:half])
                continue
            if len(by_index) // step != (len(by_index) - len(idx)) // step or not queue:
                log.info("asr pieces (%s): %d/%d", self.name, len(by_index), len(pieces))
        texts = [by_index[i] for i in range(len(pieces))]
        return [Transcript(t, [], self.language) for t in texts]

    def close(self) -> None:
        from ..gpu import release_memory

        self.model = None
        self.processor = None
        release_memory()
