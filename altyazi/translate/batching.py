"""Cut an episode's lines into batches at the longest pauses."""

from __future__ import annotations


def cut_batches(lines: list[dict], batch_lines: int) -> list[list[dict]]:
    """Split ``lines`` (dicts with ``start``/``end`` in seconds, in time order) into batches of at most
    ``batch_lines``. Each cut is placed at the longest pause between two lines among the cut points
    that give a batch of ``ceil(batch_lines/2)`` to ``batch_lines`` lines, so a scene change or a long
    silence separates batches rather than the middle of an exchange. Every line is in exactly one
    batch, order kept."""
    if batch_lines < 1:
        raise ValueError("batch_lines must be >= 1")
    batches, i, n = [], 0, len(lines)
    lo = max(1, (batch_lines + 1) // 2)
    while i < n:
        if n - i <= batch_lines:
            batches.append(lines[i:])
            break
        best_j, best_gap = i + batch_lines, float("-inf")
        for j in range(i + lo, i + batch_lines + 1):  # batch = lines[i:j], cut before lines[j]
            gap = lines[j].start - lines[j - 1].end
            if gap >= best_gap:  # on a tie the later cut wins: fuller batches, fewer prompts
                best_j, best_gap = j, gap
        batches.append(lines[i:best_j])
        i = best_j
    return batches
