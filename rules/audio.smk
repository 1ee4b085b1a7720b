rule audio:
    input:
        media=episode_dir("source"),
    output:
        wav=episode_dir("audio.wav"),
    params:
        sample_rate=config["audio"]["sample_rate"],
    log:
        "logs/audio/{episode}.log",
    benchmark:
        "benchmarks/audio/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    script:
        "../scripts/audio.py"
