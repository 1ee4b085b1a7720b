"""The real loading and generation code (altyazi.translate.llm) on tiny random models built here,
and (slow) the offline Gemma 3 270M on a few demo lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from altyazi.records import Segment
from altyazi.translate import translate_segments
from altyazi.translate.llm import CPU_BATCH, LLM, architectures

ROOT = Path(__file__).resolve().parent.parent
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")
CORPUS = ["Seher Hanım, Yaman Bey geldi.", "1. Monsieur Yaman est arrivé.", "Kiraz uyumuyor.",
          "Translate these numbered lines: 1. 2. 3.", "SUMMARY: ADDRESS: -> tu vous", "Comment tu vas ?"] * 20


def build_tokenizer(folder: Path, chat: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=["<pad>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    # the prompt files in the corpus keep the prompts short in tokens (fast tests)
    prompts = [p.read_text(encoding="utf-8") for p in (ROOT / "prompts").glob("*.txt")]
    tok.train_from_iterator(CORPUS + prompts * 5, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    if chat:
        fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    return fast


def build_tiny(folder: Path, kind: str) -> Path:
    """kind: "mistral-chat" (MistralForCausalLM + chat template), "llama-base" (no template),
    "mistral3-chat" (Mistral3ForConditionalGeneration, as Mistral Small 3.1/3.2), "gemma3-base"
    (Gemma3ForCausalLM, as the offline Gemma 3 270M: sliding-window and full-attention layers)."""
    import torch
    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        Mistral3Config,
        Mistral3ForConditionalGeneration,
        MistralConfig,
        MistralForCausalLM,
        PixtralVisionConfig,
    )

    torch.manual_seed(0)
    tok = build_tokenizer(folder, chat=kind != "llama-base")
    text = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    if kind == "llama-base":
        model = LlamaForCausalLM(LlamaConfig(**text))
    elif kind == "gemma3-base":
        from transformers import Gemma3ForCausalLM, Gemma3TextConfig

        model = Gemma3ForCausalLM(Gemma3TextConfig(**text, head_dim=8, sliding_window=192,
                                                   layer_types=["sliding_attention", "full_attention"]))
    elif kind == "mistral-chat":
        model = MistralForCausalLM(MistralConfig(**text))
    else:
        vision = PixtralVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                     num_attention_heads=2, image_size=32, patch_size=16)
        model = Mistral3ForConditionalGeneration(Mistral3Config(text_config=MistralConfig(**text).to_dict(),
                                                                vision_config=vision.to_dict(), image_token_index=3))
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    base = tmp_path_factory.mktemp("tiny-llms")
    return {kind: build_tiny(base / kind, kind) for kind in ("mistral-chat", "llama-base", "mistral3-chat", "gemma3-base")}


def demo_lines(n: int) -> list[dict]:
    texts = ["Seher Hanım, Yaman Bey geldi.", "Kiraz uyumuyor.", "Hadi var git.", "Nerede kaldı bu adam?",
             "İki gün mühletiniz var.", "Çekilin yolumuzdan!"]
    return [Segment(i, 2.0 * i, 2.0 * i + 1.5, texts[i % len(texts)]) for i in range(n)]


@pytest.mark.parametrize("kind, cls_name, is_chat", [("mistral-chat", "MistralForCausalLM", True),
                                                     ("llama-base", "LlamaForCausalLM", False),
                                                     ("mistral3-chat", "Mistral3ForConditionalGeneration", True)])
def test_tiny_model_loads_with_the_right_class_and_style(tiny_models, kind, cls_name, is_chat):
    llm = LLM(str(tiny_models[kind])).load()
    assert architectures(str(tiny_models[kind])) == [cls_name]
    assert type(llm.model).__name__ == cls_name and llm.is_chat is is_chat
    assert llm.tokenizer.padding_side == "left" and llm.batch_size == CPU_BATCH  # CPU default
    llm.close()


def test_batched_left_padded_generation_matches_one_by_one(tiny_models):
    llm = LLM(str(tiny_models["llama-base"]), batch_size=3).load()
    prompts = ["Turkish: Kiraz uyumuyor.\nFrench:", "Turkish: Seher Hanım, Yaman Bey geldi. Hadi var git.\nFrench:", "1."]
    batched = llm.complete(prompts, max_new_tokens=8, stop=None)
    single = [llm.complete([p], max_new_tokens=8, stop=None)[0] for p in prompts]
    assert batched == single and llm.new_tokens > 0
    chat = LLM(str(tiny_models["mistral-chat"]), batch_size=2).load()
    convs = [[{"role": "user", "content": "Kiraz uyumuyor."}],
             [{"role": "system", "content": "Translate."}, {"role": "user", "content": "Seher Hanım, Yaman Bey geldi."}]]
    assert chat.chat(convs, 6) == [chat.chat([c], 6)[0] for c in convs]


SHARED_HEAD = ("Turkish TV drama dialogue translated into natural spoken French subtitles.\n\n"
               "Turkish: Seher Hanım, Yaman Bey geldi.\nFrench: Monsieur Yaman est arrivé.\n\n"
               "Turkish: Kiraz uyumuyor.\nFrench: Comment tu vas ?\n\n")


@pytest.mark.parametrize("kind", ["llama-base", "mistral-chat", "mistral3-chat", "gemma3-base"])
def test_the_shared_prefix_cache_changes_no_reply(tiny_models, kind):
    """Prompts that share their beginning (instructions, few-shot examples) reuse its KV cache;
    the replies equal those generated without it, and those of each prompt alone."""
    llm = LLM(str(tiny_models[kind]), batch_size=3).load()
    ends = ["Turkish: Hadi var git.\nFrench:", "Turkish: Nerede kaldı bu adam? Seher Hanım geldi.\nFrench:",
            "Turkish: İki gün.\nFrench:"]
    if llm.is_chat:
        items = [[{"role": "system", "content": SHARED_HEAD}, {"role": "user", "content": e}] for e in ends]
        run = lambda xs: llm.chat(xs, 8)  # noqa: E731
    else:
        items = [SHARED_HEAD + e for e in ends]
        run = lambda xs: llm.complete(xs, max_new_tokens=8, stop=None)  # noqa: E731
    assert len(llm.tokenizer(SHARED_HEAD)["input_ids"]) > 32  # long enough to be cached
    if kind == "gemma3-base":  # within its sliding window (next test: beyond it)
        assert max(len(llm.tokenizer(SHARED_HEAD + e)["input_ids"]) for e in ends) + 8 <= 192
    cached = run(items)
    assert llm._prefix is not None and llm.prefix_tokens_saved > 0
    n = len(llm._prefix[0])
    saved = llm.prefix_tokens_saved
    assert run(items[:2]) == cached[:2] and llm.prefix_tokens_saved == saved + 2 * n  # the stored prefix again
    llm.prefix_cache = False
    assert run(items) == cached
    assert [run([x])[0] for x in items] == cached
    assert llm.prefix_tokens_saved == saved + 2 * n
    llm.close()


def test_no_prefix_cache_where_the_rows_would_outgrow_a_sliding_window(tiny_models):
    """Gemma's sliding window counts cache slots: padding between prefix and suffix would push real
    tokens out of it, so rows longer than the window (192 here) are generated without the prefix."""
    llm = LLM(str(tiny_models["gemma3-base"]), batch_size=3).load()
    items = [SHARED_HEAD * 5 + "Turkish: Hadi var git.\nFrench:", SHARED_HEAD * 5 + "Turkish: İki gün.\nFrench:"]
    assert len(llm.tokenizer(items[0])["input_ids"]) > 192
    out = llm.complete(items, max_new_tokens=8, stop=None)
    assert llm._prefix is None and llm.prefix_tokens_saved == 0
    assert out == [llm.complete([x], max_new_tokens=8, stop=None)[0] for x in items]


def test_no_prefix_cache_for_a_short_common_beginning(tiny_models):
    llm = LLM(str(tiny_models["llama-base"]), batch_size=3).load()
    out = llm.complete(["Kiraz uyumuyor.", "Kiraz geldi."], max_new_tokens=4, stop=None)
    assert llm._prefix is None and llm.prefix_tokens_saved == 0 and len(out) == 2


def test_newline_stop_ids_from_the_rust_decoder_equal_the_slow_decode(tiny_models):
    llm = LLM(str(tiny_models["llama-base"])).load()
    texts = llm.tokenizer.batch_decode([[i] for i in range(len(llm.tokenizer))], skip_special_tokens=False)
    slow = [llm.tokenizer.eos_token_id] + [i for i, t in enumerate(texts) if "\n" in t]
    assert llm._newline_eos_ids() == slow and len(slow) > 1


@pytest.mark.parametrize("kind", ["mistral-chat", "llama-base", "mistral3-chat"])
def test_random_model_through_translate_segments_keeps_every_line(tiny_models, kind, tmp_path, monkeypatch):
    """Random weights answer garbage: the guarantee must still give one line per id (French or
    flagged Turkish) with ids and times copied, and a rerun must come entirely from the cache."""
    segs = demo_lines(5)
    settings = {"model": str(tiny_models[kind]), "batch_lines": 3, "context_lines": 2, "lookahead_lines": 1,
                "retries": 1, "max_new_tokens": 12, "glossary": None,
                "memory": str(tmp_path / "mem.json"), "episode": "t", "cache_dir": str(tmp_path / "cache"),
                "streams": 2}
    out, summary = translate_segments(segs, settings)
    assert [(s.id, s.start, s.end, s.text) for s in out] == \
        [(s.id, s.start, s.end, s.text) for s in segs]
    assert summary["translated"] + summary["untranslated"] == 5 and summary["generated_batches"] == 2
    assert all(s.translation == s.text for s in out if "untranslated" in s.flags)
    assert summary["kind"] == ("base" if kind == "llama-base" else "chat") and summary["new_tokens"] > 0
    loads = []
    real_ensure = LLM._ensure_weights

    def counting(self):
        if self.model is None:
            loads.append(self.model_ref)
        real_ensure(self)

    monkeypatch.setattr(LLM, "_ensure_weights", counting)
    out2, summary2 = translate_segments(segs, settings)
    assert out2 == out and summary2["cached_batches"] == 2 and summary2["new_tokens"] == 0
    assert loads == [], "a rerun served from the cache must not load the weights"


# ---- the real offline Gemma 3 270M (slow: ~45 s to load, ~20 tokens/s on 2 cores) ----------------
@pytest.fixture(scope="module")
def gemma(offline_models):
    llm = LLM(str(offline_models["translator"])).load()
    yield llm
    llm.close()


@pytest.mark.slow
def test_gemma_demo_lines_come_out_french_with_names(gemma, tmp_path):
    import langid

    langid.set_languages(["fr", "tr", "en", "de", "es", "it"])
    # none of these is a few-shot example of the prompt (a copied shot would prove nothing)
    segs = [Segment(0, 0.0, 2.0, "Seher, Kiraz nerede?"), Segment(1, 2.5, 4.0, "Yaman Bey eve geldi mi?"),
            Segment(2, 5.0, 7.0, "Adalet Hanım seni çağırıyor."), Segment(3, 7.5, 9.0, "Hadi, eve gidelim.")]
    settings = {"model": gemma.model_ref, "batch_lines": 4, "retries": 1, "glossary": str(ROOT / "glossary.tsv"),
                "memory": None, "episode": "gemma", "cache_dir": str(tmp_path / "cache")}
    out, summary = translate_segments(segs, settings, llm=gemma)
    print(json.dumps([(s.text, s.translation, s.flags) for s in out], ensure_ascii=False), summary)
    assert [s.id for s in out] == [0, 1, 2, 3] and summary["kind"] == "base"
    french = [s.translation for s in out if "untranslated" not in s.flags]
    assert len(french) >= 3
    assert langid.classify(" ".join(french))[0] == "fr"
    names = {0: ["Seher", "Kiraz"], 1: ["Yaman"], 2: ["Adalet"]}
    kept = [n for i, ns in names.items() for n in ns if n in out[i].translation]
    for i, ns in names.items():   # a lost name is never silent: it is flagged
        assert all(n in out[i].translation or f"name_missing:{n}" in out[i].flags for n in ns)
    assert len(kept) >= 3, out
