"""The benchmark's figures and its Markdown table: accuracy against the clips' reference transcripts,
the ratios against bare faster-whisper, and ``results.md``."""

from __future__ import annotations

from pathlib import Path

from altyazi.io import read_json
from altyazi.metrics import normalize_turkish, word_error_rate
from tools.bench_workflow import EPISODE


def truth_text(truth: dict) -> str:
    """What is said in the episode, in order (the clips' reference transcripts)."""
    return " ".join(p["text"] for p in truth["parts"] if p["kind"] == "clip" and p["text"])


def accuracy(reference: str, hypothesis: str) -> dict:
    """Whole-episode WER (Turkish-normalised) and word counts; segmentation-independent."""
    return {"wer": round(word_error_rate([reference], [hypothesis]), 4),
            "words": len(normalize_turkish(hypothesis).split()),
            "reference_words": len(normalize_turkish(reference).split())}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def summarize(env: dict, truth: dict, workdir: Path, first: dict, noop: dict, retranslate: dict,
              stages: dict, bare: dict[str, dict]) -> dict:
    """Everything results.json holds; ratios are documented in results.md."""
    audio_s = truth["duration"]
    reference = truth_text(truth)
    tr, fr = read_json(workdir / "results" / EPISODE / "tr.json"), read_json(workdir / "results" / EPISODE / "fr.json")
    asr_summary, tr_summary = tr.get("summary", {}), first["translate_summary"]
    pipeline_text = " ".join(s.get("text", "") for s in tr["segments"] if s.get("text"))
    pipeline_asr_s = sum(stages[r]["wall_s"] for r in ("vad", "asr") if r in stages)
    pipeline_asr_cpu = sum(stages[r]["cpu_s"] or 0.0 for r in ("vad", "asr") if r in stages)
    model_s = (asr_summary.get("seconds") or 0.0) + (tr_summary.get("seconds") or 0.0)
    outside = first["wall_s"] - model_s
    accuracy_rows = {"pipeline": accuracy(reference, pipeline_text)}
    accuracy_rows.update({m: accuracy(reference, b["text"]) for m, b in bare.items()})
    best_bare_wer = min((accuracy_rows[m]["wer"] for m in bare), default=None)
    return {
        "machine": env,
        "episode": {"duration_s": audio_s, "clips": sum(p["kind"] == "clip" for p in truth["parts"]),
                    "speech_s": round(sum(p["end"] - p["start"] for p in truth["parts"] if p["kind"] == "clip"), 1),
                    "music_s": round(sum(p["end"] - p["start"] for p in truth["parts"] if p["kind"] == "music"), 1),
                    "noise_s": round(sum(p["end"] - p["start"] for p in truth["parts"] if p["kind"] == "noise"), 1),
                    "vad_pieces": len(tr["segments"]),
                    "translated_lines": sum(bool((s.get("translation") or "").strip()) for s in fr["segments"]),
                    "reference_words": len(normalize_turkish(reference).split())},
        "workflow": {"wall_s": first["wall_s"], "rtf": ratio(first["wall_s"], audio_s), "jobs": first["jobs"],
                     "noop_rerun_s": noop["wall_s"], "noop_jobs": [j for j in noop["jobs"] if j != "all"],
                     "translate_rerun_s": retranslate["wall_s"], "translate_rerun_jobs": retranslate["jobs"],
                     "translate_rerun_summary": retranslate["translate_summary"]},
        "stages": stages,
        "internal": {"asr": asr_summary, "translate": tr_summary},
        "model_ready_s": first["model_ready_s"],
        "model_load_s": {"asr (bare faster-whisper load, same model)": min((b["load_s"] for b in bare.values()), default=None),
                         "translate (its log)": first["translate_load_s"]},
        "bare_faster_whisper": {m: {k: v for k, v in b.items() if k != "text"} for m, b in bare.items()},
        "accuracy": accuracy_rows,
        "ratios": {
            "pipeline_asr_s": round(pipeline_asr_s, 2),
            **{f"asr_vs_{m}": ratio(pipeline_asr_s, b["process_wall_s"]) for m, b in bare.items()},
            **{f"asr_vs_{m}_transcribe_only": ratio(pipeline_asr_s, b["transcribe_s"]) for m, b in bare.items()},
            "pipeline_asr_cpu_s": round(pipeline_asr_cpu, 2),
            **{f"asr_cpu_vs_{m}_cpu": ratio(pipeline_asr_cpu, b.get("cpu_s")) for m, b in bare.items()},
            "model_compute_s": round(model_s, 2),
            "outside_model_fraction": ratio(outside, first["wall_s"]),
            "pipeline_wer_minus_best_bare": (round(accuracy_rows["pipeline"]["wer"] - best_bare_wer, 4)
                                             if best_bare_wer is not None else None),
        },
    }


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}{unit}" if abs(value) < 10 else f"{value:.1f}{unit}"
    return f"{value}{unit}"


def render_markdown(r: dict, notes: list[str]) -> str:
    """The short table for the README/issue note."""
    ep, wf, ra = r["episode"], r["workflow"], r["ratios"]
    lines = [f"# altyazi benchmark ({r['machine']['when']})", "",
             f"Machine: {r['machine']['cpus']} CPU cores (load average 1/5/15 min at start {r['machine'].get('load_avg_at_start')}, "
             f"at the end {r['machine'].get('load_avg_1_5_15')}), "
             f"{r['machine']['gpu'] or 'no GPU'}; offline profile "
             f"(faster-whisper base int8, Gemma 3 270M GGUF). Episode: {ep['duration_s']:.0f} s synthetic "
             f"({ep['clips']} real clips = {ep['speech_s']:.0f} s, {ep['music_s']:.0f} s music, {ep['noise_s']:.0f} s "
             f"noise, rest silence); {ep['vad_pieces']} VAD pieces, {ep['translated_lines']} lines translated.", "",
             "| stage | wall s | RTF | peak RSS MB | CPU s | peak VRAM |", "|---|---:|---:|---:|---:|---:|"]
    for rule, s in r["stages"].items():
        lines.append(f"| {rule} | {fmt(s['wall_s'])} | {fmt(s['rtf'])} | {fmt(s['max_rss_mb'])} | {fmt(s['cpu_s'])} | "
                     f"{fmt(s['max_vram_mb'])} |")
    lines.append(f"| **whole workflow** | {fmt(wf['wall_s'])} | {fmt(wf['rtf'])} | | | |")
    lines += ["", "| bare faster-whisper (same model, threads, int8, beam 5, tr, word times) | decode+load+transcribe s "
              "| transcribe s | process s | CPU s | peak RSS MB | words | WER |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m, b in r["bare_faster_whisper"].items():
        a = r["accuracy"][m]
        lines.append(f"| {m} | {fmt(b['total_s'])} | {fmt(b['transcribe_s'])} | {fmt(b['process_wall_s'])} | "
                     f"{fmt(b.get('cpu_s'))} | {fmt(b['max_rss_mb'])} | {a['words']} | {fmt(a['wer'])} |")
    pa = r["accuracy"]["pipeline"]
    lines.append(f"| **pipeline** (vad + asr stages) | | | {fmt(ra['pipeline_asr_s'])} | {fmt(ra.get('pipeline_asr_cpu_s'))} | | "
                 f"{pa['words']} | {fmt(pa['wer'])} |")
    lines += ["", f"Reference: {ep['reference_words']} words (WER: whole episode, lowercased, punctuation stripped).", "",
              "| ratio | value | target |", "|---|---:|---|"]
    for m in r["bare_faster_whisper"]:
        target = "<= 1.0" if m == "batched" else ""
        lines.append(f"| pipeline ASR (vad+asr stage walls) / bare {m} (process wall) | {fmt(ra.get('asr_vs_' + m))} | {target} |")
        lines.append(f"| ... / bare {m} transcribe only | {fmt(ra.get('asr_vs_' + m + '_transcribe_only'))} | |")
        lines.append(f"| ... in CPU seconds (vad+asr stage CPU / bare process CPU) | {fmt(ra.get('asr_cpu_vs_' + m + '_cpu'))} | |")
    rounds = r.get("asr_rounds")
    if rounds:
        lines.append(f"| **pipeline ASR / bare batched, {len(rounds['ratios'])} rounds in turn: median** (min-max) | "
                     f"**{fmt(rounds['median'])}** ({fmt(rounds['min'])}-{fmt(rounds['max'])}) | <= 1.0 |")
    lines += [f"| pipeline WER - best bare WER | {fmt(ra['pipeline_wer_minus_best_bare'])} | <= 0 |",
              f"| time outside model compute / whole workflow | {fmt(ra['outside_model_fraction'])} | < 0.05 |",
              f"| no-op rerun s | {fmt(wf['noop_rerun_s'])} | < 3 |",
              f"| translation-only rerun s (`--forcerun translate`) | {fmt(wf['translate_rerun_s'])} | |"]
    mr, ml = r["model_ready_s"], r.get("model_load_s", {})
    rs = wf.get("translate_rerun_summary") or {}
    lines += ["", "Model load per stage: " + ", ".join(f"{k} {fmt(v, ' s')}" for k, v in ml.items())
              + ". Job start -> 'model loaded' log line (process start, imports, input, load): "
              + ", ".join(f"{k} {fmt(v, ' s')}" for k, v in mr.items()) + ".",
              "", f"Translation-only rerun: {rs.get('cached_batches', 'n/a')} batches from the translation cache, "
              f"{rs.get('generated_batches', 'n/a')} generated; jobs {', '.join(wf.get('translate_rerun_jobs', []))}."]
    if r.get("throughput"):
        from tools.bench_throughput import render

        lines += render(r["throughput"])
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
