"""The one entry point every ``scripts/<stage>.py`` goes through.

It sets up logging into the rule's log file, runs the stage function, and turns a project error
into a clear message and a non-zero exit (that episode's job fails, the others go on).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

from .errors import AltyaziError
from .log import get_logger, setup_logging


def run_stage(name: str, snakemake: Any, func: Callable[..., Any]) -> None:
    log_file = snakemake.log[0] if len(snakemake.log) else None
    setup_logging(log_file)
    logger = get_logger(name)
    episode = snakemake.wildcards.get("episode", "?") if hasattr(snakemake.wildcards, "get") else "?"
    t0 = time.perf_counter()
    try:
        func(snakemake, logger)
    except AltyaziError as err:
        logger.error("%s failed for episode %s: %s", name, episode, err)
        sys.exit(1)
    except KeyboardInterrupt:
        logger.error("%s interrupted for episode %s; rerun to resume", name, episode)
        sys.exit(130)
    except Exception:
        logger.exception("%s crashed for episode %s (a bug: please report it with this log)", name, episode)
        sys.exit(2)
    logger.debug("%s finished for %s in %.1f s", name, episode, time.perf_counter() - t0)
