"""Line breaking a subtitler would accept (French rules; punctuation-only for other languages).

One line when the text fits; otherwise break after punctuation or before a conjunction or
preposition, never between article and noun, first and last name, pronoun and verb, negation and
verb, and prefer a bottom-heavy (pyramid) shape. The same boundary scores choose where the French
text of a long segment is split between cues (:func:`break_cost`).
"""

from __future__ import annotations

import math
import re

FORBIDDEN = math.inf

# Words after which a break separates what belongs together (article/determiner + noun,
# pronoun + verb, negation + verb, title + name, preposition + its object).
_DETERMINERS = {
    "le", "la", "les", "l'", "un", "une", "des", "du", "au", "aux", "ce", "cet", "cette", "ces",
    "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos", "votre", "vos",
    "leur", "leurs", "quel", "quelle", "quels", "quelles", "chaque", "quelques", "plusieurs",
    "aucun", "aucune", "tout", "toute", "tous", "toutes", "certains", "certaines",
}
_PRONOUNS = {
    "je", "j'", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "me", "m'", "te", "t'",
    "se", "s'", "lui", "y", "en", "c'", "ça", "ceci", "cela",
}
_NEGATION = {"ne", "n'"}
_NEGATION_AFTER = {"pas", "plus", "jamais", "rien", "personne", "guère", "point"}
_TITLES = {"m.", "mme", "mlle", "monsieur", "madame", "mademoiselle", "dr", "docteur", "maître"}
_NAME_TITLES_AFTER = {"bey", "hanım", "hanim", "efendi", "ağa", "aga", "paşa", "pacha", "abla", "abi"}
_CONJUNCTIONS = {
    "et", "ou", "mais", "donc", "car", "ni", "or", "que", "qu'", "qui", "quand", "si", "comme",
    "lorsque", "puisque", "parce", "pourtant", "alors", "sinon", "dont", "où",
}
_PREPOSITIONS = {
    "à", "de", "d'", "dans", "pour", "par", "sur", "sous", "avec", "sans", "chez", "vers", "entre",
    "contre", "depuis", "pendant", "avant", "après", "devant", "derrière", "malgré", "selon", "jusqu'",
    "jusque", "envers", "parmi", "en",
}
_SENTENCE_END = re.compile(r"[.?!…]+[»\"')\]]*$")
_CLAUSE_END = re.compile(r"[,;:]+[»\"')\]]*$")
_PUNCT_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)
_ELISION = re.compile(r"^([a-zà-ÿ]+')", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Words split at ordinary spaces and line breaks only: no-break spaces (U+00A0, U+202F, used
    by French typography before ? ! ; :) keep a word and its punctuation together."""
    return [t for t in re.split(r"[ \t\r\n]+", text) if t]


def _key(token: str) -> str:
    """Lower-case word without surrounding punctuation; elided forms keep the apostrophe (``l'``)."""
    tok = token.lower().replace("’", "'")
    m = _ELISION.match(tok)
    if m and len(m.group(1)) < len(tok):
        return m.group(1)
    return tok.strip(".,;:!?…«»\"()[]-\u00a0\u202f")


def _capitalised(token: str) -> bool:
    word = token.strip("«»\"'()[]-\u00a0\u202f")
    return bool(word) and word[0].isupper()


def break_cost(tokens: list[str], i: int, lang: str = "fr") -> float:
    """Cost of breaking between ``tokens[i-1]`` and ``tokens[i]`` (lower is better, inf = never).

    Negative: good places (after sentence or clause punctuation, before a conjunction or
    preposition). Positive: tolerable but worse. ``FORBIDDEN``: article|noun, first|last name,
    pronoun|verb, negation|verb, title|name, before a lone punctuation mark.
    """
    left, right = tokens[i - 1], tokens[i]
    if _PUNCT_ONLY.match(right) or left in {"«", "-", "–", "—", "("}:
        return FORBIDDEN
    if _SENTENCE_END.search(left):
        return -5.0
    if _CLAUSE_END.search(left):
        return -3.5
    lk, rk = _key(left), _key(right)
    after_sentence = i < 2 or bool(_SENTENCE_END.search(tokens[i - 2]))
    if _capitalised(left) and _capitalised(right) and not after_sentence and lk not in _PRONOUNS:
        return FORBIDDEN  # first name | last name (sentence-initial words are not names)
    if rk in _NAME_TITLES_AFTER or lk in _TITLES:
        return FORBIDDEN
    if lang != "fr":
        return 0.0
    if lk in _DETERMINERS or lk in _NEGATION or lk in _PRONOUNS:
        return FORBIDDEN
    if left.lower().startswith(("n'", "n’")) and rk in _NEGATION_AFTER:
        return 3.0  # n'est | pas: keep the negation together when possible
    if rk in _NEGATION_AFTER:
        return 3.0
    if lk in _PREPOSITIONS or lk in _CONJUNCTIONS:
        return 2.5  # break before them, not after
    if rk in _CONJUNCTIONS:
        return -1.5
    if rk in _PREPOSITIONS:
        return -1.0
    return 0.0


def _line_len(tokens: list[str], a: int, b: int) -> int:
    return sum(len(t) for t in tokens[a:b]) + (b - a - 1)


def break_lines(text: str, max_chars: int = 42, max_lines: int = 2, lang: str = "fr") -> list[str]:
    """Split ``text`` into at most ``max_lines`` lines of at most ``max_chars`` characters.

    One line when it fits. Otherwise the break positions minimise :func:`break_cost` plus a shape
    penalty that favours balanced, bottom-heavy (pyramid) lines. When no split meets the limits
    (too much text, or a word longer than a line) more lines or longer lines come back: the caller
    flags them; text is never dropped.
    """
    tokens = tokenize(text)
    if not tokens:
        return []
    if _line_len(tokens, 0, len(tokens)) <= max_chars:
        return [" ".join(tokens)]
    n = len(tokens)
    costs = [0.0] + [break_cost(tokens, i, lang) for i in range(1, n)]
    # Within the limits and without a forbidden break; else more lines (flagged by the caller);
    # else forbidden breaks too (e.g. a run of articles); never a cut word.
    first = max(2, -(-_line_len(tokens, 0, n) // (max_chars + 1)))  # fewer lines cannot hold the text
    for strict in (True, False):
        for lines in range(first, n + 1):
            cuts = _best_split(tokens, costs, lines, max_chars, strict=strict)
            if cuts is not None and _all_fit(tokens, cuts, max_chars):
                return [" ".join(tokens[a:b]) for a, b in zip([0] + cuts, cuts + [n])]
    return tokens  # a word longer than a line: one word per line


def _all_fit(tokens: list[str], cuts: list[int], max_chars: int) -> bool:
    return all(_line_len(tokens, a, b) <= max_chars for a, b in zip([0] + cuts, cuts + [len(tokens)]))


def _shape_penalty(lengths: list[int]) -> float:
    """Balanced lines, and a top line no longer than the ones below (pyramid)."""
    pen = 0.0
    for top, bottom in zip(lengths, lengths[1:]):
        pen += 0.04 * abs(top - bottom) + (0.03 * (top - bottom) if top > bottom else 0.0)
    return pen


def _best_split(tokens: list[str], costs: list[float], lines: int, max_chars: int,
                strict: bool) -> list[int] | None:
    """Cut positions (token indices) for exactly ``lines`` lines, or None when none is allowed.

    ``strict``: forbidden breaks and over-long lines are excluded; otherwise they cost a lot.
    """
    n = len(tokens)
    if lines > n:
        return None
    prefix = [0]
    for t in tokens:
        prefix.append(prefix[-1] + len(t))
    # state: (cost, cuts) for the best way to end a line at token index j with k lines used
    best: dict[tuple[int, int], tuple[float, list[int], list[int]]] = {(0, 0): (0.0, [], [])}
    for k in range(1, lines + 1):
        for j in range(k, n - (lines - k) + 1):
            if k == lines and j != n:
                continue
            cand = None
            for i in range(j - 1, k - 2, -1):  # longer and longer last lines
                length = prefix[j] - prefix[i] + (j - i - 1)
                if strict and length > max_chars:
                    break
                prev = best.get((k - 1, i))
                if prev is None:
                    continue
                c = prev[0]
                if length > max_chars:
                    c += 100.0 + (length - max_chars)
                if i > 0:
                    bc = costs[i]
                    if bc == FORBIDDEN:
                        if strict:
                            continue
                        bc = 50.0
                    c += bc
                lengths = prev[2] + [length]
                total = c + (_shape_penalty(lengths[-2:]) if len(lengths) > 1 else 0.0)
                if cand is None or total < cand[0]:
                    cand = (total, prev[1] + ([i] if i > 0 else []), lengths)
            if cand is not None:
                best[(k, j)] = cand
    res = best.get((lines, n))
    return None if res is None else res[1]
