"""Cue building: translated segments + Turkish word times -> pieces of one readable thought.

A segment whose French does not fit one cue (2 x 42 characters), that lasts longer than 7 s, or
that holds a long pause is split at a Turkish word boundary (pauses, sentence ends) and its
French at a natural phrase boundary in proportion to the Turkish timing. Fragments (shorter than
5/6 s or only a few characters) then merge with a close neighbour when the result still fits.
Timing (frames, gaps, reading speed) is applied afterwards by :mod:`.timing`.
"""

from __future__ import annotations

import re

from ..log import get_logger
from ..records import Cue, Segment
from .dialogue import pair_dialogues
from .linebreak import FORBIDDEN, break_cost, break_lines, tokenize
from .rules import SubtitleRules

log = get_logger("subtitles")

_TR_SENTENCE_END = re.compile(r"[.?!…]+[\"')\]]*$")
_TR_CLAUSE_END = re.compile(r"[,;:]+[\"')\]]*$")


def _fits(cue: Cue, rules: SubtitleRules) -> bool:
    if sum(len(t) + 1 for t in cue.fr_tokens) - 1 > rules.max_cue_chars:
        return False  # more characters than the lines can hold, however it is broken
    lines = break_lines(cue.french, rules.max_line_chars, rules.max_lines)
    return (len(lines) <= rules.max_lines and all(len(line) <= rules.max_line_chars for line in lines)
            and cue.speech_end - cue.speech_start <= rules.max_duration_s)


def _long_pause(cue: Cue, rules: SubtitleRules) -> bool:
    return any(b.start - a.end >= rules.split_pause_s for a, b in zip(cue.words, cue.words[1:]))


def _split_once(cue: Cue, at: int | None = None) -> tuple[Cue, Cue] | None:
    """Best (Turkish boundary, French boundary) pair, or None when either side cannot be split;
    ``at``: the Turkish boundary is given (a change of speaker), only the French one is chosen."""
    words, toks = cue.words, cue.fr_tokens
    if len(words) < 2 or len(toks) < 2:
        return None
    t0, t1 = cue.speech_start, cue.speech_end
    span = max(t1 - t0, 1e-6)
    fr_len = [len(t) + 1 for t in toks]
    total = sum(fr_len)
    fr_options = []
    acc = 0
    for m in range(1, len(toks)):
        acc += fr_len[m - 1]
        bc = break_cost(toks, m)
        fr_options.append((m, acc / total, 6.0 if bc == FORBIDDEN else bc))
    best = None
    for k in range(1, len(words)) if at is None else [at]:
        a, b = words[k - 1], words[k]
        pause = max(0.0, b.start - a.end)
        ft = ((a.end + b.start) / 2 - t0) / span
        tr_cost = -3.0 if _TR_SENTENCE_END.search(a.word) else -1.5 if _TR_CLAUSE_END.search(a.word) else 0.0
        tr_cost -= 3.0 * min(pause, 1.0) + 2.0 * (pause >= 1.5)
        tr_cost += 3.0 * abs(ft - 0.5)
        for m, ff, fr_cost in fr_options:
            cost = tr_cost + fr_cost + 10.0 * abs(ft - ff)
            if best is None or cost < best[0]:
                best = (cost, k, m)
    _, k, m = best
    left = Cue(words[:k], toks[:m], list(cue.segment_ids), list(cue.flags), speaker=words[0].speaker or cue.speaker)
    right = Cue(words[k:], toks[m:], list(cue.segment_ids), list(cue.flags), speaker=words[k].speaker or cue.speaker)
    return left, right


def split_at_speakers(cue: Cue) -> list[Cue]:
    """Cut the cue at each change of speaker between its words (the French at the best boundary
    in proportion to the Turkish timing); a side without French to give keeps the cue whole."""
    changes = [k for k in range(1, len(cue.words)) if (cue.words[k].speaker or cue.speaker) != (cue.words[k - 1].speaker or cue.speaker)]
    if not changes:
        return [cue]
    halves = _split_once(cue, changes[0])
    if halves is None:
        log.info("segment(s) %s: a change of speaker inside, but too little French to cut it there", cue.segment_ids)
        return [cue]
    return [halves[0]] + split_at_speakers(halves[1])


def split_cue(cue: Cue, rules: SubtitleRules) -> list[Cue]:
    """Split recursively until each piece fits (text, duration) and has no long pause inside."""
    if _fits(cue, rules) and not _long_pause(cue, rules):
        return [cue]
    halves = _split_once(cue)
    if halves is None:
        return [cue]
    return split_cue(halves[0], rules) + split_cue(halves[1], rules)


def _is_fragment(cue: Cue, rules: SubtitleRules) -> bool:
    return (cue.speech_end - cue.speech_start < rules.min_duration_s
            or len(cue.french) < rules.min_fragment_chars)


def _merged(a: Cue, b: Cue) -> Cue:
    ids = a.segment_ids + [i for i in b.segment_ids if i not in a.segment_ids]
    merged = Cue(a.words + b.words, a.fr_tokens + b.fr_tokens, ids, list(a.flags), speaker=a.speaker)
    merged.add_flags(*b.flags)
    return merged


def _same_speaker(a: Cue, b: Cue) -> bool:
    """Fragments merge only within one speaker (unknown speakers match anything)."""
    sa, sb = set(a.speakers), set(b.speakers)
    return not sa or not sb or (len(sa | sb) == 1)


def merge_fragments(cues: list[Cue], rules: SubtitleRules) -> list[Cue]:
    """Merge each fragment into its closer neighbour when the gap is small and the result fits.

    The merged cue must fit the lines, last at most ``max_duration_s`` and not read faster than
    its parts: merging never creates a rule violation.
    """
    cues = list(cues)
    i = 0
    while i < len(cues):
        cue = cues[i]
        merged_at = None
        if _is_fragment(cue, rules):
            options = []
            for j in (i - 1, i + 1):
                if 0 <= j < len(cues):
                    a, b = (cues[j], cue) if j < i else (cue, cues[j])
                    gap = b.speech_start - a.speech_end
                    if gap <= rules.merge_max_gap_s and _same_speaker(a, b):
                        options.append((gap, j, _merged(a, b)))
            for _gap, j, merged in sorted(options, key=lambda o: o[0]):
                if _fits(merged, rules) and not _long_pause(merged, rules):
                    merged_at = min(i, j)
                    cues[merged_at:merged_at + 2] = [merged]
                    break
        # after a merge, look again at the merged cue (it may still be a fragment) and its left side
        i = max(0, merged_at - 1) if merged_at is not None else i + 1
    return cues


def build_pieces(segments: list[Segment], rules: SubtitleRules) -> list[Cue]:
    """Untimed cues, in order: each Turkish word and French word appears in exactly one of them.

    Segments with no Turkish words (nothing recognised) give no cue; a segment with Turkish but
    no French gives a cue flagged ``no_translation`` (an empty French cue is not written). Each cue
    starts with the flags of its segment (ASR and translation), so they reach the viewer's QC.
    """
    cues: list[Cue] = []
    skipped = 0
    for seg in segments:
        words = seg.timed_words()
        if not words:
            skipped += 1
            continue
        for w in words:
            w.speaker = w.speaker or seg.speaker
        cue = Cue(words, tokenize(seg.translation or ""), [seg.id], list(seg.flags), speaker=seg.speaker)
        if not cue.fr_tokens:
            cue.add_flags("no_translation")
            log.warning("segment %s has Turkish but no French text: its cue is flagged no_translation", seg.id)
        for part in split_at_speakers(cue):
            cues.extend(split_cue(part, rules))
    if skipped:
        log.info("%d segment(s) without recognised words give no cue", skipped)
    return pair_dialogues(merge_fragments(cues, rules), rules, lambda c: _is_fragment(c, rules))
