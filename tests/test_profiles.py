"""The Snakemake profiles: profiles/local and profiles/slurm parse, plan every stage, and the SLURM
plugin turns the planned resources into the right sbatch request (GPU, memory). Dry runs only:
no job is executed and no cluster is needed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import ROOT, write_sheet

STAGES = ("download", "audio", "vad", "asr", "translate", "subtitles")
GPU_RULES = ("asr", "translate")


def dry_run(workdir: Path, profile_dir: Path, *config: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--configfile", str(ROOT / "config.yaml"), "--profile", str(profile_dir), "--dry-run",
           "--config", f"episodes={workdir / 'episodes.tsv'}", *config]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def planned_resources(output: str) -> dict[str, dict[str, str]]:
    """rule name -> {resource: value} from the job blocks a dry run prints."""
    plans: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n(?=rule \w+:)", output):
        head = re.match(r"rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        if head and res:
            plans[head.group(1)] = dict(kv.split("=", 1) for kv in res.group(1).split(", "))
    return plans


class Resources(dict):
    """Enough of Snakemake's job.resources for the plugin: .get() and attribute access."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def as_number(value: str):
    return int(value) if value.isdigit() else value


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    wd = tmp_path_factory.mktemp("profiles")
    media = wd / "ep.wav"
    media.write_bytes(b"RIFF")  # never read: dry runs only
    write_sheet(wd / "episodes.tsv", [("ep1", str(media)), ("ep2", str(media))])
    return wd


def test_profiles_are_valid_yaml_with_the_promised_keys():
    local = yaml.safe_load((ROOT / "profiles/local/config.yaml").read_text())
    assert local["cores"] == "all" and "gpu=1" in local["resources"]
    assert local["keep-going"] and local["rerun-incomplete"]
    assert {"mtime", "params", "input", "code"} <= set(local["rerun-triggers"])
    slurm = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    assert slurm["executor"] == "slurm"
    assert slurm["default-resources"]["mem_mb"] > 0


def test_local_profile_dry_run_plans_every_stage(workdir):
    proc = dry_run(workdir, ROOT / "profiles/local", "profile=offline")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    plans = planned_resources(proc.stdout)
    assert set(STAGES) <= set(plans), plans.keys()
    for rule in GPU_RULES:
        assert plans[rule]["gpu"] == "1"
    assert re.search(r"^asr\s+2$", proc.stdout, re.M), "two episodes -> two asr jobs"


def test_slurm_profile_dry_run_maps_gpu_and_memory_to_sbatch(workdir):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    from snakemake_executor_plugin_slurm import set_gres_string
    from snakemake_executor_plugin_slurm.submit_string import get_submit_command

    proc = dry_run(workdir, ROOT / "profiles/slurm")  # production models: the real cluster case
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    plans = planned_resources(proc.stdout)
    assert set(STAGES) <= set(plans), plans.keys()
    for rule in GPU_RULES:
        res = plans[rule]
        assert res["gpu"] == "1" and int(res["vram_gb"]) > 0 and int(res["mem_mb"]) >= 16000
    for rule in ("audio", "vad", "subtitles"):
        assert "gpu" not in plans[rule]

    params = {"run_uuid": "u", "slurm_logfile": "log", "comment_str": "c", "account": "", "partition": "",
              "workdir": "/w"}
    for rule, plan in plans.items():
        if rule == "all":
            continue
        job = SimpleNamespace(resources=Resources({k: as_number(v) for k, v in plan.items()}),
                              threads=int(plan.get("cpus_per_task", 1)))
        call = get_submit_command(job, params) + set_gres_string(job)
        assert f"--mem {plan['mem_mb']}" in call, call
        assert f"-t {plan['runtime']}" in call
        if rule in GPU_RULES:
            assert "--gpus=1" in call, call
        else:
            assert "--gpus" not in call and "--gres" not in call, call
