rule vad:
    input:
        wav=episode_dir("audio.wav"),
        info=episode_dir("audio.json"),
    output:
        segments=episode_dir("segments.json"),
        speech=episode_dir("speech.json"),
    log:
        "logs/vad/{episode}.log",
    benchmark:
        "benchmarks/vad/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    threads: 2
    params:
        options=config["vad"],
    script:
        "../scripts/vad.py"
