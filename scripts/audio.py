"""Snakemake script: extract 16 kHz mono PCM WAV with ffmpeg."""
from altyazi.audio import extract_audio
from altyazi.stage import run_stage


def main(smk, log):
    seconds = extract_audio(smk.input.media, smk.output.wav, int(smk.params.sample_rate))
    log.info("audio done: %s (%.1f s, %.1f min)", smk.output.wav, seconds, seconds / 60)


run_stage("audio", snakemake, main)  # noqa: F821
