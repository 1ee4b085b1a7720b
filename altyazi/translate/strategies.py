"""How a batch becomes prompts and a reply becomes lines, for the two kinds of model.

* :class:`ChatStrategy` (instruct models, e.g. Mistral Small): one conversation per batch of
  numbered lines, with glossary, address forms, running summary, previous lines with their
  translations and look-ahead lines; the reply must number every line.
* :class:`BaseStrategy` (base models, e.g. the offline Gemma 270M): one few-shot completion per
  line, the glossary's renderings and the previous translated lines as extra shots. A small base
  model cannot be trusted to keep a numbered list, but it reliably completes one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Segment
from .glossary import Term, names_to_keep
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


@dataclass
class Accepted:
    texts: list[str]
    summary: str | None = None
    address: list[tuple[str, str, str]] = field(default_factory=list)


def _unlabel(line: str) -> tuple[str, str]:
    """("text", "S1") from "S1: text"."""
    m = _LABEL.match(line)
    return line[m.end():], m.group(0).strip(" :()[]")


class _Strategy:
    """What both prompt strategies hold: the prompt file, the model and the language names."""

    def __init__(self, prompt: PromptFile, llm, source_language: str, target_language: str,
                 max_new_tokens: int):
        self.prompt, self.llm = prompt, llm
        self.langs = dict(source_language=source_language, target_language=target_language)
        self.max_new_tokens = max_new_tokens


class ChatStrategy(_Strategy):
    def render(self, job: Job, strict: bool) -> list[dict]:
        n = len(job.units)
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
            lookahead=f"\nFollowing lines (context only, do not translate them):\n{look}" if look else "")
        if strict:
            user += "\n\n" + self.prompt.render("stricter", **self.langs, count=n)
        return [{"role": "system", "content": self.prompt.render("system", **self.langs)},
                {"role": "user", "content": user}]

    def generate(self, prompts: list) -> list[str]:
        return self.llm.chat(prompts, self.max_new_tokens)

    def accept(self, job: Job, reply: str, last: bool = False) -> tuple[Accepted | None, str]:
        parsed = parse_reply(reply)
        texts, reason = match_reply(parsed, len(job.units))
        if texts is None:
            return None, reason
        return Accepted([strip_label(t) for t in texts], parsed.summary, parsed.address), reason


class BaseStrategy(_Strategy):
    def __init__(self, prompt: PromptFile, llm, source_language: str, target_language: str,
                 max_new_tokens: int):
        super().__init__(prompt, llm, source_language, target_language, min(max_new_tokens, 96))  # one line
        self.shots = base_shots(prompt)

    def _pair(self, src: str, fr: str | None, speaker: str = "") -> str:
        """One shot or the line to complete; ``speaker`` (``S1``) goes beside both language names."""
        return self.prompt.render("pair", **self.langs, source=src, target=f" {fr}" if fr is not None else "",
                                  speaker=f" ({speaker})" if speaker else "")

    def render(self, job: Job, strict: bool) -> str:
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
        body = "\n\n".join(self._pair(*_unlabel(s), f) if _LABEL.match(s) else self._pair(s, f) for s, f in pairs)
        return f"{head}\n\n{body}\n\n{self._pair(unit.text.strip(), None, speaker_tag(unit))}"

    def generate(self, prompts: list) -> list[str]:
        return self.llm.complete(prompts, self.max_new_tokens, stop="\n")

    def accept(self, job: Job, reply: str, last: bool = False) -> tuple[Accepted | None, str]:
        """One non-empty line, not a copy of the Turkish, not runaway; a line that lost a glossary
        name is re-asked, and accepted on the last attempt (the engine then flags the name)."""
        (unit,) = job.units
        src = unit.text.strip()
        text = strip_label(clean_completion(reply, self.langs["target_language"]))
        if not text:
            return None, "empty completion"
        if text.casefold() == src.casefold() and len(src.split()) >= 3:
            return None, "copied the Turkish"
        if len(text) > 4 * len(src) + 40:
            return None, f"runaway completion ({len(text)} characters for {len(src)})"
        words = text.lower().split()
        if len(words) >= 8 and len(set(words)) < 0.3 * len(words):
            return None, f"repetition loop ({len(set(words))} distinct words in {len(words)})"
        lost = [t.french for t in names_to_keep(job.terms) if t.french not in text]
        if lost and not last:
            return None, f"lost the name(s) {', '.join(lost)}"
        return Accepted([text]), "ok"
