"""`altyazi doctor`: the first command on a new machine. One table of what the configured profile
needs and what this machine has; every line that is not OK says what to do; exit 0 when the profile
can run. Nothing is loaded onto the GPU and nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "FAIL"
REQUIRED = {"ffmpeg", "torch", "transformers", "snakemake"}   # a FAIL here stops every profile
PACKAGES = ("torch", "transformers", "ctranslate2", "faster-whisper", "snakemake", "mistral-common", "silero-vad")


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def check_packages() -> list[Check]:
    out = [Check("python", OK, platform.python_version())]
    for pkg in PACKAGES:
        v = _version(pkg)
        out.append(Check(pkg, OK if v else FAIL, v or "not installed", "" if v else "Run `make setup`."))
    return out


def check_gpu() -> tuple[list[Check], object]:
    from . import gpu

    cvd = os.environ.get("CUDA_VISIBLE_DEVICES")
    dev = gpu.load_device()
    if dev is None:
        return [Check("GPU", WARN, f"no CUDA GPU visible to torch (CUDA_VISIBLE_DEVICES={cvd!r})",
                      "The offline profile runs on CPU; production needs a CUDA GPU.")], None
    import torch

    n = torch.cuda.device_count() if not os.environ.get(gpu.FAKE_GPU_ENV) else "simulated"
    rows = [Check("GPU", OK, f"{n} visible to torch (CUDA_VISIBLE_DEVICES={cvd!r}); models load on cuda:{dev.index} "
                             f"{dev.name}: {dev.free_gib:.1f} of {dev.total_gib:.1f} GiB free")]
    problem = gpu.ctranslate2_cuda_problem()
    rows.append(Check("CTranslate2 CUDA", WARN if problem else OK, problem or "libcublas.so.12 loads",
                      "faster-whisper will run on CPU (slower) until this is fixed." if problem else ""))
    return rows, dev


def check_tools(results: str) -> list[Check]:
    rows = [Check("ffmpeg", OK if shutil.which("ffmpeg") else FAIL, shutil.which("ffmpeg") or "not on PATH",
                  "" if shutil.which("ffmpeg") else "Run `make setup-system` (or install ffmpeg).")]
    from huggingface_hub import constants

    for label, path, need in (("disk (results)", results, 5), ("disk (HF cache)", constants.HF_HUB_CACHE, 0)):
        p = Path(path)
        while not p.exists() and p != p.parent:
            p = p.parent
        free = shutil.disk_usage(p).free / 1e9
        bad = free < need
        rows.append(Check(label, WARN if bad else OK, f"{free:.0f} GB free at {p}",
                          f"Free at least {need} GB there." if bad else ""))
    return rows


def model_files(ref: str, role: str) -> tuple[bool, str, Path | None]:
    """Whether ``ref``'s files are complete on disk: the files its loader reads, and every shard the
    repo's own ``model.safetensors.index.json`` lists."""
    from .errors import ModelMissingError
    from .models import resolve_hf_model

    try:
        folder = Path(resolve_hf_model(ref, role))
    except ModelMissingError as err:
        return False, str(err).splitlines()[0], None
    if folder.is_file():  # a GGUF
        return True, f"{folder.name} ({folder.stat().st_size / 1e9:.2f} GB)", folder
    if (folder / "model.bin").is_file():  # CTranslate2
        missing = [n for n in ("model.bin", "config.json", "tokenizer.json") if not (folder / n).is_file()]
    else:
        missing = [n for n in ("config.json",) if not (folder / n).is_file()]
        index = folder / "model.safetensors.index.json"
        if index.is_file():
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            missing += [s for s in shards if not (folder / s).is_file()]
        elif not any((folder / n).is_file() for n in ("model.safetensors", "pytorch_model.bin")):
            missing.append("model.safetensors or pytorch_model.bin")
    if missing:
        return False, f"{folder}: missing {', '.join(missing[:4])}", folder
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e9
    return True, f"complete ({size:.2f} GB)", folder


def check_models(config: dict, dev) -> tuple[list[Check], dict[str, bool]]:
    from .asr import registry
    from .asr.costs import ALIGNER_COST
    from .settings import profile, resolve_path
    from .translate.base import translator_vram_gib

    prof, rows, present = profile(config), [], {}
    base = os.getcwd()
    for role, ref in prof["models"].items():
        if not ref:
            continue
        ref = resolve_path(ref, base)
        if role == "faster-whisper" and "/" not in ref and not os.path.exists(ref):
            ref = f"Systran/faster-whisper-{ref}"   # how faster-whisper resolves a size name
        ok, detail, _ = model_files(ref, role)
        present[role] = ok
        if role in registry.BACKENDS:
            need = registry.get(role).cost.need_gib(1)
        elif role == "aligner":
            need = ALIGNER_COST.need_gib(1)
        else:
            need = translator_vram_gib(ref) if ok or not str(ref).endswith(".gguf") else 0.0
        fits = ""
        if dev is not None and need:
            fits = f"; needs ~{need:.0f} GiB, {dev.free_gib:.0f} GiB free" + (" (does NOT fit)" if need > dev.free_gib else "")
        rows.append(Check(f"model {role}", OK if ok else FAIL, f"{ref}: {detail}{fits}",
                          "" if ok else "Run `make setup-models` (production) or `make setup` (offline)."))
    return rows, present


def check_chain(config: dict, present: dict[str, bool]) -> tuple[Check, bool]:
    from .asr import ASRSettings, plan_chain
    from .settings import asr_settings

    asr = asr_settings(config)
    plans = plan_chain(ASRSettings(**asr))
    runs = [p.name for p in plans if p.usable and present.get(p.name)]
    skipped = [f"{p.name} ({p.reason or 'model missing'})" for p in plans if p.name not in runs]
    detail = f"{' > '.join(runs) or 'nothing'}" + (f"; skipped: {', '.join(skipped)}" if skipped else "")
    if asr.get("chain_note"):
        detail += f"; {asr['chain_note']}"
    return Check("ASR chain that will run", OK if runs else FAIL, detail,
                 "" if runs else "No ASR link can run: fix the lines above."), bool(runs)


def doctor(config: dict) -> tuple[list[Check], bool]:
    rows = check_packages()
    gpu_rows, dev = check_gpu()
    rows += gpu_rows + check_tools(config.get("results", "results"))
    model_rows, present = check_models(config, dev)
    rows += model_rows
    chain, chain_ok = check_chain(config, present)
    rows.append(chain)
    translator_ok = present.get("translator", False)
    ok = chain_ok and translator_ok and all(r.status != FAIL for r in rows if r.name in REQUIRED)
    verdict = (f"profile {config['profile']} can run" if ok else f"profile {config['profile']} cannot run yet")
    if dev is None and config["profile"] != "offline":
        verdict += "; no GPU here: `altyazi run --profile offline` (CPU) will run" if _offline_ready(config) else ""
    rows.append(Check("verdict", OK if ok else FAIL, verdict, "" if ok else "Fix the FAIL lines, then rerun `make doctor`."))
    return rows, ok


def _offline_ready(config: dict) -> bool:
    off = config.get("profiles", {}).get("offline")
    return bool(off) and all(model_files(ref, role)[0] for role, ref in off["models"].items() if ref)


def format_table(rows: list[Check]) -> str:
    width = max(len(r.name) for r in rows)
    lines = []
    for r in rows:
        lines.append(f"{r.status:<4}  {r.name:<{width}}  {r.detail}")
        if r.fix:
            lines.append(f"{'':<4}  {'':<{width}}  -> {r.fix}")
    return "\n".join(lines)
