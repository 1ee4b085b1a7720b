"""Per-series memory of tutoiement/vouvoiement between pairs of characters, shared by episodes.

The file (``translate.memory``, e.g. ``series_memory.json`` in the working directory) holds
``{"address": {"Seher -> Yaman": {"form": "vous", "episode": "e01"}}}`` (``conflicts``: how many
contradicting reports later episodes made). The chat model
reports the forms it chose (``ADDRESS:`` lines); a pair, once known, is given to every later prompt
that mentions both characters, in this episode and the next ones.

Order: Snakemake may translate episodes in any order (or two at once on two GPUs). So (1) every
update re-reads the file under an exclusive lock and merges, never overwriting another episode's
entries; (2) the first form recorded for a pair wins, and a contradicting report is only counted
(``conflicts``) and logged; (3) an episode ignores the entries it wrote itself when it builds its
prompts, so rerunning the same episode gives the same prompts (and hits its cache). The result
still depends on which episode first met a pair: run episodes in order (`make all` does with one
GPU) when that matters, or write the pairs you want into the file by hand before the first run.
The file is deliberately not a Snakemake input: otherwise every episode would rerun whenever another
one learnt a pair.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
from pathlib import Path

from ..io import atomic_write_json
from ..log import get_logger

log = get_logger("translate.memory")
_LABEL = re.compile(r"^S\d+$")


def is_label(side: str) -> bool:
    """An anonymous speaker of this episode (``S3``, from speakers.json), not a character's name."""
    return bool(_LABEL.match(side.strip()))


def _mentions(text: str, side: str) -> bool:
    """A label must occur as a word (S1 is not in S12); a name as written, case-insensitive."""
    if is_label(side):
        return re.search(rf"\b{re.escape(side)}\b", text) is not None
    return side.casefold() in text.casefold()


def pair_key(speaker: str, addressee: str) -> str:
    return f"{speaker.strip()} -> {addressee.strip()}"


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read(path: Path) -> dict:
    if not path.is_file():
        return {"address": {}}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as err:
        log.warning("series memory %s is unreadable (%s): starting from an empty memory; "
                    "fix or delete the file", path, err)
        return {"address": {}}
    data.setdefault("address", {})
    return data


class SeriesMemory:
    """Address forms known before this episode plus those learnt during it."""

    def __init__(self, path: str | Path | None, episode: str):
        self.path = Path(path) if path else None
        self.episode = episode
        self.known: dict[str, str] = {}
        self.learnt: dict[str, str] = {}
        self.local: dict[str, str] = {}  # pairs with a speaker label: valid in this episode only, never saved
        if self.path:
            for pair, rec in _read(self.path)["address"].items():
                if rec.get("episode") != episode:
                    self.known[pair] = rec["form"]
            log.info("series memory %s: %d address pair(s) from other episodes", self.path, len(self.known))

    def forms(self) -> dict[str, str]:
        return {**self.local, **self.learnt, **self.known}

    def relevant(self, text: str) -> list[tuple[str, str]]:
        """Pairs whose two characters both occur in ``text``, sorted."""
        out = []
        for pair, form in sorted(self.forms().items()):
            a, _, b = pair.partition(" -> ")
            if a and b and _mentions(text, a) and _mentions(text, b):
                out.append((pair, form))
        return out

    def observe(self, speaker: str, addressee: str, form: str, said: str | None = None) -> None:
        """Record a form the model reported; the first form of a pair wins. A pair with a speaker
        label (``S1 -> S2``) is kept for this episode only (labels are per episode); a name that
        occurs nowhere in ``said`` (the batch's Turkish and glossary names) is invented: not kept."""
        key, form = pair_key(speaker, addressee), form.lower()
        if form not in ("tu", "vous") or not speaker.strip() or not addressee.strip():
            return
        invented = [n for n in (speaker, addressee) if said is not None and not is_label(n) and not _mentions(said, n)]
        if invented:
            log.info("address %s: not recorded, %s named in none of the lines", key, " and ".join(invented))
            return
        old = self.forms().get(key)
        if old is None:
            (self.local if is_label(speaker) or is_label(addressee) else self.learnt)[key] = form
        elif old != form:
            log.info("address %s: model said %s, memory keeps %s", key, form, old)

    def save(self) -> None:
        """Merge what this episode learnt into the file (locked read-merge-write, atomic)."""
        if not self.path or not self.learnt:
            return
        with _locked(self.path):
            data = _read(self.path)
            for key, form in self.learnt.items():
                rec = data["address"].get(key)
                if rec is None or rec.get("episode") == self.episode:
                    data["address"][key] = {"form": form, "episode": self.episode}
                elif rec["form"] != form:
                    rec["conflicts"] = int(rec.get("conflicts", 0)) + 1
            atomic_write_json(self.path, data)
        log.info("series memory %s: %d pair(s) recorded by episode %s", self.path, len(self.learnt), self.episode)
