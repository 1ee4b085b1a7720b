"""Measure how well a two-sentence segment's French is split between two cues.

Synthetic but checkable: pairs of Tatoeba Turkish/French sentences are joined into one segment,
Turkish words get times from their length (~14 characters per second, as in TV dialogue) and an
optional pause between the sentences; the right split is the sentence boundary in both
languages. Compares the cue builder's joint split (:func:`altyazi.subtitles.cues._split_once`)
with a plain proportional split (French cut at the character fraction of the Turkish time).

Run: ``python -m tools.measure_split /path/tatoeba-tr-fr.dev.tsv``
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys

from altyazi.records import Word
from altyazi.subtitles.cues import Cue, _split_once
from altyazi.subtitles.linebreak import tokenize

CPS_TR = 14.0


def _words(text: str, t0: float, strip_punct: bool) -> tuple[list[Word], float]:
    out, t = [], t0
    for tok in tokenize(text):
        d = (len(tok) + 1) / CPS_TR
        out.append(Word(t, t + d * 0.9, re.sub(r"[.?!,;:]+$", "", tok) if strip_punct else tok))
        t += d
    return out, t


def _proportional(cue: Cue, k: int | None = None) -> tuple[int, int]:
    """French cut at the character fraction of the Turkish time at boundary ``k`` (by default the
    word boundary nearest the middle)."""
    words, toks = cue.words, cue.fr_tokens
    t0, t1 = words[0].start, words[-1].end
    if k is None:
        k = min(range(1, len(words)), key=lambda k: abs((words[k].start - t0) / (t1 - t0) - 0.5))
    ft = (words[k].start - t0) / (t1 - t0)
    total = sum(len(t) + 1 for t in toks)
    acc, best = 0, (1, 9.0)
    for m in range(1, len(toks)):
        acc += len(toks[m - 1]) + 1
        if abs(acc / total - ft) < best[1]:
            best = (m, abs(acc / total - ft))
    return k, best[0]


def measure(pairs: list[tuple[str, str]], n: int = 300, seed: int = 0) -> dict:
    rng = random.Random(seed)
    pairs = [p for p in pairs if len(tokenize(p[0])) >= 2 and len(tokenize(p[1])) >= 2]
    results: dict[str, dict[str, int]] = {}
    for case in ("punct+pause", "punct, no pause", "no Turkish punct, pause", "no Turkish punct, no pause"):
        strip = case.startswith("no Turkish")
        pause = 0.0 if "no pause" in case else 0.4
        hits = {"builder_fr": 0, "builder_both": 0, "proportional_fr": 0, "proportional_both": 0,
                "proportional_fr_true_tr_cut": 0}
        for _ in range(n):
            (tr_a, fr_a), (tr_b, fr_b) = rng.sample(pairs, 2)
            wa, t = _words(tr_a, 0.0, strip)
            wb, _ = _words(tr_b, t + pause, strip)
            cue = Cue(wa + wb, tokenize(fr_a) + tokenize(fr_b), [0])
            left, _right = _split_once(cue)
            k_ok, m_ok = len(left.words) == len(wa), len(left.fr_tokens) == len(tokenize(fr_a))
            hits["builder_fr"] += m_ok
            hits["builder_both"] += k_ok and m_ok
            k, m = _proportional(cue)
            hits["proportional_fr"] += m == len(tokenize(fr_a))
            hits["proportional_both"] += k == len(wa) and m == len(tokenize(fr_a))
            hits["proportional_fr_true_tr_cut"] += _proportional(cue, len(wa))[1] == len(tokenize(fr_a))
        results[case] = {key: round(100 * v / n, 1) for key, v in hits.items()}
    return {"pairs": n, "percent_exact": results}


def main(argv: list[str]) -> None:
    with open(argv[0], encoding="utf-8") as fh:
        pairs = [(r["turkish"], r["french"]) for r in csv.DictReader(fh, delimiter="\t")]
    print(json.dumps(measure(pairs), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
