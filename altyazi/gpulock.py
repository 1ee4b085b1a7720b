"""A machine-wide lock per GPU, so ``--resources gpu=1`` holds across runs, not only inside one Snakemake.

Two runs started on different episodes (two terminals, two folders, two users) would otherwise load
two 24B models on one card at once. Every stage that declares ``gpu`` resources takes the lock of
each visible device (``CUDA_VISIBLE_DEVICES``, default device 0) for as long as it runs. It is an
``fcntl.flock`` on a file, so the kernel releases it when the process ends, killed or not: a crash
never leaves a stale lock. While waiting, the stage logs who holds the lock, then once a minute.

``ALTYAZI_GPU_LOCK_DIR`` moves the lock files (default ``/tmp/altyazi-gpu-locks``, shared by every
user of the machine); ``ALTYAZI_GPU_LOCK_DIR=off`` disables the lock (e.g. one job per GPU under a
scheduler that already isolates devices).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import time
from pathlib import Path
from typing import Iterator

from .log import get_logger

DEFAULT_DIR = "/tmp/altyazi-gpu-locks"
WAIT_LOG_EVERY_S = 60.0
POLL_S = 0.2


def lock_dir() -> Path | None:
    value = os.environ.get("ALTYAZI_GPU_LOCK_DIR", DEFAULT_DIR).strip()
    return None if value.lower() in {"", "off", "none", "0", "false"} else Path(value)


def visible_devices() -> list[str]:
    """The devices this process may use: ``CUDA_VISIBLE_DEVICES`` (ids or GPU-UUIDs), else device 0."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return ["0"]
    return sorted({d.strip() for d in value.split(",") if d.strip() and d.strip() != "-1"})


def _lock_file(directory: Path, device: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # shared by every user: sticky and world-writable, like /tmp
        if directory.stat().st_uid == os.getuid():
            directory.chmod(0o1777)
    return directory / f"gpu-{re.sub(r'[^A-Za-z0-9_.-]', '_', device)}.lock"


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "another process"


@contextlib.contextmanager
def gpu_lock(what: str, devices: list[str] | None = None, directory: Path | None = None,
             logger=None) -> Iterator[list[Path]]:
    """Hold the lock of every device in ``devices`` (sorted: two holders never deadlock) while inside."""
    logger = logger or get_logger("gpu")
    directory = directory if directory is not None else lock_dir()
    devices = visible_devices() if devices is None else sorted(devices)
    if directory is None or not devices:
        yield []
        return
    fds: list[int] = []
    paths: list[Path] = []
    try:
        for device in devices:
            path = _lock_file(directory, device)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            fds.append(fd)
            _acquire(fd, device, path, what, logger)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}: {what}, since "
                          f"{time.strftime('%H:%M:%S')}\n".encode(), 0)
            paths.append(path)
        yield paths
    finally:
        for fd in reversed(fds):
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing releases the flock


def _acquire(fd: int, device: str, path: Path, what: str, logger) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    t0 = last = time.monotonic()
    logger.info("waiting for GPU %s: held by %s (lock %s); %s starts when it is free", device, _holder(fd), path, what)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() - last >= WAIT_LOG_EVERY_S:
                last = time.monotonic()
                logger.info("still waiting for GPU %s after %.0f s: held by %s", device, last - t0, _holder(fd))
            time.sleep(POLL_S)
    logger.info("got GPU %s after waiting %.1f s", device, time.monotonic() - t0)
