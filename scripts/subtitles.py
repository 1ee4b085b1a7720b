"""Snakemake script: fr.json -> French/Turkish .srt (+ .vtt), cues.json, qc.json, QC plots."""

from altyazi.io import atomic_write_json, atomic_write_text
from altyazi.recordfiles import read_record_file, read_segments, write_cues
from altyazi.stage import run_stage
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.onsets import load_speech_runs
from altyazi.subtitles.plots import write_report_files


def main(smk, log):
    _, segments = read_segments(smk.input.fr, "fr")
    speech = load_speech_runs(smk.input.speech, segments)
    shots = read_record_file(smk.input.shots, "shots")
    result = build_subtitles(segments, dict(smk.params.options), speech, shots["cuts"])
    out = smk.output
    atomic_write_text(out.fr_srt, result.files["fr.srt"])
    atomic_write_text(out.tr_srt, result.files["tr.srt"])
    if "fr_vtt" in out.keys():
        atomic_write_text(out.fr_vtt, result.files["fr.vtt"])
        atomic_write_text(out.tr_vtt, result.files["tr.vtt"])
    write_cues(out.cues, result.cues)
    atomic_write_json(out.qc, {"episode": smk.wildcards.episode, **result.qc})
    write_report_files(result.cues, result.speech, result.qc, result.rules,
                       {"cps": out.cps, "durations": out.durations, "timeline": out.timeline, "table": out.table,
                        "onsets": out.onsets},
                       smk.wildcards.episode)
    log.info("subtitles done: %d cues -> %s (QC: %d unflagged violations, %d cue(s) on flagged ASR)", result.qc["cues"],
             out.fr_srt, result.qc["unflagged_violations"], result.qc["asr_flagged"]["count"])


run_stage("subtitles", snakemake, main)  # noqa: F821
