"""The timed-text rules (config.yaml ``subtitles:`` block) as one frozen dataclass.

Defaults follow the Netflix French timed-text guidance: 2 lines of 42 characters, 17 characters
per second (spaces and punctuation counted), 5/6 s to 7 s on screen, 2 frames between cues at
25 fps, gaps of 12 frames or less closed to 2 frames, start within 2 frames of speech onset and
end at most 0.5 s after speech ends (unless the cue needs the time to be read).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from ..config_check import check_block
from ..errors import ConfigError


@dataclass(frozen=True)
class SubtitleRules:
    fps: float = 25.0
    max_line_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration_s: float = 5 / 6
    max_duration_s: float = 7.0
    min_gap_frames: int = 2
    close_gap_frames: int = 12
    max_start_offset_frames: int = 2     # cue start within this many frames of speech onset
    max_end_after_speech_s: float = 0.5
    split_pause_s: float = 1.5           # a pause this long inside a segment starts a new cue
    merge_max_gap_s: float = 1.0         # fragments merge with a neighbour at most this far away
    min_fragment_chars: int = 12         # French shorter than this is a fragment worth merging
    speech_merge_gap_s: float = 0.3      # word gaps up to this count as continuous speech (QC)
    formats: tuple[str, ...] = ("srt",)
    timing_reference: str = "audio"      # audio: word times corrected on speech.json's runs; asr: as the ASR gave them
    shot_snap_frames: int = 12           # a cue starting/ending this close to a shot change snaps to it

    @classmethod
    def from_config(cls, opts: dict[str, Any] | None) -> "SubtitleRules":
        """Build from the ``subtitles:`` config block, validated against its schema
        (schemas/config.schema.yaml: keys, types, ranges, choices); a bad block is a :class:`ConfigError`."""
        opts = dict(opts or {})
        if isinstance(opts.get("formats"), tuple):
            opts["formats"] = list(opts["formats"])  # a tuple of formats is the schema's array
        check_block("subtitles", opts)
        if "formats" in opts:
            opts["formats"] = tuple(opts["formats"])
        rules = cls(**opts)
        if rules.min_duration_s >= rules.max_duration_s:
            raise ConfigError(f"subtitles: min_duration_s ({rules.min_duration_s}) must be below "
                              f"max_duration_s ({rules.max_duration_s})")
        return rules

    @property
    def frame(self) -> float:
        """One frame in seconds."""
        return 1.0 / self.fps

    @property
    def min_gap_s(self) -> float:
        return self.min_gap_frames / self.fps

    @property
    def close_gap_s(self) -> float:
        return self.close_gap_frames / self.fps

    @property
    def max_cue_chars(self) -> int:
        """Most characters a cue can show (lines joined by spaces)."""
        return self.max_lines * self.max_line_chars + self.max_lines - 1

    def to_frame(self, t: float) -> float:
        """``t`` (seconds) rounded to the nearest frame boundary, in seconds."""
        return round(t * self.fps) / self.fps

    def frame_up(self, t: float) -> float:
        """``t`` (seconds) rounded up to a frame boundary (tolerant of float noise)."""
        return math.ceil(t * self.fps - 1e-6) / self.fps

    def frame_down(self, t: float) -> float:
        """``t`` (seconds) rounded down to a frame boundary (tolerant of float noise)."""
        return math.floor(t * self.fps + 1e-6) / self.fps

    def as_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["formats"] = list(self.formats)
        return d


def display_chars(text: str) -> int:
    """Characters the viewer reads: spaces and punctuation count, a line break counts as nothing."""
    return len(text.replace("\n", ""))
