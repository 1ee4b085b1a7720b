"""Condensation: a French line over its reading-speed budget is asked again, shorter.

Why here and not in the subtitles stage: the subtitles stage runs on CPU without a model, and a
cue read faster than ``max_cps`` can only be fixed by fewer characters (timing already gives it
every free frame). The translate stage has the model loaded and knows each line's budget from the
same subtitle rules (:mod:`.budget`), so it condenses the lines over budget before fr.json is
written. Each such line gets one request (all of them batched in one generate call): the model is
asked to shorten that one line to its budget, keeping names and meaning. A reply is accepted only
when it is shorter than the line it replaces, passes the guards (:mod:`.guards`) and keeps every
glossary name of the line; otherwise the line stays as it was (logged). Replies are cached like
batches, so a rerun costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..log import get_logger
from ..records import Segment
from ..subtitles.rules import display_chars
from .cache import BatchCache, cache_key
from .glossary import names_to_keep, relevant_terms
from .guards import LineContext, check_line
from .parse import clean_completion
from .prompts import PROMPTS_DIR, base_shots, load_prompt
from .typography import french_typography

log = get_logger("translate")


def load_condense_prompt(kind: str, override: str | None = None):
    return load_prompt(kind, override or str(PROMPTS_DIR / f"condense-{kind}.v1.txt"))


def _render(prompt, kind: str, langs: dict, seg: Segment, budget: int, names: list[str]):
    if kind == "chat":
        user = prompt.render("user", **langs, source=seg.text.strip(), french=seg.translation,
                             length=display_chars(seg.translation), budget=budget,
                             names=f" ({', '.join(names)})" if names else "")
        return [{"role": "system", "content": prompt.render("system", **langs)}, {"role": "user", "content": user}]
    head = prompt.render("header", **langs).strip()
    shots = "\n\n".join(prompt.render("pair", **langs, french=long, short=f" {short}", budget=-(-len(short) // 5) * 5)
                        for long, short in base_shots(prompt))
    return f"{head}\n\n{shots}\n\n" + prompt.render("pair", **langs, french=seg.translation, short="", budget=budget)


def _letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


def judge(seg: Segment, reply: str, names: list[str], label: str) -> tuple[str | None, str]:
    """(the shortened line with French typography, "ok") or (None, why it is refused)."""
    text = clean_completion(reply, label)
    if not text:
        return None, "empty reply"
    if why := check_line(text, LineContext(seg.text, names)):
        return None, why
    new = french_typography(text)
    if display_chars(new) >= display_chars(seg.translation):
        return None, f"not shorter ({display_chars(new)} characters for {display_chars(seg.translation)})"
    if _letters(new) >= _letters(seg.translation):
        # "Qu'est-ce que tu veux ?" -> "Qu'est-ce que tu veux." is shorter only by its question mark
        return None, "only punctuation removed"
    lost = [n for n in names if n in seg.translation and n not in new]
    if lost:
        return None, f"lost the name(s) {', '.join(lost)}"
    return new, "ok"


@dataclass
class _Request:
    """One line over budget: the names it must keep, its prompt, cache key and cached reply."""
    seg: Segment
    keep: list[str]
    rendered: object  # chat messages or a completion prompt
    key: str
    cached: dict | None


def condense_lines(segments: list[Segment], budgets: dict[int, int], llm, kind: str, langs: dict, terms,
                   cache: BatchCache, prompt_override: str | None = None) -> dict:
    """Shorten, in place, every translated (not ``untranslated``) segment whose French is over its
    budget; returns the figures (lines over budget before and after) and every shortened line
    (id, budget, before, after: what tools/measure_condense.py rebuilds the cues from)."""
    over = [s for s in segments if s.translation and "untranslated" not in s.flags and s.id in budgets
            and display_chars(s.translation) > budgets[s.id]]
    stats = {"budgeted": sum(s.id in budgets for s in segments if s.translation), "over_budget_before": len(over),
             "asked": 0, "from_cache": 0, "shortened": 0, "over_budget_after": len(over), "lines": []}
    if not over:
        return stats
    prompt = load_condense_prompt(kind, prompt_override)
    jobs = []
    for seg in over:
        found = relevant_terms(terms, [seg.text])
        keep = [t.french for t in names_to_keep(found)]
        rendered = _render(prompt, kind, langs, seg, budgets[seg.id], keep)
        key = cache_key(llm.model_ref, prompt.version, "condense", kind, rendered)  # the reply: judged on every run
        jobs.append(_Request(seg, keep, rendered, key, cache.get(key)))
    todo = [j for j in jobs if j.cached is None]
    if todo:
        rendered = [j.rendered for j in todo]
        replies = llm.chat(rendered, 96) if kind == "chat" else llm.complete(rendered, 64, stop="\n")
        for job, reply in zip(todo, replies, strict=True):
            cache.put(job.key, {"reply": reply})
    stats["asked"], stats["from_cache"] = len(todo), len(jobs) - len(todo)
    for job in jobs:
        seg, keep = job.seg, job.keep
        reply = cache.entries[job.key]["reply"]
        before = seg.translation
        new, why = judge(seg, reply, keep, langs["target_language"])
        if new is None:
            log.info("line %s: condensation refused (%s): kept %r (%d characters, budget %d)", seg.id, why,
                     before, display_chars(before), budgets[seg.id])
            continue
        seg.translation = new
        stats["shortened"] += 1
        stats["lines"].append({"id": seg.id, "budget": budgets[seg.id], "before": before, "after": new})
    stats["over_budget_after"] = sum(display_chars(s.translation) > budgets[s.id] for s in over)
    log.info("condensation: %d line(s) over their reading-speed budget, %d shortened (%d asked, %d from cache), "
             "%d still over", len(over), stats["shortened"], stats["asked"], stats["from_cache"],
             stats["over_budget_after"])
    return stats
