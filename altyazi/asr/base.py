"""The interface every ASR backend implements, so links of the fallback chain are interchangeable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ..audio import SAMPLE_RATE  # noqa: F401  (re-exported: the backends read it from here)
from ..records import Word


@dataclass
class Piece:
    """One VAD piece to transcribe: its id, times (s) and samples (16 kHz float32)."""

    id: int
    start: float
    end: float
    audio: np.ndarray


@dataclass
class Transcript:
    """A backend's answer for one piece; word times are absolute (episode) seconds."""

    text: str
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None


@runtime_checkable
class ASRBackend(Protocol):
    """What the chain calls on a link; each backend's factory is declared in :mod:`.registry`."""

    name: str                  # chain link name, e.g. "faster-whisper"
    gives_word_times: bool     # False: the aligner must time the words

    def load(self) -> None:
        """Load the model (in this process). Raises ModelMissingError / GPUMemoryError / others."""

    def transcribe(self, pieces: list[Piece], looser: bool = False) -> list[Transcript]:
        """One Transcript per piece, in order; ``looser``: the retry settings for rejected pieces."""

    def close(self) -> None:
        """Drop the model and free (V)RAM."""
