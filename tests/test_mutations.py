"""Fast tests for bugs the suite once let through (issue 17's mutation run): each test fails on the
one-line bug named in its docstring. tools/mutate.py applies those and more, one at a time."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

from altyazi.asr.base import SAMPLE_RATE, Piece
from altyazi.asr.whisper import GAP_S, FasterWhisperBackend
from altyazi.io import atomic_write_text
from altyazi.segments import Word
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
    tr = [{"id": i, "start": c.start, "end": c.end, "text": "söz", "words": [{"start": c.start, "end": c.end, "word": "söz"}]}
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
