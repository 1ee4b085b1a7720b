rule subtitles:
    input:
        tr=episode_dir("tr.json"),
        fr=episode_dir("fr.json"),
    output:
        fr_srt=report(episode_dir("{episode}.fr.srt"), category="Subtitles", labels={"episode": "{episode}", "language": "French"}),
        tr_srt=episode_dir("{episode}.tr.srt"),
        qc=report(episode_dir("qc.json"), category="Quality control", labels={"episode": "{episode}", "file": "qc.json"}),
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
