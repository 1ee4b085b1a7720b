# Subtitles: translated segments + Turkish word times -> timed French/Turkish cues, QC figures and
# the report's per-episode table and plots. VTT files only when config subtitles.formats has vtt.
SUBTITLE_VTT = "vtt" in config.get("subtitles", {}).get("formats", ["srt"])


def _qc_report(name, caption, what):
    return report(episode_dir(f"qc/{name}"), caption=f"../report/{caption}", category="Subtitle QC",
                  subcategory="{episode}", labels={"episode": "{episode}", "figure": what})


rule subtitles:
    input:
        tr=episode_dir("tr.json"),
        fr=episode_dir("fr.json"),
    output:
        fr_srt=report(episode_dir("{episode}.fr.srt"), category="Subtitles", labels={"episode": "{episode}", "language": "French"}),
        tr_srt=episode_dir("{episode}.tr.srt"),
        qc=episode_dir("qc.json"),
        cues=episode_dir("cues.json"),
        table=_qc_report("qc.html", "qc_table.rst", "QC table"),
        cps=_qc_report("cps.png", "qc_cps.rst", "reading speed"),
        durations=_qc_report("durations.png", "qc_durations.rst", "cue durations"),
        timeline=_qc_report("timeline.png", "qc_timeline.rst", "speech vs cues"),
        **({"fr_vtt": episode_dir("{episode}.fr.vtt"), "tr_vtt": episode_dir("{episode}.tr.vtt")} if SUBTITLE_VTT else {}),
    params:
        options=config["subtitles"],
    log:
        "logs/subtitles/{episode}.log",
    benchmark:
        "benchmarks/subtitles/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    script:
        "../scripts/subtitles.py"
