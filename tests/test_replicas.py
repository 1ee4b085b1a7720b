"""The production repos in miniature (tests/fixtures/replicas/*.json: file lists, sizes, config texts
taken from the real repos' pages, each fact with its source; builders in tests/replicas.py and
tests/tiny_models.py), loaded through the production loaders exactly as a real run loads them.

- The aligner replica reproduces the repo's ``Wav2Vec2ProcessorWithLM`` processor config and its kenlm
  ``language_model/`` folder: with ``AutoProcessor`` (the old align.py) its load raised ImportError
  (pyctcdecode) and killed the asr stage after all the Voxtral work.
- The Voxtral Small/Mini and Mistral Small 3.2 replicas are first cut down to what `make setup-models`
  fetches (altyazi.models.wanted): they load from that alone (consolidated.safetensors, params.json
  gone), every tensor is traced back to the HF shards, and the old-style config.json is read right.
- The faster-whisper large-v3 replica is a real CTranslate2 conversion (128 mel bins, 51866 tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from replicas import (
    MISTRAL_SMALL,
    VOXTRAL_REPOS,
    WHISPER_REPO,
    build_replica_faster_whisper,
    build_replica_mistral,
    copy_replica,
    keep_download_set,
    legacy_name,
    replica_files,
)
from tiny_models import build_replica_aligner, replica_manifest

from altyazi.asr import ASRSettings
from altyazi.asr.align import CTCAligner
from altyazi.asr.base import Piece
from altyazi.asr.chain import time_words
from altyazi.asr.voxtral import VoxtralBackend
from altyazi.asr.whisper import FasterWhisperBackend
from altyazi.errors import ModelMissingError
from altyazi.models import DOWNLOAD_PATTERNS, wanted
from altyazi.records import Segment

REPLICAS = Path(__file__).parent / "fixtures" / "replicas"
REPOS = ["mistralai/Voxtral-Small-24B-2507", "mistralai/Voxtral-Mini-3B-2507", "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
         "mpoyraz/wav2vec2-xls-r-300m-cv7-turkish", "Systran/faster-whisper-large-v3"]


SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
NOT_FETCHED = {"README.md", "SYSTEM_PROMPT.txt", "consolidated.safetensors", "params.json"}


@pytest.fixture(scope="module")
def aligner_replica(tmp_path_factory):
    return build_replica_aligner(tmp_path_factory.mktemp("replica") / "wav2vec2-xls-r-300m-cv7-turkish")


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Each production repo in miniature, built once; tests copy before they delete anything."""
    root = tmp_path_factory.mktemp("replicas")
    built = {repo: build_replica_mistral(root / repo.split("/")[1], repo) for repo in (*VOXTRAL_REPOS, MISTRAL_SMALL)}
    built[WHISPER_REPO] = build_replica_faster_whisper(root / WHISPER_REPO.split("/")[1])
    return built


@pytest.fixture
def download_set(replicas, tmp_path):
    """A replica as `make setup-models` leaves it: only the files the download patterns fetch."""
    def make(repo: str) -> tuple[Path, list[str]]:
        folder = copy_replica(replicas[repo], tmp_path / repo.split("/")[1])
        return folder, keep_download_set(folder)
    return make


def pieces(n: int = 2) -> list[Piece]:
    rng = np.random.default_rng(0)
    return [Piece(i, 2.0 * i, 2.0 * i + 1.5, rng.normal(0, 0.1, 24000).astype(np.float32)) for i in range(n)]


def assert_every_tensor_comes_from_the_hf_shards(model, folder: Path) -> None:
    """Each tensor of the index, under the name transformers 5 gives it, holds exactly the shard's
    values (nothing randomly initialised, nothing read from consolidated.safetensors)."""
    import torch
    from safetensors.torch import load_file

    index = json.loads((folder / "model.safetensors.index.json").read_text())
    assert sorted(set(index["weight_map"].values())) == SHARDS
    state = model.state_dict()
    current = {legacy_name(k): k for k in state}
    for shard in SHARDS:
        for name, tensor in load_file(str(folder / shard)).items():
            assert index["weight_map"][name] == shard
            assert torch.equal(state[current[name]].to(torch.bfloat16).cpu(), tensor), name
    assert set(current) == set(index["weight_map"])


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


# ---------------------------------------------------------------- Voxtral, Mistral Small, faster-whisper
def _keys(d: dict, prefix: str = "") -> set[str]:
    return set().union(*[{prefix + k} | (_keys(v, prefix + k + ".") if isinstance(v, dict) else set())
                         for k, v in d.items()]) if d else set()


@pytest.mark.parametrize("repo", [*VOXTRAL_REPOS, MISTRAL_SMALL, WHISPER_REPO])
def test_replica_has_the_real_repos_file_names(replicas, repo):
    m = replica_manifest(repo)
    listed = {f["name"] for f in m["files"]} - {".gitattributes"}
    on_disk = set(replica_files(replicas[repo]))
    shards = {n for n in listed if n.startswith("model-") and n.endswith(".safetensors")}
    assert on_disk == (listed - shards) | (set(SHARDS) if shards else set())
    if repo != WHISPER_REPO:
        assert not {"tokenizer.json", "tokenizer_config.json", "tokenizer.model"} & on_disk   # tekken.json alone
        assert ("preprocessor_config.json" in on_disk) == (repo in VOXTRAL_REPOS)          # none in Mistral Small 3.2


@pytest.mark.parametrize("repo", [*VOXTRAL_REPOS, MISTRAL_SMALL])
def test_replica_config_is_the_real_one_with_only_sizes_scaled(replicas, repo):
    real = replica_manifest(repo)["texts"]["config.json"]
    tiny = json.loads((replicas[repo] / "config.json").read_text())
    assert _keys(tiny) == _keys(real) and tiny["architectures"] == real["architectures"]
    sizes = {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
             "head_dim", "vocab_size"}
    for section in ("", "text_config", "audio_config", "vision_config"):
        r, t = (real, tiny) if not section else (real.get(section, {}), tiny.get(section, {}))
        for key, value in r.items():
            if not isinstance(value, dict) and key not in sizes and not (section == "audio_config" and key == "vocab_size"):
                assert t[key] == value, f"{section}.{key}"


@pytest.mark.parametrize("repo", [*VOXTRAL_REPOS, MISTRAL_SMALL, WHISPER_REPO])
def test_replica_texts_have_the_listed_sizes(replicas, repo):
    """generation_config.json and preprocessor_config.json are written as a transformers save writes
    them; where the real listing gives their exact size, the replica's file has that size."""
    m = replica_manifest(repo)
    exact = {f["name"]: f["bytes"] for f in m["files"] if (f.get("listed") or "").endswith("Bytes")}
    checked = [n for n in exact if n in m.get("texts", {})]
    assert checked or repo == MISTRAL_SMALL   # no exact size of its small files was found
    for name in checked:
        assert (replicas[repo] / name).stat().st_size == exact[name], name


@pytest.mark.parametrize("repo", VOXTRAL_REPOS)
def test_voxtral_replica_loads_from_the_download_set_and_transcribes(download_set, repo):
    folder, deleted = download_set(repo)
    assert set(deleted) == NOT_FETCHED - {"SYSTEM_PROMPT.txt"}      # consolidated.safetensors is never needed
    backend = VoxtralBackend(str(folder), name="voxtral-small" if "Small" in repo else "voxtral-mini", device="cpu",
                             batch_size=2, max_new_tokens=4)
    backend.load()
    assert type(backend.processor).__name__ == "VoxtralProcessor"
    assert type(backend.processor.tokenizer).__name__ == "MistralCommonBackend"
    assert backend.model.config.text_config.rope_parameters["rope_theta"] == 1e8   # the old-style config read right
    assert_every_tensor_comes_from_the_hf_shards(backend.model, folder)
    out = backend.transcribe(pieces(3))
    assert len(out) == 3 and all(isinstance(t.text, str) and t.language == "tr" for t in out)
    backend.close()


def test_mistral_small_replica_loads_from_the_download_set_and_chats(download_set):
    import torch

    from altyazi.translate.llm import LLM

    folder, deleted = download_set(MISTRAL_SMALL)
    assert set(deleted) == NOT_FETCHED
    llm = LLM(str(folder), device="cpu", batch_size=2).load()
    assert type(llm.tokenizer).__name__ == "MistralCommonBackend" and llm.is_chat
    assert type(llm.model).__name__ == "Mistral3ForConditionalGeneration"
    assert llm.model.config.text_config.rope_parameters["rope_theta"] == 1e9
    # the real config.json does not say tie_word_embeddings; transformers 5 defaults it to True for
    # mistral3 and must still keep the checkpoint's own lm_head
    assert not torch.equal(llm.model.lm_head.weight, llm.model.get_input_embeddings().weight)
    assert_every_tensor_comes_from_the_hf_shards(llm.model, folder)
    conversations = [[{"role": "system", "content": "Traduis en français."}, {"role": "user", "content": text}]
                     for text in ("Merhaba.", "Kiraz uyumuyor, Seher Hanım.", "Yaman Bey geldi mi?")]
    replies = llm.chat(conversations, max_new_tokens=4)
    assert len(replies) == 3 and all(isinstance(r, str) for r in replies) and llm.new_tokens > 0
    llm.close()


def test_a_missing_shard_is_a_clear_error_not_random_weights(download_set):
    folder, _ = download_set(VOXTRAL_REPOS[1])
    (folder / SHARDS[1]).unlink()
    with pytest.raises(ModelMissingError, match=SHARDS[1]):
        VoxtralBackend(str(folder), name="voxtral-mini", device="cpu").load()


def test_faster_whisper_replica_loads_from_the_download_set_and_times_words(download_set):
    folder, deleted = download_set(WHISPER_REPO)
    assert deleted == ["README.md"]
    vocabulary = json.loads((folder / "vocabulary.json").read_text())
    assert len(vocabulary) == 51866 and vocabulary[50358] == "<|yue|>"
    assert len(json.loads((folder / "config.json").read_text())["lang_ids"]) == 100
    backend = FasterWhisperBackend(str(folder), device="cpu", beam_size=1, batch_size=2, cpu_threads=1)
    backend.load()
    assert backend.model.model.n_mels == 128 and backend.model.feature_extractor.mel_filters.shape[0] == 128
    ps = pieces(2)
    out = backend.transcribe(ps)
    assert len(out) == 2 and backend.spoken is not None
    for p, t in zip(ps, out):
        assert all(p.start <= w.start <= w.end <= p.end for w in t.words)
    backend.close()


def test_faster_whisper_without_its_preprocessor_config_is_a_clear_error(download_set):
    """The one file that tells faster-whisper "128 mel bins": without it, it would feed 80 and fail at
    the first piece (ValueError: expected (1, 128, 3000), got (1, 80, 3000)); load() says so at once."""
    folder, _ = download_set(WHISPER_REPO)
    (folder / "preprocessor_config.json").unlink()
    with pytest.raises(ModelMissingError, match="expects 128 mel bins but its feature extractor gives 80"):
        FasterWhisperBackend(str(folder), device="cpu", cpu_threads=1).load()
