"""Audio extraction (ffmpeg) and loading: 16 kHz mono 16-bit PCM WAV, decoded once per stage."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import wave
from dataclasses import asdict, dataclass
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


def probe_media(media: str | Path) -> dict:
    """ffprobe's view of ``media`` (``streams`` and ``format``); raises :class:`MediaError` for unreadable files.

    This is the one ffprobe call of the project: the download check and the audio stage both use it.
    """
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
    data = json.loads(proc.stdout or "{}")
    return {"streams": data.get("streams", []), "format": data.get("format", {})}


def probe_streams(media: str | Path) -> list[dict]:
    """The streams ffprobe sees in ``media`` (see :func:`probe_media`)."""
    return probe_media(media)["streams"]


# Stream choice: a file may carry several audio tracks (a silent or music-only first track, a dub,
# an audio description). Speech is measured on a few short windows with the VAD the pipeline uses.
SPEECH_WINDOWS = 6                    # windows sampled per stream
WINDOW_S = 10.0                       # seconds per window: 60 s decoded per stream, whatever the length
MIN_SPEECH = 0.02                     # below 2 % of the sampled time in speech, a stream counts as speechless
SILENT_RMS = 1e-4                     # -80 dBFS: digital silence, not worth running the VAD on
TURKISH_TAGS = {"tur", "tr", "turkish"}


@dataclass
class AudioStream:
    """One audio stream as ffprobe describes it; ``speech`` is filled in when streams are compared."""

    index: int                        # position among the audio streams (ffmpeg's ``0:a:N``)
    codec: str
    language: str
    default: bool
    channels: int
    title: str = ""
    speech: float | None = None       # fraction of the sampled windows that is speech

    @property
    def turkish(self) -> bool:
        return self.language.lower() in TURKISH_TAGS

    def describe(self) -> str:
        bits = [self.codec, self.language or "no language tag", f"{self.channels} ch"]
        bits += ["default"] if self.default else []
        bits += [repr(self.title)] if self.title else []
        bits += [f"{100 * self.speech:.0f}% speech"] if self.speech is not None else []
        return ", ".join(bits)


def audio_streams(streams: list[dict]) -> list[AudioStream]:
    """The audio streams of a probe, in file order (their position is the ``0:a:N`` number)."""
    out = []
    for s in (s for s in streams if s.get("codec_type") == "audio"):
        tags = {k.lower(): v for k, v in (s.get("tags") or {}).items()}
        out.append(AudioStream(len(out), s.get("codec_name", "?"), str(tags.get("language", "und")),
                               bool((s.get("disposition") or {}).get("default")), int(s.get("channels") or 0),
                               str(tags.get("title", ""))))
    return out


def _duration(probe: dict) -> float:
    try:
        return float(probe["format"].get("duration") or 0)
    except (TypeError, ValueError):
        return 0.0


def decode_window(media: str | Path, stream: int, start: float, seconds: float) -> np.ndarray:
    """``seconds`` of audio stream ``stream`` from ``start``, as 16 kHz mono float32 (input seeking: fast)."""
    cmd = [require_tool("ffmpeg"), "-nostdin", "-loglevel", "error", "-ss", f"{start:.3f}", "-t", f"{seconds:.3f}",
           "-i", str(media), "-map", f"0:a:{stream}", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg cannot decode audio stream {stream} of {media}: "
                         f"{proc.stderr.decode(errors='replace').strip()[-300:]}")
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768.0


def speech_fraction(media: str | Path, stream: int, duration: float) -> float:
    """The share of speech in ``SPEECH_WINDOWS`` windows spread over the file (silero VAD)."""
    from .vad import VadOptions, detect_speech

    if duration <= SPEECH_WINDOWS * WINDOW_S * 1.5:
        starts, length = [0.0], max(duration, WINDOW_S)
    else:
        starts, length = list(np.linspace(0.05 * duration, 0.95 * duration - WINDOW_S, SPEECH_WINDOWS)), WINDOW_S
    gap = np.zeros(SAMPLE_RATE // 2, np.float32)      # keeps windows apart so no piece spans two
    audio = np.concatenate([part for t in starts for part in (decode_window(media, stream, t, length), gap)])
    if audio.size == 0 or float(np.sqrt(np.mean(audio ** 2))) < SILENT_RMS:
        return 0.0
    pieces = detect_speech(audio, VadOptions())
    return sum(p.end - p.start for p in pieces) / (audio.size / SAMPLE_RATE)


def choose_stream(media: str | Path, streams: list[AudioStream], duration: float) -> tuple[AudioStream, str]:
    """The stream to transcribe and why: among those with speech a Turkish-tagged one, else the most speech.

    The default disposition only breaks ties: muxers set it on the first track whatever it holds.
    With no speech anywhere, the Turkish-tagged, else default, else first stream is taken (the VAD
    stage then warns that no speech was found).
    """
    if len(streams) == 1:
        return streams[0], "the only audio stream"
    for s in streams:
        s.speech = round(speech_fraction(media, s.index, duration), 3)
    speaking = [s for s in streams if s.speech >= MIN_SPEECH]
    if not speaking:
        best = max(streams, key=lambda s: (s.turkish, s.default, -s.index))
        log.warning("audio: none of the %d audio streams has speech in the sampled windows; taking stream %d",
                    len(streams), best.index)
        return best, f"no stream has speech in {SPEECH_WINDOWS} sampled windows; taken by its tags"
    best = max(speaking, key=lambda s: (s.turkish, s.speech, s.default, -s.index))
    why = "Turkish-tagged, with speech" if best.turkish else "the most speech"
    return best, f"{why} ({100 * best.speech:.0f}% of the sampled windows) among {len(streams)} audio streams"


def start_offset(media: str | Path, stream: AudioStream, probe: dict) -> float:
    """Seconds from the file's start (what players call 0) to the first packet of ``stream``.

    ffprobe's per-stream ``start_time`` is not reliable here (Matroska reports 0 for a delayed
    track), so the first packet's time is read; only for the log and audio.json: the padding itself
    is done by ffmpeg from the timestamps.
    """
    cmd = [require_tool("ffprobe"), "-v", "error", "-select_streams", f"a:{stream.index}", "-show_entries",
           "packet=pts_time", "-read_intervals", "%+#1", "-of", "csv=p=0", str(media)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    try:
        first = float(proc.stdout.split()[0].strip(","))
        origin = float(probe["format"].get("start_time") or 0)
    except (IndexError, ValueError, TypeError):
        log.warning("audio: cannot read the start time of audio stream %d (%s); assuming it starts with the file",
                    stream.index, (proc.stderr or "no packet time").strip()[-200:])
        return 0.0
    return max(0.0, first - origin)


@dataclass
class AudioInfo:
    """What the audio stage did: which stream it took and why, the others, and the start offset kept."""

    source: str
    streams: list[AudioStream]
    stream: int                       # position among the audio streams (ffmpeg's ``0:a:N``)
    reason: str
    start_offset_s: float             # the audio's start after the file's start (padded with silence)
    duration: float                   # seconds in the WAV, padding included
    sample_rate: int = SAMPLE_RATE

    def to_dict(self) -> dict:
        return {**asdict(self), "streams": [asdict(s) for s in self.streams]}


def extract_audio(media: str | Path, wav: str | Path, sample_rate: int = SAMPLE_RATE,
                  stream: int | None = None, chosen_by: str = "config audio.stream") -> AudioInfo:
    """Write ``wav`` (mono, ``sample_rate`` Hz, s16le) from one audio stream of ``media``, atomically.

    ``stream`` (0-based among the audio streams) is the user's choice; ``None`` chooses the stream
    with speech (:func:`choose_stream`). The WAV is on the file's timeline: audio that starts after
    the video (an MKV/MP4 offset, an edit list, MPEG-TS start times) is padded with silence at the
    start, so every time measured in it is a time in the video.
    """
    probe = probe_media(media)
    streams = audio_streams(probe["streams"])
    name = describe_media(Path(media))[0]
    if not streams:
        kinds = ", ".join(sorted({s.get("codec_type", "?") for s in probe["streams"]})) or "none"
        raise NoAudioError(f"{name} has no audio stream (streams found: {kinds})")
    if stream is not None:
        if not 0 <= stream < len(streams):
            raise MediaError(f"{name}: audio stream {stream} was asked for ({chosen_by}) but the file has "
                             f"{len(streams)} audio stream(s): {'; '.join(s.describe() for s in streams)}",
                             hint=f"Give a number from 0 to {len(streams) - 1}, or leave it empty to choose by speech.")
        chosen, reason = streams[stream], f"chosen by {chosen_by}"
    else:
        chosen, reason = choose_stream(media, streams, _duration(probe))
    offset = start_offset(media, chosen, probe)
    log.info("audio: stream %d of %d (%s): %s", chosen.index, len(streams), chosen.describe(), reason)
    for other in streams:
        if other is not chosen:
            log.info("audio: not used: stream %d (%s)", other.index, other.describe())
    if offset > 0.005:
        log.info("audio: the audio starts %.2f s after the file's start: padded with silence, so that "
                 "subtitle times follow the video", offset)
    ffmpeg = require_tool("ffmpeg")
    with atomic_path(wav, suffix=".wav") as tmp:
        # aresample async + first_pts=0: pad with silence from the file's start (timestamps, priming
        # and edit lists are honoured by ffmpeg), and fill timestamp gaps, so the WAV keeps the timeline.
        cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(media),
               "-map", f"0:a:{chosen.index}", "-vn", "-af", "aresample=async=1:first_pts=0", "-ac", "1",
               "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(tmp)]
        log.debug("running %s", " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            if re.search(r"no space left on device|disk quota exceeded", proc.stderr, re.I):
                raise disk_full_error(wav)  # the disk, not the media: never "download it again"
            raise MediaError(f"ffmpeg failed on {media}: {proc.stderr.strip()[-500:]}")
        duration = wav_duration(tmp)
        if duration <= 0:
            raise MediaError(f"{media}: ffmpeg produced no audio samples (truncated or corrupt file?)")
    return AudioInfo(str(media), streams, chosen.index, reason, round(offset, 3), duration, sample_rate)


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


def no_speech_warning(info: dict, episode: str) -> str:
    """What the VAD stage says when it finds no speech: the likely cause and how to pick another stream.

    ``info`` is the audio stage's audio.json (:meth:`AudioInfo.to_dict`).
    """
    streams, chosen = info.get("streams", []), info.get("stream", 0)
    head = f"no speech found in audio stream {chosen} of {len(streams)}: the subtitles of {episode} will be empty"
    if len(streams) > 1:
        others = "; ".join(f"stream {s['index']}: {AudioStream(**s).describe()}" for s in streams if s["index"] != chosen)
        return (f"{head}. The file has other audio streams ({others}); pick one with the sheet column "
                f"audio_stream (e.g. 1) or `--config 'audio={{stream: 1}}'`, then rerun")
    return (f"{head}. It is the file's only audio stream: check that the source has speech "
            f"(`ffplay {info.get('source', 'the source')}`); music or silence gives no subtitles")
