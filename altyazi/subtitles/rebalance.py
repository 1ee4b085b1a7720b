"""Reading speed shared between chained cues: move French words across the boundary of two cues.

A cue that starts on its true speech onset has no time to borrow before it, and a chained
neighbour (next cue 2 frames later) leaves none after it: such a cue can read faster than
``max_cps`` although its neighbour, cut from the same stretch of speech, is slow. The French
split between them was chosen in proportion to the Turkish timing (:mod:`.cues`); here, when one
of two chained cues of one speaker reads too fast, up to ``MAX_MOVE`` French words at the boundary
move to the slower one, at a line-break point not much worse than the one chosen, when both still fit their lines and
the faster of the two then reads slower than before. Times stay on the audio: only text moves.
"""

from __future__ import annotations

from dataclasses import replace

from ..log import get_logger
from ..records import Cue
from .cues import _fits, _same_speaker
from .linebreak import FORBIDDEN, break_cost
from .rules import SubtitleRules, display_chars
from .timing import EPS, time_cues

log = get_logger("subtitles")
MAX_MOVE = 4  # French words moved at most across one boundary
MAX_WORSE = 3.0  # the new boundary's break cost (linebreak.break_cost) at most this much above the old one


def _cps(cue: Cue, chars: int) -> float:
    return chars / max(cue.end - cue.start, EPS)


def _chars(tokens: list[str]) -> int:
    return display_chars(" ".join(tokens))


def _movable(a: Cue, b: Cue, rules: SubtitleRules) -> bool:
    """Two chained cues of one speaker, each plain (not a dialogue cue), both with French."""
    return (b.start - a.end <= rules.close_gap_s + EPS and not a.dialogue_at and not b.dialogue_at
            and bool(a.fr_tokens) and bool(b.fr_tokens) and _same_speaker(a, b))


def _best_move(a: Cue, b: Cue, ta: Cue, tb: Cue, rules: SubtitleRules) -> tuple[list[str], list[str]] | None:
    """New (a tokens, b tokens) lowering the pair's highest reading speed, or None."""
    toks = a.fr_tokens + b.fr_tokens
    cut0 = len(a.fr_tokens)
    worst = max(_cps(ta, _chars(a.fr_tokens)), _cps(tb, _chars(b.fr_tokens)))
    if worst <= rules.max_cps + EPS:
        return None
    # A boundary much worse than the one chosen (a sentence end traded for a split before its last
    # word) costs the viewer more than a little reading speed: at most MAX_WORSE worse.
    limit = break_cost(toks, cut0) + MAX_WORSE
    best = None
    for cut in range(max(1, cut0 - MAX_MOVE), min(len(toks) - 1, cut0 + MAX_MOVE) + 1):
        cost = break_cost(toks, cut)
        if cut == cut0 or cost == FORBIDDEN or cost > limit + EPS:
            continue
        left, right = toks[:cut], toks[cut:]
        score = max(_cps(ta, _chars(left)), _cps(tb, _chars(right)))
        key = (score > rules.max_cps + EPS, cost, score)  # within the limit first, then the best boundary
        if score < worst - EPS and (best is None or key < best[0]):
            best = (key, left, right)
    if best is None:
        return None
    left, right = best[1], best[2]
    if not (_fits(replace(a, fr_tokens=left), rules) and _fits(replace(b, fr_tokens=right), rules)):
        return None
    return left, right


def time_rebalanced(pieces: list[Cue], rules: SubtitleRules, rounds: int = 2) -> list[Cue]:
    """The timed cues of ``pieces`` (:func:`.timing.time_cues`), with French words moved between
    chained cues where one reads faster than ``max_cps`` (module doc). The timing measures the
    reading speeds and runs again only after a round that moved words (at most ``rounds`` rounds)."""
    moved = 0
    for round_ in range(rounds + 1):
        timed = time_cues([replace(c, flags=list(c.flags)) for c in pieces], rules)
        if round_ == rounds:
            break
        changed = False
        for i in range(len(pieces) - 1):
            a, b = pieces[i], pieces[i + 1]
            ta, tb = timed[i], timed[i + 1]
            if "cps" not in ta.flags and "cps" not in tb.flags or not _movable(ta, tb, rules):
                continue
            move = _best_move(a, b, ta, tb, rules)
            if move:
                a.fr_tokens, b.fr_tokens = move
                moved += 1
                changed = True
        if not changed:
            break
    if moved:
        log.info("reading speed: French words moved across %d boundary(ies) between chained cues", moved)
    return timed
