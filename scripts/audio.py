"""Snakemake script: one audio stream -> 16 kHz mono PCM WAV on the video's timeline, and audio.json (which stream, why)."""
from altyazi.audio import extract_audio
from altyazi.io import atomic_write_json
from altyazi.stage import run_stage


def main(smk, log):
    choice = smk.params.stream
    info = extract_audio(smk.input.media, smk.output.wav, int(smk.params.sample_rate),
                         stream=choice["stream"], chosen_by=choice["by"])
    atomic_write_json(smk.output.info, info.to_dict())
    offset = f", starts {info.start_offset_s:.2f} s into the video" if info.start_offset_s > 0.005 else ""
    return (f"{smk.output.wav}: {info.duration:.1f} s ({info.duration / 60:.1f} min), "
            f"audio stream {info.stream} of {len(info.streams)}{offset}")


run_stage("audio", snakemake, main)  # noqa: F821
