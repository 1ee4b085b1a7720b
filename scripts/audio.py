"""Snakemake script: extract 16 kHz mono PCM WAV with ffmpeg."""
from altyazi.audio import extract_audio
from altyazi.stage import run_stage


def main(smk, log):
    seconds = extract_audio(smk.input.media, smk.output.wav, int(smk.params.sample_rate))
    return f"{smk.output.wav}: {seconds:.1f} s ({seconds / 60:.1f} min)"


run_stage("audio", snakemake, main)  # noqa: F821
