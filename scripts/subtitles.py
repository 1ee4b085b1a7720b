"""Snakemake script: fr.json + speakers.json -> French/Turkish .srt (+ .vtt), cues.json, qc.json, QC plots."""

from altyazi.io import atomic_write_json, atomic_write_text
from altyazi.recordfiles import read_record_file, read_segments, read_speakers, write_cues
from altyazi.speakers import apply_speakers
from altyazi.stage import run_stage
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.onsets import load_speech_runs
from altyazi.subtitles.plots import write_report_files
from altyazi.subtitles.verdict import verdict_line


def main(smk, log):
    _, segments = read_segments(smk.input.fr, "fr")
    split = apply_speakers(segments, read_speakers(smk.input.speakers))
    log.info("speakers applied: %d segment(s) with a change of speaker inside (their cues are cut there)", split)
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
    if not result.cues:
        ep = smk.wildcards.episode
        cause = (f"the VAD found no speech: logs/vad/{ep}.log names the audio stream used and how to pick another"
                 if not segments else
                 f"none of the {len(segments)} speech pieces gave text: see logs/asr/{ep}.log and logs/translate/{ep}.log")
        log.warning("the subtitles of %s are empty (0 cues): %s", ep, cause)
    log.info("subtitles done: %d cues -> %s (QC %s; %d cue(s) on flagged ASR)", result.qc["cues"],
             out.fr_srt, verdict_line(result.qc), result.qc["asr_flagged"]["count"])


run_stage("subtitles", snakemake, main)  # noqa: F821
