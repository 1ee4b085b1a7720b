"""The ASR chain's decisions: VRAM plan from injected NVML numbers, load failure / OOM fallback,
quality-gate retries (next link, then looser), flags and notes in the segments, the summary.

Backends here are scripted fakes (the real loading paths are in test_asr_voxtral.py and
test_asr_whisper.py); the GPU is faked at the boundary: altyazi.gpu.load_device / cuda_available.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import altyazi.asr as asr
from altyazi import gpu
from altyazi.asr import ASRSettings, plan_chain, transcribe_segments
from altyazi.asr.base import Transcript
from altyazi.errors import GPUMemoryError, ModelMissingError, NoGPUError
from altyazi.records import Segment, Word

PROD = {"voxtral-small": "mistralai/Voxtral-Small-24B-2507", "voxtral-mini": "mistralai/Voxtral-Mini-3B-2507",
        "faster-whisper": "large-v3", "aligner": None}


def settings(**over) -> ASRSettings:
    base = dict(chain=["voxtral-small", "voxtral-mini", "faster-whisper"], models=dict(PROD),
                faster_whisper={"batch_size": None}, voxtral={"batch_size": None})
    base.update(over)
    return ASRSettings(**base)


def fake_gpu(monkeypatch, free_gib: float | None, total_gib: float = 80.0, name: str = "Fake GPU"):
    if free_gib is None:
        monkeypatch.setattr(gpu, "load_device", lambda: None)
        monkeypatch.setattr(gpu, "cuda_available", lambda: False)
    else:
        dev = gpu.DeviceMemory(0, name, int(total_gib * gpu.GiB), int(free_gib * gpu.GiB))
        monkeypatch.setattr(gpu, "load_device", lambda: dev)
        monkeypatch.setattr(gpu, "cuda_available", lambda: True)


# ---------------------------------------------------------------- the plan (no model loaded)

def test_no_gpu_goes_straight_to_faster_whisper_and_says_so_once(monkeypatch, caplog):
    fake_gpu(monkeypatch, None)
    with caplog.at_level(logging.INFO, logger="altyazi"):
        plans = plan_chain(settings())
    assert [(p.name, p.usable, p.device) for p in plans] == [
        ("voxtral-small", False, "cpu"), ("voxtral-mini", False, "cpu"), ("faster-whisper", True, "cpu")]
    assert all("no GPU" in p.reason for p in plans[:2])
    assert plans[2].batch_size == 8
    lines = [r.message for r in caplog.records if "without GPU" in r.message]
    assert len(lines) == 1 and "skipping voxtral-small, voxtral-mini" in lines[0] and "faster-whisper" in lines[0]
    assert not any("skipped:" in r.message for r in caplog.records)   # not repeated per link


@pytest.mark.parametrize("free,expect_first,small_reason", [
    (7.6, "faster-whisper", "47.3 GiB needed, 7.6 GiB free"),
    (30.0, "voxtral-mini", "47.3 GiB needed, 30.0 GiB free"),
    (79.2, "voxtral-small", None),
    (178.3, "voxtral-small", None),
])
def test_vram_decides_the_first_link(monkeypatch, caplog, free, expect_first, small_reason):
    fake_gpu(monkeypatch, free, total_gib=max(8.0, free + 1))
    with caplog.at_level(logging.INFO, logger="altyazi"):
        plans = plan_chain(settings())
    usable = [p for p in plans if p.usable]
    assert usable[0].name == expect_first
    assert all(p.device == "cuda" and p.batch_size >= 1 for p in usable)
    if small_reason:
        assert small_reason in plans[0].reason
        assert any(small_reason in r.message for r in caplog.records)   # both figures are logged


def test_batch_size_grows_with_free_vram_and_respects_config(monkeypatch):
    fake_gpu(monkeypatch, 50.0)
    small_50 = plan_chain(settings())[0].batch_size
    fake_gpu(monkeypatch, 79.2)
    small_80 = plan_chain(settings())[0].batch_size
    assert 1 <= small_50 < small_80 <= 32
    assert plan_chain(settings(voxtral={"batch_size": 3}))[0].batch_size == 3
    assert plan_chain(settings(voxtral={"max_batch_size": 64}))[0].batch_size > 32


def test_forced_cuda_without_gpu_is_a_clear_error(monkeypatch):
    fake_gpu(monkeypatch, None)
    with pytest.raises(NoGPUError):
        plan_chain(settings(device="cuda"))


def test_unknown_backend_is_a_config_error():
    with pytest.raises(Exception, match="unknown ASR backend"):
        plan_chain(settings(chain=["whisperx"], device="cpu"))


# ---------------------------------------------------------------- the run, with scripted backends

class Scripted:
    """A backend answering from a script: {piece id: text} (normal) and {piece id: text} (looser)."""

    def __init__(self, name, answers, looser=None, load_error=None, run_error=None, words=True):
        self.name, self.answers, self.looser_answers = name, answers, looser or {}
        self.load_error, self.run_error, self.words = load_error, run_error, words
        self.gives_word_times = words
        self.calls: list[tuple[list[int], bool]] = []
        self.closed = False

    def load(self):
        if self.load_error:
            raise self.load_error

    def transcribe(self, pieces, looser=False):
        self.calls.append(([p.id for p in pieces], looser))
        if self.run_error:
            raise self.run_error
        out = []
        for p in pieces:
            text = (self.looser_answers if looser else self.answers).get(p.id, "")
            words = [Word(p.start + 0.1 * i, p.start + 0.1 * i + 0.05, w, 0.9)
                     for i, w in enumerate(text.split())] if self.words else []
            out.append(Transcript(text, words, "tr"))
        return out

    def close(self):
        self.closed = True


VAD = [Segment(0, 0.5, 2.0), Segment(1, 3.0, 4.5), Segment(2, 6.0, 7.8)]
AUDIO = np.zeros(16000 * 9, np.float32)


def use(monkeypatch, backends: dict):
    made = []

    def make(plan, s):
        made.append(plan.name)
        return backends[plan.name]

    monkeypatch.setattr(asr, "make_backend", make)
    return made


def test_gate_sends_rejected_pieces_to_the_next_link_only(monkeypatch):
    fake_gpu(monkeypatch, 79.2)
    small = Scripted("voxtral-small", {0: "Kiraz okula gitmedi.", 1: "Altyazı M.K.", 2: "evet evet evet evet evet evet"},
                     words=False)
    mini = Scripted("voxtral-mini", {1: "Yaman Bey geldi mi?", 2: "Hayır, gelmedi."}, words=False)
    fw = Scripted("faster-whisper", {})
    made = use(monkeypatch, {"voxtral-small": small, "voxtral-mini": mini, "faster-whisper": fw})
    segs, summary = transcribe_segments(AUDIO, VAD, settings())
    assert made == ["voxtral-small", "voxtral-mini"]          # faster-whisper never needed
    assert mini.calls == [([1, 2], False)]
    assert [s.backend for s in segs] == ["voxtral-small", "voxtral-mini", "voxtral-mini"]
    assert segs[0].note is None
    assert "voxtral-small rejected: hallucination" in segs[1].note
    assert "repetition" in segs[2].note
    assert summary["backends"] == {"voxtral-small": 1, "voxtral-mini": 2}
    assert summary["gate"]["rejected"] == {"voxtral-small": 2}
    # Voxtral gives no times and there is no aligner here: interpolated and flagged, never missing.
    for s in segs:
        assert s.words and all(w.flag == "interpolated" for w in s.words)
        assert s.start <= s.words[0].start and s.words[-1].end <= s.end + 1e-6
        assert "words_interpolated" in s.flags


def test_looser_retry_then_empty_flag(monkeypatch):
    fake_gpu(monkeypatch, None)
    fw = Scripted("faster-whisper", {0: "Merhaba.", 1: "", 2: ""}, looser={1: "Gel buraya.", 2: ""})
    use(monkeypatch, {"faster-whisper": fw})
    segs, summary = transcribe_segments(AUDIO, VAD, settings())
    assert fw.calls == [([0, 1, 2], False), ([1, 2], True)]
    assert segs[1].text == "Gel buraya." and segs[1].flags == ["looser"]
    assert segs[2].text == "" and segs[2].flags == ["empty"] and segs[2].words == []
    assert "faster-whisper (looser) rejected: empty" in segs[2].note
    assert "voxtral-small: skipped: no GPU" in segs[0].note       # why the chain fell back
    assert summary["empty"] == 1 and summary["words"] == {"asr": 3}
    assert [s.id for s in segs] == [0, 1, 2]                        # one segment per piece, in order


def test_load_failure_and_oom_fall_through_with_reasons(monkeypatch):
    fake_gpu(monkeypatch, 79.2)
    small = Scripted("voxtral-small", {}, load_error=GPUMemoryError("voxtral-small: CUDA out of memory while loading"))
    mini = Scripted("voxtral-mini", {}, run_error=RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    fw = Scripted("faster-whisper", {0: "Bir.", 1: "İki.", 2: "Üç."})
    released = []
    monkeypatch.setattr(gpu, "release_memory", lambda: released.append(1))
    use(monkeypatch, {"voxtral-small": small, "voxtral-mini": mini, "faster-whisper": fw})
    segs, summary = transcribe_segments(AUDIO, VAD, settings())
    assert [f["link"] for f in summary["fallbacks"]] == ["voxtral-small", "voxtral-mini"]
    assert all("out of memory" in f["reason"].lower() for f in summary["fallbacks"])
    assert mini.closed and len(released) >= 2                       # the GPU is freed before the next link
    assert all(s.backend == "faster-whisper" for s in segs)
    assert "voxtral-mini: CUDA out of memory" in segs[0].note


def test_not_turkish_text_is_kept_with_a_flag_when_no_link_does_better(monkeypatch):
    fake_gpu(monkeypatch, None)
    fw = Scripted("faster-whisper", {0: "The weather is really nice today in London", 1: "Tamam.", 2: "Altyazı M.K."},
                  looser={0: "The weather is really nice today in London", 2: "Altyazı M.K."})
    use(monkeypatch, {"faster-whisper": fw})
    segs, _ = transcribe_segments(AUDIO, VAD, settings())
    assert segs[0].flags == ["not_turkish"] and segs[0].text
    assert segs[2].text == "" and segs[2].flags == ["empty", "hallucination"]


def test_gate_off_keeps_everything_but_still_retries_empty(monkeypatch):
    fake_gpu(monkeypatch, None)
    fw = Scripted("faster-whisper", {0: "Altyazı M.K.", 1: ""}, looser={1: "Sonunda!"})
    use(monkeypatch, {"faster-whisper": fw})
    segs, _ = transcribe_segments(AUDIO, VAD[:2], settings(quality_gate=False))
    assert segs[0].text == "Altyazı M.K." and segs[1].text == "Sonunda!"


def test_no_link_can_run_is_a_clear_error(monkeypatch):
    fake_gpu(monkeypatch, None)
    fw = Scripted("faster-whisper", {}, load_error=ModelMissingError("faster-whisper model large-v3 is not local"))
    use(monkeypatch, {"faster-whisper": fw})
    with pytest.raises(ModelMissingError, match="no ASR backend of the chain could run"):
        transcribe_segments(AUDIO, VAD, settings())


def test_missing_model_in_profile_is_a_fallback_not_a_crash(monkeypatch):
    fake_gpu(monkeypatch, 79.2)
    fw = Scripted("faster-whisper", {0: "Bir.", 1: "İki.", 2: "Üç."})
    real = asr.make_backend
    monkeypatch.setattr(asr, "make_backend", lambda plan, s: fw if plan.name == "faster-whisper" else real(plan, s))
    segs, summary = transcribe_segments(AUDIO, VAD, settings(models={**PROD, "voxtral-small": None,
                                                                     "voxtral-mini": "/nonexistent/voxtral"}))
    reasons = {f["link"]: f["reason"] for f in summary["fallbacks"]}
    assert "no model configured" in reasons["voxtral-small"]
    assert "not found on disk" in reasons["voxtral-mini"]
    assert all(s.backend == "faster-whisper" for s in segs)


def test_no_pieces_gives_no_segments(monkeypatch):
    fake_gpu(monkeypatch, None)
    segs, summary = transcribe_segments(AUDIO, [], settings())
    assert segs == [] and summary["pieces"] == 0


def test_oom_on_every_link_is_a_gpu_memory_error(monkeypatch):
    """The user is told to free VRAM / lower the batch, not to download weights."""
    import altyazi.asr.chain as chain_mod
    from altyazi.errors import GPUMemoryError

    class OOMBackend:
        gives_word_times = True

        def __init__(self, name):
            self.name = name

        def load(self):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

        def close(self):
            pass

    settings = _settings_for_oom()
    pieces = chain_mod.cut_pieces(__import__("numpy").zeros(32000, "float32"), [Segment(0, 0.0, 1.0)])
    with pytest.raises(GPUMemoryError, match="out of memory"):
        chain_mod.transcribe_with_chain(pieces, settings, lambda plan, s: OOMBackend(plan.name))


def _settings_for_oom():
    from altyazi.asr import ASRSettings

    return ASRSettings(chain=["faster-whisper"], models={"faster-whisper": "/nonexistent"}, device="cpu")


@pytest.mark.parametrize("gate, ladder_expected", [(True, [0, 1]), (False, [1])])
def test_whisper_looser_retry_follows_the_quality_gate_setting(gate, ladder_expected):
    """asr.quality_gate reaches the faster-whisper backend (through the registry's factory): with the
    gate off, the looser retry keeps a non-empty answer the gate would reject and sends only the
    empty one on to the sequential temperature ladder, as the chain itself judges with the gate off."""
    from altyazi.asr import make_backend
    from altyazi.asr.base import Piece
    from altyazi.asr.plan import LinkPlan

    backend = make_backend(LinkPlan("faster-whisper", True, "cpu", 4), settings(quality_gate=gate))
    assert backend.quality_gate is gate
    pieces = [Piece(i, float(i), i + 1.0, np.zeros(16000, np.float32)) for i in range(2)]
    backend.model = object()  # loaded, as far as transcribe() asks
    backend._batched = lambda ps, pack=True, listen=False: [Transcript("Altyazı M.K."), Transcript("")]
    ladder = []
    backend._sequential = lambda ps, looser: [ladder.append(p.id) or Transcript("Sonunda!") for p in ps]
    out = backend.transcribe(pieces, looser=True)
    assert ladder == ladder_expected
    assert out[1].text == "Sonunda!"
    assert out[0].text == ("Sonunda!" if gate else "Altyazı M.K.")
