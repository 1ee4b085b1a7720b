"""Audio extraction with ffmpeg, WAV loading, and the errors a user gets for bad media."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from altyazi.audio import describe_media, extract_audio, load_wav, probe_streams, wav_duration, write_wav
from altyazi.errors import FFmpegMissingError, MediaError, NoAudioError


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def stereo_mp4(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "ep.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-f", "lavfi", "-i",
           "sine=frequency=440:sample_rate=44100:duration=3", "-ac", "2", "-shortest", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


def test_extract_audio_makes_16k_mono_pcm(stereo_mp4, tmp_path):
    wav = tmp_path / "out" / "audio.wav"
    seconds = extract_audio(stereo_mp4, wav).duration
    assert seconds == pytest.approx(3.0, abs=0.1) and wav_duration(wav) == pytest.approx(seconds)
    audio = load_wav(wav)
    assert audio.dtype == np.float32 and audio.size == pytest.approx(16000 * seconds, abs=1)
    assert 0.05 < np.abs(audio).max() <= 1.0
    assert [p.name for p in wav.parent.iterdir()] == ["audio.wav"]       # no temp file left


def test_video_without_audio(tmp_path):
    video = tmp_path / "mute.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-an", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(video))
    with pytest.raises(NoAudioError, match=r"has no audio stream \(streams found: video\)"):
        extract_audio(video, tmp_path / "audio.wav")
    assert not (tmp_path / "audio.wav").exists()


def test_empty_missing_and_corrupt_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match=r"is empty \(0 bytes\)"):
        probe_streams(empty)
    with pytest.raises(MediaError, match="does not exist"):
        probe_streams(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(os.urandom(5000))
    with pytest.raises(MediaError, match="ffprobe cannot read .*junk.mp3: Invalid") as exc:
        extract_audio(junk, tmp_path / "audio.wav")
    assert "download it again" in str(exc.value)
    assert not (tmp_path / "audio.wav").exists()


def test_local_source_errors_name_the_users_file(tmp_path):
    real = tmp_path / "Emanet 12.mp4"
    real.write_bytes(b"")
    link = tmp_path / "results" / "source"
    link.parent.mkdir()
    link.symlink_to(real)
    name, hint = describe_media(link)
    assert name == f"{real} (local source)" and "replace it" in hint
    with pytest.raises(MediaError, match="Emanet 12.mp4 \\(local source\\) is empty") as exc:
        probe_streams(link)
    assert "check it with `ffprobe" in str(exc.value)


def test_missing_ffmpeg_is_named(stereo_mp4, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))            # no ffprobe/ffmpeg on PATH
    with pytest.raises(FFmpegMissingError) as exc:
        probe_streams(stereo_mp4)
    assert "`ffprobe` was not found" in str(exc.value) and "apt-get install -y ffmpeg" in str(exc.value)


def test_wav_roundtrip_and_format_checks(tmp_path):
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    write_wav(tmp_path / "a.wav", tone)
    assert np.allclose(load_wav(tmp_path / "a.wav"), tone, atol=1e-4)
    write_wav(tmp_path / "b.wav", tone, sample_rate=8000)
    with pytest.raises(MediaError, match="expected 16000 Hz mono 16-bit WAV, got 8000 Hz") as exc:
        load_wav(tmp_path / "b.wav")
    assert "--forcerun audio" in str(exc.value)
    (tmp_path / "c.wav").write_bytes(b"not a wav at all")
    with pytest.raises(MediaError, match="not a readable WAV file"):
        load_wav(tmp_path / "c.wav")
