"""A regular (non-editable) install works on its own: `pip install .`, then the command from
another folder, with no checkout on the path (the package finds its workflow files itself)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_installed_package_runs_from_another_folder(tmp_path):
    target, src = tmp_path / "site", tmp_path / "src"
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True)
    for name in listed.stdout.splitlines():  # a copy of the checkout: the build writes build/ beside setup.py
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    build = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                            "--target", str(target), str(src)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    assert (target / "altyazi" / "workflow" / "Snakefile").is_file()
    assert (target / "altyazi" / "workflow" / "schemas" / "records.schema.yaml").is_file()
    work = tmp_path / "elsewhere"
    work.mkdir()
    media = work / "Kiraz'ın bölümü.wav"
    media.write_bytes(b"RIFF")
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    where = subprocess.run([sys.executable, "-c", "import altyazi, altyazi.resources as r; "
                            "print(altyazi.__file__); print(r.workflow_root())"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    pkg, root = where.stdout.split()
    assert pkg.startswith(str(target)) and root == str(target / "altyazi" / "workflow")
    helped = subprocess.run([sys.executable, "-m", "altyazi.cli", "--help"], cwd=work, env=env,
                            capture_output=True, text=True)
    assert helped.returncode == 0 and "run" in helped.stdout
    dry = subprocess.run([sys.executable, "-m", "altyazi.cli", "run", str(media), "--profile", "offline", "--", "-n"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-3000:]
    assert (work / "episodes.tsv").is_file() and "subtitles" in dry.stdout + dry.stderr
    assert not (ROOT / "episodes.tsv").read_text(encoding="utf-8").count("Kiraz")
