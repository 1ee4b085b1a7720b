"""Snakemake script: transcribe every VAD piece with the ASR chain -> tr.json."""
from altyazi.asr import ASRSettings, transcribe_segments
from altyazi.audio import load_wav
from altyazi.io import read_json
from altyazi.stage import restore_output, run_stage, write_output_json


def main(smk, log):
    restored = restore_output(smk, "tr", log)  # an earlier run's transcript, kept when the disk was full
    if restored:
        return restored
    audio = load_wav(smk.input.wav)
    vad = read_json(smk.input.segments)
    settings = ASRSettings(**smk.params.settings)
    segments, summary = transcribe_segments(audio, vad["segments"], settings)
    write_output_json(smk, "tr", {"language": settings.language, "summary": summary,
                                  "segments": [s.to_dict() for s in segments]})
    log.info("asr done: %d segments; backends %s; %.0f s of audio in %.0f s (RTF %s)", len(segments),
             summary["backends"], summary["audio_seconds"], summary["seconds"], summary["rtf"])


run_stage("asr", snakemake, main)  # noqa: F821
