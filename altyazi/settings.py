"""Turn config.yaml (+ --config overrides) into the plain settings each stage receives as params.

Each stage sees only its own settings, so Snakemake's params trigger reruns exactly the stages
whose settings changed (a translation setting reruns translate and subtitles, nothing else).
"""

from __future__ import annotations

import os
from typing import Any

ASR_MODEL_ROLES = ("voxtral-small", "voxtral-mini", "faster-whisper", "aligner")


def profile(config: dict) -> dict:
    return config["profiles"][config["profile"]]


def resolve_path(ref: str | None, base_dir: str | None) -> str | None:
    """A relative path that exists under the workflow folder (``models/...``, ``glossary.tsv``) is made
    absolute there, so a run in another working directory (``snakemake -d``) finds the same files.
    Hub ids (``org/name``) and size names (``large-v3``) are returned unchanged."""
    if not ref or not base_dir or os.path.isabs(ref) or os.path.exists(ref):
        return ref
    candidate = os.path.join(base_dir, ref)
    return candidate if os.path.exists(candidate) else ref


def asr_settings(config: dict, base_dir: str | None = None) -> dict[str, Any]:
    prof = profile(config)
    asr = dict(config.get("asr", {}))
    chain = asr.pop("chain", None) or prof["asr_chain"]
    models = {role: resolve_path(prof["models"].get(role), base_dir) for role in ASR_MODEL_ROLES}
    return {"chain": list(chain), "models": models, **asr}


def translate_settings(config: dict, base_dir: str | None = None) -> dict[str, Any]:
    prof = profile(config)
    settings = {"model": resolve_path(prof["models"]["translator"], base_dir), **config.get("translate", {})}
    for key in ("glossary",):
        if settings.get(key):
            settings[key] = resolve_path(settings[key], base_dir)
    return settings


def asr_vram_gb(config: dict) -> int:
    """The VRAM the first GPU link of the chain needs (for schedulers), 0 for CPU-only chains."""
    from .asr.costs import VRAM_GB

    return max((VRAM_GB.get(name, 0) for name in asr_settings(config)["chain"][:1]), default=0)


def translate_vram_gb(config: dict) -> int:
    """Rough bf16 VRAM of the translator (weights + KV cache) for schedulers; 0 for local GGUF/CPU."""
    ref = str(profile(config)["models"]["translator"]).lower()
    if ref.endswith(".gguf"):
        return 0
    return 56 if "24b" in ref else 16
