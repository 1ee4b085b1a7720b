"""GPU helper: free/total VRAM, batch sizes from free VRAM, forced release, usage logging.

Two sources, on purpose: fit and batch decisions read :func:`load_device`, i.e. torch's
``cuda.mem_get_info()`` on the device the models will load on (torch's current device, which
honours ``CUDA_VISIBLE_DEVICES`` and MIG slices); NVML (:func:`query_devices`) sees every physical
card whatever ``CUDA_VISIBLE_DEVICES`` says, so it only feeds the usage sampler and ``altyazi doctor``.
Without a GPU every call degrades to a clear "no GPU" answer, logged once per process.

Simulation (tests, and trying batch sizes on a machine without the card): when the environment
variable ``ALTYAZI_FAKE_GPU`` holds JSON such as ``{"free_gib": 8, "total_gib": 24}`` (or a list
of such objects, optional ``"name"``), :func:`query_devices` reports those devices instead of asking
NVML, and says so once in the log. It is never set by the project; unset, NVML is the only source.
It changes what the helpers *report*, not what torch can use (:func:`cuda_available` is unaffected).
:func:`load_device` applies ``CUDA_VISIBLE_DEVICES`` to the simulated cards the way the CUDA runtime
does (:func:`visible_devices`).
"""

from __future__ import annotations

import gc
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from .errors import ConfigError, GPUMemoryError
from .log import get_logger

log = get_logger("gpu")
GiB = 1024 ** 3
FAKE_GPU_ENV = "ALTYAZI_FAKE_GPU"
_no_gpu_logged = False
_fake_logged = False


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


def fake_devices(spec: str) -> list[DeviceMemory]:
    """Parse an ``ALTYAZI_FAKE_GPU`` value (JSON object or list of objects with free_gib/total_gib)."""
    try:
        data = json.loads(spec)
        items = data if isinstance(data, list) else [data]
        devices = []
        for i, item in enumerate(items):
            total, free = float(item["total_gib"]), float(item["free_gib"])
            if not 0 <= free <= total:
                raise ValueError(f"free_gib {free} must be between 0 and total_gib {total}")
            devices.append(DeviceMemory(i, str(item.get("name", f"simulated GPU {i}")),
                                        int(total * GiB), int(free * GiB)))
        return devices
    except (ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{FAKE_GPU_ENV}={spec!r} is not a valid GPU simulation ({err})",
                          hint=f'Use e.g. {FAKE_GPU_ENV}=\'{{"free_gib": 8, "total_gib": 24}}\', '
                               f"or unset it to use the real GPU.") from None


def query_devices() -> list[DeviceMemory]:
    """Every NVIDIA device NVML sees, with its memory; [] when there is no GPU or no NVML.

    ``ALTYAZI_FAKE_GPU`` replaces NVML's answer by simulated devices (see the module docstring).
    """
    spec = os.environ.get(FAKE_GPU_ENV)
    if spec:
        global _fake_logged
        devices = fake_devices(spec)
        if not _fake_logged:
            _fake_logged = True
            log.warning("%s is set: reporting %d simulated GPU(s) (%s) instead of asking NVML", FAKE_GPU_ENV,
                        len(devices), ", ".join(f"{d.free_gib:.1f}/{d.total_gib:.1f} GiB free" for d in devices))
        return devices
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


def cuda_driver_present() -> bool:
    """Whether the NVIDIA driver library can be loaded (Linux: ``libcuda.so.1``). Without it no CUDA
    call can work, so the answer is known without importing torch (2-5 s of a CPU-only ASR stage)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return True   # no cheap test elsewhere: let torch answer
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def cuda_available() -> bool:
    """True when torch can use CUDA (and NVML sees a device)."""
    if not cuda_driver_present():
        _log_no_gpu("no NVIDIA driver (libcuda.so.1 cannot be loaded)")
        return False
    try:
        import torch
    except ImportError:
        return False
    if not torch.cuda.is_available():
        _log_no_gpu("torch sees no CUDA device")
        return False
    return True


def best_device() -> DeviceMemory | None:
    """The emptiest card NVML sees (reporting only: models load on :func:`load_device`)."""
    devices = query_devices()
    return max(devices, key=lambda d: d.free_bytes) if devices else None


def visible_devices(devices: list[DeviceMemory], spec: str | None) -> list[DeviceMemory]:
    """The cards a CUDA process sees under ``CUDA_VISIBLE_DEVICES=spec``, renumbered from 0.

    CUDA's rules: unset means all; a comma-separated list of indices picks and orders them; the list
    stops at the first entry that is not a valid index (so ``""`` or ``-1`` hide every card)."""
    if spec is None:
        return list(devices)
    out: list[DeviceMemory] = []
    for item in spec.split(","):
        item = item.strip()
        if not item.isdigit() or int(item) >= len(devices):
            break
        d = devices[int(item)]
        out.append(DeviceMemory(len(out), d.name, d.total_bytes, d.free_bytes))
    return out


def load_device() -> DeviceMemory | None:
    """Free/total memory of the device the models will load on, or None without a usable GPU.

    That is torch's current CUDA device read with ``torch.cuda.mem_get_info`` (the driver's answer
    for this process's view: ``CUDA_VISIBLE_DEVICES`` and MIG slices included). With
    ``ALTYAZI_FAKE_GPU`` set, the first simulated card left visible by ``CUDA_VISIBLE_DEVICES``."""
    if os.environ.get(FAKE_GPU_ENV):
        visible = visible_devices(query_devices(), os.environ.get("CUDA_VISIBLE_DEVICES"))
        if not visible:
            _log_no_gpu(f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r} hides every simulated GPU")
        return visible[0] if visible else None
    if not cuda_available():
        return None
    import torch

    index = torch.cuda.current_device()
    free, total = torch.cuda.mem_get_info(index)
    return DeviceMemory(index, torch.cuda.get_device_name(index), int(total), int(free))


def ctranslate2_cuda_problem() -> str | None:
    """Why CTranslate2 (faster-whisper) cannot use CUDA here, or None when it can.

    The CTranslate2 4.x wheels ``dlopen`` ``libcublas.so.12`` at the first CUDA call; a CUDA-13-only
    torch stack does not bring it, and the failure would come mid-run. Checked the same way here."""
    import ctypes

    try:
        import ctranslate2
    except ImportError:
        return "ctranslate2 is not installed"
    try:
        if ctranslate2.get_cuda_device_count() == 0:
            return "CTranslate2 sees no CUDA device"
    except Exception as err:  # noqa: BLE001 - any driver/library error is the answer itself
        return f"CTranslate2 cannot query CUDA ({err})"
    try:
        ctypes.CDLL("libcublas.so.12")
    except OSError as err:
        return (f"libcublas.so.12 cannot be loaded ({str(err).splitlines()[0][:120]}); CTranslate2 needs CUDA 12's "
                "cuBLAS: `pip install nvidia-cublas-cu12` and add its lib folder to LD_LIBRARY_PATH")
    return None


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


@contextmanager
def oom_guard(what: str, need_gib: float | None = None) -> Iterator[None]:
    """Turn a CUDA out-of-memory error raised inside the block into :class:`GPUMemoryError`.

    The message names ``what`` (e.g. "loading voxtral-small"), the VRAM it needs when known and
    the VRAM that is free now, and the hint says what to do. Memory is released before raising,
    so a caller may fall back to a smaller model in the same process.
    """
    try:
        yield
    except Exception as err:
        if not is_oom(err):
            raise
        release_memory()
        dev = load_device()
        free = f"{dev.free_gib:.1f} of {dev.total_gib:.1f} GiB free on cuda:{dev.index}" if dev else "no GPU seen"
        need = f", needs about {need_gib:.0f} GiB" if need_gib else ""
        raise GPUMemoryError(f"out of GPU memory while {what}{need} ({free}): "
                             f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None


class VramSampler:
    """Context manager: a background thread samples used VRAM (all devices, bytes) at entry, every
    ``interval`` seconds and at exit; ``peak_gib`` afterwards (None without a GPU). Note that NVML
    reports the whole device, so other processes' memory counts too."""

    def __init__(self, interval: float = 5.0, log_samples: bool = False):
        self.interval = interval
        self.log_samples = log_samples
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self, devices: list[DeviceMemory] | None = None) -> None:
        for dev in query_devices() if devices is None else devices:
            used = dev.total_bytes - dev.free_bytes
            self.peak_bytes = max(self.peak_bytes, used)
            if self.log_samples:
                log.debug("GPU%d %s: %.1f / %.1f GiB used", dev.index, dev.name, used / GiB, dev.total_gib)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "VramSampler":
        devices = query_devices()
        if devices:
            self._sample(devices)          # at the start, then every interval, then at the end
            self._thread = threading.Thread(target=self._run, name="vram-sampler", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2 * self.interval)
            self._sample()

    @property
    def peak_gib(self) -> float | None:
        return self.peak_bytes / GiB if self._thread else None


class BatchSizer:
    """The batch size of one stage on one GPU, shared by every GPU backend (Voxtral, the translator,
    faster-whisper's batched pipeline).

    It starts at ``size`` (config, or :func:`batch_size_for` from free VRAM); a CUDA out-of-memory
    error halves it, memory is released and the same items are tried again; the smaller size then
    holds for the rest of the stage (the next batch would meet the same memory, so retrying the old
    size would only OOM again). OOM with a single item raises :class:`GPUMemoryError`.
    ``calls`` counts the successful calls (the generate calls of a stage)."""

    def __init__(self, size: int, what: str):
        self.size = max(1, int(size))
        self.what = what
        self.calls = 0
        self.halvings = 0

    def _halve(self, tried: int, err: BaseException) -> None:
        release_memory()
        if tried <= 1:
            raise GPUMemoryError(f"{self.what}: CUDA out of memory even at batch size 1 "
                                 f"({str(err).splitlines()[0][:160] if str(err) else type(err).__name__})") from None
        self.size = max(1, (tried + 1) // 2)
        self.halvings += 1
        log.warning("%s: CUDA out of memory at batch size %d; batch size %d from now on", self.what, tried, self.size)

    def map(self, items: list, fn) -> list:
        """``fn(chunk)`` (one result per item) over ``items`` in chunks of the current size, in order."""
        out: list = []
        i = 0
        while i < len(items):
            chunk = items[i:i + self.size]
            try:
                results = fn(chunk)
            except Exception as err:
                if not is_oom(err):
                    raise
                self._halve(len(chunk), err)
                continue
            self.calls += 1
            out.extend(results)
            i += len(chunk)
        return out

    def call(self, fn):
        """``fn(size)`` for a library call that batches by itself (faster-whisper's ``batch_size``);
        an OOM halves the size and calls again."""
        while True:
            try:
                result = fn(self.size)
            except Exception as err:
                if not is_oom(err):
                    raise
                self._halve(self.size, err)
                continue
            self.calls += 1
            return result
