"""Speaker turns measured on episodes whose turns are known (``make bench`` calls :func:`run`).

Two test episodes, both built here, deterministic:

* ``clips``: a dialogue cut from the real clips (different scenes and voices of the series): one
  single-sentence VAD piece of each of four clips, each cut in two at its quietest point near the
  middle, laid out A1 B1 A2 B2 (scene 1) then C1 D1 C2 D2 (scene 2) with 0.1-0.6 s gaps (gaps under
  the VAD's 300 ms join two turns into one piece: the change falls inside it). The truth assumes
  one voice per clip piece; the same actor in two scenes would count against us.
* ``espeak``: fully synthetic turns between two espeak-ng voices (``tr+m3``, ``tr+f2``), 12 turns.
  (espeak's male variants m1/m3/default are nearly the same voice to the encoder: cosine 0.86-0.92.)

Figures, against those truths: change-point precision/recall (a change is the middle of the gap
between two turns of different speakers; a hit is within 0.25 s, one-to-one), and the diarization
error rate (missed + false alarm + confusion over reference speech, speakers mapped one-to-one by
the Hungarian assignment, 10 ms frames), with no collar and with a 0.25 s collar around reference
boundaries. The padded VAD pieces (400 ms) count as false alarm without a collar.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from altyazi.audio import SAMPLE_RATE, load_wav
from altyazi.log import get_logger
from altyazi.speakers import SpeakerOptions, diarize
from altyazi.vad import VadOptions, detect_speech

log = get_logger("bench")
TOLERANCE_S = 0.25
FRAME_S = 0.01
# (clip, start, end) of single-sentence VAD pieces (silero, no padding) of the shared clips
CLIP_SPEAKERS = {"A": ("1-0013", 0.064, 2.46), "B": ("2-0050-2", 2.432, 5.152),
                 "C": ("1-0100-2", 0.544, 4.992), "D": ("2-0100-2", 3.328, 5.852)}
CLIP_ORDER = [("A", 0), ("B", 0), ("A", 1), ("B", 1), ("C", 0), ("D", 0), ("C", 1), ("D", 1)]
CLIP_GAPS = [0.5, 0.15, 0.6, 1.5, 0.2, 0.45, 0.1]
ESPEAK_LINES = ["Nereye gidiyorsun bu saatte?", "Eve dönüyorum, çok yoruldum.", "Seni bekliyordum aslında.",
                "Neden haber vermedin bana?", "Telefonum kapalıydı, özür dilerim.", "Peki.",
                "Yarın sabah erkenden konuşalım mı?", "Olur, ama önce annemi aramam lazım.", "Tamam, bekliyorum.",
                "Bu konuyu kimseye söyleme lütfen.", "Söz veriyorum.", "İyi geceler o zaman, kendine dikkat et."]
ESPEAK_VOICES = ("tr+m3", "tr+f2")
ESPEAK_GAPS = [0.4, 0.15, 0.7, 0.25, 0.5, 0.1, 0.9, 0.3, 0.2, 0.6, 0.35]


def _halves(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut at the quietest 20 ms frame of the middle third (a word boundary, most likely)."""
    f = int(0.02 * SAMPLE_RATE)
    lo, hi = audio.size // 3, 2 * audio.size // 3
    n = (hi - lo) // f
    energy = (audio[lo:lo + n * f].astype(np.float64).reshape(n, f) ** 2).mean(axis=1)
    cut = lo + int(np.argmin(energy)) * f + f // 2
    return audio[:cut], audio[cut:]


def _assemble(turns: list[tuple[str, np.ndarray]], gaps: list[float], lead: float = 1.0) -> tuple[np.ndarray, list[tuple]]:
    """Turns with ``gaps`` between them (and ``lead`` s of silence around); truth (start, end, speaker)."""
    from tools.samples import level_to

    chunks, truth, pos = [np.zeros(int(lead * SAMPLE_RATE), np.float32)], [], lead
    for i, (spk, audio) in enumerate(turns):
        audio = level_to(audio, -30.0)
        chunks.append(audio)
        truth.append((round(pos, 3), round(pos + audio.size / SAMPLE_RATE, 3), spk))
        pos += audio.size / SAMPLE_RATE
        gap = gaps[i] if i < len(gaps) else lead
        chunks.append(np.zeros(int(gap * SAMPLE_RATE), np.float32))
        pos += int(gap * SAMPLE_RATE) / SAMPLE_RATE
    return np.concatenate(chunks), truth


def clips_episode(clips_dir: Path) -> tuple[np.ndarray, list[tuple]]:
    halves = {}
    for spk, (clip, a, b) in CLIP_SPEAKERS.items():
        audio = load_wav(clips_dir / f"{clip}.wav")
        halves[spk] = _halves(audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)])
    return _assemble([(spk, halves[spk][k]) for spk, k in CLIP_ORDER], CLIP_GAPS)


def espeak_episode() -> tuple[np.ndarray, list[tuple]]:
    from tools.samples import espeak

    turns = [(ESPEAK_VOICES[i % 2], espeak(line, ESPEAK_VOICES[i % 2])) for i, line in enumerate(ESPEAK_LINES)]
    return _assemble(turns, ESPEAK_GAPS)


def changes(turns: list[tuple]) -> list[float]:
    """Middle of the gap between consecutive turns (time order) of different speakers."""
    turns = sorted(turns)
    return [round((a[1] + b[0]) / 2, 3) for a, b in zip(turns, turns[1:]) if a[2] != b[2]]


def change_scores(ref: list[float], hyp: list[float], tol: float = TOLERANCE_S) -> dict:
    """Precision/recall of ``hyp`` change times against ``ref``, one-to-one matches within ``tol``."""
    pairs = sorted((abs(r - h), i, j) for i, r in enumerate(ref) for j, h in enumerate(hyp) if abs(r - h) <= tol)
    used_r, used_h = set(), set()
    for _, i, j in pairs:
        if i not in used_r and j not in used_h:
            used_r.add(i)
            used_h.add(j)
    hits = len(used_r)
    return {"reference": len(ref), "hypothesis": len(hyp), "hits": hits,
            "precision": round(hits / len(hyp), 3) if hyp else None, "recall": round(hits / len(ref), 3) if ref else None}


def _frames(turns: list[tuple], n: int, names: dict[str, int]) -> np.ndarray:
    lab = np.full(n, -1, int)
    for s, e, spk in turns:
        lab[int(round(s / FRAME_S)):int(round(e / FRAME_S))] = names.setdefault(spk, len(names))
    return lab


def der(ref: list[tuple], hyp: list[tuple], duration: float, collar: float = 0.0) -> dict:
    """Diarization error rate (no overlapped speech in these episodes, so one label per frame)."""
    from scipy.optimize import linear_sum_assignment

    n = int(np.ceil(duration / FRAME_S)) + 1
    rnames: dict[str, int] = {}
    hnames: dict[str, int] = {}
    r, h = _frames(ref, n, rnames), _frames(hyp, n, hnames)
    keep = np.ones(n, bool)
    for s, e, _ in ref:  # the collar: frames near a reference boundary are not scored
        for t in (s, e):
            keep[max(0, int(round((t - collar) / FRAME_S))):int(round((t + collar) / FRAME_S))] = False
    r, h = r[keep], h[keep]
    overlap = np.zeros((len(rnames), max(1, len(hnames))))
    both = (r >= 0) & (h >= 0)
    np.add.at(overlap, (r[both], h[both]), 1)
    rows, cols = linear_sum_assignment(-overlap)
    correct = overlap[rows, cols].sum()
    total = float((r >= 0).sum())
    missed, false_alarm = float(((r >= 0) & (h < 0)).sum()), float(((r < 0) & (h >= 0)).sum())
    confusion = float(both.sum() - correct)
    return {"der": round((missed + false_alarm + confusion) / total, 3) if total else None, "collar_s": collar,
            "missed_s": round(missed * FRAME_S, 2), "false_alarm_s": round(false_alarm * FRAME_S, 2),
            "confusion_s": round(confusion * FRAME_S, 2), "reference_s": round(total * FRAME_S, 2)}


def measure(audio: np.ndarray, truth: list[tuple], opts: SpeakerOptions) -> dict:
    """VAD (default options) + the speakers stage, scored against ``truth``."""
    pieces = detect_speech(audio, VadOptions())
    t0 = time.perf_counter()
    doc = diarize(audio, pieces, opts)
    seconds = time.perf_counter() - t0
    hyp = [(t["start"], t["end"], t["speaker"]) for t in doc["turns"]]
    duration = audio.size / SAMPLE_RATE
    inside = sum(len(s["changes"]) for s in doc["segments"])
    ref_inside = sum(1 for c in changes(truth) if any(p.start < c < p.end for p in pieces))
    return {"audio_s": round(duration, 2), "pieces": len(pieces), "turns_true": len(truth),
            "speakers_true": len({t[2] for t in truth}), "speakers_found": len(doc["speakers"]),
            "changes": change_scores(changes(truth), changes(hyp)),
            "changes_inside_pieces": {"reference": ref_inside, "hypothesis": inside},
            "der": der(truth, hyp, duration), "der_collar": der(truth, hyp, duration, TOLERANCE_S),
            "seconds": round(seconds, 2), "rtf": round(seconds / duration, 4)}


def dialogue_share(cues_json: Path) -> dict | None:
    """Share of the French cues written as a two-speaker dialogue (cues.json ``dialogue``)."""
    from altyazi.recordfiles import read_record_file

    if not cues_json.is_file():
        log.info("speaker bench: %s not found (run `make demo` first): no dialogue-cue share", cues_json)
        return None
    cues = [c for c in read_record_file(cues_json, "cues")["cues"] if c["text"]]
    n = sum(bool(c.get("dialogue")) for c in cues)
    return {"file": str(cues_json), "cues": len(cues), "dialogue": n, "percent": round(100 * n / len(cues), 1) if cues else 0.0}


def run(clips_dir: Path, demo_cues: Path | None = None, options: dict | None = None) -> dict:
    """Every figure of this module (the ``speakers`` entry of bench/results.json)."""
    opts = SpeakerOptions.from_config(options)
    out = {"options": vars(opts) if hasattr(opts, "__dict__") else {}, "tolerance_s": TOLERANCE_S}
    out["clips"] = measure(*clips_episode(clips_dir), opts)
    out["espeak"] = measure(*espeak_episode(), opts)
    if demo_cues is not None:
        out["demo_dialogue_cues"] = dialogue_share(demo_cues)
    return out


def render_markdown(r: dict) -> list[str]:
    lines = ["## Speaker turns", "", f"Change points within {r['tolerance_s']} s; DER without / with a "
             f"{r['tolerance_s']} s collar (10 ms frames, Hungarian speaker mapping).", "",
             "| episode | turns | speakers true/found | change P | change R | changes inside pieces ref/found "
             "| DER | DER collar | miss/FA/conf s | RTF |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("clips", "espeak"):
        m = r[name]
        c, d, dc = m["changes"], m["der"], m["der_collar"]
        lines.append(f"| {name} | {m['turns_true']} | {m['speakers_true']}/{m['speakers_found']} | {c['precision']} | "
                     f"{c['recall']} | {m['changes_inside_pieces']['reference']}/{m['changes_inside_pieces']['hypothesis']} | "
                     f"{d['der']} | {dc['der']} | {dc['missed_s']}/{dc['false_alarm_s']}/{dc['confusion_s']} | {m['rtf']} |")
    share = r.get("demo_dialogue_cues")
    if share:
        lines += ["", f"Demo: {share['dialogue']} of {share['cues']} French cues are two-speaker dialogue cues "
                      f"({share['percent']} %)."]
    return lines + [""]
