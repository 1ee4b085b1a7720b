"""Disk full: say where and how much to free, check before a long stage, keep finished work.

A full disk is not a bug and not a bad download: the message names the device and its mount point,
the free space there and how much to free. When a stage has done its work (an hour of ASR) and only
the final write fails, the payload is kept in a recovery copy, on the same disk when it still fits
there, otherwise on another file system (``/dev/shm``, the temp dir); the rerun of the same job
with the same inputs and settings writes it instead of redoing the work.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from .errors import AltyaziError

DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
GB = 1024 ** 3
# Free space a long stage needs before it starts (outputs, logs, a model's temporary files).
MIN_FREE_BYTES = int(float(os.environ.get("ALTYAZI_MIN_FREE_GB", "0.5")) * GB)


class DiskFullError(AltyaziError):
    hint = "Free space there (old results/, ~/.cache/huggingface, the trash), then rerun the same command."


def is_disk_full(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS


def _existing(path: str | os.PathLike) -> Path:
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def device_of(path: str | os.PathLike) -> tuple[str, str]:
    """(device, mount point) holding ``path``, from /proc/mounts; the mount point alone elsewhere."""
    real = os.path.realpath(_existing(path))
    best = ("", "/")
    try:
        with open("/proc/mounts", encoding="utf-8") as fh:
            for line in fh:
                dev, mount = line.split()[:2]
                mount = mount.replace("\\040", " ")
                if (real == mount or real.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best[1]):
                    best = (dev, mount)
    except OSError:
        pass
    return best


def free_bytes(path: str | os.PathLike) -> int:
    return shutil.disk_usage(_existing(path)).free


def where_text(path: str | os.PathLike) -> str:
    dev, mount = device_of(path)
    return f"{dev} (mounted at {mount})" if dev else mount


def disk_full_error(path: str | os.PathLike, needed: int = 0, kept: str = "") -> DiskFullError:
    """The message for a write to ``path`` that failed (or would fail) for lack of space."""
    free = free_bytes(path)
    need_gb = max(1, -(-max(needed - free, 0) // GB))  # at least 1 GB: logs and temp files need room too
    text = (f"no space left on {where_text(path)} while writing {path} ({free / GB:.1f} GB free): "
            f"free {need_gb} GB, then rerun")
    return DiskFullError(text + (f"; {kept}" if kept else ""))


def check_free_space(path: str | os.PathLike, needed: int = MIN_FREE_BYTES, what: str = "this stage") -> None:
    """Raise :class:`DiskFullError` before a long stage when ``path``'s disk has less than ``needed``."""
    free = free_bytes(path)
    if free < needed:
        need_gb = max(1, -(-(needed - free) // GB))
        raise DiskFullError(f"no space left on {where_text(path)} for {what}: {free / GB:.2f} GB free, "
                            f"{needed / GB:.1f} GB needed: free {need_gb} GB, then rerun")


def _recovery_dirs(output: Path) -> list[Path]:
    """Where a recovery copy may go: beside the output (the stage's cache), then other file systems."""
    dirs = [output.parent / ".cache" / "recovered"]
    if os.environ.get("ALTYAZI_RECOVERY_DIR"):
        dirs.append(Path(os.environ["ALTYAZI_RECOVERY_DIR"]))
    dirs += [Path("/dev/shm") / "altyazi-recovered", Path(tempfile.gettempdir()) / "altyazi-recovered"]
    return dirs


class Recovery:
    """A finished stage payload whose final write failed, keyed by the output and what made it."""

    def __init__(self, output: str | os.PathLike, key: str):
        self.output = Path(output)
        digest = hashlib.sha256(f"{os.path.realpath(self.output)}\0{key}".encode()).hexdigest()[:16]
        self.name = f"{self.output.name}.{digest}.recovered"

    def candidates(self) -> list[Path]:
        return [d / self.name for d in _recovery_dirs(self.output)]

    def load(self) -> tuple[str, Path] | None:
        for path in self.candidates():
            try:
                return path.read_text(encoding="utf-8"), path
            except (OSError, UnicodeDecodeError):
                continue
        return None

    def save(self, text: str) -> Path | None:
        """Write ``text`` to the first place it fits (each write is atomic); None when none has room."""
        from .io import atomic_write_text

        for path in self.candidates():
            try:
                atomic_write_text(path, text)
                return path
            except (OSError, DiskFullError):
                continue
        return None

    def clear(self) -> None:
        for path in self.candidates():
            if path.is_file():
                path.unlink()


def inputs_key(inputs: list[str], params: object) -> str:
    """What a payload depends on: each input's path, size and mtime, and the stage's settings."""
    files = []
    for name in inputs:
        try:
            st = os.stat(name)
            files.append([os.path.realpath(name), st.st_size, st.st_mtime_ns])
        except OSError:
            files.append([str(name), None, None])
    return json.dumps({"inputs": files, "params": params}, sort_keys=True, default=str)
