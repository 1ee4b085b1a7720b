rule audio:
    input:
        media=episode_dir("source"),
    output:
        wav=episode_dir("audio.wav"),
    log:
        "logs/audio/{episode}.log",
    benchmark:
        "benchmarks/audio/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    params:
        sample_rate=config["audio"]["sample_rate"],
    script:
        "../scripts/audio.py"
