"""Snakemake script: shot changes of the source's video -> shots.json (empty, with the reason, without video)."""
from pathlib import Path

from altyazi.recordfiles import write_record_file
from altyazi.shots import ShotOptions, shots_record
from altyazi.stage import run_stage


def main(smk, log):
    opts = ShotOptions(**smk.params.options)
    media = Path(smk.input.video[0] if smk.input.video else smk.input.media)
    record = shots_record(smk.params.source, bool(smk.params.is_url), media, opts)
    write_record_file(smk.output.shots, "shots", record)
    return f"{len(record['cuts'])} shot change(s)" + ("" if record["enabled"] else f" ({record['reason']})")


run_stage("shots", snakemake, main)  # noqa: F821
