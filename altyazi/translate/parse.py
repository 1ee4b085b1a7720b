"""Parse an LLM reply into numbered lines, and judge whether it answers a batch exactly.

The guarantee lives here: a reply is accepted only when it gives one non-empty line for each of the
``count`` inputs. Anything else (missing, merged, extra, duplicated lines) is rejected with a reason,
and the engine retries, halves the batch, or keeps the Turkish with a flag. Nothing is ever shifted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "1. text", "1) text", "1: text", "[1] text", "**1.** text", "- 1. text", "Line 1: text"
_NUMBERED = re.compile(r"^\s*(?:[-*>]\s*)?(?:\*\*)?(?:line\s+|ligne\s+)?\[?(\d{1,4})\]?(?:\*\*)?\s*[.):\-–]\s*(?:\*\*)?\s?(.*)$",
                       re.IGNORECASE)
_SUMMARY = re.compile(r"^\s*(?:\*\*)?summary(?:\*\*)?\s*:\s*(.*)$", re.IGNORECASE)
_ADDRESS = re.compile(r"^\s*(?:\*\*)?address(?:\*\*)?\s*:\s*(.+?)\s*->\s*(.+?)\s*:\s*(tu|vous)\b", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```")


@dataclass
class ParsedReply:
    lines: dict[int, str] = field(default_factory=dict)   # 1-based number -> text
    order: list[int] = field(default_factory=list)         # numbers in reply order (duplicates kept)
    summary: str | None = None
    address: list[tuple[str, str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)        # chatty lines outside the numbered block


def parse_reply(text: str) -> ParsedReply:
    """Split a reply into numbered lines, SUMMARY and ADDRESS lines, and ignored chatter.

    Unnumbered lines before the first numbered line or after the last one are chatter ("Here is the
    translation:"); an unnumbered line between two numbered ones continues the previous line (a model
    that wrapped a long line). A duplicated number keeps its first text and is recorded in ``order``.
    """
    out = ParsedReply()
    pending: list[str] = []
    last: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _FENCE.match(line):
            continue
        if m := _SUMMARY.match(line):
            out.summary = m.group(1).strip() or None
            continue
        if m := _ADDRESS.match(line):
            out.address.append((m.group(1).strip(), m.group(2).strip(), m.group(3).lower()))
            continue
        if m := _NUMBERED.match(line):
            num, body = int(m.group(1)), m.group(2).strip()
            if last is not None and pending:
                out.lines[last] = " ".join([out.lines[last], *pending]).strip()
            elif pending:
                out.ignored.extend(pending)
            pending = []
            out.order.append(num)
            if num not in out.lines:
                out.lines[num] = body
                last = num
            else:
                last = None  # a duplicate's continuation lines are dropped with it
            continue
        pending.append(line)
    out.ignored.extend(pending)  # trailing chatter
    return out


def match_reply(parsed: ParsedReply, count: int) -> tuple[list[str] | None, str]:
    """The ``count`` translations in input order, or (None, reason) when the reply does not answer
    exactly ``count`` lines. A reply numbered consecutively from another start (0..n-1, or the
    segment ids) is accepted by position: the count and the order are what matter."""
    order = parsed.order
    if not order:
        return None, "no numbered line"
    if len(set(order)) != len(order):
        return None, f"duplicated numbers {sorted({n for n in order if order.count(n) > 1})}"
    if len(order) < count:
        missing = sorted(set(range(1, count + 1)) - set(order))
        return None, f"{len(order)} lines for {count} (missing {missing[:8]})"
    if len(order) > count:
        return None, f"{len(order)} lines for {count} (extra numbers {sorted(set(order) - set(range(1, count + 1)))[:8]})"
    if sorted(order) == list(range(1, count + 1)):
        numbers = list(range(1, count + 1))
    elif order == list(range(order[0], order[0] + count)):
        numbers = order  # renumbered consecutively: map by position
    else:
        return None, f"numbers {order[:8]} are not 1..{count}"
    texts = [parsed.lines[n] for n in numbers]
    empty = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        return None, f"empty lines {empty[:8]}"
    return texts, "ok"


def clean_completion(text: str, target_label: str = "French") -> str:
    """The single line a base model completed: first line, without a repeated label or a following
    few-shot turn ("Turkish: ...")."""
    line = text.strip().split("\n", 1)[0].strip()
    for label in (f"{target_label}:", "French:", "Français:"):
        if line.lower().startswith(label.lower()):
            line = line[len(label):].strip()
    return line
