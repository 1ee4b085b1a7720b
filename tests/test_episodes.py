"""The episode sheet: each kind of bad row gives its own message, and never stops the good rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from altyazi.episodes import add_episode, episode_id_for, load_episodes, read_sheet, report_row_problem
from altyazi.errors import ConfigError


@pytest.fixture
def media(tmp_path) -> Path:
    path = tmp_path / "ep1.wav"
    path.write_bytes(b"RIFF")
    return path


def sheet(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "episodes.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(tmp_path, media, row: str) -> str:
    """Message of the single bad ``row``, placed after a good row that must survive."""
    result = read_sheet(sheet(tmp_path, f"episode\tsource\ttitle\ngood\t{media}\tGood\n{row}\n"), tmp_path)
    assert [ep.episode for ep in result.episodes] == ["good"]
    assert len(result.problems) == 1 and result.problems[0].line == 3
    return result.problems[0].message


def test_valid_sheet_with_comments_urls_and_relative_paths(tmp_path, media):
    path = sheet(tmp_path, "# my episodes\nepisode\tsource\ttitle\n"
                 f"e1\t{media.name}\tBölüm 1\ne-2\thttps://www.youtube.com/watch?v=abc_DEF-123\t\n\n")
    eps = load_episodes(path, tmp_path)
    assert [(e.episode, e.is_url, e.title) for e in eps] == [("e1", False, "Bölüm 1"), ("e-2", True, "")]


@pytest.mark.parametrize("row,expected", [
    ("bad id\t{media}", "invalid id"),
    ("../etc\t{media}", "invalid id"),
    ("a/b\t{media}", "invalid id"),
    ("-lead\t{media}", "invalid id"),
    ("\t{media}", "the 'episode' id is empty"),
    ("nosource\t", "the 'source' is empty"),
    ("nosource\t   ", "the 'source' is empty"),
    ("onlyid", "missing column(s) source"),
    ("good\t{media}", "duplicate episode id 'good' (first on line 2)"),
    ("e2\t{media}\ttitle\textra", "4 cells for 3 columns"),
    ("e2\tmissing.mp4", "local file 'missing.mp4' does not exist"),
    ("e2\tftp://host/x.mp4", "unsupported URL scheme"),
    ("e2\thttps://youtu.be/a b", "is not a valid URL"),
    ("e2\thttps://x.org/`id`", "is not a valid URL"),
    ("e2\thttps:///nohost", "is not a valid URL"),
    ("e" + "x" * 120 + "\t{media}", "is too long"),
])
def test_each_bad_row_has_its_message(tmp_path, media, row, expected):
    message = only_problem(tmp_path, media, row.format(media=media))
    assert expected in message
    assert message.startswith(f"{tmp_path / 'episodes.tsv'} line 3")  # the file the user gave
    assert "Fix config.yaml or episodes.tsv" in message          # the hint says what to do


def test_shell_metacharacters_are_plain_data(tmp_path, media):
    """`$(...)` is legal in a URL; it is accepted as data (no shell ever sees a source)."""
    result = read_sheet(sheet(tmp_path, "episode\tsource\nx\thttp://127.0.0.1:9/$(touch${IFS}/tmp/pwned)\n"), tmp_path)
    assert result.episodes[0].source.endswith("$(touch${IFS}/tmp/pwned)") and not result.problems


@pytest.mark.parametrize("text,expected", [
    ("source\ttitle\nx\ty\n", "missing column(s) episode"),
    ("episode title\nx y\n", "missing column(s) episode, source"),
    ("episode source title\nx y z\n", "separated by spaces: use TABs"),
    ("episode\tsource\turl\n", "unknown column(s) url"),
    ("# only a comment\n", "is empty"),
])
def test_broken_header_is_fatal(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_sheet(sheet(tmp_path, text), tmp_path)


def test_missing_sheet(tmp_path):
    with pytest.raises(ConfigError, match="not found") as exc:
        read_sheet(tmp_path / "nope.tsv")
    assert "episode<TAB>source<TAB>title" in str(exc.value)


def test_load_episodes_is_strict(tmp_path, media):
    with pytest.raises(ConfigError, match="line 3.*invalid id"):
        load_episodes(sheet(tmp_path, f"episode\tsource\ngood\t{media}\nbad id\t{media}\n"), tmp_path)


def test_report_row_problem_writes_log_and_fails(tmp_path, media):
    problem = read_sheet(sheet(tmp_path, f"episode\tsource\nbad id\t{media}\n"), tmp_path).problems[0]
    with pytest.raises(ConfigError, match="invalid id"):
        report_row_problem(problem, tmp_path / "logs" / "sheet" / "line2.log")
    assert "invalid id" in (tmp_path / "logs" / "sheet" / "line2.log").read_text()


def test_add_episode_and_ids(tmp_path, media, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "episodes.tsv"
    assert episode_id_for("https://www.youtube.com/watch?v=dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert episode_id_for("/data/Emanet 412 (HD).mp4") == "Emanet-412-HD"
    assert add_episode(path, str(media)) == "ep1"
    assert add_episode(path, str(media)) == "ep1"                 # same source: same row
    assert add_episode(path, "https://youtu.be/ep1") == "ep1-2"   # same id, other source: suffixed
    assert [e.episode for e in load_episodes(path)] == ["ep1", "ep1-2"]


def test_add_episode_despite_another_bad_row(tmp_path, media, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = sheet(tmp_path, f"episode\tsource\nbad id\t{media}\nnosrc\t\n")
    assert add_episode(path, str(media)) == "ep1"
    result = read_sheet(path)
    assert [e.episode for e in result.episodes] == ["ep1"] and len(result.problems) == 2
    with pytest.raises(ConfigError, match="is not a valid URL"):
        add_episode(path, "https://youtu.be/a b")
