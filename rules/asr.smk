rule asr:
    input:
        wav=episode_dir("audio.wav"),
        segments=episode_dir("segments.json"),
    output:
        tr=episode_dir("tr.json"),
    log:
        "logs/asr/{episode}.log",
    benchmark:
        "benchmarks/asr/{episode}.tsv"
    conda:
        "../envs/altyazi.yaml"
    threads: workflow.cores
    resources:
        gpu=1,
        vram_gb=lambda wc: asr_vram_gb(config),
        mem_mb=16000,
    params:
        settings=asr_settings(config, workflow.basedir),
    script:
        "../scripts/asr.py"
