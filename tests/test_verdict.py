"""The QC verdict means what it says: PASS only with no cue over a limit and no flagged cue."""

from __future__ import annotations

import pytest

from altyazi.records import Segment, Word
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.plots import qc_table_html


def seg(i: int, start: float, end: float, tr: str, fr: str, flags=()) -> Segment:
    words = tr.split()
    step = (end - start) / len(words)
    return Segment(i, start, end, tr, [Word(start + k * step, start + (k + 1) * step, w) for k, w in enumerate(words)],
                   flags=list(flags), translation=fr)


CLEAN = [seg(0, 1.0, 3.0, "Nereye gidiyorsun sen?", "Tu vas où ?"),
         seg(1, 6.0, 8.0, "Eve gidiyorum, anne.", "Je rentre, maman.")]


def test_clean_episode_passes():
    qc = build_subtitles(CLEAN, {}).qc
    assert qc["verdict"] == "PASS" and qc["review_cues"] == 0 and qc["review_cue_list"] == []


@pytest.mark.parametrize("flag", ["untranslated", "name_missing:Kiraz", "not_turkish", "words_interpolated"])
def test_a_flagged_line_is_never_a_pass(flag):
    segs = [CLEAN[0], seg(1, 6.0, 8.0, "Eve gidiyorum, anne.", "Eve gidiyorum, anne.", [flag])]
    result = build_subtitles(segs, {})
    qc = result.qc
    assert qc["verdict"] == "REVIEW" and qc["review_cues"] == 1
    (item,) = qc["review_cue_list"]
    assert item["flags"] == [flag] and item["text"] == "Eve gidiyorum, anne."
    assert item["timecode"] == "00:00:06,000 --> 00:00:08,000"
    assert "REVIEW" in qc_table_html(qc, "e01") and "Eve gidiyorum, anne." in qc_table_html(qc, "e01")


def test_a_cue_over_a_hard_limit_is_counted_as_such():
    """One Turkish word cannot be split: 100 characters of French stay over the lines limit."""
    segs = [seg(0, 1.0, 2.0, "Bilmiyorum.", "Je ne sais pas, vraiment pas, je ne sais rien de tout cela et je ne veux "
                                          "plus jamais en entendre parler.")]
    qc = build_subtitles(segs, {}).qc
    assert qc["verdict"] == "REVIEW" and qc["hard_limit_cues"] == 1
    item = qc["review_cue_list"][0]
    assert "cues_over_max_lines" in item["hard"] or "lines_over_max_chars" in item["hard"]
    assert "lines" in item["flags"]  # flagged by the builder, and still counted against the verdict


def test_a_cue_held_to_be_read_is_not_a_problem():
    """``extended`` is the rule's own exception (held past the speech so it can be read)."""
    segs = [seg(0, 1.0, 1.6, "Gel buraya hemen.", "Viens ici tout de suite, maintenant.")]
    result = build_subtitles(segs, {})
    assert result.cues[0].flags == ["extended"] and result.qc["verdict"] == "PASS"
