"""The demo through a real one-node Slurm cluster, started here: `snakemake --profile profiles/slurm`.

What it proves: the profile runs as the README writes it (no extra --cores), every stage of the
episode is one sbatch job, asr and translate ask Slurm for their GPU, 16000 MB and 240 min, the
8 CPUs of the profile are lowered to what the node has (2 here) instead of pending forever, and
the .srt comes out. What it cannot prove: a real GPU (the GRES is count-only), several nodes, a
shared file system's latency. Outside CI (env CI unset) it skips when Slurm cannot be started
(not installed, not root); in CI it must run: `.ci/run` installs slurm-wlm and munge.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import srt
from conftest import ROOT, write_sheet
from slurm_cluster import ClusterUnavailable, SlurmCluster

from tools.samples import build_demo_episode

pytestmark = pytest.mark.slow
NODE_CPUS = 2            # the node this test declares: fewer than the profile's 8
NODE_MEM_MB = 20000


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slurm")
    try:
        with SlurmCluster(folder, cpus=NODE_CPUS, mem_mb=NODE_MEM_MB) as c:
            yield c
    except ClusterUnavailable as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Slurm test, but Slurm cannot start: {err}")
        pytest.skip(f"no Slurm cluster can be started here: {err}")


def jobs(cluster) -> list[dict[str, str]]:
    """Every job slurmctld still knows (finished ones stay an hour: MinJobAge), as key=value dicts."""
    out = cluster.run("scontrol", "show", "job", "-o")
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in out.splitlines() if "JobId=" in line]


def run_profile(cluster, work, *extra: str, timeout: int = 1500) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "-s", "Snakefile", "-d", str(work),
           "--configfile", str(ROOT / "config.yaml"),
           "--slurm-status-command", "squeue", *extra,        # no accounting here (README: SLURM)
           "--config", "profile=offline", f"episodes={work / 'episodes.tsv'}"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**cluster.env, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})


def test_demo_runs_through_slurm_with_its_requests(cluster, tmp_path, offline_models):
    wav = build_demo_episode(tmp_path / "input")
    write_sheet(tmp_path / "episodes.tsv", [("demo", str(wav), "Demo")])
    t0 = time.monotonic()
    proc = run_profile(cluster, tmp_path)
    wall = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-5000:] + cluster.logs()
    cues = list(srt.parse((tmp_path / "results" / "demo" / "demo.fr.srt").read_text(encoding="utf-8")))
    assert cues and all(c.content.strip() for c in cues)
    assert "rule asr: asks 8 CPUs, the largest node of the default partition with what it needs has 2" in proc.stderr

    by_rule = {}
    for job in jobs(cluster):
        rule = re.match(r"rule_(\w+?)_wildcards", job.get("Comment", ""))
        if rule:
            by_rule[rule.group(1)] = job
    assert {"download", "audio", "vad", "asr", "translate", "subtitles"} <= set(by_rule), sorted(by_rule)
    for rule, job in sorted(by_rule.items()):
        print(f"slurm job {job['JobId']} {rule}: {job['JobState']} on {job.get('NodeList')}, CPUs {job['NumCPUs']}, "
              f"mem {job.get('MinMemoryNode')}, time {job['TimeLimit']}, TRES {job.get('TresPerJob', '-')}, "
              f"ran {job.get('RunTime')}")
        assert job["JobState"] == "COMPLETED" and job["ExitCode"] == "0:0", job
        gpu = "gpu:1" in job.get("TresPerJob", "")
        assert gpu == (rule in ("asr", "translate")), (rule, job.get("TresPerJob"))
    for rule in ("asr", "translate"):
        job = by_rule[rule]
        assert job["MinMemoryNode"] == "16000M" and job["TimeLimit"] == "04:00:00"
    assert by_rule["asr"]["NumCPUs"] == str(NODE_CPUS)       # the profile's 8, fitted to the node
    assert by_rule["translate"]["NumCPUs"] == "1"           # the offline profile's translate.cpu_threads: 1
    assert by_rule["download"]["TimeLimit"] == "00:30:00" and by_rule["vad"]["MinMemoryNode"] == "4000M"
    print(f"slurm demo wall time: {wall:.0f} s")


def test_a_request_no_node_can_give_stops_before_any_job(cluster, tmp_path):
    """More memory than the node has: a message naming the rule and the node, no job submitted."""
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    write_sheet(tmp_path / "episodes.tsv", [("ep", str(tmp_path / "a.wav"))])
    before = {j["JobId"] for j in jobs(cluster)}
    proc = run_profile(cluster, tmp_path, "--set-resources", "asr:mem_mb=64000", timeout=300)
    assert proc.returncode != 0
    assert ("rule asr: asks 64000 MB of memory, the largest node of the default partition has "
            f"{NODE_MEM_MB} MB") in proc.stderr, proc.stderr[-3000:]
    assert {j["JobId"] for j in jobs(cluster)} == before
