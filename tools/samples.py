"""Reproducible test/demo episodes: real clips, espeak-ng speech, music, noise and silence at known
times, with the truth (what is said when) written beside the audio."""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from altyazi.audio import SAMPLE_RATE, load_wav, write_wav
from altyazi.io import atomic_write_json

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
# 1-0013 then the speech of 1-0703 0.35 s later: a two-speaker exchange (two scenes, two voices) that
# the subtitles show as one dialogue cue; 1-0703's first 2 s are breathing and noise, cut away.
DEMO_LAYOUT = [("silence", 1.5), ("clip", "1-0013"), ("silence", 0.35), ("clip", "1-0703", 2.0, 3.2), ("silence", 2.0),
               ("clip", "1-0100-2"), ("silence", 1.5), ("music", 10.0), ("silence", 1.5), ("clip", "2-0050-2"),
               ("silence", 3.0), ("clip", "2-0100-2"), ("noise", 4.0), ("silence", 2.0)]


@dataclass
class Part:
    kind: str          # clip | tts | music | noise | silence
    start: float
    end: float
    text: str = ""
    name: str = ""


def read_transcripts(path: str | Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        return {row["clip"]: row["turkish"] for row in csv.DictReader(fh, delimiter="\t")}


def music(seconds: float, seed: int = 0) -> np.ndarray:
    """A chord progression with harmonics and a beat: music-like, no speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    out = np.zeros_like(t)
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (164.8, 207.7, 246.9)]
    for i, start in enumerate(np.arange(0, seconds, 2.0)):
        sl = (t >= start) & (t < start + 2.0)
        tt = t[sl] - start
        env = np.minimum(1.0, tt * 20) * np.exp(-tt * 0.8)
        for f in chords[i % len(chords)]:
            for h, a in ((1, 1.0), (2, 0.4), (3, 0.2)):
                out[sl] += a * env * np.sin(2 * np.pi * f * h * tt + rng.uniform(0, np.pi))
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95) * rng.normal(0, 0.3, t.size)
    out = out / np.max(np.abs(out)) * 0.25 + beat * 0.1
    return out.astype(np.float32)


def noise(seconds: float, seed: int = 1, level: float = 0.0056) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, level, int(seconds * SAMPLE_RATE)).astype(np.float32)


def espeak(text: str, voice: str = "tr", speed: int = 150) -> np.ndarray:
    """Robotic Turkish speech from espeak-ng at 16 kHz (timing/VAD tests only, not WER)."""
    exe = shutil.which("espeak-ng")
    if not exe:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        raw, wav = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), "-ac", "1", "-ar",
                        str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(wav)], check=True)
        return trim_silence(load_wav(wav))


def trim_silence(audio: np.ndarray, level: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > level)
    return audio[loud[0]:loud[-1] + 1] if loud.size else audio[:0]


def level_to(audio: np.ndarray, rms_db: float, peak: float = 0.95) -> np.ndarray:
    """Scale ``audio`` to ``rms_db`` dBFS RMS, without letting the peak exceed ``peak``."""
    rms = float(np.sqrt(np.mean(audio ** 2))) if audio.size else 0.0
    if rms <= 0:
        return audio
    gain = min(10 ** (rms_db / 20) / rms, peak / float(np.max(np.abs(audio))))
    return (audio * gain).astype(np.float32)


def build_episode(layout: list[tuple], clips_dir: str | Path, out_wav: str | Path,
                  truth_json: str | Path | None = None, speech_rms_db: float | None = -30.0) -> list[Part]:
    """Concatenate ``layout`` items: ("clip", name[, start, end]), ("tts", text), ("music"|"noise"|"silence", secs).

    Speech items are levelled to ``speech_rms_db`` dBFS (as a broadcast mix evens out dialogue: the
    source clips range from -26 to -40 dBFS); noise sits at -45 dBFS RMS, music at about -18 dBFS.
    """
    clips_dir = Path(clips_dir)
    texts = read_transcripts(clips_dir / "transcripts.tsv") if (clips_dir / "transcripts.tsv").is_file() else {}
    chunks: list[np.ndarray] = []
    parts: list[Part] = []
    pos = 0.0
    for i, item in enumerate(layout):
        kind = item[0]
        if kind == "clip":
            audio, text, name = load_wav(clips_dir / f"{item[1]}.wav"), texts.get(item[1], ""), item[1]
            if len(item) == 4:  # a cut of the clip (s): its speech, without the noise around it
                audio = audio[int(item[2] * SAMPLE_RATE):int(item[3] * SAMPLE_RATE)]
        elif kind == "tts":
            audio, text, name = espeak(item[1]), item[1], f"tts{i}"
        elif kind == "music":
            audio, text, name = music(item[1], seed=i), "", "music"
        elif kind == "noise":
            audio, text, name = noise(item[1], seed=i), "", "noise"
        elif kind == "silence":
            audio, text, name = np.zeros(int(item[1] * SAMPLE_RATE), np.float32), "", "silence"
        else:
            raise ValueError(f"unknown layout item {item!r}")
        if kind in ("clip", "tts") and speech_rms_db is not None:
            audio = level_to(audio, speech_rms_db)
        dur = audio.size / SAMPLE_RATE
        parts.append(Part(kind, round(pos, 3), round(pos + dur, 3), text, name))
        chunks.append(audio)
        pos += dur
    write_wav(out_wav, np.concatenate(chunks) if chunks else np.zeros(0, np.float32))
    if truth_json:
        atomic_write_json(truth_json, {"audio": str(out_wav), "duration": round(pos, 3),
                                       "parts": [vars(p) for p in parts]})
    return parts


def build_demo_episode(out_dir: str | Path) -> Path:
    """The bundled ~1-minute demo: 5 real clips (two of them an exchange), silence, music and noise."""
    out_dir = Path(out_dir)
    wav = out_dir / "demo.wav"
    build_episode(DEMO_LAYOUT, DEMO_DIR / "clips", wav, out_dir / "demo.truth.json")
    return wav
