"""Report material: QC plots and table, and the subtitles rule inside `snakemake --report`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import srt
from conftest import read_fr_fixture, run_workflow, write_sheet

from altyazi.recordfiles import read_record_file
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.plots import write_report_files

FIXTURES = Path(__file__).parent / "fixtures" / "subtitles"
PNG = b"\x89PNG\r\n\x1a\n"
NO_SPEAKERS = {"backend": "resemblyzer", "speakers": [], "segments": [], "turns": []}  # a valid speakers.json


def test_plots_and_table_are_written(tmp_path):
    result = build_subtitles(read_fr_fixture(FIXTURES / "demo_fr.json"), {})
    paths = {k: str(tmp_path / f"{k}.{'html' if k == 'table' else 'png'}") for k in ("cps", "durations", "timeline", "onsets", "table")}
    write_report_files(result.cues, result.speech, result.qc, result.rules, paths, "demo")
    for key in ("cps", "durations", "timeline", "onsets"):
        data = Path(paths[key]).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, key
    table = Path(paths["table"]).read_text(encoding="utf-8")
    assert "PASS" in table and "cues over max cps" in table and "speech not covered" in table
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave no temporary file


@pytest.mark.slow
def test_subtitles_rule_and_report(tmp_path):
    """The subtitles rule alone on the demo's fr.json (upstream files present and older), then --report."""
    ep = tmp_path / "results" / "demo"
    ep.mkdir(parents=True)
    source = tmp_path / "demo.wav"
    for path in (source, ep / "source", ep / "audio.wav", ep / "audio.json", ep / "segments.json"):
        path.write_bytes(b"")
    (ep / "tr.json").write_bytes(b"")
    fr = json.loads((FIXTURES / "demo_fr.json").read_text(encoding="utf-8"))
    fr["segments"][0]["flags"].append("not_turkish")  # an ASR flag must reach cues.json, qc.json and the QC table
    (ep / "fr.json").write_text(json.dumps(fr, ensure_ascii=False), encoding="utf-8")
    (ep / "speakers.json").write_text(json.dumps(NO_SPEAKERS), encoding="utf-8")
    # the audio's speech runs (here the fixture's word spans) and no video: the vad and shots rules' files
    runs = [{"start": w["start"], "end": w["end"]} for seg in fr["segments"] for w in seg["words"][:1]]
    (ep / "speech.json").write_text(json.dumps({"duration": 70.0, "runs": runs}), encoding="utf-8")
    (ep / "shots.json").write_text(json.dumps({"enabled": False, "reason": "test", "cuts": []}), encoding="utf-8")
    upstream = [source, ep / "source", ep / "audio.wav", ep / "audio.json", ep / "segments.json", ep / "speech.json",
                ep / "shots.json", ep / "speakers.json", ep / "tr.json", ep / "fr.json"]
    for i, path in enumerate(upstream):
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    write_sheet(tmp_path / "episodes.tsv", [("demo", str(source), "Demo")])
    proc = run_workflow(tmp_path, "--allowed-rules", "subtitles", "all",
                        config=["subtitles={formats: [srt, vtt]}"], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    subs = list(srt.parse((ep / "demo.fr.srt").read_text(encoding="utf-8")))
    qc = json.loads((ep / "qc.json").read_text(encoding="utf-8"))
    assert len(subs) == qc["cues"] > 0 and qc["unflagged_violations"] == 0 and qc["episode"] == "demo"
    assert (ep / "demo.fr.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    cues = read_record_file(ep / "cues.json", "cues")["cues"]
    first = [c for c in cues if 0 in c["segments"]]
    assert first and all("not_turkish" in c["flags"] for c in first)
    assert qc["asr_flagged"]["count"] == len(first) and qc["asr_flagged"]["flags"] == {"not_turkish": len(first)}
    assert any("not_turkish" in c["flags"] for c in qc["flagged_cue_list"])
    table = (ep / "qc" / "qc.html").read_text(encoding="utf-8")
    assert f"<td>cues resting on flagged ASR</td><td>{len(first)}</td>" in table and "not_turkish" in table
    assert len(json.loads((ep / "cues.json").read_text(encoding="utf-8"))["cues"]) == qc["cues"]
    for name in ("cps.png", "durations.png", "timeline.png", "onsets.png"):
        assert (ep / "qc" / name).read_bytes().startswith(PNG)
    assert qc["timing"]["reference"] == "speech.json" and qc["timing"]["onset_error_frames"]["n"] > 0
    report = tmp_path / "report.html"
    proc = run_workflow(tmp_path, "--report", str(report), config=["subtitles={formats: [srt, vtt]}"], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = report.read_text(encoding="utf-8", errors="replace")
    for needle in ("Subtitle QC", "cps.png", "timeline.png", "durations.png", "onsets.png", "qc.html",
                   "Reading speed of each French cue", "measured against the audio"):
        assert needle in html, needle
