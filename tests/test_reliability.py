"""Reliability suite: bad input and bad luck, one test per case. Each test asserts what the user
sees (the message in the rule's log and on the console) and that the good episode of the same batch
still finishes (the real workflow runs with --keep-going).

To stay fast, cases that fail before ASR share one batch run that stops before `asr`
(``--omit-from asr``): one sheet holds every bad episode and one good short episode. Cases that need
ASR run their own small batch, with explicit targets so the offline translator (~45 s to load) is
only loaded when an episode actually has text to translate.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_workflow, write_sheet

pytestmark = pytest.mark.slow

GOOD_CLIP = "1-0013"            # 2.5 s of real Turkish speech
RULE_OUTPUT = {"download": "source", "audio": "audio.wav", "vad": "segments.json", "asr": "tr.json"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def log_of(workdir: Path, rule: str, episode: str) -> str:
    path = workdir / "logs" / rule / f"{episode}.log"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def assert_good_finished(workdir: Path, target: str = "segments.json") -> None:
    out = workdir / "results" / "good" / target
    assert out.is_file(), f"the good episode of the batch did not finish {target}"
    data = json.loads(out.read_text())
    assert data["segments"], "the good episode has real speech: it must have segments"


def assert_failed_cleanly(run, workdir: Path, rule: str, episode: str, *messages: str) -> str:
    """The job of ``episode`` failed in ``rule`` with ``messages`` in its log and on the console,
    as a project error (a clear message), not as a crash, and left no result file behind."""
    log = log_of(workdir, rule, episode)
    assert f"{rule} {episode}: FAILED" in log, f"no failure summary in logs/{rule}/{episode}.log:\n{log}"
    assert "Traceback" not in log and "a bug: please report" not in log, log
    for message in messages:
        assert message in log, f"{message!r} not in logs/{rule}/{episode}.log:\n{log}"
        assert message in run.stderr, f"{message!r} not shown on the console"
    assert f"Error in rule {rule}" in run.stderr
    assert run.returncode != 0, "a batch with a failed episode must end in error"
    output = workdir / "results" / episode / RULE_OUTPUT[rule]
    assert not output.exists() and not output.is_symlink(), f"the failed {rule} job left {output}"
    return log


# --------------------------------------------------------------------------- shared inputs

@pytest.fixture(scope="module")
def media(tmp_path_factory, shared_clips) -> dict[str, Path]:
    """Small media files for the cases, made once."""
    root = tmp_path_factory.mktemp("media")
    files = {"good": shared_clips / f"{GOOD_CLIP}.wav"}
    files["video_only"] = root / "video_only.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-an", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(files["video_only"]))
    whole = root / "whole.m4a"
    ffmpeg("-i", str(files["good"]), "-c:a", "aac", str(whole))
    files["truncated"] = root / "truncated.m4a"             # moov atom cut off
    files["truncated"].write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    files["corrupt"] = root / "corrupt.mp3"
    files["corrupt"].write_bytes(os.urandom(20_000))
    files["empty"] = root / "empty.mp4"
    files["empty"].write_bytes(b"")
    return files


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A loopback web site with a page that has no media (404 comes for free)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root = tmp_path_factory.mktemp("site")
    (root / "news.html").write_text("<!DOCTYPE html><html><head><title>News</title></head>"
                                    "<body><p>No video here.</p></body></html>")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def early_batch(tmp_path_factory, media, web, offline_models):
    """One batch holding every case that fails before ASR, plus the good episode (run until VAD)."""
    workdir = tmp_path_factory.mktemp("early")
    markers = {"dollar": workdir / "pwned-dollar", "backtick": workdir / "pwned-backtick"}
    port = closed_port()
    rows = [
        ("good", str(media["good"])),
        ("metachar", f"http://127.0.0.1:{port}/ep$(touch${{IFS}}{markers['dollar']})"),
        ("metachar2", f"http://127.0.0.1:{port}/`touch {markers['backtick']}`"),
        ("unreachable", f"http://127.0.0.1:{port}/emanet-1.html"),
        ("notfound", f"{web}/missing-episode.mp4"),
        ("nomedia", f"{web}/news.html"),
        ("videoonly", str(media["video_only"])),
        ("truncated", str(media["truncated"])),
        ("corrupt", str(media["corrupt"])),
        ("empty", str(media["empty"])),
        ("good", str(media["video_only"])),              # duplicate id
        ("nosource", ""),                                # empty source
        ("../escape", str(media["good"])),               # id with ../
        ("with space", str(media["good"])),              # id with a space
    ]
    sheet = write_sheet(workdir / "episodes.tsv", rows)
    with open(sheet, "a", encoding="utf-8") as fh:
        fh.write("onlyid\n")                             # a row missing its source column
    lines = {ep: n for n, (ep, _) in enumerate(rows, 2) if ep != "good"} | {"duplicate": 12, "onlyid": 16}
    run = run_workflow(workdir, "--keep-going", "--omit-from", "asr")
    return workdir, run, markers, lines


# --------------------------------------------------------------------------- episodes.tsv

def sheet_case(early_batch, key: str, *messages: str) -> None:
    workdir, run, _, lines = early_batch
    line = lines[key]
    log = (workdir / "logs" / "sheet" / f"line{line}.log").read_text()
    for message in messages:
        assert message in log and message in run.stderr, (message, log)
    assert f"episodes.tsv line {line}" in log
    assert "Error in rule invalid_row" in run.stderr and run.returncode != 0
    assert_good_finished(workdir)


def test_sheet_row_missing_column(early_batch):
    sheet_case(early_batch, "onlyid", "missing column(s) source", "separate cells with a TAB")


def test_sheet_duplicate_id(early_batch):
    sheet_case(early_batch, "duplicate", "duplicate episode id 'good' (first on line 2)")


def test_sheet_empty_source(early_batch):
    sheet_case(early_batch, "nosource", "the 'source' is empty; give a URL or a local file path")


def test_sheet_id_with_dotdot_or_space(early_batch):
    workdir = early_batch[0]
    for key in ("../escape", "with space"):
        sheet_case(early_batch, key, "invalid id; use letters, digits, '_' or '-' only")
    assert not (workdir / "escape").exists() and not (workdir.parent / "escape").exists()
    made = [p.name for p in (workdir / "results").iterdir()]
    assert "good" in made and not [m for m in made if " " in m or "." in m or m in {"escape", "with"}]


def test_url_with_shell_metacharacters_never_runs(early_batch):
    workdir, run, markers, _ = early_batch
    assert not markers["dollar"].exists() and not markers["backtick"].exists(), "a shell ran the source"
    # `$(...)` is legal in a URL: it reaches yt-dlp as plain text and fails as an unreachable address
    assert_failed_cleanly(run, workdir, "download", "metachar", "unreachable")
    # a backtick or space is not: the row is refused before anything runs
    sheet_case(early_batch, "metachar2", "is not a valid URL")
    assert_good_finished(workdir)


def test_sheet_header_missing_column_is_fatal(tmp_path, media):
    """Without an `episode` or `source` column no row can be read: the run stops at once, clearly."""
    (tmp_path / "episodes.tsv").write_text(f"episode\ttitle\ngood\t{media['good']}\n")
    run = run_workflow(tmp_path, "--keep-going")
    assert run.returncode != 0
    assert "missing column(s) source" in run.stderr and "the header must be tab-separated" in run.stderr
    assert not (tmp_path / "results").exists()


# --------------------------------------------------------------------------- download and media

def test_unreachable_url(early_batch):
    workdir, run, _, _ = early_batch
    assert_failed_cleanly(run, workdir, "download", "unreachable", "unreachable (",
                          "Connection refused", "Check your network connection")
    assert_good_finished(workdir)


def test_http_404(early_batch):
    workdir, run, _, _ = early_batch
    assert_failed_cleanly(run, workdir, "download", "notfound", "not found (HTTP 404/410)",
                          "HTTP Error 404", "Check the URL for a typo")
    assert_good_finished(workdir)


def test_page_without_media(early_batch):
    workdir, run, _, _ = early_batch
    assert_failed_cleanly(run, workdir, "download", "nomedia", "unsupported site",
                          "download the file yourself")
    assert_good_finished(workdir)


def test_file_without_audio_stream(early_batch):
    workdir, run, _, _ = early_batch
    assert_failed_cleanly(run, workdir, "audio", "videoonly", "has no audio stream (streams found: video)",
                          "pick another format/URL")
    assert_good_finished(workdir)


def test_truncated_and_corrupt_files(early_batch):
    workdir, run, _, _ = early_batch
    for episode in ("truncated", "corrupt"):
        assert_failed_cleanly(run, workdir, "audio", episode, "cannot read", "(local source)",
                              "Invalid data found", "check it with `ffprobe")
    assert_good_finished(workdir)


def test_zero_byte_file(early_batch):
    workdir, run, _, _ = early_batch
    assert_failed_cleanly(run, workdir, "audio", "empty", "is empty (0 bytes)", "replace it")
    assert_good_finished(workdir)


# --------------------------------------------------------------------------- cases that need ASR

def workflow_cmd(workdir: Path, *args: str) -> list[str]:
    """The command run_workflow runs (for the one test that must kill it mid-way)."""
    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
            "--configfile", str(ROOT / "config.yaml"), "--cores", "2", "--resources", "gpu=1",
            "--config", "profile=offline", f"episodes={workdir / 'episodes.tsv'}", *args]


def srt_cues(path: Path) -> list:
    import srt

    return list(srt.parse(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def asr_batch(tmp_path_factory, media, offline_models):
    """60 s of silence and 60 s of music run to the end; a non-Turkish clip and the good episode
    run through ASR; all in one --keep-going batch."""
    from tools.samples import build_episode

    workdir = tmp_path_factory.mktemp("asr")
    build_episode([("silence", 60.0)], workdir, workdir / "silence.wav")
    build_episode([("music", 60.0)], workdir, workdir / "music.wav")
    import numpy as np

    from altyazi.audio import write_wav
    from tools.samples import espeak

    english = espeak("The weather is lovely today, so we are going to the seaside with the children "
                     "and we will come back before dinner.", voice="en")
    write_wav(workdir / "foreign.wav", np.concatenate([np.zeros(8000, np.float32), english,
                                                        np.zeros(8000, np.float32)]))
    write_sheet(workdir / "episodes.tsv", [("good", str(media["good"])), ("silence", "silence.wav"),
                                           ("music", "music.wav"), ("foreign", "foreign.wav")])
    targets = ["results/silence/silence.fr.srt", "results/silence/qc.json", "results/music/music.fr.srt",
               "results/foreign/tr.json", "results/good/tr.json"]
    run = run_workflow(workdir, "--keep-going", *targets)
    return workdir, run


def test_silence_gives_valid_empty_srt(asr_batch):
    workdir, run = asr_batch
    assert run.returncode == 0, run.stderr[-3000:]
    srt_path = workdir / "results" / "silence" / "silence.fr.srt"
    assert srt_path.is_file() and srt_cues(srt_path) == []
    assert srt_cues(workdir / "results" / "silence" / "silence.tr.srt") == []
    assert "no speech found in audio stream 0 of 1: the subtitles of silence will be empty" in log_of(workdir, "vad", "silence")
    assert "no speech found" in run.stderr                     # the user is told, not left guessing
    assert_good_finished(workdir, "tr.json")


def test_music_only_gives_no_hallucinated_cues(asr_batch):
    workdir, run = asr_batch
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("music.fr.srt", "music.tr.srt"):
        cues = srt_cues(workdir / "results" / "music" / name)
        assert cues == [], f"{name} has cues on music only: {[c.content for c in cues]}"
    assert_good_finished(workdir, "tr.json")


# A non-Turkish episode is *warned about* in logs/asr/<episode>.log (and its pieces flagged).
def test_non_turkish_clip_is_warned(asr_batch):
    workdir, run = asr_batch
    assert run.returncode == 0, run.stderr[-3000:]
    log = log_of(workdir, "asr", "foreign")
    warnings = [line for line in log.splitlines() if "WARNING" in line
                and re.search(r"turkish|language", line, re.I)]
    assert warnings, "a non-Turkish episode must be warned about in logs/asr/<episode>.log"
    assert_good_finished(workdir, "tr.json")


def test_run_killed_during_asr_then_rerun(tmp_path, shared_clips, media, offline_models):
    from tools.samples import build_episode

    clips = ["1-0100-2", "1-0150"]                  # 26 s of speech: ASR (load + decode) takes a while
    build_episode([("clip", c) for c in clips], shared_clips, tmp_path / "long.wav")
    write_sheet(tmp_path / "episodes.tsv", [("long", "long.wav"), ("good", str(media["good"]))])
    target = tmp_path / "results" / "long" / "tr.json"
    asr_log = tmp_path / "logs" / "asr" / "long.log"
    cmd = workflow_cmd(tmp_path, "--keep-going", "results/long/tr.json", "results/good/segments.json")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not (asr_log.is_file() and asr_log.stat().st_size > 0):
            assert proc.poll() is None, "the workflow ended before asr started"
            time.sleep(0.2)
        time.sleep(2.0)                                   # well inside transcription
        assert not target.exists(), "asr finished before the kill: make the episode longer"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)               # the whole run: Snakemake and its job
        proc.wait()
    assert not target.exists(), "a killed asr job left a tr.json that Snakemake would trust"

    targets = ["results/long/tr.json", "results/good/segments.json"]
    # SIGKILL leaves Snakemake's lock: the next run says so and names --unlock (`make unlock`)
    locked = run_workflow(tmp_path, "--keep-going", "--rerun-incomplete", *targets)
    assert locked.returncode != 0 and "--unlock" in locked.stderr
    assert run_workflow(tmp_path, "--unlock").returncode == 0
    rerun = run_workflow(tmp_path, "--keep-going", "--rerun-incomplete", *targets)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    data = json.loads(target.read_text())
    assert len(data["segments"]) >= len(clips) and all(s["text"] for s in data["segments"])
    assert not [p.name for p in target.parent.iterdir() if p.name.startswith(".") and "tmp" in p.name]
    assert_good_finished(tmp_path)


SITE_OOM = '''\
# Test hook (tests/test_reliability.py): loaded only because the test puts this folder first on
# PYTHONPATH. When (and only when) a process imports faster_whisper, loading a model fails the way
# CUDA does when VRAM is full. Lazy, so the other processes of the run pay nothing.
import importlib.abc
import importlib.machinery
import sys


def _out_of_memory(self, *args, **kwargs):
    import torch

    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.50 GiB. GPU 0 has a total "
                                 "capacity of 23.65 GiB of which 310.00 MiB is free. [injected by test]")


class _PatchOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "faster_whisper":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        real = spec.loader

        class Loader(importlib.abc.Loader):
            def create_module(self, spec):
                return real.create_module(spec)

            def exec_module(self, module):
                real.exec_module(module)
                module.WhisperModel.__init__ = _out_of_memory

        spec.loader = Loader()
        return spec


sys.meta_path.insert(0, _PatchOnImport())
'''


def test_out_of_memory_on_model_load(tmp_path, media, offline_models):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITE_OOM)
    write_sheet(tmp_path / "episodes.tsv", [("bad", str(media["good"])), ("good", str(media["good"]))])
    env = {"PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    run = run_workflow(tmp_path, "--keep-going", "results/bad/tr.json", "results/good/segments.json", env=env)
    log = assert_failed_cleanly(run, tmp_path, "asr", "bad", "CUDA out of memory", "injected by test")
    assert_good_finished(tmp_path)
    assert "Free VRAM" in log and "setup-models" not in log


def test_missing_model_weights(tmp_path, media):
    """The production profile with an empty Hugging Face cache: the message names `make setup-models`."""
    write_sheet(tmp_path / "episodes.tsv", [("bad", str(media["good"])), ("good", str(media["good"]))])
    hf = tmp_path / "hf-cache"
    env = {"HF_HOME": str(hf), "HF_HUB_CACHE": str(hf / "hub"), "HF_HUB_OFFLINE": "1"}
    run = run_workflow(tmp_path, "--keep-going", "results/bad/tr.json", "results/good/segments.json",
                       profile="production", env=env)
    log = assert_failed_cleanly(run, tmp_path, "asr", "bad", "make setup-models")
    assert "large-v3" in log                      # the model that is missing is named
    assert re.search(r"could not be loaded|not (in|found|available)", log), log
    assert_good_finished(tmp_path)
