"""Fit the workflow's Slurm requests to the cluster before anything is submitted.

Slurm accepts a job that asks more CPUs than any node of its partition has and leaves it pending
forever (reason ``PartitionConfig``); more memory than a node has is refused by sbatch with
"Requested node configuration is not available". So, from ``sinfo``, before the first job:
CPUs are lowered to the largest node (threads are a speed knob; logged), and memory, GPU or time
that no node can give stop the run with the rule, the request, what the partition has, and the
profile line to change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from .errors import ConfigError

PROFILE = "profiles/slurm/config.yaml"


@dataclass(frozen=True)
class Node:
    name: str
    partition: str
    default: bool            # the partition is the cluster's default one
    cpus: int
    mem_mb: int
    gpus: int
    max_time_min: float      # the partition's time limit (inf: none)


@dataclass(frozen=True)
class Request:
    rule: str
    threads: int
    mem_mb: int
    gpus: int
    runtime_min: int
    partition: str = ""      # empty: the default partition


def parse_time_min(text: str) -> float:
    """Slurm's time limits (``infinite``, ``30:00``, ``4:00:00``, ``1-12:00:00``) in minutes."""
    text = text.strip()
    if text.lower() in {"infinite", "unlimited", "n/a", ""}:
        return float("inf")
    days, _, rest = text.rpartition("-")
    parts = [int(p) for p in rest.split(":")]
    h, m, s = ([0] * (3 - len(parts)) + parts) if len(parts) > 1 else (0, parts[0], 0)
    return int(days or 0) * 1440 + h * 60 + m + s / 60


def gpu_count(gres: str) -> int:
    """GPUs in an sinfo GRES field (``gpu:1``, ``gpu:a100:4(S:0-1)``, ``(null)``)."""
    total = 0
    for item in gres.split(","):
        fields = re.sub(r"\(.*?\)", "", item).split(":")
        if fields[0] == "gpu":
            total += int(fields[-1]) if fields[-1].isdigit() else 1
    return total


def parse_sinfo(text: str) -> list[Node]:
    """Lines of ``sinfo -h -N -o '%P|%N|%c|%m|%G|%l'``."""
    nodes = []
    for line in text.splitlines():
        if line.count("|") != 5:
            continue
        part, name, cpus, mem, gres, limit = (f.strip() for f in line.split("|"))
        nodes.append(Node(name, part.rstrip("*"), part.endswith("*"), int(re.sub(r"\D", "", cpus) or 0),
                          int(re.sub(r"\D", "", mem) or 0), gpu_count(gres), parse_time_min(limit)))
    return nodes


def query_nodes() -> list[Node]:
    sinfo = shutil.which("sinfo")
    if not sinfo:
        raise ConfigError("the slurm profile needs `sinfo` on PATH (run snakemake on the cluster's login node)")
    proc = subprocess.run([sinfo, "-h", "-N", "-o", "%P|%N|%c|%m|%G|%l"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ConfigError(f"sinfo failed: {proc.stderr.strip()[-300:]}",
                          hint="Check that Slurm answers on this machine (`sinfo`), then rerun.")
    return parse_sinfo(proc.stdout)


def fit(requests: list[Request], nodes: list[Node]) -> tuple[int | None, list[str]]:
    """The thread cap to apply (None: every request fits) and a warning per lowered request.

    Raises :class:`ConfigError` for memory, GPUs or time that no node of the partition can give.
    """
    cap, warnings, problems = None, [], []
    for req in requests:
        pool = [n for n in nodes if (n.partition == req.partition if req.partition else n.default)]
        where = f"partition {req.partition!r}" if req.partition else "the default partition"
        if not pool:
            known = sorted({n.partition for n in nodes}) or ["none"]
            problems.append(f"rule {req.rule}: {where} has no node (partitions: {', '.join(known)}); "
                            f"set slurm_partition in {PROFILE} (default-resources) or on the command line")
            continue
        if req.gpus:
            pool = [n for n in pool if n.gpus >= req.gpus]
            if not pool:
                problems.append(f"rule {req.rule}: asks {req.gpus} GPU(s) but no node of {where} has a GPU GRES; "
                                f"use a GPU partition (set-resources: {{{req.rule}: {{slurm_partition: gpu}}}})")
                continue
        most_mem = max(n.mem_mb for n in pool)
        if req.mem_mb > most_mem:
            problems.append(f"rule {req.rule}: asks {req.mem_mb} MB of memory, the largest node of {where} has "
                            f"{most_mem} MB; the models need it, so use a partition with larger nodes "
                            f"(set-resources: {{{req.rule}: {{slurm_partition: ...}}}} in {PROFILE})")
        longest = max(n.max_time_min for n in pool)
        if req.runtime_min > longest:
            problems.append(f"rule {req.rule}: asks a runtime of {req.runtime_min} min, {where} allows "
                            f"{longest:.0f} min; lower it in {PROFILE} (set-resources: {{{req.rule}: {{runtime: ...}}}})")
        most_cpus = max(n.cpus for n in pool)
        if req.threads > most_cpus:
            cap = most_cpus if cap is None else min(cap, most_cpus)
            warnings.append(f"rule {req.rule}: asks {req.threads} CPUs, the largest node of {where} with what it "
                            f"needs has {most_cpus}: asking {most_cpus} (set `cores` in {PROFILE} to choose)")
    if problems:
        raise ConfigError("the Slurm requests do not fit the cluster:\n  " + "\n  ".join(problems),
                          hint=f"Slurm would refuse these jobs or leave them pending forever; change {PROFILE} and rerun.")
    return cap, warnings
