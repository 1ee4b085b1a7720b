"""Which audio stream the audio stage takes, and that the WAV stays on the video's timeline.

Truth: files made here with ffmpeg from espeak-ng speech whose position is known (a silent first
track and speech on the second; speech delayed 10 s against the video by ``-itsoffset`` in MKV,
MP4 (an edit list) and MPEG-TS (start times))."""

from __future__ import annotations

import logging
import subprocess

import numpy as np
import pytest
from conftest import run_workflow

from altyazi.audio import SAMPLE_RATE, extract_audio, load_wav, no_speech_warning, write_wav
from altyazi.episodes import read_sheet
from altyazi.errors import MediaError
from altyazi.io import read_json
from tools.samples import espeak

SPEECH_AT = 2.0            # seconds of silence before the speech in the speech track
OFFSET = 10.0              # the audio's delay against the video in the offset files


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def onset(audio: np.ndarray, level: float = 0.03) -> float:
    """Seconds to the first sample above ``level`` (speech start)."""
    loud = np.flatnonzero(np.abs(audio) > level)
    assert loud.size, "no sample above the level: no speech in this audio"
    return loud[0] / SAMPLE_RATE


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """speech.wav (2 s silence, Turkish speech, 1 s silence), its AAC encoding, a short video."""
    d = tmp_path_factory.mktemp("streams")
    speech = espeak("Merhaba, bugün hava çok güzel. Yarın sabah erkenden okula gideceğim.")
    speech = np.concatenate([np.zeros(int(SPEECH_AT * SAMPLE_RATE), np.float32), speech,
                             np.zeros(SAMPLE_RATE, np.float32)])
    write_wav(d / "speech.wav", 0.8 * speech / np.abs(speech).max())
    ffmpeg("-i", str(d / "speech.wav"), "-c:a", "aac", "-b:a", "64k", str(d / "speech.m4a"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=20", "-c:v", "libx264", "-preset",
           "ultrafast", "-pix_fmt", "yuv420p", str(d / "video.mkv"))
    return d


@pytest.fixture(scope="module")
def two_tracks(media):
    """An MKV whose first audio track (default, as muxers set it) is silent and whose second speaks."""
    path = media / "two-tracks.mkv"
    seconds = load_wav(media / "speech.wav").size / SAMPLE_RATE
    # FLAC: no encoder priming, so Matroska's shift to non-negative times moves nothing and the
    # speech stays where speech.wav has it.
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds:.2f}", "-i", str(media / "speech.wav"),
           "-map", "0:a", "-map", "1:a", "-c:a", "flac", "-disposition:a:0", "default", "-disposition:a:1", "0", str(path))
    return path


def test_silent_first_track_the_speaking_one_is_taken(two_tracks, media, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="altyazi")
    info = extract_audio(two_tracks, tmp_path / "audio.wav")
    assert info.stream == 1 and "the most speech" in info.reason
    assert info.streams[0].speech == 0.0 and info.streams[1].speech > 0.2
    assert info.streams[0].default and not info.streams[1].default      # the tag alone would pick the silent one
    audio = load_wav(tmp_path / "audio.wav")
    assert onset(audio) == pytest.approx(onset(load_wav(media / "speech.wav")), abs=0.05)
    assert "audio: stream 1 of 2" in caplog.text and "not used: stream 0" in caplog.text


def test_turkish_tag_wins_among_speaking_tracks(media, tmp_path):
    """Two tracks with speech (a dub and the original): the Turkish-tagged one, even second and not default."""
    dub = media / "dub.mkv"
    ffmpeg("-i", str(media / "speech.m4a"), "-i", str(media / "speech.m4a"), "-map", "0:a", "-map", "1:a",
           "-c", "copy", "-metadata:s:a:0", "language=fre", "-metadata:s:a:1", "language=tur", str(dub))
    info = extract_audio(dub, tmp_path / "audio.wav")
    assert info.stream == 1 and info.reason.startswith("Turkish-tagged")
    assert [s.language for s in info.streams] == ["fre", "tur"]


def test_the_users_choice_wins_and_a_bad_one_is_explained(two_tracks, tmp_path):
    info = extract_audio(two_tracks, tmp_path / "audio.wav", stream=0, chosen_by="episodes.tsv column audio_stream")
    assert info.stream == 0 and info.reason == "chosen by episodes.tsv column audio_stream"
    assert np.abs(load_wav(tmp_path / "audio.wav")).max() < 0.001
    with pytest.raises(MediaError, match=r"audio stream 2 was asked for \(config audio.stream\) but the file has "
                                         r"2 audio stream\(s\): flac, und, 2 ch, default; flac") as exc:
        extract_audio(two_tracks, tmp_path / "bad.wav", stream=2)
    assert "from 0 to 1" in str(exc.value) and not (tmp_path / "bad.wav").exists()


def test_no_speech_warning_names_the_stream_and_the_way_out(two_tracks, media, tmp_path):
    silent = extract_audio(two_tracks, tmp_path / "a.wav", stream=0).to_dict()
    text = no_speech_warning(silent, "ep1")
    assert text.startswith("no speech found in audio stream 0 of 2: the subtitles of ep1 will be empty")
    assert "stream 1: flac, und" in text and "sheet column audio_stream" in text and "audio={stream: 1}" in text
    only = extract_audio(media / "speech.wav", tmp_path / "b.wav").to_dict()
    assert "only audio stream" in no_speech_warning(only, "ep2")


@pytest.mark.parametrize("container", ["mkv", "mp4", "ts"])
def test_late_audio_keeps_the_videos_timeline(media, tmp_path, container):
    """Speech at 2 s in the audio, audio 10 s late: the WAV has the speech at 12 s of the video."""
    path = tmp_path / f"late.{container}"
    ffmpeg("-i", str(media / "video.mkv"), "-itsoffset", str(OFFSET), "-i", str(media / "speech.m4a"),
           "-map", "0:v", "-map", "1:a", "-c", "copy", str(path))
    info = extract_audio(path, tmp_path / "audio.wav")
    truth = onset(load_wav(media / "speech.wav"))
    assert onset(load_wav(tmp_path / "audio.wav")) == pytest.approx(OFFSET + truth, abs=0.05)
    assert info.start_offset_s == pytest.approx(OFFSET, abs=0.1)      # AAC priming: first packet ~46 ms early
    assert info.duration == pytest.approx(OFFSET + load_wav(media / "speech.wav").size / SAMPLE_RATE, abs=0.1)


def test_sheet_column_audio_stream(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    sheet = tmp_path / "episodes.tsv"
    sheet.write_text("episode\tsource\ttitle\taudio_stream\nA\ta.wav\t\t1\nB\ta.wav\t\t\nC\ta.wav\t\tsecond\n",
                     encoding="utf-8")
    got = read_sheet(sheet, tmp_path)
    assert [(e.episode, e.audio_stream) for e in got.episodes] == [("A", 1), ("B", None)]
    assert len(got.problems) == 1 and "audio_stream 'second' is not a stream number" in got.problems[0].message


def test_workflow_warns_on_the_silent_stream_and_takes_the_speaking_one(two_tracks, tmp_path):
    """Through Snakemake up to the VAD: the sheet's audio_stream=0 (silent) gives a warning that names the
    cause in the VAD log and its summary line; the episode without a choice gets the speaking stream."""
    (tmp_path / "episodes.tsv").write_text(
        f"episode\tsource\ttitle\taudio_stream\nsilent\t{two_tracks}\t\t0\nauto\t{two_tracks}\t\t\n", encoding="utf-8")
    proc = run_workflow(tmp_path, "-p", "results/silent/segments.json", "results/auto/segments.json", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (tmp_path / "logs" / "vad" / "silent.log").read_text(encoding="utf-8")
    assert "no speech found in audio stream 0 of 2" in log and "WARNING: no speech" in log
    assert read_json(tmp_path / "results" / "silent" / "audio.json")["reason"].startswith("chosen by")
    assert read_json(tmp_path / "results" / "auto" / "audio.json")["stream"] == 1
    assert read_json(tmp_path / "results" / "auto" / "segments.json")["segments"]
