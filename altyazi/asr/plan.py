"""Before loading anything: which links of the ASR chain can run here, on which device, with which
batch size, and why the others are skipped (free VRAM of the device torch will load on, against each
model's declared need in :mod:`.registry`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import gpu
from ..errors import ConfigError, NoGPUError
from ..log import get_logger
from . import registry

log = get_logger("asr")


@dataclass
class LinkPlan:
    name: str
    usable: bool
    device: str                 # cuda | cpu
    batch_size: int
    reason: str | None = None   # why the link is skipped
    need_gib: float | None = None
    free_gib: float | None = None
    gpu_name: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("need_gib", "free_gib"):
            if d[k] is not None:
                d[k] = round(d[k], 1)
        return d


def configured_batch(name: str, settings) -> int | None:
    """The batch size config.yaml fixes for ``name`` (None: choose from free VRAM)."""
    opts = getattr(settings, registry.get(name).options, None) or {}
    value = opts.get("batch_size")
    return int(value) if value else None


def plan_chain(settings) -> list[LinkPlan]:
    """One LinkPlan per chain link, in order. Reads free VRAM once (``gpu.load_device``).

    - device ``cpu``: every link runs on CPU (Voxtral too: slow, but the user asked for it);
    - device ``auto`` without a usable GPU: say so once, skip the GPU-only Voxtral links;
    - with a GPU: a link whose need at batch 1 exceeds the free VRAM of the device the models load
      on (torch's current device) is skipped, both figures in the reason; otherwise its batch size
      comes from config or from free VRAM.
    """
    for name in settings.chain:
        if name not in registry.BACKENDS:
            raise ConfigError(f"unknown ASR backend {name!r} in the chain; choose from {', '.join(registry.names())}")
    device = settings.device
    dev = None
    if device != "cpu":
        dev = gpu.load_device()
        if dev is None and device == "cuda":
            raise NoGPUError("asr.device is 'cuda' but no CUDA GPU is visible")
    max_batch = int(settings.voxtral.get("max_batch_size", 32))
    plans: list[LinkPlan] = []
    for name in settings.chain:
        spec = registry.get(name)
        cost = spec.cost
        fixed = configured_batch(name, settings)
        if dev is None:
            if spec.gpu_only and device != "cpu":
                plans.append(LinkPlan(name, False, "cpu", 0, "no GPU (this model on CPU would take hours "
                                      "per episode; set asr.device: cpu to force it)"))
            else:
                plans.append(LinkPlan(name, True, "cpu", fixed or spec.cpu_batch))
            continue
        need, free = cost.need_gib(1), dev.free_gib
        if need > free:
            plans.append(LinkPlan(name, False, "cuda", 0, f"{need:.1f} GiB needed, {free:.1f} GiB free on cuda:{dev.index} "
                                  f"({dev.name})", need, free, dev.name))
            continue
        batch = fixed or gpu.batch_size_for(dev.free_bytes, cost.weights_gib, cost.per_piece_gib,
                                            margin_gib=cost.margin_gib, maximum=max_batch)
        plans.append(LinkPlan(name, True, "cuda", max(1, batch), None, need, free, dev.name))
    log_plan(plans, no_gpu=dev is None and device != "cpu")
    return plans


def log_plan(plans: list[LinkPlan], no_gpu: bool) -> None:
    skipped = [p for p in plans if not p.usable]
    if no_gpu:  # altyazi.gpu has already said "no GPU" (once per process): name the consequence once
        if skipped:
            log.warning("ASR chain without GPU: skipping %s (GPU only); going straight to %s on CPU",
                        ", ".join(p.name for p in skipped), ", ".join(p.name for p in plans if p.usable) or "nothing")
    else:
        for p in skipped:
            log.warning("ASR link %s skipped: %s", p.name, p.reason)
    for p in plans:
        if p.usable:
            extra = f", needs ~{p.need_gib:.1f} GiB of {p.free_gib:.1f} GiB free" if p.need_gib is not None else ""
            log.info("ASR link %s: %s, batch %d%s", p.name, p.device, p.batch_size, extra)
