"""The benchmark's helpers (no models, no timing assertions): the synthetic episode, parsing of
Snakemake's benchmark files, job stamps and stage logs, accuracy figures and the Markdown table."""

from __future__ import annotations

from datetime import datetime

import pytest

from tools import bench, bench_bare, bench_report, bench_workflow


def test_layout_is_deterministic_and_repeats_every_clip():
    names = ["b", "a", "c", "d", "e"]
    layout = bench.bench_layout(names, repeats=3)
    assert layout == bench.bench_layout(list(reversed(names)), repeats=3)
    clips = [item[1] for item in layout if item[0] == "clip"]
    assert clips == sorted(names) * 3
    kinds = {item[0] for item in layout}
    assert kinds == {"clip", "silence", "music", "noise"}
    # every clip is followed by silence, so no two clips touch
    for i, item in enumerate(layout[:-1]):
        if item[0] == "clip":
            assert layout[i + 1][0] == "silence"


def test_bench_episode_from_real_clips_has_known_offsets(shared_clips, tmp_path):
    wav, truth = bench.build_bench_episode(tmp_path, shared_clips, repeats=1)
    assert wav.is_file()
    parts = truth["parts"]
    assert parts[0]["start"] == 0.0 and abs(parts[-1]["end"] - truth["duration"]) < 1e-3
    for a, b in zip(parts, parts[1:]):
        assert abs(a["end"] - b["start"]) < 2e-3  # contiguous, known offsets
    assert sum(p["kind"] == "clip" for p in parts) == 10
    assert bench_report.truth_text(truth).split()[0] == parts[1]["text"].split()[0]


def test_missing_clips_is_a_clear_error(tmp_path):
    with pytest.raises(bench.ConfigError, match="no clips"):
        bench.build_bench_episode(tmp_path, tmp_path / "nowhere", repeats=1)


def test_read_benchmark_tsv(tmp_path):
    tsv = tmp_path / "b.tsv"
    tsv.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                   "12.5\t0:00:12\t812.3\t900\t700\t750\t1\t2\t180.0\t22.1\n")
    row = bench_workflow.read_benchmark_tsv(tsv)
    assert row == {"wall_s": 12.5, "max_rss_mb": 812.3, "cpu_s": 22.1, "mean_load": 180.0}


SNAKEMAKE_OUT = """Building DAG of jobs...
[Thu Nov  5 16:14:07 2026]
localrule vad:
    input: results/bench/audio.wav
[Wed Nov 25 16:14:30 2026]
rule asr:
    input: results/bench/audio.wav
"""


def test_job_starts_and_jobs_run():
    starts = bench_workflow.job_starts(SNAKEMAKE_OUT)
    assert starts["vad"] == datetime(2026, 11, 5, 16, 14, 7)
    assert starts["asr"] == datetime(2026, 11, 25, 16, 14, 30)
    assert bench_workflow.jobs_run(SNAKEMAKE_OUT) == ["vad", "asr"]


def test_model_ready_from_logs(tmp_path):
    (tmp_path / "logs" / "asr").mkdir(parents=True)
    (tmp_path / "logs" / "asr" / "bench.log").write_text(
        "2026-11-25 16:14:33,950 WARNING [altyazi.gpu] no GPU\n"
        "2026-11-25 16:14:35,467 INFO    [altyazi.asr.whisper] faster-whisper models/whisper-base loaded on cpu\n")
    ready = bench_workflow.model_ready_s(tmp_path, bench_workflow.job_starts(SNAKEMAKE_OUT))
    assert ready == {"asr": 5.5, "translate": None}


def test_accuracy_counts_words_after_normalising():
    acc = bench_report.accuracy("Bu devlet nasıl ayakta duracak?", "bu Devlet, nasıl duracak")
    assert acc["reference_words"] == 5 and acc["words"] == 4
    assert acc["wer"] == pytest.approx(0.2)


def test_markdown_table_shows_every_stage_and_ratio():
    stage = {"wall_s": 10.0, "rtf": 0.02, "max_rss_mb": 500.0, "cpu_s": 15.0, "mean_load": 1.0, "max_vram_mb": None}
    bare = {"mode": "batched", "decode_s": 0.1, "load_s": 0.6, "transcribe_s": 40.0, "total_s": 40.7,
            "segments": 9, "max_rss_mb": 600.0, "process_wall_s": 43.0}
    results = {
        "machine": {"when": "now", "cpus": 2, "gpu": None},
        "episode": {"duration_s": 600.0, "clips": 30, "speech_s": 450.0, "music_s": 80.0, "noise_s": 36.0,
                    "vad_pieces": 100, "translated_lines": 90, "reference_words": 900},
        "workflow": {"wall_s": 300.0, "rtf": 0.5, "noop_rerun_s": 2.1, "translate_rerun_s": 150.0},
        "stages": {r: dict(stage) for r in bench_workflow.STAGES},
        "bare_faster_whisper": {"batched": bare},
        "accuracy": {"pipeline": {"wer": 0.4, "words": 850}, "batched": {"wer": 0.45, "words": 800}},
        "ratios": {"pipeline_asr_s": 50.0, "asr_vs_batched": 1.163, "asr_vs_batched_transcribe_only": 1.25,
                   "pipeline_wer_minus_best_bare": -0.05, "outside_model_fraction": 0.04},
        "model_ready_s": {"asr": 3.0, "translate": 50.0},
    }
    md = bench_report.render_markdown(results, ["translation capped"])
    for rule in bench_workflow.STAGES:
        assert f"| {rule} |" in md
    assert "| batched |" in md and "1.16" in md and "translation capped" in md and "n/a" in md
    results["asr_rounds"] = {"median": 1.19, "min": 1.18, "max": 1.25, "ratios": [1.18, 1.19, 1.25]}
    assert "3 rounds in turn: median** (min-max) | **1.19** (1.18-1.25) | <= 1.0 |" in bench_report.render_markdown(results, [])


def test_asr_rounds_alternate_the_pipeline_and_bare_and_take_the_median(tmp_path, monkeypatch):
    calls = []
    walls = iter([(3.0, 30.0), (2.0, 20.0)])       # vad, asr stage walls of rounds 2 and 3
    bares = iter([25.0, 40.0])

    def fake_run(workdir, *extra, label):
        calls.append(("workflow", extra[:4]))
        vad, asr = next(walls)
        for rule, wall in (("vad", vad), ("asr", asr)):
            d = tmp_path / "benchmarks" / rule
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{bench_workflow.EPISODE}.tsv").write_text(
                "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                f"{wall}\t0:00:01\t1\t1\t1\t1\t0\t0\t1\t{wall}\n", encoding="utf-8")
        return {}

    def fake_bare(mode, wav, model, threads):
        calls.append(("bare", mode))
        return {"process_wall_s": next(bares)}

    monkeypatch.setattr(bench, "run_workflow", fake_run)
    monkeypatch.setattr(bench, "run_bare", fake_bare)
    first = {"vad": {"wall_s": 2.0}, "asr": {"wall_s": 28.0}}
    out = bench.alternate_asr(tmp_path, tmp_path / "x.wav", first, {"process_wall_s": 20.0}, 2)
    assert calls == [("workflow", ("--forcerun", "vad", "--until", "asr")), ("bare", "batched")] * 2
    assert out["pairs_s"] == [[30.0, 20.0], [33.0, 25.0], [22.0, 40.0]]
    assert out["ratios"] == [0.55, 1.32, 1.5] and out["median"] == 1.32


def test_summarize_reads_a_finished_workdir(tmp_path):
    """summarize() over a workdir laid out as the workflow leaves it (benchmarks, logs, results)."""
    truth = {"duration": 100.0, "parts": [
        {"kind": "silence", "start": 0.0, "end": 2.0, "text": "", "name": "silence"},
        {"kind": "clip", "start": 2.0, "end": 8.0, "text": "Bu devlet nasıl ayakta duracak?", "name": "c1"},
        {"kind": "music", "start": 8.0, "end": 100.0, "text": "", "name": "music"}]}
    ep = tmp_path / "results" / bench_workflow.EPISODE
    ep.mkdir(parents=True)
    (ep / "tr.json").write_text('{"summary": {"seconds": 30.0}, "segments": ['
                                '{"id": 0, "start": 2.1, "end": 7.9, "text": "bu devlet nasıl duracak"}]}')
    (ep / "fr.json").write_text('{"summary": {"seconds": 50.0}, "segments": [{"id": 0, "source": "x", "text": "y"}]}')
    for rule, wall in (("vad", 4.0), ("asr", 32.0), ("translate", 55.0), ("subtitles", 1.0)):
        d = tmp_path / "benchmarks" / rule
        d.mkdir(parents=True)
        (d / f"{bench_workflow.EPISODE}.tsv").write_text(f"s\tmax_rss\tcpu_time\tmean_load\n{wall}\t100\t{wall * 2}\t1\n")
    stages = bench_workflow.stage_table(tmp_path, truth["duration"])
    assert stages["asr"]["rtf"] == pytest.approx(0.32) and set(stages) == {"vad", "asr", "translate", "subtitles"}
    first = {"wall_s": 100.0, "jobs": ["vad", "asr"], "output": "", "translate_summary": {"seconds": 50.0},
             "model_ready_s": {"asr": 2.0, "translate": 40.0}, "translate_load_s": 38.0}
    noop = {"wall_s": 2.0, "jobs": ["all"]}
    rerun = {"wall_s": 60.0, "jobs": ["translate", "subtitles"], "translate_summary": {"cached_batches": 1}}
    bare = {"batched": {"mode": "batched", "load_s": 1.0, "transcribe_s": 30.0, "total_s": 31.0, "cpu_s": 60.0,
                        "max_rss_mb": 1.0, "process_wall_s": 36.0, "text": "bu devlet ayakta duracak"}}
    r = bench_report.summarize({"when": "now", "cpus": 2, "gpu": None}, truth, tmp_path, first, noop, rerun, stages, bare)
    ra = r["ratios"]
    assert ra["pipeline_asr_s"] == 36.0 and ra["asr_vs_batched"] == 1.0
    assert ra["outside_model_fraction"] == pytest.approx(0.2)  # 100 s wall - (30 + 50) s in the models
    assert r["accuracy"]["pipeline"]["wer"] == pytest.approx(0.2) and r["accuracy"]["batched"]["wer"] == pytest.approx(0.2)
    assert ra["pipeline_wer_minus_best_bare"] == 0.0
    assert r["workflow"]["noop_jobs"] == [] and r["episode"]["clips"] == 1
    assert "| asr |" in bench_report.render_markdown(r, [])


@pytest.mark.slow
def test_bare_whisper_modes_transcribe_a_short_clip(offline_models, shared_clips):
    """The three bare faster-whisper modes run (2.5 s clip) and return text and their own figures."""
    for mode in bench_bare.BARE_MODES:
        out = bench_bare.bare_whisper(mode, str(shared_clips / "1-0013.wav"), str(offline_models["faster-whisper"]), threads=2)
        assert out["mode"] == mode and out["segments"] >= 1 and out["text"].strip()
        assert out["cpu_s"] > 0 and out["max_rss_mb"] > 0


def test_logged_translation_load_time(tmp_path):
    log_file = tmp_path / "t.log"
    log_file.write_text("2026-11-25 17:30:00,036 INFO    [altyazi.translate.llm] translation model m.gguf loaded on cpu, "
                        "1 thread(s) in 117 s (torch.float32)\n")
    assert bench_workflow.logged_load_s(log_file) == 117.0
    log_file.write_text("nothing loaded\n")
    assert bench_workflow.logged_load_s(log_file) is None


def test_translation_calls_before_and_after_auto_streams(tmp_path):
    """The throughput section's translation figure: a chat model batching 32 prompts gets one job per
    part; fixed 4 streams cap a call at 4 prompts, auto streams fill it."""
    from altyazi.recordfiles import write_segments
    from altyazi.records import Segment
    from tools import bench_throughput

    segs = [Segment(i, 3.0 * i, 3.0 * i + (1.0 if i % 20 == 19 else 2.5), f"Satır {i} geldi mi?") for i in range(200)]
    tr = tmp_path / "tr.json"
    write_segments(tr, "tr", segs, language="tr", summary={})
    out = bench_throughput.translation_calls(tr, {"model": "x", "batch_lines": 20, "glossary": None}, batch_size=32)
    before, after = out["streams 4 (before)"], out["streams auto (after)"]
    assert before["batches"] == after["batches"] == 10
    assert before["generate_calls"] == 3 and after["generate_calls"] == 1 and after["prompts_per_call"] == 10.0
    assert "| streams auto (after) | 10 | 10 | 1 | 10.0 |" in "\n".join(bench_throughput.render({"translation_calls": out}))
