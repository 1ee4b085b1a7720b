"""`make bench-gpu` on CPU with scaled-down configurations: the same code path as on a GPU (models
built on the device from the replica configurations, Voxtral Mini saved and loaded back through the
project's loader, packed ASR with alignment, the translator's streams and batches), and its report."""

from __future__ import annotations

import json

import pytest

from tools import bench_gpu


def test_real_configurations_come_from_the_replica_manifests():
    small = bench_gpu.real_config("mistralai/Voxtral-Small-24B-2507", tiny=False)
    assert small["text_config"]["num_hidden_layers"] == 40 and small["text_config"]["hidden_size"] == 5120
    assert small["audio_config"]["max_source_positions"] == 1500 and small["audio_token_id"] == 24
    mistral = bench_gpu.real_config("mistralai/Mistral-Small-3.2-24B-Instruct-2506", tiny=False)
    assert mistral["architectures"] == ["Mistral3ForConditionalGeneration"]
    assert bench_gpu.real_config("mistralai/Voxtral-Small-24B-2507", tiny=True)["text_config"]["hidden_size"] == 64


@pytest.mark.slow
def test_tiny_run_writes_every_stage(tmp_path):
    out = tmp_path / "bench"
    assert bench_gpu.main(["--tiny", "--device", "cpu", "--minutes", "0.5", "--batch", "2", "--out", str(out),
                           "--work", str(tmp_path)]) == 0
    r = json.loads((out / "gpu-results.json").read_text(encoding="utf-8"))
    assert [s["stage"] for s in r["stages"]] == ["asr voxtral-mini", "asr voxtral-small", "translate mistral-small-3.2"]
    mini, small, tr = r["stages"]
    assert mini["load"].startswith("measured") and small["load"].startswith("projected")
    for s in (mini, small):
        assert s["windows"] < r["pieces"] + 1 and s["pieces_with_words"] == r["pieces"]   # packed, no line lost
        assert s["audio_tokens"] == 375 * s["windows"]
    assert tr["streams"] >= 1 and tr["generate_calls"] >= tr["batches"] / tr["batch_size"]
    for s in r["stages"]:
        assert s["projected_2h_s"] > s["stage_s"] and s["prefill_tokens_per_s"] > 0 and s["batch_size"] == 2
    assert "2 h episode" in (out / "gpu-results.md").read_text(encoding="utf-8")
    assert not any(p.name.startswith("altyazi-bench-gpu-") for p in tmp_path.iterdir())   # work folder removed
