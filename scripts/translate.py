"""Snakemake script: Turkish -> French with the local LLM -> fr.json."""
import os

from altyazi.io import read_json
from altyazi.stage import restore_output, run_stage, write_output_json
from altyazi.translate import translate_segments


def main(smk, log):
    restored = restore_output(smk, "fr", log)  # an earlier run's translation, kept when the disk was full
    if restored:
        return restored
    tr = read_json(smk.input.tr)
    settings = dict(smk.params.settings)
    settings["episode"] = smk.wildcards.episode
    # beside the outputs, not an output: Snakemake deletes outputs before a rerun, the cache must survive
    settings["cache_dir"] = os.path.join(os.path.dirname(smk.output.fr), ".cache", "translate")
    segments, summary = translate_segments(tr["segments"], settings)
    write_output_json(smk, "fr", {"language": "fr", "summary": summary, "segments": segments})


run_stage("translate", snakemake, main)  # noqa: F821
