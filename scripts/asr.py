"""Snakemake script: transcribe every VAD piece with the ASR chain -> tr.json."""

from altyazi.asr import ASRSettings, transcribe_segments
from altyazi.audio import load_wav
from altyazi.recordfiles import read_segments, write_segments
from altyazi.stage import run_stage


def main(smk, log):
    _, vad = read_segments(smk.input.segments, "segments")
    audio = load_wav(smk.input.wav)
    settings = ASRSettings(**smk.params.settings)
    segments, summary = transcribe_segments(audio, vad, settings)
    write_segments(smk.output.tr, "tr", segments, language=settings.language, summary=summary)
    log.info("asr done: %d segments; backends %s; %.0f s of audio in %.0f s (RTF %s)", len(segments),
             summary["backends"], summary["audio_seconds"], summary["seconds"], summary["rtf"])


run_stage("asr", snakemake, main)  # noqa: F821
