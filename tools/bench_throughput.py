"""Throughput figures ``make bench`` shows side by side (issue 13), each before/after in one run:

- translator load: the offline Gemma from its GGUF (dequantised at every load) against the folder
  ``make setup`` converts it into, each in a fresh process (same machine, same minute);
- Voxtral audio tokens per second of speech and generate calls, one piece per 30 s window against
  packed windows, on the bench episode's VAD pieces with the tiny random Voxtral and aligner of
  tests/tiny_models.py (the counts are deterministic; what the words are is not the point);
- translation generate calls on the bench episode's lines with a scripted chat model that batches
  like :class:`altyazi.translate.llm.LLM` (``gpu.BatchSizer``) at the batch size free VRAM gives
  Mistral Small 3.2 on an 80 GB card: fixed ``streams: 4`` (the old width) against ``streams: auto``.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GPU_BATCH = 32   # LLM._pick_batch_size for Mistral Small 3.2 with 33 GiB spare (80 GB card): 0.92 GiB/prompt, cap 32


def load_translator(ref: str) -> dict:
    """Load ``ref`` with the project's LLM class (tokenizer + weights, CPU) and time it."""
    t0 = time.perf_counter()
    from altyazi.translate.llm import LLM

    t1 = time.perf_counter()
    llm = LLM(ref, device="cpu").load(weights=True)
    t2 = time.perf_counter()
    return {"ref": ref, "imports_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2),
            "logged_load_s": round(llm.load_seconds, 2)}


def translator_load_side_by_side(models_dir: Path) -> dict:
    """Old (GGUF) and new (converted folder) load, each in a fresh process, one after the other."""
    out = {}
    for label, ref in (("gguf", models_dir / "gemma-3-270m" / "gemma-3-270m-q4_k_m.gguf"),
                       ("folder", models_dir / "gemma-3-270m" / "hf")):
        if not ref.exists():
            out[label] = {"ref": str(ref), "error": "missing (run `make setup`)"}
            continue
        proc = subprocess.run([sys.executable, "-m", "tools.bench_throughput", "--load", str(ref)],
                              capture_output=True, text=True, cwd=ROOT)
        out[label] = (json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                      else {"ref": str(ref), "error": proc.stderr.strip()[-300:]})
    return out


def voxtral_packing(wav: Path, segments_json: Path, pack_seconds: float = 30.0) -> dict:
    """Tiny Voxtral over the episode's VAD pieces, unpacked then packed: audio tokens, generate calls."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tiny_models import build_tiny_voxtral, build_tiny_wav2vec2

    from altyazi.asr.chain import cut_pieces
    from altyazi.asr.voxtral import VoxtralBackend
    from altyazi.audio import load_wav
    from altyazi.recordfiles import read_segments

    _, segs = read_segments(segments_json, "segments")
    pieces = cut_pieces(load_wav(wav), segs)
    speech = sum(p.end - p.start for p in pieces)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="altyazi-tiny-") as tmp:
        vox, w2v = build_tiny_voxtral(Path(tmp) / "vox"), build_tiny_wav2vec2(Path(tmp) / "w2v")
        for label, pack in (("one piece per window", 0.0), ("packed", pack_seconds)):
            b = VoxtralBackend(str(vox), device="cpu", batch_size=8, max_new_tokens=256, pack_seconds=pack,
                               aligner_ref=str(w2v))
            b.load()
            t0 = time.perf_counter()
            out = b.transcribe(pieces)
            rows[label] = {"windows": b.windows, "generate_calls": b.generate_calls, "audio_tokens": b.audio_tokens,
                           "audio_tokens_per_speech_s": round(b.audio_tokens / speech, 2) if speech else None,
                           "pieces_with_text": sum(bool(t.text) for t in out), "seconds": round(time.perf_counter() - t0, 1)}
            b.close()
    return {"pieces": len(pieces), "speech_s": round(speech, 1), **rows}


class ScriptedChatLLM:
    """A chat Translator that answers every numbered line and batches like LLM (BatchSizer)."""

    is_chat = True
    model_ref = "scripted-chat"

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.new_tokens, self.gen_seconds, self.generate_calls, self.prompts = 0, 0.0, 0, 0

    def chat(self, conversations, max_new_tokens):
        from altyazi.gpu import BatchSizer

        sizer = BatchSizer(self.batch_size, "scripted")
        out = sizer.map(conversations, lambda chunk: [self._reply(c) for c in chunk])
        self.generate_calls += sizer.calls
        self.prompts += len(conversations)
        return out

    def _reply(self, conversation) -> str:
        content = conversation[-1]["content"]
        n = int(re.search(r"Translate these (\d+) numbered lines", content).group(1))
        lines = re.findall(r"^(\d+)\. (.*)$", content, re.M)[:n]
        self.new_tokens += 12 * n
        return "\n".join(f"{i}. {_french_like(src)}" for i, (_, src) in enumerate(lines, 1))


_WORDS = tuple("""alors je pense que tu viens demain avec elle chez nous ce soir mais il faut partir vite maintenant bien
    pourquoi jamais toujours encore village maison famille mère père frère soeur enfant argent travail champ
    blé hiver été route ville marché cheval rivière montagne guerre paix parole promesse honneur secret lettre
    porte fenêtre jardin table pain eau feu nuit matin lumière ombre colère peur espoir vérité mensonge""".split())


def _french_like(src: str) -> str:
    """A French-looking line as long (in words) as the Turkish, different for each line: what the
    guards accept from a real model (no loop, no repeat of the previous line, French, a fitting length)."""
    pick = random.Random(zlib.crc32(src.encode()))
    words = [pick.choice(_WORDS) for _ in range(max(2, len(src.split())))]
    return "Je crois que " + " ".join(words) + "."


def translation_calls(tr_json: Path, settings: dict, batch_size: int = GPU_BATCH) -> dict:
    """Generate calls for the episode's lines: ``streams: 4`` (old) against ``streams: auto``."""
    from altyazi.recordfiles import read_segments
    from altyazi.translate.engine import translate_segments

    _, segs = read_segments(tr_json, "tr")
    rows = {}
    for label, streams in (("streams 4 (before)", 4), ("streams auto (after)", "auto")):
        llm = ScriptedChatLLM(batch_size)
        # generate calls of the translation itself; the condensation pass asks other prompts
        run_settings = {**settings, "streams": streams, "cache_dir": None, "memory": None, "condense": False}
        _, summary = translate_segments(segs, run_settings, llm=llm)
        rows[label] = {"generate_calls": llm.generate_calls, "streams": summary["streams"],
                       "prompts_per_call": round(llm.prompts / llm.generate_calls, 1)
                       if llm.generate_calls else None, "batches": summary["generated_batches"]}
    return {"lines": sum(bool(s.text.strip()) for s in segs), "batch_size": batch_size, **rows}


def render(t: dict) -> list[str]:
    """The Markdown lines of the throughput section."""
    lines = ["", "## Throughput (issue 13), before / after in this run", ""]
    load = t.get("translator_load", {})
    if load:
        lines += ["| offline translator load (fresh process, CPU) | load s |", "|---|---:|"]
        lines += [f"| {k} ({v.get('ref')}) | {v.get('load_s', v.get('error'))} |" for k, v in load.items()]
    vp = t.get("voxtral_packing")
    if vp:
        lines += ["", f"Voxtral (tiny random model, CPU) on the {vp['pieces']} VAD pieces ({vp['speech_s']} s of speech):", "",
                  "| mode | windows | generate calls | audio tokens | audio tokens / s of speech | pieces with text |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {k} | {v['windows']} | {v['generate_calls']} | {v['audio_tokens']} | {v['audio_tokens_per_speech_s']} | "
                  f"{v['pieces_with_text']} |" for k, v in vp.items() if isinstance(v, dict)]
    tc = t.get("translation_calls")
    if tc:
        lines += ["", f"Translation of the {tc['lines']} lines, scripted chat model batching {tc['batch_size']} prompts per call:", "",
                  "| streams | parts | batches | generate calls | prompts per call |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {k} | {v['streams']} | {v['batches']} | {v['generate_calls']} | {v['prompts_per_call']} |"
                  for k, v in tc.items() if isinstance(v, dict)]
    return lines


def measure(workdir: Path, episode: str, translate_settings: dict) -> dict:
    """Every figure above, from a finished workflow run in ``workdir``."""
    res = workdir / "results" / episode
    return {"translator_load": translator_load_side_by_side(ROOT / "models"),
            "voxtral_packing": voxtral_packing(res / "audio.wav", res / "segments.json"),
            "translation_calls": translation_calls(res / "tr.json", translate_settings)}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--load":
        print(json.dumps(load_translator(sys.argv[2])))
