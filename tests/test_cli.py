"""The `altyazi` console command: option mapping, episode rows, and a real (dry) Snakemake call."""

from __future__ import annotations

import subprocess
import sys

import pytest

from altyazi.cli import config_overrides, main
from altyazi.episodes import load_episodes
from altyazi.errors import AltyaziError


def test_asr_option_starts_the_chain_there():
    assert config_overrides("offline", "voxtral-mini") == ["--config", "profile=offline",
                                                           "asr={chain: [voxtral-mini, faster-whisper]}"]
    assert config_overrides() == []
    with pytest.raises(AltyaziError, match="unknown ASR backend"):
        config_overrides(asr="whisperx")


def test_help_documents_commands():
    out = subprocess.run([sys.executable, "-m", "altyazi.cli", "--help"], capture_output=True, text=True).stdout
    for word in ("run", "batch", "check"):
        assert word in out


def test_run_adds_a_row_and_plans_the_episode(tmp_path, monkeypatch):
    media = tmp_path / "Emanet 12. Bölüm.mp4"
    media.write_bytes(b"not really a video")
    monkeypatch.chdir(tmp_path)
    rc = main(["run", str(media), "--profile", "offline", "--", "-n"])
    assert rc == 0
    eps = load_episodes(tmp_path / "episodes.tsv")
    assert [(e.episode, e.source) for e in eps] == [("Emanet-12-Bolum", str(media))]
    # a second run of the same source reuses its row
    assert main(["run", str(media), "--", "-n"]) == 0
    assert len(load_episodes(tmp_path / "episodes.tsv")) == 1


def test_batch_reports_missing_list(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.txt").write_text("# nothing\n")
    assert main(["batch", "list.txt"]) == 2
    assert "lists no URL" in capsys.readouterr().err


def test_check_lists_every_bad_row(tmp_path, capsys):
    sheet = tmp_path / "episodes.tsv"
    media = tmp_path / "a.wav"
    media.write_bytes(b"x")
    sheet.write_text(f"episode\tsource\ttitle\nok\t{media}\t\nbad id\t{media}\t\nok\t{media}\t\n")
    assert main(["check", "--sheet", str(sheet)]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and "invalid id" in err
    assert "line 4" in err and "duplicate" in err
