"""GPU helper: free/total VRAM (pynvml), batch sizes from free VRAM, forced release, usage logging.

Without a GPU or NVML every call degrades to a clear "no GPU" answer, logged once per process.
Tests inject numbers at the boundary by monkeypatching :func:`query_devices`.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

from .log import get_logger

log = get_logger("gpu")
GiB = 1024 ** 3
_no_gpu_logged = False


@dataclass(frozen=True)
class DeviceMemory:
    index: int
    name: str
    total_bytes: int
    free_bytes: int

    @property
    def free_gib(self) -> float:
        return self.free_bytes / GiB

    @property
    def total_gib(self) -> float:
        return self.total_bytes / GiB


def _log_no_gpu(reason: str) -> None:
    global _no_gpu_logged
    if not _no_gpu_logged:
        _no_gpu_logged = True
        log.warning("no GPU: %s; GPU models are skipped and CPU-capable ones run on CPU", reason)


def query_devices() -> list[DeviceMemory]:
    """Every NVIDIA device NVML sees, with its memory; [] when there is no GPU or no NVML."""
    try:
        import pynvml
    except ImportError:
        _log_no_gpu("nvidia-ml-py (pynvml) is not installed")
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as err:
        _log_no_gpu(f"NVML unavailable ({err})")
        return []
    try:
        devices = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            devices.append(DeviceMemory(i, name.decode() if isinstance(name, bytes) else name,
                                        int(mem.total), int(mem.free)))
        if not devices:
            _log_no_gpu("NVML found no device")
        return devices
    finally:
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError:
            pass


def cuda_available() -> bool:
    """True when torch can use CUDA (and NVML sees a device)."""
    try:
        import torch
    except ImportError:
        return False
    if not torch.cuda.is_available():
        _log_no_gpu("torch sees no CUDA device")
        return False
    return True


def best_device() -> DeviceMemory | None:
    devices = query_devices()
    return max(devices, key=lambda d: d.free_bytes) if devices else None


def batch_size_for(free_bytes: int, weights_gib: float, per_item_gib: float, *, margin_gib: float = 1.5,
                   minimum: int = 1, maximum: int = 64) -> int:
    """How many items fit beside the weights in ``free_bytes`` (0 when even the weights don't fit)."""
    spare = free_bytes / GiB - weights_gib - margin_gib
    if spare < per_item_gib * minimum:
        return 0
    return int(max(minimum, min(maximum, spare // per_item_gib)))


def release_memory() -> None:
    """Collect garbage and return cached CUDA blocks to the driver (after deleting a model)."""
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
    except ImportError:
        pass


def is_oom(err: BaseException) -> bool:
    """True for a CUDA out-of-memory error, whatever library raised it."""
    try:
        import torch

        if isinstance(err, torch.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    text = str(err).lower()
    return "out of memory" in text or "cuda_error_out_of_memory" in text


class VramSampler:
    """Background thread sampling used VRAM every ``interval`` s; ``peak_gib`` after ``stop()``."""

    def __init__(self, interval: float = 5.0, log_samples: bool = False):
        self.interval = interval
        self.log_samples = log_samples
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            for dev in query_devices():
                used = dev.total_bytes - dev.free_bytes
                self.peak_bytes = max(self.peak_bytes, used)
                if self.log_samples:
                    log.debug("GPU%d %s: %.1f / %.1f GiB used", dev.index, dev.name, used / GiB, dev.total_gib)
            self._stop.wait(self.interval)

    def __enter__(self) -> "VramSampler":
        if query_devices():
            self._thread = threading.Thread(target=self._run, name="vram-sampler", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2 * self.interval)

    @property
    def peak_gib(self) -> float | None:
        return self.peak_bytes / GiB if self._thread else None
