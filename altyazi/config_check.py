"""Readable config errors: a misspelled key names the closest valid one, a bad choice lists the allowed
names, a YAML syntax error names the file, line and column.

jsonschema's own messages (and Snakemake's dump of the whole sub-schema) tell a user neither what
they mistyped nor what to type instead; these do, one line per problem.
"""

from __future__ import annotations

import difflib
import functools
import os
from typing import Any

import yaml

from .errors import ConfigError

YAML_HINT = ("Fix that line: indent with spaces (not tabs), put a space after ':', and quote values "
             "that contain ': ', '#' or start with '[', '{', '*' or '&'.")


def load_yaml_file(path: str | os.PathLike) -> Any:
    """``yaml.safe_load`` of ``path``; a syntax error becomes a :class:`ConfigError` with file:line:column."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path} line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        what = " ".join(x for x in (err.context, err.problem) if x)
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        shown = f"\n    {line}\n    {' ' * mark.column}^" if line else ""
        raise ConfigError(f"{where}: YAML syntax error: {what}{shown}", hint=YAML_HINT) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: YAML syntax error: {err}", hint=YAML_HINT) from None


def _resolve(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _leaf(err):
    """The most specific error under a ``oneOf``/``anyOf`` (``chain: [nosuch]`` is an enum error,
    not "matches none of null or a list")."""
    while err.context:
        deeper = [e for e in err.context if e.validator != "type"] or list(err.context)
        err = max(deeper, key=lambda e: len(e.absolute_path))
    return err


def describe_error(err, root: dict) -> str:
    """One line for one jsonschema error, naming the key path and what is allowed."""
    err = _leaf(err)
    where = _where(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(_resolve(err.schema, root).get("properties", {}))
        parts = []
        for key in sorted(k for k in err.instance if k not in allowed):
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            name = f"{where}.{key}" if err.absolute_path else str(key)
            parts.append(f"unknown key {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return f"config: {'; '.join(parts)}; allowed here: {', '.join(allowed)}"
    if err.validator == "enum":
        choices = ", ".join(str(v) for v in err.validator_value)
        close = difflib.get_close_matches(str(err.instance), [str(v) for v in err.validator_value], n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        return f"config {where}: {err.instance!r} is not allowed{guess}; choose one of: {choices}"
    return f"config {where}: {err.message}"


def check_config(config: dict, schema: dict) -> None:
    """Validate ``config`` against ``schema``; raise :class:`ConfigError` listing every problem readably."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = list(dict.fromkeys(describe_error(e, schema) for e in errors))
        raise ConfigError("\n".join(lines), hint="Fix config.yaml or the --config override "
                          "(schemas/config.schema.yaml describes every key).")


@functools.lru_cache(maxsize=1)
def _config_schema_file() -> dict:
    from .resources import resource

    return load_yaml_file(resource("schemas", "config.schema.yaml"))


def check_block(name: str, options: dict) -> None:
    """Validate one block of config.yaml (``subtitles``, ``speakers``) against its part of
    schemas/config.schema.yaml, the one statement of its keys, types, ranges and choices: the stage
    code that builds its options from the block (also from a test or a tool) validates through here
    rather than with rules of its own. Raises :class:`ConfigError` naming ``name.key``."""
    block = _config_schema_file()["properties"][name]
    check_config({name: options}, {"type": "object", "properties": {name: block}})
