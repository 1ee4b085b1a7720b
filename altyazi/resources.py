"""Where the package finds the workflow's own files (Snakefile, rules, schemas, prompts, config).

In a checkout (and an editable install) they sit beside the package, at the repository root.
A regular ``pip install .`` copies them into the package as ``altyazi/workflow/`` (see setup.py).
Every module asks here; none builds a path from ``__file__`` itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# What setup.py copies into an installed package; a checkout has all of it at its root.
WORKFLOW_FILES = ("Snakefile", "config.yaml", "glossary.tsv", "episodes.tsv", "rules", "scripts", "schemas",
                  "prompts", "report", "envs", "profiles", "data")


@lru_cache(maxsize=1)
def workflow_root() -> Path:
    """The folder holding ``Snakefile``, ``config.yaml``, ``schemas/`` ... for this installation."""
    for root in (_PACKAGE.parent, _PACKAGE / "workflow"):
        if (root / "Snakefile").is_file() and (root / "schemas").is_dir():
            return root
    raise FileNotFoundError(f"altyazi's workflow files (Snakefile, schemas/) are neither beside {_PACKAGE} nor "
                            f"in {_PACKAGE / 'workflow'}: reinstall with `pip install .` from a checkout")


def resource(*parts: str) -> Path:
    """A file of the workflow, e.g. ``resource("schemas", "tr.schema.yaml")``."""
    return workflow_root().joinpath(*parts)
