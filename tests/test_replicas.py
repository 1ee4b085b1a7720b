"""The production repos in miniature (tests/fixtures/replicas/*.json: file lists, sizes and config keys
taken from the real repos' pages, each fact with its source), loaded through the production loaders.

The aligner replica reproduces the repo's ``Wav2Vec2ProcessorWithLM`` processor config and its kenlm
``language_model/`` folder: with ``AutoProcessor`` (the old align.py) its load raised ImportError
(pyctcdecode) and killed the asr stage after all the Voxtral work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tiny_models import build_replica_aligner, replica_manifest

from altyazi.asr import ASRSettings
from altyazi.asr.align import CTCAligner
from altyazi.asr.base import Piece
from altyazi.asr.chain import time_words
from altyazi.models import DOWNLOAD_PATTERNS, wanted
from altyazi.records import Segment

REPLICAS = Path(__file__).parent / "fixtures" / "replicas"
REPOS = ["mistralai/Voxtral-Small-24B-2507", "mistralai/Voxtral-Mini-3B-2507", "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
         "mpoyraz/wav2vec2-xls-r-300m-cv7-turkish", "Systran/faster-whisper-large-v3"]


@pytest.fixture(scope="module")
def aligner_replica(tmp_path_factory):
    return build_replica_aligner(tmp_path_factory.mktemp("replica") / "wav2vec2-xls-r-300m-cv7-turkish")


def test_every_production_model_has_a_cited_manifest():
    import yaml

    from altyazi.resources import resource

    models = yaml.safe_load(resource("config.yaml").read_text())["profiles"]["production"]["models"]
    ids = {v for k, v in models.items() if k != "faster-whisper"} | {"Systran/faster-whisper-" + models["faster-whisper"]}
    assert ids == set(REPOS)
    for repo in REPOS:
        m = replica_manifest(repo)
        assert m["repo"] == repo and m["sources"] and m["retrieved"]
        assert set(m["loader_reads"]) <= {f["name"] for f in m["files"]}


def test_aligner_replica_has_the_real_repos_files_and_processor_class(aligner_replica):
    m = replica_manifest("mpoyraz/wav2vec2-xls-r-300m-cv7-turkish")
    on_disk = sorted(str(p.relative_to(aligner_replica)) for p in aligner_replica.rglob("*") if p.is_file())
    listed = sorted(f["name"] for f in m["files"] if f["name"] not in (".gitattributes", "README.md", "eval.py"))
    assert on_disk == listed
    pre = json.loads((aligner_replica / "preprocessor_config.json").read_text())
    assert pre["processor_class"] == "Wav2Vec2ProcessorWithLM"


def test_aligner_replica_loads_through_the_production_loader_and_aligns(aligner_replica):
    al = CTCAligner(str(aligner_replica))
    al.load()     # old code: ImportError: `Wav2Vec2ProcessorWithLM` needs `pyctcdecode` and `kenlm`
    t = np.arange(32000) / 16000
    words = al.align((0.2 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), "Saat 5'te geldi", offset=3.0)
    assert [w.word for w in words] == ["Saat", "5'te", "geldi"] and all(w.flag is None for w in words)


def test_the_chain_times_words_with_the_replica_aligner(aligner_replica):
    audio = np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32)
    seg = Segment(0, 1.0, 3.0, "merhaba 1990 dünya", [], "voxtral-mini", None, [])
    settings = ASRSettings(chain=["voxtral-mini"], models={"aligner": str(aligner_replica)}, device="cpu")
    counts = time_words([seg], [Piece(0, 1.0, 3.0, audio)], settings, {"voxtral-mini": False})
    assert counts == {"aligned": 3} and "words_interpolated" not in seg.flags


def test_a_broken_aligner_is_a_logged_fallback_never_a_crash(tmp_path, caplog):
    (tmp_path / "config.json").write_text("{not json")
    seg = Segment(0, 0.0, 1.0, "merhaba dünya", [], "voxtral-mini", None, [])
    settings = ASRSettings(chain=["voxtral-mini"], models={"aligner": str(tmp_path)}, device="cpu")
    counts = time_words([seg], [Piece(0, 0.0, 1.0, np.zeros(16000, np.float32))], settings, {})
    assert counts == {"interpolated": 2} and "words_interpolated" in seg.flags
    assert any("aligner unavailable" in r.getMessage() and "cannot be loaded" in r.getMessage() for r in caplog.records)


def download_plan(repo: str) -> tuple[list[str], int, list[str]]:
    m = replica_manifest(repo)
    names = [f["name"] for f in m["files"]]
    fetched = [n for n in names if wanted(n)]
    size = sum(f["bytes"] or 0 for f in m["files"] if f["name"] in fetched)
    return fetched, size, [n for n in names if n not in fetched]


@pytest.mark.parametrize("repo", REPOS)
def test_setup_models_fetches_what_the_loader_reads_and_nothing_else(repo):
    m = replica_manifest(repo)
    fetched, _, skipped = download_plan(repo)
    assert set(m["loader_reads"]) <= set(fetched)
    assert not {"consolidated.safetensors", "params.json", "language_model/lm.bin"} & set(fetched)
    assert set(fetched) - set(m["loader_reads"]) <= {"README.md"} or set(fetched) == set(m["loader_reads"])


def test_true_download_size_is_the_readme_figure():
    from altyazi.resources import resource

    total = sum(download_plan(repo)[1] for repo in REPOS)
    before = sum(sum(f["bytes"] or 0 for f in replica_manifest(r)["files"]
                     if any(__import__("fnmatch").fnmatch(f["name"], p) for p in
                            ["*.json", "*.safetensors", "*.model", "*.txt", "tekken.json", "*.bin", "vocabulary.*", "*.tiktoken"]))
                 for r in REPOS)
    assert 105e9 < total < 115e9 and before > 1.9 * total          # the old patterns: about twice as much
    assert f"~{total / 1e9:.0f} GB" in resource("README.md").read_text()
    assert "pytorch_model.bin" in DOWNLOAD_PATTERNS
