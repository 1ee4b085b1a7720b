"""`make eval-translation`: translate a TSV of Turkish-French pairs with the configured translator
and score it (sacrebleu chrF and BLEU), counting lost lines and time -> a JSON file.

    python -m tools.evaluate_translation [--tsv T] [--profile P] [--limit N] --out bench/translation-eval.json

The pairs go through exactly the stage's code (translate_segments: batching, context, prompts,
guarantee, typography), as lines of one episode 2 s apart. Before scoring, typography-only
differences are neutralised on both sides (U+202F/U+00A0 -> space, ’ -> ', « » -> "), so the
scores judge the words, not the French spacing the references lack.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

from altyazi.errors import AltyaziError, ConfigError
from altyazi.io import atomic_write_json
from altyazi.log import get_logger, setup_logging
from altyazi.records import Segment

log = get_logger("translate.evaluate")
ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ALTYAZI_SHARED", ROOT.parent / "shared"))
DEFAULT_TSV = SHARED / "data" / "tatoeba-tr-fr.dev.tsv"


def read_pairs(path: str | Path, limit: int | None = None) -> list[tuple[str, str]]:
    """(turkish, french) rows of a TSV whose header names ``turkish`` and ``french`` columns."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"evaluation TSV {path} not found", hint="Pass --tsv <file> (columns turkish, french).")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [(r["turkish"].strip(), r["french"].strip()) for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r.get("turkish") and r.get("french")]
    if not rows:
        raise ConfigError(f"{path} has no turkish/french rows")
    return rows[:limit] if limit else rows


def normalise(text: str) -> str:
    for a, b in (("\u202f", " "), ("\u00a0", " "), ("’", "'"), ("«", '"'), ("»", '"'), ("…", "...")):
        text = text.replace(a, b)
    return " ".join(text.replace('" ', '"').replace(' "', '"').split())


def score(hypotheses: list[str], references: list[str]) -> dict:
    import sacrebleu

    hyp = [normalise(h) for h in hypotheses]
    ref = [normalise(r) for r in references]
    return {"chrf": round(sacrebleu.corpus_chrf(hyp, [ref]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hyp, [ref]).score, 2)}


def evaluate(pairs: list[tuple[str, str]], settings: dict, llm=None, total_pairs: int | None = None) -> dict:
    """Translate ``pairs`` with ``settings`` (translate_settings + model) and return the report."""
    from altyazi.translate import translate_segments

    segments = [Segment(i, 2.0 * i, 2.0 * i + 1.5, tr) for i, (tr, _) in enumerate(pairs)]
    own_llm = llm is None
    if own_llm:  # loaded here so that load time and translation time are reported apart
        from altyazi.translate.llm import LLM

        llm = LLM(settings["model"], device=settings.get("device", "auto"),
                  temperature=float(settings.get("temperature", 0.0)), prompt_style=settings.get("prompt_style", "auto"),
                  batch_size=settings.get("batch_size"), cpu_threads=settings.get("cpu_threads", 1)).load()
    t0 = time.perf_counter()
    try:
        out, summary = translate_segments(segments, {**settings, "memory": None}, llm=llm)
    finally:
        if own_llm:
            llm.close()
    seconds = time.perf_counter() - t0
    hyps = [s.translation or "" for s in out]
    lost = sum(1 for s in out if not (s.translation or "").strip() or "untranslated" in s.flags)
    report = {
        "model": summary.get("model"), "prompt": summary.get("prompt"), "kind": summary.get("kind"),
        "pairs": len(pairs), "lines_out": len(out), "lines_lost": lost,
        "lines_missing": len(pairs) - len(out), **score(hyps, [fr for _, fr in pairs]),
        "retries": summary["retries"], "halvings": summary["halvings"], "name_missing": summary["name_missing"],
        "load_seconds": round(getattr(llm, "load_seconds", 0.0), 1),
        "seconds": round(seconds, 1), "seconds_per_line": round(seconds / max(1, len(pairs)), 2),
        "tokens_per_s": summary.get("tokens_per_s"), "new_tokens": summary.get("new_tokens"),
        "samples": [{"turkish": tr, "reference": fr, "translation": h} for (tr, fr), h in zip(pairs[:12], hyps)],
    }
    if total_pairs and total_pairs > len(pairs):
        report["projected_seconds_full_set"] = round(report["load_seconds"] + seconds / len(pairs) * total_pairs, 0)
        report["full_set_pairs"] = total_pairs
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tsv", default=str(DEFAULT_TSV), help="pairs to translate (columns turkish, french)")
    ap.add_argument("--profile", default=None, help="config profile (default: config.yaml's)")
    ap.add_argument("--config", default=str(ROOT / "config.yaml"))
    ap.add_argument("--limit", type=int, default=None, help="only the first N pairs (a CPU-sized subset)")
    ap.add_argument("--out", default="bench/translation-eval.json")
    args = ap.parse_args(argv)
    setup_logging()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import yaml

        from altyazi.settings import translate_settings

        with open(args.config, encoding="utf-8") as fh:
            config = yaml.safe_load(fh)
        if args.profile:
            config["profile"] = args.profile
        if config["profile"] not in config["profiles"]:
            raise ConfigError(f"profile {config['profile']!r} is not in {args.config}")
        settings = translate_settings(config, str(ROOT))
        settings["cache_dir"] = None  # every run measures the model, never the cache
        all_pairs = read_pairs(args.tsv)
        pairs = all_pairs[:args.limit] if args.limit else all_pairs
        report = {"tsv": str(args.tsv), "profile": config["profile"], **evaluate(pairs, settings, total_pairs=len(all_pairs))}
    except AltyaziError as err:
        log.error("evaluation failed: %s", err)
        return 1
    atomic_write_json(args.out, report)
    log.info("translation eval: %d pairs, chrF %.1f, BLEU %.1f, %d lost, load %.0f s + %.0f s -> %s", report["pairs"],
             report["chrf"], report["bleu"], report["lines_lost"], report["load_seconds"], report["seconds"], args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
