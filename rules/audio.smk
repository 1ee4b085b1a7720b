rule audio:
    input:
        media=episode_dir("source"),
    output:
        wav=episode_dir("audio.wav"),
        info=episode_dir("audio.json"),
    log:
        "logs/audio/{episode}.log",
    benchmark:
        "benchmarks/audio/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    params:
        sample_rate=config["audio"]["sample_rate"],
        stream=audio_stream_choice,
    script:
        "../scripts/audio.py"
