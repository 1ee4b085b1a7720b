"""``make bench``: what the workflow costs on this machine, against bare faster-whisper.

One run builds a ~11-minute synthetic episode from the real clips (repeated, at known offsets, with
music, noise and silence between them), runs the whole workflow on it with the offline models in a
temporary working directory (Snakemake CLI, ``profiles/local``), then a no-op rerun and a
translation-only rerun (``--forcerun translate``), and transcribes the same WAV with bare
faster-whisper three ways (sequential, sequential + its VAD, ``BatchedInferencePipeline``), each in
a fresh process so its peak RSS is its own. Results: ``<out>/results.json`` and ``<out>/results.md``.

Benchmarks are not tests: nothing here asserts a time. All times are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from altyazi.errors import AltyaziError, ConfigError
from altyazi.io import atomic_write_json, atomic_write_text, read_json
from altyazi.log import get_logger, setup_logging
from altyazi.metrics import normalize_turkish, word_error_rate

log = get_logger("bench")
ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ALTYAZI_SHARED", ROOT.parent / "shared"))
EPISODE = "bench"
STAGES = ("download", "audio", "vad", "shots", "asr", "translate", "subtitles")
BARE_MODES = ("sequential", "sequential_vad", "batched")
STABLE = ("--rerun-triggers", "mtime", "input")


# --- the synthetic episode ---------------------------------------------------------------------

def bench_layout(clip_names: list[str], repeats: int = 3) -> list[tuple]:
    """A :func:`tools.samples.build_episode` layout: every clip ``repeats`` times, 1.5-3 s of
    silence after each, an 8 s music stretch after every 3rd clip and 6 s of noise after every 5th.
    Deterministic: the same names give the same layout (10 clips x 3 -> ~656 s)."""
    layout: list[tuple] = [("silence", 2.0)]
    k = 0
    for _ in range(repeats):
        for name in sorted(clip_names):
            k += 1
            layout += [("clip", name), ("silence", 1.5 + (k % 3) * 0.75)]
            if k % 3 == 0:
                layout += [("music", 8.0), ("silence", 1.0)]
            if k % 5 == 0:
                layout += [("noise", 6.0), ("silence", 1.0)]
    return layout


def build_bench_episode(out_dir: Path, clips_dir: Path, repeats: int) -> tuple[Path, dict]:
    """Write ``bench.wav`` + ``bench.truth.json`` under ``out_dir``; returns (wav, truth)."""
    from tools.samples import build_episode, read_transcripts

    sheet = clips_dir / "transcripts.tsv"
    if not sheet.is_file():
        raise ConfigError(f"no clips with transcripts at {clips_dir}",
                          hint="pass --clips DIR (a folder of <clip>.wav + transcripts.tsv) or set ALTYAZI_SHARED")
    wav, truth_path = out_dir / f"{EPISODE}.wav", out_dir / f"{EPISODE}.truth.json"
    build_episode(bench_layout(list(read_transcripts(sheet)), repeats), clips_dir, wav, truth_path)
    return wav, read_json(truth_path)


def truth_text(truth: dict) -> str:
    """What is said in the episode, in order (the clips' reference transcripts)."""
    return " ".join(p["text"] for p in truth["parts"] if p["kind"] == "clip" and p["text"])


def accuracy(reference: str, hypothesis: str) -> dict:
    """Whole-episode WER (Turkish-normalised) and word counts; segmentation-independent."""
    return {"wer": round(word_error_rate([reference], [hypothesis]), 4),
            "words": len(normalize_turkish(hypothesis).split()),
            "reference_words": len(normalize_turkish(reference).split())}


# --- the workflow --------------------------------------------------------------------------------

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


# --- bare faster-whisper -------------------------------------------------------------------------

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
    cmd = [sys.executable, "-m", "tools.bench", "--bare", mode, "--wav", str(wav), "--model", model_dir,
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


# --- putting it together -------------------------------------------------------------------------

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


def machine_info() -> dict:
    from altyazi.gpu import query_devices

    try:
        gpus = query_devices()
    except AltyaziError:
        gpus = []
    return {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],  # other work shares these cores
            "gpu": ", ".join(str(getattr(g, "name", g)) for g in gpus) or None}


def code_version() -> dict:
    """The commit the workflow ran from, and the files changed on top of it (others work in the same
    checkout: the benchmark measures whatever the workflow does at run time)."""
    def git(*args):
        proc = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return proc.stdout.rstrip() if proc.returncode == 0 else None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "modified": [line[3:] for line in dirty.splitlines()] if dirty else []}


def run_bench(out: Path, clips_dir: Path, repeats: int, workdir: Path | None, keep: bool, skip_bare: bool) -> dict:
    """The whole benchmark; writes ``out/results.json`` and ``out/results.md``."""
    tmp = Path(tempfile.mkdtemp(prefix="altyazi-bench-")) if workdir is None else workdir
    tmp.mkdir(parents=True, exist_ok=True)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    code = code_version()
    try:
        wav, truth = build_bench_episode(tmp, clips_dir, repeats)
        (tmp / "episodes.tsv").write_text(f"episode\tsource\ttitle\n{EPISODE}\t{wav}\tbenchmark episode\n", encoding="utf-8")
        first = run_workflow(tmp, label="first")
        # The reruns check mtimes and inputs only: in a shared checkout, an edit of the code or config
        # made during the (long) first run would otherwise turn them into full reruns.
        noop = run_workflow(tmp, *STABLE, label="noop")
        # read before the rerun overwrites translate/subtitles
        stages = stage_table(tmp, truth["duration"])
        first["translate_summary"] = read_json(tmp / "results" / EPISODE / "fr.json").get("summary", {})
        first["model_ready_s"] = model_ready_s(tmp, job_starts(first["output"]))
        first["translate_load_s"] = logged_load_s(tmp / "logs" / "translate" / f"{EPISODE}.log")
        retranslate = run_workflow(tmp, "--forcerun", "translate", *STABLE, label="retranslate")
        retranslate["translate_summary"] = read_json(tmp / "results" / EPISODE / "fr.json").get("summary", {})
        bare = {}
        if not skip_bare:
            threads = os.cpu_count() or 1  # what the asr stage uses with cpu_threads: 0
            bare = {m: run_bare(m, wav, str(ROOT / "models" / "whisper-base"), threads) for m in BARE_MODES}
        results = summarize(machine_info(), truth, tmp, first, noop, retranslate, stages, bare)
        results["throughput"] = measure_throughput(tmp)
        results["machine"]["load_avg_at_start"] = load_at_start
        results["code"] = code
        results["workdir"] = str(tmp) if keep or workdir is not None else None
    finally:
        if not keep and workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return results


def bench_speakers(clips_dir: Path) -> dict | None:
    """Speaker turns on episodes with known turns (tools/bench_speakers.py); the demo's dialogue share
    when results/demo/cues.json is there (`make demo`). A failure here is logged, not fatal."""
    from tools.bench_speakers import run

    try:
        return run(clips_dir, ROOT / "results" / "demo" / "cues.json")
    except (AltyaziError, OSError, RuntimeError) as err:
        log.error("speaker benchmark failed: %s", err)
        return None


def measure_throughput(workdir: Path) -> dict:
    """tools/bench_throughput.py's before/after figures on this run's episode (issue 13)."""
    import yaml

    from altyazi.settings import translate_settings
    from tools import bench_throughput

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["profile"] = "offline"
    return bench_throughput.measure(workdir, EPISODE, translate_settings(config, str(ROOT)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="bench", help="folder for results.json and results.md")
    ap.add_argument("--clips", default=str(SHARED / "data" / "clips"), help="real clips + transcripts.tsv")
    ap.add_argument("--repeats", type=int, default=3, help="how many times each clip appears (3 -> ~11 min)")
    ap.add_argument("--workdir", help="run here instead of a temporary folder (kept afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary working folder")
    ap.add_argument("--skip-bare", action="store_true", help="no bare faster-whisper baselines")
    ap.add_argument("--note", action="append", default=[], help="a line for the Notes section of results.md")
    # internal: one bare faster-whisper run, JSON on stdout (run_bare starts this in a fresh process)
    ap.add_argument("--bare", choices=BARE_MODES, help=argparse.SUPPRESS)
    ap.add_argument("--wav", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.bare:
        print(json.dumps(bare_whisper(args.bare, args.wav, args.model, args.threads or os.cpu_count() or 1)))
        return 0
    setup_logging()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    try:
        results = run_bench(Path(args.out), Path(args.clips), args.repeats,
                            Path(args.workdir) if args.workdir else None, args.keep, args.skip_bare)
    except AltyaziError as err:
        log.error("benchmark failed: %s", err)
        return 1
    results["speakers"] = bench_speakers(Path(args.clips))
    results["bench_wall_s"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "results.json", results)
    md = render_markdown(results, args.note)
    if results.get("speakers"):
        from tools.bench_speakers import render_markdown as speakers_markdown

        md += "\n" + "\n".join(speakers_markdown(results["speakers"]))
    atomic_write_text(out / "results.md", md)
    log.info("benchmark done in %.0f s: %s, %s", results["bench_wall_s"], out / "results.json", out / "results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
