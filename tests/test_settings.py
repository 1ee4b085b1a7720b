"""Config -> stage settings, and the typing of nested --config overrides."""

from pathlib import Path

import yaml
from conftest import ROOT

from altyazi.settings import asr_settings, coerce_config, translate_settings

SCHEMA = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def test_nested_overrides_get_schema_types():
    # what Snakemake's BaseLoader makes of --config 'asr={faster_whisper: {beam_size: 3}}' etc.
    raw = {"asr": {"faster_whisper": {"beam_size": "3", "batch_size": "null"}, "quality_gate": "false",
                   "chain": ["voxtral-mini", "faster-whisper"]},
           "vad": {"threshold": "0.4"}, "translate": {"context_lines": "3", "glossary": "null"}}
    out = coerce_config(raw, SCHEMA)
    assert out["asr"]["faster_whisper"] == {"beam_size": 3, "batch_size": None}
    assert out["asr"]["quality_gate"] is False
    assert out["asr"]["chain"] == ["voxtral-mini", "faster-whisper"]
    assert out["vad"]["threshold"] == 0.4
    assert out["translate"]["context_lines"] == 3 and out["translate"]["glossary"] is None


def test_unconvertible_value_is_left_for_validation():
    assert coerce_config({"vad": {"threshold": "loud"}}, SCHEMA) == {"vad": {"threshold": "loud"}}


def test_profiles_resolve_models_against_the_workflow_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    offline = {**CONFIG, "profile": "offline"}
    (ROOT / "models" / "whisper-base").mkdir(parents=True, exist_ok=True)
    asr = asr_settings(offline, str(ROOT))
    assert asr["chain"] == ["faster-whisper"]
    assert Path(asr["models"]["faster-whisper"]).is_absolute()
    prod = asr_settings(CONFIG, str(ROOT))
    assert prod["chain"][0] == "voxtral-small" and prod["models"]["voxtral-small"].startswith("mistralai/")
    assert translate_settings(CONFIG, str(ROOT))["model"] == CONFIG["profiles"]["production"]["models"]["translator"]
