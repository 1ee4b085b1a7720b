"""The machine-wide GPU lock: two processes take turns (the second logs that it waits and for whom),
a killed holder releases it, every GPU stage takes it and CPU stages do not."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from altyazi.gpulock import gpu_lock, visible_devices
from altyazi.stage import run_stage

HOLDER = """
import sys, time
from altyazi.log import setup_logging, get_logger
from altyazi.gpulock import gpu_lock
setup_logging(sys.argv[2])
with gpu_lock(sys.argv[1], logger=get_logger("gpu")):
    t0 = time.time()
    open(sys.argv[3], "w").write("held")
    time.sleep(float(sys.argv[4]))
    open(sys.argv[3], "w").write(f"{t0} {time.time()}")
"""


def _start(tmp_path, name: str, hold_s: float) -> tuple[subprocess.Popen, Path, Path]:
    log, marker = tmp_path / f"{name}.log", tmp_path / f"{name}.marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ALTYAZI_GPU_LOCK_DIR": str(tmp_path / "locks"),
           "CUDA_VISIBLE_DEVICES": "0"}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, f"asr {name}", str(log), str(marker), str(hold_s)], env=env)
    return proc, log, marker


def _wait_for(path: Path, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.is_file():
        assert time.monotonic() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.05)


def test_two_processes_take_turns_and_the_second_says_why_it_waits(tmp_path):
    a, _, marker_a = _start(tmp_path, "ep1", 1.5)
    _wait_for(marker_a)  # ep1 holds the GPU
    b, log_b, marker_b = _start(tmp_path, "ep2", 0.1)
    assert a.wait(60) == 0 and b.wait(60) == 0
    a_start, a_end = map(float, marker_a.read_text().split())
    b_start, b_end = map(float, marker_b.read_text().split())
    assert b_start >= a_end - 0.01  # never both at once
    log = log_b.read_text()
    assert f"waiting for GPU 0: held by pid {a.pid}" in log and "asr ep1" in log and "asr ep2 starts when it is free" in log
    assert "got GPU 0 after waiting" in log


def test_a_killed_holder_releases_the_lock(tmp_path):
    a, _, marker_a = _start(tmp_path, "ep1", 120)
    _wait_for(marker_a)
    os.kill(a.pid, signal.SIGKILL)
    a.wait(10)
    t0 = time.monotonic()
    b, _, marker_b = _start(tmp_path, "ep2", 0.0)
    assert b.wait(60) == 0 and marker_b.read_text() != "held"
    assert time.monotonic() - t0 < 30  # no stale lock to wait out


def _held(path: Path) -> bool:
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


class _NL(list):
    def __init__(self, **named):
        super().__init__(named.values())
        self.__dict__.update(named)

    def get(self, key, default=None):
        return self.__dict__.get(key, default)


@pytest.mark.parametrize("gpu", [1, 0])
def test_every_gpu_stage_takes_the_lock_and_cpu_stages_do_not(tmp_path, monkeypatch, gpu):
    monkeypatch.setenv("ALTYAZI_GPU_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    smk = type("Smk", (), {})()
    smk.input, smk.output = _NL(), _NL(out=str(tmp_path / "out.json"))
    smk.log = _NL(log=str(tmp_path / "stage.log"))
    smk.wildcards, smk.resources = _NL(episode="ep1"), _NL(gpu=gpu)
    seen = []
    run_stage("asr", smk, lambda s, log: seen.append(_held(tmp_path / "locks" / "gpu-0.lock")))
    assert seen == [bool(gpu)]
    assert not _held(tmp_path / "locks" / "gpu-0.lock")  # released when the stage ends


def test_each_visible_device_has_its_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,0,GPU-3f2a/x")
    assert visible_devices() == ["0", "1", "GPU-3f2a/x"]
    with gpu_lock("translate ep1", directory=tmp_path) as paths:
        assert [p.name for p in paths] == ["gpu-0.lock", "gpu-1.lock", "gpu-GPU-3f2a_x.lock"]
        assert all(_held(p) for p in paths)
        assert "translate ep1" in paths[0].read_text()
    assert not any(_held(p) for p in paths)


def test_lock_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("ALTYAZI_GPU_LOCK_DIR", "off")
    with gpu_lock("asr ep1") as paths:
        assert paths == []
