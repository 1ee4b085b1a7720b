"""Turkish text helpers shared by the stages."""

from __future__ import annotations


def turkish_lower(text: str) -> str:
    """Lowercase with Turkish dotted/dotless i: ``I`` -> ``ı``, ``İ`` -> ``i`` (str.lower gets both wrong)."""
    return text.replace("I", "ı").replace("İ", "i").lower()
