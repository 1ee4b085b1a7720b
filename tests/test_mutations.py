"""Fast tests for bugs the suite once let through (issue 17's mutation run): each test fails on the
one-line bug named in its docstring. tools/mutate.py applies those and more, one at a time."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

from altyazi.asr.base import SAMPLE_RATE, Piece
from altyazi.asr.packing import GAP_S
from altyazi.asr.whisper import FasterWhisperBackend
from altyazi.io import atomic_write_text
from altyazi.records import Segment, Word
from altyazi.subtitles.cues import Cue
from altyazi.subtitles.qc import qc_report
from altyazi.subtitles.rules import SubtitleRules
from altyazi.translate.parse import match_reply, parse_reply

RULES = SubtitleRules()


# --------------------------------------------------------------------------- QC: the flag that explains

def _cue(start, end, text, flags=()):
    c = Cue([Word(start, end, "söz")], text.split(), [0], list(flags))
    c.start, c.end, c.text = start, end, text
    return c


def test_an_unrelated_flag_does_not_excuse_a_violation():
    """qc.py: ``if flag and c.flags`` instead of ``flag in c.flags`` (any flag excused any violation)."""
    cues = [_cue(0.0, 0.5, "Oui.", flags=["untranslated"]), _cue(3.0, 5.0, "Très bien, merci.")]
    tr = [Segment(i, c.start, c.end, "söz", [Word(c.start, c.end, "söz")])
          for i, c in enumerate(cues)]
    qc = qc_report(cues, tr, RULES)
    assert qc["checks"]["too_short"] == {**qc["checks"]["too_short"], "count": 1, "flagged": 0, "unflagged": 1}
    assert qc["unflagged_violations"] == 1
    cues[0].flags.append("short")  # the flag that names it does excuse it
    assert qc_report(cues, tr, RULES)["unflagged_violations"] == 0


# --------------------------------------------------------------------------- atomic writes

class _Interrupted(KeyboardInterrupt):
    pass


@pytest.mark.parametrize("when", ["write", "fsync"])
def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch, when):
    """io.py: ``atomic_write_text`` replaced by a direct write (a Ctrl-C mid-write left half a file)."""
    path = tmp_path / "fr.json"
    path.write_text("the old, complete file\n", encoding="utf-8")
    if when == "fsync":
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(_Interrupted()))
    else:  # half the text is on disk when the interruption comes
        monkeypatch.setattr("altyazi.io.open", _open_interrupting_writes, raising=False)
    with pytest.raises(_Interrupted):
        atomic_write_text(path, "x" * 100_000)
    assert path.read_text(encoding="utf-8") == "the old, complete file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fr.json"]


def _open_interrupting_writes(file, mode="r", *args, **kwargs):
    fh = open(file, mode, *args, **kwargs)
    if "w" not in mode:
        return fh

    class Half:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            fh.close()
            return False

        def write(self, text):
            fh.write(text[: len(text) // 2])
            fh.flush()
            raise _Interrupted()

        def __getattr__(self, name):
            return getattr(fh, name)

    return Half()


def test_a_successful_write_replaces_the_file_with_the_usual_mode(tmp_path):
    path = tmp_path / "tr.json"
    path.write_text("old")
    atomic_write_text(path, "new")
    umask = os.umask(0)
    os.umask(umask)
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == (0o666 & ~umask)


# --------------------------------------------------------------------------- faster-whisper packed mode

class _StubPipeline:
    """Stands in for BatchedInferencePipeline: one segment per clip, one word in the middle of each
    piece it was given (located by the non-silent samples), named after that piece's loudness."""

    def __init__(self, model):
        self.model = model

    def transcribe(self, audio, clip_timestamps, **kw):
        segments = []
        for clip in clip_timestamps:
            a, b = int(clip["start"] * SAMPLE_RATE), int(clip["end"] * SAMPLE_RATE)
            loud = np.flatnonzero(np.abs(audio[a:b]) > 0) + a
            runs = np.split(loud, np.flatnonzero(np.diff(loud) > 1) + 1) if loud.size else []
            words = []
            for run in runs:
                mid = (run[0] + run[-1]) / 2 / SAMPLE_RATE
                name = f"w{round(float(audio[run[0]]) * 100)}"
                words.append(SimpleNamespace(word=" " + name, start=mid - 0.05, end=mid + 0.05, probability=0.9))
            segments.append(SimpleNamespace(seek=int(clip["start"] * 100), start=clip["start"], end=clip["end"],
                                            text=" ".join(w.word for w in words), words=words,
                                            no_speech_prob=0.0, avg_logprob=-0.1))
        return iter(segments), SimpleNamespace(language="tr", language_probability=0.99)


@pytest.mark.parametrize("mode", ["packed", "batched"])
def test_packed_words_go_back_to_their_own_piece(monkeypatch, mode):
    """asr/whisper.py: words mapped to the neighbouring piece (caught only by a slow real-model test)."""
    import faster_whisper

    monkeypatch.setattr(faster_whisper, "BatchedInferencePipeline", _StubPipeline)
    backend = FasterWhisperBackend("stub", mode=mode, batch_size=4, pack_seconds=28.0)
    backend.model, backend.spoken = SimpleNamespace(frames_per_second=100), ("tr", 0.99)
    pieces, t = [], 5.0
    for i, dur in enumerate([1.2, 0.4, 2.5, 0.8, 3.0]):  # pieces of different lengths, far apart in the episode
        audio = np.full(int(dur * SAMPLE_RATE), (i + 1) / 100, np.float32)  # piece i "says" w{i+1}
        pieces.append(Piece(i, t, t + dur, audio))
        t += dur + 7.0
    result = backend.transcribe(pieces)
    assert [tr.text for tr in result] == [f"w{i + 1}" for i in range(len(pieces))]
    for piece, tr in zip(pieces, result):
        [w] = tr.words
        mid = (piece.start + piece.end) / 2  # the word sits in the middle of its piece, in episode time
        assert piece.start <= w.start <= w.end <= piece.end
        assert (w.start + w.end) / 2 == pytest.approx(mid, abs=2 / SAMPLE_RATE)
    assert GAP_S > 0


# --------------------------------------------------------------------------- translation reply parser

@pytest.mark.parametrize("reply, count, reason", [
    ("1. Un\n2. Deux", 3, "2 lines for 3 (missing [3])"),
    ("1. Un\n2. Deux\n3. Trois\n4. Quatre", 3, "4 lines for 3 (extra numbers [4])"),
    ("1. Un\n3. Trois", 3, "2 lines for 3 (missing [2])"),
    ("1. Un\n1. Encore\n2. Deux", 2, "duplicated numbers [1]"),
    ("1. Un\n2. \n3. Trois", 3, "empty lines [2]"),
    ("Voici la traduction.", 2, "no numbered line"),
])
def test_each_rejected_reply_says_why(reply, count, reason):
    """parse.py: the line-count check weakened by one (still rejected, but for the wrong reason)."""
    texts, why = match_reply(parse_reply(reply), count)
    assert texts is None and why == reason


def test_a_reply_with_exactly_the_lines_is_accepted():
    texts, why = match_reply(parse_reply("1. Un\n2. Deux\n3. Trois"), 3)
    assert (texts, why) == (["Un", "Deux", "Trois"], "ok")


# --------------------------------------------------------------------------- survivors of tools/mutate.py

def test_late_start_is_flagged_from_the_third_frame():
    """timing.py: the late-start threshold one frame looser."""
    from altyazi.subtitles.timing import time_cues

    fr = RULES.frame
    for late_frames, flagged in [(2, False), (3, True)]:
        # overlapping speech (two speakers at once): the first cue keeps one frame, then the 2-frame
        # gap, so the second starts at frame 3, late_frames after its own onset
        first = Cue([Word(0.0, 2.0, "söz")], ["Première", "réplique."], [0], [])
        onset = (1 + RULES.min_gap_frames - late_frames) * fr
        second = Cue([Word(onset, onset + 2.0, "söz")], ["Suite."], [1], [])
        time_cues([first, second], RULES)
        assert round((second.start - onset) / fr) == late_frames
        assert ("late_start" in second.flags) is flagged, (late_frames, second.to_dict())


def test_a_gap_between_one_and_two_frames_is_under_the_minimum():
    """qc.py: the minimum-gap check loosened by a frame."""
    cues = [_cue(0.0, 2.0, "Première réplique."), _cue(2.06, 4.0, "Suite de la scène.")]
    tr = [Segment(i, c.start, c.end, "söz", [Word(c.start, c.end, "söz")])
          for i, c in enumerate(cues)]
    assert qc_report(cues, tr, RULES)["checks"]["gaps_under_min"]["count"] == 1


def test_an_id_with_a_dot_is_rejected_as_an_invalid_id(tmp_path):
    """episodes.py: the id pattern letting dots through (the schema then rejects it with a regex dump)."""
    from altyazi.episodes import read_sheet

    media = tmp_path / "a.wav"
    media.write_bytes(b"RIFF")
    sheet = tmp_path / "episodes.tsv"
    sheet.write_text(f"episode\tsource\nep.1\t{media}\n", encoding="utf-8")
    [problem] = read_sheet(sheet, tmp_path).problems
    assert "invalid id; use letters, digits, '_' or '-' only" in problem.message


@pytest.mark.parametrize("text, kind", [("HTTP Error 404: Not Found", "not found (HTTP 404/410)"),
                                        ("HTTP Error 410: Gone", "not found (HTTP 404/410)")])
def test_gone_pages_are_not_found(text, kind):
    """download.py: HTTP 410 (a removed video) classified as a generic failure."""
    from altyazi.download import classify_download_error

    assert classify_download_error(f"ERROR: [generic] x: Unable to download webpage: {text}")[0] == kind


def test_the_prompt_shows_exactly_context_lines_previous_lines(tmp_path):
    """translate/engine.py: one previous line fewer than ``context_lines`` in the prompt."""
    from test_translate import FakeChatLLM, fr, good, segments, settings

    from altyazi.translate import translate_segments

    llm = FakeChatLLM(good)
    translate_segments(segments(8, gap_every=4), settings(tmp_path, context_lines=2), llm=llm)
    second = llm.conversations[1][-1]["content"]
    assert fr("Satır 2 Yaman") in second and fr("Satır 3 Yaman") in second and fr("Satır 1 Yaman") not in second
