"""Cue timing against speech with known onsets: ``python -m tools.bench_timing`` (``make bench`` runs it).

The episode: espeak-ng Turkish lines, whose onsets and offsets are known to the sample (each line
is trimmed to its first and last sample above 1 % full scale, see tools/samples.py), placed right
after the real clips (0.3-1.2 s later: the VAD padding of the clip overlaps the line), right after
music and right after noise. Its source is an MP4 whose video has shot changes at known frames,
many of them within 12 frames of a line's onset or offset (coloured shots, so the cut is certain).

The workflow runs with the offline profile up to the ASR, speech.json and shots.json; the subtitles
are then built in-process from tr.json with the Turkish text standing in for the French (timing
does not depend on which words the cue shows; the offline translator's French is a placeholder) in
three ways: audio timing (this branch), ASR word times (``timing_reference: asr``: the previous
behaviour), and audio timing plus shot changes. Bare faster-whisper's segments (first word start,
last word end) are scored the same way. Scores, in frames at 25 fps, per known line: in-time minus
onset, out-time minus offset (p50, p90 of the absolute value, min, max), cues more than 3 frames
early or late, out-times more than 0.5 s after speech not flagged ``extended``; lines no cue shows
for half their length (lost; a clip without Turkish speech is no line), cues over music, noise,
silence or a speechless clip only (stray), reading speed, WER; shot changes found, cues
crossing a cut within the snapping distance. Benchmarks are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from altyazi.io import atomic_write_json, atomic_write_text, read_json
from altyazi.log import get_logger, setup_logging

log = get_logger("bench")
ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ALTYAZI_SHARED", ROOT.parent / "shared"))
EPISODE = "timing"
FPS = 25.0
LIMIT_FRAMES = 3
LINGER_S = 0.5
LINES = ["Bu akşam eve geç geleceğim.", "Kapıyı kim açtı?", "Annem seni çok merak ediyor.", "Hayır, bunu yapamam.",
         "Yarın sabah erkenden yola çıkacağız.", "Neden bana söylemedin?", "Her şey yoluna girecek.",
         "Sen burada ne arıyorsun?", "Çay ister misin?", "Bir daha buraya gelme.", "Seni bekliyordum.",
         "Kimseye bir şey söyleme, tamam mı?"]
# shot change offsets from a line's onset (frames): before it, in the red zone after, in the green zone
ONSET_CUTS = (-10, -4, 3, 6, 9, None)
OFFSET_CUTS = (5, -6, 11, None)


def timing_layout(clip_names: list[str], lines: list[str] = LINES) -> list[tuple]:
    """36 known lines: each of ``lines`` after a real clip, after music and after noise."""
    clips = sorted(clip_names)
    layout: list[tuple] = [("silence", 1.0)]
    for i, text in enumerate(lines):
        layout += [("clip", clips[i % len(clips)]), ("silence", (0.3, 0.6, 1.2)[i % 3]), ("tts", text), ("silence", 0.8),
                   ("music", 4.0), ("silence", (0.0, 0.15, 0.3)[i % 3]), ("tts", lines[(i + 4) % len(lines)]),
                   ("silence", 0.7), ("noise", 3.0), ("tts", lines[(i + 8) % len(lines)]), ("silence", 1.0)]
    return layout


def cut_frames(parts: list[dict], duration: float) -> list[int]:
    """Shot changes (frame numbers) near the known lines' onsets and offsets, plus one every ~6 s elsewhere."""
    cuts: set[int] = set()
    tts = [p for p in parts if p["kind"] == "tts"]
    for k, p in enumerate(tts):
        on, off = ONSET_CUTS[k % len(ONSET_CUTS)], OFFSET_CUTS[k % len(OFFSET_CUTS)]
        if on is not None:
            cuts.add(round(p["start"] * FPS) + on)
        if off is not None:
            cuts.add(round(p["end"] * FPS) + off)
    for p in parts:
        if p["kind"] in ("music", "noise"):
            cuts.add(round((p["start"] + p["end"]) / 2 * FPS))
    return sorted(c for c in cuts if 0 < c < duration * FPS - 1)


def make_video(wav: Path, cuts: list[int], duration: float, out: Path) -> None:
    """An MP4 (64x36, 25 fps) whose flat colour changes at each frame of ``cuts``, muxed with ``wav``
    (frames generated here and piped to ffmpeg: a cut is exactly where it is said to be)."""
    import numpy as np

    n = int(round(duration * FPS))
    shot = np.searchsorted(np.asarray(cuts), np.arange(n), side="right")  # shot index of each frame
    # bright and dark shots in turn, each its own hue: ffmpeg's scene score compares luma, and two
    # colours of equal brightness (a wrap of a plain palette) would hide the cut
    base = np.where(shot % 2 == 0, 40, 170)
    palette = np.stack([base + (shot * 37) % 80, base + (shot * 53) % 80, base + (shot * 71) % 80], axis=1).astype(np.uint8)
    frames = np.broadcast_to(palette[:, None, None, :], (n, 36, 64, 3))
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "64x36",
           "-r", f"{FPS:g}", "-i", "-", "-i", str(wav), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-b:a", "128k", "-shortest", str(out)]
    subprocess.run(cmd, input=np.ascontiguousarray(frames).tobytes(), check=True)


def build_timing_episode(out_dir: Path, clips_dir: Path) -> tuple[Path, dict]:
    """``timing.mp4`` (video with known cuts + the audio) and ``timing.truth.json`` (parts, cuts)."""
    from tools.samples import build_episode, read_transcripts

    wav, truth_path = out_dir / f"{EPISODE}.wav", out_dir / f"{EPISODE}.truth.json"
    build_episode(timing_layout(list(read_transcripts(clips_dir / "transcripts.tsv"))), clips_dir, wav, truth_path)
    truth = read_json(truth_path)
    truth["cut_frames"] = cut_frames(truth["parts"], truth["duration"])
    mp4 = out_dir / f"{EPISODE}.mp4"
    make_video(wav, truth["cut_frames"], truth["duration"], mp4)
    atomic_write_json(truth_path, truth)
    return mp4, truth


# --- scoring ------------------------------------------------------------------------------------

def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def is_speech(part: dict) -> bool:
    """A clip or tts line with words to say: a clip whose reference transcript is empty (a scenery
    shot under music) is not speech, and a cue over it is stray, not its line."""
    return part["kind"] in ("clip", "tts") and bool(str(part.get("text", "-")).strip())


def shown(cues: list[dict], part: dict) -> float:
    """Seconds of ``part`` during which a cue is on screen (cues do not overlap each other)."""
    return sum(_overlap(c["start"], c["end"], part["start"], part["end"]) for c in cues)


def is_lost(cues: list[dict], part: dict) -> bool:
    """No cue is on screen for at least half of the line (half of its first second, for a longer
    one): the viewer does not see it. A line shown in a cue that also holds the previous clip's last
    words is not lost (that is counted apart, as ``lines_merged_with_clip``)."""
    return shown(cues, part) < 0.5 * min(part["end"] - part["start"], 1.0)


def assign(cues: list[dict], parts: list[dict]) -> list[int | None]:
    """Per cue, the index of the speech part (:func:`is_speech`) it overlaps most, or None (stray)."""
    out = []
    for c in cues:
        best = max(((_overlap(c["start"], c["end"], p["start"], p["end"]), k) for k, p in enumerate(parts)
                    if is_speech(p)), default=(0.0, None))
        out.append(best[1] if best[0] > 0 else None)
    return out


def _dist(frames: list[float]) -> dict:
    if not frames:
        return {"n": 0, "p50": None, "p90_abs": None, "min": None, "max": None}
    absv = sorted(abs(x) for x in frames)
    return {"n": len(frames), "p50": round(statistics.median(frames), 2),
            "p90_abs": round(absv[min(len(absv) - 1, int(round(0.9 * (len(absv) - 1))))], 2),
            "min": round(min(frames), 2), "max": round(max(frames), 2)}


def score(cues: list[dict], truth: dict, cut_s: list[float] | None = None, snap_frames: int = 12) -> dict:
    """Timing figures of ``cues`` (dicts with start, end, text, flags) against the known lines."""
    parts = truth["parts"]
    owner = assign(cues, parts)
    onsets, offsets, late_unflagged = [], [], 0
    lost = {"clip": 0, "tts": 0}
    merged = 0
    for k, p in enumerate(parts):
        mine = [c for c, o in zip(cues, owner) if o == k]
        if is_speech(p) and is_lost(cues, p):
            lost[p["kind"]] += 1
        if p["kind"] != "tts" or not mine:
            continue
        # The ASR put the previous clip's last words and this line in one piece: the cue starts on
        # the clip's speech (whose onset is not known), so its in-time says nothing about this line's.
        if k and parts[k - 1]["kind"] == "silence" and k > 1 and parts[k - 2]["kind"] == "clip" \
                and mine[0]["start"] < parts[k - 2]["end"] - 1e-6:
            merged += 1
        else:
            onsets.append(float(mine[0]["start"] - p["start"]) * FPS)  # float: faster-whisper gives numpy scalars
        offsets.append(float(mine[-1]["end"] - p["end"]) * FPS)
        late_unflagged += bool(mine[-1]["end"] - p["end"] > LINGER_S + 1e-6 and "extended" not in mine[-1].get("flags", []))
    cps = [len(c["text"].replace("\n", "")) / (c["end"] - c["start"]) for c in cues if c["end"] > c["start"] and c.get("text")]
    out = {"cues": len(cues), "known_lines": sum(p["kind"] == "tts" for p in parts),
           "lines_lost": lost["tts"], "clips_lost": lost["clip"], "stray_cues": sum(o is None for o in owner),
           "lines_merged_with_clip": merged,
           "onset_frames": _dist(onsets), "offset_frames": _dist(offsets),
           "early_over_3f": sum(x < -LIMIT_FRAMES - 1e-6 for x in onsets),
           "late_over_3f": sum(x > LIMIT_FRAMES + 1e-6 for x in onsets),
           "end_over_0_5s_unflagged": int(late_unflagged),
           "cps": {"median": round(statistics.median(cps), 1) if cps else None, "max": round(max(cps), 1) if cps else None,
                   "over_17": sum(x > 17 + 1e-6 for x in cps)}}
    if cut_s is not None:
        snap = snap_frames / FPS
        near = 0
        for c in cues:
            inside = [t for t in cut_s if c["start"] + 0.5 / FPS < t < c["end"] - 0.5 / FPS]
            near += any(t - c["start"] < snap - 1e-6 or c["end"] - t < snap - 1e-6 for t in inside)
        out["cues_crossing_cut_near_ends"] = near
        out["cues_crossing_cut"] = sum(any(c["start"] + 0.5 / FPS < t < c["end"] - 0.5 / FPS for t in cut_s) for c in cues)
    return out


# --- running --------------------------------------------------------------------------------------

def run_pipeline(workdir: Path, mp4: Path) -> Path:
    """The workflow (offline profile) up to tr.json, speech.json and shots.json; returns the episode folder."""
    from tools.bench_workflow import run_workflow

    (workdir / "episodes.tsv").write_text(f"episode\tsource\ttitle\n{EPISODE}\t{mp4}\ttiming benchmark\n", encoding="utf-8")
    ep = workdir / "results" / EPISODE
    # an option before the targets: snakemake's --config (last in the command) would take them as its values
    targets = [f"results/{EPISODE}/{name}" for name in ("tr.json", "speech.json", "shots.json")]  # relative to -d
    run_workflow(workdir, "--rerun-incomplete", *targets, label="timing")
    return ep


def pipeline_cues(ep: Path, reference: str, with_shots: bool) -> list[dict]:
    """Cues built from tr.json (Turkish standing in for the French) the way the subtitles stage builds them."""
    from altyazi.recordfiles import read_record_file, read_segments
    from altyazi.subtitles import build_cues
    from altyazi.subtitles.onsets import load_speech_runs
    from altyazi.subtitles.rules import SubtitleRules

    _, segments = read_segments(ep / "tr.json", "tr")
    for s in segments:
        s.translation = s.text
    rules = SubtitleRules.from_config({"timing_reference": reference})
    speech = load_speech_runs(ep / "speech.json", segments)
    cuts = read_record_file(ep / "shots.json", "shots")["cuts"] if with_shots else None
    cues = build_cues(segments, rules, speech, cuts)
    return [{"start": c.start, "end": c.end, "text": c.text, "flags": list(c.flags)} for c in cues if c.text]


def bare_cues(wav: Path, threads: int) -> tuple[list[dict], str]:
    """Bare faster-whisper (its own VAD, word times): one cue per segment, first word start to last word end."""
    from faster_whisper import WhisperModel

    from altyazi.audio import load_wav

    model = WhisperModel(str(ROOT / "models" / "whisper-base"), device="cpu", compute_type="int8", cpu_threads=threads,
                         local_files_only=True)
    segments, _ = model.transcribe(load_wav(wav), language="tr", beam_size=5, word_timestamps=True, vad_filter=True)
    cues, texts = [], []
    for s in segments:
        words = [w for w in (s.words or []) if w.word.strip()]
        start, end = (words[0].start, words[-1].end) if words else (s.start, s.end)
        cues.append({"start": round(float(start), 3), "end": round(float(end), 3), "text": s.text.strip(), "flags": []})
        texts.append(s.text.strip())
    return cues, " ".join(texts)


def detector_scores(ep: Path, truth: dict) -> dict:
    """speech.json's runs against the known lines: silero's own boundaries (32 ms windows) and the
    energy-sharpened ones (what the cues use): the measurement that picked the detector."""
    from altyazi.recordfiles import read_record_file

    runs = read_record_file(ep / "speech.json", "speech")["runs"]
    out = {}
    for name, a, b in (("silero", "vad_start", "vad_end"), ("silero + energy (used)", "start", "end")):
        on, off = [], []
        for p in (p for p in truth["parts"] if p["kind"] == "tts"):
            mine = [r for r in runs if r[b] > p["start"] and r[a] < p["end"]]
            if mine:
                on.append((mine[0][a] - p["start"]) * FPS)
                off.append((mine[-1][b] - p["end"]) * FPS)
        out[name] = {"onset_frames": _dist(on), "offset_frames": _dist(off)}
    return out


def shot_detection(ep: Path, truth: dict) -> dict:
    """Cuts found in shots.json against the known cut frames (exact frame, and within 1 frame)."""
    from altyazi.recordfiles import read_record_file

    found = [round(t * FPS) for t in read_record_file(ep / "shots.json", "shots")["cuts"]]
    known = set(truth["cut_frames"])
    return {"known": len(known), "found": len(found), "exact": sum(f in known for f in found),
            "within_1_frame": sum(any(abs(f - k) <= 1 for k in known) for f in found)}


def run_timing_bench(workdir: Path, clips_dir: Path, skip_bare: bool = False) -> dict:
    from tools.bench_report import accuracy

    mp4, truth = build_timing_episode(workdir, clips_dir)
    ep = run_pipeline(workdir, mp4)
    reference = " ".join(p["text"] for p in truth["parts"] if p["kind"] in ("clip", "tts") and p["text"])
    tr_text = " ".join(s.get("text", "") for s in read_json(ep / "tr.json")["segments"] if s.get("text"))
    cut_s = [f / FPS for f in truth["cut_frames"]]
    rows = {"audio (this branch)": score(pipeline_cues(ep, "audio", False), truth, cut_s),
            "asr word times (previous behaviour)": score(pipeline_cues(ep, "asr", False), truth, cut_s),
            "audio + shot changes (this branch, video)": score(pipeline_cues(ep, "audio", True), truth, cut_s)}
    wer = {"pipeline": accuracy(reference, tr_text)}
    if not skip_bare:
        cues, text = bare_cues(workdir / f"{EPISODE}.wav", os.cpu_count() or 1)
        rows["bare faster-whisper"] = score(cues, truth, cut_s)
        wer["bare faster-whisper"] = accuracy(reference, text)
    return {"episode": {"duration_s": truth["duration"], "known_lines": rows["audio (this branch)"]["known_lines"],
                        "clips": sum(p["kind"] == "clip" for p in truth["parts"]), "cuts": len(truth["cut_frames"])},
            "rows": rows, "wer": wer, "shots": shot_detection(ep, truth), "detectors": detector_scores(ep, truth)}


def render_markdown(r: dict) -> str:
    """The side-by-side table of :func:`run_timing_bench`'s results."""
    from tools.bench_report import fmt

    ep = r["episode"]
    lines = ["## Cue timing against known onsets", "",
             f"{ep['known_lines']} espeak-ng lines with onsets known to the sample, after {ep['clips']} real clips, music and "
             f"noise ({ep['duration_s']:.0f} s); video with {ep['cuts']} shot changes at known frames. Frames at 25 fps; "
             "error = cue time - speech time (negative: early). Targets: |onset| p90 <= 3, median within +/-1, no cue > 3 "
             "frames early, end <= 0.5 s after speech unless flagged extended, 0 cue crossing a cut near its ends.", "",
             "| cues from | onset p50 | onset abs p90 | onset min/max | offset p50 | offset abs p90 | early > 3f | late > 3f | "
             "end > 0.5 s unflagged | lines lost (clips) | lines in a clip's cue | stray cues | cps median/max (>17) | "
             "crossing a cut / near an end |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in r["rows"].items():
        on, off = s["onset_frames"], s["offset_frames"]
        lines.append(f"| {name} | {fmt(on['p50'])} | {fmt(on['p90_abs'])} | {fmt(on['min'])} / {fmt(on['max'])} | "
                     f"{fmt(off['p50'])} | {fmt(off['p90_abs'])} | {s['early_over_3f']} | {s['late_over_3f']} | "
                     f"{s['end_over_0_5s_unflagged']} | {s['lines_lost']} ({s['clips_lost']}) | {s['lines_merged_with_clip']} | "
                     f"{s['stray_cues']} | {fmt(s['cps']['median'])} / {fmt(s['cps']['max'])} ({s['cps']['over_17']}) | "
                     f"{s.get('cues_crossing_cut', 'n/a')} / {s.get('cues_crossing_cut_near_ends', 'n/a')} |")
    lines += ["", "| speech boundaries in speech.json vs the known lines | onset p50 | onset abs p90 | onset min/max | "
              "offset p50 | offset abs p90 | offset min/max |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, d in r.get("detectors", {}).items():
        on, off = d["onset_frames"], d["offset_frames"]
        lines.append(f"| {name} | {fmt(on['p50'])} | {fmt(on['p90_abs'])} | {fmt(on['min'])} / {fmt(on['max'])} | "
                     f"{fmt(off['p50'])} | {fmt(off['p90_abs'])} | {fmt(off['min'])} / {fmt(off['max'])} |")
    sh = r["shots"]
    lines += ["", "Onset figures leave out the lines the ASR put in one cue with the previous clip's last words (that cue starts "
              "on the clip's speech, whose onset is not known). The shot-change row moves in/out-times to cuts on purpose "
              "(flagged shot_change): its onset errors are the broadcast rule, not timing errors.", "",
              "WER (whole episode, clips + lines): " + ", ".join(f"{k} {fmt(v['wer'])}" for k, v in r["wer"].items())
              + f". Shot changes: {sh['found']} found for {sh['known']} made, {sh['exact']} on the exact frame, "
              f"{sh['within_1_frame']} within 1 frame.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_timing", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="bench", help="folder for timing.json and timing.md")
    ap.add_argument("--clips", default=str(SHARED / "data" / "clips"))
    ap.add_argument("--workdir", help="run here (kept) instead of a temporary folder")
    ap.add_argument("--skip-bare", action="store_true")
    args = ap.parse_args(argv)
    setup_logging()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="altyazi-timing-"))
    work.mkdir(parents=True, exist_ok=True)
    results = run_timing_bench(work, Path(args.clips), args.skip_bare)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "timing.json", results)
    atomic_write_text(out / "timing.md", render_markdown(results))
    log.info("timing benchmark: %s, %s (work folder %s)", out / "timing.json", out / "timing.md", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
