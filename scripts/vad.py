"""Snakemake script: silero-vad speech pieces -> segments.json, speech runs (onset table) -> speech.json."""
from altyazi.audio import SAMPLE_RATE, load_wav, no_speech_warning
from altyazi.io import read_json
from altyazi.onsets import OnsetOptions, sharpen_runs
from altyazi.recordfiles import write_record_file, write_segments
from altyazi.stage import run_stage
from altyazi.vad import VadOptions, detect, silero_version


def main(smk, log):
    audio = load_wav(smk.input.wav)
    opts = VadOptions(**smk.params.options)
    pieces, runs = detect(audio, opts)
    duration = audio.size / SAMPLE_RATE
    speech = sum(p.end - p.start for p in pieces)
    write_segments(smk.output.segments, "segments", pieces, audio=str(smk.input.wav), duration=round(duration, 3),
                   vad={"model": silero_version(), **vars(opts)})
    onset_opts = OnsetOptions()
    sharp = sharpen_runs(audio, runs, onset_opts)
    write_record_file(smk.output.speech, "speech", {
        "audio": str(smk.input.wav), "duration": round(duration, 3),
        "method": {"vad": silero_version(), "threshold": opts.threshold, "min_silence_ms": opts.run_min_silence_ms,
                   "min_speech_ms": opts.run_min_speech_ms, "energy": vars(onset_opts)},
        "runs": sharp})
    moved = sum(r["refined"] is not None for r in sharp)
    log.info("%d speech runs; %d sharpened on the waveform, %d keep silero's boundaries (no clear energy rise)",
             len(sharp), moved, len(sharp) - moved)
    summary = (f"{len(pieces)} speech pieces, {speech:.1f} s of speech in {duration:.1f} s of audio "
               f"({100 * speech / duration if duration else 0:.0f}%)")
    if not pieces:
        log.warning(no_speech_warning(read_json(smk.input.info), smk.wildcards.episode))
        summary += "; WARNING: no speech, the subtitles will be empty (see the warning above)"
    return summary


run_stage("vad", snakemake, main)  # noqa: F821
