"""The benchmark's workflow runs (Snakemake CLI, ``profiles/local``, offline profile) and what they leave
behind: the jobs Snakemake started and when, its per-rule benchmark files, the stages' "model loaded"
log lines. Used by :mod:`tools.bench` and :mod:`tools.bench_timing`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from altyazi.errors import AltyaziError
from altyazi.log import get_logger

log = get_logger("bench")
ROOT = Path(__file__).resolve().parent.parent
EPISODE = "bench"
STAGES = ("download", "audio", "vad", "shots", "asr", "translate", "subtitles")
STABLE = ("--rerun-triggers", "mtime", "input")


def snakemake_cmd(workdir: Path, *extra: str, cores: str = "all") -> list[str]:
    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
            "--configfile", str(ROOT / "config.yaml"), "--profile", str(ROOT / "profiles" / "local"),
            "--cores", cores, "--config", "profile=offline", f"episodes={workdir / 'episodes.tsv'}", *extra]


def run_workflow(workdir: Path, *extra: str, label: str) -> dict:
    """Run Snakemake once; returns wall seconds and its output. Raises if the run failed."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    log.info("workflow run: %s", label)
    t0 = time.perf_counter()
    proc = subprocess.run(snakemake_cmd(workdir, *extra), capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    (workdir / f"snakemake-{label}.txt").write_text(out, encoding="utf-8")
    if proc.returncode != 0:
        raise AltyaziError(f"the workflow run '{label}' failed (exit {proc.returncode}); "
                           f"its output is in {workdir / f'snakemake-{label}.txt'}",
                           hint="read the failing rule's log under logs/ in that folder")
    log.info("workflow run %s: %.1f s", label, wall)
    return {"wall_s": round(wall, 2), "jobs": jobs_run(out), "output": out}


def jobs_run(snakemake_output: str) -> list[str]:
    """Names of the rules Snakemake started, in order."""
    return re.findall(r"^\s*(?:local)?rule (\w+):", snakemake_output, re.M)


def job_starts(snakemake_output: str) -> dict[str, datetime]:
    """rule -> the time Snakemake printed when it started the job (1 s resolution)."""
    starts = {}
    for stamp, rule in re.findall(r"^\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]\n\s*(?:local)?rule (\w+):",
                                  snakemake_output, re.M):
        starts[rule] = datetime.strptime(re.sub(" +", " ", stamp), "%a %b %d %H:%M:%S %Y")
    return starts


def read_benchmark_tsv(path: Path) -> dict:
    """Snakemake's benchmark file -> wall seconds, peak RSS (MB), CPU seconds, mean load."""
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    row = dict(zip(lines[0].split("\t"), lines[-1].split("\t")))

    def num(key):
        try:
            return round(float(row[key]), 2)
        except (KeyError, ValueError):
            return None
    return {"wall_s": num("s"), "max_rss_mb": num("max_rss"), "cpu_s": num("cpu_time"), "mean_load": num("mean_load")}


LOADED = {"asr": re.compile(r"^(\S+ \S+) INFO .*faster-whisper .* loaded on"),
          "translate": re.compile(r"^(\S+ \S+) INFO .*translation model .* loaded on")}


def model_ready_s(workdir: Path, starts: dict[str, datetime]) -> dict[str, float | None]:
    """Per model stage: seconds from the job's start (Snakemake's stamp) to the log line saying its
    model is loaded: process start + imports + input reading + model load. None if not found."""
    out: dict[str, float | None] = {}
    for rule, pattern in LOADED.items():
        out[rule] = None
        log_file = workdir / "logs" / rule / f"{EPISODE}.log"
        if rule not in starts or not log_file.is_file():
            continue
        for line in log_file.read_text(encoding="utf-8").splitlines():
            m = pattern.match(line)
            if m:
                loaded = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
                out[rule] = round((loaded - starts[rule]).total_seconds(), 1)
                break
    return out


def logged_load_s(log_file: Path) -> float | None:
    """The load time the translate stage logs ("... loaded on cpu, 1 thread(s) in 45 s"), seconds or None."""
    if not log_file.is_file():
        return None
    m = re.search(r"translation model .* loaded on .*? in ([\d.]+) s", log_file.read_text(encoding="utf-8"))
    return float(m.group(1)) if m else None


def stage_table(workdir: Path, audio_s: float) -> dict[str, dict]:
    """Per stage: wall time, real-time factor, peak RSS, CPU seconds from benchmarks/<rule>/bench.tsv."""
    table = {}
    for rule in STAGES:
        path = workdir / "benchmarks" / rule / f"{EPISODE}.tsv"
        if path.is_file():
            row = read_benchmark_tsv(path)
            row["rtf"] = round(row["wall_s"] / audio_s, 4) if row["wall_s"] is not None and audio_s else None
            row["max_vram_mb"] = None  # no GPU on this machine kind; see `gpu` in results.json
            table[rule] = row
    return table
