"""Versioned prompt files (``prompts/translate-<kind>.v<N>.txt``): loading, sections, rendering.

A prompt file holds sections that start with ``=== name ===`` lines; ``#`` lines before the first
section are comments. Placeholders are ``$name`` (:class:`string.Template`), so braces in prompts
need no escaping. The version that enters the cache key is the file name plus a hash of its text:
editing a prompt can never reuse batches translated with the old one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from ..errors import TranslationError
from ..resources import resource

PROMPTS_DIR = resource("prompts")
DEFAULT_PROMPTS = {"chat": "translate-chat.v2.txt", "base": "translate-base.v2.txt"}
_SECTION = re.compile(r"^=== *([A-Za-z_-]+) *===\s*$")


@dataclass(frozen=True)
class PromptFile:
    name: str
    version: str                  # "<file name>@<sha256[:10]>"
    sections: dict[str, str]

    def section(self, key: str) -> str:
        try:
            return self.sections[key]
        except KeyError:
            raise TranslationError(f"prompt file {self.name} has no '=== {key} ===' section",
                                   hint="Restore the section or point `translate.prompts` at a complete file.") from None

    def render(self, key: str, **values: object) -> str:
        """Fill ``$placeholders`` of a section; an unknown placeholder is an error, not silence."""
        try:
            return Template(self.section(key)).substitute({k: str(v) for k, v in values.items()})
        except KeyError as err:
            raise TranslationError(f"prompt {self.name} section {key!r} uses ${err.args[0]}, which the code "
                                   "does not provide") from None


def parse_prompt_text(text: str, name: str = "<text>") -> PromptFile:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        m = _SECTION.match(line)
        if m:
            current = sections.setdefault(m.group(1), [])
        elif current is not None:
            current.append(line)
    if not sections:
        raise TranslationError(f"prompt file {name} has no '=== section ===' line")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return PromptFile(name, f"{name}@{digest}", {k: "\n".join(v).strip("\n") for k, v in sections.items()})


def load_prompt(kind: str, override: str | None = None) -> PromptFile:
    """The prompt file for ``kind`` ("chat" or "base"), or the file ``override`` points at."""
    path = Path(override) if override else PROMPTS_DIR / DEFAULT_PROMPTS[kind]
    if override and not path.is_absolute() and not path.is_file():
        path = PROMPTS_DIR.parent / override  # relative to the workflow folder, like models/
    if not path.is_file():
        raise TranslationError(f"prompt file {path} not found",
                               hint=f"Restore it from git, or set translate.prompts.{kind} to an existing file.")
    return parse_prompt_text(path.read_text(encoding="utf-8"), path.name)


def base_shots(prompt: PromptFile) -> list[tuple[str, str]]:
    """The few-shot examples of a base prompt: ``turkish<TAB>french`` lines of its ``shots`` section."""
    shots = []
    for line in prompt.section("shots").splitlines():
        if "\t" in line:
            src, tgt = line.split("\t", 1)
            shots.append((src.strip(), tgt.strip()))
    return shots
