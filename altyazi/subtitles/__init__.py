"""Subtitle stage: segments (+ word times) -> cues -> .srt/.vtt, and QC figures."""

from __future__ import annotations

import datetime as dt
import textwrap

import srt


def wrap_text(text: str, max_chars: int = 42, max_lines: int = 2) -> str:
    lines = textwrap.wrap(text, max_chars) or [""]
    return "\n".join(lines if len(lines) <= max_lines else lines[:max_lines - 1] + [" ".join(lines[max_lines - 1:])])


def segments_to_srt(segments: list[dict], opts: dict) -> str:
    subs = []
    for seg in segments:
        text = (seg.get("text") or "").strip()
        if not text:
            continue
        subs.append(srt.Subtitle(len(subs) + 1, dt.timedelta(seconds=seg["start"]), dt.timedelta(seconds=seg["end"]),
                                 wrap_text(text, opts.get("max_line_chars", 42), opts.get("max_lines", 2))))
    return srt.compose(subs) if subs else ""
