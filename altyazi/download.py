"""Fetch an episode's media: yt-dlp (Python API, never a shell) for URLs, a link for local files."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .audio import probe_streams
from .diskspace import disk_full_error
from .episodes import describe_local_source, is_url
from .errors import DownloadError, MediaError, NoAudioError
from .log import EveryTenth, get_logger

log = get_logger("download")

# yt-dlp reports every failure as DownloadError with a text; map the text to what the user should do.
# First match wins: the specific "format not available" must precede the generic "not available".
_FAILURES = [
    (r"requested format is not available|no video formats found|no audio",
     "no usable audio stream",
     "The page offers no audio format yt-dlp can fetch; try `download.format: best` in config.yaml."),
    (r"unsupported url", "unsupported site",
     "yt-dlp has no extractor for this site and found no media in the page: use the episode's page "
     "on a supported site (YouTube...) or download the file yourself and give its path."),
    (r"http error 404|http error 410",
     "not found (HTTP 404/410)",
     "Check the URL for a typo and open it in a browser: the page or video does not exist (any more)."),
    (r"private video|video unavailable|has been removed|no longer available|not available|"
     r"members-only|sign in to confirm|account .* terminated",
     "private, removed or missing video",
     "Open the URL in a browser: the video may be private, removed, age/region-restricted or the link "
     "may be wrong. For restricted videos pass cookies to yt-dlp or download it yourself."),
    (r"unable to download|connection refused|name or service not known|temporary failure in name resolution|"
     r"timed out|network is unreachable|connection reset|errno|urlopen error|remote end closed|"
     r"http error 5\d\d",
     "unreachable",
     "Check your network connection and that the URL opens in a browser, then rerun (finished work is kept)."),
]


def classify_download_error(message: str) -> tuple[str, str]:
    text = message.lower()
    for pattern, kind, hint in _FAILURES:
        if re.search(pattern, text):
            return kind, hint
    return "download failed", "Rerun with `make debug` to see yt-dlp's full output; update yt-dlp (`pip install -U yt-dlp`)."


def link_local(source: str | Path, dest: str | Path) -> Path:
    """Symlink ``dest`` to the local file (absolute), atomically; no copy of a 2 h episode."""
    problem = describe_local_source(str(source), Path(source))
    if problem:  # a folder or a dangling link is not "missing": say what it is
        raise MediaError(problem, hint="Fix the source in the episode sheet, then rerun.")
    src = Path(source).resolve()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-link")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(src, tmp)
    os.replace(tmp, dest)
    log.info("linked local file %s", src)
    return dest


def _progress_hook(logger):
    tenths = EveryTenth(from_zero=True)

    def hook(d: dict) -> None:
        if d.get("status") == "downloading":
            total = d.get("total_bytes") or d.get("total_bytes_estimate")
            if total:
                pct = int(100 * d.get("downloaded_bytes", 0) / total)
                if tenths.tick(d.get("downloaded_bytes", 0), total) is not None:
                    logger.info("downloading: %d%% of %.1f MB", pct, total / 1e6)
        elif d.get("status") == "finished":
            logger.info("download finished: %.1f MB", (d.get("total_bytes") or d.get("downloaded_bytes") or 0) / 1e6)
    return hook


class _YdlLogger:
    def debug(self, msg):  # yt-dlp sends info lines through debug too
        log.debug(msg)

    def info(self, msg):
        log.debug(msg)

    def warning(self, msg):
        log.warning("yt-dlp: %s", msg)

    def error(self, msg):
        log.debug("yt-dlp error: %s", msg)


def download_url(url: str, dest: str | Path, retries: int = 3, fmt: str = "bestaudio/best",
                 rate_limit: str | None = None, need_audio: bool = True) -> Path:
    """Download ``url`` with yt-dlp into ``dest`` (renamed into place only when complete);
    ``need_audio=False`` for the small video-only stream shot detection reads."""
    import yt_dlp

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=dest.parent) as tmpdir:
        opts = {
            "format": fmt,
            "outtmpl": {"default": os.path.join(tmpdir, "media.%(ext)s")},
            "paths": {"home": tmpdir, "temp": tmpdir},
            "noplaylist": True,
            "retries": retries,
            "fragment_retries": retries,
            "extractor_retries": retries,
            "socket_timeout": 30,
            "quiet": True,
            "no_warnings": False,
            "noprogress": True,
            "logger": _YdlLogger(),
            "progress_hooks": [_progress_hook(log)],
            "overwrites": True,
            "continuedl": False,
        }
        if rate_limit:
            from yt_dlp.utils import parse_bytes

            opts["ratelimit"] = parse_bytes(rate_limit)
        log.info("fetching %s with yt-dlp %s (format %s)", url, yt_dlp.version.__version__, fmt)
        try:
            with yt_dlp.YoutubeDL(opts) as ydl:
                info = ydl.extract_info(url, download=True)
        except yt_dlp.utils.DownloadError as err:
            if re.search(r"no space left on device|errno 28\b|disk quota exceeded", str(err), re.I):
                raise disk_full_error(dest) from None  # not the network's fault: "check your network" misleads
            kind, hint = classify_download_error(str(err))
            reason = re.sub(r"^ERROR:\s*", "", str(err).strip().splitlines()[0])
            raise DownloadError(f"cannot download {url}: {kind} ({reason})", hint=hint) from None
        files = [p for p in Path(tmpdir).iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
        if not files:
            raise DownloadError(f"yt-dlp finished but wrote no file for {url}")
        media = max(files, key=lambda p: p.stat().st_size)
        streams = probe_streams(media)
        if need_audio and not any(s.get("codec_type") == "audio" for s in streams):
            raise NoAudioError(f"{url}: the downloaded media has no audio stream")
        if not need_audio and not any(s.get("codec_type") == "video" for s in streams):
            raise MediaError(f"{url}: the video download ({fmt}) has no video stream",
                             hint="set `shots: {video_format: ...}` to a yt-dlp format with video, or `shots: {enabled: auto}`")
        os.replace(media, dest)
    log.info("saved %s (%s, %.1f MB)", dest, (info or {}).get("title", "?"), dest.stat().st_size / 1e6)
    return dest


def fetch_source(source: str, dest: str | Path, **opts) -> Path:
    """URL -> yt-dlp download; local path -> symlink."""
    if is_url(source):
        return download_url(source, dest, **opts)
    return link_local(source, dest)


