"""A local LLM through transformers: chat models via their chat template, base models (the offline
Gemma GGUF) via completion. Batched generation with left padding; batch size from free VRAM.

Prompts of one batch share a long beginning (the instructions and the few-shot examples: 150 of
the ~180 tokens of an offline prompt). That beginning is run through the model once and its KV
cache kept (:meth:`LLM._with_shared_prefix`); each generate call then lays its rows out as
[shared prefix | left padding | the row's own tokens] and starts from a copy of that cache, so the
prefill covers only what differs. Position ids come from the attention mask, so every row sees the
positions it would see alone (greedy outputs equal, tested).

Which class loads a folder is decided by its ``config.json`` ``architectures``: Mistral Small 3.1/3.2
(``Mistral3ForConditionalGeneration``) needs ``AutoModelForImageTextToText`` and generates from text
alone; Mistral Small 2501 (``MistralForCausalLM``) and every plain causal LM use
``AutoModelForCausalLM``. The tokenizer always comes from ``AutoTokenizer`` (a folder with
``tekken.json`` gives mistral-common's backend; ``PixtralProcessor`` would need torchvision).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import GPUMemoryError, ModelMissingError, TranslationError
from ..gpu import GiB, batch_size_for, cuda_available, is_oom, load_device, release_memory
from ..log import get_logger
from ..models import resolve_hf_model

log = get_logger("translate.llm")
CHAT_PROMPT_TOKENS = 3000   # a chat batch: instructions + glossary + context + 20 lines, generously
# Prompts per generate call on CPU. A decode step of Gemma 3 270M costs ~70 ms whatever the batch
# (reading the 262k x 640 output matrix) plus ~35 ms a prompt (measured, one thread): 11 demo lines
# in one call instead of three of 4 halve the decode time; the shared prefix keeps the prefill small.
CPU_BATCH = 16
PREFIX_MIN_TOKENS = 32      # a shared beginning shorter than this is not worth a cache of its own


def per_prompt_gib(layers: int, kv_heads: int, head_dim: int) -> float:
    """VRAM of one prompt in flight: K and V of every layer in bf16 over a chat prompt and its
    reply, x1.5 for activations."""
    return 2 * layers * kv_heads * head_dim * 2 * (CHAT_PROMPT_TOKENS + 1024) / GiB * 1.5


def architectures(folder: str) -> list[str]:
    cfg = Path(folder) / "config.json"
    if not cfg.is_file():
        return []
    with open(cfg, encoding="utf-8") as fh:
        return list(json.load(fh).get("architectures") or [])


def model_class_for(archs: list[str]):
    """The Auto class that loads these architectures (image-text-to-text for Mistral 3.x)."""
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText

    if any(a.endswith("ForConditionalGeneration") for a in archs):
        return AutoModelForImageTextToText
    return AutoModelForCausalLM


@dataclass(frozen=True)
class _PendingWeights:
    """What :meth:`LLM.load` decided, kept until the weights load (:meth:`LLM._ensure_weights`)."""
    folder: str
    cls: type           # the transformers Auto class (model_class_for)
    load_kwargs: dict   # dtype, gguf_file, device_map
    use_cuda: bool
    dtype: object       # a torch dtype (torch is imported lazily)


class LLM:
    """The transformers :class:`~altyazi.translate.base.Translator`. Load once, then :meth:`chat`
    (list of conversations) or :meth:`complete` (list of prompts).

    ``prompt_style``: "auto" (chat when the tokenizer has a chat template or is mistral-common's),
    "chat" or "base". Counters ``new_tokens`` and ``gen_seconds`` feed the tokens/s summary.
    """

    def __init__(self, model_ref: str, device: str = "auto", temperature: float = 0.0,
                 prompt_style: str = "auto", batch_size: int | None = None, cpu_threads: int | None = 1):
        self.model_ref = model_ref
        self.device = device
        self.temperature = float(temperature)
        self.prompt_style = prompt_style
        self.requested_batch_size = batch_size
        self.cpu_threads = cpu_threads
        self.model = None
        self.tokenizer = None
        self.is_chat = False
        self.batch_size = 1
        self.new_tokens = 0
        self.gen_seconds = 0.0
        self.generate_calls = 0
        self.load_seconds = 0.0
        self.prefix_cache = True          # reuse the KV cache of the prompts' shared beginning
        self.prefix_tokens_saved = 0      # prompt tokens not run again thanks to it
        self._prefix: tuple[tuple[int, ...], object] | None = None  # (token ids, their KV cache)
        self._pending: _PendingWeights | None = None

    # ---- loading -------------------------------------------------------------------------------
    def load(self, weights: bool = True) -> "LLM":
        """Tokenizer and model class now; the weights now, or (``weights=False``) at the first generation."""
        import torch
        from transformers import AutoTokenizer

        t0 = time.perf_counter()
        ref, kwargs = self.model_ref, {}
        if not ref:
            raise ModelMissingError("no translation model configured (profiles.<profile>.models.translator)")
        if ref.endswith(".gguf"):
            path = Path(ref)
            if not path.is_file():
                raise ModelMissingError(f"translation model {ref} not found")
            folder, kwargs["gguf_file"] = str(path.parent), path.name
        else:
            folder = resolve_hf_model(ref, "translation")
        use_cuda = self.device in ("auto", "cuda") and cuda_available()
        if self.device == "cuda" and not use_cuda:
            from ..errors import NoGPUError
            raise NoGPUError("translate.device is cuda but no CUDA GPU is visible")
        dtype = torch.bfloat16 if use_cuda else torch.float32
        archs = [] if "gguf_file" in kwargs else architectures(folder)
        cls = model_class_for(archs)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
        try:
            self.tokenizer.padding_side = "left"
        except (AttributeError, ValueError):  # some backends fix it at init; checked below
            pass
        if getattr(self.tokenizer, "pad_token", "x") is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        has_template = bool(getattr(self.tokenizer, "chat_template", None)) or \
            type(self.tokenizer).__name__ == "MistralCommonBackend"
        self.is_chat = {"chat": True, "base": False}.get(self.prompt_style, has_template)
        if self.is_chat and not has_template:
            raise TranslationError(f"translate.prompt_style is chat but {ref} has no chat template",
                                   hint="Use prompt_style: auto or base for a base model.")
        load_kwargs = dict(dtype=dtype, **kwargs)
        if use_cuda:
            load_kwargs["device_map"] = "cuda"
        self._pending = _PendingWeights(folder, cls, load_kwargs, use_cuda, dtype)
        self.load_seconds = time.perf_counter() - t0
        if weights:
            self._ensure_weights()
        else:
            log.info("translation model %s: tokenizer ready (%s prompts); weights load at the first "
                     "batch not found in the cache", ref, "chat" if self.is_chat else "few-shot completion")
        return self

    def _ensure_weights(self) -> None:
        """Load the weights now unless done: a rerun served wholly from the cache never pays this."""
        if self.model is not None or self._pending is None:
            return
        import torch

        pending = self._pending
        cls, use_cuda, dtype = pending.cls, pending.use_cuda, pending.dtype
        ref = self.model_ref
        t0 = time.perf_counter()
        try:
            self.model = cls.from_pretrained(pending.folder, **pending.load_kwargs).eval()
        except Exception as err:
            if is_oom(err):
                raise GPUMemoryError(f"translation model {ref} does not fit in free VRAM: {err}") from None
            raise
        if not use_cuda and self.cpu_threads:
            # set after loading (GGUF dequantisation likes every core); measured on a busy 2-core
            # machine: 1 thread generated 10x faster than 2 (OpenMP threads spin-wait while other
            # processes hold the cores). Raise it on an idle many-core machine.
            torch.set_num_threads(int(self.cpu_threads))
        self.batch_size = self._pick_batch_size(use_cuda)
        self._pending = None
        self.load_seconds += time.perf_counter() - t0
        log.info("translation model %s loaded on %s in %.1f s (%s via %s, %s prompts, batch size %d)",
                 ref, "cuda" if use_cuda else f"cpu, {torch.get_num_threads()} thread(s)", self.load_seconds, dtype,
                 cls.__name__, "chat" if self.is_chat else "few-shot completion", self.batch_size)

    def planned_batch_size(self) -> int:
        """Prompts per generate call, known before the weights load (the engine sizes its streams
        with it): the loaded model's size once loaded; else the configured value; else CPU_BATCH on CPU;
        else from free VRAM less the weights' size (config.json / safetensors index)."""
        if self.model is not None or self._pending is None:
            return self.batch_size
        use_cuda = self._pending.use_cuda
        if self.requested_batch_size or not use_cuda:
            return self._pick_batch_size(use_cuda)
        from .base import shape_from_folder

        shape = shape_from_folder(Path(self._pending.folder))
        dev = load_device()
        if shape is None or dev is None:
            return 1
        spare = max(0, dev.free_bytes - int(shape.weight_bytes))
        return self._size_from_free(spare, per_prompt_gib(shape.layers, shape.kv_heads, shape.head_dim))

    def _pick_batch_size(self, use_cuda: bool) -> int:
        """Prompts per generate call: the configured value, else from free VRAM after loading
        (KV cache per prompt from the model config), else :data:`CPU_BATCH` on CPU."""
        if self.requested_batch_size:
            return int(self.requested_batch_size)
        if not use_cuda:
            return CPU_BATCH
        dev = load_device()       # the device the weights were loaded on (torch's current one)
        if dev is None:
            return 1
        cfg = self.model.config
        text = getattr(cfg, "text_config", None) or cfg
        layers = getattr(text, "num_hidden_layers", 40)
        kv_heads = getattr(text, "num_key_value_heads", None) or getattr(text, "num_attention_heads", 32)
        head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
        return self._size_from_free(dev.free_bytes, per_prompt_gib(layers, kv_heads, head_dim))

    @staticmethod
    def _size_from_free(free: int, per_item_gib: float) -> int:
        size = batch_size_for(free, 0.0, per_item_gib, margin_gib=2.0, maximum=32)
        log.info("translation batch size %d from %.1f GiB free VRAM (%.2f GiB per prompt)",
                 max(size, 1), free / GiB, per_item_gib)
        return max(size, 1)

    # ---- generation ----------------------------------------------------------------------------
    def chat(self, conversations: list[list[dict]], max_new_tokens: int) -> list[str]:
        """Reply to each conversation (list of {role, content}); returns the new text only."""
        def encode(chunk):
            return self.tokenizer.apply_chat_template(chunk, add_generation_prompt=True, tokenize=True,
                                                      return_dict=True, return_tensors="pt", padding=True)
        return self._batched(conversations, encode, max_new_tokens, stop=None)

    def complete(self, prompts: list[str], max_new_tokens: int, stop: str | None = "\n") -> list[str]:
        """Continue each plain-text prompt, stopping at ``stop``; returns the new text only."""
        def encode(chunk):
            return self.tokenizer(chunk, return_tensors="pt", padding=True)
        return self._batched(prompts, encode, max_new_tokens, stop=stop)

    def _batched(self, items: list, encode, max_new_tokens: int, stop: str | None) -> list[str]:
        """Every item in generate calls of ``batch_size`` prompts; a CUDA OOM halves the size for the
        rest of the stage (:class:`altyazi.gpu.BatchSizer`, shared with the ASR backends)."""
        from ..gpu import BatchSizer

        self._ensure_weights()
        sizer = BatchSizer(self.batch_size, "translation")
        try:
            return sizer.map(items, lambda chunk: self._generate(encode(chunk), max_new_tokens, stop))
        finally:
            self.batch_size = sizer.size
            self.generate_calls += sizer.calls

    def _generate(self, enc, max_new_tokens: int, stop: str | None) -> list[str]:
        import torch

        if self.model is None:
            raise TranslationError("the translation model is not loaded (call load() first)")
        pad_id = self.tokenizer.pad_token_id
        enc, cache = self._with_shared_prefix(enc, max_new_tokens)
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        gen = dict(max_new_tokens=max_new_tokens, pad_token_id=pad_id)
        if cache is not None:
            gen["cache"] = cache
        gen.update(dict(do_sample=True, temperature=self.temperature) if self.temperature > 0
                   else dict(do_sample=False, temperature=None, top_p=None, top_k=None))
        if stop == "\n":
            # every token whose text holds a newline ends its sequence: far cheaper than
            # stop_strings, whose criteria rebuild tables over the vocabulary (262k for Gemma) per call
            gen["eos_token_id"] = self._newline_eos_ids()
        elif stop:
            gen.update(stop_strings=[stop], tokenizer=self.tokenizer)
        t0 = time.perf_counter()
        with torch.inference_mode():
            seq = self.model.generate(**enc, **gen)
        took = time.perf_counter() - t0
        self.gen_seconds += took
        new = seq[:, enc["input_ids"].shape[1]:]
        log.debug("generated %d x %d tokens (prompt %d tokens) in %.1f s", new.shape[0], new.shape[1],
                  enc["input_ids"].shape[1], took)
        if pad_id is not None:
            self.new_tokens += int((new != pad_id).sum())
        else:
            self.new_tokens += int(new.numel())
        return self.tokenizer.batch_decode(new, skip_special_tokens=True)

    def _with_shared_prefix(self, enc: dict, max_new_tokens: int) -> tuple[dict, object | None]:
        """The batch as [shared prefix | left padding | own tokens] with a copy of the prefix's KV
        cache, or (``enc``, None) when there is no prefix worth it: fewer than
        :data:`PREFIX_MIN_TOKENS` in common, one prompt and no stored prefix that fits, inputs other
        than ids and mask, or a sliding-window model whose window the rows would outgrow (the
        window counts cache slots, so padding inside it would hide real tokens). The prefix is
        computed once and kept while later batches start with it."""
        import copy

        import torch

        if not self.prefix_cache or set(enc) != {"input_ids", "attention_mask"} or self.tokenizer.pad_token_id is None:
            return enc, None
        ids, mask = enc["input_ids"], enc["attention_mask"]
        rows = [ids[i][mask[i].bool()].tolist() for i in range(ids.shape[0])]
        if not rows:
            return enc, None
        limit = min(len(r) for r in rows) - 1  # every row keeps at least one token of its own
        stored = self._prefix
        if stored is not None and len(stored[0]) <= limit and all(tuple(r[:len(stored[0])]) == stored[0] for r in rows):
            n, cache = len(stored[0]), stored[1]
        else:
            n, cache = 0, None
            while n < limit and len({r[n] for r in rows}) == 1:
                n += 1
            if len(rows) < 2 or n < PREFIX_MIN_TOKENS:
                return enc, None
        width = max(len(r) for r in rows) - n
        text = getattr(self.model.config, "text_config", None) or self.model.config
        window = getattr(text, "sliding_window", None)
        if window and n + width + max_new_tokens > int(window):
            return enc, None
        saved = n * len(rows)
        if cache is None:
            from transformers import DynamicCache

            cache = DynamicCache(config=self.model.config)
            with torch.inference_mode():
                self.model(input_ids=torch.tensor([rows[0][:n]], device=self.model.device), cache=cache, use_cache=True)
            if cache.get_seq_length() != n:  # a model that does not fill a passed cache: no reuse
                log.warning("translation model %s did not fill the shared-prefix cache (%d of %d tokens); "
                            "generating without it", self.model_ref, cache.get_seq_length(), n)
                self.prefix_cache = False
                return enc, None
            self._prefix = (tuple(rows[0][:n]), cache)
            saved -= n
            log.debug("shared prompt prefix: %d tokens cached", n)
        new_ids = torch.full((len(rows), n + width), self.tokenizer.pad_token_id, dtype=ids.dtype)
        new_mask = torch.zeros((len(rows), n + width), dtype=mask.dtype)
        new_ids[:, :n] = torch.tensor(rows[0][:n], dtype=ids.dtype)  # the same prefix in every row
        new_mask[:, :n] = 1
        for i, r in enumerate(rows):
            own = len(r) - n
            new_ids[i, n + width - own:] = torch.tensor(r[n:], dtype=ids.dtype)
            new_mask[i, n + width - own:] = 1
        copy_ = copy.deepcopy(cache)
        copy_.batch_repeat_interleave(len(rows))
        self.prefix_tokens_saved += saved
        return {"input_ids": new_ids, "attention_mask": new_mask}, copy_

    def _newline_eos_ids(self) -> list[int]:
        """End-of-sequence ids for one-line completions: the model's EOS plus every token that
        decodes to text containing a newline (computed once per model)."""
        if getattr(self, "_nl_ids", None) is None:
            vocab = len(self.tokenizer)
            single = [[i] for i in range(vocab)]
            rust = getattr(self.tokenizer, "_tokenizer", None)
            # the Rust tokenizer's own batch decode: the same texts in 0.3 s instead of 1.9 s (Gemma's 262k)
            texts = rust.decode_batch(single, skip_special_tokens=False) if hasattr(rust, "decode_batch") \
                else self.tokenizer.batch_decode(single, skip_special_tokens=False)
            eos = self.tokenizer.eos_token_id
            ids = [i for i, t in enumerate(texts) if "\n" in t]
            self._nl_ids = ([eos] if eos is not None else []) + ids
            log.debug("one-line completions stop at %d newline tokens", len(ids))
        return self._nl_ids

    def close(self) -> None:
        self.model = None
        self._prefix = None
        release_memory()
