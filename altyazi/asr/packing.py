"""Consecutive VAD pieces sharing one decoder window: the one packing policy of the ASR backends.

Every backend that decodes fixed 30 s windows (faster-whisper's batched pipeline, Voxtral's
processor) pays a whole window per call however short the piece: a 3-5 s piece alone wastes most
of it. Here the pieces are laid end to end, and consecutive pieces share a window while it stays
within ``limit_s``, as faster-whisper's own VAD path packs speech. Between two pieces that are apart
in the episode lies :data:`GAP_S` of silence (the model hears a pause where there was one); two
pieces that touch in the episode (silero splits a pause shorter than two paddings between them)
stay touching, so the window holds the episode's own continuous audio there, with no pause the
speaker never made (and no window spent on it: 11 windows instead of 12 on the bench episode).
After decoding, each word goes back to the piece whose span holds its midpoint (else the nearest
member), its time moved from the window to the episode and clamped to the piece. A piece that gets
no word, or words that cover almost none of it (:func:`thin`: the model skipped its speech and at
most a neighbour's word landed on its edge), is the caller's to retry alone, so a line the model
skips inside a window is not lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..metrics import normalize_turkish
from ..records import Word
from .base import SAMPLE_RATE, Piece

GAP_S = 0.5  # silence between packed pieces that are apart in the episode
TOUCH_S = 0.002  # pieces closer than this in the episode touch (times are rounded to 1 ms)
# A piece of at least THIN_MIN_S whose words span less than THIN_SPAN of it was skipped in its window.
# Measured (first word start to last word end / piece length, Whisper base, packed): every piece with
# its own words had >= 0.30 on the bench, timing and demo episodes (one-word pieces such as "Peki."
# in 1.3 s); the one skipped line had 0.08 ("Bu", the next piece's first word, for "Kapıyı kim açtı?").
THIN_SPAN = 0.2
THIN_MIN_S = 1.0


@dataclass
class Window:
    """Pieces decoded together: ``members`` (indices into the piece list), each member's sample
    offset inside the window's audio, the window's length, and where the window starts when every
    piece is laid end to end (``start``, samples: faster-whisper decodes that one long signal)."""

    members: list[int]
    offsets: list[int]
    samples: int
    start: int

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE


def gap_samples(gap_s: float = GAP_S) -> int:
    return int(gap_s * SAMPLE_RATE)


def gaps_after(pieces: list[Piece], gap_s: float = GAP_S) -> list[int]:
    """Samples of silence laid after each piece: none before a piece that starts where this one
    ends in the episode (its audio goes on there), ``gap_s`` otherwise and after the last."""
    gap = gap_samples(gap_s)
    return [0 if nxt is not None and abs(nxt.start - p.end) < TOUCH_S else gap
            for p, nxt in zip(pieces, [*pieces[1:], None])]


def pack_pieces(pieces: list[Piece], limit_s: float, gap_s: float = GAP_S) -> list[Window]:
    """Group consecutive ``pieces`` into windows of at most ``limit_s`` (first member's start to the
    last member's end, gaps included); ``limit_s`` <= 0 gives one piece per window. A piece longer
    than the limit gets a window of its own."""
    gaps = gaps_after(pieces, gap_s)
    limit = limit_s * SAMPLE_RATE
    windows: list[Window] = []
    pos = 0
    for i, (p, gap) in enumerate(zip(pieces, gaps)):
        w = windows[-1] if windows else None
        if w is not None and limit > 0 and pos + p.audio.size - w.start <= limit:
            w.members.append(i)
            w.offsets.append(pos - w.start)
            w.samples = pos + p.audio.size - w.start
        else:
            windows.append(Window([i], [0], p.audio.size, pos))
        pos += p.audio.size + gap
    return windows


def layout(pieces: list[Piece], gap_s: float = GAP_S) -> np.ndarray:
    """Every piece end to end, with :func:`gaps_after`'s silence (the signal :func:`pack_pieces` indexes)."""
    chunks = []
    for p, gap in zip(pieces, gaps_after(pieces, gap_s)):
        chunks.extend([p.audio.astype(np.float32, copy=False), np.zeros(gap, np.float32)])
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def window_audio(pieces: list[Piece], window: Window) -> np.ndarray:
    """The samples of one window: its members with the silence between them."""
    audio = np.zeros(window.samples, np.float32)
    for i, off in zip(window.members, window.offsets):
        audio[off:off + pieces[i].audio.size] = pieces[i].audio
    return audio


def member_at(window: Window, pieces: list[Piece], seconds: float) -> int:
    """The member piece whose span holds ``seconds`` (window time), else the nearest one."""
    mid = seconds * SAMPLE_RATE

    def distance(k: int) -> float:
        lo = window.offsets[k]
        hi = lo + pieces[window.members[k]].audio.size
        return 0.0 if lo <= mid <= hi else min(abs(mid - lo), abs(mid - hi))
    return window.members[min(range(len(window.members)), key=distance)]


def coverage(piece: Piece, words: list[Word]) -> float:
    """The share of ``piece`` between its first word's start and its last word's end (0: no word)."""
    if not words:
        return 0.0
    return (words[-1].end - words[0].start) / max(piece.end - piece.start, 1e-9)


def thin(piece: Piece, words: list[Word]) -> bool:
    """Words that cover almost none of a piece of some length (see :data:`THIN_SPAN`): the model
    skipped this piece's speech in its window. A piece with no word at all is not thin (the callers
    retry those anyway)."""
    return bool(words) and piece.end - piece.start >= THIN_MIN_S and coverage(piece, words) < THIN_SPAN


def unheard(piece: Piece, words: list[Word]) -> bool:
    """The piece's speech was not heard in its shared window: no word at all, or :func:`thin` ones."""
    return not words or thin(piece, words)


def hand_over(window: Window, pieces: list[Piece], i: int, stray: list[Word], said: str) -> dict[int, list[Word]]:
    """Thin piece ``i`` takes the answer heard alone (``said``); the words its window had given it
    that this answer does not say were heard in the window but timed onto i's edge (Whisper put the
    "Bu" of the next piece's "Bu gün" there): each goes to the window's member nearest to it, clamped
    to that piece: {member: words, episode seconds}. Words ``said`` also holds are i's own and stay
    dropped; a window with no other member gives nothing."""
    k = window.members.index(i)
    others = [m for m in range(len(window.members)) if m != k]
    own = set(normalize_turkish(said).split())
    shift = pieces[i].start - window.offsets[k] / SAMPLE_RATE   # episode seconds = window seconds + shift
    out: dict[int, list[Word]] = {}
    for w in stray:
        if not others or not (set(normalize_turkish(w.word).split()) - own):
            continue
        mid = ((w.start + w.end) / 2 - shift) * SAMPLE_RATE
        m = min(others, key=lambda m, mid=mid: max(window.offsets[m] - mid,
                                                   mid - window.offsets[m] - pieces[window.members[m]].audio.size, 0.0))
        j = window.members[m]
        p, to = pieces[j], pieces[j].start - window.offsets[m] / SAMPLE_RATE
        start = float(min(max(w.start - shift + to, p.start), p.end))
        out.setdefault(j, []).append(Word(start, float(min(max(w.end - shift + to, start), p.end)), w.word, w.score, w.flag))
    return out


def take_alone_answers(replaced: dict[int, list[Word]], words: list[list[Word]] | dict[int, list[Word]],
                       windows: list[Window], pieces: list[Piece]) -> int:
    """After thin pieces took their alone answers (``replaced``: piece -> the window's words it had,
    ``words``: every piece's words, the new ones in place), hand each replaced piece's window words
    to their neighbour (:func:`hand_over`), except to a piece that took an alone answer itself.
    Returns how many words were handed over."""
    window_of = {i: w for w in windows for i in w.members}
    handed = 0
    for i, old in replaced.items():
        said = " ".join(w.word for w in words[i])
        for j, given in hand_over(window_of[i], pieces, i, old, said).items():
            if j not in replaced:
                words[j] = sorted([*words[j], *given], key=lambda w: w.start)
                handed += len(given)
    return handed


def words_to_pieces(window: Window, pieces: list[Piece], words: list[Word]) -> dict[int, list[Word]]:
    """Words timed in window seconds -> {piece index: its words in episode seconds}, clamped to the piece."""
    out: dict[int, list[Word]] = {i: [] for i in window.members}
    offset_of = dict(zip(window.members, window.offsets))
    for w in words:
        if not w.word.strip():
            continue
        i = member_at(window, pieces, (w.start + w.end) / 2)
        p = pieces[i]
        shift = p.start - offset_of[i] / SAMPLE_RATE
        start = float(min(max(shift + w.start, p.start), p.end))
        end = float(min(max(shift + w.end, start), p.end))
        out[i].append(Word(start, end, w.word.strip(), w.score, w.flag))
    return out
