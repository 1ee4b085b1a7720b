"""Packaging: a regular (non-editable) install copies the workflow files into ``altyazi/workflow/``,
so an installed ``altyazi`` runs from any folder (altyazi/resources.py finds them there)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
WORKFLOW_FILES = ("Snakefile", "config.yaml", "glossary.tsv", "episodes.tsv", "rules", "scripts", "schemas",
                  "prompts", "report", "envs", "profiles", "data")  # = altyazi.resources.WORKFLOW_FILES


class BuildWithWorkflow(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "altyazi" / "workflow"
        for name in WORKFLOW_FILES:
            src = HERE / name
            if src.is_dir():
                shutil.copytree(src, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif src.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / name)


setup(cmdclass={"build_py": BuildWithWorkflow})
