"""The offline translator folder: config.yaml points at what `make setup` writes, and a converted
folder whose stamp matches its GGUF is reused without loading anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from altyazi import models

ROOT = Path(__file__).resolve().parent.parent


def test_offline_profile_points_at_the_converted_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "prepare_whisper_base", lambda dest: Path(dest))
    monkeypatch.setattr(models, "prepare_gemma", lambda d: Path(d) / "g.gguf")
    monkeypatch.setattr(models, "convert_gguf", lambda gguf, dest: Path(dest))
    out = models.prepare_offline_models("models")
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    assert Path(cfg["profiles"]["offline"]["models"]["translator"]) == out["translator"]


def test_conversion_is_reused_while_the_gguf_is_unchanged(tmp_path, monkeypatch):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)
    dest = tmp_path / "hf"
    dest.mkdir()
    (dest / "model.safetensors").write_bytes(b"x")
    st = gguf.stat()
    (dest / models.GGUF_STAMP).write_text(json.dumps({"gguf": "m.gguf", "size": st.st_size, "mtime": int(st.st_mtime),
                                                         "format": models.CONVERSION_FORMAT}))
    assert models.convert_gguf(gguf, dest) == dest               # nothing loaded (the GGUF is not real)
    import transformers

    class Loaded(Exception):
        pass

    def load(*a, **k):
        raise Loaded()
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", load)
    gguf.write_bytes(b"GGUF" + b"\0" * 200)                       # changed: converted again
    with pytest.raises(Loaded):
        models.convert_gguf(gguf, dest)
    st = gguf.stat()                                              # a folder of an older conversion format
    (dest / models.GGUF_STAMP).write_text(json.dumps({"gguf": "m.gguf", "size": st.st_size, "mtime": int(st.st_mtime)}))
    with pytest.raises(Loaded):
        models.convert_gguf(gguf, dest)
    assert (dest / "model.safetensors").is_file()                 # the old folder is untouched on failure
