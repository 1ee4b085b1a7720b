"""Disk cache of finished batches: a JSON-lines file beside the episode's outputs.

It lives in ``results/{ep}/.cache/translate/`` and is *not* a declared Snakemake output, because
Snakemake deletes a rule's outputs before rerunning it: a killed or rerun translate job must find
the batches it already paid for. Each finished batch is appended and fsynced at once, so a run
killed mid-episode loses at most the batch in flight; a torn last line (killed while writing) is
skipped on reading. Keys hash everything that decides a batch's answer (model, prompt version,
rendered prompts, generation settings), so a stale entry can never be reused by mistake.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..log import get_logger

log = get_logger("translate.cache")


def cache_key(*parts: Any) -> str:
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class BatchCache:
    """``get(key)`` / ``put(key, value)`` over ``<folder>/batches.jsonl``; folder None = no cache."""

    def __init__(self, folder: str | Path | None):
        self.path = Path(folder) / "batches.jsonl" if folder else None
        self.entries: dict[str, Any] = {}
        if self.path and self.path.is_file():
            torn = 0
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                        self.entries[rec["key"]] = rec["value"]
                    except (json.JSONDecodeError, KeyError, TypeError):
                        torn += 1
            log.info("translation cache %s: %d finished batches%s", self.path, len(self.entries),
                     f", {torn} torn line(s) skipped" if torn else "")

    def get(self, key: str) -> Any | None:
        return self.entries.get(key)

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": key, "value": value}, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
