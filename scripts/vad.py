"""Snakemake script: silero-vad speech pieces -> segments.json."""
from altyazi.audio import load_wav
from altyazi.recordfiles import write_segments
from altyazi.stage import run_stage
from altyazi.vad import VadOptions, detect_speech, silero_version


def main(smk, log):
    audio = load_wav(smk.input.wav)
    opts = VadOptions(**smk.params.options)
    pieces = detect_speech(audio, opts)
    duration = audio.size / 16000
    speech = sum(p.end - p.start for p in pieces)
    write_segments(smk.output.segments, "segments", pieces, audio=str(smk.input.wav), duration=round(duration, 3),
                   vad={"model": silero_version(), **vars(opts)})
    if not pieces:
        log.warning("no speech found: the subtitles of this episode will be empty")
    return (f"{len(pieces)} speech pieces, {speech:.1f} s of speech in {duration:.1f} s of audio "
            f"({100 * speech / duration if duration else 0:.0f}%)")


run_stage("vad", snakemake, main)  # noqa: F821
