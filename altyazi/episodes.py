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

COLUMNS = ("episode", "source", "title", "audio_stream")
# Characters that have no business in a URL a user pastes; `$` and `()` are legal URL characters
# and are harmless because no shell ever sees a source.
_BAD_URL_CHARS = re.compile(r"[\s`\"'<>\\\x00-\x1f]")
SCHEMA_PATH = resource("schemas", "episodes.schema.yaml")
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
# The one definition of an episode id (the schema's); rules/common.smk constrains the wildcard with it too.
ID_PATTERN = re.compile(SCHEMA["properties"]["episode"]["pattern"])
ID_WILDCARD = ID_PATTERN.pattern.removeprefix("^").removesuffix("$")
_LOOKS_LIKE_HOST = re.compile(r"^(www\.|m\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}/", re.I)


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


def describe_local_source(src: str, path: Path) -> str | None:
    """None when ``path`` is a readable regular file; otherwise what it is instead, in words."""
    if path.is_file():
        return None if os.access(path, os.R_OK) else f"local file {src!r} is not readable (permission denied: {path})"
    if path.is_symlink():
        target = os.readlink(path)
        if path.is_dir():
            return f"{src!r} is a link to a folder ({path.resolve()}), not a media file"
        return (f"{src!r} is a symbolic link to {target}, which does not exist (a dangling link: "
                f"the file was moved or deleted; point the link at the file or give the file's path)")
    if path.is_dir():
        return (f"{src!r} is a folder, not a media file: give one video or audio file, or list the "
                f"folder's files one a line in a file for `altyazi batch`")
    if path.exists():
        return f"{src!r} is not a regular file (a device, pipe or socket): give a media file"
    return f"local file {src!r} does not exist (looked at {path})"


def _check_row(row: dict, where: str, base_dir: Path, schema: dict | None) -> Episode:
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
        problem = describe_local_source(src, Path(src) if os.path.isabs(src) else base_dir / src)
        if problem and _LOOKS_LIKE_HOST.match(src):  # pasted from the address bar without its scheme
            problem += f"; if it is a web address, write it with https:// (https://{src})"
        if problem:
            raise ConfigError(f"{label}: {problem}")
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


def _read_utf8(path: Path) -> str:
    """The sheet's text; a file saved in a legacy encoding (Windows-1254 Turkish) is named as such."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ConfigError(f"{path} line {line}: not UTF-8 text (byte 0x{data[err.start]:02x}; probably saved as "
                          f"Windows-1254/ISO-8859-9 Turkish)",
                          hint="Save the sheet as UTF-8 (in a spreadsheet: 'Text, UTF-8, tab-separated').") from None


def _read_header(path: Path) -> tuple[list[str], list[tuple[int, str]]]:
    """The sheet's columns and its data lines; a broken header is fatal (no row can be read)."""
    if not path.is_file():
        raise ConfigError(f"episode sheet {path} not found",
                          hint="Create it with a header line `episode<TAB>source<TAB>title`, or use `make run URL=...`.")
    # utf-8-sig: a spreadsheet's "UTF-8 (with BOM)" export puts U+FEFF before the header's first name
    lines = [(n, line) for n, line in enumerate(_read_utf8(path).splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(f"{path} is empty: it needs a header line `episode<TAB>source<TAB>title`")
    header_no, header = lines[0]
    columns = _trim_empty_tail([c.strip() for c in header.split("\t")])  # spreadsheets pad rows with tabs
    missing = [c for c in ("episode", "source") if c not in columns]
    if missing:
        spaces = ""
        if len(columns) == 1:
            for sep, name in ((",", "commas"), (";", "semicolons"), (" ", "spaces")):
                if sep in columns[0]:
                    spaces = f" (separated by {name}: use TABs, e.g. save as 'Text (Tab delimited)')"
                    break
        raise ConfigError(f"{path} line {header_no}: missing column(s) {', '.join(missing)}; "
                          f"the header must be tab-separated: episode, source[, title, audio_stream] (found {columns}{spaces})")
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ConfigError(f"{path} line {header_no}: unknown column(s) {', '.join(unknown)}")
    return columns, lines[1:]


def _trim_empty_tail(cells: list[str], keep: int = 0) -> list[str]:
    """Drop trailing empty cells beyond the first ``keep`` (a spreadsheet writes `a<TAB>b<TAB><TAB>`)."""
    cells = list(cells)
    while len(cells) > keep and not cells[-1].strip():
        cells.pop()
    return cells


def read_sheet(path: str | os.PathLike, base_dir: str | os.PathLike | None = None) -> Sheet:
    """Read ``path`` row by row: valid rows become episodes, invalid ones become problems.

    A bad row never stops the good ones (the workflow turns each problem into a failing job, so
    ``--keep-going`` still finishes the rest). A broken header raises :class:`ConfigError`.
    Relative local sources are resolved against ``base_dir`` (default: the current directory).
    """
    path = Path(path)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    columns, lines = _read_header(path)
    episodes: list[Episode] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for lineno, line in lines:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        cells = _trim_empty_tail(cells, keep=len(columns))
        row = dict(zip(columns, cells))
        raw_id = (row.get("episode") or "").strip()
        where = f"{path} line {lineno}"
        try:
            if len(cells) > len(columns):
                raise ConfigError(f"{where}: {len(cells)} cells for {len(columns)} columns (a stray tab?)")
            absent = [c for c in ("episode", "source") if columns.index(c) >= len(cells)]
            if absent:
                raise ConfigError(f"{where}: missing column(s) {', '.join(absent)} "
                                  f"({len(cells)} cell(s) for the header's {len(columns)}; separate cells "
                                  f"with a TAB, not spaces)")
            episode = _check_row(row, where, base, SCHEMA)
            if episode.episode in seen:
                raise ConfigError(f"{where}: duplicate episode id {episode.episode!r} "
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


_YOUTUBE_PATH_KINDS = {"shorts", "embed", "live", "v", "e"}


def youtube_id(url: str) -> str | None:
    """The video id of a YouTube URL in any of its spellings (watch?v=, youtu.be/, shorts/, embed/,
    live/, m./music./www., extra parameters such as &t=42s or &list=...), else None."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    host = re.sub(r"^(www|m|music)\.", "", host)
    parts = [p for p in parsed.path.split("/") if p]
    if host == "youtu.be":
        return parts[0] if parts else None
    if host in {"youtube.com", "youtube-nocookie.com"}:
        vid = parse_qs(parsed.query).get("v", [""])[0]
        if vid:
            return vid
        if len(parts) >= 2 and parts[0] in _YOUTUBE_PATH_KINDS:
            return parts[1]
    return None


def source_key(source: str, base_dir: str | os.PathLike | None = None) -> tuple:
    """What makes two sources the same episode: a YouTube video id; for other URLs the URL without
    case in the host, `www.`, a trailing slash or the #fragment; for a local file the file itself
    (device and inode, so ``../in/x.mp4``, ``in//x.mp4``, a symlink and a hard link are one file)."""
    if is_url(source):
        vid = youtube_id(source)
        if vid:
            return ("youtube", vid)
        parsed = urlparse(source)
        host = re.sub(r"^www\.", "", (parsed.netloc or "").lower())
        return ("url", host, parsed.path.rstrip("/") or "/", parsed.query)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    path = Path(os.path.expanduser(source))
    path = path if path.is_absolute() else base / path
    try:
        st = path.stat()
        return ("file", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.realpath(path))


def episode_id_for(source: str) -> str:
    """A readable, valid id for a URL or file: the YouTube video id, else the file/URL stem."""
    if is_url(source):
        parsed = urlparse(source)
        stem = youtube_id(source) or Path(parsed.path).stem or parsed.netloc
    else:
        stem = Path(source).stem
    import unicodedata

    ascii_stem = unicodedata.normalize("NFKD", stem.replace("ı", "i").replace("İ", "I"))
    ascii_stem = "".join(c for c in ascii_stem if not unicodedata.combining(c))
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_") or "episode"
    if not clean[0].isalnum():
        clean = "ep" + clean
    return clean[:80]


@dataclass(frozen=True)
class Request:
    """A source to add to the sheet; ``where`` names it in messages (``list.txt line 3``)."""

    source: str
    episode: str | None = None
    title: str = ""
    where: str = ""


@dataclass
class Added:
    """Per request, the episode id (None when the request is invalid), and the invalid ones' messages."""

    ids: list[str | None]
    problems: list[tuple[Request, str]]


def add_episodes(sheet: str | os.PathLike, requests: list[Request]) -> Added:
    """Add rows for ``requests`` to ``sheet``: validate every request first, then append the valid
    new rows in one atomic write (a bad request never leaves the sheet half-updated).

    A source already in the sheet (the same file written another way, the same YouTube video) reuses
    its row, so no stage is redone. Invalid rows already in the sheet do not block new ones (they
    fail as their own jobs when the workflow runs).
    """
    from .io import atomic_write_text

    sheet = Path(sheet)
    exists = bool(sheet.is_file() and sheet.read_text(encoding="utf-8-sig").strip())
    current = read_sheet(sheet) if exists else Sheet([], [])
    known = {source_key(ep.source): ep.episode for ep in current.episodes}
    taken = {ep.episode for ep in current.episodes} | {p.episode for p in current.problems if p.episode}
    columns = _read_header(sheet)[0] if exists else list(COLUMNS)
    ids: list[str | None] = []
    problems: list[tuple[Request, str]] = []
    rows: list[str] = []
    for req in requests:
        key = source_key(req.source)
        if key in known and (req.episode is None or req.episode == known[key]):
            ids.append(known[key])
            continue
        ep_id = req.episode or episode_id_for(req.source)
        base, n = ep_id, 2
        while ep_id in taken:
            ep_id, n = f"{base}-{n}", n + 1
        try:
            _check_row({"episode": ep_id, "source": req.source, "title": req.title},
                       req.where or f"cannot add {req.source!r}", Path.cwd(), None)
        except ConfigError as err:
            ids.append(None)
            problems.append((req, str(err).split("\n  -> ")[0]))
            continue
        values = {"episode": ep_id, "source": req.source, "title": req.title}
        rows.append("\t".join(values.get(c, "") for c in columns))  # the sheet's own columns (audio_stream: empty)
        known[key] = ep_id
        taken.add(ep_id)
        ids.append(ep_id)
    if rows:
        text = sheet.read_text(encoding="utf-8") if exists else "\t".join(COLUMNS) + "\n"
        if text and not text.endswith("\n"):
            text += "\n"
        atomic_write_text(os.path.realpath(sheet), text + "\n".join(rows) + "\n")
    return Added(ids, problems)


def add_episode(sheet: str | os.PathLike, source: str, episode: str | None = None, title: str = "") -> str:
    """Append a row for ``source`` to ``sheet`` unless one exists; return the episode id.

    The new row is validated (a bad source raises :class:`ConfigError`)."""
    added = add_episodes(sheet, [Request(source, episode, title)])
    if added.problems:
        raise ConfigError(added.problems[0][1])
    return added.ids[0]


def report_row_problem(problem: RowProblem, log_file: str | os.PathLike) -> None:
    """The job of an invalid sheet row: write its message to ``log_file`` and fail with it.

    Each invalid row fails as its own job, so the user sees the message in Snakemake's error
    summary and the exit status is non-zero, while the valid episodes of the batch still run.
    """
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(problem.message + "\n", encoding="utf-8")
    raise ConfigError(problem.message.split("\n  -> ")[0])
