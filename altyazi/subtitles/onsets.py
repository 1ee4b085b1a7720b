"""Word times corrected against the speech found in the audio (speech.json's runs).

Whisper clamps the first word of a piece to the piece's start, which is the speech onset minus the
VAD padding (400 ms): cue in-times built on those words come early. Here every word that starts a
segment or follows a pause of at least :data:`PAUSE_S` has its start moved to the audio onset near
it, and every word that ends one (or is followed by such a pause) has its end moved to the audio
offset near it; words inside continuous speech keep their ASR/aligner times. The padding stays in
the segments for the ASR; it never reaches the cue times.

The rule for a start ``t``:
- ``t`` in silence: the next run's onset, when it is at most :data:`MAX_SHIFT_S` later (the ASR put
  the word, or its beginning, in the padding: there is no speech there to hear);
- ``t`` inside a run: that run's onset, when it is at most :data:`MAX_BACK_S` earlier and no earlier
  word of the episode ends inside that run (the run is this word's; otherwise speech is continuous
  and the word's own time is the only boundary there is);
- otherwise the word keeps its time (counted in the log).

An end mirrors it, except that inside a run the run's offset may be up to :data:`MAX_TAIL_S` later
(Whisper ends a piece's last word early; the demo's clips: 0.38 and 0.61 s before the speech
stops), provided no later word starts inside that run.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field

from ..log import get_logger
from ..records import Segment, Word

log = get_logger("subtitles")

PAUSE_S = 0.10      # a gap between words this long can hold an onset (= vad.run_min_silence_ms)
MAX_SHIFT_S = 0.60  # a word start in silence moves at most this far forward (padding 0.4 s + ASR slack)
MAX_BACK_S = 0.30   # a word start inside speech moves at most this far back to its run's onset
MAX_TAIL_S = 0.70   # a last word's end inside speech moves at most this far on to its run's offset


@dataclass
class SpeechRuns:
    """Sorted, disjoint speech runs (s) and where they came from (``source``: speech.json,
    segments' unpadded VAD boundaries, or none)."""

    runs: list[tuple[float, float]]
    source: str
    starts: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.runs = sorted((float(a), float(b)) for a, b in self.runs if b > a)
        self.starts = [a for a, _ in self.runs]

    def __bool__(self) -> bool:
        return bool(self.runs)

    def at(self, t: float) -> int | None:
        """Index of the run containing ``t`` ([start, end)), or None."""
        i = bisect.bisect_right(self.starts, t) - 1
        return i if i >= 0 and t < self.runs[i][1] else None

    def next_after(self, t: float) -> int | None:
        """Index of the first run starting after ``t``."""
        i = bisect.bisect_right(self.starts, t)
        return i if i < len(self.runs) else None

    def last_before(self, t: float) -> int | None:
        """Index of the last run ending at or before ``t``."""
        i = bisect.bisect_right(self.starts, t) - 1
        while i >= 0 and self.runs[i][1] > t:
            i -= 1
        return i if i >= 0 else None


def load_speech_runs(path: str | os.PathLike | None, segments: list[Segment]) -> SpeechRuns:
    """speech.json's runs; without that file the segments' unpadded VAD boundaries (coarser: no
    onset after a pause inside a piece), logged; with neither, an empty table (cue times then
    rest on the ASR word times, logged)."""
    if path:
        from ..recordfiles import read_record_file

        data = read_record_file(path, "speech")
        return SpeechRuns([(r["start"], r["end"]) for r in data["runs"]], "speech.json")
    bounds = [(s.speech_start, s.speech_end) for s in segments if s.speech_start is not None and s.speech_end is not None]
    if bounds:
        log.info("no speech.json: cue times are set against the segments' unpadded VAD boundaries only")
        return SpeechRuns(bounds, "segments")
    log.warning("no speech.json and no unpadded VAD boundaries in the segments (made before they existed?): "
                "cue times rest on the ASR word times; rerun the vad stage (`--forcerun vad`) to time them on the audio")
    return SpeechRuns([], "none")


def audio_onset(t: float, prev_end: float, speech: SpeechRuns) -> float | None:
    """The audio onset for a word starting at ``t`` (see the module doc), or None."""
    i = speech.at(t)
    if i is None:
        j = speech.next_after(t)
        if j is not None and speech.starts[j] - t <= MAX_SHIFT_S:
            return speech.starts[j]
        return None
    start = speech.runs[i][0]
    if t - start <= MAX_BACK_S and start >= prev_end:
        return start
    return None


def audio_offset(t: float, word_start: float, next_start: float, speech: SpeechRuns) -> float | None:
    """The audio offset for a word ending at ``t`` (mirror of :func:`audio_onset`), or None."""
    i = speech.at(t - 1e-9)
    if i is None:
        j = speech.last_before(t)
        if j is not None and t - speech.runs[j][1] <= MAX_SHIFT_S and speech.runs[j][1] > word_start:
            return speech.runs[j][1]
        return None
    end = speech.runs[i][1]
    if end - t <= MAX_TAIL_S and end <= next_start:
        return end
    return None


def align_to_audio(segments: list[Segment], speech: SpeechRuns) -> tuple[list[Segment], dict[str, int]]:
    """Copies of ``segments`` whose word times are corrected against ``speech`` (see the module
    doc); the counts say how many boundaries moved and how many found no audio boundary."""
    stats = {"starts_moved": 0, "starts_kept": 0, "ends_moved": 0, "ends_kept": 0}
    if not speech:
        return segments, stats
    timed = [(seg, seg.timed_words()) for seg in segments]
    flat = [w for _, words in timed for w in words]
    out = []
    k = 0
    for seg, words in timed:
        for j, w in enumerate(words):
            prev = flat[k - 1] if k else None
            nxt = flat[k + 1] if k + 1 < len(flat) else None
            if j == 0 or w.start - prev.end >= PAUSE_S:
                on = audio_onset(w.start, prev.end if prev else 0.0, speech)
                stats["starts_moved" if on is not None else "starts_kept"] += 1
                if on is not None:  # a word wholly in the padding moves with its start
                    w.start, w.end = on, max(w.end, on)
            if j == len(words) - 1 or nxt.start - w.end >= PAUSE_S:
                off = audio_offset(w.end, w.start, nxt.start if nxt else float("inf"), speech)
                stats["ends_moved" if off is not None else "ends_kept"] += 1
                if off is not None:
                    w.end = max(off, w.start)
            k += 1
        copy = Segment.from_dict(seg.to_dict())
        copy.words = [Word(w.start, w.end, w.word, w.score, w.flag, w.speaker) for w in words]
        out.append(copy)
    return out, stats
