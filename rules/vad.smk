rule vad:
    input:
        wav=episode_dir("audio.wav"),
    output:
        segments=episode_dir("segments.json"),
    params:
        options=config["vad"],
    log:
        "logs/vad/{episode}.log",
    benchmark:
        "benchmarks/vad/{episode}.tsv"
    threads: 2
    conda:
        "../envs/altyazi.yaml"
    script:
        "../scripts/vad.py"
