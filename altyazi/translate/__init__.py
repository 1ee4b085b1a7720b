"""Translation stage: Turkish segments -> French, ids/start/end copied from tr.json."""

from __future__ import annotations

import time

from ..log import get_logger, progress
from .llm import LLM

log = get_logger("translate")

FEW_SHOT = [("Nasılsın?", "Comment vas-tu ?"), ("Bunu bana neden söylemedin?", "Pourquoi tu ne me l'as pas dit ?"),
            ("Hemen buraya gel!", "Viens ici tout de suite !")]


def few_shot_prompt(line: str) -> str:
    shots = "".join(f"Turkish: {tr}\nFrench: {fr}\n\n" for tr, fr in FEW_SHOT)
    return f"{shots}Turkish: {line}\nFrench:"


def translate_segments(segments: list[dict], settings: dict) -> tuple[list[dict], dict]:
    t0 = time.perf_counter()
    todo = [s for s in segments if s.get("text", "").strip()]
    out = {s["id"]: {"id": s["id"], "start": s["start"], "end": s["end"], "source": s.get("text", ""),
                     "text": "", "flags": []} for s in segments}
    if todo:
        llm = LLM(settings["model"], max_new_tokens=int(settings.get("max_new_tokens", 128)))
        llm.load()
        try:
            for seg in progress(todo, description="translating", logger=log):
                fr = llm.generate([few_shot_prompt(seg["text"].strip())])[0].strip()
                out[seg["id"]]["text"] = fr or seg["text"]
                if not fr:
                    out[seg["id"]]["flags"].append("untranslated")
        finally:
            llm.close()
    elapsed = time.perf_counter() - t0
    return [out[s["id"]] for s in segments], {"lines": len(segments), "seconds": round(elapsed, 2)}
