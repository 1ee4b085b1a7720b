"""Subtitle files: SubRip through the ``srt`` library, WebVTT from the same subtitles."""

from __future__ import annotations

import datetime as dt

import srt

from ..records import Cue


def to_subtitles(cues: list[Cue], language: str = "fr") -> list[srt.Subtitle]:
    """``srt.Subtitle`` objects (numbered from 1) for the cues with text in ``language`` (fr|tr)."""
    subs = []
    for c in cues:
        text = c.text if language == "fr" else c.source
        if text.strip():
            subs.append(srt.Subtitle(len(subs) + 1, dt.timedelta(seconds=c.start), dt.timedelta(seconds=c.end), text))
    return subs


def compose_srt(subs: list[srt.Subtitle]) -> str:
    """SubRip text; ``reindex=False`` keeps our numbering (cue text never holds blank lines, which SubRip forbids)."""
    return srt.compose(subs, reindex=False) if subs else ""


def _vtt_time(td: dt.timedelta) -> str:
    ms = round(td.total_seconds() * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def compose_vtt(subs: list[srt.Subtitle]) -> str:
    """WebVTT text (W3C): a ``WEBVTT`` header, then ``HH:MM:SS.mmm --> HH:MM:SS.mmm`` blocks."""
    blocks = ["WEBVTT\n"]
    for s in subs:
        body = s.content.replace("-->", "->")  # the arrow is reserved in cue text
        blocks.append(f"{s.index}\n{_vtt_time(s.start)} --> {_vtt_time(s.end)}\n{body}\n")
    return "\n".join(blocks)
