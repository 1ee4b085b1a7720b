"""The Voxtral backend through the production loading path (AutoProcessor +
VoxtralForConditionalGeneration.from_pretrained) with a tiny random model, alone and in the chain:
batched transcription requests, OOM at load -> next link, OOM in generate -> smaller batches, and
word times from the (tiny) aligner. Random weights: the text is noise; the records are checked."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import build_tiny_voxtral, build_tiny_wav2vec2

from altyazi import gpu
from altyazi.asr import ASRSettings, transcribe_segments
from altyazi.asr.base import Piece
from altyazi.asr.voxtral import VoxtralBackend
from altyazi.records import Segment


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return {"voxtral": str(build_tiny_voxtral(root / "voxtral")), "aligner": str(build_tiny_wav2vec2(root / "w2v"))}


def pieces(n: int = 3) -> list[Piece]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        dur = 1.0 + i
        out.append(Piece(i, 10.0 * i, 10.0 * i + dur, (0.1 * rng.standard_normal(int(dur * 16000))).astype(np.float32)))
    return out


def test_batched_transcription_matches_one_by_one(tiny):
    backend = VoxtralBackend(tiny["voxtral"], name="voxtral-mini", device="cpu", batch_size=3, max_new_tokens=6)
    backend.load()
    batched = backend.transcribe(pieces())
    backend.batch_size = 1
    single = backend.transcribe(pieces())
    backend.close()
    assert len(batched) == 3 and all(t.words == [] for t in batched)   # Voxtral gives no times
    assert [t.text for t in batched] == [t.text for t in single]


def test_oom_in_generate_halves_the_batch(tiny, monkeypatch):
    backend = VoxtralBackend(tiny["voxtral"], name="voxtral-mini", device="cpu", batch_size=4, max_new_tokens=4)
    backend.load()
    real = backend.model.generate
    sizes = []

    def generate(**kw):
        sizes.append(kw["input_ids"].shape[0])
        if kw["input_ids"].shape[0] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return real(**kw)

    monkeypatch.setattr(backend.model, "generate", generate)
    out = backend.transcribe(pieces(3))
    assert len(out) == 3 and backend.batch_size == 1
    assert sizes[0] == 3 and sizes.count(1) == 3


def test_chain_oom_at_load_falls_to_mini_and_aligns_words(tiny, monkeypatch):
    """Faked 80 GiB GPU: Small fits on paper, its load raises CUDA OOM (injected at from_pretrained);
    the chain frees the GPU, Mini loads (the real tiny model, kept on CPU) and the aligner times
    its words."""
    from transformers import VoxtralForConditionalGeneration

    dev = gpu.DeviceMemory(0, "Fake H100", 80 * gpu.GiB, int(79.2 * gpu.GiB))
    monkeypatch.setattr(gpu, "load_device", lambda: dev)
    monkeypatch.setattr(gpu, "cuda_available", lambda: True)    # the plan sees the fake GPU
    real = VoxtralForConditionalGeneration.from_pretrained.__func__
    calls = []

    def from_pretrained(cls, path, **kw):
        calls.append(kw.get("dtype"))
        if len(calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 44.00 GiB")
        kw["device_map"] = None                                  # no real GPU here: stay on CPU
        return real(cls, path, **kw)

    monkeypatch.setattr(VoxtralForConditionalGeneration, "from_pretrained", classmethod(from_pretrained))
    settings = ASRSettings(chain=["voxtral-small", "voxtral-mini"],
                           models={"voxtral-small": tiny["voxtral"], "voxtral-mini": tiny["voxtral"],
                                   "aligner": tiny["aligner"]},
                           device="auto", voxtral={"max_new_tokens": 6}, quality_gate=False)
    audio = np.concatenate([p.audio for p in pieces(2)] + [np.zeros(16000 * 2, np.float32)])
    vad = [Segment(0, 0.0, 1.0), Segment(1, 1.0, 3.0)]
    # The tiny model is built in float32 on CPU; on the "GPU" it is asked for bf16, which CPU torch runs.
    segs, summary = transcribe_segments(audio, vad, settings)
    assert calls == [torch.bfloat16, torch.bfloat16]
    assert summary["fallbacks"][0]["link"] == "voxtral-small"
    assert "out of memory" in summary["fallbacks"][0]["reason"].lower()
    assert [s.backend for s in segs if s.text] == ["voxtral-mini"] * len([s for s in segs if s.text])
    for s in segs:
        assert "voxtral-small: CUDA out of memory" in s.note
        if s.text:
            assert len(s.words) == len(s.text.split())
            assert all(s.start <= w.start <= w.end <= s.end + 1e-6 for w in s.words)
    assert summary["chain"][0]["batch_size"] >= 1 and summary["chain"][0]["device"] == "cuda"


def test_chain_on_cpu_with_tiny_voxtral_without_aligner_interpolates(tiny):
    settings = ASRSettings(chain=["voxtral-mini"], models={"voxtral-mini": tiny["voxtral"], "aligner": None},
                           device="cpu", voxtral={"max_new_tokens": 6, "batch_size": 2}, quality_gate=False)
    audio = np.concatenate([p.audio for p in pieces(2)])
    segs, summary = transcribe_segments(audio, [Segment(0, 0.0, 1.0), Segment(1, 1.0, 3.0)],
                                        settings)
    assert summary["chain"][0] == {**summary["chain"][0], "device": "cpu", "batch_size": 2, "usable": True}
    for s in segs:
        assert s.backend == "voxtral-mini"
        if s.text:
            assert s.words and all(w.flag == "interpolated" for w in s.words)
