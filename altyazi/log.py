"""One logging setup for every stage: timestamped, coloured on a terminal, plain in log files.

``make debug`` (or ``ALTYAZI_DEBUG=1``) turns on debug level. The debug switch is read from the
environment, not from config.yaml, so toggling it never makes Snakemake rerun a stage.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
LOGGER_NAME = "altyazi"
_FILE_FORMAT = "%(asctime)s %(levelname)-7s [%(name)s] %(message)s"


def debug_enabled() -> bool:
    return os.environ.get("ALTYAZI_DEBUG", "").lower() in {"1", "true", "yes", "on"}


def _use_rich(stream) -> bool:
    """Colours and rich layout only on a terminal (and never when NO_COLOR is set or rich is absent)."""
    if os.environ.get("NO_COLOR") or not getattr(stream, "isatty", lambda: False)():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def get_logger(name: str | None = None) -> logging.Logger:
    return logging.getLogger(LOGGER_NAME if not name else f"{LOGGER_NAME}.{name}")


def setup_logging(log_file: str | os.PathLike | None = None, debug: bool | None = None) -> logging.Logger:
    """Configure the ``altyazi`` logger: rich console on stderr, plain text in ``log_file``.

    On a terminal the console is coloured (rich) with ``[YYYY-mm-dd HH:MM:SS]`` times; when stderr
    is a pipe (CI, Snakemake's log capture) it gets the same plain lines as the file.
    Calling it again replaces the handlers (one setup per process).
    """
    debug = debug_enabled() if debug is None else debug
    level = logging.DEBUG if debug else logging.INFO
    root = get_logger()
    root.setLevel(level)
    root.propagate = False
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()

    console: logging.Handler
    if _use_rich(sys.stderr):
        from rich.console import Console
        from rich.logging import RichHandler

        console = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False,
                              log_time_format="[%Y-%m-%d %H:%M:%S]", markup=False)
        console.setFormatter(logging.Formatter("%(message)s"))
    else:  # piped/CI output: plain timestamped lines, never wrapped, so they grep well
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter(_FILE_FORMAT))
    console.setLevel(level)
    root.addHandler(console)

    if log_file:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        fh = logging.FileHandler(log_file, mode="w", encoding="utf-8")
        fh.setFormatter(logging.Formatter(_FILE_FORMAT))
        fh.setLevel(level)
        root.addHandler(fh)
    return root


class EveryTenth:
    """The one progress throttle of the log files: a line each time a count enters a new tenth of
    its total. :meth:`tick` returns that tenth as a percentage (10, 20, ... 100; with ``from_zero``
    also 0 at the first call) or None when the line would repeat the last one's tenth."""

    def __init__(self, from_zero: bool = False):
        self._last = -1 if from_zero else 0

    def tick(self, done: float, total: float | None) -> int | None:
        if not total:
            return None
        tenth = min(10, int(10 * done // total))
        if tenth <= self._last:
            return None
        self._last = tenth
        return 10 * tenth


def progress(items: Iterable[T], total: int | None = None, description: str = "working",
             logger: logging.Logger | None = None) -> Iterator[T]:
    """Iterate with a progress bar on a terminal; in log files, a line every ~10 %."""
    logger = logger or get_logger()
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    if sys.stderr.isatty() and not os.environ.get("CI"):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)
        return
    tenths = EveryTenth()
    for i, item in enumerate(items, 1):
        yield item
        if tenths.tick(i, total) is not None:
            logger.info("%s: %d/%d (%d%%)", description, i, total, 100 * i // total)


@contextmanager
def timed(what: str, logger: logging.Logger | None = None) -> Iterator[dict]:
    """Log how long a block took; the dict receives ``seconds``."""
    logger = logger or get_logger()
    info: dict = {}
    t0 = time.perf_counter()
    try:
        yield info
    finally:
        info["seconds"] = time.perf_counter() - t0
        logger.debug("%s took %.2f s", what, info["seconds"])
