"""Snakemake script: French and Turkish cues -> .srt files and qc.json."""
from altyazi.io import atomic_write_json, atomic_write_text, read_json
from altyazi.stage import run_stage
from altyazi.subtitles import segments_to_srt


def main(smk, log):
    opts = dict(smk.params.options)
    tr = read_json(smk.input.tr)["segments"]
    fr = read_json(smk.input.fr)["segments"]
    atomic_write_text(smk.output.fr_srt, segments_to_srt(fr, opts))
    atomic_write_text(smk.output.tr_srt, segments_to_srt(tr, opts))
    n = sum(1 for s in fr if s.get("text", "").strip())
    atomic_write_json(smk.output.qc, {"cues": n})
    log.info("subtitles done: %d cues -> %s", n, smk.output.fr_srt)


run_stage("subtitles", snakemake, main)  # noqa: F821
