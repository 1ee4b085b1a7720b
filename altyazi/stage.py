"""The one entry point every ``scripts/<stage>.py`` goes through.

It sets up logging into the rule's log file, runs the stage function, and turns a project error
into a clear message and a non-zero exit (that episode's job fails, the others go on). Every job
ends with one summary line: ``<stage> <episode>: ok in 12.3 s (<what the stage returned>)`` or
``<stage> <episode>: FAILED after 1.2 s: <message>``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from contextlib import nullcontext
from typing import Any, Callable

from .diskspace import DiskFullError, Recovery, check_free_space, disk_full_error, inputs_key, is_disk_full
from .errors import AltyaziError, GPUMemoryError
from .gpu import VramSampler, is_oom
from .gpulock import gpu_lock
from .io import atomic_write_text
from .log import debug_enabled, get_logger, setup_logging

VRAM_SAMPLE_S = 5.0


def _peak_rss_gib() -> float:
    """Peak resident memory of this process (GiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def declares_gpu(snakemake: Any) -> bool:
    """True when the rule asks for ``resources: gpu=...`` (asr, translate)."""
    try:
        return float(getattr(getattr(snakemake, "resources", None), "gpu", 0) or 0) > 0
    except (TypeError, ValueError):
        return False


def run_stage(name: str, snakemake: Any, func: Callable[..., Any]) -> None:
    """Run ``func(snakemake, logger)`` as stage ``name``; exit 1 on a project error, 2 on a bug.

    ``func`` may return a short text (e.g. ``"42 pieces"``); it goes into the summary line.
    A CUDA out-of-memory error from any library is reported as :class:`GPUMemoryError`.
    For a rule that declares ``gpu`` resources, used VRAM is sampled every 5 s (logged in debug
    mode) and its peak is in the summary line; without a GPU the sampler does nothing.
    """
    log_file = snakemake.log[0] if len(snakemake.log) else None
    setup_logging(log_file)
    logger = get_logger(name)
    episode = snakemake.wildcards.get("episode", "?") if hasattr(snakemake.wildcards, "get") else "?"
    t0 = time.perf_counter()

    def failed(message: str, code: int) -> None:
        logger.error("%s %s: FAILED after %.1f s: %s", name, episode, time.perf_counter() - t0, message)
        sys.exit(code)

    gpu = declares_gpu(snakemake)
    sampler = VramSampler(VRAM_SAMPLE_S, log_samples=debug_enabled()) if gpu else None
    outputs = [str(o) for o in getattr(snakemake, "output", [])]
    try:
        if outputs:  # before the long work, not after it
            check_free_space(os.path.dirname(outputs[0]) or ".", what=f"the {name} stage of {episode}")
        with gpu_lock(f"{name} {episode}", logger=logger) if gpu else nullcontext(), sampler or nullcontext():
            result = func(snakemake, logger)
    except AltyaziError as err:
        failed(str(err), 1)
    except KeyboardInterrupt:
        failed("interrupted; rerun the same command to resume (finished stages are kept)", 130)
    except Exception as err:
        if is_disk_full(err):  # a write outside io.py (a library's cache, a log): still not a bug
            failed(str(disk_full_error(getattr(err, "filename", None) or (outputs or ["."])[0])), 1)
        if is_oom(err):
            failed(str(GPUMemoryError(f"out of GPU memory in {name} ({type(err).__name__}: "
                                      f"{str(err).splitlines()[0] if str(err) else ''})")), 1)
        logger.exception("%s crashed for episode %s (a bug: please report it with this log)", name, episode)
        failed(f"unexpected {type(err).__name__}: see the traceback above in {log_file or 'the console'}", 2)
    vram = f", peak VRAM {sampler.peak_gib:.1f} GiB" if sampler and sampler.peak_gib is not None else ""
    extra = f" ({result})" if isinstance(result, str) and result else ""
    logger.info("%s %s: ok in %.1f s, peak RAM %.1f GiB%s%s", name, episode, time.perf_counter() - t0,
                _peak_rss_gib(), vram, extra)


def _recovery(snakemake: Any, name: str) -> Recovery:
    params = {k: v for k, v in getattr(snakemake, "params", {}).items()} if hasattr(snakemake, "params") else {}
    return Recovery(getattr(snakemake.output, name), inputs_key([str(i) for i in snakemake.input], params))


def restore_output(snakemake: Any, name: str, logger) -> str | None:
    """Write output ``name`` from the copy an earlier run of this job kept when the disk was full
    (same inputs, same settings); return a note for the summary line, or None when there is none."""
    recovery = _recovery(snakemake, name)
    found = recovery.load()
    if found is None:
        return None
    text, where = found
    atomic_write_text(getattr(snakemake.output, name), text)
    recovery.clear()
    logger.info("restored %s from %s (kept when the disk was full): the work is not redone",
                getattr(snakemake.output, name), where)
    return f"restored from {where}"


def write_output_json(snakemake: Any, name: str, data: Any) -> None:
    """Write output ``name`` atomically; when the disk is full, keep the payload for the rerun."""
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    path = getattr(snakemake.output, name)
    try:
        atomic_write_text(path, text)
    except DiskFullError as err:
        kept = _recovery(snakemake, name).save(text)
        note = (f"the finished work is kept in {kept} and the rerun uses it (nothing is redone)" if kept
                else "no file system had room for a recovery copy: the rerun redoes this stage")
        raise DiskFullError(f"{str(err).split(chr(10))[0]}; {note}") from None
