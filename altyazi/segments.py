"""Plain data shared by the stages: words and segments (times in seconds), JSON in and out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Word:
    start: float
    end: float
    word: str
    score: float | None = None      # aligner/ASR confidence, 0..1
    flag: str | None = None         # e.g. "interpolated": no alignable characters

    def to_dict(self) -> dict[str, Any]:
        d = {"start": round(self.start, 3), "end": round(self.end, 3), "word": self.word}
        if self.score is not None:
            d["score"] = round(self.score, 3)
        if self.flag:
            d["flag"] = self.flag
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Word":
        return cls(float(d["start"]), float(d["end"]), d["word"], d.get("score"), d.get("flag"))


@dataclass
class Segment:
    """One transcribed VAD piece. ``id``, ``start``, ``end`` never change after the VAD stage."""

    id: int
    start: float
    end: float
    text: str = ""
    words: list[Word] = field(default_factory=list)
    backend: str | None = None
    note: str | None = None
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"], d["end"] = round(self.start, 3), round(self.end, 3)
        d["words"] = [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Segment":
        return cls(int(d["id"]), float(d["start"]), float(d["end"]), d.get("text", ""),
                   [Word.from_dict(w) for w in d.get("words", [])], d.get("backend"), d.get("note"),
                   list(d.get("flags", [])))
