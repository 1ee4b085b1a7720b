# Speaker turns over the VAD pieces (CPU, offline: resemblyzer's pretrained voice encoder). Needs only
# the audio and segments.json, so it runs beside asr; translate and subtitles read its speakers.json.
rule speakers:
    input:
        wav=episode_dir("audio.wav"),
        segments=episode_dir("segments.json"),
    output:
        speakers=episode_dir("speakers.json"),
    log:
        "logs/speakers/{episode}.log",
    benchmark:
        "benchmarks/speakers/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    threads: 2
    params:
        options=config.get("speakers", {}),
    script:
        "../scripts/speakers.py"
