"""The one declaration of every ASR backend: its name, how to build it, its VRAM cost, whether it
gives word times, and which model of the profile it needs.

Everything that lists backends reads :data:`BACKENDS`: the config schema's chain enum
(:func:`altyazi.settings.config_schema`), the CLI's ``--asr`` choices, the model roles a profile
may name (:data:`altyazi.settings.ASR_MODEL_ROLES`), the planner (:mod:`.plan`) and
:func:`altyazi.asr.make_backend`. Adding a backend is one :func:`register` call (a test does it with
a toy backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..errors import ConfigError
from .costs import ModelCost

if TYPE_CHECKING:  # pragma: no cover
    from .base import ASRBackend


@dataclass(frozen=True)
class BackendSpec:
    """How the chain builds and sizes one backend.

    ``factory(model_ref, plan, settings)`` returns an unloaded :class:`~.base.ASRBackend`;
    ``model_role`` is the key of ``profiles.<p>.models`` holding its model; ``options`` the key of
    the ``asr`` block with its own options (batch_size, ...); ``gpu_only``: never planned on CPU
    unless asr.device is cpu (a 24 B model on CPU takes hours per episode)."""

    name: str
    factory: Callable[..., "ASRBackend"]
    cost: ModelCost
    gives_word_times: bool
    model_role: str
    options: str
    gpu_only: bool = False
    cpu_batch: int = 1          # batch size on CPU when config does not fix one

    def vram_gb(self) -> int:
        """Whole GiB at batch 1 (the scheduler resource ``vram_gb``)."""
        return int(self.cost.need_gib(1) + 0.999)


BACKENDS: dict[str, BackendSpec] = {}


def register(spec: BackendSpec) -> BackendSpec:
    BACKENDS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    BACKENDS.pop(name, None)


def names() -> list[str]:
    return list(BACKENDS)


def get(name: str) -> BackendSpec:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigError(f"unknown ASR backend {name!r}; choose from {', '.join(BACKENDS)}") from None


def _faster_whisper(ref: str, plan, settings):
    from .whisper import FasterWhisperBackend

    fw = settings.faster_whisper
    return FasterWhisperBackend(ref, language=settings.language, device=plan.device,
                                compute_type=fw.get("compute_type", "auto"), beam_size=int(fw.get("beam_size", 5)),
                                batch_size=plan.batch_size, cpu_threads=int(fw.get("cpu_threads", 0)),
                                mode=fw.get("mode", "packed"), pack_seconds=float(fw.get("pack_seconds", 28.0)),
                                timestamp_tokens=fw.get("timestamp_tokens", "on_failure"), quality_gate=settings.quality_gate)


def _voxtral(ref: str, plan, settings):
    from .voxtral import VoxtralBackend

    vx = settings.voxtral
    return VoxtralBackend(ref, name=plan.name, language=settings.language, device=plan.device,
                          batch_size=plan.batch_size, max_new_tokens=int(vx.get("max_new_tokens", 256)),
                          pack_seconds=float(vx.get("pack_seconds", 30.0)),
                          aligner_ref=settings.models.get("aligner") if settings.align else None,
                          quality_gate=settings.quality_gate)


# Weights: parameter count x 2 bytes (bf16; CTranslate2 float16). Per piece: activations + KV cache
# of one <= 30 s piece (375 audio tokens + up to 256 new tokens), rounded up. Estimates until a GPU
# run's peak (VramSampler, `altyazi calibrate`) replaces them.
register(BackendSpec("voxtral-small", _voxtral, ModelCost(weights_gib=45.3, per_piece_gib=0.5),  # 24.3 B
                     gives_word_times=False, model_role="voxtral-small", options="voxtral", gpu_only=True))
register(BackendSpec("voxtral-mini", _voxtral, ModelCost(weights_gib=8.8, per_piece_gib=0.25),   # 4.7 B
                     gives_word_times=False, model_role="voxtral-mini", options="voxtral", gpu_only=True))
register(BackendSpec("faster-whisper", _faster_whisper, ModelCost(weights_gib=3.1, per_piece_gib=0.15),  # large-v3
                     gives_word_times=True, model_role="faster-whisper", options="faster_whisper", cpu_batch=8))
