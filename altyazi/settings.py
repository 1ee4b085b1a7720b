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


def coerce_config(value: Any, schema: dict, root: dict | None = None) -> Any:
    """Give ``--config`` values the types the schema asks for.

    Snakemake parses a nested override such as ``asr={faster_whisper: {beam_size: 3}}`` with YAML's
    BaseLoader, so every leaf arrives as a string ("3", "true", "null"). Leaves are converted where the
    schema wants an integer, number, boolean or null; anything that does not convert is left as is for
    the schema validation to report.
    """
    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []):
            converted = coerce_config(value, option, root)
            if converted is not value:
                return converted
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {k: coerce_config(v, props.get(k, extra if isinstance(extra, dict) else {}), root)
                for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items", {})
        return [coerce_config(v, items, root) for v in value]
    if not isinstance(value, str):
        return value
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "null" in types and value in ("null", "~", "None"):
        return None
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if "integer" in types:
        try:
            return int(value)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            pass
    return value
