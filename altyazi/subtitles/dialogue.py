"""Two-speaker dialogue cues (the French broadcast convention): one line per speaker, each "- ".

A cue never runs across a change of speaker: :func:`altyazi.subtitles.cues.build_pieces` cuts it
there. Two neighbouring cues of different speakers then become one dialogue cue when one of them
cannot stand alone (a fragment, or too little time before the next cue to be read) and together
they fit: each speaker's French on one line with its dash, at most ``max_line_chars``, the pair at
most ``max_duration_s`` of speech apart from the gap (at most ``merge_max_gap_s``), and readable at
``max_cps`` in the time the pair has on screen.
"""

from __future__ import annotations

from typing import Callable

from ..records import Cue
from .rules import SubtitleRules, display_chars

DASH = "- "


def dialogue_lines(cue: Cue) -> tuple[list[str], list[str]]:
    """(French lines, Turkish lines) of a dialogue cue: one per speaker, each with its dash."""
    k, m = cue.dialogue_at
    fr = [DASH + " ".join(cue.fr_tokens[:m]), DASH + " ".join(cue.fr_tokens[m:])]
    tr = [DASH + " ".join(w.word for w in cue.words[:k]), DASH + " ".join(w.word for w in cue.words[k:])]
    return fr, tr


def make_dialogue(a: Cue, b: Cue) -> Cue:
    ids = a.segment_ids + [i for i in b.segment_ids if i not in a.segment_ids]
    cue = Cue(a.words + b.words, a.fr_tokens + b.fr_tokens, ids, list(a.flags), speaker=a.speaker,
              dialogue_at=(len(a.words), len(a.fr_tokens)))
    cue.add_flags(*b.flags)
    return cue


def fits_dialogue(a: Cue, b: Cue, rules: SubtitleRules, free_until: float = float("inf")) -> bool:
    """Whether ``a`` and ``b`` (different speakers, in order) make a readable dialogue cue that ends
    by ``free_until`` (the next cue's speech onset)."""
    if rules.max_lines < 2 or not a.fr_tokens or not b.fr_tokens or a.dialogue_at or b.dialogue_at:
        return False
    if b.speech_start - a.speech_end > rules.merge_max_gap_s:
        return False
    lines = [DASH + a.french, DASH + b.french]
    if any(len(line) > rules.max_line_chars for line in lines):
        return False
    span = b.speech_end - a.speech_start
    if span > rules.max_duration_s:
        return False
    shown = min(max(span + rules.max_end_after_speech_s, rules.min_duration_s), free_until - a.speech_start, rules.max_duration_s)
    return shown > 0 and display_chars("".join(lines)) / shown <= rules.max_cps


def _cannot_stand_alone(cue: Cue, next_onset: float, rules: SubtitleRules, is_fragment: Callable[[Cue], bool]) -> bool:
    room = min(next_onset, cue.speech_end + rules.max_end_after_speech_s) - cue.speech_start
    return is_fragment(cue) or display_chars(cue.french) / max(room, 1e-6) > rules.max_cps


def pair_dialogues(cues: list[Cue], rules: SubtitleRules, is_fragment: Callable[[Cue], bool]) -> list[Cue]:
    """Join neighbours of different speakers into dialogue cues where one cannot stand alone."""
    out: list[Cue] = []
    i = 0
    while i < len(cues):
        a = cues[i]
        b = cues[i + 1] if i + 1 < len(cues) else None
        if b is not None and a.speaker and b.speaker and a.speaker != b.speaker and len(a.speakers) == len(b.speakers) == 1:
            after = cues[i + 2].speech_start if i + 2 < len(cues) else float("inf")
            weak = _cannot_stand_alone(a, b.speech_start, rules, is_fragment) or _cannot_stand_alone(b, after, rules, is_fragment)
            if weak and fits_dialogue(a, b, rules, after - rules.min_gap_s):
                out.append(make_dialogue(a, b))
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def spans_change_without_dialogue(cue: Cue) -> bool:
    """True when the cue's words have more than one speaker and it is not a dialogue cue whose two
    dashed lines each hold one speaker (what QC counts)."""
    speakers = cue.speakers
    if len(speakers) < 2:
        return False
    if cue.dialogue_at is None or len(speakers) != 2:
        return True
    k = cue.dialogue_at[0]
    own = [{w.speaker or cue.speaker for w in cue.words[:k]}, {w.speaker or cue.speaker for w in cue.words[k:]}]
    lines = cue.text.split("\n")
    return not (len(own[0]) == len(own[1]) == 1 and own[0] != own[1] and len(lines) == 2
                and all(line.startswith(DASH) for line in lines))
