"""The translator interface the translation engine calls, and its VRAM need.

:class:`Translator` is everything :func:`altyazi.translate.engine.translate_segments` and the prompt
strategies use; :class:`altyazi.translate.llm.LLM` (transformers) implements it, and another engine
(vLLM, llama.cpp) is one new class with these members.

The VRAM need comes from the model itself (``model.safetensors.index.json``'s ``total_size``, else a
parameter count from ``config.json``), or from :data:`DECLARED` for a hub id not yet in the cache:
never from the model's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..gpu import GiB
from ..log import get_logger

log = get_logger("translate")
BATCH_PROMPTS = 4           # prompts in flight for the scheduler's estimate (a floor: streams: auto fills free VRAM)
PROMPT_TOKENS = 3000 + 1024  # a chat batch's prompt + its reply (llm.CHAT_PROMPT_TOKENS + max_new_tokens)
MARGIN_GIB = 2.0            # CUDA context, allocator slack


@runtime_checkable
class Translator(Protocol):
    model_ref: str
    is_chat: bool           # chat template (ChatStrategy) or few-shot completion (BaseStrategy)
    new_tokens: int         # generated tokens so far (tokens/s summary)
    gen_seconds: float      # time spent generating so far

    def load(self, weights: bool = True) -> "Translator":
        """Tokenizer now; weights now or (``weights=False``) at the first generation."""

    def chat(self, conversations: list[list[dict]], max_new_tokens: int) -> list[str]:
        """One reply per conversation ({role, content} messages), the new text only."""

    def complete(self, prompts: list[str], max_new_tokens: int, stop: str | None = "\n") -> list[str]:
        """One continuation per prompt, cut at ``stop``."""

    def close(self) -> None:
        """Drop the weights and free (V)RAM."""


@dataclass(frozen=True)
class ModelShape:
    """What the VRAM estimate needs: weight bytes as loaded (bf16) and the KV cache per token."""

    weight_bytes: float
    layers: int
    kv_heads: int
    head_dim: int
    source: str

    def kv_bytes_per_token(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * 2   # K and V, bf16

    def need_gib(self, prompts: int = BATCH_PROMPTS, tokens: int = PROMPT_TOKENS) -> float:
        return (self.weight_bytes + self.kv_bytes_per_token() * tokens * prompts) / GiB + MARGIN_GIB


# Hub ids whose folder may not be on disk when the workflow plans (the scheduler's vram_gb): the
# text_config figures of the model's config.json and its parameter count from the model card.
DECLARED = {
    # config.json text_config of Mistral Small 3.1 (same architecture, Mistral3ForConditionalGeneration):
    # https://huggingface.co/mistralai/Mistral-Small-3.1-24B-Instruct-2503/blob/main/config.json;
    # "24 billion parameters" (model card). bf16 = 2 bytes per parameter.
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506": ModelShape(24.0e9 * 2, 40, 8, 128, "declared (model card)"),
}


def _text_config(cfg: dict) -> dict:
    return cfg.get("text_config") or cfg


def params_from_config(cfg: dict) -> float:
    """Parameter count of a decoder from its config.json (embeddings, attention, gated MLP)."""
    t = _text_config(cfg)
    hidden, layers, vocab = int(t["hidden_size"]), int(t["num_hidden_layers"]), int(t["vocab_size"])
    heads = int(t.get("num_attention_heads", 32))
    kv = int(t.get("num_key_value_heads") or heads)
    head_dim = int(t.get("head_dim") or hidden // heads)
    inter = int(t.get("intermediate_size", 4 * hidden))
    attn = hidden * heads * head_dim * 2 + hidden * kv * head_dim * 2
    mlp = 3 * hidden * inter
    tied = t.get("tie_word_embeddings", cfg.get("tie_word_embeddings", False))
    return float(vocab * hidden * (1 if tied else 2) + layers * (attn + mlp + 2 * hidden))


def shape_from_folder(folder: Path) -> ModelShape | None:
    """From ``config.json`` (+ the safetensors index's ``total_size`` when present), else None."""
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        return None
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    t = _text_config(cfg)
    heads = int(t.get("num_attention_heads", 32))
    head_dim = int(t.get("head_dim") or int(t["hidden_size"]) // heads)
    kv = int(t.get("num_key_value_heads") or heads)
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        total = json.loads(index.read_text(encoding="utf-8")).get("metadata", {}).get("total_size")
        if total:
            return ModelShape(float(total), int(t["num_hidden_layers"]), kv, head_dim, f"{index.name} total_size")
    return ModelShape(params_from_config(cfg) * 2, int(t["num_hidden_layers"]), kv, head_dim, "config.json parameters")


def translator_vram_gib(ref: str | None) -> float:
    """VRAM (GiB) the translator needs on a GPU; 0 for a GGUF (it runs on CPU here)."""
    if not ref or str(ref).endswith(".gguf"):
        return 0.0
    from ..errors import ModelMissingError
    from ..models import resolve_hf_model

    shape = None
    try:
        shape = shape_from_folder(Path(resolve_hf_model(ref, "translation")))
    except ModelMissingError:
        pass
    shape = shape or DECLARED.get(ref)
    if shape is None:
        log.warning("translation model %s: no config.json on disk and no declaration in altyazi/translate/base.py:"
                    " its VRAM need is unknown (scheduler resource vram_gb=0)", ref)
        return 0.0
    return shape.need_gib()
