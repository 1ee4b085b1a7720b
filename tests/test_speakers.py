"""Speaker turns: the stage on voices whose turns are known, speakers.json's schema, speakers on the
records, cues cut at a change or written as a dialogue, QC, and the translation prompts/memory."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import srt

from altyazi.recordfiles import RecordFileError, read_speakers, write_speakers
from altyazi.records import Cue, Segment, Word
from altyazi.speakers import SpeakerOptions, apply_speakers, diarize
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.qc import qc_report
from altyazi.subtitles.rules import SubtitleRules
from altyazi.translate.memory import SeriesMemory
from altyazi.translate.strategies import speaker_line, strip_label
from tools import bench_speakers as bs


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed (make setup-system)")
def test_two_espeak_voices_are_told_apart_inside_one_piece(tmp_path):
    """A male and a female espeak-ng voice, four turns; the middle two share one piece (no pause)."""
    from tools.samples import espeak

    lines = ["Nereye gidiyorsun bu saatte?", "Eve dönüyorum, çok yoruldum.", "Seni bekliyordum aslında.",
             "Telefonum kapalıydı, özür dilerim."]
    turns = [("tr+m3", espeak(t, "tr+m3")) if i % 2 == 0 else ("tr+f2", espeak(t, "tr+f2")) for i, t in enumerate(lines)]
    audio, truth = bs._assemble(turns, [0.8, 0.05, 0.8])
    pieces = [Segment(0, truth[0][0], truth[0][1]), Segment(1, truth[1][0], truth[2][1]), Segment(2, truth[3][0], truth[3][1])]
    doc = diarize(audio, pieces, SpeakerOptions())
    write_speakers(tmp_path / "speakers.json", doc)
    doc = read_speakers(tmp_path / "speakers.json")
    assert [s["id"] for s in doc["speakers"]] == ["S1", "S2"]
    rows = {r["id"]: r for r in doc["segments"]}
    assert rows[0]["speaker"] != rows[2]["speaker"]
    # found, and in the right neighbourhood (a 1.6 s window smears it; its precision within 0.25 s is a
    # figure of `make bench`, not a pass/fail here: 0.89 s early on this one)
    assert len(rows[1]["changes"]) == 1 and abs(rows[1]["changes"][0] - (truth[1][1] + truth[2][0]) / 2) < 1.0
    hyp = [(t["start"], t["end"], t["speaker"]) for t in doc["turns"]]
    assert bs.der(truth, hyp, audio.size / 16000, collar=0.25)["der"] < 0.15


def _doc(speakers=("S1", "S2")):
    return {"backend": "resemblyzer", "speakers": [{"id": s, "seconds": 1.0, "turns": 1} for s in speakers],
            "segments": [{"id": 0, "speaker": "S1", "confidence": 0.9, "changes": [1.5]}],
            "turns": [{"start": 0.0, "end": 1.5, "speaker": "S1", "confidence": 0.9, "segment": 0},
                      {"start": 1.5, "end": 3.0, "speaker": "S2", "confidence": 0.8, "segment": 0}]}


def test_speakers_file_names_the_bad_field(tmp_path):
    path = tmp_path / "speakers.json"
    with pytest.raises(RecordFileError, match=r"turns\[1\].speaker: S2 is not in speakers"):
        write_speakers(path, _doc(("S1",)))
    bad = _doc()
    bad["turns"][0]["confidence"] = 1.5
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(RecordFileError, match=r"turns\[0\].confidence"):
        read_speakers(path)


def _words(spec):
    return [Word(a, b, w) for a, b, w in spec]


def test_apply_speakers_sets_words_on_each_side_of_a_change():
    seg = Segment(0, 0.0, 3.0, "Geldin mi? Geldim.", _words([(0.1, 0.6, "Geldin"), (0.6, 1.2, "mi?"), (1.7, 2.6, "Geldim.")]))
    assert apply_speakers([seg], _doc()) == 1
    assert seg.speaker == "S1" and [w.speaker for w in seg.words] == ["S1", "S1", "S2"]


def _exchange(second_fr: str) -> list[Segment]:
    seg = Segment(0, 0.0, 3.2, "Geldin mi? Geldim.", _words([(0.1, 0.5, "Geldin"), (0.5, 1.0, "mi?"), (1.6, 2.4, "Geldim.")]),
                  translation=f"Tu es venu ? {second_fr}")
    apply_speakers([seg], _doc())
    return [seg]


def test_short_exchange_becomes_one_dialogue_cue():
    result = build_subtitles(_exchange("Oui."), None)
    (cue,) = list(srt.parse(result.files["fr.srt"]))
    assert cue.content == "- Tu es venu ?\n- Oui."
    assert result.qc["checks"]["speaker_change_inside"]["count"] == 0
    assert result.qc["speakers"]["dialogue_cues"] == 1 and result.cues[0].to_dict()["dialogue"] is True


def test_exchange_too_long_for_one_line_each_is_cut_at_the_change():
    long = "Oui, je suis venu dès que j'ai reçu ton message ce matin."
    result = build_subtitles(_exchange(long), None)
    cues = list(srt.parse(result.files["fr.srt"]))
    assert [c.content.replace("\n", " ") for c in cues] == ["Tu es venu ?", long]
    assert [c.speakers for c in result.cues] == [["S1"], ["S2"]]
    assert result.qc["checks"]["speaker_change_inside"]["count"] == 0


def test_qc_counts_a_cue_spanning_a_change_without_dashes():
    words = _words([(0.0, 0.5, "Geldin"), (1.0, 1.5, "Geldim")])
    words[0].speaker, words[1].speaker = "S1", "S2"
    cue = Cue(words, ["Venu", "?", "Oui."], [0], start=0.0, end=2.0, text="Venu ? Oui.", source="Geldin Geldim")
    qc = qc_report([cue], [Segment(0, 0.0, 2.0, "Geldin Geldim", words)], SubtitleRules())
    assert qc["checks"]["speaker_change_inside"]["count"] == 1 and qc["unflagged_violations"] >= 1


def test_prompt_lines_carry_the_speaker_and_replies_lose_it():
    seg = Segment(0, 0.0, 1.0, "Geldin mi?", _words([(0.0, 1.0, "Geldin")]), speaker="S2")
    seg.words[0].speaker = "S2"
    assert speaker_line(seg) == "S2: Geldin mi?"
    assert strip_label("S2: Tu es venu ?") == "Tu es venu ?" and strip_label("(S1/S2): Oui.") == "Oui."
    assert strip_label("Si, S2: non") == "Si, S2: non"


def test_memory_keeps_speaker_pairs_in_the_episode_and_refuses_invented_names(tmp_path):
    mem = SeriesMemory(tmp_path / "memory.json", "e01")
    mem.observe("S1", "S2", "vous", "S1: Geldin mi? S2: Geldim.")
    mem.observe("Kiraz", "Yaman", "tu", "Yaman nerede?")          # Kiraz is in none of the lines: invented
    mem.observe("Seher", "Yaman", "vous", "Seher Hanım, Yaman Bey geldi.")
    assert mem.relevant("S1 S2") == [("S1 -> S2", "vous")] and mem.relevant("S1 S12") == []
    mem.save()
    saved = json.loads((tmp_path / "memory.json").read_text(encoding="utf-8"))["address"]
    assert list(saved) == ["Seher -> Yaman"]                        # labels are per episode: never saved


def test_bench_scores_against_a_known_truth():
    ref = [(0.0, 1.0, "A"), (1.2, 2.0, "B"), (2.2, 3.0, "A")]
    assert bs.changes(ref) == [1.1, 2.1]
    swapped = [(s, e, {"A": "S2", "B": "S1"}[k]) for s, e, k in ref]
    assert bs.der(ref, swapped, 3.0)["der"] == 0.0                   # labels are mapped, not compared
    one = [(0.0, 3.0, "S1")]
    d = bs.der(ref, one, 3.0)
    assert d["confusion_s"] == pytest.approx(0.8) and d["false_alarm_s"] == pytest.approx(0.4)
    assert bs.change_scores([1.1, 2.1], [1.2, 2.5]) == {"reference": 2, "hypothesis": 2, "hits": 1,
                                                        "precision": 0.5, "recall": 0.5}


def test_options_reject_unknown_keys():
    from altyazi.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown"):
        SpeakerOptions.from_config({"threshold": 1})
    assert np.isfinite(SpeakerOptions().cluster_threshold)
