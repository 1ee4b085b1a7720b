"""Report figures for one episode: CPS and duration histograms, a speech-vs-cue timeline, and
an HTML table of the QC figures (all embedded by ``snakemake --report``)."""

from __future__ import annotations

import html
import os
from typing import Any

from ..io import atomic_path, atomic_write_text
from ..records import Cue
from .rules import SubtitleRules, display_chars
from .verdict import verdict_line


def _pyplot():
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> None:
    """Write the figure atomically, then free it (pyplot keeps every open figure)."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    fig.clf()
    _pyplot().close(fig)


def _count_axis(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_ylabel("cues")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _limit_histogram(values: list[float], bins: list[float], colour: str, limits: list[tuple[float, str, str]],
                     xlabel: str, title: str, path: str) -> None:
    """A histogram of cue values with the rules' limits as dashed lines ((x, colour, label) each)."""
    fig, ax = _pyplot().subplots(figsize=(6, 3.2))
    ax.hist(values, bins=bins, color=colour, edgecolor="white")
    for x, line_colour, label in limits:
        ax.axvline(x, color=line_colour, ls="--", label=label)
    ax.set_xlabel(xlabel)
    _count_axis(ax)
    ax.set_title(title.strip())
    ax.legend(loc="best", framealpha=0.9)
    _save(fig, path)


def plot_cps(cues: list[Cue], rules: SubtitleRules, path: str, title: str = "") -> None:
    """Histogram of reading speed (characters per second) with the max_cps limit marked."""
    cps = [display_chars(c.text) / (c.end - c.start) for c in cues if c.text and c.end > c.start]
    top = max([rules.max_cps + 3] + cps)
    _limit_histogram(cps, [x * 1.0 for x in range(0, int(top) + 2)], "#4c72b0",
                     [(rules.max_cps, "#c44e52", f"limit {rules.max_cps:g} cps")],
                     "reading speed (characters per second, spaces and punctuation counted)",
                     f"{title} reading speed ({len(cps)} cues)", path)


def plot_durations(cues: list[Cue], rules: SubtitleRules, path: str, title: str = "") -> None:
    """Histogram of cue durations (s) with the min/max duration limits marked."""
    durs = [c.end - c.start for c in cues if c.text]
    top = max([rules.max_duration_s + 1] + durs)
    _limit_histogram(durs, [i * 0.25 for i in range(int(top / 0.25) + 2)], "#55a868",
                     [(rules.min_duration_s, "#c44e52", f"min {rules.min_duration_s:.2f} s"),
                      (rules.max_duration_s, "#8172b2", f"max {rules.max_duration_s:g} s")],
                     "cue duration (s)", f"{title} cue durations ({len(durs)} cues)", path)


NO_SPEAKER = "#55a868"


def speaker_colours(cues: list[Cue]) -> dict[str, str]:
    """One colour per speaker, in order of first appearance (ten colours, then they repeat)."""
    names = list(dict.fromkeys(s for c in cues for s in c.speakers))
    cycle = ["#dd8452", "#8172b3", "#bcbd22", "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd", "#2ca02c", "#17becf"]
    return {n: cycle[i % len(cycle)] for i, n in enumerate(names)}


def _cue_bars(ax, shown: list[Cue], palette: dict[str, str]) -> None:
    """Cue bars in their speaker's colour: a dialogue cue is split (top: first speaker, bottom: second);
    flagged cues are hatched, cues resting on flagged ASR get a red edge."""
    for c in shown:
        spk = c.speakers or [None]
        rows = [(0.5, 0.4), (0.1, 0.4)] if c.dialogue_at and len(spk) == 2 else [(0.1, 0.8)]
        for (y, h), who in zip(rows, spk if len(rows) == 2 else spk[:1]):
            ax.broken_barh([(c.start, c.end - c.start)], (y, h), facecolor=palette.get(who, NO_SPEAKER),
                           hatch="///" if c.flags else None, edgecolor="#c44e52" if c.asr_flags else "white",
                           linewidth=1.2 if c.asr_flags else 0.5)


def plot_timeline(cues: list[Cue], speech: list[tuple[float, float]], path: str, minutes: float = 3.0,
                  title: str = "") -> None:
    """Speech (word times) against cues over the first ``minutes``, cues coloured by speaker."""
    plt = _pyplot()
    limit = minutes * 60.0
    end = max([0.0] + [e for _, e in speech if e <= limit] + [c.end for c in cues if c.start <= limit])
    end = min(limit, end + 1.0) if end else limit
    rows = max(1, int(end // 60.0) + (1 if end % 60.0 else 0))
    fig, axes = plt.subplots(rows, 1, figsize=(10, 1.3 * rows + 0.6), squeeze=False)
    palette = speaker_colours(cues)
    for r in range(rows):
        ax = axes[r][0]
        lo, hi = r * 60.0, min((r + 1) * 60.0, max(end, r * 60.0 + 1))
        ax.broken_barh([(s, e - s) for s, e in speech if e > lo and s < hi], (1.1, 0.8), color="#4c72b0")
        _cue_bars(ax, [c for c in cues if c.text and c.end > lo and c.start < hi], palette)
        ax.set_xlim(lo, lo + 60.0)
        ax.set_ylim(0, 2)
        ax.set_yticks([0.5, 1.5], ["cues", "speech"])
        ax.set_xlabel("time (s)" if r == rows - 1 else "")
    axes[0][0].set_title(f"{title} speech (blue) vs cues, coloured by speaker (hatched = flagged, red edge = resting on "
                         f"flagged ASR; split bar = dialogue), first {min(minutes, rows):g} min".strip(), fontsize=9)
    if palette:
        from matplotlib.patches import Patch

        handles = [Patch(color=col, label=spk) for spk, col in palette.items()][:12]
        axes[0][0].legend(handles=handles, loc="upper right", ncol=min(6, len(handles)), fontsize=7, framealpha=0.8)
    fig.tight_layout()
    _save(fig, path)


def plot_onsets(timing: dict[str, Any], rules: SubtitleRules, path: str, title: str = "") -> None:
    """Histograms (frames) of in-time and out-time errors against the audio's speech boundaries
    (qc.json ``timing``), with the +/- max_start_offset_frames limits marked."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    limit = rules.max_start_offset_frames
    for ax, key, what in ((axes[0], "onset_errors", "in-time - speech onset"), (axes[1], "offset_errors", "out-time - speech offset")):
        errs = [e for e in timing.get(key) or [] if e is not None]
        lo = min([-limit - 3] + [int(e) - 1 for e in errs])
        hi = max([limit + 3] + [int(e) + 2 for e in errs])
        ax.hist(errs, bins=[x - 0.5 for x in range(max(lo, -26), min(hi, 26) + 1)], color="#4c72b0", edgecolor="white")
        for x in (-limit, limit):
            ax.axvline(x, color="#c44e52", ls="--")
        ax.set_xlabel(f"{what} (frames at {rules.fps:g} fps; clipped at +/-25)")
        _count_axis(ax)
        d = timing.get("onset_error_frames" if key == "onset_errors" else "offset_error_frames") or {}
        ax.set_title(f"{len(errs)} cues: median {d.get('p50')}, |p90| {d.get('p90_abs')}")
    if timing.get("reference") in (None, "none"):
        fig.text(0.5, 0.5, "no speech.json: times not measured against the audio", ha="center")
    fig.suptitle(f"{title} cue timing against the audio (dashed: +/-{limit} frames)".strip())
    fig.tight_layout()
    _save(fig, path)


def _timing_rows(qc: dict[str, Any]) -> list[tuple]:
    """QC table rows of qc.json's ``timing`` block (audio-measured in/out-times, shot changes)."""
    t = qc.get("timing")
    if not t:
        return []
    rows = []
    if "onset_error_frames" in t:
        for key, what in (("onset_error_frames", "in-time - audio onset (frames)"),
                          ("offset_error_frames", "out-time - audio offset (frames)")):
            d = t[key]
            rows.append((what, d["n"], "", f"median {d['p50']}, |p90| {d['p90_abs']}, min {d['min']}, max {d['max']}; "
                         f"unmeasured {d['unmeasured']}"))
        for key, what in (("early_starts", f"starts > {t['limit_frames']} frames before the audio onset"),
                          ("late_starts", f"starts > {t['limit_frames']} frames after the audio onset"),
                          ("late_ends", "ends > max_end_after_speech_s after the audio offset, not chained"),
                          ("ends_before_speech_end", f"ends > {t['limit_frames']} frames before the audio offset")):
            d = dict(t[key])
            rows.append((what, d.pop("count"), "", ", ".join(f"{k} {v}" for k, v in d.items())))
    s = t["shots"]
    rows.append(("shot changes / cues crossing one", s["cuts"], s["cues_crossing"],
                 f"{s['cues_crossing_near']} within shot_snap_frames of an end ({s['cues_crossing_near_unflagged']} unflagged), "
                 f"{s['cues_moved_to_shot_change']} moved to a shot change"))
    return rows


def qc_table_html(qc: dict[str, Any], episode: str) -> str:
    """A standalone HTML page with the QC figures of one episode as a table."""
    esc = html.escape
    rows = [("cues", qc["cues"], "", ""), ("lines", qc["lines"], "", "")]
    for key, c in qc["checks"].items():
        rows.append((f"{key.replace('_', ' ')} ({c['what']})", c["count"], f"{c['percent']} %",
                     f"{c['flagged']} flagged, {c['unflagged']} unflagged"))
    for key, what in (("asr_flagged", "cues resting on flagged ASR"), ("translation_flagged", "cues flagged by translation")):
        f = qc[key]
        rows.append((what, f["count"], f"{f['percent']} %", ", ".join(f"{k} {v}" for k, v in f["flags"].items())))
    sc = qc["speech_not_covered"]
    rows.append(("speech not covered by any cue (s)", sc["seconds"], f"{sc['percent']} %",
                 f"of {qc['speech_seconds']} s of speech"))
    rows.append(("reading speed (cps) min/median/max", "", "",
                 f"{qc['cps']['min']} / {qc['cps']['median']} / {qc['cps']['max']}"))
    rows.append(("duration (s) min/median/max", "", "",
                 f"{qc['duration_s']['min']} / {qc['duration_s']['median']} / {qc['duration_s']['max']}"))
    rows += _timing_rows(qc)
    verdict = qc["verdict"]
    body = "\n".join(f"<tr><td>{esc(str(a))}</td><td>{esc(str(b))}</td><td>{esc(str(c))}</td><td>{esc(str(d))}</td></tr>"
                     for a, b, c, d in rows)
    review = "\n".join(f"<tr><td>{r['cue']}</td><td>{esc(r['timecode'])}</td><td>{esc(', '.join(r['breaks'] + r['flags']))}"
                       f"</td><td>{esc(r['text']).replace(chr(10), '<br>')}</td></tr>" for r in qc["review_cue_list"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>QC {esc(episode)}</title>
<style>body{{font-family:sans-serif;margin:1em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:3px 8px;text-align:left}} th{{background:#eee}}
.PASS{{color:#2a7a2a}} .REVIEW{{color:#b22}}</style></head><body>
<h3>Subtitle QC: {esc(episode)} <span class="{verdict}">{esc(verdict_line(qc))}</span></h3>
<p>{qc['unflagged_violations']} unflagged violation(s), {qc['flagged_cues']} flagged cue(s)</p>
<table><tr><th>check</th><th>count</th><th>percent</th><th>detail</th></tr>
{body}
</table>
<h4>Cues to review ({qc['review_cues']}, {qc['hard_limit_cues']} breaking a hard limit)</h4>
<table><tr><th>cue</th><th>timecode</th><th>breaks / flags</th><th>text</th></tr>
{review}
</table></body></html>
"""


def write_report_files(cues: list[Cue], speech: list[tuple[float, float]], qc: dict[str, Any],
                       rules: SubtitleRules, paths: dict[str, str], episode: str) -> None:
    """Write the figures and the table named in ``paths`` (keys: cps, durations, timeline, onsets, table)."""
    if "cps" in paths:
        plot_cps(cues, rules, paths["cps"], episode)
    if "durations" in paths:
        plot_durations(cues, rules, paths["durations"], episode)
    if "timeline" in paths:
        plot_timeline(cues, speech, paths["timeline"], title=episode)
    if "onsets" in paths:
        plot_onsets(qc.get("timing") or {}, rules, paths["onsets"], episode)
    if "table" in paths:
        atomic_write_text(paths["table"], qc_table_html(qc, episode))
