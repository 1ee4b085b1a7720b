"""Reproducible ASR measurements (issue 4), offline, on CPU:

- ``timing``: |word start error| of faster-whisper's own word times on espeak-ng Turkish words
  placed at known offsets (each word synthesised alone, so its start is exact);
- ``wer``: WER of the offline chain on the shared clips with the quality gate off and on, and the
  words produced on the no-speech clip;
- ``nonspeech``: words made from music / noise / title-card pieces forced through ASR, gate off and on;
- ``lines``: on a mixed episode (clips + espeak lines + music + noise + silence), lines with no
  word and stray words in non-speech, for the pipeline and for bare faster-whisper
  (sequential with its VAD; batched with its VAD, i.e. merged 30 s windows);
- ``speed``: faster-whisper sequential vs batched over the same VAD pieces;
- ``plans``: the chain's choices with no GPU and faked 8 / 80 / 180 GiB GPUs.

Run: ``python -m tools.measure_asr --clips ../shared/data/clips --whisper models/whisper-base all``
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from altyazi.asr import ASRSettings, transcribe_segments
from altyazi.asr.base import Piece
from altyazi.audio import SAMPLE_RATE, load_wav
from altyazi.metrics import normalize_turkish, word_error_rate
from altyazi.records import Segment, interpolate_words
from altyazi.vad import VadOptions, detect_speech
from tools.samples import build_episode, espeak, read_transcripts

TIMING_SENTENCES = ["Kiraz okula gitmek istemiyor", "Yaman Bey eve geç geldi", "Seher kapıyı açtı ve ağladı",
                    "Bu akşam yemekte herkes olacak", "Konağın bahçesinde çocuklar oynuyor"]
MIXED_TTS = ["Nereye gidiyorsun", "Hemen buraya gel", "Evet", "Annem seni çok merak ediyor",
             "Yarın sabah erkenden yola çıkacağız", "Tamam"]


def offline_settings(whisper: str, **over) -> ASRSettings:
    fw = {"compute_type": "int8", "beam_size": 5, "batch_size": 8, "mode": "batched", **over.pop("faster_whisper", {})}
    return ASRSettings(chain=["faster-whisper"], models={"faster-whisper": whisper, "aligner": None},
                       device="cpu", faster_whisper=fw, **over)


def vad_pieces(audio: np.ndarray) -> list[Segment]:
    return detect_speech(audio, VadOptions())


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def timing_errors(truth: list[tuple[float, str]], hyp: list[tuple[float, str]], window_s: float = 1.0,
                  min_similarity: float = 0.5) -> list[float]:
    """|start error| (s) per truth word matched to a hypothesis word: the most similar spelling
    (difflib ratio >= ``min_similarity``) among unused hypothesis words starting within ``window_s``.
    Timing, not recognition, is measured: misrecognised words that still resemble the truth count."""
    from difflib import SequenceMatcher

    used: set[int] = set()
    errors = []
    for t, word in truth:
        best, best_i = min_similarity, None
        for i, (h, hw) in enumerate(hyp):
            if i in used or abs(h - t) > window_s:
                continue
            sim = SequenceMatcher(None, word, hw).ratio()
            if sim >= best:
                best, best_i = sim, i
        if best_i is not None:
            used.add(best_i)
            errors.append(abs(hyp[best_i][0] - t))
    return errors


def measure_timing(whisper: str, gap_s: float = 0.15) -> dict:
    """Word start error of faster-whisper's word times (s) on words placed at known offsets."""
    parts, truth, pos = [], [], 0.0
    for sentence in TIMING_SENTENCES:
        parts.append(np.zeros(int(1.0 * SAMPLE_RATE), np.float32))
        pos += 1.0
        for word in sentence.split():
            a = espeak(word)
            truth.append((pos, normalize_turkish(word)))
            parts += [a, np.zeros(int(gap_s * SAMPLE_RATE), np.float32)]
            pos += a.size / SAMPLE_RATE + gap_s
    audio = np.concatenate(parts + [np.zeros(SAMPLE_RATE, np.float32)])
    vad = vad_pieces(audio)
    segs, _ = transcribe_segments(audio, vad, offline_settings(whisper))
    hyp = [(w.start, normalize_turkish(w.word)) for s in segs for w in s.words]
    errors = timing_errors(truth, hyp)
    # What a backend without times gets when no aligner is available: the (here: true) words
    # spread over their VAD piece by length.
    interp = []
    for v in vad:
        inside = [(t, w) for t, w in truth if v.start <= t < v.end]
        spread = interpolate_words([w for _, w in inside], v.start, v.end)
        interp += [abs(x.start - t) for x, (t, _) in zip(spread, inside)]
    return {"truth_words": len(truth), "hyp_words": len(hyp), "matched_words": len(errors),
            "median_abs_start_error_s": _pct(errors, 50), "p90_abs_start_error_s": _pct(errors, 90),
            "interpolated_over_vad_piece": {"words": len(interp), "median_abs_start_error_s": _pct(interp, 50),
                                            "p90_abs_start_error_s": _pct(interp, 90)},
            "aligner": "not measured: no real Turkish CTC model offline (only a tiny random one)"}


def measure_gate_on_nonspeech(whisper: str, clips: Path) -> dict:
    """Words transcribed from non-speech pieces handed to ASR as if the VAD had heard speech
    (music, noise, the title-card clip), with the gate off and on."""
    from tools.samples import music, noise

    chunks = [music(6.0, seed=3), noise(4.0, seed=4, level=0.05), music(4.0, seed=5), load_wav(clips / "3-0500-2.wav")]
    vad, pos = [], 0.0
    for i, c in enumerate(chunks):
        vad.append(Segment(i, round(pos, 3), round(pos + c.size / SAMPLE_RATE, 3)))
        pos += c.size / SAMPLE_RATE
    audio = np.concatenate(chunks)
    out = {}
    for gate in (False, True):
        segs, summary = transcribe_segments(audio, vad, offline_settings(whisper, quality_gate=gate))
        out["gate_on" if gate else "gate_off"] = {"pieces": len(segs), "words": sum(len(s.words) for s in segs),
                                                  "texts": [s.text for s in segs], "flags": summary["gate"]["flags"]}
    return out


def measure_wer(whisper: str, clips: Path) -> dict:
    refs = read_transcripts(clips / "transcripts.tsv")
    out = {}
    for gate in (False, True):
        hyps, refs_used, stray, flags = [], [], 0, []
        for name, ref in sorted(refs.items()):
            audio = load_wav(clips / f"{name}.wav")
            segs, _ = transcribe_segments(audio, vad_pieces(audio), offline_settings(whisper, quality_gate=gate))
            text = " ".join(s.text for s in segs if s.text)
            flags += [f for s in segs for f in s.flags]
            if name == "3-0500-2" or not ref.strip():  # the music-under-title-card clip: no speech
                stray += len(text.split())
            else:
                hyps.append(text)
                refs_used.append(ref)
        out["gate_on" if gate else "gate_off"] = {"wer": round(word_error_rate(refs_used, hyps), 4),
                                                  "words_on_no_speech_clip": stray,
                                                  "flags": {f: flags.count(f) for f in sorted(set(flags))}}
    return out


MIXED_LAYOUT = [("silence", 1.0), ("clip", "1-0013"), ("silence", 0.8), ("tts", MIXED_TTS[0]), ("silence", 0.5),
                ("tts", MIXED_TTS[1]), ("music", 6.0), ("clip", "1-0100-2"), ("silence", 0.6), ("tts", MIXED_TTS[2]),
                ("silence", 0.6), ("clip", "2-0050-2"), ("noise", 3.0), ("tts", MIXED_TTS[3]), ("silence", 2.0),
                ("clip", "1-0703"), ("silence", 0.4), ("tts", MIXED_TTS[4]), ("music", 8.0), ("tts", MIXED_TTS[5]),
                ("silence", 0.5), ("clip", "2-0100-2"), ("silence", 1.5), ("clip", "3-0500-2"), ("silence", 1.0)]


def score_lines(parts, words: list[tuple[float, float]]) -> dict:
    """Lines (speech parts) with no word whose midpoint falls inside them; words in non-speech parts."""
    speech = [p for p in parts if p.kind in ("clip", "tts") and p.text]
    mids = [(a + b) / 2 for a, b in words]
    lost = [p.name for p in speech if not any(p.start - 0.2 <= m <= p.end + 0.2 for m in mids)]
    in_speech = sum(any(p.start - 0.2 <= m <= p.end + 0.2 for p in speech) for m in mids)
    return {"lines": len(speech), "lines_lost": len(lost), "lost": lost, "stray_words": len(mids) - in_speech}


def measure_lines(whisper: str, clips: Path) -> dict:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "mixed.wav"
        parts = build_episode(MIXED_LAYOUT, clips, wav)
        audio = load_wav(wav)
    result = {"duration_s": round(audio.size / SAMPLE_RATE, 1)}
    segs, summary = transcribe_segments(audio, vad_pieces(audio), offline_settings(whisper))
    result["pipeline"] = {**score_lines(parts, [(w.start, w.end) for s in segs for w in s.words]),
                          "flags": summary["gate"]["flags"]}
    model = WhisperModel(whisper, device="cpu", compute_type="int8", local_files_only=True)
    opts = dict(language="tr", beam_size=5, word_timestamps=True, condition_on_previous_text=False, vad_filter=True)
    seq, _ = model.transcribe(audio, **opts)
    result["bare_sequential_vad"] = score_lines(parts, [(w.start, w.end) for s in seq for w in (s.words or [])])
    bat, _ = BatchedInferencePipeline(model).transcribe(audio, batch_size=8, **opts)
    result["bare_batched_vad"] = score_lines(parts, [(w.start, w.end) for s in bat for w in (s.words or [])])
    return result


def measure_speed(whisper: str, clips: Path, repeats: int = 1) -> dict:
    """Seconds to transcribe the same VAD pieces of the shared clips, sequential vs batched."""
    from altyazi.asr.whisper import FasterWhisperBackend

    pieces = []
    for name in sorted(read_transcripts(clips / "transcripts.tsv")):
        audio = load_wav(clips / f"{name}.wav")
        pieces += [Piece(len(pieces), s.start, s.end, audio[int(s.start * SAMPLE_RATE):int(s.end * SAMPLE_RATE)])
                   for s in vad_pieces(audio)]
    speech = sum(p.audio.size for p in pieces) / SAMPLE_RATE
    out = {"pieces": len(pieces), "speech_s": round(speech, 1)}
    for mode, batch in (("sequential", 1), ("batched", 4), ("batched", 8), ("batched", 16)):
        backend = FasterWhisperBackend(whisper, device="cpu", compute_type="int8", batch_size=batch, mode=mode)
        backend.load()
        best = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = backend.transcribe(pieces)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        out[f"{mode}_b{batch}"] = {"seconds": round(best, 2), "rtf": round(best / speech, 3),
                                   "empty_pieces": sum(not r.text for r in res)}
        backend.close()
    return out


def measure_plans() -> dict:
    """The chain's plan (production profile) with no GPU and faked free VRAM (NVML answers injected)."""
    from altyazi import gpu
    from altyazi.asr import plan as plan_mod

    settings = ASRSettings(chain=["voxtral-small", "voxtral-mini", "faster-whisper"],
                           models={"voxtral-small": "mistralai/Voxtral-Small-24B-2507",
                                   "voxtral-mini": "mistralai/Voxtral-Mini-3B-2507", "faster-whisper": "large-v3"},
                           faster_whisper={"batch_size": None}, voxtral={"batch_size": None})
    cases = {"no GPU": None, "8 GiB (RTX 3070)": ("NVIDIA GeForce RTX 3070", 8.0, 7.6),
             "80 GiB (H100)": ("NVIDIA H100 80GB HBM3", 80.0, 79.2),
             "180 GiB (B200)": ("NVIDIA B200", 179.0, 178.3)}
    out = {}
    real_q, real_c = gpu.load_device, gpu.cuda_available
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda rec: records.append(f"{rec.levelname}: {rec.getMessage()}")  # type: ignore[method-assign]
    plan_mod.log.addHandler(handler)
    level = plan_mod.log.level
    plan_mod.log.setLevel(logging.INFO)
    try:
        for label, dev in cases.items():
            records.clear()
            if dev is None:
                gpu.load_device, gpu.cuda_available = (lambda: None), (lambda: False)
            else:
                name, total, free = dev
                d = gpu.DeviceMemory(0, name, int(total * gpu.GiB), int(free * gpu.GiB))
                gpu.load_device, gpu.cuda_available = (lambda d=d: d), (lambda: True)
            plans = plan_mod.plan_chain(settings)
            out[label] = {"plans": [p.to_dict() for p in plans], "log": list(records)}
    finally:
        gpu.load_device, gpu.cuda_available = real_q, real_c
        plan_mod.log.removeHandler(handler)
        plan_mod.log.setLevel(level)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", nargs="*", default=["all"], help="timing wer nonspeech lines speed plans | all")
    ap.add_argument("--clips", default="../shared/data/clips")
    ap.add_argument("--whisper", default="models/whisper-base")
    ap.add_argument("--out", default=None, help="write the figures as JSON here too")
    args = ap.parse_args(argv)
    what = {"timing", "wer", "nonspeech", "lines", "speed", "plans"} if "all" in args.what else set(args.what)
    logging.basicConfig(level=logging.WARNING)
    clips = Path(args.clips)
    res = {}
    for key, fn in (("plans", measure_plans), ("timing", lambda: measure_timing(args.whisper)),
                    ("wer", lambda: measure_wer(args.whisper, clips)),
                    ("nonspeech", lambda: measure_gate_on_nonspeech(args.whisper, clips)),
                    ("lines", lambda: measure_lines(args.whisper, clips)),
                    ("speed", lambda: measure_speed(args.whisper, clips))):
        if key in what:
            res[key] = fn()
            print(json.dumps({key: res[key]}, ensure_ascii=False, indent=1), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
