"""The QC verdict: ``PASS`` only when no cue breaks a limit and no cue is flagged; otherwise
``REVIEW``, with the number of cues to review and, for each, its timecode, what it breaks, its
flags and its text.

A flag is not an excuse: a cue the builder knowingly left over a limit (``cps``, ``lines``, ...) or
that rests on a doubtful line (``untranslated``, ``not_turkish``, ...) is exactly what a reviewer
must look at. Two subtitles flags record a permitted exception of the rules rather than a problem
and do not send a cue to review: ``extended`` (held more than 0.5 s after the speech because the
text needs the reading time, which the rule allows) and ``gap_open`` (a small gap left open because
closing it would break the maximum duration); they excuse only the check they explain.
"""

from __future__ import annotations

from typing import Any

from ..records import Cue, flag_name

# Limits a delivery must never break (Netflix French timed-text guide): the subtitles stage fixes
# them where it can (line breaking, splitting at a phrase boundary, the translate stage's
# condensation); what remains counts here as a hard break.
HARD = ("lines_over_max_chars", "cues_over_max_lines", "overlaps", "gaps_under_min", "too_short", "too_long")
PERMITTED = {"late_ends": "extended", "small_gaps_open": "gap_open"}


def timecode(t: float) -> str:
    """SubRip timecode ``HH:MM:SS,mmm``."""
    ms = int(round(t * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def review_list(shown: list[Cue], per_cue: list[dict[str, int]]) -> list[dict[str, Any]]:
    """The cues (numbered as in the .srt) that break a check or carry a flag other than a permitted exception."""
    out = []
    for i, (cue, v) in enumerate(zip(shown, per_cue), 1):
        broken = [k for k, n in v.items() if n and not (k in PERMITTED and PERMITTED[k] in cue.flags)]
        flags = sorted(f for f in set(cue.flags) if flag_name(f) not in PERMITTED.values())
        if broken or flags:
            out.append({"cue": i, "timecode": f"{timecode(cue.start)} --> {timecode(cue.end)}",
                        "start": round(cue.start, 3), "end": round(cue.end, 3), "breaks": broken,
                        "hard": [k for k in broken if k in HARD], "flags": flags, "text": cue.text, "source": cue.source})
    return out


def verdict(shown: list[Cue], per_cue: list[dict[str, int]]) -> dict[str, Any]:
    """``verdict``, ``review_cues``, ``hard_limit_cues`` and ``review_cue_list`` for qc.json."""
    items = review_list(shown, per_cue)
    return {"verdict": "REVIEW" if items else "PASS", "review_cues": len(items),
            "hard_limit_cues": sum(bool(r["hard"]) for r in items), "review_cue_list": items}


def verdict_line(qc: dict[str, Any]) -> str:
    """One line for logs and the report heading."""
    if qc["verdict"] == "PASS":
        return f"PASS: {qc['cues']} cues, none breaks a limit or is flagged"
    why: dict[str, int] = {}
    for r in qc["review_cue_list"]:
        for k in r["breaks"] + [flag_name(f) for f in r["flags"]]:
            why[k] = why.get(k, 0) + 1
    top = ", ".join(f"{k} {n}" for k, n in sorted(why.items(), key=lambda kv: -kv[1])[:6])
    return (f"REVIEW: {qc['review_cues']} of {qc['cues']} cue(s) to review, {qc['hard_limit_cues']} breaking a hard "
            f"limit ({top}); list in qc.json review_cue_list")
