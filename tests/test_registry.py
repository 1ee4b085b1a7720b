"""One declaration per ASR backend: a toy backend registered once shows up in the config schema's
validation, the CLI's --asr choices, the model roles, the planner and make_backend; the translator's
VRAM need comes from its files or its declaration, never from its name."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from altyazi import cli, gpu, settings
from altyazi.asr import ASRSettings, make_backend, plan_chain, registry, transcribe_segments
from altyazi.asr.base import ASRBackend, Transcript
from altyazi.asr.costs import ModelCost
from altyazi.errors import ConfigError
from altyazi.records import Segment
from altyazi.resources import resource
from altyazi.translate.base import DECLARED, Translator, params_from_config, translator_vram_gib
from altyazi.translate.llm import LLM


class ToyBackend:
    """Says "merhaba dünya" for every piece; gives word times like faster-whisper does."""

    gives_word_times = True

    def __init__(self, ref, plan, settings):
        self.name, self.ref, self.plan = plan.name, ref, plan

    def load(self):
        pass

    def transcribe(self, pieces, looser=False):
        from altyazi.records import Word

        return [Transcript("merhaba dünya", [Word(p.start, p.start + 0.4, "merhaba", 0.9),
                                              Word(p.start + 0.5, p.end, "dünya", 0.9)], "tr") for p in pieces]

    def close(self):
        pass


@pytest.fixture
def toy():
    spec = registry.register(registry.BackendSpec(   # <- the one declaration
        "toy-asr", ToyBackend, ModelCost(weights_gib=2.0, per_piece_gib=0.25), gives_word_times=True,
        model_role="toy-asr", options="voxtral"))
    yield spec
    registry.unregister("toy-asr")


def config_with(chain) -> dict:
    config = yaml.safe_load(resource("config.yaml").read_text(encoding="utf-8"))
    config["profiles"]["offline"]["asr_chain"] = chain
    config["profiles"]["offline"]["models"]["toy-asr"] = "toy/model"
    config["profile"] = "offline"
    return config


def test_the_schema_file_names_no_backend_and_the_generated_enum_is_the_registry():
    raw = yaml.safe_load(resource("schemas", "config.schema.yaml").read_text(encoding="utf-8"))
    assert "enum" not in raw["$defs"]["chain"]["items"]           # no second list to keep in step
    assert settings.config_schema()["$defs"]["chain"]["items"]["enum"] == registry.names()
    assert registry.names() == ["voxtral-small", "voxtral-mini", "faster-whisper"]


def test_unknown_backend_fails_validation_with_the_key_named():
    with pytest.raises(ConfigError, match=r"profiles\.offline\.asr_chain\[0\]: 'toy-asr' is not allowed; "
                       r"choose one of: voxtral-small, voxtral-mini, faster-whisper"):
        settings.validate_config(config_with(["toy-asr"]))


def test_toy_backend_declared_once_reaches_schema_cli_roles_planner_and_chain(toy, monkeypatch):
    settings.validate_config(config_with(["toy-asr", "faster-whisper"]))          # schema validation
    assert "toy-asr" in cli.build_parser()._subparsers._group_actions[0].choices["run"]._option_string_actions[
        "--asr"].choices                                                             # CLI choices
    assert cli.config_overrides(asr="toy-asr")[-1] == "asr={chain: [toy-asr]}"
    assert "toy-asr" in settings.asr_model_roles()                                  # settings
    asr = settings.asr_settings(config_with(["toy-asr", "faster-whisper"]))
    assert asr["chain"] == ["toy-asr", "faster-whisper"] and asr["models"]["toy-asr"] == "toy/model"
    monkeypatch.setattr(gpu, "cuda_available", lambda: True)
    monkeypatch.setattr(gpu, "load_device", lambda: gpu.DeviceMemory(0, "Fake", 8 * gpu.GiB, 5 * gpu.GiB))
    s = ASRSettings(chain=["toy-asr"], models={"toy-asr": "toy/model"}, voxtral={}, faster_whisper={})
    (plan,) = plan_chain(s)                          # planner: (5 - 2 - 1.5) // 0.25 = 6 pieces a batch
    assert (plan.usable, plan.device, plan.batch_size, plan.need_gib) == (True, "cuda", 6, 3.75)
    backend = make_backend(plan, s)                                                  # factory
    assert isinstance(backend, ToyBackend) and isinstance(backend, ASRBackend)
    audio = np.zeros(16000 * 3, np.float32)
    segs, summary = transcribe_segments(audio, [Segment(0, 0.5, 2.0)], s)
    assert segs[0].text == "merhaba dünya" and summary["words"] == {"asr": 2}        # its word times kept
    assert settings.asr_vram_gb(config_with(["toy-asr"])) == 4


def test_planner_skips_the_toy_when_it_does_not_fit(toy, monkeypatch):
    monkeypatch.setattr(gpu, "cuda_available", lambda: True)
    monkeypatch.setattr(gpu, "load_device", lambda: gpu.DeviceMemory(0, "Small", 4 * gpu.GiB, int(3.5 * gpu.GiB)))
    (plan,) = plan_chain(ASRSettings(chain=["toy-asr"], models={}, voxtral={}, faster_whisper={}))
    assert not plan.usable and plan.reason == "3.8 GiB needed, 3.5 GiB free on cuda:0 (Small)"


def test_llm_is_a_translator():
    assert isinstance(LLM("x"), Translator)


def test_translator_vram_from_its_config_json_not_its_name(tmp_path):
    # a folder named like a 24B model, holding a 7B-shaped config: the config decides
    folder = tmp_path / "Some-24B-model"
    folder.mkdir()
    cfg = {"architectures": ["MistralForCausalLM"], "hidden_size": 4096, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 14336,
           "vocab_size": 32768, "tie_word_embeddings": False}
    (folder / "config.json").write_text(json.dumps(cfg))
    assert params_from_config(cfg) / 1e9 == pytest.approx(7.25, abs=0.05)        # Mistral 7B v0.3: 7.25 B
    need = translator_vram_gib(str(folder))
    assert 13.5 < need < 18.0
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 10 * 2**30}}))
    assert translator_vram_gib(str(folder)) == pytest.approx(10 + 2.0 + 4 * 4024 * 2 * 32 * 8 * 128 * 2 / 2**30, abs=0.01)


def test_production_translator_need_comes_from_its_declaration():
    ref = "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
    assert translator_vram_gib(ref) == pytest.approx(DECLARED[ref].need_gib())
    assert 45 < translator_vram_gib(ref) < 52
    assert translator_vram_gib("models/x.gguf") == 0.0
