"""The declared records and the files between stages: round trips, validation messages that name
the file and the field, flags that accumulate and are all documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from altyazi.recordfiles import RecordFileError, read_record_file, read_segments, write_cues, write_segments
from altyazi.records import FLAGS, Cue, Segment, Word, flag_name, interpolate_words
from altyazi.stage import run_stage

ROOT = Path(__file__).resolve().parent.parent


def _segments(n=14):
    return [Segment(i, 2.0 * i, 2.0 * i + 1.5, f"Satır {i}", [Word(2.0 * i, 2.0 * i + 0.7, "Satır"),
                                                              Word(2.0 * i + 0.8, 2.0 * i + 1.4, str(i), 0.9)],
                    "faster-whisper", None, ["looser"] if i == 3 else []) for i in range(n)]


def test_segment_round_trip_through_tr_and_fr_files(tmp_path):
    segs = _segments()
    segs[2].speech_start, segs[2].speech_end, segs[2].speaker = 4.4, 5.1, "S2"
    write_segments(tmp_path / "tr.json", "tr", segs, language="tr", summary={})
    header, back = read_segments(tmp_path / "tr.json", "tr")
    assert header == {"language": "tr", "summary": {}} and back == segs
    for s in back:
        s.translation = f"Ligne {s.id}"
    write_segments(tmp_path / "fr.json", "fr", back, language="fr")
    assert read_segments(tmp_path / "fr.json", "fr")[1] == back


def test_vad_file_holds_only_what_the_vad_knows(tmp_path):
    write_segments(tmp_path / "segments.json", "segments", [Segment(0, 1.0, 2.0, speech_start=1.4, speech_end=1.8)],
                   duration=3.0)
    data = json.loads((tmp_path / "segments.json").read_text())
    assert data["segments"] == [{"id": 0, "start": 1.0, "end": 2.0, "speech_start": 1.4, "speech_end": 1.8}]


def _hand_edit(tmp_path, edit) -> Path:
    path = tmp_path / "results" / "EP" / "tr.json"
    path.parent.mkdir(parents=True)
    write_segments(path, "tr", _segments(), language="tr")
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("edit, where", [
    (lambda d: d["segments"][12].__setitem__("start", "0:12"), r"segments\[12\]\.start: '0:12' is not of type 'number'"),
    (lambda d: d["segments"][5]["words"][1].pop("end"), r"segments\[5\]\.words\[1\]: 'end' is a required property"),
    (lambda d: d.pop("segments"), r"\(top level\): 'segments' is a required property"),
    (lambda d: d["segments"][7].__setitem__("end", 1.0), r"segments\[7\]\.end: 1\.0 is before its start 14\.0"),
    (lambda d: d["segments"][1].__setitem__("flags", "looser"), r"segments\[1\]\.flags: 'looser' is not of type 'array'"),
])
def test_hand_edited_file_names_file_field_and_command(tmp_path, edit, where):
    path = _hand_edit(tmp_path, edit)
    with pytest.raises(RecordFileError) as err:
        read_segments(path, "tr")
    assert re.search(re.escape(str(path)) + ": " + where, str(err.value)), str(err.value)
    assert "--forcerun asr" in err.value.hint


def test_truncated_or_missing_file(tmp_path):
    path = tmp_path / "fr.json"
    write_segments(path, "fr", [Segment(0, 0.0, 1.0, "Evet", translation="Oui.")], language="fr")
    path.write_text(path.read_text()[:40])
    with pytest.raises(RecordFileError, match=r"fr.json: not valid JSON \(line \d+, column \d+") as err:
        read_record_file(path, "fr")
    assert "--forcerun translate" in err.value.hint
    with pytest.raises(RecordFileError, match="cues.json: missing"):
        read_record_file(tmp_path / "cues.json", "cues")


def test_a_stage_reading_a_bad_file_fails_with_the_message_not_a_traceback(tmp_path):
    path = _hand_edit(tmp_path, lambda d: d["segments"][12].__setitem__("start", "0:12"))
    job = SimpleNamespace(log=[str(tmp_path / "translate.log")], wildcards={"episode": "EP"})
    with pytest.raises(SystemExit) as exc:
        run_stage("translate", job, lambda s, log: read_segments(path, "tr"))
    text = (tmp_path / "translate.log").read_text()
    assert exc.value.code == 1 and "Traceback" not in text
    assert "translate EP: FAILED" in text and "tr.json: segments[12].start" in text and "--forcerun asr" in text


def test_invalid_data_is_never_written(tmp_path):
    with pytest.raises(RecordFileError, match="fr.json: segments\\[0\\].translation: None is not of type 'string'"):
        write_segments(tmp_path / "fr.json", "fr", [Segment(0, 0.0, 1.0, "Evet")], language="fr")
    assert not (tmp_path / "fr.json").exists()


def test_flags_accumulate_and_each_has_one_meaning():
    seg = Segment(0, 0.0, 1.0, flags=["looser"])
    seg.add_flags("name_missing:Kiraz", "looser", "untranslated")
    assert seg.flags == ["looser", "name_missing:Kiraz", "untranslated"]
    assert flag_name("name_missing:Kiraz") == "name_missing"
    # every flag literal the package sets is documented in FLAGS
    set_here = set()
    for path in (ROOT / "altyazi").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        set_here |= set(re.findall(r"(?:add_flags|flags\.append)\(\s*\"([a-z_]+)", text))
        set_here |= set(re.findall(r"flags = \[\"([a-z_]+)\"", text))
    assert set_here and set_here <= set(FLAGS), set_here - set(FLAGS)


def test_words_without_times_use_the_one_interpolation_rule():
    seg = Segment(0, 2.0, 4.0, "Hadi gel buraya")
    words = seg.timed_words()
    assert [w.word for w in words] == ["Hadi", "gel", "buraya"] and all(w.flag == "interpolated" for w in words)
    assert words == interpolate_words(["Hadi", "gel", "buraya"], 2.0, 4.0)
    assert words[0].start == 2.0 and words[-1].end == pytest.approx(4.0)
    assert words[1].end - words[1].start < words[2].end - words[2].start  # by length, not evenly


def test_cue_file_carries_the_union_of_flags(tmp_path):
    cue = Cue([Word(0.0, 1.0, "Evet")], ["Oui."], [0, 1], ["not_turkish", "cps"], 0.0, 1.2, "Oui.", "Evet")
    cue.add_flags("cps", "looser")
    write_cues(tmp_path / "cues.json", [cue])
    (back,) = read_record_file(tmp_path / "cues.json", "cues")["cues"]
    assert back["flags"] == ["cps", "looser", "not_turkish"] and cue.asr_flags == ["looser", "not_turkish"]
