"""altyazi.asr.align.ctc_path: the best CTC path, also where ctc_forced_aligner's kernel alone
writes past its back-pointer table (frames fewer than about twice the targets)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from altyazi.asr.align import ctc_path
from tests.conftest import ROOT

pytest.importorskip("ctc_forced_aligner")


def viterbi_score(lp: np.ndarray, targets: list[int], blank: int) -> float:
    """The best CTC path's log-probability, written plainly (the outside reference)."""
    labels = [blank if s % 2 == 0 else targets[s // 2] for s in range(2 * len(targets) + 1)]
    alpha = np.full(len(labels), -np.inf)
    alpha[0], alpha[1] = lp[0, blank], lp[0, labels[1]]
    for t in range(1, lp.shape[0]):
        new = np.full(len(labels), -np.inf)
        for s, lab in enumerate(labels):
            best = alpha[s]
            if s >= 1:
                best = max(best, alpha[s - 1])
            if s >= 2 and lab != blank and lab != labels[s - 2]:
                best = max(best, alpha[s - 2])
            new[s] = best + lp[t, lab]
        alpha = new
    return float(max(alpha[-1], alpha[-2]))


def collapse(path: np.ndarray, blank: int) -> list[int]:
    out, prev = [], None
    for c in path.tolist():
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def random_case(rng: np.random.Generator, slack_factor: float):
    n = int(rng.integers(1, 30))
    targets = [int(x) for x in rng.integers(1, 8, n)]
    for i in range(1, n):
        if rng.random() < 0.25:
            targets[i] = targets[i - 1]
    repeats = sum(a == b for a, b in zip(targets, targets[1:]))
    frames = n + repeats + int(slack_factor * (n + repeats))
    lp = np.log(rng.dirichlet(np.ones(9), frames)).astype(np.float32)
    return lp, targets


@pytest.mark.parametrize("slack_factor", [0.0, 0.3, 0.9, 2.5])
def test_the_path_is_the_best_one_and_spells_the_targets(slack_factor):
    rng = np.random.default_rng(int(slack_factor * 10))
    for _ in range(40):
        lp, targets = random_case(rng, slack_factor)
        path, scores = ctc_path(lp, targets, blank=0)
        assert path.shape == (lp.shape[0],) and collapse(path, 0) == targets
        assert np.allclose(scores, lp[np.arange(lp.shape[0]), path])
        assert float(scores.sum()) == pytest.approx(viterbi_score(lp, targets, 0), abs=1e-3)


def test_too_few_frames_is_an_error_not_a_call():
    with pytest.raises(ValueError, match="cannot hold"):
        ctc_path(np.zeros((3, 5), np.float32), [1, 1, 2], blank=0)  # 3 targets + 1 repeat in 3 frames


def test_dense_windows_leave_the_heap_intact():
    """Hundreds of windows with frames close to the targets, under glibc's heap checks: the bare
    kernel aborts this process (the bench crashed so), ctc_path must not."""
    code = ("import numpy as np\n"
            "from altyazi.asr.align import ctc_path\n"
            "from tests.test_ctc_path import random_case\n"
            "rng = np.random.default_rng(5)\n"
            "for _ in range(400):\n"
            "    lp, t = random_case(rng, float(rng.choice([0.0, 0.2, 0.5])))\n"
            "    ctc_path(lp, t, blank=0)\n"
            "print('ok')\n")
    env = {**os.environ, "MALLOC_CHECK_": "3", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
