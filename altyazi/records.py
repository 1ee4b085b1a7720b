"""The declared records that flow from VAD to the subtitles, and the files that carry them.

One unit of speech is a :class:`Segment` from the VAD stage to the subtitles: the VAD writes its
``id``/``start``/``end`` (and the unpadded speech boundaries), the ASR adds ``text``, ``words``,
``backend``, ``note``, the translation adds ``translation``, a speaker stage adds ``speaker``; every
stage adds to ``flags`` and never removes one (:meth:`Segment.add_flags`). A :class:`Cue` is one
subtitle built from the words of one or more segments; it carries the union of their flags.

Files between stages (each validated on read against ``schemas/<kind>.schema.yaml``, see
:func:`read_records`): ``segments.json`` (vad), ``tr.json`` (asr), ``fr.json`` (translate),
``cues.json`` (subtitles). Times are seconds from the start of the episode's audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every flag a stage can put on a segment or a cue, and what it tells the viewer's QC.
# Flags with a parameter are written "name:value" (e.g. "name_missing:Kiraz"); the name is the key.
FLAGS: dict[str, tuple[str, str]] = {
    # asr
    "empty": ("asr", "no link of the ASR chain gave acceptable text: the piece has no words"),
    "not_turkish": ("asr", "the text does not look like Turkish (kept: short lines fool language checks)"),
    "looser": ("asr", "text accepted only on the retry with looser decoding settings"),
    "hallucination": ("asr", "an empty piece whose rejected answers were known hallucinations"),
    "repetition": ("asr", "an empty piece whose rejected answers were repetition loops"),
    "words_interpolated": ("asr", "no word of the segment could be timed: times spread over the piece"),
    # translate
    "untranslated": ("translate", "every attempt was rejected: the Turkish text is kept"),
    "name_missing": ("translate", "a glossary name of the Turkish is missing from the French"),
    # subtitles
    "no_translation": ("subtitles", "the segment has Turkish but no French text"),
    "late_start": ("subtitles", "the cue could not start on its speech onset"),
    "extended": ("subtitles", "held past max_end_after_speech_s so that it can be read"),
    "short": ("subtitles", "shorter than min_duration_s (no free time to extend it)"),
    "cps": ("subtitles", "read faster than max_cps (no free time to extend it)"),
    "long": ("subtitles", "its speech alone is longer than max_duration_s"),
    "lines": ("subtitles", "more lines or longer lines than the limits (text is never truncated)"),
    "gap_open": ("subtitles", "a small gap left open: closing it would break max_duration_s"),
    "shot_change": ("subtitles", "in- or out-time moved to a shot change (broadcast rule), off the speech boundary"),
    "crosses_shot": ("subtitles", "still crosses a shot change near its start or end (speech over the cut, reading time)"),
}
ASR_FLAGS = frozenset(k for k, (stage, _) in FLAGS.items() if stage == "asr")


def flag_name(flag: str) -> str:
    """``"name_missing:Kiraz"`` -> ``"name_missing"``."""
    return flag.split(":", 1)[0]


def _add(flags: list[str], new) -> None:
    for f in new:
        if f not in flags:
            flags.append(f)


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


@dataclass
class Word:
    """One word with its times (s); ``score``: aligner/ASR confidence 0..1; ``flag``: e.g.
    ``"interpolated"`` (no alignable characters: time spread between its timed neighbours)."""

    start: float
    end: float
    word: str
    score: float | None = None
    flag: str | None = None
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": _r(self.start), "end": _r(self.end), "word": self.word}
        if self.score is not None:
            d["score"] = round(self.score, 3)
        if self.flag:
            d["flag"] = self.flag
        if self.speaker:
            d["speaker"] = self.speaker
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(float(d["start"]), float(d["end"]), str(d["word"]), d.get("score"), d.get("flag"), d.get("speaker"))


def interpolate_words(words: list[str], start: float, end: float, flag: str = "interpolated") -> list[Word]:
    """Spread ``words`` over [start, end] s in proportion to their length (the one rule for untimed words)."""
    if not words:
        return []
    weights = [max(1, len(w)) for w in words]
    total, acc, out = sum(weights), 0, []
    for w, n in zip(words, weights):
        a = start + (end - start) * acc / total
        acc += n
        out.append(Word(a, start + (end - start) * acc / total, w, None, flag))
    return out


@dataclass
class Segment:
    """One piece of speech. ``id``, ``start``, ``end`` (the padded VAD piece the ASR heard) never
    change after the VAD stage; ``speech_start``/``speech_end`` are the unpadded VAD boundaries."""

    id: int
    start: float
    end: float
    text: str = ""
    words: list[Word] = field(default_factory=list)
    backend: str | None = None
    note: str | None = None
    flags: list[str] = field(default_factory=list)
    translation: str | None = None
    speaker: str | None = None
    speech_start: float | None = None
    speech_end: float | None = None

    def add_flags(self, *flags: str) -> None:
        """Add flags, keeping the ones already there (flags accumulate from stage to stage)."""
        _add(self.flags, flags)

    def timed_words(self) -> list[Word]:
        """The words with times that never run backwards; a segment with text and no word times gets
        its words spread over the piece by :func:`interpolate_words` (flagged ``interpolated``)."""
        words = [Word(w.start, w.end, w.word.strip(), w.score, w.flag, w.speaker) for w in self.words if w.word.strip()]
        if not words and self.text.strip():
            words = interpolate_words(self.text.split(), self.start, self.end)
        last = -float("inf")
        for w in words:  # ASR word times can jitter backwards by a few ms
            w.start = max(w.start, last)
            w.end = max(w.end, w.start)
            last = w.start
        return words

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "start": _r(self.start), "end": _r(self.end)}
        if self.speech_start is not None:
            d["speech_start"], d["speech_end"] = _r(self.speech_start), _r(self.speech_end)
        d.update(text=self.text, words=[w.to_dict() for w in self.words], backend=self.backend, note=self.note,
                 flags=list(self.flags), translation=self.translation, speaker=self.speaker)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(int(d["id"]), float(d["start"]), float(d["end"]), d.get("text") or "",
                   [Word.from_dict(w) for w in d.get("words") or []], d.get("backend"), d.get("note"),
                   list(d.get("flags") or []), d.get("translation"), d.get("speaker"),
                   _r(d.get("speech_start")), _r(d.get("speech_end")))


@dataclass
class Cue:
    """One subtitle: French ``text`` (lines joined by newlines), Turkish ``source``, times in s.

    ``words``/``fr_tokens`` are what the builder splits and merges; ``flags`` is the union of the
    flags of its segments (ASR, translation) and of the rules it knowingly breaks (timing)."""

    words: list[Word]
    fr_tokens: list[str]
    segment_ids: list[int]
    flags: list[str] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    text: str = ""
    source: str = ""
    speaker: str | None = None
    dialogue_at: tuple[int, int] | None = None  # (word, French token) where the second speaker of a dialogue cue starts

    def add_flags(self, *flags: str) -> None:
        _add(self.flags, flags)

    @property
    def speakers(self) -> list[str]:
        """The distinct speakers of its words, in order (the cue's own speaker for words without one)."""
        out: list[str] = []
        for w in self.words:
            s = w.speaker or self.speaker
            if s and s not in out:
                out.append(s)
        return out

    @property
    def speech_start(self) -> float:
        return self.words[0].start

    @property
    def speech_end(self) -> float:
        return max(w.end for w in self.words)

    @property
    def french(self) -> str:
        return " ".join(self.fr_tokens)

    @property
    def turkish(self) -> str:
        return " ".join(w.word for w in self.words)

    @property
    def asr_flags(self) -> list[str]:
        """The flags that say the cue rests on doubtful ASR."""
        return sorted({f for f in self.flags if flag_name(f) in ASR_FLAGS})

    def to_dict(self) -> dict[str, Any]:
        d = {"start": _r(self.start), "end": _r(self.end), "text": self.text, "source": self.source,
             "speech_start": _r(self.speech_start), "speech_end": _r(self.speech_end),
             "segments": list(self.segment_ids), "speaker": self.speaker, "flags": sorted(set(self.flags))}
        if self.speakers:
            d["speakers"] = self.speakers
        if self.dialogue_at:
            d["dialogue"] = True
        return d
