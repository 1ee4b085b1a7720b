"""Snakemake script: silero-vad speech pieces -> segments.json."""
from altyazi.audio import SAMPLE_RATE, load_wav, no_speech_warning
from altyazi.io import read_json
from altyazi.recordfiles import write_segments
from altyazi.stage import run_stage
from altyazi.vad import VadOptions, detect_speech, silero_version


def main(smk, log):
    audio = load_wav(smk.input.wav)
    opts = VadOptions(**smk.params.options)
    pieces = detect_speech(audio, opts)
    duration = audio.size / SAMPLE_RATE
    speech = sum(p.end - p.start for p in pieces)
    write_segments(smk.output.segments, "segments", pieces, audio=str(smk.input.wav), duration=round(duration, 3),
                   vad={"model": silero_version(), **vars(opts)})
    summary = (f"{len(pieces)} speech pieces, {speech:.1f} s of speech in {duration:.1f} s of audio "
               f"({100 * speech / duration if duration else 0:.0f}%)")
    if not pieces:
        log.warning(no_speech_warning(read_json(smk.input.info), smk.wildcards.episode))
        summary += "; WARNING: no speech, the subtitles will be empty (see the warning above)"
    return summary


run_stage("vad", snakemake, main)  # noqa: F821
