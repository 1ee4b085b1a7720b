"""A local causal LM through transformers: chat models via their chat template, base models
(the offline Gemma GGUF) via a few-shot completion prompt. Batched generation, left padding."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelMissingError
from ..gpu import cuda_available, release_memory
from ..log import get_logger
from ..models import resolve_hf_model

log = get_logger("translate.llm")


@dataclass
class LLM:
    model_ref: str
    device: str = "auto"
    max_new_tokens: int = 512
    temperature: float = 0.0

    def __post_init__(self):
        self.model = None
        self.tokenizer = None
        self.is_chat = False

    def load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        ref = self.model_ref
        kwargs: dict = {}
        if ref.endswith(".gguf"):
            path = Path(ref)
            if not path.is_file():
                raise ModelMissingError(f"translation model {ref} not found")
            folder, kwargs["gguf_file"] = str(path.parent), path.name
        else:
            folder = resolve_hf_model(ref, "translation")
        device = "cuda" if (self.device in ("auto", "cuda") and cuda_available()) else "cpu"
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **kwargs).to(device).eval()
        self.device_name = device
        self.is_chat = bool(getattr(self.tokenizer, "chat_template", None))
        log.info("translation model %s loaded on %s (%s, %s prompt)", ref, device, dtype,
                 "chat" if self.is_chat else "few-shot completion")

    def generate(self, prompts: list[str], stop: str | None = "\n") -> list[str]:
        """Complete each prompt (already formatted); returns the new text only."""
        import torch

        enc = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.model.device)
        gen_kwargs = dict(max_new_tokens=self.max_new_tokens, pad_token_id=self.tokenizer.pad_token_id)
        if self.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=self.temperature)
        else:
            gen_kwargs.update(do_sample=False)
        if stop:
            gen_kwargs["stop_strings"] = [stop]
            gen_kwargs["tokenizer"] = self.tokenizer
        with torch.inference_mode():
            out = self.model.generate(**enc, **gen_kwargs)
        new = out[:, enc["input_ids"].shape[1]:]
        return self.tokenizer.batch_decode(new, skip_special_tokens=True)

    def close(self) -> None:
        self.model = None
        release_memory()
