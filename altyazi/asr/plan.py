"""Before loading anything: which links of the ASR chain can run here, on which device, with which
batch size, and why the others are skipped (free VRAM from NVML against each model's estimated need).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import gpu
from ..errors import ConfigError, NoGPUError
from ..log import get_logger
from .costs import COSTS, GPU_ONLY

log = get_logger("asr")
BACKENDS = ("voxtral-small", "voxtral-mini", "faster-whisper")


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
    opts = settings.faster_whisper if name == "faster-whisper" else settings.voxtral
    value = opts.get("batch_size")
    return int(value) if value else None


def plan_chain(settings) -> list[LinkPlan]:
    """One LinkPlan per chain link, in order. Reads free VRAM once (``gpu.query_devices``).

    - device ``cpu``: every link runs on CPU (Voxtral too: slow, but the user asked for it);
    - device ``auto`` without a usable GPU: say so once, skip the GPU-only Voxtral links;
    - with a GPU: a link whose need at batch 1 exceeds the free VRAM of the emptiest GPU is skipped,
      both figures in the reason; otherwise its batch size comes from config or from free VRAM.
    """
    for name in settings.chain:
        if name not in BACKENDS:
            raise ConfigError(f"unknown ASR backend {name!r} in the chain; choose from {', '.join(BACKENDS)}")
    device = settings.device
    dev = None
    if device != "cpu":
        devices = gpu.query_devices()
        dev = max(devices, key=lambda d: d.free_bytes) if devices and gpu.cuda_available() else None
        if dev is None and device == "cuda":
            raise NoGPUError("asr.device is 'cuda' but no CUDA GPU is visible")
    max_batch = int(settings.voxtral.get("max_batch_size", 32))
    plans: list[LinkPlan] = []
    for name in settings.chain:
        cost = COSTS[name]
        fixed = configured_batch(name, settings)
        if dev is None:
            if name in GPU_ONLY and device != "cpu":
                plans.append(LinkPlan(name, False, "cpu", 0, "no GPU (a Voxtral model on CPU would take hours "
                                      "per episode; set asr.device: cpu to force it)"))
            else:
                plans.append(LinkPlan(name, True, "cpu", fixed or (8 if name == "faster-whisper" else 1)))
            continue
        need, free = cost.need_gib(1), dev.free_gib
        if need > free:
            plans.append(LinkPlan(name, False, "cuda", 0, f"{need:.1f} GiB needed, {free:.1f} GiB free on GPU{dev.index} "
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
