"""``make bench-gpu``: the production architectures on this machine's GPU, with random weights.

Voxtral Small and Mini, Mistral Small 3.2 and the wav2vec2 aligner are built from their real
configurations (tests/fixtures/replicas/<repo>.json, completed below from the published config.json
files) with random bf16 weights created directly on the device (``with torch.device(...)``: no CPU
init, no download). Voxtral Mini is saved once to local disk as safetensors and loaded back with the
project's own loader (:class:`altyazi.asr.voxtral.VoxtralBackend`) to time a real ``from_pretrained``;
the 48 GB models' load time is projected from it by bytes. The project's own code then runs on a
synthetic 10-minute episode: VoxtralBackend (packed windows, CTC alignment) and the translator
(:class:`altyazi.translate.llm.LLM` with ChatStrategy prompts, streams sized by
:func:`altyazi.translate.engine.stream_count`). Random weights never stop on their own, so EOS is
removed and the output lengths are the budgets a real run would use (Voxtral: 8 tokens/s of the
window + 16; translation: ~12 tokens a line + a summary).

Per stage: load s, prefill and decode tokens/s, peak VRAM against the estimate of costs.py /
translate/base.py, the batch size chosen, and the projection to a 2 h episode ->
``<out>/gpu-results.json`` and ``.md``. ``--tiny`` scales every configuration down so the same code
runs on CPU in seconds (the test).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# Published config.json values the replica manifests do not record (huggingface.co/<repo>/blob/main/config.json).
TEXT_24B = {"hidden_size": 5120, "intermediate_size": 32768, "num_hidden_layers": 40, "num_attention_heads": 32,
            "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 131072, "max_position_embeddings": 131072,
            "rope_theta": 1e8}
COMPLETE = {
    "mistralai/Voxtral-Mini-3B-2507": {},          # transformers' VoxtralConfig defaults are Voxtral Mini's
    "mistralai/Voxtral-Small-24B-2507": {"text_config": TEXT_24B},
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506": {"text_config": TEXT_24B},
    "mpoyraz/wav2vec2-xls-r-300m-cv7-turkish": {   # XLS-R 300M
        "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096,
        "feat_extract_norm": "layer", "do_stable_layer_norm": True, "conv_bias": True},
}
TINY_TEXT = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 2500, "max_position_embeddings": 8192}
TINY = {
    "mistralai/Voxtral-Mini-3B-2507": {"text_config": TINY_TEXT, "audio_config": {
        "hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 2}},  # projector: 4 frames x hidden
    "mistralai/Voxtral-Small-24B-2507": {"text_config": TINY_TEXT, "audio_config": {
        "hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 2}},  # projector: 4 frames x hidden
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506": {"text_config": TINY_TEXT, "vision_config": {
        "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2, "head_dim": 16}},
    "mpoyraz/wav2vec2-xls-r-300m-cv7-turkish": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                                                "intermediate_size": 64, "conv_dim": [16] * 7,
                                                "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2},
}
LINE_TOKENS, SUMMARY_TOKENS = 12, 40   # a French subtitle line, and the running summary of a batch


def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out.get(k) or {}, v) if isinstance(v, dict) else v
    return out


def real_config(repo: str, tiny: bool) -> dict:
    from tiny_models import replica_manifest

    cfg = merge(replica_manifest(repo)["config"], COMPLETE[repo])
    return merge(cfg, TINY[repo]) if tiny else cfg


def build_on_device(cls, config, device: str, dtype):
    """Random weights allocated on ``device`` in ``dtype`` (never on the CPU first)."""
    import torch

    t0 = time.perf_counter()
    with torch.device(device):
        model = cls._from_config(config, dtype=dtype)
    if device == "cuda":
        torch.cuda.synchronize()
    return model.eval(), time.perf_counter() - t0


def voxtral_config(repo: str, tiny: bool):
    from transformers import VoxtralConfig

    cfg = real_config(repo, tiny)
    return VoxtralConfig(audio_config=cfg["audio_config"], text_config=cfg["text_config"],
                         audio_token_id=cfg["audio_token_id"])


def write_processor_files(folder: Path, vocab_size: int) -> None:
    """tekken.json (byte-level BPE, specials of the real repos) and the Whisper feature extractor."""
    from tiny_models import write_tekken
    from transformers import WhisperFeatureExtractor

    folder.mkdir(parents=True, exist_ok=True)
    write_tekken(folder, n_vocab=vocab_size - 1000)
    WhisperFeatureExtractor(feature_size=128, hop_length=160, n_fft=400, chunk_length=30,
                            sampling_rate=16000).save_pretrained(folder)


def synthetic_episode(minutes: float, seed: int = 0):
    """Speech-like pieces (2-8 s, pauses of 0.3-2 s) for ``minutes`` of audio, with a Turkish line each."""
    from altyazi.asr.base import SAMPLE_RATE, Piece

    rng = np.random.default_rng(seed)
    pieces, t = [], 1.0
    while t < minutes * 60 - 8:
        d = float(rng.uniform(2.0, 8.0))
        pieces.append(Piece(len(pieces), round(t, 3), round(t + d, 3),
                            (0.1 * rng.standard_normal(int(d * SAMPLE_RATE))).astype(np.float32)))
        t += d + float(rng.uniform(0.3, 2.0))
    return pieces, t


def no_eos(model) -> None:
    """Random weights: generation runs to the budget (EOS never ends it)."""
    model.generation_config.eos_token_id = None
    model.config.eos_token_id = None


def vram_peak(device: str) -> float | None:
    import torch

    return round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if device == "cuda" else None


def reset_peak(device: str) -> None:
    import torch

    from altyazi.gpu import release_memory

    release_memory()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def rates(generate, n_prompt: int, batch: int, steps: int, device: str) -> dict:
    """Prefill tokens/s (a 1-token generate) and decode tokens/s (the extra steps of a longer one)."""
    import torch

    def timed(n):
        t0 = time.perf_counter()
        generate(n)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0
    t1, tn = timed(1), timed(steps)
    return {"prefill_tokens_per_s": round(n_prompt * batch / t1, 1),
            "decode_tokens_per_s": round(batch * (steps - 1) / (tn - t1), 1) if tn > t1 else None, "batch": batch}


def weights_gib(model) -> float:
    return round(sum(p.numel() * p.element_size() for p in model.parameters()) / 2 ** 30, 4)


def build_aligner(folder: Path, device: str, tiny: bool) -> dict:
    """The XLS-R 300M CTC aligner from its real configuration, built on ``device`` and saved with the
    Turkish letter vocabulary (the chain loads it from disk with CTCAligner, as in production)."""
    import torch
    from tiny_models import build_tiny_wav2vec2
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    build_tiny_wav2vec2(folder)                       # vocab.json, tokenizer and feature extractor files
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    cfg = {k: v for k, v in real_config("mpoyraz/wav2vec2-xls-r-300m-cv7-turkish", tiny).items() if k != "model_type"}
    config = Wav2Vec2Config(**cfg, vocab_size=len(vocab), pad_token_id=0)
    model, build_s = build_on_device(Wav2Vec2ForCTC, config, device, torch.float32)
    model.save_pretrained(folder, safe_serialization=True)
    return {"build_on_device_s": round(build_s, 2), "weights_gib": weights_gib(model)}


def asr_stage(name: str, repo: str, pieces, work: Path, device: str, tiny: bool, aligner: Path,
              batch: int, from_disk: bool, steps: int) -> dict:
    import torch
    from transformers import AutoProcessor, VoxtralForConditionalGeneration

    from altyazi.asr import registry
    from altyazi.asr.base import SAMPLE_RATE
    from altyazi.asr.costs import ALIGNER_COST
    from altyazi.asr.voxtral import VoxtralBackend, max_new_tokens_for

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    config = voxtral_config(repo, tiny)
    folder = work / name
    write_processor_files(folder, config.text_config.vocab_size)
    config.save_pretrained(folder)     # the processor class is found through config.json's model_type
    reset_peak(device)
    model, build_s = build_on_device(VoxtralForConditionalGeneration, config, device, dtype)
    row = {"stage": f"asr {name}", "build_on_device_s": round(build_s, 2), "weights_gib": weights_gib(model)}
    backend = VoxtralBackend(str(folder), name=name, device=device, batch_size=batch, aligner_ref=str(aligner))
    if from_disk:   # a real from_pretrained from local safetensors, through the project's loader
        t0 = time.perf_counter()
        model.save_pretrained(folder, safe_serialization=True)
        row["save_s"] = round(time.perf_counter() - t0, 2)
        del model
        reset_peak(device)
        t0 = time.perf_counter()
        backend.load()
        row["load_s"], row["load"] = round(time.perf_counter() - t0, 2), "measured (safetensors from local disk + aligner)"
    else:
        backend.processor, backend.model, backend.path = AutoProcessor.from_pretrained(folder), model, str(folder)
        backend._load_aligner()
    no_eos(backend.model)
    window = (0.1 * np.random.default_rng(1).standard_normal(int(30 * SAMPLE_RATE))).astype(np.float32)
    inputs = backend.processor.apply_transcription_request(language=["tr"] * batch, audio=[window] * batch,
                                                           model_id=str(folder), sampling_rate=SAMPLE_RATE,
                                                           format=["wav"] * batch).to(backend.model.device)
    inputs["input_features"] = inputs["input_features"].to(backend.model.dtype)
    with torch.inference_mode():
        row.update(rates(lambda n: backend.model.generate(**inputs, max_new_tokens=n, do_sample=False),
                         inputs["input_ids"].shape[1], batch, steps, device))
    t0 = time.perf_counter()
    out = backend.transcribe(pieces)
    row["stage_s"] = round(time.perf_counter() - t0, 2)
    cost = registry.BACKENDS[name].cost
    row.update(batch_size=backend.batch_size, windows=backend.windows, generate_calls=backend.generate_calls,
               audio_tokens=backend.audio_tokens, pieces_with_words=sum(bool(t.words) for t in out),
               max_new_tokens_30s=max_new_tokens_for(30.0, backend.max_new_tokens),
               peak_vram_gib=vram_peak(device), estimate_gib=round(cost.need_gib(batch) + ALIGNER_COST.need_gib(1), 1))
    backend.close()
    return row


def translate_stage(pieces, work: Path, device: str, tiny: bool, batch: int | None, steps: int) -> dict:
    import torch
    from tiny_models import write_tekken
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration

    from altyazi.records import Segment
    from altyazi.translate.base import shape_from_folder
    from altyazi.translate.batching import cut_batches
    from altyazi.translate.engine import _split_streams, stream_count
    from altyazi.translate.llm import LLM
    from altyazi.translate.prompts import load_prompt
    from altyazi.translate.strategies import ChatStrategy, Job

    repo = "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
    cfg = real_config(repo, tiny)
    config = Mistral3Config(text_config=cfg["text_config"], vision_config=cfg["vision_config"],
                            image_token_index=cfg["image_token_index"])
    config.architectures = cfg["architectures"]
    folder = work / "mistral-small-3.2"
    folder.mkdir(parents=True, exist_ok=True)
    write_tekken(folder, n_vocab=config.text_config.vocab_size - 1000)
    config.save_pretrained(folder)
    llm = LLM(str(folder), device=device, batch_size=batch).load(weights=False)
    planned = llm.planned_batch_size()       # what the engine sizes its streams with, before the weights
    reset_peak(device)
    model, build_s = build_on_device(Mistral3ForConditionalGeneration, config, device,
                                     torch.bfloat16 if device == "cuda" else torch.float32)
    no_eos(model)
    llm.model, llm._pending = model, None
    llm.batch_size = llm._pick_batch_size(device == "cuda")
    row = {"stage": "translate mistral-small-3.2", "build_on_device_s": round(build_s, 2),
           "weights_gib": weights_gib(model), "planned_batch_size": planned}
    units = [Segment(p.id, p.start, p.end, f"Satır {p.id}: bugün çok yorgunum ama yarın yine geleceğim, söz veriyorum.")
             for p in pieces]
    batches = cut_batches(units, 20)
    streams = _split_streams(batches, stream_count("auto", llm, "chat", batches))
    strategy = ChatStrategy(load_prompt("chat"), llm, "Turkish", "French", 1024)
    budget = LINE_TOKENS * max(len(b) for b in batches) + SUMMARY_TOKENS
    first = [strategy.render(Job(s[0]), strict=False) for s in streams][:llm.batch_size]
    enc = llm.tokenizer.apply_chat_template(first, add_generation_prompt=True, tokenize=True, return_dict=True,
                                            return_tensors="pt", padding=True)
    row.update(rates(lambda n: llm.chat(first, n), enc["input_ids"].shape[1], len(first), steps, device))
    calls0 = llm.generate_calls
    t0 = time.perf_counter()
    for step in range(max(len(s) for s in streams)):
        convs = [strategy.render(Job(s[step]), strict=False) for s in streams if step < len(s)]
        llm.chat(convs, budget)
    row["stage_s"] = round(time.perf_counter() - t0, 2)
    shape = shape_from_folder(folder)
    row.update(batch_size=llm.batch_size, streams=len(streams), batches=len(batches),
               generate_calls=llm.generate_calls - calls0, max_new_tokens=budget, peak_vram_gib=vram_peak(device),
               estimate_gib=round(shape.need_gib(prompts=llm.batch_size), 1) if shape else None)
    llm.close()
    return row


def run(out: Path, minutes: float, tiny: bool, device: str, work: Path, batch: int | None) -> dict:
    from altyazi.asr import ASRSettings, plan_chain

    pieces, duration = synthetic_episode(minutes)
    steps = 8 if tiny else 64
    aligner = work / "aligner"
    results = {"device": device, "tiny": tiny, "episode_s": round(duration, 1), "pieces": len(pieces),
               "speech_s": round(sum(p.end - p.start for p in pieces), 1), "aligner": build_aligner(aligner, device, tiny)}
    if device == "cuda":
        import torch

        results["gpu"] = torch.cuda.get_device_name(0)
    plans = {p.name: p.batch_size for p in plan_chain(ASRSettings(
        chain=["voxtral-small", "voxtral-mini"], models={}, device="cuda" if device == "cuda" else "cpu"))}
    rows = [asr_stage("voxtral-mini", "mistralai/Voxtral-Mini-3B-2507", pieces, work, device, tiny, aligner,
                      batch or plans["voxtral-mini"], True, steps),
            asr_stage("voxtral-small", "mistralai/Voxtral-Small-24B-2507", pieces, work, device, tiny, aligner,
                      batch or plans["voxtral-small"], False, steps),
            translate_stage(pieces, work, device, tiny, batch, steps)]
    mini = rows[0]
    per_gib = mini["load_s"] / max(mini["weights_gib"], 1e-4)   # seconds per GiB of the measured safetensors load
    scale = 7200.0 / duration
    for row in rows:
        if "load_s" not in row:
            row["load_s"], row["load"] = round(per_gib * row["weights_gib"], 2), "projected from Voxtral Mini's load by bytes"
        row["projected_2h_s"] = round(row["load_s"] + scale * row["stage_s"], 1)
    results["stages"] = rows
    results["projected_2h_total_s"] = round(rows[1]["projected_2h_s"] + rows[2]["projected_2h_s"], 1)
    return results


def render(r: dict) -> str:
    lines = [f"# altyazi GPU benchmark ({r.get('gpu') or r['device']}{', TINY configs: code path only' if r['tiny'] else ''})", "",
             f"Synthetic episode: {r['episode_s']} s, {r['pieces']} pieces, {r['speech_s']} s of speech; random weights, "
             "EOS removed, output lengths = the budgets of a real run.", "",
             "| stage | load s | prefill tok/s | decode tok/s | batch | generate calls | stage s | peak VRAM GiB "
             "| estimate GiB | 2 h projection s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in r["stages"]:
        lines.append(f"| {s['stage']} | {s['load_s']} | {s['prefill_tokens_per_s']} | {s['decode_tokens_per_s']} | {s['batch_size']} | "
                     f"{s['generate_calls']} | {s['stage_s']} | {s['peak_vram_gib']} | {s['estimate_gib']} | {s['projected_2h_s']} |")
    lines += ["", f"2 h episode, Voxtral Small + Mistral Small 3.2 (loads included): {r['projected_2h_total_s']} s.",
              "Load: " + "; ".join(f"{s['stage']}: {s['load']}" for s in r["stages"]) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from altyazi.io import atomic_write_json, atomic_write_text
    from altyazi.log import setup_logging

    ap = argparse.ArgumentParser(prog="python -m tools.bench_gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="bench", help="folder for gpu-results.json and gpu-results.md")
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the synthetic episode")
    ap.add_argument("--tiny", action="store_true", help="scaled-down configurations (CPU test of the code path)")
    ap.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda when available")
    ap.add_argument("--batch", type=int, help="fix every batch size (default: from free VRAM as in production)")
    ap.add_argument("--work", help="where Voxtral Mini is saved (default: a temporary folder, removed after)")
    args = ap.parse_args(argv)
    setup_logging()
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" and not args.tiny:
        print("no GPU: the real configurations need one (48 GB models); use --tiny for the CPU code path", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="altyazi-bench-gpu-", dir=args.work) as tmp:
        results = run(Path(args.out), args.minutes, args.tiny, device, Path(tmp), args.batch)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "gpu-results.json", results)
    atomic_write_text(out / "gpu-results.md", render(results))
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
