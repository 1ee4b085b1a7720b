"""Disk full (ENOSPC simulated at the OS call): the message names the device and what to free, the
finished ASR work is kept and reused by the rerun, nothing half-written is left, and no stage tells
the user to download again or to check the network."""

from __future__ import annotations

import errno
import json
import os
import runpy
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

import altyazi.asr
import altyazi.diskspace
from altyazi.audio import write_wav
from altyazi.diskspace import DiskFullError
from altyazi.io import atomic_write_json, atomic_write_text
from altyazi.records import Segment

_real_fsync = os.fsync


def _fail_fsync_for(monkeypatch, should_fail):
    """ENOSPC from fsync (where a full disk shows up for buffered writes) for files matching ``should_fail``."""
    real = os.fsync

    def fsync(fd):
        if should_fail(Path(os.readlink(f"/proc/self/fd/{fd}"))):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "tr.json"
    atomic_write_json(path, {"old": True})
    _fail_fsync_for(monkeypatch, lambda p: p.parent == tmp_path)
    with pytest.raises(DiskFullError) as err:
        atomic_write_text(path, "new content")
    message = str(err.value)
    assert message.startswith("no space left on ") and f"while writing {path}" in message
    assert "GB free): free 1 GB, then rerun" in message
    assert json.loads(path.read_text()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tr.json"]  # no .tr.json.*.tmp left


def test_device_and_mount_point_are_named(tmp_path):
    dev, mount = altyazi.diskspace.device_of(tmp_path / "not" / "yet" / "there.json")
    assert os.path.ismount(mount) and str(tmp_path).startswith(mount.rstrip("/") + "/")
    assert dev  # from /proc/mounts


class _NL(list):
    """Enough of Snakemake's namedlist for a script: positional and named access."""

    def __init__(self, **named):
        super().__init__(named.values())
        self.__dict__.update(named)

    def items(self):
        return [(k, v) for k, v in self.__dict__.items()]

    def keys(self):
        return list(self.__dict__)

    def get(self, key, default=None):
        return self.__dict__.get(key, default)


@pytest.fixture
def asr_job(tmp_path, monkeypatch):
    """The real scripts/asr.py on a fake Snakemake job; the ASR chain itself is a counting stub."""
    ep = tmp_path / "results" / "ep1"
    ep.mkdir(parents=True)
    write_wav(ep / "audio.wav", np.zeros(16000, dtype=np.float32))
    atomic_write_json(ep / "segments.json", {"duration": 1.0, "segments": [{"id": 0, "start": 0.0, "end": 1.0}]})
    calls = []

    def transcribe(audio, pieces, settings):
        calls.append(len(pieces))
        return [Segment(0, 0.0, 1.0, "merhaba")], {"backends": {"faster-whisper": 1}, "audio_seconds": 1.0, "seconds": 3600.0, "rtf": 1.0}

    monkeypatch.setattr(altyazi.asr, "transcribe_segments", transcribe)
    monkeypatch.setenv("ALTYAZI_GPU_LOCK_DIR", str(tmp_path / "locks"))
    smk = type("Smk", (), {})()
    smk.input = _NL(wav=str(ep / "audio.wav"), segments=str(ep / "segments.json"))
    smk.output = _NL(tr=str(ep / "tr.json"))
    smk.log = _NL(log=str(tmp_path / "logs" / "asr" / "ep1.log"))
    smk.params = _NL(settings={"chain": ["faster-whisper"], "models": {"faster-whisper": "base"}})
    smk.wildcards = _NL(episode="ep1")
    smk.resources = _NL(gpu=1)

    def run():
        runpy.run_path(str(ROOT / "scripts" / "asr.py"), init_globals={"snakemake": smk})
        return Path(smk.log[0]).read_text()

    return ep, calls, run


def test_disk_full_after_asr_keeps_the_transcript_and_the_rerun_uses_it(asr_job, monkeypatch):
    ep, calls, run = asr_job
    _fail_fsync_for(monkeypatch, lambda p: p.parent == ep and p.name.startswith(".tr.json."))
    with pytest.raises(SystemExit) as exit_:
        run()
    log = Path(ep.parent.parent / "logs" / "asr" / "ep1.log").read_text()
    assert exit_.value.code == 1 and "crashed" not in log and "a bug" not in log
    assert "asr ep1: FAILED" in log and "no space left on " in log and "free 1 GB, then rerun" in log
    assert "the finished work is kept in " in log and "the rerun uses it" in log
    assert not (ep / "tr.json").exists() and not list(ep.glob(".tr.json.*"))
    [kept] = list((ep / ".cache" / "recovered").iterdir())
    assert calls == [1]
    monkeypatch.undo()  # space freed (and the stub back in place for the rerun)
    monkeypatch.setattr(altyazi.asr, "transcribe_segments", lambda *a: calls.append("again") or ([], {}))
    log = run()
    assert calls == [1], "the rerun redid the ASR work"
    assert json.loads((ep / "tr.json").read_text())["segments"][0]["text"] == "merhaba"
    assert "restored" in log and "asr ep1: ok" in log and not kept.exists()


def test_recovery_goes_to_another_file_system_when_the_disk_is_full(asr_job, monkeypatch, tmp_path):
    ep, calls, run = asr_job
    other = tmp_path / "other-fs"
    monkeypatch.setenv("ALTYAZI_RECOVERY_DIR", str(other))
    _fail_fsync_for(monkeypatch, lambda p: other not in p.parents)  # the results disk is full, all of it
    with pytest.raises(SystemExit):
        run()
    [kept] = list(other.iterdir())
    assert not (ep / ".cache" / "recovered").exists() or not any((ep / ".cache" / "recovered").iterdir())
    monkeypatch.setattr(os, "fsync", _real_fsync)  # space freed
    run()
    assert calls == [1] and (ep / "tr.json").is_file() and not kept.exists()



def test_rerun_with_changed_inputs_ignores_the_kept_copy(asr_job, monkeypatch):
    ep, calls, run = asr_job
    _fail_fsync_for(monkeypatch, lambda p: p.name.startswith(".tr.json."))
    with pytest.raises(SystemExit):
        run()
    monkeypatch.setattr(os, "fsync", _real_fsync)
    write_wav(ep / "audio.wav", np.zeros(32000, dtype=np.float32))  # a new source: the copy is stale
    run()
    assert calls == [1, 1]


def test_low_free_space_stops_before_the_long_stage(asr_job, monkeypatch):
    ep, calls, run = asr_job
    monkeypatch.setattr(altyazi.diskspace, "free_bytes", lambda path: 100 * 1024 ** 2)
    with pytest.raises(SystemExit):
        run()
    log = Path(ep.parent.parent / "logs" / "asr" / "ep1.log").read_text()
    assert calls == []  # checked before, not after an hour of work
    assert "no space left on " in log and "for the asr stage of ep1: 0.10 GB free" in log and "then rerun" in log


def test_disk_full_in_the_audio_stage_is_not_a_bad_download(tmp_path, monkeypatch):
    from altyazi import audio

    media = tmp_path / "source.wav"
    write_wav(media, np.zeros(16000, dtype=np.float32))
    real_run = subprocess.run

    def run(cmd, **kw):
        if "ffmpeg" in Path(cmd[0]).name:
            return subprocess.CompletedProcess(cmd, 1, "", f"Error writing trailer of {cmd[-1]}: No space left on device")
        return real_run(cmd, **kw)

    monkeypatch.setattr(audio.subprocess, "run", run)
    with pytest.raises(DiskFullError) as err:
        audio.extract_audio(media, tmp_path / "ep" / "audio.wav")
    assert "no space left on " in str(err.value) and "download" not in str(err.value).lower()
    assert not (tmp_path / "ep" / "audio.wav").exists() and not list((tmp_path / "ep").glob(".audio.wav*"))


def test_disk_full_during_download_is_not_a_network_problem(tmp_path, monkeypatch):
    import yt_dlp

    from altyazi.download import download_url

    class YDL:
        def __init__(self, opts):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def extract_info(self, url, download):
            raise yt_dlp.utils.DownloadError("ERROR: unable to write data: [Errno 28] No space left on device")

    monkeypatch.setattr(yt_dlp, "YoutubeDL", YDL)
    with pytest.raises(DiskFullError) as err:
        download_url("https://www.youtube.com/watch?v=abc", tmp_path / "ep" / "source")
    assert "no space left on " in str(err.value) and "network" not in str(err.value)
