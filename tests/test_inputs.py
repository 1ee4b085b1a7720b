"""What real users type and save: hostile or Turkish file names through make, misspelled config keys,
the same file written another way, spreadsheet-saved sheets, batch lists with bad lines, folders and
dangling links given as sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_workflow, write_sheet

from altyazi.cli import main, snakemake_cmd
from altyazi.config_check import check_config, load_yaml_file
from altyazi.episodes import add_episode, read_sheet, source_key
from altyazi.errors import ConfigError
from altyazi.settings import config_schema

SCHEMA = config_schema()  # the schema file with the chain names filled from the ASR registry
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def _media(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF0000WAVE")
    return path


# --------------------------------------------------------------------------- make run / make batch

@pytest.fixture
def fake_venv(tmp_path):
    """A VENV whose bin/altyazi records its argv, then runs the real CLI with Snakemake's dry run (-n):
    the real Makefile recipe, the real CLI and workflow, seconds instead of a whole episode."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    script = venv / "bin" / "altyazi"
    script.write_text(f"#!/bin/bash\nprintf '%s\\0' \"$@\" > \"$ALTYAZI_TEST_ARGV\"\n"
                      f"exec {sys.executable} -m altyazi.cli \"$@\" -- -n\n")
    script.chmod(0o755)
    return venv


def make(target: str, cwd: Path, venv: Path, **values: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    argv_file = cwd / ".argv"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ALTYAZI_TEST_ARGV": str(argv_file)}
    cmd = ["make", "-s", "-f", str(ROOT / "Makefile"), "-o", f"{venv}/.altyazi-setup", f"VENV={venv}", target,
           *[f"{k}={v}" for k, v in values.items()]]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    argv = argv_file.read_text().split("\0")[:-1] if argv_file.is_file() else []
    return proc, argv


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_run_never_runs_a_hostile_url(tmp_path, fake_venv):
    work = tmp_path / "work"
    work.mkdir()
    url = "https://www.youtube.com/watch?v=abc'; touch pwned; echo '"
    proc, argv = make("run", work, fake_venv, URL=url, SHEET="my sheet.tsv")
    assert argv == ["run", url, "--sheet", "my sheet.tsv"]  # one argument, byte for byte
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert "is not a valid URL" in proc.stderr and proc.returncode != 0
    assert not (work / "my sheet.tsv").exists() or "abc" not in (work / "my sheet.tsv").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_run_with_turkish_apostrophe_path(tmp_path, fake_venv):
    work = tmp_path / "work"
    src = _media(work / "in" / "Kiraz'ın bölüm.wav")
    proc, argv = make("run", work, fake_venv, URL="in/Kiraz'ın bölüm.wav", PROFILE="offline")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert argv == ["run", "in/Kiraz'ın bölüm.wav", "--profile", "offline", "--sheet", "episodes.tsv"]
    [ep] = read_sheet(work / "episodes.tsv", work).episodes
    assert ep.source == "in/Kiraz'ın bölüm.wav" and ep.episode == "Kiraz-in-bolum"
    assert "rule asr" in proc.stdout and src.is_file()  # Snakemake planned every stage of it


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_batch_with_hostile_list_and_media_names(tmp_path, fake_venv):
    work = tmp_path / "work"
    names = ["$(touch x).wav", "`touch y`.wav", "a'; touch z; '.wav"]
    for name in names:
        _media(work / name)
    listing = work / "list '$(touch w)' `touch v`.txt"
    listing.write_text("\n".join(names) + "\n", encoding="utf-8")
    proc, argv = make("batch", work, fake_venv, FILE=listing.name, ASR="faster-whisper")
    assert argv == ["batch", listing.name, "--asr", "faster-whisper", "--sheet", "episodes.tsv"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    for stray in "xyzwv":
        assert not (work / stray).exists() and not (tmp_path / stray).exists()
    assert sorted(ep.source for ep in read_sheet(work / "episodes.tsv", work).episodes) == sorted(names)


# --------------------------------------------------------------------------- config keys

@pytest.mark.parametrize("override, expected", [
    ({"profil": "offline"}, "unknown key 'profil' (did you mean 'profile'?)"),
    ({"tranlsate": {"batch_lines": 3}}, "unknown key 'tranlsate' (did you mean 'translate'?)"),
    ({"translate": {"bach_lines": 3}}, "unknown key 'translate.bach_lines' (did you mean 'batch_lines'?)"),
    ({"asr": {"faster_whisper": {"beam": 3}}}, "unknown key 'asr.faster_whisper.beam' (did you mean 'beam_size'?)"),
    ({"vad": {"treshold": 0.4}}, "unknown key 'vad.treshold' (did you mean 'threshold'?)"),
])
def test_unknown_config_key_names_the_closest_valid_one(override, expected):
    config = {**CONFIG, **{k: {**CONFIG.get(k, {}), **v} if isinstance(v, dict) else v for k, v in override.items()}}
    with pytest.raises(ConfigError) as err:
        check_config(config, SCHEMA)
    assert expected in str(err.value)


def test_bad_asr_name_lists_the_allowed_names_from_the_schema():
    allowed = SCHEMA["$defs"]["chain"]["items"]["enum"]
    with pytest.raises(ConfigError) as err:
        check_config({**CONFIG, "asr": {**CONFIG["asr"], "chain": ["nosuch"]}}, SCHEMA)
    message = str(err.value)
    assert "config asr.chain[0]: 'nosuch' is not allowed; choose one of: " + ", ".join(allowed) in message
    assert "oneOf" not in message and "$ref" not in message  # no schema dump


def test_the_shipped_config_is_valid():
    check_config(CONFIG, SCHEMA)


def test_misspelled_key_stops_the_real_workflow_with_the_message(tmp_path):
    write_sheet(tmp_path / "episodes.tsv", [])
    run = run_workflow(tmp_path, "-n", config=["profil=offline"], timeout=300)
    assert run.returncode != 0
    assert "unknown key 'profil' (did you mean 'profile'?)" in run.stdout + run.stderr


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    bad = tmp_path / "config.yaml"
    lines = (ROOT / "config.yaml").read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("  retries:"))
    lines[i] = "  retries: [3"   # an unclosed list
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as err:
        load_yaml_file(bad)
    assert f"{bad} line {i + 2}, column" in str(err.value) and "YAML syntax error" in str(err.value)


def test_cli_reports_yaml_error_before_snakemake(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("profile: offline\nvad:\n\tthreshold: 0.5\n")  # a tab indent
    with pytest.raises(ConfigError, match=r"config.yaml line 3, column 1: YAML syntax error"):
        snakemake_cmd([], [])


# --------------------------------------------------------------------------- same file, another spelling

def test_same_file_written_another_way_reuses_its_row(tmp_path, monkeypatch):
    work = tmp_path / "work"
    src = _media(tmp_path / "in" / "x.mp4")
    work.mkdir()
    (work / "link.mp4").symlink_to(src)
    os.link(src, tmp_path / "in" / "hard.mp4")
    monkeypatch.chdir(work)
    sheet = work / "episodes.tsv"
    assert add_episode(sheet, "../in/x.mp4") == "x"
    before = sheet.read_bytes()
    for other in ["../in//x.mp4", "../in/./x.mp4", str(src), "link.mp4", "../in/hard.mp4", "../work/../in/x.mp4"]:
        assert add_episode(sheet, other) == "x", other
    assert sheet.read_bytes() == before  # no x-2, x-3
    _media(tmp_path / "in" / "sub" / "x.mp4")
    assert add_episode(sheet, "../in/sub/x.mp4") == "x-2"  # another file of the same name is another episode


def test_same_youtube_video_in_any_spelling_reuses_its_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sheet = tmp_path / "episodes.tsv"
    vid = "dQw4w9WgXcQ"
    assert add_episode(sheet, f"https://www.youtube.com/watch?v={vid}") == vid
    before = sheet.read_bytes()
    for url in [f"https://youtube.com/watch?v={vid}&t=42s", f"https://youtu.be/{vid}?si=abc",
                f"https://m.youtube.com/watch?feature=share&v={vid}", f"https://www.youtube.com/shorts/{vid}",
                f"https://www.youtube.com/embed/{vid}", f"https://WWW.YouTube.com/watch?v={vid}&list=PL1",
                f"https://www.youtube.com/live/{vid}?feature=share", f"http://music.youtube.com/watch?v={vid}"]:
        assert add_episode(sheet, url) == vid, url
    assert sheet.read_bytes() == before
    assert add_episode(sheet, "https://www.youtube.com/watch?v=other_vid01") == "other_vid01"


def test_url_pasted_without_its_scheme_says_to_add_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"write it with https:// \(https://youtube.com/watch\?v=abc\)"):
        add_episode(tmp_path / "episodes.tsv", "youtube.com/watch?v=abc")


def test_other_urls_compare_without_host_case_or_trailing_slash():
    assert source_key("https://WWW.Example.com/ep/1/") == source_key("https://example.com/ep/1#t=3")
    assert source_key("https://example.com/ep/1") != source_key("https://example.com/ep/2")


# --------------------------------------------------------------------------- spreadsheet-saved sheets

def test_sheet_saved_by_a_spreadsheet(tmp_path):
    a, b = _media(tmp_path / "a.wav"), _media(tmp_path / "b.wav")
    path = tmp_path / "Dizi listesi.tsv"
    # BOM, CRLF, a trailing tab on the header and on rows, a row padded with two empty cells
    path.write_bytes(("\ufeffepisode\tsource\ttitle\t\r\n"
                      f"a\t{a}\tBölüm 1\t\r\nb\t{b}\t\t\t\r\n").encode("utf-8"))
    sheet = read_sheet(path, tmp_path)
    assert [(e.episode, e.title) for e in sheet.episodes] == [("a", "Bölüm 1"), ("b", "")]
    assert not sheet.problems


def test_sheet_messages_name_the_file_the_user_gave(tmp_path):
    path = tmp_path / "sezon 2.tsv"
    path.write_text("episode\tsource\nx\tnothere.mp4\n", encoding="utf-8")
    [problem] = read_sheet(path, tmp_path).problems
    message = problem.message.split("\n  -> ")[0]  # the hint below it is the generic one
    assert message.startswith(f"{path} line 2 (episode 'x')") and "episodes.tsv" not in message
    path.write_text("\ufeffepisod\tsource\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sezon 2.tsv line 1: missing column\(s\) episode"):
        read_sheet(path, tmp_path)


def test_sheet_in_a_legacy_turkish_encoding_or_with_commas(tmp_path):
    path = tmp_path / "bölümler.tsv"
    path.write_bytes("episode\tsource\nkiraz\tKiraz'ın bölüm.mp4\n".encode("cp1254"))
    with pytest.raises(ConfigError, match=r"bölümler.tsv line 2: not UTF-8 text \(byte 0xfd; probably saved as Windows-1254"):
        read_sheet(path, tmp_path)
    path.write_text("episode,source,title\nx,a.mp4,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"separated by commas: use TABs"):
        read_sheet(path, tmp_path)


def test_batch_list_in_a_legacy_encoding_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.txt").write_bytes("Kiraz'ın bölüm.mp4\n".encode("cp1254"))
    assert main(["batch", "list.txt"]) == 2
    assert "list file list.txt is not UTF-8 text" in capsys.readouterr().err
    assert not (tmp_path / "episodes.tsv").exists()


def test_add_to_a_bom_sheet_keeps_it_readable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a, b = _media(tmp_path / "a.wav"), _media(tmp_path / "b.wav")
    sheet = tmp_path / "episodes.tsv"
    sheet.write_bytes(f"\ufeffepisode\tsource\ttitle\t\r\na\t{a}\t\t".encode())  # no final newline
    assert add_episode(sheet, str(a)) == "a"
    assert add_episode(sheet, str(b)) == "b"
    assert [e.episode for e in read_sheet(sheet).episodes] == ["a", "b"]


# --------------------------------------------------------------------------- folders, dangling links

@pytest.mark.parametrize("kind, expected", [
    ("dir", "is a folder, not a media file"),
    ("dangling", "is a symbolic link to {target}, which does not exist (a dangling link"),
    ("dirlink", "is a link to a folder"),
    ("missing", "does not exist (looked at"),
])
def test_source_that_is_not_a_file_says_what_it_is(tmp_path, monkeypatch, kind, expected):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "moved-away.mp4"
    src = tmp_path / "src"
    if kind == "dir":
        src.mkdir()
    elif kind == "dangling":
        src.symlink_to(target)
    elif kind == "dirlink":
        (tmp_path / "d").mkdir()
        src.symlink_to(tmp_path / "d")
    with pytest.raises(ConfigError) as err:
        add_episode(tmp_path / "episodes.tsv", "src")
    assert expected.format(target=target) in str(err.value)
    assert "line 0" not in str(err.value) and not (tmp_path / "episodes.tsv").exists()
    from altyazi.download import link_local
    from altyazi.errors import MediaError

    with pytest.raises(MediaError) as err:
        link_local(src, tmp_path / "results" / "x" / "source")
    assert expected.format(target=target) in str(err.value)


# --------------------------------------------------------------------------- altyazi batch

def test_batch_with_bad_lines_runs_the_good_ones_and_reports_each(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    good1, good2 = _media(tmp_path / "iyi 1.wav"), _media(tmp_path / "Kiraz'ın 2.wav")
    (tmp_path / "klasör").mkdir()
    (tmp_path / "dangling.wav").symlink_to(tmp_path / "gone.wav")
    listing = tmp_path / "liste.txt"
    listing.write_bytes(("\ufeff" + "\r\n".join([
        "# sezon 1", str(good1), "eksik.mp4", "klasör", "dangling.wav", f'"{good2}"', f"file://{good1}", ""
    ])).encode("utf-8"))
    sheet = tmp_path / "episodes.tsv"
    rc = main(["batch", str(listing), "--sheet", str(sheet), "--profile", "offline", "--", "-n"])
    out, err = capfd.readouterr()
    assert rc == 1  # the bad lines make the run fail, after the good ones
    assert [e.source for e in read_sheet(sheet).episodes] == [str(good1), str(good2)]  # file:// is good1 again
    assert f"SKIPPED: {listing} line 3 (episode 'eksik'): local file 'eksik.mp4' does not exist" in out
    assert f"SKIPPED: {listing} line 4 (episode 'klasor'): 'klasör' is a folder" in out
    assert f"SKIPPED: {listing} line 5 (episode 'dangling'): 'dangling.wav' is a symbolic link" in out
    assert "line 0" not in out + err and "\ufeff" not in out + err
    assert "3 of 6 line(s)" in err
    assert "rule asr" in out + err  # Snakemake planned the good episodes (dry run)


def test_batch_with_only_bad_lines_leaves_the_sheet_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    a = _media(tmp_path / "a.wav")
    sheet = write_sheet(tmp_path / "episodes.tsv", [("a", str(a))])
    before = sheet.read_bytes()
    listing = tmp_path / "list.txt"
    listing.write_text("nope1.mp4\nhttps://exa mple.com/x\n", encoding="utf-8")
    calls = []
    monkeypatch.setattr("altyazi.cli._run", lambda cmd, debug: calls.append(cmd) or 0)
    assert main(["batch", str(listing), "--sheet", str(sheet)]) == 1
    assert sheet.read_bytes() == before and not calls
    out = capsys.readouterr().out
    assert f"SKIPPED: {listing} line 1" in out and f"SKIPPED: {listing} line 2" in out
