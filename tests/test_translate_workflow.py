"""The translate rule inside the real Snakefile: only translate runs (from a given tr.json), the cache
lives beside the outputs and survives a forced rerun, which then generates nothing."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, run_workflow, write_sheet
from test_translate_llm import build_tiny


@pytest.mark.slow
def test_translate_rule_writes_fr_json_and_resumes_from_cache(tmp_path):
    model = build_tiny(tmp_path / "tiny", "llama-base")
    ep = tmp_path / "results" / "e01"
    ep.mkdir(parents=True)
    tr = {"language": "tr", "segments": [
        {"id": 0, "start": 1.0, "end": 2.5, "text": "Seher Hanım, Yaman Bey geldi.", "words": [], "flags": ["looser"]},
        {"id": 1, "start": 3.0, "end": 4.0, "text": "", "words": [], "flags": ["empty"]},
        {"id": 2, "start": 6.0, "end": 8.0, "text": "Kiraz uyumuyor.", "words": [], "flags": []}]}
    (ep / "tr.json").write_text(json.dumps(tr, ensure_ascii=False), encoding="utf-8")
    (ep / "speakers.json").write_text(json.dumps({"backend": "resemblyzer", "speakers": [], "segments": [], "turns": []}),
                                      encoding="utf-8")  # no speaker known: the prompts carry no labels
    (tmp_path / "e01.wav").write_bytes(b"")  # the sheet needs an existing source; audio never runs here
    write_sheet(tmp_path / "episodes.tsv", [("e01", str(tmp_path / "e01.wav"))])
    overlay = tmp_path / "overlay.yaml"  # merged over config.yaml (nested keys merge)
    overlay.write_text(f"profiles:\n  offline:\n    models:\n      translator: {model}\n"
                       "translate:\n  batch_lines: 2\n  retries: 0\n  max_new_tokens: 16\n", encoding="utf-8")
    # "--cores 2" ends the --config list, so the target is read as a target
    args = ("--cores", "2", "results/e01/fr.json", "--configfile", str(ROOT / "config.yaml"), str(overlay),
            "--allowed-rules", "translate", "--rerun-triggers", "mtime")
    config = None
    first = run_workflow(tmp_path, *args, config=config)
    assert first.returncode == 0, first.stderr[-3000:]
    fr = json.loads((ep / "fr.json").read_text(encoding="utf-8"))
    assert [(s["id"], s["start"], s["end"], s["text"]) for s in fr["segments"]] == \
        [(s["id"], s["start"], s["end"], s["text"]) for s in tr["segments"]]
    assert fr["segments"][0]["flags"][0] == "looser" and fr["segments"][1]["flags"] == ["empty"]  # ASR flags carried on
    assert fr["segments"][1]["translation"] == "" and fr["segments"][2]["translation"]
    assert fr["summary"]["generated_batches"] == 1 and (ep / ".cache" / "translate" / "batches.jsonl").is_file()
    again = run_workflow(tmp_path, *args, "--forcerun", "translate", config=config)
    assert again.returncode == 0, again.stderr[-3000:]
    fr2 = json.loads((ep / "fr.json").read_text(encoding="utf-8"))
    assert fr2["segments"] == fr["segments"]
    assert fr2["summary"]["cached_batches"] == 1 and fr2["summary"]["new_tokens"] == 0
    log = (tmp_path / "logs" / "translate" / "e01.log").read_text(encoding="utf-8")
    assert "1/1 batches from cache" in log
