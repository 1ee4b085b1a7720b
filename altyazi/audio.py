"""Audio extraction (ffmpeg) and loading: 16 kHz mono 16-bit PCM WAV, decoded once per stage."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from .diskspace import disk_full_error
from .errors import FFmpegMissingError, MediaError, NoAudioError
from .io import atomic_path
from .log import get_logger

SAMPLE_RATE = 16000
log = get_logger("audio")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise FFmpegMissingError(f"`{name}` was not found on PATH; it is needed to read the episode's media")
    return path


def describe_media(media: Path) -> tuple[str, str]:
    """How to name ``media`` to the user and what to do when it is bad.

    A local source is a symlink (results/{ep}/source -> the user's file): name the user's file and
    say to replace it; a downloaded file is to be downloaded again.
    """
    if media.is_symlink():
        target = media.resolve()
        return (f"{target} (local source)",
                f"The file is unreadable, truncated or empty: check it with `ffprobe {target}`, "
                f"replace it (copy it again or re-export it), then rerun.")
    return str(media), ("The file is unreadable, truncated or empty: download it again "
                        "(`snakemake --forcerun download`, or delete it and rerun).")


def probe_streams(media: str | Path) -> list[dict]:
    """The streams ffprobe sees in ``media``; raises :class:`MediaError` for unreadable files."""
    media = Path(media)
    name, hint = describe_media(media)
    if not media.exists():
        raise MediaError(f"{name} does not exist", hint=hint)
    if media.stat().st_size == 0:
        raise MediaError(f"{name} is empty (0 bytes): the download or copy did not complete", hint=hint)
    ffprobe = require_tool("ffprobe")
    proc = subprocess.run([ffprobe, "-v", "error", "-print_format", "json", "-show_streams",
                           "-show_format", str(media)], capture_output=True, text=True)
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "unknown error"
        detail = detail.replace(f"{media}: ", "")
        raise MediaError(f"ffprobe cannot read {name}: {detail}", hint=hint)
    return json.loads(proc.stdout or "{}").get("streams", [])


def extract_audio(media: str | Path, wav: str | Path, sample_rate: int = SAMPLE_RATE) -> float:
    """Write ``wav`` (mono, ``sample_rate`` Hz, s16le) from ``media`` atomically; return seconds."""
    streams = probe_streams(media)
    if not any(s.get("codec_type") == "audio" for s in streams):
        kinds = ", ".join(sorted({s.get("codec_type", "?") for s in streams})) or "none"
        raise NoAudioError(f"{describe_media(Path(media))[0]} has no audio stream (streams found: {kinds})")
    ffmpeg = require_tool("ffmpeg")
    with atomic_path(wav, suffix=".wav") as tmp:
        cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(media),
               "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(tmp)]
        log.debug("running %s", " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            if re.search(r"no space left on device|disk quota exceeded", proc.stderr, re.I):
                raise disk_full_error(wav)  # the disk, not the media: never "download it again"
            raise MediaError(f"ffmpeg failed on {media}: {proc.stderr.strip()[-500:]}")
        duration = wav_duration(tmp)
        if duration <= 0:
            raise MediaError(f"{media}: ffmpeg produced no audio samples (truncated or corrupt file?)")
    return duration


def wav_duration(path: str | Path) -> float:
    with wave.open(str(path), "rb") as wf:
        return wf.getnframes() / float(wf.getframerate())


def load_wav(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a 16-bit PCM mono WAV into float32 in [-1, 1]; checks the rate."""
    try:
        with wave.open(str(path), "rb") as wf:
            if wf.getframerate() != sample_rate or wf.getnchannels() != 1 or wf.getsampwidth() != 2:
                raise MediaError(f"{path}: expected {sample_rate} Hz mono 16-bit WAV, got "
                                 f"{wf.getframerate()} Hz, {wf.getnchannels()} ch, {8 * wf.getsampwidth()} bit",
                                 hint="Rerun the audio stage: `snakemake --forcerun audio`.")
            frames = wf.readframes(wf.getnframes())
    except (wave.Error, EOFError) as err:
        raise MediaError(f"{path} is not a readable WAV file: {err}") from None
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write float samples in [-1, 1] as 16-bit mono WAV, atomically."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with atomic_path(path, suffix=".wav") as tmp:
        with wave.open(str(tmp), "wb") as wf:
            wf.setnchannels(1)
            wf.setsampwidth(2)
            wf.setframerate(sample_rate)
            wf.writeframes(pcm.tobytes())
