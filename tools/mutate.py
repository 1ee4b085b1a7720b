"""Does the fast suite catch what it claims to? Put realistic one-line bugs into the code, one at a
time, run the fast tests near each, and count how many fail (caught) and how many pass (survived).

    python -m tools.mutate            # every mutation
    python -m tools.mutate qc io      # only those whose name starts with one of these

The checkout is changed in place and always restored (even on Ctrl-C); run it on a clean worktree.
Not a test: it takes minutes, and its answer is a tally for a person to read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS = [
    # the four survivors of issue 17
    Mutation("qc-any-flag-excuses", "altyazi/subtitles/qc.py", "if flag and (flag in c.flags or", "if flag and (bool(c.flags) or",
             ("tests/test_qc.py", "tests/test_mutations.py")),
    Mutation("io-direct-write", "altyazi/io.py",
             '    with atomic_path(path) as tmp:\n        with open(tmp, "w", encoding="utf-8") as fh:',
             '    if True:\n        with open(path, "w", encoding="utf-8") as fh:',
             ("tests/test_mutations.py", "tests/test_disk.py")),
    Mutation("whisper-neighbour-piece", "altyazi/asr/packing.py", "out[i].append(Word(",
             "out[window.members[min(window.members.index(i) + 1, len(window.members) - 1)]].append(Word(",
             ("tests/test_mutations.py", "tests/test_asr_chain.py")),
    Mutation("parse-count-off-by-one", "altyazi/translate/parse.py", "if len(order) < count:",
             "if len(order) < count - 1:", ("tests/test_translate.py", "tests/test_mutations.py")),
    # more, of the kind a tired maintainer writes
    Mutation("timing-late-start-one-frame-more", "altyazi/subtitles/timing.py",
             "> rules.max_start_offset_frames * frame + EPS", "> (rules.max_start_offset_frames + 1) * frame + EPS",
             ("tests/test_mutations.py", "tests/test_cues.py", "tests/test_qc.py")),
    Mutation("timing-chain-to-turkish-only", "altyazi/subtitles/timing.py",
             "shows_next = i + 1 < len(cues) and bool(cues[i + 1].text)", "shows_next = i + 1 < len(cues)",
             ("tests/test_cues.py",)),
    Mutation("rules-frame-up-rounds-down", "altyazi/subtitles/rules.py", "math.ceil(t * self.fps - 1e-6)",
             "math.floor(t * self.fps + 1e-6)", ("tests/test_cues.py", "tests/test_qc.py")),
    Mutation("qc-gap-boundary", "altyazi/subtitles/qc.py", "int(-EPS <= gap < rules.min_gap_s - EPS)",
             "int(-EPS <= gap < rules.min_gap_s - rules.frame)", ("tests/test_mutations.py", "tests/test_qc.py", "tests/test_cues.py")),
    Mutation("episode-id-allows-dots", "schemas/episodes.schema.yaml", 'pattern: "^[A-Za-z0-9][A-Za-z0-9_-]*$"',
             'pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$"', ("tests/test_mutations.py", "tests/test_episodes.py", "tests/test_inputs.py")),
    Mutation("youtu-be-host-typo", "altyazi/episodes.py", 'if host == "youtu.be":', 'if host == "youtube.be":',
             ("tests/test_inputs.py", "tests/test_episodes.py")),
    Mutation("sheet-trailing-tabs", "altyazi/episodes.py", "cells = _trim_empty_tail(cells, keep=len(columns))",
             "cells = list(cells)", ("tests/test_inputs.py", "tests/test_episodes.py")),
    Mutation("cli-asr-chain-skips-first", "altyazi/cli.py", "links[links.index(asr):]",
             "links[links.index(asr) + 1:]", ("tests/test_cli.py",)),
    Mutation("download-410-unclassified", "altyazi/download.py", 'r"http error 404|http error 410"',
             'r"http error 404"', ("tests/test_mutations.py", "tests/test_download.py",)),
    Mutation("stage-error-exits-0", "altyazi/stage.py", "failed(str(err), 1)", "failed(str(err), 0)",
             ("tests/test_disk.py", "tests/test_log.py", "tests/test_gpu_lock.py")),
    Mutation("resolve-path-always-joins", "altyazi/settings.py",
             "return candidate if os.path.exists(candidate) else ref", "return candidate",
             ("tests/test_settings.py", "tests/test_profiles.py")),
    Mutation("translate-context-one-short", "altyazi/translate/engine.py", "units[max(0, start - self.context_lines):start]",
             "units[max(0, start - self.context_lines + 1):start]", ("tests/test_mutations.py", "tests/test_translate.py",)),
    Mutation("gpu-lock-shared", "altyazi/gpulock.py", "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n        return",
             "fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)\n        return", ("tests/test_gpu_lock.py",)),
    Mutation("disk-check-in-kib", "altyazi/diskspace.py", "    if free < needed:\n", "    if free < needed // 1024:\n",
             ("tests/test_disk.py",)),
    Mutation("config-unknown-keys-allowed", "schemas/config.schema.yaml", "silently ignored.\nadditionalProperties: false",
             "silently ignored.\nadditionalProperties: true", ("tests/test_inputs.py",)),
    Mutation("config-nested-unknown-allowed", "altyazi/config_check.py", 'if err.validator == "additionalProperties"',
             'if err.validator == "additionalProperty"', ("tests/test_inputs.py",)),
    Mutation("source-key-ignores-symlinks", "altyazi/episodes.py", 'return ("file", st.st_dev, st.st_ino)',
             'return ("path", os.path.normpath(path))', ("tests/test_inputs.py",)),
]


def run_one(m: Mutation, timeout: int = 600) -> tuple[str, float]:
    path = ROOT / m.path
    original = path.read_text(encoding="utf-8")
    if original.count(m.old) != 1:
        return f"NOT APPLIED ({m.old!r} found {original.count(m.old)} times)", 0.0
    t0 = time.monotonic()
    try:
        path.write_text(original.replace(m.old, m.new), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-m", "not slow", "-p", "no:cacheprovider",
                               *m.tests], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
        verdict = ("caught: " + (failed[0][7:120] if failed else f"exit {proc.returncode}")) if proc.returncode else "SURVIVED"
    except subprocess.TimeoutExpired:
        verdict = "caught: timeout"
    finally:
        path.write_text(original, encoding="utf-8")
    return verdict, time.monotonic() - t0


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTATIONS if not argv or any(m.name.startswith(a) for a in argv)]
    caught = 0
    for m in chosen:
        verdict, seconds = run_one(m)
        caught += verdict.startswith("caught")
        print(f"{m.name:34s} {seconds:5.1f} s  {verdict}", flush=True)
    print(f"{caught} of {len(chosen)} mutations caught by the fast tests")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
