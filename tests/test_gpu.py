"""GPU helper: the no-GPU answer (once), simulated devices, batch sizes, OOM detection and the sampler."""

from __future__ import annotations

import logging
import time

import pytest

from altyazi import gpu
from altyazi.errors import ConfigError, GPUMemoryError

GiB = gpu.GiB


@pytest.fixture(autouse=True)
def fresh_gpu_state(monkeypatch):
    monkeypatch.setattr(gpu, "_no_gpu_logged", False)
    monkeypatch.setattr(gpu, "_fake_logged", False)
    monkeypatch.delenv(gpu.FAKE_GPU_ENV, raising=False)


def nvml_present() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
        pynvml.nvmlShutdown()
        return True
    except Exception:
        return False


@pytest.mark.skipif(nvml_present(), reason="this machine has NVML: the no-GPU path cannot be observed")
def test_no_gpu_is_one_clear_line(caplog):
    caplog.set_level(logging.INFO, logger="altyazi")
    assert gpu.query_devices() == [] and gpu.best_device() is None
    assert gpu.cuda_available() is False
    with gpu.VramSampler(interval=0.01) as sampler:
        pass
    assert sampler.peak_gib is None
    lines = [r for r in caplog.records if "no GPU" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert "CPU" in lines[0].getMessage()


def test_fake_gpu_reports_simulated_devices(monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="altyazi")
    monkeypatch.setenv(gpu.FAKE_GPU_ENV, '[{"free_gib": 8, "total_gib": 24}, {"free_gib": 70, "total_gib": 80, "name": "H100"}]')
    devices = gpu.query_devices()
    assert [(d.index, d.name, d.free_gib, d.total_gib) for d in devices] == [
        (0, "simulated GPU 0", 8.0, 24.0), (1, "H100", 70.0, 80.0)]
    assert gpu.best_device().name == "H100"
    gpu.query_devices()
    assert sum("simulated GPU(s)" in r.getMessage() for r in caplog.records) == 1   # said once


@pytest.mark.parametrize("spec", ["nonsense", '{"free_gib": 8}', '{"free_gib": 30, "total_gib": 24}', "[1]"])
def test_bad_fake_gpu_spec_is_a_clear_error(monkeypatch, spec):
    monkeypatch.setenv(gpu.FAKE_GPU_ENV, spec)
    with pytest.raises(ConfigError, match="not a valid GPU simulation") as exc:
        gpu.query_devices()
    assert "unset it" in str(exc.value)


@pytest.mark.parametrize("free_gib,weights,per_item,expected", [
    (80, 48, 2.0, 15),      # (80 - 48 - 1.5) // 2
    (24, 9.3, 1.0, 13),
    (10, 9.3, 1.0, 0),      # weights + margin do not fit
    (200, 1, 0.1, 64),      # capped
])
def test_batch_size_for(free_gib, weights, per_item, expected):
    assert gpu.batch_size_for(int(free_gib * GiB), weights, per_item) == expected


def test_batch_size_from_simulated_card(monkeypatch):
    monkeypatch.setenv(gpu.FAKE_GPU_ENV, '{"free_gib": 31, "total_gib": 80}')
    assert gpu.batch_size_for(gpu.best_device().free_bytes, weights_gib=9.3, per_item_gib=1.0) == 20


def test_is_oom():
    import torch

    assert gpu.is_oom(torch.OutOfMemoryError("CUDA out of memory"))
    assert gpu.is_oom(RuntimeError("CUDA failed with error CUDA_ERROR_OUT_OF_MEMORY"))
    assert not gpu.is_oom(ValueError("bad value"))


def test_oom_guard_turns_oom_into_project_error(monkeypatch):
    import torch

    monkeypatch.setenv(gpu.FAKE_GPU_ENV, '{"free_gib": 8, "total_gib": 24}')
    with pytest.raises(GPUMemoryError) as exc:
        with gpu.oom_guard("loading voxtral-mini", need_gib=10):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    msg = str(exc.value)
    assert "out of GPU memory while loading voxtral-mini, needs about 10 GiB (8.0 of 24.0 GiB free on cuda:0)" in msg
    assert "Free VRAM" in msg and "lower the batch size" in msg
    with pytest.raises(KeyError):                      # other errors pass through untouched
        with gpu.oom_guard("loading"):
            raise KeyError("x")


def test_vram_sampler_records_peak(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="altyazi")
    monkeypatch.setenv(gpu.FAKE_GPU_ENV, '{"free_gib": 8, "total_gib": 24}')
    with gpu.VramSampler(interval=0.01, log_samples=True) as sampler:
        deadline = time.monotonic() + 10
        while sampler.peak_bytes == 0 and time.monotonic() < deadline:  # sampled at entry already
            time.sleep(0.01)
    assert sampler.peak_gib == pytest.approx(16.0)
    assert any("16.0 / 24.0 GiB used" in r.getMessage() for r in caplog.records)


def test_release_memory_without_gpu():
    gpu.release_memory()          # gc + (no) empty_cache: must not fail on a CPU machine


def test_no_driver_answers_without_importing_torch(monkeypatch):
    """A CPU-only box: libcuda.so.1 cannot load, so cuda_available() says no without torch's import."""
    import ctypes

    def cdll(name, *a, **k):
        if name == "libcuda.so.1":
            raise OSError("libcuda.so.1: cannot open shared object file")
        return real(name, *a, **k)
    real = ctypes.CDLL
    monkeypatch.setattr(ctypes, "CDLL", cdll)
    monkeypatch.setitem(__import__("sys").modules, "torch", None)   # importing torch would raise
    assert gpu.cuda_driver_present() is False
    assert gpu.cuda_available() is False
