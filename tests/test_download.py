"""yt-dlp for real against a local HTTP server (127.0.0.1): success, 404, page without media,
nothing listening, media without audio; plus local files and the error classification."""

from __future__ import annotations

import functools
import logging
import socket
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from altyazi.audio import probe_streams
from altyazi.download import classify_download_error, download_url, fetch_source, link_local
from altyazi.errors import DownloadError, MediaError, NoAudioError


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A local web site: a 2 s video with audio, one without audio, pages embedding them, a page without media."""
    root = tmp_path_factory.mktemp("site")
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2", "-f", "lavfi", "-i",
            "sine=frequency=440:duration=2", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-c:a", "aac", str(root / "clip.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2", "-an", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", str(root / "silent.mp4"))
    (root / "episode.html").write_text(
        '<!DOCTYPE html><html><head><title>Emanet 1</title></head><body>'
        '<video controls><source src="clip.mp4" type="video/mp4"></video></body></html>')
    (root / "noaudio.html").write_text(
        '<!DOCTYPE html><html><head><title>Muted</title></head><body>'
        '<video controls><source src="silent.mp4" type="video/mp4"></video></body></html>')
    (root / "text.html").write_text('<!DOCTYPE html><html><head><title>News</title></head>'
                                    '<body><p>No video here.</p></body></html>')
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_page_embedding_video(site, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="altyazi")
    dest = download_url(f"{site}/episode.html", tmp_path / "source", retries=0)
    assert dest == tmp_path / "source" and dest.stat().st_size > 1000
    assert any(s["codec_type"] == "audio" for s in probe_streams(dest))
    assert "download finished" in caplog.text                      # yt-dlp's progress hook reached our log
    assert [p.name for p in tmp_path.iterdir()] == ["source"]      # no temp dir or .part left behind


def test_download_direct_media_url(site, tmp_path):
    dest = fetch_source(f"{site}/clip.mp4", tmp_path / "source", retries=0)
    assert any(s["codec_type"] == "audio" for s in probe_streams(dest))


def test_http_404(site, tmp_path):
    with pytest.raises(DownloadError) as exc:
        download_url(f"{site}/missing.mp4", tmp_path / "source", retries=0)
    msg = str(exc.value)
    assert "cannot download" in msg and "not found (HTTP 404/410)" in msg and "Check the URL" in msg
    assert not (tmp_path / "source").exists()


def test_page_without_media(site, tmp_path):
    with pytest.raises(DownloadError) as exc:
        download_url(f"{site}/text.html", tmp_path / "source", retries=0)
    msg = str(exc.value)
    assert "unsupported site" in msg and "download the file yourself" in msg
    assert not (tmp_path / "source").exists()


def test_unreachable_port(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/episode.html"
    with pytest.raises(DownloadError) as exc:
        download_url(url, tmp_path / "source", retries=0)
    msg = str(exc.value)
    assert "unreachable" in msg and "Connection refused" in msg and "Check your network" in msg
    assert not (tmp_path / "source").exists()


def test_media_without_audio_stream(site, tmp_path):
    with pytest.raises(NoAudioError) as exc:
        download_url(f"{site}/noaudio.html", tmp_path / "source", retries=0)
    assert "no audio stream" in str(exc.value)
    assert not (tmp_path / "source").exists()


def test_local_file_is_linked_not_copied(site, tmp_path):
    media = tmp_path / "ep.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(media))
    dest = link_local(media, tmp_path / "out" / "source")
    assert dest.is_symlink() and dest.resolve() == media.resolve()
    with pytest.raises(MediaError, match="does not exist"):
        link_local(tmp_path / "nope.wav", tmp_path / "out" / "source2")


@pytest.mark.parametrize("text,kind", [
    ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", "private, removed or missing video"),
    ("ERROR: [generic] Unable to download webpage: HTTP Error 503: Service Unavailable", "unreachable"),
    ("ERROR: [youtube] abc: Requested format is not available", "no usable audio stream"),
    ("ERROR: something new", "download failed"),
])
def test_classify_download_error(text, kind):
    assert classify_download_error(text)[0] == kind


def test_progress_hook_logs_every_tenth(caplog):
    from altyazi.download import _progress_hook

    caplog.set_level(logging.INFO, logger="altyazi")
    hook = _progress_hook(logging.getLogger("altyazi.download"))
    for done in range(0, 100_000_001, 1_000_000):
        hook({"status": "downloading", "downloaded_bytes": done, "total_bytes": 100_000_000})
    hook({"status": "finished", "total_bytes": 100_000_000})
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "downloading: 0% of 100.0 MB" and lines[-2] == "downloading: 100% of 100.0 MB"
    assert len(lines) == 12 and lines[-1] == "download finished: 100.0 MB"
