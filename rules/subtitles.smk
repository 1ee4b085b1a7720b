# Subtitles: fr.json + speakers.json (the segments with Turkish word times, French and flags) -> timed French/Turkish cues, QC figures and
# the report's per-episode table and plots. VTT files only when config subtitles.formats has vtt.
SUBTITLE_VTT = "vtt" in config.get("subtitles", {}).get("formats", ["srt"])


rule subtitles:
    input:
        fr=episode_dir("fr.json"),
        speakers=episode_dir("speakers.json"),
        speech=episode_dir("speech.json"),
        shots=episode_dir("shots.json"),
    output:
        **(
            {
                "fr_vtt": episode_dir("{episode}.fr.vtt"),
                "tr_vtt": episode_dir("{episode}.tr.vtt"),
            }
            if SUBTITLE_VTT
            else {}
        ),
        fr_srt=report(
            episode_dir("{episode}.fr.srt"),
            category="Subtitles",
            labels={"episode": "{episode}", "language": "French"},
        ),
        tr_srt=episode_dir("{episode}.tr.srt"),
        qc=episode_dir("qc.json"),
        cues=episode_dir("cues.json"),
        table=report(
            episode_dir("qc/qc.html"),
            caption="../report/qc_table.rst",
            category="Subtitle QC",
            subcategory="{episode}",
            labels={"episode": "{episode}", "figure": "QC table"},
        ),
        cps=report(
            episode_dir("qc/cps.png"),
            caption="../report/qc_cps.rst",
            category="Subtitle QC",
            subcategory="{episode}",
            labels={"episode": "{episode}", "figure": "reading speed"},
        ),
        durations=report(
            episode_dir("qc/durations.png"),
            caption="../report/qc_durations.rst",
            category="Subtitle QC",
            subcategory="{episode}",
            labels={"episode": "{episode}", "figure": "cue durations"},
        ),
        onsets=report(
            episode_dir("qc/onsets.png"),
            caption="../report/qc_onsets.rst",
            category="Subtitle QC",
            subcategory="{episode}",
            labels={"episode": "{episode}", "figure": "timing vs audio"},
        ),
        timeline=report(
            episode_dir("qc/timeline.png"),
            caption="../report/qc_timeline.rst",
            category="Subtitle QC",
            subcategory="{episode}",
            labels={"episode": "{episode}", "figure": "speech vs cues"},
        ),
    log:
        "logs/subtitles/{episode}.log",
    benchmark:
        "benchmarks/subtitles/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    params:
        options=config["subtitles"],
    script:
        "../scripts/subtitles.py"
