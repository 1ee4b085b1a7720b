def audio_stream_choice(wildcards):
    """The audio stream to use: the sheet's audio_stream, else config audio.stream, else None (by speech)."""
    ep = get_episode(wildcards)
    if ep.audio_stream is not None:
        return {
            "stream": ep.audio_stream,
            "by": f"{config['episodes']} column audio_stream",
        }
    return {"stream": config["audio"].get("stream"), "by": "config audio.stream"}


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
