"""Snakemake script: Turkish -> French with the local LLM -> fr.json (tr.json's segments + translation)."""

import os

from altyazi.recordfiles import read_segments, read_speakers, segments_payload
from altyazi.speakers import apply_speakers
from altyazi.stage import restore_output, run_stage, write_output_json
from altyazi.translate import translate_segments


def main(smk, log):
    restored = restore_output(smk, "fr", log)  # an earlier run's translation, kept when the disk was full
    if restored:
        return restored
    _, segments = read_segments(smk.input.tr, "tr")
    apply_speakers(segments, read_speakers(smk.input.speakers))  # the prompts say who speaks each line
    settings = dict(smk.params.settings)
    settings["episode"] = smk.wildcards.episode
    # beside the outputs, not an output: Snakemake deletes outputs before a rerun, the cache must survive
    settings["cache_dir"] = os.path.join(os.path.dirname(smk.output.fr), ".cache", "translate")
    segments, summary = translate_segments(segments, settings)
    write_output_json(smk, "fr", segments_payload(smk.output.fr, "fr", segments, language="fr", summary=summary))


run_stage("translate", snakemake, main)  # noqa: F821
