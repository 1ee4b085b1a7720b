"""Default speaker backend: windows clustered into voices, then a smoothed labelling of each piece.

1. Each VAD piece is embedded in 1.6 s windows every ``hop_s`` (:mod:`.embed`).
2. The windows of the episode (every n-th when there are more than ``max_cluster_windows``) are
   clustered by average linkage on their cosine distance (threshold ``cluster_threshold``); a
   cluster holding less than ``min_speaker_s`` of windows is noise, not a voice.
3. Each piece is labelled window by window with a Viterbi pass: a window scores its cosine
   similarity to each voice's centroid, a change of speaker costs ``switch_penalty``; so a turn
   inside a piece needs several windows that agree. Centroids are then re-estimated from the
   labels and the pass is run again. A run of windows shorter than ``min_turn_s`` joins its
   neighbour; a change is placed half-way between the two windows' centres, then moved to the
   quietest 20 ms within 0.3 s (a turn in a dialogue almost always falls on a breath).
4. Confidence of a turn: the mean over its windows of the softmax (temperature 0.1) of their
   similarities to the centroids, the share of its own voice; with one voice in the episode, the
   mean cosine similarity to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..log import get_logger
from .embed import SAMPLE_RATE, WINDOW_S, Window

log = get_logger("speakers")

SOFTMAX_T = 0.1


@dataclass
class Part:
    """Speech of one speaker inside one piece: ``label`` is the backend's raw cluster id."""
    segment: int
    start: float
    end: float
    label: int = -1
    confidence: float = 0.0
    vector: np.ndarray | None = None


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def quietest(audio: np.ndarray, t: float, lo: float, hi: float, radius: float = 0.3) -> float:
    """The centre of the quietest 20 ms frame within ``radius`` of ``t`` (kept inside [lo, hi])."""
    a, b = max(lo, t - radius), min(hi, t + radius)
    frame = int(0.02 * SAMPLE_RATE)
    i0, i1 = int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)
    seg = audio[i0:i1]
    n = seg.size // frame
    if n < 2:
        return t
    energy = (seg[:n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1)
    return round((i0 + (int(np.argmin(energy)) + 0.5) * frame) / SAMPLE_RATE, 3)


def voices(x: np.ndarray, threshold: float, min_windows: int, max_windows: int, max_speakers: int | None) -> np.ndarray:
    """Centroids (unit rows) of the voices found among window embeddings ``x``."""
    from scipy.cluster.hierarchy import fcluster, linkage

    step = max(1, int(np.ceil(len(x) / max_windows)))
    sample = x[::step]
    if len(sample) < 2:
        return np.stack([_unit(sample.mean(axis=0))])
    z = linkage(sample.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(z, t=threshold, criterion="distance")
    if max_speakers and labels.max() > max_speakers:
        labels = fcluster(z, t=max_speakers, criterion="maxclust")
    sizes = {k: int((labels == k).sum()) for k in set(labels.tolist())}
    keep = [k for k, n in sorted(sizes.items(), key=lambda kv: -kv[1]) if n * step >= min_windows]
    keep = keep or [max(sizes, key=sizes.get)]
    return np.stack([_unit(sample[labels == k].mean(axis=0)) for k in keep])


def viterbi(sims: np.ndarray, penalty: float) -> np.ndarray:
    """Best label path through ``sims`` (windows x voices): sum of similarities minus ``penalty`` a change."""
    n, k = sims.shape
    score = sims[0].copy()
    back = np.zeros((n, k), int)
    for i in range(1, n):
        best = int(np.argmax(score))
        move = score[best] - penalty
        back[i] = np.where(score >= move, np.arange(k), best)
        score = np.maximum(score, move) + sims[i]
    path = np.zeros(n, int)
    path[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(first, last + 1, label) of the runs of equal labels."""
    out, i = [], 0
    while i < len(labels):
        j = i
        while j < len(labels) and labels[j] == labels[i]:
            j += 1
        out.append((i, j, int(labels[i])))
        i = j
    return out


def _absorb_short(labels: np.ndarray, min_windows: int) -> np.ndarray:
    """Runs shorter than ``min_windows`` (not the whole piece) take the label of their longer neighbour."""
    labels = labels.copy()
    while True:
        runs = _runs(labels)
        short = [r for r in runs if r[1] - r[0] < min_windows]
        if len(runs) < 2 or not short:
            return labels
        i = runs.index(min(short, key=lambda r: r[1] - r[0]))
        near = [r for r in (runs[i - 1] if i > 0 else None, runs[i + 1] if i + 1 < len(runs) else None) if r]
        labels[runs[i][0]:runs[i][1]] = max(near, key=lambda r: r[1] - r[0])[2]


def _confidence(sims: np.ndarray, own: int) -> float:
    if sims.shape[1] == 1:
        return float(max(0.0, sims[:, 0].mean()))
    e = np.exp((sims - sims.max(axis=1, keepdims=True)) / SOFTMAX_T)
    return float((e[:, own] / e.sum(axis=1)).mean())


def label_piece(seg_id: int, a: float, b: float, wins: list[Window], cents: np.ndarray, audio: np.ndarray,
                opts) -> list[Part]:
    """The piece's turns: Viterbi labels of its windows, short runs absorbed, changes on quiet frames."""
    sims = np.stack([w.vector for w in wins]) @ cents.T
    labels = _absorb_short(viterbi(sims, opts.switch_penalty), max(1, int(round(opts.min_turn_s / opts.hop_s))))
    runs = _runs(labels)
    edges = [a]
    for _, j, _ in runs[:-1]:
        t = ((wins[j - 1].start + wins[j - 1].end) / 2 + (wins[j].start + wins[j].end) / 2) / 2
        edges.append(quietest(audio, t, max(edges[-1], a) + 0.2, b - 0.2))
    edges.append(b)
    return [Part(seg_id, round(s, 3), round(e, 3), lab, round(_confidence(sims[i:j], lab), 3))
            for (i, j, lab), s, e in zip(runs, edges, edges[1:])]


def _centroids(parts: list[Part], by_seg: dict[int, list[Window]]) -> np.ndarray | None:
    """Centroids re-estimated from the windows each voice was given (labels renumbered 0..k-1)."""
    labs, vecs = [], []
    for p in parts:
        for w in by_seg.get(p.segment, []):
            if p.label >= 0 and p.start <= (w.start + w.end) / 2 < p.end:
                labs.append(p.label)
                vecs.append(w.vector)
    if not labs:
        return None
    la, va = np.array(labs), np.stack(vecs)
    return np.stack([_unit(va[la == k].mean(axis=0)) for k in sorted(set(labs))])


def fill_unlabelled(parts: list[Part]) -> int:
    """Parts too short to embed take the label of the closest labelled part in time (confidence 0)."""
    labelled = [p for p in parts if p.label >= 0]
    n = 0
    for p in parts:
        if p.label < 0 and labelled:
            near = min(labelled, key=lambda q: min(abs(q.start - p.end), abs(p.start - q.end)))
            p.label, p.confidence = near.label, 0.0
            n += 1
    return n


def merge_same(parts: list[Part]) -> list[Part]:
    """Adjacent parts of one piece with the same label become one (that change point is dropped)."""
    out: list[Part] = []
    for p in parts:
        if out and out[-1].segment == p.segment and out[-1].label == p.label:
            q = out[-1]
            w1, w2 = q.end - q.start, p.end - p.start
            q.confidence = round((q.confidence * w1 + p.confidence * w2) / max(w1 + w2, 1e-9), 3)
            q.end = p.end
        else:
            out.append(p)
    return out


def resemblyzer_parts(audio: np.ndarray, pieces: list[tuple[int, float, float]], opts) -> list[Part]:
    """Speaker parts of every piece with the resemblyzer encoder (labels are raw voice indices)."""
    from .embed import VoiceEncoder, embed_pieces

    encoder = VoiceEncoder(batch_size=opts.batch_size)
    windows = embed_pieces(audio, pieces, encoder, opts.hop_s)
    if not windows:
        return [Part(seg_id, a, b) for seg_id, a, b in pieces]
    min_windows = max(1, int(round(opts.min_speaker_s / opts.hop_s)))
    cents = voices(np.stack([w.vector for w in windows]), opts.cluster_threshold, min_windows,
                   opts.max_cluster_windows, opts.max_speakers)
    by_seg: dict[int, list[Window]] = {}
    for w in windows:
        by_seg.setdefault(w.segment, []).append(w)
    parts: list[Part] = []
    for rnd in range(2):  # label, re-estimate the centroids from the labels, label again
        parts = []
        for seg_id, a, b in pieces:
            wins = by_seg.get(seg_id)
            parts += label_piece(seg_id, a, b, wins, cents, audio, opts) if wins else [Part(seg_id, a, b)]
        new = _centroids(parts, by_seg) if rnd == 0 else None
        if new is None:
            break
        cents = new
    short = fill_unlabelled(parts)
    if short:
        log.info("%d piece(s) too short to embed took the speaker of their nearest neighbour (confidence 0)", short)
    log.info("%d windows of up to %.1f s over %d pieces, %d voice(s)", len(windows), WINDOW_S, len(pieces), len(cents))
    return merge_same(parts)
