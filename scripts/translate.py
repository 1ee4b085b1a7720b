"""Snakemake script: Turkish -> French with the local LLM -> fr.json."""
from altyazi.io import atomic_write_json, read_json
from altyazi.stage import run_stage
from altyazi.translate import translate_segments


def main(smk, log):
    tr = read_json(smk.input.tr)
    segments, summary = translate_segments(tr["segments"], dict(smk.params.settings))
    atomic_write_json(smk.output.fr, {"language": "fr", "summary": summary, "segments": segments})
    log.info("translate done: %s", summary)


run_stage("translate", snakemake, main)  # noqa: F821
