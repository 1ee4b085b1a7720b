"""Turn config.yaml (+ --config overrides) into the plain settings each stage receives as params.

Each stage sees only its own settings, so Snakemake's params trigger reruns exactly the stages
whose settings changed (a translation setting reruns translate and subtitles, nothing else).
"""

from __future__ import annotations

import os
from typing import Any


def asr_model_roles() -> list[str]:
    """The models the ASR stage may need: each registered backend's role, then the aligner."""
    from .asr import registry

    roles = [spec.model_role for spec in registry.BACKENDS.values()]
    return list(dict.fromkeys(roles)) + ["aligner"]


def config_schema() -> dict:
    """schemas/config.schema.yaml with the chain enum filled from the backend registry."""
    from .asr import registry
    from .config_check import load_yaml_file
    from .resources import resource

    schema = load_yaml_file(resource("schemas", "config.schema.yaml"))
    schema["$defs"]["chain"]["items"]["enum"] = registry.names()
    return schema


def validate_config(config: dict, schema: dict | None = None) -> None:
    """Validate ``config`` against :func:`config_schema` (or ``schema``, the same already loaded):
    a :class:`ConfigError` naming every bad key with the closest valid one or the allowed values."""
    from .config_check import check_config

    check_config(config, schema if schema is not None else config_schema())


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
    """The ASR stage's settings; ``chain: auto`` is resolved here (from the calibration file), so the
    stage reruns when a new calibration changes the order."""
    prof = profile(config)
    asr = dict(config.get("asr", {}))
    chain = asr.pop("chain", None) or prof["asr_chain"]
    calibration = asr.pop("calibration", None) or {}
    note = None
    if chain == "auto":
        from .asr.calibration import auto_chain

        path = resolve_path(calibration.get("file", "calibration.json"), base_dir) or "calibration.json"
        auto = auto_chain(list(prof["asr_chain"]), path, float(calibration.get("max_wer", 0.5)))
        chain, note = auto.chain, auto.note + "".join(f"; dropped {n}: {why}" for n, why in auto.dropped.items())
    models = {role: resolve_path(prof["models"].get(role), base_dir) for role in asr_model_roles()}
    return {"chain": list(chain), "models": models, "chain_note": note, **asr}


BUDGET_RULES = ("fps", "max_cps", "min_duration_s", "max_duration_s", "min_gap_frames")


def translate_settings(config: dict, base_dir: str | None = None) -> dict[str, Any]:
    prof = profile(config)
    settings = {"model": resolve_path(prof["models"]["translator"], base_dir), **config.get("translate", {})}
    if settings.get("glossary"):
        settings["glossary"] = resolve_path(settings["glossary"], base_dir)
    # the subtitle rules that decide each line's character budget (altyazi/translate/budget.py):
    # only these, so that e.g. subtitles.formats does not rerun the translation
    subs = config.get("subtitles") or {}
    settings["subtitle_rules"] = {k: subs[k] for k in BUDGET_RULES if k in subs}
    return settings


def asr_vram_gb(config: dict) -> int:
    """The VRAM the first link of the chain needs (for schedulers), from the backend registry."""
    from .asr import registry

    chain = asr_settings(config)["chain"][:1]
    return max((registry.get(name).vram_gb() for name in chain), default=0)


def translate_vram_gb(config: dict, base_dir: str | None = None) -> int:
    """The translator's VRAM (weights + KV cache, GiB) for schedulers, from its declaration or its
    config.json (:func:`altyazi.translate.base.translator_vram_gib`); 0 for a local GGUF (CPU)."""
    from .translate.base import translator_vram_gib

    ref = resolve_path(profile(config)["models"]["translator"], base_dir)
    need = translator_vram_gib(ref) if ref else 0.0
    return int(need + 0.999)


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
