"""The series glossary (``glossary.tsv``: turkish, french, note) and the terms relevant to a batch."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..turkish import turkish_lower


@dataclass(frozen=True)
class Term:
    turkish: str
    french: str
    note: str = ""

    @property
    def forms(self) -> list[str]:
        """Spellings to look for: the ``turkish`` column may list stems separated by "|", for
        consonant softening (konak|konağ: konağında) or variants (abi|ağabey)."""
        return [f.strip() for f in self.turkish.split("|") if f.strip()]

    @property
    def display(self) -> str:
        return self.forms[0]




def load_glossary(path: str | Path | None) -> list[Term]:
    """Read the TSV (header ``turkish french note``); None or "" gives an empty glossary."""
    if not path:
        return []
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"glossary {path} not found", hint="Create it (turkish<TAB>french<TAB>note) or set "
                          "translate.glossary: null in config.yaml.")
    terms = []
    with open(path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t"), 2):
            tr, fr = (row.get("turkish") or "").strip(), (row.get("french") or "").strip()
            if not tr or not fr:
                raise ConfigError(f"glossary {path} line {i}: needs a turkish and a french column")
            terms.append(Term(tr, fr, (row.get("note") or "").strip()))
    return terms


def _pattern(term: str) -> re.Pattern:
    # Word start only; any ending allowed, because Turkish glues suffixes on: Yaman'ın, konakta.
    return re.compile(r"(?<!\w)" + re.escape(turkish_lower(term)))


def relevant_terms(terms: list[Term], texts: list[str]) -> list[Term]:
    """The terms whose Turkish occurs in ``texts`` at a word start (suffixes allowed), longest first
    so "Yaman Bey" is listed before "Yaman". Capitalised terms (names, titles) match only
    capitalised, since several names are also common words (adalet "justice", kiraz "cherry",
    emir "order"); lower-case terms match in any case (Turkish casing rules)."""
    raw = "\n".join(texts)
    joined = turkish_lower(raw)

    def occurs(form: str) -> bool:
        if form[:1].isupper():
            return re.search(r"(?<!\w)" + re.escape(form), raw) is not None
        return _pattern(form).search(joined) is not None

    found = [t for t in terms if any(occurs(f) for f in t.forms)]
    return sorted(found, key=lambda t: -len(t.display))


def names_to_keep(terms: list[Term]) -> list[Term]:
    """Terms that are names (French rendering identical to the Turkish, capitalised): these must
    appear verbatim in the French line, which the engine checks and flags."""
    return [t for t in terms if t.display == t.french and t.french[:1].isupper()]
