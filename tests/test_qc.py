"""QC figures: the demo passes with 0 unflagged violations, and every check catches what it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import srt
from conftest import read_fr_fixture

from altyazi.errors import ConfigError
from altyazi.records import Cue, Segment, Word
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.qc import qc_report
from altyazi.subtitles.rules import SubtitleRules

FIXTURES = Path(__file__).parent / "fixtures" / "subtitles"
RULES = SubtitleRules()


@pytest.fixture(scope="module")
def demo():
    fr = read_fr_fixture(FIXTURES / "demo_fr.json")
    return fr, build_subtitles(fr, {"formats": ["srt", "vtt"]})


def test_demo_srt_parses_and_qc_has_no_unflagged_violation(demo):
    fr, result = demo
    fr_subs = list(srt.parse(result.files["fr.srt"]))
    tr_subs = list(srt.parse(result.files["tr.srt"]))
    assert len(fr_subs) == result.qc["cues"] > 0
    assert len(tr_subs) == len(fr_subs)  # same timing in both languages
    assert [s.start for s in fr_subs] == [s.start for s in tr_subs]
    assert result.qc["unflagged_violations"] == 0
    assert all(c["unflagged"] == 0 for c in result.qc["checks"].values())
    # every French word of the translation reaches the screen
    shown = " ".join(s.content.replace("\n", " ") for s in fr_subs).split()
    assert shown == " ".join(s.translation for s in fr).split()
    assert result.qc["speech_not_covered"]["percent"] < 5.0
    json.dumps(result.qc)  # qc.json material


def test_demo_vtt(demo):
    vtt = demo[1].files["fr.vtt"]
    assert vtt.startswith("WEBVTT\n")
    assert vtt.count(" --> ") == demo[1].qc["cues"]
    assert "," not in vtt.split("\n")[3]  # 00:00:01.640 --> ..., dot before milliseconds


def _cue(start, end, text, speech=None, flags=()):
    s0, s1 = speech or (start, end)
    c = Cue([Word(s0, s1, "söz")], text.split(), [0], list(flags))
    c.start, c.end, c.text = start, end, text
    return c


def _tr(spans):
    return [Segment(i, a, b, "söz", [Word(a, b, "söz")]) for i, (a, b) in enumerate(spans)]


def test_each_check_counts_its_violation_and_flags_excuse_it():
    cues = [
        _cue(0.0, 0.5, "Oui."),                                    # too short
        _cue(1.0, 9.0, "Bien.", speech=(1.0, 8.5)),                # too long
        _cue(8.9, 10.0, "Chevauche.", speech=(8.9, 10.0)),         # overlaps the previous cue
        _cue(10.04, 11.0, "Collé.", speech=(10.04, 11.0)),         # 1 frame after the previous cue
        _cue(12.0, 13.0, "x" * 40, flags=["cps"]),                 # 40 cps, flagged
        _cue(14.3, 16.0, "En retard.", speech=(14.0, 16.0)),       # starts 0.3 s after speech onset
        _cue(17.0, 19.0, "Traîne.", speech=(17.0, 18.0)),          # ends 1 s after speech
        _cue(30.0, 31.0, "Dans le vide.", speech=(30.0, 30.8)),    # over no speech (its words: 0 s)
        _cue(40.0, 45.0, "y" * 45 + "\nz"),                         # line over 42
    ]
    speech = [(0.0, 0.5), (1.0, 8.5), (8.9, 10.0), (10.04, 11.0), (12.0, 13.0), (14.0, 16.0), (17.0, 18.0),
              (40.0, 45.0), (50.0, 52.0)]
    qc = qc_report(cues, _tr(speech), RULES)
    checks = qc["checks"]
    expected = {"too_short": 1, "too_long": 1, "overlaps": 1, "gaps_under_min": 1, "cues_over_max_cps": 1,
                "late_starts": 1, "late_ends": 1, "cues_over_nonspeech": 1, "lines_over_max_chars": 1}
    for key, count in expected.items():
        assert checks[key]["count"] == count, key
    assert checks["cues_over_max_cps"]["flagged"] == 1 and checks["cues_over_max_cps"]["unflagged"] == 0
    assert qc["unflagged_violations"] == sum(expected.values()) - 1
    assert qc["speech_not_covered"]["seconds"] == pytest.approx(2.0 + 0.3 + 0.04)
    # 50-52 s, 14.0-14.3 s, and the 0.04 s between 10.0 and 10.04 s (word gaps up to 0.3 s are speech)
    assert checks["too_short"]["percent"] == pytest.approx(100 / len(cues), abs=0.1)


def test_chained_cue_may_end_later_than_half_a_second_after_speech():
    cues = [_cue(0.0, 2.92, "Première réplique.", speech=(0.0, 2.0)), _cue(3.0, 4.0, "Suite.")]
    qc = qc_report(cues, _tr([(0.0, 2.0), (3.0, 4.0)]), RULES)
    assert qc["checks"]["late_ends"]["count"] == 0


def test_translation_flags_are_counted():
    cues = [_cue(0.0, 2.0, "Bonjour.", flags=["untranslated"]), _cue(3.0, 5.0, "Salut.")]
    qc = qc_report(cues, _tr([(0.0, 2.0), (3.0, 5.0)]), RULES)
    assert qc["translation_flagged"] == {"count": 1, "percent": 50.0, "flags": {"untranslated": 1}}
    assert qc["asr_flagged"] == {"count": 0, "percent": 0.0, "flags": {}}
    assert [c["flags"] for c in qc["flagged_cue_list"]] == [["untranslated"]]


def test_asr_flags_are_counted_apart_from_translation_flags():
    cues = [_cue(0.0, 2.0, "Bonjour.", flags=["not_turkish", "name_missing:Kiraz"]), _cue(3.0, 5.0, "Salut.", flags=["looser"]),
            _cue(6.0, 8.0, "Rien.")]
    qc = qc_report(cues, _tr([(0.0, 2.0), (3.0, 5.0), (6.0, 8.0)]), RULES)
    assert qc["asr_flagged"] == {"count": 2, "percent": 66.7, "flags": {"looser": 1, "not_turkish": 1}}
    assert qc["translation_flagged"]["flags"] == {"name_missing": 1}


def test_rules_from_config():
    assert SubtitleRules.from_config({"fps": 24, "formats": ["srt", "vtt"]}).min_gap_s == pytest.approx(2 / 24)
    with pytest.raises(ConfigError, match="unknown"):
        SubtitleRules.from_config({"max_chars": 40})
    with pytest.raises(ConfigError, match="formats"):
        SubtitleRules.from_config({"formats": ["ass"]})
    with pytest.raises(ConfigError, match="min_duration_s"):
        SubtitleRules.from_config({"min_duration_s": 8.0})
    # the schema is the one validation: its ranges and types hold here too (a test or a tool is no exception)
    with pytest.raises(ConfigError, match="subtitles.max_line_chars"):
        SubtitleRules.from_config({"max_line_chars": 5})
    with pytest.raises(ConfigError, match="subtitles.timing_reference"):
        SubtitleRules.from_config({"timing_reference": "video"})
    assert SubtitleRules.from_config({"formats": ("vtt",)}).formats == ("vtt",)


def test_every_subtitle_rule_is_a_schema_key_and_back():
    from dataclasses import fields

    from altyazi.config_check import _config_schema_file
    from altyazi.speakers import SpeakerOptions

    props = _config_schema_file()["properties"]
    assert set(props["subtitles"]["properties"]) == {f.name for f in fields(SubtitleRules)}
    assert set(props["speakers"]["properties"]) == {f.name for f in fields(SpeakerOptions)}


def test_small_gap_left_open_is_a_violation_unless_flagged():
    cues = [_cue(0.0, 2.0, "Un."), _cue(2.2, 4.0, "Deux.")]  # 5 frames apart: should have been closed
    qc = qc_report(cues, _tr([(0.0, 2.0), (2.2, 4.0)]), RULES)
    assert qc["checks"]["small_gaps_open"]["unflagged"] == 1
    cues[0].flags.append("gap_open")
    assert qc_report(cues, _tr([(0.0, 2.0), (2.2, 4.0)]), RULES)["unflagged_violations"] == 0


def test_shared_clips_pass_and_no_cue_over_the_music_clip():
    """The 10 shared clips in one episode (1.5 s + clips separated by 2 s of silence), transcribed
    by Whisper base and translated by the offline Gemma: QC passes, and the music-only clip
    3-0500-2 gets no cue."""
    fr = read_fr_fixture(FIXTURES / "clips_fr.json")
    parts = json.loads((FIXTURES / "clips_truth.json").read_text(encoding="utf-8"))["parts"]
    result = build_subtitles(fr, {})
    assert result.qc["unflagged_violations"] == 0 and result.qc["cues"] > 15
    assert result.qc["translation_flagged"]["count"] == sum(1 for s in fr if s.flags)
    music = next(p for p in parts if p["name"] == "3-0500-2")
    assert not [c for c in result.cues if c.start < music["end"] and c.end > music["start"]]
    assert len(list(srt.parse(result.files["fr.srt"]))) == result.qc["cues"]
