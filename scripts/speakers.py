"""Snakemake script: audio.wav + segments.json -> speakers.json (anonymous speakers S1, S2, ...)."""
import torch

from altyazi.audio import load_wav
from altyazi.recordfiles import read_segments, write_speakers
from altyazi.speakers import SpeakerOptions, diarize
from altyazi.stage import run_stage


def main(smk, log):
    torch.set_num_threads(max(1, smk.threads))
    _, segments = read_segments(smk.input.segments, "segments")
    opts = SpeakerOptions.from_config(dict(smk.params.options))
    doc = diarize(load_wav(smk.input.wav), segments, opts)
    write_speakers(smk.output.speakers, doc)
    inside = sum(bool(s["changes"]) for s in doc["segments"])
    return f"{len(doc['speakers'])} speaker(s), {len(doc['turns'])} turns, {inside} piece(s) with a change inside"


run_stage("speakers", snakemake, main)  # noqa: F821
