"""French subtitle typography applied to every model line (the model is never trusted with it)."""

from __future__ import annotations

import re

NNBSP = "\u202f"  # narrow no-break space: before ? ! ; : and inside « »

_NOTE = re.compile(r"\s*[(\[]\s*(?:n\.?\s*d\.?\s*t\.?|note|translator'?s? note|note du traducteur|"
                   r"litt(?:éralement|\.)|literally|traduction)\b[^)\]]*[)\]]\s*$", re.IGNORECASE)
_TRAILING_NOTE = re.compile(r"\s+(?:--|—)?\s*(?:\(?\s*)?(?:note|n\.d\.t\.)\s*:.*$", re.IGNORECASE)
_WRAPPING_QUOTES = [('"', '"'), ("«", "»"), ("“", "”"), ("'", "'"), ("‘", "’"), ("„", "“")]
_SPACES = re.compile(r"[ \t\u00a0\u202f]+")


def strip_wrapping(text: str) -> str:
    """Drop quotes (or ** bold) around the whole line, repeatedly: « "Viens." » -> Viens."""
    changed = True
    while changed and len(text) >= 2:
        changed = False
        for left, right in _WRAPPING_QUOTES + [("**", "**")]:
            if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
                inner = text[len(left):-len(right)].strip()
                # keep quotes that open and close separate quotations: "A", dit-il, "B"
                if left == right and left in inner:
                    continue
                if left == "«" and ("«" in inner or "»" in inner):
                    continue
                text, changed = inner, True
    return text


def french_typography(text: str) -> str:
    """Return ``text`` as a French subtitle line: no translator note, no wrapping quotes, « » quotes,
    a narrow no-break space (U+202F) before ? ! ; : and inside « », "..." -> "…", single spaces."""
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    text = _NOTE.sub("", text)
    text = _TRAILING_NOTE.sub("", text).strip()
    text = strip_wrapping(text)
    text = text.replace("...", "…")
    # a double quote between two letters is a mangled apostrophe (m"en -> m'en; seen with Gemma GGUF)
    text = re.sub(r"(?<=[^\W\d_])\"(?=[^\W\d_])", "'", text)
    # straight or curly double quotes inside the line -> « » (in pairs; an odd one is left alone)
    if text.count('"') >= 2 and text.count('"') % 2 == 0:
        parts = text.split('"')
        text = "".join(p + ("«" if i % 2 == 0 else "»") if i < len(parts) - 1 else p for i, p in enumerate(parts))
    text = text.replace("“", "«").replace("”", "»")
    text = re.sub(r"«\s*", "«" + NNBSP, text)
    text = re.sub(r"\s*»", NNBSP + "»", text)
    # before ? ! ; (a run such as ?! or !!! gets one space before the run)
    text = re.sub(r"(?<=[^\s?!;:«\u202f])\s*([?!;]+)", NNBSP + r"\1", text)
    # before : only when it is punctuation (followed by a space or the end), not in 10:30 or a URL
    text = re.sub(r"(?<=[^\s?!;:«\u202f])\s*:(?=\s|$)", NNBSP + ":", text)
    return _SPACES.sub(lambda m: NNBSP if NNBSP in m.group(0) else " ", text).strip()
