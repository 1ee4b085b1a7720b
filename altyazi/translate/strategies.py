"""How a batch becomes prompts and a reply becomes lines, for the two kinds of model.

* :class:`ChatStrategy` (instruct models, e.g. Mistral Small): one conversation per batch of
  numbered lines, with glossary, address forms, running summary, previous lines with their
  translations and look-ahead lines; the reply must number every line.
* :class:`BaseStrategy` (base models, e.g. the offline Gemma 270M): one few-shot completion per
  line, the glossary's renderings and the previous translated lines as extra shots. A small base
  model cannot be trusted to keep a numbered list, but it reliably completes one line.

Both judge every line with :func:`altyazi.translate.guards.check_line` (loops, length, echoes,
notes, language) before accepting a reply. Each line's prompt carries its character budget
(``Job.budgets``: max_cps x the time its cue can stay on screen, see :mod:`.budget`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Segment
from .glossary import Term, names_to_keep
from .guards import LineContext, check_line
from .parse import clean_completion, match_reply, parse_reply
from .prompts import PromptFile, base_shots

_LABEL = re.compile(r"^\s*[(\[]?S\d+(?:/S\d+)*[)\]]?\s*:\s*")


def speaker_tag(seg: Segment) -> str:
    """``S1``, or ``S1/S2`` for a line in which the speaker changes ('' when no speaker is known)."""
    names = list(dict.fromkeys(w.speaker for w in seg.words if w.speaker)) or ([seg.speaker] if seg.speaker else [])
    return "/".join(names)


def speaker_line(seg: Segment) -> str:
    """The Turkish of a line with its speaker label in front (``S1: ...``), as the prompts show it."""
    tag = speaker_tag(seg)
    return f"{tag}: {seg.text.strip()}" if tag else seg.text.strip()


def strip_label(text: str) -> str:
    """A reply line without a speaker label the model copied from the prompt (``S2: ...``)."""
    return _LABEL.sub("", text, count=1)


@dataclass
class Job:
    """One request: the lines to translate (dicts with ``id`` and ``source``) and their context."""
    units: list[Segment]    # the lines to translate (their Turkish is ``text``)
    prev: list[tuple[str, str | None]] = field(default_factory=list)   # (turkish, french or None)
    look: list[str] = field(default_factory=list)
    summary: str | None = None
    address: list[tuple[str, str]] = field(default_factory=list)      # ("Seher -> Yaman", "vous")
    terms: list[Term] = field(default_factory=list)
    budgets: list[int | None] = field(default_factory=list)  # characters per unit (reading speed)

    def budget(self, k: int) -> int | None:
        return self.budgets[k] if k < len(self.budgets) else None


def job_names(job: Job) -> list[str]:
    """Glossary names of the job in both forms: the guards do not count them as Turkish words."""
    return [n for t in job.terms for n in (t.display, t.french)]


def check_lines(job: Job, texts: list[str]) -> str | None:
    """The first line of a reply the guards reject, as "line k: reason", or None. A line is judged
    against the previous lines shown in the prompt and the lines before it in the same reply."""
    names = job_names(job)
    previous = list(job.prev)
    for k, (unit, text) in enumerate(zip(job.units, texts), 1):
        why = check_line(text, LineContext(unit.text, names, previous, job.look))
        if why:
            return f"line {k}: {why}" if len(job.units) > 1 else why
        previous.append((unit.text, text))
    return None


@dataclass
class Accepted:
    texts: list[str]
    summary: str | None = None
    address: list[tuple[str, str, str]] = field(default_factory=list)


def _unlabel(line: str) -> tuple[str, str]:
    """("text", "S1") from a previous line shown as "S1: text" (see :func:`speaker_line`); ("text", "") unlabelled."""
    m = _LABEL.match(line)
    return (line[m.end():], m.group(0).strip(" :()[]")) if m else (line, "")


class _Strategy:
    """What both prompt strategies hold: the prompt file, the model and the language names."""

    def __init__(self, prompt: PromptFile, llm, source_language: str, target_language: str,
                 max_new_tokens: int):
        self.prompt, self.llm = prompt, llm
        self.langs = dict(source_language=source_language, target_language=target_language)
        self.max_new_tokens = max_new_tokens


class ChatStrategy(_Strategy):
    def render(self, job: Job, strict: int | bool, reason: str | None = None) -> list[dict]:
        """``strict`` 0: the full prompt; 1: plus the stricter instruction naming ``reason``; 2 and
        more: also without the context (previous lines, summary, look-ahead), which may be what
        derailed the model."""
        n = len(job.units)
        if strict >= 2:
            job = Job(job.units, [], [], None, job.address, job.terms, job.budgets)
        glossary = "".join(f"- {t.display} = {t.french}" + (f" ({t.note})" if t.note else "") + "\n"
                           for t in job.terms)
        address = "".join(f"- {pair}: {form}\n" for pair, form in job.address)
        prev = "".join(f"- {src}\n  -> {fr}\n" if fr else f"- {src}\n" for src, fr in job.prev)
        look = "".join(f"- {src}\n" for src in job.look)
        user = self.prompt.render(
            "user", **self.langs, count=n,
            glossary=f"Glossary (use these renderings):\n{glossary}\n" if glossary else "",
            address=f"Forms of address already established (keep them):\n{address}\n" if address else "",
            summary=f"Story so far: {job.summary}\n\n" if job.summary else "",
            previous=f"Previous lines (context only, already translated):\n{prev}" if prev else "",
            lines="\n".join(f"{i}. {speaker_line(u)}" for i, u in enumerate(job.units, 1)),
            budgets=self._budgets(job),
            lookahead=f"\nFollowing lines (context only, do not translate them):\n{look}" if look else "")
        if strict:
            user += "\n\n" + self.prompt.render("stricter", **self.langs, count=n,
                                                  reason=reason or "it did not have exactly one line per number")
        return [{"role": "system", "content": self.prompt.render("system", **self.langs)},
                {"role": "user", "content": user}]

    @staticmethod
    def _budgets(job: Job) -> str:
        known = [(k, job.budget(k - 1)) for k in range(1, len(job.units) + 1) if job.budget(k - 1)]
        if not known:
            return ""
        return "\nCharacter budget per line (spaces included): " + ", ".join(f"{k}: {b}" for k, b in known) + "\n"

    def generate(self, prompts: list) -> list[str]:
        return self.llm.chat(prompts, self.max_new_tokens)

    def accept(self, job: Job, reply: str, last: bool = False) -> tuple[Accepted | None, str]:
        parsed = parse_reply(reply)
        texts, reason = match_reply(parsed, len(job.units))
        if texts is None:
            return None, reason
        texts = [strip_label(t) for t in texts]
        if why := check_lines(job, texts):
            return None, why
        return Accepted(texts, parsed.summary, parsed.address), reason


class BaseStrategy(_Strategy):
    def __init__(self, prompt: PromptFile, llm, source_language: str, target_language: str,
                 max_new_tokens: int):
        super().__init__(prompt, llm, source_language, target_language, min(max_new_tokens, 96))  # one line
        self.shots = base_shots(prompt)

    def _pair(self, src: str, fr: str | None, speaker: str = "", budget: int | None = None, budgets: bool = True) -> str:
        """One shot or the line to complete; ``speaker`` (``S1``) goes beside both language names. A shot
        carries its own length (rounded up to 5) as its budget, the line to translate its own; with
        ``budgets`` False no pair shows one."""
        if budget is None:
            budget = -(-len(fr or src) // 5) * 5
        return self.prompt.render("pair", **self.langs, source=src, target=f" {fr}" if fr is not None else "",
                                  speaker=f" ({speaker})" if speaker else "",
                                  budget=f" ({budget} characters max)" if budgets else "")

    def render(self, job: Job, strict: int | bool, reason: str | None = None) -> str:
        """A strict retry drops the episode context (a 270M model is easily derailed by it)."""
        (unit,) = job.units
        pairs = list(self.shots)
        # only capitalised terms (names, "Yaman Bey") become shots: a one-word shot such as
        # "beyim -> Monsieur" made Gemma answer a whole line with "Monsieur" (seen on the clips)
        pairs += [(t.display, t.french) for t in job.terms
                  if t.display != t.french and "(" not in t.french and t.display[:1].isupper()]
        if not strict:  # previous lines come as "S1: text" (see speaker_line): the label moves beside the language
            pairs += [(src, fr) for src, fr in job.prev if fr]
        head = self.prompt.render("header", **self.langs).strip()
        names = [t.french for t in names_to_keep(job.terms)]
        if strict and names:
            head += "\n" + self.prompt.render("keep_names", **self.langs, names=", ".join(names)).strip()
        # a retry shows no budget: names matter more than length (with budgets, Gemma answered
        # "Seher, Kiraz nerede?" with "Où est-elle ?" on both attempts; without, it kept both names)
        show = not strict
        body = "\n\n".join(self._pair(text, fr, speaker, budgets=show)
                           for (text, speaker), fr in ((_unlabel(s), f) for s, f in pairs))
        return f"{head}\n\n{body}\n\n{self._pair(unit.text.strip(), None, speaker_tag(unit), job.budget(0), show)}"

    def generate(self, prompts: list) -> list[str]:
        return self.llm.complete(prompts, self.max_new_tokens, stop="\n")

    def accept(self, job: Job, reply: str, last: bool = False) -> tuple[Accepted | None, str]:
        """One line that passes the guards (not empty, not a copy of the Turkish, no loop, French);
        a line that lost a glossary name is re-asked, and accepted on the last attempt (the engine
        then flags the name)."""
        text = strip_label(clean_completion(reply, self.langs["target_language"]))
        if not text:
            return None, "empty completion"
        if why := check_lines(job, [text]):
            return None, why
        lost = [t.french for t in names_to_keep(job.terms) if t.french not in text]
        if lost and not last:
            return None, f"lost the name(s) {', '.join(lost)}"
        return Accepted([text]), "ok"
