"""Fitting the Slurm requests to the nodes sinfo reports (altyazi/cluster.py), on sinfo lines as
Slurm 22.05 prints them; the real cluster is in tests/test_slurm_cluster.py."""

from __future__ import annotations

import pytest

from altyazi.cluster import Request, fit, gpu_count, parse_sinfo, parse_time_min
from altyazi.errors import ConfigError

SINFO = """cpu*|c1|64|256000|(null)|1-00:00:00
cpu*|c2|64|256000|(null)|1-00:00:00
gpu|g1|16|128000|gpu:a100:4(S:0-1)|4:00:00
gpu|g2|4|32000|gpu:1|4:00:00
"""
NODES = parse_sinfo(SINFO)


def test_sinfo_fields():
    assert [(n.name, n.partition, n.default, n.cpus, n.mem_mb, n.gpus) for n in NODES] == [
        ("c1", "cpu", True, 64, 256000, 0), ("c2", "cpu", True, 64, 256000, 0),
        ("g1", "gpu", False, 16, 128000, 4), ("g2", "gpu", False, 4, 32000, 1)]
    assert [parse_time_min(t) for t in ("30:00", "4:00:00", "1-12:00:00", "infinite", "45")] == [
        30, 240, 2160, float("inf"), 45]
    assert gpu_count("gpu:a100:2,gpu:v100:1") == 3 and gpu_count("(null)") == 0


def test_requests_that_fit_change_nothing():
    assert fit([Request("asr", 8, 16000, 1, 240, "gpu"), Request("vad", 2, 4000, 0, 60)], NODES) == (None, [])


def test_too_many_cpus_are_lowered_to_the_largest_node_with_a_gpu():
    cap, warnings = fit([Request("asr", 32, 16000, 1, 240, "gpu")], NODES)
    assert cap == 16 and warnings == ["rule asr: asks 32 CPUs, the largest node of partition 'gpu' with what it "
                                      "needs has 16: asking 16 (set `cores` in profiles/slurm/config.yaml to choose)"]


@pytest.mark.parametrize("request_, message", [
    (Request("asr", 8, 16000, 1, 240), "rule asr: asks 1 GPU(s) but no node of the default partition has a GPU GRES"),
    (Request("asr", 8, 500000, 1, 240, "gpu"), "rule asr: asks 500000 MB of memory, the largest node of partition 'gpu' has 128000 MB"),
    (Request("asr", 8, 16000, 1, 600, "gpu"), "rule asr: asks a runtime of 600 min, partition 'gpu' allows 240 min"),
    (Request("asr", 8, 16000, 1, 60, "gpus"), "rule asr: partition 'gpus' has no node (partitions: cpu, gpu)"),
])
def test_what_no_node_can_give_stops_with_the_rule_and_the_value(request_, message):
    with pytest.raises(ConfigError, match="the Slurm requests do not fit the cluster") as exc:
        fit([request_, Request("vad", 2, 4000, 0, 60)], NODES)
    assert message in str(exc.value) and "rule vad" not in str(exc.value)
