"""`altyazi calibrate`: measure every ASR link of the profile on Turkish reference clips, on this
machine, so that `asr.chain: auto` orders the chain by what was measured rather than assumed.

For each link alone: the production ASR path (VAD, the link, its quality gate) over every clip; WER
and CER against the reference transcripts (Turkish-aware normalisation, altyazi.metrics), RTF and
peak VRAM. Optionally the translator on a TSV of Turkish-French pairs (chrF, BLEU, tokens/s).
Writes calibration.json (atomically) and prints a table.
"""

from __future__ import annotations

import csv
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

from .audio import SAMPLE_RATE
from .errors import ConfigError
from .log import get_logger

log = get_logger("calibrate")


def read_clips(folder: str | Path, limit: int | None = None) -> list[tuple[str, Path, str]]:
    """(name, wav, reference) from ``folder``: ``<name>.wav`` files and ``transcripts.tsv``
    (columns clip, turkish); clips without a reference (or with an empty one) are skipped."""
    folder = Path(folder)
    tsv = folder / "transcripts.tsv"
    if not tsv.is_file():
        raise ConfigError(f"{tsv} not found", hint="Give a folder of <clip>.wav files and a transcripts.tsv with "
                                                    "columns clip and turkish (--clips FOLDER).")
    with open(tsv, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if (r.get("turkish") or "").strip()]
    clips = [(r["clip"], folder / f"{r['clip']}.wav", r["turkish"].strip()) for r in rows]
    missing = [str(w) for _, w, _ in clips if not w.is_file()]
    if missing:
        raise ConfigError(f"calibration clips missing: {', '.join(missing[:3])}")
    return clips[:limit] if limit else clips


def measure_link(link: str, asr: dict, clips: list, vad_options: dict) -> dict:
    """One link alone over ``clips``: WER, CER, RTF, peak VRAM; ``error`` when it could not run."""
    from .asr import ASRSettings, transcribe_segments
    from .audio import load_wav
    from .gpu import VramSampler
    from .metrics import char_error_rate, word_error_rate
    from .vad import VadOptions, detect_speech

    settings = ASRSettings(**{**asr, "chain": [link], "align": False, "chain_note": None})
    refs, hyps, audio_s, t0 = [], [], 0.0, time.perf_counter()
    try:
        with VramSampler(interval=1.0) as vram:
            for _name, wav, ref in clips:
                audio = load_wav(wav)
                pieces = detect_speech(audio, VadOptions(**vad_options))
                segments, summary = transcribe_segments(audio, pieces, settings)
                if summary["fallbacks"] and not summary["backends"]:
                    raise RuntimeError("; ".join(f["reason"] for f in summary["fallbacks"]))
                refs.append(ref)
                hyps.append(" ".join(s.text for s in segments if s.text))
                audio_s += audio.size / SAMPLE_RATE
    except Exception as err:  # a link that cannot run here is a result too (auto drops it)
        reason = str(err).splitlines()[0][:300] if str(err) else type(err).__name__
        log.warning("calibrate %s: could not run (%s)", link, reason)
        return {"wer": None, "cer": None, "clips": len(refs), "error": reason}
    seconds = time.perf_counter() - t0
    return {"wer": round(word_error_rate(refs, hyps), 4), "cer": round(char_error_rate(refs, hyps), 4),
            "clips": len(refs), "audio_seconds": round(audio_s, 2), "seconds": round(seconds, 2),
            "rtf": round(seconds / audio_s, 4) if audio_s else None,
            "peak_vram_gib": round(vram.peak_gib, 2) if vram.peak_gib is not None else None,
            "model": asr["models"].get(link), "device": asr.get("device", "auto")}


def measure_translator(settings: dict, pairs_tsv: str | Path, limit: int | None = None) -> dict:
    """chrF and BLEU (sacrebleu) of the configured translator on Turkish-French pairs, tokens/s."""
    import sacrebleu

    from .translate.engine import translate_segments

    with open(pairs_tsv, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r.get("turkish") and r.get("french")]
    rows = rows[:limit] if limit else rows
    if not rows:
        raise ConfigError(f"{pairs_tsv} has no rows with columns turkish and french")
    from .records import Segment

    segments = [Segment(i, 2.0 * i, 2.0 * i + 1.5, r["turkish"]) for i, r in enumerate(rows)]
    out, stats = translate_segments(segments, {**settings, "memory": None, "cache_dir": None})
    hyps, refs = [o.translation or "" for o in out], [r["french"] for r in rows]
    return {"pairs": len(rows), "chrf": round(sacrebleu.corpus_chrf(hyps, [refs]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hyps, [refs]).score, 2),
            "tokens_per_second": stats.get("tokens_per_s"), "model": settings.get("model")}


def calibrate(config: dict, clips_dir: str | Path, out: str | Path, *, links: list[str] | None = None,
              limit: int | None = None, pairs: str | Path | None = None, base_dir: str | None = None) -> dict:
    """Measure, write ``out`` (calibration.json) and return its content."""
    from .io import atomic_write_json
    from .settings import asr_settings, profile, translate_settings

    clips = read_clips(clips_dir, limit)
    asr = asr_settings({**config, "asr": {**config.get("asr", {}), "chain": None}}, base_dir)
    links = links or list(profile(config)["asr_chain"])
    result = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "profile": config["profile"],
              "host": platform.node(), "clips": {"folder": str(clips_dir), "count": len(clips)},
              "asr": {link: measure_link(link, asr, clips, config.get("vad", {})) for link in links}}
    if pairs:
        result["translator"] = measure_translator(translate_settings(config, base_dir), pairs, limit)
    atomic_write_json(out, result)
    return result


def table(result: dict, max_wer: float) -> str:
    lines = [f"calibration on {result['clips']['count']} clip(s) ({result['clips']['folder']}), profile "
             f"{result['profile']}, {result['created']}",
             f"{'link':<16} {'WER':>6} {'CER':>6} {'RTF':>7} {'peak VRAM':>10}  verdict"]
    for link, r in result["asr"].items():
        if r["wer"] is None:
            lines.append(f"{link:<16} {'-':>6} {'-':>6} {'-':>7} {'-':>10}  not run: {r['error']}")
            continue
        vram = f"{r['peak_vram_gib']:.1f} GiB" if r.get("peak_vram_gib") is not None else "no GPU"
        verdict = "kept by chain: auto" if r["wer"] <= max_wer else f"dropped by chain: auto (WER > {max_wer})"
        lines.append(f"{link:<16} {r['wer']:>6.3f} {r['cer']:>6.3f} {r['rtf']:>7.3f} {vram:>10}  {verdict}")
    if "translator" in result:
        t = result["translator"]
        lines.append(f"translator {t['model']}: chrF {t['chrf']}, BLEU {t['bleu']} on {t['pairs']} pair(s), "
                     f"{t['tokens_per_second']} tokens/s")
    return "\n".join(lines)
