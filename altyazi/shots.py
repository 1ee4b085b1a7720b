"""Shot changes of an episode's video with ffmpeg's scene score -> results/{episode}/shots.json.

ffmpeg scores each frame against the previous one (``select='gt(scene,X)'``, 0..1) on frames
scaled down to ``width`` pixels (a cut is as visible at 160 px, and a 2 h episode decodes several
times faster); ``showinfo`` prints the time of every frame that passes, i.e. the first frame of
each new shot. Where the source has no video stream, or detection is off, the file says so and
holds no cut: the subtitles are then timed to the audio only.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .audio import probe_streams, require_tool
from .errors import ConfigError, MediaError
from .log import get_logger

log = get_logger("shots")


@dataclass(frozen=True)
class ShotOptions:
    enabled: Any = "auto"          # auto | True | False (config shots.enabled)
    threshold: float = 0.3
    width: int = 160
    video_format: str = "worstvideo/worst"

    def __post_init__(self) -> None:
        if self.enabled not in ("auto", True, False):
            raise ConfigError(f"shots.enabled: {self.enabled!r}; use auto, true or false")


def video_stream(media: str | Path) -> dict | None:
    """The first real video stream of ``media`` (cover art / attached pictures are not video)."""
    for s in probe_streams(media):
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic"):
            return s
    return None


def _fps(stream: dict) -> float | None:
    num, _, den = str(stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/0").partition("/")
    try:
        return round(float(num) / float(den or 1), 3) if float(num) > 0 else None
    except (ValueError, ZeroDivisionError):
        return None


def detect_cuts(video: str | Path, threshold: float = 0.3, width: int = 160) -> list[float]:
    """Times (s) of the first frame of each new shot, sorted, from ffmpeg's scene score."""
    ffmpeg = require_tool("ffmpeg")
    vf = f"scale={int(width)}:-2,select='gt(scene,{threshold})',showinfo"
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "info", "-i", str(video), "-map", "0:v:0",
           "-an", "-sn", "-dn", "-vf", vf, "-f", "null", "-"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg scene detection failed on {video}: {proc.stderr.strip()[-500:]}",
                         hint="check the file with `ffprobe`; set `shots: {enabled: false}` to time cues to the audio only")
    times = [float(t) for t in re.findall(r"\[Parsed_showinfo[^\]]*\].*?pts_time:\s*([-\d.]+)", proc.stderr)]
    return sorted({round(t, 3) for t in times if t > 0})


def decide(source: str, is_url: bool, media: Path | None, opts: ShotOptions) -> tuple[Path | None, str]:
    """(the file to scan or None, the reason, for the log and shots.json)."""
    if opts.enabled is False:
        return None, "shots.enabled is false"
    if is_url:
        if opts.enabled is True and media is not None:
            return media, f"video stream downloaded for {source} (format {opts.video_format})"
        return None, ("the source is a URL and its download is audio only; `shots: {enabled: true}` "
                      "fetches a small video stream for shot changes")
    stream = video_stream(media)
    if stream is None:
        if opts.enabled is True:
            raise MediaError(f"shots.enabled is true but {source} has no video stream",
                             hint="set `shots: {enabled: auto}` (or false) in config.yaml for audio-only sources")
        return None, f"{source} has no video stream"
    return media, f"video stream of {source} ({stream.get('codec_name')}, {stream.get('width')}x{stream.get('height')})"


def shots_record(source: str, is_url: bool, media: Path | None, opts: ShotOptions) -> dict[str, Any]:
    """shots.json's content (see schemas/records.schema.yaml ``shots_file``)."""
    video, reason = decide(source, is_url, media, opts)
    method = {"ffmpeg": f"select='gt(scene,{opts.threshold})' on frames scaled to {opts.width} px",
              "threshold": opts.threshold}
    if video is None:
        log.info("no shot detection: %s; cues are timed to the audio only", reason)
        return {"enabled": False, "reason": reason, "video": None, "fps": None, "method": method, "cuts": []}
    stream = video_stream(video)
    cuts = detect_cuts(video, opts.threshold, opts.width)
    log.info("%d shot change(s) in %s", len(cuts), video)
    return {"enabled": True, "reason": reason, "video": str(video), "fps": _fps(stream) if stream else None,
            "method": method, "cuts": cuts}
