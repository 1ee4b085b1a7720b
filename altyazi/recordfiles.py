"""Reading and writing the files between stages, validated against ``schemas/records.schema.yaml``.

A file that is missing, truncated, not JSON, or hand-edited into something invalid gives one
:class:`RecordFileError` that names the file, the field (``segments[12].start``) and the command
that regenerates it; never a traceback.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import AltyaziError
from .io import atomic_write_json
from .records import Cue, Segment
from .resources import resource

# file kind -> the rule that writes it (the one to rerun when the file is bad)
PRODUCER = {"segments": "vad", "tr": "asr", "fr": "translate", "cues": "subtitles", "speakers": "speakers",
            "speech": "vad", "shots": "shots"}


_VAD_FIELDS = ("id", "start", "end", "speech_start", "speech_end")


class RecordFileError(AltyaziError):
    hint = "Regenerate it (see the command above)."


@lru_cache(maxsize=None)
def _validator(kind: str):
    import jsonschema
    import yaml

    schema = yaml.safe_load(resource("schemas", "records.schema.yaml").read_text(encoding="utf-8"))
    sub = {"$schema": schema["$schema"], "$ref": f"#/$defs/{kind}_file", "$defs": schema["$defs"]}
    return jsonschema.Draft202012Validator(sub)


def _where(path_parts) -> str:
    out = ""
    for p in path_parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _fail(path: str | os.PathLike, kind: str, problem: str) -> RecordFileError:
    rule = PRODUCER[kind]
    return RecordFileError(f"{path}: {problem}",
                           hint=f"The file is damaged or was edited by hand. Regenerate it: "
                                f"`snakemake --cores all --forcerun {rule}` (or delete it and rerun), "
                                f"or fix the field named above.")


def validate_record_file(data: Any, path: str | os.PathLike, kind: str) -> None:
    """Raise :class:`RecordFileError` naming the first invalid field (in file order)."""
    errors = list(_validator(kind).iter_errors(data))
    if errors:
        err = min(errors, key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path])
        raise _fail(path, kind, f"{_where(err.absolute_path)}: {err.message}")
    if kind == "speakers":
        _check_speakers(data, path)
    items = data.get("segments") or []
    ids = [s["id"] for s in items]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise _fail(path, kind, f"segments: id {dup} appears more than once")
    for k, s in enumerate(items if kind != "speakers" else []):
        if s["end"] < s["start"]:
            raise _fail(path, kind, f"segments[{k}].end: {s['end']} is before its start {s['start']}")


def read_record_file(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """The file's JSON, validated; ``kind``: segments, tr, fr or cues."""
    p = Path(path)
    if not p.is_file():
        raise _fail(path, kind, "missing" if not p.exists() else "is not a file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise _fail(path, kind, f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise _fail(path, kind, f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                                f"a truncated or hand-edited file?") from None
    validate_record_file(data, path, kind)
    return data


def read_segments(path: str | os.PathLike, kind: str) -> tuple[dict[str, Any], list[Segment]]:
    """(the file's other fields, its segments as records) of segments.json, tr.json or fr.json."""
    data = read_record_file(path, kind)
    return {k: v for k, v in data.items() if k != "segments"}, [Segment.from_dict(s) for s in data["segments"]]


def segments_payload(path: str | os.PathLike, kind: str, segments: list[Segment], **header: Any) -> dict[str, Any]:
    """The JSON of a segments file of ``kind``, validated (``path`` names it in an error)."""
    items = [s.to_dict() for s in segments]
    if kind == "segments":  # the VAD knows only where speech is
        items = [{k: v for k, v in d.items() if k in _VAD_FIELDS} for d in items]
    data = {**header, "segments": items}
    validate_record_file(data, path, kind)
    return data


def write_segments(path: str | os.PathLike, kind: str, segments: list[Segment], **header: Any) -> None:
    """Write (atomically) a segments file; what it writes validates as ``kind``."""
    atomic_write_json(path, segments_payload(path, kind, segments, **header))


def write_cues(path: str | os.PathLike, cues: list[Cue], **header: Any) -> None:
    write_record_file(path, "cues", {**header, "cues": [c.to_dict() for c in cues]})


def write_record_file(path: str | os.PathLike, kind: str, data: dict[str, Any]) -> None:
    """Write (atomically) a file of ``kind`` (speech, shots) after validating it."""
    validate_record_file(data, path, kind)
    atomic_write_json(path, data)


def _check_speakers(data: dict[str, Any], path: str | os.PathLike) -> None:
    """What the schema cannot say: every speaker named in segments/turns is declared in ``speakers``."""
    declared = {s["id"] for s in data["speakers"]}
    for key in ("segments", "turns"):
        for k, item in enumerate(data[key]):
            if item["speaker"] not in declared:
                raise _fail(path, "speakers", f"{key}[{k}].speaker: {item['speaker']} is not in speakers")
    for k, t in enumerate(data["turns"]):
        if t["end"] < t["start"]:
            raise _fail(path, "speakers", f"turns[{k}].end: {t['end']} is before its start {t['start']}")


def write_speakers(path: str | os.PathLike, doc: dict[str, Any]) -> None:
    """Write (atomically) speakers.json; what it writes validates as ``speakers``."""
    write_record_file(path, "speakers", doc)


def read_speakers(path: str | os.PathLike) -> dict[str, Any]:
    """speakers.json, validated (see :mod:`altyazi.speakers`)."""
    return read_record_file(path, "speakers")
