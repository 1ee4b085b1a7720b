"""Bare faster-whisper, the benchmark's baseline: the same WAV transcribed by faster-whisper alone,
three ways, each in a fresh process (``python -m tools.bench_bare``) so its peak RSS is its own."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from altyazi.errors import AltyaziError
from altyazi.log import get_logger

log = get_logger("bench")
BARE_MODES = ("sequential", "sequential_vad", "batched")


def bare_whisper(mode: str, wav: str, model_dir: str, threads: int, beam_size: int = 5,
                 batch_size: int = 8) -> dict:
    """Transcribe ``wav`` with faster-whisper alone (int8 CPU, ``language="tr"``, word timestamps,
    defaults otherwise): ``sequential`` (no VAD), ``sequential_vad`` (``vad_filter=True``) or
    ``batched`` (``BatchedInferencePipeline``, its own VAD). Times: decode, load, transcribe (s)."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from altyazi.audio import load_wav

    t0 = time.perf_counter()
    audio = load_wav(wav)
    t1 = time.perf_counter()
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)
    t2 = time.perf_counter()
    common = dict(language="tr", beam_size=beam_size, word_timestamps=True)
    if mode == "sequential":
        segments, _ = model.transcribe(audio, vad_filter=False, **common)
    elif mode == "sequential_vad":
        segments, _ = model.transcribe(audio, vad_filter=True, **common)
    elif mode == "batched":
        segments, _ = BatchedInferencePipeline(model).transcribe(audio, batch_size=batch_size, **common)
    else:
        raise ValueError(f"unknown bare mode {mode!r}")
    texts = [s.text.strip() for s in segments]  # the generator does the work
    t3 = time.perf_counter()
    return {"mode": mode, "decode_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2),
            "transcribe_s": round(t3 - t2, 2), "total_s": round(t3 - t0, 2), "segments": len(texts),
            "text": " ".join(t for t in texts if t),
            "cpu_s": round(cpu_seconds(), 2),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (robust to other work on the machine)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_bare(mode: str, wav: Path, model_dir: str, threads: int) -> dict:
    """:func:`bare_whisper` in a fresh Python process (own peak RSS); adds its wall time with start."""
    cmd = [sys.executable, "-m", "tools.bench_bare", "--bare", mode, "--wav", str(wav), "--model", model_dir,
           "--threads", str(threads)]
    log.info("bare faster-whisper: %s", mode)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise AltyaziError(f"bare faster-whisper ({mode}) failed: {proc.stderr.strip()[-2000:]}",
                           hint="check that models/whisper-base is assembled (`make setup`)")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(wall, 2)
    log.info("bare %s: %.1f s transcribe, %.1f s in all", mode, result["transcribe_s"], wall)
    return result


def main(argv: list[str] | None = None) -> int:
    """One bare faster-whisper run, its JSON on stdout (what :func:`run_bare` starts)."""
    ap = argparse.ArgumentParser(prog="python -m tools.bench_bare", description=__doc__.split("\n\n")[0])
    ap.add_argument("--bare", choices=BARE_MODES, required=True, help="how faster-whisper is called")
    ap.add_argument("--wav", required=True, help="the 16 kHz mono WAV to transcribe")
    ap.add_argument("--model", required=True, help="the CTranslate2 model folder")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    args = ap.parse_args(argv)
    print(json.dumps(bare_whisper(args.bare, args.wav, args.model, args.threads or os.cpu_count() or 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
