"""Snakemake script: tr.json + fr.json -> French/Turkish .srt (+ .vtt), cues.json, qc.json, QC plots."""
from altyazi.io import atomic_write_json, atomic_write_text, read_json
from altyazi.stage import run_stage
from altyazi.subtitles import build_subtitles
from altyazi.subtitles.plots import write_report_files


def main(smk, log):
    tr = read_json(smk.input.tr)["segments"]
    fr = read_json(smk.input.fr)["segments"]
    result = build_subtitles(tr, fr, dict(smk.params.options))
    out = smk.output
    atomic_write_text(out.fr_srt, result.files["fr.srt"])
    atomic_write_text(out.tr_srt, result.files["tr.srt"])
    if "fr_vtt" in out.keys():
        atomic_write_text(out.fr_vtt, result.files["fr.vtt"])
        atomic_write_text(out.tr_vtt, result.files["tr.vtt"])
    atomic_write_json(out.cues, {"cues": [c.to_dict() for c in result.cues]})
    atomic_write_json(out.qc, {"episode": smk.wildcards.episode, **result.qc})
    write_report_files(result.cues, result.speech, result.qc, result.rules,
                       {"cps": out.cps, "durations": out.durations, "timeline": out.timeline, "table": out.table},
                       smk.wildcards.episode)
    if not result.cues:
        ep = smk.wildcards.episode
        cause = (f"the VAD found no speech: logs/vad/{ep}.log names the audio stream used and how to pick another"
                 if not tr else f"none of the {len(tr)} speech pieces gave text: see logs/asr/{ep}.log and logs/translate/{ep}.log")
        log.warning("the subtitles of %s are empty (0 cues): %s", ep, cause)
    log.info("subtitles done: %d cues -> %s (QC: %d unflagged violations)", result.qc["cues"], out.fr_srt,
             result.qc["unflagged_violations"])


run_stage("subtitles", snakemake, main)  # noqa: F821
