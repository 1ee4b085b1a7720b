"""What the guards and the condensation pass did to an episode, measured on its subtitles.

    python -m tools.measure_condense results/<episode> [--out figures.json]

Reads ``fr.json`` (the translate stage's summary lists every condensed line with its text before
and after) and rebuilds the cues twice with the subtitles stage's own code: with the translations
as written and with the condensed lines put back as they were. Reports, for both, the cues read
faster than ``max_cps``; for the written ones, the verdict, the cues over a hard limit, the lines of
the .srt files that hold a character loop (the guards' check) and the untranslated lines, with
samples. The reading-speed limit is the broadcast rule (Netflix French: 17 characters per second).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import yaml

from altyazi.io import atomic_write_json
from altyazi.recordfiles import read_record_file, read_segments
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.rules import display_chars
from altyazi.translate.guards import char_loop

ROOT = Path(__file__).resolve().parent.parent


def over_cps(result) -> list[dict]:
    limit = result.rules.max_cps
    return [{"start": c.start, "cps": round(display_chars(c.text) / (c.end - c.start), 1), "text": c.text}
            for c in result.cues if c.text and c.end > c.start and display_chars(c.text) / (c.end - c.start) > limit + 1e-6]


def srt_problems(files: dict[str, str], rules) -> dict:
    loops, long_lines = [], []
    for name, text in files.items():
        if not name.endswith(".srt"):
            continue
        for line in text.splitlines():
            if line.strip() and not line.strip().isdigit() and "-->" not in line:
                if char_loop(line):
                    loops.append((name, line))
                if len(line) > rules.max_line_chars:
                    long_lines.append((name, line))
    return {"loop_lines": loops, "lines_over_max_chars": long_lines}


def measure(folder: Path, options: dict) -> dict:
    header, segments = read_segments(folder / "fr.json", "fr")
    condense = (read_record_file(folder / "fr.json", "fr").get("summary") or {}).get("condense") or {}
    after = build_subtitles(segments, options)
    restored = copy.deepcopy(segments)
    before_of = {c["id"]: c["before"] for c in condense.get("lines", [])}
    for seg in restored:
        if seg.id in before_of:
            seg.translation = before_of[seg.id]
    before = build_subtitles(restored, options)
    untranslated = [s for s in segments if "untranslated" in s.flags]
    qc = after.qc
    return {
        "cues": qc["cues"], "verdict": qc["verdict"], "review_cues": qc["review_cues"],
        "hard_limit_cues": qc["hard_limit_cues"],
        "untranslated_lines": len(untranslated), "lines_translated": sum(bool(s.text.strip()) for s in segments),
        "untranslated_samples": [s.text for s in untranslated[:8]],
        "condense": {k: v for k, v in condense.items() if k != "lines"},
        "cues_over_max_cps_before": len(over_cps(before)), "cues_over_max_cps_after": len(over_cps(after)),
        "condensed_samples": condense.get("lines", [])[:12],
        "srt": srt_problems(after.files, after.rules),
        "review_samples": qc["review_cue_list"][:12],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tools.measure_condense", description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="results/<episode> (holds fr.json)")
    ap.add_argument("--out", help="write the figures here (JSON)")
    args = ap.parse_args(argv)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    figures = measure(Path(args.folder), config.get("subtitles") or {})
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if args.out:
        atomic_write_json(args.out, figures)


if __name__ == "__main__":
    main()
