"""Logging setup, progress lines and the stage wrapper (summary line, exit codes, clear errors)."""

from __future__ import annotations

import io
import logging
import re
from types import SimpleNamespace

import pytest

from altyazi import log as altlog
from altyazi.errors import MediaError
from altyazi.stage import run_stage

STAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "


@pytest.fixture(autouse=True)
def reset_logger():
    yield
    root = altlog.get_logger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def test_log_file_is_plain_timestamped_text(tmp_path, monkeypatch):
    monkeypatch.delenv("ALTYAZI_DEBUG", raising=False)
    path = tmp_path / "logs" / "vad" / "ep.log"
    altlog.setup_logging(path)
    altlog.get_logger("vad").info("hello %s", "world")
    altlog.get_logger("vad").debug("hidden")
    text = path.read_text()
    assert re.match(STAMP + r"INFO +\[altyazi\.vad\] hello world$", text.splitlines()[0])
    assert "hidden" not in text and "\x1b[" not in text


def test_debug_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ALTYAZI_DEBUG", "1")
    path = tmp_path / "x.log"
    altlog.setup_logging(path)
    altlog.get_logger().debug("details")
    assert "DEBUG" in path.read_text() and "details" in path.read_text()


def test_console_colours_only_on_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert altlog._use_rich(Tty()) is True
    assert altlog._use_rich(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert altlog._use_rich(Tty()) is False


def test_setup_twice_keeps_one_console_and_one_file(tmp_path):
    altlog.setup_logging(tmp_path / "a.log")
    root = altlog.setup_logging(tmp_path / "b.log")
    assert len(root.handlers) == 2


def test_progress_logs_every_tenth_when_not_a_terminal(caplog):
    caplog.set_level(logging.INFO, logger="altyazi")
    items = list(altlog.progress(range(50), description="asr pieces"))
    assert items == list(range(50))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("asr pieces")]
    assert lines[0] == "asr pieces: 5/50 (10%)" and lines[-1] == "asr pieces: 50/50 (100%)" and len(lines) == 10


def smk(tmp_path, episode="ep1"):
    return SimpleNamespace(log=[str(tmp_path / "stage.log")], wildcards={"episode": episode})


def test_run_stage_success_ends_with_one_summary_line(tmp_path):
    run_stage("vad", smk(tmp_path), lambda s, log: "12 pieces")
    last = (tmp_path / "stage.log").read_text().splitlines()[-1]
    assert re.search(r"vad ep1: ok in \d+\.\d s, peak RAM \d+\.\d GiB \(12 pieces\)$", last)


def test_run_stage_project_error_exits_1_with_message_and_hint(tmp_path):
    def fail(s, log):
        raise MediaError("ep1.mp4 is empty (0 bytes)")

    with pytest.raises(SystemExit) as exc:
        run_stage("audio", smk(tmp_path), fail)
    assert exc.value.code == 1
    text = (tmp_path / "stage.log").read_text()
    assert "audio ep1: FAILED after" in text and "ep1.mp4 is empty (0 bytes)" in text
    assert "-> The file is unreadable" in text and "Traceback" not in text


def test_run_stage_oom_is_reported_as_gpu_memory(tmp_path):
    import torch

    def oom(s, log):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with pytest.raises(SystemExit) as exc:
        run_stage("translate", smk(tmp_path), oom)
    assert exc.value.code == 1
    text = (tmp_path / "stage.log").read_text()
    assert "out of GPU memory in translate (OutOfMemoryError: CUDA out of memory" in text
    assert "Free VRAM" in text and "Traceback" not in text


def test_run_stage_bug_exits_2_with_traceback(tmp_path):
    def bug(s, log):
        return {}["missing"]

    with pytest.raises(SystemExit) as exc:
        run_stage("asr", smk(tmp_path), bug)
    assert exc.value.code == 2
    text = (tmp_path / "stage.log").read_text()
    assert "a bug: please report it" in text and "Traceback" in text and "KeyError" in text
    assert "asr ep1: FAILED after" in text


def test_gpu_rule_reports_peak_vram(tmp_path, monkeypatch):
    from altyazi import gpu

    monkeypatch.setenv(gpu.FAKE_GPU_ENV, '{"free_gib": 20, "total_gib": 24}')
    job = smk(tmp_path)
    job.resources = SimpleNamespace(gpu=1)
    run_stage("asr", job, lambda s, log: "3 segments")
    last = (tmp_path / "stage.log").read_text().splitlines()[-1]
    assert "peak VRAM 4.0 GiB (3 segments)" in last
    job.resources = SimpleNamespace(gpu=0)                  # a CPU rule never touches NVML
    run_stage("vad", job, lambda s, log: None)
    assert "VRAM" not in (tmp_path / "stage.log").read_text().splitlines()[-1]


def test_every_tenth_gives_one_line_per_new_tenth_even_on_uneven_jumps():
    tenths = altlog.EveryTenth()
    # batches of uneven size (voxtral's clips, VAD windows): a jump over two tenths gives one line
    assert [tenths.tick(done, 40) for done in (3, 4, 13, 14, 39, 40)] == [None, 10, 30, None, 90, 100]
    assert tenths.tick(40, 40) is None and tenths.tick(5, None) is None
    start = altlog.EveryTenth(from_zero=True)  # a download logs its 0 % too
    assert [start.tick(b, 1000) for b in (0, 50, 100)] == [0, None, 10]
