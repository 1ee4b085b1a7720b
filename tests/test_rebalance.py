"""Reading speed shared between chained cues (altyazi/subtitles/rebalance.py)."""

from altyazi.records import Cue, Word
from altyazi.subtitles import build_cues
from altyazi.subtitles.rebalance import time_rebalanced
from altyazi.subtitles.rules import SubtitleRules, display_chars
from altyazi.subtitles.timing import time_cues


def cue(t0, t1, french, seg=0):
    words = [Word(t0, (t0 + t1) / 2, "bir"), Word((t0 + t1) / 2, t1, "iki")]
    return Cue(words, french.split(), [seg])


def cps(c):
    return display_chars(c.text) / (c.end - c.start)


def test_words_move_from_a_fast_cue_to_its_slow_chained_neighbour():
    rules = SubtitleRules.from_config({})
    # speech 10.0-12.0 then 12.1-15.0: the first cue holds 47 characters (23.5 cps), the second 12
    pieces = [cue(10.0, 12.0, "Nous partirons demain matin de bonne heure avec"), cue(12.1, 15.0, "tous les chevaux.")]
    before = time_cues([Cue(list(p.words), list(p.fr_tokens), [0]) for p in pieces], rules)
    assert "cps" in before[0].flags
    timed = time_rebalanced(pieces, rules)
    assert [t for c in timed for t in c.fr_tokens] == "Nous partirons demain matin de bonne heure avec tous les chevaux.".split()
    assert all(cps(c) <= rules.max_cps for c in timed) and not any("cps" in c.flags for c in timed)
    assert (timed[0].start, timed[1].start) == (before[0].start, before[1].start)  # times stay on the speech


def test_a_sentence_end_is_not_traded_for_a_split_before_the_last_word():
    rules = SubtitleRules.from_config({})
    pieces = [cue(10.0, 11.5, "Nous partirons demain avec les chevaux."), cue(11.6, 15.0, "Prépare tout.")]
    timed = time_rebalanced(pieces, rules)
    assert timed[0].text.replace("\n", " ") == "Nous partirons demain avec les chevaux."
    assert "cps" in timed[0].flags  # still too fast: flagged, and the verdict counts it


def test_cues_of_two_speakers_keep_their_words():
    rules = SubtitleRules.from_config({})
    a, b = cue(10.0, 12.0, "Nous partirons demain matin de bonne heure avec"), cue(12.1, 15.0, "tous les chevaux.")
    a.speaker, b.speaker = "S1", "S2"
    timed = time_rebalanced([a, b], rules)
    assert timed[1].fr_tokens == ["tous", "les", "chevaux."]


def test_build_cues_runs_it():
    from altyazi.records import Segment

    rules = SubtitleRules.from_config({})
    segs = []
    for i, (t0, t1, fr) in enumerate([(10.0, 12.0, "Nous partirons demain matin de bonne heure avec"),
                                      (12.1, 15.0, "tous les chevaux.")]):
        s = Segment(i, t0 - 0.2, t1 + 0.2, "bir iki", [Word(t0, (t0 + t1) / 2, "bir"), Word((t0 + t1) / 2, t1, "iki")])
        s.translation = fr
        segs.append(s)
    cues = build_cues(segs, rules)
    assert not any("cps" in c.flags for c in cues)
