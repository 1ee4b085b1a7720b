"""The episode sheet (``episodes.tsv``): load, validate row by row, add rows.

Validation happens before any rule runs; every problem names its row, so a user fixes the sheet
without reading a traceback. Sources are never passed to a shell (yt-dlp's Python API is used).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import yaml

from .errors import ConfigError
from .resources import resource

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
COLUMNS = ("episode", "source", "title", "audio_stream")
# Characters that have no business in a URL a user pastes; `$` and `()` are legal URL characters
# and are harmless because no shell ever sees a source.
_BAD_URL_CHARS = re.compile(r"[\s`\"'<>\\\x00-\x1f]")
SCHEMA_PATH = resource("schemas", "episodes.schema.yaml")


@dataclass(frozen=True)
class Episode:
    episode: str
    source: str
    title: str = ""
    audio_stream: int | None = None     # None: the audio stage chooses the stream with speech

    @property
    def is_url(self) -> bool:
        return is_url(self.source)


def is_url(source: str) -> bool:
    return urlparse(source).scheme in {"http", "https"}


def _check_row(row: dict, lineno: int, base_dir: Path, schema: dict | None) -> Episode:
    where = f"episodes.tsv line {lineno}"
    ep = (row.get("episode") or "").strip()
    src = (row.get("source") or "").strip()
    title = (row.get("title") or "").strip()
    label = f"{where} (episode {ep!r})" if ep else where
    stream = _audio_stream(row.get("audio_stream"), label)
    if not ep:
        raise ConfigError(f"{where}: the 'episode' id is empty")
    if not ID_PATTERN.match(ep):
        raise ConfigError(f"{label}: invalid id; use letters, digits, '_' or '-' only "
                          f"(no spaces, slashes or dots), starting with a letter or digit")
    if not src:
        raise ConfigError(f"{label}: the 'source' is empty; give a URL or a local file path")
    if schema is not None:
        import jsonschema

        record = {"episode": ep, "source": src} | ({"title": title} if title else {}) | (
            {"audio_stream": stream} if stream is not None else {})
        try:
            jsonschema.validate(record, schema)
        except jsonschema.ValidationError as err:
            raise ConfigError(f"{label}: {err.message}") from None
    if is_url(src):
        if _BAD_URL_CHARS.search(src) or not urlparse(src).netloc:
            raise ConfigError(f"{label}: {src!r} is not a valid URL (spaces, quotes or control characters)")
    elif re.match(r"^[a-z][a-z0-9+.-]*://", src, re.I):
        raise ConfigError(f"{label}: unsupported URL scheme in {src!r}; use http(s) or a local path")
    else:
        path = Path(src) if os.path.isabs(src) else base_dir / src
        if not path.is_file():
            raise ConfigError(f"{label}: local file {src!r} does not exist (looked at {path})")
    return Episode(ep, src, title, stream)


def _audio_stream(cell: str | None, label: str) -> int | None:
    """The optional audio_stream cell: empty, or a 0-based audio stream number."""
    cell = (cell or "").strip()
    if not cell:
        return None
    if not cell.isdigit():
        raise ConfigError(f"{label}: audio_stream {cell!r} is not a stream number; give 0 for the first "
                          f"audio stream, 1 for the second..., or leave it empty to choose by speech")
    return int(cell)


@dataclass(frozen=True)
class RowProblem:
    """A sheet row that cannot run: its line number, its id when it has a readable one, the message."""

    line: int
    episode: str
    message: str


@dataclass
class Sheet:
    """The valid episodes of a sheet and the problems of its invalid rows (each row stands alone)."""

    episodes: list[Episode]
    problems: list[RowProblem]


def _read_header(path: Path) -> tuple[list[str], list[tuple[int, str]]]:
    """The sheet's columns and its data lines; a broken header is fatal (no row can be read)."""
    if not path.is_file():
        raise ConfigError(f"episode sheet {path} not found",
                          hint="Create it with a header line `episode<TAB>source<TAB>title`, or use `make run URL=...`.")
    lines = [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"{path} is empty: it needs a header line `episode<TAB>source<TAB>title`")
    header_no, header = lines[0]
    columns = [c.strip() for c in header.split("\t")]
    missing = [c for c in ("episode", "source") if c not in columns]
    if missing:
        spaces = " (separated by spaces: use TABs)" if len(columns) == 1 and " " in columns[0] else ""
        raise ConfigError(f"{path} line {header_no}: missing column(s) {', '.join(missing)}; "
                          f"the header must be tab-separated: episode, source[, title, audio_stream] (found {columns}{spaces})")
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ConfigError(f"{path} line {header_no}: unknown column(s) {', '.join(unknown)}")
    return columns, lines[1:]


def read_sheet(path: str | os.PathLike, base_dir: str | os.PathLike | None = None) -> Sheet:
    """Read ``path`` row by row: valid rows become episodes, invalid ones become problems.

    A bad row never stops the good ones (the workflow turns each problem into a failing job, so
    ``--keep-going`` still finishes the rest). A broken header raises :class:`ConfigError`.
    Relative local sources are resolved against ``base_dir`` (default: the current directory).
    """
    path = Path(path)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    columns, lines = _read_header(path)
    schema = yaml.safe_load(SCHEMA_PATH.read_text()) if SCHEMA_PATH.is_file() else None
    episodes: list[Episode] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for lineno, line in lines:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        row = dict(zip(columns, cells))
        raw_id = (row.get("episode") or "").strip()
        try:
            if len(cells) > len(columns):
                raise ConfigError(f"episodes.tsv line {lineno}: {len(cells)} cells for {len(columns)} "
                                  f"columns (a stray tab?)")
            absent = [c for c in ("episode", "source") if columns.index(c) >= len(cells)]
            if absent:
                raise ConfigError(f"episodes.tsv line {lineno}: missing column(s) {', '.join(absent)} "
                                  f"({len(cells)} cell(s) for the header's {len(columns)}; separate cells "
                                  f"with a TAB, not spaces)")
            episode = _check_row(row, lineno, base, schema)
            if episode.episode in seen:
                raise ConfigError(f"episodes.tsv line {lineno}: duplicate episode id {episode.episode!r} "
                                  f"(first on line {seen[episode.episode]}); this row is skipped")
        except ConfigError as err:
            problems.append(RowProblem(lineno, raw_id if ID_PATTERN.match(raw_id) else "", str(err)))
            continue
        seen[episode.episode] = lineno
        episodes.append(episode)
    return Sheet(episodes, problems)


def load_episodes(path: str | os.PathLike, base_dir: str | os.PathLike | None = None) -> list[Episode]:
    """Read and validate ``path`` strictly: the first invalid row raises :class:`ConfigError`."""
    sheet = read_sheet(path, base_dir)
    if sheet.problems:
        raise ConfigError(sheet.problems[0].message.split("\n  -> ")[0])
    return sheet.episodes


def episode_id_for(source: str) -> str:
    """A readable, valid id for a URL or file: the YouTube video id, else the file/URL stem."""
    if is_url(source):
        parsed = urlparse(source)
        vid = parse_qs(parsed.query).get("v", [""])[0]
        if not vid and parsed.netloc.endswith("youtu.be"):
            vid = parsed.path.strip("/")
        stem = vid or Path(parsed.path).stem or parsed.netloc
    else:
        stem = Path(source).stem
    import unicodedata

    ascii_stem = unicodedata.normalize("NFKD", stem.replace("ı", "i").replace("İ", "I"))
    ascii_stem = "".join(c for c in ascii_stem if not unicodedata.combining(c))
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_") or "episode"
    if not clean[0].isalnum():
        clean = "ep" + clean
    return clean[:80]


def add_episode(sheet: str | os.PathLike, source: str, episode: str | None = None, title: str = "") -> str:
    """Append a row for ``source`` to ``sheet`` unless one exists; return the episode id.

    The new row is validated (a bad source raises :class:`ConfigError`); invalid rows already in
    the sheet do not block it (they fail as their own jobs when the workflow runs)."""
    sheet = Path(sheet)
    if sheet.is_file() and sheet.read_text().strip():
        current = read_sheet(sheet)          # another row's problem is reported by the workflow, not here
        for ep in current.episodes:
            if ep.source == source and (episode is None or ep.episode == episode):
                return ep.episode
        existing = {ep.episode for ep in current.episodes} | {p.episode for p in current.problems if p.episode}
    else:
        sheet.write_text("episode\tsource\ttitle\n", encoding="utf-8")
        existing = set()
    ep_id = episode or episode_id_for(source)
    base, n = ep_id, 2
    while ep_id in existing:
        ep_id, n = f"{base}-{n}", n + 1
    _check_row({"episode": ep_id, "source": source, "title": title}, 0, Path.cwd(), None)
    text = sheet.read_text(encoding="utf-8")
    with open(sheet, "a", encoding="utf-8") as fh:
        if text and not text.endswith("\n"):
            fh.write("\n")
        values = {"episode": ep_id, "source": source, "title": title}
        fh.write("\t".join(values[c] for c in _read_header(sheet)[0]) + "\n")   # the sheet's own columns
    return ep_id


def report_row_problem(problem: RowProblem, log_file: str | os.PathLike) -> None:
    """The job of an invalid sheet row: write its message to ``log_file`` and fail with it.

    Each invalid row fails as its own job, so the user sees the message in Snakemake's error
    summary and the exit status is non-zero, while the valid episodes of the batch still run.
    """
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(problem.message + "\n", encoding="utf-8")
    raise ConfigError(problem.message.split("\n  -> ")[0])
