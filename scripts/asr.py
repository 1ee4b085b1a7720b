"""Snakemake script: transcribe every VAD piece with the ASR chain -> tr.json."""

from altyazi.asr import ASRSettings, transcribe_segments
from altyazi.audio import load_wav
from altyazi.recordfiles import read_segments, segments_payload
from altyazi.stage import restore_output, run_stage, write_output_json


def main(smk, log):
    restored = restore_output(smk, "tr", log)  # an earlier run's transcript, kept when the disk was full
    if restored:
        return restored
    _, vad = read_segments(smk.input.segments, "segments")
    audio = load_wav(smk.input.wav)
    settings = ASRSettings(**smk.params.settings)
    segments, summary = transcribe_segments(audio, vad, settings)
    write_output_json(smk, "tr", segments_payload(smk.output.tr, "tr", segments, language=settings.language, summary=summary))
    log.info("asr done: %d segments; backends %s; %.0f s of audio in %.0f s (RTF %s)", len(segments),
             summary["backends"], summary["audio_seconds"], summary["seconds"], summary["rtf"])


run_stage("asr", snakemake, main)  # noqa: F821
